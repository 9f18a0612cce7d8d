//! The `nianbao` command line: parses arguments, loads config and seeds with
//! clear errors, takes the archive lock, and calls the library.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use nianbao::archive_extract::{ExtractFilter, extract_archive, revisions};
use nianbao::config::{Config, parse_years};
use nianbao::crawl::{self, CrawlOptions, CrawlSummary};
use nianbao::export::{self, Format};
use nianbao::report_view::render;
use nianbao::schedule::{JobContext, JobCounts, Scheduler, SystemClock, shutdown_on_signals};
use nianbao::seeds;
use nianbao::store::Store;
use nianbao::store::lock::ArchiveLock;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod cli {
    pub mod compare;
    pub mod serve;
}

#[derive(Parser, Debug)]
#[command(
    name = "nianbao",
    version,
    about = "Crawl, archive and extract 政府信息公开工作年度报告 (government information-disclosure annual reports)"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes, so a run can be pointed anywhere without editing files.
#[derive(Args, Debug, Clone)]
struct Common {
    /// The configuration file.
    #[arg(long, global = true, default_value = "crawler.toml")]
    config: PathBuf,
    /// A seed CSV file or a folder of them (overrides `storage.seeds`).
    #[arg(long, global = true)]
    seeds: Option<PathBuf>,
    /// The SQLite archive (overrides `storage.database`).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Crawl the seeds' portals and archive what is found (resumes an interrupted run).
    Crawl {
        /// Only seeds whose agency, alias or region contains this text.
        #[arg(long)]
        agency: Option<String>,
        /// Report years to archive, e.g. 2022-2024 or 2023 (default: the config's, else all).
        #[arg(long)]
        years: Option<String>,
    },
    /// Re-run extraction over archived report snapshots (offline, all cores, idempotent).
    Extract {
        /// Only reports of agencies whose name or alias contains this.
        #[arg(long)]
        agency: Option<String>,
        /// Only reports for this year.
        #[arg(long)]
        year: Option<i32>,
        /// Only snapshots fetched since this date (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Re-extract even where this extractor version already has a result.
        #[arg(long)]
        force: bool,
    },
    /// Extract local report files (HTML, text, DOCX, PDF) without any database.
    Parse {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per file per line (the canonical structure plus checks and warnings).
        #[arg(long)]
        json: bool,
    },
    /// Show one extracted report as tables, with checks, warnings and revisions.
    Show {
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
    },
    /// Offline: serve the bundled sample portal on 127.0.0.1, crawl it, print what was found.
    Demo,
    /// Seed agencies with no report for a year, with what to do about each.
    Missing {
        #[arg(long)]
        year: i32,
        /// Only agencies whose region starts with this (e.g. 辽宁省沈阳市).
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Reports for a year published after 31 January of the next year, and undated ones.
    Late {
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        output: Output,
    },
    /// Agency names found in report titles that are not in the seeds.
    Discovered {
        #[command(flatten)]
        output: Output,
    },
    /// Export the current extracted reports (csv with BOM, jsonl, json, xlsx).
    Export {
        /// Report year (default: every year).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, default_value = "csv")]
        format: String,
        /// CSV only: one row per (report, part, row, column, value).
        #[arg(long)]
        long: bool,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export archived snapshots as WARC 1.1 files (gzip per record, revisits for identical bodies).
    Warc {
        #[arg(long)]
        out: PathBuf,
        /// Only report pages and report attachments.
        #[arg(long)]
        reports_only: bool,
    },
    /// Run in the foreground: crawl + extract on the cron schedule of crawler.toml.
    Schedule,
    /// Print performance figures measured against local servers (build with --release).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// A local read-only web dashboard over the archive (http://127.0.0.1:8730).
    Serve(cli::serve::ServeArgs),
    /// One agency's key figures across years, with year-over-year changes.
    Compare(cli::compare::CompareArgs),
    /// Last runs, what the archive holds, errors by host.
    Status {
        /// How many runs to list.
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Where a list goes: a text table on the terminal, or a file/stream in a format.
#[derive(Args, Debug, Clone)]
struct Output {
    /// csv, json or xlsx (default: a text table, or the --out file's extension).
    #[arg(long)]
    format: Option<String>,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl Output {
    /// The chosen format, or None for a text table on standard output.
    fn format(&self) -> Result<Option<Format>> {
        let name = match (&self.format, &self.out) {
            (Some(f), _) => f.clone(),
            (None, Some(out)) => out
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("csv")
                .to_string(),
            (None, None) => return Ok(None),
        };
        Ok(Some(name.parse::<Format>()?))
    }

    /// Writes with `write` to the file (atomically) or to standard output.
    fn emit(
        &self,
        format: Format,
        write: impl FnOnce(&mut dyn std::io::Write) -> nianbao::export::Result<()>,
    ) -> Result<()> {
        match &self.out {
            Some(path) => {
                export::write_file(path, write)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            None => {
                refuse_binary_to_terminal(format)?;
                let mut stdout = std::io::stdout().lock();
                write(&mut stdout)?;
            }
        }
        Ok(())
    }
}

fn refuse_binary_to_terminal(format: Format) -> Result<()> {
    use std::io::IsTerminal;
    if format == Format::Xlsx && std::io::stdout().is_terminal() {
        bail!("xlsx is a binary file: give --out FILE.xlsx");
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Crawl a synthetic local portal of H hosts × P listing pages at a rate per host.
    Crawl {
        #[arg(long, default_value_t = 4)]
        hosts: usize,
        #[arg(long, default_value_t = 20)]
        pages: usize,
        /// Requests per second per host.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
    },
    /// Re-extract an archive of N report snapshots; compare with DOM parsing alone.
    Reextract {
        #[arg(long, default_value_t = 10_000)]
        snapshots: usize,
    },
    /// Peak memory with a large frontier in the archive.
    Frontier {
        #[arg(long, default_value_t = 100_000)]
        urls: usize,
        /// How many of them to fetch.
        #[arg(long, default_value_t = 2000)]
        fetch: usize,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.common.verbose);
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `nianbao export … | head` closing the pipe early is not an error.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "nianbao=warn",
        1 => "nianbao=info",
        _ => "nianbao=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> Result<()> {
    let common = cli.common;
    match cli.command {
        Command::Crawl { agency, years } => {
            let ctx = Context_::load(&common, true)?;
            let years = years
                .as_deref()
                .map(|y| parse_years(y).map_err(|m| anyhow::anyhow!("--years {y:?}: {m}")))
                .transpose()?
                .flatten();
            let opts = CrawlOptions {
                agency_filter: agency,
                years,
                command: std::env::args().collect::<Vec<_>>().join(" "),
                skip_extraction: false,
            };
            let summary = ctx.crawl(&opts)?;
            print_crawl_summary(&summary);
            Ok(())
        }
        Command::Extract {
            agency,
            year,
            since,
            force,
        } => {
            let ctx = Context_::load(&common, false)?;
            let _lock = ArchiveLock::acquire(&ctx.db, "nianbao extract")?;
            let mut store = ctx.open_store()?;
            let run_id =
                store.begin_run("extract", &std::env::args().collect::<Vec<_>>().join(" "))?;
            let filter = ExtractFilter {
                agency,
                year,
                since,
                snapshot_ids: None,
                force,
            };
            let bar = progress_bar();
            let summary = extract_archive(&mut store, &filter, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            });
            bar.finish_and_clear();
            let summary = match summary {
                Ok(s) => s,
                Err(e) => {
                    store.finish_run(run_id, "failed", Some(&e.to_string()))?;
                    return Err(e.into());
                }
            };
            store.add_extracted(run_id, summary.reports as i64)?;
            store.finish_run(run_id, "completed", None)?;
            print_extract_summary(&summary);
            Ok(())
        }
        Command::Parse { files, json } => {
            let mut failures = 0;
            for file in &files {
                let bytes = match std::fs::read(file) {
                    Ok(b) => b,
                    Err(e) => {
                        eprintln!("error: {}: {e}", file.display());
                        failures += 1;
                        continue;
                    }
                };
                let ex = parse_file(file, &bytes);
                if json {
                    let mut value = serde_json::to_value(&ex)?;
                    value["file"] = serde_json::Value::String(file.display().to_string());
                    println!("{}", serde_json::to_string(&value)?);
                } else {
                    println!("== {}", file.display());
                    println!("{}", render(&ex));
                }
            }
            if failures > 0 {
                bail!("{failures} of {} files could not be read", files.len());
            }
            Ok(())
        }
        Command::Show {
            agency,
            year,
            snapshot,
            json,
        } => {
            let ctx = Context_::load(&common, false)?;
            let store = ctx.open_store()?;
            if snapshot.is_none() && (agency.is_none() || year.is_none()) {
                bail!("give an agency and a year (`nianbao show 卫滨区 2022`) or --snapshot ID");
            }
            let revs = revisions(&store, agency.as_deref(), year, snapshot)?;
            let Some(current) = revs.iter().find(|r| r.result.is_some()).or(revs.first()) else {
                bail!(
                    "no archived report for {} {}",
                    agency.as_deref().unwrap_or("?"),
                    year.map_or(String::new(), |y| y.to_string())
                );
            };
            match (&current.result, json) {
                (Some(ex), true) => println!("{}", serde_json::to_string_pretty(ex)?),
                (Some(ex), false) => print!("{}", render(ex)),
                (None, _) => println!(
                    "snapshot {} has no extraction yet: run `nianbao extract`",
                    current.snapshot_id
                ),
            }
            if !json {
                println!(
                    "
revisions ({}):",
                    revs.len()
                );
                for r in &revs {
                    println!(
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
                        r.status.as_deref().unwrap_or("not extracted"),
                        r.url
                    );
                }
            }
            Ok(())
        }
        Command::Demo => {
            let ctx = Context_::load(&common, false)?;
            let db = match &common.db {
                Some(db) => db.clone(),
                None => std::env::temp_dir()
                    .join(format!("nianbao-demo-{}", std::process::id()))
                    .join("demo.db"),
            };
            if db.exists() {
                bail!(
                    "{} exists; the demo starts from an empty archive (give another --db)",
                    db.display()
                );
            }
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let outcome = runtime.block_on(nianbao::demo::run(&ctx.config, &db))?;
            println!(
                "Served the sample portal (4 hosts on 127.0.0.1) and crawled it into {}",
                outcome.db.display()
            );
            print_crawl_summary(&outcome.summary);
            let found = nianbao::demo::found_reports(&outcome.store)?;
            println!(
                "\nReports found ({} expected in the sample portal):",
                outcome.expected_reports
            );
            for r in &found {
                println!(
                    "  {}{} {} [{}] published {} — extraction {}, new applications {}, {} check(s) broken\n      {}",
                    r.agency,
                    if r.in_seeds {
                        ""
                    } else {
                        " (not in seeds: discovered)"
                    },
                    r.year,
                    r.format,
                    r.publish_date.as_deref().unwrap_or("?"),
                    r.status.as_deref().unwrap_or("-"),
                    r.new_received_total
                        .map_or("-".to_string(), |v| v.to_string()),
                    r.checks_failed,
                    r.url
                );
            }
            println!("\n{}", nianbao::status::status(&outcome.store, 3)?);
            println!(
                "Explore it: nianbao --db {} show 卫滨区 2022",
                outcome.db.display()
            );
            Ok(())
        }
        Command::Missing {
            year,
            region,
            output,
        } => {
            let ctx = Context_::load(&common, false)?;
            let store = ctx.open_store()?;
            let rows = export::missing(&store, year, region.as_deref())?;
            match output.format()? {
                Some(f) => output.emit(f, |w| export::write_missing(&rows, f, w))?,
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
        Command::Late { year, output } => {
            let ctx = Context_::load(&common, false)?;
            let store = ctx.open_store()?;
            let report = export::late(&store, year)?;
            match output.format()? {
                Some(f) => output.emit(f, |w| export::write_late(&report, f, w))?,
                None => {
                    let deadline =
                        export::deadline(year).map_or("?".to_string(), |d| d.to_string());
                    println!(
                        "{} reports for {year} published after the deadline ({deadline}):",
                        report.late.len()
                    );
                    for e in &report.late {
                        println!(
                            "  {} published {} ({} days late) {}",
                            e.agency,
                            e.publish_date.as_deref().unwrap_or("?"),
                            e.days_late.unwrap_or(0),
                            e.url
                        );
                    }
                    println!(
                        "{} reports for {year} with no publish date:",
                        report.undated.len()
                    );
                    for e in &report.undated {
                        println!("  {} {}", e.agency, e.url);
                    }
                }
            }
            Ok(())
        }
        Command::Discovered { output } => {
            let ctx = Context_::load(&common, false)?;
            let store = ctx.open_store()?;
            let rows = export::discovered(&store)?;
            match output.format()? {
                Some(f) => output.emit(f, |w| export::write_discovered(&rows, f, w))?,
                None => {
                    println!(
                        "{} agencies found in report titles but not in the seeds:",
                        rows.len()
                    );
                    for d in &rows {
                        let years: Vec<String> = d.years.iter().map(i32::to_string).collect();
                        println!(
                            "  {} ({}) years {} — {} report(s), e.g. {}",
                            d.agency_name,
                            d.region,
                            years.join(","),
                            d.reports,
                            d.first_url
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Export {
            year,
            format,
            long,
            out,
        } => {
            let ctx = Context_::load(&common, false)?;
            let store = ctx.open_store()?;
            let format: Format = format.parse()?;
            let summary = match &out {
                Some(path) => export::export_to_path(&store, year, format, long, path)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => {
                    refuse_binary_to_terminal(format)?;
                    export::export(&store, year, format, long, &mut std::io::stdout().lock())?
                }
            };
            eprintln!(
                "exported {} reports ({} extracted), {} rows",
                summary.reports, summary.extracted, summary.rows
            );
            Ok(())
        }
        Command::Warc { out, reports_only } => {
            let ctx = Context_::load(&common, false)?;
            let store = ctx.open_store()?;
            let opts = export::WarcOptions {
                reports_only,
                ..Default::default()
            };
            let s = export::write_warc(&store, &out, &opts)
                .with_context(|| format!("writing WARC files to {}", out.display()))?;
            println!(
                "wrote {} WARC file(s) to {}: {} response and {} revisit records ({} skipped), {:.1} MB",
                s.files.len(),
                out.display(),
                s.responses,
                s.revisits,
                s.skipped,
                s.bytes as f64 / 1e6
            );
            Ok(())
        }
        Command::Schedule => {
            let ctx = Context_::load(&common, true)?;
            ctx.schedule()
        }
        Command::Bench { what } => {
            let dir = std::env::temp_dir().join(format!("nianbao-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let result = runtime.block_on(async {
                match what {
                    BenchCommand::Crawl { hosts, pages, rate } => {
                        let f = nianbao::bench::crawl_bench(&dir, hosts, pages, rate).await?;
                        println!(
                            "crawl bench: {} hosts × {} listing pages at {rate}/s per host: {} requests ({} on the busiest host)",
                            f.hosts, pages, f.requests, f.max_host_requests
                        );
                        println!(
                            "  wall {:.2} s vs politeness floor {:.2} s → efficiency {:.3}; {:.1} pages/s; {} CPU s per 1,000 pages; peak RSS {} MB",
                            f.wall.as_secs_f64(),
                            f.politeness_floor.as_secs_f64(),
                            f.efficiency,
                            f.pages_per_second,
                            f.cpu_seconds_per_1000.map_or("?".into(), |c| format!("{c:.2}")),
                            f.peak_rss_mb.map_or("?".into(), |m| format!("{m:.1}"))
                        );
                    }
                    BenchCommand::Reextract { snapshots } => {
                        let f = tokio::task::block_in_place(|| nianbao::bench::reextract_bench(&dir, snapshots))?;
                        println!(
                            "re-extraction bench: {} report snapshots (archive built in {:.1} s)",
                            f.snapshots,
                            f.build.as_secs_f64()
                        );
                        println!(
                            "  extract {:.2} s on {} threads ({:.0} reports/s, {:.0} per core; {} complete) vs DOM parse only {:.2} s → ratio {:.2}; peak RSS {} MB",
                            f.wall.as_secs_f64(),
                            f.threads,
                            f.snapshots as f64 / f.wall.as_secs_f64(),
                            f.snapshots as f64 / f.wall.as_secs_f64() / f.threads as f64,
                            f.complete,
                            f.parse_only.as_secs_f64(),
                            f.wall.as_secs_f64() / f.parse_only.as_secs_f64(),
                            f.peak_rss_mb.map_or("?".into(), |m| format!("{m:.1}"))
                        );
                    }
                    BenchCommand::Frontier { urls, fetch } => {
                        let (wall, rss, fetched) = nianbao::bench::frontier_bench(&dir, urls, fetch).await?;
                        println!(
                            "frontier bench: {urls} pending URLs in the frontier, {fetched} fetched in {:.2} s; peak RSS {} MB",
                            wall.as_secs_f64(),
                            rss.map_or("?".into(), |m| format!("{m:.1}"))
                        );
                    }
                }
                Ok::<_, anyhow::Error>(())
            });
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
        Command::Serve(args) => {
            let ctx = Context_::load(&common, false)?;
            cli::serve::run(args, &ctx.db)
        }
        Command::Compare(args) => {
            let ctx = Context_::load(&common, false)?;
            let store = Store::open_read_only(&ctx.db)
                .with_context(|| format!("opening the archive {}", ctx.db.display()))?;
            cli::compare::run(args, &store)
        }
        Command::Status { runs, json } => {
            let ctx = Context_::load(&common, false)?;
            let store = ctx.open_store()?;
            let status = nianbao::status::status(&store, runs)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{status}");
            }
            Ok(())
        }
    }
}

/// Config, seeds and database path resolved from the command line.
struct Context_ {
    config: Config,
    db: PathBuf,
    seed_rows: Vec<seeds::SeedRow>,
}

impl Context_ {
    /// Loads and validates everything before the database is touched, so a bad
    /// config or seed file writes nothing.
    fn load(common: &Common, need_seeds: bool) -> Result<Context_> {
        let config = if common.config.exists() || common.config != Path::new("crawler.toml") {
            Config::load(&common.config)?
        } else {
            Config::default()
        };
        let db = common.db.clone().unwrap_or_else(|| config.database_path());
        let seed_paths = match &common.seeds {
            Some(p) => vec![p.clone()],
            None => config.seed_paths(),
        };
        let seed_rows = if need_seeds {
            let rows = seeds::load(&seed_paths)?;
            if rows.is_empty() {
                bail!(
                    "no seed rows in {}",
                    seed_paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            rows
        } else {
            Vec::new()
        };
        Ok(Context_ {
            config,
            db,
            seed_rows,
        })
    }

    fn open_store(&self) -> Result<Store> {
        Store::open(&self.db).with_context(|| format!("opening the archive {}", self.db.display()))
    }

    fn crawl(&self, opts: &CrawlOptions) -> Result<CrawlSummary> {
        let _lock = ArchiveLock::acquire(&self.db, &opts.command)?;
        let store = self.open_store()?;
        let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        runtime.block_on(async {
            let shutdown = shutdown_on_signals();
            let (summary, _store) =
                crawl::run(&self.config, store, &self.seed_rows, opts, shutdown).await?;
            Ok(summary)
        })
    }
}

impl Context_ {
    /// The long-lived scheduler: each tick a crawl (which extracts what it archived).
    fn schedule(&self) -> Result<()> {
        let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        runtime.block_on(async {
            let scheduler = Scheduler::new(&self.db, &self.config.schedule, Arc::new(SystemClock))?;
            let now = chrono::Utc::now();
            println!(
                "scheduler on {}: cron {:?} in {}; next run {}",
                self.db.display(),
                self.config.schedule.cron,
                self.config.schedule.timezone,
                scheduler.next_tick(now)?
            );
            let config = self.config.clone();
            let rows = self.seed_rows.clone();
            let db = self.db.clone();
            let mut job = move |jc: JobContext| {
                let config = config.clone();
                let rows = rows.clone();
                let db = db.clone();
                async move {
                    let store = Store::open(&db)?;
                    let opts = CrawlOptions {
                        command: format!("nianbao schedule (tick {})", jc.scheduled_for),
                        agency_filter: None,
                        years: None,
                        skip_extraction: !config.schedule.extract_after_crawl,
                    };
                    let (s, _store) =
                        crawl::run(&config, store, &rows, &opts, jc.shutdown.clone()).await?;
                    print_crawl_summary(&s);
                    Ok(JobCounts {
                        pages_fetched: s.pages_fetched as i64,
                        snapshots_new: s.snapshots_new as i64,
                        bodies_new: s.bodies_new as i64,
                        reports_found: s.reports_found as i64,
                        extracted: s.extracted.as_ref().map_or(0, |e| e.reports as i64),
                        errors: s.failed as i64,
                    })
                }
            };
            let summary = scheduler.run(&mut job, shutdown_on_signals()).await?;
            println!(
                "scheduler stopped: {} runs ({} failed, {} caught up)",
                summary.runs, summary.failed, summary.caught_up
            );
            Ok(())
        })
    }
}

fn print_crawl_summary(s: &CrawlSummary) {
    println!(
        "crawl run #{}{}: {} pages fetched ({} not modified), {} new snapshots ({} new bodies), {} reports, {} skipped, {} failed",
        s.run_id,
        if s.resumed { " (resumed)" } else { "" },
        s.pages_fetched,
        s.not_modified,
        s.snapshots_new,
        s.bodies_new,
        s.reports_found,
        s.skipped,
        s.failed
    );
    if s.interrupted {
        println!("interrupted: run `nianbao crawl` again to resume");
    }
    for (host, n) in &s.failures_by_host {
        println!("  {n} failed on {host} (see `nianbao status`)");
    }
}

fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} reports {per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn print_extract_summary(s: &nianbao::archive_extract::ExtractSummary) {
    println!(
        "extracted {} reports: {} complete, {} partial, {} not a report, {} failed, {} unsupported/scanned; \
         {} with check failures ({} rule breaks), {} with warnings; {} new or changed results",
        s.reports,
        s.complete,
        s.partial,
        s.not_report,
        s.failed,
        s.unsupported,
        s.with_check_failures,
        s.rule_breaks,
        s.with_warnings,
        s.changed
    );
}

/// Extracts a local file by its format (content sniffed, then the extension).
fn parse_file(path: &Path, bytes: &[u8]) -> nianbao::extract::Extraction {
    let content_type = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm" | "shtml") => Some("text/html"),
        Some("txt") => Some("text/plain"),
        _ => None,
    };
    let meta = nianbao::store::PageMetaRow {
        format: nianbao::formats::sniff(bytes, content_type, Some(&path.to_string_lossy()))
            .as_str()
            .to_string(),
        ..Default::default()
    };
    nianbao::archive_extract::extract_bytes(bytes, content_type, &meta)
}
