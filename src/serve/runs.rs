//! Runs and errors: recent runs with their counts, failing URLs by host in
//! the last crawl, and what is still pending in the frontier.

use super::render::{self, Nav};
use super::{PageResult, State, with_store};
use maud::html;

/// `GET /runs`.
pub(crate) async fn page(state: State) -> PageResult {
    let (status, pending) = with_store(&state.0, |store| {
        Ok((crate::status::status(store, 30)?, store.pending_frontier()?))
    })
    .await?;
    // The same failing URLs `nianbao status` lists, from the one query that owns them.
    let failing = &status.failed_urls;
    let body = html! {
        h1 { "运行与错误" }
        p.muted {
            (status.totals.snapshots) " 个快照 · " (status.totals.bodies) " 个不同正文 · "
            (format!("{:.1}", status.totals.stored_bytes as f64 / 1e6)) " MB 存储 · "
            (status.totals.agencies) " 个机关，其中 " (status.totals.agencies_with_report) " 个已找到报告"
        }
        h2 { "最近运行" }
        table #runs.sortable {
            thead { tr { th { "#" } th { "类型" } th { "状态" } th { "开始" } th { "结束" } th.n { "页面" } th.n { "未变" } th.n { "新快照" } th.n { "报告" } th.n { "抽取" } th.n { "错误" } } }
            tbody {
                @for r in &status.runs {
                    tr {
                        td data-v=(r.id) { (r.id) }
                        td { (r.kind.sql_text()) }
                        td class=[(r.status.sql_text() != "completed").then_some("warn")] { (r.status.sql_text()) }
                        td { (r.started_at) }
                        td { (r.finished_at.as_deref().unwrap_or("…")) }
                        td.n data-v=(r.pages_fetched) { (r.pages_fetched) }
                        td.n data-v=(r.not_modified) { (r.not_modified) }
                        td.n data-v=(r.snapshots_new) { (r.snapshots_new) }
                        td.n data-v=(r.reports_found) { (r.reports_found) }
                        td.n data-v=(r.extracted) { (r.extracted) }
                        td.n data-v=(r.errors) { (r.errors) }
                    }
                }
            }
        }
        h2 { "上次抓取的错误（按主机）" }
        @if status.errors_by_host.is_empty() { p.ok { "无" } }
        @else {
            table #errors {
                thead { tr { th { "主机" } th { "错误类型" } th.n { "次数" } th { "最近错误" } } }
                tbody { @for e in &status.errors_by_host { tr { td { (e.host) } td { (e.kind) } td.n { (e.count) } td { (e.last_error.as_deref().unwrap_or("")) } } } }
            }
            h2 { "失败的网址" }
            table #failing {
                thead { tr { th { "主机" } th { "网址" } th { "类型" } th { "HTTP" } th { "错误" } th { "时间" } } }
                tbody { @for f in failing { tr {
                    td { (f.host) } td { (f.url) } td { (f.kind) }
                    td { (f.status.map_or("—".to_string(), |s| s.to_string())) }
                    td { (f.error.as_deref().unwrap_or("")) } td { (f.at) }
                } } }
            }
        }
        h2 { "待抓取（未完成的运行）" }
        @if pending.is_empty() { p.muted { "无待抓取网址" } }
        @else {
            table #pending {
                thead { tr { th { "运行" } th { "状态" } th { "主机" } th.n { "待抓取" } th { "下一个网址" } } }
                tbody { @for p in &pending { tr {
                    td { "#" (p.run_id) } td { (p.run_status) } td { (p.host) } td.n { (p.pending) } td { (p.next_url) }
                } } }
            }
        }
    };
    Ok(render::page("运行与错误", Nav::Runs, body))
}
