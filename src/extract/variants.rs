//! Traditional-character mirrors of reports: the text the reader matches.
//!
//! Some mirror sites serve a report in traditional characters (`政府信息公開`),
//! some with pinyin glosses inside the words (`經(jīng)濟(jì)`). The glosses are
//! dropped; labels are matched in simplified characters, while names (the
//! agency) are given as the document spells them.

use crate::document::{Block, Cell, Document, Table};
use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use std::sync::LazyLock;

/// A pinyin gloss after a character: `(jīng)`, `（qū）`, with tone marks.
static GLOSS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(\p{Han})[(（]([a-zA-Z\u{00E0}-\u{00FC}\u{0100}-\u{01DC}\u{0300}-\u{036F}]{1,8})[)）]",
    )
    .expect("static regex")
});

/// Characters of the template's own words that exist only in traditional script.
const TRADITIONAL: &[char] = &['開', '請', '處', '數', '報', '況', '總', '關', '機', '議'];

/// Finds any of [`TRADITIONAL`] in one SIMD pass over the bytes (most pages have none,
/// and a char-by-char look at every page cost as much as reading its tables).
/// Leftmost-first, because only that match kind has the SIMD (Teddy) searcher; the
/// standard kind walks its automaton byte by byte. Whether one exists is all we ask.
static TRADITIONAL_FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(TRADITIONAL.iter().map(|c| c.to_string()))
        .expect("static patterns")
});

/// Whether `text` holds a tone-marked vowel (U+00E0–U+00FC, U+0100–U+01DC), the mark
/// of a pinyin gloss. Those are the only two-byte UTF-8 sequences led by 0xC3–0xC7
/// that matter; a lead byte in that range is rare in Chinese pages, so it is
/// searched for first and each hit decoded.
fn has_tone_mark(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Only whether one exists matters, so the two searches need not meet in order.
    memchr::memchr3_iter(0xC3, 0xC4, 0xC5, bytes)
        .chain(memchr::memchr2_iter(0xC6, 0xC7, bytes))
        // A lead byte starts a character, so `at` is a char boundary.
        .any(|at| {
            text[at..]
                .chars()
                .next()
                .is_some_and(|c| matches!(c, '\u{00E0}'..='\u{00FC}' | '\u{0100}'..='\u{01DC}'))
        })
}

/// The text as the document spells it (glosses dropped) and its simplified form;
/// the two have the same characters at the same positions.
pub struct Variant {
    pub display: String,
    pub simplified: String,
}

/// `None` when the text is already simplified and has no glosses.
pub fn normalise(text: &str) -> Option<Variant> {
    // Byte searches first; the regex runs only when a tone mark is there.
    let traditional = TRADITIONAL_FINDER.is_match(text);
    let toned = has_tone_mark(text);
    // A gloss carries a tone mark: plain ASCII in brackets is kept (`(a)`).
    let glossed = toned && GLOSS.captures_iter(text).any(|c| !c[2].is_ascii());
    if !traditional && !glossed {
        return None;
    }
    let display = if glossed {
        drop_glosses(text)
    } else {
        text.to_string()
    };
    let simplified = fast2s::convert(&display);
    Some(Variant {
        display,
        simplified,
    })
}

fn drop_glosses(text: &str) -> String {
    GLOSS
        .replace_all(text, |c: &regex::Captures| {
            if c[2].is_ascii() {
                c[0].to_string()
            } else {
                c[1].to_string()
            }
        })
        .into_owned()
}

/// A document's text in simplified characters, glosses dropped, cell by cell
/// (every cell: a short one may hold no character that gives the script away).
pub fn simplify_document(doc: &Document) -> Document {
    let simplify = |t: &str| fast2s::convert(&drop_glosses(t));
    Document {
        blocks: doc
            .blocks
            .iter()
            .map(|b| match b {
                Block::Text(t) => Block::Text(simplify(t)),
                Block::Table(table) => Block::Table(Table {
                    rows: table
                        .rows
                        .iter()
                        .map(|row| {
                            row.iter()
                                .map(|c| Cell {
                                    text: simplify(&c.text),
                                    ..c.clone()
                                })
                                .collect()
                        })
                        .collect(),
                }),
            })
            .collect(),
    }
}

impl Variant {
    /// `found` (a piece of the simplified text) as the document spells it.
    pub fn respell(&self, found: &str) -> String {
        let Some(at) = self.simplified.find(found) else {
            return found.to_string();
        };
        let start = self.simplified[..at].chars().count();
        let len = found.chars().count();
        self.display.chars().skip(start).take(len).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_text_and_glosses() {
        let v = normalise("乳山經(jīng)濟(jì)開發區(qū)2021年政府信息公開工作年度報告").unwrap();
        assert_eq!(v.display, "乳山經濟開發區2021年政府信息公開工作年度報告");
        assert_eq!(v.simplified, "乳山经济开发区2021年政府信息公开工作年度报告");
        assert_eq!(v.respell("乳山经济开发区"), "乳山經濟開發區");
        assert!(normalise("某局2021年政府信息公开工作年度报告(a)").is_none());
        // A tone mark of either range, after other two-byte characters (é, ©).
        assert!(has_tone_mark("© 2021 café"));
        assert!(has_tone_mark("©©ǜ"));
        assert!(!has_tone_mark("× ß ÿ"));
        assert!(has_tone_mark("× ß Ā"));
        assert!(!has_tone_mark("政府信息公开 © ß"));
    }

    #[test]
    fn a_traditional_document_is_read_cell_by_cell() {
        let doc = Document {
            blocks: vec![
                Block::Text("北坡鎮2023年政府信息公開工作年度報告".into()),
                Block::Table(Table {
                    rows: vec![vec![Cell::new("行政許可"), Cell::new("1")]],
                }),
            ],
        };
        let s = simplify_document(&doc);
        assert_eq!(
            s.blocks[0],
            Block::Text("北坡镇2023年政府信息公开工作年度报告".into())
        );
        let Block::Table(t) = &s.blocks[1] else {
            panic!("a table")
        };
        assert_eq!(t.rows[0][0].text, "行政许可");
        let e = crate::extract::extract_document(&doc, &crate::patterns::ReportPatterns::default());
        assert_eq!(e.agency.as_deref(), Some("北坡鎮"));
        assert_eq!(e.year, Some(2023));
    }
}
