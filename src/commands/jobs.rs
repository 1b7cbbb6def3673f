//! `grill jobs`: the Batch API jobs as last seen (no network), and `wait`,
//! `collect`, `cancel` for one of them, which ask the server.

use std::io::Write;

use serde::Serialize;

use crate::batch;
use crate::cli::{JobsArgs, JobsCommand};
use crate::context::{Context, Plan};
use crate::error::{Error, Result};
use crate::store::Job;
use crate::style::DIM;
use crate::text::plural;
use crate::ui::render;

pub fn run(ctx: &Context, args: &JobsArgs) -> Result<()> {
    match &args.command {
        None => list(ctx, args.json),
        Some(JobsCommand::Wait(a)) => {
            plan_live(ctx, a.concurrency);
            wait_and_collect(ctx, a.id, a.concurrency, refused(a))
        }
        Some(JobsCommand::Collect(a)) => {
            plan_live(ctx, a.concurrency);
            collect_and_print(ctx, a.id, a.concurrency, refused(a)).map(|_| ())
        }
        Some(JobsCommand::Cancel(a)) => cancel(ctx, a.id),
    }
}

/// One job as `grill jobs --json` lists it.
#[derive(Serialize)]
struct JobRow<'a> {
    job: i64,
    status: &'static str,
    answers: u64,
    done: u64,
    input: &'a str,
    input_sha256: &'a str,
    model: &'a str,
    base_url: &'a str,
    session_id: i64,
    created_at: &'a str,
    updated_at: &'a str,
    batches: Vec<BatchRow<'a>>,
}

/// One remote batch of a job.
#[derive(Serialize)]
struct BatchRow<'a> {
    batch_id: Option<&'a str>,
    input_file_id: Option<&'a str>,
    status: &'static str,
    /// The server's text of a status grill does not know, on one line.
    server_status: Option<&'a str>,
    requests: u64,
    completed: u64,
    failed: u64,
    error: Option<&'a str>,
}

fn job_row(job: &Job) -> JobRow<'_> {
    JobRow {
        job: job.id,
        status: batch::state(job),
        answers: job.answers,
        done: batch::done_count(job),
        input: &job.input_path,
        input_sha256: &job.input_hash,
        model: &job.model,
        base_url: &job.base_url,
        session_id: job.session_id,
        created_at: &job.created_at,
        updated_at: &job.updated_at,
        batches: job
            .parts
            .iter()
            .map(|p| BatchRow {
                batch_id: p.batch_id.as_deref(),
                input_file_id: p.input_file_id.as_deref(),
                status: p.status.as_str(),
                server_status: p.status.raw(),
                requests: p.requests,
                completed: p.completed,
                failed: p.failed,
                error: p.error.as_deref(),
            })
            .collect(),
    }
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let jobs = ctx.store()?.jobs()?;
    let mut out = render::stdout();
    if json {
        let rows: Vec<JobRow> = jobs.iter().map(job_row).collect();
        drop(out);
        return Ok(render::json(&rows)?);
    }
    if jobs.is_empty() {
        let says = "No Batch API jobs yet. `grill grade --batch FILE --via batch-api` sends one.";
        write!(out, "{}", render::wrap(says, ""))?;
        return Ok(());
    }
    writeln!(
        out,
        "{DIM}{:>4}  {:<11}  {:>13}  {:>7}  {:<20}  file{DIM:#}",
        "job", "status", "done", "batches", "created"
    )?;
    for job in &jobs {
        writeln!(
            out,
            "{:>4}  {:<11}  {:>13}  {:>7}  {:<20}  {}",
            job.id,
            batch::state(job),
            format!("{}/{}", batch::done_count(job), job.answers),
            job.parts.len(),
            job.created_at.get(..19).unwrap_or(&job.created_at),
            job.input_path
        )?;
    }
    for job in &jobs {
        for part in &job.parts {
            if let Some(raw) = part.status.raw() {
                writeln!(
                    out,
                    "{DIM}job {}: a batch's status is unknown to grill; the server said \"{raw}\"{DIM:#}",
                    job.id
                )?;
            }
        }
    }
    writeln!(
        out,
        "{DIM}As last seen; `grill jobs wait ID` asks the server and collects.{DIM:#}"
    )?;
    Ok(())
}

/// The job, checked against the judge now set up: its batches live on the
/// server they were sent to, and live re-asks use its model.
fn job_for_judge(ctx: &Context, id: i64) -> Result<Job> {
    let job = batch::load(ctx.store()?, id)?;
    let base_url = ctx.settings.base_url_shown();
    if job.base_url != base_url || job.model != ctx.settings.model.value {
        return Err(Error::input(format!(
            "job {id} was sent to `{}` with model `{}`; the judge is set to `{base_url}` with `{}`",
            job.base_url, job.model, ctx.settings.model.value
        ))
        .with_hint("set OPENAI_BASE_URL and GRILL_MODEL (or --base-url, --model) as they were"));
    }
    Ok(job)
}

/// The sending lock, saying so while another grill holds it.
pub fn lock_sending(ctx: &Context, what: &str) -> Result<batch::Sending> {
    batch::lock_sending(ctx.store()?, &|| {
        render::note(&format!(
            "another grill is sending a Batch API job; waiting for it before sending {what}"
        ));
    })
}

/// Waits until every batch of the job is finished, a bar fed by the
/// batches' request counts, then collects it.
fn refused(args: &crate::cli::JobArgs) -> batch::Refused {
    if args.refused_live {
        batch::Refused::AskLive
    } else {
        batch::Refused::Resubmit
    }
}

/// Waits until every batch of the job is finished, then collects it; when
/// the collect sent refused answers again as a new batch, waits for that.
pub fn wait_and_collect(
    ctx: &Context,
    id: i64,
    concurrency: usize,
    refused: batch::Refused,
) -> Result<()> {
    loop {
        wait(ctx, id)?;
        if !collect_and_print(ctx, id, concurrency, refused)? {
            return Ok(());
        }
    }
}

fn wait(ctx: &Context, id: i64) -> Result<()> {
    let job = job_for_judge(ctx, id)?;
    if job.status != crate::store::JobStatus::Collected {
        let store = ctx.store()?;
        let judge = ctx.judge()?;
        let runtime = ctx.runtime()?;
        let bar = ctx.activity.bar(
            job.answers,
            "{bar:30} {pos}/{len} answered by the Batch API {msg}",
        );
        if job.status == crate::store::JobStatus::Submitting {
            let sending = lock_sending(ctx, &format!("job {id}"))?;
            runtime.block_on(batch::submit(store, judge, id, &sending))?;
        }
        let mut waiter = batch::Waiter::new(store.clock(), batch::poll_interval());
        loop {
            let (job, expires_at) = runtime.block_on(batch::poll(store, judge, id))?;
            let requests = job.parts.iter().map(|p| p.requests).sum();
            bar.set(batch::done_count(&job), requests);
            if batch::finished(&job) {
                break;
            }
            waiter.check(&job, expires_at)?;
            std::thread::sleep(waiter.pause());
        }
    }
    Ok(())
}

/// Collects a finished job and prints its results in input order; returns
/// whether refused answers were sent again instead (nothing printed yet:
/// the job waits for their batch).
pub fn collect_and_print(
    ctx: &Context,
    id: i64,
    concurrency: usize,
    refused: batch::Refused,
) -> Result<bool> {
    let job = job_for_judge(ctx, id)?;
    let store = ctx.store()?;
    let summary = if job.status == crate::store::JobStatus::Collected {
        batch::Collected::default()
    } else {
        // One collector at a time: a second waits, then finds the job
        // collected (or resumes what the first left, if it died).
        let claim = batch::claim(store, id, &|| {
            render::note(&format!(
                "job {id} is being collected by another grill; waiting for it to finish"
            ));
        })?;
        let judge = ctx.judge()?;
        let bank = ctx.bank()?;
        let runtime = ctx.runtime()?;
        let job = runtime.block_on(batch::refresh(store, judge, id))?;
        if !batch::finished(&job) {
            return Err(Error::failure(format!(
                "job {id} is still {} ({} of {} answered)",
                batch::state_said(&job),
                batch::done_count(&job),
                job.answers
            ))
            .with_hint(format!(
                "`grill jobs wait {id}` waits for it, then collects"
            )));
        }
        let bar = ctx
            .activity
            .bar(job.answers, "{bar:30} {pos}/{len} collected {msg}");
        let summary = runtime.block_on(batch::collect(
            store,
            judge,
            bank,
            claim,
            concurrency,
            refused,
            &|n| {
                bar.inc(n);
            },
        ))?;
        drop(bar);
        summary
    };
    if !summary.resend.is_empty() {
        render::note(&format!(
            "job {id}: {} graded from the batch, {} asked live; {} refused for `{}`, which this model does not take: learnt, and sent again as a new batch (still at the batch price; `--refused-live` asks them live instead)",
            plural(summary.from_batch, "answer", "answers"),
            summary.asked_live,
            summary.resend.len(),
            summary.refused_fields.join("`, `")
        ));
        return Ok(true);
    }
    let job = batch::load(store, id)?;
    let (graded, not) = batch::write_results(store, &job, &mut render::stdout())?;
    if summary.from_batch + summary.asked_live + summary.left > 0 {
        render::note(&format!(
            "job {id}: {} graded from the batch, {} asked live{}",
            plural(summary.from_batch, "answer", "answers"),
            summary.asked_live,
            if summary.left > 0 {
                format!(", {} left for `grill regrade`", summary.left)
            } else {
                String::new()
            }
        ));
    }
    if not > 0 {
        return Err(Error::failure(format!(
            "{not} of {} answers could not be graded",
            graded + not
        ))
        .with_hint("they are saved; `grill regrade` grades them live"));
    }
    Ok(false)
}

fn cancel(ctx: &Context, id: i64) -> Result<()> {
    let job = job_for_judge(ctx, id)?;
    let store = ctx.store()?;
    if job.status == crate::store::JobStatus::Collected || batch::finished(&job) {
        writeln!(
            render::stdout(),
            "job {id}: {} ({} of {} answered); nothing to cancel",
            batch::state_said(&job),
            batch::done_count(&job),
            job.answers
        )?;
        if job.status != crate::store::JobStatus::Collected {
            render::note(&format!("`grill jobs collect {id}` collects it"));
        }
        return Ok(());
    }
    let judge = ctx.judge()?;
    let job = ctx.runtime()?.block_on(batch::cancel(store, judge, id))?;
    writeln!(
        render::stdout(),
        "job {id}: {} ({} of {} answered)",
        batch::state_said(&job),
        batch::done_count(&job),
        job.answers
    )?;
    render::note(&format!(
        "`grill jobs collect {id}` once it is cancelled keeps what finished; the rest stays saved for `grill regrade`"
    ));
    Ok(())
}

/// Answers re-asked live while collecting go `concurrency` at a time: the
/// judge is planned so before it is built (an unconfigured judge is said
/// later, where it is needed).
fn plan_live(ctx: &Context, concurrency: usize) {
    let _ = ctx.grader(Plan {
        concurrency: Some(concurrency),
        ..Plan::default()
    });
}
