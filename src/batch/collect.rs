//! Collecting a finished job: its result files downloaded and read line by
//! line, each verdict checked as a live reply is and stored at once; the
//! rest re-asked live or left for `grill regrade`.

use std::collections::HashSet;
use std::io::{BufRead, Read};
use std::path::Path;

use futures::StreamExt;
use serde_json::Value;

use super::claim::Claim;
use super::load::{call_failed, load};
use super::parts::part_file;
use crate::bank::Bank;
use crate::error::{Error, Result};
use crate::grading::{BatchReply, GradeError, Grader, Job as GradeJob, JudgeGrader, NoChecklist};
use crate::provider::batch_api::{self, BatchStatus};
use crate::provider::openai::MAX_REPLY_BYTES;
use crate::store::{Attempt, Job, JobStatus, Part, Status, Store};

/// How collecting went.
#[derive(Debug, Default)]
pub struct Collected {
    pub from_batch: usize,
    pub asked_live: usize,
    pub left: usize,
    /// Answers the server refused for a request field the model does not
    /// take, to send again in a new batch with what it taught; the job
    /// then waits for them.
    pub resend: Vec<i64>,
    /// The fields those refusals named, for the note.
    pub refused_fields: Vec<String>,
}

/// What to do with answers the Batch API refused for a request field the
/// model does not take (`max_tokens`, `temperature`...), once the refusal
/// is learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Send them again as a new batch, still at the batch price.
    Resubmit,
    /// Ask them live, at the full price (`--refused-live`).
    AskLive,
}

/// Stores the verdicts of a finished job: each output line checked as a
/// live reply is; invalid verdicts and requests that failed on their own
/// (a completed batch's error file) re-asked live, `concurrency` at a time;
/// the answers of a failed, expired or cancelled batch that got no verdict
/// left saved, ungraded, for `grill regrade`. Answers already graded (a
/// collect that was killed half way) are not touched, and each answer is
/// graded once whatever the files hold (one answer named on several
/// lines). The claim keeps a second collector of the job waiting; it is handed
/// back, still held, when refused answers are to be sent again.
pub(super) async fn collect(
    store: &Store,
    judge: &std::sync::Arc<JudgeGrader>,
    bank: &Bank,
    claim: Claim,
    concurrency: usize,
    refused: Refused,
    progress: &dyn Fn(u64),
) -> Result<(Collected, Option<Claim>)> {
    let job = load(store, claim.job)?;
    let mut summary = Collected::default();
    if job.status == JobStatus::Collected {
        return Ok((summary, None));
    }
    let mut live: Vec<i64> = Vec::new();
    // The shape the lines were sent with, to tell a refusal of one of its
    // fields (sent again) from any other failure (asked live).
    let sent_shape = judge.judge().shape_now();
    let mut resend: Vec<i64> = Vec::new();
    for part in &job.parts {
        if part.status == BatchStatus::Collected {
            continue;
        }
        let mut seen_live: HashSet<i64> = HashSet::new();
        if let Some(file_id) = &part.output_file_id {
            let path = part_file(store, job.id, part.part, "output");
            download(&job, judge, file_id, &path).await?;
            take_outputs(
                store,
                judge,
                bank,
                &job,
                part,
                &path,
                &mut |outcome, id| match outcome {
                    BatchReply::Graded(_) => {
                        summary.from_batch += 1;
                        progress(1);
                    }
                    BatchReply::Invalid(_) => {
                        if seen_live.insert(id) {
                            live.push(id);
                        }
                    }
                    BatchReply::AlreadyGraded => {}
                },
            )?;
        }
        // What the error file lists, and anything the output did not
        // answer: re-asked live when the batch completed (those requests
        // failed on their own); left for `regrade` when the batch did not.
        let failures = read_errors(
            store,
            judge,
            &job,
            part,
            (&sent_shape, &seen_live),
            &mut resend,
            &mut summary,
        )
        .await?;
        let completed = part.status == BatchStatus::Completed;
        let why = format!(
            "the batch {} {}{}; `grill regrade` grades it live",
            part.batch_id.as_deref().unwrap_or("(never sent)"),
            if part.batch_id.is_some() {
                part.status.to_string()
            } else {
                "was not created".into()
            },
            part.error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
        store.for_each_attempt(job.session_id, part.first_attempt, part.last_attempt, |a| {
            if a.status != Status::Ungraded || seen_live.contains(&a.id) || resend.contains(&a.id) {
                return Ok(());
            }
            if completed {
                live.push(a.id);
            } else {
                let why = match failures.get(&a.id) {
                    Some(message) => format!("{why}: {message}"),
                    None => why.clone(),
                };
                store.record_failure(a.id, &why)?;
                summary.left += 1;
                progress(1);
            }
            Ok(())
        })?;
    }
    // Remember what the refusals taught, for this job's next batch and
    // every later run.
    judge.settle(store);
    if refused == Refused::AskLive {
        live.append(&mut resend);
    }
    summary.asked_live = regrade_live(store, judge, bank, &live, concurrency, progress).await?;
    if !resend.is_empty() {
        summary.resend = resend;
        return Ok((summary, Some(claim)));
    }
    store.set_job_status(job.id, JobStatus::Collected)?;
    for part in &job.parts {
        for kind in ["requests", "output", "errors"] {
            let _ = std::fs::remove_file(part_file(store, job.id, part.part, kind));
        }
    }
    claim.release_collected();
    Ok((summary, None))
}

/// Reads a part's error file: lines refused for a field of the shape they
/// were sent with go to `resend`; the others' messages are returned by
/// attempt, to say why an answer was left.
async fn read_errors(
    store: &Store,
    judge: &JudgeGrader,
    job: &Job,
    part: &Part,
    (sent_shape, seen_live): (&crate::provider::profile::Shape, &HashSet<i64>),
    resend: &mut Vec<i64>,
    summary: &mut Collected,
) -> Result<std::collections::HashMap<i64, String>> {
    let mut failures: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    if let Some(file_id) = &part.error_file_id {
        let path = part_file(store, job.id, part.part, "errors");
        download(job, judge, file_id, &path).await?;
        for_each_line(&path, |line| {
            if let Some(attempt) = refused_line(line, part, sent_shape, judge, summary) {
                if !seen_live.contains(&attempt) && !resend.contains(&attempt) {
                    resend.push(attempt);
                }
                return Ok(());
            }
            if let Some((attempt, message)) = error_line(line, part) {
                // Mask first, then cut: a cut could split the key past the masker.
                failures.insert(
                    attempt,
                    crate::text::cut(&judge.judge().mask_error(&message), 200),
                );
            }
            Ok(())
        })?;
    }
    Ok(failures)
}

/// An error-file line refused for a field of the request shape it was sent
/// with: the refusal is learnt (the judge sends the field differently from
/// now on) and the attempt returned, to be sent again.
fn refused_line(
    line: &[u8],
    part: &Part,
    sent: &crate::provider::profile::Shape,
    judge: &JudgeGrader,
    summary: &mut Collected,
) -> Option<i64> {
    let value: Value = serde_json::from_slice(line).ok()?;
    let attempt: i64 = value.get("custom_id")?.as_str()?.parse().ok()?;
    if attempt < part.first_attempt || attempt > part.last_attempt {
        return None;
    }
    let error = value.pointer("/response/body/error")?;
    let text = |name: &str| error.get(name).and_then(Value::as_str);
    let refusal = crate::provider::profile::Refusal {
        message: text("message").unwrap_or_default(),
        param: text("param"),
        code: text("code"),
    };
    let mut shape = sent.clone();
    if !shape.learn(&refusal) {
        return None;
    }
    judge.judge().learn(&refusal);
    let field = crate::text::sanitize(refusal.param.unwrap_or("a request field"));
    if !summary.refused_fields.contains(&field) {
        summary.refused_fields.push(field);
    }
    Some(attempt)
}

/// Records each verdict of a part's output file; `found` is told what
/// became of each line's answer (graded, to re-ask live, graded already).
fn take_outputs(
    store: &Store,
    judge: &JudgeGrader,
    bank: &Bank,
    job: &Job,
    part: &Part,
    path: &Path,
    found: &mut dyn FnMut(&BatchReply, i64),
) -> Result<()> {
    for_each_line(path, |line| {
        let Some((attempt, body)) = output_line(line, part) else {
            return Ok(());
        };
        let Some(a) = store.attempt(attempt)? else {
            return Ok(());
        };
        if a.session_id != Some(job.session_id) || a.status != Status::Ungraded {
            return Ok(());
        }
        let Some(question) = bank.get(&a.question_id) else {
            return Ok(());
        };
        let reply = body.and_then(|b| batch_api::reply_of(&b).ok());
        let outcome = match reply {
            Some((text, usage)) => judge
                .record_batch_reply(
                    store,
                    GradeJob {
                        attempt_id: a.id,
                        question,
                        answer: &a.answer,
                    },
                    &text,
                    usage,
                )
                .map_err(|e| match e {
                    GradeError::Storage(e) => e,
                    other => Error::failure(other.to_string()),
                })?,
            None => BatchReply::Invalid("the request failed in the batch".into()),
        };
        found(&outcome, a.id);
        Ok(())
    })
}

/// Re-asks answers live, as `grade --batch` does: at most `concurrency` in
/// flight, fewer while the server rate-limits (the same gate). Only those
/// still ungraded, each once (a later line of the file may have graded
/// one); returns how many were asked.
async fn regrade_live(
    store: &Store,
    judge: &std::sync::Arc<JudgeGrader>,
    bank: &Bank,
    ids: &[i64],
    concurrency: usize,
    progress: &dyn Fn(u64),
) -> Result<usize> {
    let grader = Grader::Judge(std::sync::Arc::clone(judge));
    let mut attempts: Vec<Attempt> = Vec::with_capacity(ids.len());
    let mut seen = HashSet::new();
    for &id in ids {
        if !seen.insert(id) {
            continue;
        }
        if let Some(a) = store.attempt(id)?.filter(|a| a.status == Status::Ungraded) {
            attempts.push(a);
        }
    }
    let asked = attempts.len();
    let mut results = futures::stream::iter(attempts.iter())
        .map(|a| {
            let grader = &grader;
            async move {
                let Some(question) = bank.get(&a.question_id) else {
                    let _ = store
                        .record_failure(a.id, &format!("unknown question `{}`", a.question_id));
                    return None;
                };
                let job = GradeJob {
                    attempt_id: a.id,
                    question,
                    answer: &a.answer,
                };
                Some(grader.grade(store, job, &mut NoChecklist).await)
            }
        })
        .buffer_unordered(concurrency.max(1));
    while let Some(result) = results.next().await {
        progress(1);
        if let Some(Err(GradeError::Storage(e))) = result {
            return Err(e);
        }
    }
    Ok(asked)
}

async fn download(job: &Job, judge: &JudgeGrader, file_id: &str, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        super::parts::private_dir(dir)?;
    }
    judge
        .judge()
        .download_file(file_id, path)
        .await
        .map_err(|e| call_failed(job, "download its results", &e))
}

/// One line of an output or error file: the attempt it answers, and the
/// chat completion when the request succeeded. Lines that name no attempt
/// of this part are ignored.
fn output_line(line: &[u8], part: &Part) -> Option<(i64, Option<Value>)> {
    let value: Value = serde_json::from_slice(line).ok()?;
    let attempt: i64 = value.get("custom_id")?.as_str()?.parse().ok()?;
    if attempt < part.first_attempt || attempt > part.last_attempt {
        return None;
    }
    let ok = value
        .pointer("/response/status_code")
        .and_then(Value::as_u64)
        == Some(200);
    let body = ok
        .then(|| value.pointer("/response/body").cloned())
        .flatten();
    Some((attempt, body))
}

/// One line of an error file: the attempt, and what went wrong, in a line.
fn error_line(line: &[u8], part: &Part) -> Option<(i64, String)> {
    let value: Value = serde_json::from_slice(line).ok()?;
    let attempt: i64 = value.get("custom_id")?.as_str()?.parse().ok()?;
    if attempt < part.first_attempt || attempt > part.last_attempt {
        return None;
    }
    let message = value
        .pointer("/error/message")
        .or_else(|| value.pointer("/response/body/error/message"))
        .and_then(Value::as_str)
        .unwrap_or("the request failed");
    let code = value
        .pointer("/error/code")
        .and_then(Value::as_str)
        .map(|c| format!("{c}: "))
        .unwrap_or_default();
    Some((attempt, crate::text::sanitize(&format!("{code}{message}"))))
}

/// Calls `f` with each line of a file, read within the reply cap: a longer
/// line is passed on cut (so it fails to parse) and memory stays flat. A
/// UTF-8 byte order mark at the start is dropped and CRLF line ends read as
/// LF ones (JSON counts the CR as white space), as for input files: either
/// would otherwise cost a line its batch grade and pay for it again live.
fn for_each_line(path: &Path, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "read results file", &e))?;
    let mut reader = std::io::BufReader::new(file);
    let cap = (MAX_REPLY_BYTES + (64 << 10)) as u64;
    let mut buf = Vec::new();
    let mut first = true;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(cap)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, "read results file", &e))?;
        if n == 0 {
            return Ok(());
        }
        if buf.last() != Some(&b'\n') && n as u64 == cap {
            // Skip the rest of an over-long line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let m = (&mut reader)
                    .take(cap)
                    .read_until(b'\n', &mut rest)
                    .map_err(|e| Error::io(path, "read results file", &e))?;
                if m == 0 || rest.last() == Some(&b'\n') {
                    break;
                }
            }
        }
        let line = match buf.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if first => rest,
            _ => &buf[..],
        };
        first = false;
        if !line.iter().all(u8::is_ascii_whitespace) {
            f(line)?;
        }
    }
}
