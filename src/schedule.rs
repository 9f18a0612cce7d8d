//! The long-lived scheduler: runs a job (a crawl, then extraction of what is
//! new) at each tick of a 5-field cron expression in a time zone, one run at a
//! time, recording every run in `runs` (kind `schedule`). A tick missed while
//! the service was down runs at once on start; a second scheduler on the same
//! archive is refused (`<db>.schedule.lock`). The README's "Scheduling" section
//! is the user's guide (this, crontab, systemd).
//!
//! Tests drive the loop with [`FakeClock`], so they never sleep for a week.

use crate::config::ScheduleConfig;
pub use crate::shutdown::{Shutdown, shutdown_channel, shutdown_on_signals, stopped};
use crate::store::lock::{ArchiveLock, LockError};
use crate::store::{RunKind, RunStatus, Store, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use croner::Cron;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A boxed, sendable future, as [`Clock`] and [`Job`] return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why the scheduler could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// `schedule.cron` does not parse.
    #[error("schedule.cron {expr:?} is not a 5-field cron expression: {message}")]
    Cron {
        /// The expression as configured.
        expr: String,
        /// The cron parser's message.
        message: String,
    },
    /// `schedule.timezone` is not an IANA time zone name.
    #[error("schedule.timezone {0:?} is not an IANA time zone (e.g. Asia/Shanghai)")]
    Timezone(String),
    /// `schedule.cron` has no future tick (e.g. 30 February).
    #[error("schedule.cron {0:?} never fires")]
    NoNextTick(String),
    #[error(
        "another `nianbao schedule` is already running on this archive ({holder}); lock file {lock}"
    )]
    /// Another scheduler holds this archive's schedule lock.
    AlreadyRunning {
        /// The lock file, `<db>.schedule.lock`.
        lock: PathBuf,
        /// Who holds it, from its note: `pid … since …: …`.
        holder: String,
    },
    /// The lock file could not be taken or read.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The archive failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the scheduler reads the time and waits: the system clock, or a fake one in tests.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
    /// Returns once `now() >= t`.
    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'_, ()>;
}

/// The real clock. Sleeps in steps of at most a minute and re-reads the time,
/// so a suspended machine or a clock change does not shift the tick.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            loop {
                let now = Utc::now();
                if now >= t {
                    return;
                }
                let left = (t - now).to_std().unwrap_or_default();
                tokio::time::sleep(left.min(Duration::from_secs(60))).await;
            }
        })
    }
}

/// A clock that jumps: `sleep_until(t)` sets the time to `t` at once.
#[derive(Debug, Clone)]
pub struct FakeClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl FakeClock {
    /// A fake clock reading `start`.
    pub fn new(start: DateTime<Utc>) -> FakeClock {
        FakeClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Sets the time to `t` (backwards too).
    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    /// Moves the time forward by `d`.
    pub fn advance(&self, d: chrono::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += d;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            {
                let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
                if *now < t {
                    *now = t;
                }
            }
            // Lets a pending shutdown or another task run, as a real sleep would.
            tokio::task::yield_now().await;
        })
    }
}

/// What one scheduled run gets.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The `runs` row of this run (kind `schedule`).
    pub run_id: i64,
    /// The cron tick this run is for (in the past for a missed run).
    pub scheduled_for: DateTime<Utc>,
    /// True when this run makes up for a tick missed while the service was down.
    pub missed: bool,
    /// The stop signal: finish the write in flight, then return.
    pub shutdown: Shutdown,
}

/// Counts a run reports, stored in its `runs` row.
pub type JobCounts = crate::store::RunCounts;

/// The work of one tick (the lead's crawl + extract).
pub trait Job: Send {
    /// Runs one tick's work; an error marks the run failed, the scheduler goes on.
    fn run(&mut self, ctx: JobContext) -> BoxFuture<'_, anyhow::Result<JobCounts>>;
}

impl<F, Fut> Job for F
where
    F: FnMut(JobContext) -> Fut + Send,
    Fut: Future<Output = anyhow::Result<JobCounts>> + Send + 'static,
{
    fn run(&mut self, ctx: JobContext) -> BoxFuture<'_, anyhow::Result<JobCounts>> {
        Box::pin(self(ctx))
    }
}

/// What a scheduler session did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScheduleSummary {
    /// Runs started (made-up ones included).
    pub runs: usize,
    /// Of those, runs whose job returned an error.
    pub failed: usize,
    /// A missed run was made up for on start.
    pub caught_up: bool,
}

/// Held while a scheduler runs on an archive: `<db>.schedule.lock`.
#[derive(Debug)]
pub struct ScheduleLock(#[allow(dead_code)] ArchiveLock);

/// Runs a [`Job`] at each cron tick in a time zone until shutdown (see the module doc).
pub struct Scheduler {
    db: PathBuf,
    cron: Cron,
    cron_text: String,
    tz: Tz,
    clock: Arc<dyn Clock>,
    hold_archive_lock: bool,
    lock_retry: Duration,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("db", &self.db)
            .field("cron", &self.cron_text)
            .field("tz", &self.tz)
            .finish()
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Scheduler {
    /// Checks the cron expression and time zone; nothing is opened yet.
    pub fn new(
        db: &Path,
        cfg: &ScheduleConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Scheduler, ScheduleError> {
        let cron_text = cfg.cron.trim().to_string();
        if cron_text.split_whitespace().count() != 5 {
            return Err(ScheduleError::Cron {
                expr: cron_text,
                message: "expected 5 fields: minute hour day-of-month month day-of-week".into(),
            });
        }
        let cron = Cron::from_str(&cron_text).map_err(|e| ScheduleError::Cron {
            expr: cron_text.clone(),
            message: e.to_string(),
        })?;
        let tz = Tz::from_str(cfg.timezone.trim())
            .map_err(|_| ScheduleError::Timezone(cfg.timezone.clone()))?;
        Ok(Scheduler {
            db: db.to_path_buf(),
            cron,
            cron_text,
            tz,
            clock,
            hold_archive_lock: true,
            lock_retry: Duration::from_secs(60),
        })
    }

    /// Whether the scheduler takes the archive lock around each run (default yes).
    /// Turn it off only when the job takes it itself: a second acquire of the
    /// same lock from one process is refused like any other.
    pub fn hold_archive_lock(mut self, hold: bool) -> Scheduler {
        self.hold_archive_lock = hold;
        self
    }

    /// How long a tick waits before trying again when a manual run holds the archive.
    pub fn lock_retry(mut self, every: Duration) -> Scheduler {
        self.lock_retry = every;
        self
    }

    /// The first tick strictly after `t`.
    pub fn next_tick(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, ScheduleError> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.tz), false)
            .map(|n| n.with_timezone(&Utc))
            .map_err(|_| ScheduleError::NoNextTick(self.cron_text.clone()))
    }

    /// The last tick at or before `t`.
    pub fn previous_tick(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&t.with_timezone(&self.tz), true)
            .ok()
            .map(|p| p.with_timezone(&Utc))
    }

    /// The schedule lock file of an archive.
    pub fn lock_path(db: &Path) -> PathBuf {
        ArchiveLock::path_for(&Self::lock_base(db))
    }

    fn lock_base(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".schedule");
        PathBuf::from(name)
    }

    /// Takes the schedule lock, or says which scheduler holds it.
    pub fn acquire(&self) -> Result<ScheduleLock, ScheduleError> {
        let what = format!("nianbao schedule ({} {})", self.cron_text, self.tz);
        match ArchiveLock::acquire(&Self::lock_base(&self.db), &what) {
            Ok(l) => Ok(ScheduleLock(l)),
            Err(LockError::Held { holder, .. }) => Err(ScheduleError::AlreadyRunning {
                lock: Self::lock_path(&self.db),
                holder,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs `job` at every tick until `shutdown`. Makes up for a missed tick first:
    /// when the last tick before now is later than the start of the last recorded
    /// schedule run. (With no schedule run recorded yet, nothing counts as missed.)
    pub async fn run(
        &self,
        job: &mut dyn Job,
        mut shutdown: Shutdown,
    ) -> Result<ScheduleSummary, ScheduleError> {
        let _lock = self.acquire()?;
        let mut summary = ScheduleSummary::default();
        let last_start = {
            let store = Store::open(&self.db)?;
            // We hold the schedule lock: a `running` schedule row is from a scheduler that died.
            store.interrupt_running(RunKind::Schedule, "scheduler stopped during the run")?;
            let last = store.last_run_start(RunKind::Schedule)?;
            last.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let now = self.clock.now();
        tracing::info!(cron = %self.cron_text, tz = %self.tz, next = %self.next_tick(now)?, "scheduler started");
        if let (Some(last), Some(prev)) = (last_start, self.previous_tick(now))
            && prev > last
            && !*shutdown.borrow()
        {
            tracing::info!(%prev, %last, "the last tick was missed: running now");
            summary.caught_up = true;
            self.run_once(job, prev, true, &mut shutdown, &mut summary)
                .await?;
        }
        loop {
            if *shutdown.borrow() {
                break;
            }
            let next = self.next_tick(self.clock.now())?;
            tokio::select! {
                _ = self.clock.sleep_until(next) => {}
                _ = stopped(&mut shutdown) => break,
            }
            if *shutdown.borrow() {
                break;
            }
            self.run_once(job, next, false, &mut shutdown, &mut summary)
                .await?;
        }
        tracing::info!(
            runs = summary.runs,
            failed = summary.failed,
            "scheduler stopped"
        );
        Ok(summary)
    }

    async fn run_once(
        &self,
        job: &mut dyn Job,
        scheduled_for: DateTime<Utc>,
        missed: bool,
        shutdown: &mut Shutdown,
        summary: &mut ScheduleSummary,
    ) -> Result<(), ScheduleError> {
        let archive_lock = if self.hold_archive_lock {
            loop {
                match ArchiveLock::acquire(
                    &self.db,
                    &format!("scheduled run for {}", rfc3339(scheduled_for)),
                ) {
                    Ok(l) => break Some(l),
                    Err(LockError::Held { holder, .. }) => {
                        tracing::warn!(%holder, "archive busy: the scheduled run waits for it");
                        let until = self.clock.now()
                            + chrono::Duration::from_std(self.lock_retry)
                                .unwrap_or(chrono::Duration::seconds(60));
                        tokio::select! {
                            _ = self.clock.sleep_until(until) => {}
                            _ = stopped(shutdown) => return Ok(()),
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        } else {
            None
        };
        let note = format!(
            "{} tick {}",
            if missed { "missed" } else { "scheduled" },
            rfc3339(scheduled_for)
        );
        let run_id = {
            let store = Store::open(&self.db)?;
            store.begin_run_at(
                RunKind::Schedule,
                &rfc3339(self.clock.now()),
                &format!("schedule {} {}", self.cron_text, self.tz),
                &note,
            )?
        };
        tracing::info!(run_id, %scheduled_for, missed, "scheduled run starts");
        let ctx = JobContext {
            run_id,
            scheduled_for,
            missed,
            shutdown: shutdown.clone(),
        };
        let result = job.run(ctx).await;
        let stopping = *shutdown.borrow();
        let (status, counts, outcome) = match result {
            Ok(c) if stopping => (RunStatus::Interrupted, c, "stopped by shutdown".to_string()),
            Ok(c) => (RunStatus::Completed, c, "ok".to_string()),
            Err(e) => {
                summary.failed += 1;
                (
                    if stopping {
                        RunStatus::Interrupted
                    } else {
                        RunStatus::Failed
                    },
                    JobCounts::default(),
                    format!("error: {}", crate::error_text::one_line(&*e)),
                )
            }
        };
        summary.runs += 1;
        {
            let store = Store::open(&self.db)?;
            store.finish_run_at(
                run_id,
                &rfc3339(self.clock.now()),
                status,
                &counts,
                &format!("{note}: {outcome}"),
            )?;
        }
        tracing::info!(
            run_id,
            status = status.sql_text(),
            ?counts,
            "scheduled run ended"
        );
        drop(archive_lock);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(cron: &str, tz: &str) -> Result<Scheduler, ScheduleError> {
        let cfg = ScheduleConfig {
            cron: cron.into(),
            timezone: tz.into(),
            extract_after_crawl: true,
        };
        Scheduler::new(Path::new("x.db"), &cfg, Arc::new(SystemClock))
    }

    #[test]
    fn bad_cron_and_zone_are_named() {
        let e = sched("0 3 * *", "Asia/Shanghai").unwrap_err().to_string();
        assert!(e.contains("5 fields"), "{e}");
        let e = sched("61 3 * * 1", "Asia/Shanghai")
            .unwrap_err()
            .to_string();
        assert!(e.contains("61 3 * * 1"), "{e}");
        let e = sched("0 3 * * 1", "Mars/Olympus").unwrap_err().to_string();
        assert!(e.contains("Mars/Olympus"), "{e}");
    }

    #[test]
    fn monday_three_in_shanghai_is_sunday_nineteen_utc() {
        let s = sched("0 3 * * 1", "Asia/Shanghai").unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = s.next_tick(t).unwrap();
        assert_eq!(rfc3339(next), "2026-11-29T19:00:00.000Z");
        assert_eq!(s.next_tick(next).unwrap(), next + chrono::Duration::days(7));
        assert_eq!(s.previous_tick(next), Some(next));
        assert_eq!(
            s.previous_tick(t).map(rfc3339).as_deref(),
            Some("2026-11-22T19:00:00.000Z")
        );
    }

    /// The lead may `tokio::spawn` the scheduler: its future must be `Send`.
    #[test]
    fn the_run_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let s = sched("0 3 * * 1", "Asia/Shanghai").unwrap();
        let (_tx, rx) = shutdown_channel();
        let mut job = |_ctx: JobContext| async { Ok(JobCounts::default()) };
        let fut = s.run(&mut job, rx);
        assert_send(&fut);
    }

    #[tokio::test]
    async fn system_clock_sleeps_until_the_time() {
        let start = std::time::Instant::now();
        SystemClock
            .sleep_until(Utc::now() + chrono::Duration::milliseconds(60))
            .await;
        assert!(start.elapsed() >= Duration::from_millis(50));
    }
}
