//! `grill practice`: untimed questions, one at a time, each graded at once.

use std::time::{Duration, Instant};

use crate::bank::Question;
use crate::cli::PracticeArgs;
use crate::commands::flow::{plan, Graded, Left, Runner};
use crate::commands::followup::Round;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::session::Filter;
use crate::store::SessionKind;
use crate::ui::input::{Answer, Line};
use crate::ui::render;

pub fn run(ctx: &Context, args: &PracticeArgs) -> Result<()> {
    let bank = ctx.bank()?;
    let filter = Filter {
        topics: args.topics.clone(),
        questions: args.questions.clone(),
    };
    let mut questions = plan(ctx, bank, &filter, args.order.map(Into::into))?;
    let count = args.count.unwrap_or(if args.questions.is_empty() {
        5
    } else {
        questions.len()
    });
    questions.truncate(count);
    let mut runner = Runner::start(ctx, SessionKind::Practice)?;
    runner.samples(args.samples);
    runner.set_follow_ups(args.follow_ups);
    run_questions(&mut runner, &questions)
}

/// How one question ended.
enum Step {
    Next,
    Stop,
}

/// Asks `questions` in turn, untimed; `review` runs the same loop.
pub fn run_questions(runner: &mut Runner<'_>, questions: &[&Question]) -> Result<()> {
    let total = questions.len();
    for (i, q) in questions.iter().enumerate() {
        if let Step::Stop = one(runner, q, i + 1, total)? {
            break;
        }
    }
    runner.finish()
}

fn one(runner: &mut Runner<'_>, q: &Question, n: usize, total: usize) -> Result<Step> {
    loop {
        runner.ask(q, n, total, "")?;
        let start = Instant::now();
        let (text, cut_off) = match runner.read(q, None, &mut |_| {}, None) {
            Answer::Text { text, cut_off, .. } => (text, cut_off),
            Answer::Skip => {
                runner.unanswered(q, "", start.elapsed().as_secs_f64(), Left::Skipped)?;
                return Ok(Step::Next);
            }
            Answer::Quit { typed } => {
                runner.unanswered(q, &typed, start.elapsed().as_secs_f64(), Left::Quit)?;
                return Ok(Step::Stop);
            }
            Answer::Invalid => return Err(Error::input("standard input is not UTF-8 text")),
            Answer::Ended { typed, signal } => {
                let seconds = start.elapsed().as_secs_f64();
                return Err(runner.end_by_signal(q, &typed, seconds, signal));
            }
            Answer::Abandoned { typed } => {
                runner.unanswered(q, &typed, start.elapsed().as_secs_f64(), Left::Abandoned)?;
                if runner.confirm_leave() {
                    return Ok(Step::Stop);
                }
                continue;
            }
        };
        let attempt_id = runner.keep(
            q,
            &text,
            start.elapsed().as_secs_f64(),
            cut_off,
            Duration::ZERO,
        )?;
        match after_answer(runner, q, attempt_id, &text, n == total)? {
            Next::Question(step) => return Ok(step),
            Next::Again => {}
        }
    }
}

/// What comes after an answer: the next question, or the same one again.
enum Next {
    Question(Step),
    Again,
}

/// Grades the stored answer, then offers what fits how grading went:
/// after a grade, the next question or another try at this one; after a
/// failed or stopped grade, grading it again (by hand, when the judge will
/// keep failing).
fn after_answer(
    runner: &mut Runner<'_>,
    q: &Question,
    attempt_id: i64,
    text: &str,
    last: bool,
) -> Result<Next> {
    let mut graded = runner.grade_now(q, attempt_id, text)?;
    loop {
        if graded == Graded::Done {
            let rounds = runner.follow_up_rounds(q, attempt_id)?;
            runner.show_recalled(q, attempt_id)?;
            if rounds == Round::Quit {
                return Ok(Next::Question(Step::Stop));
            }
        }
        if let Graded::Failed { lasting: true } = graded {
            if runner.offer_self_grading() {
                graded = runner.grade_now(q, attempt_id, text)?;
                continue;
            }
        }
        if !runner.interactive {
            return Ok(Next::Question(Step::Next));
        }
        let ungraded = graded != Graded::Done;
        let prompt = match (ungraded, last) {
            (true, true) => "[r]etry the grade, [q]uit (Enter) › ",
            (true, false) => "[r]etry the grade, [n]ext (Enter), [q]uit › ",
            (false, true) => "[r]etry the question, [q]uit (Enter) › ",
            (false, false) => "[n]ext (Enter), [r]etry the question, [q]uit › ",
        };
        match runner.src.read_line(prompt, None) {
            Line::Text(t) => match t.trim().to_lowercase().as_str() {
                "" if last => return Ok(Next::Question(Step::Stop)),
                "" | "n" | "next" if !last => return Ok(Next::Question(Step::Next)),
                "r" | "retry" if ungraded => graded = runner.grade_now(q, attempt_id, text)?,
                "r" | "retry" => return Ok(Next::Again),
                "q" | "quit" => return Ok(Next::Question(Step::Stop)),
                _ if last => render::note("type r or q"),
                _ => render::note("type n, r or q"),
            },
            _ => return Ok(Next::Question(Step::Stop)),
        }
    }
}
