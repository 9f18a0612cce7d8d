//! When a page needs a browser: its links give nothing useful while its
//! markup or scripts show a list built by script, or its host is listed in
//! `[render] hosts`. Pure: the same page always gets the same answer.

use scraper::{ElementRef, Html, Selector};
use std::sync::LazyLock;

/// Why a page is to be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderDecision {
    /// Human-readable reason, recorded on the page.
    pub reason: String,
}

/// What the decision looks at.
pub struct PageSignals<'a> {
    /// The parsed page.
    pub dom: &'a Html,
    /// Report, attachment and pagination links the static rules found on it.
    pub useful_links: usize,
    /// The host is listed in `[render] hosts`.
    pub host_listed: bool,
    /// `[render] auto`: decide from the markup too.
    pub auto: bool,
}

static CONTAINERS: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse("ul[id], ul[class], ol[id], ol[class], tbody[id], tbody[class], div[id], div[class], table[id], table[class]")
        .expect("static selector")
});
static SHELLS: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse("#app, #root, #__next, #__nuxt, [ng-app], [data-reactroot], [v-cloak]")
        .expect("static selector")
});
static SCRIPTS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("script").expect("static selector"));
static BODY: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("body").expect("static selector"));
static ITEMS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href], li, tr").expect("static selector"));

/// Words in an id or class that name a list of documents.
const LIST_WORDS: &[&str] = &["list", "lb", "news", "article", "items", "xxgk", "gknr"];

/// Calls that load data after the page arrives, or unpack a script that does.
const LOADERS: &[&str] = &[
    "XMLHttpRequest",
    "fetch(",
    "$.ajax",
    "$.get",
    "$.post",
    "$.getJSON",
    "jQuery.ajax",
    "axios",
    ".load(",
    "eval(",
    "atob(",
    "Function(",
];

/// The decision for one page: `Some` when it should be rendered, with the reason.
pub fn decide(s: &PageSignals<'_>) -> Option<RenderDecision> {
    if s.host_listed {
        return Some(RenderDecision {
            reason: "host listed in [render] hosts".into(),
        });
    }
    if !s.auto || s.useful_links > 0 {
        return None;
    }
    let reason = empty_list_container(s.dom)
        .map(|c| format!("empty list container {c}"))
        .or_else(|| spa_shell(s.dom).map(|c| format!("single-page-app shell {c}")))
        .or_else(|| list_loader(s.dom).map(|l| format!("script loads the page's content ({l})")))?;
    Some(RenderDecision { reason })
}

/// A container named like a list that holds no entries.
fn empty_list_container(dom: &Html) -> Option<String> {
    dom.select(&CONTAINERS).find_map(|el| {
        let name = describe(el);
        let lower = name.to_ascii_lowercase();
        let listy = LIST_WORDS.iter().any(|w| lower.contains(w));
        let empty = el.select(&ITEMS).next().is_none() && el.text().all(|t| t.trim().is_empty());
        (listy && empty).then_some(name)
    })
}

/// An application mount point with (next to) nothing in it.
fn spa_shell(dom: &Html) -> Option<String> {
    let mount = dom.select(&SHELLS).next()?;
    let body_text: usize = dom
        .select(&BODY)
        .next()
        .map(|b| b.text().map(|t| t.trim().chars().count()).sum())
        .unwrap_or(0);
    let mount_text: usize = mount.text().map(|t| t.trim().chars().count()).sum();
    (mount_text < 40 && body_text < 400).then(|| describe(mount))
}

/// An inline script that fetches data or decodes code at run time.
fn list_loader(dom: &Html) -> Option<&'static str> {
    dom.select(&SCRIPTS)
        .filter(|s| s.value().attr("src").is_none())
        .find_map(|s| {
            let code: String = s.text().collect();
            LOADERS.iter().copied().find(|l| code.contains(l))
        })
}

fn describe(el: ElementRef<'_>) -> String {
    let v = el.value();
    let mut s = v.name().to_string();
    if let Some(id) = v.id() {
        s.push('#');
        s.push_str(id);
    }
    for c in v.classes() {
        s.push('.');
        s.push_str(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide_html(html: &str, useful: usize, listed: bool, auto: bool) -> Option<String> {
        let dom = Html::parse_document(html);
        decide(&PageSignals {
            dom: &dom,
            useful_links: useful,
            host_listed: listed,
            auto,
        })
        .map(|d| d.reason)
    }

    #[test]
    fn an_empty_list_container_needs_rendering() {
        let html = r#"<html><body><h1>年报</h1><ul id="newsList" class="list"></ul></body></html>"#;
        assert_eq!(
            decide_html(html, 0, false, true).as_deref(),
            Some("empty list container ul#newsList.list")
        );
    }

    #[test]
    fn a_filled_list_does_not() {
        let html = r#"<html><body><ul class="list"><li><a href="/a.html">x</a></li></ul>
            <script>$.ajax({url:'/x'})</script></body></html>"#;
        // The container has entries, and links were found: the static rules did their job.
        assert_eq!(decide_html(html, 2, false, true), None);
        let no_useful =
            r#"<html><body><ul class="list"><li><a href="/a.html">x</a></li></ul></body></html>"#;
        assert_eq!(decide_html(no_useful, 0, false, true), None);
    }

    #[test]
    fn useful_links_win_over_markup_signals() {
        let html = r#"<html><body><div id="list"></div></body></html>"#;
        assert_eq!(decide_html(html, 1, false, true), None);
    }

    #[test]
    fn an_spa_shell_needs_rendering() {
        let html = r#"<html><head><script src="/app.js"></script></head><body><div id="app"></div></body></html>"#;
        assert_eq!(
            decide_html(html, 0, false, true).as_deref(),
            Some("single-page-app shell div#app")
        );
    }

    #[test]
    fn a_list_loading_script_needs_rendering() {
        let html = r#"<html><body><p>欢迎</p><script>var _0x=atob('Zm9v');new Function(_0x)()</script></body></html>"#;
        assert_eq!(
            decide_html(html, 0, false, true).as_deref(),
            Some("script loads the page's content (atob()")
        );
        let xhr = r#"<html><body><div class="box"></div><script>var x=new XMLHttpRequest();</script></body></html>"#;
        assert!(
            decide_html(xhr, 0, false, true)
                .unwrap()
                .contains("XMLHttpRequest")
        );
    }

    #[test]
    fn a_plain_page_with_nothing_useful_is_left_alone() {
        let html = r#"<html><body><p>关于我们</p><script src="/stats.js"></script></body></html>"#;
        assert_eq!(decide_html(html, 0, false, true), None);
    }

    #[test]
    fn a_listed_host_is_always_rendered_and_auto_off_only_renders_listed_hosts() {
        let plain = "<html><body><p>x</p></body></html>";
        assert_eq!(
            decide_html(plain, 5, true, false).as_deref(),
            Some("host listed in [render] hosts")
        );
        let shell = r#"<html><body><div id="app"></div></body></html>"#;
        assert_eq!(decide_html(shell, 0, false, false), None);
    }
}
