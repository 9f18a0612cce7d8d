//! `nianbao show`: one report as tables with its checks, warnings and revisions.

use super::{Common, Context};
use anyhow::{Result, bail};
use clap::Args;
use nianbao::export::sanitize::terminal;
use nianbao::report_view::render;
use nianbao::store::{ReportLookup, Revision};

/// Arguments of `show`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao show 卫滨区 2022\n  nianbao show 卫滨区 2022 --json\n  nianbao show --snapshot 42"
)]
pub struct ShowArgs {
    /// Agency name or alias (a part of it is enough when it names one agency).
    agency: Option<String>,
    /// Report year, e.g. 2023 (the year the report covers, not when it was published).
    year: Option<i32>,
    /// Show this archived snapshot (an id from the revisions list or `status`) instead.
    #[arg(long, value_name = "ID")]
    snapshot: Option<i64>,
    /// Print the canonical JSON structure instead of tables.
    #[arg(long)]
    json: bool,
}

/// Prints the current revision's extraction, then every revision.
pub fn run(args: ShowArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    let revs = match (args.snapshot, args.agency.as_deref(), args.year) {
        (Some(id), _, _) => {
            let revs = store.revisions(None, None, Some(id))?;
            match revs.first() {
                None => bail!("no archived snapshot {id} (or it has no page record)"),
                Some(r) if !r.kind.holds_report() => bail!(
                    "snapshot {id} is a {} page ({}), not a report: nothing to show",
                    r.kind.sql_text(),
                    r.url
                ),
                Some(_) => revs,
            }
        }
        (None, Some(agency), Some(year)) => match store.find_report(agency, year)? {
            ReportLookup::Found(revs) => revs,
            ReportLookup::Ambiguous(names) => bail!(
                "{agency:?} matches reports of {} agencies; give one of them:\n  {}",
                names.len(),
                names.join("\n  ")
            ),
            ReportLookup::NoSuchYear { agency, years } => bail!(
                "no archived {year} report of {agency}; it has reports for {}",
                years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ReportLookup::NoAgency => {
                bail!("no archived report of an agency matching {agency:?}, for any year")
            }
        },
        _ => bail!("give an agency and a year (`nianbao show 卫滨区 2022`) or --snapshot ID"),
    };
    let Some(current) = revs.iter().find(|r| r.result.is_some()).or(revs.first()) else {
        bail!("no archived report found");
    };
    match (&current.result, args.json) {
        (Some(ex), true) => outln!("{}", serde_json::to_string_pretty(ex)?)?,
        (Some(ex), false) => out!("{}", terminal(&render(ex)))?,
        (None, _) => outln!(
            "snapshot {} has no extraction yet: run `nianbao extract`",
            current.snapshot_id
        )?,
    }
    if !args.json {
        print_revisions(&revs, current)?;
    }
    Ok(())
}

fn print_revisions(revs: &[Revision], current: &Revision) -> std::io::Result<()> {
    outln!(
        "\nrevisions ({}) of {}:",
        revs.len(),
        terminal(current.agency.as_deref().unwrap_or("?"))
    )?;
    for r in revs {
        let line = format!(
            "  {} snapshot {:<6} {} {} {} [{}] {}",
            if r.snapshot_id == current.snapshot_id {
                "*"
            } else {
                " "
            },
            r.snapshot_id,
            r.fetched_at,
            r.format,
            &r.sha256[..12.min(r.sha256.len())],
            r.status.map_or("not extracted", |s| s.as_str()),
            r.url
        );
        // URLs come from the network: no control characters to the terminal.
        outln!("{}", terminal(&line))?;
    }
    Ok(())
}
