//! `grade --batch FILE --via batch-api`: the answers stored, their judge
//! requests written and sent to the Batch API as one job (several batches
//! when the file is over the API's limits). Returns with the job's number,
//! or with `--wait` follows it to the end and prints the results like the
//! live batch. The same command on the same file finds the job not yet
//! collected instead of sending the answers twice.

use std::io::{BufRead, BufReader};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::batch::parse_line;
use crate::batch::{self, Limits, PartWriter};
use crate::cli::GradeArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::{Extra, NewAttempt, NewJob};
use crate::text::plural;
use crate::ui::render;

/// The line a sent job prints: its number and its remote batches' ids.
#[derive(serde::Serialize)]
struct Sent<'a> {
    job: i64,
    status: &'static str,
    answers: u64,
    batches: Vec<&'a str>,
}

pub fn run(ctx: &Context, path: &Path, args: &GradeArgs) -> Result<()> {
    if ctx.settings.offline {
        return Err(Error::input(
            "--via batch-api sends the answers to the judge; it cannot be used with --offline",
        ));
    }
    if args.samples > 1 {
        return Err(Error::input(
            "--samples cannot be used with --via batch-api: a batch asks one verdict per answer",
        ));
    }
    ctx.bank()?;
    let judge = ctx.judge().map_err(|e| {
        e.with_hint("nothing was saved or sent; set the judge up, then run the same command")
    })?;
    let store = ctx.store()?;
    let shown = path.display().to_string();
    let hash = hash_file(path)?;
    let key = judge.settings_key();
    // Under the lock from finding (or making) the job to the end of its
    // sending: a run started beside this one resumes the same job, sent.
    let sending = crate::commands::jobs::lock_sending(ctx, &format!("`{shown}`"))?;
    let (job_id, bad) = match store.pending_job(&hash, &key)? {
        Some(job) => {
            render::note(&format!(
                "`{shown}` is already job {} ({} answers, started {}); resuming it instead of sending it again",
                job.id, job.answers, job.created_at
            ));
            (job.id, 0)
        }
        None => prepare(ctx, path, &shown, &hash, &key)?,
    };
    let runtime = ctx.runtime()?;
    runtime.block_on(batch::grade_cached(store, judge, ctx.bank()?, job_id))?;
    let job = runtime.block_on(batch::submit(store, judge, job_id, &sending))?;
    drop(sending);
    if args.wait {
        crate::commands::jobs::wait_and_collect(
            ctx,
            job.id,
            args.concurrency,
            crate::batch::Refused::Resubmit,
        )?;
    } else {
        let sent = Sent {
            job: job.id,
            status: batch::state(&job),
            answers: job.answers,
            batches: job
                .parts
                .iter()
                .filter_map(|p| p.batch_id.as_deref())
                .collect(),
        };
        render::json_line(&mut render::stdout(), &sent)?;
        render::note(&format!(
            "job {} sent: {} in {}; `grill jobs wait {}` waits for it and prints the results",
            job.id,
            plural(job.answers as usize, "answer", "answers"),
            plural(job.parts.len(), "batch", "batches"),
            job.id
        ));
    }
    if bad > 0 {
        return Err(Error::input(format!(
            "{} of `{shown}` could not be graded and {} skipped",
            plural(bad, "line", "lines"),
            if bad == 1 { "was" } else { "were" }
        )));
    }
    Ok(())
}

/// The file's SHA-256, read in pieces.
fn hash_file(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "read batch file", &e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut BufReader::new(file), &mut h)
        .map_err(|e| Error::io(path, "read batch file", &e))?;
    Ok(crate::text::hex(&h.finalize()))
}

/// Streams the file: stores each answer and writes its request, in one
/// transaction with the job and its parts. Returns the job and the number
/// of lines skipped (each said as it is met).
fn prepare(ctx: &Context, path: &Path, shown: &str, hash: &str, key: &str) -> Result<(i64, usize)> {
    let bank = ctx.bank()?;
    let judge = ctx.judge()?;
    let store = ctx.store()?;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "read batch file", &e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut bad = 0;
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let new = NewJob {
        input_path: &absolute.display().to_string(),
        input_hash: hash,
        settings_key: key,
        model: judge.model(),
        base_url: &ctx.settings.base_url_shown(),
    };
    let job = store.create_job(&new, |job_id, sink| {
        let mut writer = PartWriter::new(store, job_id, Limits::from_env())?;
        let mut line = Vec::new();
        let mut n = 0;
        let mut answers = 0;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(path, "read batch file", &e))?;
            if read == 0 {
                break;
            }
            n += 1;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            let item = match parse_line(&line, n, shown, bank) {
                Ok(Some(item)) => item,
                Ok(None) => continue,
                Err(message) => {
                    render::note(&message);
                    bad += 1;
                    continue;
                }
            };
            let question = bank.get(&item.question_id).expect("checked while parsing");
            let id = sink
                .insert(&NewAttempt {
                    question_id: &question.id,
                    topic: &question.topic,
                    answer: &item.answer,
                    extra: Some(Extra::from_input(item.line, &item.extra)),
                    ..NewAttempt::default()
                })
                .map_err(|e| store.write_error("store the answers", &e))?;
            // An answer the verdict cache holds costs nothing: no request
            // (`batch::grade_cached` grades it from the cache).
            let cached = sink
                .is_cached(&judge.cache_key_for(question, &item.answer))
                .map_err(|e| store.write_error("store the answers", &e))?;
            if !cached {
                writer.add(id, &judge.batch_request(question, &item.answer))?;
            }
            answers += 1;
        }
        let parts = writer.finish()?;
        if answers == 0 {
            return Err(Error::input(format!(
                "`{shown}` has no answer that could be graded; nothing was sent"
            )));
        }
        Ok(parts)
    })?;
    Ok((job, bad))
}
