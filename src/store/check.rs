//! Opening the archive for what a command does with it: writers check it is
//! sound first (`PRAGMA quick_check`) and refuse a damaged one; readers open it
//! read-only, so they work on a read-only archive and never create one.

use super::{MIGRATIONS, Result, Store, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// At most this many of `quick_check`'s findings are quoted in a message.
const FINDINGS_QUOTED: usize = 3;

impl Store {
    /// Opens the archive to write to it: creating it only when `create` (the
    /// commands that start archives: crawl, schedule, demo), and refusing a
    /// damaged one before anything is written.
    pub fn open_for_writing(path: &Path, create: bool) -> Result<Store> {
        if require_archive(path).is_ok() {
            // Checked through a read-only connection: not one byte is written
            // (not even the journal mode) to an archive that is damaged.
            let reader = Store::open_read_only(path)?;
            if let Some(findings) = reader.quick_check()? {
                return Err(StoreError::Damaged {
                    path: path.to_path_buf(),
                    findings,
                });
            }
        } else if !create {
            require_archive(path)?;
        }
        Store::open(path)
    }

    /// Opens an existing archive read-only (a read-only file or folder is fine).
    /// An archive whose schema is older than this nianbao's is brought up to date
    /// first, which needs write access once.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        require_archive(path)?;
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version < known {
            drop(conn);
            return Store::open(path);
        }
        if version > known {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// `PRAGMA quick_check`: `None` on a sound archive, else what SQLite found.
    pub fn quick_check(&self) -> Result<Option<String>> {
        let findings: std::result::Result<Vec<String>, rusqlite::Error> = self
            .conn
            .prepare("PRAGMA quick_check")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| r.get::<_, String>(0))?
                    .take(FINDINGS_QUOTED + 1)
                    .collect()
            });
        let findings = match findings {
            Ok(f) => f,
            // Damage bad enough that the check itself cannot run.
            Err(e @ rusqlite::Error::SqliteFailure(..)) => vec![e.to_string()],
            Err(e) => return Err(e.into()),
        };
        if findings.len() == 1 && findings[0] == "ok" {
            return Ok(None);
        }
        Ok(Some(
            findings
                .into_iter()
                .take(FINDINGS_QUOTED)
                .collect::<Vec<_>>()
                .join("; "),
        ))
    }
}

/// Only the commands that start an archive may create one: elsewhere a path
/// with no archive is a mistake (a mistyped `--db`, the wrong folder).
pub fn require_archive(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() > 0 => Ok(()),
        _ => Err(StoreError::Missing {
            path: path.to_path_buf(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_and_writers_refuse_a_path_with_no_archive_and_create_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("typo").join("a.db");
        let err = Store::open_read_only(&db).unwrap_err().to_string();
        assert!(
            err.contains("no archive at") && err.contains("typo"),
            "{err}"
        );
        assert!(Store::open_for_writing(&db, false).is_err());
        assert!(!dir.path().join("typo").exists());
        Store::open_for_writing(&db, true).expect("crawl creates it");
        assert!(db.exists());
    }

    #[test]
    fn a_read_only_store_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        drop(Store::open(&db).unwrap());
        let store = Store::open_read_only(&db).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert!(store.begin_run(crate::store::RunKind::Crawl, "x").is_err());
    }
}
