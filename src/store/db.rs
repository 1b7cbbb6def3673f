//! The database itself: opening it privately, migrating its schema,
//! sessions and the verdict cache. Attempts and the review schedule are
//! `impl Store` blocks of their own (`attempts`, `review`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{storage_reason, Error, Result};
use crate::time::Clock;

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
    // 2: token usage per grade, and the rung of the format ladder each judge
    // server settled on (base URL as shown, user-info masked).
    "ALTER TABLE attempts ADD COLUMN prompt_tokens INTEGER;
    ALTER TABLE attempts ADD COLUMN cached_tokens INTEGER;
    ALTER TABLE attempts ADD COLUMN completion_tokens INTEGER;
    CREATE TABLE judge_formats (
        base_url    TEXT NOT NULL,
        model       TEXT NOT NULL,
        format      TEXT NOT NULL,
        checked_at  TEXT NOT NULL,
        PRIMARY KEY (base_url, model)
    );",
    // 3: one review card per key point. Existing questions need no copy:
    // a point without a row follows its question's card in `review`. The
    // attempt that last moved a card, and the card before it, let a verdict
    // revised later (a follow-up, a settled sample) move it again instead.
    "CREATE TABLE review_points (
        question_id  TEXT NOT NULL,
        point_id     TEXT NOT NULL,
        card         TEXT NOT NULL,
        due          TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        attempt_id   INTEGER,
        previous     TEXT,
        PRIMARY KEY (question_id, point_id)
    );",
    // 4: how a grade's tokens were bought: NULL for a live call, 'batch'
    // for the Batch API, which providers price at a discount (`grill usage`).
    "ALTER TABLE attempts ADD COLUMN via TEXT;
    CREATE INDEX attempts_graded_at ON attempts(graded_at);",
    // 5: Batch API jobs. A job is one input file graded through the Batch
    // API; its answers are a session's attempts, split into parts (one remote
    // batch each) by attempt id range. A part's row is written before its
    // upload, and each remote id (file, batch) as soon as it is known.
    "CREATE TABLE batch_jobs (
        id            INTEGER PRIMARY KEY,
        session_id    INTEGER NOT NULL REFERENCES sessions(id),
        input_path    TEXT NOT NULL,
        input_hash    TEXT NOT NULL,
        settings_key  TEXT NOT NULL,
        model         TEXT NOT NULL,
        base_url      TEXT NOT NULL,
        answers       INTEGER NOT NULL,
        status        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX batch_jobs_input ON batch_jobs(input_hash, settings_key);
    CREATE TABLE batch_parts (
        job_id          INTEGER NOT NULL REFERENCES batch_jobs(id),
        part            INTEGER NOT NULL,
        first_attempt   INTEGER NOT NULL,
        last_attempt    INTEGER NOT NULL,
        requests        INTEGER NOT NULL,
        requests_path   TEXT NOT NULL,
        requests_hash   TEXT NOT NULL,
        input_file_id   TEXT,
        batch_id        TEXT,
        status          TEXT NOT NULL,
        completed       INTEGER NOT NULL DEFAULT 0,
        failed          INTEGER NOT NULL DEFAULT 0,
        output_file_id  TEXT,
        error_file_id   TEXT,
        error           TEXT,
        PRIMARY KEY (job_id, part)
    );",
    // 6: reasoning models (issue 21). The tokens a grade spent reasoning;
    // the request shape a server taught (JSON, beside its format rung); and
    // when a model's retirement date was last read from its server.
    "ALTER TABLE attempts ADD COLUMN reasoning_tokens INTEGER;
    ALTER TABLE judge_formats ADD COLUMN learnt TEXT;
    CREATE TABLE model_checks (
        base_url       TEXT NOT NULL,
        model          TEXT NOT NULL,
        checked_at     TEXT NOT NULL,
        shutdown_date  TEXT,
        PRIMARY KEY (base_url, model)
    );",
    // 7: spoken answers (issue 26). The transcript as heard (the attempt's
    // answer may be an edit of it), its segments (JSON), the recording's
    // path and length, and the delivery figures (JSON).
    "CREATE TABLE spoken (
        attempt_id  INTEGER PRIMARY KEY REFERENCES attempts(id),
        audio_path  TEXT NOT NULL,
        audio_secs  REAL,
        transcript  TEXT NOT NULL,
        segments    TEXT NOT NULL,
        model       TEXT NOT NULL,
        format      TEXT NOT NULL,
        delivery    TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );",
];

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

    /// A cached reply for `key`, as the JSON it was stored as.
    pub fn cached_verdict(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT verdict FROM verdict_cache WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    pub fn cache_verdict(
        &self,
        key: &str,
        verdict: &serde_json::Value,
    ) -> std::result::Result<(), rusqlite::Error> {
        self.conn().execute(
            "INSERT OR REPLACE INTO verdict_cache (key, verdict, created_at) VALUES (?1, ?2, ?3)",
            params![key, verdict.to_string(), self.clock.stamp()],
        )?;
        Ok(())
    }

    /// The format-ladder rung remembered for a server and model, if it was
    /// settled after `since`.
    pub fn remembered_format(
        &self,
        base_url: &str,
        model: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<String>> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT format, checked_at FROM judge_formats WHERE base_url = ?1 AND model = ?2",
                params![base_url, model],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row
            .filter(|(_, at)| crate::time::parse(at).is_some_and(|t| t >= since))
            .map(|(format, _)| format))
    }

    /// Remembers the rung a server and model settled on.
    pub fn remember_format(&self, base_url: &str, model: &str, format: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO judge_formats (base_url, model, format, checked_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(base_url, model) DO UPDATE SET format = excluded.format, checked_at = excluded.checked_at",
            params![base_url, model, format, self.clock.stamp()],
        )?;
        Ok(())
    }

    /// What a server taught about a model's request shape (JSON), if anything.
    pub fn remembered_learnt(&self, base_url: &str, model: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT learnt FROM judge_formats WHERE base_url = ?1 AND model = ?2",
                params![base_url, model],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Remembers the rung a server settled on and what it taught about the
    /// request shape, together.
    pub fn remember_shape(
        &self,
        base_url: &str,
        model: &str,
        format: &str,
        learnt: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO judge_formats (base_url, model, format, checked_at, learnt) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(base_url, model) DO UPDATE SET format = excluded.format,
                checked_at = excluded.checked_at, learnt = excluded.learnt",
            params![base_url, model, format, self.clock.stamp(), learnt],
        )?;
        Ok(())
    }

    /// When a model's retirement date was last read from its server, and
    /// the date it gave (`None`: none announced).
    pub fn model_check(
        &self,
        base_url: &str,
        model: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT checked_at, shutdown_date FROM model_checks WHERE base_url = ?1 AND model = ?2",
                params![base_url, model],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn record_model_check(
        &self,
        base_url: &str,
        model: &str,
        shutdown_date: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO model_checks (base_url, model, checked_at, shutdown_date) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(base_url, model) DO UPDATE SET checked_at = excluded.checked_at,
                shutdown_date = excluded.shutdown_date",
            params![base_url, model, self.clock.stamp(), shutdown_date],
        )?;
        Ok(())
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
    fn a_settled_format_is_remembered_for_a_while() {
        let at = crate::time::parse("2026-03-10T00:00:00Z").unwrap();
        let store = Store::in_memory(Clock::fixed(at)).unwrap();
        store
            .remember_format("http://x/v1", "m", "json_object")
            .unwrap();
        let week_ago = at - chrono::Duration::days(7);
        assert_eq!(
            store
                .remembered_format("http://x/v1", "m", week_ago)
                .unwrap()
                .as_deref(),
            Some("json_object")
        );
        assert_eq!(
            store
                .remembered_format("http://x/v1", "other", week_ago)
                .unwrap(),
            None
        );
        let later = at + chrono::Duration::days(1);
        assert_eq!(
            store.remembered_format("http://x/v1", "m", later).unwrap(),
            None,
            "too old"
        );
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
