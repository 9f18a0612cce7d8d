//! The one place every request to a host passes through: the per-host rate
//! (governor, keyed by host), the per-host in-flight cap, pauses ordered by
//! `Retry-After`, and robots.txt rules including `Crawl-delay`.

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
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

/// The per-host gate every request passes through (see the module header).
pub struct Politeness {
    rate: DefaultKeyedRateLimiter<String>,
    period: Duration,
    per_host_inflight: usize,
    hosts: Mutex<HashMap<String, HostGate>>,
}

#[derive(Clone)]
struct HostGate {
    inflight: Arc<Semaphore>,
    /// The least time between two request starts: the configured period when
    /// one request at a time is allowed, robots.txt `Crawl-delay` when longer.
    min_gap: Option<Duration>,
    /// When the last request to the host was answered (or, while it is in
    /// flight, when its turn was granted).
    last_answer: Option<Instant>,
    paused_until: Option<Instant>,
}

impl HostGate {
    /// When a pause or the host's gap ends, if later than `now`. The gap is
    /// measured from the last answer ([`Politeness::answered`]), not from when
    /// the turn was granted: a turn used late must not shorten the next gap.
    fn not_before(&self, now: Instant) -> Option<Instant> {
        let gap_end = self
            .last_answer
            .zip(self.min_gap)
            .map(|(last, gap)| last + gap);
        let at = self.paused_until.max(gap_end)?;
        (at > now).then_some(at)
    }
}

/// Why a host cannot take a request right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// All its in-flight slots are taken: ready again when a request ends.
    Busy,
    /// Its rate, `Crawl-delay` or a `Retry-After` pause allows the next request at this instant.
    Until(Instant),
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

    fn hosts(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostGate>> {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn gate(&self, host: &str) -> HostGate {
        let period = self.period;
        let one_at_a_time = self.per_host_inflight == 1;
        self.hosts()
            .entry(host.to_string())
            .or_insert_with(|| HostGate {
                inflight: Arc::new(Semaphore::new(self.per_host_inflight)),
                min_gap: one_at_a_time.then_some(period),
                last_answer: None,
                paused_until: None,
            })
            .clone()
    }

    /// Takes `host`'s turn now if the host may receive one more request: no
    /// pause in force, an in-flight slot free, the time since the last request
    /// actually sent at least the host's gap, and the rate allowing a request
    /// at this instant. Never waits, so a scheduler can ask for many hosts
    /// without holding anything for those that are not ready.
    pub fn try_turn(&self, host: &str) -> Result<Turn, NotReady> {
        let gate = self.gate(host);
        let now = Instant::now();
        if let Some(at) = gate.not_before(now) {
            return Err(NotReady::Until(at));
        }
        let permit = gate
            .inflight
            .clone()
            .try_acquire_owned()
            .map_err(|_| NotReady::Busy)?;
        let clock = self.rate.clock();
        if let Err(later) = self.rate.check_key(&host.to_string()) {
            return Err(NotReady::Until(now + later.wait_time_from(clock.now())));
        }
        // The request starts now at the earliest; `answered` moves this to its answer.
        self.answered(host);
        Ok(Turn { _permit: permit })
    }

    /// The instant before which `host` surely cannot take a turn (a pause, or
    /// its gap since the last answer), without taking anything: a waiter
    /// sleeps through it instead of holding a global slot only to learn it.
    pub fn not_before(&self, host: &str) -> Option<Instant> {
        self.hosts().get(host)?.not_before(Instant::now())
    }

    /// Records that `host` answered a request now (with its turn still held):
    /// the next request waits the host's gap from here.
    pub fn answered(&self, host: &str) {
        if let Some(g) = self.hosts().get_mut(host) {
            g.last_answer = Some(Instant::now());
        }
    }

    /// Resolves once one of `host`'s in-flight slots is free (without taking it).
    pub async fn slot_free(&self, host: &str) {
        let gate = self.gate(host);
        drop(gate.inflight.acquire().await);
    }

    /// Waits until `host` may receive one more request, then holds its slot.
    pub async fn wait_turn(&self, host: &str) -> Turn {
        loop {
            match self.try_turn(host) {
                Ok(turn) => return turn,
                Err(NotReady::Until(at)) => tokio::time::sleep_until(at.into()).await,
                Err(NotReady::Busy) => self.slot_free(host).await,
            }
        }
    }

    /// Stops all requests to `host` until `until` (a 429/503 `Retry-After`).
    pub fn pause_host(&self, host: &str, for_: Duration) {
        let until = Instant::now() + for_;
        if let Some(g) = self.hosts().get_mut(host)
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
        if let Some(g) = self.hosts().get_mut(host) {
            g.min_gap = Some(delay);
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
    /// The rules of a fetched and parsed robots.txt.
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

    /// Whether our user agent may fetch `url`.
    pub fn allowed(&self, url: &str) -> bool {
        match self {
            Robots::AllowAll => true,
            Robots::DisallowAll | Robots::Unreachable(_) => false,
            Robots::Rules(r) => r.allowed(url),
        }
    }

    /// The `Crawl-delay` for our user agent, when positive; capped at 120 s.
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

    #[tokio::test]
    async fn not_before_tells_when_a_host_surely_cannot_take_a_turn() {
        let p = Politeness::new(10.0, 1);
        // Never asked: nothing to wait for.
        assert_eq!(p.not_before("a"), None);
        let turn = p.wait_turn("a").await;
        p.answered("a");
        drop(turn);
        let at = p.not_before("a").expect("its gap is running");
        let left = at.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_millis(80) && left <= Duration::from_millis(100),
            "{left:?}"
        );
        // A pause reaches further than the gap.
        p.pause_host("a", Duration::from_millis(500));
        let paused = p.not_before("a").unwrap();
        assert!(paused > at + Duration::from_millis(300));
        // Taking nothing: the host's turn is still there once the wait is over.
        tokio::time::sleep_until(paused.into()).await;
        assert_eq!(p.not_before("a"), None);
        assert!(p.try_turn("a").is_ok());
    }
}
