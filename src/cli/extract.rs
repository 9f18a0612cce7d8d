//! `nianbao extract`: re-run extraction over the archive, offline, on all cores.

use super::progress::batch_bar;
use super::{Common, Context, command_line};
use anyhow::Result;
use clap::Args;
use nianbao::pipeline::extract_run;
use nianbao::pipeline::extraction::ExtractFilter;
use nianbao::store::lock::ArchiveLock;

/// Arguments of `extract`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao extract\n  nianbao extract --agency 卫滨区 --year 2022 --force\n  nianbao extract --since 2024-02-01"
)]
pub struct ExtractArgs {
    /// Only reports of agencies whose name or alias contains this.
    #[arg(long)]
    agency: Option<String>,
    /// Only reports for this year.
    #[arg(long)]
    year: Option<i32>,
    /// Only snapshots fetched since this date: 2024-02-01, or an RFC 3339 time
    /// such as 2024-02-01T08:00:00+08:00.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    since: Option<String>,
    /// Re-extract even where this extractor version already has a result.
    #[arg(long)]
    force: bool,
}

/// `--since` as the archive stores times (RFC 3339, UTC), so comparing the
/// text compares the instants; anything that is not a date is refused.
fn parse_since(s: &str) -> Result<String, String> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(d.format("%Y-%m-%d").to_string());
    }
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .map_err(|_| format!("{s:?} is not a date: give YYYY-MM-DD or an RFC 3339 time"))
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
    let bar = batch_bar("reports");
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
    outln!("{}", summary?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_is_a_date_or_an_instant() {
        assert_eq!(super::parse_since("2024-02-01").unwrap(), "2024-02-01");
        assert_eq!(
            super::parse_since("2024-02-01T08:00:00+08:00").unwrap(),
            "2024-02-01T00:00:00.000Z"
        );
        assert!(super::parse_since("yesterday").is_err());
        assert!(super::parse_since("2024-13-01").is_err());
    }
}
