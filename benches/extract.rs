//! Extraction throughput on the five HTML fixtures, against parsing the same pages into a DOM.
//!
//! `cargo bench --bench extract` (harness = false; timed with `Instant`, one thread, so the
//! figures are per core). Goal: `extract` costs at most 2× a bare `Html::parse_document`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

fn pages() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports/html");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "html")
                && p.file_name()
                    .is_some_and(|n| !n.to_string_lossy().starts_with("2019"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("fixture"))
        .collect()
}

/// Pages per second of `f` over all pages: the best of five rounds of `budget / 5`, since
/// the build machine is shared and a round can be slowed by others' compilers.
fn rate<T>(pages: &[T], budget: Duration, mut f: impl FnMut(&T)) -> f64 {
    for p in pages {
        f(p); // warm-up
    }
    (0..5)
        .map(|_| rate_once(pages, budget / 5, &mut f))
        .fold(0f64, f64::max)
}

/// Paired rounds: each round times `a` and then `b` for `round` each, so both see the
/// same neighbours; the ratios (b's time per page over a's) of all rounds, sorted.
fn paired_ratios<A, B>(
    a_pages: &[A],
    mut a: impl FnMut(&A),
    b_pages: &[B],
    mut b: impl FnMut(&B),
    rounds: usize,
    round: Duration,
) -> Vec<f64> {
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|_| {
            let ra = rate_once(a_pages, round, &mut a);
            let rb = rate_once(b_pages, round, &mut b);
            ra / rb
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios
}

/// Pages per second of one timed round.
fn rate_once<T>(pages: &[T], round: Duration, f: &mut impl FnMut(&T)) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < round {
        for p in pages {
            f(p);
            n += 1;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let patterns = nianbao::patterns::ReportPatterns::default();
    let pages = pages();
    assert_eq!(pages.len(), 5, "five HTML fixtures");
    let texts: Vec<String> = pages
        .iter()
        .map(|p| nianbao::page::charset::decode(p, None).text)
        .collect();
    // `EXTRACT_BENCH_COUNT=parse|extract N`: exactly N rounds over the pages, for
    // instruction counts that a shared machine cannot disturb:
    //   valgrind --tool=callgrind <bench binary> (N = 20 and 40; the difference over
    //   100 pages is the marginal count per page, one-time regex compiles cancelled out)
    if let Ok(count) = std::env::var("EXTRACT_BENCH_COUNT") {
        let (what, n) = count
            .split_once(' ')
            .expect("EXTRACT_BENCH_COUNT=\"parse|extract N\"");
        let n: usize = n.parse().expect("a round count");
        for _ in 0..n {
            for (page, text) in pages.iter().zip(&texts) {
                match what {
                    "parse" => drop(black_box(scraper::Html::parse_document(text))),
                    "extract" => drop(black_box(nianbao::extract::extract(page, None, &patterns))),
                    other => panic!("EXTRACT_BENCH_COUNT: {other}? parse or extract"),
                }
            }
        }
        return;
    }
    // `EXTRACT_BENCH_PROFILE=extract`: only whole extractions; any other value: only the
    // table reading; either long enough for `perf record`.
    let profile = std::env::var("EXTRACT_BENCH_PROFILE").ok();
    if profile.as_deref() == Some("extract") {
        let r = rate(&pages, Duration::from_secs(10), |p| {
            black_box(nianbao::extract::extract(p, None, &patterns));
        });
        println!("extract: {r:.0} pages/s/core");
        return;
    }
    if profile.is_some() {
        let docs: Vec<_> = texts
            .iter()
            .map(|t| nianbao::formats::html_to_document(t))
            .collect();
        let r = rate(&docs, Duration::from_secs(10), |d| {
            black_box(nianbao::extract::extract_document(d, &patterns));
        });
        println!("tables+checks: {r:.0} pages/s/core");
        return;
    }
    let budget = Duration::from_secs(3);
    let parse_only = rate(&texts, budget, |t| {
        black_box(scraper::Html::parse_document(t));
    });
    let decode_parse = rate(&pages, budget, |p| {
        let t = nianbao::page::charset::decode(p, None).text;
        black_box(scraper::Html::parse_document(&t));
    });
    let extract = rate(&pages, budget, |p| {
        black_box(nianbao::extract::extract(p, None, &patterns));
    });
    // Where extraction time goes, on pre-parsed pages.
    let doms: Vec<_> = texts
        .iter()
        .map(|t| scraper::Html::parse_document(t))
        .collect();
    let docs: Vec<_> = doms.iter().map(nianbao::formats::dom_to_document).collect();
    let blocks = rate(&doms, budget, |d| {
        black_box(nianbao::formats::dom_to_document(d));
    });
    let idx: Vec<usize> = (0..doms.len()).collect();
    let meta = rate(&idx, budget, |&i| {
        black_box(nianbao::page::facts::page_meta_parsed(
            &doms[i], &docs[i], &patterns,
        ));
    });
    let read = rate(&docs, budget, |d| {
        black_box(nianbao::extract::extract_document(d, &patterns));
    });
    // The goal's ratio, robust to a shared machine: 21 paired rounds, the median.
    let ratios = paired_ratios(
        &texts,
        |t| {
            black_box(scraper::Html::parse_document(t));
        },
        &pages,
        |p| {
            black_box(nianbao::extract::extract(p, None, &patterns));
        },
        21,
        Duration::from_millis(200),
    );
    let bytes: usize = pages.iter().map(Vec::len).sum();
    println!("pages: {} (avg {} bytes)", pages.len(), bytes / pages.len());
    println!("parse_document only:        {parse_only:>8.0} pages/s/core");
    println!("decode + parse_document:    {decode_parse:>8.0} pages/s/core");
    println!("extract (decode+parse+read):{extract:>8.0} pages/s/core");
    println!(
        "  of which, on parsed pages: blocks {blocks:.0}/s, page meta {meta:.0}/s, tables+checks {read:.0}/s"
    );
    println!(
        "extract / parse-only time ratio, best rates: {:.2} (vs decode+parse: {:.2})",
        parse_only / extract,
        decode_parse / extract
    );
    println!(
        "extract / parse-only time ratio, 21 paired rounds: median {:.2}, quartiles {:.2}-{:.2} (goal <= 2)",
        ratios[ratios.len() / 2],
        ratios[ratios.len() / 4],
        ratios[ratios.len() * 3 / 4]
    );
}
