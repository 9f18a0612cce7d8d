//! The crawl bench's portal in a process of its own (`nianbao bench portal`,
//! hidden), so the crawler's CPU time and memory are measured alone, as they
//! would be against a real server, and the server's figures are read apart.
//!
//! The child prints one JSON line ([`Started`]: the seeds and the names to pin
//! to its listener), serves until its standard input closes, then prints a
//! second line ([`Finished`]: every request it saw, with its own CPU time and
//! peak memory) and exits.

use super::bench::{BenchError, cpu_seconds, peak_rss_mb};
use nianbao_portal::Portal;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// What the portal process says once it listens.
#[derive(Debug, Serialize, Deserialize)]
pub struct Started {
    /// The seed file that lists its hosts.
    pub seeds_csv: String,
    /// Host names the crawler must resolve to the listener (virtual hosts).
    pub pinned: Vec<(String, SocketAddr)>,
}

/// What the portal process says when its standard input closes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Finished {
    /// Every request: its host and when it arrived (ns since the portal started).
    pub requests: Vec<(String, u64)>,
    /// CPU seconds the portal process used.
    pub cpu_seconds: Option<f64>,
    /// Its peak resident memory, MB.
    pub peak_rss_mb: Option<f64>,
}

/// Serves the synthetic portal on this process's behalf (the child side).
pub async fn serve(hosts: usize, pages: usize, virtual_hosts: bool) -> Result<(), BenchError> {
    let portal = if virtual_hosts {
        Portal::synthetic_virtual(hosts, pages).await?
    } else {
        Portal::synthetic(hosts, pages).await?
    };
    let t0 = Instant::now();
    let started = Started {
        seeds_csv: portal.seeds_csv(),
        pinned: portal.pinned_names(),
    };
    print_line(&started)?;
    // Serve until the parent closes our standard input (or dies).
    tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
        .await
        .map_err(std::io::Error::other)??;
    let requests = portal
        .requests()
        .into_iter()
        .map(|r| {
            let at = r.at.saturating_duration_since(t0).as_nanos() as u64;
            (r.host, at)
        })
        .collect();
    portal.shutdown().await;
    print_line(&Finished {
        requests,
        cpu_seconds: cpu_seconds(),
        peak_rss_mb: peak_rss_mb(),
    })
}

fn print_line<T: Serialize>(value: &T) -> Result<(), BenchError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// The portal process, seen from the bench (the parent side).
pub struct PortalProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// What it said once listening.
    pub started: Started,
}

impl PortalProcess {
    /// Starts `nianbao bench portal` (this same binary) and waits until it listens.
    pub fn spawn(hosts: usize, pages: usize, virtual_hosts: bool) -> Result<Self, BenchError> {
        let exe = std::env::current_exe()?;
        let mut cmd = Command::new(exe);
        cmd.args(["bench", "portal", "--hosts", &hosts.to_string()])
            .args(["--pages", &pages.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if virtual_hosts {
            cmd.arg("--virtual-hosts");
        }
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take();
        let said = match child.stdout.take() {
            Some(stdout) => {
                let mut stdout = BufReader::new(stdout);
                read_line(&mut stdout).map(|started| (stdout, started))
            }
            None => {
                Err(std::io::Error::other("the bench portal process has no standard output").into())
            }
        };
        match said {
            Ok((stdout, started)) => Ok(PortalProcess {
                child,
                stdin,
                stdout,
                started,
            }),
            Err(e) => {
                // It is not serving: do not leave it behind.
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }

    /// Ends the portal and reads what it saw.
    pub fn finish(mut self) -> Result<Finished, BenchError> {
        drop(self.stdin.take());
        let finished = read_line(&mut self.stdout)?;
        // Nothing more is expected; reap the child.
        let _ = self.stdout.read_to_end(&mut Vec::new());
        self.child.wait()?;
        Ok(finished)
    }
}

impl Drop for PortalProcess {
    fn drop(&mut self) {
        // A bench that failed half-way must not leave its portal running.
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One JSON line of the portal process.
fn read_line<T: for<'de> Deserialize<'de>>(
    stdout: &mut BufReader<ChildStdout>,
) -> Result<T, BenchError> {
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    serde_json::from_str(&line).map_err(|e| {
        std::io::Error::other(format!(
            "the bench portal process said {:?} ({e})",
            line.trim()
        ))
        .into()
    })
}

/// Server-side gaps between two requests to one host.
#[derive(Debug, Clone, Copy)]
pub struct Gaps {
    /// Requests seen.
    pub requests: usize,
    /// Requests of the busiest host.
    pub max_host_requests: usize,
    /// The shortest gap between two requests to one host.
    pub min_gap: Option<Duration>,
    /// Gaps shorter than `interval`.
    pub below_interval: usize,
    /// The median and 90th-percentile gap: how far above the interval hosts run.
    pub median_gap: Option<Duration>,
    pub p90_gap: Option<Duration>,
    /// From the first host's first request to the last host's first request:
    /// how long the crawl took to reach every host once.
    pub first_wave: Duration,
    /// From the first request to the last: the wall time less start-up and wind-down.
    pub span: Duration,
}

/// Reads the gaps per host out of the portal's request log.
pub fn gaps(requests: &[(String, u64)], interval: Duration) -> Gaps {
    let mut per_host = std::collections::HashMap::<&str, Vec<u64>>::new();
    for (host, at) in requests {
        per_host.entry(host).or_default().push(*at);
    }
    let mut all_gaps = Vec::with_capacity(requests.len());
    let (mut first_min, mut first_max) = (u64::MAX, 0);
    for times in per_host.values_mut() {
        times.sort_unstable();
        first_min = first_min.min(times[0]);
        first_max = first_max.max(times[0]);
        all_gaps.extend(times.windows(2).map(|w| Duration::from_nanos(w[1] - w[0])));
    }
    all_gaps.sort_unstable();
    let last = requests.iter().map(|r| r.1).max().unwrap_or(0);
    let quantile = |q: f64| {
        all_gaps
            .get(((all_gaps.len() as f64 - 1.0) * q).round() as usize)
            .copied()
    };
    Gaps {
        requests: requests.len(),
        max_host_requests: per_host.values().map(Vec::len).max().unwrap_or(0),
        min_gap: all_gaps.first().copied(),
        below_interval: all_gaps.partition_point(|g| *g < interval),
        median_gap: quantile(0.5),
        p90_gap: quantile(0.9),
        first_wave: Duration::from_nanos(first_max.saturating_sub(first_min)),
        span: Duration::from_nanos(last.saturating_sub(first_min)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_read_per_host_and_counted_below_the_interval() {
        let ms = |n: u64| n * 1_000_000;
        let log = vec![
            ("a".to_string(), ms(0)),
            ("b".to_string(), ms(10)),
            ("a".to_string(), ms(1000)),
            ("b".to_string(), ms(900)),
            ("a".to_string(), ms(2500)),
        ];
        let g = gaps(&log, Duration::from_secs(1));
        assert_eq!(g.requests, 5);
        assert_eq!(g.max_host_requests, 3);
        // b's two requests came 890 ms apart; a's never closer than 1 s.
        assert_eq!(g.min_gap, Some(Duration::from_millis(890)));
        assert_eq!(g.below_interval, 1);
        // Gaps 890, 1000, 1500 ms: the median is a's first.
        assert_eq!(g.median_gap, Some(Duration::from_millis(1000)));
        assert_eq!(g.p90_gap, Some(Duration::from_millis(1500)));
        assert_eq!(g.first_wave, Duration::from_millis(10));
        assert_eq!(g.span, Duration::from_millis(2500));
        let none = gaps(&[], Duration::from_secs(1));
        assert_eq!((none.median_gap, none.span), (None, Duration::ZERO));
    }
}
