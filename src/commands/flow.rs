//! The session flow that practice, review and interview share: choose the
//! grader, ask a question, read the answer, store it at once, grade it, show
//! the verdict, and end with the session's report. Written once; each
//! command decides only the order of questions and the clock.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bank::{Bank, Question};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::grading::{GradeError, Grader, Job, Outcome};
use crate::judge::Verdict;
use crate::report;
use crate::session::{self, Filter, Order, Seen};
use crate::store::{GradedBy, NewAttempt, SessionKind, Store};
use crate::style::{self, BOLD, DIM, YELLOW};
use crate::ui::checklist::Asked;
use crate::ui::input::{self, Answer, Line, LineSource};
use crate::ui::render;

/// What a session runs with, built once.
pub struct Runner<'c> {
    pub ctx: &'c Context,
    pub store: Arc<Store>,
    pub src: Box<dyn LineSource>,
    pub grader: Grader,
    pub session_id: i64,
    pub interactive: bool,
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
    let seen = seen(ctx.store()?, bank, ctx.clock().now())?;
    Ok(session::order(candidates, order, &seen, ctx.seed()))
}

/// Runs `work` unless Ctrl-C comes first (`None`). A Ctrl-C from before the
/// work started (or a stray cut-off signal) does not count.
pub async fn until_ctrl_c<T>(
    flag: Option<Arc<AtomicBool>>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(flag) = flag else {
        return Some(work.await);
    };
    flag.store(false, Ordering::SeqCst);
    let pressed = async {
        while !flag.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        out = work => Some(out),
        () = pressed => None,
    }
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
        let src = input::open_source();
        let interactive = src.interactive();
        let session_id = store.start_session(kind)?;
        Ok(Runner {
            ctx,
            store,
            src,
            grader,
            session_id,
            interactive,
        })
    }

    /// Asks the judge for `n` verdicts per answer (`--samples`).
    pub fn samples(&self, n: u16) {
        if let Grader::Judge(judge) = &self.grader {
            judge.set_samples(usize::from(n));
        }
    }

    /// Prints question `n` of `total`; `extra` goes on its header line.
    pub fn ask(&self, q: &Question, n: usize, total: usize, extra: &str) -> Result<()> {
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
        if self.interactive && n == 1 {
            writeln!(
                out,
                "{DIM}  Type your answer. Enter on an empty line submits · :hint · :edit · :skip · :quit · Ctrl-C abandons{DIM:#}"
            )?;
        }
        out.flush()?;
        Ok(())
    }

    /// Reads one answer, until `deadline` if there is one.
    pub fn read(&mut self, q: &Question, deadline: Option<Instant>) -> Answer {
        input::read_answer(self.src.as_mut(), &hint(q), deadline, &mut |t| {
            render::note(t);
        })
    }

    /// Stores an answer before anything else happens to it.
    pub fn keep(&self, q: &Question, text: &str, seconds: f64, cut_off: bool) -> Result<i64> {
        self.store.insert_attempt(&NewAttempt {
            session_id: Some(self.session_id),
            question_id: &q.id,
            topic: &q.topic,
            answer: text,
            seconds: Some(seconds),
            cut_off,
            extra: None,
        })
    }

    /// Grades a stored answer now and shows the outcome: the judge with a
    /// spinner (Ctrl-C cancels it), or the self-grading checklist. A storage
    /// failure ends the session; a judge failure does not.
    pub fn grade_now(&mut self, q: &Question, attempt_id: i64, text: &str) -> Result<()> {
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
                match runtime.block_on(until_ctrl_c(self.src.ctrl_c(), grading)) {
                    Some(result) => result.map(|(v, by)| {
                        drop(spinner);
                        Outcome::Graded(self.settle_uncertain(q, attempt_id, v), by)
                    }),
                    None => {
                        render::note("Grading cancelled. Your answer is saved; `grill regrade` grades it later.");
                        return Ok(());
                    }
                }
            }
            grader => {
                let grader = grader.clone();
                let mut checklist = Asked {
                    src: self.src.as_mut(),
                };
                runtime.block_on(grader.grade(&self.store, job, &mut checklist))
            }
        };
        show(q, result)
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
        match self.store.update_verdict(attempt_id, &settled) {
            Ok(()) => settled,
            Err(_) => verdict,
        }
    }

    /// Asks whether to leave after a Ctrl-C. Off a terminal there is no one to ask.
    pub fn confirm_leave(&mut self) -> bool {
        if !self.interactive {
            return true;
        }
        render::note("Answer abandoned.");
        match self.src.read_line("Leave the session? [y/N] › ", None) {
            Line::Text(t) => t.trim().eq_ignore_ascii_case("y"),
            Line::Eof | Line::Invalid => true,
            Line::Interrupted | Line::TimedOut { .. } => false,
        }
    }

    /// Ends the session and prints its report; an empty session leaves no trace.
    pub fn finish(&self) -> Result<()> {
        let mut out = render::stdout();
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
        Ok(())
    }
}

/// Shows how a grade ended: the verdict and model answer, a self-grade's
/// score, or why it failed. A storage failure ends the session.
fn show(q: &Question, result: std::result::Result<Outcome, GradeError>) -> Result<()> {
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
            writeln!(out)?;
            let text = report::verdict::text(q, &by, &verdict, render::width());
            write!(out, "{text}")?;
            writeln!(out)?;
            writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
            write!(out, "{}", render::wrap(&q.model_answer, "  "))?;
        }
        Ok(Outcome::Abandoned) => {
            render::note("Self-grading abandoned: the answer is saved ungraded.");
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
        }
    }
    Ok(())
}
