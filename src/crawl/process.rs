//! One frontier entry, start to finish: robots.txt, conditional fetch with
//! retries, then archive the response with its page metadata and outlinks in
//! one commit.

use super::discover;
use super::dispatch::Job;
use super::fetch::{FetchError, FetchOutcome, Fetched, Validators, retry_delay};
use super::network::Slot;
use super::politeness::Robots;
use super::{Crawl, CrawlError, scope};
use crate::store::{FetchRecord, FrontierItem, NewLink, PageCommit, SnapshotHead, now};
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
    /// A new rendered snapshot was archived for this entry.
    pub rendered_new: bool,
    /// The rendered snapshot, when it is a new report.
    pub rendered_report: Option<i64>,
}

/// Fetches and archives one entry. `slot` lets its first request start at once
/// (robots.txt when the host's rules are not known yet, else the page itself).
pub(crate) async fn process(
    crawl: &Arc<Crawl>,
    job: Job,
    slot: Slot,
) -> Result<Processed, CrawlError> {
    let Job { item, previous } = job;
    let Ok(url) = Url::parse(&item.url) else {
        return close(crawl, &item, "failed", "unparseable URL").await;
    };
    let host = item.host.clone();
    let mut slot = Some(slot);
    if crawl.config.crawler.respect_robots_txt {
        let robots = robots_for(crawl, &url, &host, &mut slot).await?;
        if !robots.allowed(url.as_str()) {
            return close(crawl, &item, "skipped", "disallowed by robots.txt").await;
        }
    }
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
        let slot = match slot.take() {
            Some(s) => s,
            None => crawl.net.slot(&host).await,
        };
        let started_at = now();
        let t0 = Instant::now();
        let result = crawl.net.fetch(&slot, &url, &validators).await;
        drop(slot);
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
                    record_fetch(crawl, record.clone()).await?;
                    let delay = backoff(crawl, attempt, &err);
                    // A Retry-After holds the whole host, not only this URL, for the
                    // same (capped) time the retry waits.
                    if err.retry_after.is_some() {
                        crawl.net.politeness.pause_host(&host, delay);
                    }
                    let mut stop = crawl.shutdown.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = crate::shutdown::stopped(&mut stop) => {}
                    }
                    if crawl.stopping() {
                        // Leave the entry pending: the next run resumes it.
                        record_fetch(
                            crawl,
                            FetchRecord {
                                error_kind: Some("interrupted".into()),
                                ..record
                            },
                        )
                        .await?;
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
                return finish(crawl, c).await;
            }
            Ok(FetchOutcome::NotModified { .. }) => {
                record.status = Some(304);
                let Some(prev) = previous else {
                    let reason = Some("304 without an archived copy".into());
                    return finish(crawl, page_commit(crawl, &item, record, "failed", reason))
                        .await;
                };
                let mut c = page_commit(crawl, &item, record, "done", Some("not modified".into()));
                let (links, render) = relink_from_archive(crawl, &item, &url, &prev).await?;
                c.links = links;
                c.is_report = is_report_snapshot(crawl, prev.id).await?;
                c.existing_snapshot_id = Some(prev.id);
                c.not_modified = true;
                // An unchanged shell says nothing about the list its script loads: render it again.
                let rendered = match render {
                    Some((decision, source)) => {
                        Some(super::browser::render_page(crawl, &item, decision, &source).await?)
                    }
                    None => None,
                };
                return finish_rendered(crawl, c, rendered).await;
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

/// The robots.txt rules of a host, fetched once per run through the same
/// politeness gate (with `slot` when the caller holds one).
pub(super) async fn robots_for(
    crawl: &Arc<Crawl>,
    url: &Url,
    host: &str,
    slot: &mut Option<Slot>,
) -> Result<Arc<Robots>, CrawlError> {
    let cell = crawl.net.robots_cell(host);
    let robots = cell
        .get_or_try_init(|| async {
            let mut robots_url = url.clone();
            robots_url.set_path("/robots.txt");
            robots_url.set_query(None);
            let turn = match slot.take() {
                Some(s) => s,
                None => crawl.net.slot(host).await,
            };
            let started_at = now();
            let t0 = Instant::now();
            let result = crawl
                .net
                .fetch(&turn, &robots_url, &Validators::default())
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
            record_fetch(crawl, record).await?;
            if let Some(delay) = robots.crawl_delay() {
                crawl.net.politeness.set_crawl_delay(host, delay);
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
    // A file's metadata comes from the report page it hangs from: read it here,
    // so the analysis itself needs nothing but the response.
    let parent = match &item.parent_url {
        Some(p) if !scope::is_html(&fetched) => {
            let (run_id, p) = (crawl.run_id, p.clone());
            crawl
                .store
                .call(move |s| match s.snapshot_of_url_in_run(run_id, &p)? {
                    Some(id) => Ok(s.page_meta(id)?.map(|m| (id, m))),
                    None => Ok(None),
                })
                .await?
        }
        _ => None,
    };
    let mut analysed = {
        let crawl = Arc::clone(crawl);
        let item = item.clone();
        tokio::task::spawn_blocking(move || scope::analyse(&crawl.scope, &item, fetched, parent))
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
        let mut c = page_commit(crawl, &item, record, "done", Some("unchanged".into()));
        c.links = analysed.links;
        c.is_report = is_report_snapshot(crawl, prev.id).await?;
        c.existing_snapshot_id = Some(prev.id);
        return finish_rendered(crawl, c, rendered).await;
    }
    let mut c = page_commit(crawl, &item, record, "done", analysed.truncated_reason);
    c.is_report = analysed.meta.kind == "report"
        || (analysed.meta.kind == "attachment" && analysed.meta.report_year.is_some());
    c.snapshot = Some((analysed.snapshot, analysed.body, analysed.meta));
    c.links = analysed.links;
    finish_rendered(crawl, c, rendered).await
}

/// Commits the entry with what rendering added: the rendered DOM's links and the decision.
async fn finish_rendered(
    crawl: &Crawl,
    mut c: PageCommit,
    rendered: Option<super::browser::Rendered>,
) -> Result<Processed, CrawlError> {
    let Some(r) = rendered else {
        return finish(crawl, c).await;
    };
    c.links.extend(r.links);
    c.reason = Some(match c.reason.take() {
        Some(before) => format!("{before}; {}", r.reason),
        None => r.reason,
    });
    c.is_report |= r.report_snapshot.is_some();
    let mut p = finish(crawl, c).await?;
    p.rendered_new = r.new_snapshot;
    p.rendered_report = r.report_snapshot;
    Ok(p)
}

/// A page to render: the decision, and the archived response to serve the browser.
type RenderFromArchive = Option<(crate::render::RenderDecision, Fetched)>;

/// Outlinks of an unchanged page, re-read from its archived body, and whether it needs rendering.
async fn relink_from_archive(
    crawl: &Crawl,
    item: &FrontierItem,
    url: &Url,
    prev: &SnapshotHead,
) -> Result<(Vec<NewLink>, RenderFromArchive), CrawlError> {
    let (sha, id) = (prev.sha256.clone(), prev.id);
    let (body, meta) = crawl
        .store
        .call(move |s| Ok((s.body(&sha)?, s.page_meta(id)?)))
        .await?;
    let (Some(body), Some(meta)) = (body, meta) else {
        return Ok((Vec::new(), None));
    };
    if meta.format != "html" {
        return Ok((Vec::new(), None));
    }
    let decoded = crate::page::charset::decode(&body, prev.content_type.as_deref());
    let page_url = Url::parse(&prev.final_url).unwrap_or_else(|_| url.clone());
    let found = discover::discover(&page_url, &decoded.text, &crawl.scope.patterns);
    let links = scope::outlinks(
        &crawl.scope,
        item,
        found,
        meta.kind == "report",
        meta.agency_name.as_deref(),
    );
    let dom = scraper::Html::parse_document(&decoded.text);
    let render =
        scope::render_decision(&crawl.scope, item, &page_url, &dom, &meta, &links).map(|d| {
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

async fn is_report_snapshot(crawl: &Crawl, snapshot_id: i64) -> Result<bool, CrawlError> {
    Ok(crawl
        .store
        .call(move |s| s.page_meta(snapshot_id))
        .await?
        .is_some_and(|m| m.kind == "report" || (m.kind == "attachment" && m.report_year.is_some())))
}

/// Logs a fetch attempt that is not the entry's last (a retry, robots.txt).
async fn record_fetch(crawl: &Crawl, record: FetchRecord) -> Result<(), CrawlError> {
    let run_id = crawl.run_id;
    crawl
        .store
        .call(move |s| s.record_fetch(run_id, &record))
        .await
}

/// Closes an entry without archiving anything.
pub(crate) async fn close(
    crawl: &Crawl,
    item: &FrontierItem,
    state: &'static str,
    reason: &str,
) -> Result<Processed, CrawlError> {
    let (id, reason) = (item.id, reason.to_string());
    crawl
        .store
        .call(move |s| s.frontier_close(id, state, Some(&reason)))
        .await?;
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
async fn finish(crawl: &Crawl, c: PageCommit) -> Result<Processed, CrawlError> {
    let mut hosts: Vec<String> = c
        .links
        .iter()
        .filter(|l| l.skipped.is_none())
        .map(|l| l.host.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    let (frontier_id, state, not_modified, is_report) =
        (c.frontier_id, c.state, c.not_modified, c.is_report);
    let outcome = crawl.store.commit(c).await?;
    Ok(Processed {
        frontier_id,
        state,
        fetched: state == "done",
        not_modified,
        new_snapshot: outcome.snapshot_id,
        new_body: outcome.new_body,
        is_report,
        hosts_with_new_links: if outcome.links_added > 0 {
            hosts
        } else {
            Vec::new()
        },
        ..Default::default()
    })
}
