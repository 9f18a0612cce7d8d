//! Properties of `extract`: it never panics, and it never outputs a number the input does not contain.

use crate::common::extract;
use nianbao::extract::Extraction;
use nianbao::formats::html_to_document;
use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;

const FIXTURES: &[&str] = &[
    "000_df23897d6af63ae1.txt",
    "001_73a337edb7ff8878.txt",
    "002_d64735f63f421535.txt",
    "003_6f311c5d1f505ec3.txt",
    "004_7685afd25ee59783.txt",
    "html/000_df23897d6af63ae1.html",
    "html/002_d64735f63f421535.html",
    "html/004_7685afd25ee59783.html",
];

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name);
    std::fs::read_to_string(p).expect("utf-8 fixture")
}

/// The input as the extractor can see it: decoded, full-width digits folded,
/// thousands separators dropped, and for HTML the text after entity decoding.
fn haystack(bytes: &[u8]) -> String {
    let text = nianbao::page::charset::decode(bytes, None).text;
    let mut all = text.clone();
    all.push('\n');
    all.push_str(&html_to_document(&text).plain_text());
    all.chars()
        .filter(|c| *c != ',' && *c != '，')
        .map(|c| match c {
            '０'..='９' | '－' | '．' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            '−' => '-',
            _ => c,
        })
        .collect()
}

fn numbers(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        Value::Object(m) => m.values().for_each(|x| numbers(x, out)),
        _ => {}
    }
}

fn assert_numbers_from_input(bytes: &[u8], e: &Extraction) -> Result<(), TestCaseError> {
    let hay = haystack(bytes);
    let v = serde_json::to_value(e).expect("serialises");
    let mut nums = Vec::new();
    for key in ["active_disclosure", "applications", "review_litigation"] {
        numbers(&v[key], &mut nums);
    }
    for n in nums {
        prop_assert!(hay.contains(&n), "number {} is not in the input", n);
    }
    Ok(())
}

fn mutate(text: &str, edits: &[(prop::sample::Index, u8, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, op, c) in edits {
        if chars.is_empty() {
            chars.push(*c);
            continue;
        }
        let i = at.index(chars.len());
        match op % 3 {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, *c),
            // Delete a run: cuts labels, rows and tables the way a truncated page does.
            _ => {
                let end = (i + 1 + (*c as usize % 200)).min(chars.len());
                chars.drain(i..end);
            }
        }
    }
    chars.into_iter().collect()
}

fn table_char() -> impl Strategy<Value = char> {
    prop_oneof![
        Just('\t'),
        Just('\n'),
        Just('|'),
        Just(' '),
        Just('0'),
        Just('7'),
        Just('-'),
        Just('/'),
        Just('<'),
        Just('>'),
        Just('、'),
        any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let e = extract(&bytes, None);
        prop_assert!(e.reason.is_some() || e.status == nianbao::extract::Status::Complete);
        assert_numbers_from_input(&bytes, &e)?;
    }

    #[test]
    fn mutated_fixtures_never_panic_nor_invent_numbers(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), table_char()), 0..30),
    ) {
        let text = mutate(&fixture(FIXTURES[which]), &edits);
        let e = extract(text.as_bytes(), None);
        assert_numbers_from_input(text.as_bytes(), &e)?;
        let _ = serde_json::to_string(&e).expect("serialises");
    }
}
