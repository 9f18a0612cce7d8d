//! `nianbao parse`: extract local files without any database.

use super::{Common, Context};
use anyhow::{Result, bail};
use clap::Args;
use nianbao::pipeline::extraction::extract_file;
use nianbao::report_view::render;
use std::path::PathBuf;

/// Arguments of `parse`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao parse report.html\n  nianbao parse downloads/*.pdf --json > reports.jsonl"
)]
pub struct ParseArgs {
    /// Report files to extract: HTML, text, DOCX, PDF (DOC/WPS with LibreOffice).
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,
    /// One JSON object per file per line (the canonical structure plus checks and warnings).
    #[arg(long)]
    json: bool,
}

/// Extracts each file with the configured report patterns and prints it; a
/// file that cannot be read is reported and counted.
pub fn run(args: ParseArgs, common: &Common) -> Result<()> {
    let patterns = Context::load(common, false)?.config.report_patterns(None);
    let mut failures = 0;
    for file in &args.files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                errln!("error: {}: {e}", file.display());
                failures += 1;
                continue;
            }
        };
        let ex = extract_file(file, &bytes, &patterns);
        if args.json {
            let mut value = serde_json::to_value(&ex)?;
            value["file"] = serde_json::Value::String(file.display().to_string());
            outln!("{}", serde_json::to_string(&value)?)?;
        } else {
            outln!("== {}", file.display())?;
            outln!("{}", render(&ex))?;
        }
    }
    if failures > 0 {
        bail!("{failures} of {} files could not be read", args.files.len());
    }
    Ok(())
}
