//! 年报汇总 hubs: a page listing every unit's report under a year heading,
//! each link only the unit's name (`2023年度` … `清江浦区`). Such a link is the
//! unit's report for that year; discovery gives it the report title the hub
//! implies so the year filter and attribution can read it. The hub itself is
//! a decoy ([`crate::page::report_kind`]).

use super::Found;
use crate::crawl::discover::LinkKind;
use crate::page::report_kind::{Decoy, decoy_in_title};
use regex::Regex;
use scraper::{ElementRef, Html, Node};
use std::sync::LazyLock;
use url::Url;

static YEAR_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\D{0,6}((?:19|20)\d{2})\s*年(?:度)?").expect("static regex"));
static UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\p{Han}（）()]{2,20}(?:区|县|市|旗|局|委|办|镇|乡|街道|中心|院|厅|政府|办公室|委员会|管委会|公司|所|站|馆)$")
        .expect("static regex")
});

/// Unit-name links under year headings, when the page is a 年报 hub.
pub fn unit_links(base: &Url, page_title: &str, doc: &Html) -> Vec<Found> {
    if decoy_in_title(page_title) != Some(Decoy::Hub) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut year: Option<i32> = None;
    for node in doc.root_element().descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        let name = el.value().name();
        if name == "a" {
            let text = squeeze_text(el);
            if let (Some(y), true) = (year, UNIT.is_match(&text))
                && let Some(url) = el
                    .value()
                    .attr("href")
                    .and_then(|h| base.join(h.trim()).ok())
            {
                out.push(Found::get(
                    url,
                    format!("{text}{y}年政府信息公开工作年度报告"),
                    LinkKind::Report,
                ));
            }
            continue;
        }
        // A short element whose own text starts with a year is a year heading.
        let own: String = el
            .children()
            .filter_map(|c| match c.value() {
                Node::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect::<String>()
            .split_whitespace()
            .collect();
        if !own.is_empty()
            && own.chars().count() <= 24
            && let Some(c) = YEAR_HEADING.captures(&own)
        {
            year = c[1].parse().ok();
        }
    }
    out
}

fn squeeze_text(el: ElementRef<'_>) -> String {
    el.text()
        .flat_map(|t| t.chars())
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_under_years() {
        let base = Url::parse("http://hub.example.cn/nbhz/index.html").unwrap();
        let doc = Html::parse_document(
            r#"<h2>2023年度</h2><ul><li><a href="/qjp/2023.html">清江浦区</a></li><li><a href="/hy/2023.html">淮阴区</a></li></ul>
               <h2>2022年度</h2><ul><li><a href="/qjp/2022.html">清江浦区</a></li><li><a href="/more.html">更多</a></li></ul>"#,
        );
        let got: Vec<(String, String)> =
            unit_links(&base, "淮安市2023年政府信息公开工作年度报告汇总", &doc)
                .into_iter()
                .map(|f| (f.url.path().to_string(), f.text))
                .collect();
        assert_eq!(
            got,
            vec![
                (
                    "/qjp/2023.html".into(),
                    "清江浦区2023年政府信息公开工作年度报告".into()
                ),
                (
                    "/hy/2023.html".into(),
                    "淮阴区2023年政府信息公开工作年度报告".into()
                ),
                (
                    "/qjp/2022.html".into(),
                    "清江浦区2022年政府信息公开工作年度报告".into()
                ),
            ]
        );
        assert!(unit_links(&base, "联系我们", &doc).is_empty());
    }
}
