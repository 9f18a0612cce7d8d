//! Script-built listings for the render benchmark: each `/p/{i}.html` is an
//! application shell whose script fetches its 20 report links from `/api/{i}`,
//! so no link is in the served HTML.

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::net::SocketAddr;
use tokio::task::JoinHandle;

/// Links each listing's script adds.
pub const LINKS_PER_PAGE: usize = 20;

const APP_JS: &str = r#"window.addEventListener('load', function () {
  var app = document.getElementById('app');
  fetch('/api/' + app.dataset.page).then(function (r) { return r.json(); }).then(function (items) {
    items.forEach(function (e) { var a = document.createElement('a'); a.href = e.u; a.textContent = e.t;
      var d = document.createElement('div'); d.appendChild(a); app.appendChild(d); });
  });
});"#;

async fn list_page(Path(i): Path<String>) -> impl IntoResponse {
    let i = i.trim_end_matches(".html").to_string();
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表 {i}</title>
<script src="/static/app.js"></script></head><body><div id="app" data-page="{i}"></div></body></html>"#
        ),
    )
}

async fn api(Path(i): Path<String>) -> impl IntoResponse {
    let items: Vec<serde_json::Value> = (0..LINKS_PER_PAGE)
        .map(|k| {
            serde_json::json!({"u": format!("/art/{i}/{k}.html"), "t": format!("某县{}年政府信息公开工作年度报告", 2000 + k)})
        })
        .collect();
    axum::Json(items)
}

/// Serves the listings on 127.0.0.1 (an OS-chosen port) until the task is aborted.
pub async fn serve() -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let app = Router::new()
        .route("/p/{i}", get(list_page))
        .route("/api/{i}", get(api))
        .route(
            "/static/app.js",
            get(|| async { ([(header::CONTENT_TYPE, "application/javascript")], APP_JS) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}
