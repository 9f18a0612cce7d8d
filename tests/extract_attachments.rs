//! The same extractor reads the DOCX and PDF renderings of the five seed
//! reports into exactly the expected values (issue: reports published as
//! attachments). publish_date/editor/source come from the page around a file,
//! not the file, so they are not compared here.

use nianbao::archive_extract::{extract_bytes, format_of};
use nianbao::store::PageMetaRow;
use serde_json::Value;
use std::path::Path;

const SEEDS: &[&str] = &[
    "000_df23897d6af63ae1",
    "001_73a337edb7ff8878",
    "002_d64735f63f421535",
    "003_6f311c5d1f505ec3",
    "004_7685afd25ee59783",
];

fn check(file: &str, seed: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports");
    let bytes = std::fs::read(dir.join(file)).unwrap();
    let meta = PageMetaRow {
        format: format_of(&bytes, None, file),
        ..Default::default()
    };
    let got = serde_json::to_value(extract_bytes(&bytes, None, &meta)).unwrap();
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("expected/{seed}.json"))).unwrap(),
    )
    .unwrap();
    let mut diffs = Vec::new();
    for key in [
        "agency",
        "year",
        "template",
        "signed_date",
        "active_disclosure",
        "applications",
        "review_litigation",
    ] {
        if got[key] != want[key] {
            diffs.push(format!(
                "{file}: {key}: got {} want {}",
                got[key], want[key]
            ));
        }
    }
    if got["checks"]["balance"] != want["checks"]["balance"] {
        diffs.push(format!(
            "{file}: checks.balance: got {} want {}",
            got["checks"]["balance"], want["checks"]["balance"]
        ));
    }
    diffs
}

#[test]
fn docx_renderings_extract_to_the_expected_values() {
    let diffs: Vec<String> = SEEDS
        .iter()
        .flat_map(|s| check(&format!("docx/{}.docx", &s[..3]), s))
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn pdf_renderings_extract_to_the_expected_values() {
    let mut diffs: Vec<String> = SEEDS
        .iter()
        .flat_map(|s| check(&format!("pdf/{}.pdf", &s[..3]), s))
        .collect();
    diffs.extend(check("pdf/002_wqy.pdf", SEEDS[2]));
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
