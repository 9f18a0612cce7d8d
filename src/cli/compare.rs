//! `nianbao compare`: one agency's key figures across years, with the change
//! from each year to the next and the cross-year checks.

use super::{Common, Context};
use anyhow::{Result, bail};
use clap::Args;
use nianbao::compare::{FIGURES, agency_years, find_agency};
use nianbao::config::parse_years;

/// Arguments of `compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Agency name or alias (a part of it is enough when only one agency matches).
    agency: String,
    /// Years, e.g. 2022-2024 (default: every year with a report).
    #[arg(long)]
    years: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Prints the comparison.
pub fn run(args: CompareArgs, common: &Common) -> Result<()> {
    let store = &Context::load(common, false)?.read_store()?;
    let years = match args.years.as_deref() {
        Some(y) => parse_years(y).map_err(|e| anyhow::anyhow!("--years {y}: {e}"))?,
        None => None,
    };
    let agency = match find_agency(store, &args.agency)? {
        Ok(a) => a,
        Err(names) if names.is_empty() => bail!("no seed agency matches {:?}", args.agency),
        Err(names) => bail!(
            "{:?} matches {} agencies; be more specific: {}",
            args.agency,
            names.len(),
            names.join(", ")
        ),
    };
    let ay = agency_years(store, &agency, years)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&ay)?);
        return Ok(());
    }
    println!("{} ({} {})", ay.agency, ay.region, ay.level);
    let mut header = format!("{:<20}", "");
    for c in &ay.years {
        header.push_str(&format!("{:>16}", c.year));
    }
    println!("{header}");
    let cell = |s: String| format!("{s:>16}");
    let mut line = format!("{:<20}", "published");
    for c in &ay.years {
        line.push_str(&cell(match &c.report {
            None => "missing".into(),
            Some(r) => match r.days_late {
                Some(d) => format!("{} +{d}d", r.publish_date.as_deref().unwrap_or("?")),
                None => r.publish_date.clone().unwrap_or_else(|| "undated".into()),
            },
        }));
    }
    println!("{line}");
    let num = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x}"));
    for (i, f) in FIGURES.iter().enumerate() {
        let mut line = format!("{:<20}", f.key);
        for c in &ay.years {
            let v = c.report.as_ref().and_then(|r| r.values[i]);
            let d = c.delta[i].map(|d| format!(" ({d:+})")).unwrap_or_default();
            line.push_str(&cell(format!("{}{d}", num(v))));
        }
        println!("{line}");
    }
    for c in &ay.years {
        for r in c.cross_year.iter().filter(|r| r.ok == Some(false)) {
            println!(
                "✗ {}→{} {}: {} ({} vs {})",
                c.year - 1,
                c.year,
                r.scope,
                r.detail,
                num(r.left),
                num(r.right)
            );
        }
    }
    Ok(())
}
