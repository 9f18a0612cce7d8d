//! Where a crawl's CPU work (decoding, parsing, hashing, compressing a page)
//! runs: a pool of as many threads as the machine has cores, which take the
//! next page themselves as soon as they are free.
//!
//! Each analysis used to take a blocking thread of its own (50 and more with
//! thousands of hosts on 2 cores): the threads competed for the cores, and
//! memory grew with the number of hosts. Capping them with a semaphore in
//! front of the blocking threads left cores idle instead, each hand-over
//! waiting for a busy runtime worker to start the next analysis.

use super::CrawlError;

/// The crawl's analysis threads.
pub(crate) struct CpuPool {
    pool: rayon::ThreadPool,
}

impl CpuPool {
    /// One thread per core.
    pub fn new() -> Result<CpuPool, CrawlError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("nianbao-analyse-{i}"))
            .build()
            .map_err(|e| CrawlError::Task(format!("cannot start the analysis threads: {e}")))?;
        Ok(CpuPool { pool })
    }

    /// Runs `f` on the pool once a thread is free, and waits for it; a panic
    /// in `f` is an error of this page, not the end of the process.
    pub async fn run<T, F>(&self, f: F) -> Result<T, CrawlError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(CrawlError::Task(format!(
                "page analysis panicked: {}",
                crate::panic::message(panic.as_ref())
            ))),
            Err(_) => Err(CrawlError::Task("the analysis threads stopped".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_analyses_run_at_once_than_there_are_cores() {
        let pool = Arc::new(CpuPool::new().unwrap());
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..(4 * cores) {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            tasks.spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
                .unwrap()
            });
        }
        while tasks.join_next().await.is_some() {}
        let most = most.load(Ordering::SeqCst);
        assert!(
            most >= 1 && most <= cores,
            "{most} at once on {cores} cores"
        );
    }

    #[tokio::test]
    async fn a_panicking_analysis_is_an_error_not_a_crash() {
        let pool = CpuPool::new().unwrap();
        let r: Result<(), _> = pool.run(|| panic!("bad page")).await;
        let err = r.unwrap_err().to_string();
        assert!(err.contains("bad page"), "{err}");
        // The pool still works after a panic.
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
