//! Batch API jobs: one input file graded through the Batch API, its answers
//! (a session's attempts) split into parts, one remote batch per part.
//!
//! What is written when, so that a `kill -9` anywhere loses nothing: the
//! answers, the job and its parts go in with one transaction, before any
//! network call (`create_job`); each remote id is written the moment the
//! server gives it (`set_input_file`, `set_batch`). What a crash can leave
//! between two of those writes is said in `crate::batch::submit`.

use rusqlite::{params, OptionalExtension, Transaction};

use super::attempts::{read, COLUMNS};
use super::attempts::{Attempt, NewAttempt};
use super::db::Store;
use crate::error::Result;
use crate::provider::batch_status::BatchStatus;

/// Where a job stands, as stored. The remote statuses of its parts are in
/// `Part::status`; `JobStatus` is grill's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// The answers are stored; some part is not yet a remote batch.
    Submitting,
    /// Every part is a remote batch.
    Submitted,
    /// The verdicts are stored on the attempts.
    Collected,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Submitting => "submitting",
            JobStatus::Submitted => "submitted",
            JobStatus::Collected => "collected",
        }
    }

    fn parse(text: &str) -> JobStatus {
        match text {
            "submitted" => JobStatus::Submitted,
            "collected" => JobStatus::Collected,
            _ => JobStatus::Submitting,
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub session_id: i64,
    pub input_path: String,
    pub input_hash: String,
    pub settings_key: String,
    pub model: String,
    pub base_url: String,
    pub answers: u64,
    pub status: JobStatus,
    pub created_at: String,
    pub updated_at: String,
    pub parts: Vec<Part>,
}

/// One part of a job: one requests file, one remote batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub part: i64,
    pub first_attempt: i64,
    pub last_attempt: i64,
    pub requests: u64,
    pub requests_path: String,
    pub requests_hash: String,
    pub input_file_id: Option<String>,
    pub batch_id: Option<String>,
    /// `local` before the upload, `uploaded` after it, then the remote
    /// batch's status as last seen (`validating`, `in_progress`, ...).
    pub status: BatchStatus,
    pub completed: u64,
    pub failed: u64,
    pub output_file_id: Option<String>,
    pub error_file_id: Option<String>,
    /// Why the remote batch failed, as the server said (masked).
    pub error: Option<String>,
}

/// What to insert for a new job.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub input_path: &'a str,
    pub input_hash: &'a str,
    pub settings_key: &'a str,
    pub model: &'a str,
    pub base_url: &'a str,
}

/// A part as written by `create_job`'s filler.
#[derive(Debug, Clone)]
pub struct NewPart {
    pub first_attempt: i64,
    pub last_attempt: i64,
    pub requests: u64,
    pub requests_path: String,
    pub requests_hash: String,
}

/// Inserts answers inside `create_job`'s transaction.
pub struct AttemptSink<'t> {
    stmt: rusqlite::Statement<'t>,
    tx: &'t Transaction<'t>,
    session: i64,
    now: String,
    inserted: u64,
}

impl AttemptSink<'_> {
    /// Stores one answer as ungraded in the job's session; returns its id.
    pub fn insert(&mut self, a: &NewAttempt<'_>) -> std::result::Result<i64, rusqlite::Error> {
        self.stmt.execute(params![
            self.session,
            a.question_id,
            a.topic,
            a.answer,
            a.extra.as_ref().map(super::columns::Extra::to_column),
            self.now
        ])?;
        self.inserted += 1;
        Ok(self.tx.last_insert_rowid())
    }

    /// Whether the verdict cache holds `key`: that answer needs no request.
    pub fn is_cached(&self, key: &str) -> std::result::Result<bool, rusqlite::Error> {
        Ok(self
            .tx
            .query_row("SELECT 1 FROM verdict_cache WHERE key = ?1", [key], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }
}

const JOB_COLUMNS: &str = "id, session_id, input_path, input_hash, settings_key, model, base_url, answers, status, created_at, updated_at";
const PART_COLUMNS: &str = "part, first_attempt, last_attempt, requests, requests_path, requests_hash, input_file_id, batch_id, status, completed, failed, output_file_id, error_file_id, error";

fn read_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        session_id: r.get(1)?,
        input_path: r.get(2)?,
        input_hash: r.get(3)?,
        settings_key: r.get(4)?,
        model: r.get(5)?,
        base_url: r.get(6)?,
        answers: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
        status: JobStatus::parse(&r.get::<_, String>(8)?),
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        parts: Vec::new(),
    })
}

fn read_part(r: &rusqlite::Row<'_>) -> rusqlite::Result<Part> {
    let n =
        |i: usize| -> rusqlite::Result<u64> { Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0)) };
    Ok(Part {
        part: r.get(0)?,
        first_attempt: r.get(1)?,
        last_attempt: r.get(2)?,
        requests: n(3)?,
        requests_path: r.get(4)?,
        requests_hash: r.get(5)?,
        input_file_id: r.get(6)?,
        batch_id: r.get(7)?,
        status: BatchStatus::from_stored(&r.get::<_, String>(8)?),
        completed: n(9)?,
        failed: n(10)?,
        output_file_id: r.get(11)?,
        error_file_id: r.get(12)?,
        error: r.get(13)?,
    })
}

impl Store {
    /// Creates a job in one transaction: a batch session, the job row, every
    /// answer `fill` inserts through the sink (the job's answers, whether or
    /// not a part asks for them), and the parts it returns. All of it or
    /// none: `fill` failing (or a crash) leaves nothing behind.
    /// `fill` gets the new job's id, to name its requests files.
    pub fn create_job<F>(&self, job: &NewJob<'_>, fill: F) -> Result<i64>
    where
        F: FnOnce(i64, &mut AttemptSink<'_>) -> Result<Vec<NewPart>>,
    {
        let now = self.clock.stamp();
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| self.write_error("store the answers", &e))?;
        let write = |e: rusqlite::Error| self.write_error("store the answers", &e);
        tx.execute(
            "INSERT INTO sessions (mode, started_at) VALUES ('batch', ?1)",
            [&now],
        )
        .map_err(write)?;
        let session = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO batch_jobs (session_id, input_path, input_hash, settings_key, model, base_url, answers, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 'submitting', ?7, ?7)",
            params![session, job.input_path, job.input_hash, job.settings_key, job.model, job.base_url, now],
        )
        .map_err(write)?;
        let id = tx.last_insert_rowid();
        let parts = {
            let stmt = tx
                .prepare(
                    "INSERT INTO attempts (session_id, question_id, topic, answer, status, extra, created_at)
                     VALUES (?1, ?2, ?3, ?4, 'ungraded', ?5, ?6)",
                )
                .map_err(write)?;
            let mut sink = AttemptSink {
                stmt,
                tx: &tx,
                session,
                now: now.clone(),
                inserted: 0,
            };
            let parts = fill(id, &mut sink)?;
            (parts, sink.inserted)
        };
        let (parts, answers) = parts;
        for (i, p) in parts.iter().enumerate() {
            tx.execute(
                "INSERT INTO batch_parts (job_id, part, first_attempt, last_attempt, requests, requests_path, requests_hash, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'local')",
                params![id, i as i64, p.first_attempt, p.last_attempt, p.requests as i64, p.requests_path, p.requests_hash],
            )
            .map_err(write)?;
        }
        tx.execute(
            "UPDATE batch_jobs SET answers = ?2 WHERE id = ?1",
            params![id, answers as i64],
        )
        .map_err(write)?;
        tx.execute(
            "UPDATE sessions SET ended_at = ?2 WHERE id = ?1",
            params![session, now],
        )
        .map_err(write)?;
        tx.commit().map_err(write)?;
        Ok(id)
    }

    /// Adds parts to a job after its first submission (answers sent again,
    /// in a new batch, once the server taught what it refused); the job is
    /// submitting again. `first` is the first new part's number.
    pub fn add_parts(&self, job: i64, first: i64, parts: &[NewPart]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| self.write_error("store the batch", &e))?;
        let write = |e: rusqlite::Error| self.write_error("store the batch", &e);
        for (i, p) in parts.iter().enumerate() {
            tx.execute(
                "INSERT INTO batch_parts (job_id, part, first_attempt, last_attempt, requests, requests_path, requests_hash, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'local')",
                params![job, first + i as i64, p.first_attempt, p.last_attempt, p.requests as i64, p.requests_path, p.requests_hash],
            )
            .map_err(write)?;
        }
        tx.execute(
            "UPDATE batch_jobs SET status = 'submitting', updated_at = ?2 WHERE id = ?1",
            params![job, self.clock.stamp()],
        )
        .map_err(write)?;
        tx.commit().map_err(write)?;
        Ok(())
    }

    /// The job not yet collected for this input and these settings, if any.
    pub fn pending_job(&self, input_hash: &str, settings_key: &str) -> Result<Option<Job>> {
        let id: Option<i64> = self
            .conn()
            .query_row(
                "SELECT id FROM batch_jobs WHERE input_hash = ?1 AND settings_key = ?2 AND status != 'collected'
                 ORDER BY id DESC LIMIT 1",
                params![input_hash, settings_key],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.job(id),
            None => Ok(None),
        }
    }

    pub fn job(&self, id: i64) -> Result<Option<Job>> {
        let conn = self.conn();
        let job = conn
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM batch_jobs WHERE id = ?1"),
                [id],
                read_job,
            )
            .optional()?;
        let Some(mut job) = job else { return Ok(None) };
        let mut stmt = conn.prepare(&format!(
            "SELECT {PART_COLUMNS} FROM batch_parts WHERE job_id = ?1 ORDER BY part"
        ))?;
        job.parts = stmt
            .query_map([id], read_part)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(job))
    }

    /// Every job, newest first, with its parts.
    pub fn jobs(&self) -> Result<Vec<Job>> {
        let ids: Vec<i64> = {
            let conn = self.conn();
            let mut stmt = conn.prepare("SELECT id FROM batch_jobs ORDER BY id DESC")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        ids.into_iter()
            .filter_map(|id| self.job(id).transpose())
            .collect()
    }

    /// Records a part's uploaded file, the moment the server named it.
    pub fn set_input_file(&self, job: i64, part: i64, file_id: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE batch_parts SET input_file_id = ?3, status = 'uploaded' WHERE job_id = ?1 AND part = ?2",
            params![job, part, file_id],
        )?;
        self.touch_job(job)
    }

    /// Records a part's remote batch, the moment the server created it.
    pub fn set_batch(
        &self,
        job: i64,
        part: i64,
        batch_id: &str,
        status: &BatchStatus,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE batch_parts SET batch_id = ?3, status = ?4 WHERE job_id = ?1 AND part = ?2",
            params![job, part, batch_id, status.to_stored()],
        )?;
        self.touch_job(job)
    }

    /// Records what the server last said of a part's batch.
    pub fn update_part(&self, job: i64, p: &Part) -> Result<()> {
        self.conn().execute(
            "UPDATE batch_parts SET status = ?3, completed = ?4, failed = ?5, output_file_id = ?6, error_file_id = ?7, error = ?8
             WHERE job_id = ?1 AND part = ?2",
            params![
                job,
                p.part,
                p.status.to_stored(),
                p.completed as i64,
                p.failed as i64,
                p.output_file_id,
                p.error_file_id,
                p.error
            ],
        )?;
        self.touch_job(job)
    }

    pub fn set_job_status(&self, job: i64, status: JobStatus) -> Result<()> {
        self.conn().execute(
            "UPDATE batch_jobs SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![job, status.as_str(), self.clock.stamp()],
        )?;
        Ok(())
    }

    fn touch_job(&self, job: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE batch_jobs SET updated_at = ?2 WHERE id = ?1",
            params![job, self.clock.stamp()],
        )?;
        Ok(())
    }

    /// Calls `f` with each attempt of a session whose id is in
    /// `first..=last`, in id order (input order), one row at a time: memory
    /// stays flat for a million answers.
    pub fn for_each_attempt(
        &self,
        session: i64,
        first: i64,
        last: i64,
        mut f: impl FnMut(Attempt) -> Result<()>,
    ) -> Result<()> {
        // Read in pages so that `f` may write to the store between rows.
        let mut after = first - 1;
        loop {
            let page: Vec<Attempt> = {
                let conn = self.conn();
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM attempts WHERE session_id = ?1 AND id > ?2 AND id <= ?3 ORDER BY id LIMIT 500"
                ))?;
                let rows = stmt.query_map(params![session, after, last], read)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            let Some(end) = page.last().map(|a| a.id) else {
                return Ok(());
            };
            for a in page {
                f(a)?;
            }
            after = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Clock;

    fn new_job() -> NewJob<'static> {
        NewJob {
            input_path: "/x/answers.jsonl",
            input_hash: "h",
            settings_key: "k",
            model: "m",
            base_url: "http://x/v1",
        }
    }

    fn answer(sink: &mut AttemptSink<'_>) -> i64 {
        sink.insert(&NewAttempt {
            question_id: "q",
            topic: "t",
            answer: "a",
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_job_is_stored_whole_or_not_at_all() {
        let store = Store::in_memory(Clock::system()).unwrap();
        let failed = store.create_job(&new_job(), |_, sink| {
            answer(sink);
            Err(crate::error::Error::failure("the disk filled up"))
        });
        assert!(failed.is_err());
        assert!(store.all_attempts().unwrap().is_empty(), "no answer kept");
        assert!(store.jobs().unwrap().is_empty());
        assert_eq!(store.last_session().unwrap(), None);

        let id = store
            .create_job(&new_job(), |job, sink| {
                let (a, b) = (answer(sink), answer(sink));
                Ok(vec![NewPart {
                    first_attempt: a,
                    last_attempt: b,
                    requests: 2,
                    requests_path: format!("job-{job}-part-0.requests.jsonl"),
                    requests_hash: "x".into(),
                }])
            })
            .unwrap();
        let job = store.pending_job("h", "k").unwrap().unwrap();
        assert_eq!(
            (job.id, job.answers, job.status),
            (id, 2, JobStatus::Submitting)
        );
        assert_eq!(job.parts[0].status, BatchStatus::Local);
        store.set_input_file(id, 0, "file-1").unwrap();
        store
            .set_batch(id, 0, "batch-1", &BatchStatus::Validating)
            .unwrap();
        let part = &store.job(id).unwrap().unwrap().parts[0];
        assert_eq!(
            (part.input_file_id.as_deref(), part.batch_id.as_deref()),
            (Some("file-1"), Some("batch-1"))
        );
        store.set_job_status(id, JobStatus::Collected).unwrap();
        assert!(
            store.pending_job("h", "k").unwrap().is_none(),
            "a collected job is not pending"
        );
        let mut seen = Vec::new();
        store
            .for_each_attempt(job.session_id, part.first_attempt, part.last_attempt, |a| {
                seen.push(a.id);
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, [part.first_attempt, part.last_attempt]);
    }
}
