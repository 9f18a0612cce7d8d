//! A bad config or seed file stops the run with a message naming the file,
//! line and key, a non-zero exit, and nothing written to the database.

use std::process::Command;

fn nianbao(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run nianbao")
}

#[test]
fn invalid_config_value_names_file_line_key_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[crawler]\nconcurrency = 4\nper_host_burst = 0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.csv"),
        "agency,region,level,url,aliases\nA,,,http://127.0.0.1:9/,\n",
    )
    .unwrap();
    let out = nianbao(
        dir.path(),
        &[
            "crawl", "--config", "bad.toml", "--seeds", "s.csv", "--db", "x.db",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("bad.toml:3: key `crawler.per_host_burst`: must be at least 1"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("x.db").exists(),
        "no database may be created"
    );
}

#[test]
fn toml_syntax_error_and_unknown_key_are_reported_with_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        "[crawler]\nretries = 3\nretires = 4\n",
    )
    .unwrap();
    let out = nianbao(
        dir.path(),
        &["status", "--config", "c.toml", "--db", "x.db"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("c.toml") && stderr.contains("line 3") && stderr.contains("retires"),
        "{stderr}"
    );
    assert!(!dir.path().join("x.db").exists());
}

#[test]
fn bad_seed_row_names_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("seeds")).unwrap();
    std::fs::write(
        dir.path().join("seeds/a.csv"),
        "\u{feff}agency,region,level,url,aliases\n甲局,,,http://127.0.0.1:9/,\n乙局,,,ftp://127.0.0.1/x,\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("c.toml"), "").unwrap();
    let out = nianbao(
        dir.path(),
        &[
            "crawl", "--config", "c.toml", "--seeds", "seeds", "--db", "x.db",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("a.csv:3: column `url`"), "{stderr}");
    assert!(!dir.path().join("x.db").exists());
}

#[test]
fn second_run_against_a_locked_archive_exits_at_once_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let _held =
        nianbao::store::lock::ArchiveLock::acquire(&db, "nianbao crawl (test holder)").unwrap();
    std::fs::write(
        dir.path().join("s.csv"),
        "agency,region,level,url,aliases\nA,,,http://127.0.0.1:9/,\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("c.toml"), "").unwrap();
    let t = std::time::Instant::now();
    let out = nianbao(
        dir.path(),
        &[
            "crawl", "--config", "c.toml", "--seeds", "s.csv", "--db", "x.db",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("nianbao crawl (test holder)"), "{stderr}");
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn a_missing_seed_file_is_named_and_its_cause_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = nianbao(
        dir.path(),
        &["crawl", "--seeds", "no-such-seeds.csv", "--db", "x.db"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(line.contains("no-such-seeds.csv"), "{line}");
    assert_eq!(line.matches("os error 2").count(), 1, "{line}");
    assert!(
        !dir.path().join("x.db").exists(),
        "no database may be created"
    );
}
