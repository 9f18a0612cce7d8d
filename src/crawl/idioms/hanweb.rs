//! Hanweb (大汉) jpage list modules.
//!
//! A column page carries its first records in
//! `<script type="text/xml"><datastore><nextgroup>…</nextgroup><recordset>
//! <record><![CDATA[<li><a href=…>…]]></record>…`; the rest come only from
//! `/module/web/jpage/dataproxy.jsp?startrecord=N&endrecord=M&perpage=K`,
//! POSTed with the column's parameters (`col`, `appid`, `webid`, `path`,
//! `columnid`, `unitid`, `permissiontype` …) as public spiders of jsgzw /
//! fzggw.jiangsu.gov.cn send them, and answering the same record store (as
//! `text/xml` or `text/html`). Records are read as XML, CDATA included: an
//! HTML parser would end the CDATA at its first `>`.

use super::{Found, Yield, encode_form, object_literal_pairs};
use crate::crawl::discover::LinkKind;
use quick_xml::Reader;
use quick_xml::events::Event;
use regex::Regex;
use scraper::{Html, Selector};
use std::sync::LazyLock;
use url::Url;

/// The proxy every jpage install answers at unless the page names another.
pub const DEFAULT_PROXY: &str = "/module/web/jpage/dataproxy.jsp";
/// Most groups generated for one column: a listing, not a trap.
const MAX_GROUPS: u64 = 200;

/// One record store, as parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataStore {
    /// Each record's HTML (CDATA or escaped text).
    pub records: Vec<String>,
    /// The `<nextgroup>` HTML (an `<a href>` carrying the column's parameters).
    pub nextgroup: Option<String>,
    /// `<totalrecord>`, when the store states it.
    pub total: Option<u64>,
}

/// Parses the first `<datastore>` in `text`; `None` when there is none.
pub fn parse_datastore(text: &str) -> Option<DataStore> {
    let start = text.find("<datastore")?;
    let mut reader = Reader::from_str(&text[start..]);
    reader.config_mut().check_end_names = false;
    let mut store = DataStore::default();
    let mut current: Option<String> = None;
    let mut buf = String::new();
    // A broken tail keeps what was read before it.
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) => {
                let name = e.name().0.to_ascii_lowercase();
                if matches!(name.as_str(), "record" | "nextgroup" | "totalrecord") {
                    current = Some(name);
                    buf.clear();
                }
            }
            Event::Text(t) if current.is_some() => buf.push_str(&t.xml10_content()),
            Event::CData(t) if current.is_some() => buf.push_str(&t.into_inner()),
            Event::GeneralRef(r) if current.is_some() => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    buf.push(c);
                } else if let Some(s) =
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                {
                    buf.push_str(s);
                } else {
                    buf.push('&');
                    buf.push_str(&r.xml10_content());
                    buf.push(';');
                }
            }
            Event::End(e) => {
                let name = e.name().0.to_ascii_lowercase();
                if current.as_deref() == Some(name.as_str()) {
                    let value = std::mem::take(&mut buf);
                    match name.as_str() {
                        "record" => store.records.push(value),
                        "nextgroup" => store.nextgroup = Some(value),
                        _ => store.total = value.trim().parse().ok(),
                    }
                    current = None;
                }
                if name == "datastore" {
                    break;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(store)
}

static SCRIPT_XML: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("script").expect("static selector"));
static A_HREF: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("static selector"));
static TOTAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)total_?record\s*[:=]\s*['"]?(\d{1,7})"#).expect("static regex")
});
static PER_PAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)per_?page\s*[:=]\s*['"]?(\d{1,4})"#).expect("static regex"));
static GROUP_SIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)group_?size\s*[:=]\s*['"]?(\d{1,3})"#).expect("static regex")
});
static PROXY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)proxy_?url\s*[:=]\s*['"]([^'"]+)['"]"#).expect("static regex")
});
static AJAX_PARAM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)ajaxParam\s*:\s*\{([^{}]*)\}").expect("static regex"));

/// Paging keys of the proxy's query; the rest of a nextgroup link are the column's parameters.
const PAGING_KEYS: &[&str] = &["startrecord", "endrecord", "perpage", "page"];

/// Records and further groups of the jpage modules on a column page.
pub fn in_page(base: &Url, html: &str, doc: &Html) -> Yield {
    let mut y = Yield::default();
    for script in doc.select(&SCRIPT_XML) {
        let body: String = script.text().collect();
        if !body.contains("<datastore") {
            continue;
        }
        let Some(store) = parse_datastore(&body) else {
            continue;
        };
        let embedded = store.records.len() as u64;
        y.fragments.extend(store.records.iter().cloned());
        let total = store
            .total
            .or_else(|| TOTAL.captures(html).and_then(|c| c[1].parse().ok()));
        let per_page: u64 = PER_PAGE
            .captures(html)
            .and_then(|c| c[1].parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(15);
        let group_size: u64 = GROUP_SIZE
            .captures(html)
            .and_then(|c| c[1].parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(3);
        let proxy = PROXY
            .captures(html)
            .map_or(DEFAULT_PROXY.to_string(), |c| c[1].to_string());
        let Ok(proxy) = base.join(&proxy) else {
            continue;
        };
        let params = column_params(base, store.nextgroup.as_deref(), html);
        if params.is_empty() {
            y.unread_scripts.push(format!(
                "Hanweb jpage list without column parameters ({proxy})"
            ));
            continue;
        }
        // `morecolumndataproxy.jsp` ("加载更多") pages by GET `page=N` with the
        // column's parameters in the query.
        if proxy.path().ends_with("morecolumndataproxy.jsp") {
            if embedded > 0 {
                y.links.push(page_request(&proxy, &params, 2));
            }
            continue;
        }
        let group = per_page * group_size;
        let first = embedded + 1;
        let last = match total {
            Some(t) => t,
            // Unknown total: ask for the next group; its answer asks for the one after.
            None if embedded > 0 => embedded + group,
            None => continue,
        };
        y.links
            .extend(groups(&proxy, &params, first, last, group, per_page));
    }
    y
}

/// The GET request for page `n` of a `morecolumndataproxy.jsp` list.
fn page_request(proxy: &Url, params: &[(String, String)], n: u64) -> Found {
    let mut url = proxy.clone();
    url.set_query(None);
    url.query_pairs_mut()
        .append_pair("page", &n.to_string())
        .extend_pairs(params.iter().filter(|(k, _)| k != "page"));
    Found::get(url, format!("第{n}页"), LinkKind::Api)
}

/// The POST requests for records `first..=last`, `group` at a time.
fn groups(
    proxy: &Url,
    params: &[(String, String)],
    first: u64,
    last: u64,
    group: u64,
    per_page: u64,
) -> Vec<Found> {
    let form = encode_form(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut out = Vec::new();
    let mut start = first;
    while start <= last && (out.len() as u64) < MAX_GROUPS {
        let end = (start + group - 1).min(last);
        let mut url = proxy.clone();
        url.set_query(None);
        url.query_pairs_mut()
            .append_pair("startrecord", &start.to_string())
            .append_pair("endrecord", &end.to_string())
            .append_pair("perpage", &per_page.to_string());
        out.push(Found {
            url,
            text: format!("records {start}-{end}"),
            kind: LinkKind::Api,
            form: Some(form.clone()),
        });
        start = end + 1;
    }
    out
}

/// The column's parameters: the nextgroup link's query, the script's
/// `ajaxParam`, and `col=1` as the jpage script adds it.
fn column_params(base: &Url, nextgroup: Option<&str>, html: &str) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = Vec::new();
    let mut add = |k: String, v: String| {
        if !PAGING_KEYS.contains(&k.to_ascii_lowercase().as_str())
            && !params.iter().any(|(pk, _)| *pk == k)
        {
            params.push((k, v));
        }
    };
    if let Some(ng) = nextgroup {
        let frag = crate::formats::nesting::parse_fragment(ng);
        if let Some(u) = frag
            .select(&A_HREF)
            .next()
            .and_then(|a| a.value().attr("href"))
            .and_then(|h| base.join(h.trim()).ok())
        {
            for (k, v) in u.query_pairs() {
                add(k.into_owned(), v.into_owned());
            }
        }
    }
    if let Some(c) = AJAX_PARAM.captures(html) {
        for (k, v) in object_literal_pairs(&c[1]) {
            add(k, v);
        }
    }
    if !params.iter().any(|(k, _)| k == "columnid") {
        return Vec::new();
    }
    if !params.iter().any(|(k, _)| k == "col") {
        params.insert(0, ("col".into(), "1".into()));
    }
    params
}

/// Records of a `dataproxy.jsp` answer, and the next groups: every group to
/// the last record when the store states its total, else the next one while
/// groups come back full.
pub fn in_answer(url: &Url, form: Option<&str>, body: &str) -> Option<Yield> {
    let head = body.trim_start_matches('\u{feff}').trim_start();
    let is_store = head.starts_with("<?xml") && body.contains("<datastore")
        || head.starts_with("<datastore")
        || url.path().ends_with("dataproxy.jsp") && body.contains("<datastore");
    if !is_store {
        return None;
    }
    let store = parse_datastore(body)?;
    let mut y = Yield {
        fragments: store.records.clone(),
        ..Default::default()
    };
    let q = |k: &str| -> Option<u64> {
        url.query_pairs()
            .find(|(qk, _)| qk.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| v.parse().ok())
    };
    if let (Some(start), Some(end), Some(form)) = (q("startrecord"), q("endrecord"), form) {
        let per_page = q("perpage").unwrap_or(15).max(1);
        let group = (end + 1).saturating_sub(start).max(1);
        let params: Vec<(String, String)> = url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
        let last = match store.total {
            Some(t) => t,
            None if store.records.len() as u64 >= group => end + group,
            None => end,
        };
        let mut proxy = url.clone();
        proxy.set_query(None);
        y.links
            .extend(groups(&proxy, &params, end + 1, last, group, per_page));
    } else if let (Some(page), None) = (q("page"), form)
        && !store.records.is_empty()
        && page < MAX_GROUPS
    {
        // A GET page of records: the next page, while pages come back with records.
        let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let mut proxy = url.clone();
        proxy.set_query(None);
        y.links.push(page_request(&proxy, &params, page + 1));
    }
    Some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORE: &str = r#"<datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=39&path=/&columnid=61490&unitid=247686&webname=%E7%9C%81%E5%9B%BD%E8%B5%84%E5%A7%94&permissiontype=0"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2024/1/20/art_61490_1.html" title="某局2023年政府信息公开工作年度报告">某局2023年政府信息公开工作年度报告</a><span>2024-01-20</span></li>]]></record>
<record><![CDATA[<li><a href='/art/2023/1/20/art_61490_0.html'>a &gt; b 2022年</a></li>]]></record>
</recordset></datastore>"#;

    #[test]
    fn cdata_records_are_read_whole() {
        let s = parse_datastore(STORE).unwrap();
        assert_eq!(s.records.len(), 2);
        assert!(s.records[0].contains("<span>2024-01-20</span></li>"));
        assert!(s.records[1].contains("a &gt; b 2022年"));
        assert!(s.nextgroup.unwrap().contains("columnid=61490"));
    }

    #[test]
    fn a_page_asks_for_every_group_by_post() {
        let base = Url::parse("http://jsgzw.example.cn/col/col61490/index.html").unwrap();
        let html = format!(
            "<div id='247686'><script type='text/xml'>{STORE}</script></div>\
             <script>$('#247686').jpage({{totalRecord:58, perPage:10, groupSize:2, proxyUrl:'/module/web/jpage/dataproxy.jsp'}});</script>"
        );
        let doc = Html::parse_document(&html);
        let y = in_page(&base, &html, &doc);
        assert_eq!(y.fragments.len(), 2);
        let urls: Vec<String> = y
            .links
            .iter()
            .map(|f| f.url.query().unwrap().to_string())
            .collect();
        assert_eq!(
            urls,
            vec![
                "startrecord=3&endrecord=22&perpage=10",
                "startrecord=23&endrecord=42&perpage=10",
                "startrecord=43&endrecord=58&perpage=10"
            ]
        );
        let form = y.links[0].form.as_deref().unwrap();
        assert!(
            form.starts_with("col=1&appid=1&webid=39&path=%2F&columnid=61490&unitid=247686"),
            "{form}"
        );
        assert!(!form.contains("page=1"));
    }

    #[test]
    fn an_answer_asks_for_the_next_group_while_full() {
        let url = Url::parse(
            "http://h.cn/module/web/jpage/dataproxy.jsp?startrecord=3&endrecord=4&perpage=2",
        )
        .unwrap();
        let y = in_answer(&url, Some("col=1&columnid=5"), STORE).unwrap();
        assert_eq!(y.fragments.len(), 2);
        assert_eq!(y.links.len(), 1);
        assert_eq!(
            y.links[0].url.query(),
            Some("startrecord=5&endrecord=6&perpage=2")
        );
        let html = "<html><body>not a store</body></html>";
        assert!(in_answer(&url, None, html).is_none());
    }

    #[test]
    fn more_column_proxy_pages_by_get_until_empty() {
        let base = Url::parse("http://www.iachina.example/col/col44/index.html").unwrap();
        let html = format!(
            "<script type='text/xml'>{STORE}</script>\
             <script>var proxyUrl = '/module/web/jpage/morecolumndataproxy.jsp';</script>"
        );
        let doc = Html::parse_document(&html);
        let y = in_page(&base, &html, &doc);
        assert_eq!(y.links.len(), 1);
        let next = &y.links[0];
        assert_eq!(next.form, None);
        assert!(next.url.as_str().starts_with("http://www.iachina.example/module/web/jpage/morecolumndataproxy.jsp?page=2&col=1&appid=1"), "{}", next.url);
        let y2 = in_answer(&next.url, None, STORE).unwrap();
        assert!(
            y2.links[0].url.as_str().contains("page=3&"),
            "{}",
            y2.links[0].url
        );
        let empty = "<datastore><recordset></recordset></datastore>";
        assert!(in_answer(&next.url, None, empty).unwrap().links.is_empty());
    }
}
