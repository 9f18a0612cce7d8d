//! `nianbao warc`: the archive as WARC 1.1 files.

use super::{Common, Context};
use anyhow::{Context as _, Result};
use clap::Args;
use nianbao::export;
use std::path::PathBuf;

/// Arguments of `warc`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao warc --out warc/\n  nianbao warc --out warc/ --reports-only"
)]
pub struct WarcArgs {
    /// Folder to write the .warc.gz files into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Only report pages and report attachments.
    #[arg(long)]
    reports_only: bool,
}

/// Writes the WARC files into the folder and says what they hold.
pub fn run(args: WarcArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let opts = export::WarcOptions {
        reports_only: args.reports_only,
        ..Default::default()
    };
    let s = export::write_warc(&store, &args.out, &opts)
        .with_context(|| format!("writing WARC files to {}", args.out.display()))?;
    outln!(
        "wrote {} WARC file(s) to {}: {} response, {} revisit and {} conversion (rendered DOM) records ({} skipped), {:.1} MB",
        s.files.len(),
        args.out.display(),
        s.responses,
        s.revisits,
        s.conversions,
        s.skipped,
        s.bytes as f64 / 1e6
    )?;
    Ok(())
}
