//! The browser fetcher: pages whose list is built by script are loaded in
//! headless Chromium and their rendered DOM captured.
//!
//! The module knows nothing of the crawl: every request the browser wants to
//! make is put to a [`RequestGate`] (the crawler's scope, robots.txt and
//! per-host rate) and only goes out once admitted. [`Renderer`] is the pool:
//! one browser started on first use, a fixed number of tabs, a restart when the
//! browser dies. [`decide`] is the pure decision of when a page needs it.

pub mod cdp;
pub mod decide;
pub mod launch;
mod tab;

pub use decide::{PageSignals, RenderDecision, decide};
pub use launch::{INSTALL_HINT, find_chromium};

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use url::Url;

/// Why rendering a page failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Chromium could not be started.
    #[error("cannot start {binary}: {message}")]
    Launch {
        /// The binary that was run.
        binary: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The browser process ended or closed the DevTools pipe.
    #[error("the browser went away (crashed or was killed)")]
    BrowserGone,
    /// The tab's renderer crashed.
    #[error("the page's renderer crashed")]
    TabCrashed,
    /// The browser could not load the page itself.
    #[error("navigation failed: {0}")]
    Navigation(String),
    /// An unexpected DevTools reply.
    #[error("DevTools protocol: {0}")]
    Protocol(String),
    /// Pipe set-up failed.
    #[error("browser pipe: {0}")]
    Io(#[from] std::io::Error),
}

/// The page-load budget and pool size, from `[render]` in crawler.toml.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Tabs rendering at once.
    pub tabs: usize,
    /// Navigation to captured DOM.
    pub page_timeout: Duration,
    /// Quiet network time after which the page counts as settled.
    pub network_idle: Duration,
    /// Requests one page may make (the page itself included).
    pub max_requests: usize,
    /// Scrolls to the bottom after the page settles.
    pub scroll_steps: u32,
    /// Sent as the browser's User-Agent, so sites see who is crawling.
    pub user_agent: String,
}

impl RenderOptions {
    /// The options of a `[render]` section.
    pub fn from_config(c: &crate::config::RenderConfig, user_agent: String) -> RenderOptions {
        RenderOptions {
            tabs: c.tabs.max(1),
            page_timeout: Duration::from_secs_f64(c.page_timeout_secs),
            network_idle: Duration::from_millis(c.network_idle_ms),
            max_requests: c.max_requests_per_page.max(1),
            scroll_steps: c.scroll_steps,
            user_agent,
        }
    }
}

/// A request the browser wants to make, put to the gate.
#[derive(Debug, Clone)]
pub struct BrowserRequest {
    /// Where it goes.
    pub url: Url,
    /// DevTools resource type: Document, Script, XHR, Fetch, Stylesheet …
    pub resource_type: String,
}

/// The gate's answer.
pub enum Admission {
    /// Send it; the guard is held until the response has been read (the host's slot).
    Allow(Box<dyn Send>),
    /// Refuse it, for this reason.
    Refuse(String),
}

/// Decides, and waits for, each request a rendered page makes.
pub trait RequestGate: Send + Sync {
    /// Waits for `request`'s turn, or refuses it.
    fn admit<'a>(
        &'a self,
        request: &'a BrowserRequest,
    ) -> Pin<Box<dyn Future<Output = Admission> + Send + 'a>>;
}

/// The page's own document as the crawler already fetched it: the browser is
/// served these bytes instead of asking the host a second time.
#[derive(Debug, Clone)]
pub struct Prefetched {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes as received.
    pub body: Vec<u8>,
}

/// One response (or failure) the rendered page loaded.
#[derive(Debug, Clone)]
pub struct BrowserFetch {
    /// Requested URL.
    pub url: String,
    /// Resource type.
    pub resource_type: String,
    /// Status, when a response came.
    pub status: Option<u16>,
    /// Bytes received over the wire.
    pub bytes: u64,
    /// Time from request to the end of the body.
    pub duration: Duration,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// A request the page wanted and was refused.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Requested URL.
    pub url: String,
    /// Resource type.
    pub resource_type: String,
    /// Why.
    pub reason: String,
}

/// What a rendered page came to.
#[derive(Debug, Clone)]
pub struct RenderedPage {
    /// Where the page ended up (after redirects and script navigation).
    pub final_url: Url,
    /// The serialised DOM once the page settled, declared as UTF-8.
    pub html: String,
    /// Responses the page loaded, in order of completion.
    pub fetches: Vec<BrowserFetch>,
    /// Requests refused (scope, robots, type, budget).
    pub refused: Vec<Refused>,
    /// Navigation to capture.
    pub elapsed: Duration,
    /// False when the time budget ran out before the network went quiet.
    pub settled: bool,
    /// Scrolls done after the page first settled.
    pub scrolls: u32,
}

struct Browser {
    process: launch::Process,
    conn: cdp::Connection,
}

/// The pool: one browser, started on first use, with a fixed number of tabs.
pub struct Renderer {
    binary: PathBuf,
    opts: RenderOptions,
    tabs: Semaphore,
    browser: tokio::sync::Mutex<Option<Arc<Browser>>>,
    launches: AtomicU64,
}

impl Renderer {
    /// A pool driving `binary`; nothing is started until the first page.
    pub fn new(binary: &Path, opts: RenderOptions) -> Renderer {
        Renderer {
            binary: binary.to_path_buf(),
            tabs: Semaphore::new(opts.tabs),
            opts,
            browser: tokio::sync::Mutex::new(None),
            launches: AtomicU64::new(0),
        }
    }

    /// The binary this pool drives.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// How many times a browser was started (more than one: restarts after a crash).
    pub fn launches(&self) -> u64 {
        self.launches.load(Ordering::Relaxed)
    }

    /// The running browser's pid (also its process group), if one runs.
    pub async fn browser_pid(&self) -> Option<i32> {
        self.browser.lock().await.as_ref().map(|b| b.process.pid)
    }

    /// Loads `url` in a tab, each request passing `gate`, and captures the DOM.
    /// A browser that died is restarted and the page tried once more.
    pub async fn render(
        &self,
        url: &Url,
        prefetched: Option<&Prefetched>,
        gate: Arc<dyn RequestGate>,
    ) -> Result<RenderedPage, RenderError> {
        let _tab = self
            .tabs
            .acquire()
            .await
            .map_err(|_| RenderError::BrowserGone)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let browser = self.running().await?;
            let r = tab::render(
                &browser.conn,
                url,
                prefetched,
                Arc::clone(&gate),
                &self.opts,
            )
            .await;
            match r {
                Err(RenderError::BrowserGone) if attempt < 2 => {
                    tracing::warn!("the browser went away while rendering {url}; restarting it");
                    self.discard(&browser).await;
                }
                r => return r,
            }
        }
    }

    /// Closes the browser, politely first so it reaps its helpers (it is
    /// started again by the next render); the process group is killed after.
    pub async fn shutdown(&self) {
        let Some(b) = self.browser.lock().await.take() else {
            return;
        };
        let close = b.conn.call(None, "Browser.close", serde_json::json!({}));
        let _ = tokio::time::timeout(Duration::from_secs(2), close).await;
        for _ in 0..40 {
            if b.process.exited() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn running(&self) -> Result<Arc<Browser>, RenderError> {
        let mut slot = self.browser.lock().await;
        if let Some(b) = slot.as_ref().filter(|b| !b.conn.is_closed()) {
            return Ok(Arc::clone(b));
        }
        slot.take();
        let mut process = launch::launch(&self.binary, &self.opts.user_agent)?;
        self.launches.fetch_add(1, Ordering::Relaxed);
        let (Some(to), Some(from)) = (process.to_browser.take(), process.from_browser.take())
        else {
            return Err(RenderError::BrowserGone);
        };
        let conn = cdp::Connection::new(to, from)?;
        // The first reply says the browser is up.
        conn.call(None, "Browser.getVersion", serde_json::json!({}))
            .await
            .map_err(|e| RenderError::Launch {
                binary: self.binary.clone(),
                message: format!("no DevTools reply: {e}"),
            })?;
        let b = Arc::new(Browser { process, conn });
        *slot = Some(Arc::clone(&b));
        Ok(b)
    }

    async fn discard(&self, dead: &Arc<Browser>) {
        let mut slot = self.browser.lock().await;
        if slot.as_ref().is_some_and(|b| Arc::ptr_eq(b, dead)) {
            slot.take();
        }
        dead.process.kill();
    }
}
