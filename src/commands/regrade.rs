//! `grill regrade`: grade every stored answer that is still ungraded, with
//! the judge, or offline: self-grading in a terminal, the keyword estimate
//! when piped or with `--cues`. A storage failure stops it at once.

use std::io::{IsTerminal, Write};

use crate::cli::RegradeArgs;
use crate::context::{Context, Offline, Plan};
use crate::error::{Error, Result};
use crate::grading::{GradeError, Grader, Job, NoChecklist, Outcome};
use crate::report;
use crate::store::GradedBy;
use crate::style::{DIM, YELLOW};
use crate::text::plural;
use crate::ui::checklist::Asked;
use crate::ui::input::LineSource;
use crate::ui::render;

use super::grade::tally::{result_line, Tally};

/// Says how many answers wait in Batch API jobs: `regrade` leaves them to
/// their jobs rather than pay for them twice.
fn note_waiting(store: &crate::store::Store) -> Result<()> {
    let waiting = store.waiting_in_jobs()?;
    if waiting > 0 {
        render::note(&format!(
            "{} wait in Batch API jobs and are left to them; `grill jobs` lists the jobs",
            crate::text::plural(waiting as usize, "answer", "answers")
        ));
    }
    Ok(())
}

pub fn run(ctx: &Context, args: &RegradeArgs) -> Result<()> {
    if args.cues && !ctx.settings.offline {
        return Err(
            Error::input("--cues goes with --offline").with_hint("grill --offline regrade --cues")
        );
    }
    let bank = ctx.bank()?;
    let store = ctx.store()?;
    let pending = store.ungraded()?;
    note_waiting(store)?;
    if pending.is_empty() {
        if !args.json {
            writeln!(
                render::stdout(),
                "Nothing to regrade: every stored answer has a grade."
            )?;
        }
        return Ok(());
    }
    let grader = choose(ctx, args, pending.len())?;
    // Self-grading reads the terminal; the other graders read nothing.
    let mut src: Option<Box<dyn LineSource>> =
        matches!(grader, Grader::SelfCheck).then(crate::ui::terminal::open_source);
    let runtime = ctx.runtime()?;
    let mut tally = Tally::default();
    let mut skipped = 0;
    for attempt in &pending {
        let Some(question) = bank.get(&attempt.question_id) else {
            render::note(&format!(
                "attempt {}: question `{}` is not in the loaded banks; skipped (add its bank with --bank)",
                attempt.id, attempt.question_id
            ));
            skipped += 1;
            continue;
        };
        let job = Job {
            attempt_id: attempt.id,
            question,
            answer: &attempt.answer,
        };
        if !args.json {
            let mut out = render::stdout();
            writeln!(
                out,
                "{DIM}attempt {} · {} · {}{DIM:#}",
                attempt.id, attempt.created_at, question.id
            )?;
            if matches!(grader, Grader::SelfCheck) {
                write!(
                    out,
                    "{DIM}{}{DIM:#}",
                    render::wrap(&format!("Your answer: {}", attempt.answer), "  ")
                )?;
            }
        }
        let result = match (&grader, src.as_deref_mut()) {
            (Grader::Judge(judge), _) => {
                let _spinner = ctx.activity.spinner(&format!(
                    "grading attempt {} ({}) with {}…",
                    attempt.id,
                    question.id,
                    judge.model()
                ));
                runtime.block_on(grader.grade(store, job, &mut NoChecklist))
            }
            (_, Some(src)) => runtime.block_on(grader.grade(
                store,
                job,
                &mut Asked {
                    src,
                    model_answer: true,
                },
            )),
            (_, None) => runtime.block_on(grader.grade(store, job, &mut NoChecklist)),
        };
        show(args.json, question, attempt.id, &result)?;
        let abandoned = matches!(result, Ok(Outcome::Abandoned));
        tally.add(result);
        if abandoned {
            break;
        }
        if tally.stopped() {
            break;
        }
    }
    let total = pending.len() - skipped;
    tally.note_unestimated();
    tally.into_result(total)?;
    if skipped > 0 {
        return Err(Error::failure(format!(
            "{} could not be graded: {} not in the loaded banks",
            plural(skipped, "answer", "answers"),
            if skipped == 1 {
                "its question is"
            } else {
                "their questions are"
            }
        )));
    }
    Ok(())
}

/// The judge; offline, self-grading in a terminal, else the keyword estimate.
fn choose(ctx: &Context, args: &RegradeArgs, pending: usize) -> Result<Grader> {
    let offline = if args.cues || args.json || !std::io::stdin().is_terminal() {
        Offline::Estimate
    } else {
        Offline::SelfCheck
    };
    let grader = ctx
        .grading(Plan {
            offline,
            ..Plan::default()
        })
        .map_err(|e| {
            e.with_hint("`grill --offline regrade` grades them yourself against the model answers")
        })?;
    if matches!(grader, Grader::Estimate) {
        render::note(&format!(
            "Keyword estimates for {}: no judge reads them; they are stored as estimates and not counted in your stats.",
            plural(pending, "answer", "answers")
        ));
    }
    Ok(grader)
}

fn show(
    json: bool,
    question: &crate::bank::Question,
    attempt_id: i64,
    result: &std::result::Result<Outcome, GradeError>,
) -> Result<()> {
    let mut out = render::stdout();
    match result {
        Ok(Outcome::Graded(..) | Outcome::NoEstimate) | Err(_) if json => {
            render::json_line(&mut out, &result_line(question, attempt_id, result))?;
        }
        Ok(Outcome::Graded(verdict, GradedBy::SelfCheck)) => {
            writeln!(
                out,
                "{}\n",
                report::verdict::self_graded(verdict, render::width())
            )?;
        }
        Ok(Outcome::Graded(verdict, by)) => {
            let text = report::verdict::text(question, by, verdict, render::width());
            write!(out, "{text}")?;
            writeln!(out)?;
        }
        Ok(Outcome::Abandoned) => {
            render::note("Self-grading abandoned: the answer stays ungraded.");
        }
        Ok(Outcome::NoEstimate) => writeln!(out, "{}\n", crate::grading::NO_ESTIMATE)?,
        // A storage failure is the run's error, said once at the end.
        Err(GradeError::Storage(_)) => {}
        Err(err) => {
            drop(out);
            let _ = writeln!(
                render::stderr(),
                "{YELLOW}attempt {attempt_id} ({}): grading failed:{YELLOW:#} {}",
                question.id,
                crate::text::sanitize(&err.to_string())
            );
        }
    }
    Ok(())
}
