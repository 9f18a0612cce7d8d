//! `nianbao missing`: seed agencies with no report for a year, with the reason.

use super::{Common, Context, Output};
use anyhow::Result;
use clap::Args;
use nianbao::export;

/// Arguments of `missing`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao missing --year 2023\n  nianbao missing --year 2023 --region 沈阳市 --out missing-2023.xlsx\n  nianbao missing --year 2023 --seeds seeds/plus.csv"
)]
pub struct MissingArgs {
    /// Report year, e.g. 2023 (due by 31 January of the next year).
    #[arg(long)]
    year: i32,
    /// Only agencies whose region contains this at any level, e.g. 辽宁省, 沈阳市 or 辽中区.
    #[arg(long, value_name = "TEXT")]
    region: Option<String>,
    #[command(flatten)]
    output: Output,
}

/// Prints the list as a table, or writes it in the chosen format.
pub fn run(args: MissingArgs, common: &Common) -> Result<()> {
    // With --seeds, the agencies judged are those of the file(s) given, not the
    // archive's: the file must exist and parse.
    let ctx = Context::load(common, common.seeds.is_some())?;
    let store = ctx.read_store()?;
    let year = args.year;
    let region = args.region.as_deref();
    let mut rows = match common.seeds {
        Some(_) => export::missing_for_seeds(&store, year, region, &ctx.seed_rows)?,
        None => export::missing(&store, year, region)?,
    };
    let deadline = export::deadline(year);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let due = deadline.is_some_and(|d| today > d);
    if !due {
        // Before the deadline no report is missing yet: listing every agency
        // as missing would mislead.
        let d = deadline.map_or("?".to_string(), |d| d.to_string());
        let not_yet = rows.len();
        rows.clear();
        let msg = format!(
            "the {year} reports are due by {d} (Beijing time) and that has not passed: \
             none is missing yet ({not_yet} agencies have no {year} report archived so far; \
             `nianbao late --year {year}` and `status` show what is in)"
        );
        if args.output.format()?.is_some() {
            errln!("{msg}");
        } else {
            outln!("{msg}")?;
            return Ok(());
        }
    }
    let needs_browser = store.needs_browser()?;
    if !needs_browser.is_empty() {
        // On stderr, so exports stay clean: reports may hide behind lists built by script.
        errln!(
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
            outln!("{} seed agencies have no report for {year}:", rows.len())?;
            for r in &rows {
                outln!(
                    "  {} ({}) — {}: {}",
                    r.agency,
                    r.region,
                    r.reason.as_str(),
                    r.detail
                )?;
            }
        }
    }
    Ok(())
}
