//! Page metadata: title, publish date, source, editor, column, site and kind of a fetched page.
//!
//! Read from the national site guideline's `<meta>` tags first, then from the
//! visible `发布时间：… 来源：… 编辑：…` line(s). The extractor uses the same
//! functions, so a report's publish date is read one way only.

use crate::document::Document;
use crate::page::report_kind::{self, Decoy, Evidence, Verdict};
use crate::patterns::{ReportPatterns, fold_width, report_year, squeeze};
use chrono::NaiveDate;
use regex::Regex;
use scraper::{ElementRef, Html};
use std::sync::LazyLock;

/// What an archived snapshot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageKind {
    /// A page whose title reads as an annual report title.
    Report,
    /// A column or list page that links reports.
    Listing,
    /// Titled like a report and is not one (see [`crate::page::report_kind`]).
    Decoy,
    /// A file (PDF, Word …) that a report page or a report link points at.
    Attachment,
    /// Anything else.
    #[default]
    Other,
}

impl PageKind {
    /// True for the kinds that are or hold a report: the snapshots the
    /// extractor reads and the answers count. The store's SQL lists the same
    /// kinds (`store::kinds`, checked by a test).
    pub fn holds_report(self) -> bool {
        matches!(self, PageKind::Report | PageKind::Attachment)
    }
}

#[derive(Debug, Clone, PartialEq)]
/// What a fetched page says about itself.
pub struct PageMeta {
    /// Title (an attachment: its link text).
    pub title: Option<String>,
    /// Publish date.
    pub publish_date: Option<NaiveDate>,
    /// Publishing office (来源).
    pub source: Option<String>,
    /// Responsible editor (编辑).
    pub editor: Option<String>,
    /// CMS column name.
    pub column: Option<String>,
    /// Site name.
    pub site_name: Option<String>,
    /// Report year the title names.
    pub report_year: Option<i32>,
    /// Agency name read from the report title, e.g. "沈阳市辽中区人民政府办公室".
    pub agency: Option<String>,
    /// What it is.
    pub kind: PageKind,
    /// Why a report-like page is not the report, for [`PageKind::Decoy`].
    pub decoy: Option<Decoy>,
}

/// Publish date, source and editor of a report, as one page or document states them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisibleMeta {
    /// Publish date.
    pub publish_date: Option<NaiveDate>,
    /// Publishing office (来源).
    pub source: Option<String>,
    /// Responsible editor (编辑).
    pub editor: Option<String>,
}

impl VisibleMeta {
    /// The one precedence for a report's publish date, source and editor:
    /// each from the first of `sources` that states it, most specific first
    /// (the report's own text, then the page it was archived with, then the
    /// page it hangs from). Used by the extraction stage and the exports alike.
    pub fn first_stated(sources: impl IntoIterator<Item = VisibleMeta>) -> VisibleMeta {
        let mut out = VisibleMeta::default();
        for m in sources {
            out.publish_date = out.publish_date.or(m.publish_date);
            out.source = out.source.or(m.source);
            out.editor = out.editor.or(m.editor);
            if out.publish_date.is_some() && out.source.is_some() && out.editor.is_some() {
                break;
            }
        }
        out
    }
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
        .expect("static regex")
});
static COMPACT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)((?:19|20)\d{2})(\d{2})(\d{2})(?:\D|$)").expect("static regex")
});
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(发布时间|发布日期|成文日期|发文日期|印发日期|更新时间|日期|时间|信息来源|文章来源|来源|责任编辑|编辑|作者|浏览次数|点击数|阅读数|访问量|字号|字体)\s*[:：]")
        .expect("static regex")
});
static YEAR_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*?)(?:19|20)\d{2}\s*年").expect("static regex"));

/// A date in any common shape: `2024-01-12`, `2024/1/12`, `2024.01.12`,
/// `2024年1月12日`, with a time or brackets around it, or `20240112`.
pub fn parse_cn_date(s: &str) -> Option<NaiveDate> {
    let s = fold_width(s);
    if let Some(c) = DATE.captures(&s) {
        let d = NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
        if d.is_some() {
            return d;
        }
    }
    let c = COMPACT_DATE.captures(&s)?;
    NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

/// The text before the year in a report title:
/// "西工区城市改造办公室2022年政府信息公开工作年度报告" → "西工区城市改造办公室".
pub fn agency_from_title(title: &str) -> Option<String> {
    let t = fold_width(&squeeze(title));
    let c = YEAR_PREFIX.captures(&t)?;
    let agency = c[1]
        .trim_start_matches(['#', '-', '*', '【', '[', '《'])
        .trim_end_matches(['（', '(', '《', '-', '_', '：', ':', '、'])
        .trim_start_matches("关于")
        .trim_end_matches("关于");
    if !agency.is_empty() {
        return Some(agency.to_string());
    }
    // Year first: "2022年度某区人民政府政府信息公开工作年度报告" → the name between year and subject.
    let rest = t[c.get(0)?.end()..].trim_start_matches('度');
    let end = ["政府信息公开", "政务公开", "信息公开"]
        .iter()
        .filter_map(|k| rest.find(k))
        .min()?;
    let name = &rest[..end];
    (!name.is_empty()).then(|| name.to_string())
}

/// Publish date, source and editor from lines such as
/// `发布时间：2024年01月12日 来源：办公室 编辑：张三` or one field per line/list item.
pub fn visible_meta(text: &str) -> VisibleMeta {
    let mut out = VisibleMeta::default();
    let mut editor_rank = usize::MAX;
    let mut date_rank = usize::MAX;
    let mut source_rank = usize::MAX;
    for line in text.lines() {
        // Every field is followed by a colon: lines without one need no regex.
        if !(line.contains(':') || line.contains('：')) {
            continue;
        }
        let line = line
            .trim()
            .trim_start_matches(['-', '*', '•', '·', '[', '【', ' ', '\t']);
        if line.is_empty() || line.chars().count() > 120 {
            continue;
        }
        let fields: Vec<_> = FIELD.captures_iter(line).collect();
        let Some(first) = fields.first() else {
            continue;
        };
        // Prose mentions a 来源 in passing; a metadata line is led by its field or is short.
        let lead = first.get(0).map_or(0, |m| m.start());
        if lead > 0 && line.chars().count() > 60 {
            continue;
        }
        for (i, cap) in fields.iter().enumerate() {
            let (Some(whole), Some(key)) = (cap.get(0), cap.get(1)) else {
                continue;
            };
            let end = fields
                .get(i + 1)
                .and_then(|c| c.get(0))
                .map_or(line.len(), |m| m.start());
            let value = clean_value(&line[whole.end()..end]);
            match key.as_str() {
                // 成文/发文/印发日期 date the document, not its publication: never read.
                k @ ("发布时间" | "发布日期" | "日期" | "时间") => {
                    let rank = usize::from(matches!(k, "日期" | "时间"));
                    if rank < date_rank
                        && let Some(d) = parse_cn_date(&value)
                    {
                        date_rank = rank;
                        out.publish_date = Some(d);
                    }
                }
                k @ ("信息来源" | "文章来源" | "来源") => {
                    let rank = ["信息来源", "文章来源", "来源"]
                        .iter()
                        .position(|x| *x == k)
                        .unwrap_or(9);
                    if !value.is_empty() && rank < source_rank {
                        source_rank = rank;
                        out.source = Some(value);
                    }
                }
                k @ ("责任编辑" | "编辑" | "作者") => {
                    let rank = ["责任编辑", "编辑", "作者"]
                        .iter()
                        .position(|x| *x == k)
                        .unwrap_or(9);
                    if !value.is_empty() && rank < editor_rank {
                        editor_rank = rank;
                        out.editor = Some(value);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn clean_value(v: &str) -> String {
    let v = v.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '|' | '丨' | '｜' | '\u{a0}' | '\u{3000}' | '】' | ']' | '[' | '【'
            )
    });
    // A run of spaces separates a value from unlabelled trailing text (`办公室   打印本页`).
    let v = v.split("  ").next().unwrap_or("");
    let v = v.split(['\u{3000}', '\u{a0}']).next().unwrap_or("");
    v.trim().to_string()
}

/// Class names portals give an article's heading.
const HEADING_CLASSES: &[&str] = &[
    "title",
    "article-title",
    "tit",
    "bt",
    "detail-title",
    "con-title",
];

/// What page metadata needs from the DOM, collected in one pass over it
/// (each further `select` walked the whole tree again: six walks a page).
#[derive(Default)]
struct Scan {
    /// `<meta name=… content=…>` with the name lower-cased.
    metas: Vec<(String, String)>,
    title: Option<String>,
    headings: Vec<String>,
    /// Every `<a>`, in document order.
    links: Vec<ScanLink>,
    /// Tables holding a row of the report template.
    report_tables: usize,
    /// List items with a date and a link: the marks of a CMS list.
    dated_items: usize,
}

/// One `<a>` of the page.
struct ScanLink {
    text: String,
    href: Option<String>,
    title: Option<String>,
}

/// How much of the page a [`Scan`] reads.
#[derive(Clone, Copy, PartialEq)]
enum Reach {
    /// Metas, `<title>` and headings: what a report says about itself.
    Heads,
    /// Also links, report tables and dated list items: what the page is.
    Everything,
}

impl Scan {
    fn of(dom: &Html, reach: Reach) -> Scan {
        let mut scan = Scan::default();
        let text = |e: ElementRef<'_>| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        for el in dom
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
        {
            let v = el.value();
            match v.name() {
                "meta" => {
                    if let (Some(name), Some(content)) = (v.attr("name"), v.attr("content")) {
                        let content = content.trim();
                        if !content.is_empty() {
                            scan.metas
                                .push((name.to_ascii_lowercase(), content.to_string()));
                        }
                    }
                }
                "title" if scan.title.is_none() => {
                    scan.title = Some(text(el)).filter(|t| !t.is_empty());
                }
                "h1" | "h2" | "h3" => scan.headings.push(text(el)),
                _ => {
                    // Straight from the attributes: `classes()` would intern every class
                    // name of every element of the page.
                    if v.attrs().any(|(name, value)| match name {
                        "class" => value
                            .split_ascii_whitespace()
                            .any(|c| HEADING_CLASSES.contains(&c)),
                        "id" => value == "title",
                        _ => false,
                    }) {
                        scan.headings.push(text(el));
                    }
                }
            }
            if reach == Reach::Heads {
                continue;
            }
            match v.name() {
                "a" => scan.links.push(ScanLink {
                    text: el.text().collect(),
                    href: v.attr("href").map(str::to_string),
                    title: v.attr("title").map(str::to_string),
                }),
                "table" => {
                    let text: String = el.text().collect();
                    if report_kind::TABLE_ROW_WORDS
                        .iter()
                        .any(|w| text.contains(w))
                    {
                        scan.report_tables += 1;
                    }
                }
                "li" => {
                    let has_link = el
                        .descendants()
                        .skip(1)
                        .filter_map(ElementRef::wrap)
                        .any(|d| d.value().name() == "a");
                    if has_link && DATE.is_match(&fold_width(&el.text().collect::<String>())) {
                        scan.dated_items += 1;
                    }
                }
                _ => {}
            }
        }
        scan
    }

    fn meta(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.metas
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c.clone())
    }
}

/// `<title>` without a site-name suffix (`…_沈阳市人民政府`, `… - 某某网`).
fn strip_site_suffix(title: &str) -> (String, Option<String>) {
    for sep in ["_", " - ", "－", "—", "|", "｜", " -"] {
        if let Some(pos) = title.find(sep) {
            let (head, tail) = (title[..pos].trim(), title[pos + sep.len()..].trim());
            if !head.is_empty() {
                return (
                    head.to_string(),
                    (!tail.is_empty()).then(|| tail.to_string()),
                );
            }
        }
    }
    (title.trim().to_string(), None)
}

/// Metadata of an HTML page (already decoded).
pub fn page_meta(html: &str, patterns: &ReportPatterns) -> PageMeta {
    let dom = crate::formats::nesting::parse_document(html);
    let doc = crate::formats::dom_to_document(&dom);
    page_meta_parsed(&dom, &doc, patterns)
}

/// [`page_meta`] on a page already parsed, with its blocks.
pub fn page_meta_parsed(dom: &Html, doc: &Document, patterns: &ReportPatterns) -> PageMeta {
    page_meta_with_text(dom, &doc.plain_text(), patterns)
}

/// What a page states about itself: its title and the visible publish date,
/// source and editor, metas first. The extractor needs only this; page facts
/// take it as their first part.
pub(crate) struct Heads {
    /// `ArticleTitle`, else the one report heading, else `<title>` without its site suffix.
    pub title: Option<String>,
    /// The publish date, source and editor the page states.
    pub visible: VisibleMeta,
    column: Option<String>,
    site_name: Option<String>,
}

/// [`Heads`] of a parsed page, given its plain text (the extractor has it already).
pub(crate) fn page_heads(dom: &Html, plain: &str, patterns: &ReportPatterns) -> Heads {
    heads(&Scan::of(dom, Reach::Heads), plain, patterns)
}

fn heads(scan: &Scan, plain: &str, patterns: &ReportPatterns) -> Heads {
    let (title_head, title_site) = scan
        .title
        .as_deref()
        .map(strip_site_suffix)
        .map_or((None, None), |(h, s)| (Some(h), s));
    let heading: Vec<&String> = scan
        .headings
        .iter()
        .filter(|t| patterns.is_report_title(t))
        .collect();
    // One report heading is the page's title; several distinct ones are a list of reports.
    let heading = match heading.first() {
        Some(first) if heading.iter().all(|h| squeeze(h) == squeeze(first)) => {
            Some((*first).clone())
        }
        _ => None,
    };
    let title = scan.meta("ArticleTitle").or(heading).or(title_head);
    let visible = visible_meta(plain);
    Heads {
        title,
        visible: VisibleMeta {
            publish_date: scan
                .meta("PubDate")
                .and_then(|d| parse_cn_date(&d))
                .or(visible.publish_date),
            source: scan.meta("ContentSource").or(visible.source),
            editor: scan.meta("Author").or(visible.editor),
        },
        column: scan.meta("ColumnName"),
        site_name: scan.meta("SiteName").or(title_site),
    }
}

/// [`page_meta_parsed`] given the page's plain text.
fn page_meta_with_text(dom: &Html, plain: &str, patterns: &ReportPatterns) -> PageMeta {
    let scan = Scan::of(dom, Reach::Everything);
    let Heads {
        title,
        visible,
        column,
        site_name,
    } = heads(&scan, plain, patterns);
    // A column page is often titled like a report ("政府信息公开年报") but names no
    // year and lists many reports: that is a listing, not a report.
    let listing = looks_like_listing(&scan, patterns);
    let evidence = Evidence {
        template_parts: report_kind::template_parts(plain),
        attachments: attachment_links(&scan),
        report_tables: scan.report_tables,
    };
    let verdict = title.as_deref().map_or(Verdict::NotReport, |t| {
        report_kind::judge_page(patterns, t, evidence)
    });
    let is_report =
        verdict.is_report() && (title.as_deref().and_then(report_year).is_some() || !listing);
    let decoy = match verdict {
        // A report-titled page naming no year (or listing reports) is the report
        // column, not a decoy; an empty page naming a year is.
        Verdict::Decoy(Decoy::Empty)
            if listing || title.as_deref().and_then(report_year).is_none() =>
        {
            None
        }
        Verdict::Decoy(d) => Some(d),
        _ => None,
    };
    let kind = if is_report {
        PageKind::Report
    } else if decoy.is_some() {
        PageKind::Decoy
    } else if listing {
        PageKind::Listing
    } else {
        PageKind::Other
    };
    let (report_year_v, agency) = match (&title, is_report) {
        (Some(t), true) => (report_year(t), agency_from_title(t)),
        _ => (None, None),
    };
    PageMeta {
        title,
        publish_date: visible.publish_date,
        source: visible.source,
        editor: visible.editor,
        column,
        site_name,
        report_year: report_year_v,
        agency,
        kind,
        decoy,
    }
}

/// Links to document files or download handlers on a page: a report page
/// whose tables sit in an attachment links one.
fn attachment_links(scan: &Scan) -> usize {
    let base = url::Url::parse("http://page.invalid/").expect("static url");
    scan.links
        .iter()
        .filter(|a| {
            a.href
                .as_deref()
                .and_then(|h| base.join(h.trim()).ok())
                .is_some_and(|u| crate::crawl::discover::is_file_link(&u, &a.text))
        })
        .count()
}

/// Several report links, or the marks of a CMS list (many dated links, pagination).
fn looks_like_listing(scan: &Scan, patterns: &ReportPatterns) -> bool {
    // Lists cut long titles short ("…政府信息公开...") and keep them whole in `title`.
    let report_links = scan
        .links
        .iter()
        .filter(|a| {
            patterns.is_report_title(&a.text)
                || a.title
                    .as_deref()
                    .is_some_and(|t| patterns.is_report_title(t))
        })
        .count();
    if report_links >= 2 {
        return true;
    }
    let pagination = scan.links.iter().any(|a| {
        matches!(
            a.text.trim(),
            "下一页" | "尾页" | "末页" | "上一页" | "首页 "
        )
    });
    let dated_items = scan.dated_items;
    dated_items >= 8 || (dated_items >= 3 && pagination)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn every_date_shape() {
        for s in [
            "2024-01-12",
            "2024/1/12",
            "2024.01.12",
            "2024年1月12日",
            "2024年01月12日 10:32",
            "[2024-01-12]",
            "２０２４年１月１２日",
            "2024-01-12 09:00:00",
            "20240112",
        ] {
            assert_eq!(parse_cn_date(s), d(2024, 1, 12), "{s}");
        }
        assert_eq!(parse_cn_date("2024-02-30"), None);
        assert_eq!(parse_cn_date("无"), None);
    }

    #[test]
    fn agency_is_the_text_before_the_year() {
        assert_eq!(
            agency_from_title("西工区城市改造办公室2022年政府信息公开工作年度报告").as_deref(),
            Some("西工区城市改造办公室")
        );
        assert_eq!(
            agency_from_title("卫滨区人民政府 2022 年政府信息公开工作年度报告").as_deref(),
            Some("卫滨区人民政府")
        );
        assert_eq!(agency_from_title("2021年政府信息公开年报"), None);
        assert_eq!(
            agency_from_title("2022年度沈阳市辽中区人民政府政府信息公开工作年度报告").as_deref(),
            Some("沈阳市辽中区人民政府")
        );
    }

    #[test]
    fn visible_line_with_several_fields() {
        let m = visible_meta(
            "首页 > 信息公开\n发布时间：2024年01月12日  来源：办公室  编辑：张三  浏览次数：12\n正文",
        );
        assert_eq!(m.publish_date, d(2024, 1, 12));
        assert_eq!(m.source.as_deref(), Some("办公室"));
        assert_eq!(m.editor.as_deref(), Some("张三"));
    }

    #[test]
    fn document_date_is_not_the_publish_date() {
        let m = visible_meta("成文日期：2023-12-28\n日期：2024-01-05  来源：区政府办");
        assert_eq!(m.publish_date, d(2024, 1, 5));
        let m = visible_meta("时间：2024-01-05\n发布时间：2024年1月8日 10:00");
        assert_eq!(m.publish_date, d(2024, 1, 8));
        let m = visible_meta("成文日期：2023-12-28 发文字号：某政办〔2023〕1号");
        assert_eq!(m.publish_date, None);
    }

    #[test]
    fn seed_004_list() {
        let m = visible_meta(
            "- 发布时间:2024年01月12日\n- 编辑:辽宁省机关事务管理局管理员\n- 来源:办公室\n辽宁省机关事务管理局2023年",
        );
        assert_eq!(m.publish_date, d(2024, 1, 12));
        assert_eq!(m.editor.as_deref(), Some("辽宁省机关事务管理局管理员"));
        assert_eq!(m.source.as_deref(), Some("办公室"));
    }

    #[test]
    fn prose_is_not_metadata() {
        let m = visible_meta(
            "本机关坚持以公开为常态，信息来源：各科室报送的材料经审核后统一发布，确保信息准确，全年累计公开各类信息421条，做到应公开尽公开。",
        );
        assert_eq!(m, VisibleMeta::default());
    }

    #[test]
    fn meta_tags_win_over_the_visible_line() {
        let html = r#"<html><head><title>某局2023年政府信息公开工作年度报告_某市人民政府</title>
            <meta name="ArticleTitle" content="某局2023年政府信息公开工作年度报告">
            <meta name="PubDate" content="2024-01-15 09:00">
            <meta name="ContentSource" content="某局">
            <meta name="ColumnName" content="年度报告"><meta name="SiteName" content="某市人民政府">
            </head><body><h1>别的标题</h1><div>发布时间：2024年01月12日 来源：办公室 编辑：张三</div>
            <p>一、总体情况</p><p>二、主动公开政府信息情况</p></body></html>"#;
        let m = page_meta(html, &ReportPatterns::default());
        assert_eq!(
            m.title.as_deref(),
            Some("某局2023年政府信息公开工作年度报告")
        );
        assert_eq!(m.publish_date, d(2024, 1, 15));
        assert_eq!(m.source.as_deref(), Some("某局"));
        assert_eq!(m.editor.as_deref(), Some("张三"));
        assert_eq!(m.column.as_deref(), Some("年度报告"));
        assert_eq!(m.site_name.as_deref(), Some("某市人民政府"));
        assert_eq!(m.kind, PageKind::Report);
        assert_eq!(m.report_year, Some(2023));
        assert_eq!(m.agency.as_deref(), Some("某局"));
    }

    #[test]
    fn title_tag_minus_site_suffix_and_listing() {
        let html = "<html><head><title>通知公告 - 某某网</title></head><body><ul>\
            <li><a href=1>甲局2022年政府信息公开工作年度报告</a></li>\
            <li><a href=2>乙局2022年政府信息公开工作年度报告</a></li></ul></body></html>";
        let m = page_meta(html, &ReportPatterns::default());
        assert_eq!(m.title.as_deref(), Some("通知公告"));
        assert_eq!(m.site_name.as_deref(), Some("某某网"));
        assert_eq!(m.kind, PageKind::Listing);
        let list = "<html><head><title>年度报告</title></head><body>\
            <h3><a href=1>甲局2022年政府信息公开工作年度报告</a></h3>\
            <h3><a href=2>乙局2022年政府信息公开工作年度报告</a></h3></body></html>";
        assert_eq!(
            page_meta(list, &ReportPatterns::default()).kind,
            PageKind::Listing
        );
        let other = page_meta(
            "<html><head><title>联系我们</title></head><body>电话</body></html>",
            &ReportPatterns::default(),
        );
        assert_eq!(other.kind, PageKind::Other);
        assert_eq!(other.kind, PageKind::Other);
    }

    #[test]
    fn one_scan_counts_dated_list_items_report_tables_and_file_links() {
        let items: String = (1..=8)
            .map(|i| format!("<li><a href=n{i}.html>通知{i}</a><span>2023-01-0{i}</span></li>"))
            .collect();
        let dated = format!(
            "<html><head><title>通知公告</title></head><body><ul>{items}</ul></body></html>"
        );
        let scan = Scan::of(&Html::parse_document(&dated), Reach::Everything);
        assert_eq!(scan.dated_items, 8);
        assert_eq!(scan.links.len(), 8);
        assert_eq!(
            page_meta(&dated, &ReportPatterns::default()).kind,
            PageKind::Listing
        );
        // Dates without a link in their item are not a list's marks.
        let bare: String = (1..=8).map(|i| format!("<li>2023-01-0{i}</li>")).collect();
        let scan = Scan::of(
            &Html::parse_document(&format!("<ul>{bare}</ul>")),
            Reach::Everything,
        );
        assert_eq!(scan.dated_items, 0);
        let page = "<html><body><table><tr><td>本年新收政府信息公开申请数量</td><td>3</td></tr></table>\
            <table><tr><td>联系电话</td></tr></table>\
            <a href=\"/f/report.pdf\">附件</a><a name=top>顶部</a></body></html>";
        let scan = Scan::of(&Html::parse_document(page), Reach::Everything);
        assert_eq!(scan.report_tables, 1);
        assert_eq!(scan.links.len(), 2);
        assert_eq!(
            attachment_links(&scan),
            1,
            "an <a> without href is no file link"
        );
    }

    #[test]
    fn gbk_page_through_charset_decode() {
        let html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">\
            <title>某区2022年政府信息公开工作年度报告_某区政府</title></head>\
            <body><p>发布日期：2023-01-30　来源：区政府办</p><p>一、总体情况</p><p>二、主动公开政府信息情况</p></body></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(html);
        let decoded = crate::page::charset::decode(&bytes, Some("text/html"));
        let m = page_meta(&decoded.text, &ReportPatterns::default());
        assert_eq!(
            m.title.as_deref(),
            Some("某区2022年政府信息公开工作年度报告")
        );
        assert_eq!(m.publish_date, d(2023, 1, 30));
        assert_eq!(m.source.as_deref(), Some("区政府办"));
        assert_eq!(m.agency.as_deref(), Some("某区"));
        assert_eq!(m.kind, PageKind::Report);
    }

    #[test]
    fn decoys_are_pages_of_their_own_kind() {
        let p = ReportPatterns::default();
        let explainer = page_meta(
            "<html><head><title>一图读懂某局2023年政府信息公开工作年度报告</title></head><body><img src=a.png></body></html>",
            &p,
        );
        assert_eq!(explainer.kind, PageKind::Decoy);
        assert_eq!(explainer.decoy, Some(Decoy::Explainer));
        let empty = page_meta(
            "<html><head><title>某局2023年政府信息公开工作年度报告</title></head><body><p>暂无内容</p></body></html>",
            &p,
        );
        assert_eq!(empty.kind, PageKind::Decoy);
        assert_eq!(empty.decoy, Some(Decoy::Empty));
        // A report page whose report is its attachment.
        let by_file = page_meta(
            "<html><head><title>某局2023年政府信息公开工作年度报告</title></head><body><a href=\"/f/nb.pdf\">附件</a></body></html>",
            &p,
        );
        assert_eq!(by_file.kind, PageKind::Report);
        assert_eq!(by_file.decoy, None);
    }

    #[test]
    fn publish_facts_come_from_the_most_specific_source_that_states_each() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2023, 1, d);
        let document = VisibleMeta {
            publish_date: day(5),
            ..VisibleMeta::default()
        };
        let page = VisibleMeta {
            publish_date: day(9),
            source: Some("办公室".into()),
            editor: None,
        };
        let parent = VisibleMeta {
            publish_date: day(1),
            source: Some("政府".into()),
            editor: Some("张三".into()),
        };
        let got = VisibleMeta::first_stated([document, page, parent]);
        assert_eq!(got.publish_date, day(5));
        assert_eq!(got.source.as_deref(), Some("办公室"));
        assert_eq!(got.editor.as_deref(), Some("张三"));
        assert_eq!(VisibleMeta::first_stated([]), VisibleMeta::default());
    }
}
