//! The extractor on inputs that are not clean reports: other pages, cut-off
//! tables, garbage, the 2019 template and PDF-style text.

use crate::common::{extract, extract_text};
use nianbao::extract::{APPLICATION_ROWS_2019, PartStatus, Status, Template};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).expect("fixture")
}

fn app(e: &nianbao::extract::Extraction, row: &str) -> Value {
    serde_json::to_value(&e.applications[row]).expect("json")
}

#[test]
fn a_page_that_is_not_a_report() {
    let page = "<!DOCTYPE html><html><head><title>关于开展冬季安全检查的通知_某区人民政府</title></head>\
        <body><div class=nav><a href=/>首页</a></div><h1>关于开展冬季安全检查的通知</h1>\
        <p>各街道：为做好冬季安全工作，现将有关事项通知如下。</p><table><tr><td>序号</td><td>单位</td></tr>\
        <tr><td>1</td><td>某街道</td></tr></table></body></html>";
    let e = extract(page.as_bytes(), Some("text/html; charset=utf-8"));
    assert_eq!(e.status, Status::NotReport);
    assert!(e.reason.as_deref().is_some_and(|r| !r.is_empty()));
    assert!(e.applications.is_empty());
    assert_eq!(e.parts.applications, PartStatus::Missing);
}

#[test]
fn empty_and_whitespace_inputs_fail_with_reason() {
    for input in [&b""[..], b"   \n\t  \r\n"] {
        let e = extract(input, None);
        assert_eq!(e.status, Status::Failed);
        assert_eq!(e.reason.as_deref(), Some("empty input"));
    }
}

#[test]
fn binary_garbage_fails_with_reason() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8));
    let e = extract(&bytes, Some("application/octet-stream"));
    assert!(
        matches!(e.status, Status::Failed | Status::NotReport),
        "{:?}",
        e.status
    );
    assert!(e.reason.is_some());
    assert!(e.applications.is_empty());
}

#[test]
fn text_cut_off_in_part_three_is_partial_and_keeps_what_was_read() {
    let text = String::from_utf8(read("002_d64735f63f421535.txt")).expect("utf8");
    let cut = text.find("5. 属于三类内部事务信息").expect("row present");
    let e = extract(&text.as_bytes()[..cut], None);
    assert_eq!(e.status, Status::Partial);
    let reason = e.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("part 三") && reason.contains("part 四"),
        "{reason}"
    );
    assert_eq!(e.parts.active_disclosure, PartStatus::Complete);
    assert_eq!(e.parts.applications, PartStatus::Partial);
    assert_eq!(e.parts.review_litigation, PartStatus::Missing);
    assert_eq!(app(&e, "new_received"), json!([12, 0, 0, 0, 0, 0, 12]));
    assert_eq!(app(&e, "denied_third_party"), json!([1, 0, 0, 0, 0, 0, 1]));
    // Nothing after the cut is invented.
    for row in [
        "denied_internal_affairs",
        "total_processed",
        "carried_forward",
    ] {
        assert_eq!(
            app(&e, row),
            json!([null, null, null, null, null, null, null]),
            "{row}"
        );
    }
    assert_eq!(e.checks.balance["natural_person"], Some(false));
    assert!(
        e.warnings
            .iter()
            .any(|w| w.contains("carried_forward") && w.contains("cut off")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn html_cut_off_mid_row_is_partial() {
    let html = String::from_utf8(read("html/002_d64735f63f421535.html")).expect("utf8");
    let row = html.find("4.保护第三方合法权益").expect("row present");
    // Keep the label and the first three value cells of the row.
    let mut cut = row;
    for _ in 0..4 {
        cut += html[cut..].find("</td>").expect("cell") + 5;
    }
    let e = extract(&html.as_bytes()[..cut], Some("text/html"));
    assert_eq!(e.status, Status::Partial);
    assert_eq!(e.parts.applications, PartStatus::Partial);
    assert_eq!(
        app(&e, "denied_third_party"),
        json!([1, 0, 0, null, null, null, null])
    );
    assert_eq!(app(&e, "granted"), json!([10, 0, 0, 0, 0, 0, 10]));
    assert!(
        e.warnings.iter().any(|w| w.contains("denied_third_party")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn template_2019_html() {
    let e = extract(&read("html/2019_template_sample.html"), None);
    assert_eq!(e.template, Some(Template::T2019));
    assert_eq!(e.status, Status::Complete, "{:?}", e.reason);
    assert_eq!(e.agency.as_deref(), Some("某县交通运输局"));
    assert_eq!(e.year, Some(2019));
    assert_eq!(
        e.signed_date.map(|d| d.to_string()).as_deref(),
        Some("2020-01-20")
    );
    let ad = serde_json::to_value(&e.active_disclosure).expect("json");
    assert_eq!(
        ad["rules"],
        json!({"made": 0, "published": 0, "total_public": 3})
    );
    assert_eq!(
        ad["licensing"],
        json!({"previous_count": 25, "change": -2, "decisions": 1234})
    );
    assert_eq!(
        ad["other_services"],
        json!({"previous_count": 4, "change": 0, "decisions": 12})
    );
    assert_eq!(
        ad["enforcement"],
        json!({"previous_count": 3, "change": 0, "decisions": null})
    );
    assert_eq!(ad["fees"], json!({"previous_count": 2, "change": -1}));
    assert_eq!(
        ad["procurement"],
        json!({"projects": 7, "amount": "251000元"})
    );
    assert_eq!(e.applications.len(), APPLICATION_ROWS_2019.len());
    assert_eq!(
        app(&e, "other_processing"),
        json!([null, null, null, null, null, null, null])
    );
    assert_eq!(
        app(&e, "unavailable_not_held"),
        json!([0, 0, 0, 0, 1, 0, 1])
    );
    assert_eq!(app(&e, "total_processed"), json!([3, 1, 0, 0, 1, 0, 5]));
    assert!(e.checks.balance.values().all(|b| *b == Some(true)));
    // The sample's 复议后起诉 group prints 总计 1 over four zeros: rule 4 must flag it.
    let broken: Vec<_> = e
        .checks
        .rules
        .iter()
        .filter(|r| r.ok == Some(false))
        .collect();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(
        (broken[0].rule, broken[0].scope.as_str()),
        (4, "litigation_after_review")
    );
    assert_eq!((broken[0].left, broken[0].right), (Some(1.0), Some(0.0)));
}

/// 002 as PDF text extraction renders it: columns separated by runs of spaces.
#[test]
fn pdf_style_text_with_space_separated_columns() {
    let text = String::from_utf8(read("002_d64735f63f421535.txt")).expect("utf8");
    let spaced = text.replace('\t', "   ");
    let e = extract_text(&spaced);
    assert_eq!(e.status, Status::Complete, "{:?}", e.reason);
    assert_eq!(e.agency.as_deref(), Some("卫滨区人民政府"));
    assert_eq!(app(&e, "granted"), json!([10, 0, 0, 0, 0, 0, 10]));
    assert_eq!(app(&e, "partially_granted"), json!([1, 0, 0, 0, 0, 0, 1]));
    assert_eq!(app(&e, "other_other"), json!([0, 0, 0, 0, 0, 0, 0]));
    let rl = serde_json::to_value(&e.review_litigation).expect("json");
    assert_eq!(rl["litigation_direct"]["upheld"], json!(2));
    let ad = serde_json::to_value(&e.active_disclosure).expect("json");
    assert_eq!(ad["fees"]["amount_10k_yuan"], json!(104.133));
    assert_eq!(ad["licensing"]["decisions"], json!(10465));
}

/// PDF text where blank cells vanish and cells are separated by single spaces.
#[test]
fn pdf_style_text_with_dropped_blank_cells_is_inferred_and_flagged() {
    let text = "某局2023年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n\
        一、本年新收政府信息公开申请数量 6 6\n二、上年结转政府信息公开申请数量 0 0\n";
    let e = extract_text(text);
    assert_eq!(
        app(&e, "new_received"),
        json!([6, null, null, null, null, null, 6])
    );
    assert!(
        e.warnings
            .iter()
            .any(|w| w.contains("new_received") && w.contains("inferred"))
    );
    assert_eq!(e.status, Status::Partial);
}

#[test]
fn cross_year_rule_five() {
    let this = extract(&read("002_d64735f63f421535.txt"), None);
    let mut prev = this.clone();
    prev.applications.get_mut("carried_forward").expect("row")[0] = Some(3.into());
    let checks = nianbao::extract::cross_year_checks(&prev, &this);
    let np = checks
        .iter()
        .find(|c| c.scope == "natural_person")
        .expect("column");
    assert_eq!(np.ok, Some(false));
    let nd = checks
        .iter()
        .find(|c| c.scope == "normative_documents")
        .expect("row");
    // in_force 23 = 23 + 2 − 0 does not hold against itself: 23 ≠ 25.
    assert_eq!((nd.ok, nd.right), (Some(false), Some(25.0)));
}

/// PDF text where long labels wrap: the label's head, then its tail with the numbers, or
/// the numbers then the tail.
#[test]
fn pdf_style_text_with_wrapped_labels() {
    let text = "某局2022年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n\
        一、本年新收政府信息公开申请数量 2 0 0 0 0 0 2\n\
        二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0\n\
        三、本年度办理结果 （一）予以公开 1 0 0 0 0 0 1\n\
        （二）部分公开（区分处理的，只计这一情形，不计其他 1 0 0 0 0 0 1\n\
        情形）\n\
        （六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再\n\
        处理其政府信息公开申请 0 0 0 0 0 0 0\n\
        2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 0 0 0 0 0 0 0\n";
    let e = extract_text(text);
    assert_eq!(app(&e, "granted"), json!([1, 0, 0, 0, 0, 0, 1]));
    assert_eq!(app(&e, "partially_granted"), json!([1, 0, 0, 0, 0, 0, 1]));
    assert_eq!(app(&e, "other_no_correction"), json!([0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(app(&e, "other_unpaid_fee"), json!([0, 0, 0, 0, 0, 0, 0]));
    // Rows the text does not have are reported, not filled in.
    assert_eq!(
        app(&e, "denied_state_secret"),
        json!([null, null, null, null, null, null, null])
    );
    assert!(e.warnings.iter().any(|w| w.contains("denied_state_secret")));
}

/// A report page whose tables are only in an attachment: a report, read partly, and says why.
#[test]
fn report_page_without_tables_is_partial_with_reason() {
    let page = "<html><head><meta name=\"ArticleTitle\" content=\"某区教育局2023年政府信息公开工作年度报告\">\
        <meta name=\"PubDate\" content=\"2024-01-29\"></head><body><h1>某区教育局2023年政府信息公开工作年度报告</h1>\
        <p>附件：<a href=\"/a.pdf\">某区教育局2023年政府信息公开工作年度报告.pdf</a></p></body></html>";
    let e = extract(page.as_bytes(), None);
    assert_eq!(e.status, Status::Partial);
    assert_eq!(e.agency.as_deref(), Some("某区教育局"));
    assert_eq!(e.year, Some(2023));
    assert_eq!(
        e.publish_date.map(|d| d.to_string()).as_deref(),
        Some("2024-01-29")
    );
    assert!(
        e.reason.as_deref().is_some_and(|r| r.contains("no part")),
        "{:?}",
        e.reason
    );
    assert!(e.applications.is_empty());
}

/// Word-exported pages: `<th>` cells, `<o:p>`/`<span>` noise, and part 三 split over two
/// `<table>`s at a page break.
#[test]
fn html_table_split_over_two_tables() {
    let html = std::fs::read_to_string(fixtures().join("html/002_d64735f63f421535.html"))
        .expect("fixture");
    let split = html
        .replacen(
            "<td>5.属于三类内部事务信息</td>",
            "</tr></tbody></table><p>　</p><table><tbody><tr><th>5.属于三类内部事务信息</th>",
            1,
        )
        .replace(
            "<td>（七）总计",
            "<td><span lang=\"EN-US\"><o:p></o:p></span>（七）总计",
        );
    assert_ne!(split, html);
    let e = extract(split.as_bytes(), None);
    assert_eq!(
        e.status,
        Status::Complete,
        "{:?} {:?}",
        e.reason,
        e.warnings
    );
    assert_eq!(app(&e, "denied_third_party"), json!([1, 0, 0, 0, 0, 0, 1]));
    assert_eq!(app(&e, "total_processed"), json!([12, 0, 0, 0, 0, 0, 12]));
}

#[test]
fn fee_written_with_its_unit() {
    let text = "某局2022年政府信息公开工作年度报告\n二、主动公开政府信息情况\n\
        行政事业性收费\t12.5万元\n行政许可\t3件\n三、收到和处理政府信息公开申请情况\n";
    let e = extract_text(text);
    let ad = serde_json::to_value(&e.active_disclosure).expect("json");
    assert_eq!(ad["fees"]["amount_10k_yuan"], json!(12.5));
    assert_eq!(ad["licensing"]["decisions"], json!(3));
    assert_eq!(ad["penalty"]["decisions"], json!(null));
    assert!(
        e.warnings
            .iter()
            .any(|w| w.contains("active_disclosure.penalty"))
    );
}
