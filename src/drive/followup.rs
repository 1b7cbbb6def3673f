//! Follow-up rounds in a session (`--follow-ups N`): after a graded answer
//! that left key points partial or missing, the interviewer asks about them
//! and listens again. The rules live in `grading::followup`, when to ask in
//! `session`; this is the asking, storing and showing.

use std::io::Write;
use std::time::Instant;

use anstyle::Style;

use super::runner::Runner;
use crate::bank::Question;
use crate::error::{Error, Result};
use crate::grading::followup::{merge, narrowed, next_question};
use crate::grading::{self, Checklist, Grader};
use crate::report::debrief::{cap, ANSWER_CHARS, ANSWER_LINES};
use crate::session::Round;
use crate::store::{FollowUpAnswer, GradedBy};
use crate::style::{self, BOLD, DIM, GREEN, YELLOW};
use crate::ui::checklist::Asked;
use crate::ui::input::Answer;
use crate::ui::render;
use crate::ui::signals::until_ctrl_c;
use crate::verdict::{FollowUpRound, Verdict};

/// The hooks an interview gives a round: its time limit, and telling the
/// clock when the editor has the screen and when the judge is grading.
#[derive(Default)]
pub struct Timing<'a> {
    pub deadline: Option<Instant>,
    pub editor: Option<&'a mut dyn FnMut(bool)>,
    pub redraw: Option<&'a mut dyn FnMut()>,
    /// `true` when grading starts (the clock stops), `false` when it ends.
    pub grading: Option<&'a mut dyn FnMut(bool)>,
}

impl Runner<'_> {
    /// The graded verdict of an attempt and whether the judge gave it;
    /// `None` for anything a follow-up cannot build on.
    fn counted_verdict(&self, attempt_id: i64) -> Result<Option<(Verdict, bool)>> {
        let Some(a) = self.store.attempt(attempt_id)? else {
            return Ok(None);
        };
        let judged = matches!(a.graded_by, Some(GradedBy::Judge(_)));
        if a.counted_score().is_none() {
            return Ok(None);
        }
        Ok(a.verdict.map(|v| (v, judged)))
    }

    /// The verdict a follow-up is chosen from, and whether the judge gave
    /// it: the stored grade, or, before a self-grade, the keyword estimate
    /// of the answer with the points already asked about set aside.
    fn open_verdict(&self, q: &Question, attempt_id: i64) -> Result<Option<(Verdict, bool)>> {
        if let Some(counted) = self.counted_verdict(attempt_id)? {
            return Ok(Some(counted));
        }
        let Some(a) = self.store.attempt(attempt_id)? else {
            return Ok(None);
        };
        if self.judging() || a.verdict.is_some() {
            return Ok(None);
        }
        let mut estimate = grading::estimate(q, &a.answer);
        for round in asked_before_grade(&a) {
            for p in &mut estimate.key_points {
                p.recovered |= round.points.contains(&p.id);
            }
            estimate.follow_ups.push(round.clone());
        }
        Ok(Some((estimate, false)))
    }

    /// Whether a follow-up would be asked now: rounds left and points open.
    pub fn follow_up_due(&self, q: &Question, attempt_id: i64) -> Result<bool> {
        Ok(self.next_round(q, attempt_id)?.is_some())
    }

    /// The round to ask now, if rounds are left and points open: the
    /// verdict it is chosen from, the question and the points it is about.
    fn next_round(
        &self,
        q: &Question,
        attempt_id: i64,
    ) -> Result<Option<(Verdict, String, Vec<String>)>> {
        if self.follow_ups == 0 {
            return Ok(None);
        }
        let Some((verdict, judged)) = self.open_verdict(q, attempt_id)? else {
            return Ok(None);
        };
        if verdict.follow_ups.len() >= usize::from(self.follow_ups) {
            return Ok(None);
        }
        let next = next_question(&verdict, judged && self.judging(), Some(q));
        Ok(next.map(|(asked, points)| (verdict, asked, points)))
    }

    /// Whether the attempt's self-grade is still to come: a round asked now
    /// is stored, to be graded after it.
    fn grades_later(&self, attempt_id: i64) -> Result<bool> {
        Ok(!self.judging() && self.counted_verdict(attempt_id)?.is_none())
    }

    fn judging(&self) -> bool {
        matches!(self.grader, Grader::Judge(_))
    }

    /// Records a follow-up that was due but not asked (no time left), so
    /// the report says so.
    pub fn follow_up_not_asked(&mut self, q: &Question, attempt_id: i64, why: &str) -> Result<()> {
        let Some((verdict, question, points)) = self.next_round(q, attempt_id)? else {
            return Ok(());
        };
        let round = FollowUpRound {
            question,
            points,
            note: Some(why.to_string()),
            ..FollowUpRound::default()
        };
        self.keep_round(q, attempt_id, &verdict, round)?;
        render::note(&format!("No follow-up: {why}."));
        Ok(())
    }

    /// Asks one follow-up about the points the answer left open, stores the
    /// answer before grading it, grades it against those points only, and
    /// stores the verdict with what it recovered.
    pub fn follow_up(
        &mut self,
        q: &Question,
        attempt_id: i64,
        timing: Timing<'_>,
    ) -> Result<Round> {
        let Some((verdict, asked, points)) = self.next_round(q, attempt_id)? else {
            return Ok(Round::Nothing);
        };
        let narrow = narrowed(q, &asked, &points);
        say_follow_up(&asked, timing.deadline)?;
        let Timing {
            deadline,
            editor,
            redraw,
            grading,
        } = timing;
        let mut no_editor = |_: bool| {};
        let editor = editor.unwrap_or(&mut no_editor);
        let start = Instant::now();
        let mut round = FollowUpRound {
            question: asked,
            points,
            ..FollowUpRound::default()
        };
        // After a resize the caller draws the question again; the follow-up
        // goes under it, or the screen would show its answer without it.
        let mut again = redraw.map(|draw| {
            let asked = round.question.clone();
            move || {
                draw();
                let _ = say_follow_up(&asked, deadline);
            }
        });
        let again = again.as_mut().map(|r| r as &mut dyn FnMut());
        let text = match self.read(&narrow, deadline, editor, again, "") {
            Answer::Text { text, cut_off, .. } if !text.trim().is_empty() => {
                round.cut_off = cut_off;
                if cut_off {
                    writeln!(
                        render::stdout(),
                        "Time is up for this question: your follow-up answer was cut off and will be graded as it stands."
                    )?;
                }
                text
            }
            Answer::Invalid => return Err(Error::input("standard input is not UTF-8 text")),
            other => {
                if matches!(other, Answer::Ended { .. }) {
                    round.seconds = Some(start.elapsed().as_secs_f64());
                }
                return self.no_answer(q, attempt_id, &verdict, round, other);
            }
        };
        round.seconds = Some(start.elapsed().as_secs_f64());
        round.answer.clone_from(&text);
        if self.grades_later(attempt_id)? {
            // Graded with the answer, after its checklist.
            self.keep_round(q, attempt_id, &verdict, round)?;
            return Ok(Round::Asked);
        }
        // Typed answers are stored before any network call.
        self.store.push_follow_up_answer(
            attempt_id,
            &FollowUpAnswer {
                question: round.question.clone(),
                answer: text.clone(),
                before_grade: None,
            },
        )?;
        let mut no_hook = |_: bool| {};
        let grading = grading.unwrap_or(&mut no_hook);
        grading(true);
        let judged_round = self.grade_follow_up(&narrow, &text);
        grading(false);
        let merged = match judged_round? {
            Ok(v) => merge(&verdict, round, Some(&v)),
            Err(why) => {
                round.note = Some(why);
                merge(&verdict, round, None)
            }
        };
        self.store.revise_verdict(attempt_id, &q.id, &merged)?;
        // A judged answer's whole verdict, follow-ups included, comes after
        // its rounds (or in the interview's report); a self-grade's now.
        if !self.judging() {
            show_round(q, &merged)?;
        }
        Ok(Round::Asked)
    }

    /// A round that got no answer to grade, stored as it ended, before
    /// anything else happens: not answered (`:skip`, nothing typed), left
    /// (`:quit`, Ctrl-C), or ended by SIGTERM or SIGHUP, which ends the run.
    fn no_answer(
        &mut self,
        q: &Question,
        attempt_id: i64,
        verdict: &Verdict,
        mut round: FollowUpRound,
        answer: Answer,
    ) -> Result<Round> {
        let (note, next) = match answer {
            Answer::Text { cut_off, .. } => {
                round.cut_off = cut_off;
                ("not answered".to_string(), Ok(Round::Asked))
            }
            Answer::Quit { typed } | Answer::Abandoned { typed } => {
                round.answer = typed;
                ("you left it unanswered".to_string(), Ok(Round::Quit))
            }
            Answer::Ended { typed, signal } => {
                round.answer = typed;
                let name = crate::error::signal_name(signal);
                (format!("{name} ended the session"), Err(signal))
            }
            Answer::Skip | Answer::Invalid => ("not answered".to_string(), Ok(Round::Asked)),
        };
        round.note = Some(note);
        self.keep_round(q, attempt_id, verdict, round)?;
        next.or_else(|signal| {
            self.close_for_signal()?;
            Err(Error::signal(signal))
        })
    }

    /// Shows the stored verdict of an attempt in full, with the model answer.
    pub fn reveal(&self, q: &Question, attempt_id: i64) -> Result<()> {
        let Some(a) = self.store.attempt(attempt_id)? else {
            return Ok(());
        };
        if let (Some(verdict), Some(by)) = (a.verdict, a.graded_by) {
            super::show::show_verdict(q, &by, &verdict)?;
        }
        Ok(())
    }

    /// Stores a round that has no grade of its own (yet): with the verdict,
    /// or, asked before a self-grade, with the answers to grade after it.
    fn keep_round(
        &mut self,
        q: &Question,
        attempt_id: i64,
        verdict: &Verdict,
        round: FollowUpRound,
    ) -> Result<()> {
        if self.grades_later(attempt_id)? {
            return self.store.push_follow_up_answer(
                attempt_id,
                &FollowUpAnswer {
                    question: round.question.clone(),
                    answer: round.answer.clone(),
                    before_grade: Some(round),
                },
            );
        }
        self.store
            .revise_verdict(attempt_id, &q.id, &merge(verdict, round, None))
    }

    /// After a self-grade, the rounds asked before it: each answer marked
    /// against its points the grade left open, the verdict stored and shown
    /// after each. A point the answer itself covered is not recovered twice.
    pub fn grade_rounds_before(
        &mut self,
        q: &Question,
        attempt_id: i64,
        mut verdict: Verdict,
    ) -> Result<()> {
        let Some(a) = self.store.attempt(attempt_id)? else {
            return Ok(());
        };
        for mut round in asked_before_grade(&a).cloned() {
            let open: Vec<String> = grading::followup::open_points(&verdict)
                .iter()
                .map(|p| p.id.clone())
                .filter(|id| round.points.contains(id))
                .collect();
            if round.note.is_none() && open.is_empty() {
                round.note = Some("your answer covered what it asked about".into());
            }
            let merged = if round.note.is_some() {
                merge(&verdict, round, None)
            } else {
                let narrow = narrowed(q, &round.question, &open);
                let mut out = render::stdout();
                writeln!(out, "\n{BOLD}Follow-up{BOLD:#}")?;
                write!(out, "{}", render::wrap(&round.question, "  "))?;
                // A long paste is cut here as in the debrief; stored whole.
                let (shown, left) = cap(&round.answer, ANSWER_LINES, ANSWER_CHARS);
                write!(
                    out,
                    "{DIM}{}{DIM:#}",
                    render::wrap(&format!("Your answer: {shown}"), "  ")
                )?;
                if left > 0 {
                    writeln!(out, "  {DIM}… cut here{DIM:#}")?;
                }
                drop(out);
                round.points = open;
                match self.grade_follow_up(&narrow, &round.answer.clone())? {
                    Ok(v) => merge(&verdict, round, Some(&v)),
                    Err(why) => {
                        round.note = Some(why);
                        merge(&verdict, round, None)
                    }
                }
            };
            self.store.revise_verdict(attempt_id, &q.id, &merged)?;
            show_round(q, &merged)?;
            verdict = merged;
        }
        Ok(())
    }

    /// The follow-up's own verdict on the open points, or why it has none.
    fn grade_follow_up(
        &mut self,
        narrow: &Question,
        answer: &str,
    ) -> Result<std::result::Result<Verdict, String>> {
        let runtime = self.ctx.runtime()?;
        match &self.grader {
            Grader::Judge(judge) => {
                let message = format!("grading the follow-up with {}…", judge.model());
                let spinner = self.ctx.activity.grading(&message, narrow, false);
                let assessing = judge.assess(&self.store, narrow, answer);
                let done = runtime.block_on(until_ctrl_c(self.src.ctrl_c(), assessing));
                drop(spinner);
                Ok(match done {
                    Some(Ok(assessed)) => Ok(assessed.verdict),
                    Some(Err(grading::GradeError::Storage(err))) => return Err(err),
                    Some(Err(err)) => Err(format!("grading failed: {err}")),
                    None => Err("grading cancelled".into()),
                })
            }
            _ => {
                let guesses = crate::cues::match_all(answer, &narrow.key_points);
                let mut checklist = Asked {
                    src: self.src.as_mut(),
                    model_answer: false,
                };
                Ok(match checklist.mark(narrow, answer, &guesses) {
                    Some(marks) => Ok(grading::self_verdict(narrow, &marks)),
                    None => Err("self-grading left".into()),
                })
            }
        }
    }
}

/// The rounds asked before an attempt's self-grade, as they went.
fn asked_before_grade(a: &crate::store::Attempt) -> impl Iterator<Item = &FollowUpRound> {
    a.extra
        .iter()
        .flat_map(|e| &e.follow_up_answers)
        .filter_map(|f| f.before_grade.as_ref())
}

/// The follow-up question, and the time it has.
fn say_follow_up(asked: &str, deadline: Option<Instant>) -> Result<()> {
    let mut out = render::stdout();
    let time = deadline.map_or_else(String::new, |d| {
        format!(
            " · you have {}",
            crate::text::clock(d.saturating_duration_since(Instant::now()))
        )
    });
    writeln!(out)?;
    let tail = format!(
        "· about what your answer left open; a point you make now earns half its weight{time}"
    );
    write!(out, "{}", render::heading("Follow-up", Style::new(), &tail))?;
    write!(out, "{BOLD}{}{BOLD:#}", render::wrap(asked, "  "))?;
    out.flush()?;
    Ok(())
}

/// What the last round recovered, and the score with and without it.
fn show_round(q: &Question, verdict: &Verdict) -> Result<()> {
    let Some(round) = verdict.follow_ups.last() else {
        return Ok(());
    };
    let mut out = render::stdout();
    writeln!(out)?;
    if let Some(note) = &round.note {
        writeln!(
            out,
            "{YELLOW}Follow-up not graded:{YELLOW:#} {}",
            crate::text::sanitize(note)
        )?;
        return Ok(());
    }
    if round.recovered.is_empty() {
        let partial = round
            .key_points
            .iter()
            .any(|p| p.coverage == crate::verdict::Coverage::Partial);
        let said = if partial {
            vec![
                ("Nothing recovered on the follow-up:", YELLOW),
                (
                    "a point is recovered when the follow-up covers it in full, not in part",
                    Style::new(),
                ),
            ]
        } else {
            vec![("Nothing recovered on the follow-up.", YELLOW)]
        };
        write!(out, "{}", render::spans(&said, "", ""))?;
    }
    for id in &round.recovered {
        let text = q
            .key_points
            .iter()
            .find(|k| &k.id == id)
            .map_or(id.as_str(), |k| k.point.as_str());
        let said = [("↺ recovered on follow-up:", GREEN), (text, Style::new())];
        write!(out, "{}", render::spans(&said, "  ", "  "))?;
    }
    let style = style::score(verdict.score);
    let title = format!("Score {:.1}/10", verdict.score);
    let tail = format!("(the answer {:.1}, with the follow-up)", round.score_before);
    write!(out, "{}", render::heading(&title, style, &tail))?;
    Ok(())
}
