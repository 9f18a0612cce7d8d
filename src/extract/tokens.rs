//! Every rendering of a report → one token stream: labels, values, blanks and row ends.
//!
//! HTML/DOCX tables (cells as the source wrote them), line-per-cell text
//! (000, 003), tab-separated rows (001, 002), `|`-terminated cells (004) and
//! PDF text lines (a label followed by its numbers, separated by spaces) all
//! come out as the same sequence, so the reader that assigns numbers to
//! template rows exists once.

use crate::document::{Block, Cell, Document, Table};
use regex::Regex;
use serde_json::Number;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Label text, normalised by [`norm`].
    Label(String),
    Value(Number),
    /// A number written with its unit (`251000元`): only 2019 procurement uses it.
    Amount(String),
    /// An empty cell or an absent-value mark (`/`, `—`, `-`, `无`).
    Blank,
    /// A grid cell the source row does not have (omitted trailing cells, or a
    /// row cut off): read as blank, but the reader says so.
    Pad,
    /// Digits of one or more cells run together (see [`super::runs`]).
    Run(String),
    RowEnd,
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$").expect("static regex")
});
/// Page furniture of PDF text: `— 3 —`, `- 3 -`, `第3页`, `第 3 页 共 10 页`, `3/10`.
static PAGE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[-—－–]+\s*\d{1,4}\s*[-—－–]+|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})$")
        .expect("static regex")
});
static AMOUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d+(?:\.\d+)?\s*(?:元|万元|亿元)$").expect("static regex"));

/// Marks that stand for "no value" in a cell.
const ABSENT: &[&str] = &[
    "/", "—", "-", "——", "--", "–", "无", "\\", "—-", "-—", "―", "─",
];

/// Folds full-width ASCII (digits, brackets, colons, dots) to half-width and
/// drops whitespace and quotes, so labels written either way compare equal.
pub fn norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Characters kept as they are (nearly all of a label) are copied a run at a time.
    let mut run = 0;
    for (at, c) in s.char_indices() {
        let folded = match c {
            '〔' | '【' => '[',
            '〕' | '】' => ']',
            '·' => '.',
            '−' => '-',
            _ => crate::patterns::half_width(c).unwrap_or(c),
        };
        // (`&nbsp;` and the ideographic space are whitespace already.)
        let dropped = folded.is_whitespace()
            || matches!(
                folded,
                '\u{200b}' | '\u{feff}' | '“' | '”' | '"' | '‘' | '’' | '\''
            );
        if folded == c && !dropped {
            continue;
        }
        out.push_str(&s[run..at]);
        run = at + c.len_utf8();
        if !dropped {
            out.push(folded);
        }
    }
    out.push_str(&s[run..]);
    // List and heading marks in front go, unless they are all there is; cut in place.
    let lead = out.len() - out.trim_start_matches(['#', '>', '*', '•', '-']).len();
    if lead < out.len() {
        out.drain(..lead);
    }
    out
}

/// Reads one cell's text.
pub fn classify(text: &str) -> Tok {
    // Most cells are plain digits or plain labels: answer those without regexes.
    let t = text.trim();
    if !t.is_empty()
        && t.len() <= 15
        && t.bytes().all(|b| b.is_ascii_digit())
        && let Ok(v) = t.parse::<i64>()
    {
        return Tok::Value(Number::from(v));
    }
    let n = norm(text);
    if n.is_empty() || ABSENT.contains(&n.as_str()) {
        return Tok::Blank;
    }
    // Text with any character a number or an amount cannot hold is a label.
    if !n.chars().all(|c| {
        c.is_ascii_digit()
            || matches!(
                c,
                ',' | '.' | '-' | '件' | '条' | '个' | '项' | '次' | '元' | '万' | '亿'
            )
    }) {
        return Tok::Label(n);
    }
    // norm() strips a leading '-', which is a sign for numbers: look at the text itself.
    let signed = text
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{3000}')
        .replace(['−', '－'], "-");
    let unitless = n.strip_suffix(['件', '条', '个', '项', '次']).unwrap_or(&n);
    let candidate = if signed.starts_with('-') {
        format!("-{unitless}")
    } else {
        unitless.to_string()
    };
    // Digits on separate lines/words of one cell (`6\n0`) are not one number.
    let one_word = text.split_whitespace().count() <= 1;
    if one_word
        && NUMBER.is_match(&candidate)
        && let Some(num) = parse_number(&candidate)
    {
        return Tok::Value(num);
    }
    if AMOUNT.is_match(&n) {
        return Tok::Amount(n);
    }
    Tok::Label(n)
}

/// A number as JSON: an integer when integral, else a decimal.
pub fn parse_number(s: &str) -> Option<Number> {
    let plain = s.replace(',', "");
    if !plain.contains('.') {
        return plain.parse::<i64>().ok().map(Number::from);
    }
    let f: f64 = plain.parse().ok()?;
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return Some(Number::from(f as i64));
    }
    Number::from_f64(f)
}

/// Tokens of a document: text blocks as text lines, table rows cell by cell.
pub fn document_tokens(doc: &Document) -> Vec<Tok> {
    let mut out = Vec::new();
    for block in &doc.blocks {
        match block {
            Block::Text(t) => {
                for line in t.lines() {
                    if !line.trim().is_empty() {
                        text_line(line, &mut out);
                        out.push(Tok::RowEnd);
                    }
                }
            }
            Block::Table(table) => table_tokens(table, &mut out),
        }
    }
    out
}

/// A row's cells with their grid columns, and which columns a rowspan from above covers.
type GridRow<'a> = (Vec<(usize, &'a Cell)>, Vec<bool>);

/// Widest a table grid is taken to be; wider spans are clipped.
const MAX_GRID_WIDTH: usize = 256;

/// A table laid out as a grid (rowspan/colspan expanded), read row by row.
/// Cells are emitted where they start (a span's covered cells are not
/// repeated); a blank cell counts once per column it spans; a row that stops
/// short of the table's width (trailing cells omitted, as some editors
/// write them) is padded with blanks, so values keep their grid columns.
fn table_tokens(table: &Table, out: &mut Vec<Tok>) {
    // Pass 1: each row's cells with their grid columns, and the table width.
    let mut carry: Vec<usize> = Vec::new(); // rows still covered, per column
    let mut rows: Vec<GridRow> = Vec::with_capacity(table.rows.len());
    let mut width = 0;
    for row in &table.rows {
        let mut placed = Vec::with_capacity(row.len());
        let covered: Vec<bool> = carry.iter().map(|&c| c > 0).collect();
        let mut col = 0;
        for cell in row {
            while col < carry.len() && carry[col] > 0 {
                col += 1;
            }
            if col >= MAX_GRID_WIDTH {
                break;
            }
            let span = cell.colspan.clamp(1, MAX_GRID_WIDTH - col);
            if carry.len() < col + span {
                carry.resize(col + span, 0);
            }
            for c in &mut carry[col..col + span] {
                *c = cell.rowspan.max(1);
            }
            placed.push((col, cell));
            col += span;
        }
        width = width.max(carry.len());
        rows.push((placed, covered));
        for c in &mut carry {
            *c = c.saturating_sub(1);
        }
    }
    // Pass 2: tokens, padding each row to the width.
    for (placed, covered) in rows {
        let mut end = 0;
        for (col, cell) in &placed {
            match classify(&cell.text) {
                Tok::Blank => out.extend(std::iter::repeat_n(
                    Tok::Blank,
                    cell.colspan.clamp(1, width.max(1)),
                )),
                t => out.push(t),
            }
            end = col + cell.colspan.max(1);
        }
        let missing = (end..width)
            .filter(|&c| !covered.get(c).copied().unwrap_or(false))
            .count();
        out.extend(std::iter::repeat_n(Tok::Pad, missing));
        out.push(Tok::RowEnd);
    }
}

/// Tokens of a text rendering (see the module doc for the shapes).
pub fn text_tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    // A cell of the line-per-cell shape that may continue on untabbed lines.
    let mut pending: Option<String> = None;
    let flush = |pending: &mut Option<String>, out: &mut Vec<Tok>| {
        if let Some(cell) = pending.take() {
            out.push(classify(&cell));
        }
    };
    for raw in text.split('\n') {
        let line = raw.trim_end_matches(['\r', '\u{feff}']);
        // A line holding only a tab is a blank cell, not the blank line between rows.
        if line.trim().is_empty() && !line.contains('\t') {
            if pending.is_some() {
                flush(&mut pending, &mut out);
                out.push(Tok::RowEnd);
            }
            continue;
        }
        let trimmed_end = line.trim_end();
        if trimmed_end.ends_with('|') {
            flush(&mut pending, &mut out);
            pipe_line(trimmed_end, &mut out);
            continue;
        }
        if let Some(rest) = line.strip_prefix('\t')
            && !rest.contains('\t')
        {
            flush(&mut pending, &mut out);
            pending = Some(rest.to_string());
            continue;
        }
        if line.contains('\t') {
            flush(&mut pending, &mut out);
            for field in line.split('\t') {
                out.push(classify(field));
            }
            out.push(Tok::RowEnd);
            continue;
        }
        if let Some(cell) = pending.as_mut() {
            // A cell's text broken over lines (`商业\n企业`, or a value after a break).
            cell.push('\n');
            cell.push_str(line);
            continue;
        }
        if PAGE_NUMBER.is_match(line.trim()) {
            continue;
        }
        if super::runs::is_run_line(line) {
            super::runs::run_line(line, &mut out);
            out.push(Tok::RowEnd);
            continue;
        }
        text_line(line, &mut out);
        out.push(Tok::RowEnd);
    }
    flush(&mut pending, &mut out);
    out
}

/// `text |`, `|||` (collapsed blank cells) and Markdown rows `| a | b |`.
fn pipe_line(line: &str, out: &mut Vec<Tok>) {
    let body = line.trim_start();
    let markdown = body.starts_with('|') && body.trim_matches('|').contains('|');
    let body = if markdown { &body[1..] } else { body };
    if markdown
        && body
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
    {
        return; // Markdown separator row
    }
    let mut parts: Vec<&str> = body.split('|').collect();
    parts.pop(); // text after the last '|' (empty: the line ends with '|')
    for p in parts {
        out.push(classify(p));
    }
    if markdown {
        out.push(Tok::RowEnd);
    }
}

/// A running-text or PDF line: its label, then its trailing numbers/blank marks.
/// A PDF line may hold two table rows (`4.保护第三方合法权益 0 0 … 0 5.属于三类内部事务信息 2 0 … 2`):
/// a group of two or more values followed by more label words ends a row there.
fn text_line(line: &str, out: &mut Vec<Tok>) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let is_value = |w: &str| may_be_value(w) && !matches!(word_token(w), Tok::Label(_));
    let mut start = 0;
    let mut i = 0;
    while i < words.len() {
        if !is_value(words[i]) {
            i += 1;
            continue;
        }
        let group = words[i..].iter().take_while(|w| is_value(w)).count();
        let end = i + group;
        if end < words.len() && group < 2 {
            i = end;
            continue;
        }
        if i > start {
            out.push(Tok::Label(norm(words_in(line, &words[start..i]))));
        }
        out.extend(words[i..end].iter().map(|w| word_token(w)));
        start = end;
        i = end;
    }
    if start < words.len() {
        out.push(Tok::Label(norm(words_in(line, &words[start..]))));
    }
}

/// The stretch of `line` from the first of `words` to the end of the last (all of them
/// slices of `line`, in order). [`norm`] drops the spaces between them, so it is the
/// same label as the words joined, without building that string.
fn words_in<'a>(line: &'a str, words: &[&str]) -> &'a str {
    let offset = |w: &str| w.as_ptr() as usize - line.as_ptr() as usize;
    match (words.first(), words.last()) {
        (Some(first), Some(last)) => &line[offset(first)..offset(last) + last.len()],
        _ => "",
    }
}

/// A word of a text line: digits with a leading zero (`03`, `00`) are two
/// cells run together by the layout, read as a [`Tok::Run`].
fn word_token(w: &str) -> Tok {
    if w.len() > 1 && w.starts_with('0') && w.bytes().all(|b| b.is_ascii_digit()) {
        return Tok::Run(w.to_string());
    }
    classify(w)
}

/// Cheap pre-check: a value or blank mark starts with a digit, a sign/dash, `/` or `无`.
/// (Prose lines are long; this spares normalising them twice.)
fn may_be_value(word: &str) -> bool {
    word.chars().next().is_some_and(|c| {
        c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || matches!(
                c,
                '-' | '−' | '－' | '—' | '–' | '―' | '─' | '/' | '／' | '\\' | '＼' | '无'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: i64) -> Tok {
        Tok::Value(Number::from(n))
    }

    #[test]
    fn a_label_of_several_words_is_their_stretch_of_the_line() {
        let line = "  （一）  行政 \u{3000}许可  12";
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words_in(line, &words[1..3]), "行政 \u{3000}许可");
        assert_eq!(
            norm(words_in(line, &words[..3])),
            norm(&words[..3].join(" "))
        );
        assert_eq!(words_in(line, &[]), "");
    }

    #[test]
    fn norm_folds_widths_and_drops_spaces_and_quotes() {
        assert_eq!(
            norm(" 〔１〕“政府” 信息·公开\u{3000}（一）"),
            "[1]政府信息.公开(一)"
        );
        assert_eq!(norm("## 行政\u{200b}许可 "), "行政许可");
        assert_eq!(norm("--"), "--");
        assert_eq!(norm("•- 申请"), "申请");
        assert_eq!(norm("申请人"), "申请人");
    }

    #[test]
    fn classifies_cells() {
        assert_eq!(classify(" 1,234 "), v(1234));
        assert_eq!(classify("１２"), v(12));
        assert_eq!(classify("-3"), v(-3));
        assert_eq!(classify("—"), Tok::Blank);
        assert_eq!(classify("无"), Tok::Blank);
        assert_eq!(classify("\u{a0}"), Tok::Blank);
        assert_eq!(classify("251000元"), Tok::Amount("251000元".into()));
        assert_eq!(
            classify("（二）部分 公开"),
            Tok::Label("(二)部分公开".into())
        );
        assert_eq!(classify("1,23"), Tok::Label("1,23".into()));
        assert_eq!(classify("6\n0"), Tok::Label("60".into()));
        assert_eq!(classify("12件"), v(12));
        assert_eq!(classify("件"), Tok::Label("件".into()));
        assert_eq!(classify("\n0\n"), v(0));
        match classify("104.133") {
            Tok::Value(n) => assert_eq!(n.as_f64(), Some(104.133)),
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn line_per_cell_with_broken_cells() {
        let toks = text_tokens("\t商业\n企业\n\t0\n\t\n0\n\n\t总计\n");
        assert_eq!(
            toks,
            vec![
                Tok::Label("商业企业".into()),
                v(0),
                v(0),
                Tok::RowEnd,
                Tok::Label("总计".into()),
                Tok::RowEnd
            ]
        );
    }

    #[test]
    fn table_rows_are_padded_to_the_grid_width() {
        let table = Table {
            rows: vec![
                vec![
                    Cell::spanning("三、本年度办理结果", 1, 2),
                    Cell::new("(一)予以公开"),
                    Cell::new("1"),
                    Cell::new("2"),
                ],
                // The rowspan covers column 0; the trailing cell is omitted.
                vec![Cell::new("(二)部分公开"), Cell::new("3")],
            ],
        };
        let mut out = Vec::new();
        table_tokens(&table, &mut out);
        assert_eq!(
            out,
            vec![
                Tok::Label("三、本年度办理结果".into()),
                Tok::Label("(一)予以公开".into()),
                v(1),
                v(2),
                Tok::RowEnd,
                Tok::Label("(二)部分公开".into()),
                v(3),
                Tok::Pad,
                Tok::RowEnd
            ]
        );
    }

    #[test]
    fn markdown_rows_and_page_numbers() {
        let toks = text_tokens("| 规章 | 0 | / |\n|---|---|---|\n— 3 —\n第 2 页 共 9 页\n5\n");
        assert_eq!(
            toks,
            vec![
                Tok::Label("规章".into()),
                v(0),
                Tok::Blank,
                Tok::RowEnd,
                v(5),
                Tok::RowEnd
            ]
        );
    }

    #[test]
    fn pipes_tabs_and_pdf_lines() {
        let toks = text_tokens("规章 |\n0 |\n|||\n");
        assert_eq!(
            toks,
            vec![
                Tok::Label("规章".into()),
                v(0),
                Tok::Blank,
                Tok::Blank,
                Tok::Blank
            ]
        );
        let toks = text_tokens("a\t1\t\n结果 维持 2 / 3\n");
        assert_eq!(
            toks,
            vec![
                Tok::Label("a".into()),
                v(1),
                Tok::Blank,
                Tok::RowEnd,
                Tok::Label("结果维持".into()),
                v(2),
                Tok::Blank,
                v(3),
                Tok::RowEnd
            ]
        );
    }
}
