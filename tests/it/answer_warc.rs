//! WARC 1.1 output validated by a real reader: `warcio check` and warcio's
//! ArchiveIterator, compared record by record with the archive.
//! Needs warcio in the project's virtual environment (the README's test
//! command makes it: `python3 -m venv .venv && .venv/bin/pip install -q warcio`),
//! or in the Python named by `NIANBAO_TEST_PYTHON`, or in `python3` on PATH.

use crate::answer_support::*;
use nianbao::export::{WarcOptions, write_warc};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The Python with warcio: `NIANBAO_TEST_PYTHON`, else the project's
/// `.venv` (Debian's system Python refuses `pip install`, PEP 668), else `python3`.
fn python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("NIANBAO_TEST_PYTHON") {
        return p.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python3");
    if venv.exists() {
        return venv;
    }
    "python3".into()
}

fn require_warcio() {
    let ok = Command::new(python())
        .args(["-c", "import warcio"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "these tests validate WARC output with warcio: run `python3 -m venv .venv && .venv/bin/pip install -q warcio` (the README's test command)"
    );
}

/// `warcio check -v`: every digest must be verified and pass.
fn warcio_check(file: &Path) -> String {
    let out = Command::new(python())
        .args(["-m", "warcio.cli", "check", "-v"])
        .arg(file)
        .output()
        .expect("run python -m warcio.cli");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "warcio check failed on {}:\n{text}",
        file.display()
    );
    text
}

const READER: &str = r#"
import sys, json, hashlib, zlib
from warcio.archiveiterator import ArchiveIterator
path = sys.argv[1]
data = open(path, 'rb').read()
members = 0
while data:
    d = zlib.decompressobj(31)
    d.decompress(data)
    data = d.unused_data
    members += 1
records = []
with open(path, 'rb') as f:
    for rec in ArchiveIterator(f):
        h = rec.rec_headers
        r = {'type': rec.rec_type, 'uri': h.get_header('WARC-Target-URI'),
             'id': h.get_header('WARC-Record-ID'), 'date': h.get_header('WARC-Date'),
             'version': rec.format + '/' + h.protocol if hasattr(h, 'protocol') else '',
             'refers_to': h.get_header('WARC-Refers-To'),
             'refers_uri': h.get_header('WARC-Refers-To-Target-URI'),
             'profile': h.get_header('WARC-Profile'),
             'truncated': h.get_header('WARC-Truncated'),
             'payload_digest': h.get_header('WARC-Payload-Digest'),
             'content_type': h.get_header('Content-Type')}
        if rec.http_headers is not None:
            r['status'] = rec.http_headers.get_statuscode()
            r['http'] = {k: v for k, v in rec.http_headers.headers}
        body = rec.content_stream().read()
        if rec.rec_type == 'response':
            r['sha256'] = hashlib.sha256(body).hexdigest()
        records.append(r)
print(json.dumps({'members': members, 'records': records}))
"#;

fn read_back(file: &Path) -> Value {
    let out = Command::new(python())
        .args(["-c", READER])
        .arg(file)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "warcio could not read {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("reader JSON")
}

/// (id, final_url, sha256) of every snapshot, oldest first.
fn snapshots(a: &Archive) -> Vec<(i64, String, String)> {
    let mut stmt = a
        .store
        .conn()
        .prepare("SELECT id, final_url, sha256 FROM snapshots ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn warc_validates_and_reads_back_equal_to_the_archive() {
    require_warcio();
    let a = build();
    let out = tempfile::tempdir().unwrap();
    let summary = write_warc(&a.store, out.path(), &WarcOptions::default()).unwrap();
    assert_eq!(summary.files.len(), 1);
    let snaps = snapshots(&a);
    assert_eq!(summary.responses + summary.revisits, snaps.len());
    assert_eq!(summary.revisits, 1, "wb_2022_c repeats wb_2022_b's body");
    let file = &summary.files[0];
    assert!(file.to_string_lossy().ends_with(".warc.gz"));

    let check = warcio_check(file);
    assert_eq!(
        check.matches("digest pass").count(),
        summary.responses + 1,
        "the warcinfo's and every response's digests checked:\n{check}"
    );
    assert_eq!(
        check.matches("not checked (revisit)").count(),
        summary.revisits
    );

    let v = read_back(file);
    let records = v["records"].as_array().unwrap();
    assert_eq!(
        v["members"].as_u64().unwrap() as usize,
        records.len(),
        "one gzip member per record"
    );
    assert_eq!(records[0]["type"], "warcinfo");
    assert_eq!(records.len(), 1 + snaps.len());
    let mut first_of_body: std::collections::HashMap<&str, &Value> = Default::default();
    for ((id, url, sha), rec) in snaps.iter().zip(&records[1..]) {
        assert_eq!(rec["uri"], url.as_str(), "snapshot {id}");
        assert!(rec["id"].as_str().unwrap().starts_with("<urn:uuid:"));
        assert_eq!(rec["content_type"], "application/http;msgtype=response");
        assert_eq!(rec["status"], "200");
        if let Some(first) = first_of_body.get(sha.as_str()) {
            assert_eq!(rec["type"], "revisit", "snapshot {id}");
            assert_eq!(rec["profile"], nianbao::export::warc::REVISIT_PROFILE);
            assert!(
                nianbao::export::warc::REVISIT_PROFILE
                    .ends_with("/warc/1.1/revisit/identical-payload-digest")
            );
            assert_eq!(rec["refers_to"], first["id"]);
            assert_eq!(rec["refers_uri"], first["uri"]);
            assert_eq!(rec["payload_digest"], first["payload_digest"]);
        } else {
            assert_eq!(rec["type"], "response", "snapshot {id}");
            assert_eq!(
                rec["sha256"],
                sha.as_str(),
                "payload bytes of snapshot {id}"
            );
            let body = a.store.body(sha).unwrap().unwrap();
            assert_eq!(rec["http"]["Content-Length"], body.len().to_string());
            first_of_body.insert(sha, rec);
        }
    }
    // The body was sent gzip-encoded but is stored decoded: the encoding is kept aside.
    let lz = &records[1 + snaps.iter().position(|s| s.0 == a.snap["lz_2022"]).unwrap()];
    assert_eq!(lz["http"]["X-Archive-Orig-Content-Encoding"], "gzip");
    assert_eq!(lz["http"]["X-Archive-Orig-Content-Length"], "17");
    assert!(lz["http"].get("Content-Encoding").is_none());
    assert_eq!(lz["date"], "2024-03-04T05:06:07.089Z");
    let xg = &records[1 + snaps
        .iter()
        .position(|s| s.0 == a.snap["xg_index"])
        .unwrap()];
    assert_eq!(xg["truncated"], "length");
    assert!(lz["truncated"].is_null());
    let wb_c = &records[1 + snaps
        .iter()
        .position(|s| s.0 == a.snap["wb_2022_c"])
        .unwrap()];
    assert_eq!(wb_c["date"], "2024-03-11T05:06:07Z");
}

#[test]
fn warc_rotates_files_each_with_warcinfo_first() {
    require_warcio();
    let a = build();
    let out = tempfile::tempdir().unwrap();
    let opts = WarcOptions {
        prefix: "test".into(),
        max_file_bytes: 1,
        reports_only: true,
    };
    let summary = write_warc(&a.store, out.path(), &opts).unwrap();
    let reports: i64 = a
        .store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM page_meta WHERE kind IN ('report', 'attachment')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!((summary.responses + summary.revisits) as i64, reports);
    assert_eq!(
        summary.files.len() as i64,
        reports,
        "one record per file at a 1-byte limit"
    );
    let mut total = 0;
    for f in &summary.files {
        warcio_check(f);
        let v = read_back(f);
        let recs = v["records"].as_array().unwrap();
        assert_eq!(recs[0]["type"], "warcinfo", "{}", f.display());
        assert_eq!(recs.len(), 2);
        total += std::fs::metadata(f).unwrap().len();
    }
    assert_eq!(total, summary.bytes);
}
