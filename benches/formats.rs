//! Time to read each seed report's DOCX and PDF rendering into the document
//! model, per report and per page. Plain `Instant` loops (no criterion):
//! `cargo bench --bench formats`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nianbao::formats::{docx_to_document, pdf_to_document};

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
    println!(
        "{:<6} {:>6} {:>12} {:>12} {:>14}",
        "report", "pages", "docx ms", "pdf ms", "pdf ms/page"
    );
    for seed in ["000", "001", "002", "003", "004"] {
        let docx = fixture(&format!("docx/{seed}.docx"));
        let pdf = fixture(&format!("pdf/{seed}.pdf"));
        let pages = pdf_to_document(&pdf).map(|r| r.pages).unwrap_or(0).max(1);
        let d = time(|| {
            black_box(docx_to_document(black_box(&docx)).ok());
        });
        let p = time(|| {
            black_box(pdf_to_document(black_box(&pdf)).ok());
        });
        println!(
            "{:<6} {:>6} {:>12.3} {:>12.3} {:>14.3}",
            seed,
            pages,
            ms(d),
            ms(p),
            ms(p) / pages as f64
        );
    }
    let st = fixture("pdf/stsong.pdf");
    let s = time(|| {
        black_box(pdf_to_document(black_box(&st)).ok());
    });
    println!("stsong.pdf (1 page, STSong-Light): {:.3} ms", ms(s));
}
