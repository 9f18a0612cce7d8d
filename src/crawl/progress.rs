//! What a running crawl has done so far, per host and in total, with an
//! estimate of the time left, handed to whoever watches (the CLI's progress
//! bars or periodic log lines) a few times a second.

use crate::store::FrontierState;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One host's counts in a running crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostProgress {
    /// Pages fetched or revalidated (the entry is done).
    pub done: u64,
    /// Entries that failed for good.
    pub failed: u64,
    /// Entries skipped (robots.txt, page budget, out of scope).
    pub skipped: u64,
    /// Report pages and attachments found.
    pub reports: u64,
    /// Frontier entries still waiting, as last counted.
    pub pending: u64,
}

/// A crawl's progress at one moment.
#[derive(Debug, Clone, Default)]
pub struct CrawlProgress {
    /// By host key, sorted.
    pub hosts: BTreeMap<String, HostProgress>,
    pub elapsed: Duration,
    /// Time left if every host keeps to its politeness floor: the host with the
    /// most pending entries at the configured requests per second decides.
    pub eta: Option<Duration>,
    /// The run has ended (this is the last report).
    pub finished: bool,
}

impl CrawlProgress {
    /// Totals over the hosts.
    pub fn total(&self) -> HostProgress {
        let mut t = HostProgress::default();
        for h in self.hosts.values() {
            t.done += h.done;
            t.failed += h.failed;
            t.skipped += h.skipped;
            t.reports += h.reports;
            t.pending += h.pending;
        }
        t
    }

    /// Pages (done or failed) per second since the start.
    pub fn rate(&self) -> f64 {
        let t = self.total();
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (t.done + t.failed) as f64 / secs
        } else {
            0.0
        }
    }

    /// Hosts that had at least one entry fetched, and how many of them never
    /// had a page done: all of them failing means nothing could be crawled.
    pub fn hosts_tried_and_failed(&self) -> (u64, u64) {
        let tried = self.hosts.values().filter(|h| h.done + h.failed > 0);
        let (mut n, mut failed) = (0, 0);
        for h in tried {
            n += 1;
            failed += (h.done == 0) as u64;
        }
        (n, failed)
    }
}

impl std::fmt::Display for CrawlProgress {
    /// One line: totals, rate, ETA.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.total();
        write!(
            f,
            "{} pages done, {} pending, {} reports, {} errors, {} hosts, {:.1} pages/s",
            t.done,
            t.pending,
            t.reports,
            t.failed,
            self.hosts.len(),
            self.rate()
        )?;
        if let Some(eta) = self.eta {
            write!(f, ", about {}s left", eta.as_secs())?;
        }
        Ok(())
    }
}

/// Receives the crawl's progress; cheap to clone.
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(&CrawlProgress) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// The dispatcher's tally: counts pages as they finish and reports to the sink
/// at most every [`Tally::EVERY`], re-counting the frontier then.
pub(crate) struct Tally {
    progress: CrawlProgress,
    started: Instant,
    last: Option<Instant>,
    per_host_rps: f64,
    sink: Option<ProgressSink>,
}

impl Tally {
    const EVERY: Duration = Duration::from_millis(250);

    pub fn new(sink: Option<ProgressSink>, per_host_rps: f64) -> Tally {
        Tally {
            progress: CrawlProgress::default(),
            started: Instant::now(),
            last: None,
            per_host_rps,
            sink,
        }
    }

    /// Counts one finished frontier entry of `host`.
    pub fn record(&mut self, host: &str, state: FrontierState, is_report: bool) {
        let h = self.progress.hosts.entry(host.to_string()).or_default();
        match state {
            FrontierState::Failed => h.failed += 1,
            FrontierState::Skipped => h.skipped += 1,
            FrontierState::Pending => {}
            FrontierState::Done => h.done += 1,
        }
        h.reports += is_report as u64;
    }

    /// Whether a report is due (the caller then counts the frontier).
    pub fn due(&self) -> bool {
        self.sink.is_some() && self.last.is_none_or(|t| t.elapsed() >= Self::EVERY)
    }

    /// Hands the progress to the sink, with the pending entries per host.
    pub fn report(&mut self, pending: &std::collections::HashMap<String, i64>, finished: bool) {
        for h in self.progress.hosts.values_mut() {
            h.pending = 0;
        }
        for (host, n) in pending {
            self.progress.hosts.entry(host.clone()).or_default().pending = *n as u64;
        }
        self.progress.elapsed = self.started.elapsed();
        let most = self.progress.hosts.values().map(|h| h.pending).max();
        self.progress.eta = most
            .filter(|_| self.per_host_rps > 0.0)
            .map(|n| Duration::from_secs_f64(n as f64 / self.per_host_rps));
        self.progress.finished = finished;
        self.last = Some(Instant::now());
        if let Some(sink) = &self.sink {
            (sink.0)(&self.progress);
        }
    }

    pub fn progress(&self) -> &CrawlProgress {
        &self.progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[test]
    fn tally_counts_per_host_and_estimates_from_the_slowest_queue() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let sink = ProgressSink(Arc::new(move |p: &CrawlProgress| {
            s.lock().unwrap().push(p.clone())
        }));
        let mut t = Tally::new(Some(sink), 2.0);
        t.record("a", FrontierState::Done, true);
        t.record("a", FrontierState::Failed, false);
        t.record("b", FrontierState::Failed, false);
        assert!(t.due());
        t.report(&HashMap::from([("a".into(), 10), ("b".into(), 4)]), false);
        assert!(!t.due(), "not again within the interval");
        let p = seen.lock().unwrap()[0].clone();
        assert_eq!(p.hosts["a"].done, 1);
        assert_eq!(p.total().failed, 2);
        assert_eq!(p.total().reports, 1);
        assert_eq!(p.eta, Some(Duration::from_secs(5)), "10 pending at 2/s");
        assert_eq!(p.hosts_tried_and_failed(), (2, 1));
    }
}
