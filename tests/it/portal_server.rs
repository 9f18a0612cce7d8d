//! The sample portal over real HTTP: encodings, validators, fault injection,
//! the request log, and discovery across its paginated columns.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::time::Duration;

use nianbao::crawl::discover::{LinkKind, discover};
use nianbao::page::charset::{CharsetSource, decode};
use nianbao::patterns::{ReportPatterns, report_year};
use nianbao_portal::Portal;
use reqwest::StatusCode;
use reqwest::header;
use url::Url;

/// reqwest with `rustls-no-provider` panics at `build()` without a process-wide
/// crypto provider, even for plain http; installing twice is harmless.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder()
        .no_proxy()
        .user_agent("nianbao-test/0.1")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn get(c: &reqwest::Client, url: &Url) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let r = c.get(url.clone()).send().await.expect("request");
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

async fn page_text(c: &reqwest::Client, url: &Url) -> String {
    let (status, headers, body) = get(c, url).await;
    assert_eq!(status, StatusCode::OK, "{url}");
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    decode(&body, ct.as_deref()).text
}

#[tokio::test]
async fn gbk_county_page_decodes_from_meta() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let url = portal
        .base_url("county")
        .join("/xxgk/nb/index.html")
        .expect("url");
    let (status, headers, body) = get(&c, &url).await;
    assert_eq!(status, StatusCode::OK);
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .expect("content-type");
    assert_eq!(ct, "text/html", "charset only in <meta>");
    assert!(
        std::str::from_utf8(&body).is_err(),
        "bytes are GBK, not UTF-8"
    );
    let d = decode(&body, Some(ct));
    // gb2312 is read as GBK or its superset GB18030 (the WHATWG mapping).
    assert!(
        d.encoding == encoding_rs::GBK || d.encoding == encoding_rs::GB18030,
        "{}",
        d.encoding.name()
    );
    assert_eq!(d.source, CharsetSource::Meta);
    assert!(!d.had_errors);
    assert!(d.text.contains("当前位置：<a href=\"/\">首页</a>"));
    assert!(
        d.text
            .contains("卫滨区人民政府 2022 年政府信息公开工作年度报告")
    );
    assert!(d.text.contains("网站标识码"));
    portal.shutdown().await;
}

#[tokio::test]
async fn validators_answer_304() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let url = portal
        .base_url("city")
        .join("/zwgk/xxgknb/index.html")
        .expect("url");
    let (status, headers, body) = get(&c, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.is_empty());
    let etag = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_string();
    let lm = headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .expect("last-modified")
        .to_string();

    let r = c
        .get(url.clone())
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("conditional");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.expect("body").is_empty());

    let r = c
        .get(url.clone())
        .header(header::IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .expect("conditional");
    assert_eq!(r.status(), StatusCode::OK);

    let r = c
        .get(url.clone())
        .header(header::IF_MODIFIED_SINCE, &lm)
        .send()
        .await
        .expect("conditional");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = c
        .get(url.clone())
        .header(header::IF_MODIFIED_SINCE, "Sat, 01 Jan 2022 00:00:00 GMT")
        .send()
        .await
        .expect("conditional");
    assert_eq!(r.status(), StatusCode::OK);

    let log = portal.requests();
    let conditional: Vec<_> = log
        .iter()
        .filter(|r| r.path == "/zwgk/xxgknb/index.html")
        .collect();
    assert_eq!(conditional.len(), 5);
    assert_eq!(conditional[1].if_none_match.as_deref(), Some(etag.as_str()));
    assert_eq!(conditional[1].status, 304);
    assert_eq!(
        conditional[3].if_modified_since.as_deref(),
        Some(lm.as_str())
    );
    assert_eq!(
        conditional[0].user_agent.as_deref(),
        Some("nianbao-test/0.1")
    );
    portal.shutdown().await;
}

#[tokio::test]
async fn fault_pages_behave_and_are_logged() {
    let portal = Portal::start().await.expect("portal");
    portal.set_slow_delay(Duration::from_millis(600));
    let c = client();
    let flaky = portal.base_url("flaky");
    let at = |p: &str| flaky.join(p).expect("url");

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get(&c, &at("/fail-twice.html")).await.0.as_u16());
    }
    assert_eq!(statuses, vec![500, 500, 200]);

    let (status, headers, _) = get(&c, &at("/rate-limited.html")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(get(&c, &at("/rate-limited.html")).await.0, StatusCode::OK);

    let (status, headers, _) = get(&c, &at("/moved.html")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/reports/2020.html")
    );
    let text = page_text(&c, &at("/reports/2020.html")).await;
    assert!(text.contains("2020年政府信息公开工作年度报告"));

    let r = c.get(at("/huge.html")).send().await.expect("huge");
    assert!(r.content_length().is_none(), "streamed without a length");
    let body = r.bytes().await.expect("huge body");
    assert_eq!(body.len(), nianbao_portal::HUGE_BODY_BYTES);

    let broken = page_text(&c, &at("/broken.html")).await;
    assert!(broken.contains("</table></div>"));
    assert!(broken.contains("<meta name=\"PubDate\" content=\"2024-01-22 09:30\">"));

    install_crypto();
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = impatient
        .get(at("/slow.html"))
        .send()
        .await
        .expect_err("slow page must time out");
    assert!(err.is_timeout());
    let patient = page_text(&c, &at("/slow.html")).await;
    assert!(patient.contains("2019年政府信息公开工作年度报告"));

    let log: Vec<(String, u16)> = portal
        .requests()
        .into_iter()
        .filter(|r| r.host == "flaky")
        .map(|r| (r.path, r.status))
        .collect();
    let expect: Vec<(String, u16)> = [
        ("/fail-twice.html", 500),
        ("/fail-twice.html", 500),
        ("/fail-twice.html", 200),
        ("/rate-limited.html", 429),
        ("/rate-limited.html", 200),
        ("/moved.html", 302),
        ("/reports/2020.html", 200),
        ("/huge.html", 200),
        ("/broken.html", 200),
        ("/slow.html", 200),
        ("/slow.html", 200),
    ]
    .into_iter()
    .map(|(p, s)| (p.to_string(), s))
    .collect();
    assert_eq!(log, expect);
    portal.shutdown().await;
}

/// Follows Pagination links from a column's first page; returns the report
/// and attachment URLs found on all of its pages, and the pages visited.
async fn crawl_column(c: &reqwest::Client, start: Url) -> (BTreeSet<String>, Vec<String>) {
    let patterns = ReportPatterns::default();
    let mut queue = VecDeque::from([start.clone()]);
    let mut seen = HashSet::from([start.to_string()]);
    let mut visited = Vec::new();
    let mut reports = BTreeSet::new();
    while let Some(url) = queue.pop_front() {
        visited.push(url.path().to_string());
        let html = page_text(c, &url).await;
        for link in discover(&url, &html, &patterns) {
            match link.kind {
                // A year-less report-like text is a column link (政府信息公开年报), not a report.
                LinkKind::Report | LinkKind::Attachment if report_year(&link.text).is_some() => {
                    reports.insert(link.url.to_string());
                }
                LinkKind::Pagination
                    if link.url.origin() == url.origin() && seen.insert(link.url.to_string()) =>
                {
                    queue.push_back(link.url);
                }
                _ => {}
            }
        }
        assert!(visited.len() < 20, "pagination must be finite");
    }
    (reports, visited)
}

#[tokio::test]
async fn discovery_finds_exactly_the_expected_reports() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let expected = portal.expected_reports();

    for (host, column, pages) in [
        ("city", "/zwgk/xxgknb/index.html", 3),
        ("county", "/xxgk/nb/index.html", 3),
        ("bureau", "/xxgk/xxgknb/index.html", 1),
        ("bureau", "/xgcgb/ndbg/index.html", 1),
    ] {
        let base = portal.base_url(host);
        let start = base.join(column).expect("column");
        let (found, visited) = crawl_column(&c, start.clone()).await;
        assert_eq!(visited.len(), pages, "{host}{column}: {visited:?}");
        let col_dir = &column[..column.rfind('/').map_or(0, |i| i + 1)];
        let want: BTreeSet<String> = expected
            .iter()
            .filter(|e| e.url.port() == base.port() && e.url.path().starts_with(col_dir))
            .map(|e| e.url.to_string())
            .collect();
        assert!(!want.is_empty(), "{host}{column}");
        assert_eq!(found, want, "{host}{column}");
    }

    // The late report (after 31 January of the following year) is marked as such.
    assert!(expected.iter().any(|e| {
        e.publish_date
            .is_some_and(|d| d > chrono::NaiveDate::from_ymd_opt(e.year + 1, 1, 31).expect("date"))
    }));
    portal.shutdown().await;
}

#[tokio::test]
async fn bureau_report_page_links_its_attachment() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let page = portal
        .base_url("bureau")
        .join("/xxgk/xxgknb/202401/t20240112_7001.html")
        .expect("url");
    let html = page_text(&c, &page).await;
    assert!(html.contains("<meta name=\"PubDate\" content=\"2024-01-12 09:30\">"));
    assert!(html.contains("<li>发布时间：2024年01月12日</li>"));
    let links = discover(&page, &html, &ReportPatterns::default());
    let att: Vec<_> = links
        .iter()
        .filter(|l| l.kind == LinkKind::Attachment)
        .collect();
    assert_eq!(att.len(), 1, "{links:#?}");
    assert_eq!(report_year(&att[0].text), Some(2023));
    let (status, headers, body) = get(&c, &att[0].url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    assert!(body.starts_with(b"PK"), "a zip container");

    let pdf = portal
        .base_url("bureau")
        .join("/xgcgb/ndbg/P020230130_西工区城市改造办公室2022年度政府信息公开工作年度报告.pdf")
        .expect("url");
    let (status, headers, body) = get(&c, &pdf).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert!(body.starts_with(b"%PDF-"));
    portal.shutdown().await;
}

#[tokio::test]
async fn report_page_carries_metadata_and_template_tables() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let url = portal
        .base_url("city")
        .join("/zwgk/xxgknb/202301/t20230119_1234.html")
        .expect("url");
    let html = page_text(&c, &url).await;
    for needle in [
        "<meta name=\"ArticleTitle\" content=\"沈阳市辽中区人民政府办公室2022年度政府信息公开工作年度报告\">",
        "<meta name=\"PubDate\" content=\"2023-01-19 09:30\">",
        "<meta name=\"ContentSource\" content=\"区政府办\">",
        "发布时间：2023年01月19日",
        "当前位置：<a href=\"/\">首页</a> &gt; <a href=\"/zwgk/index.html\">政务公开</a> &gt; <a href=\"/zwgk/xxgknb/index.html\">政府信息公开年报</a>",
        "rowspan=\"22\"><p style=\"text-align:center\">三、本年度办理结果",
        "rowspan=\"8\"><p style=\"text-align:center\">（三）不予公开",
        "colspan=\"7\"><p style=\"text-align:center\">申请人情况",
        "<td><p style=\"text-align:center\">17</p></td>",
        "主办单位：沈阳市辽中区人民政府办公室",
        "ICP备",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // The 2021 report leaves the organisation columns blank: &nbsp; cells.
    let y2021 = portal
        .base_url("city")
        .join("/zwgk/xxgknb/202201/t20220121_888.html")
        .expect("url");
    let html = page_text(&c, &y2021).await;
    assert!(html.contains("<td><p style=\"text-align:center\">3</p></td><td><p style=\"text-align:center\">&nbsp;</p></td>"));
    let county_page = portal
        .base_url("county")
        .join("/xxgk/nb/202301/t20230130_5566.html")
        .expect("url");
    let county = page_text(&c, &county_page).await;
    assert!(county.contains("发布日期：2023-01-30"));
    assert!(county.contains("<td colspan=\"3\"><p style=\"text-align:center\">104.133</p></td>"));
    portal.shutdown().await;
}

#[tokio::test]
async fn robots_seeds_and_cross_host_links() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let robots = page_text(
        &c,
        &portal.base_url("city").join("/robots.txt").expect("url"),
    )
    .await;
    assert!(robots.contains("Disallow: /private/"));

    let seeds = portal.seeds_csv();
    let lines: Vec<&str> = seeds.lines().collect();
    assert_eq!(lines[0], "agency,region,level,url,aliases");
    assert_eq!(lines.len(), 8);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("肖寨门镇人民政府,") && l.contains(",,肖寨门镇"))
    );
    assert!(lines.iter().any(|l| l.ends_with("卫滨区人民政府;卫滨区")));
    assert!(lines.iter().any(|l| l.starts_with(",,,http://127.0.0.1:")));
    let closed = format!("http://127.0.0.1:{}/", portal.closed_port());
    assert!(seeds.contains(&closed));
    assert!(c.get(&closed).send().await.is_err(), "closed port refuses");

    let home = page_text(&c, &portal.base_url("city")).await;
    assert!(home.contains(&format!("href=\"{}\"", portal.base_url("county"))));
    assert!(!home.contains("{{"));
    portal.shutdown().await;
}

#[tokio::test]
async fn synthetic_portal_is_a_finite_chain() {
    let portal = Portal::synthetic(2, 4).await.expect("portal");
    assert_eq!(portal.host_names(), vec!["h0", "h1"]);
    let c = client();
    let start = portal.base_url("h1").join("/list/index.html").expect("url");
    let (found, visited) = crawl_column(&c, start).await;
    assert_eq!(visited.len(), 4);
    let want: BTreeSet<String> = portal
        .expected_reports()
        .into_iter()
        .filter(|e| e.url.port() == portal.base_url("h1").port())
        .map(|e| e.url.to_string())
        .collect();
    assert_eq!(found, want);
    assert_eq!(portal.seeds_csv().lines().count(), 3);
    portal.shutdown().await;
}

/// Widths of each row of a table once rowspans are laid out on a grid.
fn grid_widths(table: scraper::ElementRef<'_>) -> Vec<usize> {
    let tr = scraper::Selector::parse("tr").expect("selector");
    let td = scraper::Selector::parse("td, th").expect("selector");
    let mut taken: HashSet<(usize, usize)> = HashSet::new();
    let mut widths = Vec::new();
    for (r, row) in table.select(&tr).enumerate() {
        let mut c = 0;
        for cell in row.select(&td) {
            while taken.contains(&(r, c)) {
                c += 1;
            }
            let span = |name: &str| {
                cell.value()
                    .attr(name)
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(1)
            };
            for i in 0..span("rowspan") {
                for j in 0..span("colspan") {
                    taken.insert((r + i, c + j));
                }
            }
            c += span("colspan");
        }
        widths.push(taken.iter().filter(|(row, _)| *row == r).count());
    }
    widths
}

#[tokio::test]
async fn report_tables_form_rectangular_grids() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let table = scraper::Selector::parse("table.nb-table").expect("selector");
    let mut checked = 0;
    for e in portal.expected_reports() {
        let path = e.url.path();
        if !path.ends_with(".html")
            || path.contains("/xxgk/xxgknb/")
            || ["/broken.html", "/fail-twice.html", "/rate-limited.html"].contains(&path)
        {
            continue; // attachments, attachment-only pages, fault pages
        }
        let html = page_text(&c, &e.url).await;
        let doc = scraper::Html::parse_document(&html);
        let widths: Vec<BTreeSet<usize>> = doc
            .select(&table)
            .map(|t| grid_widths(t).into_iter().collect())
            .collect();
        let want: Vec<BTreeSet<usize>> = [4, 10, 15].map(|w| BTreeSet::from([w])).to_vec();
        assert_eq!(widths, want, "{}", e.url);
        checked += 1;
    }
    assert_eq!(checked, 9);
    portal.shutdown().await;
}

#[tokio::test]
async fn calendar_trap_is_endless_and_guarded() {
    let portal = Portal::start().await.expect("portal");
    let c = client();
    let home = portal.base_url("city");
    let html = page_text(&c, &home).await;
    let links = discover(&home, &html, &ReportPatterns::default());
    let mut guard = nianbao::crawl::discover::TrapGuard::default();
    let calendar: Vec<_> = links
        .iter()
        .filter(|l| l.url.path() == "/hdjl/rcap.html")
        .collect();
    assert!(calendar.len() >= 7);
    for l in &calendar {
        assert_eq!(
            guard.check(&l.url),
            Err(nianbao::crawl::discover::SkipReason::CalendarLike)
        );
        assert_eq!(l.kind, LinkKind::Other);
    }
    // Every day page links to further days: without the guard there is no end.
    let day = page_text(&c, &calendar[0].url).await;
    assert!(day.contains("rcap.html?date="));
    portal.shutdown().await;
}
