//! One writer for every tabular answer: named sheets of typed cells written as
//! CSV (UTF-8 with BOM), JSON, JSONL or XLSX.

use super::{OutputFormat, Result};
use serde_json::{Map, Value};
use std::io::Write;

/// A typed cell: numbers stay numbers in XLSX and JSON, `Null` is an empty cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// An empty cell.
    Null,
    /// An integer.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text.
    Text(String),
    /// True or false.
    Bool(bool),
    /// A web address: a hyperlink in XLSX, text elsewhere.
    Url(String),
    /// A date as written (`2023-01-30`): a date cell in XLSX when it parses,
    /// the text itself elsewhere.
    Date(String),
    /// A time as the archive stores it (RFC 3339): a date-time cell (UTC) in
    /// XLSX when it parses, the text itself elsewhere.
    DateTime(String),
}

impl CellValue {
    /// A cell from a JSON value as the extractor stores it (nested values become JSON text).
    pub fn from_json(v: Option<&Value>) -> CellValue {
        match v {
            None | Some(Value::Null) => CellValue::Null,
            Some(Value::Bool(b)) => CellValue::Bool(*b),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => CellValue::Int(i),
                None => n.as_f64().map_or(CellValue::Null, CellValue::Float),
            },
            Some(Value::String(s)) => CellValue::Text(s.clone()),
            Some(other) => CellValue::Text(other.to_string()),
        }
    }

    /// A text cell.
    pub fn text(s: impl Into<String>) -> CellValue {
        CellValue::Text(s.into())
    }

    /// A text cell, or an empty one.
    pub fn opt_text(s: Option<impl Into<String>>) -> CellValue {
        s.map_or(CellValue::Null, |s| CellValue::Text(s.into()))
    }

    /// An integer cell, or an empty one.
    pub fn opt_int(i: Option<i64>) -> CellValue {
        i.map_or(CellValue::Null, CellValue::Int)
    }

    pub fn url(s: impl Into<String>) -> CellValue {
        CellValue::Url(s.into())
    }

    pub fn date(s: Option<impl Into<String>>) -> CellValue {
        s.map_or(CellValue::Null, |s| CellValue::Date(s.into()))
    }

    pub fn datetime(s: impl Into<String>) -> CellValue {
        CellValue::DateTime(s.into())
    }

    fn to_csv(&self) -> String {
        match self {
            CellValue::Null => String::new(),
            CellValue::Int(i) => i.to_string(),
            CellValue::Float(f) => f.to_string(),
            // Page text: never a formula when the CSV is opened in a spreadsheet.
            CellValue::Text(s) => super::sanitize::csv_cell(s).into_owned(),
            CellValue::Url(s) | CellValue::Date(s) | CellValue::DateTime(s) => s.clone(),
            CellValue::Bool(b) => b.to_string(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            CellValue::Null => Value::Null,
            CellValue::Int(i) => Value::from(*i),
            CellValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            CellValue::Text(s)
            | CellValue::Url(s)
            | CellValue::Date(s)
            | CellValue::DateTime(s) => Value::String(s.clone()),
            CellValue::Bool(b) => Value::Bool(*b),
        }
    }
}

/// A named table: a header row and rows of the same width.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Sheet name.
    pub name: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<CellValue>>,
}

impl Sheet {
    /// An empty sheet with these columns.
    pub fn new(name: &str, columns: &[&str]) -> Sheet {
        Sheet {
            name: name.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    fn objects(&self) -> impl Iterator<Item = Map<String, Value>> + '_ {
        self.rows.iter().map(|row| {
            self.columns
                .iter()
                .zip(row.iter().chain(std::iter::repeat(&CellValue::Null)))
                .map(|(c, v)| (c.clone(), v.to_json()))
                .collect()
        })
    }
}

/// UTF-8 byte-order mark: Excel opens a CSV as UTF-8 only when it starts with one.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes sheets in `format`. CSV holds one table, so only the first sheet is
/// written there; JSON writes an array of row objects for one sheet and an
/// object of arrays (by sheet name) for several; JSONL tags rows with their
/// sheet when there are several; XLSX writes every sheet.
pub fn write_sheets(sheets: &[Sheet], format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        OutputFormat::Csv => {
            out.write_all(BOM)?;
            let mut w = csv::Writer::from_writer(&mut *out);
            if let Some(sheet) = sheets.first() {
                w.write_record(&sheet.columns)?;
                for row in &sheet.rows {
                    let mut record: Vec<String> = row.iter().map(CellValue::to_csv).collect();
                    record.resize(sheet.columns.len(), String::new());
                    w.write_record(&record)?;
                }
            }
            w.flush()?;
        }
        OutputFormat::Json => {
            let value = if let [sheet] = sheets {
                Value::Array(sheet.objects().map(Value::Object).collect())
            } else {
                Value::Object(
                    sheets
                        .iter()
                        .map(|s| {
                            (
                                s.name.clone(),
                                Value::Array(s.objects().map(Value::Object).collect()),
                            )
                        })
                        .collect(),
                )
            };
            serde_json::to_writer_pretty(&mut *out, &value)?;
            out.write_all(b"\n")?;
        }
        OutputFormat::Jsonl => {
            let tag = sheets.len() > 1;
            for sheet in sheets {
                for mut obj in sheet.objects() {
                    if tag {
                        obj.insert("sheet".into(), Value::String(sheet.name.clone()));
                    }
                    serde_json::to_writer(&mut *out, &obj)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        OutputFormat::Xlsx => out.write_all(&xlsx(sheets)?)?,
    }
    out.flush()?;
    Ok(())
}

/// Display width of text in Excel's character units: CJK characters take two.
fn text_width(s: &str) -> usize {
    s.lines()
        .map(|l| {
            l.chars()
                .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

/// Excel refuses hyperlinks longer than this; longer URLs are written as text.
const MAX_URL_LEN: usize = 2079;

/// The workbook as bytes, for people: header row bold and frozen with an
/// autofilter, columns as wide as their content (capped), numbers as numbers,
/// dates and times as Excel dates, URLs as hyperlinks, nulls empty.
fn xlsx(sheets: &[Sheet]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let mut book = Workbook::new();
    let bold = XFormat::new().set_bold();
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    let datetime = XFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(&sheet.name))?;
        for (c, name) in sheet.columns.iter().enumerate() {
            ws.write_string_with_format(0, col(c), name, &bold)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            // Row 0 is the header; XLSX allows 1,048,576 rows.
            let Ok(r) = u32::try_from(r + 1) else { break };
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    CellValue::Null => {}
                    CellValue::Int(i) => {
                        ws.write_number(r, col(c), *i as f64)?;
                    }
                    CellValue::Float(f) => {
                        ws.write_number(r, col(c), *f)?;
                    }
                    CellValue::Text(s) => {
                        ws.write_string(r, col(c), s)?;
                    }
                    CellValue::Bool(b) => {
                        ws.write_boolean(r, col(c), *b)?;
                    }
                    CellValue::Url(u) if u.len() <= MAX_URL_LEN && u.contains("://") => {
                        ws.write_url(r, col(c), u.as_str())?;
                    }
                    CellValue::Url(u) => {
                        ws.write_string(r, col(c), u)?;
                    }
                    CellValue::Date(s) => {
                        match chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                            Ok(d) => {
                                ws.write_datetime_with_format(r, col(c), d, &date)?;
                            }
                            Err(_) => {
                                ws.write_string(r, col(c), s)?;
                            }
                        }
                    }
                    CellValue::DateTime(s) => match chrono::DateTime::parse_from_rfc3339(s) {
                        Ok(t) => {
                            ws.write_datetime_with_format(r, col(c), t.naive_utc(), &datetime)?;
                        }
                        Err(_) => {
                            ws.write_string(r, col(c), s)?;
                        }
                    },
                }
            }
        }
        for (c, name) in sheet.columns.iter().enumerate() {
            let content = sheet
                .rows
                .iter()
                .take(1000)
                .filter_map(|row| row.get(c))
                .map(|cell| match cell {
                    CellValue::Date(_) => 10,
                    CellValue::DateTime(_) => 19,
                    other => text_width(&other.to_csv()),
                })
                .max()
                .unwrap_or(0);
            let width = content.max(text_width(name) + 2).clamp(6, 60);
            ws.set_column_width(col(c), width as f64 + 1.0)?;
        }
        if !sheet.columns.is_empty() {
            let last_row = u32::try_from(sheet.rows.len())
                .unwrap_or(u32::MAX)
                .min(1_048_575);
            ws.autofilter(0, 0, last_row, col(sheet.columns.len() - 1))?;
        }
    }
    Ok(book.save_to_buffer()?)
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    if clean.is_empty() {
        "sheet".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        let mut s = Sheet::new("t", &["a", "b", "c"]);
        s.rows.push(vec![
            CellValue::text("甲,乙"),
            CellValue::Int(3),
            CellValue::Null,
        ]);
        s.rows
            .push(vec![CellValue::Float(1.5), CellValue::Bool(true)]);
        s
    }

    #[test]
    fn csv_has_bom_quotes_and_pads_short_rows() {
        let mut out = Vec::new();
        write_sheets(&[sheet()], OutputFormat::Csv, &mut out).unwrap();
        assert!(out.starts_with(BOM));
        let text = std::str::from_utf8(&out[3..]).unwrap();
        assert_eq!(text, "a,b,c\n\"甲,乙\",3,\n1.5,true,\n");
    }

    #[test]
    fn json_keeps_types_and_nulls() {
        let mut out = Vec::new();
        write_sheets(&[sheet()], OutputFormat::Json, &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["b"], 3);
        assert!(v[0]["c"].is_null());
        assert_eq!(v[1]["a"], 1.5);
        assert!(v[1]["c"].is_null());
        let mut out = Vec::new();
        write_sheets(&[sheet(), sheet()], OutputFormat::Jsonl, &mut out).unwrap();
        assert_eq!(
            out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
            4
        );
    }

    #[test]
    fn sheet_names_are_made_legal() {
        assert_eq!(sheet_name("a/b:c"), "a_b_c");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
