//! The one loop that runs a session: `session::Session` decides, this
//! performs each effect (the terminal or the pipe, the store, the grader)
//! and answers it with one event. Practice, review and interview all run
//! here; the commands only plan the questions and build the [`Setup`].

mod followup;
mod interview;
mod review;
mod runner;
mod show;
mod view;
mod voice;

use std::cell::Cell;
use std::io::Write;
use std::time::{Duration, Instant};

pub use runner::{plan, Runner};
pub use show::{print_question, show_verdict, KEYS};
pub use view::{PlainView, SessionView, TerminalView};

use crate::bank::Question;
use crate::error::{Error, Result};
use crate::session::{Effect, Event, Session, Setup, Show};
use crate::style::{BOLD, CYAN, DIM};
use crate::text::plural;
use crate::ui::clock::{Clock, Limits};
use crate::ui::render;
use followup::Timing;

/// Runs `questions` as the session `setup` describes, to its report.
// One arm per effect, read as a table: splitting it would hide the mapping.
#[allow(clippy::too_many_lines)]
pub fn run(runner: &mut Runner<'_>, questions: &[&Question], setup: Setup) -> Result<()> {
    let total = setup.questions;
    let mut view: Box<dyn SessionView> = if runner.interactive {
        Box::new(TerminalView)
    } else {
        Box::new(PlainView)
    };
    let mut session = Session::new(setup, Instant::now());
    let mut background = interview::Background::default();
    let mut clock: Option<Clock> = None;
    // A spoken answer's transcript, until its attempt is stored.
    let mut heard: Option<voice::Heard> = None;
    let mut event = Event::Start;
    loop {
        let effect = session.next(event, Instant::now());
        event = match effect {
            Effect::ShowPlan { questions, length } => {
                Event::Plan(interview::show_plan(runner, &mut *view, questions, length)?)
            }
            Effect::Ask {
                index,
                limit,
                deadline,
                end,
                draft,
                voice,
            } => ask(
                runner,
                &mut clock,
                questions[index],
                (index, total),
                (limit, deadline, end),
                &draft,
                voice.then_some(&mut heard),
            )?,
            Effect::KeepSpoken { attempt, .. } => {
                voice::keep(runner, attempt, heard.take())?;
                Event::Done
            }
            Effect::ShowDelivery { attempt, .. } => {
                runner.show_delivery(attempt, None)?;
                Event::Done
            }
            Effect::Store {
                index,
                text,
                seconds,
                cut_off,
                over,
            } => {
                let id = runner.keep(questions[index], &text, seconds, cut_off, over)?;
                if clock.is_some() {
                    interview::say_cut_off(cut_off, over)?;
                }
                Event::Stored(id)
            }
            Effect::Unanswered {
                index,
                typed,
                seconds,
                left,
            } => {
                runner.unanswered(questions[index], &typed, seconds, left)?;
                Event::Done
            }
            Effect::Grade {
                index,
                attempt,
                text,
                show,
            } => grade(
                runner,
                clock.as_ref(),
                questions[index],
                attempt,
                &text,
                show,
            )?,
            Effect::GradeInBackground {
                index,
                attempt,
                text,
            } => {
                background.spawn(runner, questions[index], attempt, &text)?;
                Event::Done
            }
            Effect::CheckFollowUp { index, attempt } => {
                Event::FollowUpDue(runner.follow_up_due(questions[index], attempt)?)
            }
            Effect::FollowUp {
                index,
                attempt,
                deadline,
                end,
            } => {
                let q = questions[index];
                let keys = runner.interactive;
                let mut redraw = || {
                    match &clock {
                        Some(c) => c.clear_screen(),
                        None => render::clear_screen(),
                    }
                    let _ = print_question(q, index + 1, total, "", keys);
                };
                let (round, paused) = follow_up(
                    runner,
                    q,
                    attempt,
                    clock.as_ref(),
                    (deadline, end),
                    &mut redraw,
                )?;
                Event::Round { round, paused }
            }
            Effect::FollowUpNotAsked {
                index,
                attempt,
                why,
            } => {
                runner.follow_up_not_asked(questions[index], attempt, why)?;
                Event::Done
            }
            Effect::Reveal { index, attempt } => {
                runner.reveal(questions[index], attempt)?;
                Event::Done
            }
            Effect::ShowRecalled { index, attempt } => {
                runner.show_recalled(questions[index], attempt)?;
                Event::Done
            }
            Effect::ConfirmLeave => Event::Leave(view.confirm_leave(runner)),
            Effect::OfferSelfGrading => Event::SelfGrading(view.offer_self_grading(runner)),
            Effect::OfferNext { ungraded, last } => {
                Event::Choice(view.offer_next(runner, ungraded, last))
            }
            Effect::TimeUp { not_reached } => {
                render::note(&format!(
                    "Time is up: {} not reached.",
                    plural(not_reached, "question was", "questions were")
                ));
                Event::Done
            }
            Effect::WaitForJudge { attempts } => {
                clock = None;
                background.wait(runner, questions, &attempts)?;
                Event::Done
            }
            Effect::SelfGradeHeading => {
                clock = None;
                writeln!(render::stdout(), "\n{BOLD}Time to grade yourself.{BOLD:#}")?;
                Event::Done
            }
            Effect::EndBySignal {
                index,
                typed,
                seconds,
                signal,
            } => return Err(runner.end_by_signal(questions[index], &typed, seconds, signal)),
            Effect::InvalidInput => return Err(Error::input("standard input is not UTF-8 text")),
            Effect::Finish => {
                drop(clock);
                return runner.finish();
            }
        };
    }
}

/// One follow-up round, within `deadline` in an interview; returns how it
/// went and how long the clock was stopped for its grading.
fn follow_up(
    runner: &mut Runner<'_>,
    q: &Question,
    attempt: i64,
    clock: Option<&Clock>,
    (deadline, end): (Option<Instant>, Option<Instant>),
    redraw: &mut dyn FnMut(),
) -> Result<(crate::session::Round, Duration)> {
    let Some(clock) = clock else {
        // In a terminal a resize draws the question and the follow-up again,
        // as it does for the answer.
        let timing = Timing {
            redraw: runner.interactive.then_some(redraw),
            ..Timing::default()
        };
        return Ok((runner.follow_up(q, attempt, timing)?, Duration::ZERO));
    };
    let paused = Cell::new(Duration::ZERO);
    let stopped = Cell::new(Instant::now());
    if let Some(end) = end {
        clock.resume(deadline, end);
    }
    let mut grading = |on: bool| {
        if on {
            stopped.set(Instant::now());
            clock.stop("grading…");
        } else {
            paused.set(paused.get() + stopped.get().elapsed());
            if let Some(end) = end {
                clock.resume(deadline.map(|d| d + paused.get()), end + paused.get());
            }
        }
    };
    let mut editor = |editing: bool| clock.pause(editing);
    let timing = Timing {
        deadline,
        editor: Some(&mut editor),
        redraw: Some(redraw),
        grading: Some(&mut grading),
    };
    let round = runner.follow_up(q, attempt, timing)?;
    Ok((round, paused.get()))
}

/// Asks question `index` (of `total`) and reads its answer, with the
/// interview's clock line when there is a time limit; spoken when `heard`
/// is given, to hold the transcript.
fn ask(
    runner: &mut Runner<'_>,
    clock: &mut Option<Clock>,
    q: &Question,
    (index, total): (usize, usize),
    (limit, deadline, end): (Option<Duration>, Option<Instant>, Option<Instant>),
    draft: &str,
    heard: Option<&mut Option<voice::Heard>>,
) -> Result<Event> {
    if let (Some(end), None) = (end, &clock) {
        *clock = Some(Clock::start(
            Limits {
                question: None,
                session: end,
                label: String::new(),
                stopped: None,
            },
            render::color_enabled(),
        ));
    }
    if let Some(c) = &clock {
        c.set(deadline, format!("question {}/{total}", index + 1));
    }
    let extra = limit.map_or_else(String::new, |l| {
        format!(" · you have {}", crate::text::clock(l))
    });
    runner.ask(q, index + 1, total, &extra)?;
    if let Some(heard) = heard {
        return Ok(voice::read(
            runner,
            q,
            (deadline, end),
            clock.as_ref(),
            heard,
        ));
    }
    let keys = runner.interactive;
    let start = Instant::now();
    let answer = match &clock {
        Some(c) => {
            let mut redraw = || {
                c.clear_screen();
                let _ = print_question(q, index + 1, total, &extra, keys);
            };
            runner.read(
                q,
                deadline,
                &mut |editing| c.pause(editing),
                Some(&mut redraw),
                draft,
            )
        }
        // In a terminal a resize redraws the question and the answer whole:
        // a shrinking window rewraps what the line editor drew, which it
        // cannot follow.
        None if keys => {
            let mut redraw = || {
                render::clear_screen();
                let _ = print_question(q, index + 1, total, &extra, keys);
            };
            runner.read(q, None, &mut |_| {}, Some(&mut redraw), draft)
        }
        None => runner.read(q, None, &mut |_| {}, None, draft),
    };
    Ok(Event::Answered {
        answer,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Grades a stored answer and shows it as `show` says; with the clock
/// stopped (and the time given back) in an interview.
fn grade(
    runner: &mut Runner<'_>,
    clock: Option<&Clock>,
    q: &Question,
    attempt: i64,
    text: &str,
    show: Show,
) -> Result<Event> {
    if show == Show::Late {
        let mut out = render::stdout();
        writeln!(out, "\n{CYAN}{}{CYAN:#}", q.id)?;
        write!(
            out,
            "{DIM}{}{DIM:#}",
            render::wrap(&format!("Your answer: {text}"), "  ")
        )?;
    }
    let started = Instant::now();
    if show == Show::Quiet {
        if let Some(c) = clock {
            c.stop("grading…");
        }
    }
    let graded = runner.grade_now(q, attempt, text, show)?;
    let paused = if show == Show::Quiet {
        started.elapsed()
    } else {
        Duration::ZERO
    };
    Ok(Event::Graded { graded, paused })
}
