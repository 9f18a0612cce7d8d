//! `nianbao discovered`: agencies found in report titles that are not in the seeds.

use super::{Common, Context, Output};
use anyhow::Result;
use clap::Args;
use nianbao::export;
use nianbao::export::sanitize::terminal;

/// Arguments of `discovered`.
#[derive(Args, Debug)]
pub struct DiscoveredArgs {
    #[command(flatten)]
    output: Output,
}

/// Prints the discovered agencies, or writes them in the chosen format.
pub fn run(args: DiscoveredArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let rows = export::discovered(&store)?;
    match args.output.format()? {
        Some(f) => args
            .output
            .emit(f, |w| export::write_discovered(&rows, f, w))?,
        None => {
            println!(
                "{} agencies found in report titles but not in the seeds:",
                rows.len()
            );
            for d in &rows {
                let years: Vec<String> = d.years.iter().map(i32::to_string).collect();
                let line = format!(
                    "  {} ({}) years {} — {} report(s), e.g. {}",
                    d.agency_name,
                    d.region,
                    years.join(","),
                    d.reports,
                    d.first_url
                );
                // Names come from page titles: no control characters to the terminal.
                println!("{}", terminal(&line));
            }
        }
    }
    Ok(())
}
