//! What only an interview does: say its plan, say when the clock cut an
//! answer off, and grade in the background while the next question is asked.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use super::runner::Runner;
use super::view::SessionView;
use crate::bank::Question;
use crate::error::Result;
use crate::grading::{GradeError, Grader, Job};
use crate::style::{BOLD, CYAN};
use crate::text::{clock, plural};
use crate::ui::render;
use crate::ui::signals::until_ctrl_c;

/// Says what is about to happen; in a terminal the clock starts on Enter.
/// False when the person leaves instead.
pub fn show_plan(
    runner: &mut Runner<'_>,
    view: &mut dyn SessionView,
    questions: usize,
    length: Duration,
) -> Result<bool> {
    let mut out = render::stdout();
    writeln!(
        out,
        "{BOLD}Mock interview:{BOLD:#} {} in {}.",
        plural(questions, "question", "questions"),
        clock(length)
    )?;
    let lines = [
        "Each question gets its share of the time left. At its limit the answer is cut off and graded as it stands.",
        if runner.voice {
            "Answer aloud: Enter starts recording, Enter stops; the clock runs while you speak and stops while the recording is transcribed. Enter then takes the transcript, :edit changes it, :type types instead; :skip passes, :quit ends the interview."
        } else {
            "Type your answer; Enter on an empty line submits it. :hint shows a key point, :edit opens $EDITOR, :skip passes, :quit ends the interview, Ctrl-C abandons the answer."
        },
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
        return Ok(view.start_clock(runner));
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
    Ok(view.start_clock(runner))
}

/// Says how an answer ended when the time ran out.
pub fn say_cut_off(cut_off: bool, over: Duration) -> Result<()> {
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

type Grading = tokio::task::JoinHandle<std::result::Result<(), GradeError>>;

/// The judge's grades running while the interview goes on.
#[derive(Default)]
pub struct Background {
    running: Vec<Grading>,
}

impl Background {
    /// Starts the judge on a stored answer.
    pub fn spawn(
        &mut self,
        runner: &Runner<'_>,
        q: &Question,
        attempt_id: i64,
        text: &str,
    ) -> Result<()> {
        let Grader::Judge(judge) = &runner.grader else {
            return Ok(());
        };
        let (judge, store) = (Arc::clone(judge), Arc::clone(&runner.store));
        let (question, answer) = (q.clone(), text.to_string());
        self.running.push(runner.ctx.runtime()?.spawn(async move {
            let job = Job {
                attempt_id,
                question: &question,
                answer: &answer,
            };
            judge.grade(&store, job).await.map(|_| ())
        }));
        Ok(())
    }

    /// Waits for every grade (Ctrl-C stops waiting; the answers stay saved),
    /// then, with `--samples`, puts the points the samples split on to the
    /// candidate, question by question.
    pub fn wait(
        &mut self,
        runner: &mut Runner<'_>,
        questions: &[&Question],
        attempts: &[(usize, i64)],
    ) -> Result<()> {
        if self.running.is_empty() {
            return Ok(());
        }
        let spinner = runner.ctx.activity.spinner("waiting for the judge…");
        let all = futures::future::join_all(std::mem::take(&mut self.running));
        let waited = runner
            .ctx
            .runtime()?
            .block_on(until_ctrl_c(runner.src.ctrl_c(), all));
        drop(spinner);
        let Some(results) = waited else {
            writeln!(
                render::stdout(),
                "Stopped waiting for the judge: the answers it had not graded are saved for `grill regrade`."
            )?;
            return Ok(());
        };
        for result in results {
            if let Ok(Err(GradeError::Storage(err))) = result {
                return Err(err.with_hint(
                    "the answers are saved ungraded; free space or fix the database, then `grill regrade`",
                ));
            }
        }
        for &(index, attempt) in attempts {
            let q = questions[index];
            let Some(verdict) = runner.store.attempt(attempt)?.and_then(|s| s.verdict) else {
                continue;
            };
            if verdict.key_points.iter().any(|p| p.uncertain) {
                writeln!(render::stdout(), "\n{CYAN}{}{CYAN:#}", q.id)?;
                runner.settle_uncertain(q, attempt, verdict);
            }
        }
        Ok(())
    }
}
