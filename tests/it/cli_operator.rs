//! The operator's day through the real binary: answers that name what they
//! mean (export formats, ambiguous agencies, missing lists before a deadline),
//! exit statuses a cron job can act on, no panic when the output pipe closes,
//! and what a running crawl shows on standard error.

use crate::answer_support::*;
use crate::common::{test_config, write_seeds};
use nianbao_portal::Portal;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn nianbao(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("NIANBAO_CONFIG")
        .output()
        .expect("run nianbao")
}

/// A count read while another process writes the archive.
fn count_in(db: &Path, sql: &str) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `nianbao --db DB ARGS…` in the archive's folder.
fn on_archive(a: &Archive, args: &[&str]) -> Output {
    let mut all = vec!["--db", a.db.to_str().unwrap()];
    all.extend_from_slice(args);
    nianbao(a.db.parent().unwrap(), &all)
}

#[test]
fn export_takes_its_format_from_the_out_extension_and_refuses_a_contradiction() {
    let a = build();
    let dir = a.db.parent().unwrap();
    let out = on_archive(&a, &["export", "--year", "2022", "--out", "r.xlsx"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(dir.join("r.xlsx")).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX (zip), not CSV text");

    let out = on_archive(&a, &["export", "--year", "2022", "--out", "r.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("r.json")).unwrap()).unwrap();
    assert!(v.is_array() && !v.as_array().unwrap().is_empty(), "{v}");

    let out = on_archive(
        &a,
        &[
            "export", "--format", "csv", "--out", "bad.xlsx", "--year", "2022",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("contradicts"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("bad.xlsx").exists(), "nothing written");

    // The lists refuse the same contradiction.
    let out = on_archive(
        &a,
        &[
            "missing", "--year", "2022", "--format", "json", "--out", "m.csv",
        ],
    );
    assert!(!out.status.success());
}

#[test]
fn show_lists_candidates_for_an_ambiguous_name_and_the_years_that_exist() {
    let a = build();
    // 辽中区 is in the name of a seed agency and of a discovered one.
    let out = on_archive(&a, &["show", "辽中区", "2022"]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(err.contains(LZ) && err.contains(DISCOVERED), "{err}");
    // The exact name picks one.
    let out = on_archive(&a, &["show", LZ, "2022"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("revisions (1) of {LZ}")));

    // Revisions are those of one agency and year: 卫滨区's three copies.
    let out = on_archive(&a, &["show", "卫滨区", "2022"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("revisions (3) of {WB}")),
        "{stdout}"
    );
    let revision_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" snapshot "))
        .collect();
    assert_eq!(revision_lines.len(), 3, "{stdout}");
    assert!(revision_lines.iter().all(|l| l.contains("/wb/2022.html")));

    let out = on_archive(&a, &["show", "卫滨区", "2023"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("no archived 2023 report") && err.contains("2022"),
        "{err}"
    );

    let listing = a.snap["lz_index"].to_string();
    let out = on_archive(&a, &["show", "--snapshot", &listing]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("listing page") && err.contains("not a report"),
        "{err}"
    );
    assert!(!err.contains("run `nianbao extract`"), "{err}");
}

#[test]
fn missing_honours_seeds_regions_at_any_level_and_the_deadline() {
    let a = build();
    let dir = a.db.parent().unwrap();
    let out = on_archive(&a, &["missing", "--year", "2022", "--region", "沈阳市"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(CYT),
        "茨榆坨 is in 辽宁省沈阳市辽中区: {stdout}"
    );
    assert!(!stdout.contains(TJ), "{stdout}");

    let out = on_archive(&a, &["missing", "--year", "2022", "--seeds", "nope.csv"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("nope.csv"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(
        dir.join("plus.csv"),
        format!("agency,region,level,url,aliases\n新增局,河南省新乡市,部门,http://127.0.0.1:9/new/,\n{TJ},河南省新乡市,部门,,\n{XG},河南省洛阳市西工区,部门,,\n"),
    )
    .unwrap();
    let out = on_archive(
        &a,
        &[
            "missing", "--year", "2022", "--seeds", "plus.csv", "--format", "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["agency"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    // Only the file's agencies; 西工区 has its 2022 report; 统计局's is a WPS file.
    assert_eq!(
        got,
        vec![(TJ, "unsupported_file"), ("新增局", "not_crawled")],
        "{rows:?}"
    );

    // The current year's reports are not due yet.
    let year = chrono::Utc::now().format("%Y").to_string();
    let out = on_archive(&a, &["missing", "--year", &year]);
    let stdout = text(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("has not passed"), "{stdout}");
    assert!(!stdout.contains(CYT), "{stdout}");
}

#[test]
fn extract_since_refuses_what_is_not_a_date() {
    let a = build();
    let out = on_archive(&a, &["extract", "--since", "yesterday"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not a date"),
        "{}",
        text(&out.stderr)
    );
}

/// Runs the command with standard output closed before it writes.
fn with_closed_stdout(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_output_pipe_ends_commands_quietly_not_with_a_panic() {
    let a = build();
    let db = a.db.to_str().unwrap();
    let fixture = std::fs::canonicalize("tests/fixtures/reports")
        .unwrap()
        .join(format!("{}.txt", FIXTURES[0]));
    let fixture = fixture.to_str().unwrap();
    for args in [
        vec!["--db", db, "show", "卫滨区", "2022"],
        vec!["--db", db, "export", "--format", "json"],
        vec!["--db", db, "export", "--format", "csv", "--long"],
        vec!["--db", db, "status"],
        vec!["--db", db, "missing", "--year", "2022"],
        vec!["parse", fixture, fixture, fixture],
    ] {
        let out = with_closed_stdout(a.db.parent().unwrap(), &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
    // Standard error closed too: the messages are lost, the exit status is not.
    let mut child = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(a.db.parent().unwrap())
        .args(["--db", db, "export", "--year", "2022", "--out", "x.csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(a.db.parent().unwrap().join("x.csv").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_host_crawled_exits_3_and_a_contactless_config_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        dir.path().join("c.toml"),
        "[crawler]\nretries = 0\nconnect_timeout_secs = 1.0\nrespect_robots_txt = false\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.csv"),
        format!("agency,region,level,url,aliases\n甲局,,,http://127.0.0.1:{closed}/a/,\n"),
    )
    .unwrap();
    let out = nianbao(
        dir.path(),
        &[
            "--config", "c.toml", "--seeds", "s.csv", "--db", "x.db", "crawl",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("no host could be crawled"), "{err}");
    assert!(err.contains("crawler.contact is empty"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_shows_progress_lines_and_per_fetch_lines_without_colour() {
    let portal = Portal::synthetic(1, 6).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 4.0, 1, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let config = config.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .args(["--config", &config, "-v", "crawl", "--progress-every", "1"])
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains('\u{1b}'), "no ANSI codes into a file: {err}");
    let fetch_lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("200 http://127.0.0.1:") && l.contains(" ms "))
        .collect();
    assert!(fetch_lines.len() >= 6, "one line per fetched URL: {err}");
    assert!(
        err.lines()
            .any(|l| l.contains("progress:") && l.contains("pages done") && l.contains("reports")),
        "a progress line at least every second of a multi-second crawl: {err}"
    );
    assert!(!err.contains("html5ever"), "{err}");
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_crawl_prints_nothing_on_stderr_and_rust_log_stays_on_nianbao() {
    let portal = Portal::synthetic(1, 2).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 20.0, 2, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let config = config.to_str().unwrap().to_string();
    let run = |args: &'static [&'static str], rust_log: Option<&'static str>| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = Command::new(env!("CARGO_BIN_EXE_nianbao"));
            c.arg("--config").arg(&config).args(args);
            match rust_log {
                Some(l) => c.env("RUST_LOG", l),
                None => c.env_remove("RUST_LOG"),
            };
            c.output().unwrap()
        })
    };
    let out = run(&["-q", "crawl", "--progress-every", "1"], None)
        .await
        .unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stderr), "", "-q: nothing on stderr");
    assert!(text(&out.stdout).contains("crawl run #"));

    // A bare RUST_LOG level is narrowed to nianbao's own targets: its fetch
    // lines, not the HTML parser's or the HTTP client's noise.
    let out = run(&["crawl"], Some("debug")).await.unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("nianbao::fetch"), "{err}");
    assert!(
        !err.contains("html5ever") && !err.contains("selectors") && !err.contains("hyper"),
        "{err}"
    );
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_exits_130_and_a_resumed_run_says_it_ignores_agency() {
    let portal = Portal::synthetic(1, 10).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 5.0, 1, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let db = dir.path().join("archive.db");
    let child = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["--config", config.to_str().unwrap(), "crawl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first pages to be archived, then Ctrl-C.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !db.exists() || count_in(&db, "SELECT COUNT(*) FROM snapshots") < 2 {
        assert!(std::time::Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("resumes it"), "{err}");

    // The rest of the run at full speed.
    let config = test_config(dir.path(), 100.0, 4, "");
    let config = config.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .args(["--config", &config, "crawl", "--agency", "nothing-matches"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("resuming the unfinished crawl run") && err.contains("nothing-matches"),
        "{err}"
    );
    assert!(text(&out.stdout).contains("(resumed)"));
    portal.shutdown().await;
}

#[test]
fn status_lists_failing_urls_truncated_bodies_local_times_and_json_objects() {
    let a = build();
    let out = on_archive(&a, &["status"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let failing = stdout
        .split("Failing URLs of the last crawl")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        failing.contains("http://127.0.0.1:9/jg/") && failing.contains("connection refused"),
        "{stdout}"
    );
    let truncated = stdout
        .split("Truncated bodies (cut at max_body_bytes")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(truncated.contains("http://127.0.0.1:9/xg/"), "{stdout}");
    // The default zone is Asia/Shanghai: times in CST, with UTC beside them.
    assert!(
        stdout.contains(" CST (") && stdout.contains("Z)"),
        "{stdout}"
    );

    let out = on_archive(&a, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reports_by_year"][0]["year"], 2023, "{v}");
    assert!(v["reports_by_year"][0]["agencies"].as_i64().unwrap() >= 1);
    assert!(v["formats"][0]["name"].is_string() && v["formats"][0]["count"].is_i64());
    assert!(v["extraction_status"][0]["name"].is_string());
    assert_eq!(v["failed_urls"][0]["url"], "http://127.0.0.1:9/jg/", "{v}");
    assert_eq!(v["truncated_urls"][0][0], "http://127.0.0.1:9/xg/", "{v}");
}

#[test]
fn discovered_as_seeds_is_a_seed_file_that_loads() {
    let a = build();
    let dir = a.db.parent().unwrap();
    let out = on_archive(&a, &["discovered", "--format", "seeds", "--out", "new.csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = nianbao::seeds::load(&[dir.join("new.csv")]).expect("a valid seed file");
    let names: Vec<&str> = rows.iter().filter_map(|r| r.agency.as_deref()).collect();
    assert_eq!(names, vec![DISCOVERED]);
    let textual = std::fs::read_to_string(dir.join("new.csv")).unwrap();
    assert!(
        textual.contains("# 2 report(s) for 2021, 2022"),
        "{textual}"
    );

    let out = on_archive(&a, &["discovered", "--format", "seeds", "--out", "x.xlsx"]);
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_take_the_date_printed_beside_them_on_the_listing() {
    // The bureau's 西工区 column lists its PDF and DOCX with <span>2023-01-30</span>.
    let portal = Portal::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 50.0, 2, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let config = config.to_str().unwrap().to_string();
    let run = |args: Vec<String>| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_nianbao"))
                .arg("--config")
                .arg(&config)
                .args(&args)
                .output()
                .unwrap()
        })
    };
    let out = run(vec!["crawl".into(), "--agency".into(), "西工区".into()])
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = dir.path().join("archive.db");
    let dates: Vec<(String, Option<String>)> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT s.url, pm.publish_date FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
                 WHERE pm.kind = 'attachment' AND s.url LIKE '%/xgcgb/ndbg/%' ORDER BY s.url",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(dates.len(), 2, "{dates:?}");
    assert!(
        dates[0].0.ends_with(".docx") && dates[0].1.as_deref() == Some("2022-01-28"),
        "{dates:?}"
    );
    assert!(
        dates[1].0.ends_with(".pdf") && dates[1].1.as_deref() == Some("2023-01-30"),
        "{dates:?}"
    );

    for year in ["2021", "2022"] {
        let out = run(vec![
            "late".into(),
            "--year".into(),
            year.into(),
            "--format".into(),
            "json".into(),
        ])
        .await
        .unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            !rows
                .iter()
                .any(|r| r["url"].as_str().unwrap_or("").contains("/xgcgb/ndbg/")),
            "{year}: published on time, neither late nor undated: {rows:?}"
        );
    }
    portal.shutdown().await;
}
