//! One frontier entry, start to finish: robots.txt, conditional fetch with
//! retries, then archive the response with its page metadata and outlinks in
//! one commit.

use super::discover::{self, LinkKind};
use super::fetch::{FetchError, FetchOutcome, Fetched, Validators, retry_delay};
use super::politeness::{Robots, host_key};
use super::redirect::{Followed, HopRules, follow};
use super::robots::robots_for;
use super::{Crawl, CrawlError, attribute};
use crate::formats::Format;
use crate::page::facts::PageKind;
use crate::store::{
    CrawlNote, FetchRecord, FrontierItem, FrontierState, NewLink, NewSnapshot, PageCommit,
    PageMetaRow, PreparedBody, SeedHost, SnapshotHead, now,
};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// What processing one entry produced, for the dispatcher's counters.
#[derive(Debug, Default)]
pub(crate) struct Processed {
    pub frontier_id: i64,
    pub state: FrontierState,
    pub fetched: bool,
    pub not_modified: bool,
    pub new_snapshot: Option<i64>,
    pub new_body: bool,
    pub is_report: bool,
    pub hosts_with_new_links: Vec<String>,
    /// A new rendered snapshot was archived for this entry.
    pub rendered_new: bool,
    /// The rendered snapshot, when it is a new report.
    pub rendered_report: Option<i64>,
}

pub(crate) async fn process(
    crawl: &Arc<Crawl>,
    item: FrontierItem,
) -> Result<Processed, CrawlError> {
    let Ok(url) = Url::parse(&item.url) else {
        return close(crawl, &item, FrontierState::Failed, "unparseable URL");
    };
    let host = item.host.clone();
    if crawl.config.crawler.respect_robots_txt {
        let mut tries = 0u32;
        let robots = loop {
            let robots = robots_for(crawl, &item, &url).await?;
            if crawl.stopping() {
                return Ok(left_pending(&item));
            }
            let Robots::Unreachable(why) = &*robots else {
                break robots;
            };
            if tries >= crawl.config.crawler.retries {
                let reason = format!(
                    "robots.txt unreachable ({why}): nothing is fetched from this host until it answers (RFC 9309)"
                );
                // Logged against the entry too, so `missing` says why its site gave nothing.
                let record = FetchRecord {
                    url: item.url.clone(),
                    host: host.clone(),
                    attempt: 0,
                    started_at: now(),
                    error_kind: Some("robots".into()),
                    error: Some(reason.clone()),
                    ..Default::default()
                };
                let c = page_commit(crawl, &item, record, FrontierState::Failed, Some(reason));
                return finish(crawl, c);
            }
            // Complete disallow for now; robots.txt is asked again once this wait is over.
            tries += 1;
            let wait = super::robots::unreachable_retry(&crawl.config) * tries;
            let mut stop = crawl.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = crate::shutdown::stopped(&mut stop) => return Ok(left_pending(&item)),
            }
        };
        if !robots.allowed(url.as_str()) {
            return close(
                crawl,
                &item,
                FrontierState::Skipped,
                "disallowed by robots.txt",
            );
        }
    }
    let previous = match &item.form {
        Some(form) => crawl.store().latest_post_snapshot(&item.url, form)?,
        None => crawl.store().latest_snapshot(&item.url)?,
    };
    // A POST answer has no validators worth sending: it is compared by its bytes.
    let validators = previous
        .as_ref()
        .filter(|_| item.form.is_none())
        .map(|p| Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        })
        .unwrap_or_default();

    let cfg = &crawl.config.crawler;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let rules = HopRules {
            robots: true,
            cap: None,
        };
        let (result, started_at, duration_ms) =
            match follow(crawl, &item, &url, &validators, attempt, rules).await? {
                Followed::Stopped => return Ok(left_pending(&item)),
                Followed::Refused { state, reason } => return close(crawl, &item, state, &reason),
                Followed::Done {
                    result,
                    started_at,
                    duration_ms,
                } => (result, started_at, duration_ms),
            };
        let mut record = FetchRecord {
            url: item.url.clone(),
            host: host.clone(),
            attempt,
            started_at,
            duration_ms,
            ..Default::default()
        };
        match result {
            Err(err) => {
                // After a redirect, the error belongs to the URL that failed.
                if err.url != item.url
                    && let Ok(failed) = Url::parse(&err.url)
                {
                    record.url = err.url.clone();
                    record.host = host_key(&failed);
                }
                record.status = err.status;
                record.error_kind = Some(err.kind.as_str().to_string());
                record.error = Some(err.message.clone());
                record.bytes = err.bytes as i64;
                log_fetch(&record, item.kind.sql_text());
                let retry = err.is_retryable() && attempt <= cfg.retries;
                if retry && crawl.stopping() {
                    // Retries are still owed: the next run makes them, so the
                    // entry stays pending instead of failing for good.
                    crawl.store().record_fetch(crawl.run_id, &record)?;
                    return Ok(left_pending(&item));
                }
                if retry {
                    crawl.store().record_fetch(crawl.run_id, &record)?;
                    let delay = backoff(crawl, attempt, &err);
                    // A Retry-After holds the whole host, not only this URL, for the
                    // same (capped) time the retry waits.
                    if err.retry_after.is_some() {
                        crawl.politeness.pause_host(&host, delay);
                    }
                    let mut stop = crawl.shutdown.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = crate::shutdown::stopped(&mut stop) => {}
                    }
                    if crawl.stopping() {
                        // Leave the entry pending: the next run resumes it.
                        crawl.store().record_fetch(
                            crawl.run_id,
                            &FetchRecord {
                                error_kind: Some("interrupted".into()),
                                ..record
                            },
                        )?;
                        return Ok(left_pending(&item));
                    }
                    continue;
                }
                let reason = describe(&err);
                let mut c = page_commit(crawl, &item, record, FrontierState::Failed, Some(reason));
                c.existing_snapshot_id = previous.as_ref().map(|p| p.id);
                return finish(crawl, c);
            }
            Ok(FetchOutcome::NotModified { .. }) => {
                record.status = Some(304);
                log_fetch(&record, item.kind.sql_text());
                let Some(prev) = previous else {
                    let reason = Some("304 without an archived copy".into());
                    return finish(
                        crawl,
                        page_commit(crawl, &item, record, FrontierState::Failed, reason),
                    );
                };
                let mut c = page_commit(
                    crawl,
                    &item,
                    record,
                    FrontierState::Done,
                    Some("not modified".into()),
                );
                let (links, render) = relink_from_archive(crawl, &item, &url, &prev)?;
                c.links = links;
                c.is_report = is_report_snapshot(crawl, prev.id)?;
                c.existing_snapshot_id = Some(prev.id);
                c.not_modified = true;
                // An unchanged shell says nothing about the list its script loads: render it again.
                let rendered = match render {
                    Some((decision, source)) => {
                        Some(super::browser::render_page(crawl, &item, decision, &source).await?)
                    }
                    None => None,
                };
                return finish_rendered(crawl, c, rendered);
            }
            Ok(FetchOutcome::Redirect { status, .. }) => {
                // `follow` answers every redirect itself; one here is a bug, not a page.
                record.status = Some(status);
                let reason = Some(format!("HTTP {status} redirect left unfollowed"));
                return finish(
                    crawl,
                    page_commit(crawl, &item, record, FrontierState::Failed, reason),
                );
            }
            Ok(FetchOutcome::Ok(fetched)) => {
                record.status = Some(fetched.status);
                record.bytes = fetched.body.len() as i64;
                log_fetch(&record, item.kind.sql_text());
                return archive(crawl, item, record, fetched, previous).await;
            }
        }
    }
}

/// One line per fetch attempt at `-v` (target `nianbao::fetch`): status,
/// size, time, the kind of page it was queued as, and the error if any.
fn log_fetch(record: &FetchRecord, kind: &str) {
    let status = record.status.map_or("---".to_string(), |s| s.to_string());
    match &record.error_kind {
        None => tracing::info!(
            target: "nianbao::fetch",
            "{status} {} {} B {} ms {kind}",
            record.url,
            record.bytes,
            record.duration_ms
        ),
        Some(k) => tracing::info!(
            target: "nianbao::fetch",
            "{status} {} {} B {} ms {kind} ({k}, attempt {})",
            record.url,
            record.bytes,
            record.duration_ms,
            record.attempt
        ),
    }
}

/// An entry left for the next run (a stop came before it could finish).
fn left_pending(item: &FrontierItem) -> Processed {
    Processed {
        frontier_id: item.id,
        state: FrontierState::Pending,
        ..Default::default()
    }
}

fn backoff(crawl: &Crawl, attempt: u32, err: &FetchError) -> Duration {
    let c = &crawl.config.crawler;
    retry_delay(
        attempt,
        err,
        Duration::from_millis(c.backoff_initial_ms),
        Duration::from_millis(c.backoff_max_ms),
        Duration::from_secs(c.max_retry_after_secs),
    )
}

/// An error as a frontier reason: its kind, with the status or the message.
pub(super) fn describe(err: &FetchError) -> String {
    match err.status {
        Some(s) => format!("{} (HTTP {s})", err.kind.as_str()),
        None => format!("{}: {}", err.kind.as_str(), err.message),
    }
}

/// Archives a 200 response: snapshot (unless identical to the last one), page metadata, outlinks.
async fn archive(
    crawl: &Arc<Crawl>,
    item: FrontierItem,
    record: FetchRecord,
    fetched: Fetched,
    previous: Option<SnapshotHead>,
) -> Result<Processed, CrawlError> {
    let mut analysed = {
        let crawl = Arc::clone(crawl);
        let item = item.clone();
        tokio::task::spawn_blocking(move || analyse(&crawl, &item, fetched))
            .await
            .map_err(|e| CrawlError::Task(e.to_string()))??
    };
    // A page built by script is rendered (or recorded as needing a browser) whether or not its shell changed.
    let rendered = match (analysed.render.take(), analysed.source.take()) {
        (Some(decision), Some(source)) => {
            Some(super::browser::render_page(crawl, &item, decision, &source).await?)
        }
        _ => None,
    };
    if let Some(prev) = previous.filter(|p| p.sha256 == analysed.body.sha256) {
        // Same bytes as the archived copy: nothing new to store.
        let mut c = page_commit(
            crawl,
            &item,
            record,
            FrontierState::Done,
            Some("unchanged".into()),
        );
        c.links = analysed.links;
        c.notes = analysed.notes;
        c.seed_hosts = analysed.seed_hosts;
        c.is_report = is_report_snapshot(crawl, prev.id)?;
        c.existing_snapshot_id = Some(prev.id);
        return finish_rendered(crawl, c, rendered);
    }
    let mut c = page_commit(
        crawl,
        &item,
        record,
        FrontierState::Done,
        analysed.truncated_reason,
    );
    c.is_report = analysed.meta.counts_as_report();
    c.snapshot = Some((analysed.snapshot, analysed.body, analysed.meta));
    c.links = analysed.links;
    c.notes = analysed.notes;
    c.seed_hosts = analysed.seed_hosts;
    finish_rendered(crawl, c, rendered)
}

/// Whether an HTML listing (or entry page) needs a browser (see [`crate::render::decide`]).
fn render_decision(
    crawl: &Crawl,
    item: &FrontierItem,
    url: &Url,
    dom: &scraper::Html,
    meta: &PageMetaRow,
    links: &[NewLink],
) -> Option<crate::render::RenderDecision> {
    let r = &crawl.config.render;
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
        host_listed: super::browser::host_listed(crawl, url),
        auto: r.auto,
    })
}

/// Commits the entry with what rendering added: the rendered DOM's links and the decision.
fn finish_rendered(
    crawl: &Crawl,
    mut c: PageCommit,
    rendered: Option<super::browser::Rendered>,
) -> Result<Processed, CrawlError> {
    let Some(r) = rendered else {
        return finish(crawl, c);
    };
    c.links.extend(r.links);
    c.reason = Some(match c.reason.take() {
        Some(before) => format!("{before}; {}", r.reason),
        None => r.reason,
    });
    c.is_report |= r.report_snapshot.is_some();
    let mut p = finish(crawl, c)?;
    p.rendered_new = r.new_snapshot;
    p.rendered_report = r.report_snapshot;
    Ok(p)
}

pub(super) struct Analysed {
    pub snapshot: NewSnapshot,
    pub body: PreparedBody,
    pub meta: PageMetaRow,
    pub links: Vec<NewLink>,
    pub notes: Vec<CrawlNote>,
    pub seed_hosts: Vec<SeedHost>,
    truncated_reason: Option<String>,
    /// The response, kept for an HTML page the browser may need to render.
    source: Option<Fetched>,
    render: Option<crate::render::RenderDecision>,
}

/// The CPU part of archiving (decode, parse, discover, compress), run off the async threads.
pub(super) fn analyse(
    crawl: &Crawl,
    item: &FrontierItem,
    fetched: Fetched,
) -> Result<Analysed, CrawlError> {
    let content_type = fetched.content_type().map(str::to_string);
    // A download handler names its file only in Content-Disposition or its query.
    let file_name = fetched
        .header("content-disposition")
        .and_then(super::download::content_disposition_filename)
        .or_else(|| super::download::query_filename(&fetched.final_url));
    let format = crate::formats::sniff(
        &fetched.body,
        content_type.as_deref(),
        Some(file_name.as_deref().unwrap_or(fetched.final_url.path())),
    );
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
            crawl.config.crawler.max_body_bytes
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
            &crawl.patterns,
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
        let (links, hosts) = outlinks(crawl, item, found.links, false, None, true);
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
        let page = crate::page::facts::page_meta_parsed(&dom, &doc, &crawl.patterns);
        let (meta, agency_name) = html_meta(crawl, item, page);
        let found =
            discover::discover_page(&fetched.final_url, &decoded.text, &dom, &crawl.patterns);
        notes.extend(unread_notes(item, found.unread_scripts));
        let (links, hosts) = outlinks(
            crawl,
            item,
            found.links,
            meta.kind == PageKind::Report,
            agency_name.as_deref(),
            false,
        );
        seed_hosts = hosts;
        render = render_decision(crawl, item, &fetched.final_url, &dom, &meta, &links);
        (meta, links)
    } else {
        (
            attachment_meta(crawl, item, format, file_name.as_deref())?,
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

fn http_version_label(debug: &str) -> String {
    match debug {
        "HTTP/2.0" => "HTTP/2".into(),
        "HTTP/0.9" | "HTTP/1.0" | "HTTP/1.1" | "HTTP/3.0" => debug.into(),
        _ => "HTTP/1.1".into(),
    }
}

/// Page metadata of an HTML page, with the report attributed to a seed agency.
fn html_meta(
    crawl: &Crawl,
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
        let a = attribute::attribute(
            &crawl.agencies,
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
    crawl: &Crawl,
    item: &FrontierItem,
    format: Format,
    file_name: Option<&str>,
) -> Result<PageMetaRow, CrawlError> {
    use crate::page::report_kind::{Verdict, judge_file};
    let link_text = item.link_text.clone().unwrap_or_default();
    let named = file_name.map(|n| super::download::stem(n).to_string());
    // 点击下载 / 附件 say nothing: the file's own name does.
    let generic = link_text.is_empty()
        || !crawl.patterns.is_report_title(&link_text)
            && named
                .as_deref()
                .is_some_and(|n| crawl.patterns.is_report_title(n));
    let text = match (&named, generic) {
        (Some(n), true) => n.clone(),
        _ => link_text,
    };
    let parent = match &item.parent_url {
        Some(p) => {
            let store = crawl.store();
            match store.snapshot_of_url_in_run(crawl.run_id, p)? {
                Some(id) => store.page_meta(id)?.map(|m| (id, m)),
                None => None,
            }
        }
        None => None,
    };
    let parent_is_report = parent
        .as_ref()
        .is_some_and(|(_, m)| m.kind == PageKind::Report);
    let verdict = if matches!(item.kind, LinkKind::Attachment | LinkKind::Report) {
        judge_file(&crawl.patterns, &text, parent_is_report)
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
    let a = attribute::attribute(
        &crawl.agencies,
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
    Ok(PageMetaRow {
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
    })
}

/// The links of a page worth following, with scope, depth and trap rules
/// applied, and the hosts the page adds to its seed's scope (frames on other
/// hosts framed by the seed's own pages). `from_answer`: the links of a data
/// answer, where only reports, files and further pages are worth a request.
fn outlinks(
    crawl: &Crawl,
    item: &FrontierItem,
    found: Vec<discover::Link>,
    page_is_report: bool,
    agency: Option<&str>,
    from_answer: bool,
) -> (Vec<NewLink>, Vec<SeedHost>) {
    let max_depth = crawl.config.crawler.max_depth;
    let seed = item.seed_id.and_then(|id| crawl.seed_scope.get(&id));
    let seed_dir = seed.map(|(_, u)| {
        let p = u.path();
        p[..p.rfind('/').map_or(p.len(), |i| i + 1)].to_string()
    });
    let mut out = Vec::new();
    let mut widened = Vec::new();
    for link in found {
        let host = host_key(&link.url);
        let mut scoped = in_scope(crawl, item, &link.url);
        // A seed page framing a page on another host makes that host part of
        // this seed's scope, and of no other's.
        if !scoped
            && link.kind == LinkKind::Frame
            && item.depth == 0
            && let Some(seed_id) = item.seed_id
        {
            crawl.widen_seed(seed_id, &host);
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
                if !crawl.patterns.wants(&link.text) {
                    continue;
                }
                (LinkKind::Report, item.depth + 1)
            }
            LinkKind::Attachment => {
                // Files are archived when they hang from a report page, or when a
                // listing links them under a report title.
                if !(page_is_report || crawl.patterns.wants(&link.text)) {
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
            let mut traps = crawl.traps.lock().unwrap_or_else(|p| p.into_inner());
            let guard = traps.entry(host.clone()).or_insert_with(|| {
                let mut g =
                    discover::TrapGuard::new(crawl.config.crawler.max_query_variants_per_path);
                g.max_url_len = crawl.config.crawler.max_url_length;
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

/// A URL belongs to the crawl of `item`: the seed's host, the page's own host, an
/// extra host, or a host a seed page framed (for that seed only).
pub(super) fn in_scope(crawl: &Crawl, item: &FrontierItem, url: &Url) -> bool {
    let host = host_key(url);
    let seed = item.seed_id.and_then(|id| crawl.seed_scope.get(&id));
    seed.is_some_and(|(h, _)| *h == host)
        || host == item.host
        || url
            .host_str()
            .is_some_and(|h| crawl.extra_hosts.contains(&h.to_ascii_lowercase()))
        || item
            .seed_id
            .is_some_and(|id| crawl.seed_has_host(id, &host))
}

/// A page to render: the decision, and the archived response to serve the browser.
type RenderFromArchive = Option<(crate::render::RenderDecision, Fetched)>;

/// Outlinks of an unchanged page, re-read from its archived body, and whether it needs rendering.
fn relink_from_archive(
    crawl: &Crawl,
    item: &FrontierItem,
    url: &Url,
    prev: &SnapshotHead,
) -> Result<(Vec<NewLink>, RenderFromArchive), CrawlError> {
    let (body, meta) = {
        let store = crawl.store();
        (store.body(&prev.sha256)?, store.page_meta(prev.id)?)
    };
    let (Some(body), Some(meta)) = (body, meta) else {
        return Ok((Vec::new(), None));
    };
    let decoded = crate::page::charset::decode(&body, prev.content_type.as_deref());
    let page_url = Url::parse(&prev.final_url).unwrap_or_else(|_| url.clone());
    // Data answers (record stores, JSON lists) are archived as text.
    let (found, from_answer) = match meta.format {
        Format::Html => (
            discover::discover(&page_url, &decoded.text, &crawl.patterns),
            false,
        ),
        Format::Text => {
            match discover::discover_answer(
                &page_url,
                item.form.as_deref(),
                &decoded.text,
                &crawl.patterns,
            ) {
                Some(d) => (d.links, true),
                None => return Ok((Vec::new(), None)),
            }
        }
        _ => return Ok((Vec::new(), None)),
    };
    let (links, _) = outlinks(
        crawl,
        item,
        found,
        meta.kind == PageKind::Report,
        meta.agency_name.as_deref(),
        from_answer,
    );
    if from_answer {
        return Ok((links, None));
    }
    let dom = crate::formats::nesting::parse_document(&decoded.text);
    let render = render_decision(crawl, item, &page_url, &dom, &meta, &links).map(|d| {
        let source = Fetched {
            status: 200,
            final_url: page_url.clone(),
            http_version: "HTTP/1.1".into(),
            headers: prev
                .content_type
                .iter()
                .map(|t| ("content-type".to_string(), t.clone()))
                .collect(),
            body,
            truncated: false,
        };
        (d, source)
    });
    Ok((links, render))
}

fn is_report_snapshot(crawl: &Crawl, snapshot_id: i64) -> Result<bool, CrawlError> {
    Ok(crawl
        .store()
        .page_meta(snapshot_id)?
        .is_some_and(|m| m.counts_as_report()))
}

fn close(
    crawl: &Crawl,
    item: &FrontierItem,
    state: FrontierState,
    reason: &str,
) -> Result<Processed, CrawlError> {
    crawl.store().frontier_close(item.id, state, Some(reason))?;
    Ok(Processed {
        frontier_id: item.id,
        state,
        ..Default::default()
    })
}

/// A commit of `state` for an entry, to fill in further.
fn page_commit(
    crawl: &Crawl,
    item: &FrontierItem,
    fetch: FetchRecord,
    state: FrontierState,
    reason: Option<String>,
) -> PageCommit {
    PageCommit {
        run_id: crawl.run_id,
        frontier_id: item.id,
        fetch,
        snapshot: None,
        existing_snapshot_id: None,
        links: Vec::new(),
        state,
        reason,
        not_modified: false,
        is_report: false,
        notes: Vec::new(),
        seed_hosts: Vec::new(),
    }
}

/// Commits an entry's outcome and reports it to the dispatcher.
fn finish(crawl: &Crawl, c: PageCommit) -> Result<Processed, CrawlError> {
    let mut hosts: Vec<String> = c
        .links
        .iter()
        .filter(|l| l.skipped.is_none())
        .map(|l| l.host.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    let outcome = crawl.store().commit_page(&c)?;
    Ok(Processed {
        frontier_id: c.frontier_id,
        state: c.state,
        fetched: c.state == FrontierState::Done,
        not_modified: c.not_modified,
        new_snapshot: outcome.snapshot_id,
        new_body: outcome.new_body,
        is_report: c.is_report,
        hosts_with_new_links: if outcome.links_added > 0 {
            hosts
        } else {
            Vec::new()
        },
        ..Default::default()
    })
}
