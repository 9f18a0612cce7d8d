//! Damaged attachments never panic: mutated PDF bytes and mutated
//! `word/document.xml` (tags cut, repeated, inserted) give a document or an
//! error, and every table read has sane spans.

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use nianbao::document::Block;
use nianbao::formats::{docx_to_document, pdf_to_document};
use proptest::prelude::*;

fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn document_xml() -> String {
    let bytes = fixture("docx/002.docx");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    xml
}

fn docx_with(xml: &[u8]) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .expect("start");
        w.write_all(xml).expect("write");
        w.finish().expect("finish");
    }
    buf.into_inner()
}

const SNIPPETS: [&str; 10] = [
    "<w:tc>",
    "</w:tc>",
    "<w:tr>",
    "</w:tr>",
    "<w:vMerge/>",
    "<w:gridSpan w:val=\"999999\"/>",
    "<w:tbl>",
    "</w:tbl>",
    "<w:p><w:r><w:t>x</w:t></w:r></w:p>",
    "&#xD800;",
];

#[derive(Debug, Clone)]
enum Edit {
    Cut(usize, usize),
    Insert(usize, usize),
    Repeat(usize, usize),
}

fn apply(xml: &str, edits: &[Edit]) -> Vec<u8> {
    let mut b = xml.as_bytes().to_vec();
    for e in edits {
        let n = b.len().max(1);
        match *e {
            Edit::Cut(at, len) => {
                let at = at % n;
                let end = (at + len).min(b.len());
                b.drain(at..end);
            }
            Edit::Insert(at, k) => {
                let at = at % n;
                let s = SNIPPETS[k % SNIPPETS.len()].as_bytes();
                b.splice(at..at, s.iter().copied());
            }
            Edit::Repeat(at, len) => {
                let at = at % n;
                let end = (at + len).min(b.len());
                let piece = b[at..end].to_vec();
                b.splice(end..end, piece);
            }
        }
    }
    b
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..400).prop_map(|(a, l)| Edit::Cut(a, l)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, k)| Edit::Insert(a, k)),
        (any::<usize>(), 1usize..2000).prop_map(|(a, l)| Edit::Repeat(a, l)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_document_xml_never_panics(edits in prop::collection::vec(edit(), 1..8)) {
        let xml = apply(&document_xml(), &edits);
        if let Ok(doc) = docx_to_document(&docx_with(&xml)) {
            for block in &doc.blocks {
                if let Block::Table(t) = block {
                    for cell in t.rows.iter().flatten() {
                        prop_assert!(cell.colspan >= 1 && cell.colspan <= 256);
                        prop_assert!(cell.rowspan >= 1 && cell.rowspan <= t.rows.len());
                    }
                }
            }
        }
    }

    #[test]
    fn mutated_pdf_never_panics(
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..24),
        cut in any::<usize>(),
    ) {
        let mut pdf = fixture("pdf/002.pdf");
        for (at, byte) in flips {
            let n = pdf.len();
            pdf[at % n] = byte;
        }
        let keep = pdf.len() / 2 + cut % (pdf.len() / 2);
        pdf.truncate(keep);
        if let Ok(read) = pdf_to_document(&pdf) {
            prop_assert!(read.pages <= 2);
            prop_assert!(!read.scanned || read.text_chars < 20 * read.pages.max(1));
        }
    }
}
