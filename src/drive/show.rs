//! What a session prints of a question and of a grade.

use std::io::Write;

use crate::bank::Question;
use crate::error::Result;
use crate::grading::{GradeError, Outcome};
use crate::provider::ask::AskError;
use crate::provider::openai::CallError;
use crate::report;
use crate::session::Graded;
use crate::store::GradedBy;
use crate::style::{self, BOLD, DIM, YELLOW};
use crate::ui::render;
use crate::verdict::Verdict;

/// Prints question `n` of `total`; `extra` goes on its header line, and
/// `keys` adds the line that says how to answer.
pub fn print_question(q: &Question, n: usize, total: usize, extra: &str, keys: bool) -> Result<()> {
    let mut out = render::stdout();
    writeln!(out)?;
    writeln!(
        out,
        "{BOLD}Question {n}/{total}{BOLD:#} {DIM}· {} · {} · about {} min{extra}{DIM:#}",
        q.topic, q.difficulty, q.minutes
    )?;
    write!(out, "{BOLD}{}{BOLD:#}", render::wrap(&q.question, "  "))?;
    if q.wants_example {
        writeln!(
            out,
            "  {YELLOW}Give a concrete example from your own work.{YELLOW:#}"
        )?;
    }
    if keys {
        write!(out, "{}", render::spans(&[(KEYS, DIM)], "  ", "  "))?;
    }
    out.flush()?;
    Ok(())
}

/// The keys of an answer, shown under the first question.
pub const KEYS: &str =
    "Type your answer. Enter on an empty line submits · :hint · :edit · :skip · :quit · Ctrl-C abandons";

/// The score alone, while a follow-up is still to come.
pub fn brief(verdict: &Verdict) -> Result<()> {
    let mut out = render::stdout();
    let style = style::score(verdict.score);
    writeln!(out)?;
    let title = format!("Score so far {:.1}/10", verdict.score);
    let tail = format!(
        "· {}; the full verdict and the model answer come after the follow-up",
        report::verdict::coverage_count(verdict)
    );
    write!(out, "{}", render::heading(&title, style, &tail))?;
    Ok(())
}

/// The full verdict and the model answer of a graded answer.
pub fn show_verdict(q: &Question, by: &GradedBy, verdict: &Verdict) -> Result<()> {
    let mut out = render::stdout();
    writeln!(out)?;
    let text = report::verdict::text(q, by, verdict, render::width());
    write!(out, "{text}")?;
    writeln!(out)?;
    writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
    write!(out, "{}", render::wrap(&q.model_answer, "  "))?;
    Ok(())
}

/// Whether a judge failure will repeat for every answer: the key refused, a
/// 404 (wrong URL or model), the server unreachable, the quota spent.
fn lasting(err: &GradeError) -> bool {
    matches!(
        err,
        GradeError::Judge(AskError::Call(
            CallError::Auth { .. }
                | CallError::NotFound { .. }
                | CallError::Unreachable { .. }
                | CallError::Quota { .. }
        ))
    )
}

/// Shows how a grade ended: the verdict and model answer, a self-grade's
/// score, or why it failed. A storage failure ends the session.
pub fn show(q: &Question, result: std::result::Result<Outcome, GradeError>) -> Result<Graded> {
    let mut out = render::stdout();
    match result {
        Ok(Outcome::Graded(verdict, GradedBy::SelfCheck)) => {
            writeln!(
                out,
                "{}",
                crate::report::verdict::self_graded(&verdict, render::width())
            )?;
            if !verdict.follow_up.is_empty() {
                write!(out, "{}", render::wrap(&verdict.follow_up, "  "))?;
            }
        }
        Ok(Outcome::Graded(verdict, by)) => {
            drop(out);
            show_verdict(q, &by, &verdict)?;
        }
        Ok(Outcome::Abandoned) => {
            render::note("Self-grading left: the answer is saved ungraded; `grill --offline regrade` grades it later.");
            return Ok(Graded::Stopped);
        }
        Ok(Outcome::NoEstimate) => render::note(crate::grading::NO_ESTIMATE),
        Err(GradeError::Storage(err)) => return Err(err.with_hint(
            "your answer is saved ungraded; free space or fix the database, then `grill regrade`",
        )),
        Err(err) => {
            writeln!(out)?;
            writeln!(
                out,
                "{YELLOW}Grading failed:{YELLOW:#} {}",
                crate::text::sanitize(&err.to_string())
            )?;
            writeln!(
                out,
                "Your answer is saved; `grill regrade` grades it later."
            )?;
            return Ok(Graded::Failed {
                lasting: lasting(&err),
            });
        }
    }
    Ok(Graded::Done)
}
