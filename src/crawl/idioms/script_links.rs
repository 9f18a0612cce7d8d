//! Links that are not `href`s: `onclick="window.open('…')"`,
//! `href="javascript:openLink('…')"`, `location.href='…'` in handlers.

use regex::Regex;
use std::sync::LazyLock;

static TARGET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        (?: window\.open | open[A-Z]\w* | goto\w* | go[A-Z]\w* | view\w*
          | (?:window\.|top\.|self\.|parent\.|document\.)?location(?:\.href)?\s*=
          | location\.(?:assign|replace) )
        \s*\(?\s*['"]([^'"]+)['"]"#,
    )
    .expect("static regex")
});

/// The URL a handler or `javascript:` href opens, if it names one literally.
pub fn target(js: &str) -> Option<&str> {
    let m = TARGET.captures(js)?.get(1)?.as_str().trim();
    let lower = m.to_ascii_lowercase();
    if m.is_empty() || m.starts_with('#') || lower.starts_with("javascript:") {
        return None;
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_shapes() {
        for (js, want) in [
            (
                "window.open('/art/2024/1/1/art_1_1.html')",
                Some("/art/2024/1/1/art_1_1.html"),
            ),
            (
                "javascript:openLink(\"./202401/t1.html\")",
                Some("./202401/t1.html"),
            ),
            (
                "location.href='detail.jsp?id=7';return false;",
                Some("detail.jsp?id=7"),
            ),
            (
                "window.location.href = \"../nb/2.html\"",
                Some("../nb/2.html"),
            ),
            ("javascript:void(0)", None),
            ("toggle(this)", None),
        ] {
            assert_eq!(target(js), want, "{js}");
        }
    }
}
