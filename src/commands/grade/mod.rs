//! `grill grade`: one answer from a file or standard input, or (`batch`) a
//! batch of them from JSONL, graded without a session. Every answer is
//! stored before the first request goes out; `--offline` gives the keyword
//! estimate.

mod batch;
mod batch_api;
pub mod spoken;
pub mod tally;

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use crate::cli::GradeArgs;
use crate::context::{Context, Offline, Plan};
use crate::error::{Error, Result};
use crate::grading::{GradeError, Grader, Job, NoChecklist, Outcome, NO_ESTIMATE};
use crate::report;
use crate::report::json::{Answer, Graded, NotGraded, ResultLine};
use crate::store::{GradedBy, NewAttempt};
use crate::style::DIM;
use crate::ui::render;
use tally::check_answer;

pub fn run(ctx: &Context, args: &GradeArgs) -> Result<()> {
    if let Some(file) = &args.batch {
        return run_batch(ctx, file, args);
    }
    refuse_batch_flags(args)?;
    grade_one(ctx, args)
}

/// `--question ID`: one answer, graded live (or estimated offline).
fn grade_one(ctx: &Context, args: &GradeArgs) -> Result<()> {
    let question = ctx
        .bank()?
        .require(args.question.as_deref().unwrap_or_default())?;
    let (answer, spoken) = answer_of(ctx, args, question)?;
    let store = ctx.store()?;
    let attempt_id = store.insert_attempt(&NewAttempt {
        question_id: &question.id,
        topic: &question.topic,
        answer: &answer,
        ..NewAttempt::default()
    })?;
    if let Some(s) = &spoken {
        spoken::keep(store, attempt_id, s)?;
    }
    let saved =
        format!("your answer is saved (attempt {attempt_id}); `grill regrade` grades it later");
    let plan = Plan {
        samples: usize::from(args.samples),
        concurrency: None,
        offline: Offline::Estimate,
    };
    let grader = match ctx.grading(plan) {
        Ok(grader) => grader,
        Err(e) => {
            failed_json(args.json, &e.message, attempt_id)?;
            return Err(e
                .with_hint(saved)
                .with_hint("`--offline` gives a keyword estimate now"));
        }
    };
    let job = Job {
        attempt_id,
        question,
        answer: &answer,
    };
    // Key points as they come, on a terminal; `--json` and a pipe get only the result.
    let spinner = match &grader {
        Grader::Judge(j) if !args.json => Some(ctx.activity.grading(
            &format!("grading with {}…", j.model()),
            question,
            false,
        )),
        Grader::Judge(j) => Some(
            ctx.activity
                .spinner(&format!("grading with {}…", j.model())),
        ),
        _ => None,
    };
    let result = ctx
        .runtime()?
        .block_on(grader.grade(store, job, &mut NoChecklist));
    drop(spinner);
    match result {
        Ok(Outcome::Graded(verdict, by)) => {
            print_graded(args, question, attempt_id, &by, &verdict, spoken.as_ref())
        }
        Ok(Outcome::NoEstimate) => {
            if args.json {
                let note = Answer::NotGraded(NotGraded::note(&question.id, NO_ESTIMATE));
                spoken::print_json(ResultLine::new(note, attempt_id), spoken.as_ref())?;
            } else {
                let mut out = render::stdout();
                writeln!(out, "{}", render::wrap(NO_ESTIMATE, "").trim_end())?;
                writeln!(
                    out,
                    "{DIM}Your answer is saved (attempt {attempt_id}).{DIM:#}"
                )?;
                if let Some(s) = &spoken {
                    spoken::show(&mut out, s)?;
                }
            }
            Ok(())
        }
        Ok(Outcome::Abandoned) => {
            failed_json(args.json, "grading was abandoned", attempt_id)?;
            Err(Error::failure("grading was abandoned").with_hint(saved))
        }
        Err(GradeError::Storage(err)) => {
            failed_json(args.json, &err.message, attempt_id)?;
            Err(err.with_hint(saved))
        }
        Err(err) => {
            let message = format!("grading failed: {err}");
            failed_json(args.json, &message, attempt_id)?;
            Err(Error::failure(message).with_hint(saved))
        }
    }
}

/// A graded answer as text or JSON, with how it was delivered if spoken.
fn print_graded(
    args: &GradeArgs,
    question: &crate::bank::Question,
    attempt_id: i64,
    by: &GradedBy,
    verdict: &crate::verdict::Verdict,
    spoken: Option<&spoken::Spoken>,
) -> Result<()> {
    let mut out = render::stdout();
    if args.json {
        let graded = Answer::Graded(Graded::new(&question.id, by, verdict));
        spoken::print_json(ResultLine::new(graded, attempt_id), spoken)?;
    } else {
        if *by == GradedBy::Estimate {
            writeln!(
                out,
                "{DIM}Keyword estimate only: no judge read this answer.{DIM:#}"
            )?;
        }
        let text = report::verdict::text(question, by, verdict, render::width());
        write!(out, "{text}")?;
        if let Some(s) = spoken {
            spoken::show(&mut out, s)?;
        }
    }
    Ok(())
}

/// The answer to grade: the transcript of `--answer-audio` (with what was
/// heard), else the text of `--answer-file` or standard input.
fn answer_of(
    ctx: &Context,
    args: &GradeArgs,
    question: &crate::bank::Question,
) -> Result<(String, Option<spoken::Spoken>)> {
    if let Some(path) = &args.answer_audio {
        let heard = spoken::hear(ctx, path, question, args.json)?;
        return Ok((heard.transcript.text.clone(), Some(heard)));
    }
    let answer = read_answer(args.answer_file.as_deref())?;
    if answer.trim().is_empty() {
        return Err(
            Error::input("the answer is empty: there is nothing to grade")
                .with_hint("write the answer in a file (--answer-file) or pipe it in"),
        );
    }
    Ok((answer, None))
}

/// clap lets `--via batch-api` and `--wait` through beside `--question` (it
/// conflicts with `--batch`, which waives `requires = "batch"`); one answer
/// is graded live, so saying nothing would grade at full price what was
/// asked for at the batch price.
fn refuse_batch_flags(args: &GradeArgs) -> Result<()> {
    if args.via == crate::cli::Via::BatchApi || args.wait {
        let flag = if args.wait {
            "--wait"
        } else {
            "--via batch-api"
        };
        return Err(Error::input(format!(
            "{flag} goes with --batch FILE.jsonl: one --question is graded live"
        ))
        .with_hint("put the answer in a JSONL file and pass --batch FILE --via batch-api"));
    }
    Ok(())
}

/// `--batch`: live, or through the Batch API.
fn run_batch(ctx: &Context, file: &Path, args: &GradeArgs) -> Result<()> {
    if args.via == crate::cli::Via::BatchApi {
        return batch_api::run(ctx, file, args);
    }
    if args.wait {
        return Err(Error::input("--wait goes with --via batch-api"));
    }
    batch::run(ctx, file, args.concurrency, args.samples)
}

/// A failed grade as `--json` prints it: why, and which stored answer,
/// named `attempt_id` as in a successful grade's object.
#[derive(serde::Serialize)]
struct Failed {
    error: String,
    attempt_id: i64,
}

/// With `--json`, a failed grade is still one JSON object on stdout:
/// `{"error": ..., "attempt_id": N}`, so a script reads why and which answer.
fn failed_json(json: bool, message: &str, attempt_id: i64) -> Result<()> {
    if json {
        render::json(&Failed {
            error: crate::text::sanitize(message),
            attempt_id,
        })?;
    }
    Ok(())
}

/// Reads an answer from a file or standard input.
fn read_answer(file: Option<&Path>) -> Result<String> {
    let (bytes, origin) = match file {
        Some(path) => (
            std::fs::read(path).map_err(|e| Error::io(path, "read answer file", &e))?,
            format!("`{}`", path.display()),
        ),
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                render::note("Type your answer; end it with Ctrl-D on an empty line.");
            }
            let mut bytes = Vec::new();
            stdin.lock().read_to_end(&mut bytes).map_err(|e| {
                Error::input(format!(
                    "cannot read standard input: {}",
                    crate::error::io_reason(&e)
                ))
            })?;
            (bytes, "standard input".to_string())
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(format!(
            "{origin} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let text = text.trim_end().to_string();
    check_answer(&text, &origin)?;
    Ok(text)
}
