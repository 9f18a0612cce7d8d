//! The dispatcher: which frontier entry is fetched next, and when.
//!
//! Every host with work is in exactly one place: the ready list (try it now),
//! a timer (its rate, `Crawl-delay` or `Retry-After` allows the next request
//! at that instant), or nowhere because its tasks are running (their end, or
//! the end of their request, wakes it). A task is started only when its
//! request can be sent at once — the host's turn and a global slot are taken
//! together ([`super::network::Network::try_slot`]) — so waiting for a host's turn never holds
//! one of the `concurrency` slots and all hosts progress at their own rate
//! however many there are. Per host, only a few frontier entries are held in
//! memory; the rest stay in the archive, and a host's next entries are read
//! from it while the other hosts go on (the dispatcher never waits for the
//! archive, which may be busy writing a batch of pages).

use super::network::Wait;
use super::politeness::NotReady;
use super::process::{self, Processed};
use super::{Crawl, CrawlError, CrawlSummary};
use crate::store::FrontierState;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// A frontier entry to fetch, with the archived copy its request revalidates.
pub(crate) use crate::store::FrontierJob as Job;

/// Per-host state of the dispatcher.
#[derive(Default)]
struct HostQueue {
    queue: VecDeque<Job>,
    /// Entries queued or in flight: still pending in the frontier until committed.
    queued: HashSet<i64>,
    tasks: usize,
    /// The frontier may hold more pending entries for this host.
    more_in_db: bool,
    taken: usize,
    over_budget: bool,
    /// On the ready list or a timer already.
    parked: bool,
    /// Its next entries are being read from the archive.
    refilling: bool,
    /// Counts the commits that brought it new links, so a read sent before
    /// one of them does not conclude that the archive holds nothing more.
    links_seen: u64,
}

impl HostQueue {
    fn has_work(&self) -> bool {
        !self.over_budget && (!self.queue.is_empty() || self.more_in_db)
    }
}

/// What trying a host gave.
enum Admit {
    /// A task was started for it.
    Started,
    /// Nothing to start now; its running tasks (or new links) wake it again.
    Idle,
    /// Its next request may start at this instant.
    Later(Instant),
    /// No global slot is free, or the backlog of fetched pages is full: stop
    /// trying hosts until a request or a task ends.
    Global,
}

type TaskResult = (String, Result<Processed, CrawlError>);

/// A host's entries read from the archive, and its `links_seen` when asked.
type Refilled = (String, u64, Result<Refill, CrawlError>);

/// What one read of a host's pending entries found.
struct Refill {
    jobs: Vec<Job>,
    /// The read found fewer entries than it asked for: the archive held no
    /// more pending entries for the host when it ran.
    exhausted: bool,
}

struct Dispatcher<'a> {
    crawl: &'a Arc<Crawl>,
    hosts: HashMap<String, HostQueue>,
    ready: VecDeque<String>,
    timers: BinaryHeap<Reverse<(Instant, String)>>,
    tasks: JoinSet<TaskResult>,
    refills: JoinSet<Refilled>,
    /// Tasks per host: twice the requests a host may have in flight, so the next
    /// request can start while the previous page is still analysed and committed.
    per_host_tasks: usize,
    /// Entries held in memory per host.
    batch: usize,
}

/// Runs the crawl until the frontier has nothing pending (or a stop is asked
/// for and the tasks in flight have finished). `released` hears of every request
/// that ends (the network's slots).
pub(super) async fn dispatch(
    crawl: &Arc<Crawl>,
    mut released: mpsc::UnboundedReceiver<String>,
) -> Result<CrawlSummary, CrawlError> {
    let per_host_tasks = 2 * crawl.config.crawler.per_host_burst.max(1) as usize;
    let mut d = Dispatcher {
        crawl,
        hosts: HashMap::new(),
        ready: VecDeque::new(),
        timers: BinaryHeap::new(),
        tasks: JoinSet::new(),
        refills: JoinSet::new(),
        per_host_tasks,
        batch: 2 * per_host_tasks,
    };
    let (run_id, batch) = (crawl.run_id, d.batch);
    // Every host's first entries in one read: thousands of hosts must not wait
    // for thousands of reads before their first request.
    let (taken, first) = crawl
        .store
        .call(move |s| {
            let first = s.frontier_first_jobs_per_host(run_id, batch)?;
            Ok((s.frontier_taken_per_host(run_id)?, first))
        })
        .await?;
    for (host, taken) in taken {
        d.hosts.entry(host).or_default().taken = taken;
    }
    // The read gives hosts one after the other: each host's run is its first refill.
    let mut first = first.into_iter().peekable();
    while let Some(job) = first.next() {
        let host = job.item.host.clone();
        let mut jobs = vec![job];
        while let Some(more) = first.next_if(|j| j.item.host == host) {
            jobs.push(more);
        }
        let exhausted = jobs.len() < batch;
        d.hosts.entry(host.clone()).or_default();
        d.refilled(&host, 0, Refill { jobs, exhausted });
    }
    let mut summary = CrawlSummary::default();
    let mut failures: HashMap<String, u64> = HashMap::new();
    let mut stop = crawl.shutdown.clone();
    let mut tally = super::progress::Tally::new(
        crawl.progress.clone(),
        crawl.config.crawler.per_host_requests_per_second,
    );
    loop {
        let stopping = crawl.stopping();
        if !stopping {
            d.start_ready().await?;
        }
        if d.tasks.is_empty() && d.refills.is_empty() {
            let idle = d.ready.is_empty() && d.timers.is_empty();
            if stopping || idle {
                // Drain: nothing more is started once a stop was asked for.
                summary.interrupted = stopping && d.hosts.values().any(HostQueue::has_work);
                break;
            }
        }
        let next_timer = d.timers.peek().map(|Reverse((at, _))| *at);
        tokio::select! {
            joined = d.tasks.join_next(), if !d.tasks.is_empty() => {
                let Some(joined) = joined else { continue };
                let (host, result) = joined.map_err(|e| CrawlError::Task(e.to_string()))?;
                let processed = result?;
                d.finished(&host, &processed);
                tally.record(&host, processed.state, processed.is_report);
                if tally.due() {
                    tally.report(&pending_per_host(crawl).await?, false);
                }
                count(&mut summary, &mut failures, &host, processed);
            }
            refilled = d.refills.join_next(), if !d.refills.is_empty() => {
                let Some(refilled) = refilled else { continue };
                let (host, asked_at, found) = refilled.map_err(|e| CrawlError::Task(e.to_string()))?;
                d.refilled(&host, asked_at, found?);
            }
            Some(host) = released.recv() => {
                // That request's host may start its next one; its global slot is free too.
                d.wake(&host);
            }
            _ = tokio::time::sleep_until(super::network::wait_until(next_timer.unwrap_or_else(Instant::now))), if next_timer.is_some() => {}
            _ = crate::shutdown::stopped(&mut stop), if !stopping => {}
        }
    }
    let mut failures: Vec<(String, u64)> = failures.into_iter().collect();
    failures.sort();
    summary.failures_by_host = failures;
    (summary.hosts_tried, summary.hosts_all_failed) = tally.progress().hosts_tried_and_failed();
    if crawl.progress.is_some() {
        tally.report(&pending_per_host(crawl).await?, true);
    }
    Ok(summary)
}

/// Pending entries per host, for the progress report.
async fn pending_per_host(crawl: &Crawl) -> Result<HashMap<String, i64>, CrawlError> {
    let run_id = crawl.run_id;
    crawl
        .store
        .call(move |s| s.frontier_pending_per_host(run_id))
        .await
}

impl Dispatcher<'_> {
    /// Puts `host` on the ready list unless it is there or on a timer already.
    fn wake(&mut self, host: &str) {
        if let Some(hq) = self.hosts.get_mut(host)
            && !hq.parked
            && hq.has_work()
        {
            hq.parked = true;
            self.ready.push_back(host.to_string());
        }
    }

    /// Starts what can start now: due timers join the ready list, then each
    /// ready host is tried until the global slots run out.
    async fn start_ready(&mut self) -> Result<(), CrawlError> {
        let now = Instant::now();
        while let Some(Reverse((at, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            if let Some(Reverse((_, host))) = self.timers.pop() {
                self.ready.push_back(host);
            }
        }
        while let Some(host) = self.ready.pop_front() {
            match self.admit(&host).await? {
                Admit::Started => {
                    // It may take another task (up to its cap): try again after the others.
                    self.ready.push_back(host);
                }
                Admit::Idle => {
                    if let Some(hq) = self.hosts.get_mut(&host) {
                        hq.parked = false;
                    }
                }
                Admit::Later(at) => self.timers.push(Reverse((at, host))),
                Admit::Global => {
                    // Still first in line once a slot frees.
                    self.ready.push_front(host);
                    break;
                }
            }
        }
        Ok(())
    }

    /// Starts one task for `host` if it has an entry and may send a request now.
    async fn admit(&mut self, host: &str) -> Result<Admit, CrawlError> {
        let crawl = self.crawl;
        let cfg = &crawl.config.crawler;
        let Some(hq) = self.hosts.get_mut(host) else {
            return Ok(Admit::Idle);
        };
        if hq.over_budget || hq.refilling || hq.tasks >= self.per_host_tasks {
            // A refill in progress wakes the host when it arrives.
            return Ok(Admit::Idle);
        }
        let robots = cfg.respect_robots_txt.then(|| crawl.net.robots_known(host));
        // The first task of a host fetches robots.txt alone; the others follow its rules.
        if matches!(robots, Some(None)) && hq.tasks > 0 {
            return Ok(Admit::Idle);
        }
        if hq.queue.is_empty() && hq.more_in_db {
            hq.refilling = true;
            let (crawl, host, queued, batch) = (
                Arc::clone(crawl),
                host.to_string(),
                hq.queued.clone(),
                self.batch,
            );
            let asked_at = hq.links_seen;
            self.refills.spawn(async move {
                let jobs = refill(&crawl, host.clone(), queued, batch).await;
                (host, asked_at, jobs)
            });
            return Ok(Admit::Idle);
        }
        let Some(job) = hq.queue.front() else {
            return Ok(Admit::Idle);
        };
        if hq.taken >= cfg.max_pages_per_host {
            hq.over_budget = true;
            hq.queue.clear();
            hq.more_in_db = false;
            let (run_id, h) = (crawl.run_id, host.to_string());
            crawl
                .store
                .call(move |s| s.frontier_skip_host(run_id, &h, "page limit per host reached"))
                .await?;
            return Ok(Admit::Idle);
        }
        if let Some(Some(rules)) = &robots
            && !rules.allowed(&job.item.url)
        {
            // No request needed: spend no turn on it.
            let job = hq.queue.pop_front().expect("front exists");
            hq.tasks += 1;
            let crawl = Arc::clone(crawl);
            let host = host.to_string();
            self.tasks.spawn(async move {
                let r = process::close(
                    &crawl,
                    &job.item,
                    FrontierState::Skipped,
                    "disallowed by robots.txt",
                )
                .await;
                (host, r)
            });
            return Ok(Admit::Started);
        }
        if crawl.backlog.full() {
            // A page leaving the backlog ends its task, and that wakes the loop.
            return Ok(Admit::Global);
        }
        let slot = match crawl.net.try_slot(host) {
            Ok(slot) => slot,
            Err(Wait::Global) => return Ok(Admit::Global),
            Err(Wait::Host(NotReady::Until(at))) => return Ok(Admit::Later(at)),
            // Its request in flight ends with a wake-up.
            Err(Wait::Host(NotReady::Busy)) => return Ok(Admit::Idle),
        };
        let job = hq.queue.pop_front().expect("front exists");
        hq.taken += 1;
        hq.tasks += 1;
        let crawl = Arc::clone(crawl);
        let host = host.to_string();
        self.tasks.spawn(async move {
            let r = process::process(&crawl, job, slot).await;
            (host, r)
        });
        Ok(Admit::Started)
    }

    /// `host`'s next entries arrived from the archive.
    fn refilled(&mut self, host: &str, asked_at: u64, found: Refill) {
        let Some(hq) = self.hosts.get_mut(host) else {
            return;
        };
        hq.refilling = false;
        // Links committed after the read was sent may be there still; a read
        // that found all there was needs no second read to learn it.
        hq.more_in_db = !found.exhausted || hq.links_seen != asked_at;
        for job in found.jobs {
            hq.queued.insert(job.item.id);
            hq.queue.push_back(job);
        }
        hq.parked = false;
        self.wake(host);
    }

    /// A task of `host` ended: its entry is committed, its links are in the frontier.
    fn finished(&mut self, host: &str, processed: &Processed) {
        if let Some(hq) = self.hosts.get_mut(host) {
            hq.tasks -= 1;
            hq.queued.remove(&processed.frontier_id);
        }
        for h in &processed.hosts_with_new_links {
            let hq = self.hosts.entry(h.clone()).or_default();
            hq.more_in_db = true;
            hq.links_seen += 1;
            self.wake(h);
        }
        self.wake(host);
    }
}

/// Adds one entry's outcome to the run's counters.
fn count(
    summary: &mut CrawlSummary,
    failures: &mut HashMap<String, u64>,
    host: &str,
    processed: Processed,
) {
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
    match processed.state {
        FrontierState::Failed => {
            summary.failed += 1;
            *failures.entry(host.to_string()).or_default() += 1;
        }
        FrontierState::Skipped => summary.skipped += 1,
        _ => {}
    }
}

/// The next pending entries of one host that are not already queued or in
/// flight, each with the archived copy to revalidate.
async fn refill(
    crawl: &Crawl,
    host: String,
    queued: HashSet<i64>,
    batch: usize,
) -> Result<Refill, CrawlError> {
    // Queued/in-flight entries are still pending in the frontier: ask for enough to skip them.
    let (run_id, limit) = (crawl.run_id, batch + queued.len());
    crawl
        .store
        .call(move |store| {
            let found = store.frontier_jobs_for_host(run_id, &host, limit)?;
            let exhausted = found.len() < limit;
            let jobs = found
                .into_iter()
                .filter(|j| !queued.contains(&j.item.id))
                .take(batch)
                .collect();
            Ok(Refill { jobs, exhausted })
        })
        .await
}
