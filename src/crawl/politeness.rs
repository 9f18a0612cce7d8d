//! The one place every request to a host passes through: the per-host rate
//! (governor, keyed by host), the per-host in-flight cap, pauses ordered by
//! `Retry-After`, and robots.txt rules including `Crawl-delay`.

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The key politeness is enforced on: scheme, host and port (`http://127.0.0.1:8080`).
pub fn host_key(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The configured rate as a governor quota: `rps` per second with `burst`.
pub fn quota(rps: f64, burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs_f64(1.0 / rps.max(1e-6));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

pub struct Politeness {
    rate: DefaultKeyedRateLimiter<String>,
    period: Duration,
    per_host_inflight: usize,
    hosts: Mutex<HashMap<String, HostGate>>,
}

#[derive(Clone)]
struct HostGate {
    inflight: Arc<Semaphore>,
    /// A stricter limiter from robots.txt `Crawl-delay`.
    crawl_delay: Option<Arc<DefaultDirectRateLimiter>>,
    paused_until: Option<Instant>,
}

/// Held while a request is in flight; dropping it frees the host's slot.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
}

impl Politeness {
    /// `rps` requests per second and `burst` per host; at most `burst` requests in flight per host.
    pub fn new(rps: f64, burst: u32) -> Politeness {
        Politeness {
            rate: RateLimiter::keyed(quota(rps, burst)),
            period: Duration::from_secs_f64(1.0 / rps.max(1e-6)),
            per_host_inflight: burst.max(1) as usize,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn gate(&self, host: &str) -> HostGate {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host.to_string())
            .or_insert_with(|| HostGate {
                inflight: Arc::new(Semaphore::new(self.per_host_inflight)),
                crawl_delay: None,
                paused_until: None,
            })
            .clone()
    }

    /// Waits until `host` may receive one more request, then holds its slot.
    pub async fn wait_turn(&self, host: &str) -> Turn {
        let gate = self.gate(host);
        let permit = gate
            .inflight
            .clone()
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        loop {
            // A pause may be set (or extended) while we wait; re-read it each time.
            let paused = self.gate(host).paused_until;
            match paused {
                Some(until) if until > Instant::now() => {
                    tokio::time::sleep_until(until.into()).await
                }
                _ => break,
            }
        }
        self.rate.until_key_ready(&host.to_string()).await;
        if let Some(delay) = &gate.crawl_delay {
            delay.until_ready().await;
        }
        Turn { _permit: permit }
    }

    /// Stops all requests to `host` until `until` (a 429/503 `Retry-After`).
    pub fn pause_host(&self, host: &str, for_: Duration) {
        let until = Instant::now() + for_;
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = hosts.get_mut(host)
            && g.paused_until.is_none_or(|t| t < until)
        {
            g.paused_until = Some(until);
        }
    }

    /// Applies robots.txt `Crawl-delay` when it is stricter than the configured rate.
    pub fn set_crawl_delay(&self, host: &str, delay: Duration) {
        if delay <= self.period {
            return;
        }
        self.gate(host);
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = hosts.get_mut(host) {
            let q = Quota::with_period(delay).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
            g.crawl_delay = Some(Arc::new(RateLimiter::direct(q)));
        }
    }
}

/// robots.txt rules for one host.
pub enum Robots {
    /// No robots.txt (404/410), or robots disabled: everything allowed.
    AllowAll,
    /// The host refused robots.txt with 401/403: by convention, nothing allowed.
    DisallowAll,
    /// robots.txt could not be fetched (5xx, timeout …, said how): RFC 9309
    /// says assume complete disallow until it can.
    Unreachable(String),
    Rules(Box<texting_robots::Robot>),
}

impl Robots {
    /// Parses a fetched robots.txt for our user agent.
    pub fn parse(user_agent: &str, body: &[u8]) -> Robots {
        match texting_robots::Robot::new(user_agent, body) {
            Ok(r) => Robots::Rules(Box::new(r)),
            // An unparseable file is treated like a missing one, as major crawlers do.
            Err(_) => Robots::AllowAll,
        }
    }

    pub fn allowed(&self, url: &str) -> bool {
        match self {
            Robots::AllowAll => true,
            Robots::DisallowAll | Robots::Unreachable(_) => false,
            Robots::Rules(r) => r.allowed(url),
        }
    }

    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Robots::Rules(r) => r
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(120.0))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_keeps_port_and_scheme() {
        let u = url::Url::parse("http://127.0.0.1:8080/a/b").unwrap();
        assert_eq!(host_key(&u), "http://127.0.0.1:8080");
        let u = url::Url::parse("https://WWW.Shenyang.gov.cn/zwgk/").unwrap();
        assert_eq!(host_key(&u), "https://www.shenyang.gov.cn");
    }

    #[tokio::test]
    async fn rate_is_per_host_and_hosts_do_not_wait_for_each_other() {
        let p = Politeness::new(10.0, 1);
        let start = Instant::now();
        for _ in 0..3 {
            drop(p.wait_turn("a").await);
        }
        let a = start.elapsed();
        // 3 requests at 10/s with burst 1: the 2nd and 3rd wait ~100 ms each.
        assert!(a >= Duration::from_millis(180), "{a:?}");
        let b_start = Instant::now();
        drop(p.wait_turn("b").await);
        assert!(b_start.elapsed() < Duration::from_millis(50));
    }

    #[tokio::test]
    async fn pause_and_crawl_delay_slow_a_host_down() {
        let p = Politeness::new(100.0, 1);
        drop(p.wait_turn("a").await);
        p.pause_host("a", Duration::from_millis(150));
        let t = Instant::now();
        drop(p.wait_turn("a").await);
        assert!(t.elapsed() >= Duration::from_millis(140));
        p.set_crawl_delay("c", Duration::from_millis(200));
        let t = Instant::now();
        drop(p.wait_turn("c").await);
        drop(p.wait_turn("c").await);
        assert!(
            t.elapsed() >= Duration::from_millis(190),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn robots_rules() {
        let r = Robots::parse(
            "nianbao",
            b"User-agent: *\nDisallow: /private/\nCrawl-delay: 3\n",
        );
        assert!(r.allowed("http://h/zwgk/index.html"));
        assert!(!r.allowed("http://h/private/x.html"));
        assert_eq!(r.crawl_delay(), Some(Duration::from_secs(3)));
        assert!(!Robots::DisallowAll.allowed("http://h/"));
    }
}
