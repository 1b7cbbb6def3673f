//! The session flow that practice, review and interview share: choose the
//! grader, ask a question, read the answer, store it at once, grade it, show
//! the verdict, and end with the session's report. Written once; each
//! command decides only the order of questions and the clock.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bank::{Bank, Question};
pub use crate::commands::left::Left;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::grading::{GradeError, Grader, Job, Outcome};
use crate::provider::ask::AskError;
use crate::provider::openai::CallError;
use crate::report;
use crate::session::{self, Filter, Order, Seen};
use crate::store::{Extra, GradedBy, NewAttempt, SessionKind, Store};
use crate::style::{self, BOLD, DIM, GREEN, RED, YELLOW};
use crate::ui::checklist::Asked;
use crate::ui::input::{self, Answer, Ask, Line, LineSource};
use crate::ui::render;
use crate::verdict::Verdict;

/// What a session runs with, built once.
pub struct Runner<'c> {
    pub ctx: &'c Context,
    pub store: Arc<Store>,
    pub src: Box<dyn LineSource>,
    pub grader: Grader,
    pub session_id: i64,
    pub interactive: bool,
    /// Follow-up rounds after each graded answer with points open.
    pub follow_ups: u8,
    /// The judge's verdicts are not shown as they come (an interview shows
    /// them in its report).
    pub quiet: bool,
    /// An answer whose full verdict waits until its follow-ups are done, so
    /// the model answer does not give the open points away.
    pub held: Option<i64>,
    /// In a review: each question's key points that were due, to say after
    /// the answer which of them were recalled.
    pub due_points: HashMap<String, Vec<String>>,
    /// Questions passed over with nothing typed, stored only once the
    /// session holds an answer: a session of skips leaves no trace.
    pending: Vec<Unanswered>,
}

struct Unanswered {
    question_id: String,
    topic: String,
    seconds: f64,
    left: Left,
}

/// How grading an answer ended, for what the session offers next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Graded {
    Done,
    /// The judge failed; `lasting` when it will fail the same way for every
    /// answer (the key refused, a 404, the server unreachable).
    Failed {
        lasting: bool,
    },
    /// Ctrl-C while the judge worked, or self-grading left: saved ungraded.
    Stopped,
}

/// The grader for a session: the judge, or self-grading with one sentence saying why.
fn session_grader(ctx: &Context) -> Result<Grader> {
    if ctx.settings.offline {
        return Ok(Grader::SelfCheck);
    }
    if let Some(why) = ctx.judge_unavailable() {
        let _ = writeln!(
            render::stderr(),
            "{YELLOW}Offline mode:{YELLOW:#} {why}. You will grade yourself against the model answer."
        );
        return Ok(Grader::SelfCheck);
    }
    Ok(Grader::Judge(Arc::clone(ctx.judge()?)))
}

/// What the store knows of each question, for ordering.
fn seen(
    store: &Store,
    bank: &Bank,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HashMap<String, Seen>> {
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for a in store.all_attempts()? {
        if let Some(score) = a.counted_score() {
            seen.entry(a.question_id.clone()).or_default().last_score = Some(score);
        }
    }
    for entry in store.schedule(&|id| bank.key_point_ids(id))? {
        let due = crate::schedule::is_due(&entry, now);
        let s = seen.entry(entry.id).or_default();
        s.due = due;
        s.due_at = Some(entry.due);
    }
    Ok(seen)
}

/// The questions matching `filter`, in `order` (default: due, unseen, weakest).
pub fn plan<'b>(
    ctx: &Context,
    bank: &'b Bank,
    filter: &Filter,
    order: Option<Order>,
) -> Result<Vec<&'b Question>> {
    let candidates = session::candidates(bank, filter)?;
    // Questions named on the command line keep the order given, unless an
    // order is asked for: a script piping answers in gets the same
    // questions in the same order every run.
    if !filter.questions.is_empty() && order.is_none() {
        return Ok(candidates);
    }
    let seen = seen(ctx.store()?, bank, ctx.clock().now())?;
    Ok(session::order(candidates, order, &seen, ctx.seed()))
}

/// The first key point, shown on `:hint`.
fn hint(q: &Question) -> String {
    q.key_points
        .first()
        .map_or_else(String::new, |k| k.point.clone())
}

impl<'c> Runner<'c> {
    pub fn start(ctx: &'c Context, kind: SessionKind) -> Result<Runner<'c>> {
        let store = Arc::clone(ctx.store()?);
        let grader = session_grader(ctx)?;
        let src = crate::ui::terminal::open_source();
        let interactive = src.interactive();
        let session_id = store.start_session(kind)?;
        Ok(Runner {
            ctx,
            store,
            src,
            grader,
            session_id,
            interactive,
            follow_ups: 0,
            quiet: false,
            held: None,
            due_points: HashMap::new(),
            pending: Vec::new(),
        })
    }

    /// Asks the judge for `n` verdicts per answer (`--samples`).
    pub fn samples(&self, n: u16) {
        if let Grader::Judge(judge) = &self.grader {
            judge.set_samples(usize::from(n));
        }
    }

    /// Follow-up rounds per answer: `n`, or by default one in a terminal
    /// and none when answers come from a pipe, so scripts keep their protocol.
    pub fn set_follow_ups(&mut self, n: Option<u8>) {
        self.follow_ups = n.unwrap_or(u8::from(self.interactive));
    }

    /// Prints question `n` of `total`; `extra` goes on its header line.
    pub fn ask(&self, q: &Question, n: usize, total: usize, extra: &str) -> Result<()> {
        print_question(q, n, total, extra, self.interactive && n == 1)
    }

    /// Reads one answer, until `deadline` if there is one; `editor` is told
    /// when `:edit` hands the screen to `$EDITOR` and when it is back;
    /// `redraw`, if given, draws the screen again after a resize.
    pub fn read(
        &mut self,
        q: &Question,
        deadline: Option<Instant>,
        editor: &mut dyn FnMut(bool),
        redraw: Option<&mut dyn FnMut()>,
    ) -> Answer {
        let hint = hint(q);
        let mut notice = |t: &str| render::note(t);
        let mut ask = Ask {
            hint: &hint,
            deadline,
            notice: &mut notice,
            editor: &mut *editor,
            redraw: redraw.map(|r| r as &mut dyn FnMut()),
        };
        input::read_answer(self.src.as_mut(), &mut ask)
    }

    /// Stores an answer before anything else happens to it; `over` is how
    /// far past its time limit it ended (the editor cannot be cut off).
    pub fn keep(
        &mut self,
        q: &Question,
        text: &str,
        seconds: f64,
        cut_off: bool,
        over: Duration,
    ) -> Result<i64> {
        self.flush_pending()?;
        let extra = (!over.is_zero()).then(|| Extra {
            over_seconds: Some(over.as_secs_f64().round()),
            ..Extra::default()
        });
        self.store.insert_attempt(&NewAttempt {
            session_id: Some(self.session_id),
            question_id: &q.id,
            topic: &q.topic,
            answer: text,
            seconds: Some(seconds),
            cut_off,
            extra,
        })
    }

    /// Records a question asked that got no answer to grade, with why, so
    /// the report lists every question asked. What was typed is kept (not
    /// graded); with nothing typed it waits until the session has an answer.
    pub fn unanswered(
        &mut self,
        q: &Question,
        typed: &str,
        seconds: f64,
        left: Left,
    ) -> Result<()> {
        let record = Unanswered {
            question_id: q.id.clone(),
            topic: q.topic.clone(),
            seconds,
            left,
        };
        if typed.trim().is_empty() {
            self.pending.push(record);
            return Ok(());
        }
        self.flush_pending()?;
        self.store_unanswered(&record, typed)
    }

    fn flush_pending(&mut self) -> Result<()> {
        for record in std::mem::take(&mut self.pending) {
            self.store_unanswered(&record, "")?;
        }
        Ok(())
    }

    fn store_unanswered(&self, u: &Unanswered, typed: &str) -> Result<()> {
        let id = self.store.insert_attempt(&NewAttempt {
            session_id: Some(self.session_id),
            question_id: &u.question_id,
            topic: &u.topic,
            answer: typed,
            seconds: Some(u.seconds),
            cut_off: false,
            extra: Some(Extra {
                ended: Some(u.left.word().to_string()),
                ..Extra::default()
            }),
        })?;
        self.store.mark_skipped(id)?;
        self.store
            .record_failure(id, &u.left.reason(!typed.trim().is_empty()))
    }

    /// SIGTERM or SIGHUP while an answer to `q` was read: what was typed is
    /// stored first, then the session is closed as `finish` closes it, and
    /// the run ends with the signal's status. A storage failure is said
    /// instead, since then what was typed may not be saved.
    pub fn end_by_signal(&mut self, q: &Question, typed: &str, seconds: f64, signal: i32) -> Error {
        match self
            .unanswered(q, typed, seconds, Left::Ended(signal))
            .and_then(|()| self.close_for_signal())
        {
            Ok(()) => Error::signal(signal),
            Err(e) => e,
        }
    }

    /// The session closed without its report, after a signal: pending
    /// skips stored if it holds an answer, an empty session dropped.
    pub fn close_for_signal(&mut self) -> Result<()> {
        if self.store.session_attempts(self.session_id)?.is_empty() {
            self.pending.clear();
        }
        self.flush_pending()?;
        if !self.store.drop_session_if_empty(self.session_id)? {
            self.store.end_session(self.session_id)?;
        }
        Ok(())
    }

    /// Grades a stored answer now and shows the outcome: the judge with a
    /// spinner (Ctrl-C cancels it), or the self-grading checklist. A storage
    /// failure ends the session; a judge failure does not.
    pub fn grade_now(&mut self, q: &Question, attempt_id: i64, text: &str) -> Result<Graded> {
        let job = Job {
            attempt_id,
            question: q,
            answer: text,
        };
        let runtime = self.ctx.runtime()?;
        let result = match &self.grader {
            Grader::Judge(judge) => {
                let spinner = self
                    .ctx
                    .activity
                    .spinner(&format!("grading with {}…", judge.model()));
                let grading = judge.grade(&self.store, job);
                match runtime.block_on(crate::ui::signals::until_ctrl_c(self.src.ctrl_c(), grading))
                {
                    Some(result) => result.map(|(v, by)| {
                        drop(spinner);
                        Outcome::Graded(self.settle_uncertain(q, attempt_id, v), by)
                    }),
                    None => {
                        render::note("Grading cancelled. Your answer is saved; `grill regrade` grades it later.");
                        return Ok(Graded::Stopped);
                    }
                }
            }
            grader => {
                let grader = grader.clone();
                let mut checklist = Asked {
                    src: self.src.as_mut(),
                    model_answer: true,
                };
                runtime.block_on(grader.grade(&self.store, job, &mut checklist))
            }
        };
        if let Ok(Outcome::Graded(verdict, GradedBy::Judge(_))) = &result {
            if self.quiet {
                return Ok(Graded::Done);
            }
            if self.follow_up_due(attempt_id)? {
                self.held = Some(attempt_id);
                brief(verdict)?;
                return Ok(Graded::Done);
            }
        }
        show(q, result)
    }

    /// In a review, after an answer's grade: which of its due key points
    /// were recalled (covered, or recovered on a follow-up) and which not.
    pub fn show_recalled(&self, q: &Question, attempt_id: i64) -> Result<()> {
        let Some(due) = self.due_points.get(&q.id).filter(|d| !d.is_empty()) else {
            return Ok(());
        };
        let Some(verdict) = self.store.attempt(attempt_id)?.and_then(|a| a.verdict) else {
            return Ok(());
        };
        let (recalled, not): (Vec<&String>, Vec<&String>) = due.iter().partition(|id| {
            verdict.key_points.iter().any(|p| {
                &&p.id == id && (p.coverage == crate::verdict::Coverage::Covered || p.recovered)
            })
        });
        let list = |ids: &[&String]| {
            ids.iter()
                .map(|s| crate::text::sanitize(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !recalled.is_empty() {
            parts.push(format!("{GREEN}recalled{GREEN:#} {}", list(&recalled)));
        }
        if !not.is_empty() {
            parts.push(format!("{RED}not yet{RED:#} {}", list(&not)));
        }
        writeln!(
            render::stdout(),
            "{BOLD}Due for review{BOLD:#} {DIM}({} of {} points){DIM:#}: {}",
            recalled.len(),
            due.len(),
            parts.join(" · ")
        )?;
        Ok(())
    }

    /// With `--samples`, the points the judge's samples split on are put to
    /// the candidate; their marks replace the majority in the stored verdict
    /// (the review card stays as the judge's grade moved it).
    pub fn settle_uncertain(&mut self, q: &Question, attempt_id: i64, verdict: Verdict) -> Verdict {
        let marks = crate::ui::uncertain::ask(self.src.as_mut(), q, &verdict);
        if marks.is_empty() {
            return verdict;
        }
        let settled = crate::grading::settle(&verdict, &marks);
        match self.store.revise_verdict(attempt_id, &q.id, &settled) {
            Ok(()) => settled,
            Err(_) => verdict,
        }
    }

    /// After a judge failure that will repeat: offers to grade the rest of
    /// the session by hand. True when the person took it.
    pub fn offer_self_grading(&mut self) -> bool {
        if !self.interactive || !matches!(self.grader, Grader::Judge(_)) {
            return false;
        }
        let prompt = "The judge will fail the same way for every answer. Grade the rest of this session yourself against the model answers? [Y/n] › ";
        let yes = match self.src.read_line(prompt, None) {
            Line::Text(t) => !t.trim().eq_ignore_ascii_case("n"),
            _ => false,
        };
        if yes {
            self.grader = Grader::SelfCheck;
        }
        yes
    }

    /// Asks whether to leave after a Ctrl-C. Off a terminal there is no one to ask.
    pub fn confirm_leave(&mut self) -> bool {
        if !self.interactive {
            return true;
        }
        render::note("Answer abandoned.");
        match self.src.read_line("Leave the session? [y/N] › ", None) {
            Line::Text(t) => t.trim().eq_ignore_ascii_case("y"),
            Line::Eof | Line::Invalid | Line::Ended { .. } => true,
            Line::Interrupted | Line::TimedOut { .. } | Line::Resized { .. } => false,
        }
    }

    /// Ends the session and prints its report; a session without a single
    /// answer (only skips) leaves no trace.
    pub fn finish(&mut self) -> Result<()> {
        let mut out = render::stdout();
        if self.store.session_attempts(self.session_id)?.is_empty() {
            self.pending.clear();
        }
        self.flush_pending()?;
        if self.store.drop_session_if_empty(self.session_id)? {
            writeln!(out, "\nNo answers in this session.")?;
            return Ok(());
        }
        self.store.end_session(self.session_id)?;
        let session = self
            .store
            .session(self.session_id)?
            .ok_or_else(|| Error::failure("the session disappeared from the database"))?;
        let attempts = self.store.session_attempts(self.session_id)?;
        let built = report::build(&session, &attempts);
        writeln!(out)?;
        write!(out, "{}", report::text::render(&built, render::width()))?;
        // The session ran, but some of its work failed: exit 1, as documented.
        let failed = attempts
            .iter()
            .filter(|a| a.status == crate::store::Status::Ungraded && a.error.is_some())
            .count();
        if failed > 0 {
            let what = crate::text::plural(failed, "answer", "answers");
            return Err(Error::failure(format!("{what} could not be graded")));
        }
        Ok(())
    }
}

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
        writeln!(out, "{DIM}  {KEYS}{DIM:#}")?;
    }
    out.flush()?;
    Ok(())
}

/// The keys of an answer, shown under the first question.
pub const KEYS: &str =
    "Type your answer. Enter on an empty line submits · :hint · :edit · :skip · :quit · Ctrl-C abandons";

/// The score alone, while a follow-up is still to come.
fn brief(verdict: &Verdict) -> Result<()> {
    let mut out = render::stdout();
    let count = |c| {
        verdict
            .key_points
            .iter()
            .filter(|p| p.coverage == c)
            .count()
    };
    let covered = count(crate::verdict::Coverage::Covered);
    // Partial points are said: "0 of 7 covered" for seven partials misleads.
    let partial = match count(crate::verdict::Coverage::Partial) {
        0 => String::new(),
        n => format!(", {n} partly"),
    };
    let style = style::score(verdict.score);
    writeln!(out)?;
    writeln!(
        out,
        "{BOLD}{style}Score so far {:.1}/10{style:#}{BOLD:#} {DIM}· {covered} of {} key points covered{partial}; the full verdict and the model answer come after the follow-up{DIM:#}",
        verdict.score,
        verdict.key_points.len()
    )?;
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
fn show(q: &Question, result: std::result::Result<Outcome, GradeError>) -> Result<Graded> {
    let mut out = render::stdout();
    match result {
        Ok(Outcome::Graded(verdict, GradedBy::SelfCheck)) => {
            let style = style::score(verdict.score);
            writeln!(
                out,
                "{BOLD}{style}Score {:.1}/10{style:#}{BOLD:#} {DIM}(self-graded){DIM:#}",
                verdict.score
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
