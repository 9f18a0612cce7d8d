//! Report exports (JSONL, JSON, CSV wide and long, XLSX) read back and compared
//! with the archive.

use crate::answer_support::*;
use nianbao::export::{self, OutputFormat, keys};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;

fn jsonl(a: &Archive, year: Option<i32>) -> Vec<Value> {
    let mut out = Vec::new();
    let s = export::export(&a.store, year, OutputFormat::Jsonl, false, &mut out).unwrap();
    let lines: Vec<Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(s.reports, lines.len());
    lines
}

fn by_agency(v: &[Value]) -> HashMap<String, &Value> {
    v.iter()
        .map(|o| (o["agency"].as_str().unwrap().to_string(), o))
        .collect()
}

#[test]
fn jsonl_has_one_current_report_per_agency_with_provenance() {
    let a = build();
    let lines = jsonl(&a, Some(2022));
    let got = by_agency(&lines);
    let mut names: Vec<&str> = got.keys().map(String::as_str).collect();
    names.sort();
    let mut want = vec![LZ, XG, WB, XZM, TJ, DISCOVERED];
    want.sort();
    assert_eq!(names, want);

    // The expected structure, value for value, for every extracted fixture.
    for (agency, fixture, snap) in [
        (LZ, 0, "lz_2022"),
        (XG, 1, "xg_2022"),
        (WB, 2, "wb_2022_b"),
        (XZM, 3, "xzm_2022"),
    ] {
        let o = got[agency];
        let e = expected(fixture);
        for k in [
            "template",
            "signed_date",
            "active_disclosure",
            "applications",
            "review_litigation",
        ] {
            assert_eq!(o[k], e[k], "{agency} {k}");
        }
        assert_eq!(o["checks"]["balance"], e["checks"]["balance"], "{agency}");
        assert_eq!(o["year"], 2022);
        assert_eq!(o["snapshot_id"], a.snap[snap], "{agency}: current snapshot");
        assert_eq!(o["extractor_version"], "v1");
        assert_eq!(o["status"], "complete");
        assert_eq!(o["fetched_at"], "2024-03-04T05:06:07.089Z");
        assert!(o["warnings"].is_array());
        for k in [
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
            "checks",
            "url",
            "snapshot_id",
            "fetched_at",
            "extractor_version",
            "region",
            "warnings",
        ] {
            assert!(o.get(k).is_some(), "{agency}: key {k}");
        }
    }
    assert_eq!(got[LZ]["region"], "辽宁省沈阳市辽中区");
    assert_eq!(got[LZ]["url"], "http://127.0.0.1:9/lz/2022.html");
    assert_eq!(got[LZ]["publish_date"], "2023-01-20");
    assert_eq!(got[LZ]["source"], "办公室");
    // A seed agency reported on another agency's portal keeps its seed name.
    assert_eq!(got[XZM]["url"], "http://127.0.0.1:9/portal/xzm2022.html");
    // The unreadable attachment is exported with its status and no tables.
    assert_eq!(got[TJ]["status"], "unsupported");
    assert!(got[TJ]["applications"].is_null());
    assert_eq!(got[TJ]["publish_date"], "2023-02-01");
    // Discovered agency: listed by the name read, not extracted yet.
    assert!(got[DISCOVERED]["status"].is_null());
    assert!(got[DISCOVERED]["extractor_version"].is_null());

    // All years: 2021 (discovered) and 2023 (机关事务管理局) join.
    let all = jsonl(&a, None);
    assert_eq!(all.len(), 8);
    let jg = all.iter().find(|o| o["agency"] == JG).unwrap();
    assert_eq!(jg["year"], 2023);
    assert_eq!(
        jg["editor"],
        expected(4)["editor"],
        "editor falls back to the extraction"
    );

    // JSON is the same objects in one array.
    let mut out = Vec::new();
    export::export(&a.store, Some(2022), OutputFormat::Json, false, &mut out).unwrap();
    let arr: Vec<Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(arr, lines);
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV must start with a UTF-8 BOM"
    );
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn csv_wide_has_provenance_tables_and_checks() {
    let a = build();
    let mut out = Vec::new();
    let s = export::export(&a.store, Some(2022), OutputFormat::Csv, false, &mut out).unwrap();
    assert_eq!((s.reports, s.extracted, s.rows), (6, 5, 6));
    let (header, rows) = csv_rows(&out);
    assert_eq!(rows.len(), 6);
    assert_eq!(&header[..4], ["agency", "region", "year", "url"]);
    for col in [
        "publish_date",
        "source",
        "editor",
        "template",
        "p2.fees.amount_10k_yuan",
        "p3.new_received.total",
        "p3.carried_forward.total",
        "p4.litigation_after_review.total",
        "check.balance.total",
        "checks_ok",
    ] {
        assert!(header.iter().any(|h| h == col), "missing column {col}");
    }
    // Both templates' columns, though only 2021 reports are present: every
    // year's CSV has the same header (2019-only columns stay empty here).
    assert!(header.iter().any(|h| h == "p3.other_processing.total"));
    let p3 = header.iter().filter(|h| h.starts_with("p3.")).count();
    let p4 = header.iter().filter(|h| h.starts_with("p4.")).count();
    let p2 = header.iter().filter(|h| h.starts_with("p2.")).count();
    // 2021's 10 part 二 values plus 2019's 19 others; 25 + other_processing.
    assert_eq!((p2, p3, p4), (29, 26, 15));

    let row = |agency: &str| rows.iter().find(|r| r["agency"] == agency).unwrap();
    let wb = row(WB);
    let e = expected(2);
    assert_eq!(wb["p2.fees.amount_10k_yuan"], "104.133");
    assert_eq!(
        wb["p2.licensing.decisions"],
        e["active_disclosure"]["licensing"]["decisions"].to_string()
    );
    for key in keys::APPLICATION_ROWS_2021 {
        assert_eq!(
            wb[&format!("p3.{key}.total")],
            e["applications"][key][6].to_string(),
            "{key}"
        );
    }
    for g in keys::REVIEW_GROUPS {
        for c in keys::REVIEW_COLUMNS {
            assert_eq!(
                wb[&format!("p4.{g}.{c}")],
                e["review_litigation"][g][c].to_string()
            );
        }
    }
    assert_eq!(wb["snapshot_id"], a.snap["wb_2022_b"].to_string());
    assert_eq!(wb["publish_date"], "");
    assert_eq!(wb["checks_ok"], "true");
    let xg = row(XG);
    assert_eq!(xg["checks_ok"], "false");
    assert_eq!(xg["checks_failed"], "review_total/review");
    assert_eq!(xg["publish_date"], "2023-03-02");
    // 004's applicant columns are blank in the document: nulls stay empty.
    let mut out = Vec::new();
    export::export(&a.store, Some(2023), OutputFormat::Csv, false, &mut out).unwrap();
    let (_, rows) = csv_rows(&out);
    assert_eq!(rows[0]["check.balance.commercial"], "");
    assert_eq!(rows[0]["check.balance.total"], "true");
    // No reports: a header and no rows.
    let mut out = Vec::new();
    export::export(&a.store, Some(2019), OutputFormat::Csv, false, &mut out).unwrap();
    let (header, rows) = csv_rows(&out);
    assert!(rows.is_empty() && header.len() > 50);
}

#[test]
fn csv_long_has_one_row_per_value() {
    let a = build();
    let mut out = Vec::new();
    let s = export::export(&a.store, Some(2022), OutputFormat::Csv, true, &mut out).unwrap();
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        header,
        [
            "agency",
            "region",
            "year",
            "snapshot_id",
            "url",
            "template",
            "part",
            "row",
            "column",
            "value"
        ]
    );
    // Four extracted 2021-template reports × (10 + 175 + 15) values.
    assert_eq!(rows.len(), 4 * 200);
    assert_eq!(s.rows, 800);
    let e = expected(2);
    let find = |part: &str, row: &str, col: &str| {
        rows.iter()
            .find(|r| {
                r["agency"] == WB && r["part"] == part && r["row"] == row && r["column"] == col
            })
            .map(|r| r["value"].clone())
    };
    assert_eq!(
        find("applications", "granted", "natural_person"),
        Some(e["applications"]["granted"][0].to_string())
    );
    assert_eq!(
        find("active_disclosure", "penalty", "decisions"),
        Some("67".into())
    );
    assert_eq!(
        find("review_litigation", "review", "total"),
        Some(e["review_litigation"]["review"]["total"].to_string())
    );
    // Blank cells of 004 are empty values, not zeros.
    let mut out = Vec::new();
    export::export(&a.store, Some(2023), OutputFormat::Csv, true, &mut out).unwrap();
    let (_, rows) = csv_rows(&out);
    let commercial = rows
        .iter()
        .find(|r| r["row"] == "new_received" && r["column"] == "commercial")
        .unwrap();
    assert_eq!(commercial["value"], "");
}

fn zip_text(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn xlsx_has_four_sheets_bold_frozen_header_and_numbers() {
    let a = build();
    let mut out = Vec::new();
    export::export(&a.store, Some(2022), OutputFormat::Xlsx, false, &mut out).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
    let book = zip_text(&mut zip, "xl/workbook.xml");
    let names: Vec<&str> = book
        .split("<sheet ")
        .skip(1)
        .filter_map(|s| s.split("name=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        names,
        [
            "reports",
            "applications",
            "review_litigation",
            "checks",
            "dictionary"
        ]
    );
    let strings = zip_text(&mut zip, "xl/sharedStrings.xml");
    for s in [
        LZ,
        WB,
        "p3.new_received.total",
        "natural_person",
        "review_total",
    ] {
        assert!(strings.contains(s), "shared strings lack {s}");
    }
    let sheet1 = zip_text(&mut zip, "xl/worksheets/sheet1.xml");
    assert!(sheet1.contains("ySplit=\"1\""), "header row frozen");
    assert!(sheet1.contains("<v>104.133</v>"), "fees as a number");
    let styles = zip_text(&mut zip, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "a bold font for the header");
    // applications: 4 extracted reports × 25 rows + header.
    let sheet2 = zip_text(&mut zip, "xl/worksheets/sheet2.xml");
    assert_eq!(sheet2.matches("<row ").count(), 1 + 4 * 25);
    // 卫滨区 licensing decisions 10465 is a number cell.
    assert!(sheet1.contains("<v>10465</v>"));
}

#[test]
fn export_to_path_writes_the_same_bytes_and_leaves_no_partial_file() {
    let a = build();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/reports-2022.jsonl");
    let s =
        export::export_to_path(&a.store, Some(2022), OutputFormat::Jsonl, false, &path).unwrap();
    assert_eq!(s.reports, 6);
    let mut mem = Vec::new();
    export::export(&a.store, Some(2022), OutputFormat::Jsonl, false, &mut mem).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), mem);
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("reports-2022.jsonl")]);
}
