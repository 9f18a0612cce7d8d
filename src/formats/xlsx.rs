//! XLSX (Office Open XML spreadsheet) → [`Document`]: each sheet becomes its
//! name as a text block and its cells as a table, merged ranges as spans.
//!
//! Some agencies attach the report's tables as a workbook. A sheet is a
//! grid with `<mergeCell ref="A5:A26"/>` ranges; the model wants the
//! top-left cell with colspan/rowspan and the covered cells left out, which
//! is what an HTML export of the sheet would give.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::FormatError;
use crate::document::{Block, Cell, Document, Table};

const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Larger sheets are data dumps, not a report; their extra cells are cut.
const MAX_ROWS: usize = 5_000;
const MAX_COLS: usize = 200;

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Read an `.xlsx` workbook into the document model, sheet by sheet.
pub fn xlsx_to_document(bytes: &[u8]) -> Result<Document, FormatError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| FormatError::Corrupt(format!("not a readable zip archive: {e}")))?;
    let workbook = read_part(&mut zip, "xl/workbook.xml")?
        .ok_or_else(|| FormatError::Corrupt("no xl/workbook.xml: not an XLSX".into()))?;
    let rels = read_part(&mut zip, "xl/_rels/workbook.xml.rels")?.unwrap_or_default();
    let strings = read_part(&mut zip, "xl/sharedStrings.xml")?
        .map(|x| shared_strings(&x))
        .unwrap_or_default();
    let targets = relationships(&rels);
    let mut blocks = Vec::new();
    for (i, (name, rid)) in sheets(&workbook).into_iter().enumerate() {
        let path = targets
            .get(&rid)
            .map(|t| resolve(t))
            .unwrap_or_else(|| format!("xl/worksheets/sheet{}.xml", i + 1));
        let Some(xml) = read_part(&mut zip, &path)? else {
            continue;
        };
        let table = sheet_table(&xml, &strings);
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

fn resolve(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    }
}

fn read_part(zip: &mut Archive<'_>, name: &str) -> Result<Option<String>, FormatError> {
    let entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(FormatError::Corrupt(format!("cannot open {name}: {e}"))),
    };
    let mut raw = Vec::new();
    entry
        .take(MAX_PART_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| FormatError::Corrupt(format!("cannot inflate {name}: {e}")))?;
    if raw.len() as u64 > MAX_PART_BYTES {
        return Err(FormatError::Corrupt(format!(
            "{name} is larger than 64 MiB"
        )));
    }
    Ok(Some(String::from_utf8_lossy(&raw).into_owned()))
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.into_owned())
    })
}

/// Text and entity events of an element, as one string.
fn push_event_text(out: &mut String, event: &Event<'_>) {
    match event {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.clone().into_inner()),
        Event::GeneralRef(r) => {
            if let Ok(Some(c)) = r.resolve_char_ref() {
                out.push(c);
            } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
            {
                out.push_str(s);
            }
        }
        _ => {}
    }
}

fn reader(xml: &str) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(xml.as_bytes());
    r.config_mut().expand_empty_elements = true;
    r
}

/// (sheet name, relationship id) in workbook order.
fn sheets(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut r = reader(xml);
    while let Ok(ev) = r.read_event() {
        match ev {
            Event::Start(e)
                if e.name().as_ref() == "sheet" || e.name().as_ref().ends_with(":sheet") =>
            {
                let name = attr(&e, "name").unwrap_or_default();
                let rid = attr(&e, "r:id").unwrap_or_default();
                out.push((name, rid));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn relationships(xml: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut r = reader(xml);
    while let Ok(ev) = r.read_event() {
        match ev {
            Event::Start(e) if e.name().as_ref() == "Relationship" => {
                if let (Some(id), Some(t)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    out.insert(id, t);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Shared strings; rich-text runs joined, phonetic hints (`rPh`) left out.
fn shared_strings(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut r = reader(xml);
    let mut current: Option<String> = None;
    let mut in_t = false;
    let mut in_rph = 0usize;
    while let Ok(ev) = r.read_event() {
        match &ev {
            Event::Start(e) => match e.name().as_ref() {
                "si" => current = Some(String::new()),
                "t" => in_t = true,
                "rPh" => in_rph += 1,
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                "si" => out.push(current.take().unwrap_or_default()),
                "t" => in_t = false,
                "rPh" => in_rph = in_rph.saturating_sub(1),
                _ => {}
            },
            Event::Eof => break,
            _ if in_t && in_rph == 0 => {
                if let Some(s) = current.as_mut() {
                    push_event_text(s, &ev);
                }
            }
            _ => {}
        }
    }
    out
}

/// "C12" → (row 11, column 2), zero-based.
fn cell_ref(r: &str) -> Option<(usize, usize)> {
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &r[letters.len()..];
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let col = letters.chars().fold(0usize, |a, c| {
        a * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1)
    });
    let row: usize = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col.checked_sub(1)?))
}

fn sheet_table(xml: &str, strings: &[String]) -> Table {
    let mut values: HashMap<(usize, usize), String> = HashMap::new();
    let mut merges: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let mut r = reader(xml);
    // The cell being read: position, type, text.
    let mut cell: Option<((usize, usize), String, String)> = None;
    let mut in_value = false;
    let (mut next_row, mut next_col) = (0usize, 0usize);
    while let Ok(ev) = r.read_event() {
        match &ev {
            Event::Start(e) => match e.name().as_ref() {
                "row" => {
                    next_row = attr(e, "r")
                        .and_then(|v| v.parse::<usize>().ok())
                        .and_then(|v| v.checked_sub(1))
                        .unwrap_or(next_row);
                    next_col = 0;
                }
                "c" => {
                    let pos = attr(e, "r")
                        .and_then(|v| cell_ref(&v))
                        .unwrap_or((next_row, next_col));
                    next_col = pos.1 + 1;
                    cell = Some((pos, attr(e, "t").unwrap_or_default(), String::new()));
                }
                "v" | "t" => in_value = cell.is_some(),
                "mergeCell" => {
                    if let Some(range) = attr(e, "ref")
                        && let Some((a, b)) = range.split_once(':')
                        && let (Some(a), Some(b)) = (cell_ref(a), cell_ref(b))
                    {
                        merges.push(((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1))));
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                "v" | "t" => in_value = false,
                "c" => {
                    if let Some((pos, kind, raw)) = cell.take() {
                        let text = match kind.as_str() {
                            "s" => raw
                                .trim()
                                .parse::<usize>()
                                .ok()
                                .and_then(|i| strings.get(i).cloned())
                                .unwrap_or_default(),
                            "b" => (if raw.trim() == "1" { "TRUE" } else { "FALSE" }).to_string(),
                            _ => raw,
                        };
                        if pos.0 < MAX_ROWS && pos.1 < MAX_COLS && !text.is_empty() {
                            values.insert(pos, text);
                        }
                    }
                }
                "row" => next_row += 1,
                _ => {}
            },
            Event::Eof => break,
            _ if in_value => {
                if let Some((_, _, raw)) = cell.as_mut() {
                    push_event_text(raw, &ev);
                }
            }
            _ => {}
        }
    }

    let mut rows = values.keys().map(|k| k.0 + 1).max().unwrap_or(0);
    let mut cols = values.keys().map(|k| k.1 + 1).max().unwrap_or(0);
    for &(_, (r1, c1)) in &merges {
        rows = rows.max((r1 + 1).min(MAX_ROWS));
        cols = cols.max((c1 + 1).min(MAX_COLS));
    }
    // Covered slots, and the span of each range's top-left cell.
    let mut covered = vec![vec![false; cols]; rows];
    let mut spans: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    for &((r0, c0), (r1, c1)) in &merges {
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
    fn cell_references() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("C12"), Some((11, 2)));
        assert_eq!(cell_ref("AA3"), Some((2, 26)));
        assert_eq!(cell_ref("1A"), None);
        assert_eq!(cell_ref("A0"), None);
    }

    #[test]
    fn merged_ranges_become_spans_and_covered_cells_go() {
        let xml = r#"<worksheet><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="D1" t="inlineStr"><is><t>申请人情况</t></is></c></row>
            <row r="2"><c r="D2"><v>12</v></c><c r="E2"><v>104.133</v></c></row>
            <row r="3"><c r="A3" t="str"><v>合计</v></c><c r="D3" t="b"><v>1</v></c></row>
          </sheetData><mergeCells count="2"><mergeCell ref="A1:C2"/><mergeCell ref="D1:E1"/></mergeCells></worksheet>"#;
        let t = sheet_table(xml, &["（本列数据）".to_string()]);
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
    fn shared_strings_join_runs_and_skip_phonetics() {
        let xml = r#"<sst><si><t>一、本年</t></si><si><r><t>新收</t></r><r><t xml:space="preserve"> 申请</t></r><rPh><t>しん</t></rPh></si></sst>"#;
        assert_eq!(shared_strings(xml), vec!["一、本年", "新收 申请"]);
    }

    #[test]
    fn not_a_workbook_is_an_error() {
        assert!(matches!(
            xlsx_to_document(b"PK\x03\x04nonsense"),
            Err(FormatError::Corrupt(_))
        ));
    }
}
