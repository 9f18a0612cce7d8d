//! `nianbao discovered`: agencies found in report titles that are not in the seeds.

use super::{Common, Context, Output};
use anyhow::Result;
use clap::Args;
use nianbao::export;
use nianbao::export::sanitize::terminal;

/// Arguments of `discovered`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao discovered\n  nianbao discovered --format seeds --out seeds/discovered.csv"
)]
pub struct DiscoveredArgs {
    /// csv, json, jsonl, xlsx, or seeds: a seed file to review and put into seeds/
    /// (default: the --out file's extension, else a text table).
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Output file, e.g. discovered.xlsx (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
}

/// Prints the discovered agencies, or writes them in the chosen format.
pub fn run(args: DiscoveredArgs, common: &Common) -> Result<()> {
    let seeds_asked = args.format.as_deref() == Some("seeds");
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let rows = export::discovered(&store)?;
    let output = Output {
        format: args.format.filter(|f| f != "seeds"),
        out: args.out,
    };
    if seeds_asked
        && let Some(ext) = output.out.as_deref().and_then(|p| p.extension())
        && ext != "csv"
    {
        anyhow::bail!("--format seeds writes a seed CSV: give --out FILE.csv");
    }
    if output.format.is_none() && seeds_asked {
        return output.emit(nianbao::export::OutputFormat::Csv, |w| {
            export::write_discovered_seeds(&rows, w)
        });
    }
    match output.format()? {
        Some(f) => output.emit(f, |w| export::write_discovered(&rows, f, w))?,
        None => {
            outln!(
                "{} agencies found in report titles but not in the seeds:",
                rows.len()
            )?;
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
                outln!("{}", terminal(&line))?;
            }
        }
    }
    Ok(())
}
