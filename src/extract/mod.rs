//! The extractor: stored bytes of a report → its canonical tables, metadata and checks.
//!
//! A pure function of its input (no I/O). Every rendering — HTML, DOCX (via
//! [`crate::document::Document`]), text and PDF text — is turned into one
//! token stream ([`tokens`]), which one reader ([`reader`]) matches against
//! the template's row lists. Consistency rules 1–4 of the template are checked
//! here; rule 5 needs the previous year's report ([`cross_year_checks`]).

mod names;
mod reader;
mod runs;
mod tokens;
mod variants;

use crate::formats::dom_to_document;

use crate::document::Document;
use crate::page::facts as page;
use crate::patterns::report_year;
use crate::patterns::{ReportPatterns, squeeze};
use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Number;
use std::collections::BTreeMap;
use std::sync::LazyLock;

pub use reader::{ActiveDisclosure, Applications, ReviewLitigation};

/// Bump whenever the output for some input can change.
pub const EXTRACTOR_VERSION: &str = "1.1.0";

/// Part 三 columns, in template order.
pub const APPLICANT_COLUMNS: &[&str] = &[
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other",
    "total",
];

/// Part 三 rows of the 2021 template (25).
pub const APPLICATION_ROWS_2021: &[&str] = &[
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "denied_state_secret",
    "denied_prohibited_by_law",
    "denied_three_safeties",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_query_matter",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "not_processed_petition",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirmation",
    "other_no_correction",
    "other_unpaid_fee",
    "other_other",
    "total_processed",
    "carried_forward",
];

/// Part 三 rows of the 2019 template (23): （六）其他处理 is one row.
pub const APPLICATION_ROWS_2019: &[&str] = &[
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "denied_state_secret",
    "denied_prohibited_by_law",
    "denied_three_safeties",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_query_matter",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "not_processed_petition",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirmation",
    "other_processing",
    "total_processed",
    "carried_forward",
];

/// Part 四 groups and their fields, in the order the numbers are printed.
pub const REVIEW_GROUPS: &[&str] = &["review", "litigation_direct", "litigation_after_review"];
/// Part 四 fields of each group, in the order the numbers are printed.
pub const REVIEW_FIELDS: &[&str] = &["upheld", "corrected", "other", "pending", "total"];

/// Part 二 rows and their value fields, 2021 template.
pub const ACTIVE_ROWS_2021: &[(&str, &[&str])] = &[
    ("rules", &["issued", "repealed", "in_force"]),
    ("normative_documents", &["issued", "repealed", "in_force"]),
    ("licensing", &["decisions"]),
    ("penalty", &["decisions"]),
    ("enforcement", &["decisions"]),
    ("fees", &["amount_10k_yuan"]),
];

/// Part 二 rows and their value fields, 2019 template.
pub const ACTIVE_ROWS_2019: &[(&str, &[&str])] = &[
    ("rules", &["made", "published", "total_public"]),
    (
        "normative_documents",
        &["made", "published", "total_public"],
    ),
    ("licensing", &["previous_count", "change", "decisions"]),
    ("other_services", &["previous_count", "change", "decisions"]),
    ("penalty", &["previous_count", "change", "decisions"]),
    ("enforcement", &["previous_count", "change", "decisions"]),
    ("fees", &["previous_count", "change"]),
    ("procurement", &["projects", "amount"]),
];

/// Result rows summed by rule 2 (everything between carried_over and total_processed).
fn result_rows(template: Template) -> &'static [&'static str] {
    let rows = match template {
        Template::T2021 => APPLICATION_ROWS_2021,
        Template::T2019 => APPLICATION_ROWS_2019,
    };
    &rows[2..rows.len() - 2]
}

/// Which national template a report's tables follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Template {
    /// 国办公开办函〔2021〕30号, used since the 2021 report year.
    #[serde(rename = "2021")]
    T2021,
    /// 国办公开办函〔2019〕60号, used for 2019–2020 (and by late adopters).
    #[serde(rename = "2019")]
    T2019,
}

/// How far a document was read as an annual report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A report with all three parts' tables read in full.
    Complete,
    /// A report read in part: a part missing or incomplete, or the tables elsewhere (`reason` says what).
    Partial,
    /// Not an annual report: no part 二/三/四 headings or rows.
    NotReport,
    /// Could not be read (empty, binary, corrupt, encrypted …); `reason` says why.
    Failed,
    /// A file format no reader exists for here (old binary DOC/WPS without a converter, an archive with no report …).
    Unsupported,
    /// A PDF with no text layer: scanned page images.
    Scanned,
}

impl Status {
    /// Every status, for reading one back from its name.
    pub const ALL: [Status; 6] = [
        Status::Complete,
        Status::Partial,
        Status::NotReport,
        Status::Failed,
        Status::Unsupported,
        Status::Scanned,
    ];

    /// The status as the JSON result, messages and the archive spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Partial => "partial",
            Status::NotReport => "not_report",
            Status::Failed => "failed",
            Status::Unsupported => "unsupported",
            Status::Scanned => "scanned",
        }
    }
}

impl Template {
    /// The template's year, as stored and exported (`"2021"`, `"2019"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Template::T2021 => "2021",
            Template::T2019 => "2019",
        }
    }
}

/// The result for a file no reader handles: says so, invents nothing.
pub fn unsupported(format: &str) -> Extraction {
    Extraction::failed(
        Status::Unsupported,
        &format!("unsupported file format: {format}"),
    )
}

/// The result for a file that could not be read at all (corrupt, encrypted,
/// a converter missing), with the reason; nothing is invented.
pub fn not_read(status: Status, reason: &str) -> Extraction {
    Extraction::failed(status, reason)
}

/// The result for a scanned PDF (no text layer), with its page count.
pub fn scanned(pages: usize) -> Extraction {
    Extraction::failed(
        Status::Scanned,
        &format!("scanned PDF: {pages} page(s) of images, no text layer"),
    )
}

/// How much of one part (二, 三 or 四) was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    /// The part's heading is there but no table values could be read (an image, an attachment).
    Found,
    /// Every row and cell of the part's table was read.
    Complete,
    /// Some of the part's rows or cells were read, not all.
    Partial,
    /// The part was not found.
    Missing,
}

/// How much of each numbered part was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartsStatus {
    /// Part 二, proactive disclosure.
    pub active_disclosure: PartStatus,
    /// Part 三, applications received and how they were handled.
    pub applications: PartStatus,
    /// Part 四, administrative review and litigation.
    pub review_litigation: PartStatus,
}

/// One consistency rule evaluated on one column/row/group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCheck {
    /// Rule number in report-format.md (1–5).
    pub rule: u8,
    /// What was checked: a column (`natural_person`), a row (`granted`), a group (`review`).
    pub scope: String,
    /// `None` when the cells it needs are blank.
    pub ok: Option<bool>,
    /// The two sides of the equation as read (blanks count as 0 when any cell is present).
    pub left: Option<f64>,
    /// Right-hand side of the equation, as `left`.
    pub right: Option<f64>,
    /// The equation with the numbers, for a human reader.
    pub detail: String,
}

/// The consistency checks of one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checks {
    /// Rule 1 per part 三 column, as in the expected files.
    pub balance: BTreeMap<String, Option<bool>>,
    /// Rules 1–4, one entry per column/row/group.
    pub rules: Vec<RuleCheck>,
}

/// Everything read from one report document; a field the document does not give is `None`/empty, never guessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    /// Agency, read from the report title.
    pub agency: Option<String>,
    /// Report year, read from the title.
    pub year: Option<i32>,
    /// Template of the tables; `None` when no table was found.
    pub template: Option<Template>,
    /// Publish date the page or document states.
    pub publish_date: Option<NaiveDate>,
    /// Responsible editor (编辑), when stated.
    pub editor: Option<String>,
    /// Publishing office (来源), when stated.
    pub source: Option<String>,
    /// Date of the signature block at the end of the report.
    pub signed_date: Option<NaiveDate>,
    /// Part 二 values: row key → field → number (or the amount as written).
    pub active_disclosure: ActiveDisclosure,
    /// Part 三 values: row key → one value per applicant column, in template order.
    pub applications: Applications,
    /// Part 四 values: group → field → number.
    pub review_litigation: ReviewLitigation,
    /// The consistency checks on the values read.
    pub checks: Checks,
    /// How far the document was read.
    pub status: Status,
    /// Why the status is not `complete`; `None` when it is.
    pub reason: Option<String>,
    /// How much of each part was read.
    pub parts: PartsStatus,
    /// Cells inferred rather than read, and rows that could not be placed.
    pub warnings: Vec<String>,
}

impl Extraction {
    fn failed(status: Status, reason: &str) -> Extraction {
        Extraction {
            agency: None,
            year: None,
            template: None,
            publish_date: None,
            editor: None,
            source: None,
            signed_date: None,
            active_disclosure: BTreeMap::new(),
            applications: BTreeMap::new(),
            review_litigation: BTreeMap::new(),
            checks: Checks {
                balance: BTreeMap::new(),
                rules: Vec::new(),
            },
            status,
            reason: Some(reason.to_string()),
            parts: PartsStatus {
                active_disclosure: PartStatus::Missing,
                applications: PartStatus::Missing,
                review_litigation: PartStatus::Missing,
            },
            warnings: Vec::new(),
        }
    }
}

/// Extracts a report from stored bytes (HTML or plain text; any charset).
/// `patterns` say what a report title is: the configured ones, as the crawler used.
pub fn extract(bytes: &[u8], content_type: Option<&str>, patterns: &ReportPatterns) -> Extraction {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Extraction::failed(Status::Failed, "empty input");
    }
    let decoded = crate::page::charset::decode(bytes, content_type);
    let text = decoded.text;
    if looks_binary(&text) {
        return Extraction::failed(Status::Failed, "input is binary, not text or HTML");
    }
    if is_html(&text, content_type) {
        let variant = variants::normalise(&text);
        let dom = crate::formats::nesting::parse_document(
            variant.as_ref().map_or(&text, |v| &v.simplified),
        );
        let doc = dom_to_document(&dom);
        let plain = doc.plain_text();
        let heads = page::page_heads(&dom, &plain, patterns);
        let mut ex = build(
            &tokens::document_tokens(&doc),
            &plain,
            Some(heads.visible),
            patterns,
        );
        if let Some(title) = heads.title.as_deref().filter(|t| report_year(t).is_some())
            && patterns.is_report_title(title)
        {
            ex.agency = page::agency_from_title(title).or(ex.agency);
            ex.year = report_year(title).or(ex.year);
        }
        if let Some(v) = &variant {
            respell(&mut ex, v);
        }
        ex
    } else {
        extract_text(&text, patterns)
    }
}

/// Extracts a report from a text rendering (text files, PDF text).
pub fn extract_text(text: &str, patterns: &ReportPatterns) -> Extraction {
    let Some(v) = variants::normalise(text) else {
        return build(&tokens::text_tokens(text), text, None, patterns);
    };
    let mut ex = build(
        &tokens::text_tokens(&v.simplified),
        &v.simplified,
        None,
        patterns,
    );
    respell(&mut ex, &v);
    ex
}

/// Names read from a traditional-character text, spelt as the document spells them.
fn respell(ex: &mut Extraction, v: &variants::Variant) {
    for name in [&mut ex.agency, &mut ex.source, &mut ex.editor]
        .into_iter()
        .flatten()
    {
        *name = v.respell(name);
    }
}

/// Extracts a report from a document (HTML or DOCX blocks).
pub fn extract_document(doc: &Document, patterns: &ReportPatterns) -> Extraction {
    let plain = doc.plain_text();
    let Some(v) = variants::normalise(&plain) else {
        return build(&tokens::document_tokens(doc), &plain, None, patterns);
    };
    let simplified = variants::simplify_document(doc);
    let mut ex = build(
        &tokens::document_tokens(&simplified),
        &v.simplified,
        None,
        patterns,
    );
    respell(&mut ex, &v);
    ex
}

/// More than a tenth of the first 4,096 characters are control characters or
/// replacement marks. (Counted as they are read: this runs on every input.)
fn looks_binary(text: &str) -> bool {
    let (mut seen, mut bad) = (0usize, 0usize);
    for c in text.chars().take(4096) {
        seen += 1;
        if (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')) || c == '\u{fffd}' {
            bad += 1;
        }
    }
    bad * 10 > seen
}

fn is_html(text: &str, content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html")) {
        return true;
    }
    // The first 2,048 characters, lowercased.
    let end = text
        .char_indices()
        .nth(2048)
        .map_or(text.len(), |(at, _)| at);
    let head = text[..end].to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<?xml") && head.contains("<html")
        || ["<body", "<table", "<div", "<p>", "<meta", "<head"]
            .iter()
            .any(|t| head.contains(t))
}

/// `visible`: publish date/source/editor when the caller read them already (HTML meta tags).
fn build(
    toks: &[tokens::Tok],
    plain: &str,
    visible: Option<page::VisibleMeta>,
    patterns: &ReportPatterns,
) -> Extraction {
    let parts = reader::read(toks);
    let lines: Vec<&str> = plain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let title = find_title(&lines, patterns);
    let meta = visible.unwrap_or_else(|| page::visible_meta(plain));
    // An explainer, interpretation or hub states the report's parts too: the one
    // report decision reads its heading first.
    if let Some(decoy) = lines
        .iter()
        .take(12)
        .filter(|l| l.chars().count() <= 60)
        .find_map(|l| crate::page::report_kind::judge_title(patterns, l).decoy())
    {
        let mut ex = Extraction::failed(
            Status::NotReport,
            &format!("not the report: a decoy ({})", decoy.as_str()),
        );
        ex.publish_date = meta.publish_date;
        return ex;
    }
    let Some(template) = parts.template else {
        let mut ex = Extraction::failed(
            Status::NotReport,
            "no part 二/三/四 table headings or rows found",
        );
        if let Some(t) = &title {
            // A report page whose tables are elsewhere (attachment, image): a report, read partly.
            ex.status = Status::Partial;
            ex.agency = page::agency_from_title(t);
            ex.year = report_year(t);
            ex.reason = Some(
                "report title found, but no part 二/三/四 tables (attachment or image?)".into(),
            );
        }
        ex.publish_date = meta.publish_date;
        ex.source = meta.source;
        ex.editor = meta.editor;
        return ex;
    };
    let checks = rule_checks(&parts.applications, &parts.review, template);
    let status_of = |s: Option<PartStatus>| s.unwrap_or(PartStatus::Missing);
    let part_status = PartsStatus {
        active_disclosure: status_of(parts.active_status),
        applications: status_of(parts.applications_status),
        review_litigation: status_of(parts.review_status),
    };
    let all = [
        part_status.active_disclosure,
        part_status.applications,
        part_status.review_litigation,
    ];
    let status = if all.iter().all(|s| *s == PartStatus::Complete) {
        Status::Complete
    } else {
        Status::Partial
    };
    let reason = (status != Status::Complete).then(|| parts.problems.join("; "));
    Extraction {
        agency: title
            .as_deref()
            .and_then(page::agency_from_title)
            .or_else(|| names::agency_in_text(plain)),
        year: title
            .as_deref()
            .and_then(report_year)
            .or_else(|| names::year_in_text(plain)),
        template: Some(template),
        publish_date: meta.publish_date,
        editor: meta.editor,
        source: meta.source,
        signed_date: signed_date(&lines),
        active_disclosure: parts.active,
        applications: parts.applications,
        review_litigation: parts.review,
        checks,
        status,
        reason,
        parts: part_status,
        warnings: parts.warnings,
    }
}

/// The report title among the first lines: one line, or two when it is split
/// (`某局2023年` / `政府信息公开工作年度报告`).
fn find_title(lines: &[&str], patterns: &ReportPatterns) -> Option<String> {
    let ok = |t: &str| {
        t.chars().count() <= 80 && patterns.is_report_title(t) && report_year(t).is_some()
    };
    let clean = |l: &str| {
        let l = squeeze(l);
        let l = l.trim_start_matches(['#', '-', '*']);
        // A crawler's header line: `标题: 某局2021年…`.
        let l = l
            .strip_prefix("标题")
            .map_or(l, |r| r.trim_start_matches([':', '：']));
        l.to_string()
    };
    // A name alone on the line before a title that starts with its year.
    let name_line = |l: &str| {
        let n = l.chars().count();
        (2..=30).contains(&n)
            && l.chars().all(|c| {
                ('\u{4e00}'..='\u{9fff}').contains(&c) || matches!(c, '(' | ')' | '（' | '）')
            })
    };
    for (i, line) in lines.iter().enumerate().take(200) {
        // Every title names its year; most lines can be passed over without normalising them.
        if !line.contains('年') || line.len() > 400 {
            continue;
        }
        let one = clean(line);
        if one.chars().count() > 80 {
            continue;
        }
        if ok(&one) {
            if page::agency_from_title(&one).is_none()
                && let Some(prev) = i.checked_sub(1).map(|p| clean(lines[p]))
                && name_line(&prev)
            {
                return Some(format!("{prev}{one}"));
            }
            return Some(one);
        }
        if let Some(next) = lines.get(i + 1) {
            let two = format!("{one}{}", clean(next));
            if report_year(&one).is_some() && !patterns.is_report_title(&one) && ok(&two) {
                return Some(two);
            }
        }
    }
    // A title line worded or garbled past the patterns (`某局关于2021年度政府信息公开情况的报告`,
    // `某镇2023年政府信息公开工作告年度报`): a short line near the top that names the subject.
    lines.iter().take(30).map(|l| clean(l)).find(|l| {
        l.chars().count() <= 40
            && LOOSE_TITLE.is_match(l)
            && !patterns.exclude.iter().any(|r| r.is_match(l))
    })
}

/// A name, a year, the subject and a report (`报告`, or garbled `告年度报`), at the start of a line.
static LOOSE_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^，。,;；:：]{2,30}?(?:19|20)\d{2}年度?(?:政府信息公开|政务公开)(?:工作|情况)[^，。,;；:：]{0,8}?报")
        .expect("static regex")
});

static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$").expect("static regex")
});

/// The date of the signature block: a line that is only a date, after part 六
/// (or in the last lines), before any page footer.
fn signed_date(lines: &[&str]) -> Option<NaiveDate> {
    let start = lines
        .iter()
        .rposition(|l| {
            let n = tokens::norm(l);
            n.starts_with("六、") || n.starts_with("六.")
        })
        .unwrap_or(lines.len().saturating_sub(20));
    for line in &lines[start..] {
        let n = tokens::norm(line);
        // The words below hold none of the numerals the conversion rewrites, so they are
        // looked for before it; and only a line with 年, 月 and 日 can be a date.
        if [
            "版权",
            "Copyright",
            "ICP",
            "主办",
            "网站标识码",
            "联系我们",
            "承办",
        ]
        .iter()
        .any(|k| n.contains(k))
        {
            break;
        }
        if !(n.contains('年') && n.contains('月') && n.contains('日')) {
            continue;
        }
        if let Some(c) = DATE_LINE.captures(&cn_numerals_to_digits(&n)) {
            let (y, m, d) = (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
            if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
                return Some(date);
            }
        }
    }
    None
}

/// `二〇二三年一月十九日` → `2023年1月19日` (signature blocks are often written so).
fn cn_numerals_to_digits(s: &str) -> String {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .or((c == '零' || c == 'Ｏ' || c == 'O').then_some(0))
    };
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '十' {
            // 十 → 10, 十九 → 19, 二十 → 20 (the tens digit was already written), 二十一 → 21.
            let tens_written = out.chars().last().is_some_and(|p| p.is_ascii_digit())
                && i > 0
                && digit(chars[i - 1]).is_some();
            let next = chars.get(i + 1).and_then(|&n| digit(n));
            if !tens_written {
                out.push('1');
            }
            if next.is_none() {
                out.push('0');
            }
        } else if let Some(d) = digit(c) {
            out.push(char::from(b'0' + d as u8));
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

fn f(n: &Option<Number>) -> Option<f64> {
    n.as_ref().and_then(Number::as_f64)
}

/// Sums cells, blanks as 0; `None` when every cell is blank.
fn sum(cells: &[Option<f64>]) -> Option<f64> {
    if cells.iter().all(Option::is_none) {
        None
    } else {
        Some(cells.iter().flatten().sum())
    }
}

fn equation(
    rule: u8,
    scope: &str,
    left: &[Option<f64>],
    right: &[Option<f64>],
    detail: &str,
) -> RuleCheck {
    // A side entirely blank cannot be checked; otherwise blanks count as 0.
    let (l, r) = (sum(left), sum(right));
    let ok = match (l, r) {
        (Some(a), Some(b)) => Some((a - b).abs() < 1e-6),
        _ => None,
    };
    RuleCheck {
        rule,
        scope: scope.to_string(),
        ok,
        left: l,
        right: r,
        detail: detail.to_string(),
    }
}

fn rule_checks(apps: &Applications, review: &ReviewLitigation, template: Template) -> Checks {
    let in_row =
        |row: Option<&Vec<Option<Number>>>, c: usize| row.and_then(|v| v.get(c)).and_then(f);
    let cell = |row: &str, col: usize| in_row(apps.get(row), col);
    let mut rules = Vec::new();
    let mut balance = BTreeMap::new();
    for (c, col) in APPLICANT_COLUMNS.iter().enumerate() {
        let left = [cell("new_received", c), cell("carried_over", c)];
        let right = [cell("total_processed", c), cell("carried_forward", c)];
        // Rule 1 is only unknown when the whole column is blank (as the expected files state it).
        let all_blank = left.iter().chain(&right).all(Option::is_none);
        let mut check = equation(
            1,
            col,
            &left,
            &right,
            "new_received + carried_over = total_processed + carried_forward",
        );
        if !all_blank && check.ok.is_none() {
            check.left = Some(check.left.unwrap_or(0.0));
            check.right = Some(check.right.unwrap_or(0.0));
            check.ok = Some((check.left.unwrap_or(0.0) - check.right.unwrap_or(0.0)).abs() < 1e-6);
        }
        balance.insert(col.to_string(), check.ok);
        rules.push(check);
    }
    // A 2019-style undivided （六）其他处理 row kept in a 2021 table counts as a result row.
    let undivided = (template == Template::T2021 && apps.contains_key("other_processing"))
        .then_some("other_processing");
    // Each row looked up once, not once per column.
    let result_cells: Vec<_> = result_rows(template)
        .iter()
        .copied()
        .chain(undivided)
        .map(|r| apps.get(r))
        .collect();
    for (c, col) in APPLICANT_COLUMNS.iter().enumerate() {
        let parts: Vec<Option<f64>> = result_cells.iter().map(|&r| in_row(r, c)).collect();
        rules.push(equation(
            2,
            col,
            &[cell("total_processed", c)],
            &parts,
            "total_processed = sum of result rows",
        ));
    }
    let rows = match template {
        Template::T2021 => APPLICATION_ROWS_2021,
        Template::T2019 => APPLICATION_ROWS_2019,
    };
    for row in rows {
        let cells = apps.get(*row);
        let applicants: Vec<Option<f64>> = (0..6).map(|c| in_row(cells, c)).collect();
        rules.push(equation(
            3,
            row,
            &[in_row(cells, 6)],
            &applicants,
            "total = sum of the six applicant columns",
        ));
    }
    for group in REVIEW_GROUPS {
        let g = review.get(*group);
        let v = |k: &str| g.and_then(|m| m.get(k)).and_then(f);
        rules.push(equation(
            4,
            group,
            &[v("total")],
            &[v("upheld"), v("corrected"), v("other"), v("pending")],
            "total = upheld + corrected + other + pending",
        ));
    }
    Checks { balance, rules }
}

/// Rule 5: this year's `carried_over` = last year's `carried_forward` per
/// column; `in_force` moves by `issued − repealed` (2021 template).
pub fn cross_year_checks(prev: &Extraction, this: &Extraction) -> Vec<RuleCheck> {
    let mut out = Vec::new();
    for (c, col) in APPLICANT_COLUMNS.iter().enumerate() {
        let a = this
            .applications
            .get("carried_over")
            .and_then(|v| v.get(c))
            .and_then(f);
        let b = prev
            .applications
            .get("carried_forward")
            .and_then(|v| v.get(c))
            .and_then(f);
        out.push(equation(
            5,
            col,
            &[a],
            &[b],
            "carried_over = previous year's carried_forward",
        ));
    }
    for row in ["rules", "normative_documents"] {
        let get = |e: &Extraction, k: &str| {
            e.active_disclosure
                .get(row)
                .and_then(|m| m.get(k))
                .and_then(serde_json::Value::as_f64)
        };
        let (now, before, issued, repealed) = (
            get(this, "in_force"),
            get(prev, "in_force"),
            get(this, "issued"),
            get(this, "repealed"),
        );
        let ok = match (now, before, issued, repealed) {
            (Some(n), Some(b), Some(i), Some(r)) => Some((n - (b + i - r)).abs() < 1e-6),
            _ => None,
        };
        out.push(RuleCheck {
            rule: 5,
            scope: row.to_string(),
            ok,
            left: now,
            right: match (before, issued, repealed) {
                (Some(b), Some(i), Some(r)) => Some(b + i - r),
                _ => None,
            },
            detail: "in_force = previous in_force + issued - repealed".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_binary_inputs_fail_with_a_reason() {
        let e = extract(b"", None, &ReportPatterns::default());
        assert_eq!(e.status, Status::Failed);
        assert_eq!(e.reason.as_deref(), Some("empty input"));
        let bin: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 256) as u8).collect();
        let e = extract(&bin, None, &ReportPatterns::default());
        assert_ne!(e.status, Status::Complete);
        assert!(e.reason.is_some());
    }

    #[test]
    fn a_page_that_is_not_a_report() {
        let e = extract(
            "<html><body><h1>区政府常务会议纪要</h1><p>会议研究了若干事项。</p></body></html>"
                .as_bytes(),
            None,
            &ReportPatterns::default(),
        );
        assert_eq!(e.status, Status::NotReport);
        assert!(e.reason.is_some());
    }

    #[test]
    fn a_title_only_a_configured_pattern_matches_is_a_report_title() {
        let custom = ReportPatterns {
            include: crate::patterns::compile(&["信息公开工作总结"]).unwrap(),
            ..ReportPatterns::default()
        };
        let lines = ["某局2022年政府信息公开工作总结", "一、总体情况"];
        assert_eq!(find_title(&lines, &ReportPatterns::default()), None);
        assert_eq!(
            find_title(&lines, &custom).as_deref(),
            Some("某局2022年政府信息公开工作总结")
        );
        let text = format!("{}\n{}\n", lines[0], lines[1]);
        let e = extract_text(&text, &custom);
        assert_eq!((e.agency.as_deref(), e.year), (Some("某局"), Some(2022)));
        assert_eq!(e.status, Status::Partial, "a report, its tables elsewhere");
        let e = extract_text(&text, &ReportPatterns::default());
        assert_eq!(e.status, Status::NotReport);
    }

    #[test]
    fn title_split_over_two_lines() {
        let lines = [
            "- 发布时间:2024年01月12日",
            "某局2023年",
            "政府信息公开工作年度报告",
            "一、总体情况",
        ];
        let t = find_title(&lines, &ReportPatterns::default());
        assert_eq!(t.as_deref(), Some("某局2023年政府信息公开工作年度报告"));
    }

    #[test]
    fn title_with_the_agency_on_the_line_before_or_worded_loosely() {
        let t = find_title(
            &[
                "孝感市人民政府办公室",
                "2020年政府信息公开工作年度报告",
                "根据《条例》",
            ],
            &ReportPatterns::default(),
        );
        assert_eq!(
            t.as_deref(),
            Some("孝感市人民政府办公室2020年政府信息公开工作年度报告")
        );
        let t = find_title(
            &["标题: 平潭综合实验区2021年度政府信息公开工作年度报告"],
            &ReportPatterns::default(),
        );
        assert_eq!(
            page::agency_from_title(&t.unwrap()).as_deref(),
            Some("平潭综合实验区")
        );
        let t = find_title(
            &[
                "首页 新闻中心",
                "宁强县自然资源局关于2021年度政府信息公开情况的报告",
            ],
            &ReportPatterns::default(),
        );
        assert_eq!(
            page::agency_from_title(&t.unwrap()).as_deref(),
            Some("宁强县自然资源局")
        );
        // A notice about the report is not its title.
        assert_eq!(
            find_title(
                &["关于做好2021年政府信息公开工作年度报告编制工作的通知"],
                &ReportPatterns::default()
            ),
            None
        );
    }

    #[test]
    fn traditional_title_gives_the_agency_as_written() {
        let e = extract_text(
            "撫遠市自然資源局2022年政府信息公開工作年度報告\n三、收到和處理政府信息公開申請情況\n一、本年新收政府信息公開申請數量\t1\t0\t0\t0\t0\t0\t1\n",
            &ReportPatterns::default(),
        );
        assert_eq!(e.agency.as_deref(), Some("撫遠市自然資源局"));
        assert_eq!(e.year, Some(2022));
        let n = |v: i64| Some(Number::from(v));
        assert_eq!(
            e.applications["new_received"],
            vec![n(1), n(0), n(0), n(0), n(0), n(0), n(1)]
        );
    }

    #[test]
    fn signed_date_is_a_date_line_not_a_page_number() {
        assert_eq!(
            signed_date(&[
                "六、其他需要报告的事项",
                "无。",
                "某办公室",
                "2023年1月19日"
            ]),
            NaiveDate::from_ymd_opt(2023, 1, 19)
        );
        assert_eq!(signed_date(&["六、其他需要报告的事项", "无。", "1"]), None);
        assert_eq!(
            signed_date(&["六、其他需要报告的事项", "某局", "二〇二三年一月十九日"]),
            NaiveDate::from_ymd_opt(2023, 1, 19)
        );
        assert_eq!(
            signed_date(&["六、其他需要报告的事项", "二〇二〇年十二月三十日"]),
            NaiveDate::from_ymd_opt(2020, 12, 30)
        );
        assert_eq!(
            signed_date(&["六、其他需要报告的事项", "二〇二四年十月十日"]),
            NaiveDate::from_ymd_opt(2024, 10, 10)
        );
    }

    #[test]
    fn rule_checks_report_breaks() {
        let mut apps = Applications::new();
        for row in APPLICATION_ROWS_2021 {
            apps.insert(row.to_string(), vec![Some(Number::from(0)); 7]);
        }
        apps.insert(
            "new_received".into(),
            vec![
                Some(Number::from(2)),
                None,
                None,
                None,
                None,
                None,
                Some(Number::from(3)),
            ],
        );
        let c = rule_checks(&apps, &ReviewLitigation::new(), Template::T2021);
        assert_eq!(c.balance["natural_person"], Some(false));
        assert_eq!(c.balance["commercial"], Some(true));
        let r3 = c
            .rules
            .iter()
            .find(|r| r.rule == 3 && r.scope == "new_received")
            .map(|r| r.ok);
        assert_eq!(r3, Some(Some(false)));
    }

    /// A DOCX reader produces blocks like these: paragraphs and tables with spans.
    #[test]
    fn document_blocks_with_spans() {
        use crate::document::{Block, Cell, Table};
        let row = |label: &str, vals: [i64; 7]| {
            let mut r = vec![Cell::spanning(label, 3, 1)];
            r.extend(vals.iter().map(|v| Cell::new(v.to_string())));
            r
        };
        let doc = Document {
            blocks: vec![
                Block::Text("某局2022年政府信息公开工作年度报告".into()),
                Block::Text("三、收到和处理政府信息公开申请情况".into()),
                Block::Table(Table {
                    rows: vec![
                        vec![
                            Cell::spanning("（本列数据的勾稽关系为：…）", 3, 3),
                            Cell::spanning("申请人情况", 7, 1),
                        ],
                        row("一、本年新收政府信息公开申请数量", [1, 0, 0, 0, 0, 0, 1]),
                        vec![
                            Cell::spanning("三、本年度办理结果", 1, 22),
                            Cell::spanning("（一）予以公开", 2, 1),
                            Cell::new("1"),
                            Cell::new(""),
                            Cell::new(" "),
                            Cell::new("—"),
                            Cell::new("/"),
                            Cell::new("无"),
                            Cell::new("1"),
                        ],
                    ],
                }),
            ],
        };
        let e = extract_document(&doc, &ReportPatterns::default());
        assert_eq!(e.agency.as_deref(), Some("某局"));
        let n = |v: i64| Some(Number::from(v));
        assert_eq!(
            e.applications["new_received"],
            vec![n(1), n(0), n(0), n(0), n(0), n(0), n(1)]
        );
        assert_eq!(
            e.applications["granted"],
            vec![n(1), None, None, None, None, None, n(1)]
        );
        assert_eq!(e.applications["carried_over"], vec![None; 7]);
        assert_eq!(e.status, Status::Partial);
        assert_eq!(e.parts.active_disclosure, PartStatus::Missing);
    }

    #[test]
    fn an_interpretation_is_not_read_as_the_report() {
        let html = "<html><head><title>《某局2023年政府信息公开工作年度报告》解读</title></head><body>\
            <h1>《某局2023年政府信息公开工作年度报告》解读</h1><p>一、总体情况</p><p>二、主动公开政府信息情况</p></body></html>";
        let e = extract(
            html.as_bytes(),
            Some("text/html"),
            &ReportPatterns::default(),
        );
        assert_eq!(e.status, Status::NotReport);
        assert!(
            e.reason.as_deref().unwrap_or("").contains("interpretation"),
            "{:?}",
            e.reason
        );
    }
}
