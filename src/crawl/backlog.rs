//! How many fetched pages wait for their analysis and commit. The dispatcher
//! starts no request while the backlog is full: when thousands of hosts answer
//! within the same second, the bodies, parsed pages and pending commits held in
//! memory stay bounded by the backlog, not by the number of hosts.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Pages between their response and their commit.
#[derive(Debug)]
pub(crate) struct Backlog {
    waiting: AtomicUsize,
    limit: usize,
}

/// One page in the backlog; it leaves when this is dropped.
#[derive(Debug)]
pub(crate) struct InBacklog<'a>(&'a Backlog);

impl Backlog {
    /// Enough to keep the analysis threads and the archive's batched commits
    /// busy (several batches of a few dozen pages), far fewer than the hosts of
    /// a wide crawl.
    pub(crate) const PAGES: usize = 256;

    pub(crate) fn new(limit: usize) -> Self {
        Backlog {
            waiting: AtomicUsize::new(0),
            limit: limit.max(1),
        }
    }

    /// A response enters the backlog (admitted before it was asked for, so it
    /// may pass the limit by the requests in flight).
    pub(crate) fn enter(&self) -> InBacklog<'_> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        InBacklog(self)
    }

    /// No new request should start until pages leave.
    pub(crate) fn full(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) >= self.limit
    }
}

impl Drop for InBacklog<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backlog_is_full_at_its_limit_and_frees_as_pages_leave() {
        let b = Backlog::new(2);
        let first = b.enter();
        assert!(!b.full());
        let second = b.enter();
        assert!(b.full());
        let third = b.enter();
        drop(first);
        assert!(b.full(), "two pages still wait");
        drop(third);
        assert!(!b.full());
        drop(second);
        assert_eq!(b.waiting.load(Ordering::Relaxed), 0);
    }
}
