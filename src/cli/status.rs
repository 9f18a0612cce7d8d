//! `nianbao status`: last runs, archive size, reports by year, errors by host.

use super::{Common, Context};
use anyhow::Result;
use clap::Args;

/// Arguments of `status`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  nianbao status\n  nianbao status --runs 3 --json | jq .runs")]
pub struct StatusArgs {
    /// How many runs to list, newest first.
    #[arg(long, default_value_t = 10, value_name = "N")]
    runs: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Prints the archive's status as text or JSON.
pub fn run(args: StatusArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let mut status = nianbao::status::status(&store, args.runs)?;
    status.timezone = ctx.config.schedule.timezone.parse().ok();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&status)?)?;
    } else {
        // Errors and URLs come from the network: no control characters to the terminal.
        out!(
            "{}",
            nianbao::export::sanitize::terminal(&status.to_string())
        )?;
    }
    Ok(())
}
