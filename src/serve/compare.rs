//! The compare page: chosen agencies, or a region's, side by side for one
//! year (applications received, outcome shares, review and litigation
//! corrections), sortable by link and, with script, in place.

use super::render::{self, Nav, num, percent, q};
use super::{PageError, PageResult, State, with_store};
use crate::compare::{ReportFigures, Selection, side_by_side};
use axum::extract::RawQuery;
use maud::html;

/// A column: key, label, value of a row (shares are fractions).
type Column = (
    &'static str,
    &'static str,
    fn(&ReportFigures) -> Option<f64>,
    bool,
);

const COLUMNS: &[Column] = &[
    ("received", "本年新收", |r| r.get("received"), false),
    (
        "total_processed",
        "办理总计",
        |r| r.get("total_processed"),
        false,
    ),
    ("granted", "予以公开", |r| r.share("granted"), true),
    (
        "partially_granted",
        "部分公开",
        |r| r.share("partially_granted"),
        true,
    ),
    ("denied", "不予公开", |r| r.share("denied"), true),
    ("unavailable", "无法提供", |r| r.share("unavailable"), true),
    (
        "not_processed",
        "不予处理",
        |r| r.share("not_processed"),
        true,
    ),
    ("review_total", "复议", |r| r.get("review_total"), false),
    (
        "review_corrected",
        "复议纠正",
        |r| r.get("review_corrected"),
        false,
    ),
    (
        "litigation_total",
        "诉讼",
        |r| r.get("litigation_total"),
        false,
    ),
    (
        "litigation_corrected",
        "诉讼纠正",
        |r| r.get("litigation_corrected"),
        false,
    ),
];

/// `GET /compare?year=2022&agencies=1,2` or `?year=2022&region=河南省`, `&sort=received&dir=asc`.
pub(crate) async fn page(state: State, RawQuery(raw): RawQuery) -> PageResult {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut ids: Vec<i64> = Vec::new();
    for (k, v) in &params {
        if k == "agencies" || k == "agency" {
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                ids.push(
                    part.parse()
                        .map_err(|_| PageError::BadRequest(format!("机关编号无效: {part}")))?,
                );
            }
        }
    }
    let region = get("region");
    let year: Option<i32> = match get("year") {
        Some(y) => Some(
            y.parse()
                .map_err(|_| PageError::BadRequest(format!("年份无效: {y}")))?,
        ),
        None => None,
    };
    let sort = get("sort").unwrap_or_else(|| "received".into());
    let asc = get("dir").as_deref() == Some("asc");
    let sel = match (&region, ids.is_empty()) {
        (Some(r), _) => Some(Selection::Region(r.clone())),
        (None, false) => Some(Selection::Agencies(ids.clone())),
        (None, true) => None,
    };
    let (year, agencies, mut rows) = with_store(&state.0, move |store| {
        let year = match year {
            Some(y) => y,
            None => store.report_years()?.last().copied().unwrap_or(2023),
        };
        let agencies = store.agencies()?;
        let rows = match &sel {
            Some(s) => side_by_side(store, year, s)?,
            None => Vec::new(),
        };
        Ok((year, agencies, rows))
    })
    .await?;
    if let Some(col) = COLUMNS.iter().find(|c| c.0 == sort) {
        rows.sort_by(|a, b| {
            let (x, y) = ((col.2)(a), (col.2)(b));
            // Unknown values last either way.
            match (x, y) {
                (Some(x), Some(y)) => {
                    if asc {
                        x.total_cmp(&y)
                    } else {
                        y.total_cmp(&x)
                    }
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.agency.cmp(&b.agency),
            }
        });
    }
    let base = {
        let mut s = format!("/compare?year={year}");
        if let Some(r) = &region {
            s.push_str(&format!("&region={}", q(r)));
        }
        if !ids.is_empty() {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            s.push_str(&format!("&agencies={}", list.join(",")));
        }
        s
    };
    let body = html! {
        h1 { "对比 " (year) " 年度" }
        form.filters method="get" action="/compare" {
            label { "年度" input type="number" name="year" value=(year) min="2000" max="2100"; }
            label { "地区（前缀）" input type="text" name="region" value=[region.as_deref()] placeholder="如 河南省新乡市"; }
            label { "或选择机关"
                select name="agency" multiple size="4" {
                    @for a in &agencies {
                        option value=(a.id) selected[ids.contains(&a.id)] { (a.agency.name) }
                    }
                }
            }
            button type="submit" { "对比" }
        }
        @if rows.is_empty() {
            p.muted { "选择一个地区或几个机关；所选机关该年度没有已抽取的报告时这里为空。" }
        } @else {
            table #compare.sortable {
                thead { tr {
                    th { "机关" } th { "地区" }
                    @for c in COLUMNS {
                        th.n { a href={(base) "&sort=" (c.0) "&dir=" (if sort == c.0 && !asc { "asc" } else { "desc" })} { (c.1) @if c.3 { "占比" } } }
                    }
                    th.n { "校验不通过" }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { @if let Some(id) = r.agency_id { a href={"/agency/" (id)} { (r.agency) } } @else { (r.agency) } }
                            td { (r.region) }
                            @for c in COLUMNS {
                                @let v = (c.2)(r);
                                td.n data-v=[v] { @if c.3 { (percent(v)) } @else { (num(v)) } }
                            }
                            td.n data-v=(r.checks_failed) { a href={"/report/" (r.snapshot_id)} { (r.checks_failed) } }
                        }
                    }
                }
            }
            p.muted { "占比 = 该项 / 办理总计。点击表头排序。" }
        }
    };
    Ok(render::page("对比", Nav::Compare, body))
}
