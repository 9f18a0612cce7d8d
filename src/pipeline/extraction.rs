//! The extraction stage over the archive: reads archived report snapshots,
//! runs the pure extractor on all cores, adds the cross-year checks, and saves
//! results keyed by snapshot and extractor version. Needs no network.

use crate::extract::{self, EXTRACTOR_VERSION, Extraction, Status};
use crate::formats::Format;
use crate::page::facts::VisibleMeta;
use crate::patterns::ReportPatterns;
use crate::store::{ArchivedReport, ExtractionBatch, ExtractionRow, PageMetaRow, Result, Store};
use rayon::prelude::*;
use serde::Serialize;

pub use crate::store::{ExtractFilter, Revision};

/// What the extractor reads: the bytes, their format, and what the page they
/// were archived with knows.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The file or page as fetched.
    pub bytes: &'a [u8],
    /// The `Content-Type` it was served with (or implied by a file name).
    pub content_type: Option<&'a str>,
    /// What the bytes are.
    pub format: Format,
    /// The page facts stored with the snapshot; `None` for a local file.
    pub page: Option<&'a PageMetaRow>,
}

#[derive(Debug, Clone, Default, Serialize)]
/// Counts of one extraction run.
pub struct ExtractSummary {
    /// Snapshots extracted.
    pub reports: u64,
    /// Of those, every part read.
    pub complete: u64,
    /// Some parts read.
    pub partial: u64,
    /// Judged not a report.
    pub not_report: u64,
    /// Could not be read.
    pub failed: u64,
    /// Files no reader handles, and scans.
    pub unsupported: u64,
    /// Reports with at least one consistency rule broken.
    pub with_check_failures: u64,
    /// Consistency rules broken, all reports.
    pub rule_breaks: u64,
    /// Reports with warnings.
    pub with_warnings: u64,
    /// Results that differ from what this version had stored (or are new).
    pub changed: u64,
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
pub fn extract_file(path: &std::path::Path, bytes: &[u8], patterns: &ReportPatterns) -> Extraction {
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
    let source = Source {
        bytes,
        content_type,
        format: crate::formats::sniff(bytes, content_type, Some(&path.to_string_lossy())),
        page: None,
    };
    extract_source(&source, patterns)
}

/// Extracts one source according to its format, then fills what the page
/// around it knows (publish date, source, editor, agency, year) where the
/// document itself is silent.
pub fn extract_source(src: &Source<'_>, patterns: &ReportPatterns) -> Extraction {
    let mut ex = match src.format {
        Format::Html | Format::Text => extract::extract(src.bytes, src.content_type, patterns),
        _ => extract_attachment(src.bytes, src.content_type, patterns),
    };
    let Some(page) = src.page else {
        return ex;
    };
    let stated = VisibleMeta::first_stated([
        VisibleMeta {
            publish_date: ex.publish_date,
            source: ex.source.take(),
            editor: ex.editor.take(),
        },
        page.published(),
    ]);
    ex.publish_date = stated.publish_date;
    ex.source = stated.source;
    ex.editor = stated.editor;
    if ex.agency.is_none() {
        ex.agency = page.agency_name.clone();
    }
    if ex.year.is_none() {
        ex.year = page.report_year;
    }
    ex
}

/// A file (PDF, DOCX, DOC/WPS) read into the document model, then extracted
/// like any other report; what cannot be read says why.
fn extract_attachment(
    body: &[u8],
    content_type: Option<&str>,
    patterns: &ReportPatterns,
) -> Extraction {
    use crate::formats::FormatError;
    match crate::formats::read_attachment(body, content_type, None) {
        Ok(a) if a.scanned => extract::scanned(a.pages.unwrap_or(0)),
        Ok(a) => extract::extract_document(&a.document, patterns),
        Err(FormatError::Unsupported { format }) => extract::unsupported(&format),
        Err(e @ (FormatError::ToolMissing { .. } | FormatError::Encrypted)) => {
            extract::not_read(Status::Unsupported, &e.to_string())
        }
        Err(e) => extract::not_read(Status::Failed, &e.to_string()),
    }
}

/// How many snapshots are read, extracted and written per batch: bounds memory
/// while keeping every core busy.
const BATCH: usize = 256;

/// Runs the extraction stage with the configured report `patterns`;
/// `progress` is called with (done, total) after each batch.
pub fn extract_archive(
    store: &mut Store,
    filter: &ExtractFilter,
    patterns: &ReportPatterns,
    progress: &dyn Fn(u64, u64),
) -> Result<ExtractSummary> {
    let todo = store.reports_to_extract(filter, EXTRACTOR_VERSION)?;
    let total = todo.len() as u64;
    let mut summary = ExtractSummary::default();
    let mut done = 0u64;
    for batch in todo.chunks(BATCH) {
        let mut inputs = Vec::with_capacity(batch.len());
        for r in batch {
            let body = store.body(&r.sha256)?.unwrap_or_default();
            inputs.push((r, body));
        }
        let results: Vec<(&ArchivedReport, Extraction)> = inputs
            .par_iter()
            .map(|(r, body)| {
                let source = Source {
                    bytes: body,
                    content_type: r.content_type.as_deref(),
                    format: r.page.format,
                    page: Some(&r.page),
                };
                (*r, extract_source(&source, patterns))
            })
            .collect();
        let batch = store.extraction_batch()?;
        for (r, mut ex) in results {
            add_cross_year_checks(&batch, r, &mut ex)?;
            if batch.save(&row_for(r.snapshot_id, &ex)?)? {
                summary.changed += 1;
            }
            tally(&mut summary, &ex);
        }
        batch.commit()?;
        done += inputs.len() as u64;
        progress(done, total);
    }
    Ok(summary)
}

fn tally(summary: &mut ExtractSummary, ex: &Extraction) {
    summary.reports += 1;
    match ex.status {
        Status::Complete => summary.complete += 1,
        Status::Partial => summary.partial += 1,
        Status::NotReport => summary.not_report += 1,
        Status::Failed => summary.failed += 1,
        Status::Unsupported | Status::Scanned => summary.unsupported += 1,
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
        status: ex.status,
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

/// Rule 5: this year's `carried_over` against last year's `carried_forward` of the
/// same agency, when the archive holds last year's report.
fn add_cross_year_checks(
    batch: &ExtractionBatch<'_>,
    r: &ArchivedReport,
    ex: &mut Extraction,
) -> Result<()> {
    let (Some(agency_id), Some(year)) = (r.page.agency_id, ex.year.or(r.page.report_year)) else {
        return Ok(());
    };
    if let Some(prev) = batch.read_result(agency_id, year - 1)? {
        ex.checks.rules.retain(|r| r.rule != 5);
        ex.checks
            .rules
            .extend(extract::cross_year_checks(&prev, ex));
    }
    Ok(())
}
