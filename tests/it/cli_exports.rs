//! Exports for people: Chinese headers from the template, the data
//! dictionary (XLSX sheet and docs), XLSX column widths, autofilter,
//! hyperlinks and real dates, and CSV columns that line up across years.

use crate::answer_support::*;
use nianbao::export::{self, OutputFormat, labels};
use std::io::Read;
use std::process::Command;

fn on_archive(a: &Archive, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(a.db.parent().unwrap())
        .arg("--db")
        .arg(&a.db)
        .args(args)
        .output()
        .unwrap()
}

fn csv_header(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes)
        .unwrap()
        .trim_start_matches('\u{feff}');
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.headers().unwrap().iter().map(str::to_string).collect()
}

#[test]
fn labels_zh_gives_the_template_headers_and_json_keeps_keys() {
    let a = build();
    let dir = a.db.parent().unwrap();
    let out = on_archive(
        &a,
        &[
            "export", "--year", "2022", "--labels", "zh", "--out", "zh.csv",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = csv_header(&std::fs::read(dir.join("zh.csv")).unwrap());
    let keys = export::wide_columns();
    assert_eq!(header.len(), keys.len());
    assert_eq!(header[0], "机关名称");
    let i = keys
        .iter()
        .position(|k| k == "p3.new_received.total")
        .unwrap();
    assert_eq!(header[i], "新收申请·总计");
    let i = keys.iter().position(|k| k == "p4.review.upheld").unwrap();
    assert_eq!(header[i], "行政复议·结果维持");
    assert!(
        header
            .iter()
            .all(|h| !h.starts_with("p2.") && !h.starts_with("p3.")),
        "every value column labelled: {header:?}"
    );

    let out = on_archive(&a, &["export", "--labels", "zh", "--format", "json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--labels zh is for csv and xlsx"));
}

#[test]
fn csv_columns_are_the_same_for_every_year() {
    let a = build();
    let mut headers = Vec::new();
    for year in [Some(2021), Some(2022), Some(2023), None] {
        let mut out = Vec::new();
        export::export(&a.store, year, OutputFormat::Csv, false, &mut out).unwrap();
        headers.push(csv_header(&out));
    }
    // 2021 has only a discovered, unextracted report; 2022 mixes; 2023 is one report.
    assert!(headers.windows(2).all(|w| w[0] == w[1]), "{headers:?}");
    assert_eq!(headers[0], export::wide_columns());
    // Both templates' rows are there, whichever the year's reports use.
    assert!(headers[0].iter().any(|h| h == "p3.other_processing.total"));
    assert!(
        headers[0]
            .iter()
            .any(|h| h == "p3.other_no_correction.total")
    );
}

fn zip_text(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn xlsx_has_widths_autofilter_hyperlinks_dates_and_the_dictionary() {
    let a = build();
    let out = on_archive(&a, &["export", "--year", "2022", "--out", "r.xlsx"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(a.db.parent().unwrap().join("r.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet1 = zip_text(&mut zip, "xl/worksheets/sheet1.xml");
    assert!(
        sheet1.contains("<autoFilter ref=\"A1:"),
        "autofilter on the header"
    );
    assert!(
        sheet1.contains("<col ") && sheet1.contains("customWidth=\"1\""),
        "column widths"
    );
    assert!(sheet1.contains("<hyperlinks>"), "URLs as hyperlinks");
    let rels = zip_text(&mut zip, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(rels.contains("http://127.0.0.1:9/lz/2022.html"), "{rels}");
    let styles = zip_text(&mut zip, "xl/styles.xml");
    assert!(
        styles.contains("formatCode=\"yyyy-mm-dd\""),
        "a date format"
    );
    assert!(styles.contains("formatCode=\"yyyy-mm-dd hh:mm:ss\""));
    // 2023-01-20 is Excel serial 44946: the publish date is a number, not text.
    assert!(sheet1.contains("<v>44946</v>"), "publish date as a date");
    let strings = zip_text(&mut zip, "xl/sharedStrings.xml");
    assert!(!strings.contains("<t>2023-01-20</t>"));

    let book = zip_text(&mut zip, "xl/workbook.xml");
    assert!(book.contains("name=\"dictionary\""));
    let dict = zip_text(&mut zip, "xl/worksheets/sheet5.xml");
    assert_eq!(
        dict.matches("<row ").count(),
        1 + labels::dictionary(&export::wide_columns()).len()
    );
    assert!(
        strings.contains("新收申请·总计") && strings.contains("一、本年新收政府信息公开申请数量")
    );
}

/// docs/data-dictionary.md is the dictionary the code has; regenerate it with
/// `NIANBAO_WRITE_DOCS=1 cargo test --test it data_dictionary`.
#[test]
fn data_dictionary_doc_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/data-dictionary.md");
    let want = labels::dictionary_markdown(&export::wide_columns());
    if std::env::var_os("NIANBAO_WRITE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "docs/data-dictionary.md is out of date: run NIANBAO_WRITE_DOCS=1 cargo test --test it data_dictionary"
    );
    assert!(got.contains("| `p3.new_received.total` | 新收申请·总计 |"));
}
