//! The listing, paging and linking idioms of the CMSs Chinese government
//! portals run, one file per family: what a page or a data answer links to
//! beyond its plain `<a href>`s. Pure functions over text, no I/O.
//!
//! - [`hanweb`]: 大汉 jpage record stores and `dataproxy.jsp` groups (POST).
//! - [`trs`]: TRS WCM `createPageHTML` / Chongqing `createPage` paging.
//! - [`json_api`]: lists built by script from JSON APIs (gkmlpt, jpaas,
//!   `$.ajax`/`$.post`/`fetch`), and the links and paging of their answers.
//! - [`script_links`]: `onclick="window.open(…)"`, `javascript:openLink(…)`.
//! - [`redirects`]: `<meta http-equiv="refresh">` and script redirects.
//! - [`hub`]: 年报汇总 hubs whose links are unit names under a year heading.

pub mod hanweb;
pub mod hub;
pub mod json_api;
pub mod redirects;
pub mod script_links;
pub mod trs;

use super::discover::LinkKind;
use url::Url;

/// A link an idiom found: a URL, for POST requests with a form body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The address to request.
    pub url: Url,
    /// What names it (anchor text, or what the idiom knows of it).
    pub text: String,
    /// What it is for the crawler.
    pub kind: LinkKind,
    /// `application/x-www-form-urlencoded` body: the request is a POST.
    pub form: Option<String>,
}

impl Found {
    pub(crate) fn get(url: Url, text: impl Into<String>, kind: LinkKind) -> Found {
        Found {
            url,
            text: text.into(),
            kind,
            form: None,
        }
    }
}

/// What an idiom read from a page or an answer: links, and HTML fragments
/// (records, JSON strings) whose anchors discovery reads like the page's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Yield {
    /// Requests and links the idiom read.
    pub links: Vec<Found>,
    /// HTML fragments whose anchors are links of the page.
    pub fragments: Vec<String>,
    /// Script-built listings seen but not readable (the script or endpoint named).
    pub unread_scripts: Vec<String>,
}

impl Yield {
    fn extend(&mut self, other: Yield) {
        self.links.extend(other.links);
        self.fragments.extend(other.fragments);
        self.unread_scripts.extend(other.unread_scripts);
    }
}

/// Everything the idioms find on an HTML page (already decoded and parsed).
pub fn in_page(page_url: &Url, base: &Url, html: &str, doc: &scraper::Html) -> Yield {
    let mut y = Yield::default();
    y.extend(hanweb::in_page(base, html, doc));
    y.links.extend(trs::pages(base, html));
    y.extend(json_api::in_page(page_url, base, html, doc));
    y.links.extend(redirects::in_page(base, doc));
    y
}

/// Links of a data answer (a Hanweb record store, a JSON list), or `None` when
/// `body` is not one. `url` and `form` are the request that got it, for paging.
pub fn in_answer(url: &Url, form: Option<&str>, body: &str) -> Option<Yield> {
    if let Some(y) = hanweb::in_answer(url, form, body) {
        return Some(y);
    }
    json_api::in_answer(url, form, body)
}

/// Form-encodes pairs (UTF-8, as jQuery sends them).
pub(crate) fn encode_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `key: 'value'` / `key: 12` pairs of a JavaScript object literal body; values
/// that are variables or expressions are left out.
pub(crate) fn object_literal_pairs(body: &str) -> Vec<(String, String)> {
    use std::sync::LazyLock;
    static PAIR: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r#"['"]?([A-Za-z_$][\w$]*)['"]?\s*:\s*(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(true|false))\s*(?:,|$|\})"#,
        )
        .expect("static regex")
    });
    PAIR.captures_iter(body)
        .map(|c| {
            let v = c
                .get(2)
                .or(c.get(3))
                .or(c.get(4))
                .or(c.get(5))
                .map_or("", |m| m.as_str());
            (c[1].to_string(), v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_literals() {
        let p = object_literal_pairs(
            "{ pageNo: 1, 'columnId':\"ndbg\", size : 10, q: someVar, ok: true }",
        );
        assert_eq!(
            p,
            vec![
                ("pageNo".into(), "1".into()),
                ("columnId".into(), "ndbg".into()),
                ("size".into(), "10".into()),
                ("ok".into(), "true".into()),
            ]
        );
    }
}
