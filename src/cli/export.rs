//! `nianbao export`: the current report of each agency and year, with provenance.

use super::{Common, Context, refuse_binary_to_terminal, resolve_format};
use anyhow::{Context as _, Result};
use clap::Args;
use nianbao::export::{self, OutputFormat};
use std::path::PathBuf;

/// Arguments of `export`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao export --year 2023 --out reports-2023.xlsx\n  nianbao export --year 2023 --labels zh --out 年报-2023.csv\n  nianbao export --format jsonl | jq .agency"
)]
pub struct ExportArgs {
    /// Report year, e.g. 2023 (default: every year).
    #[arg(long)]
    year: Option<i32>,
    /// csv (UTF-8 with BOM), jsonl, json or xlsx (default: the --out file's extension, else csv).
    #[arg(long, value_name = "csv|json|jsonl|xlsx")]
    format: Option<String>,
    /// One row per (report, part, row, column, value) instead of one per report.
    #[arg(long)]
    long: bool,
    /// Column headers of csv and xlsx: keys (p3.new_received.total) or zh, the
    /// template's Chinese labels (新收申请·总计); see docs/data-dictionary.md.
    #[arg(long, value_name = "keys|zh", default_value = "keys")]
    labels: nianbao::export::labels::Labels,
    /// Output file; its extension (.csv .json .jsonl .xlsx) sets the format (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Writes the export to the file or standard output and says how much it wrote.
pub fn run(args: ExportArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let format =
        resolve_format(args.format.as_deref(), args.out.as_deref())?.unwrap_or(OutputFormat::Csv);
    let opts = export::ExportOptions {
        year: args.year,
        format,
        long: args.long,
        labels: args.labels,
    };
    let summary = match &args.out {
        Some(path) => export::write_file(path, |out| export::export_with(&store, &opts, out))
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            refuse_binary_to_terminal(format)?;
            export::export_with(&store, &opts, &mut std::io::stdout().lock())?
        }
    };
    errln!(
        "exported {} reports ({} extracted), {} rows",
        summary.reports,
        summary.extracted,
        summary.rows
    );
    Ok(())
}
