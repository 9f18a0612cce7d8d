//! The README's first command: `nianbao demo` works offline and reports what it found.

#[test]
fn demo_serves_crawls_extracts_and_reports_the_sample_portal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let stdout = crate::common::run_ok(dir.path(), &["demo", "--db", db.to_str().unwrap()]);
    for agency in [
        "沈阳市辽中区人民政府办公室",
        "肖寨门镇人民政府",
        "新乡市卫滨区人民政府",
        "辽宁省机关事务管理局",
        "洛阳市西工区城市改造办公室",
    ] {
        assert!(stdout.contains(agency), "{agency} missing from:\n{stdout}");
    }
    assert!(stdout.contains("(not in seeds: discovered)"), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("新乡市卫滨区人民政府 2022"))
        .expect("卫滨区 2022 listed");
    assert!(
        line.contains("extraction complete") && line.contains("new applications 12"),
        "{line}"
    );
    // The archive it names is real and sound.
    let store = nianbao::store::Store::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let snapshots: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM snapshots", [], |r| r.get(0))
        .unwrap();
    assert!(snapshots >= 30, "{snapshots}");
    // A second demo into the same archive is refused rather than mixed in.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["demo", "--db", db.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
}
