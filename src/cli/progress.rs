//! What the operator sees while a command works: logs on standard error
//! (nianbao's own targets, colour only on a terminal), progress bars on a
//! terminal, and the same progress as periodic lines when standard error is a
//! file or a journal.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use nianbao::crawl::progress::{CrawlProgress, ProgressSink};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The bars, when standard error is a terminal and `-q` was not given; log
/// lines are printed above them.
static BARS: OnceLock<MultiProgress> = OnceLock::new();

/// How much the operator asked to see.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verbosity {
    pub verbose: u8,
    pub quiet: bool,
}

/// Logs go to standard error: nianbao's own targets at the verbosity asked for
/// (`-q` errors only, default warnings, `-v` one line per fetch, `-vv` debug).
/// `RUST_LOG` overrides, with a bare level (`RUST_LOG=debug`) meaning
/// nianbao's targets only: the HTML parser's own debug lines help no one.
pub fn init_tracing(v: Verbosity) {
    let terminal = std::io::stderr().is_terminal();
    if terminal && !v.quiet {
        let _ = BARS.set(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
    }
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => own_targets(&spec),
        _ => default_filter(v).to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter(v)));
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(terminal)
        .with_writer(|| AboveBars);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init();
}

fn default_filter(v: Verbosity) -> &'static str {
    match (v.quiet, v.verbose) {
        (true, _) => "nianbao=error",
        (false, 0) => "nianbao=warn",
        (false, 1) => "nianbao=info",
        _ => "nianbao=debug",
    }
}

/// A `RUST_LOG` spec with bare levels narrowed to nianbao's targets;
/// `target=level` directives are kept as written.
pub fn own_targets(spec: &str) -> String {
    spec.split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            if !d.contains('=') && d.parse::<tracing::Level>().is_ok()
                || d.eq_ignore_ascii_case("off")
            {
                format!("nianbao={d}")
            } else {
                d.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Standard error, printing above the bars when they are shown.
struct AboveBars;

impl Write for AboveBars {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BARS.get() {
            Some(bars) => bars.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A bar for a batch job (extraction) among the shown bars, hidden when
/// standard error is not a terminal.
pub fn batch_bar(unit: &str) -> ProgressBar {
    let Some(bars) = BARS.get() else {
        return ProgressBar::hidden();
    };
    let bar = bars.add(ProgressBar::new(0));
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// How many hosts get a bar of their own; the rest are in the total.
const HOST_BARS: usize = 8;

/// Where a crawl's progress goes: bars on a terminal, else a line on standard
/// error every `every` (cron logs, the systemd journal); nothing with `-q`.
pub fn crawl_sink(v: Verbosity, every: Duration) -> Option<ProgressSink> {
    if v.quiet {
        return None;
    }
    if let Some(bars) = BARS.get() {
        let view = Mutex::new(BarView::new(bars.clone()));
        return Some(ProgressSink(Arc::new(move |p: &CrawlProgress| {
            view.lock().unwrap_or_else(|e| e.into_inner()).show(p)
        })));
    }
    let last = Mutex::new(Instant::now());
    Some(ProgressSink(Arc::new(move |p: &CrawlProgress| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if p.finished || last.elapsed() < every {
            return;
        }
        *last = Instant::now();
        let _ = writeln!(
            std::io::stderr(),
            "{} progress: {p}",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
    })))
}

/// The bars of a crawl: a total and the first hosts.
struct BarView {
    bars: MultiProgress,
    total: ProgressBar,
    hosts: HashMap<String, ProgressBar>,
}

impl BarView {
    fn new(bars: MultiProgress) -> BarView {
        let total = bars.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} pages {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        total.set_prefix("total");
        BarView {
            bars,
            total,
            hosts: HashMap::new(),
        }
    }

    fn show(&mut self, p: &CrawlProgress) {
        let t = p.total();
        self.total
            .set_length(t.done + t.failed + t.skipped + t.pending);
        self.total.set_position(t.done + t.failed + t.skipped);
        let eta = p
            .eta
            .map_or(String::new(), |e| format!(", eta {}s", e.as_secs()));
        self.total.set_message(format!(
            "{} reports, {} errors, {:.1}/s{eta}",
            t.reports,
            t.failed,
            p.rate()
        ));
        for (host, h) in &p.hosts {
            if !self.hosts.contains_key(host) && self.hosts.len() >= HOST_BARS {
                continue;
            }
            let bar = self.hosts.entry(host.clone()).or_insert_with(|| {
                let b = self.bars.add(ProgressBar::new(0));
                b.set_style(
                    ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                let name = host
                    .trim_start_matches("https://")
                    .trim_start_matches("http://");
                b.set_prefix(name.chars().take(24).collect::<String>());
                b
            });
            bar.set_length(h.done + h.failed + h.skipped + h.pending);
            bar.set_position(h.done + h.failed + h.skipped);
            bar.set_message(format!("{} reports, {} errors", h.reports, h.failed));
        }
        if p.finished {
            for b in self.hosts.values() {
                b.finish_and_clear();
            }
            self.total.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_levels_are_narrowed_to_nianbao() {
        assert_eq!(own_targets("debug"), "nianbao=debug");
        assert_eq!(
            own_targets("info, reqwest=debug"),
            "nianbao=info,reqwest=debug"
        );
        assert_eq!(own_targets("nianbao::fetch=info"), "nianbao::fetch=info");
    }
}
