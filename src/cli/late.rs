//! `nianbao late`: reports published after 31 January of the next year, and undated ones.

use super::{Common, Context, Output};
use anyhow::Result;
use clap::Args;
use nianbao::export;

/// Arguments of `late`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao late --year 2023\n  nianbao late --year 2023 --out late-2023.xlsx"
)]
pub struct LateArgs {
    /// Report year, e.g. 2023 (late: published after 31 January 2024).
    #[arg(long)]
    year: i32,
    #[command(flatten)]
    output: Output,
}

/// Prints the late and undated reports, or writes them in the chosen format.
pub fn run(args: LateArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let year = args.year;
    let report = export::late(&store, year)?;
    match args.output.format()? {
        Some(f) => args.output.emit(f, |w| export::write_late(&report, f, w))?,
        None => {
            let deadline = export::deadline(year).map_or("?".to_string(), |d| d.to_string());
            outln!(
                "{} reports for {year} published after the deadline ({deadline}):",
                report.late.len()
            )?;
            for e in &report.late {
                outln!(
                    "  {} published {} ({} days late) {}",
                    e.agency,
                    e.publish_date.map_or("?".to_string(), |d| d.to_string()),
                    e.days_late.unwrap_or(0),
                    e.url
                )?;
            }
            outln!(
                "{} reports for {year} with no publish date:",
                report.undated.len()
            )?;
            for e in &report.undated {
                outln!("  {} {}", e.agency, e.url)?;
            }
        }
    }
    Ok(())
}
