//! Reads for the answers (missing, late, discovered, exports, WARC): report
//! snapshots with their current extraction, seed URLs, the last fetch of a
//! URL, discovered agency names, and every snapshot in archive order.

use super::{REPORT_KINDS_SQL, Result, Store, StoreError};
use crate::extract::Status;
use crate::formats::Format;
use crate::page::facts::{PageKind, VisibleMeta};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// One archived snapshot that is (or holds) a report of a known year, with
/// its current extraction.
#[derive(Debug, Clone)]
pub struct ReportSnapshot {
    /// The snapshot.
    pub snapshot_id: i64,
    /// URL fetched.
    pub url: String,
    /// When (RFC 3339, UTC).
    pub fetched_at: String,
    /// A report page or an attachment.
    pub kind: PageKind,
    /// File format.
    pub format: Format,
    /// Title, or an attachment's link text.
    pub title: Option<String>,
    /// Report year.
    pub year: i32,
    /// The seed agency it is attributed to.
    pub agency_id: Option<i64>,
    /// The agency name read from the title (or inherited from the report page).
    pub agency_name: Option<String>,
    /// The report page an attachment hangs from.
    pub parent_snapshot_id: Option<i64>,
    /// The seed agency's name.
    pub seed_agency: Option<String>,
    /// Region of the seed agency, else of the seed the crawl started from.
    pub region: String,
    /// Publish date, source and editor stored with the snapshot.
    pub page: VisibleMeta,
    /// The same, of the page an attachment hangs from.
    pub parent_page: VisibleMeta,
    /// Status of the current extraction; `None` when not extracted.
    pub status: Option<Status>,
    /// Extractor version of the current extraction.
    pub extractor_version: Option<String>,
    /// The current extraction as stored JSON (`None` too when not asked for).
    pub result: Option<String>,
    /// Rule checks the current extraction failed (0 when not extracted).
    pub checks_failed: i64,
}

/// The last fetch attempt of a URL.
#[derive(Debug, Clone, PartialEq)]
pub struct LastFetch {
    /// HTTP status, when a response came.
    pub status: Option<i64>,
    /// Error kind (`timeout`, `connect` …), when it failed.
    pub error_kind: Option<String>,
    /// Error message.
    pub error: Option<String>,
}

/// A report snapshot attributed to no seed agency, by the name its title gives.
#[derive(Debug, Clone)]
pub struct DiscoveredReport {
    /// Agency name read from the title.
    pub agency_name: String,
    /// Report year, when the title names it.
    pub year: Option<i32>,
    /// URL fetched.
    pub url: String,
    /// Region of the seed whose crawl found it.
    pub region: String,
}

/// One archived response, for the WARC export.
#[derive(Debug, Clone)]
pub struct ArchivedResponse {
    /// The snapshot.
    pub id: i64,
    /// URL requested.
    pub url: String,
    /// URL after redirects (empty in old archives).
    pub final_url: String,
    /// When (RFC 3339, UTC).
    pub fetched_at: String,
    /// HTTP status.
    pub status: i64,
    /// `HTTP/1.1`, `HTTP/2` …
    pub http_version: String,
    /// Response headers as received.
    pub headers: Vec<(String, String)>,
    /// Key of the stored body.
    pub sha256: String,
    /// The body was cut at `max_body_bytes`.
    pub truncated: bool,
    /// The body is a DOM a browser rendered, not bytes a server sent.
    pub rendered: bool,
    /// The form body when the snapshot answered a POST.
    pub form: Option<String>,
}

fn visible(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<VisibleMeta> {
    Ok(VisibleMeta {
        publish_date: r.get(at)?,
        source: r.get(at + 1)?,
        editor: r.get(at + 2)?,
    })
}

impl Store {
    /// Report and attachment snapshots of `year` (all years when `None`) that
    /// name their year, oldest first, with their current extraction.
    pub fn report_snapshots(&self, year: Option<i32>) -> Result<Vec<ReportSnapshot>> {
        self.report_snapshots_of(year, None, true)
    }

    /// [`Store::report_snapshots`] of one seed agency (every agency when `None`),
    /// with the extraction JSON only when `with_result` (presence answers skip it).
    pub fn report_snapshots_of(
        &self,
        year: Option<i32>,
        agency_id: Option<i64>,
        with_result: bool,
    ) -> Result<Vec<ReportSnapshot>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT s.id, s.url, s.fetched_at, pm.kind, pm.format, pm.title, pm.report_year,
                    pm.agency_id, pm.agency_name, pm.parent_snapshot_id, a.name, COALESCE(a.region, sd.region, ''),
                    pm.publish_date, pm.source, pm.editor, pp.publish_date, pp.source, pp.editor,
                    ce.status, ce.extractor_version, CASE WHEN ?3 THEN ce.result END,
                    COALESCE(ce.checks_failed, 0)
             FROM page_meta pm
             JOIN snapshots s ON s.id = pm.snapshot_id
             LEFT JOIN agencies a ON a.id = pm.agency_id
             LEFT JOIN page_meta pp ON pp.snapshot_id = pm.parent_snapshot_id
             LEFT JOIN seeds sd ON sd.id = s.seed_id
             LEFT JOIN current_extractions ce ON ce.snapshot_id = s.id
             WHERE pm.kind IN {REPORT_KINDS_SQL}
               -- A range, not `?1 IS NULL OR …`, so one year reads only its rows of page_meta_report.
               AND pm.report_year BETWEEN COALESCE(?1, -2147483648) AND COALESCE(?1, 2147483647)
               AND (?2 IS NULL OR pm.agency_id = ?2)
             ORDER BY s.id"
        ))?;
        let rows = stmt.query_map(params![year, agency_id, with_result], |r| {
            Ok(ReportSnapshot {
                snapshot_id: r.get(0)?,
                url: r.get(1)?,
                fetched_at: r.get(2)?,
                kind: r.get(3)?,
                format: r.get(4)?,
                title: r.get(5)?,
                year: r.get(6)?,
                agency_id: r.get(7)?,
                agency_name: r.get(8)?,
                parent_snapshot_id: r.get(9)?,
                seed_agency: r.get(10)?,
                region: r.get(11)?,
                page: visible(r, 12)?,
                parent_page: visible(r, 15)?,
                status: r.get(18)?,
                extractor_version: r.get(19)?,
                result: r.get(20)?,
                checks_failed: r.get(21)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The URLs of each active seed agency's active seeds, in seed order.
    pub fn seed_urls(&self) -> Result<HashMap<i64, Vec<String>>> {
        let mut stmt = self.conn.prepare(
            "SELECT agency_id, url FROM seeds WHERE active = 1 AND agency_id IS NOT NULL AND url IS NOT NULL
             ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for row in rows {
            let (id, url) = row?;
            out.entry(id).or_default().push(url);
        }
        Ok(out)
    }

    /// The last fetch attempt of `url` in any run.
    pub fn last_fetch(&self, url: &str) -> Result<Option<LastFetch>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT status, error_kind, error FROM fetches WHERE url = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([url], |r| {
                Ok(LastFetch {
                    status: r.get(0)?,
                    error_kind: r.get(1)?,
                    error: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Report snapshots attributed to no seed agency but naming one, oldest first.
    pub fn discovered_reports(&self) -> Result<Vec<DiscoveredReport>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT pm.agency_name, pm.report_year, s.url, COALESCE(sd.region, '')
             FROM page_meta pm
             JOIN snapshots s ON s.id = pm.snapshot_id
             LEFT JOIN seeds sd ON sd.id = s.seed_id
             WHERE pm.agency_id IS NULL AND pm.agency_name IS NOT NULL AND pm.agency_name <> ''
               AND pm.kind IN {REPORT_KINDS_SQL}
             ORDER BY s.id"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(DiscoveredReport {
                agency_name: r.get(0)?,
                year: r.get(1)?,
                url: r.get(2)?,
                region: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls `f` with every snapshot, oldest first (only report and attachment
    /// snapshots with `reports_only`), streaming rather than loading them all.
    pub fn each_response<E: From<StoreError>>(
        &self,
        reports_only: bool,
        mut f: impl FnMut(ArchivedResponse) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT s.id, s.url, s.final_url, s.fetched_at, s.status, s.http_version, s.headers, s.sha256,
                        s.truncated, s.rendered, CASE s.method WHEN 'POST' THEN s.form END
                 FROM snapshots s LEFT JOIN page_meta pm ON pm.snapshot_id = s.id
                 WHERE ?1 = 0 OR pm.kind IN {REPORT_KINDS_SQL}
                 ORDER BY s.id"
            ))
            .map_err(StoreError::from)?;
        let rows = stmt
            .query_map([reports_only], |r| {
                let headers: String = r.get(6)?;
                Ok(ArchivedResponse {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    final_url: r.get(2)?,
                    fetched_at: r.get(3)?,
                    status: r.get(4)?,
                    http_version: r.get(5)?,
                    headers: serde_json::from_str(&headers).unwrap_or_default(),
                    sha256: r.get(7)?,
                    truncated: r.get(8)?,
                    rendered: r.get(9)?,
                    form: r.get(10)?,
                })
            })
            .map_err(StoreError::from)?;
        for row in rows {
            f(row.map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    /// The stored (uncompressed) size of a body.
    pub fn body_size(&self, sha256: &str) -> Result<Option<u64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT size FROM bodies WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get::<_, i64>(0))
            .optional()?
            .map(|n| n.max(0) as u64))
    }
}
