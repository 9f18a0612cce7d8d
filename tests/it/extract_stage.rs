//! The extraction stage through the CLI: `parse --json` reproduces the expected
//! files, `extract` re-runs over a crawled archive idempotently and offline,
//! `show` prints a report with its revisions.

use crate::common::{count, test_config, write_seeds};
use nianbao::store::Store;
use nianbao_portal::Portal;
use std::path::Path;
use std::process::Command;

fn nianbao(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FIXTURES: &[&str] = &[
    "000_df23897d6af63ae1",
    "001_73a337edb7ff8878",
    "002_d64735f63f421535",
    "003_6f311c5d1f505ec3",
    "004_7685afd25ee59783",
];

#[test]
fn parse_json_prints_the_expected_structure_for_every_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports");
    let files: Vec<String> = FIXTURES
        .iter()
        .map(|f| dir.join(format!("{f}.txt")).display().to_string())
        .collect();
    let mut args = vec!["parse", "--json"];
    args.extend(files.iter().map(String::as_str));
    let (ok, stdout, stderr) = nianbao(&args);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        FIXTURES.len(),
        "one JSON object per file per line"
    );
    for (name, line) in FIXTURES.iter().zip(lines) {
        let got: serde_json::Value = serde_json::from_str(line).unwrap();
        let want: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("expected/{name}.json"))).unwrap(),
        )
        .unwrap();
        for key in want.as_object().unwrap().keys() {
            if key == "checks" {
                assert_eq!(
                    got["checks"]["balance"], want["checks"]["balance"],
                    "{name}: checks.balance"
                );
                continue;
            }
            assert_eq!(got[key], want[key], "{name}: {key}");
        }
        assert!(
            got["checks"]["rules"].is_array() && got["warnings"].is_array(),
            "{name}"
        );
    }
}

#[test]
fn parse_reports_unreadable_files_and_exits_non_zero() {
    let (ok, _, stderr) = nianbao(&["parse", "/nonexistent/report.html"]);
    assert!(!ok);
    assert!(stderr.contains("/nonexistent/report.html"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_reruns_offline_idempotently_and_show_prints_revisions() {
    let portal = Portal::start().await.unwrap();
    portal.set_slow_delay(std::time::Duration::from_millis(2100));
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), 50.0, 2, "");
    write_seeds(dir.path(), &portal.seeds_csv());
    let cfg = config.to_str().unwrap().to_string();
    let (ok, stdout, stderr) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || nianbao(&["--config", &cfg, "crawl", "--agency", "卫滨区"])
    })
    .await
    .unwrap();
    assert!(ok, "{stdout}{stderr}");
    // The portal is gone from here on: extraction must not need the network.
    portal.shutdown().await;
    let db = dir.path().join("archive.db");
    let reports = {
        let store = Store::open(&db).unwrap();
        count(
            &store,
            "SELECT COUNT(*) FROM page_meta WHERE kind IN ('report', 'attachment')",
        )
    };
    assert!(reports >= 3, "the county's reports were archived");

    let (ok, stdout, stderr) = nianbao(&["--config", &cfg, "extract"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("extracted 0 reports"),
        "the crawl already extracted them: {stdout}"
    );
    let (ok, stdout, _) = nianbao(&["--config", &cfg, "extract", "--force", "--year", "2022"]);
    assert!(ok);
    assert!(
        stdout.contains("extracted 1 reports: 1 complete") && stdout.contains("0 new or changed"),
        "{stdout}"
    );
    let (ok, stdout, _) = nianbao(&[
        "--config",
        &cfg,
        "extract",
        "--force",
        "--agency",
        "卫滨区",
        "--since",
        "2000-01-01",
    ]);
    assert!(ok);
    assert!(
        stdout.contains(&format!("extracted {reports} reports")),
        "{stdout}"
    );

    // A result of an older extractor version is kept beside the current one.
    let store = Store::open(&db).unwrap();
    let snapshot: i64 = store
        .conn()
        .query_row(
            "SELECT snapshot_id FROM extractions WHERE year = 2022 LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    store
        .conn()
        .execute(
            "UPDATE extractions SET extractor_version = '0.0.1-old' WHERE snapshot_id = ?1",
            [snapshot],
        )
        .unwrap();
    drop(store);
    let (ok, stdout, _) = nianbao(&["--config", &cfg, "extract"]);
    assert!(ok);
    assert!(
        stdout.contains("extracted 1 reports") && stdout.contains("1 new or changed"),
        "{stdout}"
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(
        count(
            &store,
            &format!("SELECT COUNT(*) FROM extractions WHERE snapshot_id = {snapshot}")
        ),
        2
    );
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT COUNT(*) FROM current_extractions WHERE snapshot_id = {snapshot} AND extractor_version = '{}'",
                nianbao::extract::EXTRACTOR_VERSION
            )
        ),
        1
    );
    let runs = count(
        &store,
        "SELECT COUNT(*) FROM runs WHERE kind = 'extract' AND status = 'completed'",
    );
    assert_eq!(runs, 4);
    drop(store);

    let (ok, stdout, stderr) = nianbao(&["--config", &cfg, "show", "卫滨区", "2022"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("新乡市卫滨区人民政府") || stdout.contains("卫滨区人民政府"),
        "{stdout}"
    );
    assert!(
        stdout.contains("10465") && stdout.contains("104.133"),
        "{stdout}"
    );
    assert!(stdout.contains("revisions (1)"), "{stdout}");
    let (ok, stdout, _) = nianbao(&["--config", &cfg, "show", "卫滨区", "2022", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["applications"]["new_received"][6], 12);
    let (ok, _, stderr) = nianbao(&["--config", &cfg, "show", "卫滨区", "1999"]);
    // The years it does have are named.
    assert!(
        !ok && stderr.contains("no archived 1999 report") && stderr.contains("2022"),
        "{stderr}"
    );
}
