//! The DevTools protocol over Chromium's `--remote-debugging-pipe`: JSON
//! messages separated by NUL bytes. Commands get their reply by id; events are
//! routed to the tab (flat session) they belong to.

use super::RenderError;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::{mpsc, oneshot};

/// An event of one session: its method and parameters.
#[derive(Debug)]
pub struct Event {
    pub method: String,
    pub params: Value,
}

type Reply = Result<Value, String>;

#[derive(Default)]
struct Routes {
    pending: HashMap<u64, oneshot::Sender<Reply>>,
    sessions: HashMap<String, mpsc::UnboundedSender<Event>>,
    closed: bool,
}

/// One browser connection, shared by all tabs.
pub struct Connection {
    next_id: AtomicU64,
    writer: mpsc::UnboundedSender<Vec<u8>>,
    routes: Arc<Mutex<Routes>>,
}

/// How long a single command may take before the browser counts as hung.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

impl Connection {
    /// Starts the reader and writer tasks over the two pipe ends.
    pub fn new(to_browser: OwnedFd, from_browser: OwnedFd) -> Result<Connection, RenderError> {
        let tx = pipe::Sender::from_owned_fd(to_browser)?;
        let rx = pipe::Receiver::from_owned_fd(from_browser)?;
        let routes = Arc::new(Mutex::new(Routes::default()));
        let (writer, mut queue) = mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            let mut tx = tx;
            while let Some(mut msg) = queue.recv().await {
                msg.push(0);
                if tx.write_all(&msg).await.is_err() {
                    break;
                }
            }
        });
        let r = Arc::clone(&routes);
        tokio::spawn(async move {
            let mut rx = BufReader::new(rx);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match rx.read_until(0, &mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                let Ok(msg) = serde_json::from_slice::<Value>(&buf) else {
                    continue;
                };
                route(&r, msg);
            }
            // The browser is gone: fail every waiting command, end every tab's event stream.
            let mut routes = r.lock().unwrap_or_else(|p| p.into_inner());
            routes.closed = true;
            for (_, tx) in routes.pending.drain() {
                let _ = tx.send(Err("the browser closed the DevTools pipe".into()));
            }
            routes.sessions.clear();
        });
        Ok(Connection {
            next_id: AtomicU64::new(1),
            writer,
            routes,
        })
    }

    /// The browser has gone away (crashed, killed, or closed the pipe).
    pub fn is_closed(&self) -> bool {
        self.routes.lock().unwrap_or_else(|p| p.into_inner()).closed || self.writer.is_closed()
    }

    /// Sends `method` (to a tab's session, or the browser when `None`) and waits for its result.
    pub async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, RenderError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
            if routes.closed {
                return Err(RenderError::BrowserGone);
            }
            routes.pending.insert(id, tx);
        }
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = Value::String(s.to_string());
        }
        let bytes = serde_json::to_vec(&msg).map_err(|e| RenderError::Protocol(e.to_string()))?;
        if self.writer.send(bytes).is_err() {
            return Err(RenderError::BrowserGone);
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, rx).await {
            Err(_) => {
                self.routes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pending
                    .remove(&id);
                Err(RenderError::Protocol(format!(
                    "{method}: no reply in {}s",
                    COMMAND_TIMEOUT.as_secs()
                )))
            }
            Ok(Err(_)) => Err(RenderError::BrowserGone),
            Ok(Ok(Err(_))) if self.is_closed() => Err(RenderError::BrowserGone),
            Ok(Ok(Err(message))) => Err(RenderError::Protocol(format!("{method}: {message}"))),
            Ok(Ok(Ok(v))) => Ok(v),
        }
    }

    /// The events of `session`, from now on, until the session or browser ends.
    pub fn subscribe(&self, session: &str) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        if !routes.closed {
            routes.sessions.insert(session.to_string(), tx);
        }
        rx
    }

    /// Stops routing events to `session`.
    pub fn unsubscribe(&self, session: &str) {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sessions
            .remove(session);
    }
}

fn route(routes: &Mutex<Routes>, mut msg: Value) {
    let mut routes = routes.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(id) = msg.get("id").and_then(Value::as_u64) {
        if let Some(tx) = routes.pending.remove(&id) {
            let reply = match msg.get_mut("error") {
                Some(e) => Err(e
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_string()),
                None => Ok(msg
                    .get_mut("result")
                    .map(Value::take)
                    .unwrap_or(Value::Null)),
            };
            let _ = tx.send(reply);
        }
        return;
    }
    let (Some(method), Some(session)) = (
        msg.get("method").and_then(Value::as_str),
        msg.get("sessionId").and_then(Value::as_str),
    ) else {
        return;
    };
    if let Some(tx) = routes.sessions.get(session) {
        let event = Event {
            method: method.to_string(),
            params: msg
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null),
        };
        let _ = tx.send(event);
    }
}
