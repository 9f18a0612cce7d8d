//! The command line: the options every command takes, the subcommands (one
//! module each, with its arguments and its `run`), and what they share —
//! loading config and seeds before anything is written, opening the archive,
//! writing an answer to a file or standard output, logging and exit codes.

#[cfg(feature = "sample-portal")]
pub mod bench;
#[cfg(feature = "sample-portal")]
pub mod bench_render;
pub mod crawl;
#[cfg(feature = "sample-portal")]
pub mod demo;
pub mod discovered;
pub mod export;
pub mod extract;
pub mod late;
pub mod missing;
pub mod parse;
pub mod schedule;
pub mod show;
pub mod status;
pub mod warc;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};
use nianbao::config::Config;
use nianbao::export::OutputFormat;
use nianbao::seeds;
use nianbao::store::Store;
use std::path::{Path, PathBuf};

/// The parsed command line.
#[derive(Parser, Debug)]
#[command(
    name = "nianbao",
    version,
    about = "Crawl, archive and extract 政府信息公开工作年度报告 (government information-disclosure annual reports)"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, so a run can be pointed anywhere without editing files.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The configuration file.
    #[arg(long, global = true, default_value = "crawler.toml")]
    pub config: PathBuf,
    /// A seed CSV file or a folder of them (overrides `storage.seeds`).
    #[arg(long, global = true)]
    pub seeds: Option<PathBuf>,
    /// The SQLite archive (overrides `storage.database`).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Crawl the seeds' portals and archive what is found (resumes an interrupted run).
    Crawl(crawl::CrawlArgs),
    /// Re-run extraction over archived report snapshots (offline, all cores, idempotent).
    Extract(extract::ExtractArgs),
    /// Extract local report files (HTML, text, DOCX, PDF) without any database.
    Parse(parse::ParseArgs),
    /// Show one extracted report as tables, with checks, warnings and revisions.
    Show(show::ShowArgs),
    /// Offline: serve the bundled sample portal on 127.0.0.1, crawl it, print what was found.
    #[cfg(feature = "sample-portal")]
    Demo,
    /// Seed agencies with no report for a year, with what to do about each.
    Missing(missing::MissingArgs),
    /// Reports for a year published after 31 January of the next year, and undated ones.
    Late(late::LateArgs),
    /// Agency names found in report titles that are not in the seeds.
    Discovered(discovered::DiscoveredArgs),
    /// Export the current extracted reports (csv with BOM, jsonl, json, xlsx).
    Export(export::ExportArgs),
    /// Export archived snapshots as WARC 1.1 files (gzip per record, revisits for identical bodies).
    Warc(warc::WarcArgs),
    /// Run in the foreground: crawl + extract on the cron schedule of crawler.toml.
    Schedule,
    /// Print performance figures measured against local servers (build with --release).
    #[cfg(feature = "sample-portal")]
    Bench(bench::BenchArgs),
    /// Last runs, what the archive holds, errors by host.
    Status(status::StatusArgs),
}

/// Where a list goes: a text table on the terminal, or a file/stream in a format.
#[derive(Args, Debug, Clone)]
pub struct Output {
    /// csv, json or xlsx (default: a text table, or the --out file's extension).
    #[arg(long)]
    pub format: Option<String>,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl Output {
    /// The chosen format, or None for a text table on standard output.
    pub fn format(&self) -> Result<Option<OutputFormat>> {
        let name = match (&self.format, &self.out) {
            (Some(f), _) => f.clone(),
            (None, Some(out)) => out
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("csv")
                .to_string(),
            (None, None) => return Ok(None),
        };
        Ok(Some(name.parse::<OutputFormat>()?))
    }

    /// Writes with `write` to the file (atomically) or to standard output.
    pub fn emit(
        &self,
        format: OutputFormat,
        write: impl FnOnce(&mut dyn std::io::Write) -> nianbao::export::Result<()>,
    ) -> Result<()> {
        match &self.out {
            Some(path) => {
                nianbao::export::write_file(path, write)
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

/// An XLSX is not for a terminal: ask for a file instead.
pub fn refuse_binary_to_terminal(format: OutputFormat) -> Result<()> {
    use std::io::IsTerminal;
    if format == OutputFormat::Xlsx && std::io::stdout().is_terminal() {
        bail!("xlsx is a binary file: give --out FILE.xlsx");
    }
    Ok(())
}

/// Config, seeds and database path resolved from the command line.
pub struct Context {
    pub config: Config,
    pub db: PathBuf,
    pub seed_rows: Vec<seeds::SeedRow>,
}

impl Context {
    /// Loads and validates everything before the database is touched, so a bad
    /// config or seed file writes nothing.
    pub fn load(common: &Common, need_seeds: bool) -> Result<Context> {
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
        Ok(Context {
            config,
            db,
            seed_rows,
        })
    }

    /// Opens the archive to write to it, creating it if there is none (only
    /// for the commands that start archives: crawl, schedule, demo); a damaged
    /// archive is refused before anything is written.
    pub fn open_store(&self) -> Result<Store> {
        Store::open_for_writing(&self.db, true)
            .with_context(|| format!("opening the archive {}", self.db.display()))
    }

    /// Opens an existing archive to write to it (`extract`): no archive, no run.
    pub fn open_existing_store(&self) -> Result<Store> {
        Store::open_for_writing(&self.db, false)
            .with_context(|| format!("opening the archive {}", self.db.display()))
    }

    /// Opens an existing archive read-only for the commands that only answer,
    /// warning on standard error when it fails its integrity check.
    pub fn read_store(&self) -> Result<Store> {
        let store = Store::open_read_only(&self.db)
            .with_context(|| format!("opening the archive {}", self.db.display()))?;
        match store.quick_check() {
            Ok(None) => {}
            Ok(Some(findings)) => eprintln!(
                "warning: the archive {} is damaged ({findings}); answers may be incomplete. Restore it from a backup before the next crawl.",
                self.db.display()
            ),
            Err(e) => eprintln!(
                "warning: cannot check the archive {}: {e}",
                self.db.display()
            ),
        }
        Ok(store)
    }
}

/// The command line as typed, recorded with each run.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// A tokio runtime for the async commands.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("starting the async runtime")
}

/// Logs go to standard error, nianbao's own at the verbosity asked for.
pub fn init_tracing(verbose: u8) {
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

/// The process's exit status for a command's result, printing the error chain.
pub fn exit_code(result: Result<()>) -> std::process::ExitCode {
    match result {
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

/// A progress bar on a terminal, hidden otherwise.
pub fn progress_bar() -> indicatif::ProgressBar {
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
