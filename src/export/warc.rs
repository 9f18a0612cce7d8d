//! The archive as WARC 1.1: a `warcinfo` record, then one `response` record per
//! snapshot (its first copy of a body) or a `revisit` record (a body already
//! written), each record gzip-compressed on its own, files rotated by size.

use super::{ExportError, Result};
use crate::store::Store;
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What to write and how.
#[derive(Debug, Clone)]
pub struct WarcOptions {
    /// File names: `{prefix}-{YYYYmmddHHMMSS}-{00000}.warc.gz`.
    pub prefix: String,
    /// A new file is started once a file reaches this many (compressed) bytes.
    pub max_file_bytes: u64,
    /// Only snapshots that are reports or report attachments.
    pub reports_only: bool,
}

impl Default for WarcOptions {
    fn default() -> Self {
        WarcOptions {
            prefix: "nianbao".into(),
            max_file_bytes: 1_000_000_000,
            reports_only: false,
        }
    }
}

/// What [`write_warc`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarcSummary {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// `response` records.
    pub responses: usize,
    /// `revisit` records.
    pub revisits: usize,
    /// `request` records: one per snapshot that answered a POST (its form kept).
    pub requests: usize,
    /// DOMs rendered in a browser, written as `conversion` records (not what a server sent).
    pub conversions: usize,
    /// Snapshots skipped because their body is missing from the archive.
    pub skipped: usize,
    /// Compressed bytes written, all files.
    pub bytes: u64,
}

/// The WARC 1.1 revisit profile: an identifier naming the spec, never fetched.
pub const REVISIT_PROFILE: &str =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

/// Headers that described the body as it travelled, not as it is stored (decoded, whole).
const TRANSPORT_HEADERS: [&str; 3] = ["content-encoding", "transfer-encoding", "content-length"];

/// Writes every snapshot of the archive (oldest first) as WARC 1.1 files in `dir`.
pub fn write_warc(store: &Store, dir: &Path, opts: &WarcOptions) -> Result<WarcSummary> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::File {
        path: dir.to_path_buf(),
        source,
    })?;
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let mut w = Rotating {
        dir: dir.to_path_buf(),
        prefix: format!("{}-{stamp}", opts.prefix),
        max: opts.max_file_bytes.max(1),
        current: None,
        summary: WarcSummary::default(),
    };
    // sha256 of the body → (record id, target URI, date) of its response record.
    let mut written: HashMap<String, (String, String, String)> = HashMap::new();
    store.each_response(opts.reports_only, |s| -> Result<()> {
        let uri = if s.final_url.is_empty() {
            s.url.clone()
        } else {
            s.final_url.clone()
        };
        let date = warc_date(&s.fetched_at);
        let headers = &s.headers;
        if s.rendered {
            let Some(body) = store.body(&s.sha256)? else {
                w.summary.skipped += 1;
                return Ok(());
            };
            let fields = vec![
                ("WARC-Type", "conversion".to_string()),
                ("WARC-Record-ID", record_id(&format!("conversion:{}", s.id))),
                ("WARC-Date", date),
                ("WARC-Target-URI", uri),
                ("WARC-Payload-Digest", payload_digest_of_hex(&s.sha256)),
                ("Content-Type", "text/html; charset=utf-8".to_string()),
            ];
            w.record(fields, &[&body])?;
            w.summary.conversions += 1;
            return Ok(());
        }
        if let Some((ref_id, ref_uri, ref_date)) = written.get(&s.sha256).cloned() {
            let Some(size) = store.body_size(&s.sha256)? else {
                w.summary.skipped += 1;
                return Ok(());
            };
            let http = http_head(&s.http_version, s.status, headers, size);
            let payload = payload_digest_of_hex(&s.sha256);
            let id = id_of_revisit(s.id);
            let fields = vec![
                ("WARC-Type", "revisit".to_string()),
                ("WARC-Record-ID", id),
                ("WARC-Date", date.clone()),
                ("WARC-Target-URI", uri.clone()),
                ("WARC-Profile", REVISIT_PROFILE.to_string()),
                ("WARC-Refers-To", ref_id),
                ("WARC-Refers-To-Target-URI", ref_uri),
                ("WARC-Refers-To-Date", ref_date),
                ("WARC-Payload-Digest", payload),
                (
                    "Content-Type",
                    "application/http;msgtype=response".to_string(),
                ),
            ];
            w.record(fields, &[&http])?;
            w.summary.revisits += 1;
            if let Some(form) = &s.form {
                post_request(&mut w, s.id, &uri, &date, &id_of_revisit(s.id), form)?;
            }
            return Ok(());
        }
        let Some(body) = store.body(&s.sha256)? else {
            w.summary.skipped += 1;
            return Ok(());
        };
        let http = http_head(&s.http_version, s.status, headers, body.len() as u64);
        let id = record_id(&format!("response:{}", s.id));
        let mut fields = vec![
            ("WARC-Type", "response".to_string()),
            ("WARC-Record-ID", id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", uri.clone()),
            ("WARC-Payload-Digest", payload_digest_of_hex(&s.sha256)),
            (
                "Content-Type",
                "application/http;msgtype=response".to_string(),
            ),
        ];
        if s.truncated {
            // The crawler stopped reading at its size limit.
            fields.push(("WARC-Truncated", "length".to_string()));
        }
        w.record(fields, &[&http, &body])?;
        w.summary.responses += 1;
        if let Some(form) = &s.form {
            post_request(&mut w, s.id, &uri, &date, &id, form)?;
        }
        written.insert(s.sha256, (id, uri, date));
        Ok(())
    })?;
    w.close()?;
    Ok(w.summary)
}

fn id_of_revisit(snapshot_id: i64) -> String {
    record_id(&format!("revisit:{snapshot_id}"))
}

/// The `request` record of a POST (Hanweb record groups, `$.post` lists), so a
/// replay tool tells answers to different forms of one URL apart.
fn post_request(
    w: &mut Rotating,
    snapshot_id: i64,
    uri: &str,
    date: &str,
    concurrent_to: &str,
    form: &str,
) -> Result<()> {
    let (target, host) = match url::Url::parse(uri) {
        Ok(u) => {
            let mut t = u.path().to_string();
            if let Some(q) = u.query() {
                t.push('?');
                t.push_str(q);
            }
            let host = match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => String::new(),
            };
            (t, host)
        }
        Err(_) => (uri.to_string(), String::new()),
    };
    let http = format!(
        "POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let fields = vec![
        ("WARC-Type", "request".to_string()),
        (
            "WARC-Record-ID",
            record_id(&format!("request:{snapshot_id}")),
        ),
        ("WARC-Date", date.to_string()),
        ("WARC-Target-URI", uri.to_string()),
        ("WARC-Concurrent-To", concurrent_to.to_string()),
        (
            "Content-Type",
            "application/http;msgtype=request".to_string(),
        ),
    ];
    w.record(fields, &[http.as_bytes()])?;
    w.summary.requests += 1;
    Ok(())
}

struct OpenFile {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
}

/// The output files: a new one (with its own warcinfo) once the current is full.
struct Rotating {
    dir: PathBuf,
    prefix: String,
    max: u64,
    current: Option<OpenFile>,
    summary: WarcSummary,
}

impl Rotating {
    fn record(&mut self, fields: Vec<(&str, String)>, block: &[&[u8]]) -> Result<()> {
        if self.current.as_ref().is_some_and(|f| f.bytes >= self.max) {
            self.close()?;
        }
        if self.current.is_none() {
            self.open()?;
        }
        let gz = record_bytes(&fields, block)?;
        let Some(f) = self.current.as_mut() else {
            return Ok(());
        };
        f.out.write_all(&gz).map_err(|source| ExportError::File {
            path: f.path.clone(),
            source,
        })?;
        f.bytes += gz.len() as u64;
        self.summary.bytes += gz.len() as u64;
        Ok(())
    }

    fn open(&mut self) -> Result<()> {
        let name = format!("{}-{:05}.warc.gz", self.prefix, self.summary.files.len());
        let path = self.dir.join(&name);
        let file = File::create(&path).map_err(|source| ExportError::File {
            path: path.clone(),
            source,
        })?;
        self.summary.files.push(path.clone());
        self.current = Some(OpenFile {
            path,
            out: BufWriter::new(file),
            bytes: 0,
        });
        let info = format!(
            "software: nianbao/{}\r\nformat: WARC File OutputFormat 1.1\r\n\
             conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n\
             description: snapshots of government information-disclosure annual reports (政府信息公开工作年度报告)\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let fields = vec![
            ("WARC-Type", "warcinfo".to_string()),
            (
                "WARC-Record-ID",
                record_id(&format!("warcinfo:{name}:{}", crate::store::now())),
            ),
            ("WARC-Date", warc_date(&crate::store::now())),
            ("WARC-Filename", name),
            ("Content-Type", "application/warc-fields".to_string()),
        ];
        let gz = record_bytes(&fields, &[info.as_bytes()])?;
        if let Some(f) = self.current.as_mut() {
            f.out.write_all(&gz).map_err(|source| ExportError::File {
                path: f.path.clone(),
                source,
            })?;
            f.bytes += gz.len() as u64;
            self.summary.bytes += gz.len() as u64;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if let Some(mut f) = self.current.take() {
            f.out.flush().map_err(|source| ExportError::File {
                path: f.path.clone(),
                source,
            })?;
            f.out
                .get_ref()
                .sync_all()
                .map_err(|source| ExportError::File {
                    path: f.path,
                    source,
                })?;
        }
        Ok(())
    }
}

/// One gzip member holding one record: header fields, Content-Length, block digest.
fn record_bytes(fields: &[(&str, String)], block: &[&[u8]]) -> Result<Vec<u8>> {
    let len: usize = block.iter().map(|b| b.len()).sum();
    let mut hasher = Sha256::new();
    for b in block {
        hasher.update(b);
    }
    let mut head = String::from("WARC/1.1\r\n");
    for (name, value) in fields {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(&clean_value(value));
        head.push_str("\r\n");
    }
    head.push_str(&format!(
        "WARC-Block-Digest: sha256:{}\r\n",
        base32(&hasher.finalize())
    ));
    head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
    let mut gz = GzEncoder::new(Vec::with_capacity(len / 3 + 512), Compression::default());
    gz.write_all(head.as_bytes())?;
    for b in block {
        gz.write_all(b)?;
    }
    gz.write_all(b"\r\n\r\n")?;
    Ok(gz.finish()?)
}

/// The HTTP status line and headers as they now describe the stored body:
/// transfer and content encodings are gone (the body is stored decoded) and
/// the length is the stored size; the originals are kept as `X-Archive-Orig-*`.
fn http_head(version: &str, status: i64, headers: &[(String, String)], size: u64) -> Vec<u8> {
    let version = match version.trim() {
        v if v.starts_with("HTTP/") && !v.contains(char::is_whitespace) => v,
        _ => "HTTP/1.1",
    };
    let reason = u16::try_from(status)
        .ok()
        .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut out = format!("{version} {status} {reason}\r\n");
    for (name, value) in headers {
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != ':')
            .collect();
        if name.is_empty() {
            continue;
        }
        let value = clean_value(value);
        if TRANSPORT_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            out.push_str(&format!("X-Archive-Orig-{name}: {value}\r\n"));
        } else {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str(&format!("Content-Length: {size}\r\n\r\n"));
    out.into_bytes()
}

/// Header values on one line: a stray CR/LF would end the header block early.
fn clean_value(v: &str) -> String {
    v.chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

/// The payload digest from the archive's hex sha256 (the body's hash is already known).
fn payload_digest_of_hex(hex_sha: &str) -> String {
    match hex::decode(hex_sha) {
        Ok(raw) => format!("sha256:{}", base32(&raw)),
        Err(_) => format!("sha256:{hex_sha}"),
    }
}

/// RFC 4648 base32 with padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A record id, `<urn:uuid:…>`, derived from `seed` so that writing the same
/// archive twice gives the same ids (shaped as a version-4 UUID).
fn record_id(seed: &str) -> String {
    let h = Sha256::digest(format!("nianbao-warc:{seed}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// WARC-Date: UTC, `YYYY-MM-DDThh:mm:ssZ` (fractions kept when stored).
fn warc_date(stored: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        Err(_) => chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_digest_from_the_stored_hash_equals_hashing_the_body() {
        let body = "政府信息公开工作年度报告".as_bytes();
        let direct = format!("sha256:{}", base32(&Sha256::digest(body)));
        assert_eq!(
            payload_digest_of_hex(&crate::store::sha256_hex(body)),
            direct
        );
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY======");
        assert_eq!(base32(b"fo"), "MZXQ====");
        assert_eq!(base32(b"foo"), "MZXW6===");
        assert_eq!(base32(b"foob"), "MZXW6YQ=");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI======");
    }

    #[test]
    fn http_head_drops_transport_encodings_and_sets_the_stored_length() {
        let headers = vec![
            ("Content-Type".to_string(), "text/html".to_string()),
            ("Content-Encoding".to_string(), "gzip".to_string()),
            ("Transfer-Encoding".to_string(), "chunked".to_string()),
            ("Content-Length".to_string(), "99".to_string()),
            ("X-Bad".to_string(), "a\r\nInjected: 1".to_string()),
        ];
        let head = String::from_utf8(http_head("HTTP/1.1", 200, &headers, 1234)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("X-Archive-Orig-Content-Encoding: gzip\r\n"));
        assert!(head.contains("X-Archive-Orig-Transfer-Encoding: chunked\r\n"));
        assert!(head.contains("X-Archive-Orig-Content-Length: 99\r\n"));
        assert!(head.contains("\r\nContent-Length: 1234\r\n\r\n"));
        assert!(!head.contains("\r\nContent-Encoding"));
        assert!(!head.contains("\r\nInjected"));
    }

    #[test]
    fn record_ids_are_stable_uuids_and_dates_utc() {
        let a = record_id("response:1");
        assert_eq!(a, record_id("response:1"));
        assert_ne!(a, record_id("response:2"));
        assert_eq!(a.len(), "<urn:uuid:>".len() + 36);
        assert_eq!(&a[24..25], "4");
        assert_eq!(
            warc_date("2024-01-12T08:00:00+08:00"),
            "2024-01-12T00:00:00Z"
        );
        assert_eq!(
            warc_date("2024-01-12T00:00:00.250Z"),
            "2024-01-12T00:00:00.250Z"
        );
    }
}
