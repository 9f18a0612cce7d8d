//! The hostile world, on 127.0.0.1: a fault server that misbehaves on purpose
//! (resets mid-body, drips, huge headers, gzip bombs, redirects out of scope,
//! robots.txt that fails or never ends, lying charsets, deep nesting), crashes
//! and stops at bad moments, damaged and mistyped archives. Each test asserts
//! what lands in the archive.

use crate::common::{count, strings, test_config, write_seeds};
use nianbao::crawl::CrawlOptions;
use nianbao::store::Store;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fault server does with one request.
pub enum Reply {
    /// A plain response (Content-Length set from the body).
    Ok {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Announces `claimed` bytes, sends `body`, then resets the connection.
    ResetMidBody { claimed: usize, body: Vec<u8> },
    /// Sends `body` in `chunk`-byte pieces, `every` apart.
    Drip {
        body: Vec<u8>,
        chunk: usize,
        every: Duration,
    },
    /// A response whose headers alone are `bytes` long.
    HugeHeaders { bytes: usize },
    /// A 200 streaming `len` bytes of `line` repeated, without holding them.
    Stream { line: Vec<u8>, len: usize },
    /// Reads the request and never answers.
    Hang,
}

impl Reply {
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type("text/html; charset=utf-8", body)
    }

    pub fn with_type(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Ok {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn status(status: u16) -> Reply {
        Reply::Ok {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn redirect(location: &str) -> Reply {
        Reply::Ok {
            status: 302,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }

    pub fn not_found() -> Reply {
        Reply::status(404)
    }
}

type Handler = dyn Fn(&str) -> Reply + Send + Sync;

/// A request the fault server saw: when, and which path.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub path: String,
}

/// A real HTTP/1.1 server on 127.0.0.1 (or another loopback address) whose
/// answers come from a handler of the request path.
pub struct FaultServer {
    pub port: u16,
    pub ip: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    pub async fn start(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> FaultServer {
        Self::start_on("127.0.0.1", handler).await
    }

    pub async fn start_on(
        ip: &str,
        handler: impl Fn(&str) -> Reply + Send + Sync + 'static,
    ) -> FaultServer {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let task = {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let handler = Arc::clone(&handler);
                    let seen = Arc::clone(&seen);
                    tokio::spawn(async move {
                        let _ = serve(stream, &*handler, &seen).await;
                    });
                }
            })
        };
        FaultServer {
            port,
            ip: ip.to_string(),
            seen,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.ip, self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    seen.lock().unwrap().push(Seen {
        at: Instant::now(),
        path: path.clone(),
    });
    match handler(&path) {
        Reply::Ok {
            status,
            headers,
            body,
        } => {
            let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            stream.write_all(out.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Reply::ResetMidBody { claimed, body } => {
            let out = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {claimed}\r\n\r\n"
            );
            stream.write_all(out.as_bytes()).await?;
            stream.write_all(&body).await?;
            stream.flush().await?;
            // Linger 0: dropping the socket sends a RST instead of a FIN.
            #[allow(deprecated)]
            stream.set_linger(Some(Duration::ZERO))?;
            drop(stream);
            return Ok(());
        }
        Reply::Drip { body, chunk, every } => {
            let out = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(out.as_bytes()).await?;
            for piece in body.chunks(chunk.max(1)) {
                stream.write_all(piece).await?;
                stream.flush().await?;
                tokio::time::sleep(every).await;
            }
        }
        Reply::HugeHeaders { bytes } => {
            let mut out =
                String::from("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n");
            let mut i = 0;
            while out.len() < bytes {
                out.push_str(&format!("X-Filler-{i}: {}\r\n", "a".repeat(1000)));
                i += 1;
            }
            out.push_str("Content-Length: 2\r\n\r\nok");
            stream.write_all(out.as_bytes()).await?;
        }
        Reply::Stream { line, len } => {
            let out = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {len}\r\n\r\n"
            );
            stream.write_all(out.as_bytes()).await?;
            let block: Vec<u8> = line.iter().copied().cycle().take(64 * 1024).collect();
            let mut sent = 0;
            while sent < len {
                let n = block.len().min(len - sent);
                stream.write_all(&block[..n]).await?;
                sent += n;
            }
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
    stream.shutdown().await?;
    Ok(())
}

/// A test folder with a config (the fast test settings plus `extra`) and one seed.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub db: PathBuf,
}

impl Site {
    pub fn new(seed_csv: &str, extra: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(dir.path(), 50.0, 2, extra);
        write_seeds(dir.path(), seed_csv);
        let db = dir.path().join("archive.db");
        Site { dir, config, db }
    }

    /// One seed row: an agency and its disclosure page.
    pub fn one_seed(url: &str, extra: &str) -> Site {
        Site::new(
            &format!("agency,region,level,url,aliases\n测试市人民政府,测试市,市级,{url},\n"),
            extra,
        )
    }

    pub fn nianbao(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs the crawl through the library with a stop signal the test controls.
    pub async fn crawl_with(
        &self,
        shutdown: nianbao::shutdown::Shutdown,
    ) -> Result<nianbao::crawl::CrawlSummary, nianbao::crawl::CrawlError> {
        let config = nianbao::config::Config::load(&self.config).unwrap();
        let rows = nianbao::seeds::load(&config.seed_paths()).unwrap();
        let store = Store::open(&self.db).unwrap();
        let opts = CrawlOptions {
            command: "test".into(),
            ..Default::default()
        };
        nianbao::pipeline::crawl_then_extract(&config, store, &rows, &opts, shutdown)
            .await
            .map(|(s, _)| s)
    }

    pub async fn crawl(&self) -> nianbao::crawl::CrawlSummary {
        let (_tx, rx) = nianbao::shutdown::shutdown_channel();
        self.crawl_with(rx).await.unwrap()
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }
}

pub fn report_page(title: &str) -> String {
    format!(
        "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>发布日期：2024-01-20</p><table><tr><td>信息内容</td><td>数量</td></tr><tr><td>主动公开</td><td>12</td></tr></table></body></html>"
    )
}

pub fn listing(links: &[(&str, &str)]) -> String {
    let items: String = links
        .iter()
        .map(|(href, text)| format!("<li><a href=\"{href}\">{text}</a></li>"))
        .collect();
    format!(
        "<html><head><title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>"
    )
}

pub const REPORT_TITLE: &str = "测试市人民政府2023年政府信息公开工作年度报告";

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// ---- 1. reports archived before a crash are extracted by the next run -----

fn done_count(db: &Path) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    conn.query_row(
        "SELECT COUNT(*) FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id WHERE pm.kind = 'report'",
        [],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_archived_before_a_sigkill_are_extracted_after_the_resumed_crawl() {
    let portal = nianbao_portal::Portal::synthetic(2, 10).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 30.0, 1, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let db = dir.path().join("archive.db");
    let crawl = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .args(["--config", config.to_str().unwrap(), "crawl"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let mut child = crawl();
    let deadline = Instant::now() + Duration::from_secs(60);
    while done_count(&db) < 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(Instant::now() < deadline, "no report archived in time");
        assert!(child.try_wait().unwrap().is_none(), "ended before the kill");
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    {
        let store = Store::open(&db).unwrap();
        assert!(
            count(
                &store,
                "SELECT COUNT(*) FROM frontier WHERE state = 'pending'"
            ) > 0,
            "killed too late"
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM extractions"),
            0,
            "the killed run extracted nothing (extraction follows the crawl)"
        );
    }
    let out = crawl().wait_with_output().await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let store = Store::open(&db).unwrap();
    let reports = count(
        &store,
        "SELECT COUNT(*) FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id WHERE pm.kind = 'report'",
    );
    assert_eq!(reports as usize, portal.expected_reports().len());
    let unextracted = strings(
        &store,
        "SELECT s.url FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
         WHERE pm.kind = 'report' AND NOT EXISTS (SELECT 1 FROM extractions e WHERE e.snapshot_id = s.id)",
    );
    assert!(unextracted.is_empty(), "never extracted: {unextracted:?}");
    assert_eq!(
        count(&store, "SELECT extracted FROM runs"),
        reports,
        "the resumed run counts every report it extracted"
    );
    portal.shutdown().await;
}

// ---- 2. a stop leaves retryable work pending ------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_a_retryable_error_leaves_the_page_pending_and_starts_nothing_new() {
    let (tx, rx) = nianbao::shutdown::shutdown_channel();
    let tx = Arc::new(tx);
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let server = {
        let tx = Arc::clone(&tx);
        let failing = Arc::clone(&failing);
        FaultServer::start(move |path| match path {
            "/" => Reply::html(listing(&[
                ("/r1.html", REPORT_TITLE),
                ("/r2.html", "测试市人民政府2022年政府信息公开工作年度报告"),
                ("/r3.html", "测试市人民政府2021年政府信息公开工作年度报告"),
            ])),
            "/r1.html" if failing.load(std::sync::atomic::Ordering::SeqCst) => {
                // The stop arrives while this page is failing.
                let _ = tx.send(true);
                Reply::status(500)
            }
            "/r1.html" => Reply::html(report_page(REPORT_TITLE)),
            p if p.starts_with("/r") => {
                Reply::html(report_page("测试市人民政府2022年政府信息公开工作年度报告"))
            }
            _ => Reply::not_found(),
        })
        .await
    };
    // One request at a time, so the stop falls between pages.
    let site = Site::one_seed(&server.url("/"), "");
    let text = std::fs::read_to_string(&site.config)
        .unwrap()
        .replace("per_host_burst = 2", "per_host_burst = 1")
        .replace(
            "per_host_requests_per_second = 50",
            "per_host_requests_per_second = 5",
        );
    std::fs::write(&site.config, text).unwrap();
    let summary = site.crawl_with(rx).await.unwrap();
    let stopped_at = Instant::now();
    assert!(summary.interrupted, "{summary}");
    {
        let store = site.store();
        assert_eq!(
            strings(
                &store,
                "SELECT state FROM frontier WHERE url LIKE '%/r1.html'"
            ),
            vec!["pending".to_string()],
            "a retryable failure cut short by the stop stays pending"
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM frontier WHERE state = 'failed'"
            ),
            0
        );
    }
    assert_eq!(server.hits("/r1.html"), 1, "no retry after the stop");
    let after_stop = server.seen().iter().filter(|s| s.at > stopped_at).count();
    assert_eq!(after_stop, 0);
    let first_stop = server
        .seen()
        .iter()
        .position(|s| s.path == "/r1.html")
        .unwrap();
    assert_eq!(
        server.seen().len(),
        first_stop + 1,
        "nothing started after the stop was asked for: {:?}",
        server.seen()
    );
    // The next run resumes and retries it.
    failing.store(false, std::sync::atomic::Ordering::SeqCst);
    let summary = site.crawl().await;
    assert!(summary.resumed && !summary.interrupted, "{summary}");
    let store = site.store();
    assert_eq!(
        strings(
            &store,
            "SELECT state FROM frontier WHERE url LIKE '%/r1.html'"
        ),
        vec!["done".to_string()]
    );
}

// ---- 4. a damaged archive is refused for writing, warned about for reading --

/// A small site: a listing and one report.
async fn report_site() -> FaultServer {
    FaultServer::start(|path| match path {
        "/" => Reply::html(listing(&[("/r1.html", REPORT_TITLE)])),
        "/r1.html" => Reply::html(report_page(REPORT_TITLE)),
        _ => Reply::not_found(),
    })
    .await
}

fn sha(path: &Path) -> String {
    nianbao::store::sha256_hex(&std::fs::read(path).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_archive_is_not_written_to_and_readers_are_warned() {
    let server = report_site().await;
    let site = Site::one_seed(&server.url("/"), "");
    let out = site.nianbao(&["crawl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    {
        // Pages of a table no command reads, damaged in the middle of the file.
        let conn = rusqlite::Connection::open(&site.db).unwrap();
        conn.execute_batch("CREATE TABLE ballast (b BLOB)").unwrap();
        for _ in 0..300 {
            conn.execute("INSERT INTO ballast VALUES (randomblob(3000))", [])
                .unwrap();
        }
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let len = std::fs::metadata(&site.db).unwrap().len();
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&site.db)
            .unwrap();
        use std::io::{Seek, SeekFrom};
        for page in [len / 4096 / 2, len / 4096 / 2 + 7, len / 4096 / 2 + 31] {
            f.seek(SeekFrom::Start(page * 4096)).unwrap();
            f.write_all(&[0xA5; 4096]).unwrap();
        }
    }
    let before = sha(&site.db);
    let out = site.nianbao(&["crawl"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "a damaged archive was crawled into");
    assert!(
        err.contains(&site.db.display().to_string()) && err.contains("damaged"),
        "{err}"
    );
    assert!(err.contains("backup") && err.contains(".recover"), "{err}");
    assert_eq!(
        sha(&site.db),
        before,
        "nothing written to the damaged archive"
    );
    let out = site.nianbao(&["extract"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
    assert_eq!(sha(&site.db), before);
    // Readers answer, with a warning.
    let out = site.nianbao(&["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning") && stderr(&out).contains("damaged"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("crawl"), "{}", stdout(&out));
    assert_eq!(sha(&site.db), before);
}

// ---- 5. only crawl, schedule and demo create an archive ---------------------

#[test]
fn commands_other_than_crawl_refuse_a_path_with_no_archive_and_create_nothing() {
    let site = Site::one_seed("http://127.0.0.1:9/", "");
    let missing = site.dir.path().join("typo").join("archive.db");
    let db = missing.to_str().unwrap();
    for args in [
        vec!["status"],
        vec!["missing", "--year", "2023"],
        vec!["late", "--year", "2023"],
        vec!["discovered"],
        vec!["export", "--format", "csv"],
        vec!["warc", "--out", "x.warc.gz"],
        vec!["show", "1"],
        vec!["extract"],
    ] {
        let mut full = vec!["--db", db];
        full.extend(&args);
        let out = site.nianbao(&full);
        assert!(!out.status.success(), "{args:?} answered on no archive");
        let err = stderr(&out);
        assert!(
            err.contains("no archive at") && err.contains(db),
            "{args:?}: {err}"
        );
        assert!(
            !site.dir.path().join("typo").exists(),
            "{args:?} created it"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_commands_leave_the_archive_file_untouched() {
    let server = report_site().await;
    let site = Site::one_seed(&server.url("/"), "");
    assert!(site.nianbao(&["crawl"]).status.success());
    let before = sha(&site.db);
    for args in [
        vec!["status"],
        vec!["missing", "--year", "2023"],
        vec!["export", "--format", "csv"],
    ] {
        let out = site.nianbao(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(sha(&site.db), before);
}

// ---- 7. a lying charset header ------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_charset_header_is_overruled_and_the_report_recognised() {
    let page = report_page(REPORT_TITLE).replace("<head>", "<head><meta charset=\"gb2312\">");
    let (gbk, _, _) = encoding_rs::GBK.encode(&page);
    let gbk = gbk.into_owned();
    let server = FaultServer::start(move |path| match path {
        "/" => Reply::html(listing(&[("/r1.html", REPORT_TITLE)])),
        "/r1.html" => Reply::with_type("text/html; charset=utf-8", gbk.clone()),
        _ => Reply::not_found(),
    })
    .await;
    let site = Site::one_seed(&server.url("/"), "");
    site.crawl().await;
    let store = site.store();
    let row: (String, String, String, String) = store
        .conn()
        .query_row(
            "SELECT s.charset, s.charset_source, pm.kind, pm.title FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id WHERE s.url LIKE '%/r1.html'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(row.0, "gb18030");
    assert_eq!(row.1, "meta; header said UTF-8", "the mismatch is recorded");
    assert_eq!(row.2, "report");
    assert_eq!(row.3, REPORT_TITLE);
}

// ---- 8. redirects and addresses -------------------------------------------------

fn frontier_row(store: &Store, path: &str) -> (String, String) {
    store
        .conn()
        .query_row(
            &format!("SELECT state, COALESCE(reason, '') FROM frontier WHERE url LIKE '%:%{path}'"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_redirect_hop_passes_scope_robots_and_the_address_policy() {
    let other_port = FaultServer::start(|_| Reply::html(report_page(REPORT_TITLE))).await;
    let other_ip =
        FaultServer::start_on("127.0.0.2", |_| Reply::html(report_page(REPORT_TITLE))).await;
    let to_port = other_port.url("/r.html");
    let to_ip = other_ip.url("/r.html");
    let server = FaultServer::start(move |path| match path {
        "/robots.txt" => Reply::with_type("text/plain", "User-agent: *\nDisallow: /kept-out\n"),
        "/" => Reply::html(listing(&[
            ("/port.html", "测试市2023年政府信息公开工作年度报告（端口）"),
            ("/ip.html", "测试市2022年政府信息公开工作年度报告（地址）"),
            ("/file.html", "测试市2021年政府信息公开工作年度报告（文件）"),
            (
                "/robots.html",
                "测试市2020年政府信息公开工作年度报告（robots）",
            ),
            ("/moved.html", REPORT_TITLE),
            ("/loop.html", "测试市2019年政府信息公开工作年度报告（循环）"),
        ])),
        "/port.html" => Reply::redirect(&to_port),
        "/ip.html" => Reply::redirect(&to_ip),
        "/file.html" => Reply::redirect("file:///etc/passwd"),
        "/robots.html" => Reply::redirect("/kept-out/r.html"),
        "/moved.html" => Reply::redirect("/new/r.html"),
        "/new/r.html" => Reply::html(report_page(REPORT_TITLE)),
        p if p.starts_with("/loop") => Reply::redirect(&format!("/loop{}.html", p.len())),
        _ => Reply::not_found(),
    })
    .await;
    // 127.0.0.2 is in scope here: only the address policy stands in its way.
    let site = Site::one_seed(&server.url("/"), "[scope]\nextra_hosts = [\"127.0.0.2\"]\n");
    site.crawl().await;
    let store = site.store();
    assert_eq!(other_port.seen().len(), 0, "another port was contacted");
    assert_eq!(
        other_ip.seen().len(),
        0,
        "another loopback address was contacted"
    );
    assert_eq!(
        server.hits("/kept-out/r.html"),
        0,
        "robots.txt ignored on a hop"
    );
    let (state, reason) = frontier_row(&store, "/port.html");
    assert_eq!(state, "skipped");
    assert!(reason.contains("leaves the crawl's scope"), "{reason}");
    let (state, reason) = frontier_row(&store, "/ip.html");
    assert_eq!(state, "failed");
    assert!(
        reason.contains("address refused") && reason.contains("127.0.0.2"),
        "{reason}"
    );
    assert_eq!(
        strings(
            &store,
            "SELECT error_kind FROM fetches WHERE url LIKE '%127.0.0.2%/r.html'"
        ),
        vec!["refused".to_string()],
        "the refusal is logged against the redirect target"
    );
    assert_eq!(
        strings(
            &store,
            "SELECT DISTINCT COALESCE(error_kind, 'none') FROM fetches WHERE url LIKE '%127.0.0.2%'"
        ),
        vec!["refused".to_string()],
        "its robots.txt too was refused, not fetched"
    );
    let (state, reason) = frontier_row(&store, "/file.html");
    assert_eq!(state, "skipped");
    assert!(reason.contains("only http and https"), "{reason}");
    let (state, reason) = frontier_row(&store, "/robots.html");
    assert_eq!(state, "skipped");
    assert!(reason.contains("robots.txt"), "{reason}");
    let (state, reason) = frontier_row(&store, "/loop.html");
    assert_eq!(state, "failed");
    assert!(reason.contains("redirect"), "{reason}");
    assert_eq!(
        server
            .seen()
            .iter()
            .filter(|s| s.path.starts_with("/loop"))
            .count(),
        6,
        "the first request and max_redirects (5) hops"
    );
    // An in-scope redirect is archived with where it led.
    assert_eq!(frontier_row(&store, "/moved.html").0, "done");
    assert_eq!(
        strings(
            &store,
            "SELECT s.final_url FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id WHERE s.url LIKE '%/moved.html' AND pm.kind = 'report'"
        ),
        vec![server.url("/new/r.html")]
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots WHERE final_url NOT LIKE 'http://127.0.0.1:%'"
        ),
        0
    );
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT COUNT(*) FROM fetches WHERE status = 302 AND url = '{}'",
                server.url("/moved.html")
            )
        ),
        1,
        "each hop is logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_resolving_to_loopback_is_refused_unless_allowed() {
    let server = FaultServer::start(|path| match path {
        "/" => Reply::html(listing(&[("PLACEHOLDER", REPORT_TITLE)])),
        "/r1.html" => Reply::html(report_page(REPORT_TITLE)),
        _ => Reply::not_found(),
    })
    .await;
    let port = server.port;
    let server = FaultServer::start(move |path| match path {
        "/" => Reply::html(listing(&[(
            &format!("http://localhost:{port}/r1.html"),
            REPORT_TITLE,
        )])),
        _ => Reply::not_found(),
    })
    .await;
    // The link's name is in scope; it resolves to 127.0.0.1, which is not the seed's host.
    let site = Site::one_seed(&server.url("/"), "[scope]\nextra_hosts = [\"localhost\"]\n");
    site.crawl().await;
    let store = site.store();
    let (state, reason) = frontier_row(&store, "/r1.html");
    assert_eq!(state, "failed");
    assert!(
        reason.contains("address refused") && reason.contains("localhost"),
        "{reason}"
    );
    let site = Site::one_seed(
        &server.url("/"),
        "[scope]\nextra_hosts = [\"localhost\"]\nallow_private_addresses = true\n",
    );
    site.crawl().await;
    assert_eq!(frontier_row(&site.store(), "/r1.html").0, "done");
}

// ---- 9. robots.txt that fails, hangs or never ends ------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_answering_5xx_means_complete_disallow_and_is_asked_again() {
    let always = FaultServer::start(|path| match path {
        "/robots.txt" => Reply::status(503),
        _ => Reply::html(listing(&[("/r1.html", REPORT_TITLE)])),
    })
    .await;
    let site = Site::one_seed(&always.url("/"), "");
    site.crawl().await;
    assert_eq!(
        always
            .seen()
            .iter()
            .filter(|s| s.path != "/robots.txt")
            .count(),
        0
    );
    assert_eq!(
        always.hits("/robots.txt"),
        3,
        "asked again later in the run (retries = 2)"
    );
    let (state, reason) = frontier_row(&site.store(), "/");
    assert_eq!(state, "failed");
    assert!(
        reason.contains("robots.txt unreachable") && reason.contains("503"),
        "{reason}"
    );

    // Unreachable once, then it answers: the crawl goes on after the wait.
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let once = FaultServer::start(move |path| match path {
        "/robots.txt" if first.swap(false, std::sync::atomic::Ordering::SeqCst) => {
            Reply::status(500)
        }
        "/robots.txt" => Reply::with_type("text/plain", "User-agent: *\nAllow: /\n"),
        "/" => Reply::html(listing(&[("/r1.html", REPORT_TITLE)])),
        "/r1.html" => Reply::html(report_page(REPORT_TITLE)),
        _ => Reply::not_found(),
    })
    .await;
    let site = Site::one_seed(&once.url("/"), "");
    site.crawl().await;
    assert_eq!(once.hits("/robots.txt"), 2);
    assert_eq!(frontier_row(&site.store(), "/r1.html").0, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_that_hangs_is_a_disallow_not_an_allow() {
    let server = FaultServer::start(|path| match path {
        "/robots.txt" => Reply::Hang,
        _ => Reply::html(listing(&[("/r1.html", REPORT_TITLE)])),
    })
    .await;
    let site = Site::one_seed(&server.url("/"), "");
    let text = std::fs::read_to_string(&site.config)
        .unwrap()
        .replace("request_timeout_secs = 2.0", "request_timeout_secs = 0.3")
        .replace("retries = 2", "retries = 1");
    std::fs::write(&site.config, text).unwrap();
    site.crawl().await;
    assert_eq!(
        server
            .seen()
            .iter()
            .filter(|s| s.path != "/robots.txt")
            .count(),
        0
    );
    let (state, reason) = frontier_row(&site.store(), "/");
    assert_eq!(state, "failed");
    assert!(
        reason.contains("robots.txt unreachable") && reason.contains("timeout"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_robots_txt_is_read_to_500_kib_only() {
    let mut head = b"User-agent: *\nDisallow: /private/\n".to_vec();
    head.extend(std::iter::repeat_n(b'#', 60));
    head.push(b'\n');
    let server = FaultServer::start(move |path| match path {
        "/robots.txt" => Reply::Stream {
            line: head.clone(),
            len: 50 * 1024 * 1024,
        },
        "/" => Reply::html(listing(&[
            ("/private/r.html", "测试市2022年政府信息公开工作年度报告"),
            ("/r1.html", REPORT_TITLE),
        ])),
        "/r1.html" => Reply::html(report_page(REPORT_TITLE)),
        _ => Reply::not_found(),
    })
    .await;
    let site = Site::one_seed(&server.url("/"), "");
    let t0 = Instant::now();
    site.crawl().await;
    let took = t0.elapsed();
    let store = site.store();
    assert_eq!(server.hits("/private/r.html"), 0, "its rules apply");
    assert_eq!(frontier_row(&store, "/private/r.html").0, "skipped");
    assert_eq!(frontier_row(&store, "/r1.html").0, "done");
    let bytes = count(
        &store,
        "SELECT MAX(bytes) FROM fetches WHERE url LIKE '%/robots.txt'",
    );
    assert!(bytes <= 500 * 1024, "{bytes} bytes of robots.txt read");
    eprintln!("50 MB robots.txt: crawl in {took:?}, {bytes} bytes read");
}

// ---- 10. CSV formula injection and terminal control characters ------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_text_is_never_a_formula_in_csv_nor_a_control_sequence_on_the_terminal() {
    let evil = "=HYPERLINK(\"http://evil.example/\")某某局\u{1b}]0;pwned\u{7}\u{1b}[2J2023年政府信息公开工作年度报告";
    let listing_page = listing(&[("/r1.html", evil)]);
    let page = report_page(evil);
    let server = FaultServer::start(move |path| match path {
        "/" => Reply::html(listing_page.clone()),
        "/r1.html" => Reply::html(page.clone()),
        _ => Reply::not_found(),
    })
    .await;
    let site = Site::one_seed(&server.url("/"), "");
    assert!(site.nianbao(&["crawl"]).status.success());
    let title = strings(
        &site.store(),
        "SELECT title FROM page_meta WHERE kind = 'report'",
    );
    assert!(title.iter().any(|t| t.starts_with('=')), "{title:?}");
    for args in [
        vec!["export", "--format", "csv"],
        vec!["discovered", "--format", "csv"],
        vec!["late", "--year", "2023", "--format", "csv"],
    ] {
        let out = site.nianbao(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut cells = 0;
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                cells += 1;
                assert!(
                    !cell.trim_start().starts_with(['=', '+', '-', '@'])
                        && !cell.starts_with(['\t', '\r']),
                    "{args:?}: formula cell {cell:?}"
                );
            }
        }
        assert!(cells > 0, "{args:?}: {text}");
        if args[0] != "late" {
            assert!(text.contains("'=HYPERLINK"), "{args:?}: {text}");
        }
    }
    for args in [
        vec!["discovered"],
        vec!["status"],
        vec!["show", "--snapshot", "2"],
    ] {
        let out = site.nianbao(&args);
        let text = stdout(&out);
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{args:?} passed control characters: {text:?}"
        );
    }
    assert!(stdout(&site.nianbao(&["discovered"])).contains("HYPERLINK"));
}

// ---- 14. transport faults, each recorded as what it is ------------------------

fn last_fetch(store: &Store, path: &str) -> (Option<String>, i64, Option<String>) {
    store
        .conn()
        .query_row(
            &format!(
                "SELECT error_kind, bytes, error FROM fetches WHERE url LIKE '%:%{path}' ORDER BY id DESC LIMIT 1"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gzip_bomb(decompressed: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let block = vec![b' '; 1 << 20];
    let mut left = decompressed;
    gz.write_all(b"<html><head><title>x</title></head><body>")
        .unwrap();
    while left > 0 {
        let n = left.min(block.len());
        gz.write_all(&block[..n]).unwrap();
        left -= n;
    }
    gz.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_drips_huge_headers_gzip_bombs_and_dead_names_are_recorded_precisely() {
    let bomb = gzip_bomb(64 << 20);
    let bomb_len = bomb.len();
    let port = Arc::new(Mutex::new(0u16));
    let server = {
        let port = Arc::clone(&port);
        FaultServer::start(move |path| match path {
            "/" => Reply::html(listing(&[
                (
                    "/reset.html",
                    "测试市2023年政府信息公开工作年度报告（中断）",
                ),
                ("/drip.html", "测试市2022年政府信息公开工作年度报告（滴）"),
                ("/slow.html", "测试市2021年政府信息公开工作年度报告（慢）"),
                (
                    "/headers.html",
                    "测试市2020年政府信息公开工作年度报告（头）",
                ),
                ("/bomb.html", "测试市2019年政府信息公开工作年度报告（炸弹）"),
                ("/gone.html", "测试市2018年政府信息公开工作年度报告（域名）"),
            ])),
            "/reset.html" => Reply::ResetMidBody {
                claimed: 100_000,
                body: report_page(REPORT_TITLE).into_bytes(),
            },
            "/drip.html" => Reply::Drip {
                body: report_page(REPORT_TITLE).into_bytes(),
                chunk: 100,
                every: Duration::from_millis(20),
            },
            "/slow.html" => Reply::Drip {
                body: report_page(REPORT_TITLE).into_bytes(),
                chunk: 10,
                every: Duration::from_millis(200),
            },
            "/headers.html" => Reply::HugeHeaders { bytes: 1 << 20 },
            "/bomb.html" => Reply::Ok {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), "text/html; charset=utf-8".into()),
                    ("Content-Encoding".into(), "gzip".into()),
                ],
                body: bomb.clone(),
            },
            "/gone.html" => Reply::redirect(&format!(
                "http://no-such-host.invalid:{}/r.html",
                *port.lock().unwrap()
            )),
            _ => Reply::not_found(),
        })
        .await
    };
    *port.lock().unwrap() = server.port;
    let site = Site::one_seed(
        &server.url("/"),
        "[scope]\nextra_hosts = [\"no-such-host.invalid\"]\n",
    );
    let text = std::fs::read_to_string(&site.config)
        .unwrap()
        .replace("retries = 2", "retries = 1");
    std::fs::write(&site.config, text).unwrap();
    site.crawl().await;
    let store = site.store();

    let (kind, bytes, _) = last_fetch(&store, "/reset.html");
    assert_eq!(kind.as_deref(), Some("body"));
    assert!(bytes > 0, "the bytes that came are counted");
    assert_eq!(frontier_row(&store, "/reset.html").0, "failed");
    assert_eq!(
        frontier_row(&store, "/drip.html").0,
        "done",
        "a slow but steady body is read whole"
    );
    let (kind, _, _) = last_fetch(&store, "/slow.html");
    assert_eq!(kind.as_deref(), Some("timeout"));
    let (kind, _, error) = last_fetch(&store, "/headers.html");
    assert_eq!(kind.as_deref(), Some("headers_too_large"), "{error:?}");
    assert_eq!(frontier_row(&store, "/headers.html").0, "failed");
    // The bomb: cut at max_body_bytes (1 MiB) of decompressed bytes, kept and marked.
    let (truncated, size): (i64, i64) = store
        .conn()
        .query_row(
            "SELECT truncated, size FROM snapshots WHERE url LIKE '%/bomb.html'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (truncated, size),
        (1, 1 << 20),
        "gzip bomb of {bomb_len} bytes"
    );
    // The dead name belongs to the redirect target.
    let (state, reason) = frontier_row(&store, "/gone.html");
    assert_eq!(state, "failed");
    assert!(
        reason.contains("no-such-host.invalid") && reason.contains("dns"),
        "{reason}"
    );
    assert_eq!(
        strings(
            &store,
            "SELECT DISTINCT error_kind FROM fetches WHERE url LIKE '%no-such-host.invalid%'"
        ),
        vec!["dns".to_string()]
    );
    // status lists the truncated body.
    let out = site.nianbao(&["status"]);
    let text = stdout(&out);
    assert!(
        text.contains("Truncated bodies") && text.contains("/bomb.html"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_run_naming_the_archive() {
    let noise = |seed: u64| -> String {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..60_000).map(|_| rng.alphanumeric()).collect()
    };
    let links: Vec<(String, String)> = (0..30)
        .map(|i| {
            (
                format!("/r{i}.html"),
                format!("测试市{}年政府信息公开工作年度报告", 1990 + i),
            )
        })
        .collect();
    let server = FaultServer::start(move |path| match path {
        "/" => Reply::html(listing(
            &links
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect::<Vec<_>>(),
        )),
        p => Reply::html(format!(
            "{}{}",
            report_page(REPORT_TITLE),
            noise(p.len() as u64 * 7 + p.as_bytes()[2] as u64)
        )),
    })
    .await;
    let site = Site::one_seed(&server.url("/"), "");
    let config = nianbao::config::Config::load(&site.config).unwrap();
    let rows = nianbao::seeds::load(&config.seed_paths()).unwrap();
    let store = Store::open(&site.db).unwrap();
    // The disk fills up: a few pages more than the schema is all there is room for.
    let pages: i64 = store
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    store
        .conn()
        .query_row(
            &format!("PRAGMA max_page_count = {}", pages + 40),
            [],
            |_| Ok(()),
        )
        .unwrap();
    let (_tx, rx) = nianbao::shutdown::shutdown_channel();
    let opts = CrawlOptions {
        command: "test".into(),
        ..Default::default()
    };
    let err = nianbao::crawl::run(&config, store, &rows, &opts, rx)
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("full"), "{err}");
    assert!(
        err.contains(&site.db.display().to_string()),
        "names the archive: {err}"
    );
    let store = site.store();
    assert_eq!(
        strings(&store, "SELECT status FROM runs"),
        vec!["failed".to_string()],
        "not left running"
    );
    let note = strings(&store, "SELECT note FROM runs");
    assert!(note[0].contains("full"), "{note:?}");
}

// ---- 11. deeply nested HTML ------------------------------------------------------

fn deep_page(depth: usize) -> String {
    format!(
        "<html><head><title>政府信息公开年报</title></head><body>{}<a href=\"/r1.html\">{REPORT_TITLE}</a>{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_html_is_crawled_and_parsed_with_its_links_kept() {
    let server = FaultServer::start(|path| match path {
        "/" => Reply::html(deep_page(100_000)),
        "/r1.html" => Reply::html(report_page(REPORT_TITLE)),
        _ => Reply::not_found(),
    })
    .await;
    let site = Site::one_seed(&server.url("/"), "");
    let t0 = Instant::now();
    site.crawl().await;
    let crawl_took = t0.elapsed();
    assert_eq!(frontier_row(&site.store(), "/").0, "done");
    assert_eq!(
        frontier_row(&site.store(), "/r1.html").0,
        "done",
        "the deep link was found"
    );
    // The extractor's way in: `nianbao parse` on 200,000 levels.
    let file = site.dir.path().join("deep.html");
    std::fs::write(&file, deep_page(200_000)).unwrap();
    let t0 = Instant::now();
    let out = site.nianbao(&["parse", file.to_str().unwrap()]);
    let parse_took = t0.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    eprintln!("100k nested divs: crawl {crawl_took:?}; 200k: parse {parse_took:?}");
}

// ---- 12. a PDF with millions of text operations ------------------------------------

/// One page of `ops` text-showing operations (each its own positioned run), deflated.
fn pdf_with_text_ops(ops: usize) -> Vec<u8> {
    use lopdf::{Object, Stream, dictionary};
    let mut content = String::from("BT /F1 9 Tf\n");
    for i in 0..ops {
        content.push_str(&format!(
            "1 0 0 1 {} {} Tm (ab) Tj\n",
            i % 500,
            (i / 500) % 800
        ));
    }
    content.push_str("ET\n");
    let mut gz = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(content.as_bytes()).unwrap();
    let deflated = gz.finish().unwrap();
    let mut doc = lopdf::Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let content_id = doc.add_object(Stream::new(
        dictionary! { "Filter" => "FlateDecode" },
        deflated,
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id, "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Peak resident memory of a child process in KiB, read from /proc while it runs.
fn run_measuring_peak(cmd: &mut std::process::Command) -> (std::process::ExitStatus, u64) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_pdf_with_millions_of_text_operations_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("ops.pdf");
    std::fs::write(&pdf, pdf_with_text_ops(1_800_000)).unwrap();
    let size = std::fs::metadata(&pdf).unwrap().len();
    let t0 = Instant::now();
    let (status, peak_kib) = run_measuring_peak(
        std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .arg("parse")
            .arg(&pdf),
    );
    let took = t0.elapsed();
    eprintln!(
        "PDF of {size} bytes, 1.8M text ops: parse {took:?}, peak RSS {} MiB",
        peak_kib / 1024
    );
    assert!(status.code().is_some(), "killed: {status:?}");
    // The bound: a page's reading is capped, so memory is too (it was 3 GB).
    assert!(peak_kib < 512 * 1024, "peak RSS {} MiB", peak_kib / 1024);
    // Just under the page's content cap: read, up to the page's text-run cap.
    std::fs::write(&pdf, pdf_with_text_ops(60_000)).unwrap();
    let t0 = Instant::now();
    let (status, peak_kib) = run_measuring_peak(
        std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .arg("parse")
            .arg(&pdf),
    );
    eprintln!(
        "PDF, one page of 60k text ops: parse {:?}, peak RSS {} MiB",
        t0.elapsed(),
        peak_kib / 1024
    );
    assert!(status.code().is_some(), "killed: {status:?}");
    assert!(peak_kib < 512 * 1024, "peak RSS {} MiB", peak_kib / 1024);
}
