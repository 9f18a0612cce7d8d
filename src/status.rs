//! `nianbao status`: the last runs, what the archive holds, and errors by host.

use crate::store::{Result, Store};
use rusqlite::params;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub kind: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub pages_fetched: i64,
    pub not_modified: i64,
    pub snapshots_new: i64,
    pub reports_found: i64,
    pub extracted: i64,
    pub errors: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostErrors {
    pub host: String,
    pub kind: String,
    pub count: i64,
    pub last_error: Option<String>,
}

/// Agencies with a report of one year.
#[derive(Debug, Clone, Serialize)]
pub struct YearCount {
    pub year: i32,
    pub agencies: i64,
}

/// How many of something (a file format, an extraction status).
#[derive(Debug, Clone, Serialize)]
pub struct NamedCount {
    pub name: String,
    pub count: i64,
}

/// A URL whose last fetch in the last crawl failed: where to look.
#[derive(Debug, Clone, Serialize)]
pub struct FailedUrl {
    pub url: String,
    pub host: String,
    pub kind: String,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub at: String,
}

/// A snapshot whose body was cut at `crawler.max_body_bytes`.
#[derive(Debug, Clone, Serialize)]
pub struct TruncatedBody {
    pub snapshot_id: i64,
    pub url: String,
    pub bytes: i64,
    pub fetched_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub runs: Vec<RunRow>,
    pub snapshots: i64,
    pub bodies: i64,
    pub stored_bytes: i64,
    pub original_bytes: i64,
    pub reports_by_year: Vec<YearCount>,
    pub agencies: i64,
    pub agencies_with_report: i64,
    pub formats: Vec<NamedCount>,
    pub extraction_status: Vec<NamedCount>,
    /// Failed fetches of the last crawl run, by host and error kind.
    pub errors_by_host: Vec<HostErrors>,
    /// The URLs behind `errors_by_host` (at most [`FAILED_URLS_LISTED`]).
    pub failed_urls: Vec<FailedUrl>,
    /// Bodies cut at the size limit, newest first (at most [`FAILED_URLS_LISTED`]).
    pub truncated: Vec<TruncatedBody>,
    /// Times are shown in this zone as well as UTC (the schedule's zone).
    #[serde(skip)]
    pub timezone: Option<chrono_tz::Tz>,
    /// Snapshots holding a DOM rendered in a browser.
    pub rendered_snapshots: i64,
    /// Pages of the last crawl that needed a browser and had none.
    pub needs_browser: Vec<crate::store::NeedsBrowser>,
}

/// How many failing URLs and truncated bodies are listed.
pub const FAILED_URLS_LISTED: usize = 200;

fn counts<T: rusqlite::types::FromSql, R>(
    store: &Store,
    sql: &str,
    make: impl Fn(T, i64) -> R,
) -> Result<Vec<R>> {
    let mut stmt = store.conn().prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok(make(r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A stored UTC time in `tz` and in UTC: `2024-03-11 13:06 CST (05:06:07Z)`.
pub fn local_and_utc(stored: &str, tz: Option<chrono_tz::Tz>) -> String {
    let Some(tz) = tz else {
        return stored.to_string();
    };
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => {
            let utc = t.with_timezone(&chrono::Utc);
            format!(
                "{} ({})",
                utc.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S %Z"),
                utc.format("%Y-%m-%dT%H:%M:%SZ")
            )
        }
        Err(_) => stored.to_string(),
    }
}

pub fn status(store: &Store, last_runs: usize) -> Result<Status> {
    let conn = store.conn();
    let mut stmt = conn.prepare(
        "SELECT id, kind, started_at, finished_at, status, pages_fetched, not_modified, snapshots_new, reports_found,
                extracted, errors FROM runs ORDER BY id DESC LIMIT ?1",
    )?;
    let runs = stmt
        .query_map([last_runs as i64], |r| {
            Ok(RunRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                started_at: r.get(2)?,
                finished_at: r.get(3)?,
                status: r.get(4)?,
                pages_fetched: r.get(5)?,
                not_modified: r.get(6)?,
                snapshots_new: r.get(7)?,
                reports_found: r.get(8)?,
                extracted: r.get(9)?,
                errors: r.get(10)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let one = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let last_crawl: Option<i64> =
        conn.query_row("SELECT MAX(id) FROM runs WHERE kind = 'crawl'", [], |r| {
            r.get(0)
        })?;
    let mut stmt = conn.prepare(
        "SELECT host, COALESCE(error_kind, 'http'), COUNT(*), MAX(COALESCE(error, 'HTTP ' || status))
         FROM fetches f
         WHERE run_id = ?1 AND COALESCE(error_kind, '') <> 'refused' AND (error_kind IS NOT NULL OR (status >= 400 AND url NOT LIKE '%/robots.txt'))
           AND f.id = (SELECT MAX(f2.id) FROM fetches f2 WHERE f2.run_id = f.run_id AND f2.url = f.url)
         GROUP BY host, error_kind ORDER BY COUNT(*) DESC, host",
    )?;
    let errors_by_host = stmt
        .query_map(params![last_crawl.unwrap_or(-1)], |r| {
            Ok(HostErrors {
                host: r.get(0)?,
                kind: r.get(1)?,
                count: r.get(2)?,
                last_error: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT url, host, COALESCE(error_kind, 'http'), status, error, started_at
         FROM fetches f
         WHERE run_id = ?1 AND (error_kind IS NOT NULL OR (status >= 400 AND url NOT LIKE '%/robots.txt'))
           AND f.id = (SELECT MAX(f2.id) FROM fetches f2 WHERE f2.run_id = f.run_id AND f2.url = f.url)
         ORDER BY host, url LIMIT ?2",
    )?;
    let failed_urls = stmt
        .query_map(
            params![last_crawl.unwrap_or(-1), FAILED_URLS_LISTED as i64],
            |r| {
                Ok(FailedUrl {
                    url: r.get(0)?,
                    host: r.get(1)?,
                    kind: r.get(2)?,
                    status: r.get(3)?,
                    error: r.get(4)?,
                    at: r.get(5)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, url, size, fetched_at FROM snapshots WHERE truncated = 1 ORDER BY id DESC LIMIT ?1",
    )?;
    let truncated = stmt
        .query_map([FAILED_URLS_LISTED as i64], |r| {
            Ok(TruncatedBody {
                snapshot_id: r.get(0)?,
                url: r.get(1)?,
                bytes: r.get(2)?,
                fetched_at: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Status {
        runs,
        snapshots: one("SELECT COUNT(*) FROM snapshots")?,
        bodies: one("SELECT COUNT(*) FROM bodies")?,
        stored_bytes: one("SELECT COALESCE(SUM(LENGTH(zstd)), 0) FROM bodies")?,
        original_bytes: one("SELECT COALESCE(SUM(size), 0) FROM bodies")?,
        reports_by_year: counts(
            store,
            "SELECT report_year, COUNT(DISTINCT COALESCE(agency_id, agency_name)) FROM page_meta
             WHERE kind IN ('report', 'attachment') AND report_year IS NOT NULL GROUP BY report_year ORDER BY report_year DESC",
            |year, agencies| YearCount { year, agencies },
        )?,
        agencies: one("SELECT COUNT(*) FROM agencies WHERE active = 1")?,
        agencies_with_report: one(
            "SELECT COUNT(DISTINCT agency_id) FROM page_meta WHERE kind IN ('report', 'attachment') AND agency_id IS NOT NULL",
        )?,
        formats: counts(
            store,
            "SELECT format, COUNT(*) FROM page_meta WHERE kind IN ('report', 'attachment') GROUP BY format ORDER BY COUNT(*) DESC",
            |name, count| NamedCount { name, count },
        )?,
        extraction_status: counts(
            store,
            "SELECT status, COUNT(*) FROM current_extractions GROUP BY status ORDER BY status",
            |name, count| NamedCount { name, count },
        )?,
        errors_by_host,
        failed_urls,
        truncated,
        timezone: None,
        rendered_snapshots: store.rendered_snapshots()?,
        needs_browser: store.needs_browser()?,
    })
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Last runs:")?;
        if self.runs.is_empty() {
            writeln!(f, "  (none yet: run `nianbao crawl`)")?;
        }
        for r in &self.runs {
            writeln!(
                f,
                "  #{:<4} {:<8} {:<11} {} → {}  pages {} ({} not modified), new snapshots {}, reports {}, extracted {}, errors {}",
                r.id,
                r.kind,
                r.status,
                local_and_utc(&r.started_at, self.timezone),
                r.finished_at
                    .as_deref()
                    .map_or("…".to_string(), |t| local_and_utc(t, self.timezone)),
                r.pages_fetched,
                r.not_modified,
                r.snapshots_new,
                r.reports_found,
                r.extracted,
                r.errors
            )?;
        }
        writeln!(
            f,
            "Archive: {} snapshots, {} distinct bodies, {:.1} MB stored ({:.1} MB before compression)",
            self.snapshots,
            self.bodies,
            self.stored_bytes as f64 / 1e6,
            self.original_bytes as f64 / 1e6
        )?;
        writeln!(
            f,
            "Agencies: {} in the seeds, {} with at least one report found",
            self.agencies, self.agencies_with_report
        )?;
        if !self.reports_by_year.is_empty() {
            let years: Vec<String> = self
                .reports_by_year
                .iter()
                .map(|c| format!("{}: {}", c.year, c.agencies))
                .collect();
            writeln!(f, "Reports by year (agencies): {}", years.join(", "))?;
        }
        if !self.formats.is_empty() {
            let formats: Vec<String> = self
                .formats
                .iter()
                .map(|c| format!("{} {}", c.name, c.count))
                .collect();
            writeln!(f, "Report files by format: {}", formats.join(", "))?;
        }
        if !self.extraction_status.is_empty() {
            let st: Vec<String> = self
                .extraction_status
                .iter()
                .map(|c| format!("{} {}", c.name, c.count))
                .collect();
            writeln!(f, "Extractions: {}", st.join(", "))?;
        }
        if self.rendered_snapshots > 0 {
            writeln!(
                f,
                "Rendered in a browser: {} snapshots",
                self.rendered_snapshots
            )?;
        }
        if !self.needs_browser.is_empty() {
            writeln!(
                f,
                "Pages that need a browser (last crawl, lists built by script): {} — {}",
                self.needs_browser.len(),
                crate::render::INSTALL_HINT
            )?;
            for p in self.needs_browser.iter().take(5) {
                writeln!(f, "  {}", p.url)?;
            }
        }
        if self.errors_by_host.is_empty() {
            writeln!(f, "Errors in the last crawl: none")?;
        } else {
            writeln!(f, "Errors in the last crawl, by host:")?;
            for e in &self.errors_by_host {
                writeln!(
                    f,
                    "  {:<40} {:<9} {:>4}  {}",
                    e.host,
                    e.kind,
                    e.count,
                    e.last_error.as_deref().unwrap_or("")
                )?;
            }
            writeln!(
                f,
                "Failing URLs of the last crawl (open them in a browser):"
            )?;
            for u in &self.failed_urls {
                let what = match (&u.error, u.status) {
                    (Some(e), _) => format!("{}: {e}", u.kind),
                    (None, Some(s)) => format!("HTTP {s}"),
                    (None, None) => u.kind.clone(),
                };
                writeln!(f, "  {}  {what}", u.url)?;
            }
            if self.failed_urls.len() == FAILED_URLS_LISTED {
                writeln!(
                    f,
                    "  … (the first {FAILED_URLS_LISTED}; `--json` has the same list)"
                )?;
            }
        }
        if !self.truncated.is_empty() {
            writeln!(
                f,
                "Bodies cut at crawler.max_body_bytes (raise it and crawl again to get them whole):"
            )?;
            for t in &self.truncated {
                writeln!(
                    f,
                    "  snapshot {:<6} {} B  {}  {}",
                    t.snapshot_id,
                    t.bytes,
                    local_and_utc(&t.fetched_at, self.timezone),
                    t.url
                )?;
            }
        }
        Ok(())
    }
}
