//! robots.txt of a host, as RFC 9309 asks: fetched once per run through the
//! politeness gate (redirects followed), parsed from its first 500 KiB only,
//! and, when it cannot be fetched (5xx, timeout, broken connection), read as
//! "disallow everything" until it is tried again later in the run.

use super::fetch::{FetchOutcome, Validators};
use super::network::Slot;
use super::politeness::{Robots, host_key};
use super::redirect::{Followed, HopRules, follow};
use super::{Crawl, CrawlError};
use crate::store::{FetchRecord, FrontierItem};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// RFC 9309: crawlers must parse at least 500 KiB; the rest is not read.
pub const ROBOTS_MAX_BYTES: u64 = 500 * 1024;

/// The rules of each host seen in this run.
#[derive(Default)]
pub(crate) struct RobotsCache {
    hosts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Entry>>>>>,
}

impl RobotsCache {
    /// `host`'s rules when fetched and standing: not unreachable, and no
    /// fetch of them under way.
    pub fn known(&self, host: &str) -> Option<Arc<Robots>> {
        let cell = {
            let map = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(map.get(host)?)
        };
        let entry = cell.try_lock().ok()?;
        let entry = entry.as_ref()?;
        if matches!(*entry.robots, Robots::Unreachable(_)) {
            return None;
        }
        Some(Arc::clone(&entry.robots))
    }
}

struct Entry {
    robots: Arc<Robots>,
    /// When an unreachable robots.txt is asked for again.
    retry_at: Option<Instant>,
}

/// The robots.txt rules for `url`'s host (fetching them if needed, with
/// `slot` for the first request when the caller holds one).
pub(crate) async fn robots_for(
    crawl: &Arc<Crawl>,
    item: &FrontierItem,
    url: &Url,
    slot: &mut Option<Slot>,
) -> Result<Arc<Robots>, CrawlError> {
    let host = host_key(url);
    let cell = {
        let mut map = crawl
            .net
            .robots
            .hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry(host.clone()).or_default())
    };
    // One fetch per host at a time: the others wait for its answer.
    let mut cell = cell.lock().await;
    if let Some(entry) = cell.as_ref()
        && entry.retry_at.is_none_or(|t| Instant::now() < t)
    {
        return Ok(Arc::clone(&entry.robots));
    }
    let mut robots_url = url.clone();
    robots_url.set_path("/robots.txt");
    robots_url.set_query(None);
    robots_url.set_fragment(None);
    let rules = HopRules {
        robots: false,
        cap: Some(ROBOTS_MAX_BYTES),
    };
    let followed = follow(
        crawl,
        item,
        &robots_url,
        &Validators::default(),
        1,
        rules,
        slot,
    )
    .await?;
    let (robots, record) = match followed {
        // Nothing was asked: decide nothing (the entry stays pending anyway).
        Followed::Stopped => return Ok(Arc::new(Robots::Unreachable("stopped".into()))),
        // RFC 9309: a robots.txt that redirects too far or away is "unavailable": no rules.
        Followed::Refused { .. } => (Robots::AllowAll, None),
        Followed::Done {
            result,
            started_at,
            duration_ms,
        } => {
            let mut record = FetchRecord {
                url: robots_url.to_string(),
                host: host.clone(),
                attempt: 1,
                started_at,
                duration_ms,
                ..Default::default()
            };
            let robots = match result {
                Ok(FetchOutcome::Ok(f)) => {
                    record.url = f.final_url.to_string();
                    record.status = Some(f.status);
                    record.bytes = f.body.len() as i64;
                    Robots::parse(
                        &crawl.config.crawler.user_agent,
                        whole_lines(&f.body, f.truncated),
                    )
                }
                Err(e) => {
                    record.url = e.url.clone();
                    record.status = e.status;
                    // A missing robots.txt is the normal case, not an error of the host.
                    if !matches!(e.status, Some(404) | Some(410)) {
                        record.error_kind = Some(e.kind.as_str().into());
                        record.error = Some(e.message.clone());
                    }
                    match e.status {
                        // 401/403 are treated as "keep out", as major crawlers do.
                        Some(401) | Some(403) => Robots::DisallowAll,
                        // Server or network trouble: RFC 9309 says assume complete disallow.
                        _ if e.is_retryable() => Robots::Unreachable(super::process::describe(&e)),
                        // Other 4xx: no rules.
                        _ => Robots::AllowAll,
                    }
                }
                Ok(FetchOutcome::NotModified { .. } | FetchOutcome::Redirect { .. }) => {
                    Robots::AllowAll
                }
            };
            (robots, Some(record))
        }
    };
    if let Some(record) = record {
        super::process::record_fetch(crawl, record).await?;
    }
    if let Some(delay) = robots.crawl_delay() {
        crawl.net.politeness.set_crawl_delay(&host, delay);
    }
    let retry_at = matches!(robots, Robots::Unreachable(_))
        .then(|| Instant::now() + unreachable_retry(&crawl.config));
    let robots = Arc::new(robots);
    *cell = Some(Entry {
        robots: Arc::clone(&robots),
        retry_at,
    });
    Ok(robots)
}

/// How long an unreachable robots.txt stands before it is asked again.
pub(crate) fn unreachable_retry(config: &crate::config::Config) -> Duration {
    Duration::from_millis(config.crawler.backoff_initial_ms.max(1))
}

/// A robots.txt cut at the size cap ends at its last whole line.
fn whole_lines(body: &[u8], truncated: bool) -> &[u8] {
    if !truncated {
        return body;
    }
    match body.iter().rposition(|&b| b == b'\n') {
        Some(end) => &body[..=end],
        None => &[],
    }
}
