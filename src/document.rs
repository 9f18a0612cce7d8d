//! The one document model every rendering of a report is read into before extraction.
//!
//! HTML pages, DOCX files and (where positions allow) PDF text all become a
//! sequence of [`Block`]s: running text and tables whose cells keep their
//! spans. The extractor reads tables as grids against the template's row list,
//! so a new input format only has to produce blocks, never its own parser.

use serde::Serialize;

/// A document as an ordered list of blocks, in reading order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Document {
    /// The blocks, in reading order.
    pub blocks: Vec<Block>,
}

/// One block of a document: running text or a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Block {
    /// A paragraph or heading; line breaks inside it are kept as `\n`.
    Text(String),
    /// A table, cells with their spans.
    Table(Table),
}

/// A table as its source wrote it: rows of cells, each with its spans.
/// Cells covered by another cell's span are *not* listed (as in HTML).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    /// Rows in order; each row lists only the cells that start in it.
    pub rows: Vec<Vec<Cell>>,
}

/// One table cell and how far it spans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// Cell text with paragraphs/`<br>` as `\n`, `&nbsp;` as a space.
    pub text: String,
    /// Columns the cell covers (at least 1).
    pub colspan: usize,
    /// Rows the cell covers (at least 1).
    pub rowspan: usize,
}

impl Cell {
    /// A cell covering one row and one column.
    pub fn new(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            colspan: 1,
            rowspan: 1,
        }
    }

    /// A cell spanning `colspan` × `rowspan` (each at least 1).
    pub fn spanning(text: impl Into<String>, colspan: usize, rowspan: usize) -> Self {
        Cell {
            text: text.into(),
            colspan: colspan.max(1),
            rowspan: rowspan.max(1),
        }
    }
}

impl Document {
    /// All text of the document in reading order, tables flattened row by row
    /// with cells separated by tabs: what title/date/metadata scanning reads.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Text(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Block::Table(table) => {
                    for row in &table.rows {
                        for (i, cell) in row.iter().enumerate() {
                            if i > 0 {
                                out.push('\t');
                            }
                            out.push_str(&cell.text);
                        }
                        out.push('\n');
                    }
                }
            }
        }
        out
    }
}
