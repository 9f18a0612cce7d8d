//! The crawl run: seeds → frontier (in SQLite) → polite fetches → archived
//! snapshots with page metadata → discovered links back into the frontier.
//!
//! A run's frontier lives in the archive, so a run that was killed is resumed
//! by the next `crawl`: entries already done are not fetched again. Each host
//! has its own in-memory queue refilled from the frontier, so a slow host only
//! ever occupies its own slots and never stalls the others.

pub mod address;
pub mod attribute;
mod backlog;
mod browser;
mod cpu;
pub mod discover;
mod dispatch;
pub mod download;
pub mod fetch;
pub mod idioms;
mod network;
pub mod politeness;
mod process;
pub mod progress;
mod redirect;
mod robots;
mod scope;
mod writer;

use crate::config::Config;
use crate::seeds::SeedRow;
use crate::store::{NewLink, RunKind, RunStatus, Store, StoreError};
use discover::LinkKind;
use fetch::{Fetcher, FetcherOptions};
use network::Network;
use politeness::{Politeness, host_key};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use url::Url;

/// Why a crawl run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The archive failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A store error that broke off a run, with the archive it happened in
    /// (a full disk names the file that could not grow).
    #[error("the archive {path}: {source}")]
    Archive {
        /// The archive file.
        path: std::path::PathBuf,
        /// The store error.
        #[source]
        source: StoreError,
    },
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] fetch::ClientBuildError),
    /// A crawl task did not finish cleanly (panicked or was cancelled).
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
    /// Host names pinned to addresses instead of asking DNS (as `curl --resolve`):
    /// lets one local server stand for many portals in benchmarks and tests.
    pub resolve: Vec<(String, SocketAddr)>,
    /// Told of the run's progress a few times a second, and at its end.
    pub progress: Option<progress::ProgressSink>,
    /// Fetched pages held before their commit at most (`None`: a few hundred).
    pub backlog_pages: Option<usize>,
}

/// What a run did, for the CLI and the scheduler.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CrawlSummary {
    /// The run's id in the archive.
    pub run_id: i64,
    /// This run continued an unfinished one instead of starting afresh.
    pub resumed: bool,
    /// Stopped (Ctrl-C, SIGTERM) with work left; the next `crawl` resumes it.
    pub interrupted: bool,
    /// Frontier entries fetched successfully, 304s included.
    pub pages_fetched: u64,
    /// Requests answered 304: the archived copy is still current.
    pub not_modified: u64,
    /// Snapshots archived: one per response with a body, rendered pages included (304s add none).
    pub snapshots_new: u64,
    /// Bodies new to the archive (a body is stored once, by its SHA-256).
    pub bodies_new: u64,
    /// Fetched entries that are annual reports (unchanged ones included).
    pub reports_found: u64,
    /// Frontier entries skipped (out of scope, disallowed by robots.txt, over a limit …).
    pub skipped: u64,
    /// Frontier entries that failed after their retries.
    pub failed: u64,
    /// Snapshots of reports archived in this run, to extract.
    pub report_snapshots: Vec<i64>,
    /// Failed entries per host key, sorted by host.
    pub failures_by_host: Vec<(String, u64)>,
    /// Hosts this run fetched from, and how many of them never had a page
    /// fetched successfully: all of them means no host could be crawled.
    pub hosts_tried: u64,
    /// Of `hosts_tried`, those with no page fetched successfully.
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

/// Shared state of a running crawl: the network side, the pure analysis side
/// and the archive's writer, each its own part.
pub(crate) struct Crawl {
    pub config: Config,
    pub scope: scope::Scope,
    pub store: writer::StoreWriter,
    pub net: Network,
    pub run_id: i64,
    pub shutdown: watch::Receiver<bool>,
    pub progress: Option<progress::ProgressSink>,
    /// The browser pool, when pages are to be rendered and Chromium is installed.
    pub renderer: Option<Arc<crate::render::Renderer>>,
    /// Where pages are analysed.
    pub cpu: cpu::CpuPool,
    /// Fetched pages not committed yet.
    pub backlog: backlog::Backlog,
}

impl Crawl {
    pub(crate) fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Analyses a response (or a rendered DOM) on the crawl's analysis threads.
    pub(crate) async fn analyse(
        self: &Arc<Self>,
        item: &crate::store::FrontierItem,
        fetched: fetch::Fetched,
        parent: Option<(i64, crate::store::PageMetaRow)>,
    ) -> Result<scope::Analysed, CrawlError> {
        let (crawl, item) = (Arc::clone(self), item.clone());
        self.cpu
            .run(move || scope::analyse(&crawl.scope, &item, fetched, parent))
            .await?
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
    let agencies = attribute::AgencyNames::new(store.agencies()?)
        .map_err(|e| CrawlError::Task(format!("cannot index the seed agencies' names: {e}")))?;

    let (run_id, resumed) = match store.unfinished_run(RunKind::Crawl)? {
        Some(id) => {
            store.resume_run(id)?;
            (id, true)
        }
        None => (store.begin_run(RunKind::Crawl, &opts.command)?, false),
    };
    if !resumed {
        // `sync_seeds` gives each row its stored seed, in order.
        let links: Vec<NewLink> = rows
            .iter()
            .zip(&stored_seeds)
            .filter(|(r, _)| opts.agency_filter.as_deref().is_none_or(|f| r.matches(f)))
            .filter_map(|(row, seed)| {
                let url = row.url.as_ref()?;
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
        resolve: opts.resolve.clone(),
        addresses: Arc::new(address::AddressPolicy::new(
            config.scope.allow_private_addresses,
            stored_seeds
                .iter()
                .filter_map(|s| Url::parse(s.url.as_deref()?).ok())
                .collect::<Vec<_>>()
                .iter(),
        )),
    })?;
    let (released_tx, released) = mpsc::unbounded_channel();
    let (store, writer_thread) = writer::StoreWriter::spawn(store)?;
    let crawl = Arc::new(Crawl {
        config: config.clone(),
        scope: scope::Scope::new(
            config,
            config.report_patterns(opts.years.clone()),
            agencies,
            seed_scope,
        )
        .widened(seed_hosts),
        store,
        net: Network::new(
            fetcher,
            Politeness::new(c.per_host_requests_per_second, c.per_host_burst),
            c.concurrency,
            released_tx,
        ),
        run_id,
        cpu: cpu::CpuPool::new()?,
        backlog: backlog::Backlog::new(opts.backlog_pages.unwrap_or(backlog::Backlog::PAGES)),
        shutdown,
        progress: opts.progress.clone(),
        renderer: browser::renderer(config),
    });

    let dispatched = dispatch::dispatch(&crawl, released).await;
    if let Some(r) = &crawl.renderer {
        r.shutdown().await;
    }
    let mut summary = match dispatched {
        Ok(summary) => summary,
        Err(e) => {
            // A run that broke off (a full disk, a damaged archive) is recorded as
            // failed with why, not left `running` as if a process still owned it.
            let e = match e {
                CrawlError::Store(source) => {
                    let path = crawl
                        .store
                        .call(|s| Ok(s.path().to_path_buf()))
                        .await
                        .unwrap_or_default();
                    CrawlError::Archive { path, source }
                }
                e => e,
            };
            let why = e.to_string();
            let _ = crawl
                .store
                .call(move |s| s.finish_run(run_id, RunStatus::Failed, Some(&why)))
                .await;
            return Err(e);
        }
    };
    summary.run_id = run_id;
    summary.resumed = resumed;
    let crawl = Arc::try_unwrap(crawl)
        .map_err(|_| CrawlError::Task("crawl state still shared after the run".into()))?;
    // The last handle to the writer goes: it finishes what was sent and gives the store back.
    drop(crawl);
    let store = writer_thread.join()?;
    let status = if summary.interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Completed
    };
    store.finish_run(run_id, status, None)?;
    Ok((summary, store))
}
