//! Redirects that are not HTTP: `<meta http-equiv="refresh" content="0;url=…">`
//! and script redirects (`window.location.href = "./…"`, `location.replace(…)`)
//! in a page's inline scripts. They are followed like links, under the same
//! scope, robots.txt and politeness rules.

use super::Found;
use crate::crawl::discover::LinkKind;
use regex::Regex;
use scraper::{Html, Selector};
use std::sync::LazyLock;
use url::Url;

static META: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("meta[http-equiv]").expect("static selector"));
static SCRIPT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("script:not([src])").expect("static selector"));
static REFRESH_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)^\s*\d*\s*[;,]?\s*url\s*=\s*['"]?([^'"]+?)['"]?\s*$"#).expect("static regex")
});
static SCRIPT_REDIRECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:(?:window|top|self|document)\.)?location(?:\.href)?\s*=\s*['"]([^'"]+)['"]|location\.(?:replace|assign)\(\s*['"]([^'"]+)['"]\s*\)"#,
    )
    .expect("static regex")
});

/// Meta-refresh and script redirect targets of a page.
pub fn in_page(base: &Url, doc: &Html) -> Vec<Found> {
    let mut out = Vec::new();
    for m in doc.select(&META) {
        let v = m.value();
        if !v
            .attr("http-equiv")
            .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
        {
            continue;
        }
        if let Some(target) = v
            .attr("content")
            .and_then(|c| REFRESH_URL.captures(c))
            .and_then(|c| c.get(1))
            .and_then(|t| base.join(t.as_str().trim()).ok())
        {
            out.push(Found::get(target, "meta refresh", LinkKind::Redirect));
        }
    }
    for s in doc.select(&SCRIPT) {
        let body: String = s.text().collect();
        for c in SCRIPT_REDIRECT.captures_iter(&body) {
            let Some(t) = c.get(1).or(c.get(2)) else {
                continue;
            };
            if in_named_function(&body, t.start()) {
                continue;
            }
            let t = t.as_str().trim();
            // `'/search?q=' + v` is a handler building an address, not a redirect.
            let concatenated = body[c.get(0).map_or(0, |m| m.end())..]
                .trim_start()
                .starts_with('+');
            if t.is_empty()
                || concatenated
                || t.starts_with('#')
                || t.to_ascii_lowercase().starts_with("javascript:")
            {
                continue;
            }
            if let Ok(target) = base.join(t) {
                out.push(Found::get(target, "script redirect", LinkKind::Redirect));
            }
        }
    }
    out
}

static NAMED_FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"function\s+[A-Za-z_$][\w$]*\s*\([^)]*\)\s*$").expect("static regex")
});

/// True when `at` sits inside a named function's body (`function go(){ location.href = … }`):
/// a handler run on a click, not a redirect run on load.
fn in_named_function(js: &str, at: usize) -> bool {
    let mut depth = 0i32;
    for (i, c) in js[..at].char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' if depth > 0 => depth -= 1,
            '{' if NAMED_FUNCTION.is_match(&js[..i]) => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_and_script() {
        let base = Url::parse("http://a.gov.cn/xxgk/index.html").unwrap();
        let doc = Html::parse_document(
            r#"<html><head><meta http-equiv="Refresh" content="0; URL='./nb/index.html'"></head>
            <body><script>window.location.href = "../gk/list.html";</script>
            <script>setTimeout(function(){location.replace('/x/y.html')}, 10)</script>
            <script>function goSearch(v){ if (v) { location.href = '/search/a.html'; } }
            function more(){ window.location.href = '/list?page=' + n; }</script></body></html>"#,
        );
        let got: Vec<String> = in_page(&base, &doc)
            .into_iter()
            .map(|f| f.url.to_string())
            .collect();
        assert_eq!(
            got,
            vec![
                "http://a.gov.cn/xxgk/nb/index.html",
                "http://a.gov.cn/gk/list.html",
                "http://a.gov.cn/x/y.html"
            ]
        );
    }
}
