//! `nianbao serve`: a local, read-only web dashboard over the archive.
//!
//! The server opens the archive read-only for every request (so it runs
//! beside a crawl), binds loopback unless told otherwise, and treats every
//! string from the archive as hostile: pages are rendered by maud (escaping
//! by default) under a strict CSP, and archived HTML is only ever served
//! rewritten, script-free, inside a sandboxed frame.

mod agency;
mod archived;
mod compare;
mod coverage;
pub mod render;
mod report;
mod runs;

use crate::store::{Store, StoreError};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The default address: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8730";

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{0} is not a loopback address: the dashboard shows the whole archive to anyone who can reach it; pass --public to bind it anyway"
    )]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub db: PathBuf,
    pub bind: SocketAddr,
    /// Allow a non-loopback `bind`.
    pub public: bool,
}

/// What every handler shares: where the archive is.
#[derive(Debug)]
pub(crate) struct AppState {
    db: PathBuf,
}

pub(crate) type State = axum::extract::State<Arc<AppState>>;

/// An error a handler answers with: a page saying what went wrong.
#[derive(Debug)]
pub(crate) enum PageError {
    NotFound(String),
    BadRequest(String),
    Internal(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Internal(e.to_string())
    }
}

impl From<crate::export::ExportError> for PageError {
    fn from(e: crate::export::ExportError) -> Self {
        PageError::Internal(e.to_string())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, msg) = match self {
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            PageError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        render::error_page(status, &msg)
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

/// Runs `f` on a fresh read-only connection on the blocking pool.
pub(crate) async fn with_store<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&Store) -> Result<T, PageError> + Send + 'static,
) -> Result<T, PageError> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let store = Store::open_read_only(&db)?;
        f(&store)
    })
    .await
    .map_err(|e| PageError::Internal(format!("request failed: {e}")))?
}

/// The dashboard's routes. With `hosts`, a request whose `Host` is not one of
/// them is refused: a web page the user visits cannot reach the dashboard by
/// pointing its own name at 127.0.0.1 (DNS rebinding).
pub fn router(db: PathBuf, hosts: Option<Vec<String>>) -> Router {
    let state = Arc::new(AppState { db });
    let hosts = Arc::new(hosts);
    Router::new()
        .route("/", get(coverage::page))
        .route("/export/{what}", get(coverage::download))
        .route("/agency/{id}", get(agency::page))
        .route("/agency/{id}/repeat/{year}", get(agency::repeat))
        .route("/report/{id}", get(report::page))
        .route("/archive/{id}", get(archived::frame))
        .route("/raw/{id}", get(archived::raw))
        .route("/runs", get(runs::page))
        .route("/compare", get(compare::page))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .fallback(|| async { PageError::NotFound("没有这个页面 (no such page)".into()) })
        .with_state(state)
        .layer(axum::middleware::from_fn(move |req, next| {
            check_host(hosts.clone(), req, next)
        }))
}

async fn check_host(
    hosts: Arc<Option<Vec<String>>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(allowed) = hosts.as_ref() {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) {
            return PageError::BadRequest(format!(
                "Host {host:?} 不是本机地址 (not this dashboard's address)"
            ))
            .into_response();
        }
    }
    next.run(req).await
}

/// The `Host` values a loopback dashboard answers to.
fn loopback_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        addr.to_string(),
    ]
}

async fn css() -> Response {
    let resp = (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        render::CSS,
    )
        .into_response();
    render::with_headers(resp, render::PAGE_CSP)
}

async fn js() -> Response {
    let resp = (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        render::JS,
    )
        .into_response();
    render::with_headers(resp, render::PAGE_CSP)
}

/// Checks the archive opens read-only, binds, calls `bound` with the address
/// actually bound (port 0 picks one), and serves until `shutdown` resolves.
pub async fn serve(
    opts: &ServeOptions,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if !opts.bind.ip().is_loopback() && !opts.public {
        return Err(ServeError::NotLoopback(opts.bind));
    }
    drop(Store::open_read_only(&opts.db)?);
    let listener = tokio::net::TcpListener::bind(opts.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: opts.bind,
            source,
        })?;
    let addr = listener.local_addr()?;
    bound(addr);
    let hosts = (!opts.public).then(|| loopback_hosts(addr));
    axum::serve(listener, router(opts.db.clone(), hosts))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
