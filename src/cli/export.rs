//! `nianbao export`: the current report of each agency and year, with provenance.

use super::{Common, Context, refuse_binary_to_terminal};
use anyhow::{Context as _, Result};
use clap::Args;
use nianbao::export::{self, OutputFormat};
use std::path::PathBuf;

/// Arguments of `export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Report year (default: every year).
    #[arg(long)]
    year: Option<i32>,
    #[arg(long, default_value = "csv")]
    format: String,
    /// CSV only: one row per (report, part, row, column, value).
    #[arg(long)]
    long: bool,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Writes the export to the file or standard output and says how much it wrote.
pub fn run(args: ExportArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let format: OutputFormat = args.format.parse()?;
    let summary = match &args.out {
        Some(path) => export::export_to_path(&store, args.year, format, args.long, path)
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            refuse_binary_to_terminal(format)?;
            export::export(
                &store,
                args.year,
                format,
                args.long,
                &mut std::io::stdout().lock(),
            )?
        }
    };
    eprintln!(
        "exported {} reports ({} extracted), {} rows",
        summary.reports, summary.extracted, summary.rows
    );
    Ok(())
}
