//! Grading through the OpenAI Batch API: a job's requests files, split at
//! the API's limits; submitting them (resumable); following the remote
//! batches; collecting their verdicts, checked as live ones are, with the
//! invalid and failed ones re-asked live; and the results, one JSON line
//! per answer in input order, as `grade --batch` prints them live.
//!
//! The answers are attempts of the job's session, stored before anything
//! is sent; a verdict is written on its attempt the moment it is checked.
//! So a job can be killed at any point and run again: what is stored is
//! never asked twice, and what is not is asked.

mod claim;
mod collect;
mod load;
mod parts;
mod sending;
mod wait;

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use claim::{claim, Claim};
pub use collect::{Collected, Refused};
use load::call_failed;
pub use load::load;
pub use parts::{files_dir, poll_interval, Limits, PartWriter, MAX_BYTES, MAX_REQUESTS};
pub use sending::{lock_sending, Sending};
pub use wait::Waiter;

use crate::bank::Bank;
use crate::error::{Error, Result};
use crate::grading::JudgeGrader;
use crate::provider::batch_api::{BatchStatus, RemoteBatch};
use crate::report::json::{Answer, Graded, NotGraded, ResultLine};
use crate::store::{Attempt, Job, JobStatus, Part, Status, Store};

/// Sends what is not yet sent of a job: each part's file, then its batch.
/// Only under the sending lock (`lock_sending`), so that two runs never
/// both send a part: the job is read after the lock is taken, and a part
/// another run sent meanwhile has its batch id.
///
/// Every remote id is stored the moment the server gives it, so a kill -9
/// can only fall between a call and its write:
/// - after an upload, before its file id is stored: the file is uploaded
///   again on the next run. The first upload is an orphan on the server
///   (batch files expire after 30 days) and costs nothing to grade.
/// - after a batch is created, before its id is stored: the next run does
///   not create another. It first looks for a batch made from the part's
///   input file (whose id was stored before the batch was asked for) and
///   adopts it, so no answer is ever paid for twice.
pub async fn submit(
    store: &Store,
    judge: &JudgeGrader,
    job_id: i64,
    _sending: &Sending,
) -> Result<Job> {
    let job = load(store, job_id)?;
    let api = judge.judge();
    for part in &job.parts {
        if part.batch_id.is_some() {
            continue;
        }
        let input_file_id = match &part.input_file_id {
            Some(id) => {
                if let Some(found) = api
                    .find_batch_for_file(id, 20)
                    .await
                    .map_err(|e| call_failed(&job, "look for its batch", &e))?
                {
                    store.set_batch(job.id, part.part, &found.id, &found.status)?;
                    continue;
                }
                id.clone()
            }
            None => {
                let path = Path::new(&part.requests_path);
                check_requests_file(path, &part.requests_hash)?;
                let id = api
                    .upload_batch_file(path)
                    .await
                    .map_err(|e| call_failed(&job, "upload its requests", &e))?;
                store.set_input_file(job.id, part.part, &id)?;
                id
            }
        };
        let metadata = json!({"grill_job": job.id.to_string(), "part": part.part.to_string()});
        let batch = create_once(&job, judge, &input_file_id, &metadata).await?;
        store.set_batch(job.id, part.part, &batch.id, &batch.status)?;
    }
    store.set_job_status(job.id, JobStatus::Submitted)?;
    load(store, job_id)
}

/// Stores the verdicts of a finished job (see `collect::collect`); answers
/// refused for a request field the model does not take are sent again as a
/// new batch of the same job, in the shape the refusals taught, unless
/// `refused` says to ask them live.
pub async fn collect(
    store: &Store,
    judge: &std::sync::Arc<JudgeGrader>,
    bank: &Bank,
    claim: Claim,
    concurrency: usize,
    refused: Refused,
    progress: &dyn Fn(u64),
) -> Result<Collected> {
    let job_id = claim.job;
    let (summary, held) =
        collect::collect(store, judge, bank, claim, concurrency, refused, progress).await?;
    if let Some(_claim) = held {
        // Sent again while the job is still claimed: no other collector
        // reads the job between its old parts and the new one.
        let job = load(store, job_id)?;
        resubmit(store, judge, bank, &job, &summary.resend).await?;
    }
    Ok(summary)
}

/// Sends `ids` again as a new part of the job, their requests in the shape
/// the server taught; every part read so far is marked collected, so the
/// next collect reads only the new one.
async fn resubmit(
    store: &Store,
    judge: &JudgeGrader,
    bank: &Bank,
    job: &Job,
    ids: &[i64],
) -> Result<()> {
    let first = job.parts.iter().map(|p| p.part).max().map_or(0, |m| m + 1);
    let mut writer = PartWriter::from_part(store, job.id, Limits::from_env(), first)?;
    for &id in ids {
        let Some(a) = store.attempt(id)? else {
            continue;
        };
        let Some(question) = bank.get(&a.question_id) else {
            continue;
        };
        writer.add(a.id, &judge.batch_request(question, &a.answer))?;
    }
    let parts = writer.finish()?;
    for part in &job.parts {
        store.update_part(
            job.id,
            &Part {
                status: BatchStatus::Collected,
                ..part.clone()
            },
        )?;
    }
    store.add_parts(job.id, first, &parts)?;
    // Under the sending lock, as every submission: another collect of the
    // same job waits, then finds the new part sent.
    let sending = lock_sending(store, &|| {})?;
    submit(store, judge, job.id, &sending).await?;
    Ok(())
}

/// Creates a part's batch, at most once: each try after a failure first
/// looks for a batch the failed try may have made (a lost reply), and
/// adopts it instead of making another.
async fn create_once(
    job: &Job,
    judge: &JudgeGrader,
    input_file_id: &str,
    metadata: &Value,
) -> Result<RemoteBatch> {
    const TRIES: u32 = 4;
    let api = judge.judge();
    let mut tries = 0;
    loop {
        tries += 1;
        match api.create_batch(input_file_id, metadata.clone()).await {
            Ok(batch) => return Ok(batch),
            Err((err, again)) => {
                let found = api
                    .find_batch_for_file(input_file_id, 20)
                    .await
                    .map_err(|e| call_failed(job, "look for its batch", &e))?;
                if let Some(batch) = found {
                    return Ok(batch);
                }
                if !again || tries >= TRIES {
                    return Err(call_failed(job, "create its batch", &err));
                }
                tokio::time::sleep(std::time::Duration::from_millis(500 << tries)).await;
            }
        }
    }
}

/// A requests file is sent only as it was written when its answers were stored.
fn check_requests_file(path: &Path, hash: &str) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::io(path, "read requests file", &e)
            .with_hint("the answers are saved: `grill regrade` grades them live")
    })?;
    let mut reader = std::io::BufReader::new(file);
    let mut h = Sha256::new();
    std::io::copy(&mut reader, &mut h).map_err(|e| Error::io(path, "read requests file", &e))?;
    if crate::text::hex(&h.finalize()) != hash {
        return Err(Error::failure(format!(
            "the requests file `{}` changed since it was written; it was not sent",
            path.display()
        ))
        .with_hint("the answers are saved: `grill regrade` grades them live"));
    }
    Ok(())
}

/// Grades, from the verdict cache, the job's answers it holds: they were
/// left out of the requests files. Run before every submission, so a run
/// killed before it finished them finishes them next time.
pub async fn grade_cached(
    store: &Store,
    judge: &std::sync::Arc<JudgeGrader>,
    bank: &Bank,
    job_id: i64,
) -> Result<()> {
    let job = load(store, job_id)?;
    let mut cached = Vec::new();
    store.for_each_attempt(job.session_id, i64::MIN + 1, i64::MAX, |a| {
        if a.status == Status::Ungraded {
            if let Some(q) = bank.get(&a.question_id) {
                let key = judge.cache_key_for(q, &a.answer);
                if store.cached_verdict(&key)?.is_some() {
                    cached.push(a.id);
                }
            }
        }
        Ok(())
    })?;
    let grader = crate::grading::Grader::Judge(std::sync::Arc::clone(judge));
    for id in cached {
        let Some(a) = store.attempt(id)? else {
            continue;
        };
        let Some(question) = bank.get(&a.question_id) else {
            continue;
        };
        let job = crate::grading::Job {
            attempt_id: a.id,
            question,
            answer: &a.answer,
        };
        if let Err(crate::grading::GradeError::Storage(e)) = grader
            .grade(store, job, &mut crate::grading::NoChecklist)
            .await
        {
            return Err(e);
        }
    }
    Ok(())
}

/// Asks the server where each unfinished part stands, and stores it.
pub async fn refresh(store: &Store, judge: &JudgeGrader, job_id: i64) -> Result<Job> {
    Ok(poll(store, judge, job_id).await?.0)
}

/// `refresh`, with the latest `expires_at` the unfinished batches named.
pub async fn poll(store: &Store, judge: &JudgeGrader, job_id: i64) -> Result<(Job, Option<i64>)> {
    let job = load(store, job_id)?;
    if job.status == JobStatus::Collected {
        return Ok((job, None));
    }
    let mut expires_at: Option<i64> = None;
    for part in &job.parts {
        let Some(batch_id) = &part.batch_id else {
            continue;
        };
        if part.status.is_terminal() {
            continue;
        }
        let remote = judge
            .judge()
            .retrieve_batch(batch_id)
            .await
            .map_err(|e| call_failed(&job, "read its batch", &e))?;
        if !remote.is_done() {
            expires_at = expires_at.max(remote.expires_at);
        }
        store.update_part(job.id, &with_remote(part, &remote))?;
    }
    Ok((load(store, job_id)?, expires_at))
}

fn with_remote(part: &Part, remote: &RemoteBatch) -> Part {
    Part {
        status: remote.status.clone(),
        completed: remote.completed,
        failed: remote.failed,
        output_file_id: remote.output_file_id.clone(),
        error_file_id: remote.error_file_id.clone(),
        error: remote.errors.clone(),
        ..part.clone()
    }
}

/// Cancels every part still running; returns the job as the server left it.
pub async fn cancel(store: &Store, judge: &JudgeGrader, job_id: i64) -> Result<Job> {
    let job = refresh(store, judge, job_id).await?;
    for part in &job.parts {
        let Some(batch_id) = &part.batch_id else {
            continue;
        };
        if part.status.is_terminal() {
            continue;
        }
        let remote = judge
            .judge()
            .cancel_batch(batch_id)
            .await
            .map_err(|e| call_failed(&job, "cancel its batch", &e))?;
        store.update_part(job.id, &with_remote(part, &remote))?;
    }
    if job.status == JobStatus::Submitting {
        // Parts never sent will not be: the job is as done as it gets.
        store.set_job_status(job.id, JobStatus::Submitted)?;
    }
    load(store, job_id)
}

/// The job's status in one word: grill's own until every part is a batch,
/// then the least advanced of its batches' (`unknown` for a status the
/// Batch API does not document).
pub fn state(job: &Job) -> &'static str {
    match least_advanced(job) {
        State::Grill(word) => word,
        State::Batch(status) => status.as_str(),
    }
}

/// `state`, with the server's text of an unknown status on the same line:
/// for messages, where the word alone would hide what the server said.
pub fn state_said(job: &Job) -> String {
    match least_advanced(job) {
        State::Grill(word) => word.to_string(),
        State::Batch(status) => status.to_string(),
    }
}

/// Where a job stands: in grill's words, or its least advanced batch's.
enum State<'a> {
    Grill(&'static str),
    Batch(&'a BatchStatus),
}

fn least_advanced(job: &Job) -> State<'_> {
    match job.status {
        JobStatus::Collected => return State::Grill("collected"),
        JobStatus::Submitting if job.parts.iter().any(|p| p.batch_id.is_none()) => {
            return State::Grill("submitting")
        }
        _ => {}
    }
    let least = job
        .parts
        .iter()
        .filter(|p| p.batch_id.is_some())
        .map(|p| &p.status)
        .min_by_key(|s| s.rank());
    match least {
        Some(status) => State::Batch(status),
        None if job.parts.is_empty() => State::Grill("completed"),
        None => State::Grill("cancelled"),
    }
}

/// Whether every part is finished on the server (or was never sent).
pub fn finished(job: &Job) -> bool {
    job.status != JobStatus::Submitting
        && job
            .parts
            .iter()
            .all(|p| p.batch_id.is_none() || p.status.is_terminal())
}

/// Answers the server has finished, of the job's total.
pub fn done_count(job: &Job) -> u64 {
    job.parts.iter().map(|p| p.completed + p.failed).sum()
}

/// The result line of one answer, as the live `grade --batch` prints it.
pub fn result_line(a: &Attempt) -> ResultLine<'_> {
    let answer = match (&a.status, &a.verdict, &a.graded_by) {
        (Status::Graded, Some(verdict), Some(by)) => {
            Answer::Graded(Graded::new(&a.question_id, by, verdict))
        }
        _ => Answer::NotGraded(NotGraded::error(
            &a.question_id,
            a.error.as_deref().unwrap_or("not graded yet"),
        )),
    };
    let line = ResultLine::new(answer, a.id);
    match &a.extra {
        Some(extra) => line.with_input(extra.line, &extra.carried),
        None => line,
    }
}

/// Writes a job's results, one JSON line per answer in input order;
/// returns how many are graded and how many are not.
pub fn write_results<W: Write>(store: &Store, job: &Job, out: &mut W) -> Result<(usize, usize)> {
    let (mut graded, mut not) = (0, 0);
    // Every answer of the job's session, the cached ones between the others.
    store.for_each_attempt(job.session_id, i64::MIN + 1, i64::MAX, |a| {
        if a.status == Status::Graded {
            graded += 1;
        } else {
            not += 1;
        }
        crate::ui::render::json_line(out, &result_line(&a))?;
        Ok(())
    })?;
    Ok((graded, not))
}
