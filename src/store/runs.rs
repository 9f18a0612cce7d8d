//! Run records for the scheduler (which stamps them with its own clock) and
//! the figures `nianbao status` shows: recent runs, archive totals, reports by
//! year, formats, extraction statuses, and failed fetches by host.

use super::{REPORT_KINDS_SQL, Result, RunKind, RunStatus, Store};
use crate::extract::Status;
use crate::formats::Format;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// A URL whose last fetch in a run failed: where to look.
#[derive(Debug, Clone, Serialize)]
pub struct FailedUrl {
    /// The URL.
    pub url: String,
    /// Its host.
    pub host: String,
    /// Error kind (`http` for an error status).
    pub kind: String,
    /// HTTP status, if any.
    pub status: Option<i64>,
    /// The error message, if any.
    pub error: Option<String>,
    /// When the attempt started.
    pub at: String,
}

/// Work counted on a run record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    /// Pages fetched (final attempts that succeeded).
    pub pages_fetched: i64,
    /// New snapshots stored.
    pub snapshots_new: i64,
    /// New distinct bodies stored.
    pub bodies_new: i64,
    /// Report pages and attachments found.
    pub reports_found: i64,
    /// Reports extracted.
    pub extracted: i64,
    /// Entries that failed.
    pub errors: i64,
}

/// One run as `status` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    /// Run id.
    pub id: i64,
    /// What the run was.
    #[serde(serialize_with = "run_kind_text")]
    pub kind: RunKind,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End, once it ended.
    pub finished_at: Option<String>,
    /// Where it stands.
    #[serde(serialize_with = "run_status_text")]
    pub status: RunStatus,
    /// Pages fetched.
    pub pages_fetched: i64,
    /// Answered 304 or with the archived bytes.
    pub not_modified: i64,
    /// New snapshots.
    pub snapshots_new: i64,
    /// Reports found.
    pub reports_found: i64,
    /// Reports extracted.
    pub extracted: i64,
    /// Entries failed.
    pub errors: i64,
}

fn run_kind_text<S: serde::Serializer>(k: &RunKind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(k.sql_text())
}

fn run_status_text<S: serde::Serializer>(
    k: &RunStatus,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(k.sql_text())
}

/// Failed fetches of one host and error kind in a run.
#[derive(Debug, Clone, Serialize)]
pub struct HostErrors {
    /// Host key.
    pub host: String,
    /// Error kind (`http` for an error status).
    pub kind: String,
    /// URLs whose last attempt failed so.
    pub count: i64,
    /// One of the messages.
    pub last_error: Option<String>,
}

/// What the archive holds, in totals.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ArchiveTotals {
    /// Snapshots.
    pub snapshots: i64,
    /// Distinct bodies.
    pub bodies: i64,
    /// Bytes of compressed bodies.
    pub stored_bytes: i64,
    /// Bytes of the bodies as received.
    pub original_bytes: i64,
    /// Active seed agencies.
    pub agencies: i64,
    /// Of those, agencies with a report or attachment of any year.
    pub agencies_with_report: i64,
}

impl Store {
    /// Marks the `running` runs of `kind` as interrupted, adding `note`: they
    /// belong to a process that died (the caller holds the lock that proves it).
    pub fn interrupt_running(&self, kind: RunKind, note: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE runs SET status = ?2, note = COALESCE(note || '; ', '') || ?3
             WHERE kind = ?1 AND status = ?4",
            params![kind, RunStatus::Interrupted, note, RunStatus::Running],
        )?)
    }

    /// The start time of the latest run of `kind`, as stored.
    pub fn last_run_start(&self, kind: RunKind) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT started_at FROM runs WHERE kind = ?1 ORDER BY started_at DESC LIMIT 1",
                [kind],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Starts a run record at `started_at` (the caller's clock), with a note.
    pub fn begin_run_at(
        &self,
        kind: RunKind,
        started_at: &str,
        command: &str,
        note: &str,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (kind, started_at, status, pid, command, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![kind, started_at, RunStatus::Running, std::process::id(), command, note],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Closes a run at `finished_at` (the caller's clock), adding `counts` and replacing its note.
    pub fn finish_run_at(
        &self,
        run_id: i64,
        finished_at: &str,
        status: RunStatus,
        counts: &RunCounts,
        note: &str,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, status = ?3, pages_fetched = pages_fetched + ?4,
               snapshots_new = snapshots_new + ?5, bodies_new = bodies_new + ?6,
               reports_found = reports_found + ?7, extracted = extracted + ?8, errors = errors + ?9,
               note = ?10
             WHERE id = ?1",
            params![
                run_id,
                finished_at,
                status,
                counts.pages_fetched,
                counts.snapshots_new,
                counts.bodies_new,
                counts.reports_found,
                counts.extracted,
                counts.errors,
                note
            ],
        )?;
        Ok(())
    }

    /// The last `n` runs, newest first.
    pub fn recent_runs(&self, n: usize) -> Result<Vec<RunRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, started_at, finished_at, status, pages_fetched, not_modified, snapshots_new, reports_found,
                    extracted, errors FROM runs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([n as i64], |r| {
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
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The id of the latest run of `kind`.
    pub fn last_run(&self, kind: RunKind) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT MAX(id) FROM runs WHERE kind = ?1", [kind], |r| {
                r.get(0)
            })?)
    }

    /// URLs of run `run_id` whose last attempt failed (robots.txt answers
    /// aside), by host and error kind, most first.
    pub fn failed_fetches_by_host(&self, run_id: i64) -> Result<Vec<HostErrors>> {
        let mut stmt = self.conn.prepare(
            "SELECT host, COALESCE(error_kind, 'http'), COUNT(*), MAX(COALESCE(error, 'HTTP ' || status))
             FROM fetches f
             WHERE run_id = ?1 AND COALESCE(error_kind, '') <> 'refused' AND (error_kind IS NOT NULL OR (status >= 400 AND url NOT LIKE '%/robots.txt'))
               AND f.id = (SELECT MAX(f2.id) FROM fetches f2 WHERE f2.run_id = f.run_id AND f2.url = f.url)
             GROUP BY host, error_kind ORDER BY COUNT(*) DESC, host",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            Ok(HostErrors {
                host: r.get(0)?,
                kind: r.get(1)?,
                count: r.get(2)?,
                last_error: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The URLs behind [`Store::failed_fetches_by_host`], by host and URL, at most `limit`.
    pub fn failed_urls(&self, run_id: i64, limit: usize) -> Result<Vec<FailedUrl>> {
        let mut stmt = self.conn.prepare(
            "SELECT url, host, COALESCE(error_kind, 'http'), status, error, started_at
             FROM fetches f
             WHERE run_id = ?1 AND COALESCE(error_kind, '') <> 'refused' AND (error_kind IS NOT NULL OR (status >= 400 AND url NOT LIKE '%/robots.txt'))
               AND f.id = (SELECT MAX(f2.id) FROM fetches f2 WHERE f2.run_id = f.run_id AND f2.url = f.url)
             ORDER BY host, url LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![run_id, limit as i64], |r| {
            Ok(FailedUrl {
                url: r.get(0)?,
                host: r.get(1)?,
                kind: r.get(2)?,
                status: r.get(3)?,
                error: r.get(4)?,
                at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Totals of snapshots, bodies and agencies.
    /// URLs whose latest snapshot was cut at the body cap: how many, and the
    /// newest `listed` of them with the bytes kept.
    pub fn truncated_bodies(&self, listed: usize) -> Result<(i64, Vec<(String, i64)>)> {
        let latest = "FROM snapshots s WHERE s.truncated = 1
             AND s.id = (SELECT MAX(s2.id) FROM snapshots s2 WHERE s2.url = s.url)";
        let count = self
            .conn
            .query_row(&format!("SELECT COUNT(*) {latest}"), [], |r| r.get(0))?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT s.url, s.size {latest} ORDER BY s.id DESC LIMIT ?1"
        ))?;
        let urls = stmt
            .query_map([listed as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((count, urls))
    }

    pub fn archive_totals(&self) -> Result<ArchiveTotals> {
        let one = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(ArchiveTotals {
            snapshots: one("SELECT COUNT(*) FROM snapshots")?,
            bodies: one("SELECT COUNT(*) FROM bodies")?,
            stored_bytes: one("SELECT COALESCE(SUM(LENGTH(zstd)), 0) FROM bodies")?,
            original_bytes: one("SELECT COALESCE(SUM(size), 0) FROM bodies")?,
            agencies: one("SELECT COUNT(*) FROM agencies WHERE active = 1")?,
            agencies_with_report: one(&format!(
                "SELECT COUNT(DISTINCT agency_id) FROM page_meta WHERE kind IN {REPORT_KINDS_SQL} AND agency_id IS NOT NULL"
            ))?,
        })
    }

    /// Agencies (seed or discovered) with a report or attachment, per report year, newest year first.
    pub fn reports_by_year(&self) -> Result<Vec<(i32, i64)>> {
        self.pairs(&format!(
            "SELECT report_year, COUNT(DISTINCT COALESCE(agency_id, agency_name)) FROM page_meta
             WHERE kind IN {REPORT_KINDS_SQL} AND report_year IS NOT NULL GROUP BY report_year ORDER BY report_year DESC"
        ))
    }

    /// Report and attachment snapshots per file format, most first.
    pub fn report_formats(&self) -> Result<Vec<(Format, i64)>> {
        self.pairs(&format!(
            "SELECT format, COUNT(*) FROM page_meta WHERE kind IN {REPORT_KINDS_SQL} GROUP BY format ORDER BY COUNT(*) DESC"
        ))
    }

    /// Current extractions per status.
    pub fn extraction_statuses(&self) -> Result<Vec<(Status, i64)>> {
        self.pairs(
            "SELECT status, COUNT(*) FROM current_extractions GROUP BY status ORDER BY status",
        )
    }

    fn pairs<T: rusqlite::types::FromSql>(&self, sql: &str) -> Result<Vec<(T, i64)>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
