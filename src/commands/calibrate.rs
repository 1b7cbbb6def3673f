//! `grill calibrate [--builtin] [FILE...]`: grades every labelled answer with a grader
//! (the judge, or the keyword estimate) and reports how far it agrees with
//! the hand labels. Nothing is stored as a practice attempt; the judge's
//! verdict cache and concurrency apply.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::StreamExt;

use crate::bank::{Diagnostic, Question};
use crate::calibration::{self, Grade, Labelled};
use crate::cli::{CalibrateArgs, GraderArg};
use crate::context::{Context, Plan};
use crate::error::{Error, Result};
use crate::grading::{self, GradeError, JudgeGrader};
use crate::report;
use crate::store::GradedBy;
use crate::text::plural;
use crate::ui::render;

pub fn run(ctx: &Context, args: &CalibrateArgs) -> Result<()> {
    let items = read(ctx, args)?;
    let bank = ctx.bank()?;
    let questions: Vec<&Question> = items
        .iter()
        .map(|i| bank.get(&i.question).expect("checked while reading"))
        .collect();
    let (name, (grades, stopped)) = match args.grader {
        GraderArg::Cues => (
            "the keyword estimate (cues)".to_string(),
            (estimates(&items, &questions), None),
        ),
        GraderArg::Judge => {
            let judge = Arc::clone(ctx.grader(Plan {
                samples: usize::from(args.samples),
                concurrency: Some(args.concurrency),
                ..Plan::default()
            })?);
            let name = format!(
                "the judge {}",
                GradedBy::Judge(judge.model().to_string()).label()
            );
            (
                name,
                judged(ctx, &judge, &items, &questions, args.concurrency)?,
            )
        }
    };
    // Stopped by Ctrl-C: the figures are those of the answers graded so far.
    let total = items.len();
    let summary = calibration::summarize(&name, &items, &grades);
    if args.json {
        render::json(&CalibrationJson {
            summary: &summary,
            stopped: stopped.map(|at| Stopped { at, of: total }),
        })?;
    } else {
        write!(
            render::stdout(),
            "{}",
            report::calibration::render(&summary, render::width())
        )?;
    }
    if let Some(done) = stopped {
        return Err(Error::interrupted(format!(
            "stopped at {done}/{total} by Ctrl-C; the figures are those of the {done} graded"
        ))
        .with_hint("their verdicts are cached: the same command again grades only the rest"));
    }
    Ok(())
}

/// `calibrate --json`: the figures, and where Ctrl-C stopped them.
#[derive(serde::Serialize)]
struct CalibrationJson<'a> {
    #[serde(flatten)]
    summary: &'a calibration::Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<Stopped>,
}

#[derive(serde::Serialize)]
struct Stopped {
    at: usize,
    of: usize,
}

/// A flag set by Ctrl-C for the rest of the run, instead of the process
/// ending: a long calibration stops and keeps what it graded. A second
/// Ctrl-C ends the process at once.
fn ctrl_c() -> Option<Arc<AtomicBool>> {
    use signal_hook::consts::SIGINT;
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&flag)).ok()?;
    signal_hook::flag::register(SIGINT, Arc::clone(&flag)).ok()?;
    Some(flag)
}

/// Every labelled answer of every file; all the bad lines at once, exit 2.
fn read(ctx: &Context, args: &CalibrateArgs) -> Result<Vec<Labelled>> {
    if args.files.is_empty() && !args.builtin {
        return Err(Error::input(
            "no labelled answers: name JSONL files, or --builtin for the set shipped with grill",
        )
        .with_hint("grill calibrate --builtin --grader cues"));
    }
    let bank = ctx.bank()?;
    let mut items = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    if args.builtin {
        for (name, text) in calibration::builtin::FILES {
            let (mut read, mut bad) = calibration::parse(text, &format!("builtin:{name}"), bank);
            items.append(&mut read);
            problems.append(&mut bad);
        }
    }
    for path in &args.files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "read labelled answers", &e))?;
        let (mut read, mut bad) = calibration::parse(&text, &path.display().to_string(), bank);
        items.append(&mut read);
        problems.append(&mut bad);
    }
    if !problems.is_empty() {
        return Err(Error::input(format!(
            "the labelled answers have {}",
            plural(problems.len(), "problem", "problems")
        ))
        .with_details(problems.iter().map(ToString::to_string).collect())
        .with_hint("each line: {\"question\": ID, \"answer\": TEXT, \"label\": {\"score\": 0-10, \"key_points\": {...}}}"));
    }
    if items.is_empty() {
        return Err(Error::input("no labelled answers in the files given"));
    }
    Ok(items)
}

/// The keyword estimate of each answer; none for a question that asks for
/// an example from the candidate's own work.
fn estimates(items: &[Labelled], questions: &[&Question]) -> Vec<Option<Grade>> {
    items
        .iter()
        .zip(questions)
        .map(|(item, q)| {
            (!q.wants_example).then(|| {
                let v = grading::estimate(q, &item.answer);
                Grade {
                    score: v.score,
                    key_points: v.key_points.iter().map(|p| p.coverage).collect(),
                    samples: Vec::new(),
                }
            })
        })
        .collect()
}

/// The judge's grade of each answer, `concurrency` at a time; an answer the
/// judge could not grade has none (and is named), a storage failure stops.
fn judged(
    ctx: &Context,
    judge: &JudgeGrader,
    items: &[Labelled],
    questions: &[&Question],
    concurrency: usize,
) -> Result<(Vec<Option<Grade>>, Option<usize>)> {
    let store = ctx.store()?;
    let bar = ctx.activity.bar(
        items.len() as u64,
        "{bar:30} {pos}/{len} graded · {elapsed} elapsed · about {eta} left {msg}",
    );
    let progress = &bar;
    let stop = ctrl_c();
    let started = std::time::Instant::now();
    let results = ctx.runtime()?.block_on(async {
        let mut graded = futures::stream::iter(items.iter().zip(questions).enumerate())
            .map(|(i, (item, q))| async move {
                let result = judge.assess(store, q, &item.answer).await;
                progress.inc(1);
                (i, result)
            })
            .buffer_unordered(concurrency);
        let pressed = async {
            loop {
                if stop.as_ref().is_some_and(|f| f.load(Ordering::SeqCst)) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        };
        tokio::pin!(pressed);
        // As they finish, each with its place: on Ctrl-C every grade that
        // came back is kept, and the progress bar's count is the one said.
        let mut results = Vec::with_capacity(items.len());
        loop {
            tokio::select! {
                next = graded.next() => match next {
                    Some(result) => results.push(result),
                    None => break,
                },
                () = &mut pressed => break,
            }
        }
        results
    });
    drop(bar);
    render::note(&format!(
        "{} of {} graded in {}",
        results.len(),
        items.len(),
        crate::text::duration(started.elapsed().as_secs_f64())
    ));
    if let Some(limits) = judge.judge().rate_limits() {
        render::note(&limits.to_string());
    }
    let stopped = (results.len() < items.len()).then_some(results.len());
    // An answer not reached before Ctrl-C has no grade, as a failed one.
    let mut grades = vec![None; items.len()];
    let mut failed = 0;
    for (i, result) in results {
        let item = &items[i];
        match result {
            Ok(assessed) => {
                grades[i] = Some(Grade {
                    score: assessed.verdict.score,
                    key_points: assessed
                        .verdict
                        .key_points
                        .iter()
                        .map(|p| p.coverage)
                        .collect(),
                    samples: if assessed.samples.len() >= 2 {
                        assessed
                            .samples
                            .iter()
                            .map(|v| (v.score, v.key_points.iter().map(|p| p.coverage).collect()))
                            .collect()
                    } else {
                        Vec::new()
                    },
                });
            }
            Err(GradeError::Storage(err)) => return Err(err),
            Err(err) => {
                failed += 1;
                render::note(&format!("{}:{}: not graded: {err}", item.file, item.line));
            }
        }
    }
    if failed > 0 {
        let verb = if failed == 1 { "was" } else { "were" };
        render::note(&format!(
            "{} could not be graded and {verb} left out of the figures",
            plural(failed, "answer", "answers")
        ));
    }
    Ok((grades, stopped))
}
