//! The crawler against the sample portal (several real HTTP servers on
//! 127.0.0.1): what lands in the archive, fault handling, politeness, recrawls.

use crate::common::{count, strings, test_config, write_seeds};
use nianbao::crawl::{self, CrawlOptions};
use nianbao::seeds;
use nianbao::store::Store;
use nianbao_portal::Portal;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

async fn crawl_once(
    dir: &std::path::Path,
    portal_seeds: &str,
    rps: f64,
    burst: u32,
) -> (crawl::CrawlSummary, Store) {
    crawl_with(dir, portal_seeds, rps, burst, CrawlOptions::default()).await
}

/// One crawl run into `dir/archive.db` (created or resumed) with the test config.
async fn crawl_with(
    dir: &std::path::Path,
    portal_seeds: &str,
    rps: f64,
    burst: u32,
    opts: CrawlOptions,
) -> (crawl::CrawlSummary, Store) {
    let config_path = test_config(dir, rps, burst, "");
    let seeds_dir = write_seeds(dir, portal_seeds);
    let config = crate::common::load_config(&config_path);
    let rows = seeds::load(&[seeds_dir]).unwrap();
    let store = Store::open(&dir.join("archive.db")).unwrap();
    let (_tx, rx) = watch::channel(false);
    nianbao::pipeline::crawl_then_extract(&config, store, &rows, &opts, rx)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_archives_reports_and_handles_every_fault() {
    let portal = Portal::start().await.unwrap();
    portal.set_slow_delay(Duration::from_millis(3500));
    let dir = tempfile::tempdir().unwrap();
    let (summary, store) = crawl_once(dir.path(), &portal.seeds_csv(), 50.0, 2).await;
    let log = portal.requests();
    let hits = |host: &str, path: &str| {
        log.iter()
            .filter(|r| r.host == host && r.path == path)
            .count()
    };

    // Every report the portal holds is archived as a report of the right agency and year.
    for e in portal.expected_reports() {
        let url = e.url.to_string();
        let rows: Vec<(String, Option<i64>, Option<String>)> = store
            .conn()
            .prepare(
                "SELECT COALESCE(a.name, pm.agency_name), pm.report_year, pm.publish_date FROM snapshots s
                 JOIN page_meta pm ON pm.snapshot_id = s.id LEFT JOIN agencies a ON a.id = pm.agency_id
                 WHERE (s.url = ?1 OR s.final_url = ?1) AND pm.kind IN ('report', 'attachment')",
            )
            .unwrap()
            .query_map([&url], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        if url.contains("slow.html") {
            assert!(rows.is_empty(), "the slow page times out");
            continue;
        }
        assert_eq!(
            rows.len(),
            1,
            "expected report {url} ({} {})",
            e.agency,
            e.year
        );
        let (agency, year, date) = &rows[0];
        assert!(
            agency.contains(&e.agency) || e.agency.contains(agency.as_str()),
            "{url}: attributed to {agency}, expected {}",
            e.agency
        );
        assert_eq!(*year, Some(e.year as i64), "{url}");
        if let (Some(want), Some(got)) = (e.publish_date, date) {
            assert_eq!(want.to_string(), *got, "{url}");
        }
    }
    // An agency with no URL is found on another agency's portal, by name.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM page_meta pm JOIN agencies a ON a.id = pm.agency_id
             WHERE a.name = '肖寨门镇人民政府' AND pm.kind = 'report' AND pm.report_year = 2022"
        ),
        1
    );
    // The GBK site (charset only in <meta>) is decoded: its titles read correctly.
    let gbk: Vec<String> = strings(
        &store,
        "SELECT s.charset || ' ' || s.charset_source || ' ' || pm.title FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
         WHERE pm.kind = 'report' AND pm.title LIKE '%卫滨区%2022%'",
    );
    assert_eq!(gbk.len(), 1, "{gbk:?}");
    assert!(
        gbk[0].starts_with("gb18030 meta ") || gbk[0].starts_with("GB18030 meta "),
        "{gbk:?}"
    );
    // Decoys are archived at most as non-reports.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM page_meta WHERE kind = 'report' AND title LIKE '%通知%'"
        ),
        0
    );
    // robots.txt: the disallowed page is recorded as skipped and never requested.
    assert_eq!(hits("city", "/private/draft.html"), 0);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE url LIKE '%/private/draft.html' AND state = 'skipped' AND reason LIKE '%robots%'"
        ),
        1
    );
    // The calendar trap is cut off by the guard.
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE reason LIKE 'trap guard%'"
        ) >= 1
    );
    assert!(
        log.iter()
            .filter(|r| r.path.starts_with("/hdjl/rcap.html"))
            .count()
            <= 1
    );
    // 500, 500, then success: three requests, two failures logged, one snapshot.
    assert_eq!(hits("flaky", "/fail-twice.html"), 3);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM fetches WHERE url LIKE '%/fail-twice.html' AND status = 500"
        ),
        2
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots WHERE url LIKE '%/fail-twice.html' AND status = 200"
        ),
        1
    );
    // 429 with Retry-After: 1 — the retry waits at least a second.
    let limited: Vec<_> = log
        .iter()
        .filter(|r| r.host == "flaky" && r.path == "/rate-limited.html")
        .collect();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].status, 429);
    assert!(limited[1].at.duration_since(limited[0].at) >= Duration::from_millis(990));
    // Slower than the timeout: retried, then recorded as a timeout failure.
    assert_eq!(hits("flaky", "/slow.html"), 3, "1 try + 2 retries");
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE url LIKE '%/slow.html' AND state = 'failed' AND reason LIKE 'timeout%'"
        ),
        1
    );
    // A redirect is followed and the final URL recorded.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots WHERE url LIKE '%/moved.html' AND final_url LIKE '%/reports/2020.html'"
        ),
        1
    );
    // The oversized body is cut at the cap and marked truncated.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots WHERE url LIKE '%/huge.html' AND truncated = 1 AND size = 1048576"
        ),
        1
    );
    // Broken HTML is still read as a report.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id WHERE s.url LIKE '%/broken.html' AND pm.kind = 'report'"
        ),
        1
    );
    // Attachments hang from the report pages and carry their agency.
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM page_meta WHERE kind = 'attachment' AND format IN ('pdf', 'docx') AND agency_id IS NOT NULL"
        ) >= 3
    );
    // The unreachable agency is recorded with its connection error.
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM fetches WHERE error_kind = 'connect'"
        ) >= 1
    );
    // Bodies are stored once per content, snapshots and metadata are consistent.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots s LEFT JOIN bodies b ON b.sha256 = s.sha256 WHERE b.sha256 IS NULL"
        ),
        0
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots s LEFT JOIN page_meta pm ON pm.snapshot_id = s.id WHERE pm.snapshot_id IS NULL"
        ),
        0
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    // Every request carried our user agent with the contact.
    assert!(log.iter().all(|r| {
        r.user_agent
            .as_deref()
            .is_some_and(|ua| ua.contains("nianbao-test/1.0") && ua.contains("tests@example.org"))
    }));
    // Report pages were extracted in the same run.
    let extracted = summary.extracted.as_ref().unwrap();
    assert!(extracted.complete >= 10, "{extracted:?}");
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM extractions e JOIN snapshots s ON s.id = e.snapshot_id WHERE s.url LIKE '%t20230130_5566.html' AND json_extract(e.result, '$.applications.new_received[6]') = 12"
        ),
        1
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM runs WHERE kind = 'crawl' AND status = 'completed'"
        ),
        1
    );
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recrawl_sends_conditional_requests_and_stores_nothing_new() {
    let portal = Portal::start().await.unwrap();
    portal.set_slow_delay(Duration::from_millis(2500));
    let dir = tempfile::tempdir().unwrap();
    let (first, store) = crawl_once(dir.path(), &portal.seeds_csv(), 50.0, 2).await;
    let snapshots = count(&store, "SELECT COUNT(*) FROM snapshots");
    let bodies = count(&store, "SELECT COUNT(*) FROM bodies");
    drop(store);
    let before = portal.requests().len();
    let (second, store) = crawl_once(dir.path(), &portal.seeds_csv(), 50.0, 2).await;
    let again: Vec<_> = portal.requests().into_iter().skip(before).collect();
    let conditional = again
        .iter()
        .filter(|r| r.if_none_match.is_some() || r.if_modified_since.is_some())
        .count();
    let not_modified = again.iter().filter(|r| r.status == 304).count();
    assert!(conditional >= 20, "only {conditional} conditional requests");
    assert!(not_modified >= 20, "only {not_modified} 304s");
    assert_eq!(second.not_modified as usize, not_modified);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM bodies"),
        bodies,
        "no new bodies"
    );
    // Only pages whose content differs per request (the huge stream is cut at a new
    // place? no: it is deterministic) may add snapshots; the static site adds none.
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM snapshots"),
        snapshots,
        "first run: {first:?}"
    );
    assert_eq!(
        second.reports_found, first.reports_found,
        "the 304 path still finds every report"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM runs WHERE status = 'completed'"
        ),
        2
    );
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_rate_is_never_exceeded_while_hosts_run_in_parallel() {
    let _timing = crate::common::TIMING.lock().await;
    const RPS: f64 = 4.0;
    const PAGES: usize = 12;
    let portal = Portal::synthetic(2, PAGES).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (summary, _store) = crawl_once(dir.path(), &portal.seeds_csv(), RPS, 1).await;
    let wall = started.elapsed();
    let mut by_host: HashMap<String, Vec<std::time::Instant>> = HashMap::new();
    for r in portal.requests() {
        by_host.entry(r.host).or_default().push(r.at);
    }
    assert_eq!(by_host.len(), 2);
    let min_gap = Duration::from_secs_f64(1.0 / RPS);
    let per_host_requests = assert_rate_held(&by_host, RPS);
    // In parallel: the whole crawl takes about one host's share, not the sum.
    let one_host = min_gap * (per_host_requests as u32 - 1);
    assert!(
        wall < one_host * 2 - min_gap,
        "wall {wall:?} vs one host {one_host:?}: hosts did not overlap"
    );
    let (a, b) = {
        let mut it = by_host.values();
        (it.next().unwrap().clone(), it.next().unwrap().clone())
    };
    let overlap = a.iter().min().unwrap() < b.iter().max().unwrap()
        && b.iter().min().unwrap() < a.iter().max().unwrap();
    assert!(overlap);
    assert!(summary.pages_fetched as usize >= 2 * PAGES);
    portal.shutdown().await;
}

/// Asserts, from the server's log, that no host ever received requests faster
/// than `rps`; returns the most requests one host received.
fn assert_rate_held(by_host: &HashMap<String, Vec<std::time::Instant>>, rps: f64) -> usize {
    let min_gap = Duration::from_secs_f64(1.0 / rps);
    // Arrival times carry transit jitter (the first request of a host also pays for
    // its TCP connect), so a request sent on time can land a few ms closer to a
    // delayed predecessor. The rate holds when every run of n requests spans at
    // least (n - 1) periods, less that jitter.
    let jitter = Duration::from_millis(40);
    let mut most = 0;
    for (host, times) in by_host {
        let mut times = times.clone();
        times.sort();
        most = most.max(times.len());
        for i in 0..times.len() {
            for j in i + 1..times.len() {
                let span = times[j].duration_since(times[i]);
                let needed = min_gap * (j - i) as u32;
                assert!(
                    span + jitter >= needed,
                    "{host}: {} requests within {span:?} (limit {rps}/s needs {needed:?})",
                    j - i + 1
                );
            }
        }
    }
    most
}

/// More hosts than global slots: each host still gets its own rate, because a
/// request waiting for its host's turn holds no global slot (with the test
/// config's concurrency of 8, a dispatcher that let waiting requests hold slots
/// served 4 hosts at a time, one group after the other).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_more_hosts_than_global_slots_all_progress_at_their_own_rate() {
    const RPS: f64 = 4.0;
    const HOSTS: usize = 24;
    let portal = Portal::synthetic(HOSTS, 1).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (summary, store) = crawl_once(dir.path(), &portal.seeds_csv(), RPS, 1).await;
    let mut by_host: HashMap<String, Vec<std::time::Instant>> = HashMap::new();
    for r in portal.requests() {
        by_host.entry(r.host).or_default().push(r.at);
    }
    assert_eq!(by_host.len(), HOSTS);
    let per_host_requests = assert_rate_held(&by_host, RPS);
    // Every host got the same pages: a listing, its report and its ten items.
    assert_eq!(summary.failed, 0);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM snapshots"),
        summary.pages_fetched as i64
    );
    assert!(summary.pages_fetched as usize >= HOSTS * 12, "{summary:?}");
    assert!(per_host_requests >= 13, "{per_host_requests}");
    // Hosts served side by side: at some instant, far more hosts than the 8 global
    // slots are between their first and their last request.
    let spans: Vec<(std::time::Instant, std::time::Instant)> = by_host
        .values()
        .map(|t| (*t.iter().min().unwrap(), *t.iter().max().unwrap()))
        .collect();
    let side_by_side = spans
        .iter()
        .map(|(at, _)| spans.iter().filter(|(s, e)| s <= at && at <= e).count())
        .max()
        .unwrap();
    assert!(
        side_by_side > 16,
        "only {side_by_side} of {HOSTS} hosts were crawled at the same time"
    );
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revised_report_gets_a_new_snapshot_and_the_old_one_stays() {
    let portal = Portal::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        agency_filter: Some("辽中区人民政府办公室".into()),
        ..Default::default()
    };
    let seeds = portal.seeds_csv();
    let (_, store) = crawl_with(dir.path(), &seeds, 50.0, 2, opts.clone()).await;
    drop(store);
    let report = "/zwgk/xxgknb/202301/t20230119_1234.html";
    // The agency corrects its 2022 report: 17 normative documents issued become 18.
    assert!(portal.revise_page("city", report, |html| html.replacen(">17<", ">18<", 1)));
    let (second, store) = crawl_with(dir.path(), &seeds, 50.0, 2, opts).await;
    assert_eq!(
        second.snapshots_new, 1,
        "only the revised page is stored again: {second:?}"
    );
    let url_like = format!("%{report}");
    let revisions: Vec<String> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT sha256 FROM snapshots WHERE url LIKE ?1 ORDER BY id")
            .unwrap();
        stmt.query_map([&url_like], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(revisions.len(), 2);
    assert_ne!(revisions[0], revisions[1]);
    let revs = store
        .revisions(Some("辽中区人民政府办公室"), Some(2022), None)
        .unwrap();
    assert_eq!(revs.len(), 2, "both revisions listed, newest first");
    let issued = |i: usize| {
        serde_json::to_value(revs[i].result.as_ref().unwrap()).unwrap()["active_disclosure"]["normative_documents"]
            ["issued"]
            .clone()
    };
    assert_eq!(issued(0), 18);
    assert_eq!(issued(1), 17);
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn years_and_agency_filters_narrow_what_is_crawled() {
    let portal = Portal::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        agency_filter: Some("辽中区人民政府办公室".into()),
        years: nianbao::config::parse_years("2022").unwrap(),
        ..Default::default()
    };
    let (summary, store) = crawl_with(dir.path(), &portal.seeds_csv(), 50.0, 2, opts).await;
    let years = strings(
        &store,
        "SELECT DISTINCT CAST(report_year AS TEXT) FROM page_meta WHERE kind = 'report' ORDER BY 1",
    );
    assert_eq!(
        years,
        vec!["2022"],
        "only 2022 reports are fetched: {summary:?}"
    );
    // Only the city column was an entry point: the other hosts were never asked.
    let hosts: std::collections::BTreeSet<String> =
        portal.requests().into_iter().map(|r| r.host).collect();
    assert_eq!(
        hosts.into_iter().collect::<Vec<_>>(),
        vec!["city".to_string()]
    );
    // Both 2022 reports on that column: the office's own and 肖寨门镇's.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM page_meta WHERE kind = 'report'"
        ),
        2
    );
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_of_one_page_archives_what_an_open_backlog_archives() {
    // The dispatcher holds new requests while fetched pages wait for their
    // commit; at the tightest bound the crawl must still finish with every page.
    // Each crawl gets a portal of its own: the portal's faults (a page that
    // fails once, a revised page) keep state between crawls. Its ports differ,
    // so pages are compared by path, kind and year.
    let archived = |store: &Store| {
        let mut pages = strings(
            store,
            "SELECT s.url || ' ' || COALESCE(pm.kind, '') || ' ' || COALESCE(CAST(pm.report_year AS TEXT), '')
             FROM snapshots s LEFT JOIN page_meta pm ON pm.snapshot_id = s.id",
        )
        .into_iter()
        .map(|row| {
            let (url, rest) = row.split_once(' ').unwrap();
            let path = url::Url::parse(url).unwrap().path().to_string();
            format!("{path} {rest}")
        })
        .collect::<Vec<_>>();
        pages.sort();
        pages
    };
    let crawl_fresh_portal = |opts: CrawlOptions| async move {
        let portal = Portal::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (summary, store) = crawl_with(dir.path(), &portal.seeds_csv(), 100.0, 2, opts).await;
        portal.shutdown().await;
        (summary, archived(&store))
    };
    let (open_summary, open_pages) = crawl_fresh_portal(CrawlOptions::default()).await;
    let tight = CrawlOptions {
        backlog_pages: Some(1),
        ..Default::default()
    };
    // A dispatcher that waits for a page to leave and is never woken hangs here.
    let (tight_summary, tight_pages) =
        tokio::time::timeout(Duration::from_secs(120), crawl_fresh_portal(tight))
            .await
            .expect("the crawl with a one-page backlog finishes");
    assert!(!tight_summary.interrupted);
    assert_eq!(tight_summary.pages_fetched, open_summary.pages_fetched);
    assert!(open_pages.len() > 20, "{open_pages:?}");
    assert_eq!(tight_pages, open_pages);
}
