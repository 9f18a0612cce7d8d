//! `nianbao bench render`: rendered pages per second, peak memory of nianbao
//! and its browser together, and CPU seconds per rendered page, measured
//! against the sample portal's script-built listings (never the network).

use nianbao::render::{
    Admission, BrowserRequest, RenderError, RenderOptions, Renderer, RequestGate,
};
use nianbao_portal::script;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Figures of one render benchmark.
#[derive(Debug, Clone)]
pub struct RenderFigures {
    /// Pages rendered.
    pub pages: usize,
    /// Tabs used.
    pub tabs: usize,
    /// Wall time for all pages (the browser's start included).
    pub wall: Duration,
    /// Time to start the browser (first DevTools reply).
    pub startup: Duration,
    /// Pages rendered per second.
    pub pages_per_second: f64,
    /// Peak memory of nianbao plus the browser group, sampled every 50 ms: the
    /// sum of proportional set sizes (shared pages split between the processes
    /// sharing them; a sum of RSS would count Chromium's shared libraries once per helper).
    pub peak_rss_mb: f64,
    /// CPU seconds of nianbao and the browser processes, per rendered page.
    pub cpu_seconds_per_page: f64,
    /// Rendered pages whose list was complete.
    pub complete: usize,
}

/// Admits everything: the benchmark measures the browser, not the politeness delay.
struct Open;

impl RequestGate for Open {
    fn admit<'a>(
        &'a self,
        _: &'a BrowserRequest,
    ) -> Pin<Box<dyn Future<Output = Admission> + Send + 'a>> {
        Box::pin(async { Admission::Allow(Box::new(())) })
    }
}

/// Sum of PSS (MB) of this process and every process in group `pgid`.
fn rss_mb(pgid: Option<i32>) -> f64 {
    let own = pss_kb("/proc/self/smaps_rollup");
    let mut kb = own;
    if let (Some(g), Ok(dir)) = (pgid, std::fs::read_dir("/proc")) {
        for e in dir.flatten() {
            let name = e.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let rest = stat.rsplit_once(')').map_or("", |r| r.1);
            if rest
                .split_whitespace()
                .nth(2)
                .and_then(|p| p.parse::<i32>().ok())
                == Some(g)
            {
                kb += pss_kb(&format!("/proc/{pid}/smaps_rollup"));
            }
        }
    }
    kb / 1024.0
}

fn pss_kb(path: &str) -> f64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0.0)
}

/// CPU seconds of this process and of its reaped children (the browser and
/// the helpers it reaped), from getrusage.
fn cpu_self_and_children() -> f64 {
    let secs = |who| {
        // SAFETY: getrusage fills the zeroed struct it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut u) };
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        t(u.ru_utime) + t(u.ru_stime)
    };
    secs(libc::RUSAGE_SELF) + secs(libc::RUSAGE_CHILDREN)
}

/// Renders `pages` script-built listings with `tabs` tabs and `idle` as the quiet-network wait.
pub async fn render_bench(
    binary: &Path,
    pages: usize,
    tabs: usize,
    idle: Duration,
) -> Result<RenderFigures, RenderError> {
    let (addr, server) = script::serve().await?;
    let opts = RenderOptions {
        tabs,
        page_timeout: Duration::from_secs(30),
        network_idle: idle,
        max_requests: 100,
        scroll_steps: 1,
        user_agent: "nianbao-bench".into(),
    };
    let renderer = Arc::new(Renderer::new(binary, opts));
    let cpu0 = cpu_self_and_children();
    let t0 = Instant::now();
    // Start the browser with the first page, so start-up is measured on its own.
    let first = url::Url::parse(&format!("http://{addr}/p/0.html"))
        .map_err(|e| RenderError::Protocol(e.to_string()))?;
    let page0 = renderer.render(&first, None, Arc::new(Open)).await?;
    let startup = t0.elapsed().saturating_sub(page0.elapsed);
    let pgid = renderer.browser_pid().await;
    let peak = Arc::new(std::sync::Mutex::new(rss_mb(pgid)));
    let sampler = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                let now = tokio::task::spawn_blocking(move || rss_mb(pgid))
                    .await
                    .unwrap_or(0.0);
                {
                    let mut p = peak.lock().unwrap_or_else(|e| e.into_inner());
                    *p = p.max(now);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let mut set = tokio::task::JoinSet::new();
    for i in 1..pages {
        let r = Arc::clone(&renderer);
        let url = format!("http://{addr}/p/{i}.html");
        set.spawn(async move {
            let url = url::Url::parse(&url).map_err(|e| RenderError::Protocol(e.to_string()))?;
            r.render(&url, None, Arc::new(Open)).await
        });
    }
    let full = |html: &str| html.matches("年度报告").count() == script::LINKS_PER_PAGE;
    let mut complete = full(&page0.html) as usize;
    while let Some(r) = set.join_next().await {
        let page = r.map_err(|e| RenderError::Protocol(e.to_string()))??;
        complete += full(&page.html) as usize;
    }
    let wall = t0.elapsed();
    sampler.abort();
    renderer.shutdown().await;
    // Let the browser's thread reap it, so its CPU time is counted as our children's.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu = cpu_self_and_children() - cpu0;
    server.abort();
    let peak_rss_mb = *peak.lock().unwrap_or_else(|e| e.into_inner());
    Ok(RenderFigures {
        pages,
        tabs,
        wall,
        startup,
        pages_per_second: pages as f64 / wall.as_secs_f64(),
        peak_rss_mb,
        cpu_seconds_per_page: cpu / pages.max(1) as f64,
        complete,
    })
}
