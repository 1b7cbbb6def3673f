//! `grill calibrate FILE...`: grades every labelled answer with a grader
//! (the judge, or the keyword estimate) and reports how far it agrees with
//! the hand labels. Nothing is stored as a practice attempt; the judge's
//! verdict cache and concurrency apply.

use std::io::Write;
use std::sync::Arc;

use futures::StreamExt;

use crate::bank::{Diagnostic, Question};
use crate::calibration::{self, Grade, Labelled};
use crate::cli::{CalibrateArgs, GraderArg};
use crate::context::Context;
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
    let (name, grades) = match args.grader {
        GraderArg::Cues => (
            "the keyword estimate (cues)".to_string(),
            estimates(&items, &questions),
        ),
        GraderArg::Judge => {
            let judge = Arc::clone(ctx.judge()?);
            judge.set_samples(usize::from(args.samples));
            judge.judge().set_concurrency(args.concurrency);
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
    let summary = calibration::summarize(&name, &items, &grades);
    if args.json {
        return Ok(render::json(&summary)?);
    }
    write!(
        render::stdout(),
        "{}",
        report::calibration::render(&summary, render::width())
    )?;
    Ok(())
}

/// Every labelled answer of every file; all the bad lines at once, exit 2.
fn read(ctx: &Context, args: &CalibrateArgs) -> Result<Vec<Labelled>> {
    let bank = ctx.bank()?;
    let mut items = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
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
) -> Result<Vec<Option<Grade>>> {
    let store = ctx.store()?;
    let bar = ctx
        .activity
        .bar(items.len() as u64, "{bar:30} {pos}/{len} graded {msg}");
    let progress = &bar;
    let results = ctx.runtime()?.block_on(async {
        futures::stream::iter(items.iter().zip(questions))
            .map(|(item, q)| async move {
                let result = judge.assess(store, q, &item.answer).await;
                progress.inc(1);
                result
            })
            .buffered(concurrency)
            .collect::<Vec<_>>()
            .await
    });
    drop(bar);
    if let Some(limits) = judge.judge().rate_limits() {
        render::note(&limits.to_string());
    }
    let mut grades = Vec::with_capacity(results.len());
    let mut failed = 0;
    for (item, result) in items.iter().zip(results) {
        match result {
            Ok(assessed) => grades.push(Some(Grade {
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
            })),
            Err(GradeError::Storage(err)) => return Err(err),
            Err(err) => {
                failed += 1;
                render::note(&format!("{}:{}: not graded: {err}", item.file, item.line));
                grades.push(None);
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
    Ok(grades)
}
