//! `nianbao serve` end to end: the real binary over an archive crawled from
//! the sample portal (and a hostile archive), driven by headless Chromium.
//! Screenshots of each page go to target/screenshots/.

use crate::common::{test_config, write_seeds};
use nianbao::extract::Status;
use nianbao::formats::Format;
use nianbao::page::facts::PageKind;
use nianbao::store::{
    FetchRecord, FrontierState, NewSnapshot, PageCommit, PageMetaRow, PreparedBody, RunKind, Store,
};
use nianbao_portal::Portal;
use scraper::{Html, Selector};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn nianbao(args: &[&str]) -> String {
    crate::common::run_ok(std::path::Path::new("."), args)
}

/// A running `nianbao serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real binary on an OS-chosen port and reads the address it prints.
fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(args)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    Server { child, base }
}

fn get(url: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        (status, headers, resp.bytes().await.unwrap().to_vec())
    })
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v.as_str())
}

// ---- headless Chromium --------------------------------------------------

fn chromium_path() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

struct Browser {
    exe: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    fn find() -> Option<Browser> {
        let exe = chromium_path();
        if exe.is_none() {
            eprintln!(
                "SKIPPED: no Chromium found (/usr/bin/chromium); install it with `apt-get install -y chromium`"
            );
        }
        Some(Browser {
            exe: exe?,
            profile: tempfile::tempdir().unwrap(),
        })
    }

    fn run(&self, extra: &[&str], url: &str) -> Vec<u8> {
        let mut child = Command::new(&self.exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--disable-domain-reliability",
                "--no-pings",
                "--no-first-run",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .args(extra)
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = Vec::new();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let _ = stdout.read_to_end(&mut out);
            out
        });
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if started.elapsed() > Duration::from_secs(90) {
                let _ = child.kill();
                panic!("chromium did not finish on {url}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        reader.join().unwrap()
    }

    /// The DOM after scripts ran.
    fn dom(&self, url: &str) -> Html {
        let out = self.run(&["--dump-dom"], url);
        Html::parse_document(&String::from_utf8_lossy(&out))
    }

    fn screenshot(&self, url: &str, name: &str, height: u32) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&file);
        self.run(
            &[
                &format!("--screenshot={}", file.display()),
                &format!("--window-size=1400,{height}"),
            ],
            url,
        );
        let png = std::fs::read(&file).unwrap_or_default();
        assert!(png.starts_with(b"\x89PNG"), "no screenshot of {url}");
    }
}

fn select<'a>(dom: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    dom.select(&Selector::parse(css).unwrap()).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect::<String>().trim().to_string()
}

/// `data-state` of the matrix cell of `agency` in `year`.
fn state(dom: &Html, agency: &str, year: i32) -> String {
    let cells = select(
        dom,
        &format!("tr[data-agency=\"{agency}\"] td[data-year=\"{year}\"]"),
    );
    assert_eq!(cells.len(), 1, "one cell for {agency} {year}");
    cells[0].value().attr("data-state").unwrap().to_string()
}

fn rows(dom: &Html) -> Vec<String> {
    select(dom, "table#coverage tbody tr")
        .iter()
        .map(|r| r.value().attr("data-agency").unwrap().to_string())
        .collect()
}

/// Crawls the sample portal into a fresh archive; returns (dir, config, portal).
async fn crawled_archive() -> (tempfile::TempDir, String, Portal) {
    let portal = Portal::start().await.unwrap();
    portal.set_slow_delay(Duration::from_millis(2100));
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 50.0, 2, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let cfg = config.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || nianbao(&["--config", &cfg, "crawl"])
    })
    .await
    .unwrap();
    assert!(out.contains("crawl run #1"), "{out}");
    (dir, cfg, portal)
}

#[test]
fn dashboard_over_the_crawled_sample_portal() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_dir, cfg, portal) = rt.block_on(crawled_archive());
    let requests_after_crawl = portal.requests().len();
    let server = serve(&["--config", &cfg]);
    let base = server.base.clone();

    // Plain HTTP: security headers and the read-only CLI comparison.
    let (status, headers, _) = get(&format!("{base}/"));
    assert_eq!(status, 200);
    assert!(header(&headers, "content-security-policy").contains("default-src 'none'"));
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");

    // Another name for 127.0.0.1 (DNS rebinding) is refused.
    let addr = base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: attacker.example:80\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    let _ = conn.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");

    // Downloads are the existing exports.
    let (status, headers, csv) = get(&format!("{base}/export/missing?year=2023&format=csv"));
    assert_eq!(status, 200);
    assert!(header(&headers, "content-disposition").contains("missing-2023.csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'), "CSV with a BOM for Excel");
    for agency in ["新乡市卫滨区人民政府", "肖寨门镇人民政府", "no_entry_url"] {
        assert!(csv.contains(agency), "{agency} in {csv}");
    }
    let (_, _, xlsx) = get(&format!("{base}/export/reports?year=2022&format=xlsx"));
    assert!(xlsx.starts_with(b"PK"), "an XLSX (zip) file");
    let (status, _, _) = get(&format!("{base}/export/passwords?year=2022"));
    assert_eq!(status, 404);

    // `compare` on the command line reads the same archive while the server has it open.
    let json: serde_json::Value = serde_json::from_str(&nianbao(&[
        "--config",
        &cfg,
        "compare",
        "辽中区人民政府办公室",
        "--years",
        "2021-2023",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["agency"], "沈阳市辽中区人民政府办公室");
    let years: Vec<i64> = json["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2021, 2022, 2023]);
    let received = |i: usize| json["years"][i]["report"]["values"][0].as_f64();
    assert_eq!(
        json["years"][2]["delta"][0].as_f64(),
        Some(received(2).unwrap() - received(1).unwrap())
    );
    assert!(
        json["years"][0]["delta"][0].is_null(),
        "no delta before the first year"
    );
    let table = nianbao(&["--config", &cfg, "compare", "辽中区人民政府办公室"]);
    assert!(
        table.contains("received") && table.contains("2023"),
        "{table}"
    );
    let ambiguous = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["--config", &cfg, "compare", "辽中区"])
        .output()
        .unwrap();
    assert!(!ambiguous.status.success());
    assert!(String::from_utf8_lossy(&ambiguous.stderr).contains("be more specific"));

    let Some(browser) = Browser::find() else {
        return;
    };
    let run = |f: Box<dyn FnOnce(&Browser) -> Html + '_>| f(&browser);

    // Coverage: each known agency-year in the right state.
    let u = format!("{base}/?from=2021&to=2023");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "coverage", 900);
        b.dom(&u)
    }));
    assert_eq!(state(&dom, "肖寨门镇人民政府", 2022), "late");
    assert_eq!(state(&dom, "肖寨门镇人民政府", 2023), "missing");
    assert_eq!(state(&dom, "沈阳市辽中区发展和改革局", 2022), "missing");
    assert_eq!(state(&dom, "沈阳市辽中区发展和改革局", 2023), "missing");
    assert_eq!(state(&dom, "新乡市卫滨区人民政府", 2023), "missing");
    assert_eq!(state(&dom, "洛阳市西工区城市改造办公室", 2023), "missing");
    assert_ne!(state(&dom, "新乡市卫滨区人民政府", 2022), "missing");
    assert_ne!(state(&dom, "沈阳市辽中区人民政府办公室", 2022), "missing");
    assert_ne!(state(&dom, "洛阳市西工区城市改造办公室", 2022), "missing");
    let late_cell = select(
        &dom,
        "tr[data-agency=\"肖寨门镇人民政府\"] td[data-year=\"2022\"]",
    );
    assert!(
        text(&late_cell[0]).contains("逾期15天"),
        "{}",
        text(&late_cell[0])
    );
    let reason = select(
        &dom,
        "tr[data-agency=\"肖寨门镇人民政府\"] td[data-year=\"2023\"]",
    );
    assert!(
        text(&reason[0]).contains("无入口网址"),
        "{}",
        text(&reason[0])
    );
    let unreachable = select(
        &dom,
        "tr[data-agency=\"沈阳市辽中区发展和改革局\"] td[data-year=\"2023\"]",
    );
    assert!(text(&unreachable[0]).contains("入口无法访问"));
    let weibin_2022 = select(
        &dom,
        "tr[data-agency=\"新乡市卫滨区人民政府\"] td[data-year=\"2022\"] a",
    )[0]
    .value()
    .attr("href")
    .unwrap()
    .to_string();

    // Filters: state + year, and region.
    let u = format!("{base}/?state=missing&from=2023&to=2023");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "coverage_missing_2023", 600);
        b.dom(&u)
    }));
    let mut missing = rows(&dom);
    missing.sort();
    assert_eq!(
        missing,
        [
            "新乡市卫滨区人民政府",
            "沈阳市辽中区发展和改革局",
            "洛阳市西工区城市改造办公室",
            "肖寨门镇人民政府"
        ]
    );
    let u = format!("{base}/?region=%E6%B2%B3%E5%8D%97%E7%9C%81");
    let dom = run(Box::new(move |b| b.dom(&u)));
    let henan = rows(&dom);
    assert_eq!(henan.len(), 2, "{henan:?}");
    for r in select(&dom, "table#coverage tbody tr td:nth-of-type(1)") {
        assert!(text(&r).starts_with("河南省"), "{}", text(&r));
    }

    // Report page: the extracted values of 卫滨区 2022.
    let u = format!("{base}{weibin_2022}");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "report", 1800);
        b.dom(&u)
    }));
    let received: Vec<String> = select(&dom, "table#applications tr[data-row=\"new_received\"] td")
        .iter()
        .map(text)
        .collect();
    assert_eq!(received, ["12", "0", "0", "0", "0", "0", "12"]);
    let active = text(&select(&dom, "table#active")[0]);
    assert!(
        active.contains("10465") && active.contains("104.133"),
        "{active}"
    );
    assert!(!select(&dom, "table#checks tbody tr").is_empty());
    let archive_link = select(&dom, "a[href^=\"/archive/\"]")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_string();

    // The archived page renders from the archive, in a sandboxed frame.
    let u = format!("{base}{archive_link}");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "archived_page", 1000);
        b.dom(&u)
    }));
    let frame = select(&dom, "iframe.archived");
    assert_eq!(frame.len(), 1);
    assert_eq!(frame[0].value().attr("sandbox"), Some(""));
    let raw = format!("{base}{}", frame[0].value().attr("src").unwrap());
    let dom = run(Box::new(move |b| b.dom(&raw)));
    assert!(select(&dom, "script").is_empty());
    let body = dom.root_element().text().collect::<String>();
    assert!(body.contains("卫滨区"), "{body}");

    // Agency page: years side by side; runs; compare.
    let agency_link = select(
        &run(Box::new({
            let u = format!("{base}/");
            move |b| b.dom(&u)
        })),
        "tr[data-agency=\"沈阳市辽中区人民政府办公室\"] th a",
    )[0]
    .value()
    .attr("href")
    .unwrap()
    .to_string();
    let u = format!("{base}{agency_link}");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "agency", 1600);
        b.dom(&u)
    }));
    assert!(!select(&dom, "svg.chart rect").is_empty(), "chart drawn");
    assert!(!select(&dom, "tr[data-figure=\"received\"] td").is_empty());
    let share_2023: f64 = select(&dom, "td[data-repeat]")
        .last()
        .expect("a repeated-text share")
        .value()
        .attr("data-repeat")
        .unwrap()
        .parse()
        .unwrap();
    let u = format!("{base}{agency_link}/repeat/2023");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "repeated_text", 1000);
        b.dom(&u)
    }));
    let repeated = select(&dom, "div.repeated").len();
    let all = repeated + select(&dom, "div.fresh").len();
    assert!(all > 0, "the 2023 paragraphs are listed");
    assert_eq!(
        repeated > 0,
        share_2023 > 0.0,
        "highlighted passages match the share"
    );
    assert!(text(&select(&dom, "#share")[0]).ends_with('%'));
    let u = format!("{base}/runs");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "runs", 1000);
        b.dom(&u)
    }));
    assert!(!select(&dom, "table#runs tbody tr").is_empty());
    assert!(
        text(&select(&dom, "table#errors")[0]).contains("127.0.0.1"),
        "the unreachable seed is listed"
    );
    let u = format!("{base}/compare?year=2022&region=%E6%B2%B3%E5%8D%97%E7%9C%81");
    let dom = run(Box::new(move |b| {
        b.screenshot(&u, "compare", 700);
        b.dom(&u)
    }));
    let compared: Vec<String> = select(&dom, "table#compare tbody tr td:first-child")
        .iter()
        .map(text)
        .collect();
    assert!(
        compared.contains(&"新乡市卫滨区人民政府".to_string()),
        "{compared:?}"
    );

    // Nothing the browser showed reached the portal: every page came from the archive.
    assert_eq!(portal.requests().len(), requests_after_crawl);
    drop(server);
    rt.block_on(portal.shutdown());
}

#[test]
fn serve_refuses_a_public_address_without_public_and_a_missing_archive() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["--db", db.to_str().unwrap(), "serve", "--bind", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a loopback address") && err.contains("--public"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("none.db"));
    assert!(!db.exists(), "a read-only server never creates the archive");
}

// ---- hostile archive ----------------------------------------------------

/// A loopback server that counts every connection: no page of the dashboard may reach it.
fn canary() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            h.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut s) = s {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        }
    });
    (port, hits)
}

const XSS_AGENCY: &str = "<script>document.body.setAttribute('data-xss','agency')</script>测试局";

fn commit(store: &mut Store, run: i64, url: &str, ct: &str, body: &[u8], meta: PageMetaRow) -> i64 {
    store
        .commit_page(&PageCommit {
            run_id: run,
            frontier_id: 0,
            fetch: FetchRecord {
                url: url.into(),
                host: "127.0.0.1".into(),
                attempt: 1,
                status: Some(200),
                bytes: body.len() as i64,
                ..Default::default()
            },
            snapshot: Some((
                NewSnapshot {
                    url: url.into(),
                    final_url: url.into(),
                    fetched_at: "2024-03-04T05:06:07.089Z".into(),
                    status: 200,
                    http_version: "HTTP/1.1".into(),
                    headers: vec![("Content-Type".into(), ct.into())],
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
                PreparedBody::new(body).unwrap(),
                meta,
            )),
            existing_snapshot_id: None,
            links: vec![],
            state: FrontierState::Done,
            reason: None,
            not_modified: false,
            is_report: false,
            notes: Vec::new(),
            seed_hosts: Vec::new(),
        })
        .unwrap()
        .snapshot_id
        .unwrap()
}

/// A 1×1 red PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

fn hostile_archive(dir: &Path, canary: u16) -> (PathBuf, i64) {
    let db = dir.join("hostile.db");
    let mut store = Store::open(&db).unwrap();
    let csv = format!(
        "agency,region,level,url,aliases\n\"{}\",河南省测试市,部门,http://127.0.0.1:{canary}/,\n",
        XSS_AGENCY.replace('"', "\"\"")
    );
    let rows = nianbao::seeds::parse(csv.as_bytes(), Path::new("hostile.csv")).unwrap();
    store
        .sync_seeds(&rows, &nianbao::seeds::agencies(&rows))
        .unwrap();
    let agency_id = store.agencies().unwrap()[0].id;
    let run = store.begin_run(RunKind::Crawl, "test").unwrap();
    let c = format!("http://127.0.0.1:{canary}");
    commit(
        &mut store,
        run,
        &format!("{c}/logo.png"),
        "image/png",
        PNG,
        PageMetaRow {
            kind: PageKind::Other,
            format: Format::Unknown,
            title: None,
            publish_date: None,
            source: None,
            editor: None,
            column_name: None,
            site_name: None,
            report_year: None,
            agency_name: None,
            agency_id: None,
            parent_snapshot_id: None,
            decoy: None,
        },
    );
    let title =
        "<img src=x onerror=\"document.body.setAttribute('data-xss','title')\">2022年度报告";
    let page = format!(
        r#"<!DOCTYPE html><html><head><title>{title}</title>
<meta http-equiv="refresh" content="0;url={c}/refresh">
<link rel="stylesheet" href="{c}/style.css"><link rel="prefetch" href="{c}/prefetch">
<style>body {{ background: url({c}/bg.png) }}</style>
<script>document.body.setAttribute('data-xss','inline')</script>
<script src="{c}/evil.js"></script></head>
<body onload="document.body.setAttribute('data-xss','onload')">
<h1>测试局2022年政府信息公开工作年度报告</h1>
<p>本机关坚持公开为常态、不公开为例外，全面推进政务公开工作，全年共收到申请12件。</p>
<img src="logo.png" width="80" height="80" alt="archived logo">
<img src="{c}/tracker.gif" srcset="{c}/a.png 2x" onerror="document.body.setAttribute('data-xss','img')">
<iframe src="{c}/frame"></iframe><object data="{c}/obj"></object>
<video poster="{c}/poster.jpg"></video>
<div style="background-image:url({c}/div.png)">styled</div>
<a href="{c}/elsewhere">外部链接</a> <a href="javascript:document.body.setAttribute('data-xss','js')">js</a>
<form action="{c}/post"><input name=q><button formaction="{c}/p2">go</button></form>
</body></html>"#
    );
    let id = commit(
        &mut store,
        run,
        &format!("{c}/2022.html"),
        "text/html; charset=utf-8",
        page.as_bytes(),
        PageMetaRow {
            kind: PageKind::Report,
            format: Format::Html,
            title: Some(title.into()),
            publish_date: chrono::NaiveDate::from_ymd_opt(2023, 3, 1),
            source: Some("<b onmouseover=alert(1)>办公室</b>".into()),
            editor: None,
            column_name: None,
            site_name: None,
            report_year: Some(2022),
            agency_name: Some(XSS_AGENCY.into()),
            agency_id: Some(agency_id),
            parent_snapshot_id: None,
            decoy: None,
        },
    );
    let mut ex = nianbao::extract::not_read(
        Status::Partial,
        "<script>document.body.setAttribute('data-xss','reason')</script>",
    );
    ex.year = Some(2022);
    ex.agency = Some(XSS_AGENCY.into());
    ex.warnings.push(
        "applications.granted: <script>document.body.setAttribute('data-xss','warning')</script>"
            .to_string(),
    );
    let batch = store.extraction_batch().unwrap();
    batch
        .save(&nianbao::store::ExtractionRow {
            snapshot_id: id,
            extractor_version: "test".into(),
            status: ex.status,
            agency: ex.agency.clone(),
            year: Some(2022),
            template: None,
            checks_failed: 0,
            warnings: ex.warnings.len() as i64,
            result_json: serde_json::to_string(&ex).unwrap(),
        })
        .unwrap();
    batch.commit().unwrap();
    (db, id)
}

#[test]
fn hostile_titles_and_pages_never_run_and_never_fetch() {
    let (port, hits) = canary();
    let dir = tempfile::tempdir().unwrap();
    let (db, report) = hostile_archive(dir.path(), port);
    let db = db.to_str().unwrap().to_string();
    let server = serve(&["--db", &db]);
    let base = server.base.clone();

    // The rewritten page, as bytes: nothing left that runs or fetches elsewhere.
    let (status, headers, body) = get(&format!("{base}/raw/{report}"));
    assert_eq!(status, 200);
    let csp = header(&headers, "content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    assert!(
        !csp.contains("script-src"),
        "no script source allowed: {csp}"
    );
    let html = String::from_utf8(body).unwrap();
    let dom = Html::parse_document(&html);
    let canary_origin = format!("127.0.0.1:{port}");
    for el in dom
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let name = el.value().name();
        assert!(
            !["script", "iframe", "object", "embed", "base"].contains(&name),
            "<{name}> left in {html}"
        );
        assert!(
            !(name == "meta" && el.value().attr("http-equiv").is_some()),
            "meta http-equiv left in {html}"
        );
        for (attr, value) in el.value().attrs() {
            assert!(!attr.starts_with("on"), "{attr} left on <{name}>");
            assert!(
                !["srcset", "formaction", "action", "poster"].contains(&attr)
                    || !value.contains(&canary_origin),
                "{attr}={value}"
            );
            if ["href", "src", "style", "poster", "action", "data"].contains(&attr) {
                assert!(
                    !value.contains(&canary_origin),
                    "<{name} {attr}={value}> still points at the site"
                );
                assert!(
                    !value.to_ascii_lowercase().contains("javascript:"),
                    "{attr}={value}"
                );
            }
        }
    }
    let styles: String = select(&dom, "style")
        .iter()
        .map(|s| s.inner_html())
        .collect();
    assert!(!styles.contains(&canary_origin), "{styles}");
    assert!(
        html.contains("src=\"/raw/1\""),
        "the archived image points at its copy: {html}"
    );
    assert!(html.contains("外部链接"), "link text kept");

    let Some(b) = Browser::find() else {
        return;
    };
    for (path, shot) in [
        ("/".to_string(), Some("xss_coverage")),
        (format!("/report/{report}"), Some("xss_report")),
        (format!("/archive/{report}"), Some("xss_archived_page")),
        (format!("/raw/{report}"), None),
        ("/agency/1".to_string(), None),
        ("/compare?year=2022&agencies=1".to_string(), None),
    ] {
        let url = format!("{base}{path}");
        if let Some(name) = shot {
            b.screenshot(&url, name, 900);
        }
        let dom = b.dom(&url);
        let body = select(&dom, "body");
        assert!(
            body.iter().all(|b| b.value().attr("data-xss").is_none()),
            "script ran on {path}: {:?}",
            body[0].value().attr("data-xss")
        );
        assert!(
            select(&dom, "script:not([src=\"/static/app.js\"])").is_empty(),
            "{path}"
        );
        if path == "/" {
            let shown = text(&select(&dom, "table#coverage tbody th")[0]);
            assert_eq!(shown, XSS_AGENCY, "the hostile name is shown as text");
        }
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a dashboard page made the browser fetch from the archived site"
    );
    // The canary does count: a direct fetch reaches it.
    let mut probe = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    probe
        .write_all(b"GET /check HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let _ = probe.read(&mut [0u8; 64]);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    drop(server);
}

// ---- scale --------------------------------------------------------------

/// Page render times over 3,000 agencies × 7 years (ignored: run by hand with
/// `cargo test --release --test it serve_dashboard -- --ignored --nocapture`).
#[test]
#[ignore]
fn dashboard_on_three_thousand_agencies_seven_years() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scale.db");
    let mut store = Store::open(&db).unwrap();
    let n = 3000;
    let mut csv = String::from("agency,region,level,url,aliases\n");
    for i in 0..n {
        csv.push_str(&format!(
            "测试机关{i:04},省{}市{},{},http://127.0.0.1:9/a{i}/,\n",
            i % 20,
            i % 7,
            ["部门", "区县", "乡镇"][i % 3]
        ));
    }
    let rows = nianbao::seeds::parse(csv.as_bytes(), Path::new("s.csv")).unwrap();
    store
        .sync_seeds(&rows, &nianbao::seeds::agencies(&rows))
        .unwrap();
    let ids: Vec<i64> = store.agencies().unwrap().iter().map(|a| a.id).collect();
    let run = store.begin_run(RunKind::Crawl, "scale").unwrap();
    // A real extraction (every field the report page reads), reused for every report.
    let result = serde_json::to_value(nianbao::extract::extract_text(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/reports/002_d64735f63f421535.txt"),
        )
        .unwrap(),
        &nianbao::patterns::ReportPatterns::default(),
    ))
    .unwrap();
    let t = Instant::now();
    let mut reports = 0;
    for (i, id) in ids.iter().enumerate() {
        for year in 2017..=2023 {
            // Every tenth agency misses a year; every seventh publishes late.
            if (i + year as usize).is_multiple_of(10) {
                continue;
            }
            let url = format!("http://127.0.0.1:9/a{i}/{year}.html");
            let body = format!(
                "<html><body><h1>测试机关{i:04}{year}年政府信息公开工作年度报告</h1><p>{}</p><p>本年度第{year}号，编号{i}。</p></body></html>",
                "本机关坚持以人民为中心的发展思想，全面推进政务公开。".repeat(20)
            );
            let sid = commit(
                &mut store,
                run,
                &url,
                "text/html; charset=utf-8",
                body.as_bytes(),
                PageMetaRow {
                    kind: PageKind::Report,
                    format: Format::Html,
                    title: Some(format!("测试机关{i:04}{year}年年报")),
                    publish_date: Some(if i % 7 == 0 {
                        chrono::NaiveDate::from_ymd_opt(year + 1, 2, 15).unwrap()
                    } else {
                        chrono::NaiveDate::from_ymd_opt(year + 1, 1, 15).unwrap()
                    }),
                    source: None,
                    editor: None,
                    column_name: None,
                    site_name: None,
                    report_year: Some(year),
                    agency_name: None,
                    agency_id: Some(*id),
                    parent_snapshot_id: None,
                    decoy: None,
                },
            );
            let mut r = result.clone();
            r["year"] = serde_json::json!(year);
            let batch = store.extraction_batch().unwrap();
            batch
                .save(&nianbao::store::ExtractionRow {
                    snapshot_id: sid,
                    extractor_version: "v1".into(),
                    status: Status::Complete,
                    agency: None,
                    year: Some(year),
                    template: Some("2021".into()),
                    checks_failed: 0,
                    warnings: 0,
                    result_json: r.to_string(),
                })
                .unwrap();
            batch.commit().unwrap();
            reports += 1;
        }
    }
    drop(store);
    eprintln!(
        "built {reports} reports for {n} agencies in {:?}",
        t.elapsed()
    );
    let server = serve(&["--db", db.to_str().unwrap()]);
    let base = &server.base;
    for (what, path) in [
        ("coverage (3000 × 7, first 400 rows)", "/".to_string()),
        ("coverage, state=late", "/?state=late".to_string()),
        (
            "coverage, region prefix 省3市",
            "/?region=%E7%9C%813%E5%B8%82".to_string(),
        ),
        (
            "agency page (7 years, repeated text)",
            format!("/agency/{}", ids[1]),
        ),
        ("report page", "/report/100".to_string()),
        ("archived page (rewritten)", "/raw/100".to_string()),
        (
            "compare, one region (150 agencies)",
            "/compare?year=2022&region=%E7%9C%813%E5%B8%82".to_string(),
        ),
        ("runs and errors", "/runs".to_string()),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let (status, _, body) = get(&format!("{base}{path}"));
            times.push(t.elapsed());
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
            size = body.len();
        }
        times.sort();
        eprintln!(
            "{what}: median {:?} (min {:?}), {} KB",
            times[1],
            times[0],
            size / 1024
        );
    }
}
