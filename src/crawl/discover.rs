//! Link discovery on a fetched page, and the trap guard that keeps the
//! frontier finite: pure functions over decoded HTML, no I/O.
//!
//! Chinese government portals paginate their columns with a handful of CMS
//! idioms (TRS `createPageHTML(...)`, `index_N.html`, `下一页`/`尾页` links,
//! Hanweb's `<script type="text/xml">` record stores), truncate list titles
//! with `…` while keeping the full title in `title=`, and publish reports as
//! pages or as attachments. Discovery reads all of those so the crawler only
//! has to follow what it is given.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::patterns::ReportPatterns;

/// What a discovered link is for the crawler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// An entry URL from the seed files (never produced by discovery).
    Seed,
    /// Anchor text or title reads as an annual report title.
    Report,
    /// A document file (PDF, Word, WPS, Excel).
    Attachment,
    /// Another page of the same listing.
    Pagination,
    /// An `<iframe>`/`<frame>` source: part of this page's content.
    Frame,
    /// A meta-refresh or script redirect: the page's content is elsewhere.
    Redirect,
    /// A list endpoint a script calls (JSON API, Hanweb `dataproxy.jsp`).
    Api,
    /// Any other in-page link: followed only within the seed's column and depth.
    Other,
}

impl LinkKind {
    /// When the same URL is linked twice, the more specific reading wins.
    fn rank(self) -> u8 {
        match self {
            LinkKind::Attachment => 4,
            LinkKind::Report => 3,
            LinkKind::Api => 2,
            LinkKind::Pagination => 2,
            LinkKind::Redirect => 1,
            LinkKind::Frame => 1,
            LinkKind::Other | LinkKind::Seed => 0,
        }
    }
}

/// One link found on a page, resolved to an absolute URL without fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// URL.
    pub url: Url,
    /// Anchor text (whitespace collapsed), or the `title` attribute when the
    /// visible text is cut short.
    pub text: String,
    /// What it is.
    pub kind: LinkKind,
    /// The date printed beside the link in a listing (`<li><a…>…</a>
    /// <span>2023-01-30</span></li>`), for reports and attachments: the
    /// publish date of a file that carries none itself.
    pub listing_date: Option<chrono::NaiveDate>,
    /// Form body of a POST request (Hanweb groups, `$.post` lists); `None` for GET.
    pub form: Option<String>,
}

/// What discovery read from a page or answer.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The links found, merged by address.
    pub links: Vec<Link>,
    /// Script-built listings seen but not readable, each naming its script or endpoint.
    pub unread_scripts: Vec<String>,
}

/// File extensions that make a link an attachment.
const ATTACHMENT_EXTENSIONS: &[&str] = &["pdf", "doc", "docx", "wps", "xls", "xlsx"];

/// Texts of "next/last page" links in Chinese CMS pagination bars.
const PAGINATION_WORDS: &[&str] = &[
    "下一页",
    "下页",
    "尾页",
    "末页",
    "上一页",
    "上页",
    "最后一页",
    "后页",
    "前页",
];

fn selector(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

static SEL_BASE: LazyLock<Selector> = LazyLock::new(|| selector("base[href]"));
static SEL_A: LazyLock<Selector> = LazyLock::new(|| selector("a[href]"));
static SEL_FRAME: LazyLock<Selector> = LazyLock::new(|| selector("iframe[src], frame[src]"));
static SEL_IMG: LazyLock<Selector> = LazyLock::new(|| selector("img[alt]"));
static SEL_ONCLICK: LazyLock<Selector> = LazyLock::new(|| selector("[onclick]:not(a)"));
static SEL_TITLE: LazyLock<Selector> = LazyLock::new(|| selector("title"));
static RE_JSESSIONID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i);jsessionid=[^/?#]*").expect("static regex"));
static RE_DOWNLOAD_HANDLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:down(?:load)?(?:file)?|getfile|filedown(?:load)?|attach(?:ment)?(?:download)?|showfile|file)\.(?:jsp|do|aspx?|php|action|ashx)$")
        .expect("static regex")
});
/// Link texts that say "this is the file" without naming it.
const DOWNLOAD_TEXTS: &[&str] = &[
    "点击下载",
    "附件下载",
    "下载附件",
    "下载",
    "附件",
    "原文下载",
    "全文下载",
    "下载全文",
    "PDF下载",
    "点此下载",
];

static RE_PAGED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    // `index_3.html` (TRS), `index2.html` (Shanghai), `list_2.shtml`.
    Regex::new(r"^[A-Za-z]+_?\d{1,4}\.(?:s?html?|jsp|php|aspx?)$").expect("static regex")
});
static RE_PAGE_QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|&)(?:page|pageno|pageindex|pagenum|currentpage|curpage|pn)=\d{1,4}(?:&|$)",
    )
    .expect("static regex")
});
static RE_LISTING_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(20\d{2}|19\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})")
        .expect("static regex")
});
static RE_PAGE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:\d{1,4}|第\d{1,4}页)$").expect("static regex"));

/// Finds the links of a page: anchors, frames and script-generated pagination.
///
/// `html` must already be decoded (see [`crate::page::charset::decode`]).
pub fn discover(page_url: &Url, html: &str, patterns: &ReportPatterns) -> Vec<Link> {
    discover_in(
        page_url,
        html,
        &crate::formats::nesting::parse_document(html),
        patterns,
    )
}

/// [`discover`] on a page already parsed into `doc` (the crawler parses each
/// page once for its metadata and its links); `html` is still read for script
/// calls such as `createPageHTML`.
pub fn discover_in(page_url: &Url, html: &str, doc: &Html, patterns: &ReportPatterns) -> Vec<Link> {
    discover_page(page_url, html, doc, patterns).links
}

/// [`discover_in`] with what the page's scripts hid: the script-built
/// listings that could not be read.
pub fn discover_page(
    page_url: &Url,
    html: &str,
    doc: &Html,
    patterns: &ReportPatterns,
) -> Discovery {
    let base = doc
        .select(&SEL_BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());

    // Each anchor with its parent and grandparent, so page numbers count as
    // pagination only beside a 下一页/尾页 link, not in a calendar elsewhere.
    let mut raw = Vec::new();
    for a in doc.select(&SEL_A) {
        if let Some(link) = raw_anchor(&base, a) {
            let parent = a.parent();
            let grand = parent.and_then(|p| p.parent());
            raw.push((link, parent.map(|p| p.id()), grand.map(|g| g.id())));
        }
    }
    // Rows and buttons that open their page from a handler.
    for el in doc.select(&SEL_ONCLICK) {
        if let Some(link) = handler_link(&base, el) {
            raw.push((link, None, None));
        }
    }
    let idioms = super::idioms::in_page(page_url, &base, html, doc);
    // Records (Hanweb) and JSON-borne HTML: their anchors are links of this page.
    for frag in &idioms.fragments {
        raw.extend(fragment_anchors(&base, frag));
    }
    let title = doc
        .select(&SEL_TITLE)
        .next()
        .map(|t| t.text().collect::<String>())
        .unwrap_or_default();
    let mut links = classified(page_url, raw, patterns);
    for f in super::idioms::hub::unit_links(&base, &title, doc) {
        links.push(f.url, f.text, f.kind, None);
    }
    for f in doc.select(&SEL_FRAME) {
        let Some(src) = f.value().attr("src") else {
            continue;
        };
        if let Some(url) = resolve(&base, src) {
            let text = f
                .value()
                .attr("title")
                .or_else(|| f.value().attr("name"))
                .unwrap_or_default();
            links.push(url, collapse(text), LinkKind::Frame, None);
        }
    }
    for f in idioms.links {
        if let Some(url) = normalise(f.url) {
            links.push(url, f.text, f.kind, f.form);
        }
    }
    Discovery {
        links: links.finish(),
        unread_scripts: idioms.unread_scripts,
    }
}

/// Links of a data answer (Hanweb record store, JSON list); `None` when the
/// body is not one, so the caller reads it as a page.
pub fn discover_answer(
    url: &Url,
    form: Option<&str>,
    body: &str,
    patterns: &ReportPatterns,
) -> Option<Discovery> {
    let y = super::idioms::in_answer(url, form, body)?;
    let mut raw: Vec<RawEntry<usize>> = Vec::new();
    for frag in &y.fragments {
        raw.extend(fragment_anchors(url, frag));
    }
    for f in &y.links {
        if f.kind == LinkKind::Other
            && let Some(u) = normalise(f.url.clone())
        {
            raw.push((
                RawLink {
                    url: u,
                    text: collapse(&f.text),
                    date: None,
                },
                None,
                None,
            ));
        }
    }
    let mut links = classified(url, raw, patterns);
    for f in y.links.into_iter().filter(|f| f.kind != LinkKind::Other) {
        if let Some(u) = normalise(f.url) {
            links.push(u, f.text, f.kind, f.form);
        }
    }
    Some(Discovery {
        links: links.finish(),
        unread_scripts: y.unread_scripts,
    })
}

/// An anchor with the ids of its parent and grandparent (any id type: a
/// fragment's tree has its own).
type RawEntry<I> = (RawLink, Option<I>, Option<I>);

/// Anchors (and handler links) of an HTML fragment; its tree ids would collide
/// with the page's, so no pager context is kept.
fn fragment_anchors<I>(base: &Url, frag: &str) -> Vec<RawEntry<I>> {
    let frag = crate::formats::nesting::parse_fragment(frag);
    let mut out: Vec<RawEntry<I>> = frag
        .select(&SEL_A)
        .filter_map(|a| raw_anchor(base, a))
        .map(|l| (l, None, None))
        .collect();
    out.extend(
        frag.select(&SEL_ONCLICK)
            .filter_map(|el| handler_link(base, el))
            .map(|l| (l, None, None)),
    );
    out
}

/// Classifies raw anchors into a link set.
fn classified<'a, I: Copy + Eq + std::hash::Hash>(
    page_url: &'a Url,
    raw: Vec<RawEntry<I>>,
    patterns: &ReportPatterns,
) -> LinkSet<'a> {
    let pager_containers: HashSet<_> = raw
        .iter()
        .filter(|(r, _, _)| PAGINATION_WORDS.contains(&normalize_pager_text(&r.text).as_str()))
        .flat_map(|(_, p, g)| [*p, *g])
        .flatten()
        .collect();
    let mut links = LinkSet::new(page_url);
    for (r, parent, grand) in raw {
        let beside_pager = [parent, grand]
            .iter()
            .flatten()
            .any(|id| pager_containers.contains(id));
        let kind = classify(&r.url, &r.text, beside_pager, patterns);
        if let (Some(i), Some(date)) = (links.push(r.url, r.text, kind, None), r.date) {
            links.date(i, date);
        }
    }
    links
}

struct RawLink {
    url: Url,
    text: String,
    /// The date beside the anchor in its list item or table row.
    date: Option<chrono::NaiveDate>,
}

/// The date printed beside an anchor: in the nearest of its parent,
/// grandparent and great-grandparent that holds no other link (a list item,
/// a table row), outside the anchor's own text (which may name the report's
/// year or date of writing). None when that element has several dates.
fn date_beside(a: ElementRef<'_>) -> Option<chrono::NaiveDate> {
    let own: String = a.text().collect();
    let mut node = a.parent();
    for _ in 0..3 {
        let el = ElementRef::wrap(node?)?;
        // Two are enough to know: a listing body holds thousands.
        if el.select(&SEL_A).take(2).count() > 1 {
            return None;
        }
        let all: String = el.text().collect();
        let beside = all.replacen(&own, " ", 1);
        let dates: Vec<chrono::NaiveDate> = RE_LISTING_DATE
            .captures_iter(&beside)
            .filter_map(|c| {
                let n = |i| c.get(i)?.as_str().parse::<u32>().ok();
                chrono::NaiveDate::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?)
            })
            .collect();
        match dates.as_slice() {
            [one] => return Some(*one),
            [] => node = el.parent(),
            _ => return None,
        }
    }
    None
}

fn raw_anchor(base: &Url, a: ElementRef<'_>) -> Option<RawLink> {
    let href = a.value().attr("href")?;
    let url = match resolve(base, href) {
        Some(u) => u,
        // `javascript:openLink('…')`, or `#`/`javascript:void(0)` with an onclick.
        None => [Some(href), a.value().attr("onclick")]
            .into_iter()
            .flatten()
            .find_map(super::idioms::script_links::target)
            .and_then(|t| resolve(base, t))?,
    };
    let visible = collapse(&a.text().collect::<String>());
    let title = a.value().attr("title").map(collapse).unwrap_or_default();
    let text = if !title.is_empty() && (visible.is_empty() || is_cut_short(&visible)) {
        title
    } else if visible.is_empty() {
        // Image links (banner buttons) carry their meaning in `alt`.
        a.select(&SEL_IMG)
            .filter_map(|img| img.value().attr("alt"))
            .map(collapse)
            .find(|s| !s.is_empty())
            .unwrap_or_default()
    } else {
        visible
    };
    Some(RawLink {
        url,
        text,
        date: date_beside(a),
    })
}

/// A non-anchor element whose `onclick` opens a page, with the element's text.
fn handler_link(base: &Url, el: ElementRef<'_>) -> Option<RawLink> {
    let target = super::idioms::script_links::target(el.value().attr("onclick")?)?;
    let url = resolve(base, target)?;
    let title = el.value().attr("title").map(collapse).unwrap_or_default();
    let visible = collapse(&el.text().collect::<String>());
    let text = if !title.is_empty() && (visible.is_empty() || is_cut_short(&visible)) {
        title
    } else {
        visible
    };
    Some(RawLink {
        url,
        text,
        date: None,
    })
}

/// Resolves an `href`/`src` against the base; drops scripts, mail and fragments.
fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let lower = href.to_ascii_lowercase();
    if ["javascript:", "mailto:", "tel:", "data:", "about:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return None;
    }
    normalise(base.join(href).ok()?)
}

/// One page, one URL: http(s) only, no fragment, no JEECMS/Java session id
/// (`/x.jhtml;jsessionid=ABC` and `?jsessionid=` are the same page under any session).
fn normalise(mut url: Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    if RE_JSESSIONID.is_match(url.path()) {
        let path = RE_JSESSIONID.replace_all(url.path(), "").into_owned();
        url.set_path(&path);
    }
    if url
        .query_pairs()
        .any(|(k, _)| k.eq_ignore_ascii_case("jsessionid"))
    {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("jsessionid"))
            .collect();
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
    }
    Some(url)
}

fn classify(url: &Url, text: &str, beside_pager: bool, p: &ReportPatterns) -> LinkKind {
    if is_file_link(url, text) {
        return LinkKind::Attachment;
    }
    // Decoys (一图读懂, 解读, 汇总 …) are not followed as reports; they stay
    // ordinary links, judged again if reached.
    if crate::page::report_kind::judge_title(p, text).is_report() {
        return LinkKind::Report;
    }
    let pager = normalize_pager_text(text);
    if PAGINATION_WORDS.contains(&pager.as_str()) {
        return LinkKind::Pagination;
    }
    if looks_paged(url) {
        return LinkKind::Pagination;
    }
    if beside_pager && RE_PAGE_NUMBER.is_match(&pager) {
        return LinkKind::Pagination;
    }
    LinkKind::Other
}

/// `index_3.html`, `list_2.shtml`, `?page=4`: the URL itself says "page N".
fn looks_paged(url: &Url) -> bool {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    RE_PAGED_NAME.is_match(last) || url.query().is_some_and(|q| RE_PAGE_QUERY.is_match(q))
}

/// Strips arrows and brackets around pager texts (`下一页>`, `[2]`, `» 尾页`).
fn normalize_pager_text(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '<' | '>'
                        | '«'
                        | '»'
                        | '['
                        | ']'
                        | '【'
                        | '】'
                        | '('
                        | ')'
                        | '（'
                        | '）'
                        | '‹'
                        | '›'
                )
        })
        .collect()
}

/// The links of one page in first-seen order, merged by URL.
struct LinkSet<'a> {
    page_url: &'a Url,
    links: Vec<Link>,
    index: HashMap<String, usize>,
}

impl<'a> LinkSet<'a> {
    fn new(page_url: &'a Url) -> Self {
        LinkSet {
            page_url,
            links: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Adds a link unless it points at the page itself; merges duplicates
    /// keeping the more specific kind and the more informative text. Returns
    /// the link's index.
    fn push(
        &mut self,
        url: Url,
        text: String,
        kind: LinkKind,
        form: Option<String>,
    ) -> Option<usize> {
        if &url == self.page_url && form.is_none() {
            return None;
        }
        let key = match &form {
            Some(f) => format!("POST {url} {f}"),
            None => url.to_string(),
        };
        if let Some(&i) = self.index.get(&key) {
            let existing = &mut self.links[i];
            if kind.rank() > existing.kind.rank() {
                existing.kind = kind;
            }
            if more_informative(&text, &existing.text) {
                existing.text = text;
            }
            return Some(i);
        }
        self.index.insert(key, self.links.len());
        self.links.push(Link {
            url,
            text,
            kind,
            listing_date: None,
            form,
        });
        Some(self.links.len() - 1)
    }

    /// Gives link `i` its listing date, unless it has one.
    fn date(&mut self, i: usize, date: chrono::NaiveDate) {
        if let Some(l) = self.links.get_mut(i).filter(|l| l.listing_date.is_none()) {
            l.listing_date = Some(date);
        }
    }

    /// The links, in first-seen order; a listing date only for reports and files.
    fn finish(self) -> Vec<Link> {
        let mut links = self.links;
        for l in &mut links {
            if !matches!(l.kind, LinkKind::Report | LinkKind::Attachment) {
                l.listing_date = None;
            }
        }
        links
    }
}

/// A complete text beats a cut-short one, a longer one a shorter one.
fn more_informative(candidate: &str, current: &str) -> bool {
    match (is_cut_short(candidate), is_cut_short(current)) {
        (false, true) if !candidate.is_empty() => true,
        (true, false) if !current.is_empty() => false,
        _ => candidate.chars().count() > current.chars().count(),
    }
}

fn is_cut_short(text: &str) -> bool {
    let t = text.trim_end();
    t.ends_with("...") || t.ends_with('…') || t.ends_with("..") || t.ends_with("。。。")
}

/// Collapses runs of whitespace (including `&nbsp;` and full-width spaces) to one space.
fn collapse(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{3000}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A document file, or a download handler without a file name in its address
/// (`download.jsp?fid=2045`, `downfile.jsp?…`) or under a download text (点击下载).
pub fn is_file_link(url: &Url, text: &str) -> bool {
    if is_attachment(url) {
        return true;
    }
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    if RE_DOWNLOAD_HANDLER.is_match(last) && url.query().is_some() {
        return true;
    }
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.trim_matches(['[', ']', '【', '】', '(', ')', '（', '）', ':', '：']);
    DOWNLOAD_TEXTS.contains(&t) && url.path().to_ascii_lowercase().contains("down")
}

/// True for links to document files, also when the file name sits in the
/// query (`download.jsp?file=年报.pdf`), as download handlers do.
pub fn is_attachment(url: &Url) -> bool {
    let has_ext = |name: &str| {
        let name = name.trim().to_ascii_lowercase();
        name.rsplit_once('.')
            .is_some_and(|(_, ext)| ATTACHMENT_EXTENSIONS.contains(&ext))
    };
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    has_ext(last) || url.query_pairs().any(|(_, v)| has_ext(&v))
}

/// Why the trap guard refused a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Longer than the guard's length limit.
    TooLong,
    /// The path has already been seen with too many distinct query strings.
    TooManyQueryVariants,
    /// A calendar widget or date-parameterised page: endless by construction.
    CalendarLike,
    /// Not http/https.
    NotHttp,
    /// The same path segments repeat (`/a/b/a/b/a/b`): a relative-link loop.
    RepeatedSegments,
    /// Too many path segments.
    TooDeep,
    /// One query key three times or more (`?a=1&a=1&a=1`): a link appending to itself.
    RepeatedQueryKey,
    /// The address carries its own path again in its query: a link nesting itself.
    NestedSelf,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::TooLong => "url too long",
            SkipReason::TooManyQueryVariants => "too many query variants for one path",
            SkipReason::CalendarLike => "calendar-like url",
            SkipReason::NotHttp => "not http(s)",
            SkipReason::RepeatedSegments => "repeated path segments",
            SkipReason::TooDeep => "path too deep",
            SkipReason::RepeatedQueryKey => "query key repeated",
            SkipReason::NestedSelf => "address nested in its own query",
        })
    }
}

static RE_DATE_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{4}[-/.年]?\d{1,2}(?:[-/.月]?\d{1,2}日?)?$").expect("static regex")
});

/// Remembers, per host and path, which query strings were accepted, and
/// refuses URLs that look like crawler traps.
#[derive(Debug, Clone)]
pub struct TrapGuard {
    /// Longest URL accepted, in bytes.
    pub max_url_len: usize,
    /// Distinct query strings accepted for one host+path.
    pub max_query_variants: usize,
    /// Most path segments accepted.
    pub max_depth: usize,
    seen_queries: HashMap<(String, String), HashSet<String>>,
}

impl Default for TrapGuard {
    fn default() -> Self {
        TrapGuard::new(30)
    }
}

impl TrapGuard {
    /// A guard allowing `max_query_variants` query strings per path.
    pub fn new(max_query_variants: usize) -> Self {
        TrapGuard {
            // A sanity bound only: real download links run past 300 characters.
            max_url_len: 2048,
            max_query_variants,
            max_depth: 16,
            seen_queries: HashMap::new(),
        }
    }

    /// Accepts or refuses `url`; an accepted URL with a query counts towards
    /// its path's variant budget.
    pub fn check(&mut self, url: &Url) -> Result<(), SkipReason> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SkipReason::NotHttp);
        }
        if url.as_str().len() > self.max_url_len {
            return Err(SkipReason::TooLong);
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|x| !x.is_empty()).collect())
            .unwrap_or_default();
        if segments.len() > self.max_depth {
            return Err(SkipReason::TooDeep);
        }
        if has_repeated_run(&segments) {
            return Err(SkipReason::RepeatedSegments);
        }
        if is_calendar_like(url, &segments) {
            return Err(SkipReason::CalendarLike);
        }
        let mut keys: HashMap<String, usize> = HashMap::new();
        for (k, v) in url.query_pairs() {
            let n = keys.entry(k.into_owned()).or_default();
            *n += 1;
            if *n >= 3 {
                return Err(SkipReason::RepeatedQueryKey);
            }
            if url.path().len() > 8 && v.contains(url.path()) {
                return Err(SkipReason::NestedSelf);
            }
        }
        if let Some(q) = url.query().filter(|q| !q.is_empty()) {
            let key = (
                url.host_str().unwrap_or_default().to_string(),
                url.path().to_string(),
            );
            let seen = self.seen_queries.entry(key).or_default();
            if !seen.contains(q) {
                if seen.len() >= self.max_query_variants {
                    return Err(SkipReason::TooManyQueryVariants);
                }
                seen.insert(q.to_string());
            }
        }
        Ok(())
    }
}

/// A run of 1–3 segments repeated three times in a row (`/a/a/a`, `/a/b/a/b/a/b`).
fn has_repeated_run(segments: &[&str]) -> bool {
    for len in 1..=3 {
        if segments.len() < len * 3 {
            break;
        }
        for start in 0..=segments.len() - len * 3 {
            let a = &segments[start..start + len];
            let b = &segments[start + len..start + 2 * len];
            let c = &segments[start + 2 * len..start + 3 * len];
            if a == b && b == c {
                return true;
            }
        }
    }
    false
}

fn is_calendar_like(url: &Url, segments: &[&str]) -> bool {
    if segments.iter().any(|s| {
        let s = s.to_ascii_lowercase();
        matches!(s.as_str(), "calendar" | "rili" | "cal")
            || s.starts_with("calendar.")
            || s.starts_with("rili.")
    }) {
        return true;
    }
    let mut has_year = false;
    let mut has_month = false;
    for (k, v) in url.query_pairs() {
        let k = k.to_ascii_lowercase();
        if k == "year" || k == "y" {
            has_year = true;
        }
        if k == "month" || k == "m" || k == "mon" {
            has_month = true;
        }
        if (k.contains("date") || k.contains("day") || k == "d" || k == "riqi")
            && RE_DATE_VALUE.is_match(v.trim())
        {
            return true;
        }
    }
    has_year && has_month
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::report_year;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    fn found(page: &str, html: &str) -> Vec<Link> {
        discover(&url(page), html, &ReportPatterns::default())
    }

    fn of_kind(links: &[Link], kind: LinkKind) -> Vec<String> {
        links
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.url.to_string())
            .collect()
    }

    #[test]
    fn trs_list_with_truncated_titles_and_create_page_html() {
        let html = r#"<html><head><title>政府信息公开年报</title></head><body>
<div class="nav"><a href="../../">首页</a><a href="../">政务公开</a></div>
<ul class="list">
<li><a href="./202301/t20230119_1234.html" title="沈阳市辽中区人民政府办公室2022年度政府信息公开工作年度报告" target="_blank">沈阳市辽中区人民政府办公室2022年度政府信息公...</a><span>2023-01-19</span></li>
<li><a href="./202212/t20221201_1100.html" title="关于做好2022年度政府信息公开工作年度报告编制工作的通知">关于做好2022年度政府信息公开工作年度报告编...</a><span>2022-12-01</span></li>
<li><a href="./202203/t20220301_999.html">2022年政务公开工作要点</a><span>2022-03-01</span></li>
</ul>
<div class="page"><script language="JavaScript">
var currentPage = 0;//所在页从0开始
var prevPage = currentPage-1//上一页
createPageHTML(3, 0, "index", "html");
</script></div>
</body></html>"#;
        let links = found("http://example.gov.cn/zwgk/xxgknb/index.html", html);
        let reports: Vec<&Link> = links
            .iter()
            .filter(|l| l.kind == LinkKind::Report)
            .collect();
        assert_eq!(reports.len(), 1, "{links:?}");
        assert_eq!(
            reports[0].url.as_str(),
            "http://example.gov.cn/zwgk/xxgknb/202301/t20230119_1234.html"
        );
        assert_eq!(
            reports[0].text,
            "沈阳市辽中区人民政府办公室2022年度政府信息公开工作年度报告"
        );
        assert_eq!(report_year(&reports[0].text), Some(2022));
        assert_eq!(
            of_kind(&links, LinkKind::Pagination),
            vec![
                "http://example.gov.cn/zwgk/xxgknb/index_1.html",
                "http://example.gov.cn/zwgk/xxgknb/index_2.html",
            ]
        );
    }

    #[test]
    fn create_page_html_variants() {
        let base = "http://a.gov.cn/col/";
        let single = found(
            base,
            "<script>createPageHTML( 4 ,1 , 'index' , 'shtml' );</script>",
        );
        assert_eq!(
            of_kind(&single, LinkKind::Pagination),
            vec![
                "http://a.gov.cn/col/index.shtml",
                "http://a.gov.cn/col/index_1.shtml",
                "http://a.gov.cn/col/index_2.shtml",
                "http://a.gov.cn/col/index_3.shtml",
            ]
        );
        let with_div = found(
            base,
            "<div id='page_div'></div><script>createPageHTML('page_div', 5, 1, 'list', 'htm', 80);</script>",
        );
        let pages = of_kind(&with_div, LinkKind::Pagination);
        assert_eq!(pages.len(), 5);
        assert_eq!(pages[4], "http://a.gov.cn/col/list_4.htm");
        let vars = found(
            base,
            "<script>var countPage = 2//共多少页\nvar currentPage = 0;\ncreatePageHTML(countPage, currentPage, \"index\", \"html\");</script>",
        );
        assert_eq!(
            of_kind(&vars, LinkKind::Pagination),
            vec![
                "http://a.gov.cn/col/index.html",
                "http://a.gov.cn/col/index_1.html"
            ]
        );
        // The function's own definition and absurd counts yield nothing.
        let def = found(
            base,
            "<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}</script><script>createPageHTML(99999, 0, 'index', 'html')</script>",
        );
        assert!(of_kind(&def, LinkKind::Pagination).is_empty());
    }

    #[test]
    fn next_page_words_and_numbers() {
        let html = r#"<div class="fenye">
<a href="index.html">首页</a> <a href="index.html">上一页</a>
<a href="index_1.html">1</a> <a href="index_2.html">[2]</a> <a href="index_3.html">3</a>
<a href="index_2.html">下一页&gt;</a> <a href="index_5.html">尾页</a></div>
<ul class="pages"><li><a href="list.jsp?p=7">7</a></li><li><a href="list.jsp?p=8">8</a></li><li><a href="list.jsp?p=8">下页</a></li></ul>
<table class="cal"><tr><td><a href="/rc/day.html">2</a></td></tr></table>"#;
        let links = found("http://b.gov.cn/xxgk/nb/index_1.html", html);
        let pages = of_kind(&links, LinkKind::Pagination);
        assert!(pages.contains(&"http://b.gov.cn/xxgk/nb/index.html".to_string()));
        assert!(pages.contains(&"http://b.gov.cn/xxgk/nb/index_2.html".to_string()));
        assert!(pages.contains(&"http://b.gov.cn/xxgk/nb/index_3.html".to_string()));
        assert!(pages.contains(&"http://b.gov.cn/xxgk/nb/index_5.html".to_string()));
        // A page number beside 下一页/下页 counts even when its URL says nothing;
        // a number elsewhere (a calendar day) does not.
        assert!(pages.contains(&"http://b.gov.cn/xxgk/nb/list.jsp?p=7".to_string()));
        assert!(!pages.contains(&"http://b.gov.cn/rc/day.html".to_string()));
        // The self link is dropped; duplicates merged with the longer text.
        assert!(!pages.contains(&"http://b.gov.cn/xxgk/nb/index_1.html".to_string()));
        let two = links
            .iter()
            .find(|l| l.url.as_str() == "http://b.gov.cn/xxgk/nb/index_2.html")
            .expect("index_2");
        assert_eq!(two.text, "下一页>");
    }

    #[test]
    fn lone_numbers_are_not_pagination() {
        let links = found("http://c.gov.cn/", r#"<a href="/tj/2.html">2</a>"#);
        assert_eq!(links[0].kind, LinkKind::Other);
    }

    #[test]
    fn hanweb_record_store_in_script() {
        let html = r#"<div id="4851761"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=1"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2023/1/20/art_1_5001.html" target="_blank" title="辽宁省机关事务管理局2022年政府信息公开工作年度报告">辽宁省机关事务管理局2022年政府信息公开工作年度报告</a><span>2023-01-20</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2022/5/1/art_1_4000.html" title="局领导班子调整">局领导班子调整</a></li>]]></record>
</recordset></datastore></script></div>"#;
        let links = found("http://jgswj.example.cn/col/col1/index.html", html);
        let reports = of_kind(&links, LinkKind::Report);
        assert_eq!(
            reports,
            vec!["http://jgswj.example.cn/art/2023/1/20/art_1_5001.html"]
        );
        assert!(
            links
                .iter()
                .any(|l| l.url.path() == "/art/2022/5/1/art_1_4000.html"
                    && l.kind == LinkKind::Other)
        );
    }

    #[test]
    fn jiyuehua_platform_list_with_base_and_attachments() {
        // 政府网站集约化平台 pages declare a <base> and list files directly.
        let html = r#"<html><head><base href="http://www.example.gov.cn/site/xxgk/"></head><body>
<div class="bread">当前位置：<a href="/">首页</a> &gt; <a href="./">政府信息公开年报</a></div>
<ul class="xxgk-list">
<li><a href="fj/2023/西工区城市改造办公室2022年度政府信息公开工作年度报告.pdf">西工区城市改造办公室2022年度政府信息公开工作年度报告</a><em>2023-01-30</em></li>
<li><a href="download.jsp?file=%E9%99%84%E4%BB%B6.DOCX" title="附件：2021年年报">附件...</a></li>
<li><a href="detail.html?id=77#top">  卫滨区人民政府 2022 年政府信息公开 工作年度报告 </a></li>
<li><a href="javascript:void(0)" onclick="go()">更多</a><a href="mailto:zwgk@example.gov.cn">邮箱</a></li>
</ul><iframe src="/frame/calendar.html" title="日历"></iframe></body></html>"#;
        let links = found("http://www.example.gov.cn/other/page.html", html);
        assert_eq!(links.len(), 6, "{links:#?}");
        let pdf = &links[2];
        assert_eq!(pdf.kind, LinkKind::Attachment);
        assert_eq!(report_year(&pdf.text), Some(2022));
        assert!(
            pdf.url
                .as_str()
                .starts_with("http://www.example.gov.cn/site/xxgk/fj/2023/")
        );
        let docx = &links[3];
        assert_eq!(docx.kind, LinkKind::Attachment);
        assert_eq!(docx.text, "附件：2021年年报");
        let page = &links[4];
        assert_eq!(page.kind, LinkKind::Report);
        assert_eq!(
            page.url.as_str(),
            "http://www.example.gov.cn/site/xxgk/detail.html?id=77"
        );
        assert_eq!(page.text, "卫滨区人民政府 2022 年政府信息公开 工作年度报告");
        assert_eq!(links[5].kind, LinkKind::Frame);
        assert_eq!(
            links[5].url.as_str(),
            "http://www.example.gov.cn/frame/calendar.html"
        );
    }

    #[test]
    fn dates_beside_links_in_lists_and_tables() {
        let html = r#"<ul>
          <li><a href="/f/a.pdf">某局2022年政府信息公开工作年度报告</a><span>2023-01-30</span></li>
          <li><a href="/f/b.docx">某局2021年政府信息公开工作年度报告（2022年1月10日）</a></li>
          <li><span>[2022/01/28]</span> <a href="c.html">某区2021年政府信息公开工作年度报告</a></li>
        </ul>
        <table><tr><td><a href="/f/d.pdf">某镇2022年政府信息公开工作年度报告</a></td><td>2023年1月31日</td></tr></table>
        <p><a href="/f/e.pdf">甲2022年政府信息公开工作年度报告</a> 2023-01-05
           <a href="/f/f.pdf">乙2022年政府信息公开工作年度报告</a> 2023-01-06</p>"#;
        let links = found("http://a.cn/list/index.html", html);
        let date = |u: &str| {
            links
                .iter()
                .find(|l| l.url.as_str() == u)
                .unwrap_or_else(|| panic!("{u}: {links:?}"))
                .listing_date
                .map(|d| d.to_string())
        };
        assert_eq!(date("http://a.cn/f/a.pdf").as_deref(), Some("2023-01-30"));
        // A date inside the link's own text is the report's, not the listing's.
        assert_eq!(date("http://a.cn/f/b.docx"), None);
        assert_eq!(
            date("http://a.cn/list/c.html").as_deref(),
            Some("2022-01-28")
        );
        assert_eq!(date("http://a.cn/f/d.pdf").as_deref(), Some("2023-01-31"));
        // Two links share one paragraph: whose date is whose is not known.
        assert_eq!(date("http://a.cn/f/e.pdf"), None);
    }

    #[test]
    fn attachments_by_extension_or_query() {
        for (u, yes) in [
            ("http://a.cn/f/report.PDF", true),
            ("http://a.cn/f/年报.docx", true),
            ("http://a.cn/f/x.wps", true),
            ("http://a.cn/f/x.xlsx?v=2", true),
            ("http://a.cn/download?file=x.pdf", true),
            (
                "http://a.cn/download.jsp?id=1&name=%E5%B9%B4%E6%8A%A5.doc",
                true,
            ),
            ("http://a.cn/f/pdf/index.html", false),
            ("http://a.cn/f/x.pdf.html", false),
        ] {
            assert_eq!(is_attachment(&url(u)), yes, "{u}");
        }
    }

    #[test]
    fn duplicates_keep_the_complete_title() {
        let html = r#"<a href="a.html"><img src="t.jpg" alt=""></a>
<a href="a.html">肖寨门镇2022年度政府信息公开工作报告</a>
<a href="a.html">肖寨门镇2022年度政府...</a>"#;
        let links = found("http://x.cn/list/", html);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].text, "肖寨门镇2022年度政府信息公开工作报告");
        assert_eq!(links[0].kind, LinkKind::Report);
        assert_eq!(report_year(&links[0].text), Some(2022));
    }

    #[test]
    fn trap_guard_refuses_traps() {
        let mut g = TrapGuard::new(3);
        assert_eq!(g.check(&url("http://a.cn/xxgk/index.html")), Ok(()));
        assert_eq!(
            g.check(&url("http://a.cn/art/2023/1/19/art_1_2.html")),
            Ok(())
        );
        assert_eq!(g.check(&url("http://a.cn/202301/t20230119_1.html")), Ok(()));
        assert_eq!(g.check(&url("ftp://a.cn/x")), Err(SkipReason::NotHttp));
        let long = format!("http://a.cn/{}", "x".repeat(3000));
        assert_eq!(g.check(&url(&long)), Err(SkipReason::TooLong));
        // A real download link with a Chinese showname runs past 300 characters.
        let name: String = url::form_urlencoded::byte_serialize(
            "济南市历下区人民政府2023年政府信息公开工作年度报告（全文）.pdf".as_bytes(),
        )
        .collect();
        let downfile = format!(
            "http://a.cn/module/download/downfile.jsp?classid=0&filename=5c3a9f0e2b7d4e1a.pdf&showname={name}"
        );
        assert!(downfile.len() > 300);
        assert_eq!(g.check(&url(&downfile)), Ok(()));
        assert_eq!(
            g.check(&url("http://a.cn/list.jsp?a=1&a=1&a=1")),
            Err(SkipReason::RepeatedQueryKey)
        );
        assert_eq!(
            g.check(&url(
                "http://a.cn/xxgk/list.jsp?back=/xxgk/list.jsp?back=/xxgk/list.jsp"
            )),
            Err(SkipReason::NestedSelf)
        );
        assert_eq!(
            g.check(&url("http://a.cn/index.html?date=2023-01-05")),
            Err(SkipReason::CalendarLike)
        );
        assert_eq!(
            g.check(&url("http://a.cn/calendar/index.html")),
            Err(SkipReason::CalendarLike)
        );
        assert_eq!(
            g.check(&url("http://a.cn/list.jsp?year=2023&month=2")),
            Err(SkipReason::CalendarLike)
        );
        assert_eq!(
            g.check(&url("http://a.cn/a/b/a/b/a/b/c.html")),
            Err(SkipReason::RepeatedSegments)
        );
        for i in 0..3 {
            assert_eq!(g.check(&url(&format!("http://a.cn/s.jsp?q={i}"))), Ok(()));
        }
        // Seen variants stay allowed; a fourth new one is refused; other hosts are separate.
        assert_eq!(g.check(&url("http://a.cn/s.jsp?q=1")), Ok(()));
        assert_eq!(
            g.check(&url("http://a.cn/s.jsp?q=9")),
            Err(SkipReason::TooManyQueryVariants)
        );
        assert_eq!(g.check(&url("http://b.cn/s.jsp?q=9")), Ok(()));
        assert_eq!(SkipReason::CalendarLike.to_string(), "calendar-like url");
    }

    #[test]
    fn many_links_are_merged_quickly() {
        let mut html = String::new();
        for i in 0..5000 {
            html.push_str(&format!("<a href=\"/a/{}.html\">第{i}条</a>", i % 2500));
        }
        let started = std::time::Instant::now();
        let links = found("http://x.cn/", &html);
        assert_eq!(links.len(), 2500);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    proptest::proptest! {
        #[test]
        fn discover_never_panics(html in ".{0,400}", tail in "[a-z<>=\"'/ .()_,0-9下一页尾]{0,200}") {
            let page = url("http://p.gov.cn/a/b/index.html");
            let doc = format!("{html}<a href=\"{tail}\">{tail}</a><script>createPageHTML({tail})</script>");
            let _ = discover(&page, &doc, &ReportPatterns::default());
        }

        #[test]
        fn trap_guard_never_panics(path in "[a-z0-9/%?=&.-]{0,400}") {
            let mut g = TrapGuard::default();
            if let Ok(u) = Url::parse(&format!("http://a.cn/{path}")) {
                let _ = g.check(&u);
            }
        }
    }
}
