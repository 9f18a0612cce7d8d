//! Archiving what a headless browser rendered: the requests it made, and the
//! rendered DOM as a snapshot of its own, marked `rendered`.

use super::crawl::{insert_fetch, insert_snapshot};
use super::{FetchRecord, NewSnapshot, PageMetaRow, PreparedBody, Result, Store};
use rusqlite::{OptionalExtension, params};

/// One rendered page to archive.
#[derive(Debug)]
pub struct RenderCommit {
    /// The crawl run.
    pub run_id: i64,
    /// Every request the page made or was refused, as fetch records.
    pub fetches: Vec<FetchRecord>,
    /// The rendered DOM as a snapshot of the page's URL.
    pub snapshot: NewSnapshot,
    /// Its bytes.
    pub body: PreparedBody,
    /// What the rendered page is.
    pub meta: PageMetaRow,
    /// Why it was rendered.
    pub reason: String,
}

/// Where a rendered page went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOutcome {
    /// The rendered snapshot (an earlier one when the DOM is unchanged).
    pub snapshot_id: i64,
    /// False when the same DOM was archived before.
    pub new_snapshot: bool,
}

/// A page the last crawl could not render for want of a browser.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NeedsBrowser {
    /// The page.
    pub url: String,
    /// Why it needs one.
    pub reason: String,
}

impl Store {
    /// Archives a rendered page in one transaction: its fetches, and the DOM
    /// unless it is byte-identical to the page's last rendered snapshot.
    pub fn commit_render(&mut self, c: &RenderCommit) -> Result<RenderOutcome> {
        let tx = self.conn.transaction()?;
        let mut bytes = 0;
        for f in &c.fetches {
            insert_fetch(&tx, c.run_id, f)?;
            bytes += f.bytes;
        }
        let previous: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, sha256 FROM snapshots WHERE url = ?1 AND rendered = 1 ORDER BY id DESC LIMIT 1",
                [&c.snapshot.url],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let outcome = match previous {
            Some((id, sha)) if sha == c.body.sha256 => RenderOutcome {
                snapshot_id: id,
                new_snapshot: false,
            },
            _ => {
                let (id, new_body) = insert_snapshot(&tx, c.run_id, &c.snapshot, &c.body, &c.meta)?;
                tx.execute("UPDATE snapshots SET rendered = 1 WHERE id = ?1", [id])?;
                tx.execute(
                    "UPDATE page_meta SET render_reason = ?2 WHERE snapshot_id = ?1",
                    params![id, c.reason],
                )?;
                tx.execute(
                    "UPDATE runs SET snapshots_new = snapshots_new + 1, bodies_new = bodies_new + ?2 WHERE id = ?1",
                    params![c.run_id, new_body as i64],
                )?;
                RenderOutcome {
                    snapshot_id: id,
                    new_snapshot: true,
                }
            }
        };
        tx.execute(
            "UPDATE runs SET bytes_received = bytes_received + ?2 WHERE id = ?1",
            params![c.run_id, bytes],
        )?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Whether a snapshot is a rendered DOM, and why it was rendered.
    pub fn render_info(&self, snapshot_id: i64) -> Result<Option<(bool, Option<String>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.rendered, pm.render_reason FROM snapshots s LEFT JOIN page_meta pm ON pm.snapshot_id = s.id
                 WHERE s.id = ?1",
                [snapshot_id],
                |r| Ok((r.get::<_, bool>(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Pages of the last crawl run that needed a browser and had none.
    pub fn needs_browser(&self) -> Result<Vec<NeedsBrowser>> {
        let mut stmt = self.conn.prepare(
            "SELECT url, reason FROM frontier
             WHERE run_id = (SELECT MAX(id) FROM runs WHERE kind = 'crawl') AND reason LIKE '%needs a browser%'
             ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(NeedsBrowser {
                url: r.get(0)?,
                reason: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many snapshots hold a rendered DOM.
    pub fn rendered_snapshots(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM snapshots WHERE rendered = 1",
            [],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MIGRATIONS;

    #[test]
    fn an_archive_from_before_rendering_opens_and_gains_the_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            // The archive as the first schema left it, with a snapshot in it.
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "INSERT INTO bodies VALUES ('ab', 1, x'00');
                 INSERT INTO snapshots (url, final_url, fetched_at, status, headers, sha256, size)
                 VALUES ('http://a.test/', 'http://a.test/', '2024-01-01T00:00:00Z', 200, '[]', 'ab', 1);
                 INSERT INTO page_meta (snapshot_id, kind, format) VALUES (1, 'listing', 'html');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert_eq!(store.render_info(1).unwrap(), Some((false, None)));
        assert_eq!(store.rendered_snapshots().unwrap(), 0);
    }
}
