//! The one owner of a crawl's archive connection: a thread that holds the
//! [`Store`] and serves the crawl's reads and writes in the order they are
//! sent, so no tokio worker ever blocks on a lock around SQLite.
//!
//! Page commits and fetch logs waiting together are written in one
//! transaction (several pages per commit, far fewer WAL frames and syncs than
//! one each: a crawl's first second logs thousands of robots.txt). Each page
//! is still whole or absent after a crash: a transaction holds complete pages
//! only, and an entry's frontier state changes in the same transaction as its
//! data, so a resumed run refetches exactly what was not committed.

use super::CrawlError;
use crate::store::{BatchWrite, CommitOutcome, FetchRecord, PageCommit, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most page commits written in one transaction.
const MAX_BATCH: usize = 64;

type Reply<T> = oneshot::Sender<Result<T, CrawlError>>;

enum Op {
    /// Written in one transaction with the writes waiting next to it.
    Write(Pending),
    Call(Box<dyn FnOnce(&mut Store) + Send>),
}

/// A write waiting in a batch, and who to tell how it went.
enum Pending {
    Commit(Box<PageCommit>, Reply<CommitOutcome>),
    /// A fetch attempt of a run that is not its entry's last.
    Log(Box<(i64, FetchRecord)>, Reply<()>),
}

impl Pending {
    fn write(&self) -> BatchWrite<'_> {
        match self {
            Pending::Commit(c, _) => BatchWrite::Page(c),
            Pending::Log(l, _) => BatchWrite::FetchLog {
                run_id: l.0,
                record: &l.1,
            },
        }
    }

    fn answer(self, outcome: Result<Option<CommitOutcome>, CrawlError>) {
        match self {
            Pending::Commit(_, reply) => {
                let _ = reply.send(outcome.map(Option::unwrap_or_default));
            }
            Pending::Log(_, reply) => {
                let _ = reply.send(outcome.map(drop));
            }
        }
    }
}

/// The crawl's way to the archive; cheap to clone.
#[derive(Clone)]
pub(crate) struct StoreWriter {
    tx: mpsc::UnboundedSender<Op>,
}

/// The writer's thread; joining it gives the store back once every
/// [`StoreWriter`] is dropped.
pub(crate) struct WriterThread(std::thread::JoinHandle<Store>);

impl WriterThread {
    /// Waits for the writer to finish what was sent and returns the store.
    pub fn join(self) -> Result<Store, CrawlError> {
        self.0
            .join()
            .map_err(|_| CrawlError::Task("the archive writer panicked".into()))
    }
}

fn gone() -> CrawlError {
    CrawlError::Task("the archive writer stopped".into())
}

impl StoreWriter {
    /// Moves `store` to its own thread.
    pub fn spawn(store: Store) -> Result<(StoreWriter, WriterThread), CrawlError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = std::thread::Builder::new()
            .name("nianbao-archive".into())
            .spawn(move || serve(store, rx))
            .map_err(|e| CrawlError::Task(format!("cannot start the archive writer: {e}")))?;
        Ok((StoreWriter { tx }, WriterThread(handle)))
    }

    /// Runs `f` on the store, after everything sent before it.
    pub async fn call<T, F>(&self, f: F) -> Result<T, CrawlError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let op = Op::Call(Box::new(move |store: &mut Store| {
            let _ = reply.send(f(store).map_err(CrawlError::from));
        }));
        self.tx.send(op).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Commits one page (possibly in one transaction with others waiting).
    pub async fn commit(&self, c: PageCommit) -> Result<CommitOutcome, CrawlError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Op::Write(Pending::Commit(Box::new(c), reply)))
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Logs a fetch attempt of `run_id` that is not its entry's last
    /// (possibly in one transaction with other writes waiting).
    pub async fn record_fetch(&self, run_id: i64, record: FetchRecord) -> Result<(), CrawlError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Op::Write(Pending::Log(Box::new((run_id, record)), reply)))
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn serve(mut store: Store, mut rx: mpsc::UnboundedReceiver<Op>) -> Store {
    let mut next = rx.blocking_recv();
    while let Some(op) = next.take() {
        match op {
            Op::Call(f) => f(&mut store),
            Op::Write(first) => {
                let mut batch = vec![first];
                // Gather the writes already waiting, stopping at any other
                // request so that it sees them written.
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(Op::Write(w)) => batch.push(w),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                write(&mut store, batch);
            }
        }
        if next.is_none() {
            next = rx.blocking_recv();
        }
    }
    store
}

/// Writes one batch in one transaction and answers each of its senders.
fn write(store: &mut Store, batch: Vec<Pending>) {
    let writes: Vec<BatchWrite> = batch.iter().map(Pending::write).collect();
    match store.commit_writes(&writes) {
        Ok(outcomes) => {
            for (pending, outcome) in batch.into_iter().zip(outcomes) {
                pending.answer(Ok(outcome));
            }
        }
        Err(e) => {
            let message = e.to_string();
            let mut pending = batch.into_iter();
            if let Some(p) = pending.next() {
                p.answer(Err(e.into()));
            }
            for p in pending {
                p.answer(Err(CrawlError::Task(format!(
                    "archiving a batch of pages failed: {message}"
                ))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FetchRecord, FrontierState, NewLink, RunKind};

    fn link(url: &str) -> NewLink {
        crate::store::test_link(url, "http://h", 10)
    }

    /// A 404 answer to `item`, committed with `links`.
    fn not_found(run: i64, item: &crate::store::FrontierItem, links: Vec<NewLink>) -> PageCommit {
        PageCommit {
            run_id: run,
            frontier_id: item.id,
            fetch: FetchRecord {
                url: item.url.clone(),
                host: item.host.clone(),
                attempt: 1,
                status: Some(404),
                ..Default::default()
            },
            snapshot: None,
            existing_snapshot_id: None,
            links,
            state: FrontierState::Failed,
            reason: Some("HTTP 404".into()),
            not_modified: false,
            is_report: false,
            notes: Vec::new(),
            seed_hosts: Vec::new(),
        }
    }

    #[tokio::test]
    async fn commits_sent_together_are_all_written_and_reads_see_them() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_run(RunKind::Crawl, "test").unwrap();
        let urls: Vec<String> = (0..200).map(|i| format!("http://h/p{i}")).collect();
        let links: Vec<NewLink> = urls.iter().map(|u| link(u)).collect();
        store.frontier_add(run, &links).unwrap();
        let items = store.frontier_pending(run, 1000).unwrap();
        let (writer, thread) = StoreWriter::spawn(store).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for item in items {
            let writer = writer.clone();
            tasks.spawn(async move {
                // Each page brings one new link, committed with it.
                let next = vec![link(&format!("{}/next", item.url))];
                writer.commit(not_found(run, &item, next)).await.unwrap()
            });
        }
        let mut added = 0;
        while let Some(outcome) = tasks.join_next().await {
            added += outcome.unwrap().links_added;
        }
        assert_eq!(added, 200);
        // A read sent after the commits sees all of them.
        let counts = writer.call(move |s| s.frontier_counts(run)).await.unwrap();
        assert_eq!(counts.get(&FrontierState::Failed), Some(&200));
        assert_eq!(counts.get(&FrontierState::Pending), Some(&200));
        drop(writer);
        let store = thread.join().unwrap();
        assert_eq!(
            store
                .frontier_counts(run)
                .unwrap()
                .get(&FrontierState::Failed),
            Some(&200)
        );
    }

    #[tokio::test]
    async fn a_failing_page_fails_its_batch_and_leaves_nothing_half_written() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_run(RunKind::Crawl, "test").unwrap();
        store.frontier_add(run, &[link("http://h/a")]).unwrap();
        let (writer, thread) = StoreWriter::spawn(store).unwrap();
        // A commit for a run that does not exist breaks the fetch log's foreign key.
        let bad = PageCommit {
            run_id: run + 99,
            frontier_id: 1,
            fetch: FetchRecord {
                url: "http://h/a".into(),
                host: "http://h".into(),
                attempt: 1,
                ..Default::default()
            },
            snapshot: None,
            existing_snapshot_id: None,
            links: vec![link("http://h/b")],
            state: FrontierState::Done,
            reason: None,
            not_modified: false,
            is_report: false,
            notes: Vec::new(),
            seed_hosts: Vec::new(),
        };
        assert!(writer.commit(bad).await.is_err());
        drop(writer);
        let store = thread.join().unwrap();
        let counts = store.frontier_counts(run).unwrap();
        assert_eq!(counts.get(&FrontierState::Pending), Some(&1));
        assert_eq!(counts.len(), 1, "{counts:?}");
    }

    #[tokio::test]
    async fn fetch_logs_sent_with_commits_are_written_and_answered() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_run(RunKind::Crawl, "test").unwrap();
        let links: Vec<NewLink> = (0..50).map(|i| link(&format!("http://h/p{i}"))).collect();
        store.frontier_add(run, &links).unwrap();
        let items = store.frontier_pending(run, 100).unwrap();
        let (writer, thread) = StoreWriter::spawn(store).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for item in items {
            let writer = writer.clone();
            tasks.spawn(async move {
                // A robots.txt attempt logged before the page, as a crawl does.
                let robots = FetchRecord {
                    url: "http://h/robots.txt".into(),
                    host: item.host.clone(),
                    attempt: 1,
                    status: Some(404),
                    ..Default::default()
                };
                writer.record_fetch(run, robots).await.unwrap();
                writer
                    .commit(not_found(run, &item, Vec::new()))
                    .await
                    .unwrap();
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        // A log for a run that does not exist breaks the foreign key: its sender hears of it.
        let bad = FetchRecord {
            url: "http://h/x".into(),
            host: "http://h".into(),
            attempt: 1,
            ..Default::default()
        };
        assert!(writer.record_fetch(run + 99, bad).await.is_err());
        drop(writer);
        let store = thread.join().unwrap();
        let count = |sql: &str| -> i64 { store.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT COUNT(*) FROM fetches WHERE url = 'http://h/robots.txt'"),
            50
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM fetches WHERE url <> 'http://h/robots.txt'"),
            50
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM fetches WHERE url = 'http://h/x'"),
            0
        );
    }
}
