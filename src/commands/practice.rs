//! `grill practice`: untimed questions, one at a time, each graded at once.

use crate::bank::Question;
use crate::cli::PracticeArgs;
use crate::commands::flow::{plan, Runner};
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
    if count == 0 {
        return Err(Error::input("--count must be at least 1"));
    }
    questions.truncate(count);
    let mut runner = Runner::start(ctx, SessionKind::Practice)?;
    runner.samples(args.samples);
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
        let start = std::time::Instant::now();
        let (text, cut_off) = match runner.read(q, None) {
            Answer::Text { text, cut_off } => (text, cut_off),
            Answer::Skip => return Ok(Step::Next),
            Answer::Quit => return Ok(Step::Stop),
            Answer::Invalid => return Err(Error::input("standard input is not UTF-8 text")),
            Answer::Abandoned => {
                if runner.confirm_leave() {
                    return Ok(Step::Stop);
                }
                continue;
            }
        };
        let attempt_id = runner.keep(q, &text, start.elapsed().as_secs_f64(), cut_off)?;
        runner.grade_now(q, attempt_id, &text)?;
        if !runner.interactive {
            return Ok(Step::Next);
        }
        let last = n == total;
        let prompt = if last {
            "[r]etry, [q]uit (Enter) › "
        } else {
            "[n]ext (Enter), [r]etry, [q]uit › "
        };
        loop {
            match runner.src.read_line(prompt, None) {
                Line::Text(t) => match t.trim().to_lowercase().as_str() {
                    "" if last => return Ok(Step::Stop),
                    "" | "n" | "next" => return Ok(Step::Next),
                    "r" | "retry" => break,
                    "q" | "quit" => return Ok(Step::Stop),
                    _ => render::note("type n, r or q"),
                },
                _ => return Ok(Step::Stop),
            }
        }
    }
}
