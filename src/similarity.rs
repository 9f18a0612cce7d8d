//! How much of a report's text repeats the previous year's: paragraph-level
//! similarity, so reviewers see reports copied from last year and which
//! passages were copied.
//!
//! A paragraph (running text, not tables: the tables are the template) counts
//! as repeated when most of its character trigrams, with digits folded
//! together so that updated numbers do not hide a copy, occur in one
//! paragraph of the other report.

use crate::document::{Block, Document};
use std::collections::HashSet;

/// Paragraphs shorter than this (in characters, after normalising) are
/// headings and template phrases every report shares; they are not compared.
pub const MIN_CHARS: usize = 20;

/// Share of a paragraph's trigrams that must occur in one previous paragraph
/// for it to count as repeated.
pub const THRESHOLD: f64 = 0.8;

/// One paragraph of the newer report and whether it repeats the older one.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub text: String,
    /// Best trigram overlap with any previous paragraph (0–1).
    pub similarity: f64,
    pub repeated: bool,
}

/// The comparison of two reports' text.
#[derive(Debug, Clone, PartialEq)]
pub struct Repetition {
    /// The newer report's compared paragraphs, in order.
    pub paragraphs: Vec<Paragraph>,
    /// Characters in repeated paragraphs / characters compared (0 when nothing is compared).
    pub share: f64,
}

/// Lines of a portal's page chrome (footer, filing numbers, contact lines):
/// the same on every page of a site, so never evidence of a copied report.
const CHROME: [&str; 9] = [
    "主办单位",
    "承办单位",
    "网站标识码",
    "ICP备",
    "公网安备",
    "版权所有",
    "技术支持",
    "联系电话",
    "欢迎访问",
];

/// The paragraphs of a report's running text, tables left out. On a web page
/// the report starts at its first part heading (`一、…`): the title, dates and
/// navigation before it repeat every year by nature, as does the site's footer.
pub fn paragraphs(doc: &Document) -> Vec<String> {
    let all: Vec<String> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t),
            Block::Table(_) => None,
        })
        .flat_map(|t| t.split('\n'))
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let start = all
        .iter()
        .position(|p| {
            let mut c = p.chars();
            matches!(c.next(), Some('一')) && matches!(c.next(), Some('、' | '．' | '.'))
        })
        .unwrap_or(0);
    all.into_iter()
        .skip(start)
        .filter(|p| !CHROME.iter().any(|c| p.contains(c)))
        .filter(|p| normalise(p).chars().count() >= MIN_CHARS)
        .collect()
}

/// Whitespace and punctuation dropped, digits folded to `0`.
fn normalise(p: &str) -> String {
    p.chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| if c.is_numeric() { '0' } else { c })
        .collect()
}

fn trigrams(p: &str) -> HashSet<[char; 3]> {
    let chars: Vec<char> = normalise(p).chars().collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// Compares the newer report's paragraphs with the older one's.
pub fn repetition(newer: &[String], older: &[String]) -> Repetition {
    let old: Vec<HashSet<[char; 3]>> = older.iter().map(|p| trigrams(p)).collect();
    let mut total = 0usize;
    let mut repeated = 0usize;
    let paragraphs = newer
        .iter()
        .map(|p| {
            let grams = trigrams(p);
            let similarity = old
                .iter()
                .map(|o| {
                    if grams.is_empty() {
                        0.0
                    } else {
                        grams.intersection(o).count() as f64 / grams.len() as f64
                    }
                })
                .fold(0.0, f64::max);
            let chars = normalise(p).chars().count();
            total += chars;
            let is_repeated = similarity >= THRESHOLD;
            if is_repeated {
                repeated += chars;
            }
            Paragraph {
                text: p.clone(),
                similarity,
                repeated: is_repeated,
            }
        })
        .collect();
    Repetition {
        paragraphs,
        share: if total == 0 {
            0.0
        } else {
            repeated as f64 / total as f64
        },
    }
}

/// The document of an archived report body (HTML, text or a readable file);
/// `None` when it cannot be read.
pub fn report_document(body: &[u8], content_type: Option<&str>, format: &str) -> Option<Document> {
    match format {
        "html" | "text" => {
            let text = crate::page::charset::decode(body, content_type).text;
            Some(crate::formats::html_to_document(&text))
        }
        _ => crate::formats::read_attachment(body, content_type, None)
            .ok()
            .filter(|a| !a.scanned)
            .map(|a| a.document),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(paras: &[&str]) -> Document {
        Document {
            blocks: paras.iter().map(|p| Block::Text(p.to_string())).collect(),
        }
    }

    #[test]
    fn the_title_navigation_and_footer_are_not_the_report() {
        let paras = paragraphs(&doc(&[
            "欢迎访问沈阳市辽中区人民政府门户网站加入收藏 | 无障碍浏览",
            "沈阳市辽中区人民政府办公室2023年度政府信息公开工作年度报告（标题也很长）",
            "一、总体情况",
            "2023年，本机关深入贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态。",
            "主办单位：沈阳市辽中区人民政府办公室 承办单位：沈阳市辽中区人民政府信息中心",
            "网站标识码：2101150001 辽ICP备05001234号 辽公网安备 21011502000123号",
        ]));
        assert_eq!(paras.len(), 1, "{paras:?}");
        assert!(paras[0].starts_with("2023年"));
    }

    #[test]
    fn a_copied_paragraph_with_new_numbers_counts_as_repeated() {
        let old = paragraphs(&doc(&[
            "一、总体情况",
            "本机关坚持以习近平新时代中国特色社会主义思想为指导，全年共收到政府信息公开申请12件。",
        ]));
        assert_eq!(old.len(), 1, "the short heading is not compared");
        let new = paragraphs(&doc(&[
            "本机关坚持以习近平新时代中国特色社会主义思想为指导，全年共收到政府信息公开申请30件。",
            "今年新建了政务公开专区，在各乡镇便民服务中心设置查阅点，方便群众就近查询信息。",
        ]));
        let r = repetition(&new, &old);
        assert!(r.paragraphs[0].repeated, "{:?}", r.paragraphs[0]);
        assert!(!r.paragraphs[1].repeated, "{:?}", r.paragraphs[1]);
        assert!(r.share > 0.4 && r.share < 0.6, "share {}", r.share);
        assert_eq!(repetition(&new, &new).share, 1.0);
        assert_eq!(repetition(&[], &old).share, 0.0);
    }
}
