//! Old binary Word files (`.doc`, and `.wps` saved in Word's format) and RTF
//! → the document model or text, through tools Debian packages.
//!
//! Parsing the Word 97 binary format ourselves (piece tables, fast-saved
//! files, 8-bit GBK runs) is a project of its own. LibreOffice converts such
//! a file to DOCX faithfully, merged table cells included, and the DOCX
//! reader takes it from there. Without LibreOffice, `antiword` (then
//! `catdoc`) still give the prose, but they lose or garble tables with
//! merged cells, so they are only the text fallback. A missing tool is a
//! typed [`FormatError::ToolMissing`], never a crash; spreadsheets and other
//! OLE files are [`FormatError::Unsupported`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{FormatError, OLE_MAGIC, docx_to_document};
use crate::document::Document;

const TOOL_TIMEOUT: Duration = Duration::from_secs(90);
const SOFFICE_HINT: &str =
    "install LibreOffice: `apt-get install --no-install-recommends libreoffice-writer-nogui`";
const ANTIWORD_HINT: &str = "install LibreOffice (`apt-get install --no-install-recommends \
     libreoffice-writer-nogui`), or `apt-get install antiword catdoc` for text without tables";

fn check_word(bytes: &[u8]) -> Result<(), FormatError> {
    if !bytes.starts_with(OLE_MAGIC) {
        return Err(FormatError::Corrupt("not an OLE2 compound file".into()));
    }
    if !has_stream(bytes, "WordDocument") {
        return Err(FormatError::Unsupported {
            format: "OLE2 file without a WordDocument stream (spreadsheet or other)".into(),
        });
    }
    Ok(())
}

/// Read an OLE2 Word document into the document model, tables and their
/// merges included, by converting it to DOCX with LibreOffice (`soffice`).
pub fn ole_to_document(bytes: &[u8]) -> Result<Document, FormatError> {
    check_word(bytes)?;
    convert_with_soffice(bytes, "doc")
}

/// Read an RTF file (often saved with a `.doc` name) into the document
/// model through LibreOffice, like [`ole_to_document`].
pub fn rtf_to_document(bytes: &[u8]) -> Result<Document, FormatError> {
    if !bytes.starts_with(b"{\\rtf") {
        return Err(FormatError::Corrupt("not an RTF file".into()));
    }
    convert_with_soffice(bytes, "rtf")
}

/// LibreOffice converts the file to DOCX; the DOCX reader does the rest.
fn convert_with_soffice(bytes: &[u8], ext: &str) -> Result<Document, FormatError> {
    let dir = TempDir::new()?;
    let input = dir.path().join(format!("input.{ext}"));
    std::fs::write(&input, bytes).map_err(|e| tool_io("soffice", e))?;
    let out_dir = dir.path().join("out");
    // A private profile: concurrent conversions must not share LibreOffice's lock.
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.path().join("profile").display()
    );
    run_tool(
        "soffice",
        SOFFICE_HINT,
        &[
            profile.as_str(),
            "--headless",
            "--norestore",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            &out_dir.to_string_lossy(),
            &input.to_string_lossy(),
        ],
        &[],
    )?;
    let docx = std::fs::read(out_dir.join("input.docx")).map_err(|e| FormatError::ToolFailed {
        tool: "soffice",
        message: format!("no DOCX written: {e}"),
    })?;
    docx_to_document(&docx)
}

/// Text of an OLE2 Word document, one paragraph or table row per line
/// (cells separated by tabs); the extractor's text reader takes it from
/// there. Uses LibreOffice when installed, else `antiword`, else `catdoc`.
pub fn ole_to_text(bytes: &[u8]) -> Result<String, FormatError> {
    match ole_to_document(bytes) {
        Ok(doc) => return Ok(doc.plain_text()),
        Err(FormatError::ToolMissing { .. }) => {}
        Err(e) => return Err(e),
    }
    let dir = TempDir::new()?;
    let input = dir.path().join("input.doc");
    std::fs::write(&input, bytes).map_err(|e| tool_io("antiword", e))?;
    let input = input.to_string_lossy().into_owned();
    let antiword = run_tool(
        "antiword",
        ANTIWORD_HINT,
        &["-m", "UTF-8.txt", "-w", "0", &input],
        &[("ANTIWORDHOME", "/usr/share/antiword")],
    );
    match antiword {
        Ok(text) if !text.trim().is_empty() => return Ok(pipes_to_tabs(&text)),
        Ok(_) | Err(FormatError::ToolFailed { .. }) | Err(FormatError::ToolMissing { .. }) => {}
        Err(other) => return Err(other),
    }
    // catdoc reads some files antiword refuses (Word 6, fast-saved).
    match (
        run_tool("catdoc", ANTIWORD_HINT, &["-d", "utf-8", "-w", &input], &[]),
        antiword,
    ) {
        (Ok(text), _) => Ok(text),
        (Err(FormatError::ToolMissing { .. }), Err(e @ FormatError::ToolFailed { .. })) => Err(e),
        (Err(e), _) => Err(e),
    }
}

/// antiword draws table rows as `|cell   |cell   |`; the text reader wants tabs.
fn pipes_to_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_end();
        if t.starts_with('|') && t.ends_with('|') && t.len() > 1 {
            let cells: Vec<&str> = t[1..t.len() - 1].split('|').map(str::trim).collect();
            out.push_str(&cells.join("\t"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn tool_io(tool: &'static str, e: std::io::Error) -> FormatError {
    FormatError::ToolFailed {
        tool,
        message: format!("cannot write a temporary file: {e}"),
    }
}

/// Whether the compound file's directory names this stream (names are UTF-16LE).
fn has_stream(bytes: &[u8], name: &str) -> bool {
    let needle: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

fn run_tool(
    tool: &'static str,
    hint: &'static str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<String, FormatError> {
    let mut cmd = Command::new(tool);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FormatError::ToolMissing { tool, hint });
        }
        Err(e) => {
            return Err(FormatError::ToolFailed {
                tool,
                message: e.to_string(),
            });
        }
    };
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() > TOOL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("no answer within {}s", TOOL_TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(e.to_string()),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    match status {
        Ok(s) if s.success() => Ok(String::from_utf8_lossy(&out).into_owned()),
        Ok(s) => Err(FormatError::ToolFailed {
            tool,
            message: format!("{s}: {}", String::from_utf8_lossy(&err).trim()),
        }),
        Err(message) => Err(FormatError::ToolFailed { tool, message }),
    }
}

/// A private temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, FormatError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("nianbao-ole-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| tool_io("soffice", e))?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ole_bytes_are_corrupt() {
        assert!(matches!(
            ole_to_text(b"hello"),
            Err(FormatError::Corrupt(_))
        ));
    }

    #[test]
    fn ole_without_word_stream_is_unsupported() {
        let mut bytes = OLE_MAGIC.to_vec();
        bytes.extend(
            "Workbook"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect::<Vec<u8>>(),
        );
        assert!(matches!(
            ole_to_text(&bytes),
            Err(FormatError::Unsupported { .. })
        ));
    }

    #[test]
    fn rtf_is_checked_before_any_tool_runs() {
        assert!(matches!(
            rtf_to_document(b"not rtf"),
            Err(FormatError::Corrupt(_))
        ));
    }

    #[test]
    fn antiword_tables_become_tab_rows() {
        let text = "标题\n|规章      |0     |0  |\n|行政规范性文件|2 |0 |\n";
        assert_eq!(
            pipes_to_tabs(text),
            "标题\n规章\t0\t0\n行政规范性文件\t2\t0\n"
        );
    }

    #[test]
    fn missing_tool_is_a_typed_error() {
        let r = run_tool("nianbao-no-such-tool", "hint", &["/dev/null"], &[]);
        assert!(matches!(r, Err(FormatError::ToolMissing { .. })), "{r:?}");
    }
}
