//! `nianbao serve`: the read-only web dashboard over the archive.

use super::{Common, Context};
use anyhow::{Context as _, Result};
use clap::Args;
use nianbao::serve::{DEFAULT_BIND, ServeOptions, serve};
use std::io::Write;
use std::net::SocketAddr;

/// Arguments of `serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = DEFAULT_BIND)]
    bind: SocketAddr,
    /// Allow a non-loopback --bind: anyone who can reach it sees the whole archive.
    #[arg(long)]
    public: bool,
}

/// Serves until Ctrl-C / SIGTERM.
pub fn run(args: ServeArgs, common: &Common) -> Result<()> {
    let ctx = Context::load(common, false)?;
    let db = &ctx.db;
    if !args.bind.ip().is_loopback() && args.public {
        eprintln!(
            "warning: serving on {} (not loopback): anyone who can reach this address can read the whole archive",
            args.bind
        );
    }
    let opts = ServeOptions {
        db: db.clone(),
        bind: args.bind,
        public: args.public,
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        serve(
            &opts,
            |addr| {
                // The first line of stdout is the address, for scripts and tests.
                println!("serving http://{addr}/ (read-only: {})", opts.db.display());
                let _ = std::io::stdout().flush();
            },
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
        )
        .await
    })
    .with_context(|| format!("serving the archive {}", db.display()))
}
