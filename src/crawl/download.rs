//! Downloads without a file name in the URL (`downfile.jsp?…`,
//! `download.jsp?fid=2045`): the name comes from `Content-Disposition`, as
//! RFC 6266/5987 `filename*=UTF-8''…`, a quoted `filename="…"` (raw GBK bytes
//! already read as GB18030 by the fetcher, or percent-encoded), or from the
//! handler's own `filename`/`showname` query parameters.

use url::Url;

/// The file name a `Content-Disposition` value gives, RFC 5987 form first.
pub fn content_disposition_filename(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in split_params(value) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim();
        if k == "filename*" {
            // charset'lang'percent-encoded
            let mut it = v.splitn(3, '\'');
            let (charset, _lang, enc) = (it.next()?, it.next()?, it.next()?);
            let bytes: Vec<u8> = raw_percent(enc.trim_matches('"'));
            let name = match charset.to_ascii_lowercase().as_str() {
                "gbk" | "gb2312" | "gb18030" => encoding_rs::GB18030.decode(&bytes).0.into_owned(),
                _ => String::from_utf8_lossy(&bytes).into_owned(),
            };
            extended = Some(name);
        } else if k == "filename" {
            let v = v.trim_matches('"');
            // Some servers percent-encode the plain form.
            let name = if v.contains('%') {
                let bytes = raw_percent(v);
                match std::str::from_utf8(&bytes) {
                    Ok(s) => s.to_string(),
                    Err(_) => encoding_rs::GB18030.decode(&bytes).0.into_owned(),
                }
            } else {
                v.to_string()
            };
            plain = Some(name);
        }
    }
    extended
        .or(plain)
        .map(|n| {
            n.rsplit(['/', '\\'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .filter(|n| !n.is_empty())
}

/// The display name a download handler's query carries (`showname`, `filename`, `name`).
pub fn query_filename(url: &Url) -> Option<String> {
    ["showname", "filename", "fileName", "name", "file"]
        .iter()
        .find_map(|k| {
            url.query_pairs()
                .find(|(qk, v)| qk == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
        })
}

/// A file name without its extension: the title a file gives itself.
pub fn stem(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((s, ext)) if !s.is_empty() && ext.len() <= 5 => s,
        _ => name,
    }
}

/// `;`-separated parameters, keeping `;` inside quotes.
fn split_params(v: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in v.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&v[start..]);
    out
}

/// Percent-decoding to bytes (not assuming UTF-8).
fn raw_percent(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_forms() {
        assert_eq!(
            content_disposition_filename(
                "attachment; filename=\"report.pdf\"; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf"
            )
            .as_deref(),
            Some("年报.pdf")
        );
        assert_eq!(
            content_disposition_filename("attachment;filename=%E5%B9%B4%E6%8A%A5.docx").as_deref(),
            Some("年报.docx")
        );
        // GBK percent-encoded, and a GBK name the fetcher already decoded.
        let (gbk, _, _) = encoding_rs::GBK.encode("年报.pdf");
        let enc: String = gbk.iter().map(|b| format!("%{b:02X}")).collect();
        assert_eq!(
            content_disposition_filename(&format!("attachment; filename={enc}")).as_deref(),
            Some("年报.pdf")
        );
        assert_eq!(
            content_disposition_filename("inline; filename=\"某局2023年年报.pdf\"").as_deref(),
            Some("某局2023年年报.pdf")
        );
        assert_eq!(content_disposition_filename("inline"), None);
        assert_eq!(stem("某局2023年年报.pdf"), "某局2023年年报");
    }

    #[test]
    fn handler_query_names() {
        let u = Url::parse("http://a.cn/module/download/downfile.jsp?classid=0&filename=1a2b.pdf&showname=%E5%B9%B4%E6%8A%A5.pdf").unwrap();
        assert_eq!(query_filename(&u).as_deref(), Some("年报.pdf"));
    }
}
