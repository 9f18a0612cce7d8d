//! `nianbao status`: the last runs, what the archive holds, and errors by host.

use crate::store::{ArchiveTotals, FailedUrl, HostErrors, Result, RunKind, RunRow, Store};
use serde::Serialize;

/// The archive's state as `nianbao status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveStatus {
    /// The last runs, newest first.
    pub runs: Vec<RunRow>,
    /// Snapshot, body and agency totals.
    #[serde(flatten)]
    pub totals: ArchiveTotals,
    /// Agencies with a report, per report year.
    pub reports_by_year: Vec<YearCount>,
    /// Report snapshots per file format.
    pub formats: Vec<NamedCount>,
    /// Current extractions per status.
    pub extraction_status: Vec<NamedCount>,
    /// Failed fetches of the last crawl run, by host and error kind.
    pub errors_by_host: Vec<HostErrors>,
    /// Hosts the last crawl added to a seed's scope because a seed page framed them.
    pub seed_hosts: Vec<crate::store::SeedHost>,
    /// Snapshots holding a DOM rendered in a browser.
    pub rendered_snapshots: i64,
    /// Pages of the last crawl that needed a browser and had none.
    pub needs_browser: Vec<crate::store::NeedsBrowser>,
    /// The URLs behind `errors_by_host` (at most [`FAILED_URLS_LISTED`]).
    pub failed_urls: Vec<FailedUrl>,
    /// URLs whose latest snapshot was cut off at `max_body_bytes`.
    pub truncated: i64,
    /// The newest of them (at most [`TRUNCATED_LISTED`]), with the bytes kept.
    pub truncated_urls: Vec<(String, i64)>,
    /// Times are shown in this zone as well as UTC (the schedule's zone).
    #[serde(skip)]
    pub timezone: Option<chrono_tz::Tz>,
}

/// How many truncated bodies `status` lists by URL.
pub const TRUNCATED_LISTED: usize = 20;

/// Agencies with a report of one year.
#[derive(Debug, Clone, Serialize)]
pub struct YearCount {
    /// Report year.
    pub year: i32,
    /// Agencies with a report for it.
    pub agencies: i64,
}

/// How many of something (a file format, an extraction status).
#[derive(Debug, Clone, Serialize)]
pub struct NamedCount {
    /// What is counted.
    pub name: String,
    /// How many.
    pub count: i64,
}

/// How many failing URLs are listed.
pub const FAILED_URLS_LISTED: usize = 200;

/// A stored UTC time in `tz` and in UTC: `2024-03-11 13:06:07 CST (2024-03-11T05:06:07Z)`.
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

/// The archive's state for `nianbao status`, with the last `last_runs` runs.
pub fn status(store: &Store, last_runs: usize) -> Result<ArchiveStatus> {
    let last_crawl = store.last_run(RunKind::Crawl)?;
    let (errors_by_host, failed_urls) = match last_crawl {
        Some(run) => (
            store.failed_fetches_by_host(run)?,
            store.failed_urls(run, FAILED_URLS_LISTED)?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let (truncated, truncated_urls) = store.truncated_bodies(TRUNCATED_LISTED)?;
    Ok(ArchiveStatus {
        truncated,
        truncated_urls,
        runs: store.recent_runs(last_runs)?,
        totals: store.archive_totals()?,
        reports_by_year: store
            .reports_by_year()?
            .into_iter()
            .map(|(year, agencies)| YearCount { year, agencies })
            .collect(),
        formats: store
            .report_formats()?
            .into_iter()
            .map(|(f, count)| NamedCount {
                name: f.as_str().to_string(),
                count,
            })
            .collect(),
        extraction_status: store
            .extraction_statuses()?
            .into_iter()
            .map(|(s, count)| NamedCount {
                name: s.as_str().to_string(),
                count,
            })
            .collect(),
        errors_by_host,
        seed_hosts: match store.last_run(RunKind::Crawl)? {
            Some(run) => store.seed_hosts(run)?,
            None => Vec::new(),
        },
        failed_urls,
        timezone: None,
        rendered_snapshots: store.rendered_snapshots()?,
        needs_browser: store.needs_browser()?,
    })
}

impl std::fmt::Display for ArchiveStatus {
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
                r.kind.sql_text(),
                r.status.sql_text(),
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
            self.totals.snapshots,
            self.totals.bodies,
            self.totals.stored_bytes as f64 / 1e6,
            self.totals.original_bytes as f64 / 1e6
        )?;
        writeln!(
            f,
            "Agencies: {} in the seeds, {} with at least one report found",
            self.totals.agencies, self.totals.agencies_with_report
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
        if self.truncated > 0 {
            writeln!(
                f,
                "Truncated bodies (cut at max_body_bytes; raise it to archive them whole): {}",
                self.truncated
            )?;
            for (url, size) in &self.truncated_urls {
                writeln!(f, "  {url} ({size} bytes kept)")?;
            }
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
        Ok(())
    }
}
