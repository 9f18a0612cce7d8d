//! The SQLite archive: opening (WAL, migrations), runs, seeds, frontier, fetch log,
//! snapshots with deduplicated zstd bodies, page metadata and extractions.
//!
//! Every write that must be atomic with another (a snapshot, its body, its
//! page metadata, its outlinks and the frontier entry it completes) goes
//! through one transaction here, so a crash at any instant leaves the
//! archive consistent and the frontier resumable.

mod answers;
pub mod check;
mod crawl;
mod dashboard;
mod extraction;
mod findings;
mod kinds;
pub mod lock;
mod render;
mod runs;
mod schema;

pub use answers::{ArchivedResponse, DiscoveredReport, LastFetch, ReportSnapshot};
pub use crawl::*;
pub use dashboard::{ArchivedSnapshot, PendingHost};
pub use extraction::{
    ArchivedReport, ExtractFilter, ExtractionBatch, ExtractionRow, ReportLookup, Revision,
};
pub use findings::{DecoySeen, SeedFindings};
pub use kinds::{FrontierState, RunKind, RunStatus};
pub(crate) use kinds::{READ_STATUSES_SQL, REPORT_KINDS_SQL};
pub use render::*;
pub use runs::{ArchiveTotals, FailedUrl, HostErrors, RunCounts, RunRow};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub use schema::MIGRATIONS;

#[derive(Debug, thiserror::Error)]
/// Why the archive could not be opened, read or written.
pub enum StoreError {
    #[error("database {path}: {source}")]
    /// The database could not be opened.
    Open {
        /// The file.
        path: PathBuf,
        #[source]
        /// The underlying error.
        source: rusqlite::Error,
    },
    #[error("cannot create the folder for database {path}: {source}")]
    /// Its folder could not be created.
    CreateDir {
        /// The file.
        path: PathBuf,
        #[source]
        /// The underlying error.
        source: std::io::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this nianbao knows ({known}); upgrade nianbao"
    )]
    /// Written by a newer nianbao.
    TooNew {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: i64,
        /// Version this build knows.
        known: i64,
    },
    #[error(
        "no archive at {path}: run `nianbao crawl` to start one, or point --db (or storage.database) at the archive"
    )]
    /// No archive at the path, for a command that does not create one.
    Missing {
        /// The file.
        path: PathBuf,
    },
    #[error(
        "the archive {path} is damaged ({findings}); nothing was written to it. Restore it from a backup, or save what is readable with `sqlite3 {path} .recover | sqlite3 recovered.db` and use that copy"
    )]
    /// `PRAGMA quick_check` found the archive damaged; nothing was written.
    Damaged {
        /// The file.
        path: PathBuf,
        /// The first few of `quick_check`'s findings.
        findings: String,
    },
    #[error("database: {0}")]
    /// SQLite failed.
    Sql(#[from] rusqlite::Error),
    #[error("stored body {sha256} cannot be decompressed: {source}")]
    /// A stored body does not decompress.
    Body {
        /// SHA-256 of the body (hex).
        sha256: String,
        #[source]
        /// The underlying error.
        source: std::io::Error,
    },
    #[error("stored JSON is malformed: {0}")]
    /// Stored or written JSON is malformed.
    Json(#[from] serde_json::Error),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The current time as stored: RFC 3339 in UTC with milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Lower-case hex SHA-256 of `bytes` (sha2 0.11's digest no longer formats with `{:x}`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// zstd level for bodies: level 3 is zstd's default, fast and ~4-8x on HTML.
const ZSTD_LEVEL: i32 = 3;

/// A body ready to store: hashed and compressed outside any lock or transaction.
#[derive(Debug, Clone)]
pub struct PreparedBody {
    /// SHA-256 of the body (hex).
    pub sha256: String,
    /// Body size in bytes.
    pub size: usize,
    /// The body, zstd-compressed.
    pub zstd: Vec<u8>,
}

thread_local! {
    /// One compression context per thread, reused: setting one up costs more
    /// than compressing a typical 5-20 KB page with it.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// `bytes` as one zstd frame (readable by any zstd decoder).
fn compress(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Compressor::new(ZSTD_LEVEL)?);
        }
        match slot.as_mut() {
            Some(c) => c.compress(bytes),
            None => zstd::encode_all(bytes, ZSTD_LEVEL),
        }
    })
}

impl PreparedBody {
    /// Hashes and compresses `bytes`.
    pub fn new(bytes: &[u8]) -> std::io::Result<Self> {
        Ok(PreparedBody {
            sha256: sha256_hex(bytes),
            size: bytes.len(),
            zstd: compress(bytes)?,
        })
    }
}

/// The archive: one SQLite connection, the only place that speaks SQL.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the archive at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        Self::init(conn, path.to_path_buf())
    }

    /// An in-memory archive, for tests and offline one-shot use.
    pub fn open_in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // WAL: readers never block the crawler's writer, and a crash loses at most
        // the transaction in flight. synchronous=NORMAL is durable across process
        // crashes in WAL mode (only an OS crash can lose the last commits).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A page commit alone runs a dozen statements, and refills, fetch logs
        // and closes a few more: rusqlite's default of 16 cached statements
        // would evict them in turn and prepare each again.
        conn.set_prepared_statement_cache_capacity(64);
        // Plans that do not depend on bound values. Without this, SQLite (built
        // with STAT4) marks statements such as "host = ?2 ORDER BY priority" to
        // be planned again for new values, and each reuse from the cache
        // (which clears the bindings) prepared the frontier reads anew. The
        // archive never runs ANALYZE, so no better plan is given up.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        let mut store = Store { conn, path };
        store.migrate()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Direct access for tests and ad-hoc inspection; the library's own
    /// queries all live in this module's files.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The schema version the archive is at (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: "ok" on a sound database.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    // ---- runs ------------------------------------------------------------

    /// Starts a run record.
    pub fn begin_run(&self, kind: RunKind, command: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (kind, started_at, status, pid, command) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![kind, now(), RunStatus::Running, std::process::id(), command],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest run of `kind` that never finished (its process died), if any.
    /// Only meaningful while holding the archive lock.
    pub fn unfinished_run(&self, kind: RunKind) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM runs WHERE kind = ?1 AND status IN ('running', 'interrupted') ORDER BY id DESC LIMIT 1",
                [kind],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Marks a run as taken over by this process after a crash or stop.
    pub fn resume_run(&self, run_id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET status = 'running', pid = ?2, finished_at = NULL WHERE id = ?1",
            params![run_id, std::process::id()],
        )?;
        Ok(())
    }

    /// Closes a run with its final status and, when given, a note (the error of a failed run).
    pub fn finish_run(&self, run_id: i64, status: RunStatus, note: Option<&str>) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, finished_at = ?3, note = COALESCE(?4, note) WHERE id = ?1",
            params![run_id, status, now(), note],
        )?;
        Ok(())
    }

    /// Counts reports extracted in a run (the crawl's own counters move with its page commits).
    pub fn add_extracted(&self, run_id: i64, reports: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET extracted = extracted + ?2 WHERE id = ?1",
            params![run_id, reports],
        )?;
        Ok(())
    }

    // ---- bodies and snapshots ---------------------------------------------

    /// Reads a body back, decompressed.
    pub fn body(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT zstd FROM bodies WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?;
        blob.map(|b| {
            zstd::decode_all(&b[..]).map_err(|source| StoreError::Body {
                sha256: sha256.to_string(),
                source,
            })
        })
        .transpose()
    }

    /// The stored body of a snapshot.
    pub fn snapshot_body(&self, snapshot_id: i64) -> Result<Option<Vec<u8>>> {
        let sha: Option<String> = self
            .conn
            .query_row(
                "SELECT sha256 FROM snapshots WHERE id = ?1",
                [snapshot_id],
                |r| r.get(0),
            )
            .optional()?;
        match sha {
            Some(sha) => self.body(&sha),
            None => Ok(None),
        }
    }
}

/// What a recrawl needs to know about the last snapshot of a URL.
#[derive(Debug, Clone)]
pub struct SnapshotHead {
    /// Row id.
    pub id: i64,
    /// SHA-256 of the body (hex).
    pub sha256: String,
    /// `ETag`, for conditional requests.
    pub etag: Option<String>,
    /// `Last-Modified`, for conditional requests.
    pub last_modified: Option<String>,
    /// `Content-Type` as sent.
    pub content_type: Option<String>,
    /// URL after redirects.
    pub final_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;
    use std::path::Path;

    #[test]
    fn bodies_compressed_with_the_reused_context_read_back_whole() {
        let big: Vec<u8> = (0..1_000_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let bodies: [&[u8]; 4] = [
            b"",
            b"<html>\xe5\xb9\xb4\xe6\x8a\xa5</html>",
            &big,
            b"again",
        ];
        for body in bodies {
            let p = PreparedBody::new(body).unwrap();
            assert_eq!(p.size, body.len());
            assert_eq!(zstd::decode_all(&p.zstd[..]).unwrap(), body);
        }
    }

    fn seed_rows() -> Vec<seeds::SeedRow> {
        let text = "agency,region,level,url,aliases\n\
            新乡市卫滨区人民政府,河南省新乡市卫滨区,区县,http://127.0.0.1:9/xxgk/,卫滨区人民政府\n\
            肖寨门镇人民政府,辽宁省沈阳市辽中区,乡镇,,肖寨门镇\n";
        seeds::parse(text.as_bytes(), Path::new("t.csv")).unwrap()
    }

    fn commit(
        store: &mut Store,
        run: i64,
        frontier_id: i64,
        url: &str,
        body: &[u8],
    ) -> CommitOutcome {
        store
            .commit_page(&PageCommit {
                run_id: run,
                frontier_id,
                fetch: FetchRecord {
                    url: url.into(),
                    host: "h".into(),
                    attempt: 1,
                    status: Some(200),
                    bytes: body.len() as i64,
                    ..Default::default()
                },
                snapshot: Some((
                    NewSnapshot {
                        url: url.into(),
                        final_url: url.into(),
                        fetched_at: now(),
                        status: 200,
                        http_version: "HTTP/1.1".into(),
                        headers: vec![("content-type".into(), "text/html".into())],
                        content_type: Some("text/html".into()),
                        charset: Some("UTF-8".into()),
                        charset_source: Some("header".into()),
                        truncated: false,
                        etag: Some("\"e1\"".into()),
                        last_modified: None,
                        seed_id: None,
                        parent_url: None,
                        form: None,
                    },
                    PreparedBody::new(body).unwrap(),
                    PageMetaRow {
                        kind: crate::page::facts::PageKind::Report,
                        format: crate::formats::Format::Html,
                        report_year: Some(2022),
                        ..Default::default()
                    },
                )),
                existing_snapshot_id: None,
                links: vec![NewLink {
                    url: format!("{url}/next"),
                    host: "h".into(),
                    seed_id: None,
                    depth: 1,
                    kind: crate::crawl::discover::LinkKind::Other,
                    priority: 5,
                    parent_url: Some(url.into()),
                    link_text: None,
                    agency_hint: None,
                    listing_date: None,
                    skipped: None,
                    form: None,
                }],
                state: FrontierState::Done,
                reason: None,
                not_modified: false,
                is_report: false,
                notes: Vec::new(),
                seed_hosts: Vec::new(),
            })
            .unwrap()
    }

    #[test]
    fn migrates_once_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/a.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn seeds_sync_is_idempotent_and_deactivates_dropped_rows() {
        let mut store = Store::open_in_memory().unwrap();
        let rows = seed_rows();
        let agencies = seeds::agencies(&rows);
        let first = store.sync_seeds(&rows, &agencies).unwrap();
        let again = store.sync_seeds(&rows, &agencies).unwrap();
        assert_eq!(
            first.iter().map(|s| s.id).collect::<Vec<_>>(),
            again.iter().map(|s| s.id).collect::<Vec<_>>()
        );
        assert_eq!(store.agencies().unwrap().len(), 2);
        store.sync_seeds(&rows[..1], &agencies[..1]).unwrap();
        let names: Vec<String> = store
            .agencies()
            .unwrap()
            .into_iter()
            .map(|a| a.agency.name)
            .collect();
        assert_eq!(names, vec!["新乡市卫滨区人民政府"]);
    }

    #[test]
    fn page_commit_dedups_bodies_and_advances_the_frontier() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_run(RunKind::Crawl, "test").unwrap();
        let seed = NewLink {
            kind: crate::crawl::discover::LinkKind::Seed,
            ..crawl::test_link("http://h/a", "h", 0)
        };
        assert_eq!(
            store
                .frontier_add(run, &[seed.clone(), seed.clone()])
                .unwrap(),
            1
        );
        let item = store.frontier_pending(run, 10).unwrap().remove(0);
        let out = commit(&mut store, run, item.id, "http://h/a", b"<html>same</html>");
        assert!(out.new_body && out.links_added == 1);
        let next = store.frontier_pending(run, 10).unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].url, "http://h/a/next");
        let out2 = commit(
            &mut store,
            run,
            next[0].id,
            "http://h/b",
            b"<html>same</html>",
        );
        assert!(!out2.new_body, "identical body stored once");
        let bodies: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM bodies", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bodies, 1);
        let id = out.snapshot_id.unwrap();
        assert_eq!(
            store.snapshot_body(id).unwrap().unwrap(),
            b"<html>same</html>"
        );
        assert_eq!(
            store
                .frontier_counts(run)
                .unwrap()
                .get(&FrontierState::Done),
            Some(&2)
        );
        // The next run revalidates each URL against its own last snapshot.
        let next_run = store.begin_run(RunKind::Crawl, "test").unwrap();
        let again = |url: &str| NewLink {
            url: url.into(),
            ..seed.clone()
        };
        let never_fetched = again("http://h/new");
        store
            .frontier_add(next_run, &[again("http://h/a"), never_fetched])
            .unwrap();
        let jobs = store.frontier_jobs_for_host(next_run, "h", 10).unwrap();
        let previous: Vec<(&str, Option<i64>, Option<&str>)> = jobs
            .iter()
            .map(|j| {
                let p = j.previous.as_ref();
                (
                    j.item.url.as_str(),
                    p.map(|p| p.id),
                    p.and_then(|p| p.etag.as_deref()),
                )
            })
            .collect();
        assert_eq!(
            previous,
            vec![
                ("http://h/a", Some(id), Some("\"e1\"")),
                ("http://h/new", None, None)
            ]
        );
        let first = store.frontier_first_jobs_per_host(next_run, 1).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].previous.as_ref().map(|p| p.id), Some(id));
    }

    #[test]
    fn a_crawl_starts_from_each_hosts_soonest_entries_read_at_once() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_run(RunKind::Crawl, "test").unwrap();
        let mut links = Vec::new();
        for host in ["http://b", "http://a"] {
            for (i, priority) in [30, 10, 20, 10].into_iter().enumerate() {
                links.push(crawl::test_link(&format!("{host}/p{i}"), host, priority));
            }
        }
        links.push(crawl::test_link("http://c/only", "http://c", 50));
        store.frontier_add(run, &links).unwrap();
        let first = store.frontier_first_jobs_per_host(run, 2).unwrap();
        let urls: Vec<&str> = first.iter().map(|j| j.item.url.as_str()).collect();
        // Hosts one after the other; in each, priority first, then the order found.
        assert_eq!(
            urls,
            [
                "http://a/p1",
                "http://a/p3",
                "http://b/p1",
                "http://b/p3",
                "http://c/only"
            ]
        );
        // Another run's entries are not this run's.
        let other = store.begin_run(RunKind::Crawl, "test").unwrap();
        assert!(
            store
                .frontier_first_jobs_per_host(other, 2)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn reused_frontier_reads_are_not_prepared_again() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_run(RunKind::Crawl, "test").unwrap();
        let links: Vec<NewLink> = (0..40)
            .map(|i| {
                crawl::test_link(
                    &format!("http://h{}/p{i}", i % 4),
                    &format!("http://h{}", i % 4),
                    i,
                )
            })
            .collect();
        store.frontier_add(run, &links).unwrap();
        // The shape of a host refill: an equality on a bound value, then an order.
        let sql = "SELECT id FROM frontier WHERE run_id = ?1 AND state = 'pending' AND host = ?2 ORDER BY priority, id";
        for i in 0..8 {
            let host = format!("http://h{}", i % 4);
            let mut stmt = store.conn().prepare_cached(sql).unwrap();
            let n = stmt
                .query_map(params![run, host], |_| Ok(()))
                .unwrap()
                .count();
            assert_eq!(n, 10);
        }
        // Each reuse from the cache clears the bindings; without the planner
        // stability guarantee SQLite prepared such a statement again each time.
        let stmt = store.conn().prepare_cached(sql).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }
}
