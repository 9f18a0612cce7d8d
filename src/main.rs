//! The `nianbao` binary: parses the command line and hands it to the module
//! of its subcommand (`src/cli/`); the work itself is done by the library.

mod cli;

use cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let Cli { common, command } = cli::parse();
    cli::progress::init_tracing(common.verbosity());
    let result = match command {
        Command::Crawl(args) => cli::crawl::run(args, &common),
        Command::Extract(args) => cli::extract::run(args, &common),
        Command::Parse(args) => cli::parse::run(args, &common),
        Command::Show(args) => cli::show::run(args, &common),
        #[cfg(feature = "sample-portal")]
        Command::Demo => cli::demo::run_command(&common),
        Command::Missing(args) => cli::missing::run(args, &common),
        Command::Late(args) => cli::late::run(args, &common),
        Command::Discovered(args) => cli::discovered::run(args, &common),
        Command::Export(args) => cli::export::run(args, &common),
        Command::Warc(args) => cli::warc::run(args, &common),
        Command::Schedule => cli::schedule::run(&common),
        #[cfg(feature = "sample-portal")]
        Command::Bench(args) => cli::bench::run(args),
        Command::Status(args) => cli::status::run(args, &common),
        Command::Serve(args) => cli::serve::run(args, &common),
        Command::Compare(args) => cli::compare::run(args, &common),
        Command::Init(args) => cli::init::run(args),
        Command::Completions(args) => cli::completions::run(args),
        Command::Manpage => cli::completions::manpage(),
    };
    cli::exit_code(result)
}
