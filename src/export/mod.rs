//! Answers from the archive: which agencies are missing or late, which were
//! discovered, the extracted reports as CSV/JSON/JSONL/XLSX, and WARC 1.1.
//!
//! Everything here only reads the archive; the SQL lives in these files so
//! the store keeps only what the crawl and the extractor write.

pub mod keys;
pub mod labels;
mod lists;
mod reports;
pub mod sanitize;
mod table;
pub mod warc;

pub use lists::{
    Discovered, LateEntry, LateReport, MissingAgency, MissingReason, Timeliness, deadline,
    discovered, discovered_sheet, late, late_sheet, missing, missing_for_seeds, missing_sheet,
    timeliness, write_discovered, write_discovered_seeds, write_late, write_missing,
};
pub use reports::{
    CurrentReport, ExportOptions, ExportSummary, current_report_heads, current_reports,
    current_reports_of, export, export_to_path, export_with, load_results, wide_columns,
    write_file,
};
pub use table::{CellValue, Sheet, write_sheets};
pub use warc::{WarcOptions, WarcSummary, write_warc};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
/// Why an export or answer could not be written.
pub enum ExportError {
    #[error(transparent)]
    /// The archive could not be read.
    Store(#[from] crate::store::StoreError),
    #[error("write: {0}")]
    /// Writing the output failed.
    Io(#[from] std::io::Error),
    #[error("{path}: {source}")]
    /// A file could not be written.
    File {
        /// The file.
        path: PathBuf,
        #[source]
        /// The underlying error.
        source: std::io::Error,
    },
    #[error("CSV: {0}")]
    /// CSV writing failed.
    Csv(#[from] csv::Error),
    #[error("JSON: {0}")]
    /// Stored or written JSON is malformed.
    Json(#[from] serde_json::Error),
    #[error("XLSX: {0}")]
    /// XLSX writing failed.
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("unknown format {0:?}: use csv, json, jsonl or xlsx")]
    /// An output format nianbao does not write.
    UnknownFormat(String),
    #[error("--labels zh is for csv and xlsx headers; {0} keeps the canonical keys")]
    LabelsNotForFormat(OutputFormat),
}

/// Result of the answers.
pub type Result<T, E = ExportError> = std::result::Result<T, E>;

/// Output formats. `Csv` is UTF-8 with a BOM so Excel reads the Chinese text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// CSV, UTF-8 with a BOM.
    Csv,
    /// One JSON array.
    Json,
    /// JSON Lines.
    Jsonl,
    /// An Excel workbook.
    Xlsx,
}

impl OutputFormat {
    /// The usual file extension, for naming output files.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Xlsx => "xlsx",
        }
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            "jsonl" | "ndjson" => Ok(OutputFormat::Jsonl),
            "xlsx" | "excel" => Ok(OutputFormat::Xlsx),
            other => Err(ExportError::UnknownFormat(other.to_string())),
        }
    }
}

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}
