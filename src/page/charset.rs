//! Decoding fetched bytes to text: HTTP header, BOM, `<meta charset>`, then detection.
//!
//! Chinese government portals still serve a good share of pages in GBK/GB2312
//! with the charset only in a `<meta>` tag, so `reqwest::Response::text()` (which
//! reads the header alone) produces mojibake. The raw bytes are archived as they
//! came; this module only decides how to read them.

use encoding_rs::Encoding;

/// Where the chosen encoding came from, recorded next to the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    Header,
    Bom,
    Meta,
    Detected,
}

impl CharsetSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Header => "header",
            CharsetSource::Bom => "bom",
            CharsetSource::Meta => "meta",
            CharsetSource::Detected => "detected",
        }
    }
}

/// Text decoded from bytes, with the encoding used and how it was chosen.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: CharsetSource,
    /// True when some bytes were not valid in the chosen encoding.
    pub had_errors: bool,
    /// The Content-Type header's charset, when it did not decode the bytes
    /// cleanly and the page was read another way (a lying header).
    pub header_overruled: Option<&'static Encoding>,
}

impl Decoded {
    /// How the encoding was chosen, as recorded with the snapshot:
    /// `meta`, or `meta; header said UTF-8` when the header was overruled.
    pub fn source_label(&self) -> String {
        match self.header_overruled {
            Some(h) => format!("{}; header said {}", self.source.as_str(), h.name()),
            None => self.source.as_str().to_string(),
        }
    }
}

/// How many leading bytes are scanned for a `<meta>` charset declaration.
/// The HTML standard says 1024; portals often put long comments first, so we look further.
const META_PRESCAN_BYTES: usize = 4096;

/// Decodes `bytes` following the HTML precedence: BOM, Content-Type header,
/// `<meta charset>` / `http-equiv`, then statistical detection tuned for `.cn`.
///
/// A header charset that does not decode the bytes cleanly (`charset=utf-8`
/// on GBK bytes, common on portals behind a misconfigured proxy) is overruled
/// by the `<meta>` declaration or detection when those decode cleanly.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    let (encoding, source) = choose_encoding(bytes, content_type);
    let (text, _, had_errors) = encoding.decode(bytes);
    if had_errors && source == CharsetSource::Header {
        let (other, other_source) = choose_encoding(bytes, None);
        if other != encoding {
            let (other_text, _, other_errors) = other.decode(bytes);
            if !other_errors {
                return Decoded {
                    text: other_text.into_owned(),
                    encoding: other,
                    source: other_source,
                    had_errors: false,
                    header_overruled: Some(encoding),
                };
            }
        }
    }
    Decoded {
        text: text.into_owned(),
        encoding,
        source,
        had_errors,
        header_overruled: None,
    }
}

/// Picks the encoding without decoding.
pub fn choose_encoding(
    bytes: &[u8],
    content_type: Option<&str>,
) -> (&'static Encoding, CharsetSource) {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return (enc, CharsetSource::Bom);
    }
    if let Some(enc) = content_type.and_then(charset_from_content_type) {
        return (normalise(enc), CharsetSource::Header);
    }
    if let Some(enc) = meta_charset(&bytes[..bytes.len().min(META_PRESCAN_BYTES)]) {
        return (normalise(enc), CharsetSource::Meta);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
    (normalise(enc), CharsetSource::Detected)
}

/// GB2312 and GBK labels map to GBK in encoding_rs; decode them as GB18030,
/// its superset, so that characters outside GBK that sites use anyway survive.
fn normalise(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        enc
    }
}

/// `text/html; charset=gbk` → GBK.
pub fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        Encoding::for_label(value.as_bytes())
    })
}

/// Finds `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">`
/// in the (ASCII-compatible) head of a document.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(at) = find(tag, b"charset") {
            let rest = &tag[at + "charset".len()..];
            let rest = trim_ascii_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_ascii_start(rest);
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let label_end = rest
                    .iter()
                    .position(|&b| {
                        b == b'"' || b == b'\'' || b == b';' || b == b' ' || b == b'/' || b == b'>'
                    })
                    .unwrap_or(rest.len());
                if let Some(enc) = Encoding::for_label(&rest[..label_end]) {
                    // A page served as UTF-16 cannot declare itself in ASCII; the spec says read it as UTF-8.
                    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                        return Some(encoding_rs::UTF_8);
                    }
                    return Some(enc);
                }
            }
        }
        from = end.max(start + 1);
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_charset_wins_over_meta() {
        let page = b"<meta charset=\"gbk\"><p>hi</p>";
        let (enc, src) = choose_encoding(page, Some("text/html; charset=UTF-8"));
        assert_eq!(enc, encoding_rs::UTF_8);
        assert_eq!(src, CharsetSource::Header);
    }

    #[test]
    fn meta_http_equiv_gb2312_reads_gbk_page() {
        let body = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>政府信息公开工作年度报告</title></head></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(body);
        let decoded = decode(&bytes, Some("text/html"));
        assert_eq!(decoded.source, CharsetSource::Meta);
        assert!(decoded.text.contains("政府信息公开工作年度报告"));
        assert!(!decoded.had_errors);
    }

    #[test]
    fn bom_wins_over_everything() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("年报".as_bytes());
        let decoded = decode(&bytes, Some("text/html; charset=gbk"));
        assert_eq!(decoded.source, CharsetSource::Bom);
        assert_eq!(decoded.text, "年报");
    }

    #[test]
    fn undeclared_gbk_is_detected() {
        let body = "沈阳市辽中区人民政府办公室2022年度政府信息公开工作年度报告。根据《中华人民共和国政府信息公开条例》相关要求，现公布年度报告。";
        let (bytes, _, _) = encoding_rs::GBK.encode(body);
        let decoded = decode(&bytes, None);
        assert_eq!(decoded.source, CharsetSource::Detected);
        assert_eq!(decoded.text, body);
    }

    #[test]
    fn unknown_header_label_falls_through_to_meta() {
        let (bytes, _, _) = encoding_rs::GBK.encode("<meta charset=gbk>报告");
        let decoded = decode(&bytes, Some("text/html; charset=x-bogus"));
        assert_eq!(decoded.source, CharsetSource::Meta);
        assert!(decoded.text.ends_with("报告"));
    }

    #[test]
    fn a_lying_header_is_overruled_by_meta_then_detection() {
        let page = "<html><head><meta charset=\"gbk\"><title>测试市人民政府2023年政府信息公开工作年度报告</title></head></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(page);
        let decoded = decode(&bytes, Some("text/html; charset=utf-8"));
        assert_eq!(decoded.text, page);
        assert_eq!(decoded.source, CharsetSource::Meta);
        assert_eq!(decoded.header_overruled, Some(encoding_rs::UTF_8));
        assert_eq!(decoded.source_label(), "meta; header said UTF-8");
        // No meta: detection.
        let body = "沈阳市辽中区人民政府办公室2022年度政府信息公开工作年度报告。根据《中华人民共和国政府信息公开条例》相关要求，现公布年度报告。";
        let (bytes, _, _) = encoding_rs::GBK.encode(body);
        let decoded = decode(&bytes, Some("text/html; charset=UTF-8"));
        assert_eq!(decoded.text, body);
        assert_eq!(decoded.source, CharsetSource::Detected);
        // A header that decodes cleanly is kept.
        let decoded = decode(body.as_bytes(), Some("text/html; charset=utf-8"));
        assert_eq!(decoded.source, CharsetSource::Header);
        assert_eq!(decoded.header_overruled, None);
    }
}
