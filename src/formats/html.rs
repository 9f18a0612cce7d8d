//! HTML → [`Document`]: running text as lines, data tables with their spans.
//!
//! Portals wrap reports in layout tables (a table whose cells hold the page's
//! columns, or a frame around the report table). Only the innermost tables —
//! those without a table inside — are data tables; a wrapper's cells are read
//! as running text around them, so the report table is never mixed with the
//! page layout.

use crate::document::{Block, Cell, Document, Table};
use scraper::{ElementRef, Html};

/// Elements whose content is never part of the visible report. (A `match`, not a list
/// search: it is asked for every element of every page.)
fn skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "head"
            | "template"
            | "iframe"
            | "object"
            | "svg"
            | "select"
            | "option"
            | "button"
            | "textarea"
    )
}

/// Elements that start a new line of running text.
fn starts_line(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "nav"
            | "dt"
            | "dd"
            | "dl"
            | "blockquote"
            | "pre"
            | "hr"
            | "form"
            | "center"
            | "main"
            | "aside"
            | "caption"
            | "tbody"
            | "thead"
            | "tfoot"
            | "td"
            | "th"
    )
}

/// Parses HTML and returns its blocks in reading order.
pub fn html_to_document(html: &str) -> Document {
    dom_to_document(&super::nesting::parse_document(html))
}

/// Blocks of an already parsed page (the extractor parses once for blocks and metadata).
pub fn dom_to_document(dom: &Html) -> Document {
    let mut w = Walker::default();
    w.walk(dom.root_element());
    w.flush();
    Document { blocks: w.blocks }
}

#[derive(Default)]
struct Walker {
    blocks: Vec<Block>,
    line: String,
}

impl Walker {
    fn flush(&mut self) {
        let line = tidy_line(&self.line);
        if !line.is_empty() {
            self.blocks.push(Block::Text(line));
        }
        self.line.clear();
    }

    /// Iterative, so a page nested thousands of levels deep cannot overflow the stack.
    fn walk(&mut self, root: ElementRef<'_>) {
        let mut stack = vec![Work::Open(root)];
        while let Some(work) = stack.pop() {
            let el = match work {
                Work::Text(t) => {
                    self.line.push_str(t);
                    continue;
                }
                Work::Close => {
                    self.flush();
                    continue;
                }
                Work::Open(el) => el,
            };
            let name = el.value().name();
            if skipped(name) {
                continue;
            }
            if name == "table" && !has_descendant_table(el) {
                self.flush();
                let table = read_table(el);
                if !table.rows.is_empty() {
                    self.blocks.push(Block::Table(table));
                }
                continue;
            }
            if starts_line(name) {
                self.flush();
                stack.push(Work::Close);
            }
            push_children(el, &mut stack);
        }
    }
}

enum Work<'a> {
    Open(ElementRef<'a>),
    Text(&'a str),
    /// End of a block element: the line so far is complete.
    Close,
}

/// Children in reverse, so they pop off the stack in document order.
fn push_children<'a>(el: ElementRef<'a>, stack: &mut Vec<Work<'a>>) {
    let start = stack.len();
    for child in el.children() {
        if let Some(t) = child.value().as_text() {
            stack.push(Work::Text(t));
        } else if let Some(e) = ElementRef::wrap(child) {
            stack.push(Work::Open(e));
        }
    }
    stack[start..].reverse();
}

fn has_descendant_table(el: ElementRef<'_>) -> bool {
    el.descendants()
        .skip(1)
        .filter_map(ElementRef::wrap)
        .any(|d| d.value().name() == "table")
}

/// Rows of a data table; rows of a nested `<table>` never reach here (the
/// table is innermost), `thead`/`tbody`/`tfoot` are looked through.
fn read_table(table: ElementRef<'_>) -> Table {
    let mut rows = Vec::new();
    // One text buffer and one walk stack for every cell: a report table has hundreds.
    let (mut raw, mut stack) = (String::new(), Vec::new());
    let trs = table
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|d| d.value().name() == "tr");
    for tr in trs {
        // Sized once: a report row has seven or more cells.
        let mut row = Vec::with_capacity(tr.children().count());
        let cells = tr
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"));
        for cell in cells {
            // One look through the cell's few attributes (`attr` interns the name it is given).
            let (mut colspan, mut rowspan) = (None, None);
            for (name, value) in cell.value().attrs() {
                match name {
                    "colspan" => colspan = Some(value),
                    "rowspan" => rowspan = Some(value),
                    _ => {}
                }
            }
            let (colspan, rowspan) = (span(colspan), span(rowspan));
            raw.clear();
            cell_text(cell, &mut raw, &mut stack);
            let text = tidy_lines(&raw);
            row.push(Cell::spanning(text, colspan, rowspan));
        }
        if !row.is_empty() {
            rows.push(row);
        }
    }
    Table { rows }
}

/// A span attribute as portals write it (`"2"`, `" 3 "`, `"2;"`); absurd values are capped.
fn span(attr: Option<&str>) -> usize {
    attr.map(|a| {
        let a = a.trim();
        &a[..a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len())]
    })
    .and_then(|d| d.parse::<usize>().ok())
    .unwrap_or(1)
    .clamp(1, 1000)
}

/// The text of a cell appended to `out`, lines broken at block elements; `stack` is
/// scratch space, empty again on return.
fn cell_text<'a>(el: ElementRef<'a>, out: &mut String, stack: &mut Vec<Work<'a>>) {
    push_children(el, stack);
    while let Some(work) = stack.pop() {
        match work {
            Work::Text(t) => out.push_str(t),
            Work::Close => {
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Work::Open(e) => {
                let name = e.value().name();
                if skipped(name) {
                    continue;
                }
                if starts_line(name) {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    stack.push(Work::Close);
                }
                push_children(e, stack);
            }
        }
    }
}

/// Whitespace as report pages write it: Unicode whitespace (`&nbsp;` and the
/// ideographic space among it) and the zero-width space.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200b}'
}

/// The words of `s` appended to `out`, one space between them. (Word by word, not
/// character by character: most of a report's text is long runs without a space.)
fn push_words(s: &str, out: &mut String) {
    for (i, word) in s.split(is_space).filter(|w| !w.is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// [`tidy_line`] for each line, empty lines dropped.
fn tidy_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split('\n') {
        let before = out.len();
        if before > 0 {
            out.push('\n');
        }
        let words_at = out.len();
        push_words(line, &mut out);
        if out.len() == words_at {
            out.truncate(before);
        }
    }
    out
}

/// Collapses runs of whitespace (including `&nbsp;` and the ideographic space) to one space.
fn tidy_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_words(s, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_and_breaks_in_cells() {
        let doc = html_to_document(
            "<html><head><title>t</title><script>x=1</script></head><body><h1>标题</h1>\
             <table><tr><td rowspan=\"2\"><p>商业</p><p>企业</p></td><td colspan=3>a&nbsp;b</td></tr>\
             <tr><td>&nbsp;</td></tr></table></body></html>",
        );
        assert_eq!(doc.blocks[0], Block::Text("标题".into()));
        let Block::Table(t) = &doc.blocks[1] else {
            panic!("no table: {doc:?}")
        };
        assert_eq!(t.rows[0][0], Cell::spanning("商业\n企业", 1, 2));
        assert_eq!(t.rows[0][1], Cell::spanning("a b", 3, 1));
        assert_eq!(t.rows[1][0].text, "");
    }

    #[test]
    fn spans_read_as_portals_write_them() {
        assert_eq!(span(Some("2")), 2);
        assert_eq!(span(Some(" 3 ")), 3);
        assert_eq!(span(Some("2;")), 2);
        assert_eq!(span(Some("4px")), 4);
        for one in ["", "+2", "x2", "0", "99999999999999999999999"] {
            assert_eq!(span(Some(one)), 1, "{one:?}");
        }
        assert_eq!(span(Some("5000")), 1000);
        assert_eq!(span(None), 1);
    }

    #[test]
    fn tidy_lines_trims_each_line_and_drops_empty_ones() {
        assert_eq!(tidy_lines("  商业 \n\n\u{a0}企业\t x \n "), "商业\n企业 x");
        assert_eq!(tidy_lines(" \n \n"), "");
        assert_eq!(tidy_lines("\n\n甲\u{200b}\u{3000}乙\n"), "甲 乙");
        assert_eq!(tidy_line(" 甲\n\u{a0}乙  丙 "), "甲 乙 丙");
        assert_eq!(tidy_line("\u{3000} \t"), "");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!(
            "{}深{}",
            "<div><span>".repeat(3_000),
            "</span></div>".repeat(3_000)
        );
        let doc = html_to_document(&html);
        assert!(doc.plain_text().contains('深'));
    }

    #[test]
    fn layout_wrapper_is_not_a_table() {
        let doc = html_to_document(
            "<table><tr><td>导航</td><td><p>正文</p><table><tr><td>规章</td><td>0</td></tr></table></td></tr></table>",
        );
        let tables: Vec<_> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
            .collect();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].rows[0][0].text, "规章");
        assert!(doc.blocks.contains(&Block::Text("正文".into())));
    }
}
