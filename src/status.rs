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

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub runs: Vec<RunRow>,
    pub snapshots: i64,
    pub bodies: i64,
    pub stored_bytes: i64,
    pub original_bytes: i64,
    pub reports_by_year: Vec<(i32, i64)>,
    pub agencies: i64,
    pub agencies_with_report: i64,
    pub formats: Vec<(String, i64)>,
    pub extraction_status: Vec<(String, i64)>,
    /// Failed fetches of the last crawl run, by host and error kind.
    pub errors_by_host: Vec<HostErrors>,
    /// Hosts the last crawl added to a seed's scope because a seed page framed them.
    pub seed_hosts: Vec<crate::store::SeedHost>,
    /// Snapshots holding a DOM rendered in a browser.
    pub rendered_snapshots: i64,
    /// Pages of the last crawl that needed a browser and had none.
    pub needs_browser: Vec<crate::store::NeedsBrowser>,
}

fn pairs<T: rusqlite::types::FromSql>(store: &Store, sql: &str) -> Result<Vec<(T, i64)>> {
    let mut stmt = store.conn().prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
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
    Ok(Status {
        runs,
        snapshots: one("SELECT COUNT(*) FROM snapshots")?,
        bodies: one("SELECT COUNT(*) FROM bodies")?,
        stored_bytes: one("SELECT COALESCE(SUM(LENGTH(zstd)), 0) FROM bodies")?,
        original_bytes: one("SELECT COALESCE(SUM(size), 0) FROM bodies")?,
        reports_by_year: pairs(
            store,
            "SELECT report_year, COUNT(DISTINCT COALESCE(agency_id, agency_name)) FROM page_meta
             WHERE kind IN ('report', 'attachment') AND report_year IS NOT NULL GROUP BY report_year ORDER BY report_year DESC",
        )?,
        agencies: one("SELECT COUNT(*) FROM agencies WHERE active = 1")?,
        agencies_with_report: one(
            "SELECT COUNT(DISTINCT agency_id) FROM page_meta WHERE kind IN ('report', 'attachment') AND agency_id IS NOT NULL",
        )?,
        formats: pairs(
            store,
            "SELECT format, COUNT(*) FROM page_meta WHERE kind IN ('report', 'attachment') GROUP BY format ORDER BY COUNT(*) DESC",
        )?,
        extraction_status: pairs(store, "SELECT status, COUNT(*) FROM current_extractions GROUP BY status ORDER BY status")?,
        errors_by_host,
        seed_hosts: match last_crawl {
            Some(run) => store.seed_hosts(run)?,
            None => Vec::new(),
        },
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
                r.started_at,
                r.finished_at.as_deref().unwrap_or("…"),
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
                .map(|(y, n)| format!("{y}: {n}"))
                .collect();
            writeln!(f, "Reports by year (agencies): {}", years.join(", "))?;
        }
        if !self.formats.is_empty() {
            let formats: Vec<String> = self
                .formats
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            writeln!(f, "Report files by format: {}", formats.join(", "))?;
        }
        if !self.extraction_status.is_empty() {
            let st: Vec<String> = self
                .extraction_status
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            writeln!(f, "Extractions: {}", st.join(", "))?;
        }
        for h in &self.seed_hosts {
            writeln!(
                f,
                "Scope of seed #{} widened to {} (framed by {})",
                h.seed_id, h.host, h.via_url
            )?;
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
        }
        Ok(())
    }
}
