//! The store's mapping of typed values to the text in its columns: page and
//! link kinds, frontier states, run kinds and statuses, file formats and
//! extraction statuses. The only place that spells those words for SQL.

use crate::crawl::discover::LinkKind;
use crate::extract::Status;
use crate::formats::Format;
use crate::page::facts::PageKind;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// Implements `ToSql`/`FromSql` for a fieldless enum stored as text, and
/// `sql_text` giving the stored word.
macro_rules! sql_text {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The word stored for this value.
            pub fn sql_text(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }
        }

        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.sql_text()))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                match value.as_str()? {
                    $($text => Ok($ty::$variant),)+
                    other => Err(FromSqlError::Other(
                        format!("unknown {} {other:?} in the archive", stringify!($ty)).into(),
                    )),
                }
            }
        }
    };
}

/// What a run record is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunKind {
    /// `nianbao crawl` (and the crawl half of a scheduled run).
    Crawl,
    /// `nianbao extract`.
    Extract,
    /// The weekly service's own record of a scheduled pass.
    Schedule,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// In progress (or its process died: see [`crate::store::Store::unfinished_run`]).
    Running,
    /// Finished its work.
    Completed,
    /// Stopped by a signal; the next run of its kind resumes it.
    Interrupted,
    /// Ended by an error, recorded in the run's note.
    Failed,
}

/// The state of a frontier entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrontierState {
    /// Waiting to be fetched.
    #[default]
    Pending,
    /// Fetched and archived (or unchanged).
    Done,
    /// Every attempt failed; the fetch log says why.
    Failed,
    /// Never fetched: robots, scope, a trap or the page budget.
    Skipped,
}

sql_text!(RunKind {
    Crawl => "crawl",
    Extract => "extract",
    Schedule => "schedule",
});

sql_text!(RunStatus {
    Running => "running",
    Completed => "completed",
    Interrupted => "interrupted",
    Failed => "failed",
});

sql_text!(FrontierState {
    Pending => "pending",
    Done => "done",
    Failed => "failed",
    Skipped => "skipped",
});

sql_text!(PageKind {
    Report => "report",
    Listing => "listing",
    Attachment => "attachment",
    Decoy => "decoy",
    Other => "other",
});

sql_text!(LinkKind {
    Seed => "seed",
    Report => "report",
    Attachment => "attachment",
    Pagination => "pagination",
    Frame => "frame",
    Redirect => "redirect",
    // A list endpoint (JSON API, Hanweb record group) is a listing of the column.
    Api => "listing",
    Other => "other",
});

/// `ToSql`/`FromSql` for an enum whose own module already names its values
/// (`as_str`, for messages and JSON) and lists them (`ALL`): the store reuses
/// those words rather than spelling them a second time.
macro_rules! sql_text_as_str {
    ($ty:ident) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| {
                        FromSqlError::Other(
                            format!("unknown {} {text:?} in the archive", stringify!($ty)).into(),
                        )
                    })
            }
        }
    };
}

sql_text_as_str!(Format);
sql_text_as_str!(Status);

/// `page_meta.kind IN` this list: the snapshots that are or hold a report,
/// as [`PageKind::holds_report`] decides. Spelled once for every query.
pub(crate) const REPORT_KINDS_SQL: &str = "('report', 'attachment')";

/// Extraction statuses whose result holds report data: the tables were read, wholly or partly.
pub(crate) const READ_STATUSES_SQL: &str = "('complete', 'partial')";

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn every_value_round_trips_through_sqlite() {
        let conn = Connection::open_in_memory().unwrap();
        fn round<T: ToSql + FromSql + PartialEq + std::fmt::Debug>(conn: &Connection, v: T) {
            let back: T = conn.query_row("SELECT ?1", [&v], |r| r.get(0)).unwrap();
            assert_eq!(back, v);
        }
        for k in [
            PageKind::Report,
            PageKind::Listing,
            PageKind::Attachment,
            PageKind::Other,
        ] {
            round(&conn, k);
        }
        for s in [
            Status::Complete,
            Status::Partial,
            Status::NotReport,
            Status::Failed,
            Status::Unsupported,
            Status::Scanned,
        ] {
            round(&conn, s);
            // The store's words are the JSON's words, so both readings agree.
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        round(&conn, LinkKind::Seed);
        round(&conn, FrontierState::Skipped);
        round(&conn, RunStatus::Interrupted);
        round(&conn, RunKind::Schedule);
        round(&conn, Format::Docx);
        let bad: rusqlite::Result<PageKind> = conn.query_row("SELECT 'reprot'", [], |r| r.get(0));
        assert!(bad.is_err(), "an unknown word is an error, not a default");
    }

    #[test]
    fn the_report_kinds_list_is_the_one_holds_report_decides() {
        let kinds = [
            PageKind::Report,
            PageKind::Listing,
            PageKind::Attachment,
            PageKind::Other,
        ];
        let listed: Vec<String> = kinds
            .iter()
            .filter(|k| k.holds_report())
            .map(|k| format!("'{}'", k.sql_text()))
            .collect();
        assert_eq!(REPORT_KINDS_SQL, format!("({})", listed.join(", ")));
        assert_eq!(
            READ_STATUSES_SQL,
            format!(
                "('{}', '{}')",
                Status::Complete.as_str(),
                Status::Partial.as_str()
            )
        );
    }
}
