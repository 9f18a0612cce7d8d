//! An extracted report as readable text tables (for `show` and `parse`), with
//! its checks and warnings, so a person can tell read from guessed.

use crate::extract::{
    ACTIVE_ROWS_2019, ACTIVE_ROWS_2021, APPLICANT_COLUMNS, APPLICATION_ROWS_2019,
    APPLICATION_ROWS_2021, Extraction, REVIEW_FIELDS, REVIEW_GROUPS, Template,
};
use std::fmt::Write;

/// The template's Chinese label for a canonical key.
pub fn label(key: &str) -> &'static str {
    match key {
        "rules" => "规章",
        "normative_documents" => "规范性文件",
        "licensing" => "行政许可",
        "other_services" => "其他对外管理服务事项",
        "penalty" => "行政处罚",
        "enforcement" => "行政强制",
        "fees" => "行政事业性收费",
        "procurement" => "政府集中采购",
        "issued" => "本年制发",
        "repealed" => "本年废止",
        "in_force" => "现行有效",
        "decisions" => "处理决定",
        "amount_10k_yuan" => "收费金额(万元)",
        "made" => "本年新制作",
        "published" => "本年新公开",
        "total_public" => "对外公开总数",
        "previous_count" => "上一年项目数",
        "change" => "本年增/减",
        "projects" => "采购项目数",
        "amount" => "采购总金额",
        "natural_person" => "自然人",
        "commercial" => "商业企业",
        "research" => "科研机构",
        "social_welfare" => "社会公益组织",
        "legal_service" => "法律服务机构",
        "other" => "其他",
        "total" => "总计",
        "new_received" => "一、本年新收",
        "carried_over" => "二、上年结转",
        "granted" => "（一）予以公开",
        "partially_granted" => "（二）部分公开",
        "denied_state_secret" => "（三）1.国家秘密",
        "denied_prohibited_by_law" => "（三）2.法律行政法规禁止",
        "denied_three_safeties" => "（三）3.三安全一稳定",
        "denied_third_party" => "（三）4.第三方合法权益",
        "denied_internal_affairs" => "（三）5.三类内部事务",
        "denied_process_info" => "（三）6.四类过程性信息",
        "denied_enforcement_file" => "（三）7.行政执法案卷",
        "denied_query_matter" => "（三）8.行政查询事项",
        "unavailable_not_held" => "（四）1.本机关不掌握",
        "unavailable_needs_creation" => "（四）2.需另行制作",
        "unavailable_unclear" => "（四）3.补正后仍不明确",
        "not_processed_petition" => "（五）1.信访举报投诉",
        "not_processed_duplicate" => "（五）2.重复申请",
        "not_processed_publication" => "（五）3.公开出版物",
        "not_processed_excessive" => "（五）4.大量反复申请",
        "not_processed_confirmation" => "（五）5.确认或重新出具",
        "other_no_correction" => "（六）1.逾期不补正",
        "other_unpaid_fee" => "（六）2.逾期未缴费",
        "other_other" => "（六）3.其他",
        "other_processing" => "（六）其他处理",
        "total_processed" => "（七）总计",
        "carried_forward" => "四、结转下年度",
        "review" => "行政复议",
        "litigation_direct" => "行政诉讼(未经复议)",
        "litigation_after_review" => "行政诉讼(复议后)",
        "upheld" => "维持",
        "corrected" => "纠正",
        "pending" => "尚未审结",
        _ => "",
    }
}

fn num(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Display width in terminal columns: CJK characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// Renders an extraction as text tables with its checks and warnings.
pub fn render(ex: &Extraction) -> String {
    let json = serde_json::to_value(ex).unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} 年度  (template {}, status {}{})",
        ex.agency.as_deref().unwrap_or("(agency unknown)"),
        ex.year.map_or("?".to_string(), |y| y.to_string()),
        ex.template.map_or("unknown", Template::as_str),
        ex.status.as_str(),
        ex.reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    );
    let date = |d: Option<chrono::NaiveDate>| d.map_or("—".to_string(), |d| d.to_string());
    let _ = writeln!(
        out,
        "published {}  source {}  editor {}  signed {}",
        date(ex.publish_date),
        ex.source.as_deref().unwrap_or("—"),
        ex.editor.as_deref().unwrap_or("—"),
        date(ex.signed_date)
    );

    let (active_rows, app_rows) = match ex.template {
        Some(Template::T2019) => (ACTIVE_ROWS_2019, APPLICATION_ROWS_2019),
        _ => (ACTIVE_ROWS_2021, APPLICATION_ROWS_2021),
    };
    let _ = writeln!(out, "\n二、主动公开政府信息情况");
    for (row, fields) in active_rows {
        let vals: Vec<String> = fields
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    label(f),
                    num(json.pointer(&format!("/active_disclosure/{row}/{f}")))
                )
            })
            .collect();
        let _ = writeln!(out, "  {} {}", pad(label(row), 22), vals.join("  "));
    }

    let _ = writeln!(out, "\n三、收到和处理政府信息公开申请情况");
    let mut header = pad("", 28);
    for c in APPLICANT_COLUMNS {
        header.push_str(&pad(label(c), 14));
    }
    let _ = writeln!(out, "  {}", header.trim_end());
    for row in app_rows {
        let mut line = pad(label(row), 28);
        for i in 0..APPLICANT_COLUMNS.len() {
            line.push_str(&pad(
                &num(json.pointer(&format!("/applications/{row}/{i}"))),
                14,
            ));
        }
        let _ = writeln!(out, "  {}", line.trim_end());
    }

    let _ = writeln!(out, "\n四、政府信息公开行政复议、行政诉讼情况");
    let mut header = pad("", 22);
    for f in REVIEW_FIELDS {
        header.push_str(&pad(label(f), 10));
    }
    let _ = writeln!(out, "  {}", header.trim_end());
    for g in REVIEW_GROUPS {
        let mut line = pad(label(g), 22);
        for f in REVIEW_FIELDS {
            line.push_str(&pad(
                &num(json.pointer(&format!("/review_litigation/{g}/{f}"))),
                10,
            ));
        }
        let _ = writeln!(out, "  {}", line.trim_end());
    }

    let broken: Vec<_> = ex
        .checks
        .rules
        .iter()
        .filter(|r| r.ok == Some(false))
        .collect();
    let unchecked = ex.checks.rules.iter().filter(|r| r.ok.is_none()).count();
    let _ = writeln!(
        out,
        "\nchecks: {} passed, {} broken, {} not checkable (blank cells)",
        ex.checks
            .rules
            .iter()
            .filter(|r| r.ok == Some(true))
            .count(),
        broken.len(),
        unchecked
    );
    for r in broken {
        let _ = writeln!(out, "  ✗ rule {} [{}]: {}", r.rule, r.scope, r.detail);
    }
    if !ex.warnings.is_empty() {
        let _ = writeln!(out, "warnings (inferred, not read):");
        for w in &ex.warnings {
            let _ = writeln!(out, "  ! {w}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_values_checks_and_warnings_of_a_real_report() {
        let text = include_str!("../tests/fixtures/reports/002_d64735f63f421535.txt");
        let ex = crate::extract::extract_text(text, &Default::default());
        let shown = render(&ex);
        assert!(shown.contains("卫滨区人民政府 — 2022 年度"), "{shown}");
        assert!(shown.contains("10465"), "licensing decisions shown");
        assert!(shown.contains("104.133"), "fee shown");
        let row = shown.lines().find(|l| l.contains("一、本年新收")).unwrap();
        assert_eq!(
            row.split_whitespace().skip(1).collect::<Vec<_>>(),
            ["12", "0", "0", "0", "0", "0", "12"]
        );
        assert!(shown.contains("0 broken"), "{shown}");
    }

    #[test]
    fn blanks_are_shown_as_dashes_not_zeros() {
        let text = include_str!("../tests/fixtures/reports/004_7685afd25ee59783.txt");
        let shown = render(&crate::extract::extract_text(text, &Default::default()));
        let row = shown.lines().find(|l| l.contains("一、本年新收")).unwrap();
        assert_eq!(
            row.split_whitespace().skip(1).collect::<Vec<_>>(),
            ["6", "—", "—", "—", "—", "—", "6"]
        );
        assert!(shown.contains("warnings (inferred, not read)"), "{shown}");
    }
}
