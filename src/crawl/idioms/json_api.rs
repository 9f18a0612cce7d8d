//! Lists built by script from a JSON API, and the links and paging of the answers.
//!
//! - Guangdong's gkmlpt: the `/gkmlpt/index` shell names its site id
//!   (`SID: '2'`) and column tree; the list comes from
//!   `/gkmlpt/api/all/{column}?page=N&sid={sid}`, answering
//!   `{"total": 145, "articles": [{"title", "url", "created_at"} …]}`.
//! - jpaas: an empty element with `url` and `queryData` attributes; the API
//!   answers JSON holding an HTML fragment.
//! - `$.ajax({url, type, data})`, `$.post(url, data)`, `$.get`, `$.getJSON`
//!   and `fetch(url, {method, body})` calls to list endpoints.
//!
//! Answers are read generically: objects with a title and a URL field, HTML
//! fragments inside string fields, and paging from `page`/`pageNo`/
//! `pageIndex` in the request with a total count or page count in the answer.

use super::{Found, Yield, encode_form, object_literal_pairs};
use crate::crawl::discover::LinkKind;
use regex::Regex;
use scraper::{Html, Selector};
use serde_json::Value;
use std::sync::LazyLock;
use url::Url;

/// Most pages generated from one answer's total.
const MAX_PAGES: u64 = 200;

static SID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bSID\s*:\s*['"]?(\w+)['"]?"#).expect("static regex"));
static TREE_NODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"['"]id['"]\s*:\s*['"]?(\d+)['"]?\s*,\s*['"]name['"]\s*:\s*['"]([^'"]+)['"]"#)
        .expect("static regex")
});
static AJAX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\.(ajax|post|get|getJSON)\s*\(|\bfetch\s*\(").expect("static regex")
});
static FIRST_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*['"]([^'"]+)['"]"#).expect("static regex"));
static URL_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\burl\s*:\s*['"]([^'"]+)['"]"#).expect("static regex"));
static METHOD_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:type|method)\s*:\s*['"](get|post)['"]"#).expect("static regex")
});
static DATA_OBJECT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)\b(?:data|body)\s*:\s*\{([^{}]*)\}").expect("static regex"));
static BODY_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bbody\s*:\s*['"]([^'"]*)['"]"#).expect("static regex"));
static SECOND_OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)^\s*['"][^'"]+['"]\s*,\s*\{([^{}]*)\}"#).expect("static regex")
});
static SCRIPT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("script:not([src])").expect("static selector"));
static JPAAS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("[querydata][url]").expect("static selector"));

/// Paging parameters of list requests, in the order they are looked for.
const PAGE_KEYS: &[&str] = &[
    "page",
    "pageNo",
    "pageIndex",
    "pageNum",
    "curPage",
    "currentPage",
    "pn",
];
/// Answer fields counting records.
const TOTAL_KEYS: &[&str] = &[
    "total",
    "totalCount",
    "total_count",
    "totalRecord",
    "recordCount",
    "totalElements",
    "post_count",
    "count",
];
/// Answer fields counting pages.
const PAGES_KEYS: &[&str] = &[
    "pageCount",
    "totalPage",
    "totalPages",
    "pages",
    "page_count",
];
/// Fields naming an item.
const TITLE_KEYS: &[&str] = &[
    "title", "name", "wjbt", "bt", "fileName", "subject", "docTitle", "text",
];
/// Fields holding an item's address.
const URL_KEYS: &[&str] = &[
    "url",
    "post_url",
    "link",
    "href",
    "linkUrl",
    "linkurl",
    "detailUrl",
    "docpuburl",
    "fileUrl",
    "file_url",
    "path",
    "pageUrl",
];
/// Words in an endpoint that make it a list (not analytics or a counter).
const LIST_WORDS: &[&str] = &[
    "list", "page", "query", "search", "api", "data", "column", "info", "article", "doc",
];

/// Endpoints named by the page's scripts and attributes.
pub fn in_page(page_url: &Url, base: &Url, html: &str, doc: &Html) -> Yield {
    let mut y = Yield::default();
    y.links.extend(gkmlpt(page_url, base, html));
    for el in doc.select(&JPAAS) {
        let v = el.value();
        let (Some(api), Some(q)) = (v.attr("url"), v.attr("querydata")) else {
            continue;
        };
        let Ok(mut url) = base.join(api.trim()) else {
            continue;
        };
        match serde_json::from_str::<Value>(q) {
            Ok(Value::Object(m)) => {
                {
                    let mut qp = url.query_pairs_mut();
                    for (k, v) in &m {
                        qp.append_pair(k, &scalar(v));
                    }
                }
                y.links.push(Found::get(url, "jpaas list", LinkKind::Api));
            }
            _ => y
                .unread_scripts
                .push(format!("jpaas list {url} with unreadable queryData")),
        }
    }
    for s in doc.select(&SCRIPT) {
        let js: String = s.text().collect();
        let calls: Vec<_> = AJAX.find_iter(&js).collect();
        for (i, m) in calls.iter().enumerate() {
            // A call's text runs to the next call (or 800 bytes), so one call's
            // fields are never read as another's.
            let end = calls.get(i + 1).map_or(js.len(), |n| n.start());
            let mut cut = end.min(m.end() + 800);
            while !js.is_char_boundary(cut) {
                cut -= 1;
            }
            let call = &js[m.end()..cut];
            let method_word = m.as_str();
            match script_call(base, method_word, call) {
                Some(Ok(found)) => y.links.push(found),
                Some(Err(why)) => y.unread_scripts.push(why),
                None => {}
            }
        }
    }
    y
}

/// One `$.ajax`/`$.post`/`fetch` call: the request it makes, an explanation
/// when it makes one nobody can read from the page, or `None` for calls that
/// are not list requests.
fn script_call(base: &Url, head: &str, call: &str) -> Option<Result<Found, String>> {
    let is_ajax_object = head.contains("ajax");
    let endpoint = if is_ajax_object {
        URL_FIELD.captures(call).map(|c| c[1].to_string())
    } else {
        FIRST_STRING.captures(call).map(|c| c[1].to_string())
    };
    let Some(endpoint) = endpoint else {
        // `$.ajax({url: someVar + …})`: a list the page builds from values it computes.
        let named = call.lines().next().unwrap_or("").trim();
        return Some(Err(format!(
            "script list request with a computed address: {}",
            &named[..named.len().min(80)]
        )));
    };
    let lower = endpoint.to_ascii_lowercase();
    if [".js", ".css", ".png", ".jpg", ".gif", ".svg", ".woff"]
        .iter()
        .any(|e| lower.split('?').next().unwrap_or("").ends_with(e))
        || !LIST_WORDS.iter().any(|w| lower.contains(w))
    {
        return None;
    }
    let mut url = base.join(&endpoint).ok()?;
    let method_post = match METHOD_FIELD.captures(call) {
        Some(c) => c[1].eq_ignore_ascii_case("post"),
        None => head.contains("post"),
    };
    let data: Vec<(String, String)> = if is_ajax_object || head.contains("fetch") {
        match (DATA_OBJECT.captures(call), BODY_STRING.captures(call)) {
            (Some(c), _) => object_literal_pairs(&c[1]),
            (None, Some(c)) => url::form_urlencoded::parse(c[1].as_bytes())
                .into_owned()
                .collect(),
            _ => Vec::new(),
        }
    } else {
        SECOND_OBJECT
            .captures(call)
            .map(|c| object_literal_pairs(&c[1]))
            .unwrap_or_default()
    };
    if method_post {
        let form = encode_form(data.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Some(Ok(Found {
            url,
            text: "script list (POST)".into(),
            kind: LinkKind::Api,
            form: Some(form),
        }))
    } else {
        if !data.is_empty() {
            let mut qp = url.query_pairs_mut();
            for (k, v) in &data {
                qp.append_pair(k, v);
            }
        }
        Some(Ok(Found::get(url, "script list", LinkKind::Api)))
    }
}

/// The gkmlpt list API of a `/gkmlpt/` shell: the 年报 columns of its tree, else
/// the column the address names (`index#721`), else all columns (`0`).
fn gkmlpt(page_url: &Url, base: &Url, html: &str) -> Vec<Found> {
    let path = page_url.path();
    let Some(at) = path.find("/gkmlpt/") else {
        return Vec::new();
    };
    let Some(sid) = SID.captures(html).map(|c| c[1].to_string()) else {
        return Vec::new();
    };
    let prefix = &path[..at + "/gkmlpt/".len()];
    let mut columns: Vec<(String, String)> = TREE_NODE
        .captures_iter(html)
        .filter(|c| ["年报", "年度报告"].iter().any(|w| c[2].contains(w)))
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    if columns.is_empty() {
        let col = page_url
            .fragment()
            .filter(|f| f.chars().all(|c| c.is_ascii_digit()) && !f.is_empty())
            .unwrap_or("0");
        columns.push((col.to_string(), "gkmlpt".into()));
    }
    columns.dedup();
    columns
        .into_iter()
        .filter_map(|(id, name)| {
            let url = base
                .join(&format!("{prefix}api/all/{id}?page=1&sid={sid}"))
                .ok()?;
            Some(Found::get(url, format!("gkmlpt {name}"), LinkKind::Api))
        })
        .collect()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Links and further pages of a JSON answer; `None` when `body` is not JSON.
pub fn in_answer(url: &Url, form: Option<&str>, body: &str) -> Option<Yield> {
    let trimmed = body.trim_start_matches('\u{feff}').trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let value: Value = serde_json::from_str(trimmed).ok()?;
    let mut y = Yield::default();
    let mut largest_list = 0usize;
    walk(url, &value, &mut y, &mut largest_list);
    y.links.extend(next_pages(url, form, &value, largest_list));
    Some(y)
}

/// Items (title + URL), HTML fragments in strings, recursively.
fn walk(base: &Url, v: &Value, y: &mut Yield, largest_list: &mut usize) {
    match v {
        Value::Array(items) => {
            *largest_list = (*largest_list).max(items.len());
            for i in items {
                walk(base, i, y, largest_list);
            }
        }
        Value::Object(m) => {
            let title = TITLE_KEYS
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str))
                .map(str::trim)
                .filter(|t| !t.is_empty());
            let link = URL_KEYS
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str))
                .map(str::trim)
                .filter(|u| !u.is_empty() && !u.starts_with('#') && !u.contains('<'));
            if let (Some(t), Some(u)) = (title, link)
                && let Ok(url) = base.join(u)
                && matches!(url.scheme(), "http" | "https")
            {
                y.links.push(Found::get(url, t, LinkKind::Other));
            }
            for (_, child) in m {
                walk(base, child, y, largest_list);
            }
        }
        Value::String(s) if s.contains("<a ") || s.contains("<A ") => y.fragments.push(s.clone()),
        _ => {}
    }
}

/// A number at `keys` anywhere in the answer (first found, breadth-first).
fn find_number(v: &Value, keys: &[&str]) -> Option<u64> {
    let mut queue = vec![v];
    while let Some(v) = queue.pop() {
        match v {
            Value::Object(m) => {
                for k in keys {
                    if let Some(n) = m.get(*k).and_then(|x| {
                        x.as_u64()
                            .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
                    }) {
                        return Some(n);
                    }
                }
                queue.extend(m.values());
            }
            Value::Array(a) => queue.extend(a.iter().take(1)),
            _ => {}
        }
    }
    None
}

/// The request's other pages, from page 2 to the last, when this is the first page.
fn next_pages(url: &Url, form: Option<&str>, answer: &Value, per_page: usize) -> Vec<Found> {
    let in_query = url
        .query_pairs()
        .find(|(k, _)| PAGE_KEYS.iter().any(|p| p.eq_ignore_ascii_case(k)));
    let in_form = form.and_then(|f| {
        url::form_urlencoded::parse(f.as_bytes())
            .find(|(k, _)| PAGE_KEYS.iter().any(|p| p.eq_ignore_ascii_case(k)))
    });
    let (key, current, in_body) = match (in_query, in_form) {
        (Some((k, v)), _) => (k.into_owned(), v.into_owned(), false),
        (None, Some((k, v))) => (k.into_owned(), v.into_owned(), true),
        _ => return Vec::new(),
    };
    let Ok(current) = current.parse::<u64>() else {
        return Vec::new();
    };
    // Pages count from 1 (or 0, pageIndex-style); only the first page fans out.
    if current > 1 {
        return Vec::new();
    }
    let pages = find_number(answer, PAGES_KEYS).or_else(|| {
        let total = find_number(answer, TOTAL_KEYS)?;
        (per_page > 0).then(|| total.div_ceil(per_page as u64))
    });
    let Some(pages) = pages else {
        return Vec::new();
    };
    let last = if current == 0 {
        pages.saturating_sub(1)
    } else {
        pages
    };
    let mut out = Vec::new();
    for n in (current + 1)..=last.min(current + MAX_PAGES) {
        let set = |pairs: Vec<(String, String)>| -> Vec<(String, String)> {
            pairs
                .into_iter()
                .map(|(k, v)| if k == key { (k, n.to_string()) } else { (k, v) })
                .collect()
        };
        let mut u = url.clone();
        let mut f = form.map(str::to_string);
        if in_body {
            let pairs = set(url::form_urlencoded::parse(form.unwrap_or("").as_bytes())
                .into_owned()
                .collect());
            f = Some(encode_form(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        } else {
            let pairs = set(url.query_pairs().into_owned().collect());
            u.set_query(None);
            u.query_pairs_mut().extend_pairs(pairs);
        }
        out.push(Found {
            url: u,
            text: format!("第{n}页"),
            kind: LinkKind::Api,
            form: f,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gkmlpt_shell_and_answer() {
        let page = Url::parse("http://gd.example.cn/gkmlpt/index").unwrap();
        let html = r#"<script>window._CONFIG = { SID: '2', TREE: [{"id":5,"name":"规划计划"},{"id":3155,"name":"政府信息公开年报"}] };</script>"#;
        let doc = Html::parse_document(html);
        let y = in_page(&page, &page, html, &doc);
        assert_eq!(y.links.len(), 1);
        assert_eq!(
            y.links[0].url.as_str(),
            "http://gd.example.cn/gkmlpt/api/all/3155?page=1&sid=2"
        );
        let answer = r#"{"total": 45, "articles": [
            {"id": 1, "title": "某局2023年政府信息公开工作年度报告", "url": "http://gd.example.cn/gkmlpt/content/0/1/post_1.html"},
            {"id": 2, "title": "某局2022年政府信息公开工作年度报告", "url": "/gkmlpt/content/0/2/post_2.html"}
        ] }"#;
        let y = in_answer(&y.links[0].url, None, answer).unwrap();
        let items: Vec<&Found> = y
            .links
            .iter()
            .filter(|f| f.kind == LinkKind::Other)
            .collect();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[1].url.as_str(),
            "http://gd.example.cn/gkmlpt/content/0/2/post_2.html"
        );
        let pages: Vec<&str> = y
            .links
            .iter()
            .filter(|f| f.kind == LinkKind::Api)
            .map(|f| f.url.as_str())
            .collect();
        // 45 records, 2 a page: pages 2 … 23.
        assert_eq!(pages.len(), 22);
        assert_eq!(
            pages[0],
            "http://gd.example.cn/gkmlpt/api/all/3155?page=2&sid=2"
        );
    }

    #[test]
    fn jpaas_and_ajax_calls() {
        let base = Url::parse("http://j.example.cn/col/ndbg/index.html").unwrap();
        let html = r#"<div id="list" url="/api-gateway/jpaas-publish-server/front/page/build/unit" querydata='{"webId":"8","pageNo":1,"columnId":"ndbg"}'></div>
<script>
$.ajax({ url: "/api/list.do", type: "POST", data: { pageNo: 1, pageSize: 10, channel: 'nb' }, success: function(d){} });
$.get('/data/more.json', { pageIndex: 1 });
fetch('/api/nb/search?page=1').then(r => r.json());
$.ajax({ url: base + '/x', type: 'get' });
$.getScript('/js/common.js');
</script>"#;
        let doc = Html::parse_document(html);
        let y = in_page(&base, &base, html, &doc);
        let got: Vec<(String, Option<String>)> = y
            .links
            .iter()
            .map(|f| (f.url.to_string(), f.form.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                // serde_json orders object keys.
                ("http://j.example.cn/api-gateway/jpaas-publish-server/front/page/build/unit?columnId=ndbg&pageNo=1&webId=8".into(), None),
                ("http://j.example.cn/api/list.do".into(), Some("pageNo=1&pageSize=10&channel=nb".into())),
                ("http://j.example.cn/data/more.json?pageIndex=1".into(), None),
                ("http://j.example.cn/api/nb/search?page=1".into(), None),
            ]
        );
        assert_eq!(y.unread_scripts.len(), 1, "{:?}", y.unread_scripts);
    }

    #[test]
    fn html_in_json_and_form_paging() {
        let url = Url::parse("http://j.example.cn/api/list.do").unwrap();
        let answer = r#"{"code":0,"data":{"html":"<li><a href='/art/1.html'>某局2023年政府信息公开工作年度报告</a></li>","pageCount":3}}"#;
        let y = in_answer(&url, Some("pageNo=1&pageSize=10"), answer).unwrap();
        assert_eq!(y.fragments.len(), 1);
        let forms: Vec<&str> = y.links.iter().filter_map(|f| f.form.as_deref()).collect();
        assert_eq!(forms, vec!["pageNo=2&pageSize=10", "pageNo=3&pageSize=10"]);
        assert!(in_answer(&url, None, "<html></html>").is_none());
    }
}
