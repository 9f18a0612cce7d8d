//! `nianbao extract`: re-run extraction over the archive, offline, on all cores.

use super::{Common, Context, command_line, progress_bar};
use anyhow::Result;
use clap::Args;
use nianbao::pipeline::extract_run;
use nianbao::pipeline::extraction::ExtractFilter;
use nianbao::store::lock::ArchiveLock;

/// Arguments of `extract`.
#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// Only reports of agencies whose name or alias contains this.
    #[arg(long)]
    agency: Option<String>,
    /// Only reports for this year.
    #[arg(long)]
    year: Option<i32>,
    /// Only snapshots fetched since this date (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Re-extract even where this extractor version already has a result.
    #[arg(long)]
    force: bool,
}

/// Extracts under the archive lock, with a progress bar on a terminal.
pub fn run(args: ExtractArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    // Before the lock, which would create the file.
    nianbao::store::check::require_archive(&ctx.db)?;
    let _lock = ArchiveLock::acquire(&ctx.db, "nianbao extract")?;
    let mut store = ctx.open_existing_store()?;
    let filter = ExtractFilter {
        agency: args.agency,
        year: args.year,
        since: args.since,
        snapshot_ids: None,
        force: args.force,
    };
    let bar = progress_bar();
    let patterns = ctx.config.report_patterns(None);
    let summary = extract_run(
        &mut store,
        &filter,
        &patterns,
        &command_line(),
        &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    println!("{}", summary?);
    Ok(())
}
