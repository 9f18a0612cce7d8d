//! `nianbao bench`: crawl and extraction figures measured on this machine
//! against local servers (never the network), printed for the closing notes.
//! Speed targets live here, not in timed tests.

use crate::config::Config;
use crate::crawl::{self, CrawlOptions};
use crate::portal::Portal;
use crate::seeds;
use crate::store::{NewLink, Store};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bench: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Crawl(#[from] crawl::CrawlError),
    #[error(transparent)]
    Seeds(#[from] seeds::SeedError),
}

/// CPU seconds (user + system) this process has used, from /proc (Linux).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0) // USER_HZ is 100 on Linux
}

/// Peak resident set size of this process in MB (VmHWM).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn bench_config(rps: f64, max_pages_per_host: usize) -> Config {
    let mut config = Config::default();
    let c = &mut config.crawler;
    c.per_host_requests_per_second = rps;
    c.per_host_burst = 1;
    c.concurrency = 64;
    c.retries = 0;
    c.request_timeout_secs = 10.0;
    c.max_pages_per_host = max_pages_per_host;
    c.max_depth = 1000;
    c.user_agent = "nianbao-bench".into();
    config
}

/// Figures of one crawl benchmark.
#[derive(Debug, Clone)]
pub struct CrawlFigures {
    pub hosts: usize,
    pub requests: usize,
    pub max_host_requests: usize,
    pub wall: Duration,
    pub politeness_floor: Duration,
    pub efficiency: f64,
    pub pages_per_second: f64,
    pub cpu_seconds_per_1000: Option<f64>,
    pub peak_rss_mb: Option<f64>,
}

/// Crawls a synthetic portal of `hosts` × `pages` listing pages at `rps` per host.
/// Each listing page links one report and ten other pages, so a host serves
/// about 12 × `pages` requests; the floor is the busiest host's requests / rate.
pub async fn crawl_bench(
    dir: &Path,
    hosts: usize,
    pages: usize,
    rps: f64,
) -> Result<CrawlFigures, BenchError> {
    let portal = Portal::synthetic(hosts, pages).await?;
    let seed_path = dir.join("bench-seeds.csv");
    std::fs::write(&seed_path, portal.seeds_csv())?;
    let rows = seeds::load(&[seed_path])?;
    let store = Store::open(&dir.join("bench.db"))?;
    let config = bench_config(rps, usize::MAX / 2);
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let (summary, _store) = crawl::run(&config, store, &rows, &CrawlOptions::default(), rx).await?;
    let wall = t0.elapsed();
    let cpu = cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
    let mut per_host = std::collections::HashMap::<String, usize>::new();
    for r in portal.requests() {
        *per_host.entry(r.host).or_default() += 1;
    }
    let requests: usize = per_host.values().sum();
    let max_host_requests = per_host.values().copied().max().unwrap_or(0);
    // The limiter lets the first request through at once: n requests need (n - 1) periods.
    let floor = Duration::from_secs_f64(max_host_requests.saturating_sub(1) as f64 / rps);
    portal.shutdown().await;
    Ok(CrawlFigures {
        hosts,
        requests,
        max_host_requests,
        wall,
        politeness_floor: floor,
        efficiency: floor.as_secs_f64() / wall.as_secs_f64(),
        pages_per_second: summary.pages_fetched.max(requests as u64) as f64 / wall.as_secs_f64(),
        cpu_seconds_per_1000: cpu.map(|c| c / requests.max(1) as f64 * 1000.0),
        peak_rss_mb: peak_rss_mb(),
    })
}

/// Memory with a large frontier: `urls` pending entries are put in a run's
/// frontier, then the crawler works through `fetch` of them.
pub async fn frontier_bench(
    dir: &Path,
    urls: usize,
    fetch: usize,
) -> Result<(Duration, Option<f64>, usize), BenchError> {
    let hosts = 10;
    let portal = Portal::synthetic(hosts, 1).await?;
    let seed_path = dir.join("frontier-seeds.csv");
    std::fs::write(&seed_path, portal.seeds_csv())?;
    let rows = seeds::load(&[seed_path])?;
    let mut store = Store::open(&dir.join("frontier.db"))?;
    let agencies = seeds::agencies(&rows);
    store.sync_seeds(&rows, &agencies)?;
    let run = store.begin_run("crawl", "bench frontier")?;
    let names = portal.host_names();
    let links: Vec<NewLink> = (0..urls)
        .map(|i| {
            let base = portal.base_url(&names[i % hosts]);
            let url = base
                .join(&format!("/list/a{}_{}.html", i / hosts, i % 10))
                .map(|u| u.to_string())
                .unwrap_or_default();
            NewLink {
                host: crawl::politeness::host_key(&base),
                url,
                seed_id: None,
                depth: 1,
                kind: "other".into(),
                priority: 10,
                parent_url: None,
                link_text: None,
                agency_hint: None,
                skipped: None,
            }
        })
        .collect();
    store.frontier_add(run, &links)?;
    drop(links);
    let config = bench_config(1000.0, fetch / hosts);
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let t0 = Instant::now();
    let (summary, _store) = crawl::run(&config, store, &rows, &CrawlOptions::default(), rx).await?;
    portal.shutdown().await;
    Ok((
        t0.elapsed(),
        peak_rss_mb(),
        summary.pages_fetched as usize + summary.failed as usize,
    ))
}
