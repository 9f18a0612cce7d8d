//! Answers from the archive: which agencies are missing or late, which were
//! discovered, the extracted reports as CSV/JSON/JSONL/XLSX, and WARC 1.1.
//!
//! Everything here only reads the archive; the SQL lives in these files so
//! the store keeps only what the crawl and the extractor write.

pub mod keys;
mod lists;
mod reports;
mod table;
pub mod warc;

pub use lists::{
    Discovered, LateEntry, LateReport, MissingAgency, MissingReason, Timeliness, deadline,
    discovered, discovered_sheet, late, late_sheet, missing, missing_sheet, timeliness,
    write_discovered, write_late, write_missing,
};
pub use reports::{
    CurrentReport, ExportSummary, current_report_heads, current_reports, current_reports_of,
    export, export_to_path, load_results, write_file,
};
pub use table::{Cell, Sheet, write_sheets};
pub use warc::{WarcOptions, WarcSummary, write_warc};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("unknown format {0:?}: use csv, json, jsonl or xlsx")]
    UnknownFormat(String),
}

pub type Result<T, E = ExportError> = std::result::Result<T, E>;

/// Output formats. `Csv` is UTF-8 with a BOM so Excel reads the Chinese text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
    Xlsx,
}

impl Format {
    /// The usual file extension, for naming output files.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Xlsx => "xlsx",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "xlsx" | "excel" => Ok(Format::Xlsx),
            other => Err(ExportError::UnknownFormat(other.to_string())),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}
