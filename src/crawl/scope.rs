//! The pure side of a crawl: what a response is and which of its links are
//! worth following. Scope (seed host and column, extra hosts, depth), report
//! patterns, agency attribution and trap guards; no network, no archive, so
//! every rule here is unit-tested on its own.

use super::discover::{self, LinkKind};
use super::fetch::Fetched;
use super::politeness::host_key;
use super::{CrawlError, attribute};
use crate::config::{Config, RenderConfig};
use crate::formats::Format;
use crate::page::facts::PageKind;
use crate::patterns::ReportPatterns;
use crate::store::{
    CrawlNote, FrontierItem, NewLink, NewSnapshot, PageMetaRow, PreparedBody, SeedHost, now,
};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use url::Url;

/// Everything the analysis of a response needs to know about the run.
pub(crate) struct Scope {
    pub patterns: ReportPatterns,
    pub agencies: attribute::AgencyNames,
    /// Seed id → (seed host key, seed URL) for scope decisions.
    pub seed_scope: HashMap<i64, (String, Url)>,
    /// Hosts in scope besides each seed's own (lower case).
    pub extra_hosts: HashSet<String>,
    pub max_depth: u32,
    pub max_query_variants: usize,
    pub max_url_length: usize,
    pub max_body_bytes: u64,
    /// When pages built by script are rendered (`[render]`).
    pub render: RenderConfig,
    traps: Mutex<HashMap<String, discover::TrapGuard>>,
    /// Seed id → hosts its pages frame (widened scope, recorded in `seed_hosts`).
    seed_hosts: Mutex<HashMap<i64, HashSet<String>>>,
}

impl Scope {
    /// The scope of a run over `agencies` with `seed_scope`, under `config`.
    pub fn new(
        config: &Config,
        patterns: ReportPatterns,
        agencies: attribute::AgencyNames,
        seed_scope: HashMap<i64, (String, Url)>,
    ) -> Scope {
        let c = &config.crawler;
        Scope {
            patterns,
            agencies,
            seed_scope,
            extra_hosts: config
                .scope
                .extra_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            max_depth: c.max_depth,
            max_query_variants: c.max_query_variants_per_path,
            max_url_length: c.max_url_length,
            max_body_bytes: c.max_body_bytes,
            render: config.render.clone(),
            traps: Mutex::new(HashMap::new()),
            seed_hosts: Mutex::new(HashMap::new()),
        }
    }

    /// This scope with the hosts earlier pages of the run framed (a resumed run).
    pub fn widened(self, seed_hosts: HashMap<i64, HashSet<String>>) -> Scope {
        *self.seed_hosts.lock().unwrap_or_else(|p| p.into_inner()) = seed_hosts;
        self
    }

    /// True when `host` was added to the seed's scope by a frame.
    pub(crate) fn seed_has_host(&self, seed_id: i64, host: &str) -> bool {
        self.seed_hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&seed_id)
            .is_some_and(|h| h.contains(host))
    }

    /// Adds a framed host to one seed's scope.
    pub(crate) fn widen_seed(&self, seed_id: i64, host: &str) {
        self.seed_hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(seed_id)
            .or_default()
            .insert(host.to_string());
    }
}

/// What a response gives the archive: the snapshot, its body, page metadata and links.
pub(crate) struct Analysed {
    pub snapshot: NewSnapshot,
    pub body: PreparedBody,
    pub meta: PageMetaRow,
    pub links: Vec<NewLink>,
    pub notes: Vec<CrawlNote>,
    pub seed_hosts: Vec<SeedHost>,
    pub truncated_reason: Option<String>,
    /// The response, kept for an HTML page the browser may need to render.
    pub source: Option<Fetched>,
    pub render: Option<crate::render::RenderDecision>,
}

/// The CPU part of archiving (decode, parse, discover, compress), run off the async threads.
pub(crate) fn analyse(
    scope: &Scope,
    item: &FrontierItem,
    fetched: Fetched,
    parent: Option<(i64, PageMetaRow)>,
) -> Result<Analysed, CrawlError> {
    let content_type = fetched.content_type().map(str::to_string);
    let file_name = file_name(&fetched);
    let format = format_of(&fetched);
    let body = PreparedBody::new(&fetched.body)
        .map_err(|e| CrawlError::Task(format!("compressing {}: {e}", item.url)))?;
    let mut snapshot = NewSnapshot {
        url: item.url.clone(),
        final_url: fetched.final_url.to_string(),
        fetched_at: now(),
        status: fetched.status,
        http_version: http_version_label(&fetched.http_version),
        headers: fetched.headers.clone(),
        content_type: content_type.clone(),
        charset: None,
        charset_source: None,
        truncated: fetched.truncated,
        etag: fetched.header("etag").map(str::to_string),
        last_modified: fetched.header("last-modified").map(str::to_string),
        seed_id: item.seed_id,
        parent_url: item.parent_url.clone(),
        form: item.form.clone(),
    };
    let truncated_reason = fetched.truncated.then(|| {
        format!(
            "body cut off at {} bytes (max_body_bytes)",
            scope.max_body_bytes
        )
    });
    let mut render = None;
    let mut notes = Vec::new();
    let mut seed_hosts = Vec::new();
    let readable = matches!(
        format,
        crate::formats::Format::Html
            | crate::formats::Format::Text
            | crate::formats::Format::Unknown
    );
    let decoded =
        readable.then(|| crate::page::charset::decode(&fetched.body, content_type.as_deref()));
    let answer = decoded.as_ref().and_then(|d| {
        discover::discover_answer(
            &fetched.final_url,
            item.form.as_deref(),
            &d.text,
            &scope.patterns,
        )
    });
    let (meta, links) = if let (Some(found), Some(decoded)) = (answer, &decoded) {
        // A data answer (record store, JSON list): a listing of the seed's column.
        snapshot.charset = Some(decoded.encoding.name().to_string());
        snapshot.charset_source = Some(decoded.source.as_str().to_string());
        let meta = PageMetaRow {
            kind: PageKind::Listing,
            format: Format::Text,
            title: item.link_text.clone(),
            ..Default::default()
        };
        notes.extend(unread_notes(item, found.unread_scripts));
        let (links, hosts) = outlinks(scope, item, found.links, false, None, true);
        seed_hosts = hosts;
        (meta, links)
    } else if format == crate::formats::Format::Html {
        let decoded = decoded.unwrap_or_else(|| {
            crate::page::charset::decode(&fetched.body, content_type.as_deref())
        });
        snapshot.charset = Some(decoded.encoding.name().to_string());
        snapshot.charset_source = Some(decoded.source_label());
        // One parse serves the metadata and the links.
        let dom = crate::formats::nesting::parse_document(&decoded.text);
        let doc = crate::formats::dom_to_document(&dom);
        let page = crate::page::facts::page_meta_parsed(&dom, &doc, &scope.patterns);
        let (meta, agency_name) = html_meta(scope, item, page);
        let found =
            discover::discover_page(&fetched.final_url, &decoded.text, &dom, &scope.patterns);
        notes.extend(unread_notes(item, found.unread_scripts));
        let (links, hosts) = outlinks(
            scope,
            item,
            found.links,
            meta.kind == PageKind::Report,
            agency_name.as_deref(),
            false,
        );
        seed_hosts = hosts;
        render = render_decision(scope, item, &fetched.final_url, &dom, &meta, &links);
        (meta, links)
    } else {
        (
            attachment_meta(scope, item, format, parent, file_name.as_deref()),
            Vec::new(),
        )
    };
    Ok(Analysed {
        snapshot,
        body,
        meta,
        links,
        notes,
        seed_hosts,
        truncated_reason,
        // The response is kept only for a page the browser is to render.
        source: render.is_some().then_some(fetched),
        render,
    })
}

/// Script-built listings a page shows and nobody could read, as notes for `missing`.
fn unread_notes(item: &FrontierItem, unread: Vec<String>) -> Vec<CrawlNote> {
    unread
        .into_iter()
        .map(|detail| CrawlNote {
            url: item.url.clone(),
            kind: "unread_script".into(),
            detail,
        })
        .collect()
}

/// Whether an HTML listing (or entry page) needs a browser (see [`crate::render::decide`]).
pub(crate) fn render_decision(
    scope: &Scope,
    item: &FrontierItem,
    url: &Url,
    dom: &scraper::Html,
    meta: &PageMetaRow,
    links: &[NewLink],
) -> Option<crate::render::RenderDecision> {
    let r = &scope.render;
    if matches!(item.kind, LinkKind::Report | LinkKind::Attachment)
        || meta.kind == PageKind::Report
        || (!r.auto && r.hosts.is_empty())
    {
        return None;
    }
    let useful_links = links
        .iter()
        // A list endpoint or redirect discovery could read needs no browser either.
        .filter(|l| {
            matches!(
                l.kind,
                LinkKind::Report
                    | LinkKind::Attachment
                    | LinkKind::Pagination
                    | LinkKind::Api
                    | LinkKind::Redirect
            )
        })
        .count();
    crate::render::decide(&crate::render::PageSignals {
        dom,
        useful_links,
        host_listed: host_listed(scope, url),
        auto: r.auto,
    })
}

/// The host is listed in `[render] hosts`.
pub(crate) fn host_listed(scope: &Scope, url: &Url) -> bool {
    url.host_str()
        .is_some_and(|h| scope.render.hosts.iter().any(|l| l.eq_ignore_ascii_case(h)))
}

/// A URL belongs to the crawl of `item`: the seed's host, the page's own host, an
/// extra host, or a host a seed page framed (for that seed only).
pub(crate) fn in_scope(scope: &Scope, item: &FrontierItem, url: &Url) -> bool {
    let host = host_key(url);
    let seed = item.seed_id.and_then(|id| scope.seed_scope.get(&id));
    seed.is_some_and(|(h, _)| *h == host)
        || host == item.host
        || url
            .host_str()
            .is_some_and(|h| scope.extra_hosts.contains(&h.to_ascii_lowercase()))
        || item
            .seed_id
            .is_some_and(|id| scope.seed_has_host(id, &host))
}

/// The file name a download handler gives its file: in Content-Disposition, else its query.
fn file_name(fetched: &Fetched) -> Option<String> {
    fetched
        .header("content-disposition")
        .and_then(super::download::content_disposition_filename)
        .or_else(|| super::download::query_filename(&fetched.final_url))
}

/// What a response is, by its bytes, type and path (or the file name a
/// download handler names it by).
pub(crate) fn format_of(fetched: &Fetched) -> crate::formats::Format {
    let name = file_name(fetched);
    crate::formats::sniff(
        &fetched.body,
        fetched.content_type(),
        Some(name.as_deref().unwrap_or(fetched.final_url.path())),
    )
}

pub(crate) fn is_html(fetched: &Fetched) -> bool {
    format_of(fetched) == crate::formats::Format::Html
}

fn http_version_label(debug: &str) -> String {
    match debug {
        "HTTP/2.0" => "HTTP/2".into(),
        "HTTP/0.9" | "HTTP/1.0" | "HTTP/1.1" | "HTTP/3.0" => debug.into(),
        _ => "HTTP/1.1".into(),
    }
}

/// Page metadata of an HTML page, with the report attributed to a seed agency.
fn html_meta(
    scope: &Scope,
    item: &FrontierItem,
    meta: crate::page::facts::PageMeta,
) -> (PageMetaRow, Option<String>) {
    let kind = meta.kind;
    let title = meta.title.clone().unwrap_or_default();
    // Decoys are attributed too, so `missing` can name them for their agency.
    let (agency_id, agency_name) = if kind == PageKind::Report || kind == PageKind::Decoy {
        let from_title = meta
            .agency
            .clone()
            .or_else(|| crate::page::facts::agency_from_title(&title));
        let a = scope.agencies.attribute(
            &[
                title.as_str(),
                from_title.as_deref().unwrap_or(""),
                item.link_text.as_deref().unwrap_or(""),
            ],
            from_title.as_deref(),
        );
        (a.agency_id, a.name)
    } else {
        (None, None)
    };
    let report_year = meta.report_year.or_else(|| {
        (kind == PageKind::Decoy)
            .then(|| meta.title.as_deref().and_then(crate::patterns::report_year))
            .flatten()
    });
    let row = PageMetaRow {
        kind,
        format: Format::Html,
        title: meta.title,
        publish_date: meta.publish_date.or(item.listing_date),
        source: meta.source,
        editor: meta.editor,
        column_name: meta.column,
        site_name: meta.site_name,
        report_year,
        agency_name: agency_name.clone(),
        agency_id,
        parent_snapshot_id: None,
        decoy: meta.decoy.map(|d| d.as_str().to_string()),
    };
    (row, agency_name)
}

/// Metadata of a file (PDF, Word …): a report attachment when its title (link
/// text, else the name Content-Disposition gives) or the report page it hangs
/// from says so, as [`crate::page::report_kind::judge_file`] decides.
fn attachment_meta(
    scope: &Scope,
    item: &FrontierItem,
    format: Format,
    parent: Option<(i64, PageMetaRow)>,
    file_name: Option<&str>,
) -> PageMetaRow {
    use crate::page::report_kind::{Verdict, judge_file};
    let link_text = item.link_text.clone().unwrap_or_default();
    let named = file_name.map(|n| super::download::stem(n).to_string());
    // 点击下载 / 附件 say nothing: the file's own name does.
    let generic = link_text.is_empty()
        || !scope.patterns.is_report_title(&link_text)
            && named
                .as_deref()
                .is_some_and(|n| scope.patterns.is_report_title(n));
    let text = match (&named, generic) {
        (Some(n), true) => n.clone(),
        _ => link_text,
    };
    let parent_is_report = parent
        .as_ref()
        .is_some_and(|(_, m)| m.kind == PageKind::Report);
    let verdict = if matches!(item.kind, LinkKind::Attachment | LinkKind::Report) {
        judge_file(&scope.patterns, &text, parent_is_report)
    } else {
        Verdict::NotReport
    };
    let kind = match verdict {
        Verdict::Report => PageKind::Attachment,
        Verdict::Decoy(_) => PageKind::Decoy,
        Verdict::NotReport => PageKind::Other,
    };
    let year = crate::patterns::report_year(&text)
        .or_else(|| parent.as_ref().and_then(|(_, m)| m.report_year));
    let from_title = crate::page::facts::agency_from_title(&text);
    let a = scope.agencies.attribute(
        &[text.as_str(), item.agency_hint.as_deref().unwrap_or("")],
        from_title.as_deref().or(item.agency_hint.as_deref()),
    );
    let (agency_id, agency_name) = match (&a.agency_id, &parent) {
        (None, Some((_, m))) if parent_is_report && m.agency_name.is_some() => {
            (m.agency_id, m.agency_name.clone())
        }
        _ => (a.agency_id, a.name),
    };
    // Decoy files are attributed too, so `missing` can name them for their agency.
    let is_file = kind == PageKind::Attachment || kind == PageKind::Decoy;
    PageMetaRow {
        kind,
        format,
        title: Some(text).filter(|t| !t.is_empty()),
        // A report page's date is its attachment's; a listing's own date is
        // not, the date it prints beside the link is.
        publish_date: {
            let page_date = parent.as_ref().and_then(|(_, m)| m.publish_date);
            if parent_is_report {
                page_date.or(item.listing_date)
            } else {
                item.listing_date.or(page_date)
            }
        },
        source: parent.as_ref().and_then(|(_, m)| m.source.clone()),
        editor: parent.as_ref().and_then(|(_, m)| m.editor.clone()),
        column_name: None,
        site_name: None,
        report_year: if is_file { year } else { None },
        agency_name: if is_file { agency_name } else { None },
        agency_id: if is_file { agency_id } else { None },
        parent_snapshot_id: parent.map(|(id, _)| id),
        decoy: verdict.decoy().map(|d| d.as_str().to_string()),
    }
}

/// The links of a page worth following, with scope, depth and trap rules
/// applied, and the hosts the page adds to its seed's scope (frames on other
/// hosts framed by the seed's own pages). `from_answer`: the links of a data
/// answer, where only reports, files and further pages are worth a request.
pub(crate) fn outlinks(
    scope: &Scope,
    item: &FrontierItem,
    found: Vec<discover::Link>,
    page_is_report: bool,
    agency: Option<&str>,
    from_answer: bool,
) -> (Vec<NewLink>, Vec<SeedHost>) {
    let max_depth = scope.max_depth;
    let seed = item.seed_id.and_then(|id| scope.seed_scope.get(&id));
    let seed_dir = seed.map(|(_, u)| {
        let p = u.path();
        p[..p.rfind('/').map_or(p.len(), |i| i + 1)].to_string()
    });
    let mut out = Vec::new();
    let mut widened = Vec::new();
    for link in found {
        let host = host_key(&link.url);
        let mut scoped = in_scope(scope, item, &link.url);
        // A seed page framing a page on another host makes that host part of
        // this seed's scope, and of no other's.
        if !scoped
            && link.kind == LinkKind::Frame
            && item.depth == 0
            && let Some(seed_id) = item.seed_id
        {
            scope.widen_seed(seed_id, &host);
            widened.push(SeedHost {
                seed_id,
                host: host.clone(),
                via_url: item.url.clone(),
            });
            scoped = true;
        }
        if !scoped {
            continue;
        }
        let (kind, depth) = match link.kind {
            LinkKind::Pagination => (LinkKind::Pagination, item.depth),
            LinkKind::Frame => (LinkKind::Frame, item.depth),
            LinkKind::Redirect => (LinkKind::Redirect, item.depth),
            LinkKind::Api => (LinkKind::Api, item.depth),
            LinkKind::Report => {
                if !scope.patterns.wants(&link.text) {
                    continue;
                }
                (LinkKind::Report, item.depth + 1)
            }
            LinkKind::Attachment => {
                // Files are archived when they hang from a report page, or when a
                // listing links them under a report title.
                if !(page_is_report || scope.patterns.wants(&link.text)) {
                    continue;
                }
                (LinkKind::Attachment, item.depth + 1)
            }
            // Discovery finds no seeds; a seed URL linked again is just a link.
            LinkKind::Other | LinkKind::Seed => {
                // Beyond reports, follow the seed's own column, links that name a
                // disclosure column, and the seed page's own links (one step);
                // crawling whole portals is not our job.
                let under_seed = seed_dir
                    .as_deref()
                    .is_some_and(|d| link.url.path().starts_with(d));
                let hint = ["年报", "年度报告", "信息公开", "政务公开"]
                    .iter()
                    .any(|k| link.text.contains(k))
                    || ["gknb", "ndbg", "xxgknb", "zfxxgknb", "gkndbg"]
                        .iter()
                        .any(|k| link.url.path().to_ascii_lowercase().contains(k));
                if from_answer || page_is_report || !(under_seed || hint || item.depth == 0) {
                    continue;
                }
                (LinkKind::Other, item.depth + 1)
            }
        };
        if depth > max_depth {
            continue;
        }
        // List requests are generated in bounded numbers by the idioms; the
        // trap guard judges the addresses pages link.
        let skipped = if link.kind == LinkKind::Api {
            None
        } else {
            let mut traps = scope.traps.lock().unwrap_or_else(|p| p.into_inner());
            let guard = traps.entry(host.clone()).or_insert_with(|| {
                let mut g = discover::TrapGuard::new(scope.max_query_variants);
                g.max_url_len = scope.max_url_length;
                g
            });
            guard
                .check(&link.url)
                .err()
                .map(|r| format!("trap guard: {r}"))
        };
        let agency_hint = if kind == LinkKind::Attachment && page_is_report {
            agency.map(str::to_string)
        } else {
            None
        };
        out.push(NewLink {
            url: link.url.to_string(),
            host,
            seed_id: item.seed_id,
            depth,
            kind,
            priority: super::priority(kind, depth),
            parent_url: Some(item.url.clone()),
            link_text: Some(link.text).filter(|t| !t.is_empty()),
            agency_hint,
            listing_date: link.listing_date,
            skipped,
            form: link.form,
        });
    }
    (out, widened)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "http://www.a.gov.cn/zwgk/nb/index.html";

    fn scope(config: &Config, years: Option<std::ops::RangeInclusive<i32>>) -> Scope {
        let seed = Url::parse(SEED).unwrap();
        let seed_scope = HashMap::from([(1, (host_key(&seed), seed))]);
        Scope::new(
            config,
            config.report_patterns(years),
            attribute::AgencyNames::new(Vec::new()).unwrap(),
            seed_scope,
        )
    }

    fn item(url: &str, depth: u32) -> FrontierItem {
        let u = Url::parse(url).unwrap();
        FrontierItem {
            id: 1,
            url: url.into(),
            host: host_key(&u),
            seed_id: Some(1),
            depth,
            kind: LinkKind::Seed,
            priority: 0,
            parent_url: None,
            link_text: None,
            agency_hint: None,
            listing_date: None,
            form: None,
        }
    }

    fn link(url: &str, text: &str, kind: LinkKind) -> discover::Link {
        discover::Link {
            url: Url::parse(url).unwrap(),
            text: text.into(),
            kind,
            listing_date: None,
            form: None,
        }
    }

    fn kinds(links: &[NewLink]) -> Vec<(&str, LinkKind, u32)> {
        links
            .iter()
            .map(|l| (l.url.as_str(), l.kind, l.depth))
            .collect()
    }

    #[test]
    fn reports_pagination_and_the_seed_column_are_followed_other_sites_are_not() {
        let config = Config::default();
        let s = scope(&config, None);
        let found = vec![
            link(
                "http://www.a.gov.cn/zwgk/nb/t1.html",
                "某局2023年政府信息公开工作年度报告",
                LinkKind::Report,
            ),
            link(
                "http://www.a.gov.cn/zwgk/nb/index_1.html",
                "下一页",
                LinkKind::Pagination,
            ),
            link(
                "http://www.a.gov.cn/zwgk/nb/t2.html",
                "通知公告",
                LinkKind::Other,
            ),
            link(
                "http://www.a.gov.cn/about/t3.html",
                "关于我们",
                LinkKind::Other,
            ),
            link(
                "http://www.other.gov.cn/nb/t4.html",
                "某县2023年政府信息公开工作年度报告",
                LinkKind::Report,
            ),
        ];
        let out = outlinks(
            &s,
            &item("http://www.a.gov.cn/zwgk/nb/list.html", 1),
            found,
            false,
            None,
            false,
        )
        .0;
        assert_eq!(
            kinds(&out),
            vec![
                ("http://www.a.gov.cn/zwgk/nb/t1.html", LinkKind::Report, 2),
                // Pagination stays at the listing's depth.
                (
                    "http://www.a.gov.cn/zwgk/nb/index_1.html",
                    LinkKind::Pagination,
                    1
                ),
                // Under the seed's folder.
                ("http://www.a.gov.cn/zwgk/nb/t2.html", LinkKind::Other, 2),
            ]
        );
        assert!(
            out.iter()
                .all(|l| l.skipped.is_none() && l.seed_id == Some(1))
        );
        assert_eq!(
            out[0].parent_url.as_deref(),
            Some("http://www.a.gov.cn/zwgk/nb/list.html")
        );
        assert!(
            out[0].priority < out[2].priority,
            "reports before plain pages"
        );
    }

    #[test]
    fn the_seed_page_follows_its_own_links_one_step_and_extra_hosts_are_in_scope() {
        let mut config = Config::default();
        config.scope.extra_hosts = vec!["Files.A.gov.cn".into()];
        let s = scope(&config, None);
        let found = vec![
            link(
                "http://www.a.gov.cn/about/t3.html",
                "关于我们",
                LinkKind::Other,
            ),
            link(
                "http://files.a.gov.cn/up/2023.pdf",
                "2023年政府信息公开工作年度报告",
                LinkKind::Attachment,
            ),
        ];
        let out = outlinks(&s, &item(SEED, 0), found.clone(), false, None, false).0;
        assert_eq!(
            kinds(&out),
            vec![
                ("http://www.a.gov.cn/about/t3.html", LinkKind::Other, 1),
                ("http://files.a.gov.cn/up/2023.pdf", LinkKind::Attachment, 1),
            ]
        );
        // One level down, a page outside the column is no longer followed.
        let out = outlinks(
            &s,
            &item("http://www.a.gov.cn/zwgk/nb/list.html", 1),
            found,
            false,
            None,
            false,
        )
        .0;
        assert_eq!(
            kinds(&out),
            vec![("http://files.a.gov.cn/up/2023.pdf", LinkKind::Attachment, 2)]
        );
    }

    #[test]
    fn a_report_page_keeps_its_files_with_its_agency_and_drops_plain_links() {
        let config = Config::default();
        let s = scope(&config, None);
        let found = vec![
            link(
                "http://www.a.gov.cn/zwgk/nb/fj.docx",
                "附件",
                LinkKind::Attachment,
            ),
            link(
                "http://www.a.gov.cn/zwgk/nb/t9.html",
                "年报专栏",
                LinkKind::Other,
            ),
        ];
        let out = outlinks(
            &s,
            &item("http://www.a.gov.cn/zwgk/nb/t1.html", 2),
            found,
            true,
            Some("某局"),
            false,
        )
        .0;
        assert_eq!(
            kinds(&out),
            vec![(
                "http://www.a.gov.cn/zwgk/nb/fj.docx",
                LinkKind::Attachment,
                3
            )]
        );
        assert_eq!(out[0].agency_hint.as_deref(), Some("某局"));
    }

    #[test]
    fn years_depth_and_traps_bound_what_is_followed() {
        let mut config = Config::default();
        config.crawler.max_depth = 2;
        config.crawler.max_query_variants_per_path = 2;
        let s = scope(&config, Some(2022..=2022));
        let report = |y: i32| {
            link(
                &format!("http://www.a.gov.cn/zwgk/nb/{y}.html"),
                &format!("某局{y}年政府信息公开工作年度报告"),
                LinkKind::Report,
            )
        };
        let listing = item("http://www.a.gov.cn/zwgk/nb/list.html", 1);
        let out = outlinks(
            &s,
            &listing,
            vec![report(2021), report(2022)],
            false,
            None,
            false,
        )
        .0;
        assert_eq!(
            kinds(&out),
            vec![("http://www.a.gov.cn/zwgk/nb/2022.html", LinkKind::Report, 2)]
        );
        // Depth 2 already: its reports would be depth 3.
        let deep = item("http://www.a.gov.cn/zwgk/nb/list.html", 2);
        assert!(
            outlinks(&s, &deep, vec![report(2022)], false, None, false)
                .0
                .is_empty()
        );
        // The third query variant of one path is recorded as skipped, not dropped.
        let pages: Vec<discover::Link> = (1..=3)
            .map(|i| {
                link(
                    &format!("http://www.a.gov.cn/zwgk/nb/list.html?page={i}"),
                    "下一页",
                    LinkKind::Pagination,
                )
            })
            .collect();
        let out = outlinks(&s, &listing, pages, false, None, false).0;
        assert_eq!(out.len(), 3);
        assert!(out[..2].iter().all(|l| l.skipped.is_none()));
        assert!(
            out[2]
                .skipped
                .as_deref()
                .is_some_and(|r| r.starts_with("trap guard"))
        );
    }
}
