//! One frontier entry, start to finish: robots.txt, conditional fetch with
//! retries, then archive the response with its page metadata and outlinks in
//! one commit.

use super::discover::{self, LinkKind};
use super::fetch::{FetchError, FetchOutcome, Fetched, Validators, retry_delay};
use super::politeness::{Robots, host_key};
use super::{Crawl, CrawlError, attribute};
use crate::store::{
    FetchRecord, FrontierItem, NewLink, NewSnapshot, PageCommit, PageMetaRow, PreparedBody,
    SnapshotHead, now,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// What processing one entry produced, for the dispatcher's counters.
#[derive(Debug, Default)]
pub(crate) struct Processed {
    pub frontier_id: i64,
    pub state: &'static str,
    pub fetched: bool,
    pub not_modified: bool,
    pub new_snapshot: Option<i64>,
    pub new_body: bool,
    pub is_report: bool,
    pub hosts_with_new_links: Vec<String>,
}

pub(crate) async fn process(
    crawl: &Arc<Crawl>,
    item: FrontierItem,
) -> Result<Processed, CrawlError> {
    let Ok(url) = Url::parse(&item.url) else {
        return close(crawl, &item, "failed", "unparseable URL");
    };
    let host = item.host.clone();
    if crawl.config.crawler.respect_robots_txt {
        let robots = robots_for(crawl, &url, &host).await?;
        if !robots.allowed(url.as_str()) {
            return close(crawl, &item, "skipped", "disallowed by robots.txt");
        }
    }
    let previous = crawl.store().latest_snapshot(&item.url)?;
    let validators = previous
        .as_ref()
        .map(|p| Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        })
        .unwrap_or_default();

    let cfg = &crawl.config.crawler;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let turn = crawl.politeness.wait_turn(&host).await;
        let permit = crawl
            .global
            .acquire()
            .await
            .map_err(|e| CrawlError::Task(e.to_string()))?;
        let started_at = now();
        let t0 = Instant::now();
        let result = crawl.fetcher.fetch(&url, &validators).await;
        drop(permit);
        drop(turn);
        let mut record = FetchRecord {
            url: item.url.clone(),
            host: host.clone(),
            attempt,
            started_at,
            duration_ms: t0.elapsed().as_millis() as i64,
            ..Default::default()
        };
        match result {
            Err(err) => {
                record.status = err.status;
                record.error_kind = Some(err.kind.as_str().to_string());
                record.error = Some(err.message.clone());
                record.bytes = err.bytes as i64;
                if err.is_retryable() && attempt <= cfg.retries && !crawl.stopping() {
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
                        return Ok(Processed {
                            frontier_id: item.id,
                            state: "pending",
                            ..Default::default()
                        });
                    }
                    continue;
                }
                let reason = describe(&err);
                let mut c = page_commit(crawl, &item, record, "failed", Some(reason));
                c.existing_snapshot_id = previous.as_ref().map(|p| p.id);
                return finish(crawl, c);
            }
            Ok(FetchOutcome::NotModified { .. }) => {
                record.status = Some(304);
                let Some(prev) = previous else {
                    let reason = Some("304 without an archived copy".into());
                    return finish(crawl, page_commit(crawl, &item, record, "failed", reason));
                };
                let mut c = page_commit(crawl, &item, record, "done", Some("not modified".into()));
                c.links = relink_from_archive(crawl, &item, &url, &prev)?;
                c.is_report = is_report_snapshot(crawl, prev.id)?;
                c.existing_snapshot_id = Some(prev.id);
                c.not_modified = true;
                return finish(crawl, c);
            }
            Ok(FetchOutcome::Ok(fetched)) => {
                record.status = Some(fetched.status);
                record.bytes = fetched.body.len() as i64;
                return archive(crawl, item, record, fetched, previous).await;
            }
        }
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

fn describe(err: &FetchError) -> String {
    match err.status {
        Some(s) => format!("{} (HTTP {s})", err.kind.as_str()),
        None => format!("{}: {}", err.kind.as_str(), err.message),
    }
}

/// The robots.txt rules of a host, fetched once per run through the same politeness gate.
async fn robots_for(crawl: &Arc<Crawl>, url: &Url, host: &str) -> Result<Arc<Robots>, CrawlError> {
    let cell = {
        let mut map = crawl.robots.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(host.to_string()).or_default().clone()
    };
    let robots = cell
        .get_or_try_init(|| async {
            let mut robots_url = url.clone();
            robots_url.set_path("/robots.txt");
            robots_url.set_query(None);
            let turn = crawl.politeness.wait_turn(host).await;
            let started_at = now();
            let t0 = Instant::now();
            let result = crawl
                .fetcher
                .fetch(&robots_url, &Validators::default())
                .await;
            drop(turn);
            let mut record = FetchRecord {
                url: robots_url.to_string(),
                host: host.to_string(),
                attempt: 1,
                started_at,
                duration_ms: t0.elapsed().as_millis() as i64,
                ..Default::default()
            };
            let robots = match result {
                Ok(FetchOutcome::Ok(f)) => {
                    record.status = Some(f.status);
                    record.bytes = f.body.len() as i64;
                    Robots::parse(&crawl.config.crawler.user_agent, &f.body)
                }
                Err(e) => {
                    record.status = e.status;
                    // A missing robots.txt is the normal case, not an error of the host.
                    if !matches!(e.status, Some(404) | Some(410)) {
                        record.error_kind = Some(e.kind.as_str().into());
                        record.error = Some(e.message.clone());
                    }
                    match e.status {
                        // By the robots.txt RFC: 4xx means no rules; 401/403 are treated as "keep out".
                        Some(401) | Some(403) => Robots::DisallowAll,
                        _ => Robots::AllowAll,
                    }
                }
                Ok(FetchOutcome::NotModified { .. }) => Robots::AllowAll,
            };
            crawl.store().record_fetch(crawl.run_id, &record)?;
            if let Some(delay) = robots.crawl_delay() {
                crawl.politeness.set_crawl_delay(host, delay);
            }
            Ok::<_, CrawlError>(Arc::new(robots))
        })
        .await?;
    Ok(robots.clone())
}

/// Archives a 200 response: snapshot (unless identical to the last one), page metadata, outlinks.
async fn archive(
    crawl: &Arc<Crawl>,
    item: FrontierItem,
    record: FetchRecord,
    fetched: Fetched,
    previous: Option<SnapshotHead>,
) -> Result<Processed, CrawlError> {
    let analysed = {
        let crawl = Arc::clone(crawl);
        let item = item.clone();
        tokio::task::spawn_blocking(move || analyse(&crawl, &item, fetched))
            .await
            .map_err(|e| CrawlError::Task(e.to_string()))??
    };
    if let Some(prev) = previous.filter(|p| p.sha256 == analysed.body.sha256) {
        // Same bytes as the archived copy: nothing new to store.
        let mut c = page_commit(crawl, &item, record, "done", Some("unchanged".into()));
        c.links = analysed.links;
        c.is_report = is_report_snapshot(crawl, prev.id)?;
        c.existing_snapshot_id = Some(prev.id);
        return finish(crawl, c);
    }
    let mut c = page_commit(crawl, &item, record, "done", analysed.truncated_reason);
    c.is_report = analysed.meta.kind == "report"
        || (analysed.meta.kind == "attachment" && analysed.meta.report_year.is_some());
    c.snapshot = Some((analysed.snapshot, analysed.body, analysed.meta));
    c.links = analysed.links;
    finish(crawl, c)
}

struct Analysed {
    snapshot: NewSnapshot,
    body: PreparedBody,
    meta: PageMetaRow,
    links: Vec<NewLink>,
    truncated_reason: Option<String>,
}

/// The CPU part of archiving (decode, parse, discover, compress), run off the async threads.
fn analyse(crawl: &Crawl, item: &FrontierItem, fetched: Fetched) -> Result<Analysed, CrawlError> {
    let content_type = fetched.content_type().map(str::to_string);
    let format = crate::formats::sniff(
        &fetched.body,
        content_type.as_deref(),
        Some(fetched.final_url.path()),
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
    };
    let truncated_reason = fetched.truncated.then(|| {
        format!(
            "body cut off at {} bytes (max_body_bytes)",
            crawl.config.crawler.max_body_bytes
        )
    });
    let (meta, links) = if format == crate::formats::Format::Html {
        let decoded = crate::page::charset::decode(&fetched.body, content_type.as_deref());
        snapshot.charset = Some(decoded.encoding.name().to_string());
        snapshot.charset_source = Some(decoded.source.as_str().to_string());
        // One parse serves the metadata and the links.
        let dom = scraper::Html::parse_document(&decoded.text);
        let doc = crate::formats::dom_to_document(&dom);
        let page = crate::page::facts::page_meta_parsed(&dom, &doc, &crawl.patterns);
        let (meta, agency_name) = html_meta(crawl, item, page);
        let found = discover::discover_in(&fetched.final_url, &decoded.text, &dom, &crawl.patterns);
        let links = outlinks(
            crawl,
            item,
            found,
            meta.kind == "report",
            agency_name.as_deref(),
        );
        (meta, links)
    } else {
        (attachment_meta(crawl, item, format.as_str())?, Vec::new())
    };
    Ok(Analysed {
        snapshot,
        body,
        meta,
        links,
        truncated_reason,
    })
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
    let kind = meta.kind.as_str().to_string();
    let title = meta.title.clone().unwrap_or_default();
    let (agency_id, agency_name) = if kind == "report" {
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
    let row = PageMetaRow {
        kind,
        format: "html".into(),
        title: meta.title,
        publish_date: meta.publish_date.map(|d| d.format("%Y-%m-%d").to_string()),
        source: meta.source,
        editor: meta.editor,
        column_name: meta.column,
        site_name: meta.site_name,
        report_year: meta.report_year,
        agency_name: agency_name.clone(),
        agency_id,
        parent_snapshot_id: None,
    };
    (row, agency_name)
}

/// Metadata of a file (PDF, Word …): a report attachment when its link text or
/// the report page it hangs from says so.
fn attachment_meta(
    crawl: &Crawl,
    item: &FrontierItem,
    format: &str,
) -> Result<PageMetaRow, CrawlError> {
    let text = item.link_text.clone().unwrap_or_default();
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
    let link_says_report = crawl.patterns.is_report_title(&text);
    let parent_is_report = parent.as_ref().is_some_and(|(_, m)| m.kind == "report");
    let kind = if item.kind == "attachment" && (link_says_report || parent_is_report) {
        "attachment"
    } else {
        "other"
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
    Ok(PageMetaRow {
        kind: kind.into(),
        format: format.into(),
        title: Some(text).filter(|t| !t.is_empty()),
        publish_date: parent.as_ref().and_then(|(_, m)| m.publish_date.clone()),
        source: parent.as_ref().and_then(|(_, m)| m.source.clone()),
        editor: parent.as_ref().and_then(|(_, m)| m.editor.clone()),
        column_name: None,
        site_name: None,
        report_year: if kind == "attachment" { year } else { None },
        agency_name: if kind == "attachment" {
            agency_name
        } else {
            None
        },
        agency_id: if kind == "attachment" {
            agency_id
        } else {
            None
        },
        parent_snapshot_id: parent.map(|(id, _)| id),
    })
}

/// The links of a page worth following, with scope, depth and trap rules applied.
fn outlinks(
    crawl: &Crawl,
    item: &FrontierItem,
    found: Vec<discover::Link>,
    page_is_report: bool,
    agency: Option<&str>,
) -> Vec<NewLink> {
    let max_depth = crawl.config.crawler.max_depth;
    let seed = item.seed_id.and_then(|id| crawl.seed_scope.get(&id));
    let seed_dir = seed.map(|(_, u)| {
        let p = u.path();
        p[..p.rfind('/').map_or(p.len(), |i| i + 1)].to_string()
    });
    let mut out = Vec::new();
    for link in found {
        let host = host_key(&link.url);
        let in_scope = seed.is_some_and(|(h, _)| *h == host)
            || host == item.host
            || link
                .url
                .host_str()
                .is_some_and(|h| crawl.extra_hosts.contains(&h.to_ascii_lowercase()));
        if !in_scope {
            continue;
        }
        let (kind, depth) = match link.kind {
            LinkKind::Pagination => ("pagination", item.depth),
            LinkKind::Frame => ("frame", item.depth),
            LinkKind::Report => {
                if !crawl.patterns.wants(&link.text) {
                    continue;
                }
                ("report", item.depth + 1)
            }
            LinkKind::Attachment => {
                // Files are archived when they hang from a report page, or when a
                // listing links them under a report title.
                if !(page_is_report || crawl.patterns.wants(&link.text)) {
                    continue;
                }
                ("attachment", item.depth + 1)
            }
            LinkKind::Other => {
                // Beyond reports, follow the seed's own column, links that name a
                // disclosure column, and the seed page's own links (one step);
                // crawling whole portals is not our job.
                let under_seed = seed_dir
                    .as_deref()
                    .is_some_and(|d| link.url.path().starts_with(d));
                let hint = ["年报", "年度报告", "信息公开", "政务公开"]
                    .iter()
                    .any(|k| link.text.contains(k));
                if page_is_report || !(under_seed || hint || item.depth == 0) {
                    continue;
                }
                ("other", item.depth + 1)
            }
        };
        if depth > max_depth {
            continue;
        }
        let skipped = {
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
        let agency_hint = if kind == "attachment" && page_is_report {
            agency.map(str::to_string)
        } else {
            None
        };
        out.push(NewLink {
            url: link.url.to_string(),
            host,
            seed_id: item.seed_id,
            depth,
            kind: kind.into(),
            priority: super::priority(kind, depth),
            parent_url: Some(item.url.clone()),
            link_text: Some(link.text).filter(|t| !t.is_empty()),
            agency_hint,
            skipped,
        });
    }
    out
}

/// Outlinks of an unchanged page, re-read from its archived body.
fn relink_from_archive(
    crawl: &Crawl,
    item: &FrontierItem,
    url: &Url,
    prev: &SnapshotHead,
) -> Result<Vec<NewLink>, CrawlError> {
    let (body, meta) = {
        let store = crawl.store();
        (store.body(&prev.sha256)?, store.page_meta(prev.id)?)
    };
    let (Some(body), Some(meta)) = (body, meta) else {
        return Ok(Vec::new());
    };
    if meta.format != "html" {
        return Ok(Vec::new());
    }
    let decoded = crate::page::charset::decode(&body, prev.content_type.as_deref());
    let page_url = Url::parse(&prev.final_url).unwrap_or_else(|_| url.clone());
    let found = discover::discover(&page_url, &decoded.text, &crawl.patterns);
    Ok(outlinks(
        crawl,
        item,
        found,
        meta.kind == "report",
        meta.agency_name.as_deref(),
    ))
}

fn is_report_snapshot(crawl: &Crawl, snapshot_id: i64) -> Result<bool, CrawlError> {
    Ok(crawl
        .store()
        .page_meta(snapshot_id)?
        .is_some_and(|m| m.kind == "report" || (m.kind == "attachment" && m.report_year.is_some())))
}

fn close(
    crawl: &Crawl,
    item: &FrontierItem,
    state: &'static str,
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
    state: &'static str,
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
        fetched: c.state == "done",
        not_modified: c.not_modified,
        new_snapshot: outcome.snapshot_id,
        new_body: outcome.new_body,
        is_report: c.is_report,
        hosts_with_new_links: if outcome.links_added > 0 {
            hosts
        } else {
            Vec::new()
        },
    })
}
