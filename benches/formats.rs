//! Time to read each seed report's DOCX and PDF rendering into the document
//! model and to extract it, per report and per page, next to extracting the
//! HTML rendering of the same report. Plain `Instant` loops (no criterion):
//! `cargo bench --bench formats`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nianbao::extract::{extract, extract_document};
use nianbao::formats::{docx_to_document, pdf_to_document};

const SEEDS: [&str; 5] = [
    "000_df23897d6af63ae1",
    "001_73a337edb7ff8878",
    "002_d64735f63f421535",
    "003_6f311c5d1f505ec3",
    "004_7685afd25ee59783",
];

fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Mean time of `f` over enough runs to fill about half a second.
fn time(mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_millis(500) || n < 5 {
        f();
        n += 1;
    }
    start.elapsed() / n
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let patterns = nianbao::patterns::ReportPatterns::default();
    println!(
        "{:<6} {:>5} {:>10} {:>14} {:>9} {:>13} {:>12} {:>13}",
        "report",
        "pages",
        "docx read",
        "docx+extract",
        "pdf read",
        "pdf+extract",
        "pdf ms/page",
        "html extract"
    );
    for seed in SEEDS {
        let short = &seed[..3];
        let docx = fixture(&format!("docx/{short}.docx"));
        let pdf = fixture(&format!("pdf/{short}.pdf"));
        let html = fixture(&format!("html/{seed}.html"));
        let pages = pdf_to_document(&pdf).map(|r| r.pages).unwrap_or(0).max(1);
        let d = time(|| {
            black_box(docx_to_document(black_box(&docx)).ok());
        });
        let de = time(|| {
            if let Ok(doc) = docx_to_document(black_box(&docx)) {
                black_box(extract_document(&doc, &patterns));
            }
        });
        let p = time(|| {
            black_box(pdf_to_document(black_box(&pdf)).ok());
        });
        let pe = time(|| {
            if let Ok(read) = pdf_to_document(black_box(&pdf)) {
                black_box(extract_document(&read.document, &patterns));
            }
        });
        let h = time(|| {
            black_box(extract(
                black_box(&html),
                Some("text/html; charset=utf-8"),
                &patterns,
            ));
        });
        println!(
            "{:<6} {:>5} {:>10.3} {:>14.3} {:>9.3} {:>13.3} {:>12.3} {:>13.3}",
            short,
            pages,
            ms(d),
            ms(de),
            ms(p),
            ms(pe),
            ms(p) / pages as f64,
            ms(h)
        );
    }
    let st = fixture("pdf/stsong.pdf");
    let s = time(|| {
        black_box(pdf_to_document(black_box(&st)).ok());
    });
    println!("stsong.pdf (1 page, STSong-Light): read {:.3} ms", ms(s));
    println!("(times in ms, mean over >= 0.5 s of runs)");
}
