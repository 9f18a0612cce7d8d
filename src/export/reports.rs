//! The current report of each (agency, year) and its export as JSONL/JSON,
//! CSV (wide or long) and XLSX, with provenance.

use super::keys;
use super::labels::{self, Labels};
use super::table::{CellValue, Sheet, write_sheets};
use super::{ExportError, OutputFormat, Result};
use crate::extract::Status;
use crate::formats::Format as FileFormat;
use crate::page::facts::{PageKind, VisibleMeta};
use crate::store::{ReportSnapshot, Store};
use chrono::NaiveDate;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Who a report belongs to: a seed agency by id, a discovered one by the name read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum AgencyKey {
    Id(i64),
    Name(String),
    /// Neither: each such snapshot stands alone.
    Snapshot(i64),
}

/// Who a snapshot's report belongs to.
pub(crate) fn agency_key(c: &ReportSnapshot) -> AgencyKey {
    match (c.agency_id, &c.agency_name) {
        (Some(id), _) => AgencyKey::Id(id),
        (None, Some(name)) if !name.is_empty() => AgencyKey::Name(name.clone()),
        _ => AgencyKey::Snapshot(c.snapshot_id),
    }
}

/// Preference among an agency's snapshots of one year: complete, then
/// partial, then anything else; newest first within each.
fn rank(c: &ReportSnapshot) -> (u8, std::cmp::Reverse<i64>) {
    let r = match c.status {
        Some(Status::Complete) => 0,
        Some(Status::Partial) => 1,
        _ => 2,
    };
    (r, std::cmp::Reverse(c.snapshot_id))
}

/// The report of one (agency, year) that answers for it, with provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentReport {
    /// Seed agency it is attributed to; `None`: discovered.
    pub agency_id: Option<i64>,
    /// Agency name.
    pub agency: String,
    /// Region.
    pub region: String,
    /// Report year.
    pub year: i32,
    /// The snapshot.
    pub snapshot_id: i64,
    /// URL.
    pub url: String,
    /// When it was fetched (RFC 3339, UTC).
    pub fetched_at: String,
    /// A report page or an attachment.
    pub kind: PageKind,
    /// File format.
    pub format: FileFormat,
    /// Title (an attachment: its link text).
    pub title: Option<String>,
    /// Publish date.
    pub publish_date: Option<NaiveDate>,
    /// Publishing office (来源).
    pub source: Option<String>,
    /// Responsible editor (编辑).
    pub editor: Option<String>,
    /// Extraction status; `None` when not extracted yet.
    pub status: Option<Status>,
    /// Extractor version of the result.
    pub extractor_version: Option<String>,
    /// Rule checks the extraction failed (0 when not extracted).
    pub checks_failed: i64,
    /// The extraction as stored (`None` when not extracted or unreadable JSON).
    pub result: Option<Value>,
}

impl CurrentReport {
    fn from_snapshot(c: ReportSnapshot) -> CurrentReport {
        let result: Option<Value> = c
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok());
        let from_result = |k: &str| {
            result
                .as_ref()
                .and_then(|r| r.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let agency = c
            .seed_agency
            .clone()
            .or_else(|| c.agency_name.clone())
            .or_else(|| from_result("agency"))
            .unwrap_or_default();
        let published = VisibleMeta::first_stated([
            VisibleMeta {
                publish_date: from_result("publish_date").and_then(|d| d.parse().ok()),
                source: from_result("source"),
                editor: from_result("editor"),
            },
            c.page,
            c.parent_page,
        ]);
        CurrentReport {
            agency_id: c.agency_id,
            agency,
            region: c.region,
            year: c.year,
            snapshot_id: c.snapshot_id,
            url: c.url,
            fetched_at: c.fetched_at,
            kind: c.kind,
            format: c.format,
            title: c.title,
            publish_date: published.publish_date,
            source: published.source,
            editor: published.editor,
            status: c.status,
            extractor_version: c.extractor_version,
            checks_failed: c.checks_failed,
            result,
        }
    }

    fn template(&self) -> Option<&str> {
        self.result
            .as_ref()
            .and_then(|r| r.get("template"))
            .and_then(Value::as_str)
    }

    fn part(&self, part: &str) -> Option<&Value> {
        self.result.as_ref().and_then(|r| r.get(part))
    }
}

/// The one choice of the current report of an agency and year: among
/// `snapshots` (all of one year or several), per (agency, year), the best
/// read one ([`rank`]).
pub(crate) fn pick_current(snapshots: Vec<ReportSnapshot>) -> Vec<ReportSnapshot> {
    let mut best: HashMap<(AgencyKey, i32), ReportSnapshot> = HashMap::new();
    for c in snapshots {
        let k = (agency_key(&c), c.year);
        match best.get(&k) {
            Some(b) if rank(b) <= rank(&c) => {}
            _ => {
                best.insert(k, c);
            }
        }
    }
    best.into_values().collect()
}

/// The current report of every (agency, year), for `year` or all years,
/// ordered by year, region, agency.
pub fn current_reports(store: &Store, year: Option<i32>) -> Result<Vec<CurrentReport>> {
    current_reports_of(store, year, None)
}

/// [`current_reports`] of one seed agency (every agency when `agency_id` is `None`).
pub fn current_reports_of(
    store: &Store,
    year: Option<i32>,
    agency_id: Option<i64>,
) -> Result<Vec<CurrentReport>> {
    reports_from(store.report_snapshots_of(year, agency_id, true)?)
}

/// [`current_reports`] without the extraction JSON (`result` is `None`): for
/// answers that need only presence, status, dates and the failed-check count.
pub fn current_report_heads(store: &Store, year: Option<i32>) -> Result<Vec<CurrentReport>> {
    reports_from(store.report_snapshots_of(year, None, false)?)
}

/// Fills in the extraction JSON of reports from [`current_report_heads`],
/// so a caller that picked a few of many parses only those.
pub fn load_results(store: &Store, reports: &mut [CurrentReport]) -> Result<()> {
    for r in reports {
        r.result = store
            .current_result(r.snapshot_id)?
            .and_then(|j| serde_json::from_str(&j).ok());
    }
    Ok(())
}

fn reports_from(snapshots: Vec<ReportSnapshot>) -> Result<Vec<CurrentReport>> {
    let mut out: Vec<CurrentReport> = pick_current(snapshots)
        .into_iter()
        .map(CurrentReport::from_snapshot)
        .collect();
    out.sort_by(|a, b| {
        (a.year, &a.region, &a.agency, a.snapshot_id).cmp(&(
            b.year,
            &b.region,
            &b.agency,
            b.snapshot_id,
        ))
    });
    Ok(out)
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Reports exported (one per agency and year).
    pub reports: usize,
    /// Of those, how many carry an extraction.
    pub extracted: usize,
    /// Data rows written (reports, or values with `long`).
    pub rows: usize,
}

/// The keys of the expected extraction JSON, in order.
const RESULT_KEYS: [&str; 11] = [
    "agency",
    "year",
    "template",
    "publish_date",
    "editor",
    "source",
    "signed_date",
    "active_disclosure",
    "applications",
    "review_litigation",
    "checks",
];

/// Exports the current reports of `year` (every year when `None`).
///
/// - `Jsonl`/`Json`: one object per report, the extraction's keys plus provenance
///   (`url, snapshot_id, fetched_at, extractor_version, region, status, warnings`).
/// - `Csv`: one row per report (provenance, part 二 values, the `total` column of
///   each part 三 row, the 15 part 四 values, check results), UTF-8 with BOM.
/// - `Xlsx`: sheets `reports`, `applications`, `review_litigation`, `checks`.
/// - `long` (CSV, JSON, JSONL, XLSX): one row per (report, part, row, column, value).
pub fn export(
    store: &Store,
    year: Option<i32>,
    format: OutputFormat,
    long: bool,
    out: &mut dyn Write,
) -> Result<ExportSummary> {
    let opts = ExportOptions {
        year,
        format,
        long,
        labels: Labels::Keys,
    };
    export_with(store, &opts, out)
}

/// What `nianbao export` writes.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// Report year; every year when `None`.
    pub year: Option<i32>,
    pub format: OutputFormat,
    /// One row per value.
    pub long: bool,
    /// Column headers of CSV and XLSX: keys or the template's Chinese labels.
    pub labels: Labels,
}

/// [`export`] with every option; `labels` other than keys apply to CSV and
/// XLSX (JSON keys stay canonical, so programs reading them never break).
pub fn export_with(
    store: &Store,
    opts: &ExportOptions,
    out: &mut dyn Write,
) -> Result<ExportSummary> {
    let ExportOptions {
        year,
        format,
        long,
        labels,
    } = *opts;
    if labels != Labels::Keys && !matches!(format, OutputFormat::Csv | OutputFormat::Xlsx) {
        return Err(ExportError::LabelsNotForFormat(format));
    }
    let reports = current_reports(store, year)?;
    let mut summary = ExportSummary {
        reports: reports.len(),
        extracted: reports.iter().filter(|r| r.result.is_some()).count(),
        rows: reports.len(),
    };
    if long {
        let mut sheet = long_sheet(&reports);
        summary.rows = sheet.rows.len();
        labels::apply(&mut sheet, labels);
        write_sheets(&[sheet], format, out)?;
        return Ok(summary);
    }
    match format {
        OutputFormat::Jsonl => {
            for r in &reports {
                serde_json::to_writer(&mut *out, &report_object(r))?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
        OutputFormat::Json => {
            let all: Vec<Value> = reports
                .iter()
                .map(|r| Value::Object(report_object(r)))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
        OutputFormat::Csv => {
            let mut sheet = wide_sheet(&reports);
            labels::apply(&mut sheet, labels);
            write_sheets(&[sheet], format, out)?
        }
        OutputFormat::Xlsx => {
            let wide = wide_sheet(&reports);
            let dictionary = labels::dictionary_sheet(&wide.columns);
            let mut sheets = [
                wide,
                applications_sheet(&reports),
                review_sheet(&reports),
                checks_sheet(&reports),
            ];
            for s in &mut sheets {
                labels::apply(s, labels);
            }
            let mut all = sheets.to_vec();
            all.push(dictionary);
            write_sheets(&all, format, out)?
        }
    }
    Ok(summary)
}

/// [`export`] into a file, written next to it first and renamed into place,
/// so a failed export never leaves a half-written file under the final name.
pub fn export_to_path(
    store: &Store,
    year: Option<i32>,
    format: OutputFormat,
    long: bool,
    path: &Path,
) -> Result<ExportSummary> {
    write_file(path, |out| export(store, year, format, long, out))
}

/// The columns of the wide export (CSV, the XLSX `reports` sheet): the same
/// for every year and archive, the columns of every template nianbao knows.
pub fn wide_columns() -> Vec<String> {
    wide_sheet(&[]).columns
}

/// Runs `write` on a temporary file beside `path`, then renames it to `path`.
pub fn write_file<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    let file_err = |source| ExportError::File {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(file_err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(file_err)?;
    let mut out = std::io::BufWriter::new(file);
    let value = match write(&mut out) {
        Ok(v) => v,
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    out.flush().map_err(file_err)?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(file_err)?;
    Ok(value)
}

/// The JSONL object of one report: the extraction's keys plus provenance.
pub(crate) fn report_object(r: &CurrentReport) -> Map<String, Value> {
    let mut obj = Map::new();
    for k in RESULT_KEYS {
        obj.insert(k.into(), r.part(k).cloned().unwrap_or(Value::Null));
    }
    obj.insert("agency".into(), Value::String(r.agency.clone()));
    obj.insert("year".into(), Value::from(r.year));
    let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    obj.insert(
        "publish_date".into(),
        opt(&r.publish_date.map(|d| d.to_string())),
    );
    obj.insert("source".into(), opt(&r.source));
    obj.insert("editor".into(), opt(&r.editor));
    obj.insert(
        "status".into(),
        opt(&r.status.map(|s| s.as_str().to_string())),
    );
    obj.insert(
        "warnings".into(),
        r.part("warnings")
            .cloned()
            .unwrap_or(Value::Array(Vec::new())),
    );
    obj.insert("url".into(), Value::String(r.url.clone()));
    obj.insert("snapshot_id".into(), Value::from(r.snapshot_id));
    obj.insert("fetched_at".into(), Value::String(r.fetched_at.clone()));
    obj.insert("extractor_version".into(), opt(&r.extractor_version));
    obj.insert("region".into(), Value::String(r.region.clone()));
    obj
}

const PROVENANCE: [&str; 12] = [
    "agency",
    "region",
    "year",
    "url",
    "snapshot_id",
    "fetched_at",
    "publish_date",
    "source",
    "editor",
    "template",
    "status",
    "extractor_version",
];

fn provenance(r: &CurrentReport) -> Vec<CellValue> {
    vec![
        CellValue::text(&r.agency),
        CellValue::text(&r.region),
        CellValue::Int(r.year.into()),
        CellValue::url(&r.url),
        CellValue::Int(r.snapshot_id),
        CellValue::datetime(&r.fetched_at),
        CellValue::date(r.publish_date.map(|d| d.to_string())),
        CellValue::opt_text(r.source.clone()),
        CellValue::opt_text(r.editor.clone()),
        CellValue::opt_text(r.template()),
        CellValue::opt_text(r.status.map(Status::as_str)),
        CellValue::opt_text(r.extractor_version.clone()),
    ]
}

/// Every template nianbao knows, in `keys::TEMPLATES` order: the wide
/// export's columns do not depend on which templates a year's reports use,
/// so the CSVs of different years line up column for column.
fn templates() -> Vec<Option<&'static str>> {
    keys::TEMPLATES.iter().map(|t| Some(*t)).collect()
}

fn push_unique(v: &mut Vec<(String, String)>, a: &str, b: &str) {
    if !v.iter().any(|(x, y)| x == a && y == b) {
        v.push((a.to_string(), b.to_string()));
    }
}

/// Index of the `total` column in a part 三 row.
const TOTAL: usize = 6;

/// Looks up part 三 `row`'s column `idx` in an extraction.
fn application_value(r: &CurrentReport, row: &str, idx: usize) -> CellValue {
    CellValue::from_json(
        r.part("applications")
            .and_then(|a| a.get(row))
            .and_then(|v| v.get(idx)),
    )
}

/// Check results of one report: (check, scope, ok, detail).
fn checks(r: &CurrentReport) -> Vec<(String, String, Option<bool>, Option<String>)> {
    let mut out = Vec::new();
    let Some(checks) = r.part("checks") else {
        return out;
    };
    for col in keys::APPLICANT_COLUMNS {
        let ok = checks
            .get("balance")
            .and_then(|b| b.get(col))
            .and_then(Value::as_bool);
        out.push(("balance".into(), (*col).into(), ok, None));
    }
    for rule in checks
        .get("rules")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let s = |k: &str| match rule.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(v) => Some(v.to_string()),
        };
        out.push((
            s("rule").unwrap_or_default(),
            s("scope").unwrap_or_default(),
            rule.get("ok").and_then(Value::as_bool),
            s("detail"),
        ));
    }
    out
}

fn wide_sheet(reports: &[CurrentReport]) -> Sheet {
    let templates = templates();
    let mut p2 = Vec::new();
    let mut p3 = Vec::new();
    for t in &templates {
        for (row, vals) in keys::active_disclosure(*t) {
            for v in *vals {
                push_unique(&mut p2, row, v);
            }
        }
        for row in keys::application_rows(*t) {
            push_unique(&mut p3, row, "total");
        }
    }
    let mut columns: Vec<String> = PROVENANCE.iter().map(|s| s.to_string()).collect();
    columns.extend(p2.iter().map(|(r, v)| format!("p2.{r}.{v}")));
    columns.extend(p3.iter().map(|(r, _)| format!("p3.{r}.total")));
    for g in keys::REVIEW_GROUPS {
        columns.extend(keys::REVIEW_COLUMNS.iter().map(|c| format!("p4.{g}.{c}")));
    }
    columns.extend(
        keys::APPLICANT_COLUMNS
            .iter()
            .map(|c| format!("check.balance.{c}")),
    );
    columns.extend(["checks_ok", "checks_failed", "warnings"].map(String::from));
    let mut sheet = Sheet {
        name: "reports".into(),
        columns,
        rows: Vec::new(),
    };
    for r in reports {
        let mut row = provenance(r);
        let ad = r.part("active_disclosure");
        for (k, v) in &p2 {
            row.push(CellValue::from_json(
                ad.and_then(|a| a.get(k)).and_then(|x| x.get(v)),
            ));
        }
        for (k, _) in &p3 {
            row.push(application_value(r, k, TOTAL));
        }
        let rl = r.part("review_litigation");
        for g in keys::REVIEW_GROUPS {
            for c in keys::REVIEW_COLUMNS {
                row.push(CellValue::from_json(
                    rl.and_then(|x| x.get(g)).and_then(|x| x.get(c)),
                ));
            }
        }
        let checks = checks(r);
        for col in keys::APPLICANT_COLUMNS {
            let ok = checks
                .iter()
                .find(|(c, s, _, _)| c == "balance" && s == col)
                .and_then(|c| c.2);
            row.push(ok.map_or(CellValue::Null, CellValue::Bool));
        }
        let failed: Vec<String> = checks
            .iter()
            .filter(|c| c.2 == Some(false))
            .map(|(c, s, _, _)| {
                if s.is_empty() {
                    c.clone()
                } else {
                    format!("{c}/{s}")
                }
            })
            .collect();
        row.push(if r.result.is_some() {
            CellValue::Bool(failed.is_empty())
        } else {
            CellValue::Null
        });
        row.push(CellValue::text(failed.join("; ")));
        row.push(CellValue::Int(
            r.part("warnings")
                .and_then(Value::as_array)
                .map_or(0, |w| w.len() as i64),
        ));
        sheet.rows.push(row);
    }
    sheet
}

const KEY_COLUMNS: [&str; 4] = ["agency", "region", "year", "snapshot_id"];

fn key_cells(r: &CurrentReport) -> Vec<CellValue> {
    vec![
        CellValue::text(&r.agency),
        CellValue::text(&r.region),
        CellValue::Int(r.year.into()),
        CellValue::Int(r.snapshot_id),
    ]
}

fn applications_sheet(reports: &[CurrentReport]) -> Sheet {
    let mut cols: Vec<&str> = KEY_COLUMNS.to_vec();
    cols.push("row");
    cols.extend(keys::APPLICANT_COLUMNS);
    let mut sheet = Sheet::new("applications", &cols);
    for r in reports.iter().filter(|r| r.part("applications").is_some()) {
        for row in keys::application_rows(r.template()) {
            let mut cells = key_cells(r);
            cells.push(CellValue::text(*row));
            cells.extend((0..keys::APPLICANT_COLUMNS.len()).map(|i| application_value(r, row, i)));
            sheet.rows.push(cells);
        }
    }
    sheet
}

fn review_sheet(reports: &[CurrentReport]) -> Sheet {
    let mut cols: Vec<&str> = KEY_COLUMNS.to_vec();
    cols.push("group");
    cols.extend(keys::REVIEW_COLUMNS);
    let mut sheet = Sheet::new("review_litigation", &cols);
    for r in reports {
        let Some(rl) = r.part("review_litigation").filter(|v| v.is_object()) else {
            continue;
        };
        for g in keys::REVIEW_GROUPS {
            let mut cells = key_cells(r);
            cells.push(CellValue::text(*g));
            cells.extend(
                keys::REVIEW_COLUMNS
                    .iter()
                    .map(|c| CellValue::from_json(rl.get(g).and_then(|x| x.get(c)))),
            );
            sheet.rows.push(cells);
        }
    }
    sheet
}

fn checks_sheet(reports: &[CurrentReport]) -> Sheet {
    let mut cols: Vec<&str> = KEY_COLUMNS.to_vec();
    cols.extend(["check", "scope", "ok", "detail"]);
    let mut sheet = Sheet::new("checks", &cols);
    for r in reports {
        for (check, scope, ok, detail) in checks(r) {
            let mut cells = key_cells(r);
            cells.extend([
                CellValue::Text(check),
                CellValue::Text(scope),
                ok.map_or(CellValue::Null, CellValue::Bool),
                CellValue::opt_text(detail),
            ]);
            sheet.rows.push(cells);
        }
    }
    sheet
}

/// One row per (report, part, row, column, value), in template order.
fn long_sheet(reports: &[CurrentReport]) -> Sheet {
    let mut cols: Vec<&str> = KEY_COLUMNS.to_vec();
    cols.extend(["url", "template", "part", "row", "column", "value"]);
    let mut sheet = Sheet::new("values", &cols);
    for r in reports {
        let t = r.template();
        let mut push = |part: &str, row: &str, col: &str, v: CellValue| {
            let mut cells = key_cells(r);
            cells.extend([
                CellValue::text(&r.url),
                CellValue::opt_text(t),
                CellValue::text(part),
                CellValue::text(row),
                CellValue::text(col),
                v,
            ]);
            sheet.rows.push(cells);
        };
        if let Some(ad) = r.part("active_disclosure") {
            for (row, vals) in keys::active_disclosure(t) {
                for v in *vals {
                    push(
                        "active_disclosure",
                        row,
                        v,
                        CellValue::from_json(ad.get(row).and_then(|x| x.get(v))),
                    );
                }
            }
        }
        if r.part("applications").is_some() {
            for row in keys::application_rows(t) {
                for (i, col) in keys::APPLICANT_COLUMNS.iter().enumerate() {
                    push("applications", row, col, application_value(r, row, i));
                }
            }
        }
        if let Some(rl) = r.part("review_litigation") {
            for g in keys::REVIEW_GROUPS {
                for c in keys::REVIEW_COLUMNS {
                    push(
                        "review_litigation",
                        g,
                        c,
                        CellValue::from_json(rl.get(g).and_then(|x| x.get(c))),
                    );
                }
            }
        }
    }
    sheet
}
