//! Script-built listings rendered in real headless Chromium: two test hosts
//! (real HTTP servers on 127.0.0.1) whose lists no static rule can see, one
//! assembled by obfuscated script from an odd endpoint, one drawn late by an
//! app shell and extended on scroll. Politeness is checked from the server's
//! side. Tests that need the browser say so and pass only when it is absent
//! from the machine entirely (CI installs it).

use crate::common::{self, count, strings, write_seeds};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use nianbao::crawl::{self, CrawlOptions};
use nianbao::seeds;
use nianbao::store::Store;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One request as a test host saw it.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    at: Instant,
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Hit>>>);

impl Log {
    fn hits(&self) -> Vec<Hit> {
        self.0.lock().unwrap().clone()
    }
    fn paths(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.path).collect()
    }
}

struct Host {
    base: String,
    log: Log,
}

#[derive(Clone)]
struct HostState {
    log: Log,
    outside: String,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    /// The list is fetched from `/svc/q7` by a script that is itself base64 inside `eval`.
    Obfuscated,
    /// An app shell that draws the list after a delay and adds to it on scroll.
    Delayed,
    /// A page whose script keeps a request open for a long time (to catch the browser alive).
    Hanging,
    /// Anything else: the scope test's outside host.
    Outside,
}

async fn start(kind: Kind, outside: &str) -> Host {
    let log = Log::default();
    let state = HostState {
        log: log.clone(),
        outside: outside.to_string(),
        kind,
    };
    let app = Router::new().fallback(serve).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Host {
        base: format!("http://{addr}"),
        log,
    }
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn with_last_modified(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::LAST_MODIFIED,
        header::HeaderValue::from_static("Mon, 22 Jan 2024 02:00:00 GMT"),
    );
    r
}

fn report_page(agency: &str, year: i32) -> Response {
    html(format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>{agency}{year}年政府信息公开工作年度报告</title></head>
<body><h1>{agency}{year}年政府信息公开工作年度报告</h1>
<p>发布日期：{next}-01-20</p><p>一、总体情况</p><p>本年度共主动公开政府信息120条。</p>
<p>二、主动公开政府信息情况</p></body></html>"#,
        next = year + 1
    ))
}

/// `document.write`-free list code, hidden in base64 so no pattern in the page names the endpoint.
fn obfuscated_loader(outside: &str) -> String {
    let code = format!(
        r#"(function(){{var k=['c3Zj','cTc='];var p='/'+atob(k[0])+'/'+atob(k[1])+'?c='+(6*7);
var x=new XMLHttpRequest();x.open('GET',p);x.onload=function(){{var d=JSON.parse(x.responseText);
var box=document.querySelector('.column-body');d.r.forEach(function(e){{var a=document.createElement('a');
a.href=e.h;a.textContent=e.n;var li=document.createElement('div');li.appendChild(a);box.appendChild(li);}});}};x.send();
fetch('{outside}/beacon').catch(function(){{}});
var s=document.createElement('script');s.src='/private/track.js';document.head.appendChild(s);
var i=document.createElement('img');i.src='/logo.png';document.body.appendChild(i);}})();"#
    );
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(code)
}

async fn serve(State(s): State<HostState>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    s.log.0.lock().unwrap().push(Hit {
        path: path.clone(),
        at: Instant::now(),
    });
    let p = req.uri().path();
    if p == "/robots.txt" {
        return "User-agent: *\nDisallow: /private/\n".into_response();
    }
    match (s.kind, p) {
        (Kind::Obfuscated, "/xxgk/ndbg/index.html") => html(format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>东川市人民政府 - 公开目录</title></head>
<body><h2>公开目录</h2><div class="column-body"></div>
<script>eval(atob('{}'))</script></body></html>"#,
            obfuscated_loader(&s.outside)
        )),
        (Kind::Obfuscated, "/svc/q7") => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"r":[{"h":"/art/2024/x1.html","n":"东川市2023年政府信息公开工作年度报告"},
                {"h":"/art/2023/x2.html","n":"东川市2022年政府信息公开工作年度报告"}]}"#,
        )
            .into_response(),
        (Kind::Obfuscated, "/art/2024/x1.html") => report_page("东川市", 2023),
        (Kind::Obfuscated, "/art/2023/x2.html") => report_page("东川市", 2022),
        (Kind::Delayed, "/gk/index.html")
            if req.headers().contains_key(header::IF_MODIFIED_SINCE) =>
        {
            StatusCode::NOT_MODIFIED.into_response()
        }
        (Kind::Delayed, "/gk/index.html") => with_last_modified(html(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>西岭县信息公开</title>
<script src="/static/app.js"></script></head><body><div id="app"></div></body></html>"#
                .into(),
        )),
        (Kind::Delayed, "/static/app.js") => (
            [(header::CONTENT_TYPE, "application/javascript")],
            r#"window.addEventListener('load', function () {
  var app = document.getElementById('app');
  function add(items) { items.forEach(function (e) {
    var a = document.createElement('a'); a.href = e.u; a.textContent = e.t;
    var d = document.createElement('div'); d.appendChild(a); app.appendChild(d); }); }
  setTimeout(function () {
    fetch('/data/first').then(function (r) { return r.json(); }).then(function (items) {
      add(items);
      var pad = document.createElement('div'); pad.style.height = '3000px'; app.appendChild(pad);
      var more = false;
      window.addEventListener('scroll', function () {
        if (more || window.scrollY + window.innerHeight < document.body.scrollHeight - 200) return;
        more = true;
        fetch('/data/more').then(function (r) { return r.json(); }).then(add);
      });
    });
  }, 1200);
});"#,
        )
            .into_response(),
        (Kind::Delayed, "/data/first") => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"[{"u":"/gk/r2023.html","t":"西岭县2023年政府信息公开工作年度报告"},
                {"u":"/gk/r2022.html","t":"西岭县2022年政府信息公开工作年度报告"}]"#,
        )
            .into_response(),
        (Kind::Delayed, "/data/more") => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"[{"u":"/gk/r2021.html","t":"西岭县2021年政府信息公开工作年度报告"}]"#,
        )
            .into_response(),
        (Kind::Delayed, "/gk/r2023.html") => report_page("西岭县", 2023),
        (Kind::Delayed, "/gk/r2022.html") => report_page("西岭县", 2022),
        (Kind::Delayed, "/gk/r2021.html") => report_page("西岭县", 2021),
        (Kind::Hanging, "/list/index.html") => html(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表</title></head>
<body><ul id="list"></ul><script>fetch('/hang');</script></body></html>"#
                .into(),
        ),
        (Kind::Hanging, "/hang") => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            "late".into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn chromium() -> Option<PathBuf> {
    nianbao::render::find_chromium(None)
}

/// One browser test at a time: several Chromiums at once would starve the
/// timing-sensitive tests running beside them in this binary.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The browser is needed: present (and this test's turn), or the test is
/// skipped loudly when the machine has none.
macro_rules! need_chromium {
    () => {
        if chromium().is_none() {
            eprintln!(
                "SKIPPED: no Chromium on this machine ({})",
                nianbao::render::INSTALL_HINT
            );
            return;
        }
        let _turn = BROWSER.lock().await;
    };
}

fn config(dir: &Path, rps: f64, render: &str) -> PathBuf {
    let path = dir.join("crawler.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[crawler]
user_agent = "nianbao-test/1.0"
concurrency = 8
per_host_requests_per_second = {rps}
per_host_burst = 1
connect_timeout_secs = 2.0
request_timeout_secs = 5.0
retries = 0
max_depth = 3
[render]
{render}
[storage]
database = "archive.db"
seeds = ["seeds"]
"#
        ),
    )
    .unwrap();
    path
}

fn seeds_csv(rows: &[(&str, String)]) -> String {
    let mut s = String::from("agency,region,level,url,aliases\n");
    for (agency, url) in rows {
        s.push_str(&format!("{agency},测试省,市,{url},\n"));
    }
    s
}

async fn crawl_dir(dir: &Path, config_path: &Path, csv: &str) -> (crawl::CrawlSummary, Store) {
    let seeds_dir = write_seeds(dir, csv);
    let config = common::load_config(config_path);
    let rows = seeds::load(&[seeds_dir]).unwrap();
    let store = Store::open(&dir.join("archive.db")).unwrap();
    let (_tx, rx) = watch::channel(false);
    nianbao::pipeline::crawl_then_extract(&config, store, &rows, &CrawlOptions::default(), rx)
        .await
        .unwrap()
}

/// The frontier of a run, for failure messages.
fn frontier(store: &Store, run: i64) -> Vec<String> {
    strings(
        store,
        &format!(
            "SELECT url || ' ' || kind || ' ' || state || ' ' || COALESCE(reason, '') FROM frontier WHERE run_id = {run}"
        ),
    )
}

fn report_years(store: &Store, agency: &str) -> Vec<String> {
    strings(
        store,
        &format!(
            "SELECT DISTINCT CAST(pm.report_year AS TEXT) FROM page_meta pm LEFT JOIN agencies a ON a.id = pm.agency_id
             WHERE pm.kind = 'report' AND COALESCE(a.name, pm.agency_name) LIKE '%{agency}%' ORDER BY 1"
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_built_lists_are_rendered_politely_and_their_reports_archived() {
    need_chromium!();
    let outside = start(Kind::Outside, "").await;
    let obf = start(Kind::Obfuscated, &outside.base).await;
    let delayed = start(Kind::Delayed, &outside.base).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2.0, "");
    let csv = seeds_csv(&[
        (
            "东川市人民政府",
            format!("{}/xxgk/ndbg/index.html", obf.base),
        ),
        ("西岭县人民政府", format!("{}/gk/index.html", delayed.base)),
    ]);
    let (summary, store) = crawl_dir(dir.path(), &cfg, &csv).await;

    // The reports behind both script-built lists are found and archived.
    assert_eq!(
        report_years(&store, "东川市"),
        ["2022", "2023"],
        "{summary:?}"
    );
    assert_eq!(
        report_years(&store, "西岭县"),
        ["2021", "2022", "2023"],
        "the late list and its scrolled-in entry: {:#?}",
        frontier(&store, summary.run_id)
    );
    // Each listing is archived twice: the bytes served, and the rendered DOM marked as such.
    for (url, why) in [
        (format!("{}/xxgk/ndbg/index.html", obf.base), "script loads"),
        (
            format!("{}/gk/index.html", delayed.base),
            "single-page-app shell div#app",
        ),
    ] {
        let rows = strings(
            &store,
            &format!(
                "SELECT s.rendered || ' ' || COALESCE(pm.render_reason, '-') FROM snapshots s
                 JOIN page_meta pm ON pm.snapshot_id = s.id WHERE s.url = '{url}' ORDER BY s.rendered"
            ),
        );
        assert_eq!(rows.len(), 2, "{url}: {rows:?}");
        assert_eq!(rows[0], "0 -");
        assert!(
            rows[1].starts_with("1 ") && rows[1].contains(why),
            "{rows:?}"
        );
        let reason = strings(
            &store,
            &format!("SELECT reason FROM frontier WHERE url = '{url}'"),
        );
        assert!(reason[0].starts_with("rendered: "), "{reason:?}");
    }
    // The rendered DOM holds the links the script added.
    let rendered: Vec<u8> = store
        .conn()
        .query_row(
            "SELECT s.id FROM snapshots s WHERE s.rendered = 1 AND s.url LIKE '%/xxgk/ndbg/index.html'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|id| store.snapshot_body(id).unwrap().unwrap())
        .unwrap();
    let text = String::from_utf8(rendered).unwrap();
    assert!(text.contains(r#"href="/art/2024/x1.html""#), "{text}");

    // Nothing left the seeds' scope: the outside host was never asked, and the attempt is on record.
    assert!(outside.log.paths().is_empty(), "{:?}", outside.log.paths());
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT COUNT(*) FROM fetches WHERE url LIKE '{}%' AND error_kind = 'refused'",
                outside.base
            )
        ),
        1
    );
    // robots.txt holds for the browser too, and images are not loaded.
    let obf_paths = obf.log.paths();
    assert!(
        !obf_paths.iter().any(|p| p.starts_with("/private/")),
        "{obf_paths:?}"
    );
    assert!(!obf_paths.iter().any(|p| p == "/logo.png"), "{obf_paths:?}");
    // The listing itself was not fetched twice: the browser was served the crawler's copy.
    assert_eq!(
        obf_paths
            .iter()
            .filter(|p| *p == "/xxgk/ndbg/index.html")
            .count(),
        1
    );
    // The browser's requests are recorded as fetches.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM fetches WHERE url LIKE '%/svc/q7?c=42' AND status = 200"
        ),
        1
    );
    assert!(obf_paths.iter().any(|p| p == "/svc/q7?c=42"));

    // From each server's side the per-host rate held, the browser's requests included.
    for host in [&obf, &delayed] {
        let hits = host.log.hits();
        assert!(hits.len() >= 5, "{:?}", host.log.paths());
        for w in hits.windows(2) {
            let gap = w[1].at.duration_since(w[0].at);
            assert!(
                // 500 ms apart at 2/s; the slack absorbs arrival jitter on a loaded machine,
                // while a browser request let through without waiting lands within milliseconds.
                gap >= Duration::from_millis(300),
                "{} then {} only {gap:?} apart (rate 2/s)",
                w[0].path,
                w[1].path
            );
        }
    }
    // Re-extraction from the archive reads the rendered reports like any others.
    assert!(
        summary.extracted.as_ref().is_some_and(|e| e.reports >= 5),
        "{summary:?}"
    );
    // WARC export writes each rendered DOM as a conversion record, not as a server response.
    let warc = nianbao::export::write_warc(
        &store,
        &dir.path().join("warc"),
        &nianbao::export::WarcOptions::default(),
    )
    .unwrap();
    assert_eq!(warc.conversions, 2, "{warc:?}");
    drop(store);

    // Next week: the app shell answers 304 and the obfuscated page is unchanged, yet both lists
    // are rendered again (their data may have changed) and the reports are reached again.
    let (again, store) = crawl_dir(dir.path(), &cfg, &csv).await;
    assert!(again.not_modified >= 1, "{again:?}");
    let run2 = strings(
        &store,
        &format!(
            "SELECT url FROM frontier WHERE run_id = {} AND kind = 'report' AND state = 'done' ORDER BY url",
            again.run_id
        ),
    );
    assert_eq!(run2.len(), 5, "{:#?}", frontier(&store, again.run_id));
    // The same DOM is not archived twice.
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM snapshots WHERE rendered = 1"),
        2
    );
    let reasons = strings(
        &store,
        &format!(
            "SELECT reason FROM frontier WHERE run_id = {} AND kind = 'seed' ORDER BY url",
            again.run_id
        ),
    );
    assert!(
        reasons.iter().all(|r| r.contains("rendered: ")),
        "{reasons:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_browser_the_pages_are_recorded_as_needing_one() {
    let outside = start(Kind::Outside, "").await;
    let obf = start(Kind::Obfuscated, &outside.base).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 20.0, r#"chromium = "/nonexistent/chromium""#);
    let csv = seeds_csv(&[(
        "东川市人民政府",
        format!("{}/xxgk/ndbg/index.html", obf.base),
    )]);
    let (_, store) = crawl_dir(dir.path(), &cfg, &csv).await;
    // No static rule sees the list: nothing is found, and the page says why.
    assert!(report_years(&store, "东川市").is_empty());
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM snapshots WHERE rendered = 1"),
        0
    );
    let needs = store.needs_browser().unwrap();
    assert_eq!(needs.len(), 1, "{needs:?}");
    assert!(needs[0].url.ends_with("/xxgk/ndbg/index.html"));
    assert!(
        needs[0].reason.contains("needs a browser: script loads"),
        "{needs:?}"
    );
    // status says how to get one.
    let status = nianbao::status::status(&store, 3).unwrap().to_string();
    assert!(status.contains("need a browser"), "{status}");
    assert!(status.contains("apt-get install chromium"), "{status}");
    // The browser never ran, so the list endpoint was never asked.
    assert!(!obf.log.paths().iter().any(|p| p.starts_with("/svc/")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_dies_is_restarted_for_the_next_page() {
    need_chromium!();
    use nianbao::render::{Admission, BrowserRequest, RenderOptions, Renderer, RequestGate};
    struct Open;
    impl RequestGate for Open {
        fn admit<'a>(
            &'a self,
            _: &'a BrowserRequest,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Admission> + Send + 'a>> {
            Box::pin(async { Admission::Allow(Box::new(())) })
        }
    }
    let host = start(Kind::Delayed, "").await;
    let r = Renderer::new(
        &chromium().unwrap(),
        RenderOptions::from_config(&Default::default(), "nianbao-test/1.0".into()),
    );
    let url = url::Url::parse(&format!("{}/gk/index.html", host.base)).unwrap();
    let first = r.render(&url, None, Arc::new(Open)).await.unwrap();
    assert!(first.html.contains("西岭县2021年"), "{}", first.html);
    let pid = r.browser_pid().await.unwrap();
    // SAFETY: signalling the browser this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = r.render(&url, None, Arc::new(Open)).await.unwrap();
    assert!(second.html.contains("西岭县2023年"));
    assert_eq!(r.launches(), 2);
    assert_ne!(r.browser_pid().await, Some(pid));
    r.shutdown().await;
}

/// Processes whose process group is `pgid`.
fn group_members(pgid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command (which may hold spaces) in parentheses: state ppid pgrp …
        let rest = &stat[stat.rfind(')').unwrap_or(0) + 1..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.first() == Some(&"Z") {
            continue;
        }
        if f.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid) {
            out.push(pid);
        }
    }
    out
}

/// The direct children of `parent` whose command line mentions chromium.
fn chromium_children(parent: u32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let rest = &stat[stat.rfind(')').map_or(stat.len(), |i| i + 1)..];
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == Some(parent) && String::from_utf8_lossy(&cmd).contains("chrom") {
            out.push(pid);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_chromium_process_survives_a_sigkill_of_the_crawl() {
    need_chromium!();
    let host = start(Kind::Hanging, "").await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 20.0, "page_timeout_secs = 120.0");
    write_seeds(
        dir.path(),
        &seeds_csv(&[("南山镇人民政府", format!("{}/list/index.html", host.base))]),
    );
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["--config", cfg.to_str().unwrap(), "crawl"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let nianbao = child.id().unwrap();
    // Wait until the browser is rendering the page (its script's request reached the server).
    let deadline = Instant::now() + Duration::from_secs(60);
    let browser = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let kids = chromium_children(nianbao);
        if !kids.is_empty() && host.log.paths().iter().any(|p| p == "/hang") {
            break kids[0];
        }
        assert!(
            Instant::now() < deadline,
            "the browser never started rendering"
        );
        assert!(child.try_wait().unwrap().is_none(), "the crawl ended early");
    };
    let members = group_members(browser);
    assert!(
        members.len() >= 2,
        "browser and its helpers share a group: {members:?}"
    );
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = group_members(browser);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chromium processes left after SIGKILL of nianbao: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
