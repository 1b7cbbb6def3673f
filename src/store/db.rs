//! The database itself: opening it privately, migrating its schema (the
//! migrations are in `schema`), and sessions. Attempts, the review schedule
//! and what is remembered for the judge are `impl Store` blocks of their own
//! (`attempts`, `review`, `remembered`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::schema::MIGRATIONS;
use crate::error::{storage_reason, Error, Result};
use crate::time::Clock;

/// What a session was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Practice,
    Interview,
    Review,
    Batch,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Practice => "practice",
            SessionKind::Interview => "interview",
            SessionKind::Review => "review",
            SessionKind::Batch => "batch",
        }
    }

    fn parse(text: &str) -> SessionKind {
        match text {
            "interview" => SessionKind::Interview,
            "review" => SessionKind::Review,
            "batch" => SessionKind::Batch,
            _ => SessionKind::Practice,
        }
    }
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub kind: SessionKind,
    pub started_at: String,
}

pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
    pub(super) clock: Clock,
}

impl Store {
    /// Opens (creating if needed, mode 0600) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path, clock: Clock) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        create_private_file(path)?;
        // Switching a new file to WAL can answer "busy" at once, without the
        // busy handler, while another grill sets the same file up: retry.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let conn = Connection::open(path).map_err(|e| open_error(path, &e))?;
            match setup(conn) {
                Ok(conn) => return Ok(Store::new(conn, path, clock)),
                Err(SetupError::Sql(e)) if is_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25 + fastrand::u64(..50)));
                }
                Err(SetupError::Sql(e)) => return Err(open_error(path, &e)),
                Err(SetupError::Other(e)) => return Err(e),
            }
        }
    }

    /// An in-memory database, for tests.
    pub fn in_memory(clock: Clock) -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let conn = setup(conn).map_err(|e| match e {
            SetupError::Sql(e) => e.into(),
            SetupError::Other(e) => e,
        })?;
        Ok(Store::new(conn, Path::new(":memory:"), clock))
    }

    fn new(conn: Connection, path: &Path, clock: Clock) -> Store {
        Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            clock,
        }
    }

    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// An error from writing to this database, named by its path: "cannot
    /// store the verdict in `…/grill.db`: the disk is full".
    pub fn write_error(&self, what: &str, err: &rusqlite::Error) -> Error {
        Error::failure(format!(
            "cannot {what} in `{}`: {}",
            self.path.display(),
            storage_reason(err)
        ))
    }

    pub fn start_session(&self, kind: SessionKind) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO sessions (mode, started_at) VALUES (?1, ?2)",
            params![kind.as_str(), self.clock.stamp()],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Removes a session that ended without a single attempt, so `report`
    /// does not show an empty one as "the last session".
    pub fn drop_session_if_empty(&self, id: i64) -> Result<bool> {
        let removed = self.conn().execute(
            "DELETE FROM sessions WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM attempts WHERE session_id = ?1)",
            [id],
        )?;
        Ok(removed > 0)
    }

    pub fn end_session(&self, id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE sessions SET ended_at = ?2 WHERE id = ?1",
            params![id, self.clock.stamp()],
        )?;
        Ok(())
    }

    pub fn session(&self, id: i64) -> Result<Option<Session>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, mode, started_at FROM sessions WHERE id = ?1",
                [id],
                |r| {
                    Ok(Session {
                        id: r.get(0)?,
                        kind: SessionKind::parse(&r.get::<_, String>(1)?),
                        started_at: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn last_session(&self) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row("SELECT max(id) FROM sessions", [], |r| r.get(0))?)
    }

    #[cfg(test)]
    fn user_version(&self) -> i64 {
        self.conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }
}

enum SetupError {
    Sql(rusqlite::Error),
    Other(Error),
}

impl From<rusqlite::Error> for SetupError {
    fn from(e: rusqlite::Error) -> Self {
        SetupError::Sql(e)
    }
}

fn setup(mut conn: Connection) -> std::result::Result<Connection, SetupError> {
    conn.busy_timeout(Duration::from_secs(10))?;
    // Reading the header and the schema page first turns "not a database"
    // and a ruined first page into an error here, before any write.
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Every transaction here writes. A deferred one that reads first fails
    // at once with SQLITE_BUSY, no waiting, when another grill wrote since
    // its read began (WAL snapshots): take the write lock at its start, so
    // two grills at once wait for each other as busy_timeout says.
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    let latest = MIGRATIONS.len() as i64;
    if version > latest {
        return Err(SetupError::Other(Error::input(format!(
            "the database was written by a newer grill (schema {version}, this one knows {latest})"
        ))));
    }
    if version < latest {
        // Two grills may open a new database at once: take the write lock
        // first, then read the version again, so only one migrates.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(current).unwrap_or(0))
        {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        tx.commit()?;
    }
    Ok(conn)
}

fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn open_error(path: &Path, err: &rusqlite::Error) -> Error {
    let text = err.to_string();
    let reason = if text.contains("not a database") {
        "it is not a grill database (or it is corrupt); it was left untouched".to_string()
    } else if text.contains("malformed") {
        "the file is corrupt (database disk image is malformed); it was left untouched".to_string()
    } else {
        storage_reason(err)
    };
    Error::input(format!(
        "cannot open database `{}`: {reason}",
        path.display()
    ))
    .with_hint("pass another file with --db, or set GRILL_HOME")
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::io(dir, "create data directory", &e))
}

/// Creates the file with mode 0600 if it does not exist, so SQLite never creates it world-readable.
fn create_private_file(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(path, "create database", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/grill.db");
        Store::open(&path, Clock::system())
            .unwrap()
            .start_session(SessionKind::Practice)
            .unwrap();
        let store = Store::open(&path, Clock::system()).unwrap();
        assert_eq!(store.last_session().unwrap(), Some(1));
        assert_eq!(store.user_version(), MIGRATIONS.len() as i64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grill.db");
        let junk =
            b"this is not sqlite, just some text that fills more than a header would ".repeat(20);
        std::fs::write(&path, &junk).unwrap();
        let err = Store::open(&path, Clock::system()).err().unwrap();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message.contains("not a grill database"),
            "{}",
            err.message
        );
        assert_eq!(std::fs::read(&path).unwrap(), junk);
    }
}
