//! The one way HTML is parsed: with its element nesting bounded first.
//!
//! An HTML parser's cost grows with the depth of open elements (scope checks
//! walk the whole stack on many tags), so 100,000 nested `<div>`s cost a
//! minute of CPU, and recursive walks of such a tree can exhaust the stack.
//! A cheap pre-pass counts open elements and, past [`MAX_DEPTH`], drops the
//! deeper start tags and their end tags. Text and links are kept; only
//! structure no real page has is lost. Elements whose end tag may be left out
//! (`p`, `li`, `td` …) and void elements are not counted, so unclosed list
//! items or cells in old portal pages never look deep.

use scraper::Html;
use std::borrow::Cow;
use std::collections::HashMap;

/// Open elements kept; far beyond any real page (portal templates reach ~40).
pub const MAX_DEPTH: usize = 256;

/// Parses a document with its nesting bounded.
pub fn parse_document(html: &str) -> Html {
    Html::parse_document(&bounded(html))
}

/// Parses a fragment with its nesting bounded.
pub fn parse_fragment(html: &str) -> Html {
    Html::parse_fragment(&bounded(html))
}

/// Never pushed on our stack (nor dropped): void elements, those whose end
/// tag is optional, and `a`, which the parser never nests (a new `<a>` closes
/// the open one) and which carries the links we crawl for.
fn uncounted(name: &str) -> bool {
    matches!(
        name,
        "a" | "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "frame"
            | "keygen"
            | "basefont"
            | "bgsound"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "option"
            | "optgroup"
            | "tbody"
            | "thead"
            | "tfoot"
            | "colgroup"
            | "caption"
            | "rb"
            | "rt"
            | "rp"
            | "rtc"
            | "html"
            | "head"
            | "body"
    )
}

/// Elements whose content is raw text: no tags inside them are counted.
fn raw_text(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "plaintext"
    )
}

/// `html` with start tags past [`MAX_DEPTH`] (and their end tags) removed;
/// borrowed unchanged when nothing is that deep.
pub fn bounded(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    // Open elements as the byte ranges of their names in `html` (no copy per tag:
    // this runs before every parse).
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut suppressed: HashMap<String, usize> = HashMap::new();
    // Byte ranges to drop.
    let mut drops: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr_lt(&bytes[i..]) {
        let start = i + off;
        let rest = &bytes[start..];
        if rest.starts_with(b"<!--") {
            i = find(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            i = find(bytes, start, b">").map_or(bytes.len(), |e| e + 1);
            continue;
        }
        let (closing, name_at) = if rest.starts_with(b"</") {
            (true, start + 2)
        } else {
            (false, start + 1)
        };
        if !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            i = start + 1;
            continue;
        }
        let name_end = bytes[name_at..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
            .map_or(bytes.len(), |p| name_at + p);
        let raw_name = &html[name_at..name_end];
        // Every name the lists below know is short: a longer one is none of them.
        let mut short = [0u8; 16];
        let name = match short.get_mut(..raw_name.len()) {
            // Nearly every page writes its tags in lower case: no copy then.
            Some(_) if !raw_name.bytes().any(|b| b.is_ascii_uppercase()) => raw_name,
            Some(buf) => {
                buf.copy_from_slice(raw_name.as_bytes());
                buf.make_ascii_lowercase();
                std::str::from_utf8(buf).unwrap_or("")
            }
            None => "",
        };
        let end = tag_end(bytes, name_end);
        i = end;
        if closing {
            if uncounted(name) {
                continue;
            }
            // Only a page past the depth cap has suppressed tags: no lookup (and no copy) otherwise.
            let suppressed_here = match suppressed.is_empty() {
                true => None,
                false => suppressed
                    .get_mut(&raw_name.to_ascii_lowercase())
                    .filter(|n| **n > 0),
            };
            if let Some(n) = suppressed_here {
                *n -= 1;
                drops.push((start, end));
            } else if let Some(pos) = stack
                .iter()
                .rposition(|&(s, e)| html[s..e].eq_ignore_ascii_case(raw_name))
            {
                stack.truncate(pos);
            }
            continue;
        }
        if raw_text(name) {
            // Skip to its end tag; the element itself still counts as one level for
            // a moment only, so it is neither pushed nor dropped.
            let close = format!("</{name}");
            i = find_ci(bytes, end, close.as_bytes()).unwrap_or(bytes.len());
            continue;
        }
        if uncounted(name) {
            continue;
        }
        if stack.len() >= MAX_DEPTH {
            *suppressed.entry(raw_name.to_ascii_lowercase()).or_default() += 1;
            drops.push((start, end));
        } else {
            stack.push((name_at, name_end));
        }
    }
    if drops.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for (s, e) in drops {
        out.push_str(&html[at..s]);
        at = e;
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'<', b)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|p| from + p)
}

/// `needle` starts with `<`: only the places of a `<` are compared.
fn find_ci(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = b.get(from..)?;
    memchr::memchr_iter(b'<', hay)
        .find(|&p| {
            hay.get(p..p + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        })
        .map(|p| from + p)
}

/// The byte after a tag's `>`, skipping quoted attribute values (the end of the
/// input when the tag or a quote is never closed).
fn tag_end(b: &[u8], mut i: usize) -> usize {
    while let Some(p) = memchr::memchr3(b'"', b'\'', b'>', &b[i..]) {
        let at = i + p;
        if b[at] == b'>' {
            return at + 1;
        }
        match memchr::memchr(b[at], &b[at + 1..]) {
            Some(close) => i = at + 1 + close + 1,
            None => return b.len(),
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(dom: &Html) -> usize {
        dom.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn deep_nesting_is_bounded_and_text_and_links_kept() {
        let n = 20_000;
        let html = format!(
            "<html><body>{}<a href=\"/r.html\">年度报告</a>{}<p>after</p></body></html>",
            "<div class=\"x\">".repeat(n),
            "</div>".repeat(n)
        );
        let dom = parse_document(&html);
        assert!(depth(&dom) <= MAX_DEPTH + 8, "depth {}", depth(&dom));
        let a = scraper::Selector::parse("a").unwrap();
        let link = dom.select(&a).next().expect("the deep link survives");
        assert_eq!(link.value().attr("href"), Some("/r.html"));
        let text: String = dom.root_element().text().collect();
        assert!(
            text.contains("年度报告") && text.ends_with("after"),
            "{text}"
        );
    }

    #[test]
    fn ordinary_pages_are_left_alone() {
        let rows = "<tr><td>a<td>b".repeat(2000);
        let items = "<li>x".repeat(2000);
        let html = format!(
            "<html><head><script>if (a<b) {{ document.write('<div>') }}</script></head><body><table>{rows}</table><ul>{items}</ul><!-- <div> --><p>one<p>two</body></html>"
        );
        assert!(matches!(bounded(&html), Cow::Borrowed(_)));
    }

    #[test]
    fn unbalanced_and_quoted_tags_do_not_confuse_the_count() {
        let html = format!(
            "{}<span title=\"a > b\">deep</span>{}",
            "<b>".repeat(MAX_DEPTH + 10),
            "</b>".repeat(MAX_DEPTH + 10)
        );
        let out = bounded(&html);
        assert_eq!(out.matches("<b>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</b>").count(), MAX_DEPTH);
        // The `>` inside the quoted attribute did not end the tag early.
        let kept = MAX_DEPTH;
        assert_eq!(
            out,
            format!("{}deep{}", "<b>".repeat(kept), "</b>".repeat(kept))
        );
    }

    #[test]
    fn tag_ends_skip_both_quotes_and_stop_at_an_unclosed_one() {
        let b = br#"<a title='x > "y"' href="/r>1">t"#;
        assert_eq!(tag_end(b, 2), b.len() - 1);
        assert_eq!(tag_end(br#"<a title="open>"#, 2), 15);
        assert_eq!(tag_end(b"<br", 1), 3);
        assert_eq!(tag_end(b"<p>", 3), 3);
    }

    #[test]
    fn upper_case_tags_count_as_their_lower_case_names() {
        let html = format!(
            "{}deep{}<P>after",
            "<DIV>".repeat(MAX_DEPTH + 5),
            "</Div>".repeat(MAX_DEPTH + 5)
        );
        let out = bounded(&html);
        assert_eq!(out.matches("<DIV>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</Div>").count(), MAX_DEPTH);
        assert_eq!(
            out,
            format!(
                "{}deep{}<P>after",
                "<DIV>".repeat(MAX_DEPTH),
                "</Div>".repeat(MAX_DEPTH)
            )
        );
    }
}
