//! The five seed reports as DOCX, PDF and DOC attachments read back into the
//! document model: the part 二/三/四 tables must hold the hand-checked values
//! of `tests/fixtures/reports/expected/*.json` in the template's cells.

use std::path::PathBuf;

use nianbao::document::{Block, Document, Table};
use nianbao::formats::{
    Format, FormatError, docx_to_document, ole_to_document, pdf_to_document, read_attachment, sniff,
};
use serde_json::Value;

const SEEDS: [&str; 5] = [
    "000_df23897d6af63ae1",
    "001_73a337edb7ff8878",
    "002_d64735f63f421535",
    "003_6f311c5d1f505ec3",
    "004_7685afd25ee59783",
];

use nianbao::extract::APPLICATION_ROWS_2021 as ROWS_2021;

fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected(seed: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("expected/{seed}.json"))).expect("expected JSON")
}

fn short(seed: &str) -> &str {
    &seed[..3]
}

/// A table as a full grid: every slot holds the text of the cell covering it.
fn grid(table: &Table) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<Option<String>>> = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        if out.len() <= r {
            out.resize(r + 1, Vec::new());
        }
        let mut c = 0;
        for cell in row {
            while out[r].get(c).is_some_and(|s| s.is_some()) {
                c += 1;
            }
            for dr in 0..cell.rowspan {
                if out.len() <= r + dr {
                    out.resize(r + dr + 1, Vec::new());
                }
                for dc in 0..cell.colspan {
                    let line = &mut out[r + dr];
                    if line.len() <= c + dc {
                        line.resize(c + dc + 1, None);
                    }
                    line[c + dc] = Some(cell.text.clone());
                }
            }
            c += cell.colspan;
        }
    }
    out.into_iter()
        .map(|row| row.into_iter().map(Option::unwrap_or_default).collect())
        .collect()
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn tables(doc: &Document) -> Vec<&Table> {
    doc.blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            Block::Text(_) => None,
        })
        .collect()
}

fn find_table<'a>(doc: &'a Document, marker: &str) -> &'a Table {
    tables(doc)
        .into_iter()
        .find(|t| {
            t.rows
                .iter()
                .flatten()
                .any(|c| squeeze(&c.text).contains(marker))
        })
        .unwrap_or_else(|| panic!("no table with {marker}: {doc:#?}"))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        other => panic!("unexpected value {other}"),
    }
}

/// Part 三: 3 header rows, then the 25 template rows, each with its 7 numbers
/// in the last 7 grid columns; labels in the first 3.
fn check_part3(doc: &Document, seed: &str, what: &str) {
    let exp = expected(seed);
    let g = grid(find_table(doc, "本年新收"));
    assert_eq!(g.len(), 28, "{what} {seed}: rows {g:#?}");
    for (i, key) in ROWS_2021.iter().enumerate() {
        let row = &g[3 + i];
        assert_eq!(row.len(), 10, "{what} {seed} {key}: {row:?}");
        let got: Vec<String> = row[3..].iter().map(|s| squeeze(s)).collect();
        let want: Vec<String> = exp["applications"][key]
            .as_array()
            .expect("7 values")
            .iter()
            .map(value_text)
            .collect();
        assert_eq!(got, want, "{what} {seed} {key}");
    }
    let label = |r: usize| squeeze(&g[r][..3].join(""));
    assert!(
        label(3).contains("一、本年新收"),
        "{what} {seed}: {}",
        label(3)
    );
    assert!(
        label(5).starts_with("三、本年度办理结果（一）予以公开"),
        "{}",
        label(5)
    );
    assert!(
        label(7).contains("（三）不予公开1.属于国家秘密"),
        "{}",
        label(7)
    );
    assert!(
        label(14).contains("（三）不予公开8.属于行政查询事项"),
        "{}",
        label(14)
    );
    assert!(label(26).contains("（七）总计"), "{}", label(26));
    assert!(
        label(27).contains("四、结转下年度继续办理"),
        "{}",
        label(27)
    );
    let header: Vec<String> = g[2][3..].iter().map(|s| squeeze(s)).collect();
    assert_eq!(
        header,
        [
            "自然人",
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他",
            "总计"
        ],
        "{what} {seed}"
    );
}

/// The template's merges survive: 三、本年度办理结果 over 22 rows, （三） over 8.
fn check_part3_spans(doc: &Document, what: &str) {
    let t = find_table(doc, "本年新收");
    let span_of = |needle: &str| {
        t.rows
            .iter()
            .flatten()
            .find(|c| squeeze(&c.text).starts_with(needle))
            .map(|c| (c.colspan, c.rowspan))
            .unwrap_or_else(|| panic!("{what}: no cell {needle}"))
    };
    assert_eq!(span_of("三、本年度办理结果"), (1, 22), "{what}");
    assert_eq!(span_of("（三）不予公开"), (1, 8), "{what}");
    assert_eq!(span_of("（四）无法提供"), (1, 3), "{what}");
    assert_eq!(span_of("（五）不予处理"), (1, 5), "{what}");
    assert_eq!(span_of("（六）其他处理"), (1, 3), "{what}");
    assert_eq!(span_of("（本列数据的勾稽关系"), (3, 3), "{what}");
    assert_eq!(span_of("申请人情况"), (7, 1), "{what}");
    assert_eq!(span_of("法人或其他组织"), (5, 1), "{what}");
    assert_eq!(span_of("（七）总计"), (2, 1), "{what}");
    // Covered cells are not listed: 28 rows hold 3+... cells, not 28 × 10.
    let listed: usize = t.rows.iter().map(|r| r.len()).sum();
    assert!(listed < 28 * 10, "{what}: {listed} cells listed");
}

/// Part 四: the 15 numbers on the last row; part 二: the rows by label.
fn check_parts_2_and_4(doc: &Document, seed: &str, what: &str) {
    let exp = expected(seed);
    let g4 = grid(find_table(doc, "复议后起诉"));
    let last: Vec<String> = g4
        .last()
        .expect("rows")
        .iter()
        .map(|s| squeeze(s))
        .collect();
    let mut want = Vec::new();
    for group in ["review", "litigation_direct", "litigation_after_review"] {
        for k in ["upheld", "corrected", "other", "pending", "total"] {
            want.push(value_text(&exp["review_litigation"][group][k]));
        }
    }
    assert_eq!(last, want, "{what} {seed} part 四");

    let g2 = grid(find_table(doc, "第二十条第（一）项"));
    let row = |label: &str| -> Vec<String> {
        let r = g2
            .iter()
            .find(|r| squeeze(&r[0]) == label)
            .unwrap_or_else(|| panic!("{what} {seed}: no row {label}"));
        let mut vals: Vec<String> = r[1..].iter().map(|s| squeeze(s)).collect();
        vals.dedup();
        vals
    };
    let ad = &exp["active_disclosure"];
    for (label, key) in [("规章", "rules"), ("行政规范性文件", "normative_documents")] {
        let want: Vec<String> = ["issued", "repealed", "in_force"]
            .iter()
            .map(|k| value_text(&ad[key][k]))
            .collect();
        let mut want_d = want.clone();
        want_d.dedup();
        assert_eq!(row(label), want_d, "{what} {seed} {label}");
    }
    for (label, key, field) in [
        ("行政许可", "licensing", "decisions"),
        ("行政处罚", "penalty", "decisions"),
        ("行政强制", "enforcement", "decisions"),
        ("行政事业性收费", "fees", "amount_10k_yuan"),
    ] {
        assert_eq!(
            row(label),
            vec![value_text(&ad[key][field])],
            "{what} {seed} {label}"
        );
    }
}

#[test]
fn docx_fixtures_hold_the_expected_tables() {
    for seed in SEEDS {
        let what = format!("docx/{}.docx", short(seed));
        let doc = docx_to_document(&fixture(&what)).expect("docx reads");
        check_part3(&doc, seed, &what);
        check_part3_spans(&doc, &what);
        check_parts_2_and_4(&doc, seed, &what);
    }
}

#[test]
fn docx_text_blocks_keep_title_headings_and_cell_line_breaks() {
    let doc = docx_to_document(&fixture("docx/000.docx")).expect("reads");
    // The title is one heading paragraph with a line break (w:br) inside.
    assert_eq!(
        doc.blocks[0],
        Block::Text("沈阳市辽中区人民政府办公室2022年度\n政府信息公开工作年度报告".into())
    );
    let text = doc.plain_text();
    for heading in [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "六、其他需要报告的事项",
        "2023年1月19日",
    ] {
        assert!(text.contains(heading), "missing {heading}");
    }
    assert_eq!(tables(&doc).len(), 3);
    // Headings come out as written, with no list number added or lost.
    assert!(doc.blocks.contains(&Block::Text("一、总体情况".into())));
    assert!(
        doc.blocks
            .contains(&Block::Text("六、其他需要报告的事项".into()))
    );
    // 003 writes its header labels over two paragraphs in the cell.
    let doc = docx_to_document(&fixture("docx/003.docx")).expect("reads");
    let t = find_table(&doc, "本年新收");
    assert!(
        t.rows[2].iter().any(|c| c.text == "商业\n企业"),
        "{:?}",
        t.rows[2]
    );
}

#[test]
fn corrupt_or_foreign_input_is_an_error_not_a_panic() {
    let docx = fixture("docx/002.docx");
    for cut in [10, 100, docx.len() / 2, docx.len() - 30] {
        let r = docx_to_document(&docx[..cut]);
        assert!(
            matches!(r, Err(FormatError::Corrupt(_))),
            "cut at {cut}: {r:?}"
        );
    }
    let pdf = fixture("pdf/002.pdf");
    assert!(matches!(
        docx_to_document(&pdf),
        Err(FormatError::Corrupt(_))
    ));
    assert!(matches!(
        docx_to_document(b""),
        Err(FormatError::Corrupt(_))
    ));
    // A PDF cut short: an error or what could be read, never a panic.
    for cut in [0, 8, 1000, pdf.len() / 2, pdf.len() - 10] {
        if let Ok(read) = pdf_to_document(&pdf[..cut]) {
            assert!(read.pages <= 2);
        }
    }
    assert!(pdf_to_document(&docx).is_err());
}

#[test]
fn pdf_fixtures_hold_the_expected_tables() {
    // 004 does not start part 三 on a new page: its table is cut by the page
    // break inside the merged cells and must come back whole.
    for (seed, pages) in SEEDS.iter().zip([3, 2, 2, 2, 2]) {
        let what = format!("pdf/{}.pdf", short(seed));
        let read = pdf_to_document(&fixture(&what)).expect("pdf reads");
        assert_eq!(read.pages, pages, "{what}");
        assert!(!read.scanned, "{what}");
        assert!(read.text_chars > 1000, "{what}: {}", read.text_chars);
        check_part3(&read.document, seed, &what);
        check_part3_spans(&read.document, &what);
        check_parts_2_and_4(&read.document, seed, &what);
    }
}

#[test]
fn pdf_with_truetype_subset_fonts_holds_the_expected_tables() {
    let read = pdf_to_document(&fixture("pdf/002_wqy.pdf")).expect("reads");
    check_part3(&read.document, "002_d64735f63f421535", "pdf/002_wqy.pdf");
    check_part3_spans(&read.document, "pdf/002_wqy.pdf");
    check_parts_2_and_4(&read.document, "002_d64735f63f421535", "pdf/002_wqy.pdf");
    assert_eq!(
        read.document.blocks[0],
        Block::Text("卫滨区人民政府 2022 年政府信息公开工作年度报告".into())
    );
}

#[test]
fn pdf_text_reads_title_and_prose_in_order() {
    let read = pdf_to_document(&fixture("pdf/002.pdf")).expect("reads");
    assert_eq!(
        read.document.blocks[0],
        Block::Text("卫滨区人民政府 2022 年政府信息公开工作年度报告".into())
    );
    let text = read.document.plain_text();
    let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("missing {s}"));
    assert!(pos("一、总体情况") < pos("二、主动公开政府信息情况"));
    assert!(pos("二、主动公开政府信息情况") < pos("第二十条第（一）项"));
    assert!(pos("三、收到和处理政府信息公开申请情况") < pos("本年新收"));
    assert!(pos("本年新收") < pos("四、政府信息公开行政复议"));
    assert!(pos("四、政府信息公开行政复议") < pos("六、其他需要报告的事项"));
    // A paragraph wrapped over lines comes back as one block.
    assert!(read.document.blocks.iter().any(|b| matches!(b,
        Block::Text(t) if t.starts_with("全年共受理政府信息公开申请 12 件") && t.ends_with("（结果维持）。"))));
}

#[test]
fn scanned_pdf_is_flagged_with_its_page_count() {
    let read = pdf_to_document(&fixture("pdf/scanned.pdf")).expect("image PDF reads");
    assert!(read.scanned);
    assert_eq!(read.pages, 2);
    assert_eq!(read.text_chars, 0);
    assert!(read.document.blocks.is_empty());
}

#[test]
fn stsong_light_cid_font_pdf_reads_without_panic() {
    let read = pdf_to_document(&fixture("pdf/stsong.pdf")).expect("STSong-Light PDF reads");
    assert_eq!(read.pages, 1);
    assert!(!read.scanned);
    assert_eq!(
        read.document.blocks[0],
        Block::Text("卫滨区人民政府2022年政府信息公开工作年度报告".into())
    );
    check_part3(&read.document, "002_d64735f63f421535", "pdf/stsong.pdf");
    check_part3_spans(&read.document, "pdf/stsong.pdf");
}

#[test]
fn fixtures_are_sniffed_by_their_bytes() {
    for seed in SEEDS {
        let s = short(seed);
        assert_eq!(
            sniff(
                &fixture(&format!("docx/{s}.docx")),
                Some("application/octet-stream"),
                None
            ),
            Format::Docx
        );
        assert_eq!(
            sniff(
                &fixture(&format!("pdf/{s}.pdf")),
                Some("text/html"),
                Some("a.doc")
            ),
            Format::Pdf
        );
        assert_eq!(
            sniff(&fixture(&format!("{seed}.txt")), None, Some("report.txt")),
            Format::Text
        );
    }
    assert_eq!(
        sniff(&fixture("docx/002.doc"), None, Some("x.docx")),
        Format::Ole
    );
}

#[test]
fn doc_file_reads_through_libreoffice_or_says_what_is_missing() {
    let bytes = fixture("docx/002.doc");
    match ole_to_document(&bytes) {
        Ok(doc) => {
            check_part3(&doc, "002_d64735f63f421535", "docx/002.doc");
            check_part3_spans(&doc, "docx/002.doc");
            let text = doc.plain_text();
            assert!(text.contains("卫滨区人民政府 2022 年政府信息公开工作年度报告"));
            assert!(text.contains("一、本年新收政府信息公开申请数量\t12\t0\t0\t0\t0\t0\t12"));
        }
        Err(FormatError::ToolMissing { tool, hint }) => {
            assert_eq!(tool, "soffice");
            assert!(hint.contains("libreoffice"), "{hint}");
            eprintln!("LibreOffice not installed: .doc reading not exercised");
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
    // The first sector of a real .doc cut off is no compound file at all.
    let mut cut = bytes[..512].to_vec();
    cut.extend(std::iter::repeat_n(0u8, 512));
    assert!(matches!(
        ole_to_document(&cut),
        Err(FormatError::Corrupt(_))
    ));
}

#[test]
fn read_attachment_routes_by_sniffed_format() {
    let pdf = read_attachment(
        &fixture("pdf/003.pdf"),
        Some("application/octet-stream"),
        None,
    )
    .expect("pdf");
    assert_eq!(
        (pdf.format, pdf.pages, pdf.scanned),
        (Format::Pdf, Some(2), false)
    );
    check_part3(
        &pdf.document,
        "003_6f311c5d1f505ec3",
        "attachment pdf/003.pdf",
    );
    let docx = read_attachment(&fixture("docx/003.docx"), None, Some("附件1.docx")).expect("docx");
    assert_eq!((docx.format, docx.pages), (Format::Docx, None));
    assert_eq!(
        docx.document,
        docx_to_document(&fixture("docx/003.docx")).expect("docx")
    );
    let scan = read_attachment(&fixture("pdf/scanned.pdf"), None, None).expect("scan");
    assert!(scan.scanned);
    let txt = read_attachment(
        &fixture("003_6f311c5d1f505ec3.txt"),
        Some("text/plain"),
        None,
    );
    assert!(
        matches!(txt, Err(FormatError::Unsupported { .. })),
        "{txt:?}"
    );
}

#[test]
fn owner_password_pdf_reads_and_user_password_pdf_says_encrypted() {
    let read =
        pdf_to_document(&fixture("pdf/owner_password.pdf")).expect("opens without a password");
    assert_eq!(
        read.document.blocks,
        vec![
            Block::Text("卫滨区人民政府2022年政府信息公开工作年度报告".into()),
            Block::Text("一、本年新收政府信息公开申请数量 12".into()),
        ]
    );
    let r = pdf_to_document(&fixture("pdf/user_password.pdf"));
    assert!(matches!(r, Err(FormatError::Encrypted)), "{r:?}");
}

/// Part 三 of a seed as a workbook laid out like the template (merged
/// ranges, numbers as numbers, blanks left empty), written with
/// rust_xlsxwriter.
fn part3_workbook(seed: &str) -> Vec<u8> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    const LABELS: [(&str, &str); 25] = [
        ("", "一、本年新收政府信息公开申请数量"),
        ("", "二、上年结转政府信息公开申请数量"),
        ("", "（一）予以公开"),
        (
            "",
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        ),
        ("（三）不予公开", "1.属于国家秘密"),
        ("（三）不予公开", "2.其他法律行政法规禁止公开"),
        ("（三）不予公开", "3.危及“三安全一稳定”"),
        ("（三）不予公开", "4.保护第三方合法权益"),
        ("（三）不予公开", "5.属于三类内部事务信息"),
        ("（三）不予公开", "6.属于四类过程性信息"),
        ("（三）不予公开", "7.属于行政执法案卷"),
        ("（三）不予公开", "8.属于行政查询事项"),
        ("（四）无法提供", "1.本机关不掌握相关政府信息"),
        ("（四）无法提供", "2.没有现成信息需要另行制作"),
        ("（四）无法提供", "3.补正后申请内容仍不明确"),
        ("（五）不予处理", "1.信访举报投诉类申请"),
        ("（五）不予处理", "2.重复申请"),
        ("（五）不予处理", "3.要求提供公开出版物"),
        ("（五）不予处理", "4.无正当理由大量反复申请"),
        ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
        (
            "（六）其他处理",
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ),
        (
            "（六）其他处理",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ),
        ("（六）其他处理", "3.其他"),
        ("", "（七）总计"),
        ("", "四、结转下年度继续办理"),
    ];
    let exp = expected(seed);
    let f = XFormat::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("三、收到和处理政府信息公开申请情况")
        .expect("name");
    ws.merge_range(
        0,
        0,
        2,
        2,
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
        &f,
    )
    .expect("merge");
    ws.merge_range(0, 3, 0, 9, "申请人情况", &f).expect("merge");
    ws.merge_range(1, 3, 2, 3, "自然人", &f).expect("merge");
    ws.merge_range(1, 4, 1, 8, "法人或其他组织", &f)
        .expect("merge");
    ws.merge_range(1, 9, 2, 9, "总计", &f).expect("merge");
    for (i, h) in [
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, 4 + i as u16, *h).expect("write");
    }
    ws.merge_range(5, 0, 26, 0, "三、本年度办理结果", &f)
        .expect("merge");
    let mut group_start = 0;
    for (i, (group, label)) in LABELS.iter().enumerate() {
        let r = 3 + i as u32;
        match (i, *group) {
            (0 | 1 | 24, _) => {
                ws.merge_range(r, 0, r, 2, label, &f).expect("merge");
            }
            (_, "") => {
                ws.merge_range(r, 1, r, 2, label, &f).expect("merge");
            }
            (_, g) => {
                if i == 0 || LABELS[i - 1].0 != g {
                    group_start = r;
                }
                if i + 1 == LABELS.len() || LABELS[i + 1].0 != g {
                    ws.merge_range(group_start, 1, r, 1, g, &f).expect("merge");
                }
                ws.write_string(r, 2, *label).expect("write");
            }
        }
        for (c, v) in exp["applications"][ROWS_2021[i]]
            .as_array()
            .expect("values")
            .iter()
            .enumerate()
        {
            if let Some(n) = v.as_f64() {
                ws.write_number(r, 3 + c as u16, n).expect("write");
            }
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

#[test]
fn xlsx_workbook_holds_the_expected_part_3() {
    for seed in ["002_d64735f63f421535", "004_7685afd25ee59783"] {
        let bytes = part3_workbook(seed);
        assert_eq!(sniff(&bytes, None, None), Format::Xlsx);
        let what = format!("{} as xlsx", short(seed));
        let doc = nianbao::formats::spreadsheet_to_document(&bytes).expect("xlsx reads");
        assert_eq!(
            doc.blocks[0],
            Block::Text("三、收到和处理政府信息公开申请情况".into())
        );
        check_part3(&doc, seed, &what);
        check_part3_spans(&doc, &what);
        let att = read_attachment(&bytes, None, Some("附件.xlsx")).expect("attachment");
        assert_eq!(att.document, doc);
    }
    assert!(matches!(
        nianbao::formats::spreadsheet_to_document(&fixture("docx/002.docx")),
        Err(FormatError::Corrupt(_))
    ));
}

#[test]
fn zip_of_attachments_reads_the_report_member() {
    use std::io::Write;
    let zip_of = |members: &[(&str, Vec<u8>)]| {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            for (name, data) in members {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .expect("start");
                w.write_all(data).expect("write");
            }
            w.finish().expect("finish");
        }
        buf.into_inner()
    };
    let bytes = zip_of(&[
        ("附件/说明.txt", b"readme".to_vec()),
        ("附件/统计表.pdf", fixture("pdf/scanned.pdf")),
        ("附件/卫滨区2022年度报告.pdf", fixture("pdf/002.pdf")),
    ]);
    assert_eq!(sniff(&bytes, None, None), Format::Zip);
    let att = read_attachment(&bytes, Some("application/zip"), Some("附件.zip")).expect("zip");
    assert_eq!(att.member.as_deref(), Some("附件/卫滨区2022年度报告.pdf"));
    assert_eq!(
        (att.format, att.pages, att.scanned),
        (Format::Pdf, Some(2), false)
    );
    check_part3(&att.document, "002_d64735f63f421535", "zip member");

    let only_text = zip_of(&[("a.txt", b"x".to_vec())]);
    assert!(matches!(
        read_attachment(&only_text, None, None),
        Err(FormatError::Unsupported { .. })
    ));
}

#[test]
fn rtf_reads_through_libreoffice_when_installed() {
    // The RTF is made from the 002 DOCX at test time (a 200 KB fixture saved).
    let dir = std::env::temp_dir().join(format!("nianbao-rtf-test-{}", std::process::id()));
    let made = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/profile",
            dir.display()
        ))
        .args(["--headless", "--convert-to", "rtf", "--outdir"])
        .arg(&dir)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports/docx/002.docx"))
        .output();
    let rtf = match made {
        Ok(out) if out.status.success() => std::fs::read(dir.join("002.rtf")).expect("rtf written"),
        _ => {
            eprintln!("LibreOffice not installed: RTF reading not exercised");
            return;
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(sniff(&rtf, None, Some("附件.doc")), Format::Rtf);
    let att = read_attachment(&rtf, None, Some("附件.doc")).expect("rtf reads");
    assert_eq!(att.format, Format::Rtf);
    check_part3(
        &att.document,
        "002_d64735f63f421535",
        "rtf from docx/002.docx",
    );
    check_part3_spans(&att.document, "rtf");
}
