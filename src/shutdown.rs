//! The stop signal shared by the crawl, the scheduler and the commands: a
//! `watch` channel that turns `true` once Ctrl-C or SIGTERM asks the work in
//! flight to finish and the rest to wait for the next run.

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

/// Set when the stop came from Ctrl-C (SIGINT) rather than SIGTERM.
static BY_CTRL_C: AtomicBool = AtomicBool::new(false);

/// Whether the stop asked for came from Ctrl-C: an operator at a terminal
/// (exit 130), not a service manager's SIGTERM (a normal stop, exit 0).
pub fn stopped_by_ctrl_c() -> bool {
    BY_CTRL_C.load(Ordering::Relaxed)
}

/// The stop signal: `true` once shutdown is asked for (Ctrl-C, SIGTERM).
pub type Shutdown = watch::Receiver<bool>;

/// A new stop signal: send `true` on the sender to stop the scheduler.
pub fn shutdown_channel() -> (watch::Sender<bool>, Shutdown) {
    watch::channel(false)
}

/// Resolves once shutdown is asked for; never, if the sender is gone without asking.
pub async fn stopped(rx: &mut Shutdown) {
    if rx.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A stop signal raised by Ctrl-C or SIGTERM (call inside the tokio runtime).
pub fn shutdown_on_signals() -> Shutdown {
    let (tx, rx) = shutdown_channel();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate()).ok();
            let terminated = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => BY_CTRL_C.store(true, Ordering::Relaxed),
                _ = terminated => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            BY_CTRL_C.store(true, Ordering::Relaxed);
        }
        tracing::info!("stop requested: finishing the run in flight");
        let _ = tx.send(true);
    });
    rx
}
