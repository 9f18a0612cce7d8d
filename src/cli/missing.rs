//! `nianbao missing`: seed agencies with no report for a year, with the reason.

use super::{Common, Context, Output};
use anyhow::Result;
use clap::Args;
use nianbao::export;

/// Arguments of `missing`.
#[derive(Args, Debug)]
pub struct MissingArgs {
    #[arg(long)]
    year: i32,
    /// Only agencies whose region starts with this (e.g. 辽宁省沈阳市).
    #[arg(long)]
    region: Option<String>,
    #[command(flatten)]
    output: Output,
}

/// Prints the list as a table, or writes it in the chosen format.
pub fn run(args: MissingArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let year = args.year;
    let rows = export::missing(&store, year, args.region.as_deref())?;
    let needs_browser = store.needs_browser()?;
    if !needs_browser.is_empty() {
        // On stderr, so exports stay clean: reports may hide behind lists built by script.
        eprintln!(
            "note: {} page(s) of the last crawl list reports by script and need a browser; {}",
            needs_browser.len(),
            nianbao::render::INSTALL_HINT
        );
    }
    match args.output.format()? {
        Some(f) => args
            .output
            .emit(f, |w| export::write_missing(&rows, f, w))?,
        None => {
            println!("{} seed agencies have no report for {year}:", rows.len());
            for r in &rows {
                println!(
                    "  {} ({}) — {}: {}",
                    r.agency,
                    r.region,
                    r.reason.as_str(),
                    r.detail
                );
            }
        }
    }
    Ok(())
}
