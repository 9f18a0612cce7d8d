//! What a crawl saw on a seed's pages when it found no report: pages
//! robots.txt forbade, script-built listings nobody could read, decoys,
//! listings without a match, failed pages. Read by `missing`.

use super::{Result, Store};
use rusqlite::{OptionalExtension, params};

/// A decoy page or file attributed to an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoySeen {
    /// Its title (page title, or the file's link text or name).
    pub title: String,
    /// Where it was archived.
    pub url: String,
    /// explainer | interpretation | hub | notice | empty
    pub kind: String,
    /// The report year its title names.
    pub year: Option<i32>,
}

/// What the last crawl of one seed URL saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedFindings {
    /// Pages robots.txt forbade.
    pub robots: Vec<String>,
    /// Script-built listings nobody could read: (page, what the script asks).
    pub unread_scripts: Vec<(String, String)>,
    /// Listing pages fetched.
    pub listings: Vec<String>,
    /// Pages that failed: (url, reason).
    pub failed: Vec<(String, String)>,
    /// Decoys met on the seed's pages.
    pub decoys: Vec<DecoySeen>,
}

impl Store {
    /// Findings of the last crawl run that started from `seed_url`; `None` if none did.
    pub fn seed_findings(&self, seed_url: &str) -> Result<Option<SeedFindings>> {
        let found: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT run_id, seed_id FROM frontier WHERE url = ?1 AND kind = 'seed' AND seed_id IS NOT NULL
                 ORDER BY run_id DESC LIMIT 1",
                [seed_url],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((run, seed)) = found else {
            return Ok(None);
        };
        let strings = |sql: &str| -> Result<Vec<(String, String)>> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map(params![run, seed], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        };
        let robots = strings(
            "SELECT url, reason FROM frontier WHERE run_id = ?1 AND seed_id = ?2 AND reason = 'disallowed by robots.txt' ORDER BY id",
        )?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
        let unread_scripts = strings(
            "SELECT url, detail FROM crawl_notes WHERE run_id = ?1 AND seed_id = ?2 AND kind = 'unread_script' ORDER BY id",
        )?;
        let listings = strings(
            "SELECT s.url, pm.title FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
             WHERE s.run_id = ?1 AND s.seed_id = ?2 AND pm.kind = 'listing' ORDER BY s.id",
        )?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
        let failed = strings(
            "SELECT url, reason FROM frontier WHERE run_id = ?1 AND seed_id = ?2 AND state = 'failed' ORDER BY id",
        )?;
        let mut stmt = self.conn.prepare(
            "SELECT COALESCE(pm.title, ''), s.url, COALESCE(pm.decoy, ''), pm.report_year FROM snapshots s JOIN page_meta pm ON pm.snapshot_id = s.id
             WHERE s.run_id = ?1 AND s.seed_id = ?2 AND pm.kind = 'decoy' ORDER BY s.id",
        )?;
        let decoys = stmt
            .query_map(params![run, seed], |r| {
                Ok(DecoySeen {
                    title: r.get(0)?,
                    url: r.get(1)?,
                    kind: r.get(2)?,
                    year: r.get(3)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(Some(SeedFindings {
            robots,
            unread_scripts,
            listings,
            failed,
            decoys,
        }))
    }

    /// Decoys attributed to an agency that name `year`, newest first (a notice
    /// naming no year is about every year's report, not a candidate for one).
    pub fn decoys_of(&self, agency_id: i64, year: i32) -> Result<Vec<DecoySeen>> {
        let mut stmt = self.conn.prepare(
            "SELECT COALESCE(pm.title, ''), s.url, COALESCE(pm.decoy, ''), pm.report_year FROM page_meta pm
             JOIN snapshots s ON s.id = pm.snapshot_id
             WHERE pm.kind = 'decoy' AND pm.agency_id = ?1 AND pm.report_year = ?2
             ORDER BY s.id DESC",
        )?;
        let rows = stmt.query_map(params![agency_id, year], |r| {
            Ok(DecoySeen {
                title: r.get(0)?,
                url: r.get(1)?,
                kind: r.get(2)?,
                year: r.get(3)?,
            })
        })?;
        let mut out: Vec<DecoySeen> = Vec::new();
        for r in rows {
            let d = r?;
            if !out.iter().any(|o| o.url == d.url) {
                out.push(d);
            }
        }
        Ok(out)
    }
}
