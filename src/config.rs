//! `crawler.toml` → a typed, validated [`Config`]; every error names the file, line and key.

use crate::patterns::{self, ReportPatterns};
use serde::Deserialize;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Why `crawler.toml` could not be used; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has an unknown key or a value of the wrong type.
    #[error("{path}: {message}")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A value is out of range or malformed (a bad regex, year range, cron, time zone …).
    #[error("{path}:{line}: key `{key}`: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// Line of the offending key (1-based; 0 when unknown).
        line: usize,
        /// The key, as `section.key`.
        key: String,
        /// What is wrong with the value.
        message: String,
    },
}

/// The whole configuration, with defaults for everything not in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[crawler]`: identity, politeness, timeouts and limits.
    pub crawler: CrawlerConfig,
    /// `[scope]`: which hosts and addresses may be crawled.
    pub scope: ScopeConfig,
    /// `[reports]`: which links and pages count as annual reports, and which years.
    pub reports: ReportsConfig,
    /// `[storage]`: the archive and the seed files.
    pub storage: StorageConfig,
    /// `[schedule]`: when `nianbao schedule` crawls.
    pub schedule: ScheduleConfig,
    /// Rendering script-built pages in headless Chromium.
    pub render: RenderConfig,
    /// Folder the config was read from; relative paths in it are relative to this.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// `[crawler]`: how the crawler identifies itself, how politely it fetches, and its limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrawlerConfig {
    /// Sent as `User-Agent`; [`Config::user_agent`] appends the contact.
    pub user_agent: String,
    /// E-mail or URL appended to the user agent as `(contact: …)`; empty by default.
    pub contact: String,
    /// Requests in flight at once, across all hosts (default 16).
    pub concurrency: usize,
    /// Sustained requests per second to one host (scheme+host+port; default 1.0).
    pub per_host_requests_per_second: f64,
    /// Requests one host may get at once after a pause (default 1).
    pub per_host_burst: u32,
    /// Fetch and obey robots.txt: Disallow, and Crawl-delay when stricter (default true).
    pub respect_robots_txt: bool,
    /// Seconds to connect (default 10).
    pub connect_timeout_secs: f64,
    /// Seconds for a whole request including the body (default 30).
    pub request_timeout_secs: f64,
    /// Bodies larger than this many bytes are cut at the limit and recorded as truncated (default 50 MiB).
    pub max_body_bytes: u64,
    /// Redirects followed per request (default 5).
    pub max_redirects: usize,
    /// Retries after timeouts, connection errors, 5xx and 429 (default 3).
    pub retries: u32,
    /// First retry backoff in milliseconds, doubled each retry, with jitter (default 1000).
    pub backoff_initial_ms: u64,
    /// Longest retry backoff in milliseconds (default 60 000).
    pub backoff_max_ms: u64,
    /// A `Retry-After` longer than this many seconds is capped (default 300).
    pub max_retry_after_secs: u64,
    /// Pages fetched per host per run (default 2000).
    pub max_pages_per_host: usize,
    /// Link depth followed from the seed page; pagination adds none (default 4).
    pub max_depth: u32,
    /// Longer URLs are not followed (crawler-trap guard; default 300).
    pub max_url_length: usize,
    /// Distinct query strings followed per URL path (crawler-trap guard; default 50).
    pub max_query_variants_per_path: usize,
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        CrawlerConfig {
            user_agent: format!(
                "nianbao/{} (annual-report archiver; see contact)",
                env!("CARGO_PKG_VERSION")
            ),
            contact: String::new(),
            concurrency: 16,
            per_host_requests_per_second: 1.0,
            per_host_burst: 1,
            respect_robots_txt: true,
            connect_timeout_secs: 10.0,
            request_timeout_secs: 30.0,
            max_body_bytes: 50 * 1024 * 1024,
            max_redirects: 5,
            retries: 3,
            backoff_initial_ms: 1000,
            backoff_max_ms: 60_000,
            max_retry_after_secs: 300,
            max_pages_per_host: 2000,
            max_depth: 4,
            max_url_length: 2048,
            max_query_variants_per_path: 50,
        }
    }
}

/// `[scope]`: hosts and addresses the crawl may reach besides each seed's own host.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScopeConfig {
    /// Hosts crawled besides each seed's own host (a CDN or file server the portal links to).
    pub extra_hosts: Vec<String>,
    /// Hosts whose invalid TLS certificates are tolerated; empty: verify everywhere.
    pub tolerate_invalid_tls_hosts: Vec<String>,
    /// Connect to private, loopback and link-local addresses (an intranet
    /// portal). Off by default: then only a seed that is itself on such an
    /// address may be reached there.
    pub allow_private_addresses: bool,
}

/// `[reports]`: what counts as an annual report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// `"2022-2024"`, `"2023"` or empty for every year found.
    pub years: String,
    /// A link or page is a report when its title matches one of these regexes …
    pub title_patterns: Vec<String>,
    /// … and none of these (notices about the report, work plans, interpretations).
    pub exclude_patterns: Vec<String>,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            years: String::new(),
            title_patterns: patterns::DEFAULT_TITLE_PATTERNS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            exclude_patterns: patterns::DEFAULT_EXCLUDE_PATTERNS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// `[storage]`: where the archive and the seeds are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The SQLite archive, relative to the config's folder (default `archive/nianbao.db`).
    pub database: PathBuf,
    /// Seed CSV files or folders of them (default `seeds`).
    pub seeds: Vec<PathBuf>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            database: PathBuf::from("archive/nianbao.db"),
            seeds: vec![PathBuf::from("seeds")],
        }
    }
}

/// `[schedule]`: when `nianbao schedule` runs a crawl.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// A 5-field cron expression (default `0 3 * * 1`, Monday 03:00).
    pub cron: String,
    /// IANA time zone the cron expression is read in (default `Asia/Shanghai`).
    pub timezone: String,
    /// Extract what each scheduled crawl archived (default true).
    pub extract_after_crawl: bool,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            cron: "0 3 * * 1".to_string(),
            timezone: "Asia/Shanghai".to_string(),
            extract_after_crawl: true,
        }
    }
}

/// `[render]`: when and how pages are rendered in headless Chromium.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RenderConfig {
    /// Render pages whose markup shows a script-built list (when Chromium is found).
    pub auto: bool,
    /// Hosts whose listing pages are always rendered.
    pub hosts: Vec<String>,
    /// Path of the Chromium binary; empty: look in the usual places.
    pub chromium: String,
    /// Pages rendered at once (browser tabs).
    pub tabs: usize,
    /// Budget of one rendered page, from navigation to the captured DOM.
    pub page_timeout_secs: f64,
    /// The page is settled once no request has been in flight for this long.
    pub network_idle_ms: u64,
    /// Requests one rendered page may make; later ones are refused.
    pub max_requests_per_page: usize,
    /// Scrolls to the bottom after the page settles, for lists that load on scroll.
    pub scroll_steps: u32,
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            auto: true,
            hosts: Vec::new(),
            chromium: String::new(),
            tabs: 2,
            page_timeout_secs: 30.0,
            network_idle_ms: 1000,
            max_requests_per_page: 100,
            scroll_steps: 3,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            crawler: CrawlerConfig::default(),
            scope: ScopeConfig::default(),
            reports: ReportsConfig::default(),
            storage: StorageConfig::default(),
            schedule: ScheduleConfig::default(),
            render: RenderConfig::default(),
            base_dir: PathBuf::from("."),
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Self::parse(&text, path)?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if config.base_dir.as_os_str().is_empty() {
            config.base_dir = PathBuf::from(".");
        }
        Ok(config)
    }

    /// Parses and validates config text; `path` is used in messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate(text, path)?;
        Ok(config)
    }

    fn validate(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let invalid = |section: &str, key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: key_line(text, section, key),
            key: format!("{section}.{key}"),
            message,
        };
        let c = &self.crawler;
        if c.user_agent.trim().is_empty() {
            return Err(invalid(
                "crawler",
                "user_agent",
                "must not be empty: sites need to know who is crawling".into(),
            ));
        }
        if c.concurrency == 0 {
            return Err(invalid(
                "crawler",
                "concurrency",
                "must be at least 1".into(),
            ));
        }
        if !(c.per_host_requests_per_second > 0.0 && c.per_host_requests_per_second <= 100.0) {
            return Err(invalid(
                "crawler",
                "per_host_requests_per_second",
                format!(
                    "must be > 0 and ≤ 100, got {}",
                    c.per_host_requests_per_second
                ),
            ));
        }
        if c.per_host_burst == 0 {
            return Err(invalid(
                "crawler",
                "per_host_burst",
                "must be at least 1".into(),
            ));
        }
        for (key, secs) in [
            ("connect_timeout_secs", c.connect_timeout_secs),
            ("request_timeout_secs", c.request_timeout_secs),
        ] {
            if !(secs > 0.0 && secs <= 3600.0) {
                return Err(invalid(
                    "crawler",
                    key,
                    format!("must be > 0 and ≤ 3600 seconds, got {secs}"),
                ));
            }
        }
        if c.max_body_bytes < 1024 {
            return Err(invalid(
                "crawler",
                "max_body_bytes",
                "must be at least 1024".into(),
            ));
        }
        if c.max_pages_per_host == 0 {
            return Err(invalid(
                "crawler",
                "max_pages_per_host",
                "must be at least 1".into(),
            ));
        }
        // Upper bounds: a value past these is a typo or an overflow, and some
        // (retries, Retry-After, depth) would keep a crawl from ever ending.
        for (key, value, max) in [
            ("concurrency", c.concurrency as u64, 1024),
            ("per_host_burst", u64::from(c.per_host_burst), 100),
            ("max_body_bytes", c.max_body_bytes, 1 << 30),
            ("max_redirects", c.max_redirects as u64, 20),
            ("retries", u64::from(c.retries), 20),
            ("backoff_initial_ms", c.backoff_initial_ms, 600_000),
            ("backoff_max_ms", c.backoff_max_ms, 3_600_000),
            ("max_retry_after_secs", c.max_retry_after_secs, 3600),
            ("max_pages_per_host", c.max_pages_per_host as u64, 1_000_000),
            ("max_depth", u64::from(c.max_depth), 64),
            ("max_url_length", c.max_url_length as u64, 65_536),
            (
                "max_query_variants_per_path",
                c.max_query_variants_per_path as u64,
                1_000_000,
            ),
        ] {
            if value > max {
                return Err(invalid(
                    "crawler",
                    key,
                    format!("must be at most {max}, got {value}"),
                ));
            }
        }
        if c.max_url_length < 32 {
            return Err(invalid(
                "crawler",
                "max_url_length",
                "must be at least 32".into(),
            ));
        }
        if c.backoff_initial_ms > c.backoff_max_ms {
            return Err(invalid(
                "crawler",
                "backoff_initial_ms",
                "must not exceed backoff_max_ms".into(),
            ));
        }
        parse_years(&self.reports.years).map_err(|m| invalid("reports", "years", m))?;
        for (key, list) in [
            ("title_patterns", &self.reports.title_patterns),
            ("exclude_patterns", &self.reports.exclude_patterns),
        ] {
            patterns::compile(list).map_err(|(p, e)| {
                invalid(
                    "reports",
                    key,
                    format!("pattern {p:?} is not a valid regex: {e}"),
                )
            })?;
        }
        if self.reports.title_patterns.is_empty() {
            return Err(invalid(
                "reports",
                "title_patterns",
                "needs at least one pattern".into(),
            ));
        }
        for (key, hosts) in [
            ("extra_hosts", &self.scope.extra_hosts),
            (
                "tolerate_invalid_tls_hosts",
                &self.scope.tolerate_invalid_tls_hosts,
            ),
        ] {
            if let Some(h) = hosts
                .iter()
                .find(|h| h.contains('/') || h.trim().is_empty())
            {
                return Err(invalid(
                    "scope",
                    key,
                    format!(
                        "{h:?} is not a host name (write `www.example.gov.cn`, no scheme or path)"
                    ),
                ));
            }
        }
        let r = &self.render;
        if !(1..=16).contains(&r.tabs) {
            return Err(invalid(
                "render",
                "tabs",
                format!("must be 1 to 16, got {}", r.tabs),
            ));
        }
        if !(r.page_timeout_secs > 0.0 && r.page_timeout_secs <= 600.0) {
            return Err(invalid(
                "render",
                "page_timeout_secs",
                format!("must be > 0 and ≤ 600 seconds, got {}", r.page_timeout_secs),
            ));
        }
        if !(50..=60_000).contains(&r.network_idle_ms) {
            return Err(invalid(
                "render",
                "network_idle_ms",
                format!("must be 50 to 60000, got {}", r.network_idle_ms),
            ));
        }
        if r.max_requests_per_page == 0 {
            return Err(invalid(
                "render",
                "max_requests_per_page",
                "must be at least 1 (the page itself)".into(),
            ));
        }
        if r.scroll_steps > 50 {
            return Err(invalid(
                "render",
                "scroll_steps",
                format!("must be at most 50, got {}", r.scroll_steps),
            ));
        }
        if let Some(h) = r
            .hosts
            .iter()
            .find(|h| h.contains('/') || h.trim().is_empty())
        {
            return Err(invalid(
                "render",
                "hosts",
                format!("{h:?} is not a host name (write `www.example.gov.cn`, no scheme or path)"),
            ));
        }
        croner::Cron::from_str(&self.schedule.cron).map_err(|e| {
            invalid(
                "schedule",
                "cron",
                format!("{:?} is not a cron expression: {e}", self.schedule.cron),
            )
        })?;
        self.schedule
            .timezone
            .parse::<chrono_tz::Tz>()
            .map_err(|e| {
                invalid(
                    "schedule",
                    "timezone",
                    format!("{:?}: {e}", self.schedule.timezone),
                )
            })?;
        Ok(())
    }

    /// A path from the config, resolved against the config file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The archive path, resolved against the config's folder.
    pub fn database_path(&self) -> PathBuf {
        self.resolve(&self.storage.database)
    }

    /// The seed files and folders, resolved against the config's folder.
    pub fn seed_paths(&self) -> Vec<PathBuf> {
        self.storage.seeds.iter().map(|p| self.resolve(p)).collect()
    }

    /// The compiled report patterns with the configured years (or `years` if given).
    pub fn report_patterns(&self, years: Option<RangeInclusive<i32>>) -> ReportPatterns {
        ReportPatterns {
            include: patterns::compile(&self.reports.title_patterns).unwrap_or_default(),
            exclude: patterns::compile(&self.reports.exclude_patterns).unwrap_or_default(),
            years: years.or_else(|| parse_years(&self.reports.years).ok().flatten()),
        }
    }

    /// The `User-Agent` sent: `crawler.user_agent`, plus `(contact: …)` when a contact is set.
    pub fn user_agent(&self) -> String {
        let c = &self.crawler;
        if c.contact.trim().is_empty() {
            c.user_agent.clone()
        } else {
            format!("{} (contact: {})", c.user_agent, c.contact.trim())
        }
    }

    /// `crawler.connect_timeout_secs` as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.crawler.connect_timeout_secs)
    }

    /// `crawler.request_timeout_secs` as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.crawler.request_timeout_secs)
    }
}

/// `""` → all years; `"2023"` → 2023..=2023; `"2022-2024"` → 2022..=2024.
pub fn parse_years(s: &str) -> Result<Option<RangeInclusive<i32>>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let year = |t: &str| -> Result<i32, String> {
        let y: i32 = t
            .trim()
            .parse()
            .map_err(|_| format!("{t:?} is not a year"))?;
        if (2000..=2100).contains(&y) {
            Ok(y)
        } else {
            Err(format!("{y} is not a plausible report year"))
        }
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (year(a)?, year(b)?),
        None => (year(s)?, year(s)?),
    };
    if a > b {
        return Err(format!("range {s:?} runs backwards"));
    }
    Ok(Some(a..=b))
}

/// The 1-based line where `key` is set inside `[section]`, or 0 when it is not in the file.
fn key_line(text: &str, section: &str, key: &str) -> usize {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            current = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        if current == section
            && let Some((k, _)) = t.split_once('=')
            && k.trim() == key
        {
            return i + 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_crawler_toml_is_valid_and_matches_defaults_where_it_should() {
        let text = include_str!("../crawler.toml");
        let c = Config::parse(text, Path::new("crawler.toml")).expect("shipped config parses");
        assert!(c.crawler.respect_robots_txt);
        assert!(c.scope.tolerate_invalid_tls_hosts.is_empty());
        assert_eq!(c.storage.database, PathBuf::from("archive/nianbao.db"));
    }

    #[test]
    fn empty_file_means_defaults() {
        let c = Config::parse("", Path::new("x.toml")).unwrap();
        assert_eq!(c.crawler.concurrency, 16);
        assert_eq!(c.schedule.cron, "0 3 * * 1");
    }

    #[test]
    fn invalid_value_names_file_line_and_key() {
        let text = "[crawler]\nconcurrency = 4\nper_host_requests_per_second = 0\n";
        let err = Config::parse(text, Path::new("conf/crawler.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "conf/crawler.toml:3: key `crawler.per_host_requests_per_second`: must be > 0 and ≤ 100, got 0"
        );
    }

    #[test]
    fn unknown_key_and_type_errors_name_the_place() {
        let err = Config::parse("[crawler]\nconcurency = 4\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml: "), "{err}");
        assert!(
            err.contains("concurency") && err.contains("line 2"),
            "{err}"
        );
        let err = Config::parse("[crawler]\nretries = \"many\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("retries"), "{err}");
    }

    #[test]
    fn bad_regex_and_cron_are_reported() {
        let err = Config::parse(
            "[reports]\ntitle_patterns = [\"(unclosed\"]\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("c.toml:2: key `reports.title_patterns`"),
            "{err}"
        );
        let err = Config::parse("[schedule]\ncron = \"every monday\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.toml:2: key `schedule.cron`"), "{err}");
    }

    #[test]
    fn render_section_defaults_and_errors() {
        let c = Config::parse(include_str!("../crawler.toml"), Path::new("crawler.toml")).unwrap();
        let d = RenderConfig::default();
        assert!(c.render.auto && d.auto, "auto is on by default");
        assert_eq!((c.render.tabs, d.tabs), (2, 2));
        assert_eq!(c.render.network_idle_ms, d.network_idle_ms);
        assert_eq!(c.render.max_requests_per_page, d.max_requests_per_page);
        let err = Config::parse(
            "[render]
auto = true
tabs = 0
",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "c.toml:3: key `render.tabs`: must be 1 to 16, got 0");
        let err = Config::parse(
            "[render]
hosts = [\"http://a.gov.cn/\"]
",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.toml:2: key `render.hosts`"), "{err}");
        let err = Config::parse(
            "[render]
network_idle_ms = 5
",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("render.network_idle_ms"), "{err}");
    }

    #[test]
    fn years_parse() {
        assert_eq!(parse_years("2022-2024").unwrap(), Some(2022..=2024));
        assert_eq!(parse_years(" 2023 ").unwrap(), Some(2023..=2023));
        assert_eq!(parse_years("").unwrap(), None);
        assert!(parse_years("2024-2022").is_err());
        assert!(parse_years("abc").is_err());
    }

    #[test]
    fn numeric_keys_have_upper_bounds() {
        for (line, key) in [
            ("retries = 4294967295", "crawler.retries"),
            ("max_depth = 100000", "crawler.max_depth"),
            (
                "max_retry_after_secs = 99999999",
                "crawler.max_retry_after_secs",
            ),
            ("max_redirects = 1000", "crawler.max_redirects"),
            ("concurrency = 100000", "crawler.concurrency"),
            ("max_body_bytes = 99999999999", "crawler.max_body_bytes"),
            ("backoff_max_ms = 99999999999", "crawler.backoff_max_ms"),
        ] {
            let err = Config::parse(&format!("[crawler]\n{line}\n"), Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("c.toml:2: key `{key}`: must be at most")),
                "{line}: {err}"
            );
        }
        let text = include_str!("../crawler.toml");
        Config::parse(text, Path::new("crawler.toml")).expect("the shipped values are in bounds");
    }
}
