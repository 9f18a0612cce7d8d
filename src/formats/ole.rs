//! Old binary Word files (`.doc`, and `.wps` saved in Word's format) → text,
//! through Debian's `antiword`, with `catdoc` as the fallback.
//!
//! Parsing the Word 97 binary format ourselves (piece tables, fast-saved
//! files, GBK 8-bit runs) is a project of its own; both tools are packaged in
//! Debian and read Chinese text to UTF-8. Their absence is a typed
//! [`FormatError::ToolMissing`], never a crash. Spreadsheets and other OLE
//! files are [`FormatError::Unsupported`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{FormatError, OLE_MAGIC};

const TOOL_TIMEOUT: Duration = Duration::from_secs(30);
const HINT: &str = "install it with `apt-get install antiword catdoc`";

/// Text of an OLE2 Word document, paragraphs on their own lines; the
/// extractor's text reader takes it from there.
pub fn ole_to_text(bytes: &[u8]) -> Result<String, FormatError> {
    if !bytes.starts_with(OLE_MAGIC) {
        return Err(FormatError::Corrupt("not an OLE2 compound file".into()));
    }
    if !has_stream(bytes, "WordDocument") {
        return Err(FormatError::Unsupported {
            format: "OLE2 file without a WordDocument stream (spreadsheet or other)".into(),
        });
    }
    let file = TempFile::write(bytes)?;
    let antiword = run_tool(
        "antiword",
        &["-m", "UTF-8.txt", "-w", "0"],
        file.path(),
        &[("ANTIWORDHOME", "/usr/share/antiword")],
    );
    match antiword {
        Ok(text) if !text.trim().is_empty() => return Ok(text),
        Ok(_) | Err(FormatError::ToolFailed { .. }) | Err(FormatError::ToolMissing { .. }) => {}
        Err(other) => return Err(other),
    }
    // catdoc reads files antiword refuses (WPS, fast-saved, Word 6).
    let catdoc = run_tool("catdoc", &["-d", "utf-8", "-w"], file.path(), &[]);
    match (catdoc, antiword) {
        (Ok(text), _) => Ok(text),
        (Err(FormatError::ToolMissing { .. }), Err(e @ FormatError::ToolFailed { .. })) => Err(e),
        (Err(FormatError::ToolMissing { .. }), Err(FormatError::ToolMissing { .. })) => {
            Err(FormatError::ToolMissing {
                tool: "antiword",
                hint: HINT,
            })
        }
        (Err(e), _) => Err(e),
    }
}

/// Whether the compound file's directory names this stream (names are UTF-16LE).
fn has_stream(bytes: &[u8], name: &str) -> bool {
    let needle: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

fn run_tool(
    tool: &'static str,
    args: &[&str],
    file: &Path,
    env: &[(&str, &str)],
) -> Result<String, FormatError> {
    let mut cmd = Command::new(tool);
    cmd.args(args)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FormatError::ToolMissing { tool, hint: HINT });
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

/// A temporary copy of the input for tools that only read named files.
struct TempFile(PathBuf);

impl TempFile {
    fn write(bytes: &[u8]) -> Result<Self, FormatError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "nianbao-ole-{}-{n}-{}.doc",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        let mut f = std::fs::File::create(&path).map_err(|e| FormatError::ToolFailed {
            tool: "antiword",
            message: format!("cannot write a temporary file: {e}"),
        })?;
        f.write_all(bytes).map_err(|e| FormatError::ToolFailed {
            tool: "antiword",
            message: format!("cannot write a temporary file: {e}"),
        })?;
        Ok(TempFile(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
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
    fn missing_tool_is_a_typed_error() {
        let r = run_tool("nianbao-no-such-tool", &[], Path::new("/dev/null"), &[]);
        assert!(matches!(r, Err(FormatError::ToolMissing { .. })), "{r:?}");
    }
}
