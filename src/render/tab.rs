//! One page in one tab: every request paused (Fetch domain) until the gate
//! admits it, responses recorded (Network domain), the page left to settle
//! (load event, then a quiet network, then scrolls while the page grows),
//! and the DOM serialised.

use super::cdp::{Connection, Event};
use super::{
    Admission, BrowserFetch, BrowserRequest, Prefetched, Refused, RenderError, RenderOptions,
    RenderedPage, RequestGate,
};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use url::Url;

/// Resource types a listing needs; images, fonts, media, pings … are refused.
const WANTED_TYPES: &[&str] = &["Document", "Script", "XHR", "Fetch", "Stylesheet"];

/// The DOM, declared as the UTF-8 it is serialised in (a `<meta charset=gbk>`
/// left in place would make a later reader decode the archived bytes wrongly).
const CAPTURE: &str = r#"(() => {
  for (const m of document.querySelectorAll('meta[charset]')) m.setAttribute('charset', 'utf-8');
  for (const m of document.querySelectorAll('meta[http-equiv]'))
    if (m.httpEquiv.toLowerCase() === 'content-type') m.setAttribute('content', 'text/html; charset=utf-8');
  const dt = document.doctype ? '<!DOCTYPE ' + document.doctype.name + '>\n' : '';
  return JSON.stringify([location.href, dt + document.documentElement.outerHTML]);
})()"#;

const HEIGHT: &str = r#"Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"#;

const SCROLL: &str = r#"(() => {
  const h = Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
  window.scrollTo(0, h);
  window.dispatchEvent(new Event('scroll'));
  return h;
})()"#;

/// Renders `url` in a new tab of the browser behind `conn`.
pub(super) async fn render(
    conn: &Connection,
    url: &Url,
    prefetched: Option<&Prefetched>,
    gate: Arc<dyn RequestGate>,
    opts: &RenderOptions,
) -> Result<RenderedPage, RenderError> {
    let created = conn
        .call(None, "Target.createTarget", json!({"url": "about:blank"}))
        .await?;
    let target = str_field(&created, "targetId")?;
    let attached = conn
        .call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        )
        .await;
    let result = match attached {
        Ok(a) => match str_field(&a, "sessionId") {
            Ok(session) => {
                let events = conn.subscribe(&session);
                let r = Tab {
                    conn,
                    session: &session,
                    gate,
                    opts,
                }
                .drive(url, prefetched, events)
                .await;
                conn.unsubscribe(&session);
                r
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    if !conn.is_closed() {
        let _ = conn
            .call(None, "Target.closeTarget", json!({"targetId": target}))
            .await;
    }
    result
}

fn str_field(v: &Value, key: &str) -> Result<String, RenderError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| RenderError::Protocol(format!("reply without {key}: {v}")))
}

struct Tab<'a> {
    conn: &'a Connection,
    session: &'a str,
    gate: Arc<dyn RequestGate>,
    opts: &'a RenderOptions,
}

/// A paused request the gate has answered.
struct Answered {
    request_id: String,
    network_id: Option<String>,
    guard: Option<Box<dyn Send>>,
    refused: Option<Refused>,
}

/// A request under way, from the Network domain.
struct InFlight {
    url: String,
    resource_type: String,
    started: Instant,
    status: Option<u16>,
}

impl Tab<'_> {
    async fn call(&self, method: &str, params: Value) -> Result<Value, RenderError> {
        self.conn.call(Some(self.session), method, params).await
    }

    async fn drive(
        &self,
        url: &Url,
        prefetched: Option<&Prefetched>,
        mut events: mpsc::UnboundedReceiver<Event>,
    ) -> Result<RenderedPage, RenderError> {
        let t0 = Instant::now();
        let deadline = tokio::time::Instant::now() + self.opts.page_timeout;
        self.call(
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}),
        )
        .await?;
        self.call("Network.enable", json!({})).await?;
        self.call("Page.enable", json!({})).await?;

        let (answers_tx, mut answers) = mpsc::unbounded_channel::<Answered>();
        let mut gate_tasks = tokio::task::JoinSet::new();
        let mut awaiting_gate = 0usize;
        let mut requests = 0usize;
        let mut served_document = false;
        let mut inflight: HashMap<String, InFlight> = HashMap::new();
        let mut guards: HashMap<String, Box<dyn Send>> = HashMap::new();
        let mut ended: HashSet<String> = HashSet::new();
        let mut fetches = Vec::new();
        let mut refused = Vec::new();
        let mut loaded = false;
        let mut settled = true;
        let mut scrolls = 0u32;
        let mut last_height: Option<i64> = None;
        let mut unchanged = 0u32;
        let mut last_activity = tokio::time::Instant::now();

        let navigate = self.call("Page.navigate", json!({"url": url.as_str()}));
        tokio::pin!(navigate);
        let mut navigated = false;

        loop {
            let quiet = loaded && navigated && inflight.is_empty() && awaiting_gate == 0;
            tokio::select! {
                r = &mut navigate, if !navigated => {
                    navigated = true;
                    let r = r?;
                    if let Some(err) = r.get("errorText").and_then(Value::as_str).filter(|e| !e.is_empty()) {
                        return Err(RenderError::Navigation(err.to_string()));
                    }
                    last_activity = tokio::time::Instant::now();
                }
                ev = events.recv() => {
                    let Some(ev) = ev else { return Err(RenderError::BrowserGone) };
                    last_activity = tokio::time::Instant::now();
                    match ev.method.as_str() {
                        "Fetch.requestPaused" => {
                            requests += 1;
                            let p = &ev.params;
                            let request_id = p["requestId"].as_str().unwrap_or_default().to_string();
                            let req_url = p["request"]["url"].as_str().unwrap_or_default().to_string();
                            let rtype = p["resourceType"].as_str().unwrap_or("Other").to_string();
                            let network_id = p["networkId"].as_str().map(str::to_string);
                            let is_page = !served_document && rtype == "Document" && same_page(&req_url, url);
                            if let (true, Some(pre)) = (is_page, prefetched) {
                                served_document = true;
                                self.fulfil(&request_id, pre).await?;
                                continue;
                            }
                            let refuse = if !WANTED_TYPES.contains(&rtype.as_str()) {
                                Some(format!("{rtype} not needed for a listing"))
                            } else if requests > self.opts.max_requests {
                                Some(format!("over the budget of {} requests per page", self.opts.max_requests))
                            } else {
                                None
                            };
                            match (refuse, Url::parse(&req_url)) {
                                (None, Ok(parsed)) => {
                                    awaiting_gate += 1;
                                    let gate = Arc::clone(&self.gate);
                                    let tx = answers_tx.clone();
                                    let request = BrowserRequest { url: parsed, resource_type: rtype.clone() };
                                    gate_tasks.spawn(async move {
                                        let (guard, refused) = match gate.admit(&request).await {
                                            Admission::Allow(g) => (Some(g), None),
                                            Admission::Refuse(reason) => (None, Some(Refused {
                                                url: request.url.to_string(),
                                                resource_type: request.resource_type.clone(),
                                                reason,
                                            })),
                                        };
                                        let _ = tx.send(Answered { request_id, network_id, guard, refused });
                                    });
                                }
                                (refuse, _) => {
                                    let reason = refuse.unwrap_or_else(|| "not a valid URL".into());
                                    self.call("Fetch.failRequest", json!({"requestId": request_id, "errorReason": "BlockedByClient"})).await?;
                                    refused.push(Refused { url: req_url, resource_type: rtype, reason });
                                }
                            }
                        }
                        "Network.requestWillBeSent" => {
                            let p = &ev.params;
                            let id = p["requestId"].as_str().unwrap_or_default().to_string();
                            if let Some(redirect) = p.get("redirectResponse")
                                && let Some(prev) = inflight.remove(&id)
                            {
                                // A redirect answered the previous hop of this request.
                                fetches.push(BrowserFetch {
                                    url: prev.url,
                                    resource_type: prev.resource_type,
                                    status: redirect["status"].as_u64().map(|s| s as u16),
                                    bytes: 0,
                                    duration: prev.started.elapsed(),
                                    error: None,
                                });
                                // The next hop needs its own turn at the gate.
                                guards.remove(&id);
                            }
                            inflight.insert(id, InFlight {
                                url: p["request"]["url"].as_str().unwrap_or_default().to_string(),
                                resource_type: p["type"].as_str().unwrap_or("Other").to_string(),
                                started: Instant::now(),
                                status: None,
                            });
                        }
                        "Network.responseReceived" => {
                            let p = &ev.params;
                            if let Some(f) = p["requestId"].as_str().and_then(|id| inflight.get_mut(id)) {
                                f.status = p["response"]["status"].as_u64().map(|s| s as u16);
                            }
                        }
                        "Network.loadingFinished" | "Network.loadingFailed" => {
                            let p = &ev.params;
                            let id = p["requestId"].as_str().unwrap_or_default().to_string();
                            guards.remove(&id);
                            ended.insert(id.clone());
                            if let Some(f) = inflight.remove(&id) {
                                let error = p["errorText"].as_str().map(str::to_string);
                                // Requests we refused are listed as refused, not as fetches.
                                if error.as_deref() != Some("net::ERR_BLOCKED_BY_CLIENT") && !f.url.starts_with("data:") {
                                    fetches.push(BrowserFetch {
                                        url: f.url,
                                        resource_type: f.resource_type,
                                        status: f.status,
                                        bytes: p["encodedDataLength"].as_f64().unwrap_or(0.0) as u64,
                                        duration: f.started.elapsed(),
                                        error,
                                    });
                                }
                            }
                        }
                        "Page.loadEventFired" => loaded = true,
                        "Inspector.targetCrashed" => return Err(RenderError::TabCrashed),
                        _ => {}
                    }
                }
                a = answers.recv() => {
                    let Some(a) = a else { continue };
                    awaiting_gate -= 1;
                    last_activity = tokio::time::Instant::now();
                    match (a.guard, a.refused) {
                        (Some(guard), _) => {
                            // The host's slot is held until the response body has arrived.
                            if let Some(id) = a.network_id.filter(|id| !ended.contains(id)) {
                                guards.insert(id, guard);
                            }
                            self.call("Fetch.continueRequest", json!({"requestId": a.request_id})).await?;
                        }
                        (None, refusal) => {
                            self.call("Fetch.failRequest", json!({"requestId": a.request_id, "errorReason": "BlockedByClient"})).await?;
                            refused.extend(refusal);
                        }
                    }
                }
                _ = tokio::time::sleep_until(last_activity + self.opts.network_idle), if quiet => {
                    // Quiet network: scroll to the bottom (while scrolls are left) and see
                    // whether the page grew. It is settled once its height held over two
                    // quiet periods, which also catches lists drawn by a timer.
                    let scroll = scrolls < self.opts.scroll_steps;
                    let h = self.evaluate(if scroll { SCROLL } else { HEIGHT }).await?.as_i64();
                    scrolls += scroll as u32;
                    if h == last_height {
                        unchanged += 1;
                        // Events that arrived meanwhile (a timer's request) are handled first.
                        if unchanged >= 2 && events.is_empty() && answers.is_empty() {
                            break;
                        }
                    } else {
                        unchanged = 0;
                        last_height = h;
                    }
                    last_activity = tokio::time::Instant::now();
                }
                _ = tokio::time::sleep_until(deadline) => {
                    settled = false;
                    break;
                }
            }
        }
        gate_tasks.abort_all();
        if !navigated {
            return Err(RenderError::Navigation(format!(
                "the page did not load within {}s",
                self.opts.page_timeout.as_secs_f64()
            )));
        }
        // Stop the page before reading it, so nothing more goes out.
        let _ = self.call("Page.stopLoading", json!({})).await;
        let captured = self.evaluate(CAPTURE).await?;
        let (final_url, html): (String, String) = captured
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| RenderError::Protocol(format!("unexpected DOM capture: {captured}")))?;
        drop(guards);
        Ok(RenderedPage {
            final_url: Url::parse(&final_url).unwrap_or_else(|_| url.clone()),
            html,
            fetches,
            refused,
            elapsed: t0.elapsed(),
            settled,
            scrolls,
        })
    }

    async fn evaluate(&self, expression: &str) -> Result<Value, RenderError> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(RenderError::Protocol(format!("script failed: {e}")));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Serves the page's document from the bytes already fetched.
    async fn fulfil(&self, request_id: &str, pre: &Prefetched) -> Result<(), RenderError> {
        // Hop-by-hop and encoding headers describe the original transfer, not these bytes.
        let headers: Vec<Value> = pre
            .headers
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.to_ascii_lowercase().as_str(),
                    "content-encoding" | "content-length" | "transfer-encoding" | "connection"
                )
            })
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        self.call(
            "Fetch.fulfillRequest",
            json!({
                "requestId": request_id,
                "responseCode": pre.status,
                "responseHeaders": headers,
                "body": base64::engine::general_purpose::STANDARD.encode(&pre.body),
            }),
        )
        .await?;
        Ok(())
    }
}

/// The document request is the page itself (the fragment never reaches the wire).
fn same_page(requested: &str, page: &Url) -> bool {
    let mut p = page.clone();
    p.set_fragment(None);
    Url::parse(requested).is_ok_and(|r| r == p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_page_is_recognised_without_its_fragment() {
        let page = Url::parse("http://a.test/list/index.html#top").unwrap();
        assert!(same_page("http://a.test/list/index.html", &page));
        assert!(!same_page("http://a.test/list/other.html", &page));
    }

    #[test]
    fn only_what_a_listing_needs_is_wanted() {
        for t in ["Document", "Script", "XHR", "Fetch"] {
            assert!(WANTED_TYPES.contains(&t));
        }
        for t in ["Image", "Font", "Media", "Ping", "Manifest"] {
            assert!(!WANTED_TYPES.contains(&t));
        }
    }

    #[test]
    fn idle_budget_is_not_zero_by_default() {
        let o = RenderOptions::from_config(&crate::config::RenderConfig::default(), "ua".into());
        assert!(o.network_idle >= Duration::from_millis(50));
        assert_eq!(o.tabs, 2);
    }
}
