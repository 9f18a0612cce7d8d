//! One HTTP request: conditional headers, a body read in chunks up to the
//! size cap, and errors sorted into kinds the retry policy understands.
//! Redirects are not followed here but returned, so that every hop passes the
//! crawl's own scope, robots and politeness decisions ([`super::redirect`]);
//! every connection goes through the address policy ([`super::address`]).

use super::address::{AddressPolicy, GuardedResolver, REFUSED};
use reqwest::header::{self, HeaderMap};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Why a fetch failed, coarse enough to decide on retrying and to count by host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The connection or the whole request took longer than its timeout.
    Timeout,
    /// The TCP connection could not be made.
    Connect,
    /// The TLS handshake failed (e.g. an invalid certificate on a host not tolerated).
    Tls,
    /// Too many redirects (more than `max_redirects`).
    Redirect,
    /// The address is one the crawler must not connect to (private, loopback …).
    Refused,
    /// The host name did not resolve.
    Dns,
    /// The response headers were larger than the HTTP client accepts.
    HeadersTooLarge,
    /// The server answered with an error status (4xx/5xx).
    Status,
    /// The connection broke while reading the body.
    Body,
    /// Anything else the HTTP client reported.
    Other,
}

impl ErrorKind {
    /// Short name of the kind, as stored in the archive and shown in failure counts.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Redirect => "redirect",
            ErrorKind::Refused => "refused",
            ErrorKind::Dns => "dns",
            ErrorKind::HeadersTooLarge => "headers_too_large",
            ErrorKind::Status => "http",
            ErrorKind::Body => "body",
            ErrorKind::Other => "other",
        }
    }
}

/// A failed request: the URL, why, and what is known of the response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{url}: {message}")]
pub struct FetchError {
    /// The URL requested.
    pub url: String,
    /// Why it failed, for the retry decision and per-host counts.
    pub kind: ErrorKind,
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
    /// Human-readable detail.
    pub message: String,
    /// From a 429/503 `Retry-After` header.
    pub retry_after: Option<Duration>,
    /// Bytes of the body read before the failure (0 when none).
    pub bytes: u64,
}

impl FetchError {
    /// Timeouts, connection and name failures, broken bodies, 5xx and 429 are worth another try.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Timeout | ErrorKind::Connect | ErrorKind::Dns | ErrorKind::Body => true,
            ErrorKind::Status => matches!(self.status, Some(429) | Some(500..=599)),
            _ => false,
        }
    }
}

/// A response with its body (possibly cut at the cap).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// URL of this response (the request URL; redirects are returned, not followed).
    pub final_url: Url,
    /// HTTP version, e.g. `HTTP/1.1`.
    pub http_version: String,
    /// Response headers in order, names as received.
    pub headers: Vec<(String, String)>,
    /// The body, at most the size cap.
    pub body: Vec<u8>,
    /// The body was cut at the size cap.
    pub truncated: bool,
}

impl Fetched {
    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}

/// What a request can end in, short of an error.
#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// A response below 400 that is neither 304 nor a redirect, with its body.
    Ok(Fetched),
    /// 304: the archived snapshot is still current.
    NotModified {
        /// Headers of the 304 response.
        headers: Vec<(String, String)>,
    },
    /// A 3xx with its `Location`, for the crawl to decide on.
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The `Location` header, as sent.
        location: Option<String>,
    },
}

/// Validators of the archived copy, sent as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    /// `ETag` of the archived copy.
    pub etag: Option<String>,
    /// `Last-Modified` of the archived copy.
    pub last_modified: Option<String>,
}

/// How to build a [`Fetcher`]: identity, timeouts, size cap, TLS leniency.
#[derive(Debug, Clone)]
pub struct FetcherOptions {
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request including the body.
    pub request_timeout: Duration,
    /// Bodies are cut at this many bytes.
    pub max_body_bytes: u64,
    /// Hosts whose invalid TLS certificates are accepted.
    pub tolerate_invalid_tls_hosts: Vec<String>,
    /// Host names pinned to addresses (no DNS lookup for them).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// Which addresses may be connected to.
    pub addresses: Arc<AddressPolicy>,
}

/// HTTP clients for the crawl: one verifying TLS, one (only if configured) that
/// accepts invalid certificates for the hosts listed in the config.
#[derive(Debug, Clone)]
pub struct Fetcher {
    strict: reqwest::Client,
    lenient: Option<reqwest::Client>,
    lenient_hosts: HashSet<String>,
    max_body_bytes: u64,
    addresses: Arc<AddressPolicy>,
}

/// The HTTP client could not be built (TLS setup, bad pinned address …).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientBuildError(#[from] reqwest::Error);

/// Installs the ring TLS provider once per process (reqwest is built without a default provider).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    /// Builds the clients; fails only if reqwest cannot set one up.
    pub fn new(opts: &FetcherOptions) -> Result<Fetcher, ClientBuildError> {
        install_tls_provider();
        let build = |lenient: bool| {
            let pinned = opts
                .resolve
                .iter()
                .fold(reqwest::Client::builder(), |b, (host, addr)| {
                    b.resolve(host, *addr)
                });
            pinned
                .user_agent(opts.user_agent.clone())
                .connect_timeout(opts.connect_timeout)
                .timeout(opts.request_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(Arc::new(GuardedResolver {
                    policy: Arc::clone(&opts.addresses),
                }))
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .tls_danger_accept_invalid_certs(lenient)
                .build()
        };
        let lenient_hosts: HashSet<String> = opts
            .tolerate_invalid_tls_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        Ok(Fetcher {
            strict: build(false)?,
            lenient: if lenient_hosts.is_empty() {
                None
            } else {
                Some(build(true)?)
            },
            lenient_hosts,
            max_body_bytes: opts.max_body_bytes,
            addresses: Arc::clone(&opts.addresses),
        })
    }

    /// The address policy every connection passes.
    pub fn addresses(&self) -> &AddressPolicy {
        &self.addresses
    }

    fn client_for(&self, url: &Url) -> &reqwest::Client {
        match (&self.lenient, url.host_str()) {
            (Some(lenient), Some(host))
                if self.lenient_hosts.contains(&host.to_ascii_lowercase()) =>
            {
                lenient
            }
            _ => &self.strict,
        }
    }

    /// One GET, with conditional headers when validators are given.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        self.fetch_request(url, None, validators, None).await
    }

    /// One GET whose body is cut at `cap` bytes (the rest is never read).
    pub async fn fetch_capped(
        &self,
        url: &Url,
        validators: &Validators,
        cap: u64,
    ) -> Result<FetchOutcome, FetchError> {
        self.fetch_request(url, None, validators, Some(cap)).await
    }

    /// One GET, or a form POST when `form` is given (Hanweb record groups,
    /// `$.post` list APIs), with conditional headers when validators are given;
    /// the body is cut at `cap` bytes (`None`: the crawl's cap).
    pub async fn fetch_request(
        &self,
        url: &Url,
        form: Option<&str>,
        validators: &Validators,
        cap: Option<u64>,
    ) -> Result<FetchOutcome, FetchError> {
        let cap = cap.unwrap_or(self.max_body_bytes);
        if let Err(refused) = self.addresses.check_url(url) {
            return Err(FetchError {
                url: url.to_string(),
                kind: ErrorKind::Refused,
                status: None,
                message: refused.to_string(),
                retry_after: None,
                bytes: 0,
            });
        }
        let client = self.client_for(url);
        let mut req = match form {
            Some(body) => client
                .post(url.clone())
                .header(
                    header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded; charset=UTF-8",
                )
                .body(body.to_string()),
            None => client.get(url.clone()),
        };
        if let Some(etag) = &validators.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        let mut resp = req.send().await.map_err(|e| classify(url, &e))?;
        let status = resp.status().as_u16();
        let headers = header_pairs(resp.headers());
        if status == 304 {
            return Ok(FetchOutcome::NotModified { headers });
        }
        if (300..400).contains(&status) {
            return Ok(FetchOutcome::Redirect {
                status,
                location: resp
                    .headers()
                    .get(header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            });
        }
        if status >= 400 {
            return Err(FetchError {
                url: url.to_string(),
                kind: ErrorKind::Status,
                status: Some(status),
                message: format!("HTTP {status}"),
                retry_after: retry_after(resp.headers()),
                bytes: 0,
            });
        }
        let final_url = resp.url().clone();
        let http_version = format!("{:?}", resp.version());
        let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0).min(cap) as usize);
        let mut truncated = false;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = (cap as usize).saturating_sub(body.len());
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let mut err = classify(url, &e);
                    if err.kind == ErrorKind::Other {
                        err.kind = ErrorKind::Body;
                    }
                    err.bytes = body.len() as u64;
                    return Err(err);
                }
            }
        }
        Ok(FetchOutcome::Ok(Fetched {
            status,
            final_url,
            http_version,
            headers,
            body,
            truncated,
        }))
    }
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            // Chinese servers send raw GBK in headers (Content-Disposition file
            // names): read what is not UTF-8 as GB18030, GBK's superset.
            let value = match std::str::from_utf8(v.as_bytes()) {
                Ok(s) => s.to_string(),
                Err(_) => encoding_rs::GB18030.decode(v.as_bytes()).0.into_owned(),
            };
            (k.as_str().to_string(), value)
        })
        .collect()
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn classify(url: &Url, e: &reqwest::Error) -> FetchError {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    let lower = chain.to_ascii_lowercase();
    let kind = if lower.contains(REFUSED) {
        ErrorKind::Refused
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else if lower.contains("message head is too large") || lower.contains("header too large") {
        ErrorKind::HeadersTooLarge
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        ErrorKind::Dns
    } else if e.is_redirect() {
        ErrorKind::Redirect
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        ErrorKind::Tls
    } else if e.is_connect() || lower.contains("connection closed before message completed") {
        // The latter: a kept-alive connection the server had closed, a transport fault.
        ErrorKind::Connect
    } else if e.is_body() || e.is_decode() {
        ErrorKind::Body
    } else {
        ErrorKind::Other
    };
    FetchError {
        url: url.to_string(),
        kind,
        status: e.status().map(|s| s.as_u16()),
        message: chain,
        retry_after: None,
        bytes: 0,
    }
}

/// The delay before retry `attempt` (1-based): `Retry-After` when the server gave one
/// (capped), else exponential backoff from `initial` up to `max` with ±50 % jitter.
pub fn retry_delay(
    attempt: u32,
    err: &FetchError,
    initial: Duration,
    max: Duration,
    max_retry_after: Duration,
) -> Duration {
    if let Some(ra) = err.retry_after {
        return ra.min(max_retry_after);
    }
    let exp = initial.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let base = exp.min(max);
    base.mul_f64(0.5 + fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: ErrorKind, status: Option<u16>) -> FetchError {
        FetchError {
            url: "http://x/".into(),
            kind,
            status,
            message: String::new(),
            retry_after: None,
            bytes: 0,
        }
    }

    #[test]
    fn retryable_kinds() {
        assert!(err(ErrorKind::Timeout, None).is_retryable());
        assert!(err(ErrorKind::Status, Some(503)).is_retryable());
        assert!(err(ErrorKind::Status, Some(429)).is_retryable());
        assert!(!err(ErrorKind::Status, Some(404)).is_retryable());
        assert!(!err(ErrorKind::Tls, None).is_retryable());
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps_and_honours_retry_after() {
        let (i, m, cap) = (
            Duration::from_millis(100),
            Duration::from_millis(1000),
            Duration::from_secs(5),
        );
        for _ in 0..50 {
            let d1 = retry_delay(1, &err(ErrorKind::Timeout, None), i, m, cap);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(150),
                "{d1:?}"
            );
            let d3 = retry_delay(3, &err(ErrorKind::Timeout, None), i, m, cap);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(600),
                "{d3:?}"
            );
            let d9 = retry_delay(9, &err(ErrorKind::Timeout, None), i, m, cap);
            assert!(d9 <= Duration::from_millis(1500), "{d9:?}");
        }
        let mut e = err(ErrorKind::Status, Some(429));
        e.retry_after = Some(Duration::from_secs(2));
        assert_eq!(retry_delay(1, &e, i, m, cap), Duration::from_secs(2));
        e.retry_after = Some(Duration::from_secs(3600));
        assert_eq!(retry_delay(1, &e, i, m, cap), cap);
    }

    #[test]
    fn retry_after_http_date() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }
}
