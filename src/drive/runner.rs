//! What a session's effects are performed with: the grader, the answer
//! source, the store. Asking, reading, storing at once, grading, showing the
//! verdict, and the report at the end; `super` decides when.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::show::{brief, print_question, show};
use crate::bank::{Bank, Question};
use crate::context::{Context, Offline, Plan};
use crate::error::{Error, Result};
use crate::grading::{Grader, Job, Outcome};
use crate::report;
use crate::session::{self, Filter, Graded, Kind, Left, Order, Seen, Setup, Show};
use crate::store::{Extra, GradedBy, NewAttempt, SessionKind, Store};
use crate::style::YELLOW;
use crate::ui::checklist::Asked;
use crate::ui::input::{self, Answer, Ask, LineSource};
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
    /// `--voice`: answers are spoken.
    pub voice: bool,
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

/// The grader for a session: the judge, or self-grading (offline, or with
/// one sentence saying why the judge cannot be used).
fn session_grader(ctx: &Context, samples: usize) -> Result<Grader> {
    let plan = Plan {
        samples,
        concurrency: None,
        offline: Offline::SelfCheck,
    };
    ctx.grading(plan).or_else(|e| match ctx.judge_unavailable() {
        Some(why) => {
            let _ = writeln!(
                render::stderr(),
                "{YELLOW}Offline mode:{YELLOW:#} {why}. You will grade yourself against the model answer."
            );
            Ok(Grader::SelfCheck)
        }
        None => Err(e),
    })
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
    /// A session of `kind`, its judge asking `samples` verdicts per answer.
    pub fn start(ctx: &'c Context, kind: SessionKind, samples: u16) -> Result<Runner<'c>> {
        let store = Arc::clone(ctx.store()?);
        let grader = session_grader(ctx, usize::from(samples))?;
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
            voice: false,
            due_points: HashMap::new(),
            pending: Vec::new(),
        })
    }

    /// The setup of a session of `kind` over `questions` with this
    /// runner: untimed; an interview adds its length.
    pub fn setup(&self, kind: Kind, questions: usize) -> Setup {
        Setup {
            kind,
            questions,
            interactive: self.interactive,
            follow_ups: self.follow_ups,
            judging: matches!(self.grader, Grader::Judge(_)),
            length: None,
            min_follow_up: Duration::ZERO,
            voice: self.voice,
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
        draft: &str,
    ) -> Answer {
        let hint = hint(q);
        let mut notice = |t: &str| render::note(t);
        let mut ask = Ask {
            hint: &hint,
            deadline,
            notice: &mut notice,
            editor: &mut *editor,
            redraw: redraw.map(|r| r as &mut dyn FnMut()),
            draft,
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
            .record_failure(id, &reason(u.left, !typed.trim().is_empty()))
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
    pub fn grade_now(
        &mut self,
        q: &Question,
        attempt_id: i64,
        text: &str,
        show_as: Show,
    ) -> Result<Graded> {
        let job = Job {
            attempt_id,
            question: q,
            answer: text,
        };
        let runtime = self.ctx.runtime()?;
        let result = match &self.grader {
            Grader::Judge(judge) => {
                let message = format!("grading with {}…", judge.model());
                // Key points as they come, on a terminal: the covered ones
                // only, since a follow-up may still ask about the others.
                let spinner = self.ctx.activity.grading(&message, q, true);
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
            if show_as == Show::Quiet {
                return Ok(Graded::Done);
            }
            if self.follow_up_due(q, attempt_id)? {
                brief(verdict)?;
                return Ok(Graded::Held);
            }
        }
        let self_graded = match &result {
            Ok(Outcome::Graded(verdict, GradedBy::SelfCheck)) => Some(verdict.clone()),
            _ => None,
        };
        let graded = show(q, result)?;
        if let Some(verdict) = self_graded {
            self.grade_rounds_before(q, attempt_id, verdict)?;
        }
        Ok(graded)
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

    /// The rest of the session is graded by hand: the person chose it
    /// after a judge failure that will repeat.
    pub fn grade_by_hand(&mut self) {
        self.grader = Grader::SelfCheck;
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
        // Key points in words. An interview held its verdicts back, so its
        // end is the debrief; a practice showed each verdict already.
        let options = report::debrief::Options {
            model_answers: false,
            brief: session.kind != SessionKind::Interview,
        };
        let built = report::build(&session, &attempts).with_bank(self.ctx.bank()?);
        writeln!(out)?;
        write!(
            out,
            "{}",
            report::text::render_with(&built, render::width(), options)
        )?;
        drop(out);
        if session.kind == SessionKind::Interview {
            self.show_deliveries(&attempts)?;
        }
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

    /// After an interview's debrief, how each spoken answer was delivered: an
    /// interview shows no grade as it goes, so no delivery either until here.
    fn show_deliveries(&self, attempts: &[crate::store::Attempt]) -> Result<()> {
        for a in attempts {
            self.show_delivery(a.id, Some(&a.question_id))?;
        }
        Ok(())
    }

    /// The delivery block of a spoken attempt (nothing for a typed one),
    /// after its grade; under the question's id when `heading` names it.
    pub fn show_delivery(&self, attempt: i64, heading: Option<&str>) -> Result<()> {
        let Some(spoken) = self.store.spoken(attempt)? else {
            return Ok(());
        };
        let Some(d) = spoken.delivery else {
            return Ok(());
        };
        let mut out = render::stdout();
        match heading {
            Some(id) => writeln!(out, "\n{}", crate::text::sanitize(id))?,
            None => writeln!(out)?,
        }
        write!(
            out,
            "{}",
            crate::speech::delivery::block(&d, &spoken.model, render::width())
        )?;
        Ok(())
    }
}

/// Why a question left got no grade, as stored with its attempt.
fn reason(left: Left, typed: bool) -> String {
    let why = match left {
        Left::Skipped => return "skipped with :skip".into(),
        Left::Abandoned => "abandoned with Ctrl-C".to_string(),
        Left::Quit => "open when the session ended".to_string(),
        Left::Ended(signal) => format!(
            "open when {} ended the session",
            crate::error::signal_name(signal)
        ),
    };
    if typed {
        format!("{why}; what was typed is kept, not graded")
    } else {
        why
    }
}
