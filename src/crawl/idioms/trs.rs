//! TRS WCM paging: `createPageHTML(count, index, "index", "html")` in all its
//! argument shapes (a leading container id, `countPage`/`currentPage`
//! variables) and Chongqing's `createPage(count, index, "index", "html")`:
//! the listing's further pages are `index_1.html` … `index_{count-1}.html`.

use super::Found;
use crate::crawl::discover::LinkKind;
use regex::Regex;
use std::sync::LazyLock;
use url::Url;

/// Highest page count taken from a `createPageHTML` call; larger numbers are
/// a broken template or a trap, not a listing.
const MAX_GENERATED_PAGES: i64 = 500;

static RE_CREATE_PAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bcreatePage(?:HTML)?\s*\(([^()]*)\)").expect("static regex"));

/// The further pages of a TRS listing, as pagination links.
pub fn pages(base: &Url, html: &str) -> Vec<Found> {
    create_page_links(base, html)
        .into_iter()
        .map(|url| {
            let text = format!("第{}页", page_number_of(&url));
            Found::get(url, text, LinkKind::Pagination)
        })
        .collect()
}

/// Pages named by TRS/Hanweb `createPageHTML(total, current, "index", "html")`
/// calls, in any of the argument shapes seen on portals.
pub fn create_page_links(base: &Url, html: &str) -> Vec<Url> {
    let mut out = Vec::new();
    for cap in RE_CREATE_PAGE.captures_iter(html) {
        let args: Vec<&str> = cap[1].split(',').map(str::trim).collect();
        let Some((total, prefix, ext)) = read_create_page_args(&args, html) else {
            continue;
        };
        for n in 0..total {
            let name = if n == 0 {
                format!("{prefix}.{ext}")
            } else {
                format!("{prefix}_{n}.{ext}")
            };
            if let Ok(u) = base.join(&name) {
                out.push(u);
            }
        }
    }
    out
}

/// Reads (page count, file prefix, extension) from the call's arguments.
///
/// The first numeric argument is the page count, the next the current page;
/// the first two string arguments after them are prefix and extension (a
/// leading string such as `'page_div'` is a container id). Arguments given as
/// variables (`createPageHTML(countPage, currentPage, ...)`) are looked up in
/// the page's script (`var countPage = 5`). The function's own definition
/// (`function createPageHTML(_nPageCount, ...)`) yields no count and is skipped.
fn read_create_page_args(args: &[&str], html: &str) -> Option<(i64, String, String)> {
    let num = |a: &str| -> Option<i64> {
        if let Ok(n) = a.parse::<i64>() {
            return Some(n);
        }
        if a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && a.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return variable_value(html, a);
        }
        None
    };
    let unquote = |a: &str| -> Option<String> {
        let a = a.trim();
        let q = a.chars().next()?;
        if (q == '"' || q == '\'') && a.len() >= 2 && a.ends_with(q) {
            Some(a[1..a.len() - 1].trim().to_string())
        } else {
            None
        }
    };
    let first_num = args.iter().position(|a| num(a).is_some())?;
    let total = num(args[first_num])?;
    if total <= 0 || total > MAX_GENERATED_PAGES {
        return None;
    }
    let mut strings = args[first_num + 1..].iter().filter_map(|a| unquote(a));
    let prefix = strings
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "index".into());
    let ext = strings
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "html".into());
    let safe = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if !safe(&prefix) || !safe(&ext) {
        return None;
    }
    Some((total, prefix, ext.trim_start_matches('.').to_string()))
}

/// `var name = 5;` / `name=5` in the page's script.
fn variable_value(html: &str, name: &str) -> Option<i64> {
    let re = Regex::new(&format!(
        r"(?:^|[^A-Za-z0-9_.]){}\s*=\s*(\d{{1,6}})\b",
        regex::escape(name)
    ))
    .ok()?;
    re.captures(html).and_then(|c| c[1].parse().ok())
}

/// 1-based page number of a generated pagination URL (`index_2.html` → 3).
fn page_number_of(url: &Url) -> i64 {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    let stem = last.split('.').next().unwrap_or_default();
    stem.rsplit_once('_')
        .and_then(|(_, n)| n.parse::<i64>().ok())
        .map_or(1, |n| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chongqing_create_page() {
        let base = Url::parse("http://cq.example.cn/zwgk/ndbg/index.shtml").unwrap();
        let got: Vec<String> = pages(
            &base,
            "<script>createPage(3, 0, \"index\", \"shtml\");</script>",
        )
        .into_iter()
        .map(|f| f.url.to_string())
        .collect();
        assert_eq!(
            got,
            vec![
                "http://cq.example.cn/zwgk/ndbg/index.shtml",
                "http://cq.example.cn/zwgk/ndbg/index_1.shtml",
                "http://cq.example.cn/zwgk/ndbg/index_2.shtml"
            ]
        );
        // The definition of either function names no count.
        assert!(
            pages(
                &base,
                "<script>function createPage(_nPageCount, _nCurrIndex){}</script>"
            )
            .is_empty()
        );
    }
}
