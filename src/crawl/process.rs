//! One frontier entry, start to finish: robots.txt, conditional fetch with
//! retries, then archive the response with its page metadata and outlinks in
//! one commit.

use super::discover;
use super::dispatch::Job;
use super::fetch::{FetchError, FetchOutcome, Fetched, Validators, retry_delay};
use super::network::Slot;
use super::politeness::{Robots, host_key};
use super::redirect::{Followed, HopRules, follow};
use super::robots::robots_for;
use super::{Crawl, CrawlError, scope};
use crate::formats::Format;
use crate::page::facts::PageKind;
use crate::store::{
    FetchRecord, FrontierItem, FrontierState, NewLink, PageCommit, SnapshotHead, now,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// A step that does not wait for the host's turn (commit, close, log), boxed:
/// its state is large, and a task waiting for its turn (one per host, thousands
/// at once in a wide crawl) should carry only what the wait needs.
pub(crate) type Step<'a, T> = Pin<Box<dyn Future<Output = Result<T, CrawlError>> + Send + 'a>>;

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

/// Fetches and archives one entry. `slot` lets its first request start at once
/// (robots.txt when the host's rules are not known yet, else the page itself).
pub(crate) async fn process(
    crawl: &Arc<Crawl>,
    job: Job,
    slot: Slot,
) -> Result<Processed, CrawlError> {
    let Job { item, previous } = job;
    let Ok(url) = Url::parse(&item.url) else {
        return close(crawl, &item, FrontierState::Failed, "unparseable URL").await;
    };
    let host = item.host.clone();
    let mut slot = Some(slot);
    if crawl.config.crawler.respect_robots_txt {
        let mut tries = 0u32;
        let robots = loop {
            let robots = robots_for(crawl, &item, &url, &mut slot).await?;
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
                return finish(crawl, c).await;
            }
            // Complete disallow for now; robots.txt is asked again once this wait is over.
            // The slot is not kept through the wait: other hosts use it meanwhile.
            drop(slot.take());
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
            )
            .await;
        }
    }
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
            match follow(crawl, &item, &url, &validators, attempt, rules, &mut slot).await? {
                Followed::Stopped => return Ok(left_pending(&item)),
                Followed::Refused { state, reason } => {
                    return close(crawl, &item, state, &reason).await;
                }
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
                    record_fetch(crawl, record).await?;
                    return Ok(left_pending(&item));
                }
                if retry {
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
                        return Ok(left_pending(&item));
                    }
                    continue;
                }
                let reason = describe(&err);
                let mut c = page_commit(crawl, &item, record, FrontierState::Failed, Some(reason));
                c.existing_snapshot_id = previous.as_ref().map(|p| p.id);
                return finish(crawl, c).await;
            }
            Ok(FetchOutcome::NotModified { .. }) => {
                record.status = Some(304);
                log_fetch(&record, item.kind.sql_text());
                let Some(prev) = previous else {
                    let reason = Some("304 without an archived copy".into());
                    return finish(
                        crawl,
                        page_commit(crawl, &item, record, FrontierState::Failed, reason),
                    )
                    .await;
                };
                let mut c = page_commit(
                    crawl,
                    &item,
                    record,
                    FrontierState::Done,
                    Some("not modified".into()),
                );
                // Boxed, as `archive` below, for the reason `Step` is.
                let (links, render) =
                    Box::pin(relink_from_archive(crawl, &item, &url, &prev)).await?;
                c.links = links;
                c.is_report = is_report_snapshot(crawl, prev.id).await?;
                c.existing_snapshot_id = Some(prev.id);
                c.not_modified = true;
                // An unchanged shell says nothing about the list its script loads: render it again.
                let rendered = match render {
                    Some((decision, source)) => Some(
                        Box::pin(super::browser::render_page(crawl, &item, decision, &source))
                            .await?,
                    ),
                    None => None,
                };
                return finish_rendered(crawl, c, rendered).await;
            }
            Ok(FetchOutcome::Redirect { status, .. }) => {
                // `follow` answers every redirect itself; one here is a bug, not a page.
                record.status = Some(status);
                let reason = Some(format!("HTTP {status} redirect left unfollowed"));
                return finish(
                    crawl,
                    page_commit(crawl, &item, record, FrontierState::Failed, reason),
                )
                .await;
            }
            Ok(FetchOutcome::Ok(fetched)) => {
                record.status = Some(fetched.status);
                record.bytes = fetched.body.len() as i64;
                log_fetch(&record, item.kind.sql_text());
                let _waiting = crawl.backlog.enter();
                // Boxed for the reason `Step` is.
                return Box::pin(archive(crawl, item, record, fetched, previous)).await;
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
    let mut analysed = crawl.analyse(&item, fetched, parent).await?;
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
        c.is_report = is_report_snapshot(crawl, prev.id).await?;
        c.existing_snapshot_id = Some(prev.id);
        return finish_rendered(crawl, c, rendered).await;
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
    finish_rendered(crawl, c, rendered).await
}

/// Commits the entry with what rendering added: the rendered DOM's links and the decision.
fn finish_rendered(
    crawl: &Crawl,
    mut c: PageCommit,
    rendered: Option<super::browser::Rendered>,
) -> Step<'_, Processed> {
    Box::pin(async move {
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
    })
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
    let decoded = crate::page::charset::decode(&body, prev.content_type.as_deref());
    let page_url = Url::parse(&prev.final_url).unwrap_or_else(|_| url.clone());
    // Data answers (record stores, JSON lists) are archived as text.
    let (found, from_answer) = match meta.format {
        Format::Html => (
            discover::discover(&page_url, &decoded.text, &crawl.scope.patterns),
            false,
        ),
        Format::Text => {
            match discover::discover_answer(
                &page_url,
                item.form.as_deref(),
                &decoded.text,
                &crawl.scope.patterns,
            ) {
                Some(d) => (d.links, true),
                None => return Ok((Vec::new(), None)),
            }
        }
        _ => return Ok((Vec::new(), None)),
    };
    let (links, _) = scope::outlinks(
        &crawl.scope,
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
        .is_some_and(|m| m.counts_as_report()))
}

/// Logs a fetch attempt that is not the entry's last (a retry, robots.txt).
pub(super) fn record_fetch(crawl: &Crawl, record: FetchRecord) -> Step<'_, ()> {
    Box::pin(crawl.store.record_fetch(crawl.run_id, record))
}

/// Closes an entry without archiving anything.
pub(crate) fn close<'a>(
    crawl: &'a Crawl,
    item: &FrontierItem,
    state: FrontierState,
    reason: &str,
) -> Step<'a, Processed> {
    let (id, reason) = (item.id, reason.to_string());
    Box::pin(async move {
        crawl
            .store
            .call(move |s| s.frontier_close(id, state, Some(&reason)))
            .await?;
        Ok(Processed {
            frontier_id: id,
            state,
            ..Default::default()
        })
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
fn finish(crawl: &Crawl, c: PageCommit) -> Step<'_, Processed> {
    Box::pin(async move {
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
            fetched: state == FrontierState::Done,
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
    })
}
