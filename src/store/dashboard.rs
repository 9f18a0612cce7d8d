//! Read-only access for the dashboard: opening the archive without writing to
//! it, and the few queries its pages need that no other answer already gives
//! (failing URLs, the pending frontier, one snapshot with its body).

use super::{PageMetaRow, REPORT_KINDS_SQL, Result, Store};
use rusqlite::{OptionalExtension, params};

/// What a run still has to fetch, per host.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingHost {
    /// The run.
    pub run_id: i64,
    /// The run's status (`running`, `interrupted`, …).
    pub run_status: String,
    /// Host key.
    pub host: String,
    /// Frontier entries still pending on that host.
    pub pending: i64,
    /// The next URL the run would fetch on that host.
    pub next_url: String,
}

/// One archived response with its decompressed body.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivedSnapshot {
    /// Snapshot id.
    pub id: i64,
    /// URL requested.
    pub url: String,
    /// URL of the response.
    pub final_url: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// HTTP status.
    pub status: i64,
    /// The `Content-Type` header, when sent.
    pub content_type: Option<String>,
    /// SHA-256 of the body, hex.
    pub sha256: String,
    /// The body was cut at the size cap.
    pub truncated: bool,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

impl Store {
    /// The report years the archive holds, oldest first.
    pub fn report_years(&self) -> Result<Vec<i32>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT DISTINCT report_year FROM page_meta
             WHERE kind IN {REPORT_KINDS_SQL} AND report_year IS NOT NULL ORDER BY report_year"
        ))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pending frontier entries of runs that have not completed, per host, most first.
    pub fn pending_frontier(&self) -> Result<Vec<PendingHost>> {
        let mut stmt = self.conn.prepare(
            "SELECT f.run_id, r.status, f.host, COUNT(*),
                    (SELECT f2.url FROM frontier f2 WHERE f2.run_id = f.run_id AND f2.host = f.host
                       AND f2.state = 'pending' ORDER BY f2.priority, f2.id LIMIT 1)
             FROM frontier f JOIN runs r ON r.id = f.run_id
             WHERE f.state = 'pending' AND r.status <> 'completed'
             GROUP BY f.run_id, f.host ORDER BY COUNT(*) DESC, f.host",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingHost {
                run_id: r.get(0)?,
                run_status: r.get(1)?,
                host: r.get(2)?,
                pending: r.get(3)?,
                next_url: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One snapshot with its body, or `None` when there is no such snapshot.
    pub fn archived_snapshot(&self, id: i64) -> Result<Option<ArchivedSnapshot>> {
        let head = self
            .conn
            .query_row(
                "SELECT id, url, final_url, fetched_at, status, content_type, sha256, truncated
                 FROM snapshots WHERE id = ?1",
                params![id],
                |r| {
                    Ok(ArchivedSnapshot {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        final_url: r.get(2)?,
                        fetched_at: r.get(3)?,
                        status: r.get(4)?,
                        content_type: r.get(5)?,
                        sha256: r.get(6)?,
                        truncated: r.get(7)?,
                        body: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut snap) = head else {
            return Ok(None);
        };
        snap.body = self.body(&snap.sha256)?.unwrap_or_default();
        Ok(Some(snap))
    }

    /// The current extraction JSON of a snapshot, if extracted.
    pub fn current_result(&self, snapshot_id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT result FROM current_extractions WHERE snapshot_id = ?1")?
            .query_row([snapshot_id], |r| r.get(0))
            .optional()?)
    }

    /// The page metadata of a snapshot (`None` for snapshots without any).
    pub fn page_meta_of(&self, snapshot_id: i64) -> Result<Option<PageMetaRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT kind, format, title, publish_date, source, editor, column_name, site_name,
                        report_year, agency_name, agency_id, parent_snapshot_id, decoy
                 FROM page_meta WHERE snapshot_id = ?1",
                [snapshot_id],
                |r| {
                    Ok(PageMetaRow {
                        kind: r.get(0)?,
                        format: r.get(1)?,
                        title: r.get(2)?,
                        publish_date: r.get(3)?,
                        source: r.get(4)?,
                        editor: r.get(5)?,
                        column_name: r.get(6)?,
                        site_name: r.get(7)?,
                        report_year: r.get(8)?,
                        agency_name: r.get(9)?,
                        agency_id: r.get(10)?,
                        parent_snapshot_id: r.get(11)?,
                        decoy: r.get(12)?,
                    })
                },
            )
            .optional()?)
    }

    /// The newest snapshot id of each URL in `urls` that the archive holds
    /// (by requested or final URL), for rewriting an archived page's links.
    pub fn snapshot_ids_for(&self, urls: &[String]) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT MAX(id) FROM snapshots WHERE (url = ?1 OR final_url = ?1) AND status < 400",
        )?;
        let mut out = Vec::new();
        for u in urls {
            if let Some(id) = stmt.query_row([u], |r| r.get::<_, Option<i64>>(0))? {
                out.push((u.clone(), id));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_queries_on_an_empty_archive() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        drop(Store::open(&db).unwrap());
        let ro = Store::open_read_only(&db).unwrap();
        assert!(ro.failed_urls(1, 10).unwrap().is_empty());
        assert!(ro.pending_frontier().unwrap().is_empty());
        assert!(ro.report_years().unwrap().is_empty());
        assert!(ro.archived_snapshot(1).unwrap().is_none());
        assert!(ro.page_meta_of(1).unwrap().is_none());
    }
}
