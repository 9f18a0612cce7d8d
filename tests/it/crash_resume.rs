//! SIGKILL a running `nianbao crawl`, run it again, and check that the run
//! resumed: nothing completed before the kill is fetched again, nothing is
//! lost or stored twice, and the database is sound.

use crate::common::{count, strings, test_config, write_seeds};
use nianbao::store::Store;
use nianbao_portal::Portal;
use std::collections::HashSet;
use std::time::{Duration, Instant};

fn done_urls(db: &std::path::Path) -> HashSet<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    // Before the first migration commits, the tables do not exist yet.
    let Ok(mut stmt) = conn.prepare("SELECT url FROM frontier WHERE state <> 'pending'") else {
        return HashSet::new();
    };
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `nianbao --config CONFIG crawl` as a child process with captured output.
fn spawn_crawl(config: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["--config", config.to_str().unwrap(), "crawl"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_crawl_then_rerun_resumes_with_nothing_lost_or_duplicated() {
    let portal = Portal::synthetic(2, 10).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 40.0, 2, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let db = dir.path().join("archive.db");
    let crawl = || spawn_crawl(&config);

    // First run: kill it (SIGKILL) once a good part of the frontier is done.
    let mut child = crawl();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        tokio::time::sleep(Duration::from_millis(30)).await;
        if db.exists() && done_urls(&db).len() >= 60 {
            break;
        }
        assert!(Instant::now() < deadline, "the crawl made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the crawl ended before it could be killed"
        );
    }
    child.start_kill().unwrap(); // SIGKILL on Unix
    child.wait().await.unwrap();
    let killed_at = Instant::now();
    let done_before = done_urls(&db);
    let pending_before = {
        let store = Store::open(&db).unwrap();
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE state = 'pending'",
        )
    };
    assert!(pending_before > 0, "killed too late to test resuming");

    // Second run: resumes the same run and completes it.
    let out = crawl().wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(resumed)"), "{stdout}");

    let store = Store::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM runs"),
        1,
        "one run, resumed"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM runs WHERE status = 'completed'"
        ),
        1
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE state = 'pending'"
        ),
        0
    );
    // Nothing completed before the kill was requested again after it.
    let after: Vec<String> = portal
        .requests()
        .into_iter()
        .filter(|r| r.at > killed_at && r.path != "/robots.txt")
        .map(|r| {
            format!(
                "{}{}",
                portal.base_url(&r.host).as_str().trim_end_matches('/'),
                r.path
            )
        })
        .collect();
    let refetched: Vec<&String> = after.iter().filter(|u| done_before.contains(*u)).collect();
    assert!(
        refetched.is_empty(),
        "fetched again after resuming: {refetched:?}"
    );
    // No snapshot stored twice, none lost: every report of the portal is there once.
    assert!(
        strings(
            &store,
            "SELECT url FROM snapshots GROUP BY url HAVING COUNT(*) > 1"
        )
        .is_empty()
    );
    for e in portal.expected_reports() {
        assert_eq!(
            count(
                &store,
                &format!("SELECT COUNT(*) FROM snapshots WHERE url = '{}'", e.url)
            ),
            1,
            "{}",
            e.url
        );
    }
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots s LEFT JOIN bodies b ON b.sha256 = s.sha256 WHERE b.sha256 IS NULL"
        ),
        0
    );
    // The run's counters moved with the data, through the kill.
    assert_eq!(
        count(&store, "SELECT pages_fetched FROM runs"),
        count(&store, "SELECT COUNT(*) FROM frontier WHERE state = 'done'")
    );
    assert_eq!(
        count(&store, "SELECT snapshots_new FROM runs"),
        count(&store, "SELECT COUNT(*) FROM snapshots")
    );
    assert_eq!(
        count(&store, "SELECT bodies_new FROM runs"),
        count(&store, "SELECT COUNT(*) FROM bodies")
    );
    // Every snapshot's frontier entry is closed and points at it.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM frontier f WHERE f.snapshot_id = s.id AND f.state = 'done')"
        ),
        0
    );
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_gracefully_and_the_next_run_resumes() {
    let portal = Portal::synthetic(2, 10).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 30.0, 1, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let db = dir.path().join("archive.db");
    let crawl = || spawn_crawl(&config);
    let child = crawl();
    let pid = child.id().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(db.exists() && done_urls(&db).len() >= 30) {
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(Instant::now() < deadline, "the crawl made no progress");
    }
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "a stopped run is not a failure: {stdout}"
    );
    assert!(stdout.contains("interrupted"), "{stdout}");
    {
        let store = Store::open(&db).unwrap();
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM runs WHERE status = 'interrupted'"
            ),
            1
        );
        assert!(
            count(
                &store,
                "SELECT COUNT(*) FROM frontier WHERE state = 'pending'"
            ) > 0,
            "frontier kept"
        );
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }
    let out = crawl().wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("(resumed)"),
        "{stdout}"
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM runs"), 1);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM runs WHERE status = 'completed'"
        ),
        1
    );
    assert!(
        strings(
            &store,
            "SELECT url FROM snapshots GROUP BY url HAVING COUNT(*) > 1"
        )
        .is_empty()
    );
    portal.shutdown().await;
}
