//! End to end: the five seed reports as DOCX and PDF attachments, read by
//! `formats` and extracted by the same extractor as the text and HTML
//! renderings, against the hand-checked expected JSON. `publish_date`,
//! `editor` and `source` come from the web page, not the file, and
//! `checks.notes` is prose for people, so neither is compared.

use std::path::PathBuf;

use crate::common::extract_document;
use nianbao::extract::{Extraction, Status};
use nianbao::formats::{docx_to_document, ole_to_document, pdf_to_document};
use serde_json::Value;

const COMPARED: &[&str] = &[
    "agency",
    "year",
    "template",
    "signed_date",
    "active_disclosure",
    "applications",
    "review_litigation",
];

const SEEDS: [&str; 5] = [
    "000_df23897d6af63ae1",
    "001_73a337edb7ff8878",
    "002_d64735f63f421535",
    "003_6f311c5d1f505ec3",
    "004_7685afd25ee59783",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

fn read(rel: &str) -> Vec<u8> {
    let p = fixtures().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn compare(seed: &str, got: &Extraction) -> Vec<String> {
    let want: Value =
        serde_json::from_slice(&read(&format!("expected/{seed}.json"))).expect("expected json");
    let got_v = serde_json::to_value(got).expect("serialises");
    let mut out = Vec::new();
    for key in COMPARED {
        crate::common::diff_json(key, &want[key], &got_v[key], &mut out);
    }
    crate::common::diff_json(
        "checks.balance",
        &want["checks"]["balance"],
        &got_v["checks"]["balance"],
        &mut out,
    );
    out
}

fn run(kind: &str) {
    let mut failures = Vec::new();
    for seed in SEEDS {
        let short = &seed[..3];
        let doc = match kind {
            "docx" => docx_to_document(&read(&format!("docx/{short}.docx"))).expect("docx"),
            _ => {
                pdf_to_document(&read(&format!("pdf/{short}.pdf")))
                    .expect("pdf")
                    .document
            }
        };
        let got = extract_document(&doc);
        assert_ne!(
            got.status,
            Status::Failed,
            "{seed}.{kind}: {:?}",
            got.reason
        );
        let d = compare(seed, &got);
        if !d.is_empty() {
            failures.push(format!("{short}.{kind}:\n  {}", d.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn docx_renderings_match_expected() {
    run("docx");
}

#[test]
fn pdf_renderings_match_expected() {
    run("pdf");
}

#[test]
fn truetype_font_pdf_matches_expected() {
    let read_pdf = pdf_to_document(&read("pdf/002_wqy.pdf")).expect("reads");
    let d = compare(
        "002_d64735f63f421535",
        &extract_document(&read_pdf.document),
    );
    assert!(d.is_empty(), "{}", d.join("\n"));
}

#[test]
fn stsong_light_pdf_gives_the_part_3_values() {
    let read_pdf = pdf_to_document(&read("pdf/stsong.pdf")).expect("reads");
    let got = extract_document(&read_pdf.document);
    let want: Value =
        serde_json::from_slice(&read("expected/002_d64735f63f421535.json")).expect("json");
    let got_v = serde_json::to_value(&got).expect("serialises");
    let mut out = Vec::new();
    for key in ["agency", "year", "template", "applications"] {
        crate::common::diff_json(key, &want[key], &got_v[key], &mut out);
    }
    assert!(out.is_empty(), "{}", out.join("\n"));
}

#[test]
fn doc_rendering_matches_expected_when_libreoffice_is_installed() {
    match ole_to_document(&read("docx/002.doc")) {
        Ok(doc) => {
            let d = compare("002_d64735f63f421535", &extract_document(&doc));
            assert!(d.is_empty(), "{}", d.join("\n"));
        }
        Err(e) => eprintln!("skipped: {e}"),
    }
}
