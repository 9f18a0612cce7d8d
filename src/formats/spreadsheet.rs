//! Spreadsheets (XLSX, and `.xls`/`.et` in the old binary format) →
//! [`Document`]: each sheet becomes its name as a text block and its cells as
//! a table, merged ranges as spans.
//!
//! Some agencies attach the report's tables as a workbook. calamine reads the
//! cells and the merged ranges of every format; the model wants the top-left
//! cell of a range with colspan/rowspan and the covered cells left out, which
//! is what an HTML export of the sheet would give.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Dimensions, Reader, Sheets};

use super::FormatError;
use crate::document::{Block, Cell, Document, Table};

/// Larger sheets are data dumps, not a report; their extra cells are cut.
const MAX_ROWS: usize = 5_000;
const MAX_COLS: usize = 200;

/// Read a workbook (XLSX, XLS, ET) into the document model, sheet by sheet.
pub fn spreadsheet_to_document(bytes: &[u8]) -> Result<Document, FormatError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| FormatError::Corrupt(format!("not a readable workbook: {e}")))?;
    let mut blocks = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| FormatError::Corrupt(format!("sheet {name}: {e}")))?;
        let merged = |e: &dyn std::fmt::Display| {
            FormatError::Corrupt(format!("merged cells of {name}: {e}"))
        };
        let merges: Vec<Dimensions> = match &mut book {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).map_err(|e| merged(&e))?,
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).map_err(|e| merged(&e))?,
            _ => Vec::new(),
        };
        let mut values = HashMap::new();
        // used_cells counts from the range's start; merges are absolute.
        let (top, left) = range
            .start()
            .map_or((0, 0), |(r, c)| (r as usize, c as usize));
        for (r, c, v) in range.used_cells() {
            let (r, c) = (r + top, c + left);
            let text = cell_text(v);
            if r < MAX_ROWS && c < MAX_COLS && !text.is_empty() {
                values.insert((r, c), text);
            }
        }
        let merges: Vec<Merge> = merges
            .iter()
            .map(|d| {
                (
                    (d.start.0 as usize, d.start.1 as usize),
                    (d.end.0 as usize, d.end.1 as usize),
                )
            })
            .collect();
        let table = grid_table(values, &merges);
        if table
            .rows
            .iter()
            .flatten()
            .any(|c| !c.text.trim().is_empty())
        {
            blocks.push(Block::Text(name));
            blocks.push(Block::Table(table));
        }
    }
    Ok(Document { blocks })
}

/// A cell's text as the sheet shows it (numbers without a trailing `.0`).
fn cell_text(v: &Data) -> String {
    match v {
        Data::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// A merged range: (top, left) and (bottom, right), inclusive.
type Merge = ((usize, usize), (usize, usize));

/// Cells by (row, column) and merged ranges → a table whose ranges are spans
/// on their top-left cell.
fn grid_table(mut values: HashMap<(usize, usize), String>, merges: &[Merge]) -> Table {
    let mut rows = values.keys().map(|k| k.0 + 1).max().unwrap_or(0);
    let mut cols = values.keys().map(|k| k.1 + 1).max().unwrap_or(0);
    for &(_, (r1, c1)) in merges {
        rows = rows.max((r1 + 1).min(MAX_ROWS));
        cols = cols.max((c1 + 1).min(MAX_COLS));
    }
    // Covered slots, and the span of each range's top-left cell.
    let mut covered = vec![vec![false; cols]; rows];
    let mut spans: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    for &((r0, c0), (r1, c1)) in merges {
        if r0 >= rows || c0 >= cols || covered[r0][c0] {
            continue;
        }
        let (r1, c1) = (r1.min(rows - 1), c1.min(cols - 1));
        for (r, line) in covered.iter_mut().enumerate().take(r1 + 1).skip(r0) {
            for (c, slot) in line.iter_mut().enumerate().take(c1 + 1).skip(c0) {
                *slot = (r, c) != (r0, c0);
            }
        }
        spans.insert((r0, c0), (c1 - c0 + 1, r1 - r0 + 1));
    }
    let mut table = Table::default();
    for (r, line) in covered.iter().enumerate() {
        let mut row = Vec::new();
        for (c, &is_covered) in line.iter().enumerate() {
            if is_covered {
                continue;
            }
            let text = values.remove(&(r, c)).unwrap_or_default();
            let (cs, rs) = spans.get(&(r, c)).copied().unwrap_or((1, 1));
            row.push(Cell::spanning(text, cs, rs));
        }
        table.rows.push(row);
    }
    // Trailing blank cells carry no position information: drop them.
    for row in &mut table.rows {
        while row
            .last()
            .is_some_and(|c| c.text.is_empty() && c.colspan == 1 && c.rowspan == 1)
        {
            row.pop();
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_ranges_become_spans_and_covered_cells_go() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("表").unwrap();
        let f = rust_xlsxwriter::Format::new();
        ws.merge_range(0, 0, 1, 2, "（本列数据）", &f).unwrap();
        ws.merge_range(0, 3, 0, 4, "申请人情况", &f).unwrap();
        ws.write_number(1, 3, 12.0).unwrap();
        ws.write_number(1, 4, 104.133).unwrap();
        ws.write_string(2, 0, "合计").unwrap();
        ws.write_boolean(2, 3, true).unwrap();
        let doc = spreadsheet_to_document(&wb.save_to_buffer().unwrap()).unwrap();
        assert_eq!(doc.blocks[0], Block::Text("表".into()));
        let Block::Table(t) = &doc.blocks[1] else {
            panic!("{doc:?}")
        };
        assert_eq!(
            t.rows,
            vec![
                vec![
                    Cell::spanning("（本列数据）", 3, 2),
                    Cell::spanning("申请人情况", 2, 1)
                ],
                vec![Cell::new("12"), Cell::new("104.133")],
                vec![
                    Cell::new("合计"),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new("TRUE")
                ],
            ]
        );
    }

    #[test]
    fn a_range_overlapping_a_covered_cell_is_ignored() {
        let values = HashMap::from([((0, 0), "a".to_string()), ((1, 1), "b".to_string())]);
        let t = grid_table(values, &[((0, 0), (1, 1)), ((1, 1), (1, 1))]);
        assert_eq!(t.rows, vec![vec![Cell::spanning("a", 2, 2)], vec![]]);
    }

    #[test]
    fn not_a_workbook_is_an_error() {
        assert!(matches!(
            spreadsheet_to_document(b"PK\x03\x04nonsense"),
            Err(FormatError::Corrupt(_))
        ));
    }
}
