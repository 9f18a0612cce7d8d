//! The agency page: every year side by side (publish dates, key figures with
//! year-over-year deltas, the cross-year checks, the share of text repeated
//! from the year before), and the repeated passages of one year highlighted.

use super::render::{self, Nav, delta, num, percent};
use super::{PageError, PageResult, State, with_store};
use crate::compare::{AgencyYears, FIGURES, agency_years};
use crate::similarity::{Repetition, paragraphs, repetition, report_document};
use crate::store::{Store, StoredAgency};
use axum::extract::{Path, Query};
use maud::html;
use serde::Deserialize;

fn agency(store: &Store, id: i64) -> Result<StoredAgency, PageError> {
    store
        .agencies()?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| PageError::NotFound(format!("没有机关 #{id} (no such agency)")))
}

/// The paragraphs of a snapshot's report text (empty when unreadable).
fn report_paragraphs(
    store: &Store,
    snapshot_id: i64,
    format: &str,
) -> Result<Vec<String>, PageError> {
    let Some(snap) = store.archived_snapshot(snapshot_id)? else {
        return Ok(Vec::new());
    };
    Ok(
        report_document(&snap.body, snap.content_type.as_deref(), format)
            .map(|d| paragraphs(&d))
            .unwrap_or_default(),
    )
}

fn format_of(store: &Store, snapshot_id: i64) -> Result<String, PageError> {
    Ok(store
        .page_meta_of(snapshot_id)?
        .map_or_else(|| "html".to_string(), |m| m.format.as_str().to_string()))
}

/// Year N against N−1, when both reports are archived.
fn repeated(
    store: &Store,
    years: &AgencyYears,
    year: i32,
) -> Result<Option<Repetition>, PageError> {
    let find = |y: i32| {
        years
            .years
            .iter()
            .find(|c| c.year == y)
            .and_then(|c| c.report.as_ref())
    };
    let (Some(this), Some(prev)) = (find(year), find(year - 1)) else {
        return Ok(None);
    };
    let newer = report_paragraphs(
        store,
        this.snapshot_id,
        &format_of(store, this.snapshot_id)?,
    )?;
    let older = report_paragraphs(
        store,
        prev.snapshot_id,
        &format_of(store, prev.snapshot_id)?,
    )?;
    Ok(Some(repetition(&newer, &older)))
}

/// Optional year range of the agency page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct YearRange {
    from: Option<i32>,
    to: Option<i32>,
}

/// `GET /agency/{id}`.
pub(crate) async fn page(
    state: State,
    Path(id): Path<i64>,
    Query(r): Query<YearRange>,
) -> PageResult {
    let (ay, shares) = with_store(&state.0, move |store| {
        let a = agency(store, id)?;
        let range = match (r.from, r.to) {
            (Some(a), Some(b)) if a <= b => Some(a..=b),
            _ => None,
        };
        let ay = agency_years(store, &a, range)?;
        let mut shares = Vec::new();
        for c in &ay.years {
            shares.push(repeated(store, &ay, c.year)?.map(|r| r.share));
        }
        Ok((ay, shares))
    })
    .await?;
    let labels: Vec<String> = ay.years.iter().map(|c| c.year.to_string()).collect();
    let series = |key: &str| -> Vec<Option<f64>> {
        ay.years
            .iter()
            .map(|c| c.report.as_ref().and_then(|r| r.get(key)))
            .collect()
    };
    let body = html! {
        h1 { (ay.agency) }
        p.muted { (ay.region) " · " (ay.level) " · " a href={"/compare?agencies=" (ay.agency_id)} { "与其他机关对比" } }
        @if ay.years.is_empty() {
            p.warn { "档案中没有该机关的报告。" }
        } @else {
            (render::bar_chart(&labels, &[
                ("本年新收申请", "#1976d2", series("received")),
                ("办理总计", "#43a047", series("total_processed")),
                ("结转下年度", "#fb8c00", series("carried_forward")),
            ]))
            table #years {
                thead { tr { th { "" } @for c in &ay.years { th.n colspan="2" { (c.year) } } } }
                tbody {
                    tr { th { "报告" } @for c in &ay.years { td colspan="2" {
                        @if let Some(r) = &c.report { a href={"/report/" (r.snapshot_id)} { "#" (r.snapshot_id) " " (r.status.as_deref().unwrap_or("未抽取")) } } @else { span.bad { "✗ 缺失" } }
                    } } }
                    tr { th { "发布日期" } @for c in &ay.years { td colspan="2" {
                        @if let Some(r) = &c.report {
                            (r.publish_date.as_deref().unwrap_or("—"))
                            @if let Some(d) = r.days_late { " " span.bad { "△逾期" (d) "天" } }
                        }
                    } } }
                    tr { th { "与上年重复文字" } @for (c, share) in ay.years.iter().zip(&shares) { td colspan="2" data-repeat=[share.map(|s| format!("{s:.3}"))] {
                        @if let Some(s) = share {
                            a href={"/agency/" (ay.agency_id) "/repeat/" (c.year)} class=[(*s >= 0.5).then_some("bad")] { (percent(Some(*s))) }
                        } @else { span.muted { "—" } }
                    } } }
                    @for (i, f) in FIGURES.iter().enumerate() {
                        tr data-figure=(f.key) {
                            th { (f.label) }
                            @for c in &ay.years {
                                @let v = c.report.as_ref().and_then(|r| r.values[i]);
                                @let d = c.delta[i];
                                td.n data-v=[v] { (num(v)) }
                                td.n.muted class=[d.map(|d| if d > 0.0 { "up" } else if d < 0.0 { "down" } else { "" })] { (delta(d)) }
                            }
                        }
                    }
                }
            }
            h2 { "跨年度校验（上年结转 = 上年度结转下年度；现行有效 = 上年现行有效 + 本年制发 − 本年废止）" }
            table #cross-year {
                thead { tr { th { "年度" } th { "范围" } th { "结果" } th.n { "本年" } th.n { "按上年推算" } } }
                tbody {
                    @for c in &ay.years {
                        @for r in &c.cross_year {
                            @if r.ok.is_some() {
                                tr {
                                    td { (c.year - 1) "→" (c.year) }
                                    td { (crate::report_view::label(&r.scope)) " " (r.scope) }
                                    td { @match r.ok { Some(true) => span.ok { "✓ 一致" }, _ => span.bad { "✗ 不一致" } } }
                                    td.n { (num(r.left)) }
                                    td.n { (num(r.right)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(render::page(&ay.agency, Nav::None, body))
}

/// `GET /agency/{id}/repeat/{year}`: year N's paragraphs, those repeated from N−1 highlighted.
pub(crate) async fn repeat(state: State, Path((id, year)): Path<(i64, i32)>) -> PageResult {
    let (name, rep) = with_store(&state.0, move |store| {
        let a = agency(store, id)?;
        let ay = agency_years(store, &a, Some(year - 1..=year))?;
        let rep = repeated(store, &ay, year)?.ok_or_else(|| {
            PageError::NotFound(format!("{year} 与 {} 年的报告不全，无法比较", year - 1))
        })?;
        Ok((a.agency.name, rep))
    })
    .await?;
    let n = rep.paragraphs.iter().filter(|p| p.repeated).count();
    let body = html! {
        h1 { (name) " " (year) " 年报告与 " (year - 1) " 年的重复文字" }
        p { a href={"/agency/" (id)} { "← 返回机关" } }
        p { "按字数计 " strong #share { (percent(Some(rep.share))) } " 的段落与上年报告重复（" (n) "/" (rep.paragraphs.len()) " 段；数字不同视为相同）。" }
        @for p in &rep.paragraphs {
            div class=(if p.repeated { "repeated" } else { "fresh" }) {
                span.muted { (format!("{:.0}%", p.similarity * 100.0)) " " }
                (p.text)
            }
        }
    };
    Ok(render::page("重复文字", Nav::None, body))
}
