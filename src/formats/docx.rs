//! DOCX (Office Open XML) → [`Document`]: paragraphs and Word tables with their merges.
//!
//! Only `word/document.xml` is read. Word writes a horizontal merge as
//! `w:gridSpan` on the one cell, and a vertical merge as a `w:vMerge
//! w:val="restart"` cell followed by `w:vMerge` (continue) cells in the same
//! grid column of the rows below; the model wants HTML-style spans with the
//! covered cells left out, so the continue cells are counted into the
//! restart cell's rowspan and dropped.

use super::ooxml::{attr, attr_num};
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::FormatError;
use super::numbering::Numbering;
use crate::document::{Block, Cell, Document, Table};

/// Larger `document.xml` than this is treated as a zip bomb, not a report.
const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;
/// Tables nested deeper than this are read as text of their enclosing cell.
const MAX_TABLE_DEPTH: usize = 16;

/// Read a `.docx` file into the document model.
pub fn docx_to_document(bytes: &[u8]) -> Result<Document, FormatError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| FormatError::Corrupt(format!("not a readable zip archive: {e}")))?;
    let xml = read_part(&mut archive, "word/document.xml")?;
    // Numbering is optional: without it, numbered paragraphs just lose their numbers.
    let mut numbering = read_part(&mut archive, "word/numbering.xml")
        .map(|x| Numbering::parse(&x))
        .unwrap_or_default();
    // Styles matter only when they point into lists that exist.
    if numbering.has_lists()
        && let Ok(styles) = read_part(&mut archive, "word/styles.xml")
        && styles.contains("w:numId")
    {
        numbering.add_styles(&styles);
    }
    parse_with_numbering(&xml, numbering)
}

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<String, FormatError> {
    let entry = archive.by_name(name).map_err(|e| match e {
        zip::result::ZipError::FileNotFound => {
            FormatError::Corrupt(format!("zip archive without {name}: not a DOCX"))
        }
        other => FormatError::Corrupt(format!("cannot open {name}: {other}")),
    })?;
    let mut raw = Vec::new();
    entry
        .take(MAX_XML_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| FormatError::Corrupt(format!("cannot inflate {name}: {e}")))?;
    if raw.len() as u64 > MAX_XML_BYTES {
        return Err(FormatError::Corrupt(format!(
            "{name} is larger than 64 MiB"
        )));
    }
    // Word always writes UTF-8; a stray invalid byte must not lose the document.
    let text = match String::from_utf8(raw) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// One cell as Word wrote it, before vertical merges are resolved.
#[derive(Debug, Default)]
struct RawCell {
    paragraphs: Vec<String>,
    /// Tables inside this cell, emitted after the enclosing table.
    nested: Vec<Table>,
    grid_span: usize,
    vmerge: VMerge,
    /// `w:hMerge w:val="continue"` (old Word): belongs to the cell on its left.
    hmerge_continue: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum VMerge {
    #[default]
    None,
    Restart,
    Continue,
}

#[derive(Debug, Default)]
struct RawRow {
    grid_before: usize,
    cells: Vec<RawCell>,
}

#[derive(Debug, Default)]
struct RawTable {
    rows: Vec<RawRow>,
}

/// What the parser is inside of; the top of the stack receives content.
#[derive(Debug)]
enum Frame {
    Body(Vec<Block>),
    Table(RawTable),
    Row(RawRow),
    Cell(RawCell),
    Paragraph(String),
}

/// Parse the XML of `word/document.xml` without list numbering.
#[cfg(test)]
pub(crate) fn parse_document_xml(xml: &str) -> Result<Document, FormatError> {
    parse_with_numbering(xml, Numbering::default())
}

fn parse_with_numbering(xml: &str, mut numbering: Numbering) -> Result<Document, FormatError> {
    let mut reader = Reader::from_str(xml);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = false;

    let mut stack: Vec<Frame> = vec![Frame::Body(Vec::new())];
    // Subtrees whose text must not be read (properties, fallbacks, deleted text).
    let mut skip_depth = 0usize;
    let mut table_depth = 0usize;
    // Tables nested too deep: their cells are read as text of the outer cell.
    let mut flattened_depth = 0usize;
    let mut in_text = false;
    // Inside w:pPr: only the list reference (w:numPr) is read.
    let mut ppr_depth = 0usize;
    let mut num_ref: (Option<u32>, Option<u32>) = (None, None);
    let mut para_style: Option<String> = None;
    // Paragraphs of a text box inside a paragraph: they are lines of it.
    let mut inner_paragraphs = 0usize;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| FormatError::Corrupt(format!("bad XML in word/document.xml: {e}")))?;
        match event {
            Event::Start(e) => {
                let name = e.name();
                let name = name.as_ref();
                if skip_depth > 0 {
                    skip_depth += 1;
                    continue;
                }
                if ppr_depth > 0 {
                    ppr_depth += 1;
                    match name {
                        "w:numId" => num_ref.0 = attr_usize(&e, "w:val").map(|v| v as u32),
                        "w:ilvl" => num_ref.1 = attr_usize(&e, "w:val").map(|v| v as u32),
                        "w:pStyle" => para_style = attr(&e, "w:val"),
                        _ => {}
                    }
                    continue;
                }
                match name {
                    "w:pPr" => {
                        ppr_depth = 1;
                        num_ref = (None, None);
                        para_style = None;
                    }
                    // Properties and alternatives hold no text of the document
                    // (row and cell properties, which hold the spans, are read).
                    "w:rPr" | "w:sectPr" | "mc:Fallback" | "w:instrText" | "w:delText"
                    | "w:tblPr" | "w:tblGrid" => skip_depth = 1,
                    "w:tbl" => {
                        if table_depth >= MAX_TABLE_DEPTH || flattened_depth > 0 {
                            flattened_depth += 1;
                        } else {
                            table_depth += 1;
                            stack.push(Frame::Table(RawTable::default()));
                        }
                    }
                    "w:tr" if flattened_depth == 0 => stack.push(Frame::Row(RawRow::default())),
                    "w:tc" if flattened_depth == 0 => stack.push(Frame::Cell(RawCell {
                        grid_span: 1,
                        ..RawCell::default()
                    })),
                    "w:tc" | "w:tr" => {}
                    "w:p" => {
                        if flattened_depth > 0 {
                            if !matches!(stack.last(), Some(Frame::Paragraph(_))) {
                                stack.push(Frame::Paragraph(String::new()));
                            }
                        } else if matches!(stack.last(), Some(Frame::Paragraph(_))) {
                            inner_paragraphs += 1;
                            push_text(&mut stack, "\n");
                        } else {
                            stack.push(Frame::Paragraph(String::new()));
                        }
                    }
                    "w:t" => in_text = true,
                    "w:tab" | "w:ptab" => push_text(&mut stack, "\t"),
                    "w:br" | "w:cr" => {
                        let kind = attr(&e, "w:type");
                        if !matches!(kind.as_deref(), Some("page") | Some("column")) {
                            push_text(&mut stack, "\n");
                        }
                    }
                    "w:noBreakHyphen" => push_text(&mut stack, "-"),
                    "w:gridSpan" | "w:vMerge" | "w:hMerge" | "w:gridBefore" => {
                        apply_property(&mut stack, name, &e);
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                if ppr_depth > 0 {
                    ppr_depth -= 1;
                    // Paragraph properties come first: the number starts the text.
                    let (style_num, style_level) = para_style
                        .as_deref()
                        .map(|s| numbering.style_list(s))
                        .unwrap_or((None, None));
                    if ppr_depth == 0
                        && let (Some(num), level) =
                            (num_ref.0.or(style_num), num_ref.1.or(style_level))
                        && num != 0
                        && let Some(label) = numbering.next_label(num, level.unwrap_or(0))
                    {
                        push_text(&mut stack, &label);
                    }
                    continue;
                }
                let name = e.name();
                match name.as_ref() {
                    "w:t" => in_text = false,
                    "w:p" if inner_paragraphs > 0 && flattened_depth == 0 => inner_paragraphs -= 1,
                    "w:p" => close_paragraph(&mut stack, flattened_depth > 0),
                    "w:tc" if flattened_depth == 0 => {
                        if let Some(Frame::Cell(cell)) =
                            pop_if(&mut stack, |f| matches!(f, Frame::Cell(_)))
                            && let Some(Frame::Row(row)) = stack.last_mut()
                        {
                            row.cells.push(cell);
                        }
                    }
                    "w:tr" if flattened_depth == 0 => {
                        if let Some(Frame::Row(row)) =
                            pop_if(&mut stack, |f| matches!(f, Frame::Row(_)))
                            && let Some(Frame::Table(table)) = stack.last_mut()
                        {
                            table.rows.push(row);
                        }
                    }
                    "w:tc" => push_text(&mut stack, "\t"),
                    "w:tr" => push_text(&mut stack, "\n"),
                    "w:tbl" => {
                        if flattened_depth > 0 {
                            flattened_depth -= 1;
                            if flattened_depth == 0 {
                                close_paragraph(&mut stack, false);
                            }
                        } else if let Some(Frame::Table(raw)) =
                            pop_if(&mut stack, |f| matches!(f, Frame::Table(_)))
                        {
                            table_depth = table_depth.saturating_sub(1);
                            deliver_table(&mut stack, raw);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_text && skip_depth == 0 => {
                push_text(&mut stack, &t.xml10_content());
            }
            Event::CData(t) if in_text && skip_depth == 0 => {
                push_text(&mut stack, &t.into_inner());
            }
            Event::GeneralRef(r) if in_text && skip_depth == 0 => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    push_text(&mut stack, c.encode_utf8(&mut [0u8; 4]));
                } else if let Some(s) =
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                {
                    push_text(&mut stack, s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }

    // Unclosed elements (a truncated file): close what is open, keep what was read.
    while stack.len() > 1 {
        match stack.pop() {
            Some(Frame::Paragraph(text)) => {
                stack.push(Frame::Paragraph(text));
                close_paragraph(&mut stack, false);
            }
            Some(Frame::Cell(cell)) => {
                if let Some(Frame::Row(row)) = stack.last_mut() {
                    row.cells.push(cell);
                }
            }
            Some(Frame::Row(row)) => {
                if let Some(Frame::Table(table)) = stack.last_mut() {
                    table.rows.push(row);
                }
            }
            Some(Frame::Table(raw)) => deliver_table(&mut stack, raw),
            Some(Frame::Body(_)) | None => break,
        }
    }
    match stack.pop() {
        Some(Frame::Body(blocks)) => Ok(Document { blocks }),
        _ => Err(FormatError::Corrupt("unbalanced document structure".into())),
    }
}

fn attr_usize(e: &BytesStart<'_>, name: &str) -> Option<usize> {
    attr_num(e, name)
}

fn pop_if(stack: &mut Vec<Frame>, pred: impl Fn(&Frame) -> bool) -> Option<Frame> {
    if stack.last().is_some_and(pred) {
        stack.pop()
    } else {
        None
    }
}

fn push_text(stack: &mut [Frame], s: &str) {
    match stack.last_mut() {
        Some(Frame::Paragraph(p)) => p.push_str(s),
        // Text outside any paragraph (rare, from flattened tables): keep it as a paragraph.
        Some(Frame::Cell(cell)) => match cell.paragraphs.last_mut() {
            Some(p) => p.push_str(s),
            None => cell.paragraphs.push(s.to_string()),
        },
        _ => {}
    }
}

fn apply_property(stack: &mut [Frame], name: &str, e: &BytesStart<'_>) {
    match (name, stack.last_mut()) {
        ("w:gridSpan", Some(Frame::Cell(cell))) => {
            // A span wider than any real table is corruption; keep it bounded.
            cell.grid_span = attr_usize(e, "w:val").unwrap_or(1).clamp(1, 256);
        }
        ("w:vMerge", Some(Frame::Cell(cell))) => {
            cell.vmerge = match attr(e, "w:val").as_deref() {
                Some("restart") => VMerge::Restart,
                _ => VMerge::Continue,
            };
        }
        ("w:hMerge", Some(Frame::Cell(cell))) => {
            cell.hmerge_continue = !matches!(attr(e, "w:val").as_deref(), Some("restart"));
        }
        ("w:gridBefore", Some(Frame::Row(row))) => {
            row.grid_before = attr_usize(e, "w:val").unwrap_or(0).min(256);
        }
        _ => {}
    }
}

fn close_paragraph(stack: &mut Vec<Frame>, flattened: bool) {
    if flattened {
        // A table nested too deep is read as one paragraph of its enclosing cell.
        push_text(stack, " ");
        return;
    }
    let Some(Frame::Paragraph(text)) = pop_if(stack, |f| matches!(f, Frame::Paragraph(_))) else {
        return;
    };
    match stack.last_mut() {
        Some(Frame::Cell(cell)) => cell.paragraphs.push(text),
        Some(Frame::Body(blocks)) if !text.trim().is_empty() => blocks.push(Block::Text(text)),
        // A paragraph directly in a row or table is malformed; keep its text anyway.
        Some(Frame::Row(row)) => {
            if let Some(cell) = row.cells.last_mut() {
                cell.paragraphs.push(text);
            }
        }
        _ => {}
    }
}

fn deliver_table(stack: &mut [Frame], raw: RawTable) {
    let (table, nested) = resolve_table(raw);
    match stack.last_mut() {
        Some(Frame::Body(blocks)) => {
            if is_layout_table(&table) && !nested.is_empty() {
                // A one-column frame around the report: its content is the document.
                for row in &table.rows {
                    for cell in row {
                        for line in cell.text.split('\n') {
                            if !line.trim().is_empty() && !nested_contains(&nested, line) {
                                blocks.push(Block::Text(line.to_string()));
                            }
                        }
                    }
                }
                blocks.extend(nested.into_iter().map(Block::Table));
            } else {
                if !table.rows.is_empty() {
                    blocks.push(Block::Table(table));
                }
                blocks.extend(nested.into_iter().map(Block::Table));
            }
        }
        Some(Frame::Cell(cell)) => {
            // The nested table stays readable as text of its cell, and as a table of its own.
            let flat = flatten(&table);
            if !flat.is_empty() {
                cell.paragraphs.push(flat);
            }
            cell.nested.push(table);
            cell.nested.extend(nested);
        }
        _ => {}
    }
}

fn nested_contains(nested: &[Table], line: &str) -> bool {
    nested
        .iter()
        .any(|t| flatten(t).split('\n').any(|l| l == line))
}

fn is_layout_table(table: &Table) -> bool {
    table.rows.iter().all(|row| row.len() <= 1)
}

fn flatten(table: &Table) -> String {
    table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.text.replace('\n', " "))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn cell_text(paragraphs: &[String]) -> String {
    let joined = paragraphs.join("\n");
    joined.trim_end_matches(['\n', ' ']).to_string()
}

/// Turn Word's rows (with continue cells) into a model table, plus the tables
/// nested in its cells in reading order.
fn resolve_table(raw: RawTable) -> (Table, Vec<Table>) {
    struct Placed {
        col: usize,
        span: usize,
        vmerge: VMerge,
        text: String,
    }
    let mut nested = Vec::new();
    let mut grid: Vec<Vec<Placed>> = Vec::with_capacity(raw.rows.len());
    for row in raw.rows {
        let mut placed: Vec<Placed> = Vec::with_capacity(row.cells.len() + 1);
        let mut col = 0;
        if row.grid_before > 0 {
            placed.push(Placed {
                col: 0,
                span: row.grid_before,
                vmerge: VMerge::None,
                text: String::new(),
            });
            col = row.grid_before;
        }
        for cell in row.cells {
            nested.extend(cell.nested);
            let text = cell_text(&cell.paragraphs);
            if cell.hmerge_continue
                && let Some(prev) = placed.last_mut()
            {
                prev.span += cell.grid_span;
                if !text.is_empty() {
                    prev.text.push('\n');
                    prev.text.push_str(&text);
                }
                col += cell.grid_span;
                continue;
            }
            placed.push(Placed {
                col,
                span: cell.grid_span,
                vmerge: cell.vmerge,
                text,
            });
            col += cell.grid_span;
        }
        grid.push(placed);
    }

    // Rowspan of a restart cell: the continue cells below it in the same column.
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(grid.len());
    let mut consumed: Vec<Vec<bool>> = grid.iter().map(|r| vec![false; r.len()]).collect();
    for r in 0..grid.len() {
        let mut out = Vec::with_capacity(grid[r].len());
        for i in 0..grid[r].len() {
            if consumed[r][i] {
                continue;
            }
            let (col, span) = (grid[r][i].col, grid[r][i].span);
            let mut text = grid[r][i].text.clone();
            let mut rowspan = 1;
            if grid[r][i].vmerge == VMerge::Restart {
                let mut below = r + 1;
                while below < grid.len() {
                    let hit = grid[below]
                        .iter()
                        .position(|p| p.col == col && p.vmerge == VMerge::Continue);
                    let Some(j) = hit else { break };
                    consumed[below][j] = true;
                    if !grid[below][j].text.is_empty() {
                        text.push('\n');
                        text.push_str(&grid[below][j].text);
                    }
                    rowspan += 1;
                    below += 1;
                }
            }
            out.push(Cell::spanning(text, span, rowspan));
        }
        rows.push(out);
    }
    (Table { rows }, nested)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> Document {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
        );
        parse_document_xml(&xml).expect("parses")
    }

    fn p(text: &str) -> String {
        format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
    }

    fn tc(props: &str, text: &str) -> String {
        format!(
            "<w:tc><w:tcPr><w:tcW w:w=\"100\"/>{props}</w:tcPr>{}</w:tc>",
            p(text)
        )
    }

    fn only_table(d: &Document) -> &Table {
        let tables: Vec<&Table> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
            .collect();
        assert_eq!(tables.len(), 1, "{d:?}");
        tables[0]
    }

    #[test]
    fn paragraphs_tabs_breaks_and_entities() {
        let d = doc(concat!(
            r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs></w:pPr>"#,
            r#"<w:r><w:t>一、总体</w:t></w:r><w:r><w:t xml:space="preserve">情况 </w:t></w:r>"#,
            r#"<w:r><w:tab/><w:t>A&amp;B&#x4E00;</w:t><w:br/><w:t>下一行</w:t></w:r></w:p>"#,
            r#"<w:p></w:p>"#,
            r#"<w:p><w:r><w:delText>删除</w:delText><w:t>保留</w:t></w:r></w:p>"#,
        ));
        assert_eq!(
            d.blocks,
            vec![
                Block::Text("一、总体情况 \tA&B一\n下一行".into()),
                Block::Text("保留".into()),
            ]
        );
    }

    #[test]
    fn text_box_paragraphs_are_lines_of_their_paragraph() {
        let d = doc(concat!(
            r#"<w:p><w:r><w:t>前</w:t></w:r><w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent>"#,
            r#"<w:p><w:r><w:t>框一</w:t></w:r></w:p><w:p><w:r><w:t>框二</w:t></w:r></w:p>"#,
            r#"</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:p><w:r><w:t>重复</w:t></w:r></w:p></w:pict></mc:Fallback></mc:AlternateContent></w:r>"#,
            r#"<w:r><w:t>后</w:t></w:r></w:p>"#,
            "<w:p><w:r><w:t>下一段</w:t></w:r></w:p>",
        ));
        assert_eq!(
            d.blocks,
            vec![
                Block::Text("前\n框一\n框二后".into()),
                Block::Text("下一段".into())
            ]
        );
    }

    #[test]
    fn list_numbers_come_from_numbering_xml() {
        let numbering = Numbering::parse(concat!(
            r#"<w:numbering><w:abstractNum w:abstractNumId="4"><w:lvl w:ilvl="0">"#,
            r#"<w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/>"#,
            r#"</w:lvl></w:abstractNum><w:num w:numId="7"><w:abstractNumId w:val="4"/></w:num></w:numbering>"#
        ));
        let para = |t: &str| {
            format!(
                r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="7"/></w:numPr><w:tabs><w:tab w:val="left" w:pos="1"/></w:tabs></w:pPr><w:r><w:t>{t}</w:t></w:r></w:p>"#
            )
        };
        let xml = format!(
            r#"<w:document><w:body>{}{}{}</w:body></w:document>"#,
            para("总体情况"),
            p("正文"),
            para("主动公开政府信息情况")
        );
        let d = parse_with_numbering(&xml, numbering).expect("parses");
        assert_eq!(
            d.blocks,
            vec![
                Block::Text("一、总体情况".into()),
                Block::Text("正文".into()),
                Block::Text("二、主动公开政府信息情况".into()),
            ]
        );
    }

    #[test]
    fn grid_span_becomes_colspan() {
        let body = format!(
            "<w:tbl><w:tr>{}{}</w:tr><w:tr>{}{}{}</w:tr></w:tbl>",
            tc(r#"<w:gridSpan w:val="2"/>"#, "信息内容"),
            tc("", "本年"),
            tc("", "规章"),
            tc("", "0"),
            tc("", "5"),
        );
        let d = doc(&body);
        let t = only_table(&d);
        assert_eq!(
            t.rows,
            vec![
                vec![Cell::spanning("信息内容", 2, 1), Cell::new("本年")],
                vec![Cell::new("规章"), Cell::new("0"), Cell::new("5")],
            ]
        );
    }

    #[test]
    fn vmerge_continue_cells_are_counted_and_dropped() {
        let restart = r#"<w:vMerge w:val="restart"/>"#;
        let cont = "<w:vMerge/>";
        let body = format!(
            "<w:tbl><w:tr>{}{}{}</w:tr><w:tr>{}{}{}</w:tr><w:tr>{}{}{}</w:tr><w:tr>{}{}</w:tr></w:tbl>",
            tc(restart, "（三）不予公开"),
            tc("", "1.属于国家秘密"),
            tc("", "0"),
            tc(cont, ""),
            tc("", "2.其他"),
            tc("", "1"),
            tc(cont, ""),
            tc("", "3.危及"),
            tc("", "2"),
            tc(r#"<w:gridSpan w:val="2"/>"#, "（七）总计"),
            tc("", "3"),
        );
        let d = doc(&body);
        let t = only_table(&d);
        assert_eq!(t.rows.len(), 4);
        assert_eq!(t.rows[0][0], Cell::spanning("（三）不予公开", 1, 3));
        assert_eq!(t.rows[1], vec![Cell::new("2.其他"), Cell::new("1")]);
        assert_eq!(t.rows[2], vec![Cell::new("3.危及"), Cell::new("2")]);
        assert_eq!(t.rows[3][0], Cell::spanning("（七）总计", 2, 1));
    }

    #[test]
    fn vmerge_restart_with_gridspan_and_cells_before_it() {
        // The applicant header of part 三: a 3×3 corner, then a 2-row 自然人 cell.
        let body = format!(
            "<w:tbl><w:tr>{}{}</w:tr><w:tr>{}{}{}</w:tr><w:tr>{}{}{}</w:tr></w:tbl>",
            tc(
                r#"<w:gridSpan w:val="2"/><w:vMerge w:val="restart"/>"#,
                "角"
            ),
            tc(r#"<w:gridSpan w:val="2"/>"#, "申请人情况"),
            tc(r#"<w:gridSpan w:val="2"/><w:vMerge/>"#, ""),
            tc(r#"<w:vMerge w:val="restart"/>"#, "自然人"),
            tc("", "法人"),
            tc(r#"<w:gridSpan w:val="2"/><w:vMerge/>"#, ""),
            tc("<w:vMerge/>", ""),
            tc("", "商业企业"),
        );
        let d = doc(&body);
        let t = only_table(&d);
        assert_eq!(
            t.rows,
            vec![
                vec![
                    Cell::spanning("角", 2, 3),
                    Cell::spanning("申请人情况", 2, 1)
                ],
                vec![Cell::spanning("自然人", 1, 2), Cell::new("法人")],
                vec![Cell::new("商业企业")],
            ]
        );
    }

    #[test]
    fn cell_paragraphs_join_with_newline_and_nested_tables_surface() {
        let inner = format!("<w:tbl><w:tr>{}{}</w:tr></w:tbl>", tc("", "x"), tc("", "1"));
        let body = format!(
            "<w:tbl><w:tr><w:tc>{}{}</w:tc><w:tc>{}{}</w:tc></w:tr></w:tbl>",
            p("商业"),
            p("企业"),
            p("内"),
            inner
        );
        let d = doc(&body);
        assert_eq!(d.blocks.len(), 2, "{d:?}");
        let Block::Table(outer) = &d.blocks[0] else {
            panic!("outer table first: {d:?}")
        };
        assert_eq!(outer.rows[0][0].text, "商业\n企业");
        assert_eq!(outer.rows[0][1].text, "内\nx\t1");
        assert_eq!(
            d.blocks[1],
            Block::Table(Table {
                rows: vec![vec![Cell::new("x"), Cell::new("1")]]
            })
        );
    }

    #[test]
    fn layout_frame_table_is_unwrapped() {
        let inner = format!(
            "<w:tbl><w:tr>{}{}</w:tr></w:tbl>",
            tc("", "规章"),
            tc("", "0")
        );
        let body = format!(
            "<w:tbl><w:tr><w:tc>{}{}{}</w:tc></w:tr></w:tbl>",
            p("二、主动公开政府信息情况"),
            inner,
            p("")
        );
        let d = doc(&body);
        assert_eq!(
            d.blocks,
            vec![
                Block::Text("二、主动公开政府信息情况".into()),
                Block::Table(Table {
                    rows: vec![vec![Cell::new("规章"), Cell::new("0")]]
                })
            ]
        );
    }

    #[test]
    fn grid_before_keeps_columns_aligned() {
        let body = format!(
            "<w:tbl><w:tr>{}{}</w:tr><w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>{}</w:tr></w:tbl>",
            tc("", "a"),
            tc("", "b"),
            tc("", "c"),
        );
        let d = doc(&body);
        let t = only_table(&d);
        assert_eq!(t.rows[1], vec![Cell::new(""), Cell::new("c")]);
    }

    #[test]
    fn truncated_xml_keeps_what_was_read() {
        let xml = r#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>标题</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>半"#;
        let d = parse_document_xml(xml).expect("truncated input is read, not rejected");
        assert_eq!(d.blocks[0], Block::Text("标题".into()));
    }

    #[test]
    fn malformed_xml_is_an_error_not_a_panic() {
        let r = parse_document_xml("<w:document><w:body><w:p a=\"1></w:body>");
        assert!(matches!(r, Err(FormatError::Corrupt(_))), "{r:?}");
    }

    #[test]
    fn not_a_zip_and_zip_without_document_are_errors() {
        assert!(matches!(
            docx_to_document(b"PK\x03\x04garbage"),
            Err(FormatError::Corrupt(_))
        ));
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            w.start_file("hello.txt", zip::write::SimpleFileOptions::default())
                .expect("start");
            std::io::Write::write_all(&mut w, b"hi").expect("write");
            w.finish().expect("finish");
        }
        let r = docx_to_document(buf.get_ref());
        assert!(
            matches!(&r, Err(FormatError::Corrupt(m)) if m.contains("word/document.xml")),
            "{r:?}"
        );
    }
}
