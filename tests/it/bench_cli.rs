//! `nianbao bench crawl` through the binary: its portal runs in a process of
//! its own, and the figures it prints come from that portal's request log.

use std::process::Command;

#[test]
fn bench_crawl_reads_the_portal_process_log_and_leaves_no_portal_behind() {
    let stdout = crate::common::run_ok(
        std::path::Path::new("."),
        &[
            "bench", "crawl", "--hosts", "3", "--pages", "1", "--rate", "20",
        ],
    );
    // Each synthetic host serves robots.txt, its front page, one listing, its
    // report and ten other pages: 14 requests, all seen by the portal process.
    assert!(
        stdout.contains("42 requests (14 on the busiest host)"),
        "{stdout}"
    );
    // The server-side gaps: none below the interval, and their spread is read too.
    let server = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("server side:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(server.contains(", 0 below the interval"), "{server}");
    for figure in ["median ", "90th percentile ", "every host reached within "] {
        assert!(
            server.contains(figure) && !server.contains(&format!("{figure}-")),
            "{server}"
        );
    }
    assert!(stdout.contains("portal process:"), "{stdout}");
    // The crawler's own figures are there (a number, not '?').
    let crawler = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("crawler:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(!crawler.contains("? CPU"), "{crawler}");
    // The portal process ended with the bench: no `bench portal` is left running.
    let left = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| {
            let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
            let has = |pair: [&[u8]; 2]| args.windows(2).any(|w| w == pair);
            has([b"bench", b"portal"]) && has([b"--hosts", b"3"])
        })
        .count();
    assert_eq!(left, 0);
}

#[test]
fn the_portal_subcommand_is_hidden_from_bench_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["bench", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let commands: Vec<&str> = help
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('-'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(commands.contains(&"crawl"), "{help}");
    assert!(!commands.contains(&"portal"), "{help}");
}

#[test]
fn a_rate_or_host_count_that_measures_nothing_is_refused_before_anything_starts() {
    for args in [["--rate", "0"], ["--rate", "nan"], ["--hosts", "0"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .args(["bench", "crawl"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
