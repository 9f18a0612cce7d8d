//! Key figures of extracted reports side by side: one agency across years
//! (with year-over-year deltas and the cross-year checks) and several agencies
//! in one year. Used by `nianbao compare` and the dashboard's agency and
//! compare pages, so both show the same numbers.

use crate::export::{self, CurrentReport, Result, Timeliness};
use crate::extract::{Extraction, RuleCheck, cross_year_checks};
use crate::store::{Store, StoredAgency};
use serde::Serialize;
use serde_json::Value;
use std::ops::RangeInclusive;

/// Where a figure is read from in the extraction JSON.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// The `total` column of part 三 rows, summed.
    Applications(&'static [&'static str]),
    /// A part 二 value.
    Active(&'static str, &'static str),
    /// A part 四 field, summed over groups.
    Review(&'static [&'static str], &'static str),
}

/// One key figure a reader compares across years or agencies.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub key: &'static str,
    /// The Chinese label the dashboard shows.
    pub label: &'static str,
    source: Source,
}

const DENIED: &[&str] = &[
    "denied_state_secret",
    "denied_prohibited_by_law",
    "denied_three_safeties",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_query_matter",
];
const UNAVAILABLE: &[&str] = &[
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
];
const NOT_PROCESSED: &[&str] = &[
    "not_processed_petition",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirmation",
];
const OTHER: &[&str] = &[
    "other_no_correction",
    "other_unpaid_fee",
    "other_other",
    "other_processing",
];
const LITIGATION: &[&str] = &["litigation_direct", "litigation_after_review"];

/// The figures, in the order they are shown.
pub const FIGURES: &[Figure] = &[
    Figure {
        key: "received",
        label: "本年新收申请",
        source: Source::Applications(&["new_received"]),
    },
    Figure {
        key: "carried_over",
        label: "上年结转",
        source: Source::Applications(&["carried_over"]),
    },
    Figure {
        key: "granted",
        label: "予以公开",
        source: Source::Applications(&["granted"]),
    },
    Figure {
        key: "partially_granted",
        label: "部分公开",
        source: Source::Applications(&["partially_granted"]),
    },
    Figure {
        key: "denied",
        label: "不予公开",
        source: Source::Applications(DENIED),
    },
    Figure {
        key: "unavailable",
        label: "无法提供",
        source: Source::Applications(UNAVAILABLE),
    },
    Figure {
        key: "not_processed",
        label: "不予处理",
        source: Source::Applications(NOT_PROCESSED),
    },
    Figure {
        key: "other_processing",
        label: "其他处理",
        source: Source::Applications(OTHER),
    },
    Figure {
        key: "total_processed",
        label: "办理总计",
        source: Source::Applications(&["total_processed"]),
    },
    Figure {
        key: "carried_forward",
        label: "结转下年度",
        source: Source::Applications(&["carried_forward"]),
    },
    Figure {
        key: "rules_in_force",
        label: "规章现行有效",
        source: Source::Active("rules", "in_force"),
    },
    Figure {
        key: "normative_in_force",
        label: "规范性文件现行有效",
        source: Source::Active("normative_documents", "in_force"),
    },
    Figure {
        key: "review_total",
        label: "行政复议总计",
        source: Source::Review(&["review"], "total"),
    },
    Figure {
        key: "review_corrected",
        label: "复议结果纠正",
        source: Source::Review(&["review"], "corrected"),
    },
    Figure {
        key: "litigation_total",
        label: "行政诉讼总计",
        source: Source::Review(LITIGATION, "total"),
    },
    Figure {
        key: "litigation_corrected",
        label: "诉讼结果纠正",
        source: Source::Review(LITIGATION, "corrected"),
    },
];

/// Index of the `total` column in a part 三 row.
const TOTAL: usize = 6;

/// Sums the values present; `None` when none is (a blank is not a zero,
/// but beside read cells it counts as one, as the checks count it).
fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

impl Figure {
    /// The figure in an extraction's JSON (`None` when not read).
    pub fn read(&self, result: &Value) -> Option<f64> {
        match self.source {
            Source::Applications(rows) => sum(rows
                .iter()
                .map(|row| result.get("applications")?.get(*row)?.get(TOTAL)?.as_f64())),
            Source::Active(row, field) => result
                .get("active_disclosure")?
                .get(row)?
                .get(field)?
                .as_f64(),
            Source::Review(groups, field) => sum(groups.iter().map(|g| {
                result
                    .get("review_litigation")?
                    .get(*g)?
                    .get(field)?
                    .as_f64()
            })),
        }
    }
}

/// One report's key figures, in [`FIGURES`] order.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFigures {
    pub agency_id: Option<i64>,
    pub agency: String,
    pub region: String,
    pub year: i32,
    pub snapshot_id: i64,
    pub url: String,
    pub publish_date: Option<String>,
    /// Days after the deadline; `None` when on time or undated.
    pub days_late: Option<i64>,
    pub status: Option<String>,
    /// Rule checks that failed (rules 1-5).
    pub checks_failed: usize,
    pub values: Vec<Option<f64>>,
}

impl ReportFigures {
    pub fn from_report(r: &CurrentReport) -> ReportFigures {
        let values = FIGURES
            .iter()
            .map(|f| r.result.as_ref().and_then(|v| f.read(v)))
            .collect();
        let checks_failed = r.checks_failed.max(0) as usize;
        let days_late = match export::timeliness(r.year, r.publish_date) {
            Timeliness::Late(d) => Some(d),
            _ => None,
        };
        ReportFigures {
            agency_id: r.agency_id,
            agency: r.agency.clone(),
            region: r.region.clone(),
            year: r.year,
            snapshot_id: r.snapshot_id,
            url: r.url.clone(),
            publish_date: r.publish_date.map(|d| d.to_string()),
            days_late,
            status: r.status.map(|s| s.as_str().to_string()),
            checks_failed,
            values,
        }
    }

    /// The value of the figure `key`.
    pub fn get(&self, key: &str) -> Option<f64> {
        FIGURES
            .iter()
            .position(|f| f.key == key)
            .and_then(|i| self.values[i])
    }

    /// `part / total_processed`, for outcome shares.
    pub fn share(&self, key: &str) -> Option<f64> {
        match (self.get(key), self.get("total_processed")) {
            (Some(p), Some(t)) if t > 0.0 => Some(p / t),
            _ => None,
        }
    }
}

/// One agency's reports across a range of years.
#[derive(Debug, Clone, Serialize)]
pub struct AgencyYears {
    pub agency_id: i64,
    pub agency: String,
    pub region: String,
    pub level: String,
    pub years: Vec<YearColumn>,
}

/// One year of [`AgencyYears`]: the report (if any), the change from the year before, the cross-year checks.
#[derive(Debug, Clone, Serialize)]
pub struct YearColumn {
    pub year: i32,
    pub report: Option<ReportFigures>,
    /// This year's value minus last year's, per figure (`None` when either is unknown).
    pub delta: Vec<Option<f64>>,
    /// Rule 5 against the year before (carried over = carried forward; in force moves by issued − repealed).
    pub cross_year: Vec<RuleCheck>,
}

/// Finds the one seed agency `query` names: an exact name or alias, else the
/// only agency whose name or alias contains it.
pub fn find_agency(store: &Store, query: &str) -> Result<Result<StoredAgency, Vec<String>>> {
    let all = store.agencies()?;
    let names = |a: &StoredAgency| {
        std::iter::once(a.agency.name.clone())
            .chain(a.agency.aliases.clone())
            .collect::<Vec<_>>()
    };
    if let Some(a) = all.iter().find(|a| names(a).iter().any(|n| n == query)) {
        return Ok(Ok(a.clone()));
    }
    let hits: Vec<&StoredAgency> = all
        .iter()
        .filter(|a| names(a).iter().any(|n| n.contains(query)))
        .collect();
    match hits.as_slice() {
        [one] => Ok(Ok((*one).clone())),
        many => Ok(Err(many.iter().map(|a| a.agency.name.clone()).collect())),
    }
}

/// The reports of `agency` in `years` (every year it has a report for when `None`), oldest first.
pub fn agency_years(
    store: &Store,
    agency: &StoredAgency,
    years: Option<RangeInclusive<i32>>,
) -> Result<AgencyYears> {
    let reports = export::current_reports_of(store, None, Some(agency.id))?;
    let range = years.unwrap_or_else(|| {
        let lo = reports.iter().map(|r| r.year).min().unwrap_or(0);
        let hi = reports.iter().map(|r| r.year).max().unwrap_or(-1);
        lo..=hi
    });
    let mut out = AgencyYears {
        agency_id: agency.id,
        agency: agency.agency.name.clone(),
        region: agency.agency.region.clone(),
        level: agency.agency.level.clone(),
        years: Vec::new(),
    };
    let parsed = |r: &CurrentReport| -> Option<Extraction> {
        serde_json::from_value(r.result.clone()?).ok()
    };
    let mut prev: Option<(&CurrentReport, ReportFigures)> = None;
    for year in range {
        let report = reports.iter().find(|r| r.year == year);
        let figures = report.map(ReportFigures::from_report);
        let mut column = YearColumn {
            year,
            report: figures.clone(),
            delta: vec![None; FIGURES.len()],
            cross_year: Vec::new(),
        };
        if let (Some((pr, pf)), Some(r), Some(f)) = (&prev, report, &figures) {
            column.delta = f
                .values
                .iter()
                .zip(&pf.values)
                .map(|(a, b)| Some((*a)? - (*b)?))
                .collect();
            if let (Some(p), Some(t)) = (parsed(pr), parsed(r)) {
                column.cross_year = cross_year_checks(&p, &t);
            }
        }
        prev = report.zip(figures);
        out.years.push(column);
    }
    Ok(out)
}

/// Which agencies to put side by side for one year.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Seed agencies by id.
    Agencies(Vec<i64>),
    /// Every agency whose region starts with this.
    Region(String),
}

/// The reports of the selected agencies for `year`, in region and name order
/// (agencies without a report for the year are left out).
pub fn side_by_side(store: &Store, year: i32, selection: &Selection) -> Result<Vec<ReportFigures>> {
    // Pick the current reports without their JSON, then parse only the selected ones.
    let mut chosen: Vec<CurrentReport> = export::current_report_heads(store, Some(year))?
        .into_iter()
        .filter(|r| match selection {
            Selection::Agencies(ids) => r.agency_id.is_some_and(|id| ids.contains(&id)),
            Selection::Region(prefix) => {
                r.agency_id.is_some() && r.region.starts_with(prefix.as_str())
            }
        })
        .collect();
    export::load_results(store, &mut chosen)?;
    Ok(chosen.iter().map(ReportFigures::from_report).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn figure(key: &str) -> &'static Figure {
        FIGURES.iter().find(|f| f.key == key).unwrap()
    }

    #[test]
    fn figures_sum_what_was_read_and_stay_unknown_when_nothing_was() {
        let r = json!({
            "applications": {
                "new_received": [1, 0, 0, 0, 0, 0, 12],
                "denied_state_secret": [0, 0, 0, 0, 0, 0, 1],
                "denied_third_party": [0, 0, 0, 0, 0, 0, 2],
                "denied_query_matter": [null, null, null, null, null, null, null]
            },
            "active_disclosure": {"rules": {"in_force": 5}},
            "review_litigation": {
                "litigation_direct": {"total": 2, "corrected": 1},
                "litigation_after_review": {"total": null}
            }
        });
        assert_eq!(figure("received").read(&r), Some(12.0));
        assert_eq!(figure("denied").read(&r), Some(3.0));
        assert_eq!(figure("unavailable").read(&r), None, "absent is not zero");
        assert_eq!(figure("rules_in_force").read(&r), Some(5.0));
        assert_eq!(figure("litigation_total").read(&r), Some(2.0));
        assert_eq!(figure("litigation_corrected").read(&r), Some(1.0));
        assert_eq!(figure("review_total").read(&r), None);
    }
}
