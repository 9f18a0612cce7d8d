//! The worklists: agencies with no report for a year (and why), reports
//! published after the deadline, and agencies found in report titles that
//! are not in the seeds.

use super::reports::{AgencyKey, agency_key, current_reports};
use super::table::{CellValue, Sheet, write_sheets};
use super::{OutputFormat, Result};
use crate::extract::Status;
use crate::store::{LastFetch, Store};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;

/// Why an agency has no report for the year, each pointing at what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MissingReason {
    /// No seed row gives it a URL and no crawled portal had its report.
    NoEntryUrl,
    /// Every seed URL of it failed on its last fetch.
    EntryUnreachable,
    /// It has seed URLs, but none has been fetched yet.
    NotCrawled,
    /// Its site was crawled and nothing matched a report of that year.
    NoReportFound,
    /// A report was found, but only as a file nianbao cannot read (or a scan).
    UnsupportedFile,
    /// The only candidates were decoys (一图读懂, 解读, 汇总, empty column, notice).
    OnlyDecoys,
    /// robots.txt forbade the pages that would hold the report.
    RobotsForbade,
    /// The listing is built by a script nobody could read.
    ScriptListing,
}

impl MissingReason {
    /// The stable name (CSV and JSON values).
    pub fn as_str(self) -> &'static str {
        match self {
            MissingReason::NoEntryUrl => "no_entry_url",
            MissingReason::EntryUnreachable => "entry_unreachable",
            MissingReason::NotCrawled => "not_crawled",
            MissingReason::NoReportFound => "no_report_found",
            MissingReason::UnsupportedFile => "unsupported_file",
            MissingReason::OnlyDecoys => "only_decoys",
            MissingReason::RobotsForbade => "robots_forbade",
            MissingReason::ScriptListing => "script_listing",
        }
    }
}

impl std::fmt::Display for MissingReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An active seed agency with no usable report for the year.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingAgency {
    /// Its archive id; `None` for an agency of `--seeds` rows the archive does not know yet.
    pub agency_id: Option<i64>,
    /// Agency name.
    pub agency: String,
    /// Region.
    pub region: String,
    /// Administrative level.
    pub level: String,
    /// Why it ended so (for people).
    pub reason: MissingReason,
    /// For people: what happened and what to do.
    pub detail: String,
    /// The agency's seed URLs.
    pub urls: Vec<String>,
    /// The last fetch error of its seed URL(s), for `entry_unreachable`.
    pub last_error: Option<String>,
    /// The unreadable file, for `unsupported_file`.
    pub report_url: Option<String>,
}

/// Active seed agencies (optionally those whose region contains `region`, at
/// any level: `沈阳市` matches `辽宁省沈阳市辽中区`) with no report for `year`,
/// ordered by region and name.
///
/// A report counts as found when any report or attachment snapshot of the year is
/// attributed to the agency (`page_meta.agency_id`), on its own site or any other
/// portal, unless every one of them is an unreadable file (`unsupported`/`scanned`)
/// or was judged not a report (`not_report`). A report page with attachments is
/// judged by its attachments unless the page itself was read (`complete`/`partial`).
pub fn missing(store: &Store, year: i32, region: Option<&str>) -> Result<Vec<MissingAgency>> {
    missing_among(store, year, region, None)
}

/// [`missing`] for the agencies of these seed rows (`missing --seeds FILE`)
/// instead of the archive's seeds: an agency the archive does not know yet is
/// listed as not crawled, unless reports under one of its names were found.
pub fn missing_for_seeds(
    store: &Store,
    year: i32,
    region: Option<&str>,
    rows: &[crate::seeds::SeedRow],
) -> Result<Vec<MissingAgency>> {
    missing_among(store, year, region, Some(rows))
}

/// An agency to judge: its archive id if it has one, its names, its seed URLs.
struct Judged {
    id: Option<i64>,
    name: String,
    region: String,
    level: String,
    names: Vec<String>,
    urls: Vec<String>,
}

fn missing_among(
    store: &Store,
    year: i32,
    region: Option<&str>,
    seed_rows: Option<&[crate::seeds::SeedRow]>,
) -> Result<Vec<MissingAgency>> {
    let snapshots = store.report_snapshots(Some(year))?;
    // A report page whose report sits in attachments is judged by them, unless
    // the page itself was read as a report.
    let parents: HashSet<i64> = snapshots
        .iter()
        .filter_map(|c| c.parent_snapshot_id)
        .collect();
    let mut by_agency: HashMap<i64, Vec<(Option<Status>, String)>> = HashMap::new();
    let mut by_name: HashMap<String, Vec<(Option<Status>, String)>> = HashMap::new();
    for c in snapshots {
        let read = matches!(c.status, Some(Status::Complete | Status::Partial));
        if parents.contains(&c.snapshot_id) && !read {
            continue;
        }
        match agency_key(&c) {
            AgencyKey::Id(id) => by_agency.entry(id).or_default().push((c.status, c.url)),
            AgencyKey::Name(name) => by_name.entry(name).or_default().push((c.status, c.url)),
            _ => {}
        }
    }
    let seed_urls = store.seed_urls()?;
    let stored = store.agencies()?;
    let mut judged: Vec<Judged> = match seed_rows {
        None => stored
            .into_iter()
            .map(|a| Judged {
                id: Some(a.id),
                names: vec![a.agency.name.clone()],
                urls: seed_urls.get(&a.id).cloned().unwrap_or_default(),
                name: a.agency.name,
                region: a.agency.region,
                level: a.agency.level,
            })
            .collect(),
        Some(rows) => {
            let known: HashMap<String, i64> =
                stored.into_iter().map(|a| (a.agency.name, a.id)).collect();
            crate::seeds::agencies(rows)
                .into_iter()
                .map(|a| Judged {
                    id: known.get(&a.name).copied(),
                    names: a.names().into_iter().map(str::to_string).collect(),
                    urls: rows
                        .iter()
                        .filter(|r| r.agency.as_deref() == Some(a.name.as_str()))
                        .filter_map(|r| r.url.as_ref().map(|u| u.to_string()))
                        .collect(),
                    name: a.name,
                    region: a.region,
                    level: a.level,
                })
                .collect()
        }
    };
    judged.retain(|j| region.is_none_or(|r| j.region.contains(r)));
    judged.sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
    let mut out = Vec::new();
    for j in judged {
        let Judged {
            id,
            name,
            region,
            level,
            names,
            urls,
        } = j;
        let mut found: Vec<(Option<Status>, String)> = id
            .and_then(|id| by_agency.get(&id).cloned())
            .unwrap_or_default();
        if id.is_none() {
            for n in &names {
                found.extend(by_name.get(n).cloned().unwrap_or_default());
            }
        }
        let usable = found.iter().any(|(s, _)| {
            !matches!(
                s,
                Some(Status::Unsupported | Status::Scanned | Status::NotReport)
            )
        });
        if usable {
            continue;
        }
        let mut m = MissingAgency {
            agency_id: id,
            agency: name,
            region,
            level,
            reason: MissingReason::NoReportFound,
            detail: String::new(),
            urls,
            last_error: None,
            report_url: None,
        };
        if let Some((status, url)) = found
            .iter()
            .rev()
            .find(|(s, _)| matches!(s, Some(Status::Unsupported | Status::Scanned)))
        {
            let what = if *status == Some(Status::Scanned) {
                "a scanned image with no text layer (needs OCR)"
            } else {
                "a file format nianbao cannot read"
            };
            m.reason = MissingReason::UnsupportedFile;
            m.detail = format!(
                "the {year} report was found only as {what}: {url}; read it by hand or convert it"
            );
            m.report_url = Some(url.clone());
            out.push(m);
            continue;
        }
        let decoys = match id {
            Some(id) => store.decoys_of(id, year)?,
            None => Vec::new(),
        };
        if !decoys.is_empty() {
            m.reason = MissingReason::OnlyDecoys;
            m.detail = format!(
                "the only {year} candidates were decoys, not the report: {}; look for the report itself on the site",
                decoys
                    .iter()
                    .map(|d| format!("{} ({}) {}", d.title, d.kind, d.url))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            m.report_url = decoys.first().map(|d| d.url.clone());
            out.push(m);
            continue;
        }
        if m.urls.is_empty() {
            m.reason = MissingReason::NoEntryUrl;
            m.detail = format!(
                "no seed URL and no {year} report attributed to it on any crawled portal: \
                 add its disclosure page to the seeds, or an alias if its reports use another name"
            );
            out.push(m);
            continue;
        }
        let mut failed = Vec::new();
        let mut fetched = 0;
        for url in &m.urls {
            let Some(LastFetch {
                status,
                error_kind: kind,
                error,
            }) = store.last_fetch(url)?
            else {
                continue;
            };
            fetched += 1;
            let bad_status = status.is_none_or(|s| s >= 400);
            if error.is_some() || kind.is_some() || bad_status {
                let msg = match (error, kind, status) {
                    (Some(e), Some(k), _) => format!("{k}: {e}"),
                    (Some(e), None, _) => e,
                    (None, Some(k), _) => k,
                    (None, None, Some(s)) => format!("HTTP {s}"),
                    (None, None, None) => "no response".into(),
                };
                failed.push(format!("{url}: {msg}"));
            }
        }
        if fetched == 0 {
            m.reason = MissingReason::NotCrawled;
            m.detail = "its seed URL(s) have not been fetched yet: run `nianbao crawl`".into();
        } else if failed.len() == fetched && fetched == m.urls.len() {
            m.reason = MissingReason::EntryUnreachable;
            m.last_error = failed.last().cloned();
            m.detail = format!(
                "its seed URL(s) failed on the last crawl ({}): open them in a browser; \
                 fix the seed URL if the site moved, or crawl again if it was down",
                failed.join("; ")
            );
        } else if let Some((reason, detail)) = seen_on_seeds(store, &m.urls, year)? {
            m.reason = reason;
            m.detail = detail;
        } else {
            m.detail = format!(
                "its site was crawled but no {year} report matched: look on the site by hand; \
                 if the report is there, its title or link may need an alias or a title pattern"
            );
            if !failed.is_empty() {
                m.detail
                    .push_str(&format!(" (some seed URLs failed: {})", failed.join("; ")));
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// Why a crawled seed yielded nothing, from what its last crawl saw: robots.txt,
/// script-built listings, decoys, listings without a match, failed pages.
fn seen_on_seeds(
    store: &Store,
    urls: &[String],
    year: i32,
) -> Result<Option<(MissingReason, String)>> {
    let mut all = crate::store::SeedFindings::default();
    for u in urls {
        if let Some(f) = store.seed_findings(u)? {
            all.robots.extend(f.robots);
            all.unread_scripts.extend(f.unread_scripts);
            all.listings.extend(f.listings);
            all.failed.extend(f.failed);
            all.decoys
                .extend(f.decoys.into_iter().filter(|d| d.year == Some(year)));
        }
    }
    let failed = if all.failed.is_empty() {
        String::new()
    } else {
        format!(
            " (pages that failed: {})",
            all.failed
                .iter()
                .map(|(u, r)| format!("{u}: {r}"))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    if !all.robots.is_empty() {
        return Ok(Some((
            MissingReason::RobotsForbade,
            format!(
                "robots.txt forbade {}: the report may sit there; ask the site or fetch it by hand{failed}",
                all.robots.join(", ")
            ),
        )));
    }
    if !all.decoys.is_empty() {
        return Ok(Some((
            MissingReason::OnlyDecoys,
            format!(
                "the only {year} candidates on its site were decoys: {}{failed}",
                all.decoys
                    .iter()
                    .map(|d| format!("{} ({}) {}", d.title, d.kind, d.url))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )));
    }
    if !all.unread_scripts.is_empty() {
        return Ok(Some((
            MissingReason::ScriptListing,
            format!(
                "the listing is built by a script nobody could read: {}; open the page in a browser \
                 and add the list's address as a seed{failed}",
                all.unread_scripts
                    .iter()
                    .map(|(u, d)| format!("{d} on {u}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )));
    }
    if !all.listings.is_empty() {
        return Ok(Some((
            MissingReason::NoReportFound,
            format!(
                "the listing was found but no {year} report link matched: {}; \
                 if the report is there, its title may need an alias or a title pattern{failed}",
                all.listings.join(", ")
            ),
        )));
    }
    Ok(None)
}

/// A report published after the deadline, or with no publish date.
#[derive(Debug, Clone, PartialEq)]
pub struct LateEntry {
    /// Seed agency it is attributed to; `None`: discovered.
    pub agency_id: Option<i64>,
    /// Agency name.
    pub agency: String,
    /// Region.
    pub region: String,
    /// Report year.
    pub year: i32,
    /// URL.
    pub url: String,
    /// The snapshot.
    pub snapshot_id: i64,
    /// Publish date.
    pub publish_date: Option<NaiveDate>,
    /// Days after 31 January of `year + 1`; `None` for undated reports.
    pub days_late: Option<i64>,
}

/// Late and undated reports of one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LateReport {
    /// Most days late first.
    pub late: Vec<LateEntry>,
    /// Reports with no readable publish date.
    pub undated: Vec<LateEntry>,
}

/// The legal deadline of a report year: 31 January of the next year.
pub fn deadline(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 31)
}

/// When a report of `year` was published against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// On or before the deadline.
    OnTime,
    /// Days after the deadline.
    Late(i64),
    /// No readable publish date.
    Undated,
}

/// The one rule for lateness: the publish date against 31 January of `year + 1`.
pub fn timeliness(year: i32, publish_date: Option<NaiveDate>) -> Timeliness {
    match (publish_date, deadline(year)) {
        (Some(d), Some(deadline)) if d > deadline => Timeliness::Late((d - deadline).num_days()),
        (Some(_), Some(_)) => Timeliness::OnTime,
        _ => Timeliness::Undated,
    }
}

/// The current reports of `year` published after 31 January of `year + 1`
/// (by the page's publish date, an attachment's from its page), and those with
/// no readable publish date.
pub fn late(store: &Store, year: i32) -> Result<LateReport> {
    let mut report = LateReport::default();
    if deadline(year).is_none() {
        return Ok(report);
    }
    for r in current_reports(store, Some(year))? {
        let when = timeliness(year, r.publish_date);
        let entry = LateEntry {
            agency_id: r.agency_id,
            agency: r.agency,
            region: r.region,
            year: r.year,
            url: r.url,
            snapshot_id: r.snapshot_id,
            publish_date: r.publish_date,
            days_late: None,
        };
        match when {
            Timeliness::Undated => report.undated.push(entry),
            Timeliness::Late(days) => report.late.push(LateEntry {
                days_late: Some(days),
                ..entry
            }),
            Timeliness::OnTime => {}
        }
    }
    report.late.sort_by(|a, b| {
        (b.days_late, &a.region, &a.agency).cmp(&(a.days_late, &b.region, &b.agency))
    });
    Ok(report)
}

/// An agency name read from report titles that is not in the seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    /// Agency name as read from the title or page.
    pub agency_name: String,
    /// Region of the seed whose crawl found it first (a portal column's region).
    pub region: String,
    /// Report years found.
    pub years: Vec<i32>,
    /// Distinct report URLs attributed to the name.
    pub reports: usize,
    /// The first report URL found under the name.
    pub first_url: String,
}

/// Agency names from report titles with no seed agency, most reports first:
/// candidates to add to the seed list.
pub fn discovered(store: &Store) -> Result<Vec<Discovered>> {
    let mut acc: BTreeMap<String, (String, BTreeSet<i32>, BTreeSet<String>, String)> =
        BTreeMap::new();
    for row in store.discovered_reports()? {
        let (name, year, url, region) = (row.agency_name, row.year, row.url, row.region);
        let e = acc
            .entry(name)
            .or_insert_with(|| (region, BTreeSet::new(), BTreeSet::new(), url.clone()));
        e.1.extend(year);
        e.2.insert(url);
    }
    let mut out: Vec<Discovered> = acc
        .into_iter()
        .map(
            |(agency_name, (region, years, urls, first_url))| Discovered {
                agency_name,
                region,
                years: years.into_iter().collect(),
                reports: urls.len(),
                first_url,
            },
        )
        .collect();
    out.sort_by(|a, b| {
        b.reports
            .cmp(&a.reports)
            .then_with(|| a.agency_name.cmp(&b.agency_name))
    });
    Ok(out)
}

/// The discovered agencies as a seed file (`agency,region,level,url,aliases`)
/// to review and put into `seeds/`: each row follows a `#` comment saying
/// where the name was found. Level and URL are left for the user to fill in.
pub fn write_discovered_seeds(rows: &[Discovered], out: &mut dyn Write) -> Result<()> {
    writeln!(out, "agency,region,level,url,aliases")?;
    for d in rows {
        let years: Vec<String> = d.years.iter().map(i32::to_string).collect();
        // A URL cannot break out of the comment line: it has no line breaks.
        writeln!(
            out,
            "# {} report(s) for {}, e.g. {}",
            d.reports,
            years.join(", "),
            d.first_url.replace(['\r', '\n'], " ")
        )?;
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record([d.agency_name.as_str(), d.region.as_str(), "", "", ""])?;
        out.write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
    }
    Ok(())
}

/// The missing list as a sheet.
pub fn missing_sheet(rows: &[MissingAgency]) -> Sheet {
    let mut s = Sheet::new(
        "missing",
        &[
            "agency",
            "region",
            "level",
            "reason",
            "detail",
            "urls",
            "last_error",
            "report_url",
        ],
    );
    for m in rows {
        s.rows.push(vec![
            CellValue::text(&m.agency),
            CellValue::text(&m.region),
            CellValue::text(&m.level),
            CellValue::text(m.reason.as_str()),
            CellValue::text(&m.detail),
            CellValue::text(m.urls.join(" ")),
            CellValue::opt_text(m.last_error.clone()),
            m.report_url.clone().map_or(CellValue::Null, CellValue::Url),
        ]);
    }
    s
}

/// The late list as one sheet; undated reports follow with `status` `undated`.
pub fn late_sheet(report: &LateReport) -> Sheet {
    let mut s = Sheet::new(
        "late",
        &[
            "status",
            "agency",
            "region",
            "year",
            "url",
            "snapshot_id",
            "publish_date",
            "days_late",
        ],
    );
    for (status, list) in [("late", &report.late), ("undated", &report.undated)] {
        for e in list {
            s.rows.push(vec![
                CellValue::text(status),
                CellValue::text(&e.agency),
                CellValue::text(&e.region),
                CellValue::Int(e.year.into()),
                CellValue::url(&e.url),
                CellValue::Int(e.snapshot_id),
                CellValue::date(e.publish_date.map(|d| d.to_string())),
                CellValue::opt_int(e.days_late),
            ]);
        }
    }
    s
}

/// The discovered list as a sheet (years as `2021 2022`).
pub fn discovered_sheet(rows: &[Discovered]) -> Sheet {
    let mut s = Sheet::new(
        "discovered",
        &["agency_name", "region", "years", "reports", "first_url"],
    );
    for d in rows {
        let years: Vec<String> = d.years.iter().map(i32::to_string).collect();
        s.rows.push(vec![
            CellValue::text(&d.agency_name),
            CellValue::text(&d.region),
            CellValue::text(years.join(" ")),
            CellValue::Int(d.reports as i64),
            CellValue::url(&d.first_url),
        ]);
    }
    s
}

/// Writes the missing list in `format`.
pub fn write_missing(
    rows: &[MissingAgency],
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    write_sheets(&[missing_sheet(rows)], format, out)
}

/// Writes the late list in `format`.
pub fn write_late(report: &LateReport, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    write_sheets(&[late_sheet(report)], format, out)
}

/// Writes the discovered list in `format`.
pub fn write_discovered(
    rows: &[Discovered],
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    write_sheets(&[discovered_sheet(rows)], format, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_and_dates() {
        assert_eq!(deadline(2022), NaiveDate::from_ymd_opt(2023, 1, 31));
        assert_eq!(deadline(2019), NaiveDate::from_ymd_opt(2020, 1, 31));
        assert_eq!(deadline(i32::MAX), None);
    }
}
