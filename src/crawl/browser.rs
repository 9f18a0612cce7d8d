//! The crawl's side of rendering: which pool (if any) a run gets, the gate
//! every browser request passes (scope, robots.txt, the per-host rate), and
//! archiving a rendered page's DOM and requests.

use super::politeness::host_key;
use super::scope::{self, Analysed};
use super::{Crawl, CrawlError};
use crate::render::{
    Admission, BrowserRequest, Prefetched, RenderDecision, RenderOptions, Renderer, RequestGate,
};
use crate::store::{FetchRecord, FrontierItem, NewLink, RenderCommit, now};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use url::Url;

/// The pool for a run: `None` when nothing is to be rendered or no browser is installed.
pub(crate) fn renderer(config: &crate::config::Config) -> Option<Arc<Renderer>> {
    let r = &config.render;
    if !r.auto && r.hosts.is_empty() {
        return None;
    }
    let configured = (!r.chromium.is_empty()).then(|| {
        let p = Path::new(&r.chromium);
        if p.components().count() > 1 {
            config.resolve(p)
        } else {
            p.to_path_buf()
        }
    });
    match crate::render::find_chromium(configured.as_deref()) {
        Some(binary) => Some(Arc::new(Renderer::new(
            &binary,
            RenderOptions::from_config(r, config.user_agent()),
        ))),
        None => {
            tracing::info!(
                "no Chromium found: pages built by script are recorded as needing a browser; {}",
                crate::render::INSTALL_HINT
            );
            None
        }
    }
}

/// Admits a rendered page's requests as the HTTP fetcher's are admitted.
struct CrawlGate {
    crawl: Arc<Crawl>,
    item: FrontierItem,
}

impl RequestGate for CrawlGate {
    fn admit<'a>(
        &'a self,
        request: &'a BrowserRequest,
    ) -> Pin<Box<dyn Future<Output = Admission> + Send + 'a>> {
        Box::pin(async move {
            let crawl = &self.crawl;
            if !scope::in_scope(&crawl.scope, &self.item, &request.url) {
                return Admission::Refuse("outside the seed's scope".into());
            }
            if crawl.stopping() {
                return Admission::Refuse("the crawl is stopping".into());
            }
            let host = host_key(&request.url);
            // The browser connects by itself: the address policy is applied to
            // what the name resolves to here, before it may.
            if let Err(refused) = crawl.net.addresses().check_resolved(&request.url).await {
                return Admission::Refuse(refused.to_string());
            }
            if crawl.config.crawler.respect_robots_txt {
                match super::robots::robots_for(crawl, &self.item, &request.url, &mut None).await {
                    Ok(r) if r.allowed(request.url.as_str()) => {}
                    Ok(r) => {
                        return Admission::Refuse(match &*r {
                            super::politeness::Robots::Unreachable(why) => {
                                format!("robots.txt unreachable ({why})")
                            }
                            _ => "disallowed by robots.txt".into(),
                        });
                    }
                    Err(e) => return Admission::Refuse(format!("robots.txt: {e}")),
                }
            }
            Admission::Allow(Box::new(crawl.net.slot(&host).await))
        })
    }
}

/// What rendering added to a page's commit.
pub(crate) struct Rendered {
    /// For the frontier entry: what was decided and what came of it.
    pub reason: String,
    /// Links of the rendered DOM.
    pub links: Vec<NewLink>,
    /// The rendered snapshot, when it is a report.
    pub report_snapshot: Option<i64>,
    /// A new rendered snapshot was archived.
    pub new_snapshot: bool,
}

/// Renders a page the decision picked, archives its DOM and requests, and
/// returns its links; without a browser, records that one is needed.
pub(crate) async fn render_page(
    crawl: &Arc<Crawl>,
    item: &FrontierItem,
    decision: RenderDecision,
    source: &crate::crawl::fetch::Fetched,
) -> Result<Rendered, CrawlError> {
    let Some(renderer) = crawl.renderer.clone() else {
        return Ok(Rendered {
            reason: format!(
                "needs a browser: {} ({})",
                decision.reason,
                crate::render::INSTALL_HINT
            ),
            links: Vec::new(),
            report_snapshot: None,
            new_snapshot: false,
        });
    };
    let gate = Arc::new(CrawlGate {
        crawl: Arc::clone(crawl),
        item: item.clone(),
    });
    let prefetched = Prefetched {
        status: source.status,
        headers: source.headers.clone(),
        body: source.body.clone(),
    };
    let started_at = now();
    let page = match renderer
        .render(&source.final_url, Some(&prefetched), gate)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            let record = FetchRecord {
                url: item.url.clone(),
                host: item.host.clone(),
                attempt: 1,
                started_at,
                error_kind: Some("browser".into()),
                error: Some(e.to_string()),
                ..Default::default()
            };
            super::process::record_fetch(crawl, record).await?;
            return Ok(Rendered {
                reason: format!("render failed ({}): {e}", decision.reason),
                links: Vec::new(),
                report_snapshot: None,
                new_snapshot: false,
            });
        }
    };
    let mut fetches: Vec<FetchRecord> = page
        .fetches
        .iter()
        .filter_map(|f| {
            let url = Url::parse(&f.url).ok()?;
            Some(FetchRecord {
                url: f.url.clone(),
                host: host_key(&url),
                attempt: 1,
                started_at: started_at.clone(),
                duration_ms: f.duration.as_millis() as i64,
                status: f.status,
                error_kind: f.error.as_ref().map(|_| "browser".to_string()),
                error: f.error.clone(),
                bytes: f.bytes as i64,
            })
        })
        .collect();
    fetches.extend(page.refused.iter().map(|r| FetchRecord {
        url: r.url.clone(),
        host: Url::parse(&r.url).map(|u| host_key(&u)).unwrap_or_default(),
        attempt: 1,
        started_at: started_at.clone(),
        error_kind: Some("refused".into()),
        error: Some(format!("{} refused: {}", r.resource_type, r.reason)),
        ..Default::default()
    }));
    let outcome = if page.settled {
        format!(
            "{} requests, {:.1}s",
            page.fetches.len(),
            page.elapsed.as_secs_f64()
        )
    } else {
        format!(
            "{} requests, page budget of {:.0}s ran out",
            page.fetches.len(),
            crawl.config.render.page_timeout_secs
        )
    };
    let reason = format!("rendered: {}; {outcome}", decision.reason);
    let dom = crate::crawl::fetch::Fetched {
        status: source.status,
        final_url: page.final_url.clone(),
        http_version: source.http_version.clone(),
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("x-nianbao-rendered".into(), "chromium".into()),
        ],
        body: page.html.into_bytes(),
        truncated: false,
    };
    let analysed: Analysed = crawl.analyse(item, dom, None).await?;
    let is_report = analysed.meta.kind == crate::page::facts::PageKind::Report;
    let commit = RenderCommit {
        run_id: crawl.run_id,
        fetches,
        snapshot: analysed.snapshot,
        body: analysed.body,
        meta: analysed.meta,
        reason: decision.reason.clone(),
    };
    let stored = crawl.store.call(move |s| s.commit_render(&commit)).await?;
    Ok(Rendered {
        reason,
        links: analysed.links,
        report_snapshot: (is_report && stored.new_snapshot).then_some(stored.snapshot_id),
        new_snapshot: stored.new_snapshot,
    })
}
