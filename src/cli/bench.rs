//! `nianbao bench`: crawl and extraction figures measured on this machine
//! against local servers (never the network), printed for the closing notes.
//! Speed targets live here, not in timed tests.

use super::bench_portal::PortalProcess;
use nianbao::config::Config;
use nianbao::crawl::{self, CrawlOptions};
use nianbao::seeds;
use nianbao::store::{NewLink, Store};
use nianbao_portal::Portal;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bench: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] nianbao::store::StoreError),
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

/// The 1-minute load average (the machine is shared: figures depend on it).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Peak resident set size of this process in MB (VmHWM).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn bench_config(rps: f64, max_pages_per_host: usize, concurrency: Option<usize>) -> Config {
    let mut config = Config::default();
    let c = &mut config.crawler;
    c.per_host_requests_per_second = rps;
    c.per_host_burst = 1;
    // The default concurrency unless asked otherwise: the shape users run.
    c.concurrency = concurrency.unwrap_or(c.concurrency);
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
    /// The crawler's own CPU time (the portal runs in another process).
    pub cpu_seconds_per_1000: Option<f64>,
    /// The crawler's own peak memory.
    pub peak_rss_mb: Option<f64>,
    /// The portal process's CPU time per 1,000 requests it served.
    pub server_cpu_seconds_per_1000: Option<f64>,
    /// The portal process's peak memory.
    pub server_peak_rss_mb: Option<f64>,
    /// Shortest gap between two requests to one host, as the server saw them.
    pub min_gap: Option<Duration>,
    /// Gaps shorter than the interval (1 / rate) at the server.
    pub gaps_below_interval: usize,
    /// Median and 90th-percentile gap between two requests to one host.
    pub median_gap: Option<Duration>,
    pub p90_gap: Option<Duration>,
    /// Time from the first request of the crawl to the last host's first request.
    pub first_wave: Duration,
    /// From the first request the portal saw to the last.
    pub request_span: Duration,
    pub concurrency: usize,
}

/// How the crawl bench's portal is served.
#[derive(Debug, Clone, Copy)]
pub struct CrawlShape {
    pub hosts: usize,
    pub pages: usize,
    pub rate: f64,
    /// `None`: the configured default.
    pub concurrency: Option<usize>,
    /// All hosts on one listener, told apart by name.
    pub virtual_hosts: bool,
}

/// Crawls a synthetic portal of `hosts` × `pages` listing pages at `rps` per host.
/// Each listing page links one report and ten other pages, so a host serves
/// about 12 × `pages` requests; the floor is the busiest host's requests / rate.
/// The portal runs in a process of its own ([`super::bench_portal`]): the CPU
/// time and memory reported for the crawl are the crawler's alone.
pub async fn crawl_bench(dir: &Path, shape: CrawlShape) -> Result<CrawlFigures, BenchError> {
    let CrawlShape {
        hosts,
        pages,
        rate: rps,
        concurrency,
        virtual_hosts,
    } = shape;
    let portal = tokio::task::block_in_place(|| PortalProcess::spawn(hosts, pages, virtual_hosts))?;
    let seed_path = dir.join("bench-seeds.csv");
    std::fs::write(&seed_path, &portal.started.seeds_csv)?;
    let rows = seeds::load(&[seed_path])?;
    let store = Store::open(&dir.join("bench.db"))?;
    let config = bench_config(rps, usize::MAX / 2, concurrency);
    let opts = CrawlOptions {
        resolve: portal.started.pinned.clone(),
        ..Default::default()
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let (summary, _store) = crawl::run(&config, store, &rows, &opts, rx).await?;
    let wall = t0.elapsed();
    let cpu = cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
    let served = tokio::task::block_in_place(|| portal.finish())?;
    let interval = Duration::from_secs_f64(1.0 / rps);
    let gaps = super::bench_portal::gaps(&served.requests, interval);
    let requests = gaps.requests;
    // The limiter lets the first request through at once: n requests need (n - 1) periods.
    let floor = Duration::from_secs_f64(gaps.max_host_requests.saturating_sub(1) as f64 / rps);
    let per_1000 = |c: f64| c / requests.max(1) as f64 * 1000.0;
    Ok(CrawlFigures {
        hosts,
        requests,
        max_host_requests: gaps.max_host_requests,
        wall,
        politeness_floor: floor,
        efficiency: floor.as_secs_f64() / wall.as_secs_f64(),
        pages_per_second: summary.pages_fetched.max(requests as u64) as f64 / wall.as_secs_f64(),
        cpu_seconds_per_1000: cpu.map(per_1000),
        peak_rss_mb: peak_rss_mb(),
        server_cpu_seconds_per_1000: served.cpu_seconds.map(per_1000),
        server_peak_rss_mb: served.peak_rss_mb,
        min_gap: gaps.min_gap,
        gaps_below_interval: gaps.below_interval,
        median_gap: gaps.median_gap,
        p90_gap: gaps.p90_gap,
        first_wave: gaps.first_wave,
        request_span: gaps.span,
        concurrency: config.crawler.concurrency,
    })
}

/// The same synthetic portal fetched by a bare HTTP client (no politeness, no
/// parsing, no archive): every URL the crawl would fetch, `concurrency` at a
/// time, bodies read and dropped. Returns (requests, wall, CPU seconds).
pub async fn bare_bench(
    hosts: usize,
    pages: usize,
    concurrency: usize,
) -> Result<(usize, Duration, Option<f64>), BenchError> {
    let portal = Portal::synthetic_virtual(hosts, pages).await?;
    crawl::fetch::install_tls_provider();
    let client = portal
        .pinned_names()
        .iter()
        .fold(reqwest::Client::builder(), |b, (h, a)| b.resolve(h, *a))
        .build()
        .map_err(std::io::Error::other)?;
    let mut urls = Vec::new();
    for name in portal.host_names() {
        let base = portal.base_url(&name);
        let mut paths = vec!["/robots.txt".to_string(), "/".to_string()];
        for p in 0..pages {
            paths.push(if p == 0 {
                "/list/index.html".into()
            } else {
                format!("/list/index_{p}.html")
            });
            paths.push(format!("/list/r{p}.html"));
            paths.extend((0..10).map(|i| format!("/list/a{p}_{i}.html")));
        }
        urls.extend(paths.iter().filter_map(|p| base.join(p).ok()));
    }
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls.iter().cloned() {
        let (client, slots) = (client.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            if let Ok(r) = client.get(url).send().await {
                let _ = r.bytes().await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let wall = t0.elapsed();
    let cpu = cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
    portal.shutdown().await;
    Ok((urls.len(), wall, cpu))
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
    let run = store.begin_run(nianbao::store::RunKind::Crawl, "bench frontier")?;
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
                kind: crawl::discover::LinkKind::Other,
                priority: 10,
                parent_url: None,
                link_text: None,
                agency_hint: None,
                listing_date: None,
                skipped: None,
                form: None,
            }
        })
        .collect();
    store.frontier_add(run, &links)?;
    drop(links);
    let config = bench_config(1000.0, fetch / hosts, Some(64));
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

/// Figures of re-extracting an archive.
#[derive(Debug, Clone)]
pub struct ReextractFigures {
    pub snapshots: usize,
    pub build: Duration,
    pub wall: Duration,
    pub parse_only: Duration,
    pub complete: u64,
    pub threads: usize,
    pub peak_rss_mb: Option<f64>,
}

/// Builds an archive of `n` distinct report snapshots (the sample portal's report
/// pages, each made unique), then re-extracts all of them and, for comparison,
/// only parses the same bodies into a DOM.
pub fn reextract_bench(dir: &Path, n: usize) -> Result<ReextractFigures, BenchError> {
    use nianbao::store::{FetchRecord, NewSnapshot, PageCommit, PageMetaRow, PreparedBody};
    use rayon::prelude::*;
    // Only pages that are complete reports (the portal also has decoys and pages
    // whose report is an attachment).
    let patterns = nianbao::patterns::ReportPatterns::default();
    let pages: Vec<(&str, &[u8])> = nianbao_portal::sample_report_pages()
        .into_iter()
        .filter(|(ct, body)| {
            nianbao::extract::extract(body, Some(ct), &patterns).status
                == nianbao::extract::Status::Complete
        })
        .collect();
    let metas: Vec<PageMetaRow> = pages
        .iter()
        .map(|(ct, body)| {
            let text = nianbao::page::charset::decode(body, Some(ct)).text;
            let m = nianbao::page::facts::page_meta(&text, &patterns);
            PageMetaRow {
                kind: nianbao::page::facts::PageKind::Report,
                format: nianbao::formats::Format::Html,
                title: m.title,
                report_year: m.report_year,
                agency_name: m.agency,
                ..Default::default()
            }
        })
        .collect();
    let t0 = Instant::now();
    let mut store = Store::open(&dir.join("reextract.db"))?;
    let run = store.begin_run(nianbao::store::RunKind::Crawl, "bench reextract")?;
    for i in 0..n {
        let k = i % pages.len();
        let (ct, body) = pages[k];
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(format!("\n<!-- copy {i} -->\n").as_bytes());
        let url = format!("http://bench.invalid/r{i}.html");
        let links = vec![NewLink {
            url: url.clone(),
            host: "http://bench.invalid".into(),
            seed_id: None,
            depth: 0,
            kind: crawl::discover::LinkKind::Report,
            priority: 0,
            parent_url: None,
            link_text: None,
            agency_hint: None,
            listing_date: None,
            skipped: None,
            form: None,
        }];
        store.frontier_add(run, &links)?;
        let frontier_id = store
            .frontier_pending(run, 1)?
            .first()
            .map(|f| f.id)
            .unwrap_or_default();
        let prepared = PreparedBody::new(&bytes)?;
        store.commit_page(&PageCommit {
            run_id: run,
            frontier_id,
            fetch: FetchRecord {
                url: url.clone(),
                host: "http://bench.invalid".into(),
                attempt: 1,
                status: Some(200),
                bytes: bytes.len() as i64,
                ..Default::default()
            },
            snapshot: Some((
                NewSnapshot {
                    url: url.clone(),
                    final_url: url,
                    fetched_at: nianbao::store::now(),
                    status: 200,
                    http_version: "HTTP/1.1".into(),
                    headers: vec![("content-type".into(), ct.into())],
                    content_type: Some(ct.into()),
                    charset: None,
                    charset_source: None,
                    truncated: false,
                    etag: None,
                    last_modified: None,
                    seed_id: None,
                    parent_url: None,
                    form: None,
                },
                prepared,
                metas[k].clone(),
            )),
            existing_snapshot_id: None,
            links: Vec::new(),
            state: nianbao::store::FrontierState::Done,
            reason: None,
            not_modified: false,
            is_report: false,
            notes: Vec::new(),
            seed_hosts: Vec::new(),
        })?;
    }
    let build = t0.elapsed();
    let t2 = Instant::now();
    let summary = nianbao::pipeline::extraction::extract_archive(
        &mut store,
        &nianbao::pipeline::extraction::ExtractFilter {
            force: true,
            ..Default::default()
        },
        &patterns,
        &|_, _| {},
    )?;
    let wall = t2.elapsed();
    let rss = peak_rss_mb();
    // The floor: decoding and parsing the same bodies into a DOM, nothing else,
    // read from the archive in the same batches.
    let ids: Vec<i64> = (1..=n as i64).collect();
    let t1 = Instant::now();
    for chunk in ids.chunks(256) {
        let mut bodies = Vec::with_capacity(chunk.len());
        for id in chunk {
            bodies.push(store.snapshot_body(*id)?.unwrap_or_default());
        }
        bodies.par_iter().for_each(|b| {
            let text = nianbao::page::charset::decode(b, Some("text/html")).text;
            std::hint::black_box(scraper::Html::parse_document(&text));
        });
    }
    let parse_only = t1.elapsed();
    Ok(ReextractFigures {
        snapshots: n,
        build,
        wall,
        parse_only,
        complete: summary.complete,
        threads: rayon::current_num_threads(),
        peak_rss_mb: rss,
    })
}

/// Arguments of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

/// The benchmarks.
#[derive(clap::Subcommand, Debug)]
enum BenchCommand {
    /// Crawl a synthetic local portal of H hosts × P listing pages at a rate per host.
    #[command(
        after_help = "Example:\n  cargo run --release -- bench crawl --hosts 8 --pages 50 --rate 20"
    )]
    Crawl {
        /// Synthetic hosts served on 127.0.0.1, each with its own politeness gate.
        #[arg(long, default_value_t = 4, value_name = "H", value_parser = at_least_one)]
        hosts: usize,
        /// Listing pages per host (each links a report and ten other pages).
        #[arg(long, default_value_t = 20, value_name = "P", value_parser = at_least_one)]
        pages: usize,
        /// Requests per second per host (the politeness rate, 0 < RATE ≤ 100).
        #[arg(long, default_value_t = 20.0, value_parser = parse_rate)]
        rate: f64,
        /// Global concurrency (default: the configured default).
        #[arg(long, value_name = "N")]
        concurrency: Option<usize>,
        /// Serve all hosts from one listener as named virtual hosts (always on above 200 hosts).
        #[arg(long)]
        virtual_hosts: bool,
    },
    /// Fetch the same synthetic portal with a bare HTTP client, for comparison.
    #[command(
        after_help = "Example:\n  cargo run --release -- bench bare --hosts 8 --pages 80 --concurrency 16"
    )]
    Bare {
        /// Synthetic hosts served on 127.0.0.1.
        #[arg(long, default_value_t = 8, value_name = "H", value_parser = at_least_one)]
        hosts: usize,
        /// Listing pages per host.
        #[arg(long, default_value_t = 80, value_name = "P", value_parser = at_least_one)]
        pages: usize,
        /// Requests in flight at most.
        #[arg(long, default_value_t = 16, value_name = "N")]
        concurrency: usize,
    },
    /// Re-extract an archive of N report snapshots; compare with DOM parsing alone.
    #[command(after_help = "Example:\n  cargo run --release -- bench reextract --snapshots 2000")]
    Reextract {
        /// Report snapshots in the generated archive.
        #[arg(long, default_value_t = 10_000, value_name = "N")]
        snapshots: usize,
    },
    /// Render N script-built listings in headless Chromium (a local server; no politeness delay).
    #[command(after_help = "Example:\n  cargo run --release -- bench render --pages 40 --tabs 2")]
    Render {
        /// Script-built listing pages served on 127.0.0.1 and rendered.
        #[arg(long, default_value_t = 20, value_name = "N")]
        pages: usize,
        /// Browser tabs rendering at once.
        #[arg(long, default_value_t = 2, value_name = "N")]
        tabs: usize,
        /// Quiet-network wait per page, ms ([render] network_idle_ms).
        #[arg(long, default_value_t = 1000)]
        idle_ms: u64,
    },
    /// The crawl bench's portal, served from a process of its own until its
    /// standard input closes (started by `bench crawl`; not for direct use).
    #[command(hide = true)]
    Portal {
        /// Synthetic hosts.
        #[arg(long, value_name = "H")]
        hosts: usize,
        /// Listing pages per host.
        #[arg(long, value_name = "P")]
        pages: usize,
        /// All hosts on one listener, told apart by name.
        #[arg(long)]
        virtual_hosts: bool,
    },
    /// Peak memory with a large frontier in the archive.
    #[command(
        after_help = "Example:\n  cargo run --release -- bench frontier --urls 100000 --fetch 2000"
    )]
    Frontier {
        /// Pending URLs put into the frontier before the crawl starts.
        #[arg(long, default_value_t = 100_000, value_name = "N")]
        urls: usize,
        /// How many of them to fetch.
        #[arg(long, default_value_t = 2000, value_name = "N")]
        fetch: usize,
    },
}

/// A count of hosts or pages: zero measures nothing.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("must be at least 1".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// A politeness rate the crawler accepts (as `per_host_requests_per_second` in `crawler.toml`).
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 100.0 => Ok(r),
        Ok(_) => Err("must be above 0 and at most 100 requests per second".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs one benchmark in a temporary folder and prints its figures.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let BenchCommand::Portal {
        hosts,
        pages,
        virtual_hosts,
    } = args.what
    {
        // The crawl bench's server process: it needs no folder of its own.
        return Ok(super::runtime()?.block_on(super::bench_portal::serve(
            hosts,
            pages,
            virtual_hosts,
        ))?);
    }
    let dir = std::env::temp_dir().join(format!("nianbao-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = super::runtime()?.block_on(async {
        match args.what {
            BenchCommand::Crawl {
                hosts,
                pages,
                rate,
                concurrency,
                virtual_hosts,
            } => {
                let shape = CrawlShape {
                    hosts,
                    pages,
                    rate,
                    concurrency,
                    virtual_hosts: virtual_hosts || hosts > 200,
                };
                let f = crawl_bench(&dir, shape).await?;
                outln!(
                    "crawl bench: {} hosts{} × {} listing pages at {rate}/s per host, concurrency {}: {} requests ({} on the busiest host); load average {}",
                    f.hosts,
                    if shape.virtual_hosts { " (virtual)" } else { "" },
                    pages,
                    f.concurrency,
                    f.requests,
                    f.max_host_requests,
                    load_average()
                )?;
                outln!(
                    "  wall {:.2} s vs politeness floor {:.2} s → floor ratio {:.3}; {:.1} pages/s",
                    f.wall.as_secs_f64(),
                    f.politeness_floor.as_secs_f64(),
                    f.efficiency,
                    f.pages_per_second,
                )?;
                let two = |v: Option<f64>| v.map_or("?".into(), |c| format!("{c:.2}"));
                let one = |v: Option<f64>| v.map_or("?".into(), |m| format!("{m:.1}"));
                outln!(
                    "  crawler: {} CPU s per 1,000 pages, peak RSS {} MB; portal process: {} CPU s per 1,000 requests, peak RSS {} MB",
                    two(f.cpu_seconds_per_1000),
                    one(f.peak_rss_mb),
                    two(f.server_cpu_seconds_per_1000),
                    one(f.server_peak_rss_mb),
                )?;
                let ms = |g: Option<Duration>| {
                    g.map_or("-".into(), |g| format!("{:.1} ms", g.as_secs_f64() * 1000.0))
                };
                outln!(
                    "  server side: gaps between two requests to one host: shortest {}, median {}, 90th percentile {} (interval {:.0} ms), {} below the interval; every host reached within {} of the first request; requests spanned {:.2} s of the wall",
                    ms(f.min_gap),
                    ms(f.median_gap),
                    ms(f.p90_gap),
                    1000.0 / rate,
                    f.gaps_below_interval,
                    ms(Some(f.first_wave)),
                    f.request_span.as_secs_f64(),
                )?;
            }
            BenchCommand::Bare {
                hosts,
                pages,
                concurrency,
            } => {
                let (n, wall, cpu) = bare_bench(hosts, pages, concurrency).await?;
                outln!(
                    "bare client: {n} requests to {hosts} hosts, concurrency {concurrency}, in {:.2} s → {:.0} pages/s; {} CPU s per 1,000 (client and server); load average {}",
                    wall.as_secs_f64(),
                    n as f64 / wall.as_secs_f64(),
                    cpu.map_or("?".into(), |c| format!("{:.2}", c / n as f64 * 1000.0)),
                    load_average()
                )?;
            }
            BenchCommand::Reextract { snapshots } => {
                let f = tokio::task::block_in_place(|| reextract_bench(&dir, snapshots))?;
                outln!(
                    "re-extraction bench: {} report snapshots (archive built in {:.1} s)",
                    f.snapshots,
                    f.build.as_secs_f64()
                )?;
                outln!(
                    "  extract {:.2} s on {} threads ({:.0} reports/s, {:.0} per core; {} complete) vs DOM parse only {:.2} s → ratio {:.2}; peak RSS {} MB",
                    f.wall.as_secs_f64(),
                    f.threads,
                    f.snapshots as f64 / f.wall.as_secs_f64(),
                    f.snapshots as f64 / f.wall.as_secs_f64() / f.threads as f64,
                    f.complete,
                    f.parse_only.as_secs_f64(),
                    f.wall.as_secs_f64() / f.parse_only.as_secs_f64(),
                    f.peak_rss_mb.map_or("?".into(), |m| format!("{m:.1}"))
                )?;
            }
            BenchCommand::Render {
                pages,
                tabs,
                idle_ms,
            } => {
                let binary = nianbao::render::find_chromium(None).ok_or_else(|| {
                    anyhow::anyhow!("no Chromium found: {}", nianbao::render::INSTALL_HINT)
                })?;
                let f = super::bench_render::render_bench(
                    &binary,
                    pages,
                    tabs,
                    Duration::from_millis(idle_ms),
                )
                .await?;
                outln!(
                    "render bench: {} script-built listings, {} tabs, network idle {idle_ms} ms ({})",
                    f.pages,
                    f.tabs,
                    binary.display()
                )?;
                outln!(
                    "  wall {:.2} s (browser start {:.2} s) → {:.2} rendered pages/s; {} complete; peak memory (PSS) nianbao+browser {:.0} MB; {:.3} CPU s per rendered page",
                    f.wall.as_secs_f64(),
                    f.startup.as_secs_f64(),
                    f.pages_per_second,
                    f.complete,
                    f.peak_rss_mb,
                    f.cpu_seconds_per_page
                )?;
            }
            BenchCommand::Portal { .. } => unreachable!("served above"),
            BenchCommand::Frontier { urls, fetch } => {
                let (wall, rss, fetched) = frontier_bench(&dir, urls, fetch).await?;
                outln!(
                    "frontier bench: {urls} pending URLs in the frontier, {fetched} fetched in {:.2} s; peak RSS {} MB",
                    wall.as_secs_f64(),
                    rss.map_or("?".into(), |m| format!("{m:.1}"))
                )?;
            }
        }
        Ok::<_, anyhow::Error>(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}
