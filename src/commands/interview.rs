//! `grill interview`: a timed mock. Each question gets its share of the time
//! left; at the limit the answer is cut off and graded as it stands. The
//! judge grades in the background while the next question is asked;
//! self-grading waits until the end, so the clock never runs during it.

use std::cell::Cell;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bank::Question;
use crate::cli::InterviewArgs;
use crate::commands::flow::{plan, print_question, Left, Runner};
use crate::commands::followup::{Round, Timing};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::grading::{GradeError, Grader, Job};
use crate::session::{self, Filter};
use crate::store::SessionKind;
use crate::style::{BOLD, CYAN, DIM};
use crate::text::{clock, plural};
use crate::ui::clock::{Clock, Limits};
use crate::ui::input::{Answer, Line};
use crate::ui::render;
use crate::ui::signals::until_ctrl_c;

pub fn run(ctx: &Context, args: &InterviewArgs) -> Result<()> {
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        return Err(Error::input(format!(
            "--minutes must be a positive number of minutes (fractions allowed), not {}",
            args.minutes
        ))
        .with_hint("for example --minutes 30, or --minutes 0.5 for thirty seconds"));
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
    runner.set_follow_ups(args.follow_ups);
    runner.quiet = true;
    let length = Duration::from_secs_f64(args.minutes * 60.0);
    if show_plan(&mut runner, questions.len(), length)? {
        let answered = ask_all(&mut runner, &questions, length)?;
        grade_all(&mut runner, answered)?;
    }
    runner.finish()
}

/// Says what is about to happen; in a terminal the clock starts on Enter.
/// False when the person leaves instead.
fn show_plan(runner: &mut Runner<'_>, questions: usize, length: Duration) -> Result<bool> {
    let mut out = render::stdout();
    writeln!(
        out,
        "{BOLD}Mock interview:{BOLD:#} {} in {}.",
        plural(questions, "question", "questions"),
        clock(length)
    )?;
    let lines = [
        "Each question gets its share of the time left. At its limit the answer is cut off and graded as it stands.",
        "Type your answer; Enter on an empty line submits it. :hint shows a key point, :edit opens $EDITOR, :skip passes, :quit ends the interview, Ctrl-C abandons the answer.",
        match (runner.follow_ups > 0, matches!(runner.grader, Grader::Judge(_))) {
            (true, true) => "The judge grades each answer as you submit it, with the clock stopped; if it left key points open, the interviewer asks a follow-up within the question's time (at least a minute). Verdicts come in the report.",
            (true, false) => "You grade each answer yourself as you submit it, with the clock stopped; if it left key points open, a follow-up asks about one of them within the question's time (at least a minute).",
            (false, true) => "The judge grades each answer while you answer the next.",
            (false, false) => "You grade yourself at the end, against the model answers; the clock is stopped by then.",
        },
    ];
    for line in lines {
        write!(out, "{}", render::wrap(line, "  "))?;
    }
    if !runner.interactive {
        return Ok(true);
    }
    write!(
        out,
        "{}",
        render::wrap(
            "The top line keeps time: ⏱ the time left for the question and for the interview; ⚠ less than a minute left.",
            "  "
        )
    )?;
    out.flush()?;
    drop(out);
    Ok(
        match runner
            .src
            .read_line("Press Enter to start the clock (q to leave) › ", None)
        {
            Line::Text(t) => !matches!(t.trim().to_lowercase().as_str(), "q" | "quit" | ":quit"),
            _ => false,
        },
    )
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
    // Moves on while the clock is stopped for the judge (with follow-ups).
    let end = Cell::new(Instant::now() + length);
    let clock_line = Clock::start(
        Limits {
            question: None,
            session: end.get(),
            label: String::new(),
            stopped: None,
        },
        render::color_enabled(),
    );
    let mut answered = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let now = Instant::now();
        if now >= end.get() {
            render::note(&format!(
                "Time is up: {} not reached.",
                plural(total - i, "question was", "questions were")
            ));
            break;
        }
        let limit = session::question_limit(end.get() - now, total - i);
        let deadline = now + limit;
        clock_line.set(Some(deadline), format!("question {}/{total}", i + 1));
        let extra = format!(" · you have {}", clock(limit));
        runner.ask(q, i + 1, total, &extra)?;
        let keys = runner.interactive;
        let mut redraw = || {
            clock_line.clear_screen();
            let _ = print_question(q, i + 1, total, &extra, keys);
        };
        let answer = runner.read(
            q,
            Some(deadline),
            &mut |editing| clock_line.pause(editing),
            Some(&mut redraw),
        );
        let seconds = now.elapsed().as_secs_f64();
        let (text, cut_off, over) = match answer {
            Answer::Text {
                text,
                cut_off,
                over,
            } => (text, cut_off, over),
            Answer::Skip => {
                runner.unanswered(q, "", seconds, Left::Skipped)?;
                continue;
            }
            Answer::Quit { typed } => {
                runner.unanswered(q, &typed, seconds, Left::Quit)?;
                break;
            }
            Answer::Invalid => return Err(Error::input("standard input is not UTF-8 text")),
            Answer::Ended { typed, signal } => {
                return Err(runner.end_by_signal(q, &typed, seconds, signal));
            }
            Answer::Abandoned { typed } => {
                runner.unanswered(q, &typed, seconds, Left::Abandoned)?;
                if runner.confirm_leave() {
                    break;
                }
                continue;
            }
        };
        let attempt_id = runner.keep(q, &text, seconds, cut_off, over)?;
        say_cut_off(cut_off, over)?;
        if runner.follow_ups > 0 {
            let deadline = Cell::new(deadline);
            let step = grade_and_follow_up(
                runner,
                q,
                attempt_id,
                &text,
                &clock_line,
                &end,
                &deadline,
                &mut redraw,
            )?;
            clock_line.set(None, String::new());
            if step == Round::Quit {
                break;
            }
            continue;
        }
        let grading = grade_in_background(runner, q, attempt_id, &text)?;
        answered.push(Answered {
            question: q,
            attempt_id,
            text,
            grading,
        });
    }
    Ok(answered)
}

/// Says how an answer ended when the time ran out.
fn say_cut_off(cut_off: bool, over: Duration) -> Result<()> {
    if !over.is_zero() {
        writeln!(
            render::stdout(),
            "The time ran out while you were in the editor: your answer is taken as it stands, cut off {} past the limit.",
            crate::text::duration(over.as_secs_f64())
        )?;
    } else if cut_off {
        writeln!(
            render::stdout(),
            "Time is up for this question: your answer was cut off and will be graded as it stands."
        )?;
    }
    Ok(())
}

/// Without follow-ups: the judge grades the answer while the next question
/// is asked; `None` for self-grading, which waits until the end.
fn grade_in_background(
    runner: &Runner<'_>,
    q: &Question,
    attempt_id: i64,
    text: &str,
) -> Result<Option<tokio::task::JoinHandle<std::result::Result<(), GradeError>>>> {
    let Grader::Judge(judge) = &runner.grader else {
        return Ok(None);
    };
    let (judge, store) = (Arc::clone(judge), Arc::clone(&runner.store));
    let (question, answer) = (q.clone(), text.to_string());
    Ok(Some(runner.ctx.runtime()?.spawn(async move {
        let job = Job {
            attempt_id,
            question: &question,
            answer: &answer,
        };
        judge.grade(&store, job).await.map(|_| ())
    })))
}

/// The least time a follow-up gets; taken from the interview's reserve when
/// the question's own time is shorter, or the follow-up is not asked. A
/// minute, unless the hidden `GRILL_FOLLOW_UP_MIN_MS` says (the tests cut a
/// follow-up off at the clock without waiting a minute).
fn min_follow_up() -> Duration {
    std::env::var("GRILL_FOLLOW_UP_MIN_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(60), Duration::from_millis)
}

/// With follow-ups: grades the answer now with the clock stopped, then asks
/// the follow-ups within the question's remaining time (at least
/// `min_follow_up`). Time waiting for the judge moves `end` and `deadline`
/// on: it is never the candidate's.
#[allow(clippy::too_many_arguments)]
fn grade_and_follow_up(
    runner: &mut Runner<'_>,
    q: &Question,
    attempt_id: i64,
    text: &str,
    clock_line: &Clock,
    end: &Cell<Instant>,
    deadline: &Cell<Instant>,
    redraw: &mut dyn FnMut(),
) -> Result<Round> {
    let stopped = Cell::new(Instant::now());
    let stop = |on: bool| {
        if on {
            stopped.set(Instant::now());
            clock_line.stop("grading…");
        } else {
            let paused = stopped.get().elapsed();
            end.set(end.get() + paused);
            deadline.set(deadline.get() + paused);
            clock_line.resume(Some(deadline.get()), end.get());
        }
    };
    stop(true);
    runner.grade_now(q, attempt_id, text)?;
    stop(false);
    let mut grading = stop;
    loop {
        if !runner.follow_up_due(attempt_id)? {
            return Ok(Round::Nothing);
        }
        let now = Instant::now();
        let least = min_follow_up();
        if deadline.get().saturating_duration_since(now) < least {
            if end.get().saturating_duration_since(now) < least {
                runner.follow_up_not_asked(
                    q,
                    attempt_id,
                    "less than a minute was left in the interview",
                )?;
                return Ok(Round::Nothing);
            }
            deadline.set(now + least);
        }
        clock_line.resume(Some(deadline.get()), end.get());
        let mut editor = |editing: bool| clock_line.pause(editing);
        let timing = Timing {
            deadline: Some(deadline.get()),
            editor: Some(&mut editor),
            redraw: Some(&mut *redraw),
            grading: Some(&mut grading),
        };
        match runner.follow_up(q, attempt_id, timing)? {
            Round::Asked => {}
            other => return Ok(other),
        }
    }
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
