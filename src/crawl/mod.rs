//! The crawl run: seeds → frontier (in SQLite) → polite fetches → archived
//! snapshots with page metadata → discovered links back into the frontier.
//!
//! A run's frontier lives in the archive, so a run that was killed is resumed
//! by the next `crawl`: entries already done are not fetched again. Each host
//! has its own in-memory queue refilled from the frontier, so a slow host only
//! ever occupies its own slots and never stalls the others.

pub mod address;
pub mod attribute;
mod browser;
pub mod discover;
pub mod download;
pub mod fetch;
pub mod idioms;
pub mod politeness;
mod process;
pub mod progress;
mod redirect;
mod robots;

use crate::config::Config;
use crate::patterns::ReportPatterns;
use crate::seeds::SeedRow;
use crate::store::{FrontierState, NewLink, RunKind, RunStatus, Store, StoreError, StoredAgency};
use discover::LinkKind;
use fetch::{Fetcher, FetcherOptions};
use politeness::{Politeness, host_key};
use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A store error that broke off a run, with the archive it happened in
    /// (a full disk names the file that could not grow).
    #[error("the archive {path}: {source}")]
    Archive {
        path: std::path::PathBuf,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    Client(#[from] fetch::ClientBuildError),
    #[error("a crawl task failed: {0}")]
    Task(String),
}

/// How a crawl is narrowed and described.
#[derive(Debug, Clone, Default)]
pub struct CrawlOptions {
    /// Only seeds whose agency, alias or region contains this.
    pub agency_filter: Option<String>,
    /// Report years to archive (overrides the config).
    pub years: Option<RangeInclusive<i32>>,
    /// The command line, recorded with the run.
    pub command: String,
    /// Leave extraction of the new report snapshots to a later `nianbao extract`
    /// (read by [`crate::pipeline::crawl_then_extract`]).
    pub skip_extraction: bool,
    /// Told of the run's progress a few times a second, and at its end.
    pub progress: Option<progress::ProgressSink>,
}

/// What a run did, for the CLI and the scheduler.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CrawlSummary {
    pub run_id: i64,
    pub resumed: bool,
    pub interrupted: bool,
    pub pages_fetched: u64,
    pub not_modified: u64,
    pub snapshots_new: u64,
    pub bodies_new: u64,
    pub reports_found: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Snapshots of reports archived in this run, to extract.
    pub report_snapshots: Vec<i64>,
    pub failures_by_host: Vec<(String, u64)>,
    /// Hosts this run fetched from, and how many of them never had a page
    /// fetched successfully: all of them means no host could be crawled.
    pub hosts_tried: u64,
    pub hosts_all_failed: u64,
    /// The extraction of this run's new report snapshots.
    pub extracted: Option<crate::pipeline::extraction::ExtractSummary>,
}

impl std::fmt::Display for CrawlSummary {
    /// The summary printed after a crawl: counts, then failures by host.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "crawl run #{}{}: {} pages fetched ({} not modified), {} new snapshots ({} new bodies), {} reports, {} skipped, {} failed",
            self.run_id,
            if self.resumed { " (resumed)" } else { "" },
            self.pages_fetched,
            self.not_modified,
            self.snapshots_new,
            self.bodies_new,
            self.reports_found,
            self.skipped,
            self.failed
        )?;
        if self.interrupted {
            writeln!(f, "interrupted: run `nianbao crawl` again to resume")?;
        }
        for (host, n) in &self.failures_by_host {
            writeln!(f, "  {n} failed on {host} (see `nianbao status`)")?;
        }
        Ok(())
    }
}

/// Priority of a frontier entry by kind: lower is fetched sooner.
pub(crate) fn priority(kind: LinkKind, depth: u32) -> i64 {
    match kind {
        LinkKind::Seed | LinkKind::Redirect => 0,
        LinkKind::Pagination | LinkKind::Api => 1,
        LinkKind::Report => 2,
        LinkKind::Attachment => 3,
        LinkKind::Frame => 4,
        LinkKind::Other => 10 + depth as i64,
    }
}

/// Shared state of a running crawl.
pub(crate) struct Crawl {
    pub config: Config,
    pub patterns: ReportPatterns,
    pub store: Mutex<Store>,
    pub fetcher: Fetcher,
    pub politeness: Politeness,
    pub global: Semaphore,
    pub robots: robots::RobotsCache,
    pub traps: Mutex<HashMap<String, discover::TrapGuard>>,
    pub agencies: Vec<StoredAgency>,
    /// Seed id → (seed host key, seed URL) for scope decisions.
    pub seed_scope: HashMap<i64, (String, Url)>,
    pub extra_hosts: HashSet<String>,
    /// Seed id → hosts its pages frame (widened scope, recorded in `seed_hosts`).
    pub seed_hosts: Mutex<HashMap<i64, HashSet<String>>>,
    pub run_id: i64,
    pub shutdown: watch::Receiver<bool>,
    pub progress: Option<progress::ProgressSink>,
    /// The browser pool, when pages are to be rendered and Chromium is installed.
    pub renderer: Option<Arc<crate::render::Renderer>>,
}

impl Crawl {
    pub(crate) fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn stopping(&self) -> bool {
        *self.shutdown.borrow()
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

/// Runs (or resumes) a crawl over `rows`, archiving only: extraction is the
/// next stage ([`crate::pipeline::crawl_then_extract`]). The caller holds the
/// archive lock.
///
/// `rows` are all seed rows (every agency takes part in attribution); the
/// agency filter in `opts` narrows which entry URLs are crawled.
pub async fn run(
    config: &Config,
    mut store: Store,
    rows: &[SeedRow],
    opts: &CrawlOptions,
    shutdown: watch::Receiver<bool>,
) -> Result<(CrawlSummary, Store), CrawlError> {
    let agencies_in_seeds = crate::seeds::agencies(rows);
    let stored_seeds = store.sync_seeds(rows, &agencies_in_seeds)?;
    let agencies = store.agencies()?;

    let (run_id, resumed) = match store.unfinished_run(RunKind::Crawl)? {
        Some(id) => {
            store.resume_run(id)?;
            (id, true)
        }
        None => (store.begin_run(RunKind::Crawl, &opts.command)?, false),
    };
    if !resumed {
        let wanted: Vec<&SeedRow> = rows
            .iter()
            .filter(|r| opts.agency_filter.as_deref().is_none_or(|f| r.matches(f)))
            .collect();
        let links: Vec<NewLink> = wanted
            .iter()
            .filter_map(|row| {
                let url = row.url.as_ref()?;
                let seed = stored_seeds.iter().find(|s| {
                    s.url.as_deref() == Some(url.as_str())
                        && s.agency_id.is_some() == row.agency.is_some()
                })?;
                Some(NewLink {
                    url: url.to_string(),
                    host: host_key(url),
                    seed_id: Some(seed.id),
                    depth: 0,
                    kind: LinkKind::Seed,
                    priority: priority(LinkKind::Seed, 0),
                    parent_url: None,
                    link_text: None,
                    agency_hint: row.agency.clone(),
                    listing_date: None,
                    skipped: None,
                    form: None,
                })
            })
            .collect();
        store.frontier_add(run_id, &links)?;
    }

    let seed_scope = stored_seeds
        .iter()
        .filter_map(|s| {
            let url = Url::parse(s.url.as_deref()?).ok()?;
            Some((s.id, (host_key(&url), url)))
        })
        .collect();
    let mut seed_hosts: HashMap<i64, HashSet<String>> = HashMap::new();
    for h in store.seed_hosts(run_id)? {
        seed_hosts.entry(h.seed_id).or_default().insert(h.host);
    }
    let c = &config.crawler;
    let fetcher = Fetcher::new(&FetcherOptions {
        user_agent: config.user_agent(),
        connect_timeout: config.connect_timeout(),
        request_timeout: config.request_timeout(),
        max_body_bytes: c.max_body_bytes,
        tolerate_invalid_tls_hosts: config.scope.tolerate_invalid_tls_hosts.clone(),
        addresses: Arc::new(address::AddressPolicy::new(
            config.scope.allow_private_addresses,
            stored_seeds
                .iter()
                .filter_map(|s| Url::parse(s.url.as_deref()?).ok())
                .collect::<Vec<_>>()
                .iter(),
        )),
    })?;
    let crawl = Arc::new(Crawl {
        config: config.clone(),
        patterns: config.report_patterns(opts.years.clone()),
        store: Mutex::new(store),
        fetcher,
        politeness: Politeness::new(c.per_host_requests_per_second, c.per_host_burst),
        global: Semaphore::new(c.concurrency),
        robots: robots::RobotsCache::default(),
        traps: Mutex::new(HashMap::new()),
        agencies,
        seed_scope,
        extra_hosts: config
            .scope
            .extra_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        seed_hosts: Mutex::new(seed_hosts),
        run_id,
        shutdown,
        progress: opts.progress.clone(),
        renderer: browser::renderer(config),
    });

    let dispatched = dispatch(&crawl).await;
    if let Some(r) = &crawl.renderer {
        r.shutdown().await;
    }
    let mut summary = match dispatched {
        Ok(summary) => summary,
        Err(e) => {
            // A run that broke off (a full disk, a damaged archive) is recorded as
            // failed with why, not left `running` as if a process still owned it.
            let store = crawl.store();
            let e = match e {
                CrawlError::Store(source) => CrawlError::Archive {
                    path: store.path().to_path_buf(),
                    source,
                },
                e => e,
            };
            let _ = store.finish_run(run_id, RunStatus::Failed, Some(&e.to_string()));
            return Err(e);
        }
    };
    summary.run_id = run_id;
    summary.resumed = resumed;
    let crawl = Arc::try_unwrap(crawl)
        .map_err(|_| CrawlError::Task("crawl state still shared after the run".into()))?;
    let store = crawl.store.into_inner().unwrap_or_else(|p| p.into_inner());
    let status = if summary.interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Completed
    };
    store.finish_run(run_id, status, None)?;
    Ok((summary, store))
}

/// Per-host queue state of the dispatcher.
#[derive(Default)]
struct HostQueue {
    queue: VecDeque<crate::store::FrontierItem>,
    inflight: usize,
    /// The frontier may hold more pending entries for this host.
    more_in_db: bool,
    taken: usize,
    over_budget: bool,
}

async fn dispatch(crawl: &Arc<Crawl>) -> Result<CrawlSummary, CrawlError> {
    let cfg = &crawl.config.crawler;
    // Tasks per host: twice the requests a host may have in flight, so the next
    // request waits at the politeness gate while the previous page is still being
    // parsed and committed (the gate itself caps real in-flight requests at burst).
    let per_host_slots = 2 * cfg.per_host_burst.max(1) as usize;
    let mut hosts: HashMap<String, HostQueue> = HashMap::new();
    let mut queued: HashSet<i64> = HashSet::new();
    {
        let store = crawl.store();
        for (host, taken) in store.frontier_taken_per_host(crawl.run_id)? {
            hosts.entry(host).or_default().taken = taken;
        }
        for host in store.frontier_pending_hosts(crawl.run_id)? {
            hosts.entry(host).or_default().more_in_db = true;
        }
    }
    let mut summary = CrawlSummary::default();
    let mut failures: HashMap<String, u64> = HashMap::new();
    let mut tasks: JoinSet<(String, Result<process::Processed, CrawlError>)> = JoinSet::new();
    let mut inflight_total = 0usize;
    let mut tally = progress::Tally::new(crawl.progress.clone(), cfg.per_host_requests_per_second);

    loop {
        let stopping = crawl.stopping();
        if !stopping {
            for (host, hq) in hosts.iter_mut() {
                if hq.over_budget {
                    continue;
                }
                if hq.queue.is_empty() && hq.more_in_db {
                    let items = refill(crawl, host, &queued)?;
                    hq.more_in_db = !items.is_empty();
                    for it in items {
                        queued.insert(it.id);
                        hq.queue.push_back(it);
                    }
                }
                while hq.inflight < per_host_slots && inflight_total < cfg.concurrency {
                    let Some(item) = hq.queue.pop_front() else {
                        break;
                    };
                    if hq.taken >= cfg.max_pages_per_host {
                        hq.over_budget = true;
                        crawl.store().frontier_skip_host(
                            crawl.run_id,
                            host,
                            "page limit per host reached",
                        )?;
                        hq.queue.clear();
                        hq.more_in_db = false;
                        break;
                    }
                    hq.taken += 1;
                    hq.inflight += 1;
                    inflight_total += 1;
                    let crawl = Arc::clone(crawl);
                    let host = host.clone();
                    tasks.spawn(async move {
                        let r = process::process(&crawl, item).await;
                        (host, r)
                    });
                }
            }
        }
        if tasks.is_empty() {
            let idle = hosts.values().all(|h| h.queue.is_empty() && !h.more_in_db);
            if stopping || idle {
                summary.interrupted = stopping && !idle;
                break;
            }
            continue;
        }
        let joined = tasks.join_next().await;
        let Some(joined) = joined else { continue };
        let (host, result) = joined.map_err(|e| CrawlError::Task(e.to_string()))?;
        inflight_total -= 1;
        if let Some(hq) = hosts.get_mut(&host) {
            hq.inflight -= 1;
        }
        let processed = result?;
        queued.remove(&processed.frontier_id);
        summary.pages_fetched += processed.fetched as u64;
        summary.not_modified += processed.not_modified as u64;
        if let Some(id) = processed.new_snapshot {
            summary.snapshots_new += 1;
            if processed.is_report {
                summary.report_snapshots.push(id);
            }
        }
        summary.bodies_new += processed.new_body as u64;
        summary.snapshots_new += processed.rendered_new as u64;
        summary.report_snapshots.extend(processed.rendered_report);
        summary.reports_found += processed.is_report as u64;
        tally.record(&host, processed.state, processed.is_report);
        if tally.due() {
            let pending = crawl.store().frontier_pending_per_host(crawl.run_id)?;
            tally.report(&pending, false);
        }
        match processed.state {
            FrontierState::Failed => {
                summary.failed += 1;
                *failures.entry(host.clone()).or_default() += 1;
            }
            FrontierState::Skipped => summary.skipped += 1,
            _ => {}
        }
        for h in processed.hosts_with_new_links {
            hosts.entry(h).or_default().more_in_db = true;
        }
        if crawl.stopping() && inflight_total == 0 {
            // Drain: nothing more is started once a stop was asked for.
            let idle = hosts.values().all(|h| h.queue.is_empty() && !h.more_in_db);
            summary.interrupted = !idle;
            break;
        }
    }
    let mut failures: Vec<(String, u64)> = failures.into_iter().collect();
    failures.sort();
    summary.failures_by_host = failures;
    (summary.hosts_tried, summary.hosts_all_failed) = tally.progress().hosts_tried_and_failed();
    if crawl.progress.is_some() {
        let pending = crawl.store().frontier_pending_per_host(crawl.run_id)?;
        tally.report(&pending, true);
    }
    Ok(summary)
}

/// The next pending entries of one host that are not already queued or in flight.
fn refill(
    crawl: &Crawl,
    host: &str,
    queued: &HashSet<i64>,
) -> Result<Vec<crate::store::FrontierItem>, CrawlError> {
    const BATCH: usize = 64;
    // Queued/in-flight entries are still pending in the frontier: ask for enough to skip them.
    let limit = BATCH + queued.len().min(10_000);
    let items = crawl
        .store()
        .frontier_pending_for_host(crawl.run_id, host, limit)?;
    Ok(items
        .into_iter()
        .filter(|i| !queued.contains(&i.id))
        .take(BATCH)
        .collect())
}
