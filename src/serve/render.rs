//! The dashboard's shared HTML: the page layout, the security headers every
//! response carries, number formatting and inline SVG charts. Every string is
//! escaped by maud; nothing from the archive is ever written unescaped.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The dashboard's own pages: only its own stylesheet and script, frames from
/// itself, no plugins, forms back to itself, never framed elsewhere.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
     frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// An archived page: no script at all, images and stylesheets only from the
/// archive (inline styles allowed: they cannot fetch past `img-src`/`font-src`),
/// no forms, no plugins, sandboxed even when opened outside its frame.
pub const ARCHIVE_CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     font-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox";

/// The stylesheet, embedded: the dashboard works offline, no CDN.
pub const CSS: &str = include_str!("app.css");
/// Progressive enhancement only (sorting tables in place); every page works without it.
pub const JS: &str = include_str!("app.js");

/// A dashboard page with its CSP and no-sniff headers.
pub fn page(title: &str, nav: Nav, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 年报" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "年报 nianbao" }
                    nav {
                        @for (n, href, label) in NAV {
                            a href=(href) class=[(n == nav).then_some("on")] { (label) }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    with_headers(markup.into_response(), PAGE_CSP)
}

/// Adds the security headers to a response.
pub fn with_headers(mut resp: Response, csp: &'static str) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Coverage,
    Compare,
    Runs,
    None,
}

const NAV: [(Nav, &str, &str); 3] = [
    (Nav::Coverage, "/", "覆盖情况"),
    (Nav::Compare, "/compare", "对比"),
    (Nav::Runs, "/runs", "运行与错误"),
];

/// A number as printed in reports: integers without a decimal point.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => format!("{x}"),
    }
}

/// A signed change: `+3`, `−2`, `0`, `—` when unknown.
pub fn delta(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if x > 0.0 => format!("+{}", num(Some(x))),
        Some(x) if x < 0.0 => format!("−{}", num(Some(-x))),
        Some(_) => "0".into(),
    }
}

/// A share as a percentage with one decimal.
pub fn percent(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{:.1}%", x * 100.0))
}

/// Percent-encodes a query parameter value.
pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A bar chart as inline SVG: one group per label, one bar per series
/// (absent values leave a gap, never a zero bar).
pub fn bar_chart(labels: &[String], series: &[(&str, &str, Vec<Option<f64>>)]) -> Markup {
    let max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let (w, h, pad) = (560.0, 180.0, 28.0);
    let group = (w - pad) / labels.len().max(1) as f64;
    let bar = (group * 0.7) / series.len().max(1) as f64;
    let scale = |v: f64| {
        if max > 0.0 {
            v / max * (h - 2.0 * pad)
        } else {
            0.0
        }
    };
    html! {
        svg.chart viewBox={"0 0 " (w) " " (h)} role="img" aria-label="年度对比图" {
            line x1=(pad) y1=(h - pad) x2=(w) y2=(h - pad) stroke="#888" {}
            @for (i, label) in labels.iter().enumerate() {
                @let x0 = pad + i as f64 * group + group * 0.15;
                @for (j, (_, colour, values)) in series.iter().enumerate() {
                    @if let Some(Some(v)) = values.get(i) {
                        @let bh = scale(*v);
                        rect x=(x0 + j as f64 * bar) y=(h - pad - bh) width=(bar * 0.9) height=(bh) fill=(colour) {
                            title { (num(Some(*v))) }
                        }
                        text x=(x0 + j as f64 * bar + bar * 0.45) y=(h - pad - bh - 3.0) font-size="10" text-anchor="middle" { (num(Some(*v))) }
                    }
                }
                text x=(x0 + group * 0.35) y=(h - 8.0) font-size="12" text-anchor="middle" { (label) }
            }
            @for (j, (name, colour, _)) in series.iter().enumerate() {
                rect x=(pad + j as f64 * 120.0) y="4" width="10" height="10" fill=(colour) {}
                text x=(pad + 14.0 + j as f64 * 120.0) y="13" font-size="11" { (name) }
            }
        }
    }
}

/// An error page: `message` escaped like everything else.
pub fn error_page(status: axum::http::StatusCode, message: &str) -> Response {
    let mut resp = page(
        "错误",
        Nav::None,
        html! { h1 { "出错了" } p.error { (message) } p { a href="/" { "返回覆盖情况" } } },
    );
    *resp.status_mut() = status;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_deltas_and_shares_print_as_reports_do() {
        assert_eq!(num(Some(12.0)), "12");
        assert_eq!(num(Some(104.133)), "104.133");
        assert_eq!(num(None), "—");
        assert_eq!(delta(Some(3.0)), "+3");
        assert_eq!(delta(Some(-2.0)), "−2");
        assert_eq!(delta(Some(0.0)), "0");
        assert_eq!(delta(None), "—");
        assert_eq!(percent(Some(0.8333)), "83.3%");
        assert_eq!(q("河南 省&x"), "%E6%B2%B3%E5%8D%97+%E7%9C%81%26x");
    }

    #[test]
    fn charts_leave_gaps_for_unknown_values_and_escape_labels() {
        let svg = bar_chart(
            &["<b>2022</b>".to_string(), "2023".to_string()],
            &[("申请", "#123456", vec![None, Some(9.0)])],
        )
        .into_string();
        assert_eq!(
            svg.matches("<rect").count(),
            2,
            "one bar and one legend swatch: {svg}"
        );
        assert!(svg.contains("&lt;b&gt;2022"), "{svg}");
    }
}
