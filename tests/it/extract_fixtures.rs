//! The extractor against the hand-checked expected JSON of the five seed reports, as text and as HTML.

use crate::common::extract;
use nianbao::extract::{Extraction, Status};
use serde_json::Value;
use std::path::{Path, PathBuf};

const COMPARED: &[&str] = &[
    "agency",
    "year",
    "template",
    "publish_date",
    "editor",
    "source",
    "signed_date",
    "active_disclosure",
    "applications",
    "review_litigation",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

fn stems() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures().join("expected"))
        .expect("expected dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    v.sort();
    v
}

fn compare(name: &str, got: &Extraction) -> Vec<String> {
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("expected").join(format!("{name}.json")))
            .expect("expected json"),
    )
    .expect("valid json");
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
    let mut seen = 0;
    for stem in stems() {
        let path = if kind == "txt" {
            fixtures().join(format!("{stem}.txt"))
        } else {
            fixtures().join("html").join(format!("{stem}.html"))
        };
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let got = extract(&bytes, None);
        seen += 1;
        let d = compare(&stem, &got);
        if !d.is_empty() {
            failures.push(format!("{stem}.{kind}:\n  {}", d.join("\n  ")));
        }
        let top: Vec<String> = serde_json::to_value(&got)
            .expect("serialises")
            .as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect();
        for k in ["status", "reason", "parts", "warnings", "checks"] {
            assert!(top.contains(&k.to_string()), "{stem}.{kind}: no key {k}");
        }
        assert_ne!(
            got.status,
            Status::Failed,
            "{stem}.{kind}: {:?}",
            got.reason
        );
    }
    assert_eq!(seen, 5);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_renderings_match_expected() {
    run("txt");
}

#[test]
fn html_renderings_match_expected() {
    run("html");
}

/// The comparison itself must catch a wrong cell.
#[test]
fn comparison_reports_a_changed_value() {
    let text =
        std::fs::read_to_string(fixtures().join("002_d64735f63f421535.txt")).expect("fixture");
    let changed = text.replace("行政许可\t10465", "行政许可\t10466");
    assert_ne!(text, changed);
    let d = compare("002_d64735f63f421535", &extract(changed.as_bytes(), None));
    assert_eq!(
        d,
        vec!["active_disclosure.licensing.decisions: expected 10465, got 10466".to_string()]
    );
}

/// lopdf-style PDF text (one fragment per line, no tabs): 000 and 003 without their tabs.
#[test]
fn one_fragment_per_line_matches_expected_tables() {
    for stem in ["000_df23897d6af63ae1", "003_6f311c5d1f505ec3"] {
        let text =
            std::fs::read_to_string(fixtures().join(format!("{stem}.txt"))).expect("fixture");
        let got = extract(text.replace('\t', "").as_bytes(), None);
        let d = compare(stem, &got);
        assert!(d.is_empty(), "{stem}:\n  {}", d.join("\n  "));
    }
}
