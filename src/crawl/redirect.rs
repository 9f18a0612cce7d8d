//! Redirects followed by the crawler, not by the HTTP client: each hop is a
//! request like any other (the politeness gate of its host, the stop signal,
//! the address policy) and must pass the same scope and robots.txt decisions
//! as a link before it is requested. A hop that may not be taken closes the
//! entry with the reason, instead of archiving another site under our URL.

use super::fetch::{ErrorKind, FetchError, FetchOutcome, Validators};
use super::network::Slot;
use super::politeness::{Robots, host_key};
use super::{Crawl, CrawlError};
use crate::store::{FetchRecord, FrontierItem, FrontierState, now};
use std::sync::Arc;
use std::time::Instant;
use url::Url;

/// Where following a URL ended.
pub(crate) enum Followed {
    /// The last hop's answer (never a redirect), with when it was asked.
    Done {
        result: Result<FetchOutcome, FetchError>,
        started_at: String,
        duration_ms: i64,
    },
    /// A hop the crawl may not take: the entry is closed in `state` for `reason`.
    Refused {
        state: FrontierState,
        reason: String,
    },
    /// A stop was asked for before the next request: nothing was sent.
    Stopped,
}

/// What a hop is checked against besides scope.
#[derive(Clone, Copy)]
pub(crate) struct HopRules {
    /// Check robots.txt of each hop (not for robots.txt itself).
    pub robots: bool,
    /// Body cap, when smaller than the crawl's.
    pub cap: Option<u64>,
}

/// Requests `url` for `item`, following up to `max_redirects` redirects that
/// pass the crawl's rules. Each redirect answer is logged as a fetch. Each
/// hop takes a network slot for its host (the first `slot`, when given and
/// for `url`'s host).
pub(crate) async fn follow(
    crawl: &Arc<Crawl>,
    item: &FrontierItem,
    url: &Url,
    validators: &Validators,
    attempt: u32,
    rules: HopRules,
    slot: &mut Option<Slot>,
) -> Result<Followed, CrawlError> {
    let max = crawl.config.crawler.max_redirects;
    let mut current = url.clone();
    let mut hops = 0usize;
    loop {
        let host = host_key(&current);
        let held = match slot.take() {
            Some(s) if s.host() == host => s,
            other => {
                drop(other);
                crawl.net.slot(&host).await
            }
        };
        if crawl.stopping() {
            // No new request once a stop is asked for, even after waiting for the turn.
            return Ok(Followed::Stopped);
        }
        let started_at = now();
        let t0 = Instant::now();
        // A POST entry's form goes with the first request; a redirect after it is a GET.
        // (robots.txt, asked through here for the entry's host, never carries it).
        let form = if hops == 0 && url.as_str() == item.url {
            item.form.as_deref()
        } else {
            None
        };
        let result = crawl
            .net
            .fetch_request(&held, &current, form, validators, rules.cap)
            .await;
        drop(held);
        let duration_ms = t0.elapsed().as_millis() as i64;
        let (status, location) = match result {
            Ok(FetchOutcome::Redirect { status, location }) => (status, location),
            result => {
                return Ok(Followed::Done {
                    result,
                    started_at,
                    duration_ms,
                });
            }
        };
        super::process::record_fetch(
            crawl,
            FetchRecord {
                url: current.to_string(),
                host,
                attempt,
                started_at: started_at.clone(),
                duration_ms,
                status: Some(status),
                ..Default::default()
            },
        )
        .await?;
        let Some(target) = location
            .as_deref()
            .and_then(|l| current.join(l.trim()).ok())
        else {
            return Ok(Followed::Refused {
                state: FrontierState::Failed,
                reason: format!("HTTP {status} redirect from {current} without a usable Location"),
            });
        };
        hops += 1;
        if hops > max {
            return Ok(Followed::Done {
                result: Err(FetchError {
                    url: target.to_string(),
                    kind: ErrorKind::Redirect,
                    status: Some(status),
                    message: format!(
                        "more than {max} redirects (max_redirects), the last to {target}"
                    ),
                    retry_after: None,
                    bytes: 0,
                }),
                started_at,
                duration_ms,
            });
        }
        if let Err((state, reason)) = hop_allowed(crawl, item, &current, &target, rules).await? {
            return Ok(Followed::Refused { state, reason });
        }
        current = target;
    }
}

/// The decision a link gets, for a redirect target: http(s) only, in the
/// crawl's scope (or the same site on another scheme: `http://a/` → `https://a/`),
/// allowed by its host's robots.txt. A refusal says the entry's state and why.
async fn hop_allowed(
    crawl: &Arc<Crawl>,
    item: &FrontierItem,
    from: &Url,
    to: &Url,
    rules: HopRules,
) -> Result<Result<(), (FrontierState, String)>, CrawlError> {
    let skip = |reason: String| Ok(Err((FrontierState::Skipped, reason)));
    if !matches!(to.scheme(), "http" | "https") {
        return skip(format!(
            "redirect to {to} refused: only http and https are crawled"
        ));
    }
    let same_site =
        to.host_str() == from.host_str() && to.port().is_none() && from.port().is_none();
    if !(same_site || super::scope::in_scope(&crawl.scope, item, to)) {
        return skip(format!(
            "redirect to {to} leaves the crawl's scope (add its host to scope.extra_hosts to follow it)"
        ));
    }
    if rules.robots && crawl.config.crawler.respect_robots_txt {
        // Boxed: fetching robots.txt follows redirects too.
        let robots = Box::pin(super::robots::robots_for(crawl, item, to, &mut None)).await?;
        if let Robots::Unreachable(why) = &*robots {
            // The target's failure (a name that does not resolve …), not the page's.
            return Ok(Err((
                FrontierState::Failed,
                format!("redirect to {to}: its robots.txt is unreachable ({why})"),
            )));
        }
        if !robots.allowed(to.as_str()) {
            return skip(format!("redirect to {to} is disallowed by its robots.txt"));
        }
    }
    Ok(Ok(()))
}
