//! Old binary Word files (`.doc`, and `.wps` saved in Word's format) and RTF
//! → the document model, through LibreOffice.
//!
//! Parsing the Word 97 binary format ourselves (piece tables, fast-saved
//! files, 8-bit GBK runs) is a project of its own. LibreOffice converts such
//! a file to DOCX faithfully, merged table cells included, and the DOCX
//! reader takes it from there. A missing LibreOffice is a typed
//! [`FormatError::ToolMissing`], never a crash; an OLE2 file with no Word
//! stream (a spreadsheet, say) is [`FormatError::Unsupported`] here.

use std::io::{Cursor, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use super::{FormatError, docx_to_document};
use crate::document::Document;

const TOOL_TIMEOUT: Duration = Duration::from_secs(90);
const SOFFICE_HINT: &str =
    "install LibreOffice: `apt-get install --no-install-recommends libreoffice-writer-nogui`";

/// The streams at the root of an OLE2 compound file, or why it is not one.
pub(crate) fn ole_streams(bytes: &[u8]) -> Result<Vec<String>, FormatError> {
    let file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| FormatError::Corrupt(format!("not an OLE2 compound file: {e}")))?;
    Ok(file
        .read_root_storage()
        .map(|e| e.name().to_string())
        .collect())
}

/// True for an OLE2 spreadsheet (`.xls`, `.et`): its data sits in a
/// `Workbook` (BIFF8) or `Book` (BIFF5) stream.
pub(crate) fn is_workbook(bytes: &[u8]) -> bool {
    ole_streams(bytes).is_ok_and(|s| s.iter().any(|n| n == "Workbook" || n == "Book"))
}

fn check_word(bytes: &[u8]) -> Result<(), FormatError> {
    if !ole_streams(bytes)?.iter().any(|n| n == "WordDocument") {
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
    let dir = tempfile::Builder::new()
        .prefix("nianbao-ole-")
        .tempdir()
        .map_err(|e| tool_io("soffice", e))?;
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

fn tool_io(tool: &'static str, e: std::io::Error) -> FormatError {
    FormatError::ToolFailed {
        tool,
        message: format!("cannot write a temporary file: {e}"),
    }
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
    // Read both pipes while waiting, so a chatty tool never blocks on a full pipe.
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
    let status = match child.wait_timeout(TOOL_TIMEOUT) {
        Ok(Some(status)) => Ok(status),
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("no answer within {}s", TOOL_TIMEOUT.as_secs()))
        }
        Err(e) => Err(e.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A real compound file holding the named streams.
    fn compound(streams: &[&str]) -> Vec<u8> {
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        for name in streams {
            let mut s = file.create_stream(format!("/{name}")).unwrap();
            s.write_all(b"payload").unwrap();
        }
        file.flush().unwrap();
        file.into_inner().into_inner()
    }

    #[test]
    fn non_ole_bytes_are_corrupt() {
        assert!(matches!(
            ole_to_document(b"hello"),
            Err(FormatError::Corrupt(_))
        ));
        // The magic alone does not make a compound file.
        assert!(matches!(
            ole_to_document(&super::super::OLE_MAGIC.repeat(64)),
            Err(FormatError::Corrupt(_))
        ));
    }

    #[test]
    fn ole_without_word_stream_is_unsupported() {
        let bytes = compound(&["Workbook"]);
        assert_eq!(ole_streams(&bytes).unwrap(), ["Workbook"]);
        assert!(is_workbook(&bytes));
        assert!(!is_workbook(&compound(&["WordDocument"])));
        assert!(matches!(
            ole_to_document(&bytes),
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
    fn missing_tool_is_a_typed_error() {
        let r = run_tool("nianbao-no-such-tool", "hint", &["/dev/null"], &[]);
        assert!(matches!(r, Err(FormatError::ToolMissing { .. })), "{r:?}");
    }

    #[test]
    fn a_failing_tool_reports_its_status_and_stderr() {
        let r = run_tool("sh", "hint", &["-c", "echo oops >&2; exit 3"], &[]);
        match r {
            Err(FormatError::ToolFailed { tool, message }) => {
                assert_eq!(tool, "sh");
                assert!(message.contains("oops"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
