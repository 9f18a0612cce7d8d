//! HTML → [`Document`]: running text as lines, data tables with their spans.
//!
//! Portals wrap reports in layout tables (a table whose cells hold the page's
//! columns, or a frame around the report table). Only the innermost tables —
//! those without a table inside — are data tables; a wrapper's cells are read
//! as running text around them, so the report table is never mixed with the
//! page layout.

use crate::document::{Block, Cell, Document, Table};
use scraper::{ElementRef, Html};

/// Elements whose content is never part of the visible report.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "head", "template", "iframe", "object", "svg", "select",
    "option", "button", "textarea",
];

/// Elements that start a new line of running text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "dt",
    "dd",
    "dl",
    "blockquote",
    "pre",
    "hr",
    "form",
    "center",
    "main",
    "aside",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "td",
    "th",
];

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
            if SKIPPED.contains(&name) {
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
            if BLOCKS.contains(&name) {
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
    let trs = table
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|d| d.value().name() == "tr");
    for tr in trs {
        let mut row = Vec::new();
        let cells = tr
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"));
        for cell in cells {
            let (colspan, rowspan) = (
                span(cell.value().attr("colspan")),
                span(cell.value().attr("rowspan")),
            );
            let mut text = String::new();
            cell_text(cell, &mut text);
            let text = tidy_lines(&text);
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
        a.trim()
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>()
    })
    .and_then(|d| d.parse::<usize>().ok())
    .unwrap_or(1)
    .clamp(1, 1000)
}

fn cell_text(el: ElementRef<'_>, out: &mut String) {
    let mut stack = Vec::new();
    push_children(el, &mut stack);
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
                if SKIPPED.contains(&name) {
                    continue;
                }
                if BLOCKS.contains(&name) {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    stack.push(Work::Close);
                }
                push_children(e, &mut stack);
            }
        }
    }
}

/// Collapses runs of whitespace (including `&nbsp;` and the ideographic space) to one space.
/// [`tidy_line`] for each line, empty lines dropped, in one pass.
fn tidy_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    let mut newline = false;
    for c in s.chars() {
        if c == '\n' {
            newline = true;
        } else if c.is_whitespace() || c == '\u{a0}' || c == '\u{3000}' || c == '\u{200b}' {
            space = true;
        } else {
            if !out.is_empty() {
                if newline {
                    out.push('\n');
                } else if space {
                    out.push(' ');
                }
            }
            space = false;
            newline = false;
            out.push(c);
        }
    }
    out
}

fn tidy_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{a0}' || c == '\u{3000}' || c == '\u{200b}' {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
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
    fn tidy_lines_trims_each_line_and_drops_empty_ones() {
        assert_eq!(tidy_lines("  商业 \n\n\u{a0}企业\t x \n "), "商业\n企业 x");
        assert_eq!(tidy_lines(" \n \n"), "");
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
