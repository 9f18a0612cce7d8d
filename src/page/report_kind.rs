//! What a report is: the one decision, from a title and (when the page was
//! read) its content, that the crawler, the extractor and the exports share.
//!
//! A title that reads as a report title is only a candidate. Portals publish
//! pages titled like the report that are not it: explainers (一图读懂, 图解,
//! H5), interpretations (解读), hub pages that list every unit's report
//! (年报汇总), empty 年报 column pages and notices about the report. A page is
//! a report when it states the report template's parts or tables, or when it
//! links the report as an attachment under its report title; an attachment is
//! a report when its own title (or the report page it hangs from) says so.

use crate::patterns::{ReportPatterns, squeeze};

/// Why a page titled like a report is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decoy {
    /// 一图读懂 / 图解 / 图说 / H5 / 长图 explainers.
    Explainer,
    /// 解读: an interpretation of the report.
    Interpretation,
    /// 年报汇总: a hub listing many units' reports.
    Hub,
    /// A notice about the report (通知, 公告, 征集).
    Notice,
    /// Titled like a report, but holds neither the template's parts nor an attachment.
    Empty,
}

impl Decoy {
    /// Stable name, stored in `page_meta.decoy` and shown by `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decoy::Explainer => "explainer",
            Decoy::Interpretation => "interpretation",
            Decoy::Hub => "hub",
            Decoy::Notice => "notice",
            Decoy::Empty => "empty",
        }
    }
}

/// The decision on one page or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The agency's report (page or attachment).
    Report,
    /// Looks like a report and is not.
    Decoy(Decoy),
    /// Not titled as a report at all.
    NotReport,
}

impl Verdict {
    /// True for [`Verdict::Report`].
    pub fn is_report(self) -> bool {
        self == Verdict::Report
    }

    /// The decoy kind, if any.
    pub fn decoy(self) -> Option<Decoy> {
        match self {
            Verdict::Decoy(d) => Some(d),
            _ => None,
        }
    }
}

/// What a read page shows of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Distinct parts of the national template named in the text (一、总体情况 …).
    pub template_parts: usize,
    /// Document-file links (PDF, Word …) on the page, or download links.
    pub attachments: usize,
    /// Tables holding the template's rows (主动公开, 依申请, 行政复议 …).
    pub report_tables: usize,
}

/// Headings of the national template (国办公开办函〔2021〕30号): a report names several.
const TEMPLATE_PARTS: &[&str] = &[
    "总体情况",
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况",
    "政府信息公开行政复议",
    "存在的主要问题及改进情况",
    "其他需要报告的事项",
    "主动公开情况",
    "依申请公开情况",
    "行政复议、行政诉讼",
];

/// Title words of decoys, by kind. Checked on the squeezed title.
const DECOY_WORDS: &[(&str, Decoy)] = &[
    ("一图读懂", Decoy::Explainer),
    ("一图看懂", Decoy::Explainer),
    ("一图解读", Decoy::Explainer),
    ("图解", Decoy::Explainer),
    ("图说", Decoy::Explainer),
    ("长图", Decoy::Explainer),
    ("H5", Decoy::Explainer),
    ("h5", Decoy::Explainer),
    ("动漫", Decoy::Explainer),
    ("视频", Decoy::Explainer),
    ("解读", Decoy::Interpretation),
    ("汇总", Decoy::Hub),
    ("汇编", Decoy::Hub),
    ("通知", Decoy::Notice),
    ("公告", Decoy::Notice),
    ("征集", Decoy::Notice),
];

/// The decoy a report-like title names, if any.
pub fn decoy_in_title(title: &str) -> Option<Decoy> {
    let t = squeeze(title);
    DECOY_WORDS
        .iter()
        .find(|(w, _)| t.contains(w))
        .map(|(_, d)| *d)
}

/// The decision from a title alone: discovery uses it for links, before the
/// page is read. A report-like title without decoy words is a candidate report.
pub fn judge_title(patterns: &ReportPatterns, title: &str) -> Verdict {
    if let Some(d) = decoy_in_title(title)
        && report_like(patterns, title)
    {
        return Verdict::Decoy(d);
    }
    if patterns.is_report_title(title) {
        Verdict::Report
    } else {
        Verdict::NotReport
    }
}

/// The decision on a read page: its title, then what its content shows.
pub fn judge_page(patterns: &ReportPatterns, title: &str, evidence: Evidence) -> Verdict {
    match judge_title(patterns, title) {
        Verdict::Report
            if evidence.template_parts >= 2
                || evidence.report_tables > 0
                || evidence.attachments > 0 =>
        {
            Verdict::Report
        }
        Verdict::Report => Verdict::Decoy(Decoy::Empty),
        other => other,
    }
}

/// The decision on a file: its own title (link text or file name) decides;
/// a file without a report title is the report when it hangs from a report page
/// under a generic download text (点击下载, 附件).
pub fn judge_file(patterns: &ReportPatterns, title: &str, parent_is_report: bool) -> Verdict {
    match judge_title(patterns, title) {
        Verdict::NotReport if parent_is_report => Verdict::Report,
        v => v,
    }
}

/// Words of the template's table rows: a table holding one is a report table.
pub const TABLE_ROW_WORDS: &[&str] = &[
    "主动公开",
    "依申请",
    "行政复议",
    "行政诉讼",
    "收到和处理",
    "信息内容",
    "本年新收",
];

/// How many template parts `text` names.
pub fn template_parts(text: &str) -> usize {
    TEMPLATE_PARTS.iter().filter(|p| text.contains(*p)).count()
}

/// A title that would be a report title but for a decoy word: 解读/通知 are in
/// the default exclusions, so the include patterns alone decide.
fn report_like(patterns: &ReportPatterns, title: &str) -> bool {
    let t = squeeze(title);
    patterns.include.iter().any(|r| r.is_match(&t)) || t.contains("年报")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> ReportPatterns {
        ReportPatterns::default()
    }

    #[test]
    fn decoy_titles_are_named() {
        for (t, d) in [
            (
                "一图读懂某区2023年政府信息公开工作年度报告",
                Decoy::Explainer,
            ),
            (
                "图解：某局2023年度政府信息公开工作年度报告",
                Decoy::Explainer,
            ),
            ("某局2023年政府信息公开工作年度报告（H5）", Decoy::Explainer),
            (
                "《某区2023年政府信息公开工作年度报告》解读",
                Decoy::Interpretation,
            ),
            ("2023年度政府信息公开工作年度报告汇总", Decoy::Hub),
            ("关于2023年政府信息公开工作年度报告的公告", Decoy::Notice),
        ] {
            assert_eq!(judge_title(&p(), t), Verdict::Decoy(d), "{t}");
        }
        assert_eq!(
            judge_title(&p(), "某局2023年政府信息公开工作年度报告"),
            Verdict::Report
        );
        assert_eq!(judge_title(&p(), "区政府常务会议"), Verdict::NotReport);
    }

    #[test]
    fn a_page_needs_parts_or_an_attachment() {
        let t = "某局2023年政府信息公开工作年度报告";
        let text = "一、总体情况 …… 二、主动公开政府信息情况 …… 六、其他需要报告的事项";
        let parts = Evidence {
            template_parts: template_parts(text),
            ..Evidence::default()
        };
        assert_eq!(parts.template_parts, 3);
        assert_eq!(judge_page(&p(), t, parts), Verdict::Report);
        let file = Evidence {
            attachments: 1,
            ..Evidence::default()
        };
        assert_eq!(judge_page(&p(), t, file), Verdict::Report);
        assert_eq!(
            judge_page(&p(), t, Evidence::default()),
            Verdict::Decoy(Decoy::Empty)
        );
        // Parts in an explainer do not make it the report.
        assert_eq!(
            judge_page(&p(), &format!("一图读懂{t}"), parts),
            Verdict::Decoy(Decoy::Explainer)
        );
    }

    #[test]
    fn files_take_the_title_or_the_report_page() {
        assert_eq!(judge_file(&p(), "点击下载", true), Verdict::Report);
        assert_eq!(judge_file(&p(), "点击下载", false), Verdict::NotReport);
        assert_eq!(
            judge_file(&p(), "一图读懂2023年政府信息公开工作年度报告", true),
            Verdict::Decoy(Decoy::Explainer)
        );
    }
}
