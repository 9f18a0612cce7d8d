//! The one owner of a crawl's archive connection: a thread that holds the
//! [`Store`] and serves the crawl's reads and writes in the order they are
//! sent, so no tokio worker ever blocks on a lock around SQLite.
//!
//! Page commits waiting together are written in one transaction (several
//! pages per commit, far fewer WAL frames and syncs than one each). Each page
//! is still whole or absent after a crash: a transaction holds complete pages
//! only, and an entry's frontier state changes in the same transaction as its
//! data, so a resumed run refetches exactly what was not committed.

use super::CrawlError;
use crate::store::{CommitOutcome, PageCommit, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most page commits written in one transaction.
const MAX_BATCH: usize = 64;

type Reply<T> = oneshot::Sender<Result<T, CrawlError>>;

enum Op {
    Commit(Box<PageCommit>, Reply<CommitOutcome>),
    Call(Box<dyn FnOnce(&mut Store) + Send>),
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
            .send(Op::Commit(Box::new(c), reply))
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn serve(mut store: Store, mut rx: mpsc::UnboundedReceiver<Op>) -> Store {
    let mut next = rx.blocking_recv();
    while let Some(op) = next.take() {
        match op {
            Op::Call(f) => f(&mut store),
            Op::Commit(first, reply) => {
                let mut batch = vec![(first, reply)];
                // Gather the commits already waiting, stopping at any other
                // request so that it sees them written.
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(Op::Commit(c, r)) => batch.push((c, r)),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let pages: Vec<&PageCommit> = batch.iter().map(|(c, _)| c.as_ref()).collect();
                match store.commit_pages(&pages) {
                    Ok(outcomes) => {
                        for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                            let _ = reply.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        let message = e.to_string();
                        let mut replies = batch.into_iter().map(|(_, r)| r);
                        if let Some(r) = replies.next() {
                            let _ = r.send(Err(e.into()));
                        }
                        for r in replies {
                            let _ = r.send(Err(CrawlError::Task(format!(
                                "archiving a batch of pages failed: {message}"
                            ))));
                        }
                    }
                }
            }
        }
        if next.is_none() {
            next = rx.blocking_recv();
        }
    }
    store
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FetchRecord, FrontierState, NewLink, RunKind};

    fn link(url: &str) -> NewLink {
        NewLink {
            url: url.into(),
            host: "http://h".into(),
            seed_id: None,
            depth: 0,
            kind: crate::crawl::discover::LinkKind::Other,
            priority: 10,
            parent_url: None,
            link_text: None,
            agency_hint: None,
            listing_date: None,
            skipped: None,
            form: None,
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
                writer
                    .commit(PageCommit {
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
                        // Each page brings one new link, committed with it.
                        links: vec![link(&format!("{}/next", item.url))],
                        state: FrontierState::Failed,
                        reason: Some("HTTP 404".into()),
                        not_modified: false,
                        is_report: false,
                        notes: Vec::new(),
                        seed_hosts: Vec::new(),
                    })
                    .await
                    .unwrap()
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
}
