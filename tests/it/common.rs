//! Helpers shared by the integration tests: a config and seed file in a temp
//! folder pointing at the local portal, and database queries.

use nianbao::config::Config;
use nianbao::store::Store;
use std::path::{Path, PathBuf};

/// Held by the tests that measure per-host request gaps and by the heaviest
/// crawls, so the CPU load of one does not skew the server-side gaps of another
/// on a small machine.
pub static TIMING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A crawl configuration fast enough for tests but with every politeness rule on.
pub fn test_config(dir: &Path, rps: f64, burst: u32, extra: &str) -> PathBuf {
    let path = dir.join("crawler.toml");
    let text = format!(
        r#"
[crawler]
user_agent = "nianbao-test/1.0"
contact = "tests@example.org"
concurrency = 8
per_host_requests_per_second = {rps}
per_host_burst = {burst}
connect_timeout_secs = 2.0
request_timeout_secs = 2.0
max_body_bytes = 1048576
retries = 2
backoff_initial_ms = 50
backoff_max_ms = 200
max_retry_after_secs = 5
max_pages_per_host = 500
max_depth = 4
{extra}
[storage]
database = "archive.db"
seeds = ["seeds"]
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

pub fn write_seeds(dir: &Path, csv: &str) -> PathBuf {
    let seeds = dir.join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    std::fs::write(seeds.join("seeds.csv"), csv).unwrap();
    seeds
}

pub fn load_config(path: &Path) -> Config {
    Config::load(path).unwrap()
}

pub fn count(store: &Store, sql: &str) -> i64 {
    store
        .conn()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn strings(store: &Store, sql: &str) -> Vec<String> {
    let mut stmt = store.conn().prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Field-by-field differences between an expected and an extracted JSON value,
/// with paths, so a failure says exactly which cell is wrong.
pub fn diff_json(
    path: &str,
    want: &serde_json::Value,
    got: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                diff_json(
                    &format!("{path}.{k}"),
                    wv,
                    g.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{path}.{k}: unexpected key"));
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff_json(&format!("{path}[{i}]"), wv, gv, out);
            }
        }
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => {}
        _ if want == got => {}
        _ => out.push(format!("{path}: expected {want}, got {got}")),
    }
}

/// The extractor with the default report patterns (what `crawler.toml` ships).
pub fn extract(bytes: &[u8], content_type: Option<&str>) -> nianbao::extract::Extraction {
    nianbao::extract::extract(bytes, content_type, &Default::default())
}

/// [`extract`] on a text rendering.
pub fn extract_text(text: &str) -> nianbao::extract::Extraction {
    nianbao::extract::extract_text(text, &Default::default())
}

/// [`extract`] on a document.
pub fn extract_document(doc: &nianbao::document::Document) -> nianbao::extract::Extraction {
    nianbao::extract::extract_document(doc, &Default::default())
}

/// Runs the `nianbao` binary in `dir` and returns its standard output; fails
/// the test, showing both outputs, unless it exits 0.
pub fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
