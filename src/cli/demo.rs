//! `nianbao demo`: serves the bundled sample portal on 127.0.0.1, crawls it
//! with the real crawler into a fresh archive, extracts, and says what it found.
//! Needs no network; shows a newcomer the whole pipeline in a few seconds.

use nianbao::config::Config;
use nianbao::crawl::{self, CrawlOptions, CrawlSummary};
use nianbao::pipeline::crawl_then_extract;
use nianbao::seeds;
use nianbao::store::Store;
use nianbao_portal::Portal;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("starting the sample portal on 127.0.0.1: {0}")]
    Portal(#[source] std::io::Error),
    #[error("writing the demo seed file {path}: {source}")]
    Seeds {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    SeedFile(#[from] seeds::SeedError),
    #[error(transparent)]
    Store(#[from] nianbao::store::StoreError),
    #[error(transparent)]
    Crawl(#[from] crawl::CrawlError),
}

/// What the demo found, for printing.
#[derive(Debug)]
pub struct DemoOutcome {
    pub db: PathBuf,
    pub summary: CrawlSummary,
    pub store: Store,
    pub expected_reports: usize,
}

/// The demo's politeness settings: the same rules as a real crawl, with a rate
/// and timeouts that suit a portal on this machine.
pub fn demo_config(base: &Config) -> Config {
    let mut config = base.clone();
    let c = &mut config.crawler;
    c.per_host_requests_per_second = 20.0;
    c.per_host_burst = 2;
    c.request_timeout_secs = 2.0;
    c.connect_timeout_secs = 2.0;
    c.retries = 2;
    c.backoff_initial_ms = 100;
    c.backoff_max_ms = 500;
    c.max_retry_after_secs = 2;
    c.max_body_bytes = 2 * 1024 * 1024;
    config
}

/// Runs the demo into `db` (created fresh; its folder is created if missing).
pub async fn run(base: &Config, db: &Path) -> Result<DemoOutcome, DemoError> {
    let portal = Portal::start().await.map_err(DemoError::Portal)?;
    portal.set_slow_delay(Duration::from_secs(3));
    let dir = db
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(|source| DemoError::Seeds {
        path: dir.clone(),
        source,
    })?;
    let seed_path = dir.join("demo-seeds.csv");
    std::fs::write(&seed_path, portal.seeds_csv()).map_err(|source| DemoError::Seeds {
        path: seed_path.clone(),
        source,
    })?;
    let rows = seeds::load(std::slice::from_ref(&seed_path))?;
    let store = Store::open(db)?;
    let config = demo_config(base);
    let (_tx, shutdown) = tokio::sync::watch::channel(false);
    let opts = CrawlOptions {
        command: "nianbao demo".into(),
        ..Default::default()
    };
    let (summary, store) = crawl_then_extract(&config, store, &rows, &opts, shutdown).await?;
    let expected_reports = portal.expected_reports().len();
    portal.shutdown().await;
    Ok(DemoOutcome {
        db: db.to_path_buf(),
        summary,
        store,
        expected_reports,
    })
}

/// One report the demo found, as printed.
#[derive(Debug, Clone)]
pub struct FoundReport {
    pub agency: String,
    pub in_seeds: bool,
    pub year: i32,
    pub format: String,
    pub publish_date: Option<String>,
    pub status: Option<String>,
    pub new_received_total: Option<f64>,
    pub checks_failed: usize,
    pub url: String,
}

/// The current report of every agency and year in the archive (the one
/// choice `export::current_reports` makes), by agency, newest year first.
pub fn found_reports(store: &Store) -> Result<Vec<FoundReport>, nianbao::export::ExportError> {
    let mut found: Vec<FoundReport> = nianbao::export::current_reports(store, None)?
        .into_iter()
        .map(|r| {
            let result = r.result.as_ref();
            FoundReport {
                in_seeds: r.agency_id.is_some(),
                year: r.year,
                format: r.format.as_str().to_string(),
                publish_date: r.publish_date.map(|d| d.to_string()),
                status: r.status.map(|s| s.as_str().to_string()),
                new_received_total: result
                    .and_then(|v| v.pointer("/applications/new_received/6"))
                    .and_then(serde_json::Value::as_f64),
                checks_failed: result
                    .and_then(|v| v.pointer("/checks/rules"))
                    .and_then(serde_json::Value::as_array)
                    .map_or(0, |rules| {
                        rules
                            .iter()
                            .filter(|c| c.get("ok") == Some(&serde_json::Value::Bool(false)))
                            .count()
                    }),
                url: r.url,
                agency: if r.agency.is_empty() {
                    "(unknown)".to_string()
                } else {
                    r.agency
                },
            }
        })
        .collect();
    found.sort_by(|a, b| {
        (&a.agency, std::cmp::Reverse(a.year)).cmp(&(&b.agency, std::cmp::Reverse(b.year)))
    });
    Ok(found)
}

/// `nianbao demo`: runs the tour into `--db` or a fresh temporary folder and prints it.
pub fn run_command(common: &super::Common) -> anyhow::Result<()> {
    use anyhow::bail;
    let ctx = super::Context::load(common, false)?;
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
    let outcome = super::runtime()?.block_on(run(&ctx.config, &db))?;
    outln!(
        "Served the sample portal (4 hosts on 127.0.0.1) and crawled it into {}",
        outcome.db.display()
    )?;
    out!("{}", outcome.summary)?;
    let found = found_reports(&outcome.store)?;
    outln!(
        "\nReports found ({} expected in the sample portal):",
        outcome.expected_reports
    )?;
    for r in &found {
        outln!(
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
        )?;
    }
    outln!("\n{}", nianbao::status::status(&outcome.store, 3)?)?;
    outln!(
        "Explore it: nianbao --db {} show 卫滨区 2022",
        outcome.db.display()
    )?;
    Ok(())
}
