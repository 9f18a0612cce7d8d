//! `nianbao crawl`: crawl the seeds (or some of them), archive, extract what is new.

use super::{Common, Context, command_line, runtime};
use anyhow::{Result, anyhow};
use clap::Args;
use nianbao::config::parse_years;
use nianbao::crawl::CrawlOptions;
use nianbao::pipeline::crawl_then_extract;
use nianbao::shutdown::shutdown_on_signals;
use nianbao::store::lock::ArchiveLock;

/// Arguments of `crawl`.
#[derive(Args, Debug)]
pub struct CrawlArgs {
    /// Only seeds whose agency, alias or region contains this text.
    #[arg(long)]
    agency: Option<String>,
    /// Report years to archive, e.g. 2022-2024 or 2023 (default: the config's, else all).
    #[arg(long)]
    years: Option<String>,
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
    let opts = CrawlOptions {
        agency_filter: args.agency,
        years,
        command: command_line(),
        skip_extraction: false,
    };
    let _lock = ArchiveLock::acquire(&ctx.db, &opts.command)?;
    let store = ctx.open_store()?;
    let summary = runtime()?.block_on(async {
        let shutdown = shutdown_on_signals();
        let (summary, _store) =
            crawl_then_extract(&ctx.config, store, &ctx.seed_rows, &opts, shutdown).await?;
        Ok::<_, anyhow::Error>(summary)
    })?;
    print!("{summary}");
    Ok(())
}
