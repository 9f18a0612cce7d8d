//! `nianbao show`: one report as tables with its checks, warnings and revisions.

use super::{Common, Context};
use anyhow::{Result, bail};
use clap::Args;
use nianbao::export::sanitize::terminal;
use nianbao::report_view::render;

/// Arguments of `show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Agency name or alias (a part of it is enough).
    agency: Option<String>,
    /// Report year.
    year: Option<i32>,
    /// Show this snapshot instead.
    #[arg(long)]
    snapshot: Option<i64>,
    /// Print the canonical JSON structure instead.
    #[arg(long)]
    json: bool,
}

/// Prints the current revision's extraction, then every revision.
pub fn run(args: ShowArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let store = ctx.read_store()?;
    if args.snapshot.is_none() && (args.agency.is_none() || args.year.is_none()) {
        bail!("give an agency and a year (`nianbao show 卫滨区 2022`) or --snapshot ID");
    }
    let revs = store.revisions(args.agency.as_deref(), args.year, args.snapshot)?;
    let Some(current) = revs.iter().find(|r| r.result.is_some()).or(revs.first()) else {
        bail!(
            "no archived report for {} {}",
            args.agency.as_deref().unwrap_or("?"),
            args.year.map_or(String::new(), |y| y.to_string())
        );
    };
    match (&current.result, args.json) {
        (Some(ex), true) => println!("{}", serde_json::to_string_pretty(ex)?),
        (Some(ex), false) => print!("{}", terminal(&render(ex))),
        (None, _) => println!(
            "snapshot {} has no extraction yet: run `nianbao extract`",
            current.snapshot_id
        ),
    }
    if !args.json {
        println!("\nrevisions ({}):", revs.len());
        for r in &revs {
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
            println!("{}", terminal(&line));
        }
    }
    Ok(())
}
