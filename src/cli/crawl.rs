//! `nianbao crawl`: crawl the seeds (or some of them), archive, extract what is new.

use super::{Common, Context, EXIT_INTERRUPTED, EXIT_NO_HOST_CRAWLED, Exit, command_line, runtime};
use anyhow::{Result, anyhow};
use clap::Args;
use nianbao::config::parse_years;
use nianbao::crawl::CrawlOptions;
use nianbao::pipeline::crawl_then_extract;
use nianbao::shutdown::shutdown_on_signals;
use nianbao::store::lock::ArchiveLock;
use std::time::Duration;

/// Arguments of `crawl`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao crawl\n  nianbao crawl --agency 卫滨区 --years 2022-2024\n  nianbao crawl -v --progress-every 10 >> crawl.log 2>&1\n\n\
Exit status: 0 when the run completed (failed hosts are reported), 1 on an error, \
3 when no host could be crawled at all, 130 after a stop by Ctrl-C (run again \
to resume; a SIGTERM stop, as systemd sends, exits 0)."
)]
pub struct CrawlArgs {
    /// Only seeds whose agency, alias or region contains this text, e.g. 卫滨区 or 辽宁省沈阳市.
    #[arg(long, value_name = "TEXT")]
    agency: Option<String>,
    /// Report years to archive: 2023, or a range 2022-2024 (default: the config's, else all).
    #[arg(long, value_name = "YEAR|FROM-TO")]
    years: Option<String>,
    /// When standard error is not a terminal, print a progress line this often (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    progress_every: u64,
}

/// Runs the crawl under the archive lock and prints its summary.
pub fn run(args: CrawlArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, true)?;
    let years = args
        .years
        .as_deref()
        .map(|y| parse_years(y).map_err(|m| anyhow!("--years {y:?}: {m}")))
        .transpose()?
        .flatten();
    super::warn_if_no_contact(&ctx.config);
    let opts = CrawlOptions {
        agency_filter: args.agency,
        years,
        command: command_line(),
        skip_extraction: false,
        progress: super::progress::crawl_sink(
            common.verbosity(),
            Duration::from_secs(args.progress_every.max(1)),
        ),
        ..Default::default()
    };
    let _lock = ArchiveLock::acquire(&ctx.db, &opts.command)?;
    let store = ctx.open_store()?;
    if let (Some(run), Some(filter)) = (
        store.unfinished_run(nianbao::store::RunKind::Crawl)?,
        &opts.agency_filter,
    ) {
        tracing::warn!(
            "resuming the unfinished crawl run #{run} whole: --agency {filter:?} applies to new runs only"
        );
    }
    let summary = runtime()?.block_on(async {
        let shutdown = shutdown_on_signals();
        let (summary, _store) =
            crawl_then_extract(&ctx.config, store, &ctx.seed_rows, &opts, shutdown).await?;
        Ok::<_, anyhow::Error>(summary)
    })?;
    out!("{summary}")?;
    if summary.interrupted && nianbao::shutdown::stopped_by_ctrl_c() {
        return Err(Exit {
            code: EXIT_INTERRUPTED,
            message: format!(
                "stopped: crawl run #{} is kept, `nianbao crawl` resumes it",
                summary.run_id
            ),
        }
        .into());
    }
    if summary.hosts_tried > 0 && summary.hosts_all_failed == summary.hosts_tried {
        return Err(Exit {
            code: EXIT_NO_HOST_CRAWLED,
            message: format!(
                "no host could be crawled: all {} failed (see `nianbao status`)",
                summary.hosts_tried
            ),
        }
        .into());
    }
    Ok(())
}
