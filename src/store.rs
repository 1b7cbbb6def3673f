//! SQLite: sessions, attempts, the verdict cache and the review schedule.
//!
//! An answer is inserted the moment it is read, before any network call, and
//! its verdict is filled in later: nothing typed is ever lost. The schema is
//! versioned with `PRAGMA user_version` and numbered migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::error::{Error, Result};

/// Each entry moves the schema one version up; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY,
        mode        TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        ended_at    TEXT
    );
    CREATE TABLE attempts (
        id           INTEGER PRIMARY KEY,
        session_id   INTEGER REFERENCES sessions(id),
        question_id  TEXT NOT NULL,
        topic        TEXT NOT NULL,
        answer       TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('ungraded', 'graded', 'skipped')),
        grader       TEXT,
        verdict      TEXT,
        score        REAL,
        seconds      REAL,
        cut_off      INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        extra        TEXT,
        created_at   TEXT NOT NULL,
        graded_at    TEXT
    );
    CREATE INDEX attempts_question ON attempts(question_id, created_at);
    CREATE INDEX attempts_status ON attempts(status);
    CREATE TABLE verdict_cache (
        key         TEXT PRIMARY KEY,
        verdict     TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE review (
        question_id  TEXT PRIMARY KEY,
        card         TEXT NOT NULL,
        due          TEXT NOT NULL,
        last_score   REAL,
        updated_at   TEXT NOT NULL
    );",
];

pub struct Store {
    conn: Connection,
}

/// A stored attempt, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub id: i64,
    pub session_id: Option<i64>,
    pub question_id: String,
    pub topic: String,
    pub answer: String,
    pub status: String,
    pub grader: Option<String>,
    pub verdict: Option<serde_json::Value>,
    pub score: Option<f64>,
    pub seconds: Option<f64>,
    pub cut_off: bool,
    pub error: Option<String>,
    pub extra: Option<serde_json::Value>,
    pub created_at: String,
    pub graded_at: Option<String>,
}

/// What to insert for a new answer.
#[derive(Debug, Clone, Default)]
pub struct NewAttempt<'a> {
    pub session_id: Option<i64>,
    pub question_id: &'a str,
    pub topic: &'a str,
    pub answer: &'a str,
    pub seconds: Option<f64>,
    pub cut_off: bool,
    pub extra: Option<serde_json::Value>,
}

/// The current time as stored: RFC 3339 in UTC. `GRILL_NOW` (RFC 3339) fixes
/// the clock for tests that simulate days of use.
pub fn now() -> String {
    now_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn now_utc() -> chrono::DateTime<chrono::Utc> {
    std::env::var("GRILL_NOW")
        .ok()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc))
}

impl Store {
    /// Opens (creating if needed, mode 0600) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        create_private_file(path)?;
        // Switching a new file to WAL can answer "busy" at once, without the
        // busy handler, while another grill sets the same file up: retry.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let conn = Connection::open(path).map_err(|e| open_error(path, &e))?;
            match Store::setup(conn) {
                Ok(store) => return Ok(store),
                Err(StoreSetupError::Sql(e))
                    if is_busy(&e) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(25 + fastrand::u64(..50)));
                }
                Err(StoreSetupError::Sql(e)) => return Err(open_error(path, &e)),
                Err(StoreSetupError::Other(e)) => return Err(e),
            }
        }
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        Store::setup(conn).map_err(|e| match e {
            StoreSetupError::Sql(e) => e.into(),
            StoreSetupError::Other(e) => e,
        })
    }

    fn setup(conn: Connection) -> std::result::Result<Store, StoreSetupError> {
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
        let latest = MIGRATIONS.len() as i64;
        if version > latest {
            return Err(StoreSetupError::Other(Error::input(format!(
                "the database was written by a newer grill (schema {version}, this one knows {latest})"
            ))));
        }
        let mut store = Store { conn };
        if version < latest {
            // Two grills may open a new database at once: take the write lock
            // first, then read the version again, so only one migrates.
            let tx = store
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
        Ok(store)
    }

    pub fn start_session(&self, mode: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO sessions (mode, started_at) VALUES (?1, ?2)",
            params![mode, now()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Removes a session that ended without a single attempt, so `report`
    /// does not show an empty one as "the last session".
    pub fn drop_session_if_empty(&self, id: i64) -> Result<bool> {
        let removed = self.conn.execute(
            "DELETE FROM sessions WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM attempts WHERE session_id = ?1)",
            [id],
        )?;
        Ok(removed > 0)
    }

    pub fn end_session(&self, id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE sessions SET ended_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    /// Stores an answer as ungraded and returns its id. Its own transaction, committed at once.
    pub fn insert_attempt(&self, a: &NewAttempt<'_>) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO attempts (session_id, question_id, topic, answer, status, seconds, cut_off, extra, created_at)
             VALUES (?1, ?2, ?3, ?4, 'ungraded', ?5, ?6, ?7, ?8)",
            params![
                a.session_id,
                a.question_id,
                a.topic,
                a.answer,
                a.seconds,
                a.cut_off,
                a.extra.as_ref().map(ToString::to_string),
                now()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records a verdict for an attempt.
    pub fn record_verdict(
        &self,
        id: i64,
        grader: &str,
        verdict: &serde_json::Value,
        score: f64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE attempts SET status = 'graded', grader = ?2, verdict = ?3, score = ?4, error = NULL, graded_at = ?5
             WHERE id = ?1",
            params![id, grader, verdict.to_string(), score, now()],
        )?;
        Ok(())
    }

    /// Records why grading failed; the attempt stays ungraded for `grill regrade`.
    pub fn record_failure(&self, id: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE attempts SET error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    pub fn mark_skipped(&self, id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE attempts SET status = 'skipped' WHERE id = ?1",
            params![id],
        )?;
        Ok(())
    }

    pub fn attempt(&self, id: i64) -> Result<Option<Attempt>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = ?1"),
                [id],
                read_attempt,
            )
            .optional()?)
    }

    pub fn ungraded(&self) -> Result<Vec<Attempt>> {
        self.query_attempts("WHERE status = 'ungraded' ORDER BY id", [])
    }

    pub fn session_attempts(&self, session_id: i64) -> Result<Vec<Attempt>> {
        self.query_attempts("WHERE session_id = ?1 ORDER BY id", [session_id])
    }

    /// Every attempt, oldest first.
    pub fn all_attempts(&self) -> Result<Vec<Attempt>> {
        self.query_attempts("ORDER BY created_at, id", [])
    }

    fn query_attempts(&self, tail: &str, args: impl rusqlite::Params) -> Result<Vec<Attempt>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {ATTEMPT_COLUMNS} FROM attempts {tail}"))?;
        let rows = stmt.query_map(args, read_attempt)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The session's mode and start time, if it exists.
    pub fn session(&self, id: i64) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT mode, started_at FROM sessions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn last_session(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT max(id) FROM sessions", [], |r| r.get(0))?)
    }

    pub fn cached_verdict(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT verdict FROM verdict_cache WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    pub fn cache_verdict(&self, key: &str, verdict: &serde_json::Value) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO verdict_cache (key, verdict, created_at) VALUES (?1, ?2, ?3)",
            params![key, verdict.to_string(), now()],
        )?;
        Ok(())
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

const ATTEMPT_COLUMNS: &str = "id, session_id, question_id, topic, answer, status, grader, verdict, score, seconds, cut_off, error, extra, created_at, graded_at";

fn read_attempt(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attempt> {
    let json = |s: Option<String>| s.and_then(|t| serde_json::from_str(&t).ok());
    Ok(Attempt {
        id: r.get(0)?,
        session_id: r.get(1)?,
        question_id: r.get(2)?,
        topic: r.get(3)?,
        answer: r.get(4)?,
        status: r.get(5)?,
        grader: r.get(6)?,
        verdict: json(r.get(7)?),
        score: r.get(8)?,
        seconds: r.get(9)?,
        cut_off: r.get(10)?,
        error: r.get(11)?,
        extra: json(r.get(12)?),
        created_at: r.get(13)?,
        graded_at: r.get(14)?,
    })
}

enum StoreSetupError {
    Sql(rusqlite::Error),
    Other(Error),
}

impl From<rusqlite::Error> for StoreSetupError {
    fn from(e: rusqlite::Error) -> Self {
        StoreSetupError::Sql(e)
    }
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
        text
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
    fn an_answer_is_stored_ungraded_then_graded() {
        let store = Store::in_memory().unwrap();
        let id = store
            .insert_attempt(&NewAttempt {
                question_id: "q",
                topic: "t",
                answer: "my answer",
                ..Default::default()
            })
            .unwrap();
        assert_eq!(store.ungraded().unwrap().len(), 1);
        store.record_failure(id, "server down").unwrap();
        assert_eq!(
            store.attempt(id).unwrap().unwrap().error.as_deref(),
            Some("server down")
        );
        store
            .record_verdict(id, "self", &serde_json::json!({"score": 7.5}), 7.5)
            .unwrap();
        let a = store.attempt(id).unwrap().unwrap();
        assert_eq!(
            (a.status.as_str(), a.score, a.grader.as_deref()),
            ("graded", Some(7.5), Some("self"))
        );
        assert!(a.error.is_none());
        assert!(store.ungraded().unwrap().is_empty());
    }

    #[test]
    fn migrations_run_once_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/grill.db");
        Store::open(&path)
            .unwrap()
            .start_session("practice")
            .unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_session().unwrap(), Some(1));
        let v: i64 = store
            .connection()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
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
        let err = Store::open(&path).err().unwrap();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message.contains("not a grill database"),
            "{}",
            err.message
        );
        assert_eq!(std::fs::read(&path).unwrap(), junk);
    }
}
