//! Discovery on the CMS idioms portal (`nianbao_portal::cms`): one real host on
//! 127.0.0.1 per listing/paging/linking/download idiom, each with reports and
//! decoys. Per idiom: every report lands in the archive as a report of the
//! right agency and year, no decoy does; new request kinds (POST groups, API
//! calls, meta/script redirects) pass the per-host gate and robots.txt; and
//! `missing` says why a seed yielded nothing.

use crate::common::{count, strings, test_config, write_seeds};
use nianbao::crawl::{self, CrawlOptions};
use nianbao::export::{self, MissingReason};
use nianbao::store::Store;
use nianbao_portal::cms::{CmsPortal, IDIOM_HOSTS};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::watch;

async fn crawl_cms(dir: &std::path::Path, seeds: &str, rps: f64) -> (crawl::CrawlSummary, Store) {
    let config = crate::common::load_config(&test_config(dir, rps, 1, ""));
    let seeds_dir = write_seeds(dir, seeds);
    let rows = nianbao::seeds::load(&[seeds_dir]).unwrap();
    let store = Store::open(&dir.join("archive.db")).unwrap();
    let (_tx, rx) = watch::channel(false);
    let opts = CrawlOptions {
        skip_extraction: true,
        ..CrawlOptions::default()
    };
    nianbao::pipeline::crawl_then_extract(&config, store, &rows, &opts, rx)
        .await
        .unwrap()
}

/// (agency, year) of the report snapshots archived under `url`.
fn reports_at(store: &Store, url: &str) -> Vec<(String, i64)> {
    store
        .conn()
        .prepare(
            "SELECT COALESCE(a.name, pm.agency_name, ''), pm.report_year FROM snapshots s
             JOIN page_meta pm ON pm.snapshot_id = s.id LEFT JOIN agencies a ON a.id = pm.agency_id
             WHERE (s.url = ?1 OR s.final_url = ?1) AND pm.kind IN ('report', 'attachment')
               AND pm.report_year IS NOT NULL",
        )
        .unwrap()
        .query_map([url], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_idiom_finds_its_reports_and_takes_no_decoy() {
    let _timing = crate::common::TIMING.lock().await;
    let portal = CmsPortal::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (summary, store) = crawl_cms(dir.path(), &portal.seeds_csv(), 20.0).await;
    let log = portal.requests();

    // Per idiom: reports found / expected, decoys taken, requests vs pages held.
    let mut table: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for r in portal.reports() {
        let got = reports_at(&store, r.url.as_str());
        let row = table.entry(r.idiom).or_default();
        row.1 += 1;
        if got
            .iter()
            .any(|(a, y)| a == r.agency && *y == r.year as i64)
        {
            row.0 += 1;
        } else {
            misses.push(format!(
                "{} {} {} at {} (archived as {got:?})",
                r.idiom, r.agency, r.year, r.url
            ));
        }
    }
    let mut taken = Vec::new();
    for d in portal.decoys() {
        let got = reports_at(&store, d.url.as_str());
        if !got.is_empty() {
            table.entry(d.idiom).or_default().2 += 1;
            taken.push(format!("{} {} at {}", d.idiom, d.title, d.url));
        }
    }
    let requests_per_host: HashMap<&str, usize> = IDIOM_HOSTS
        .iter()
        .map(|h| (*h, log.iter().filter(|r| r.host == *h).count()))
        .collect();
    eprintln!("idiom       found/expected  decoys taken  requests/pages held");
    for (idiom, (found, expected, decoys, _)) in &table {
        let host = *idiom;
        let requests = requests_per_host.get(host).copied().unwrap_or(0)
            + if host == "frame" {
                requests_per_host["framed"]
            } else {
                0
            };
        let pages = portal.pages_on(host)
            + if host == "frame" {
                portal.pages_on("framed")
            } else {
                0
            };
        eprintln!("{idiom:<12} {found:>5}/{expected:<9} {decoys:>6}        {requests:>4}/{pages}");
    }
    eprintln!("{summary}");
    assert!(
        misses.is_empty(),
        "reports not found:\n{}",
        misses.join("\n")
    );
    assert!(
        taken.is_empty(),
        "decoys archived as reports:\n{}",
        taken.join("\n")
    );
    // No decoy is any agency's current report either (the exports' one choice).
    let current = export::current_reports(&store, None).unwrap();
    for d in portal.decoys() {
        assert!(
            !current.iter().any(|c| c.url == d.url.as_str()),
            "{}",
            d.title
        );
    }
    // And each agency's 2023 current report is its real one.
    for r in portal.reports().iter().filter(|r| r.year == 2023) {
        assert!(
            current
                .iter()
                .any(|c| c.agency == r.agency && c.year == 2023),
            "{} has no current 2023 report",
            r.agency
        );
    }
    // Decoys are kept, named for what they are.
    let kinds = strings(
        &store,
        "SELECT DISTINCT decoy FROM page_meta WHERE kind = 'decoy' ORDER BY decoy",
    );
    for k in ["empty", "explainer", "hub", "interpretation"] {
        assert!(
            kinds.iter().any(|x| x == k),
            "no {k} decoy recorded: {kinds:?}"
        );
    }

    // Hanweb: both further groups were POSTed with the column's parameters,
    // stored in the frontier and with the snapshots.
    let posts: Vec<_> = log
        .iter()
        .filter(|r| r.host == "hanweb" && r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2, "{posts:#?}");
    for p in &posts {
        assert!(
            p.path
                .starts_with("/module/web/jpage/dataproxy.jsp?startrecord="),
            "{}",
            p.path
        );
        assert!(
            p.body.contains("columnid=61490") && p.body.contains("unitid=247686"),
            "{}",
            p.body
        );
    }
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE method = 'POST' AND form LIKE '%columnid=61490%' AND state = 'done'"
        ),
        2
    );
    assert!(
        count(
            &store,
            "SELECT COUNT(*) FROM snapshots WHERE method = 'POST' AND form LIKE 'col=1&%'"
        ) >= 2
    );
    // The ajax list was POSTed too, its second page found from the answer's total.
    assert_eq!(
        log.iter()
            .filter(|r| r.host == "ajax" && r.method == "POST")
            .count(),
        2
    );

    // Frames: the framed host joined that seed's scope, recorded and shown in status.
    let framed_host = format!("127.0.0.1:{}", portal.base_url("framed").port().unwrap());
    let hosts = strings(&store, "SELECT host FROM seed_hosts");
    assert!(hosts.iter().any(|h| h.ends_with(&framed_host)), "{hosts:?}");
    let status = nianbao::status::status(&store, 3).unwrap();
    assert!(
        status
            .seed_hosts
            .iter()
            .any(|s| s.host.ends_with(&framed_host)),
        "{:?}",
        status.seed_hosts
    );

    // JEECMS: one page under two session ids was fetched once, without the id.
    let jeecms: Vec<_> = log
        .iter()
        .filter(|r| r.host == "jeecms" && r.path.starts_with("/xxgk/nb/2024/01/1.jhtml"))
        .collect();
    assert_eq!(jeecms.len(), 1, "{jeecms:#?}");
    assert!(!jeecms[0].path.contains("jsessionid"));

    // Downloads: the long downfile.jsp link was not refused for its length; the
    // files were sniffed as PDFs and named by Content-Disposition.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE url LIKE '%downfile.jsp%' AND state = 'done'"
        ),
        1
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM page_meta WHERE kind = 'attachment' AND format = 'pdf' AND title = '济南市历下区人民政府2022年政府信息公开工作年度报告'"
        ),
        1,
        "the raw GBK Content-Disposition name titles the file"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM page_meta WHERE kind = 'attachment' AND format = 'pdf' AND title = '济南市历下区人民政府2021年政府信息公开工作年度报告'"
        ),
        1,
        "the RFC 5987 name titles the file linked as 附件下载"
    );

    // robots.txt forbade the column: never requested, recorded as skipped.
    assert!(
        !log.iter()
            .any(|r| r.host == "robots" && r.path.starts_with("/xxgk/nb/"))
    );

    // `missing` says why nothing was found.
    let missing = export::missing(&store, 2023, None).unwrap();
    let reason = |agency: &str| {
        missing
            .iter()
            .find(|m| m.agency == agency)
            .map(|m| (m.reason, m.detail.clone()))
            .unwrap_or_else(|| panic!("{agency} not in missing: {missing:#?}"))
    };
    let (r, d) = reason("长沙市芙蓉区人民政府");
    assert_eq!(r, MissingReason::RobotsForbade, "{d}");
    assert!(d.contains("/xxgk/nb/index.html"), "{d}");
    let (r, d) = reason("武汉市江岸区人民政府");
    assert_eq!(r, MissingReason::ScriptListing, "{d}");
    assert!(d.contains("apiBase"), "{d}");
    let (r, d) = reason("淮安市清江浦区文旅局");
    assert_eq!(r, MissingReason::OnlyDecoys, "{d}");
    assert!(d.contains("(empty)"), "{d}");
    let (r, d) = reason("长春市朝阳区人民政府");
    assert_eq!(r, MissingReason::NoReportFound, "{d}");
    assert!(d.contains("listing was found"), "{d}");
    let (r, _) = reason("石家庄市长安区人民政府");
    assert_eq!(r, MissingReason::EntryUnreachable);
    // Every agency with a report online is absent from the list.
    for r in portal.reports().iter().filter(|r| r.year == 2023) {
        assert!(
            !missing.iter().any(|m| m.agency == r.agency),
            "{} listed as missing",
            r.agency
        );
    }
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_api_and_redirect_requests_pass_the_per_host_gate_and_robots() {
    let _timing = crate::common::TIMING.lock().await;
    const RPS: f64 = 5.0;
    let portal = CmsPortal::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let u = |h: &str, p: &str| portal.base_url(h).join(p).unwrap().to_string();
    let seeds = format!(
        "agency,region,level,url,aliases\n\
         苏州市吴江区国资办,,,{},\n杭州市西湖区人民政府,,,{},\n西安市碑林区人民政府,,,{},\n广州市荔湾区人民政府,,,{},\n",
        u("hanweb", "/col/col61490/index.html"),
        u("ajax", "/xxgk/nb/index.html"),
        u("redirect", "/index.html"),
        u("gkmlpt", "/gkmlpt/index"),
    );
    let (_summary, store) = crawl_cms(dir.path(), &seeds, RPS).await;
    let log = portal.requests();
    let min_gap = Duration::from_secs_f64(1.0 / RPS);
    let jitter = Duration::from_millis(80);
    let mut by_host: HashMap<&str, Vec<&nianbao_portal::cms::CmsRequest>> = HashMap::new();
    for r in &log {
        by_host.entry(r.host.as_str()).or_default().push(r);
    }
    assert_eq!(by_host.len(), 4);
    for (host, reqs) in &by_host {
        // robots.txt comes first, before any page, POST or API call.
        assert_eq!(reqs[0].path, "/robots.txt", "{host}");
        // Arrival times carry transit jitter on a loaded machine (a request sent on
        // time lands closer to a delayed predecessor): the rate holds when every
        // run of n requests spans at least (n - 1) periods, less that jitter.
        for i in 0..reqs.len() {
            for j in i + 1..reqs.len() {
                let span = reqs[j].at.duration_since(reqs[i].at);
                let needed = min_gap * (j - i) as u32;
                assert!(
                    span + jitter >= needed,
                    "{host}: {} requests from {} to {} {} within {span:?}",
                    j - i + 1,
                    reqs[i].path,
                    reqs[j].method,
                    reqs[j].path
                );
            }
        }
    }
    // The kinds the gate held: POSTs, JSON API calls, meta and script redirects.
    assert!(by_host["hanweb"].iter().any(|r| r.method == "POST"));
    assert!(by_host["ajax"].iter().any(|r| r.method == "POST"));
    assert!(
        by_host["gkmlpt"]
            .iter()
            .any(|r| r.path.starts_with("/gkmlpt/api/all/3155?page=3"))
    );
    assert!(
        by_host["redirect"]
            .iter()
            .any(|r| r.path == "/xxgk/nb/list.html")
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM frontier WHERE kind = 'redirect' AND state = 'done'"
        ),
        2
    );
    portal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_post_entry_is_replayed_with_its_form_on_resume() {
    let portal = CmsPortal::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seed_url = portal
        .base_url("hanweb")
        .join("/col/col61490/index.html")
        .unwrap();
    let seeds = format!("agency,region,level,url,aliases\n苏州市吴江区国资办,,,{seed_url},\n");
    // A run killed after queueing the second group: its frontier holds the POST.
    let seeds_dir = write_seeds(dir.path(), &seeds);
    let rows = nianbao::seeds::load(&[seeds_dir]).unwrap();
    let form = "col=1&appid=1&webid=39&path=%2F&columnid=61490&unitid=247686&permissiontype=0";
    let proxy = portal
        .base_url("hanweb")
        .join("/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3")
        .unwrap();
    {
        let mut store = Store::open(&dir.path().join("archive.db")).unwrap();
        let stored = store
            .sync_seeds(&rows, &nianbao::seeds::agencies(&rows))
            .unwrap();
        let run = store
            .begin_run(nianbao::store::RunKind::Crawl, "killed")
            .unwrap();
        let link = |form: Option<&str>| nianbao::store::NewLink {
            url: proxy.to_string(),
            host: nianbao::crawl::politeness::host_key(&proxy),
            seed_id: Some(stored[0].id),
            depth: 0,
            kind: nianbao::crawl::discover::LinkKind::Api,
            priority: 1,
            parent_url: Some(seed_url.to_string()),
            link_text: Some("records 4-6".into()),
            agency_hint: None,
            skipped: None,
            form: form.map(str::to_string),
            listing_date: None,
        };
        // Same URL, other body: another entry (the form is part of its identity).
        let added = store
            .frontier_add(
                run,
                &[
                    link(Some(form)),
                    link(Some("col=1&columnid=1")),
                    link(Some(form)),
                ],
            )
            .unwrap();
        assert_eq!(added, 2);
    }
    let (summary, store) = crawl_cms(dir.path(), &seeds, 20.0).await;
    assert!(summary.resumed);
    let posts: Vec<_> = portal
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    // Both queued entries replayed, then the group after (from the answer's total).
    assert_eq!(posts.len(), 3, "{posts:#?}");
    assert!(posts.iter().any(|p| p.body == "col=1&columnid=1"));
    assert!(
        posts
            .iter()
            .any(|p| p.body == form && p.path.contains("startrecord=4"))
    );
    assert!(
        posts
            .iter()
            .any(|p| p.body == form && p.path.contains("startrecord=7"))
    );
    // The replayed group's report is archived; the POST is shown with its snapshot.
    let report = portal
        .base_url("hanweb")
        .join("/art/2024/1/20/art_61490_6.html")
        .unwrap();
    assert_eq!(reports_at(&store, report.as_str()).len(), 1);
    assert_eq!(
        strings(
            &store,
            "SELECT form FROM snapshots WHERE method = 'POST' ORDER BY id"
        ),
        vec![form.to_string(), form.to_string()]
    );
    // The WARC export keeps each POST's form in a request record beside its response.
    let out = tempfile::tempdir().unwrap();
    let warc =
        nianbao::export::write_warc(&store, out.path(), &nianbao::export::WarcOptions::default())
            .unwrap();
    assert_eq!(warc.requests, 2);
    let mut text = String::new();
    for f in &warc.files {
        use std::io::Read;
        let mut d = flate2::read::MultiGzDecoder::new(std::fs::File::open(f).unwrap());
        let mut bytes = Vec::new();
        d.read_to_end(&mut bytes).unwrap();
        text.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert!(text.contains("WARC-Type: request"), "{text}");
    assert!(text.contains(
        "POST /module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3 HTTP/1.1"
    ));
    assert!(text.contains(&format!("\r\n\r\n{form}")));
    portal.shutdown().await;
}
