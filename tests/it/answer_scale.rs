//! Timing of the answers on a larger archive (ignored: run by hand with
//! `cargo test --test answer_scale -- --ignored --nocapture`).

use crate::answer_support::*;
use nianbao::export::{self, OutputFormat, WarcOptions};
use nianbao::seeds;
use std::path::Path;
use std::time::Instant;

#[test]
#[ignore]
fn answers_on_three_thousand_agencies() {
    let n = 3000;
    let mut text = String::from("agency,region,level,url,aliases\n");
    for i in 0..n {
        text.push_str(&format!(
            "测试机关{i:04},省{}市,部门,http://127.0.0.1:9/a{i}/,\n",
            i % 20
        ));
    }
    let rows = seeds::parse(text.as_bytes(), Path::new("s.csv")).unwrap();
    let mut a = build();
    a.store.sync_seeds(&rows, &seeds::agencies(&rows)).unwrap();
    let ids: Vec<(String, i64)> = a
        .store
        .agencies()
        .unwrap()
        .into_iter()
        .map(|s| (s.agency.name, s.id))
        .collect();
    for (name, id) in &ids {
        let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
        a.agency.insert(leaked, *id);
    }
    let run = a
        .store
        .begin_run(nianbao::store::RunKind::Crawl, "scale")
        .unwrap();
    let t = Instant::now();
    let res = result(2, "complete", serde_json::json!([]));
    for (i, (name, _)) in ids.iter().enumerate().filter(|(i, _)| i % 10 != 0) {
        let name: &'static str = Box::leak(name.clone().into_boxed_str());
        for year in [2022, 2023] {
            let url: &'static str =
                Box::leak(format!("http://127.0.0.1:9/a{i}/{year}.html").into_boxed_str());
            let snap: &'static str = Box::leak(format!("s{i}_{year}").into_boxed_str());
            a.commit(
                run,
                Page {
                    year: Some(year),
                    agency: Some(name),
                    publish_date: Some(if i % 7 == 0 {
                        "2024-02-15"
                    } else {
                        "2024-01-15"
                    }),
                    body: format!("<html>{}{}</html>", "报告正文".repeat(2000), snap).into_bytes(),
                    ..Page::new(snap, url, "report")
                },
            );
            a.extract(snap, "v1", &res);
        }
    }
    eprintln!(
        "built {} report snapshots in {:?}",
        a.snap.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let m = export::missing(&a.store, 2022, None).unwrap();
    eprintln!("missing: {} agencies in {:?}", m.len(), t.elapsed());
    let t = Instant::now();
    let l = export::late(&a.store, 2023).unwrap();
    eprintln!(
        "late: {} late, {} undated in {:?}",
        l.late.len(),
        l.undated.len(),
        t.elapsed()
    );
    for (format, long) in [
        (OutputFormat::Jsonl, false),
        (OutputFormat::Csv, false),
        (OutputFormat::Csv, true),
        (OutputFormat::Xlsx, false),
    ] {
        let t = Instant::now();
        let mut out = Vec::new();
        let s = export::export(&a.store, Some(2022), format, long, &mut out).unwrap();
        eprintln!(
            "export {format} long={long}: {} reports, {} rows, {} bytes in {:?}",
            s.reports,
            s.rows,
            out.len(),
            t.elapsed()
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let w = export::write_warc(&a.store, dir.path(), &WarcOptions::default()).unwrap();
    eprintln!(
        "warc: {} responses, {} revisits, {} bytes in {:?}",
        w.responses,
        w.revisits,
        w.bytes,
        t.elapsed()
    );
}
