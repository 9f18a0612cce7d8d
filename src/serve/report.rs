//! The report page: the extracted tables laid out like the template with each
//! cell's state (read / inferred / absent), the rule checks with their values,
//! the warnings, the provenance and every archived revision.

use super::render::{self, Nav, num};
use super::{PageError, PageResult, State, with_store};
use crate::extract::{
    ACTIVE_ROWS_2019, ACTIVE_ROWS_2021, APPLICANT_COLUMNS, APPLICATION_ROWS_2019,
    APPLICATION_ROWS_2021, Extraction, REVIEW_FIELDS, REVIEW_GROUPS, Template,
};
use crate::pipeline::extraction::Revision;
use crate::report_view::label;
use crate::store::PageMetaRow;
use axum::extract::Path;
use maud::{Markup, html};
use serde_json::Value;

struct ReportData {
    rev: Revision,
    meta: Option<PageMetaRow>,
    revisions: Vec<Revision>,
}

/// `GET /report/{snapshot}`.
pub(crate) async fn page(state: State, Path(id): Path<i64>) -> PageResult {
    let data = with_store(&state.0, move |store| {
        let rev = store
            .revisions(None, None, Some(id))?
            .into_iter()
            .next()
            .ok_or_else(|| PageError::NotFound(format!("没有快照 #{id} (no snapshot {id})")))?;
        let meta = store.page_meta_of(id)?;
        let year = meta
            .as_ref()
            .and_then(|m| m.report_year)
            .or(rev.result.as_ref().and_then(|r| r.year));
        let revisions = match (&rev.agency, year) {
            (Some(agency), Some(year)) => store
                .revisions(Some(agency), Some(year), None)?
                .into_iter()
                .filter(|r| r.agency.as_deref() == Some(agency))
                .collect(),
            _ => Vec::new(),
        };
        Ok(ReportData {
            rev,
            meta,
            revisions,
        })
    })
    .await?;
    let rev = &data.rev;
    let year = data
        .meta
        .as_ref()
        .and_then(|m| m.report_year)
        .or(rev.result.as_ref().and_then(|r| r.year));
    let title = format!(
        "{} {}年度报告",
        rev.agency.as_deref().unwrap_or("（机关不详）"),
        year.map_or("?".into(), |y| y.to_string())
    );
    let body = html! {
        h1 { (title) }
        @if let Some(id) = data.meta.as_ref().and_then(|m| m.agency_id) {
            p { a href={"/agency/" (id)} { "← 该机关历年报告" } }
        }
        (provenance(rev, data.meta.as_ref()))
        @match &rev.result {
            None => p.warn { "尚未抽取（not extracted yet）：运行 nianbao extract。" },
            Some(ex) => (tables(ex)),
        }
        h2 { "历次存档版本 (revisions)" }
        table {
            thead { tr { th { "快照" } th { "抓取时间" } th { "网址" } th { "格式" } th { "抽取状态" } th { "抽取版本" } th { "SHA-256" } } }
            tbody {
                @for r in &data.revisions {
                    tr class=[(r.snapshot_id == rev.snapshot_id).then_some("current")] {
                        td { a href={"/report/" (r.snapshot_id)} { "#" (r.snapshot_id) } }
                        td { (r.fetched_at) }
                        td { (r.url) }
                        td { (r.format.as_str()) }
                        td { (r.status.map_or("未抽取", |s| s.as_str())) }
                        td { (r.extractor_version.as_deref().unwrap_or("—")) }
                        td.muted { (r.sha256.get(..16).unwrap_or(&r.sha256)) "…" }
                    }
                }
            }
        }
    };
    Ok(render::page(&title, Nav::None, body))
}

fn provenance(rev: &Revision, meta: Option<&PageMetaRow>) -> Markup {
    let ex = rev.result.as_ref();
    html! {
        table.kv {
            tr { th { "原网址" } td { (rev.url) } }
            tr { th { "抓取时间" } td { (rev.fetched_at) } }
            tr { th { "快照" } td {
                "#" (rev.snapshot_id) " · " (rev.kind.sql_text()) " · " (rev.format.as_str()) " · "
                a href={"/archive/" (rev.snapshot_id)} { "查看存档页面" }
                @if let Some(p) = meta.and_then(|m| m.parent_snapshot_id) {
                    " · " a href={"/archive/" (p)} { "所在页面" }
                }
            } }
            @if let Some(t) = meta.and_then(|m| m.title.as_deref()) { tr { th { "标题" } td { (t) } } }
            tr { th { "发布日期" } td { (meta.and_then(|m| m.publish_date).or(ex.and_then(|e| e.publish_date)).map_or("—".to_string(), |d| d.to_string())) } }
            tr { th { "来源 / 编辑" } td {
                (ex.and_then(|e| e.source.clone()).unwrap_or_else(|| "—".into())) " / "
                (ex.and_then(|e| e.editor.clone()).unwrap_or_else(|| "—".into()))
            } }
            tr { th { "抽取" } td {
                (rev.status.map_or("未抽取", |s| s.as_str()))
                @if let Some(r) = ex.and_then(|e| e.reason.as_deref()) { "：" (r) }
                " · 版本 " (rev.extractor_version.as_deref().unwrap_or("—"))
                @if let Some(t) = ex.and_then(|e| e.template) { " · " (t.as_str()) " 年模板" }
            } }
        }
    }
}

/// A cell's state: absent (blank), inferred (its row carries a warning), else read.
fn cell(json: &Value, pointer: &str, warned: &[&str], row_key: &str) -> Markup {
    let v = json.pointer(pointer);
    let value = match v {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => None,
    };
    let (class, title) = if value.is_none() {
        ("cell-absent", "未读到 (absent)")
    } else if warned.contains(&row_key) {
        ("cell-inferred", "推断 (inferred, see warnings)")
    } else {
        ("cell-read", "读取 (read)")
    };
    html! { td.n class=(class) title=(title) data-v=[value] { (num(value)) } }
}

fn tables(ex: &Extraction) -> Markup {
    let json = serde_json::to_value(ex).unwrap_or_default();
    // Warnings start with the path of what they concern: `applications.granted: …`.
    let warned: Vec<&str> = ex
        .warnings
        .iter()
        .filter_map(|w| w.split(':').next())
        .collect();
    let (active_rows, app_rows) = match ex.template {
        Some(Template::T2019) => (ACTIVE_ROWS_2019, APPLICATION_ROWS_2019),
        _ => (ACTIVE_ROWS_2021, APPLICATION_ROWS_2021),
    };
    html! {
        p.legend {
            span.cell-read { "读取" } span.cell-inferred { "推断" } span.cell-absent { "— 未读到" }
        }
        h2 { "二、主动公开政府信息情况" }
        table #active {
            tbody {
                @for (row, fields) in active_rows {
                    tr {
                        th { (label(row)) }
                        @for f in *fields {
                            td.muted { (label(f)) }
                            (cell(&json, &format!("/active_disclosure/{row}/{f}"), &warned, &format!("active_disclosure.{row}")))
                        }
                    }
                }
            }
        }
        h2 { "三、收到和处理政府信息公开申请情况" }
        table #applications {
            thead { tr { th {} @for c in APPLICANT_COLUMNS { th.n { (label(c)) } } } }
            tbody {
                @for row in app_rows {
                    tr data-row=(row) {
                        th { (label(row)) }
                        @for i in 0..APPLICANT_COLUMNS.len() {
                            (cell(&json, &format!("/applications/{row}/{i}"), &warned, &format!("applications.{row}")))
                        }
                    }
                }
            }
        }
        h2 { "四、政府信息公开行政复议、行政诉讼情况" }
        table #review {
            thead { tr { th {} @for f in REVIEW_FIELDS { th.n { (label(f)) } } } }
            tbody {
                @for g in REVIEW_GROUPS {
                    tr {
                        th { (label(g)) }
                        @for f in REVIEW_FIELDS {
                            (cell(&json, &format!("/review_litigation/{g}/{f}"), &warned, "review_litigation"))
                        }
                    }
                }
            }
        }
        h2 { "校验 (rule checks)" }
        table #checks {
            thead { tr { th { "规则" } th { "范围" } th { "结果" } th.n { "左边" } th.n { "右边" } th { "说明" } } }
            tbody {
                @for r in &ex.checks.rules {
                    tr {
                        td { (r.rule) }
                        td { (label_or(&r.scope)) }
                        td {
                            @match r.ok {
                                Some(true) => span.ok { "✓ 通过" },
                                Some(false) => span.bad { "✗ 不通过" },
                                None => span.muted { "? 无法校验" },
                            }
                        }
                        td.n { (num(r.left)) }
                        td.n { (num(r.right)) }
                        td { (r.detail) }
                    }
                }
            }
        }
        h2 { "警告 (warnings)" }
        @if ex.warnings.is_empty() { p.muted { "无" } }
        ul { @for w in &ex.warnings { li.warn { (w) } } }
    }
}

fn label_or(key: &str) -> String {
    let l = label(key);
    if l.is_empty() {
        key.to_string()
    } else {
        format!("{l} ({key})")
    }
}
