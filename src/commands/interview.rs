//! `grill interview`: a timed mock. Each question gets its share of the time
//! left; at the limit the answer is cut off and graded as it stands. The
//! judge grades in the background while the next question is asked;
//! self-grading waits until the end, so the clock never runs during it.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bank::Question;
use crate::cli::InterviewArgs;
use crate::commands::flow::{plan, until_ctrl_c, Runner};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::grading::{GradeError, Grader, Job};
use crate::session::{self, Filter};
use crate::store::SessionKind;
use crate::style::{BOLD, CYAN, DIM};
use crate::text::{clock, plural};
use crate::ui::clock::{Clock, Limits};
use crate::ui::input::Answer;
use crate::ui::render;

pub fn run(ctx: &Context, args: &InterviewArgs) -> Result<()> {
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        return Err(Error::input("--minutes must be a positive number"));
    }
    if args.count == 0 {
        return Err(Error::input("--count must be at least 1"));
    }
    let bank = ctx.bank()?;
    let filter = Filter {
        topics: args.topics.clone(),
        questions: args.questions.clone(),
    };
    let ordered = plan(ctx, bank, &filter, None)?;
    let questions = if args.questions.is_empty() {
        session::spread(&ordered, args.count)
    } else {
        ordered
    };
    let mut runner = Runner::start(ctx, SessionKind::Interview)?;
    runner.samples(args.samples);
    let length = Duration::from_secs_f64(args.minutes * 60.0);
    writeln!(
        render::stdout(),
        "{BOLD}Mock interview:{BOLD:#} {} in {}. Each question gets its share of the time left; at the limit the answer is cut off and graded as it stands.",
        plural(questions.len(), "question", "questions"),
        clock(length)
    )?;
    let answered = ask_all(&mut runner, &questions, length)?;
    grade_all(&mut runner, answered)?;
    runner.finish()
}

/// An answer stored during the interview, graded after it or in the background.
struct Answered<'q> {
    question: &'q Question,
    attempt_id: i64,
    text: String,
    /// The judge's grade running in the background; `None` to self-grade at the end.
    grading: Option<tokio::task::JoinHandle<std::result::Result<(), GradeError>>>,
}

fn ask_all<'q>(
    runner: &mut Runner<'_>,
    questions: &[&'q Question],
    length: Duration,
) -> Result<Vec<Answered<'q>>> {
    let total = questions.len();
    let end = Instant::now() + length;
    let clock_line = Clock::start(
        Limits {
            question: None,
            session: end,
            label: String::new(),
        },
        render::color_enabled(),
    );
    let mut answered = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let now = Instant::now();
        if now >= end {
            render::note(&format!(
                "Time is up: {} not reached.",
                plural(total - i, "question was", "questions were")
            ));
            break;
        }
        let limit = session::question_limit(end - now, total - i);
        let deadline = now + limit;
        clock_line.set(Some(deadline), format!("question {}/{total}", i + 1));
        runner.ask(q, i + 1, total, &format!(" · you have {}", clock(limit)))?;
        let answer = runner.read(q, Some(deadline));
        let seconds = now.elapsed().as_secs_f64();
        let (text, cut_off) = match answer {
            Answer::Text { text, cut_off } => (text, cut_off),
            Answer::Skip => {
                let id = runner.keep(q, "", seconds, false)?;
                runner.store.mark_skipped(id)?;
                continue;
            }
            Answer::Quit => break,
            Answer::Invalid => return Err(Error::input("standard input is not UTF-8 text")),
            Answer::Abandoned => {
                if runner.confirm_leave() {
                    break;
                }
                continue;
            }
        };
        let attempt_id = runner.keep(q, &text, seconds, cut_off)?;
        if cut_off {
            writeln!(
                render::stdout(),
                "Time is up for this question: your answer was cut off and will be graded as it stands."
            )?;
        }
        let grading = match &runner.grader {
            Grader::Judge(judge) => {
                let (judge, store) = (Arc::clone(judge), Arc::clone(&runner.store));
                let (question, answer) = ((*q).clone(), text.clone());
                Some(runner.ctx.runtime()?.spawn(async move {
                    let job = Job {
                        attempt_id,
                        question: &question,
                        answer: &answer,
                    };
                    judge.grade(&store, job).await.map(|_| ())
                }))
            }
            _ => None,
        };
        answered.push(Answered {
            question: q,
            attempt_id,
            text,
            grading,
        });
    }
    Ok(answered)
}

/// With `--samples`, once the clock has stopped: the points the judge's
/// samples split on, put to the candidate question by question.
fn settle_all(runner: &mut Runner<'_>, judged: &[Answered<'_>]) -> Result<()> {
    for a in judged {
        let Some(verdict) = runner.store.attempt(a.attempt_id)?.and_then(|s| s.verdict) else {
            continue;
        };
        if verdict.key_points.iter().any(|p| p.uncertain) {
            writeln!(render::stdout(), "\n{CYAN}{}{CYAN:#}", a.question.id)?;
            runner.settle_uncertain(a.question, a.attempt_id, verdict);
        }
    }
    Ok(())
}

/// Waits for the background grades, then walks the self-grading of the rest.
fn grade_all(runner: &mut Runner<'_>, answered: Vec<Answered<'_>>) -> Result<()> {
    let (mut judged, to_self_grade): (Vec<_>, Vec<_>) =
        answered.into_iter().partition(|a| a.grading.is_some());
    if !judged.is_empty() {
        let spinner = runner.ctx.activity.spinner("waiting for the judge…");
        let all = futures::future::join_all(judged.iter_mut().filter_map(|a| a.grading.take()));
        let waited = runner
            .ctx
            .runtime()?
            .block_on(until_ctrl_c(runner.src.ctrl_c(), all));
        drop(spinner);
        match waited {
            None => writeln!(
                render::stdout(),
                "Stopped waiting for the judge: the answers it had not graded are saved for `grill regrade`."
            )?,
            Some(results) => {
                for result in results {
                    if let Ok(Err(GradeError::Storage(err))) = result {
                        return Err(err.with_hint(
                            "the answers are saved ungraded; free space or fix the database, then `grill regrade`",
                        ));
                    }
                }
                settle_all(runner, &judged)?;
            }
        }
    }
    if !to_self_grade.is_empty() {
        writeln!(render::stdout(), "\n{BOLD}Time to grade yourself.{BOLD:#}")?;
        for a in to_self_grade {
            let mut out = render::stdout();
            writeln!(out, "\n{CYAN}{}{CYAN:#}", a.question.id)?;
            write!(
                out,
                "{DIM}{}{DIM:#}",
                render::wrap(&format!("Your answer: {}", a.text), "  ")
            )?;
            drop(out);
            runner.grade_now(a.question, a.attempt_id, &a.text)?;
        }
    }
    Ok(())
}
