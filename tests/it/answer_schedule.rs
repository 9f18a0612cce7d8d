//! The scheduler with a fake clock: cron ticks in Asia/Shanghai, a missed run
//! made up on start, shutdown, runs recorded, locks.

use chrono::{DateTime, Utc};
use nianbao::config::ScheduleConfig;
use nianbao::schedule::{
    FakeClock, JobContext, JobCounts, ScheduleError, Scheduler, shutdown_channel,
};
use nianbao::store::Store;
use nianbao::store::lock::ArchiveLock;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn weekly() -> ScheduleConfig {
    ScheduleConfig {
        cron: "0 3 * * 1".into(),
        timezone: "Asia/Shanghai".into(),
        extract_after_crawl: true,
    }
}

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a/nianbao.db");
    Store::open(&db).unwrap();
    (dir, db)
}

/// (started_at, finished_at, status, pages_fetched, extracted, note) of the schedule runs.
type RunRow = (String, Option<String>, String, i64, i64, String);

fn runs(db: &Path) -> Vec<RunRow> {
    let store = Store::open(db).unwrap();
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT started_at, finished_at, status, pages_fetched, extracted, COALESCE(note, '') FROM runs
             WHERE kind = 'schedule' ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn record_run(db: &Path, started_at: &str) {
    let store = Store::open(db).unwrap();
    store
        .conn()
        .execute(
            "INSERT INTO runs (kind, started_at, finished_at, status) VALUES ('schedule', ?1, ?1, 'completed')",
            [started_at],
        )
        .unwrap();
}

/// Runs the scheduler until the job has run `stop_after` times; returns the
/// ticks the job saw and the clock time at each start.
async fn drive(
    db: &Path,
    clock: FakeClock,
    stop_after: usize,
) -> (
    nianbao::schedule::ScheduleSummary,
    Vec<(DateTime<Utc>, DateTime<Utc>, bool)>,
) {
    let sched = Scheduler::new(db, &weekly(), Arc::new(clock.clone())).unwrap();
    let (tx, rx) = shutdown_channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let db2 = db.to_path_buf();
    let mut job = move |ctx: JobContext| {
        let seen = seen2.clone();
        let clock = clock.clone();
        let tx = tx.clone();
        let db = db2.clone();
        async move {
            // The scheduler holds the archive lock around the run.
            assert!(ArchiveLock::acquire(&db, "manual crawl").is_err());
            let n = {
                let mut s = seen.lock().unwrap();
                s.push((
                    ctx.scheduled_for,
                    nianbao::schedule::Clock::now(&clock),
                    ctx.missed,
                ));
                s.len()
            };
            // A run takes an hour.
            clock.advance(chrono::Duration::hours(1));
            if n >= stop_after {
                tx.send(true).unwrap();
                // Shutdown reached the job: it finishes its writes and returns.
                assert!(*ctx.shutdown.borrow());
            }
            Ok(JobCounts {
                pages_fetched: 10 * n as i64,
                extracted: n as i64,
                ..Default::default()
            })
        }
    };
    let summary = sched.run(&mut job, rx).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    (summary, seen)
}

#[tokio::test]
async fn ticks_every_monday_three_shanghai_and_records_runs() {
    let (_d, db) = db();
    // Monday 2026-11-23 08:00 in Shanghai; a run was made at last Monday's tick.
    record_run(&db, "2026-11-22T19:00:02.000Z");
    let clock = FakeClock::new(t("2026-11-23T00:00:00Z"));
    let (summary, seen) = drive(&db, clock, 3).await;
    let ticks: Vec<String> = seen.iter().map(|s| s.0.to_rfc3339()).collect();
    assert_eq!(
        ticks,
        [
            "2026-11-29T19:00:00+00:00",
            "2026-12-06T19:00:00+00:00",
            "2026-12-13T19:00:00+00:00"
        ]
    );
    assert!(
        seen.iter().all(|s| s.0 == s.1 && !s.2),
        "each run starts at its tick: {seen:?}"
    );
    assert_eq!(summary.runs, 3);
    assert!(!summary.caught_up);
    let rows = runs(&db);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1].0, "2026-11-29T19:00:00.000Z");
    assert_eq!(rows[1].1.as_deref(), Some("2026-11-29T20:00:00.000Z"));
    assert_eq!(rows[1].2, "completed");
    assert_eq!((rows[2].3, rows[2].4), (20, 2));
    assert!(
        rows[2]
            .5
            .contains("scheduled tick 2026-12-06T19:00:00.000Z"),
        "{}",
        rows[2].5
    );
    // The last run saw the shutdown: recorded as interrupted, and the loop ended.
    assert_eq!(rows[3].2, "interrupted");
}

#[tokio::test]
async fn a_missed_run_is_run_at_once_on_start() {
    let (_d, db) = db();
    // Last run two weeks ago; the service was down at 2026-11-22T19:00Z.
    record_run(&db, "2026-11-15T19:00:01.000Z");
    let clock = FakeClock::new(t("2026-11-25T06:30:00Z"));
    let (summary, seen) = drive(&db, clock, 2).await;
    assert!(summary.caught_up);
    assert_eq!(
        seen[0],
        (t("2026-11-22T19:00:00Z"), t("2026-11-25T06:30:00Z"), true)
    );
    assert_eq!(
        seen[1],
        (t("2026-11-29T19:00:00Z"), t("2026-11-29T19:00:00Z"), false)
    );
    let rows = runs(&db);
    assert_eq!(rows[1].0, "2026-11-25T06:30:00.000Z");
    assert!(
        rows[1]
            .5
            .starts_with("missed tick 2026-11-22T19:00:00.000Z"),
        "{}",
        rows[1].5
    );
}

#[tokio::test]
async fn shutdown_before_the_tick_stops_without_running() {
    let (_d, db) = db();
    let clock = FakeClock::new(t("2026-11-23T00:00:00Z"));
    let sched = Scheduler::new(&db, &weekly(), Arc::new(clock)).unwrap();
    let (tx, rx) = shutdown_channel();
    tx.send(true).unwrap();
    let ran = Arc::new(Mutex::new(0));
    let ran2 = ran.clone();
    let mut job = move |_ctx: JobContext| {
        *ran2.lock().unwrap() += 1;
        async { Ok(JobCounts::default()) }
    };
    let summary = sched.run(&mut job, rx).await.unwrap();
    assert_eq!(summary.runs, 0);
    assert_eq!(*ran.lock().unwrap(), 0);
    assert!(runs(&db).is_empty());
}

#[tokio::test]
async fn a_failed_run_is_recorded_and_the_schedule_goes_on() {
    let (_d, db) = db();
    let clock = FakeClock::new(t("2026-11-23T00:00:00Z"));
    let sched = Scheduler::new(&db, &weekly(), Arc::new(clock)).unwrap();
    let (tx, rx) = shutdown_channel();
    let mut n = 0;
    let mut job = move |_ctx: JobContext| {
        n += 1;
        let tx = tx.clone();
        async move {
            if n == 1 {
                anyhow::bail!("portal down");
            }
            tx.send(true).unwrap();
            Ok(JobCounts::default())
        }
    };
    let summary = sched.run(&mut job, rx).await.unwrap();
    assert_eq!((summary.runs, summary.failed), (2, 1));
    let rows = runs(&db);
    assert_eq!(rows[0].2, "failed");
    assert!(rows[0].5.contains("error: portal down"), "{}", rows[0].5);
}

#[tokio::test]
async fn a_second_scheduler_is_refused_while_one_holds_the_lock() {
    let (_d, db) = db();
    let clock = Arc::new(FakeClock::new(t("2026-11-23T00:00:00Z")));
    let first = Scheduler::new(&db, &weekly(), clock.clone()).unwrap();
    let held = first.acquire().unwrap();
    let second = Scheduler::new(&db, &weekly(), clock).unwrap();
    let (_tx, rx) = shutdown_channel();
    let mut job = |_ctx: JobContext| async { Ok(JobCounts::default()) };
    let err = second.run(&mut job, rx).await.unwrap_err();
    assert!(matches!(err, ScheduleError::AlreadyRunning { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("already running") && msg.contains("0 3 * * 1"),
        "{msg}"
    );
    assert!(msg.contains("nianbao.db.schedule.lock"), "{msg}");
    drop(held);
    assert!(second.acquire().is_ok());
}

#[tokio::test]
async fn a_tick_waits_while_a_manual_run_holds_the_archive() {
    let (_d, db) = db();
    let clock = FakeClock::new(t("2026-11-23T00:00:00Z"));
    let manual = Arc::new(Mutex::new(Some(
        ArchiveLock::acquire(&db, "crawl by hand").unwrap(),
    )));
    let sched = Scheduler::new(&db, &weekly(), Arc::new(clock.clone()))
        .unwrap()
        .lock_retry(std::time::Duration::from_secs(600));
    let (tx, rx) = shutdown_channel();
    // Releases the manual lock after the scheduler has waited a while.
    let watcher = {
        let manual = manual.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            loop {
                if nianbao::schedule::Clock::now(&clock) >= t("2026-11-29T20:00:00Z") {
                    manual.lock().unwrap().take();
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let started = Arc::new(Mutex::new(None));
    let started2 = started.clone();
    let clock2 = clock.clone();
    let mut job = move |_ctx: JobContext| {
        *started2.lock().unwrap() = Some(nianbao::schedule::Clock::now(&clock2));
        tx.send(true).unwrap();
        async { Ok(JobCounts::default()) }
    };
    sched.run(&mut job, rx).await.unwrap();
    watcher.await.unwrap();
    let started = started.lock().unwrap().unwrap();
    assert!(started >= t("2026-11-29T20:00:00Z"), "{started}");
    assert!(started <= t("2026-11-29T20:10:00Z"), "{started}");
}
