//! The weekly answers on a crawled portal whose right answers are known:
//! missing (with reasons), late, discovered, and the export, through the CLI.

use crate::common::{test_config, write_seeds};
use nianbao_portal::Portal;
use serde_json::Value;
use std::collections::BTreeMap;

fn nianbao(args: &[&str]) -> String {
    crate::common::run_ok(std::path::Path::new("."), args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_late_discovered_and_export_on_the_sample_portal() {
    let portal = Portal::start().await.unwrap();
    portal.set_slow_delay(std::time::Duration::from_millis(2100));
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 50.0, 2, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let cfg = config.to_str().unwrap().to_string();
    let crawl_out = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || nianbao(&["--config", &cfg, "crawl"])
    })
    .await
    .unwrap();
    assert!(crawl_out.contains("crawl run #1"), "{crawl_out}");
    portal.shutdown().await;

    let missing = |year: &str| -> BTreeMap<String, String> {
        let out = nianbao(&[
            "--config", &cfg, "missing", "--year", year, "--format", "json",
        ]);
        let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
        rows.iter()
            .map(|r| {
                (
                    r["agency"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // 2022: everyone published but the agency whose site is down; 肖寨门镇 has no URL
    // of its own but its report is on the district portal.
    assert_eq!(
        missing("2022"),
        BTreeMap::from([(
            "沈阳市辽中区发展和改革局".to_string(),
            "entry_unreachable".to_string()
        )])
    );
    assert_eq!(
        missing("2023"),
        BTreeMap::from([
            (
                "新乡市卫滨区人民政府".to_string(),
                "no_report_found".to_string()
            ),
            (
                "沈阳市辽中区发展和改革局".to_string(),
                "entry_unreachable".to_string()
            ),
            (
                "洛阳市西工区城市改造办公室".to_string(),
                "no_report_found".to_string()
            ),
            ("肖寨门镇人民政府".to_string(), "no_entry_url".to_string()),
        ])
    );
    let regional = nianbao(&[
        "--config",
        &cfg,
        "missing",
        "--year",
        "2023",
        "--region",
        "河南省",
        "--format",
        "json",
    ]);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&regional).unwrap().len(),
        2
    );

    // Late: 肖寨门镇's 2022 report went up on 15 February 2023.
    let late: Vec<Value> = serde_json::from_str(&nianbao(&[
        "--config", &cfg, "late", "--year", "2022", "--format", "json",
    ]))
    .unwrap();
    let late_rows: Vec<&Value> = late.iter().filter(|r| r["status"] == "late").collect();
    assert_eq!(late_rows.len(), 1, "{late:?}");
    assert_eq!(late_rows[0]["agency"], "肖寨门镇人民政府");
    assert_eq!(late_rows[0]["days_late"], 15);
    // The file linked straight from a listing is dated by the date the listing
    // prints beside the link (2023-01-30: on time), so nothing is undated.
    let undated: Vec<&Value> = late.iter().filter(|r| r["status"] == "undated").collect();
    assert!(undated.is_empty(), "{late:?}");
    let text = nianbao(&["--config", &cfg, "late", "--year", "2022"]);
    assert!(
        text.contains("肖寨门镇人民政府 published 2023-02-15 (15 days late)"),
        "{text}"
    );

    // Discovered: agencies in report titles that the seeds do not name.
    let discovered: Vec<Value> = serde_json::from_str(&nianbao(&[
        "--config",
        &cfg,
        "discovered",
        "--format",
        "json",
    ]))
    .unwrap();
    let names: Vec<&str> = discovered
        .iter()
        .map(|d| d["agency_name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("辽中区教育局")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("茨榆坨街道办事处")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("卫滨区")),
        "seed agencies are not discovered: {names:?}"
    );

    // Export: the 卫滨区 2022 report as the fixture says, with provenance.
    let out = dir.path().join("2022.jsonl");
    nianbao(&[
        "--config",
        &cfg,
        "export",
        "--year",
        "2022",
        "--format",
        "jsonl",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    let weibin: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["agency"] == "新乡市卫滨区人民政府")
        .expect("卫滨区 2022 exported");
    let expected: Value = serde_json::from_str(include_str!(
        "../fixtures/reports/expected/002_d64735f63f421535.json"
    ))
    .unwrap();
    for key in ["active_disclosure", "applications", "review_litigation"] {
        assert_eq!(weibin[key], expected[key], "{key}");
    }
    assert_eq!(weibin["checks"]["balance"], expected["checks"]["balance"]);
    for key in [
        "url",
        "snapshot_id",
        "fetched_at",
        "extractor_version",
        "region",
        "warnings",
    ] {
        assert!(!weibin[key].is_null(), "provenance {key} missing: {weibin}");
    }
    assert_eq!(weibin["publish_date"], "2023-01-30");
}
