//! missing / late / discovered on a real archive, and their CSV/JSON/XLSX output.

use crate::answer_support::*;
use nianbao::export::{self, MissingReason, OutputFormat};
use std::io::Read;

#[test]
fn missing_lists_each_agency_without_a_report_with_its_reason() {
    let a = build();
    let mut got: Vec<(String, MissingReason)> = export::missing(&a.store, 2022, None)
        .unwrap()
        .into_iter()
        .map(|m| (m.agency, m.reason))
        .collect();
    got.sort();
    let mut want = vec![
        (JG.to_string(), MissingReason::EntryUnreachable),
        (CYT.to_string(), MissingReason::NoEntryUrl),
        (MM.to_string(), MissingReason::NoReportFound),
        (TJ.to_string(), MissingReason::UnsupportedFile),
        (NC.to_string(), MissingReason::NotCrawled),
    ];
    want.sort();
    assert_eq!(got, want);

    let all = export::missing(&a.store, 2022, None).unwrap();
    let jg = all.iter().find(|m| m.agency == JG).unwrap();
    assert_eq!(
        jg.last_error.as_deref(),
        Some("http://127.0.0.1:9/jg/: connect: connection refused")
    );
    assert!(jg.detail.contains("connection refused"), "{}", jg.detail);
    let tj = all.iter().find(|m| m.agency == TJ).unwrap();
    assert_eq!(
        tj.report_url.as_deref(),
        Some("http://127.0.0.1:9/tj/2022.wps")
    );
    assert!(tj.detail.contains("cannot read"), "{}", tj.detail);
    assert!(
        all.iter()
            .find(|m| m.agency == CYT)
            .unwrap()
            .urls
            .is_empty()
    );
    // Ordered by region then name.
    let keys: Vec<(String, String)> = all
        .iter()
        .map(|m| (m.region.clone(), m.agency.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn missing_by_region_and_for_another_year() {
    let a = build();
    let got: Vec<String> = export::missing(&a.store, 2022, Some("辽宁省沈阳市"))
        .unwrap()
        .into_iter()
        .map(|m| m.agency)
        .collect();
    // 肖寨门镇 has no URL but its report was found on another portal.
    assert_eq!(got, vec![CYT.to_string()]);
    // 2023: only 机关事务管理局 reported, and it is not listed even though its entry now fails.
    let names: Vec<String> = export::missing(&a.store, 2023, None)
        .unwrap()
        .into_iter()
        .map(|m| m.agency)
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(!names.contains(&JG.to_string()));
    assert!(names.contains(&LZ.to_string()));
}

#[test]
fn late_counts_days_from_31_january_and_lists_undated_apart() {
    let a = build();
    let late = export::late(&a.store, 2022).unwrap();
    let got: Vec<(&str, Option<i64>, String)> = late
        .late
        .iter()
        .map(|e| {
            (
                e.agency.as_str(),
                e.days_late,
                e.publish_date.map(|d| d.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (XG, Some(30), "2023-03-02".to_string()),
            (TJ, Some(1), "2023-02-01".to_string())
        ]
    );
    // The statistics bureau's current report is the attachment; its date comes from its page.
    assert_eq!(late.late[1].snapshot_id, a.snap["tj_2022_file"]);
    let undated: Vec<&str> = late.undated.iter().map(|e| e.agency.as_str()).collect();
    assert_eq!(undated, vec![WB]);
    assert_eq!(late.undated[0].snapshot_id, a.snap["wb_2022_b"]);
    assert!(export::late(&a.store, 2023).unwrap().late.is_empty());
}

#[test]
fn discovered_lists_names_not_in_the_seeds() {
    let a = build();
    let d = export::discovered(&a.store).unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].agency_name, DISCOVERED);
    assert_eq!(d[0].years, vec![2021, 2022]);
    assert_eq!(d[0].reports, 2);
    assert_eq!(d[0].first_url, "http://127.0.0.1:9/portal/mm2022.html");
}

#[test]
fn lists_write_as_csv_json_and_xlsx() {
    let a = build();
    let missing = export::missing(&a.store, 2022, None).unwrap();

    let mut out = Vec::new();
    export::write_missing(&missing, OutputFormat::Csv, &mut out).unwrap();
    assert!(out.starts_with(b"\xEF\xBB\xBF"), "CSV starts with a BOM");
    let mut r = csv::Reader::from_reader(&out[3..]);
    assert_eq!(&r.headers().unwrap()[0], "agency");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), missing.len());
    for (row, m) in rows.iter().zip(&missing) {
        assert_eq!(&row[0], m.agency);
        assert_eq!(&row[3], m.reason.as_str());
        assert_eq!(&row[4], m.detail);
    }

    let late = export::late(&a.store, 2022).unwrap();
    let mut out = Vec::new();
    export::write_late(&late, OutputFormat::Json, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    assert_eq!(arr[0]["status"], "late");
    assert_eq!(arr[0]["days_late"], 30);
    assert_eq!(arr[2]["status"], "undated");
    assert!(arr[2]["days_late"].is_null());

    let d = export::discovered(&a.store).unwrap();
    let mut out = Vec::new();
    export::write_discovered(&d, OutputFormat::Xlsx, &mut out).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
    let mut book = String::new();
    zip.by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut book)
        .unwrap();
    assert!(book.contains("name=\"discovered\""), "{book}");
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut strings)
        .unwrap();
    assert!(strings.contains(DISCOVERED));
    assert!(strings.contains("2021 2022"));
}
