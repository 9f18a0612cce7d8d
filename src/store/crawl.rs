//! Crawl-side writes and reads: seeds and agencies, the frontier, the fetch log,
//! and the one transaction that archives a fetched page.

use super::{FrontierState, PreparedBody, Result, Store, now};
use crate::crawl::discover::LinkKind;
use crate::formats::Format;
use crate::page::facts::PageKind;
use crate::seeds::{Agency, SeedRow};
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// An agency as stored, with its id.
#[derive(Debug, Clone)]
pub struct StoredAgency {
    /// Row id.
    pub id: i64,
    /// The agency as the seed files give it.
    pub agency: Agency,
}

/// A seed row as stored.
#[derive(Debug, Clone)]
pub struct StoredSeed {
    /// Row id.
    pub id: i64,
    /// The seed's agency; `None` for a portal column.
    pub agency_id: Option<i64>,
    /// Entry URL; `None` for an agency with no site.
    pub url: Option<String>,
}

/// A URL waiting in (or taken from) the frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierItem {
    /// Row id.
    pub id: i64,
    /// URL.
    pub url: String,
    /// Host key (scheme, host and port).
    pub host: String,
    /// The seed the crawl started from.
    pub seed_id: Option<i64>,
    /// Links followed from the seed.
    pub depth: u32,
    /// What it is.
    pub kind: LinkKind,
    /// Lower is fetched sooner.
    pub priority: i64,
    /// The page it was found on.
    pub parent_url: Option<String>,
    /// Anchor text of the link that found it.
    pub link_text: Option<String>,
    /// Agency of the report page an attachment hangs from.
    pub agency_hint: Option<String>,
    /// Form body of a POST entry; `None` for a GET.
    pub form: Option<String>,
    /// The date beside the link on the listing that found it (`YYYY-MM-DD`).
    pub listing_date: Option<chrono::NaiveDate>,
}

/// A pending frontier entry with the archived copy its request revalidates.
#[derive(Debug, Clone)]
pub struct FrontierJob {
    /// The entry.
    pub item: FrontierItem,
    /// The latest snapshot of the same request from earlier runs (validators
    /// for a conditional GET, the body to compare a POST answer with).
    pub previous: Option<super::SnapshotHead>,
}

/// A URL to add to the frontier.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// URL.
    pub url: String,
    /// Host key (scheme, host and port).
    pub host: String,
    /// The seed the crawl started from.
    pub seed_id: Option<i64>,
    /// Links followed from the seed.
    pub depth: u32,
    /// What it is.
    pub kind: LinkKind,
    /// Lower is fetched sooner.
    pub priority: i64,
    /// The page it was found on.
    pub parent_url: Option<String>,
    /// Anchor text of the link that found it.
    pub link_text: Option<String>,
    /// Agency of the report page an attachment hangs from.
    pub agency_hint: Option<String>,
    /// The date beside the link on the listing (`YYYY-MM-DD`).
    pub listing_date: Option<chrono::NaiveDate>,
    /// `Some(reason)`: recorded as skipped (robots, scope, trap), never fetched.
    pub skipped: Option<String>,
    /// Form body of a POST request; `None` for a GET. Part of the entry's identity.
    pub form: Option<String>,
}

/// One fetch attempt for the log.
#[derive(Debug, Clone, Default)]
pub struct FetchRecord {
    /// URL.
    pub url: String,
    /// Host key (scheme, host and port).
    pub host: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Start (RFC 3339, UTC); empty means now.
    pub started_at: String,
    /// How long it took.
    pub duration_ms: i64,
    /// HTTP status, when a response came.
    pub status: Option<u16>,
    /// Error kind (`timeout`, `connect` …), when it failed.
    pub error_kind: Option<String>,
    /// Error message.
    pub error: Option<String>,
    /// Bytes received.
    pub bytes: i64,
}

/// A response to archive.
#[derive(Debug, Clone)]
pub struct NewSnapshot {
    /// URL.
    pub url: String,
    /// URL after redirects.
    pub final_url: String,
    /// When it was fetched (RFC 3339, UTC).
    pub fetched_at: String,
    /// HTTP status, when a response came.
    pub status: u16,
    /// `HTTP/1.1`, `HTTP/2` …
    pub http_version: String,
    /// Response headers as received.
    pub headers: Vec<(String, String)>,
    /// `Content-Type` as sent.
    pub content_type: Option<String>,
    /// Encoding the body was decoded with.
    pub charset: Option<String>,
    /// Where the encoding came from (header, meta, detection).
    pub charset_source: Option<String>,
    /// The body was cut at `max_body_bytes`.
    pub truncated: bool,
    /// `ETag`, for conditional requests.
    pub etag: Option<String>,
    /// `Last-Modified`, for conditional requests.
    pub last_modified: Option<String>,
    /// The seed the crawl started from.
    pub seed_id: Option<i64>,
    /// The page it was found on.
    pub parent_url: Option<String>,
    /// Form body when the response answered a POST.
    pub form: Option<String>,
}

/// What a snapshot is, for `page_meta`.
#[derive(Debug, Clone, Default)]
pub struct PageMetaRow {
    /// What it is.
    pub kind: PageKind,
    /// File format.
    pub format: Format,
    /// Title (an attachment: its link text).
    pub title: Option<String>,
    /// Publish date.
    pub publish_date: Option<NaiveDate>,
    /// Publishing office (来源).
    pub source: Option<String>,
    /// Responsible editor (编辑).
    pub editor: Option<String>,
    /// CMS column name.
    pub column_name: Option<String>,
    /// Site name.
    pub site_name: Option<String>,
    /// Report year the title names.
    pub report_year: Option<i32>,
    /// Agency name as read from the title or page.
    pub agency_name: Option<String>,
    /// Seed agency it is attributed to; `None`: discovered.
    pub agency_id: Option<i64>,
    /// The report page an attachment hangs from.
    pub parent_snapshot_id: Option<i64>,
    /// Why a report-like page is not the report (`kind = "decoy"`).
    pub decoy: Option<String>,
}

/// A note on what a crawl saw on a seed's page and could not follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlNote {
    /// The page the note is about.
    pub url: String,
    /// `unread_script`.
    pub kind: String,
    /// What was seen (the script call or endpoint named).
    pub detail: String,
}

/// A host a seed's page frames, added to that seed's scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeedHost {
    /// The seed whose scope it widens.
    pub seed_id: i64,
    /// The framed host (`scheme://host:port`).
    pub host: String,
    /// The seed page that frames it.
    pub via_url: String,
}

impl PageMetaRow {
    /// The publish date, source and editor stored for the page.
    pub fn published(&self) -> crate::page::facts::VisibleMeta {
        crate::page::facts::VisibleMeta {
            publish_date: self.publish_date,
            source: self.source.clone(),
            editor: self.editor.clone(),
        }
    }

    /// True when the snapshot counts as a found report in a run's counters: a
    /// report page, or a report attachment that names its year.
    pub fn counts_as_report(&self) -> bool {
        self.kind == PageKind::Report
            || (self.kind == PageKind::Attachment && self.report_year.is_some())
    }
}

/// Everything one fetched frontier entry produces, committed together.
#[derive(Debug, Clone)]
pub struct PageCommit {
    /// The run.
    pub run_id: i64,
    /// The frontier entry.
    pub frontier_id: i64,
    /// The final fetch attempt.
    pub fetch: FetchRecord,
    /// `None` for a 304 or an unchanged body (the last snapshot still holds), or a failure.
    pub snapshot: Option<(NewSnapshot, PreparedBody, PageMetaRow)>,
    /// The snapshot this entry resolved to when nothing new was stored.
    pub existing_snapshot_id: Option<i64>,
    /// Outlinks to add to the frontier.
    pub links: Vec<NewLink>,
    /// Final frontier state: done, failed or skipped.
    pub state: FrontierState,
    /// Why it ended so (for people).
    pub reason: Option<String>,
    /// The server answered 304 or sent the archived bytes again.
    pub not_modified: bool,
    /// The entry resolved to a report (page or attachment), new or unchanged.
    pub is_report: bool,
    /// What the page showed that the crawl could not follow.
    pub notes: Vec<CrawlNote>,
    /// Hosts the page widened its seed's scope to (frames on other hosts).
    pub seed_hosts: Vec<SeedHost>,
}

/// What [`Store::commit_page`] wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommitOutcome {
    /// The snapshot.
    pub snapshot_id: Option<i64>,
    /// The body was new to the archive.
    pub new_body: bool,
    /// Outlinks new to the frontier.
    pub links_added: usize,
}

impl Store {
    /// Brings `agencies` and `seeds` in step with the seed files; rows no longer in
    /// the files are marked inactive (their history stays). Returns the stored seeds
    /// in the order of `rows`.
    pub fn sync_seeds(&mut self, rows: &[SeedRow], agencies: &[Agency]) -> Result<Vec<StoredSeed>> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE agencies SET active = 0", [])?;
        tx.execute("UPDATE seeds SET active = 0", [])?;
        let mut ids = HashMap::new();
        {
            // Thousands of seeds: each statement is prepared once, not once per row.
            let mut upsert = tx.prepare_cached(
                "INSERT INTO agencies (name, region, level, aliases, active) VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT (name) DO UPDATE SET region = excluded.region, level = excluded.level,
                   aliases = excluded.aliases, active = 1
                 RETURNING id",
            )?;
            for a in agencies {
                let aliases = serde_json::to_string(&a.aliases)?;
                let id: i64 =
                    upsert.query_row(params![a.name, a.region, a.level, aliases], |r| r.get(0))?;
                ids.insert(a.name.clone(), id);
            }
        }
        let mut stored = Vec::with_capacity(rows.len());
        {
            let mut find =
                tx.prepare_cached("SELECT id FROM seeds WHERE agency_id IS ?1 AND url IS ?2")?;
            let mut update = tx.prepare_cached(
                "UPDATE seeds SET active = 1, region = ?2, source_file = ?3, source_line = ?4 WHERE id = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO seeds (agency_id, url, region, source_file, source_line) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for row in rows {
                let agency_id = row.agency.as_ref().and_then(|n| ids.get(n).copied());
                let url = row.url.as_ref().map(|u| u.to_string());
                let file = row.file.display().to_string();
                let existing: Option<i64> = find
                    .query_row(params![agency_id, url], |r| r.get(0))
                    .optional()?;
                let id = match existing {
                    Some(id) => {
                        update.execute(params![id, row.region, file, row.line as i64])?;
                        id
                    }
                    None => {
                        insert.execute(params![
                            agency_id,
                            url,
                            row.region,
                            file,
                            row.line as i64
                        ])?;
                        tx.last_insert_rowid()
                    }
                };
                stored.push(StoredSeed { id, agency_id, url });
            }
        }
        tx.commit()?;
        Ok(stored)
    }

    /// The active agencies with their ids.
    pub fn agencies(&self) -> Result<Vec<StoredAgency>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, region, level, aliases FROM agencies WHERE active = 1 ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let aliases: String = r.get(4)?;
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, aliases))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, region, level, aliases): (i64, String, String, String, String) = row?;
            out.push(StoredAgency {
                id,
                agency: Agency {
                    name,
                    region,
                    level,
                    aliases: serde_json::from_str(&aliases)?,
                },
            });
        }
        Ok(out)
    }

    /// Adds links to a run's frontier; URLs already in it are ignored. Returns how many were new.
    pub fn frontier_add(&mut self, run_id: i64, links: &[NewLink]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let n = insert_links(&tx, run_id, links)?;
        tx.commit()?;
        Ok(n)
    }

    /// Pending entries of a run, soonest first.
    pub fn frontier_pending(&self, run_id: i64, limit: usize) -> Result<Vec<FrontierItem>> {
        self.frontier_query(
            "WHERE run_id = ?1 AND state = 'pending' ORDER BY priority, id LIMIT ?2",
            params![run_id, limit as i64],
        )
    }

    /// The next `limit` pending entries of one host in a run, soonest first,
    /// each with the snapshot its request revalidates.
    pub fn frontier_jobs_for_host(
        &self,
        run_id: i64,
        host: &str,
        limit: usize,
    ) -> Result<Vec<FrontierJob>> {
        self.frontier_jobs(
            "WHERE f.run_id = ?1 AND f.state = 'pending' AND f.host = ?2
             ORDER BY f.priority, f.id",
            params![run_id, host],
            limit,
        )
    }

    /// The first `per_host` pending entries of every host of a run (soonest
    /// first, hosts one after the other), each with the snapshot its request
    /// revalidates: what a crawl starts from, read at once instead of once per host.
    pub fn frontier_first_jobs_per_host(
        &self,
        run_id: i64,
        per_host: usize,
    ) -> Result<Vec<FrontierJob>> {
        self.frontier_jobs(
            "WHERE f.id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY host ORDER BY priority, id) AS nth
                                            FROM frontier WHERE run_id = ?1 AND state = 'pending')
                            WHERE nth <= ?2)
             ORDER BY f.host, f.priority, f.id",
            params![run_id, per_host as i64],
            usize::MAX,
        )
    }

    /// The first `limit` frontier entries `f` selected by `filter`, each with
    /// its previous snapshot: the newest response to the same request, where a
    /// POST is matched by its form and a rendered DOM never counts (it is not
    /// what the server sent, so conditional requests cannot be based on it).
    ///
    /// The limit is applied to the rows as they come, not as `LIMIT ?`: SQLite
    /// marks a statement whose LIMIT is a parameter to be prepared again
    /// whenever the value changes, and this one runs once per host refill.
    fn frontier_jobs(
        &self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
        limit: usize,
    ) -> Result<Vec<FrontierJob>> {
        let sql = format!(
            "SELECT {FRONTIER_COLUMNS}, p.id, p.sha256, p.etag, p.last_modified, p.content_type, p.final_url
             FROM frontier f
             LEFT JOIN snapshots p ON p.id = (
                 SELECT s.id FROM snapshots s
                 WHERE s.url = f.url AND s.method = f.method
                   AND CASE f.method WHEN 'POST' THEN s.form = f.form ELSE s.rendered = 0 END
                 ORDER BY s.id DESC LIMIT 1)
             {filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, |r| {
            let previous = match r.get::<_, Option<i64>>(12)? {
                Some(id) => Some(super::SnapshotHead {
                    id,
                    sha256: r.get(13)?,
                    etag: r.get(14)?,
                    last_modified: r.get(15)?,
                    content_type: r.get(16)?,
                    final_url: r.get(17)?,
                }),
                None => None,
            };
            Ok(FrontierJob {
                item: frontier_item(r)?,
                previous,
            })
        })?;
        Ok(rows.take(limit).collect::<Result<_, _>>()?)
    }

    /// Closes every pending entry of a host (its page budget is spent).
    pub fn frontier_skip_host(&self, run_id: i64, host: &str, reason: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE frontier SET state = 'skipped', reason = ?3 WHERE run_id = ?1 AND host = ?2 AND state = 'pending'",
            params![run_id, host, reason],
        )?)
    }

    /// Frontier entries selected by `filter` (a `WHERE … ORDER BY … LIMIT` clause).
    fn frontier_query(
        &self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<FrontierItem>> {
        let sql = format!("SELECT {FRONTIER_COLUMNS} FROM frontier f {filter}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, frontier_item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Counts of a run's frontier entries by state.
    pub fn frontier_counts(&self, run_id: i64) -> Result<HashMap<FrontierState, i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM frontier WHERE run_id = ?1 GROUP BY state")?;
        let rows = stmt.query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pending entries per host of a run (the crawl's progress and ETA).
    pub fn frontier_pending_per_host(&self, run_id: i64) -> Result<HashMap<String, i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT host, COUNT(*) FROM frontier WHERE run_id = ?1 AND state = 'pending' GROUP BY host",
        )?;
        let rows = stmt.query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Entries per host already taken (done or failed) in a run: resumes the per-host page budget.
    pub fn frontier_taken_per_host(&self, run_id: i64) -> Result<HashMap<String, usize>> {
        let mut stmt = self.conn.prepare(
            "SELECT host, COUNT(*) FROM frontier WHERE run_id = ?1 AND state IN ('done', 'failed') GROUP BY host",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Closes a frontier entry without archiving anything (skipped by the page budget, for example).
    pub fn frontier_close(
        &self,
        frontier_id: i64,
        state: FrontierState,
        reason: Option<&str>,
    ) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE frontier SET state = ?2, reason = ?3 WHERE id = ?1")?
            .execute(params![frontier_id, state, reason])?;
        Ok(())
    }

    /// Logs a fetch attempt that is not the final one of its entry (a retry).
    pub fn record_fetch(&self, run_id: i64, f: &FetchRecord) -> Result<()> {
        insert_fetch(&self.conn, run_id, f)
    }

    /// Archives one fetched entry in a single transaction:
    /// the final fetch attempt, the body (once per content), the snapshot and
    /// its page metadata, the outlinks, and the frontier entry's final state.
    pub fn commit_page(&mut self, c: &PageCommit) -> Result<CommitOutcome> {
        let mut outcomes = self.commit_writes(&[BatchWrite::Page(c)])?;
        Ok(outcomes.pop().flatten().unwrap_or_default())
    }

    /// Writes a batch of page commits (each as [`Store::commit_page`]) and
    /// fetch logs in one transaction, in order: all of them or none, so every
    /// entry is whole or still pending after a crash. Gives each page its
    /// outcome (`None` for a log).
    pub fn commit_writes(&mut self, writes: &[BatchWrite]) -> Result<Vec<Option<CommitOutcome>>> {
        let tx = self.conn.transaction()?;
        let mut outcomes = Vec::with_capacity(writes.len());
        for w in writes {
            outcomes.push(match w {
                BatchWrite::Page(c) => Some(commit_in(&tx, c)?),
                BatchWrite::FetchLog { run_id, record } => {
                    insert_fetch(&tx, *run_id, record)?;
                    None
                }
            });
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// Hosts each seed's pages widened its scope to in a run (frames on other hosts).
    pub fn seed_hosts(&self, run_id: i64) -> Result<Vec<SeedHost>> {
        let mut stmt = self.conn.prepare(
            "SELECT seed_id, host, via_url FROM seed_hosts WHERE run_id = ?1 ORDER BY seed_id, host",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            Ok(SeedHost {
                seed_id: r.get(0)?,
                host: r.get(1)?,
                via_url: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The snapshot id of the report page a URL was found on (to attribute attachments).
    pub fn snapshot_of_url_in_run(&self, run_id: i64, url: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT snapshot_id FROM frontier WHERE run_id = ?1 AND url = ?2 AND method = 'GET'")?
            .query_row(params![run_id, url],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Page metadata of a snapshot (kind, year, agency), for attributing what hangs from it.
    pub fn page_meta(&self, snapshot_id: i64) -> Result<Option<PageMetaRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM page_meta pm WHERE pm.snapshot_id = ?1",
                super::extraction::PAGE_META_COLUMNS
            ))?
            .query_row([snapshot_id], |r| super::extraction::page_meta_from(r, 0))
            .optional()?)
    }
}

/// The columns [`frontier_item`] reads, of the frontier aliased `f`.
const FRONTIER_COLUMNS: &str =
    "f.id, f.url, f.host, f.seed_id, f.depth, f.kind, f.priority, f.parent_url,
     f.link_text, f.agency_hint, CASE f.method WHEN 'POST' THEN f.form END, f.listing_date";

/// A frontier entry read from the first twelve columns of a row ([`FRONTIER_COLUMNS`]).
fn frontier_item(r: &rusqlite::Row) -> rusqlite::Result<FrontierItem> {
    Ok(FrontierItem {
        id: r.get(0)?,
        url: r.get(1)?,
        host: r.get(2)?,
        seed_id: r.get(3)?,
        depth: r.get(4)?,
        kind: r.get(5)?,
        priority: r.get(6)?,
        parent_url: r.get(7)?,
        link_text: r.get(8)?,
        agency_hint: r.get(9)?,
        form: r.get(10)?,
        listing_date: r.get(11)?,
    })
}

/// One write of a batch ([`Store::commit_writes`]).
pub enum BatchWrite<'a> {
    /// A fetched entry, as [`Store::commit_page`].
    Page(&'a PageCommit),
    /// A fetch attempt that is not its entry's last (robots.txt, a redirect
    /// hop, a retry), as [`Store::record_fetch`].
    FetchLog {
        /// The run the attempt belongs to.
        run_id: i64,
        /// The attempt.
        record: &'a FetchRecord,
    },
}

/// One entry's writes of [`Store::commit_writes`], inside its transaction.
fn commit_in(tx: &rusqlite::Connection, c: &PageCommit) -> Result<CommitOutcome> {
    insert_fetch(tx, c.run_id, &c.fetch)?;
    let mut outcome = CommitOutcome::default();
    if let Some((snap, body, meta)) = &c.snapshot {
        let (snapshot_id, new_body) = insert_snapshot(tx, c.run_id, snap, body, meta)?;
        outcome.new_body = new_body;
        outcome.snapshot_id = Some(snapshot_id);
    }
    let snapshot_id = outcome.snapshot_id.or(c.existing_snapshot_id);
    outcome.links_added = insert_links(tx, c.run_id, &c.links)?;
    if !c.notes.is_empty() {
        let seed_id: Option<i64> = tx
            .prepare_cached("SELECT seed_id FROM frontier WHERE id = ?1")?
            .query_row([c.frontier_id], |r| r.get(0))
            .optional()?
            .flatten();
        for n in &c.notes {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO crawl_notes (run_id, seed_id, url, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![c.run_id, seed_id, n.url, n.kind, n.detail])?;
        }
    }
    for h in &c.seed_hosts {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO seed_hosts (run_id, seed_id, host, via_url) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![c.run_id, h.seed_id, h.host, h.via_url])?;
    }
    tx.prepare_cached(
        "UPDATE frontier SET state = ?2, reason = ?3, snapshot_id = ?4 WHERE id = ?1",
    )?
    .execute(params![c.frontier_id, c.state, c.reason, snapshot_id])?;
    // The run's counters move with the data they count, so a run killed and
    // resumed still reports its whole work.
    tx.prepare_cached("UPDATE runs SET pages_fetched = pages_fetched + ?2, not_modified = not_modified + ?3,
                             snapshots_new = snapshots_new + ?4, bodies_new = bodies_new + ?5,
                             bytes_received = bytes_received + ?6, reports_found = reports_found + ?7,
                             errors = errors + ?8
             WHERE id = ?1")?.execute(params![
                c.run_id,
                (c.state == FrontierState::Done) as i64,
                c.not_modified as i64,
                outcome.snapshot_id.is_some() as i64,
                outcome.new_body as i64,
                c.fetch.bytes,
                c.is_report as i64,
                (c.state == FrontierState::Failed) as i64
            ],
        )?;
    Ok(outcome)
}

/// Inserts a body (once per content), its snapshot and the snapshot's page metadata.
pub(super) fn insert_snapshot(
    tx: &rusqlite::Connection,
    run_id: i64,
    snap: &NewSnapshot,
    body: &PreparedBody,
    meta: &PageMetaRow,
) -> Result<(i64, bool)> {
    let new_body = tx
        .prepare_cached("INSERT OR IGNORE INTO bodies (sha256, size, zstd) VALUES (?1, ?2, ?3)")?
        .execute(params![body.sha256, body.size as i64, body.zstd])?
        > 0;
    let headers = serde_json::to_string(&snap.headers)?;
    tx.prepare_cached("INSERT INTO snapshots (run_id, url, final_url, fetched_at, status, http_version, headers, content_type,
                                    charset, charset_source, sha256, size, truncated, etag, last_modified, seed_id, parent_url,
                                    method, form)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)")?.execute(params![
                run_id,
                snap.url,
                snap.final_url,
                snap.fetched_at,
                snap.status,
                snap.http_version,
                headers,
                snap.content_type,
                snap.charset,
                snap.charset_source,
                body.sha256,
                body.size as i64,
                snap.truncated,
                snap.etag,
                snap.last_modified,
                snap.seed_id,
                snap.parent_url,
                if snap.form.is_some() { "POST" } else { "GET" },
                snap.form
            ],
        )?;
    let snapshot_id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO page_meta (snapshot_id, kind, format, title, publish_date, source, editor, column_name,
                                    site_name, report_year, agency_name, agency_id, parent_snapshot_id, decoy)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")?.execute(params![
                snapshot_id,
                meta.kind,
                meta.format,
                meta.title,
                meta.publish_date,
                meta.source,
                meta.editor,
                meta.column_name,
                meta.site_name,
                meta.report_year,
                meta.agency_name,
                meta.agency_id,
                meta.parent_snapshot_id,
                meta.decoy
            ],
        )?;
    Ok((snapshot_id, new_body))
}

pub(super) fn insert_fetch(
    conn: &rusqlite::Connection,
    run_id: i64,
    f: &FetchRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO fetches (run_id, url, host, attempt, started_at, duration_ms, status, error_kind, error, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        run_id,
        f.url,
        f.host,
        f.attempt,
        if f.started_at.is_empty() { now() } else { f.started_at.clone() },
        f.duration_ms,
        f.status,
        f.error_kind,
        f.error,
        f.bytes
    ])?;
    Ok(())
}

fn insert_links(conn: &rusqlite::Connection, run_id: i64, links: &[NewLink]) -> Result<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO frontier (run_id, url, host, seed_id, depth, kind, priority, parent_url, link_text,
                                         agency_hint, state, reason, method, form, listing_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    let mut n = 0;
    for l in links {
        let state = if l.skipped.is_some() {
            FrontierState::Skipped
        } else {
            FrontierState::Pending
        };
        n += stmt.execute(params![
            run_id,
            l.url,
            l.host,
            l.seed_id,
            l.depth,
            l.kind,
            l.priority,
            l.parent_url,
            l.link_text,
            l.agency_hint,
            state,
            l.skipped,
            if l.form.is_some() { "POST" } else { "GET" },
            l.form.as_deref().unwrap_or(""),
            l.listing_date
        ])?;
    }
    Ok(n)
}

/// A pending link of `host` with nothing else known, for tests.
#[cfg(test)]
pub(crate) fn test_link(url: &str, host: &str, priority: i64) -> NewLink {
    NewLink {
        url: url.into(),
        host: host.into(),
        seed_id: None,
        depth: 0,
        kind: LinkKind::Other,
        priority,
        parent_url: None,
        link_text: None,
        agency_hint: None,
        listing_date: None,
        skipped: None,
        form: None,
    }
}
