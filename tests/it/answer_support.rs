//! A small archive built through the real `Store` API, shared by the answer tests:
//! seed agencies in every situation the missing/late/discovered lists tell apart.

use nianbao::extract::Status;
use nianbao::formats::Format;
use nianbao::page::facts::PageKind;
use nianbao::seeds;
use nianbao::store::{
    ExtractionRow, FetchRecord, FrontierState, NewSnapshot, PageCommit, PageMetaRow, PreparedBody,
    RunKind, Store,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const SEEDS: &str = "agency,region,level,url,aliases
沈阳市辽中区人民政府办公室,辽宁省沈阳市辽中区,区县,http://127.0.0.1:9/lz/,辽中区政府办
西工区城市改造办公室,河南省洛阳市西工区,部门,http://127.0.0.1:9/xg/,
卫滨区人民政府,河南省新乡市卫滨区,区县,http://127.0.0.1:9/wb/,卫滨区
肖寨门镇人民政府,辽宁省沈阳市辽中区,乡镇,,肖寨门镇
辽宁省机关事务管理局,辽宁省,省直,http://127.0.0.1:9/jg/,
茨榆坨街道办事处,辽宁省沈阳市辽中区,乡镇,,
新乡市某某局,河南省新乡市,部门,http://127.0.0.1:9/mm/,
新乡市统计局,河南省新乡市,部门,http://127.0.0.1:9/tj/,
新乡市未爬局,河南省新乡市,部门,http://127.0.0.1:9/nc/,
,辽宁省沈阳市辽中区,,http://127.0.0.1:9/portal/,
";

pub const FIXTURES: [&str; 5] = [
    "000_df23897d6af63ae1",
    "001_73a337edb7ff8878",
    "002_d64735f63f421535",
    "003_6f311c5d1f505ec3",
    "004_7685afd25ee59783",
];

/// The hand-checked expected extraction of fixture `i`.
pub fn expected(i: usize) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports/expected")
        .join(format!("{}.json", FIXTURES[i]));
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture JSON")
}

/// An extraction result as the extractor stores it: the expected JSON plus
/// `status`, `warnings` and `checks.rules`.
pub fn result(i: usize, status: &str, rules: Value) -> Value {
    let mut v = expected(i);
    v["status"] = json!(status);
    v["warnings"] = json!([]);
    v["checks"]["rules"] = rules;
    v
}

pub struct Archive {
    pub _dir: tempfile::TempDir,
    pub db: PathBuf,
    pub store: Store,
    pub agency: HashMap<&'static str, i64>,
    /// Named snapshots: name → id.
    pub snap: HashMap<&'static str, i64>,
    /// Bodies by snapshot name.
    pub body: HashMap<&'static str, Vec<u8>>,
}

pub struct Page<'a> {
    pub name: &'static str,
    pub url: &'a str,
    pub body: Vec<u8>,
    pub kind: &'a str,
    pub format: &'a str,
    pub year: Option<i32>,
    pub agency: Option<&'a str>,
    pub agency_name: Option<&'a str>,
    pub publish_date: Option<&'a str>,
    pub parent: Option<&'static str>,
    pub headers: Vec<(&'a str, &'a str)>,
    pub fetched_at: &'a str,
    pub truncated: bool,
}

/// The stored kind a fixture names.
fn page_kind(kind: &str) -> PageKind {
    match kind {
        "report" => PageKind::Report,
        "listing" => PageKind::Listing,
        "attachment" => PageKind::Attachment,
        "other" => PageKind::Other,
        other => panic!("no page kind {other:?}"),
    }
}

impl<'a> Page<'a> {
    pub fn new(name: &'static str, url: &'a str, kind: &'a str) -> Page<'a> {
        Page {
            name,
            url,
            body: format!("<html><body>{name} {url}</body></html>").into_bytes(),
            kind,
            format: "html",
            year: None,
            agency: None,
            agency_name: None,
            publish_date: None,
            parent: None,
            headers: vec![("Content-Type", "text/html; charset=utf-8")],
            fetched_at: "2024-03-04T05:06:07.089Z",
            truncated: false,
        }
    }
}

impl Archive {
    pub fn commit(&mut self, run: i64, p: Page<'_>) -> i64 {
        let agency_id = p.agency.map(|a| self.agency[a]);
        let parent = p.parent.map(|n| self.snap[n]);
        let out = self
            .store
            .commit_page(&PageCommit {
                run_id: run,
                frontier_id: 0,
                fetch: FetchRecord {
                    url: p.url.into(),
                    host: "127.0.0.1".into(),
                    attempt: 1,
                    status: Some(200),
                    bytes: p.body.len() as i64,
                    ..Default::default()
                },
                snapshot: Some((
                    NewSnapshot {
                        url: p.url.into(),
                        final_url: p.url.into(),
                        fetched_at: p.fetched_at.into(),
                        status: 200,
                        http_version: "HTTP/1.1".into(),
                        headers: p
                            .headers
                            .iter()
                            .map(|(a, b)| (a.to_string(), b.to_string()))
                            .collect(),
                        content_type: Some("text/html".into()),
                        charset: Some("UTF-8".into()),
                        charset_source: Some("header".into()),
                        truncated: p.truncated,
                        etag: None,
                        last_modified: None,
                        seed_id: None,
                        parent_url: None,
                        form: None,
                    },
                    PreparedBody::new(&p.body).expect("zstd"),
                    PageMetaRow {
                        kind: page_kind(p.kind),
                        format: Format::ALL
                            .into_iter()
                            .find(|f| f.as_str() == p.format)
                            .expect("a known format"),
                        title: None,
                        publish_date: p.publish_date.map(|d| d.parse().expect("YYYY-MM-DD")),
                        source: Some("办公室".into()),
                        editor: None,
                        column_name: None,
                        site_name: None,
                        report_year: p.year,
                        agency_name: p.agency_name.or(p.agency).map(String::from),
                        agency_id,
                        parent_snapshot_id: parent,
                        decoy: None,
                    },
                )),
                existing_snapshot_id: None,
                links: vec![],
                state: FrontierState::Done,
                reason: None,
                not_modified: false,
                is_report: false,
                notes: Vec::new(),
                seed_hosts: Vec::new(),
            })
            .expect("commit_page");
        let id = out.snapshot_id.expect("snapshot id");
        self.snap.insert(p.name, id);
        self.body.insert(p.name, p.body);
        id
    }

    pub fn extract(&mut self, snap: &str, version: &str, result: &Value) {
        let status: Status =
            serde_json::from_value(result.get("status").cloned().unwrap_or(json!("complete")))
                .expect("a known status");
        let batch = self.store.extraction_batch().expect("batch");
        batch
            .save(&ExtractionRow {
                snapshot_id: self.snap[snap],
                extractor_version: version.into(),
                status,
                agency: result["agency"].as_str().map(String::from),
                year: result["year"].as_i64().map(|y| y as i32),
                template: result["template"].as_str().map(String::from),
                checks_failed: 0,
                warnings: 0,
                result_json: result.to_string(),
            })
            .expect("save");
        batch.commit().expect("commit");
    }

    pub fn fetch(&self, run: i64, url: &str, status: Option<u16>, error: Option<&str>) {
        self.store
            .record_fetch(
                run,
                &FetchRecord {
                    url: url.into(),
                    host: "127.0.0.1".into(),
                    attempt: 1,
                    status,
                    error_kind: error.map(|_| "connect".to_string()),
                    error: error.map(String::from),
                    ..Default::default()
                },
            )
            .expect("record_fetch");
    }
}

pub const LZ: &str = "沈阳市辽中区人民政府办公室";
pub const XG: &str = "西工区城市改造办公室";
pub const WB: &str = "卫滨区人民政府";
pub const XZM: &str = "肖寨门镇人民政府";
pub const JG: &str = "辽宁省机关事务管理局";
pub const CYT: &str = "茨榆坨街道办事处";
pub const MM: &str = "新乡市某某局";
pub const TJ: &str = "新乡市统计局";
pub const NC: &str = "新乡市未爬局";
pub const DISCOVERED: &str = "辽中区某某乡人民政府";

pub fn failing_rule() -> Value {
    json!([
        {"rule": "balance", "scope": "total", "ok": true, "detail": null},
        {"rule": "review_total", "scope": "review", "ok": false, "detail": "1+0+0+0 != 2"}
    ])
}

/// The archive the answer tests read:
///
/// | agency | 2022 situation |
/// |---|---|
/// | 辽中区政府办 (000) | report on its site, on time, complete; a discovered agency's reports on its portal |
/// | 西工区 (001) | report published 2023-03-02: 30 days late; one rule check fails |
/// | 卫滨区 (002) | undated; three snapshots: partial, complete (v1 over v0), and a newer unextracted copy |
/// | 肖寨门镇 (003) | no seed URL; its report sits on 辽中区's portal |
/// | 机关事务管理局 (004) | 2023 report only; its seed URL failed on the last fetch |
/// | 茨榆坨街道 | no URL, nothing found |
/// | 某某局 | crawled, no report |
/// | 统计局 | report page linking to an unsupported file, page dated 2023-02-01 (1 day late) |
/// | 未爬局 | never fetched |
pub fn build() -> Archive {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("archive/nianbao.db");
    let mut store = Store::open(&db).expect("open");
    let rows = seeds::parse(SEEDS.as_bytes(), Path::new("seeds/test.csv")).expect("seeds");
    let agencies = seeds::agencies(&rows);
    store.sync_seeds(&rows, &agencies).expect("sync");
    let agency: HashMap<&'static str, i64> = store
        .agencies()
        .expect("agencies")
        .into_iter()
        .map(|a| {
            let name: &'static str = Box::leak(a.agency.name.into_boxed_str());
            (name, a.id)
        })
        .collect();
    let mut a = Archive {
        _dir: dir,
        db,
        store,
        agency,
        snap: HashMap::new(),
        body: HashMap::new(),
    };
    let old_run = a
        .store
        .begin_run(RunKind::Crawl, "test crawl 1")
        .expect("run");
    // 机关事务管理局's entry worked once, then failed on the last crawl.
    a.fetch(old_run, "http://127.0.0.1:9/jg/", Some(200), None);
    let run = a
        .store
        .begin_run(RunKind::Crawl, "test crawl 2")
        .expect("run");
    a.fetch(
        run,
        "http://127.0.0.1:9/jg/",
        None,
        Some("connection refused"),
    );

    a.commit(
        run,
        Page::new("lz_index", "http://127.0.0.1:9/lz/", "listing"),
    );
    a.commit(
        run,
        Page::new("mm_index", "http://127.0.0.1:9/mm/", "listing"),
    );
    a.commit(
        run,
        Page::new("tj_index", "http://127.0.0.1:9/tj/", "listing"),
    );
    // Cut at the crawler's size limit.
    a.commit(
        run,
        Page {
            truncated: true,
            ..Page::new("xg_index", "http://127.0.0.1:9/xg/", "listing")
        },
    );
    a.commit(
        run,
        Page::new("wb_index", "http://127.0.0.1:9/wb/", "listing"),
    );

    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(LZ),
            publish_date: Some("2023-01-20"),
            // Sent gzip-encoded; the archive keeps it decoded, so WARC must drop the encoding.
            headers: vec![
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", "17"),
            ],
            ..Page::new("lz_2022", "http://127.0.0.1:9/lz/2022.html", "report")
        },
    );
    a.extract("lz_2022", "v1", &result(0, "complete", json!([])));

    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(XG),
            publish_date: Some("2023-03-02"),
            ..Page::new("xg_2022", "http://127.0.0.1:9/xg/2022.html", "report")
        },
    );
    a.extract("xg_2022", "v1", &result(1, "complete", failing_rule()));

    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(WB),
            body: b"<html>wb 2022 first copy</html>".to_vec(),
            ..Page::new("wb_2022_a", "http://127.0.0.1:9/wb/2022.html", "report")
        },
    );
    a.extract("wb_2022_a", "v1", &result(2, "partial", json!([])));
    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(WB),
            body: b"<html>wb 2022 second copy</html>".to_vec(),
            ..Page::new("wb_2022_b", "http://127.0.0.1:9/wb/2022.html", "report")
        },
    );
    a.extract("wb_2022_b", "v0", &result(2, "partial", json!([])));
    a.extract("wb_2022_b", "v1", &result(2, "complete", json!([])));
    // The same body again, unextracted: a revisit in WARC, never the current report.
    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(WB),
            body: b"<html>wb 2022 second copy</html>".to_vec(),
            fetched_at: "2024-03-11T05:06:07Z",
            ..Page::new("wb_2022_c", "http://127.0.0.1:9/wb/2022.html", "report")
        },
    );

    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(XZM),
            agency_name: Some("肖寨门镇"),
            publish_date: Some("2023-01-10"),
            ..Page::new(
                "xzm_2022",
                "http://127.0.0.1:9/portal/xzm2022.html",
                "report",
            )
        },
    );
    a.extract("xzm_2022", "v1", &result(3, "complete", json!([])));

    a.commit(
        run,
        Page {
            year: Some(2023),
            agency: Some(JG),
            publish_date: Some("2024-01-12"),
            ..Page::new("jg_2023", "http://127.0.0.1:9/other/jg2023.html", "report")
        },
    );
    a.extract("jg_2023", "v1", &result(4, "complete", json!([])));

    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(TJ),
            publish_date: Some("2023-02-01"),
            ..Page::new("tj_2022", "http://127.0.0.1:9/tj/2022.html", "report")
        },
    );
    a.commit(
        run,
        Page {
            year: Some(2022),
            agency: Some(TJ),
            format: "ole",
            parent: Some("tj_2022"),
            body: b"\xd0\xcf\x11\xe0 not readable".to_vec(),
            headers: vec![("Content-Type", "application/octet-stream")],
            ..Page::new(
                "tj_2022_file",
                "http://127.0.0.1:9/tj/2022.wps",
                "attachment",
            )
        },
    );
    a.extract(
        "tj_2022_file",
        "v1",
        &json!({"status": "unsupported", "warnings": ["format wps"]}),
    );

    for (name, url, year, date) in [
        (
            "disc_2022",
            "http://127.0.0.1:9/portal/mm2022.html",
            2022,
            "2023-01-05",
        ),
        (
            "disc_2021",
            "http://127.0.0.1:9/portal/mm2021.html",
            2021,
            "2022-01-05",
        ),
    ] {
        a.commit(
            run,
            Page {
                year: Some(year),
                agency_name: Some(DISCOVERED),
                publish_date: Some(date),
                ..Page::new(name, url, "report")
            },
        );
    }
    a
}
