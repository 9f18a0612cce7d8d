//! The extraction stage over the archive: reads archived report snapshots,
//! runs the pure extractor on all cores, adds the cross-year checks, and saves
//! results keyed by snapshot and extractor version. Needs no network.

use crate::extract::{self, EXTRACTOR_VERSION, Extraction};
use crate::store::{ExtractionRow, PageMetaRow, Result, Store};
use rayon::prelude::*;
use rusqlite::params;
use serde::Serialize;

/// Which archived snapshots to (re-)extract.
#[derive(Debug, Clone, Default)]
pub struct ExtractFilter {
    /// Agency name or alias contains this (seed agencies), or the discovered name does.
    pub agency: Option<String>,
    pub year: Option<i32>,
    /// Snapshots fetched at or after this RFC 3339 date/time (`2024-02-01` works).
    pub since: Option<String>,
    /// Only these snapshots (the crawl passes what it just archived).
    pub snapshot_ids: Option<Vec<i64>>,
    /// Re-extract even when this extractor version already has a result.
    pub force: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractSummary {
    pub reports: u64,
    pub complete: u64,
    pub partial: u64,
    pub not_report: u64,
    pub failed: u64,
    pub unsupported: u64,
    /// Reports with at least one consistency rule broken.
    pub with_check_failures: u64,
    pub rule_breaks: u64,
    pub with_warnings: u64,
    /// Results that differ from what this version had stored (or are new).
    pub changed: u64,
    pub skipped_current: u64,
}

/// One archived snapshot to extract.
struct Candidate {
    snapshot_id: i64,
    content_type: Option<String>,
    sha256: String,
    meta: PageMetaRow,
}

impl std::fmt::Display for ExtractSummary {
    /// The one-line summary printed after an extraction run.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "extracted {} reports: {} complete, {} partial, {} not a report, {} failed, {} unsupported/scanned; \
             {} with check failures ({} rule breaks), {} with warnings; {} new or changed results",
            self.reports,
            self.complete,
            self.partial,
            self.not_report,
            self.failed,
            self.unsupported,
            self.with_check_failures,
            self.rule_breaks,
            self.with_warnings,
            self.changed
        )
    }
}

/// Extracts a local file (`nianbao parse`): its format is sniffed from the
/// bytes, then the extension.
pub fn extract_file(path: &std::path::Path, bytes: &[u8]) -> Extraction {
    let content_type = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm" | "shtml") => Some("text/html"),
        Some("txt") => Some("text/plain"),
        _ => None,
    };
    let meta = PageMetaRow {
        format: crate::formats::sniff(bytes, content_type, Some(&path.to_string_lossy()))
            .as_str()
            .to_string(),
        ..Default::default()
    };
    extract_bytes(bytes, content_type, &meta)
}

/// Extracts one snapshot's bytes according to its format, then fills what the
/// page around it knows (publish date, source, editor, agency) where the
/// document itself is silent.
pub fn extract_bytes(body: &[u8], content_type: Option<&str>, meta: &PageMetaRow) -> Extraction {
    let mut ex = match meta.format.as_str() {
        "html" | "text" => extract::extract(body, content_type),
        _ => extract_attachment(body, content_type),
    };
    if ex.publish_date.is_none() && ex.source.is_none() && ex.editor.is_none() {
        ex.publish_date = meta
            .publish_date
            .as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        ex.source = meta.source.clone();
        ex.editor = meta.editor.clone();
    }
    if ex.agency.is_none() {
        ex.agency = meta.agency_name.clone();
    }
    if ex.year.is_none() {
        ex.year = meta.report_year;
    }
    ex
}

/// A file (PDF, DOCX, DOC/WPS) read into the document model, then extracted
/// like any other report; what cannot be read says why.
fn extract_attachment(body: &[u8], content_type: Option<&str>) -> Extraction {
    use crate::formats::FormatError;
    match crate::formats::read_attachment(body, content_type, None) {
        Ok(a) if a.scanned => extract::scanned(a.pages.unwrap_or(0)),
        Ok(a) => extract::extract_document(&a.document),
        Err(FormatError::Unsupported { format }) => extract::unsupported(&format),
        Err(e @ (FormatError::ToolMissing { .. } | FormatError::Encrypted)) => {
            extract::not_read(extract::Status::Unsupported, &e.to_string())
        }
        Err(e) => extract::not_read(extract::Status::Failed, &e.to_string()),
    }
}

/// How many snapshots are read, extracted and written per batch: bounds memory
/// while keeping every core busy.
const BATCH: usize = 256;

/// Runs the extraction stage; `progress` is called with (done, total) after each batch.
pub fn extract_archive(
    store: &mut Store,
    filter: &ExtractFilter,
    progress: &dyn Fn(u64, u64),
) -> Result<ExtractSummary> {
    let candidates = candidates(store, filter)?;
    let total = candidates.len() as u64;
    let mut summary = ExtractSummary::default();
    let mut done = 0u64;
    for batch in candidates.chunks(BATCH) {
        let mut inputs = Vec::with_capacity(batch.len());
        for c in batch {
            let body = store.body(&c.sha256)?.unwrap_or_default();
            inputs.push((c, body));
        }
        let results: Vec<(&Candidate, Extraction)> = inputs
            .par_iter()
            .map(|(c, body)| (*c, extract_bytes(body, c.content_type.as_deref(), &c.meta)))
            .collect();
        let tx = store.conn_mut().transaction()?;
        for (c, mut ex) in results {
            add_cross_year_checks(&tx, c, &mut ex)?;
            let row = row_for(c.snapshot_id, &ex)?;
            if save(&tx, &row)? {
                summary.changed += 1;
            }
            tally(&mut summary, &ex);
        }
        tx.commit()?;
        done += batch.len() as u64;
        progress(done, total);
    }
    Ok(summary)
}

fn tally(summary: &mut ExtractSummary, ex: &Extraction) {
    summary.reports += 1;
    match ex.status {
        extract::Status::Complete => summary.complete += 1,
        extract::Status::Partial => summary.partial += 1,
        extract::Status::NotReport => summary.not_report += 1,
        extract::Status::Failed => summary.failed += 1,
        extract::Status::Unsupported | extract::Status::Scanned => summary.unsupported += 1,
    }
    let breaks = ex
        .checks
        .rules
        .iter()
        .filter(|r| r.ok == Some(false))
        .count() as u64;
    summary.rule_breaks += breaks;
    summary.with_check_failures += (breaks > 0) as u64;
    summary.with_warnings += (!ex.warnings.is_empty()) as u64;
}

fn row_for(snapshot_id: i64, ex: &Extraction) -> Result<ExtractionRow> {
    Ok(ExtractionRow {
        snapshot_id,
        extractor_version: EXTRACTOR_VERSION.to_string(),
        status: ex.status.as_str().to_string(),
        agency: ex.agency.clone(),
        year: ex.year,
        template: ex.template.map(|t| t.as_str().to_string()),
        checks_failed: ex
            .checks
            .rules
            .iter()
            .filter(|r| r.ok == Some(false))
            .count() as i64,
        warnings: ex.warnings.len() as i64,
        result_json: serde_json::to_string(ex)?,
    })
}

fn save(conn: &rusqlite::Connection, row: &ExtractionRow) -> Result<bool> {
    crate::store::save_extraction_on(conn, row)
}

/// Rule 5: this year's `carried_over` against last year's `carried_forward` of the
/// same agency, when the archive holds last year's report.
fn add_cross_year_checks(
    conn: &rusqlite::Connection,
    c: &Candidate,
    ex: &mut Extraction,
) -> Result<()> {
    let (Some(agency_id), Some(year)) = (c.meta.agency_id, ex.year.or(c.meta.report_year)) else {
        return Ok(());
    };
    let prev: Option<String> = conn
        .query_row(
            "SELECT ce.result FROM current_extractions ce
             JOIN page_meta pm ON pm.snapshot_id = ce.snapshot_id
             WHERE pm.agency_id = ?1 AND pm.report_year = ?2 AND ce.status IN ('complete', 'partial')
             ORDER BY (ce.status = 'complete') DESC, ce.snapshot_id DESC LIMIT 1",
            params![agency_id, year - 1],
            |r| r.get(0),
        )
        .ok();
    if let Some(prev) = prev.and_then(|p| serde_json::from_str::<Extraction>(&p).ok()) {
        ex.checks.rules.retain(|r| r.rule != 5);
        ex.checks
            .rules
            .extend(extract::cross_year_checks(&prev, ex));
    }
    Ok(())
}

/// The report snapshots matching the filter, oldest year first so that rule 5
/// finds last year's result already extracted.
fn candidates(store: &Store, f: &ExtractFilter) -> Result<Vec<Candidate>> {
    let mut sql = String::from(
        "SELECT s.id, s.content_type, s.sha256, pm.kind, pm.format, pm.title, pm.publish_date, pm.source, pm.editor,
                pm.column_name, pm.site_name, pm.report_year, pm.agency_name, pm.agency_id, pm.parent_snapshot_id
         FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
         LEFT JOIN agencies a ON a.id = pm.agency_id
         WHERE pm.kind IN ('report', 'attachment')",
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    if let Some(agency) = &f.agency {
        args.push(Box::new(format!("%{agency}%")));
        let n = args.len();
        sql.push_str(&format!(
            " AND (a.name LIKE ?{n} OR a.aliases LIKE ?{n} OR pm.agency_name LIKE ?{n})"
        ));
    }
    if let Some(year) = f.year {
        args.push(Box::new(year));
        sql.push_str(&format!(" AND pm.report_year = ?{}", args.len()));
    }
    if let Some(since) = &f.since {
        args.push(Box::new(since.clone()));
        sql.push_str(&format!(" AND s.fetched_at >= ?{}", args.len()));
    }
    if let Some(ids) = &f.snapshot_ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" AND s.id IN ({})", list.join(",")));
    }
    if !f.force {
        args.push(Box::new(EXTRACTOR_VERSION.to_string()));
        sql.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM extractions e WHERE e.snapshot_id = s.id AND e.extractor_version = ?{})",
            args.len()
        ));
    }
    sql.push_str(" ORDER BY pm.report_year, s.id");
    let mut stmt = store.conn().prepare(&sql)?;
    let rows = stmt.query_map(
        rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
        |r| {
            Ok(Candidate {
                snapshot_id: r.get(0)?,
                content_type: r.get(1)?,
                sha256: r.get(2)?,
                meta: PageMetaRow {
                    kind: r.get(3)?,
                    format: r.get(4)?,
                    title: r.get(5)?,
                    publish_date: r.get(6)?,
                    source: r.get(7)?,
                    editor: r.get(8)?,
                    column_name: r.get(9)?,
                    site_name: r.get(10)?,
                    report_year: r.get(11)?,
                    agency_name: r.get(12)?,
                    agency_id: r.get(13)?,
                    parent_snapshot_id: r.get(14)?,
                    decoy: None,
                },
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One archived revision of an agency's report for a year, with its current extraction.
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub snapshot_id: i64,
    pub url: String,
    pub fetched_at: String,
    pub sha256: String,
    pub kind: String,
    pub format: String,
    pub agency: Option<String>,
    pub extractor_version: Option<String>,
    pub status: Option<String>,
    #[serde(skip)]
    pub result: Option<Extraction>,
}

/// Every archived revision of the report of `agency` (name, alias or discovered
/// name, substring) for `year`, newest first; or the one snapshot `snapshot_id`.
pub fn revisions(
    store: &Store,
    agency: Option<&str>,
    year: Option<i32>,
    snapshot_id: Option<i64>,
) -> Result<Vec<Revision>> {
    let mut stmt = store.conn().prepare(
        "SELECT s.id, s.url, s.fetched_at, s.sha256, pm.kind, pm.format, COALESCE(a.name, pm.agency_name),
                ce.extractor_version, ce.status, ce.result
         FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
         LEFT JOIN agencies a ON a.id = pm.agency_id
         LEFT JOIN current_extractions ce ON ce.snapshot_id = s.id
         WHERE (?3 IS NOT NULL AND s.id = ?3)
            OR (?3 IS NULL AND pm.kind IN ('report', 'attachment') AND pm.report_year = ?2
                AND (a.name LIKE ?1 OR a.aliases LIKE ?1 OR pm.agency_name LIKE ?1))
         ORDER BY s.id DESC",
    )?;
    let pattern = agency.map(|a| format!("%{a}%"));
    let rows = stmt.query_map(params![pattern, year, snapshot_id], |r| {
        let result: Option<String> = r.get(9)?;
        Ok(Revision {
            snapshot_id: r.get(0)?,
            url: r.get(1)?,
            fetched_at: r.get(2)?,
            sha256: r.get(3)?,
            kind: r.get(4)?,
            format: r.get(5)?,
            agency: r.get(6)?,
            extractor_version: r.get(7)?,
            status: r.get(8)?,
            result: result.and_then(|j| serde_json::from_str(&j).ok()),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
