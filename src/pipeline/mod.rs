//! The stages put together, for `crawl`, `schedule`, `extract` and `demo`: a
//! crawl, then extraction of every report snapshot that has no result from
//! this extractor yet ([`extraction`]), whichever run archived it, so reports
//! archived by a run that was killed are extracted by the next one.

pub mod extraction;

use crate::config::Config;
use crate::crawl::{self, CrawlError, CrawlOptions, CrawlSummary};
use crate::patterns::ReportPatterns;
use crate::seeds::SeedRow;
use crate::shutdown::Shutdown;
use crate::store::{RunKind, RunStatus, Store, StoreError};
use extraction::{ExtractFilter, ExtractSummary, extract_archive};

/// Crawls (or resumes the unfinished crawl), then extracts what the archive
/// holds unextracted, unless `opts.skip_extraction`. The caller holds the
/// archive lock.
pub async fn crawl_then_extract(
    config: &Config,
    store: Store,
    rows: &[SeedRow],
    opts: &CrawlOptions,
    shutdown: Shutdown,
) -> Result<(CrawlSummary, Store), CrawlError> {
    let (mut summary, store) = crawl::run(config, store, rows, opts, shutdown).await?;
    if opts.skip_extraction {
        return Ok((summary, store));
    }
    let run_id = summary.run_id;
    // Extraction is CPU work: off the async workers.
    let patterns = config.report_patterns(None);
    let (store, extracted) = tokio::task::spawn_blocking(move || {
        let mut store = store;
        let r = extract_archive(&mut store, &ExtractFilter::default(), &patterns, &|_, _| {});
        (store, r)
    })
    .await
    .map_err(|e| CrawlError::Task(e.to_string()))?;
    let extracted = extracted?;
    store.add_extracted(run_id, extracted.reports as i64)?;
    summary.extracted = Some(extracted);
    Ok((summary, store))
}

/// `nianbao extract`: one recorded run (kind `extract`) of the extraction
/// stage over the archive, with the configured report `patterns`; a failure
/// is recorded on the run before it is returned. `progress` gets (done, total).
pub fn extract_run(
    store: &mut Store,
    filter: &ExtractFilter,
    patterns: &ReportPatterns,
    command: &str,
    progress: &dyn Fn(u64, u64),
) -> Result<ExtractSummary, StoreError> {
    let run_id = store.begin_run(RunKind::Extract, command)?;
    match extract_archive(store, filter, patterns, progress) {
        Ok(summary) => {
            store.add_extracted(run_id, summary.reports as i64)?;
            store.finish_run(run_id, RunStatus::Completed, None)?;
            Ok(summary)
        }
        Err(e) => {
            store.finish_run(run_id, RunStatus::Failed, Some(&e.to_string()))?;
            Err(e)
        }
    }
}
