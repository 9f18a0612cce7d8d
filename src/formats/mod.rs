//! Attachment formats: tell what a fetched file is, and read DOCX, PDF,
//! spreadsheets (XLSX, XLS, ET) and OLE2 Word files into the document model
//! the extractor reads.
//!
//! Many agencies publish the annual report as an attachment rather than as
//! the page itself. Each reader here ends in [`crate::document::Document`],
//! so one extractor serves every format.

mod docx;
mod html;
mod layout;
pub mod nesting;
mod numbering;
mod ole;
mod ooxml;
mod pdf;
mod spreadsheet;

pub use docx::docx_to_document;
pub use html::{dom_to_document, html_to_document};
pub use ole::{ole_to_document, rtf_to_document};
pub use pdf::{PdfRead, pdf_to_document};
pub use spreadsheet::spreadsheet_to_document;

use serde::Serialize;

use crate::document::Document;

/// What a file is, as far as reading a report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum Format {
    /// An HTML page.
    Html,
    /// Plain text.
    Text,
    /// PDF.
    Pdf,
    /// Word 2007+ (Office Open XML).
    Docx,
    /// OLE2 compound file: `.doc`, `.wps`, `.xls`, `.et`.
    Ole,
    /// Rich Text Format (often behind a `.doc` name).
    Rtf,
    /// Excel 2007+ (Office Open XML).
    Xlsx,
    /// A zip archive that is neither DOCX nor XLSX.
    Zip,
    /// None of the above.
    #[default]
    Unknown,
}

impl Format {
    /// Every format, for reading one back from its name.
    pub const ALL: [Format; 9] = [
        Format::Html,
        Format::Text,
        Format::Pdf,
        Format::Docx,
        Format::Ole,
        Format::Rtf,
        Format::Xlsx,
        Format::Zip,
        Format::Unknown,
    ];

    /// The format's name, as messages and the archive spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Text => "text",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Ole => "ole",
            Format::Rtf => "rtf",
            Format::Xlsx => "xlsx",
            Format::Zip => "zip",
            Format::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a file could not be read into the document model.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// No reader exists for this format.
    #[error("{format} files cannot be read")]
    Unsupported {
        /// The format, for people.
        format: String,
    },
    /// The file is damaged or not what it claims to be.
    #[error("corrupt file: {0}")]
    Corrupt(String),
    /// A PDF that needs a password.
    #[error("the PDF is encrypted and cannot be read without a password")]
    Encrypted,
    /// The converter the format needs is not installed.
    #[error("external tool `{tool}` is not installed ({hint})")]
    ToolMissing {
        /// The program.
        tool: &'static str,
        /// How to install it.
        hint: &'static str,
    },
    /// The converter ran and failed.
    #[error("external tool `{tool}` failed: {message}")]
    ToolFailed {
        /// The program.
        tool: &'static str,
        /// Its exit status and error output.
        message: String,
    },
}

/// An attachment read into the document model, whatever its format.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// The format read (a zip archive's member's).
    pub format: Format,
    /// The content.
    pub document: Document,
    /// Page count (PDF only).
    pub pages: Option<usize>,
    /// A PDF without a text layer: the document is empty, OCR would be needed.
    pub scanned: bool,
    /// For a zip archive: the member that was read (its format is `format`).
    pub member: Option<String>,
}

/// One entry point for attachments: sniff the format, then read DOCX, PDF,
/// XLSX, XLS/ET or OLE2 Word into the document model. HTML and text are the
/// extractor's own input, and unknown files are not read: those give
/// [`FormatError::Unsupported`] naming the
/// format.
pub fn read_attachment(
    bytes: &[u8],
    content_type: Option<&str>,
    name: Option<&str>,
) -> Result<Attachment, FormatError> {
    let format = sniff(bytes, content_type, name);
    if format == Format::Zip {
        return read_zip(bytes);
    }
    let plain = |document| Attachment {
        format,
        document,
        pages: None,
        scanned: false,
        member: None,
    };
    match format {
        Format::Docx => docx_to_document(bytes).map(plain),
        Format::Ole if ole::is_workbook(bytes) => spreadsheet_to_document(bytes).map(plain),
        Format::Ole => ole_to_document(bytes).map(plain),
        Format::Rtf => rtf_to_document(bytes).map(plain),
        Format::Pdf => pdf_to_document(bytes).map(|r| Attachment {
            format,
            document: r.document,
            pages: Some(r.pages),
            scanned: r.scanned,
            member: None,
        }),
        Format::Xlsx => spreadsheet_to_document(bytes).map(plain),
        Format::Html | Format::Text | Format::Zip | Format::Unknown => {
            Err(FormatError::Unsupported {
                format: format.as_str().to_string(),
            })
        }
    }
}

const MAX_ZIP_MEMBERS: usize = 500;
const MAX_MEMBER_BYTES: u64 = 128 * 1024 * 1024;

/// A zip archive of attachments (agencies zip the report with its annexes):
/// read the member that looks most like the report. Names written by
/// Chinese Windows zippers are GBK, not UTF-8.
fn read_zip(bytes: &[u8]) -> Result<Attachment, FormatError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| FormatError::Corrupt(format!("not a readable zip archive: {e}")))?;
    let mut members: Vec<(usize, usize, String)> = Vec::new();
    for i in 0..zip.len().min(MAX_ZIP_MEMBERS) {
        let Ok(f) = zip.by_index_raw(i) else { continue };
        if f.is_dir() || f.size() > MAX_MEMBER_BYTES {
            continue;
        }
        let raw = f.name_raw();
        let name = match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => encoding_rs::GBK
                .decode_without_bom_handling(raw)
                .0
                .into_owned(),
        };
        let Some(kind) = from_name(&name) else {
            continue;
        };
        if !matches!(
            kind,
            Format::Pdf | Format::Docx | Format::Ole | Format::Xlsx
        ) {
            continue;
        }
        let base = name.rsplit('/').next().unwrap_or(&name);
        // The report first, then text formats before scans and spreadsheets.
        let rank = if base.contains("年度报告") || base.contains("年报") {
            0
        } else if base.contains("报告") {
            1
        } else {
            2
        };
        let kind_rank = match kind {
            Format::Docx => 0,
            Format::Ole => 1,
            Format::Pdf => 2,
            _ => 3,
        };
        members.push((rank * 4 + kind_rank, i, name));
    }
    members.sort();
    let mut last_err = None;
    for (_, i, name) in members {
        let mut data = Vec::new();
        let read = zip
            .by_index(i)
            .map_err(|e| FormatError::Corrupt(format!("cannot open {name}: {e}")))
            .and_then(|f| {
                f.take(MAX_MEMBER_BYTES)
                    .read_to_end(&mut data)
                    .map_err(|e| FormatError::Corrupt(format!("cannot inflate {name}: {e}")))
            });
        if let Err(e) = read {
            last_err = Some(e);
            continue;
        }
        // Members are read as files of their own; an archive inside is not opened.
        let format = sniff(&data, None, Some(&name));
        if format == Format::Zip {
            continue;
        }
        match read_attachment(&data, None, Some(&name)) {
            Ok(mut att) => {
                att.member = Some(name);
                return Ok(att);
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| FormatError::Unsupported {
        format: "zip archive without a DOCX, DOC, PDF or XLSX member".into(),
    }))
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Tell a file's format: magic bytes first (servers often send
/// `application/octet-stream` or the wrong type), then the content type,
/// then the file name's extension.
pub fn sniff(bytes: &[u8], content_type: Option<&str>, name: Option<&str>) -> Format {
    if let Some(f) = sniff_magic(bytes) {
        return f;
    }
    if let Some(f) = content_type.and_then(from_content_type) {
        return f;
    }
    if let Some(f) = name.and_then(from_name) {
        return f;
    }
    if looks_like_text(bytes) {
        Format::Text
    } else {
        Format::Unknown
    }
}

fn sniff_magic(bytes: &[u8]) -> Option<Format> {
    // Some generators put junk before the header; readers accept it within 1 KiB.
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Some(Format::Pdf);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Some(Format::Ole);
    }
    if bytes.starts_with(b"{\\rtf") {
        return Some(Format::Rtf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        // Entry names stand uncompressed in the local headers and central directory.
        if find(bytes, b"word/document.xml").is_some() {
            return Some(Format::Docx);
        }
        if find(bytes, b"xl/workbook.xml").is_some() {
            return Some(Format::Xlsx);
        }
        return Some(Format::Zip);
    }
    let start = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
    let start = start.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || start.starts_with("<head")
        || start.starts_with("<body")
        || (start.starts_with('<') && start.contains("<html"))
    {
        return Some(Format::Html);
    }
    None
}

fn from_content_type(ct: &str) -> Option<Format> {
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match mime.as_str() {
        "application/pdf" | "application/x-pdf" => Format::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Format::Docx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Format::Xlsx,
        "application/msword"
        | "application/vnd.ms-word"
        | "application/vnd.ms-works"
        | "application/vnd.ms-excel"
        | "application/kswps"
        | "application/wps-office.wps"
        | "application/wps-office.doc"
        | "application/wps-office.et"
        | "application/x-ole-storage" => Format::Ole,
        "application/zip" | "application/x-zip-compressed" => Format::Zip,
        "application/rtf" | "text/rtf" => Format::Rtf,
        "text/html" | "application/xhtml+xml" => Format::Html,
        "text/plain" => Format::Text,
        _ => return None,
    })
}

fn from_name(name: &str) -> Option<Format> {
    // Works for bare names and for URLs with a query or fragment.
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let ext = file.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => Format::Pdf,
        "docx" => Format::Docx,
        "doc" | "wps" | "xls" | "et" | "dot" => Format::Ole,
        "xlsx" => Format::Xlsx,
        "zip" => Format::Zip,
        "rtf" => Format::Rtf,
        "html" | "htm" | "shtml" | "jhtml" | "xhtml" => Format::Html,
        "txt" => Format::Text,
        _ => return None,
    })
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    !head.is_empty()
        && !head
            .iter()
            .any(|&b| b == 0 || (b < 0x09) || (0x0E..0x1B).contains(&b))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_win_over_type_and_name() {
        assert_eq!(
            sniff(b"%PDF-1.7\n...", Some("text/html"), Some("a.doc")),
            Format::Pdf
        );
        assert_eq!(sniff(b"\r\n%PDF-1.4", None, None), Format::Pdf);
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend_from_slice(&[0; 32]);
        assert_eq!(sniff(&ole, Some("application/pdf"), None), Format::Ole);
        assert_eq!(
            sniff(b"PK\x03\x04....word/document.xml....", None, Some("x.zip")),
            Format::Docx
        );
        assert_eq!(
            sniff(b"PK\x03\x04....xl/workbook.xml", None, None),
            Format::Xlsx
        );
        assert_eq!(sniff(b"PK\x03\x04....a.txt", None, None), Format::Zip);
        assert_eq!(
            sniff(b"{\\rtf1\\ansi", Some("application/msword"), Some("a.doc")),
            Format::Rtf
        );
        assert_eq!(
            sniff(
                "\u{feff}  <!DOCTYPE html><html>".as_bytes(),
                Some("application/octet-stream"),
                Some("x.pdf")
            ),
            Format::Html
        );
    }

    #[test]
    fn content_type_then_extension() {
        let junk = [1u8, 2, 3, 0, 5];
        assert_eq!(
            sniff(&junk, Some("application/msword; charset=x"), Some("a.pdf")),
            Format::Ole
        );
        assert_eq!(
            sniff(
                &junk,
                Some("application/octet-stream"),
                Some("http://x.cn/a/报告.DOCX?id=1#p")
            ),
            Format::Docx
        );
        assert_eq!(sniff(&junk, None, Some("附件.wps")), Format::Ole);
        assert_eq!(sniff(&junk, None, Some("noext")), Format::Unknown);
        assert_eq!(sniff("年度报告".as_bytes(), None, None), Format::Text);
        assert_eq!(sniff(b"", None, None), Format::Unknown);
    }

    #[test]
    fn read_attachment_refuses_what_it_does_not_read() {
        for (bytes, fmt) in [
            (&b"<html><body>x</body></html>"[..], "html"),
            ("年度报告".as_bytes(), "text"),
        ] {
            let r = read_attachment(bytes, None, None);
            assert!(
                matches!(&r, Err(FormatError::Unsupported { format }) if format == fmt),
                "{r:?}"
            );
        }
        assert!(matches!(
            read_attachment(b"PK\x03\x04 word/document.xml", None, None),
            Err(FormatError::Corrupt(_))
        ));
    }

    #[test]
    fn as_str_names() {
        assert_eq!(Format::Docx.as_str(), "docx");
        assert_eq!(Format::Ole.to_string(), "ole");
    }
}
