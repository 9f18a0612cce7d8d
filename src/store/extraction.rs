//! Extraction-side reads and writes: the report snapshots to extract, the
//! previous year's result for rule 5, saving results per extractor version,
//! and the revisions of one report.

use super::{PageMetaRow, READ_STATUSES_SQL, REPORT_KINDS_SQL, Result, Store, now};
use crate::extract::{Extraction, Status};
use crate::formats::Format;
use crate::page::facts::PageKind;
use rusqlite::{Transaction, params};
use serde::Serialize;

/// Which archived snapshots to (re-)extract.
#[derive(Debug, Clone, Default)]
pub struct ExtractFilter {
    /// Agency name or alias contains this (seed agencies), or the discovered name does.
    pub agency: Option<String>,
    /// Only reports of this year.
    pub year: Option<i32>,
    /// Snapshots fetched at or after this RFC 3339 date/time (`2024-02-01` works).
    pub since: Option<String>,
    /// Only these snapshots (the crawl passes what it just archived).
    pub snapshot_ids: Option<Vec<i64>>,
    /// Re-extract even when this extractor version already has a result.
    pub force: bool,
}

/// One archived report snapshot waiting for the extractor: where its body is
/// and what the crawl stored about the page.
#[derive(Debug, Clone)]
pub struct ArchivedReport {
    /// The snapshot.
    pub snapshot_id: i64,
    /// The response's `Content-Type`, when it sent one.
    pub content_type: Option<String>,
    /// Key of the stored body ([`Store::body`]).
    pub sha256: String,
    /// The page facts stored with the snapshot.
    pub page: PageMetaRow,
}

/// One extraction result to save.
#[derive(Debug, Clone)]
pub struct ExtractionRow {
    /// The snapshot read.
    pub snapshot_id: i64,
    /// [`crate::extract::EXTRACTOR_VERSION`] of the extractor that produced it.
    pub extractor_version: String,
    /// The result's status.
    pub status: Status,
    /// Agency as the report names it.
    pub agency: Option<String>,
    /// Report year.
    pub year: Option<i32>,
    /// Template (`2021`, `2019`) the tables follow.
    pub template: Option<String>,
    /// Consistency rules broken.
    pub checks_failed: i64,
    /// Warnings (inferred cells, unplaced rows).
    pub warnings: i64,
    /// The whole [`Extraction`] as JSON.
    pub result_json: String,
}

/// What `show AGENCY YEAR` finds: one agency's revisions for the year, or why not.
#[derive(Debug, Clone)]
pub enum ReportLookup {
    /// The revisions of one agency's report for the year, newest first.
    Found(Vec<Revision>),
    /// The text matches reports of several agencies: these names, none exactly.
    Ambiguous(Vec<String>),
    /// The agency has reports, but none for the year: the years it has.
    NoSuchYear {
        /// The agency's name.
        agency: String,
        /// The years it has reports for.
        years: Vec<i32>,
    },
    /// No report of any year is attributed to a matching agency.
    NoAgency,
}

/// One archived revision of an agency's report for a year, with its current extraction.
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    /// The snapshot.
    pub snapshot_id: i64,
    /// URL fetched.
    pub url: String,
    /// When it was fetched (RFC 3339, UTC).
    pub fetched_at: String,
    /// Key of its stored body.
    pub sha256: String,
    /// A report page or an attachment.
    #[serde(serialize_with = "as_sql_text")]
    pub kind: PageKind,
    /// File format.
    pub format: Format,
    /// Seed agency, or the name read from the report.
    pub agency: Option<String>,
    /// Version of the extractor whose result is current, if extracted.
    pub extractor_version: Option<String>,
    /// Status of the current result, if extracted.
    pub status: Option<Status>,
    /// The current result.
    #[serde(skip)]
    pub result: Option<Extraction>,
}

fn as_sql_text<S: serde::Serializer>(k: &PageKind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(k.sql_text())
}

/// Saves results in one transaction, and reads the results saved before them
/// (in this batch or earlier) for the cross-year check.
pub struct ExtractionBatch<'a> {
    tx: Transaction<'a>,
}

impl ExtractionBatch<'_> {
    /// The newest read result (complete before partial) of a seed agency's
    /// report for `year`, from any extractor version.
    pub fn read_result(&self, agency_id: i64, year: i32) -> Result<Option<Extraction>> {
        let sql = format!(
            "SELECT ce.result FROM current_extractions ce
             JOIN page_meta pm ON pm.snapshot_id = ce.snapshot_id
             WHERE pm.agency_id = ?1 AND pm.report_year = ?2 AND ce.status IN {READ_STATUSES_SQL}
             ORDER BY (ce.status = 'complete') DESC, ce.snapshot_id DESC LIMIT 1"
        );
        let json: Option<String> = self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![agency_id, year], |r| r.get(0))
            .ok();
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Saves a result (idempotent per snapshot and extractor version).
    /// Returns true when the stored result is new or changed.
    pub fn save(&self, row: &ExtractionRow) -> Result<bool> {
        let n = self.tx.prepare_cached(
            "INSERT INTO extractions (snapshot_id, extractor_version, extracted_at, status, agency, year, template,
                                      checks_failed, warnings, result)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (snapshot_id, extractor_version) DO UPDATE SET
               extracted_at = excluded.extracted_at, status = excluded.status, agency = excluded.agency,
               year = excluded.year, template = excluded.template, checks_failed = excluded.checks_failed,
               warnings = excluded.warnings, result = excluded.result
             WHERE extractions.result IS NOT excluded.result",
        )?
        .execute(params![
            row.snapshot_id,
            row.extractor_version,
            now(),
            row.status,
            row.agency,
            row.year,
            row.template,
            row.checks_failed,
            row.warnings,
            row.result_json
        ])?;
        Ok(n > 0)
    }

    /// Commits what was saved.
    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

/// Columns of `page_meta pm` in [`page_meta_from`]'s order.
pub(super) const PAGE_META_COLUMNS: &str = "pm.kind, pm.format, pm.title, pm.publish_date, pm.source, pm.editor, \
     pm.column_name, pm.site_name, pm.report_year, pm.agency_name, pm.agency_id, pm.parent_snapshot_id, pm.decoy";

/// A [`PageMetaRow`] from [`PAGE_META_COLUMNS`] starting at column `at`.
pub(super) fn page_meta_from(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<PageMetaRow> {
    Ok(PageMetaRow {
        kind: r.get(at)?,
        format: r.get(at + 1)?,
        title: r.get(at + 2)?,
        publish_date: r.get(at + 3)?,
        source: r.get(at + 4)?,
        editor: r.get(at + 5)?,
        column_name: r.get(at + 6)?,
        site_name: r.get(at + 7)?,
        report_year: r.get(at + 8)?,
        agency_name: r.get(at + 9)?,
        agency_id: r.get(at + 10)?,
        parent_snapshot_id: r.get(at + 11)?,
        decoy: r.get(at + 12)?,
    })
}

impl Store {
    /// Starts a batch of extraction results (one transaction).
    pub fn extraction_batch(&mut self) -> Result<ExtractionBatch<'_>> {
        Ok(ExtractionBatch {
            tx: self.conn.transaction()?,
        })
    }

    /// The report snapshots matching `f` that `extractor_version` has not read
    /// (all of them with `f.force`), oldest year first so that rule 5 finds
    /// last year's result already extracted.
    pub fn reports_to_extract(
        &self,
        f: &ExtractFilter,
        extractor_version: &str,
    ) -> Result<Vec<ArchivedReport>> {
        let mut sql = format!(
            "SELECT s.id, s.content_type, s.sha256, {PAGE_META_COLUMNS}
             FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
             LEFT JOIN agencies a ON a.id = pm.agency_id
             WHERE pm.kind IN {REPORT_KINDS_SQL}"
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(agency) = &f.agency {
            args.push(Box::new(format!("%{agency}%")));
            let n = args.len();
            sql.push_str(&format!(
                " AND (a.name LIKE ?{n} OR a.aliases LIKE ?{n} OR pm.agency_name LIKE ?{n})"
            ));
        }
        if let Some(year) = f.year {
            args.push(Box::new(year));
            sql.push_str(&format!(" AND pm.report_year = ?{}", args.len()));
        }
        if let Some(since) = &f.since {
            args.push(Box::new(since.clone()));
            sql.push_str(&format!(" AND s.fetched_at >= ?{}", args.len()));
        }
        if let Some(ids) = &f.snapshot_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            sql.push_str(&format!(" AND s.id IN ({})", list.join(",")));
        }
        if !f.force {
            args.push(Box::new(extractor_version.to_string()));
            sql.push_str(&format!(
                " AND NOT EXISTS (SELECT 1 FROM extractions e WHERE e.snapshot_id = s.id AND e.extractor_version = ?{})",
                args.len()
            ));
        }
        sql.push_str(" ORDER BY pm.report_year, s.id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
            |r| {
                Ok(ArchivedReport {
                    snapshot_id: r.get(0)?,
                    content_type: r.get(1)?,
                    sha256: r.get(2)?,
                    page: page_meta_from(r, 3)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The report of `agency` (name, alias or discovered name, substring) for
    /// `year`. A text matching several agencies picks the one named exactly
    /// (or by an exact alias), else is ambiguous: mixing agencies' snapshots as
    /// "revisions" would mislead.
    pub fn find_report(&self, agency: &str, year: i32) -> Result<ReportLookup> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT DISTINCT COALESCE(a.name, pm.agency_name), pm.report_year, COALESCE(a.aliases, '')
             FROM page_meta pm LEFT JOIN agencies a ON a.id = pm.agency_id
             WHERE pm.kind IN {REPORT_KINDS_SQL} AND pm.report_year IS NOT NULL
               AND (a.name LIKE ?1 OR a.aliases LIKE ?1 OR pm.agency_name LIKE ?1)"
        ))?;
        let pattern = format!("%{agency}%");
        let mut years: std::collections::BTreeMap<String, (std::collections::BTreeSet<i32>, bool)> =
            Default::default();
        let rows = stmt.query_map(params![pattern], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (name, y, aliases) = row?;
            let Some(name) = name else { continue };
            let exact = name == agency || aliases.split(';').any(|a| a.trim() == agency);
            let e = years.entry(name).or_default();
            e.0.insert(y);
            e.1 |= exact;
        }
        let exact: Vec<&String> = years.iter().filter(|(_, v)| v.1).map(|(k, _)| k).collect();
        let chosen = match (years.len(), exact.as_slice()) {
            (0, _) => return Ok(ReportLookup::NoAgency),
            (_, [one]) => (*one).clone(),
            (1, _) => years.keys().next().cloned().unwrap_or_default(),
            _ => return Ok(ReportLookup::Ambiguous(years.into_keys().collect())),
        };
        if !years[&chosen].0.contains(&year) {
            let list = years[&chosen].0.iter().copied().collect();
            return Ok(ReportLookup::NoSuchYear {
                agency: chosen,
                years: list,
            });
        }
        let revs = self
            .revisions(Some(agency), Some(year), None)?
            .into_iter()
            .filter(|r| r.agency.as_deref() == Some(chosen.as_str()))
            .collect();
        Ok(ReportLookup::Found(revs))
    }

    /// Every archived revision of the report of `agency` (name, alias or discovered
    /// name, substring) for `year`, newest first; or the one snapshot `snapshot_id`.
    pub fn revisions(
        &self,
        agency: Option<&str>,
        year: Option<i32>,
        snapshot_id: Option<i64>,
    ) -> Result<Vec<Revision>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT s.id, s.url, s.fetched_at, s.sha256, pm.kind, pm.format, COALESCE(a.name, pm.agency_name),
                    ce.extractor_version, ce.status, ce.result
             FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
             LEFT JOIN agencies a ON a.id = pm.agency_id
             LEFT JOIN current_extractions ce ON ce.snapshot_id = s.id
             WHERE (?3 IS NOT NULL AND s.id = ?3)
                OR (?3 IS NULL AND pm.kind IN {REPORT_KINDS_SQL} AND pm.report_year = ?2
                    AND (a.name LIKE ?1 OR a.aliases LIKE ?1 OR pm.agency_name LIKE ?1))
             ORDER BY s.id DESC"
        ))?;
        let pattern = agency.map(|a| format!("%{a}%"));
        let rows = stmt.query_map(params![pattern, year, snapshot_id], |r| {
            let result: Option<String> = r.get(9)?;
            Ok(Revision {
                snapshot_id: r.get(0)?,
                url: r.get(1)?,
                fetched_at: r.get(2)?,
                sha256: r.get(3)?,
                kind: r.get(4)?,
                format: r.get(5)?,
                agency: r.get(6)?,
                extractor_version: r.get(7)?,
                status: r.get(8)?,
                result: result.and_then(|j| serde_json::from_str(&j).ok()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
