//! One run at a time per archive: an OS lock on the database file itself.
//!
//! The lock is taken on the file, not on its name: `flock` on the database's
//! own inode, so a symlink, a hard link or `dir/../a.db` reach the same lock.
//! The kernel drops it when the holding process dies, even by SIGKILL, so a
//! crash never leaves a stale lock. A text file next to the database's real
//! path (`a.db.lock`) tells the next caller who holds it.
//!
//! The descriptor locked is kept open for the life of the process: closing any
//! descriptor of a file drops every POSIX lock the process holds on it, and
//! SQLite's own locks on the database are POSIX locks.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another nianbao run holds the archive {db}: {holder}")]
    Held { db: PathBuf, holder: String },
    #[error("cannot open lock file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Which file a path names, whatever its spelling.
type FileId = (u64, u64);

/// Database files this process has opened for locking, by identity: each is
/// opened once and never closed (see the module comment), and `held` refuses a
/// second holder inside the process, which `flock` alone would let through.
struct Opened {
    file: Arc<File>,
    held: bool,
}

fn opened() -> &'static Mutex<HashMap<FileId, Opened>> {
    static OPENED: OnceLock<Mutex<HashMap<FileId, Opened>>> = OnceLock::new();
    OPENED.get_or_init(|| Mutex::new(HashMap::new()))
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata, _canonical: &Path) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata, canonical: &Path) -> FileId {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    canonical.hash(&mut h);
    (0, h.finish())
}

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct ArchiveLock {
    id: FileId,
    db_file: Arc<File>,
    text: File,
    path: PathBuf,
}

impl ArchiveLock {
    /// The holder's note for a database path: `archive/nianbao.db` → `archive/nianbao.db.lock`.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock or fails at once naming the holder (`what` describes this
    /// run). Creates the database file (empty) when there is none yet.
    pub fn acquire(db: &Path, what: &str) -> Result<ArchiveLock, LockError> {
        let io_at = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LockError::Io {
                path: path.clone(),
                source,
            }
        };
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_at(db))?;
        }
        let db_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(db)
            .map_err(io_at(db))?;
        let canonical = std::fs::canonicalize(db).map_err(io_at(db))?;
        let id = file_id(&db_file.metadata().map_err(io_at(db))?, &canonical);
        let path = Self::path_for(&canonical);
        let mut text = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_at(&path))?;
        let held = |text: &mut File| {
            let mut holder = String::new();
            let _ = text.read_to_string(&mut holder);
            let holder = holder.trim();
            LockError::Held {
                db: db.to_path_buf(),
                holder: if holder.is_empty() {
                    "a process that opened it through another path".to_string()
                } else {
                    holder.to_string()
                },
            }
        };
        let db_file = {
            let mut map = opened().lock().unwrap_or_else(|p| p.into_inner());
            let entry = map.entry(id).or_insert_with(|| Opened {
                file: Arc::new(db_file),
                held: false,
            });
            if entry.held {
                return Err(held(&mut text));
            }
            match entry.file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(held(&mut text)),
                Err(TryLockError::Error(e)) => return Err(io_at(db)(e)),
            }
            entry.held = true;
            Arc::clone(&entry.file)
        };
        let lock = ArchiveLock {
            id,
            db_file,
            text,
            path,
        };
        let note = format!(
            "pid {} since {}: {}",
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            what
        );
        let mut text = &lock.text;
        text.set_len(0).map_err(io_at(&lock.path))?;
        text.seek(SeekFrom::Start(0)).map_err(io_at(&lock.path))?;
        text.write_all(note.as_bytes()).map_err(io_at(&lock.path))?;
        text.flush().map_err(io_at(&lock.path))?;
        Ok(lock)
    }

    /// The holder's note (next to the database's real path).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ArchiveLock {
    fn drop(&mut self) {
        let _ = self.text.set_len(0);
        let mut map = opened().lock().unwrap_or_else(|p| p.into_inner());
        let _ = self.db_file.unlock();
        if let Some(entry) = map.get_mut(&self.id) {
            entry.held = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_first_named_then_released() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        let first = ArchiveLock::acquire(&db, "crawl --agency 卫滨区").unwrap();
        let err = ArchiveLock::acquire(&db, "schedule")
            .unwrap_err()
            .to_string();
        assert!(err.contains("crawl --agency 卫滨区"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        ArchiveLock::acquire(&db, "schedule").expect("free after drop");
    }

    #[cfg(unix)]
    #[test]
    fn another_spelling_of_the_same_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        let hard = dir.path().join("sub").join("hard.db");
        std::fs::hard_link(&db, &hard).unwrap();
        let dotted = dir.path().join("sub").join("..").join("a.db");
        let first = ArchiveLock::acquire(&db, "crawl one").unwrap();
        for other in [&link, &hard, &dotted] {
            let err = ArchiveLock::acquire(other, "crawl two").unwrap_err();
            assert!(
                matches!(err, LockError::Held { .. }),
                "{}: {err}",
                other.display()
            );
        }
        drop(first);
        let through_hard_link = ArchiveLock::acquire(&hard, "crawl two").unwrap();
        assert!(ArchiveLock::acquire(&link, "crawl three").is_err());
        drop(through_hard_link);
    }

    #[cfg(unix)]
    #[test]
    fn another_process_holding_the_file_through_a_hard_link_is_seen() {
        // flock is per open file: a lock taken by another process (here: a
        // child `flock` on the hard link) must stop us on the original name.
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        std::fs::write(&db, b"").unwrap();
        let hard = dir.path().join("b.db");
        std::fs::hard_link(&db, &hard).unwrap();
        let Ok(mut child) = std::process::Command::new("flock")
            .arg("-x")
            .arg(&hard)
            .args(["sleep", "5"])
            .spawn()
        else {
            return; // util-linux `flock` missing: the in-process test above still runs.
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut refused = false;
        while std::time::Instant::now() < deadline {
            match ArchiveLock::acquire(&db, "crawl") {
                Err(LockError::Held { holder, .. }) => {
                    assert!(holder.contains("another path"), "{holder}");
                    refused = true;
                    break;
                }
                Ok(l) => drop(l),
                Err(e) => panic!("{e}"),
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(refused, "the other process's lock on the file was not seen");
    }
}
