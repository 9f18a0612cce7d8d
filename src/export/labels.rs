//! The data dictionary: every export column's key, its Chinese label as the
//! template words it, and the template row it comes from — for `--labels zh`,
//! the XLSX `dictionary` sheet and docs/data-dictionary.md.

use super::keys;
use super::table::{CellValue, Sheet};

/// Column headers: canonical keys, or the template's Chinese labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Labels {
    #[default]
    Keys,
    Zh,
}

impl std::str::FromStr for Labels {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keys" | "key" | "en" => Ok(Labels::Keys),
            "zh" | "cn" | "chinese" => Ok(Labels::Zh),
            other => Err(format!("unknown labels {other:?}: use keys or zh")),
        }
    }
}

/// One export column explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The column as exported with `--labels keys` (`p3.new_received.total`).
    pub key: String,
    /// The column with `--labels zh` (`新收申请·总计`).
    pub label: String,
    /// Where in the template the value stands.
    pub template_row: String,
    /// The templates that have it (`2021, 2019`), empty for provenance.
    pub templates: String,
}

const PROVENANCE: &[(&str, &str, &str)] = &[
    (
        "agency",
        "机关名称",
        "报告标题中的发布机关（按种子名单归属）",
    ),
    ("region", "所属地区", "种子名单的地区"),
    ("year", "报告年度", "报告所述年度"),
    ("url", "网址", "报告页面或附件的网址"),
    ("snapshot_id", "快照编号", "存档中的快照编号"),
    ("fetched_at", "抓取时间", "抓取时间（UTC）"),
    ("publish_date", "发布日期", "页面的发布时间"),
    ("source", "来源", "页面的来源"),
    ("editor", "编辑", "页面的编辑"),
    ("template", "模板", "年度报告格式（2021 或 2019）"),
    (
        "status",
        "提取状态",
        "complete 完整、partial 部分、failed 失败 等",
    ),
    (
        "extractor_version",
        "提取器版本",
        "提取结果所用的提取器版本",
    ),
    // Columns of the other sheets.
    ("row", "行", "表中的行（键）"),
    ("group", "组", "第四部分的组（键）"),
    ("check", "检查", "检查名称"),
    ("scope", "范围", "检查的列或范围"),
    ("ok", "通过", "检查是否通过"),
    ("detail", "说明", "未通过时的说明"),
    ("part", "部分", "报告的部分"),
    ("column", "列", "表中的列（键）"),
    ("value", "数值", "单元格的数值"),
    ("checks_ok", "检查全部通过", "全部一致性检查通过"),
    ("checks_failed", "未通过的检查", "未通过的一致性检查"),
    ("warnings", "警告数", "提取时的警告条数"),
];

const PART2_ROWS: &[(&str, &str)] = &[
    ("rules", "规章"),
    ("normative_documents", "规范性文件"),
    ("licensing", "行政许可"),
    ("other_services", "其他对外管理服务事项"),
    ("penalty", "行政处罚"),
    ("enforcement", "行政强制"),
    ("fees", "行政事业性收费"),
    ("procurement", "政府集中采购"),
];

const PART2_VALUES: &[(&str, &str)] = &[
    ("issued", "本年制发件数"),
    ("repealed", "本年废止件数"),
    ("in_force", "现行有效件数"),
    ("decisions", "处理决定数量"),
    ("amount_10k_yuan", "本年收费金额（万元）"),
    ("made", "本年新制作数量"),
    ("published", "本年新公开数量"),
    ("total_public", "对外公开总数量"),
    ("previous_count", "上一年项目数量"),
    ("change", "本年增/减"),
    ("projects", "采购项目数量"),
    ("amount", "采购总金额"),
];

/// Part 三 rows: key, short label, the template's own row text.
const PART3_ROWS: &[(&str, &str, &str)] = &[
    (
        "new_received",
        "新收申请",
        "一、本年新收政府信息公开申请数量",
    ),
    (
        "carried_over",
        "上年结转",
        "二、上年结转政府信息公开申请数量",
    ),
    ("granted", "予以公开", "三、本年度办理结果 （一）予以公开"),
    (
        "partially_granted",
        "部分公开",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    ),
    (
        "denied_state_secret",
        "不予公开·国家秘密",
        "（三）不予公开 1.属于国家秘密",
    ),
    (
        "denied_prohibited_by_law",
        "不予公开·法律行政法规禁止",
        "（三）不予公开 2.其他法律行政法规禁止公开",
    ),
    (
        "denied_three_safeties",
        "不予公开·三安全一稳定",
        "（三）不予公开 3.危及“三安全一稳定”",
    ),
    (
        "denied_third_party",
        "不予公开·第三方合法权益",
        "（三）不予公开 4.保护第三方合法权益",
    ),
    (
        "denied_internal_affairs",
        "不予公开·内部事务信息",
        "（三）不予公开 5.属于三类内部事务信息",
    ),
    (
        "denied_process_info",
        "不予公开·过程性信息",
        "（三）不予公开 6.属于四类过程性信息",
    ),
    (
        "denied_enforcement_file",
        "不予公开·行政执法案卷",
        "（三）不予公开 7.属于行政执法案卷",
    ),
    (
        "denied_query_matter",
        "不予公开·行政查询事项",
        "（三）不予公开 8.属于行政查询事项",
    ),
    (
        "unavailable_not_held",
        "无法提供·本机关不掌握",
        "（四）无法提供 1.本机关不掌握相关政府信息",
    ),
    (
        "unavailable_needs_creation",
        "无法提供·需另行制作",
        "（四）无法提供 2.没有现成信息需要另行制作",
    ),
    (
        "unavailable_unclear",
        "无法提供·补正后仍不明确",
        "（四）无法提供 3.补正后申请内容仍不明确",
    ),
    (
        "not_processed_petition",
        "不予处理·信访举报投诉",
        "（五）不予处理 1.信访举报投诉类申请",
    ),
    (
        "not_processed_duplicate",
        "不予处理·重复申请",
        "（五）不予处理 2.重复申请",
    ),
    (
        "not_processed_publication",
        "不予处理·公开出版物",
        "（五）不予处理 3.要求提供公开出版物",
    ),
    (
        "not_processed_excessive",
        "不予处理·大量反复申请",
        "（五）不予处理 4.无正当理由大量反复申请",
    ),
    (
        "not_processed_confirmation",
        "不予处理·确认或重新出具",
        "（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
    ),
    (
        "other_no_correction",
        "其他处理·逾期不补正",
        "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    (
        "other_unpaid_fee",
        "其他处理·逾期未缴费",
        "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    ("other_other", "其他处理·其他", "（六）其他处理 3.其他"),
    ("other_processing", "其他处理", "（六）其他处理"),
    ("total_processed", "办理结果总计", "（七）总计"),
    ("carried_forward", "结转下年度", "四、结转下年度继续办理"),
];

const APPLICANTS: &[(&str, &str)] = &[
    ("natural_person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social_welfare", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other", "其他"),
    ("total", "总计"),
];

const REVIEW_GROUPS: &[(&str, &str)] = &[
    ("review", "行政复议"),
    ("litigation_direct", "行政诉讼·未经复议直接起诉"),
    ("litigation_after_review", "行政诉讼·复议后起诉"),
];

const REVIEW_FIELDS: &[(&str, &str)] = &[
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
];

fn find<'a>(table: &'a [(&str, &'a str)], key: &str) -> Option<&'a str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn part3(key: &str) -> Option<(&'static str, &'static str)> {
    PART3_ROWS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, s, l)| (*s, *l))
}

/// The templates (of `keys::TEMPLATES`) whose part 二 has this row and value.
fn part2_templates(row: &str, value: &str) -> Vec<&'static str> {
    keys::TEMPLATES
        .iter()
        .filter(|t| {
            keys::active_disclosure(Some(t))
                .iter()
                .any(|(r, vs)| *r == row && vs.contains(&value))
        })
        .copied()
        .collect()
}

fn part3_templates(row: &str) -> Vec<&'static str> {
    keys::TEMPLATES
        .iter()
        .filter(|t| keys::application_rows(Some(t)).contains(&row))
        .copied()
        .collect()
}

/// The entry of an export column, if it is one nianbao writes.
pub fn entry(key: &str) -> Option<Entry> {
    if let Some((_, label, row)) = PROVENANCE.iter().find(|(k, _, _)| *k == key) {
        return Some(Entry {
            key: key.into(),
            label: (*label).into(),
            template_row: (*row).into(),
            templates: String::new(),
        });
    }
    let parts: Vec<&str> = key.split('.').collect();
    let (label, template_row, templates) = match parts.as_slice() {
        ["p2", row, value] => {
            let r = find(PART2_ROWS, row)?;
            let v = find(PART2_VALUES, value)?;
            (
                format!("{r}·{v}"),
                format!("二、主动公开政府信息情况 · {r} · {v}"),
                part2_templates(row, value),
            )
        }
        ["p3", row, applicant] => {
            let (short, full) = part3(row)?;
            let a = find(APPLICANTS, applicant)?;
            (
                format!("{short}·{a}"),
                format!("三、收到和处理政府信息公开申请情况 · {full} · {a}"),
                part3_templates(row),
            )
        }
        ["p4", group, field] => {
            let g = find(REVIEW_GROUPS, group)?;
            let f = find(REVIEW_FIELDS, field)?;
            (
                format!("{g}·{f}"),
                format!("四、政府信息公开行政复议、行政诉讼情况 · {g} · {f}"),
                keys::TEMPLATES.to_vec(),
            )
        }
        ["check", "balance", applicant] => {
            let a = find(APPLICANTS, applicant)?;
            (
                format!("勾稽关系·{a}"),
                format!(
                    "三 · 本列数据的勾稽关系（第一项加第二项之和，等于第三项加第四项之和） · {a}"
                ),
                keys::TEMPLATES.to_vec(),
            )
        }
        // Column keys of the applications and review sheets.
        [single] => {
            let label = find(APPLICANTS, single).or_else(|| find(REVIEW_FIELDS, single))?;
            (
                label.to_string(),
                format!("表中的列 · {label}"),
                keys::TEMPLATES.to_vec(),
            )
        }
        _ => return None,
    };
    Some(Entry {
        key: key.into(),
        label,
        template_row,
        templates: templates.join(", "),
    })
}

/// A column's header under `labels`; a column with no entry keeps its key.
pub fn header(key: &str, labels: Labels) -> String {
    match labels {
        Labels::Keys => key.to_string(),
        Labels::Zh => entry(key).map_or_else(|| key.to_string(), |e| e.label),
    }
}

/// Renames a sheet's columns to `labels`.
pub fn apply(sheet: &mut Sheet, labels: Labels) {
    if labels == Labels::Keys {
        return;
    }
    let review = sheet.name == "review_litigation";
    for c in &mut sheet.columns {
        *c = match find(REVIEW_FIELDS, c) {
            Some(l) if review => l.to_string(),
            _ => header(c, labels),
        };
    }
}

/// The dictionary of the given columns (those of the `reports` sheet, in order).
pub fn dictionary(columns: &[String]) -> Vec<Entry> {
    columns.iter().filter_map(|c| entry(c)).collect()
}

/// The dictionary as a sheet (`key`, `label`, `template_row`, `templates`).
pub fn dictionary_sheet(columns: &[String]) -> Sheet {
    let mut s = Sheet::new("dictionary", &["key", "label", "template_row", "templates"]);
    for e in dictionary(columns) {
        s.rows.push(vec![
            CellValue::Text(e.key),
            CellValue::Text(e.label),
            CellValue::Text(e.template_row),
            CellValue::Text(e.templates),
        ]);
    }
    s
}

/// The dictionary as the Markdown of docs/data-dictionary.md.
pub fn dictionary_markdown(columns: &[String]) -> String {
    let mut out = String::from(
        "# Data dictionary\n\n\
         Every column of `nianbao export` (CSV, and the `reports` sheet of the XLSX):\n\
         its key (the header by default), its Chinese label (the header with\n\
         `--labels zh`), the template row it comes from, and the templates that\n\
         have it. A column of a template a report does not use is empty. The XLSX\n\
         carries this table as its `dictionary` sheet. Generated from the code\n\
         (`src/export/labels.rs`); a test keeps this file identical.\n\n\
         | key | label | template row | templates |\n|---|---|---|---|\n",
    );
    for e in dictionary(columns) {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            e.key, e.label, e.template_row, e.templates
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_the_template() {
        assert_eq!(
            header("p3.new_received.natural_person", Labels::Zh),
            "新收申请·自然人"
        );
        assert_eq!(header("p3.new_received.total", Labels::Zh), "新收申请·总计");
        assert_eq!(header("p4.review.upheld", Labels::Zh), "行政复议·结果维持");
        assert_eq!(header("agency", Labels::Zh), "机关名称");
        assert_eq!(
            header("p3.new_received.total", Labels::Keys),
            "p3.new_received.total"
        );
        let e = entry("p3.other_processing.total").unwrap();
        assert_eq!(e.templates, "2019");
        assert_eq!(entry("p3.granted.total").unwrap().templates, "2021, 2019");
        assert_eq!(entry("p2.fees.amount_10k_yuan").unwrap().templates, "2021");
        assert!(entry("p9.nothing").is_none());
        assert_eq!("zh".parse::<Labels>(), Ok(Labels::Zh));
        assert!("fr".parse::<Labels>().is_err());
    }

    #[test]
    fn every_key_of_both_templates_has_a_label() {
        for t in keys::TEMPLATES {
            for (row, values) in keys::active_disclosure(Some(t)) {
                for v in *values {
                    assert!(entry(&format!("p2.{row}.{v}")).is_some(), "p2.{row}.{v}");
                }
            }
            for row in keys::application_rows(Some(t)) {
                for a in keys::APPLICANT_COLUMNS {
                    assert!(entry(&format!("p3.{row}.{a}")).is_some(), "p3.{row}.{a}");
                }
            }
        }
        for g in keys::REVIEW_GROUPS {
            for f in keys::REVIEW_COLUMNS {
                assert!(entry(&format!("p4.{g}.{f}")).is_some(), "p4.{g}.{f}");
            }
        }
    }
}
