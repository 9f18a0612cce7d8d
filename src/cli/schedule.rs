//! `nianbao schedule`: the foreground service, a crawl + extraction per cron tick.

use super::{Common, Context, runtime};
use anyhow::Result;
use nianbao::crawl::CrawlOptions;
use nianbao::pipeline::crawl_then_extract;
use nianbao::schedule::{JobContext, JobCounts, Scheduler, SystemClock};
use nianbao::shutdown::shutdown_on_signals;
use nianbao::store::Store;
use std::sync::Arc;

/// Runs the scheduler until Ctrl-C/SIGTERM.
pub fn run(common: &Common) -> Result<()> {
    let ctx = Context::load(common, true)?;
    super::warn_if_no_contact(&ctx.config);
    runtime()?.block_on(async {
        let scheduler = Scheduler::new(&ctx.db, &ctx.config.schedule, Arc::new(SystemClock))?;
        outln!(
            "scheduler on {}: cron {:?} in {}; next run {}",
            ctx.db.display(),
            ctx.config.schedule.cron,
            ctx.config.schedule.timezone,
            scheduler.next_tick(chrono::Utc::now())?
        )?;
        let Context {
            config,
            db,
            seed_rows,
        } = ctx;
        let mut job = move |jc: JobContext| {
            let config = config.clone();
            let rows = seed_rows.clone();
            let db = db.clone();
            async move {
                let store = Store::open_for_writing(&db, true)?;
                let opts = CrawlOptions {
                    command: format!("nianbao schedule (tick {})", jc.scheduled_for),
                    agency_filter: None,
                    years: None,
                    skip_extraction: !config.schedule.extract_after_crawl,
                    ..Default::default()
                };
                let (s, _store) =
                    crawl_then_extract(&config, store, &rows, &opts, jc.shutdown.clone()).await?;
                out!("{s}")?;
                Ok(JobCounts {
                    pages_fetched: s.pages_fetched as i64,
                    snapshots_new: s.snapshots_new as i64,
                    bodies_new: s.bodies_new as i64,
                    reports_found: s.reports_found as i64,
                    extracted: s.extracted.as_ref().map_or(0, |e| e.reports as i64),
                    errors: s.failed as i64,
                })
            }
        };
        let summary = scheduler.run(&mut job, shutdown_on_signals()).await?;
        outln!(
            "scheduler stopped: {} run(s), {} failed{}",
            summary.runs,
            summary.failed,
            if summary.caught_up {
                ", the first making up for a tick missed while it was down"
            } else {
                ""
            }
        )?;
        Ok(())
    })
}
