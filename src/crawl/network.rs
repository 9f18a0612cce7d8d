//! The network side of a crawl: the HTTP client, the per-host politeness gate,
//! the global cap on requests in flight, and robots.txt rules per host.
//!
//! A request needs two things at the same instant: its host's turn and one of
//! the global slots. Both are taken together ([`Network::try_slot`]) and only
//! when both are free, so nothing waiting for its host's turn ever holds a
//! global slot, and a request starts the moment its turn is granted (a turn
//! granted and then spent waiting for a global slot would shorten the gap to
//! the host's next request).

use super::address::AddressPolicy;
use super::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use super::politeness::{NotReady, Politeness, Robots, Turn};
use super::robots::RobotsCache;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// What a crawl sends requests with.
pub(crate) struct Network {
    fetcher: Fetcher,
    pub politeness: Politeness,
    global: Arc<Semaphore>,
    /// Told the host of every request that ends, so the dispatcher can start the next.
    released: mpsc::UnboundedSender<String>,
    /// robots.txt rules of each host seen in this run.
    pub robots: RobotsCache,
}

/// The right to send one request now: the host's turn and a global slot.
/// Dropping it (when the response is read) frees both and tells the dispatcher.
pub(crate) struct Slot {
    host: String,
    released: mpsc::UnboundedSender<String>,
    turn: Option<Turn>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Slot {
    /// The host this slot is for.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Free both before telling, so the dispatcher finds them free.
        drop(self.turn.take());
        drop(self.permit.take());
        // The dispatcher may be gone (the run is ending): nothing to tell then.
        let _ = self.released.send(std::mem::take(&mut self.host));
    }
}

/// Why no request can start for a host now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The host is not ready (see [`NotReady`]).
    Host(NotReady),
    /// Every global slot is taken: a slot frees when some request ends.
    Global,
}

impl Network {
    /// `concurrency` requests in flight at most; `released` hears of each one that ends.
    pub fn new(
        fetcher: Fetcher,
        politeness: Politeness,
        concurrency: usize,
        released: mpsc::UnboundedSender<String>,
    ) -> Network {
        Network {
            fetcher,
            politeness,
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            released,
            robots: RobotsCache::default(),
        }
    }

    /// A slot for `host` now, or why not; never waits.
    pub fn try_slot(&self, host: &str) -> Result<Slot, Wait> {
        let permit = self
            .global
            .clone()
            .try_acquire_owned()
            .map_err(|_| Wait::Global)?;
        let turn = self.politeness.try_turn(host).map_err(Wait::Host)?;
        Ok(Slot {
            host: host.to_string(),
            released: self.released.clone(),
            turn: Some(turn),
            permit: Some(permit),
        })
    }

    /// Waits for a slot for `host` (robots.txt, retries). A global slot is held
    /// only for the instant the host's turn is asked for: if the host is not
    /// ready, it is given back before waiting.
    pub async fn slot(&self, host: &str) -> Slot {
        loop {
            if let Some(at) = self.politeness.not_before(host) {
                tokio::time::sleep_until(wait_until(at)).await;
            }
            // Fair (first come, first served) and kept once granted, so two
            // waiters never hand one permit back and forth.
            let Ok(permit) = self.global.clone().acquire_owned().await else {
                unreachable!("the global semaphore is never closed");
            };
            match self.politeness.try_turn(host) {
                Ok(turn) => {
                    return Slot {
                        host: host.to_string(),
                        released: self.released.clone(),
                        turn: Some(turn),
                        permit: Some(permit),
                    };
                }
                Err(NotReady::Until(at)) => {
                    drop(permit);
                    tokio::time::sleep_until(wait_until(at)).await
                }
                Err(NotReady::Busy) => {
                    drop(permit);
                    self.politeness.slot_free(host).await
                }
            }
        }
    }

    /// Sends one GET, or a form POST when `form` is given (record groups, list
    /// APIs), with `slot` held, its body cut at `cap` bytes (`None`: the
    /// crawl's cap). The host's next gap is counted from the end of this
    /// response: the server saw this request before it answered, so a gap
    /// counted from here holds at the server whatever the delays between
    /// sending and arriving.
    pub async fn fetch_request(
        &self,
        slot: &Slot,
        url: &url::Url,
        form: Option<&str>,
        validators: &Validators,
        cap: Option<u64>,
    ) -> Result<FetchOutcome, FetchError> {
        let result = self.fetcher.fetch_request(url, form, validators, cap).await;
        self.politeness.answered(&slot.host);
        result
    }

    /// The address policy every connection passes.
    pub fn addresses(&self) -> &AddressPolicy {
        self.fetcher.addresses()
    }

    /// `host`'s robots.txt rules when known and standing (not unreachable).
    pub fn robots_known(&self, host: &str) -> Option<Arc<Robots>> {
        self.robots.known(host)
    }
}

/// `at` as a tokio instant.
pub(crate) fn wait_until(at: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crawl::fetch::FetcherOptions;
    use std::time::Duration;

    fn network(rps: f64, concurrency: usize) -> (Network, mpsc::UnboundedReceiver<String>) {
        let fetcher = Fetcher::new(&FetcherOptions {
            user_agent: "t".into(),
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_body_bytes: 1024,
            tolerate_invalid_tls_hosts: Vec::new(),
            resolve: Vec::new(),
            addresses: Arc::new(AddressPolicy::new(false, [])),
        })
        .unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Network::new(fetcher, Politeness::new(rps, 1), concurrency, tx),
            rx,
        )
    }

    #[tokio::test]
    async fn a_host_waiting_for_its_turn_holds_no_global_slot() {
        // One global slot, two hosts at 1 request per second.
        let (net, mut released) = network(1.0, 1);
        let a = net.try_slot("a").unwrap();
        // The global slot is taken: b must wait for it, not for its own rate.
        assert_eq!(net.try_slot("b").err(), Some(Wait::Global));
        drop(a);
        assert_eq!(released.recv().await.as_deref(), Some("a"));
        // a's next turn is a second away; asking for it must not keep the slot…
        assert!(matches!(
            net.try_slot("a").err(),
            Some(Wait::Host(NotReady::Until(_)))
        ));
        // …so b gets it at once.
        let b = net.try_slot("b").unwrap();
        assert_eq!(net.try_slot("c").err(), Some(Wait::Global));
        drop(b);
    }

    #[tokio::test]
    async fn a_host_with_its_request_in_flight_gets_no_second_slot_and_the_rate_tells_when() {
        let (net, _released) = network(10.0, 4);
        let a = net.try_slot("a").unwrap();
        assert!(matches!(net.try_slot("a").err(), Some(Wait::Host(_))));
        drop(a);
        let Some(Wait::Host(NotReady::Until(at))) = net.try_slot("a").err() else {
            panic!("the rate must hold the second request");
        };
        assert!(at.saturating_duration_since(Instant::now()) <= Duration::from_millis(100));
        drop(net.slot("a").await);
        assert!(Instant::now() >= at, "slot() waited for the host's turn");
    }
}
