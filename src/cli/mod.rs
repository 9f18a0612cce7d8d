//! The command line: the options every command takes, the subcommands (one
//! module each, with its arguments and its `run`), and what they share —
//! loading config and seeds before anything is written, opening the archive,
//! writing an answer to a file or standard output, logging and exit codes.

/// `println!` to a locked standard output that returns the write error instead
/// of panicking: a reader that goes away (`nianbao show … | head`) ends the
/// command quietly through [`exit_code`], not with a panic.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `eprintln!` that never panics: standard error may be a closed pipe too
/// (`nianbao export … 2>&1 | head`), and a message lost there is no reason to crash.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `print!` as [`outln`] does it.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

#[cfg(feature = "sample-portal")]
pub mod bench;
#[cfg(feature = "sample-portal")]
pub mod bench_portal;
#[cfg(feature = "sample-portal")]
pub mod bench_render;
pub mod compare;
pub mod completions;
pub mod crawl;
#[cfg(feature = "sample-portal")]
pub mod demo;
pub mod discovered;
pub mod export;
pub mod extract;
pub mod init;
pub mod late;
pub mod missing;
pub mod parse;
pub mod progress;
pub mod schedule;
pub mod serve;
pub mod show;
pub mod status;
pub mod warc;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};
use nianbao::config::Config;
use nianbao::export::OutputFormat;
use nianbao::seeds;
use nianbao::store::Store;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The parsed command line.
#[derive(Parser, Debug)]
#[command(
    name = "nianbao",
    version,
    about = "Crawl, archive and extract 政府信息公开工作年度报告 (government information-disclosure annual reports)",
    after_help = "Start with `nianbao init DIR` (a commented crawler.toml, seeds/, archive/), or try `nianbao demo` offline."
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
    /// The configuration file (default: $NIANBAO_CONFIG, else ./crawler.toml, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A seed CSV file or a folder of them (overrides `storage.seeds`), e.g. seeds/ or plus.csv.
    #[arg(long, global = true, value_name = "PATH")]
    pub seeds: Option<PathBuf>,
    /// The SQLite archive (overrides `storage.database`), e.g. archive/nianbao.db.
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// More log output: -v one line per fetched URL, -vv debug. RUST_LOG overrides
    /// (a bare level such as RUST_LOG=debug applies to nianbao's own logs only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on standard error: no progress, no warnings.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl Common {
    /// How much to show on standard error.
    pub fn verbosity(&self) -> progress::Verbosity {
        progress::Verbosity {
            verbose: self.verbose,
            quiet: self.quiet,
        }
    }
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
    #[command(
        after_help = "Examples:\n  cargo run --release -- demo\n  nianbao demo --db /tmp/demo.db && nianbao --db /tmp/demo.db status"
    )]
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
    #[command(after_help = "Example:\n  nianbao --config /srv/nianbao/crawler.toml schedule")]
    Schedule,
    /// Print performance figures measured against local servers (build with --release).
    #[cfg(feature = "sample-portal")]
    Bench(bench::BenchArgs),
    /// Last runs, what the archive holds, errors by host.
    Status(status::StatusArgs),
    /// A local read-only web dashboard over the archive (http://127.0.0.1:8730).
    #[command(
        after_help = "Examples:\n  nianbao serve\n  nianbao serve --db other.db --bind 127.0.0.1:9000"
    )]
    Serve(serve::ServeArgs),
    /// One agency's key figures across years, with year-over-year changes.
    #[command(after_help = "Example:\n  nianbao compare 卫滨区 --years 2022-2024 --json")]
    Compare(compare::CompareArgs),
    /// Make a folder ready to crawl: a commented crawler.toml, a seeds/ example, archive/.
    Init(init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), generated from this command line.
    #[command(after_help = "Example:\n  nianbao manpage > /usr/local/share/man/man1/nianbao.1")]
    Manpage,
}

/// `nianbao --version`: the crate, the extractor (results are keyed by it)
/// and the commit built from.
pub fn long_version() -> String {
    format!(
        "{} (extractor {}, commit {})",
        env!("CARGO_PKG_VERSION"),
        nianbao::extract::EXTRACTOR_VERSION,
        env!("NIANBAO_GIT_COMMIT")
    )
}

/// The clap command with its version, for parsing, completions and the man page.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
        .version(long_version())
        .long_version(long_version())
}

/// Parses the process's arguments (`--help`, `--version` and errors exit here).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Where a list goes: a text table on the terminal, or a file/stream in a format.
#[derive(Args, Debug, Clone)]
pub struct Output {
    /// csv, json, jsonl or xlsx (default: the --out file's extension, else a text table).
    #[arg(long, value_name = "csv|json|jsonl|xlsx")]
    pub format: Option<String>,
    /// Output file, e.g. missing-2023.xlsx (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

impl Output {
    /// The chosen format, or None for a text table on standard output.
    pub fn format(&self) -> Result<Option<OutputFormat>> {
        resolve_format(self.format.as_deref(), self.out.as_deref())
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
                errln!("wrote {}", path.display());
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

/// The output format from `--format` and the `--out` file's extension: either
/// alone decides; both must agree (`--format csv --out x.xlsx` would write CSV
/// text into a file Excel refuses). None: neither was given.
pub fn resolve_format(format: Option<&str>, out: Option<&Path>) -> Result<Option<OutputFormat>> {
    let asked = format.map(str::parse::<OutputFormat>).transpose()?;
    let ext = out.and_then(|p| p.extension()).and_then(|e| e.to_str());
    let by_ext = ext.map(str::parse::<OutputFormat>);
    match (asked, by_ext) {
        (Some(f), None) => Ok(Some(f)),
        (Some(f), Some(Ok(e))) if f == e => Ok(Some(f)),
        (Some(f), Some(Ok(e))) => bail!(
            "--format {f} contradicts the --out file's extension .{e}: drop --format or rename the file"
        ),
        // An extension that names no format (`report.txt`) follows --format.
        (Some(f), Some(Err(_))) => Ok(Some(f)),
        (None, Some(Ok(e))) => Ok(Some(e)),
        (None, Some(Err(_))) => bail!(
            "cannot tell the format from the extension .{}: give --format csv|json|jsonl|xlsx",
            ext.unwrap_or_default()
        ),
        (None, None) if out.is_some() => Ok(Some(OutputFormat::Csv)),
        (None, None) => Ok(None),
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
        let path = config_path(common.config.as_deref());
        let config = match &path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        let db = common.db.clone().unwrap_or_else(|| config.database_path());
        if path.is_none() && !common.quiet {
            let _ = writeln!(
                std::io::stderr(),
                "note: no configuration (--config, $NIANBAO_CONFIG, ./crawler.toml): using the defaults; \
                 the archive is {} (`nianbao init DIR` writes a commented crawler.toml)",
                db.display()
            );
        }
        let seed_paths = match &common.seeds {
            Some(p) => vec![p.clone()],
            None => config.seed_paths(),
        };
        let seed_rows = if need_seeds {
            let rows = seeds::load(&seed_paths)?;
            if rows.is_empty() {
                bail!(
                    "no seed rows in {}: add the agencies you follow (agency,region,level,url,aliases; \
                     lines starting with # are comments)",
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

/// The configuration file: `--config`, else `$NIANBAO_CONFIG`, else
/// `./crawler.toml` when it exists; None means the built-in defaults. A file
/// named by the first two must exist (loading it says so if not).
pub fn config_path(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("NIANBAO_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let local = Path::new("crawler.toml");
    local.exists().then(|| local.to_path_buf())
}

/// A crawl without a contact is impolite: portals' operators cannot reach
/// whoever runs it. Said at the start of `crawl` and `schedule`.
pub fn warn_if_no_contact(config: &Config) {
    if config.crawler.contact.trim().is_empty() {
        tracing::warn!(
            "crawler.contact is empty: portals cannot reach whoever runs this crawler; \
             set it in the config (an e-mail or URL, sent in the User-Agent)"
        );
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

/// Exit status when a crawl ran but not one host could be crawled (every seed
/// host failed): a cron job must hear of it.
pub const EXIT_NO_HOST_CRAWLED: u8 = 3;
/// Exit status after a stop by Ctrl-C (128 + SIGINT, as shells report it); a
/// SIGTERM stop (systemd, `kill`) is a normal end of the run, 0.
pub const EXIT_INTERRUPTED: u8 = 130;

/// A command that ran to its end but must exit non-zero (documented codes above).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

/// The process's exit status for a command's result, printing the error chain:
/// 0 success (a closed output pipe included), 1 error, [`EXIT_NO_HOST_CRAWLED`],
/// [`EXIT_INTERRUPTED`].
pub fn exit_code(result: Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `nianbao export … | head` closing the pipe early is not an error.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let code = e.downcast_ref::<Exit>().map_or(1, |x| x.code);
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                nianbao::error_text::one_line(&*e)
            );
            std::process::ExitCode::from(code)
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
            // serde_json's source() skips its own io::Error, so ask it.
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
