//! The landing page: agency × year coverage matrix with filters, per-column
//! counts, and the same answers as downloads (the existing exports).

use super::render::{self, Nav, q};
use super::{PageError, PageResult, State, with_store};
use crate::export::{self, MissingReason, OutputFormat as Format, Timeliness};
use crate::store::Store;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::HashMap;

/// Rows per page of the matrix: the browser stays quick with thousands of agencies.
const PAGE_ROWS: usize = 400;

/// The state of one agency-year, as the matrix shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CellState {
    Ok,
    Late,
    Undated,
    Missing,
    /// Found, but only as a file nianbao cannot read (scanned, DOC without converter, encrypted).
    Unreadable,
    /// Found and read, but extraction failed.
    Failed,
    Partial,
    /// Extracted, but a consistency rule fails.
    Broken,
    /// Found, not extracted yet.
    Unextracted,
}

pub(crate) const STATES: [CellState; 9] = [
    CellState::Ok,
    CellState::Late,
    CellState::Undated,
    CellState::Missing,
    CellState::Unreadable,
    CellState::Failed,
    CellState::Partial,
    CellState::Broken,
    CellState::Unextracted,
];

impl CellState {
    pub(crate) fn key(self) -> &'static str {
        match self {
            CellState::Ok => "ok",
            CellState::Late => "late",
            CellState::Undated => "undated",
            CellState::Missing => "missing",
            CellState::Unreadable => "unreadable",
            CellState::Failed => "failed",
            CellState::Partial => "partial",
            CellState::Broken => "broken",
            CellState::Unextracted => "unextracted",
        }
    }

    /// A symbol, so the matrix reads without colour.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CellState::Ok => "✓",
            CellState::Late => "△",
            CellState::Undated => "?",
            CellState::Missing => "✗",
            CellState::Unreadable => "■",
            CellState::Failed => "⊘",
            CellState::Partial => "◐",
            CellState::Broken => "⚠",
            CellState::Unextracted => "…",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            CellState::Ok => "按时",
            CellState::Late => "逾期",
            CellState::Undated => "无发布日期",
            CellState::Missing => "缺失",
            CellState::Unreadable => "文件无法读取",
            CellState::Failed => "抽取失败",
            CellState::Partial => "抽取不完整",
            CellState::Broken => "校验不通过",
            CellState::Unextracted => "未抽取",
        }
    }

    fn parse(s: &str) -> Option<CellState> {
        STATES.into_iter().find(|st| st.key() == s)
    }
}

/// Why a report is missing, in the dashboard's words.
pub(crate) fn reason_label(r: MissingReason) -> &'static str {
    match r {
        MissingReason::NoEntryUrl => "无入口网址",
        MissingReason::EntryUnreachable => "入口无法访问",
        MissingReason::NotCrawled => "尚未抓取",
        MissingReason::NoReportFound => "未找到报告",
        MissingReason::UnsupportedFile => "文件无法读取",
        MissingReason::OnlyDecoys => "仅有解读、图解等非报告页面",
        MissingReason::RobotsForbade => "robots.txt 禁止抓取",
        MissingReason::ScriptListing => "列表由脚本生成，无法读取",
    }
}

/// One agency-year.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub state: CellState,
    pub days_late: Option<i64>,
    pub reason: Option<MissingReason>,
    /// What happened, for the tooltip.
    pub detail: String,
    pub snapshot_id: Option<i64>,
}

impl Cell {
    fn matches(&self, st: CellState) -> bool {
        self.state == st || (st == CellState::Late && self.days_late.is_some())
    }

    fn text(&self) -> String {
        let mut t = format!("{} {}", self.state.symbol(), self.state.label());
        if let Some(r) = self.reason.filter(|r| *r != MissingReason::UnsupportedFile) {
            t = format!("{} {}", self.state.symbol(), reason_label(r));
        }
        if let Some(d) = self.days_late {
            if self.state == CellState::Late {
                t = format!("{} 逾期{d}天", self.state.symbol());
            } else {
                t.push_str(&format!(" · 逾期{d}天"));
            }
        }
        t
    }
}

/// One agency's row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub agency_id: i64,
    pub agency: String,
    pub region: String,
    pub level: String,
    pub cells: Vec<Cell>,
}

/// The filters, from the query string.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Filter {
    pub region: Option<String>,
    pub level: Option<String>,
    pub from: Option<i32>,
    pub to: Option<i32>,
    pub state: Option<String>,
    pub page: Option<usize>,
}

impl Filter {
    fn region(&self) -> Option<&str> {
        self.region
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    fn level(&self) -> Option<&str> {
        self.level
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    fn state(&self) -> Option<CellState> {
        self.state.as_deref().and_then(CellState::parse)
    }
}

/// The matrix after filtering.
#[derive(Debug, Clone)]
pub(crate) struct Coverage {
    pub years: Vec<i32>,
    /// Rows passing the region and level filters, then the state filter.
    pub rows: Vec<Row>,
    /// Per year, per state: counts over the rows passing region and level.
    pub counts: Vec<HashMap<CellState, usize>>,
    /// Agencies passing region and level (before the state filter).
    pub agencies: usize,
    pub levels: Vec<String>,
}

/// The year range shown: the filter's, else the last seven years the archive holds.
fn years(store: &Store, f: &Filter) -> Result<Vec<i32>, PageError> {
    let held = store.report_years()?;
    let hi =
        f.to.or(held.last().copied())
            .unwrap_or_else(|| chrono::Utc::now().year_ce().1 as i32 - 1);
    let lo = f
        .from
        .unwrap_or_else(|| held.first().copied().unwrap_or(hi).max(hi - 6));
    if lo > hi || hi - lo > 30 {
        return Err(PageError::BadRequest(format!(
            "年份范围 {lo}-{hi} 无效 (invalid year range)"
        )));
    }
    Ok((lo..=hi).collect())
}

use chrono::Datelike;

/// Builds the matrix from the existing answers: `missing` decides what is
/// missing and why, `current_reports` which report answers for the rest.
pub(crate) fn build(store: &Store, f: &Filter) -> Result<Coverage, PageError> {
    let years = years(store, f)?;
    let all = store.agencies()?;
    let mut levels: Vec<String> = all.iter().map(|a| a.agency.level.clone()).collect();
    levels.sort();
    levels.dedup();
    levels.retain(|l| !l.is_empty());
    let agencies: Vec<_> = all
        .into_iter()
        .filter(|a| f.region().is_none_or(|r| a.agency.region.starts_with(r)))
        .filter(|a| f.level().is_none_or(|l| a.agency.level == l))
        .collect();
    let mut per_year = Vec::new();
    for &year in &years {
        let missing: HashMap<i64, export::MissingAgency> =
            export::missing(store, year, f.region())?
                .into_iter()
                .filter_map(|m| Some((m.agency_id?, m)))
                .collect();
        let current: HashMap<i64, export::CurrentReport> =
            export::current_report_heads(store, Some(year))?
                .into_iter()
                .filter_map(|r| Some((r.agency_id?, r)))
                .collect();
        per_year.push((year, missing, current));
    }
    let mut rows = Vec::with_capacity(agencies.len());
    let mut counts = vec![HashMap::new(); years.len()];
    for a in agencies {
        let mut cells = Vec::with_capacity(years.len());
        for (i, (year, missing, current)) in per_year.iter().enumerate() {
            let cell = cell(*year, missing.get(&a.id), current.get(&a.id));
            for st in STATES {
                if cell.matches(st) {
                    *counts[i].entry(st).or_insert(0) += 1;
                }
            }
            cells.push(cell);
        }
        rows.push(Row {
            agency_id: a.id,
            agency: a.agency.name,
            region: a.agency.region,
            level: a.agency.level,
            cells,
        });
    }
    let agencies = rows.len();
    if let Some(st) = f.state() {
        rows.retain(|r| r.cells.iter().any(|c| c.matches(st)));
    }
    rows.sort_by(|a, b| (&a.region, &a.agency).cmp(&(&b.region, &b.agency)));
    Ok(Coverage {
        years,
        rows,
        counts,
        agencies,
        levels,
    })
}

fn cell(
    year: i32,
    missing: Option<&export::MissingAgency>,
    current: Option<&export::CurrentReport>,
) -> Cell {
    if let Some(m) = missing {
        let state = if m.reason == MissingReason::UnsupportedFile {
            CellState::Unreadable
        } else {
            CellState::Missing
        };
        return Cell {
            state,
            days_late: None,
            reason: Some(m.reason),
            detail: m.detail.clone(),
            snapshot_id: current.map(|r| r.snapshot_id),
        };
    }
    let Some(r) = current else {
        // Not missing and no current report: cannot happen for a seed agency
        // with an id, but say so rather than invent a state.
        return Cell {
            state: CellState::Missing,
            days_late: None,
            reason: None,
            detail: format!("no {year} report"),
            snapshot_id: None,
        };
    };
    let when = export::timeliness(year, r.publish_date);
    let days_late = match when {
        Timeliness::Late(d) => Some(d),
        _ => None,
    };
    let state = match r.status.map(|s| s.as_str()) {
        None => CellState::Unextracted,
        Some("failed" | "not_report") => CellState::Failed,
        Some("unsupported" | "scanned") => CellState::Unreadable,
        Some("partial") => CellState::Partial,
        _ if r.checks_failed > 0 => CellState::Broken,
        _ => match when {
            Timeliness::Late(_) => CellState::Late,
            Timeliness::Undated => CellState::Undated,
            Timeliness::OnTime => CellState::Ok,
        },
    };
    let detail = format!(
        "{} · 发布 {} · {}{}",
        r.url,
        r.publish_date
            .map_or("日期不详".to_string(), |d| d.to_string()),
        r.status.map_or("not extracted", |s| s.as_str()),
        if r.checks_failed > 0 {
            format!(" · {} 项校验不通过", r.checks_failed)
        } else {
            String::new()
        }
    );
    Cell {
        state,
        days_late,
        reason: None,
        detail,
        snapshot_id: Some(r.snapshot_id),
    }
}

fn filter_query(f: &Filter, page: Option<usize>) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("region", f.region().map(str::to_string)),
        ("level", f.level().map(str::to_string)),
        ("from", f.from.map(|y| y.to_string())),
        ("to", f.to.map(|y| y.to_string())),
        ("state", f.state().map(|s| s.key().to_string())),
        ("page", page.map(|p| p.to_string())),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", q(&v)));
        }
    }
    parts.join("&")
}

/// `GET /`: the coverage matrix.
pub(crate) async fn page(state: State, Query(f): Query<Filter>) -> PageResult {
    let started = std::time::Instant::now();
    let (cov, f) = with_store(&state.0, move |store| Ok((build(store, &f)?, f))).await?;
    let built = started.elapsed();
    let page_no = f.page.unwrap_or(1).max(1);
    let pages = cov.rows.len().div_ceil(PAGE_ROWS).max(1);
    let shown = cov
        .rows
        .iter()
        .skip((page_no - 1) * PAGE_ROWS)
        .take(PAGE_ROWS);
    let body = html! {
        h1 { "报告覆盖情况" }
        (filters(&f, &cov))
        p.legend {
            @for st in STATES {
                span class={"s-" (st.key())} { (st.symbol()) " " (st.label()) }
            }
        }
        p.muted {
            (cov.agencies) " 个机关符合地区/层级筛选，显示 " (cov.rows.len()) " 个"
            @if pages > 1 { "（第 " (page_no) "/" (pages) " 页）" }
            "。数据查询 " (format!("{:.0}", built.as_secs_f64() * 1000.0)) " ms。"
        }
        @if pages > 1 {
            p.pager {
                @for p in 1..=pages {
                    @if p == page_no { strong { (p) } " " } @else {
                        a href={"/?" (filter_query(&f, Some(p)))} { (p) }
                    }
                }
            }
        }
        table.matrix id="coverage" {
            thead {
                tr {
                    th { "机关" }
                    th { "地区" }
                    th { "层级" }
                    @for y in &cov.years { th.n { (y) } }
                }
            }
            tbody {
                @for row in shown {
                    tr data-agency=(row.agency) {
                        th { a href={"/agency/" (row.agency_id)} { (row.agency) } }
                        td { (row.region) }
                        td { (row.level) }
                        @for (cell, year) in row.cells.iter().zip(&cov.years) {
                            td class={"s-" (cell.state.key())} data-year=(year) data-state=(cell.state.key()) title=(cell.detail) {
                                @if let Some(id) = cell.snapshot_id {
                                    a href={"/report/" (id)} { (cell.text()) }
                                } @else {
                                    (cell.text())
                                }
                            }
                        }
                    }
                }
            }
            tfoot {
                tr {
                    td colspan="3" { "合计" }
                    @for counts in &cov.counts {
                        td {
                            @for st in STATES {
                                @if let Some(n) = counts.get(&st) {
                                    span class={"count c-" (st.key())} { (st.symbol()) (n) } " "
                                }
                            }
                        }
                    }
                }
            }
        }
        (downloads(&f, &cov))
    };
    Ok(render::page("覆盖情况", Nav::Coverage, body))
}

fn filters(f: &Filter, cov: &Coverage) -> Markup {
    html! {
        form.filters method="get" action="/" {
            label { "地区（前缀）" input type="text" name="region" value=[f.region()] placeholder="如 河南省"; }
            label { "层级"
                select name="level" {
                    option value="" { "全部" }
                    @for l in &cov.levels {
                        option value=(l) selected[f.level() == Some(l.as_str())] { (l) }
                    }
                }
            }
            label { "起始年" input type="number" name="from" value=[cov.years.first()] min="2000" max="2100"; }
            label { "截止年" input type="number" name="to" value=[cov.years.last()] min="2000" max="2100"; }
            label { "状态"
                select name="state" {
                    option value="" { "全部" }
                    @for st in STATES {
                        option value=(st.key()) selected[f.state() == Some(st)] { (st.symbol()) " " (st.label()) }
                    }
                }
            }
            button type="submit" { "筛选" }
            a href="/" { "清除" }
        }
    }
}

fn downloads(f: &Filter, cov: &Coverage) -> Markup {
    let region = f
        .region()
        .map(|r| format!("&region={}", q(r)))
        .unwrap_or_default();
    html! {
        h2 { "下载" }
        @for y in &cov.years {
            p.downloads {
                strong { (y) " 年：" }
                a href={"/export/missing?year=" (y) "&format=csv" (region)} { "缺失清单 CSV" }
                a href={"/export/missing?year=" (y) "&format=xlsx" (region)} { "XLSX" }
                a href={"/export/late?year=" (y) "&format=csv"} { "逾期清单 CSV" }
                a href={"/export/late?year=" (y) "&format=xlsx"} { "XLSX" }
                a href={"/export/reports?year=" (y) "&format=csv"} { "报告数据 CSV" }
                a href={"/export/reports?year=" (y) "&format=xlsx"} { "XLSX" }
            }
        }
    }
}

/// Query of a download.
#[derive(Debug, Deserialize)]
pub(crate) struct DownloadQuery {
    year: i32,
    format: Option<String>,
    region: Option<String>,
}

/// `GET /export/{missing|late|reports}?year=&format=csv|xlsx`: the existing exports.
pub(crate) async fn download(
    state: State,
    Path(what): Path<String>,
    Query(dq): Query<DownloadQuery>,
) -> PageResult {
    let format = match dq.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        other => {
            return Err(PageError::BadRequest(format!(
                "未知格式 {other:?} (use csv or xlsx)"
            )));
        }
    };
    if !matches!(what.as_str(), "missing" | "late" | "reports") {
        return Err(PageError::NotFound(format!("没有这种下载: {what}")));
    }
    let year = dq.year;
    let what2 = what.clone();
    let bytes = with_store(&state.0, move |store| {
        let mut out = Vec::new();
        let region = dq.region.as_deref().filter(|r| !r.is_empty());
        match what2.as_str() {
            "missing" => {
                export::write_missing(&export::missing(store, year, region)?, format, &mut out)?
            }
            "late" => export::write_late(&export::late(store, year)?, format, &mut out)?,
            _ => {
                export::export(store, Some(year), format, false, &mut out)?;
            }
        }
        Ok(out)
    })
    .await?;
    let (ct, ext) = match format {
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => ("text/csv; charset=utf-8", "csv"),
    };
    let resp = (
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{what}-{year}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response();
    Ok(render::with_headers(resp, render::PAGE_CSP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_its_own_key_and_symbol() {
        for st in STATES {
            assert_eq!(CellState::parse(st.key()), Some(st));
        }
        let mut symbols: Vec<&str> = STATES.iter().map(|s| s.symbol()).collect();
        symbols.sort();
        symbols.dedup();
        assert_eq!(
            symbols.len(),
            STATES.len(),
            "the matrix reads without colour"
        );
    }

    #[test]
    fn a_late_partial_report_matches_the_late_filter_and_says_both() {
        let c = Cell {
            state: CellState::Partial,
            days_late: Some(15),
            reason: None,
            detail: String::new(),
            snapshot_id: Some(1),
        };
        assert!(c.matches(CellState::Late) && c.matches(CellState::Partial));
        assert!(!c.matches(CellState::Ok));
        assert_eq!(c.text(), "◐ 抽取不完整 · 逾期15天");
    }
}
