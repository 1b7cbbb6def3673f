//! `practice`, `interview` and `review`: the interactive loop. It asks, reads
//! an answer (terminal or pipe), stores it at once, grades it (judge or
//! self), and ends with the session report.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bank::{Bank, Question};
use crate::cli::{InterviewArgs, Order, PracticeArgs};
use crate::commands::grade::{grade_attempt, judge_ctx, JudgeCtx};
use crate::commands::offline;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::judge::grade::GradeError;
use crate::judge::Verdict;
use crate::report;
use crate::session::{self, Filter, Seen};
use crate::store::{NewAttempt, Store};
use crate::ui::clock::{Clock, Limits};
use crate::ui::input::{self, Answer, Line, LineSource};
use crate::ui::render::{self, BOLD, CYAN, DIM, YELLOW};

/// What a session needs, built once.
struct Runner {
    store: Arc<Mutex<Store>>,
    src: Box<dyn LineSource>,
    judge: Option<Arc<JudgeCtx>>,
    runtime: tokio::runtime::Runtime,
    session_id: i64,
    interactive: bool,
}

/// How one question ended.
enum Step {
    Next,
    Stop,
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The judge, or self-grading with one sentence saying why.
fn choose_judge(settings: &Settings) -> Result<Option<Arc<JudgeCtx>>> {
    if settings.offline {
        return Ok(None);
    }
    if let Some(why) = settings.judge_unavailable() {
        let _ = writeln!(
            render::stderr(),
            "{YELLOW}Offline mode:{YELLOW:#} {why}. You will grade yourself against the model answer."
        );
        return Ok(None);
    }
    judge_ctx(settings).map(|c| Some(Arc::new(c)))
}

/// What the store knows of each question, for ordering.
fn seen(store: &Store) -> Result<HashMap<String, Seen>> {
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for a in store.all_attempts()? {
        if a.status == "graded" {
            seen.entry(a.question_id.clone()).or_default().last_score = a.score;
        }
    }
    let now = crate::store::now_utc();
    for entry in crate::schedule::schedule(store)? {
        let due = crate::schedule::is_due(&entry, now);
        let s = seen.entry(entry.id).or_default();
        s.due = due;
        s.due_at = Some(entry.due);
    }
    Ok(seen)
}

/// Runs `work` unless Ctrl-C comes first (`None`). A Ctrl-C from before the
/// work started (or a stray cut-off signal) does not count.
async fn until_ctrl_c<T>(
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

/// Short lines to the person while they answer.
fn notice(text: &str) {
    eprintln!("{}", render::clean(text));
}

fn seed() -> u64 {
    std::env::var("GRILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

impl Runner {
    fn new(settings: &Settings, mode: &str) -> Result<Runner> {
        let store = Store::open(&settings.db_path.value)?;
        let judge = choose_judge(settings)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Error::failure(format!("cannot start the async runtime: {e}")))?;
        let src = input::open_source();
        let interactive = src.interactive();
        let session_id = store.start_session(mode)?;
        Ok(Runner {
            store: Arc::new(Mutex::new(store)),
            src,
            judge,
            runtime,
            session_id,
            interactive,
        })
    }

    fn ask(&self, q: &Question, n: usize, total: usize, extra: &str) -> std::io::Result<()> {
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
        out.flush()
    }

    /// Stores an answer before anything else happens to it.
    fn store_answer(&self, q: &Question, text: &str, seconds: f64, cut_off: bool) -> Result<i64> {
        lock(&self.store).insert_attempt(&NewAttempt {
            session_id: Some(self.session_id),
            question_id: &q.id,
            topic: &q.topic,
            answer: text,
            seconds: Some(seconds),
            cut_off,
            extra: None,
        })
    }

    fn record(&self, attempt_id: i64, q: &Question, grader: &str, verdict: &Verdict) -> Result<()> {
        let store = lock(&self.store);
        store.record_verdict(
            attempt_id,
            grader,
            &serde_json::to_value(verdict).unwrap_or_default(),
            verdict.score,
        )?;
        crate::schedule::record(&store, &q.id, verdict.score, crate::store::now_utc())
    }

    /// Grades now: the judge with a spinner, or the self-grading checklist.
    fn grade_now(&mut self, q: &Question, attempt_id: i64, text: &str) -> Result<()> {
        match self.judge.clone() {
            Some(ctx) => {
                let bar = indicatif::ProgressBar::new_spinner()
                    .with_message(format!("grading with {}…", ctx.judge.model));
                bar.enable_steady_tick(Duration::from_millis(100));
                let grading = grade_attempt(&ctx, &self.store, q, attempt_id, text);
                let result = self
                    .runtime
                    .block_on(until_ctrl_c(self.src.ctrl_c(), grading));
                bar.finish_and_clear();
                match result {
                    Some(result) => Self::show_judged(q, result)?,
                    None => println!(
                        "Grading cancelled. Your answer is saved; `grill regrade` grades it later."
                    ),
                }
            }
            None => self.self_grade(q, attempt_id, text)?,
        }
        Ok(())
    }

    fn show_judged(
        q: &Question,
        result: std::result::Result<(Verdict, String), GradeError>,
    ) -> Result<()> {
        let mut out = render::stdout();
        match result {
            Ok((verdict, grader)) => {
                writeln!(out)?;
                write!(out, "{}", report::verdict_text(q, &grader, &verdict))?;
                writeln!(out)?;
                writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
                write!(out, "{}", render::wrap(&q.model_answer, "  "))?;
            }
            Err(err) => {
                writeln!(out)?;
                writeln!(
                    out,
                    "{YELLOW}Grading failed:{YELLOW:#} {}",
                    render::clean(&err.to_string())
                )?;
                writeln!(
                    out,
                    "Your answer is saved; `grill regrade` grades it later."
                )?;
            }
        }
        Ok(())
    }

    fn self_grade(&mut self, q: &Question, attempt_id: i64, text: &str) -> Result<()> {
        let verdict = if text.trim().is_empty() {
            Some(crate::judge::grade::empty_answer_verdict(q))
        } else {
            offline::self_grade(self.src.as_mut(), q, text)?
        };
        match verdict {
            Some(v) => {
                self.record(attempt_id, q, "self", &v)?;
                let style = report::score_style(v.score);
                let mut out = render::stdout();
                writeln!(
                    out,
                    "{BOLD}{style}Score {:.1}/10{style:#}{BOLD:#} {DIM}(self-graded){DIM:#}",
                    v.score
                )?;
                if !v.follow_up.is_empty() {
                    write!(out, "{}", render::wrap(&v.follow_up, "  "))?;
                }
            }
            None => eprintln!("Self-grading abandoned: the answer is saved ungraded."),
        }
        Ok(())
    }

    /// Asks whether to leave after a Ctrl-C. Off a terminal there is no one to ask.
    fn confirm_leave(&mut self) -> bool {
        if !self.interactive {
            return true;
        }
        eprintln!("Answer abandoned.");
        match self.src.read_line("Leave the session? [y/N] › ", None) {
            Line::Text(t) => t.trim().eq_ignore_ascii_case("y"),
            Line::Eof | Line::Invalid => true,
            Line::Interrupted | Line::TimedOut { .. } => false,
        }
    }

    fn practice_one(&mut self, q: &Question, n: usize, total: usize) -> Result<Step> {
        loop {
            self.ask(q, n, total, "")?;
            let hint = q
                .key_points
                .first()
                .map_or("", |k| k.point.as_str())
                .to_string();
            let start = Instant::now();
            let answer = input::read_answer(self.src.as_mut(), &hint, None, &mut notice);
            let (text, cut_off) = match answer {
                Answer::Text { text, cut_off } => (text, cut_off),
                Answer::Skip => return Ok(Step::Next),
                Answer::Quit => return Ok(Step::Stop),
                Answer::Invalid => return Err(Error::input("standard input is not UTF-8 text")),
                Answer::Abandoned => {
                    if self.confirm_leave() {
                        return Ok(Step::Stop);
                    }
                    continue;
                }
            };
            let attempt_id = self.store_answer(q, &text, start.elapsed().as_secs_f64(), cut_off)?;
            self.grade_now(q, attempt_id, &text)?;
            if !self.interactive {
                return Ok(Step::Next);
            }
            loop {
                let last = n == total;
                let prompt = if last {
                    "[r]etry, [q]uit (Enter) › "
                } else {
                    "[n]ext (Enter), [r]etry, [q]uit › "
                };
                match self.src.read_line(prompt, None) {
                    Line::Text(t) => match t.trim().to_lowercase().as_str() {
                        "" if last => return Ok(Step::Stop),
                        "" | "n" | "next" => return Ok(Step::Next),
                        "r" | "retry" => break,
                        "q" | "quit" => return Ok(Step::Stop),
                        _ => eprintln!("type n, r or q"),
                    },
                    _ => return Ok(Step::Stop),
                }
            }
        }
    }

    fn finish(&self, mode: &str) -> Result<()> {
        let store = lock(&self.store);
        if store.drop_session_if_empty(self.session_id)? {
            println!("\nNo answers in this session.");
            return Ok(());
        }
        store.end_session(self.session_id)?;
        let attempts = store.session_attempts(self.session_id)?;
        let (_, started) = store.session(self.session_id)?.unwrap_or_default();
        let mut out = render::stdout();
        writeln!(out)?;
        write!(
            out,
            "{}",
            report::session_text(self.session_id, mode, &started, &attempts, false)
        )?;
        Ok(())
    }
}

fn plan<'b>(
    bank: &'b Bank,
    store: &Mutex<Store>,
    filter: &Filter,
    order: Option<Order>,
) -> Result<Vec<&'b Question>> {
    let candidates = session::candidates(bank, filter)?;
    let seen = seen(&lock(store))?;
    Ok(session::order(candidates, order, &seen, seed()))
}

pub fn practice(settings: &Settings, args: &PracticeArgs) -> Result<()> {
    let bank = Bank::load(&settings.bank_dirs)?;
    let filter = Filter {
        topics: args.topics.clone(),
        questions: args.questions.clone(),
    };
    session::candidates(&bank, &filter)?;
    let mut runner = Runner::new(settings, "practice")?;
    let mut questions = plan(&bank, &runner.store, &filter, args.order)?;
    let count = args.count.unwrap_or(if args.questions.is_empty() {
        5
    } else {
        questions.len()
    });
    if count == 0 {
        return Err(Error::input("--count must be at least 1"));
    }
    questions.truncate(count);
    run_practice(&mut runner, &questions, "practice")
}

/// Runs an untimed practice over `questions`; `review` uses it too.
fn run_practice(runner: &mut Runner, questions: &[&Question], mode: &str) -> Result<()> {
    let total = questions.len();
    for (i, q) in questions.iter().enumerate() {
        if let Step::Stop = runner.practice_one(q, i + 1, total)? {
            break;
        }
    }
    runner.finish(mode)
}

/// `grill review`: the questions due now, then the weakest.
pub fn review(settings: &Settings, bank: &Bank, count: usize) -> Result<()> {
    let ids = crate::commands::review::review_plan(
        &Store::open(&settings.db_path.value)?,
        bank,
        count,
        crate::store::now_utc(),
    )?;
    let questions: Vec<&Question> = ids.iter().filter_map(|id| bank.get(id)).collect();
    if questions.is_empty() {
        println!("Nothing to review yet: answer some questions with `grill practice` first.");
        return Ok(());
    }
    let mut runner = Runner::new(settings, "review")?;
    run_practice(&mut runner, &questions, "review")
}

pub fn interview(settings: &Settings, args: &InterviewArgs) -> Result<()> {
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        return Err(Error::input("--minutes must be a positive number"));
    }
    if args.count == 0 {
        return Err(Error::input("--count must be at least 1"));
    }
    let bank = Bank::load(&settings.bank_dirs)?;
    let filter = Filter {
        topics: args.topics.clone(),
        questions: args.questions.clone(),
    };
    session::candidates(&bank, &filter)?;
    let mut runner = Runner::new(settings, "interview")?;
    let ordered = plan(&bank, &runner.store, &filter, None)?;
    let questions = if args.questions.is_empty() {
        session::spread(&ordered, args.count)
    } else {
        ordered
    };
    let total = questions.len();
    let length = Duration::from_secs_f64(args.minutes * 60.0);
    {
        let mut out = render::stdout();
        writeln!(
            out,
            "{BOLD}Mock interview:{BOLD:#} {total} question{} in {}. Each question gets its share of the time left; at the limit the answer is cut off and graded as it stands.",
            if total == 1 { "" } else { "s" },
            session::clock(length)
        )?;
    }
    let start = Instant::now();
    let end = start + length;
    let clock = Clock::start(
        Limits {
            question: None,
            session: end,
            label: String::new(),
        },
        render::color_enabled(),
    );
    let mut pending = Vec::new();
    let mut self_graded = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let now = Instant::now();
        if now >= end {
            eprintln!("Time is up: {} question(s) were not reached.", total - i);
            break;
        }
        let limit = session::question_limit(end - now, total - i);
        let deadline = now + limit;
        clock.set(Some(deadline), format!("question {}/{total}", i + 1));
        runner.ask(
            q,
            i + 1,
            total,
            &format!(" · you have {}", session::clock(limit)),
        )?;
        let hint = q
            .key_points
            .first()
            .map_or("", |k| k.point.as_str())
            .to_string();
        let answer = input::read_answer(runner.src.as_mut(), &hint, Some(deadline), &mut notice);
        let seconds = now.elapsed().as_secs_f64();
        let (text, cut_off) = match answer {
            Answer::Text { text, cut_off } => (text, cut_off),
            Answer::Skip => {
                let id = runner.store_answer(q, "", seconds, false)?;
                lock(&runner.store).mark_skipped(id)?;
                continue;
            }
            Answer::Quit => break,
            Answer::Invalid => return Err(Error::input("standard input is not UTF-8 text")),
            Answer::Abandoned => {
                if runner.confirm_leave() {
                    break;
                }
                continue;
            }
        };
        let attempt_id = runner.store_answer(q, &text, seconds, cut_off)?;
        if cut_off {
            println!("Time is up for this question: your answer was cut off and will be graded as it stands.");
        }
        match runner.judge.clone() {
            // Grade in the background while the next question is asked.
            Some(ctx) => {
                let store = Arc::clone(&runner.store);
                let question = (*q).clone();
                pending.push(runner.runtime.spawn(async move {
                    grade_attempt(&ctx, &store, &question, attempt_id, &text)
                        .await
                        .is_ok()
                }));
            }
            None => self_graded.push((*q, attempt_id, text)),
        }
    }
    drop(clock);
    if !pending.is_empty() {
        let bar = indicatif::ProgressBar::new_spinner().with_message("waiting for the judge…");
        bar.enable_steady_tick(Duration::from_millis(100));
        let all = futures::future::join_all(pending);
        let waited = runner
            .runtime
            .block_on(until_ctrl_c(runner.src.ctrl_c(), all));
        bar.finish_and_clear();
        if waited.is_none() {
            println!("Stopped waiting for the judge: the answers it had not graded are saved for `grill regrade`.");
        }
    }
    if !self_graded.is_empty() {
        println!();
        println!("{BOLD}Time to grade yourself.{BOLD:#}");
        for (q, attempt_id, text) in self_graded {
            let mut out = render::stdout();
            writeln!(out, "\n{CYAN}{}{CYAN:#}", q.id)?;
            write!(
                out,
                "{DIM}{}{DIM:#}",
                render::wrap(&format!("Your answer: {text}"), "  ")
            )?;
            drop(out);
            runner.self_grade(q, attempt_id, &text)?;
        }
    }
    runner.finish("interview")
}

/// `grill report [SESSION] [--format]`.
pub fn report(
    settings: &Settings,
    session: Option<i64>,
    format: crate::cli::ReportFormat,
) -> Result<()> {
    let store = Store::open(&settings.db_path.value)?;
    let id = match session {
        Some(id) => id,
        None => store
            .last_session()?
            .ok_or_else(|| Error::input("no sessions yet: run `grill practice` first"))?,
    };
    let (mode, started) = store.session(id)?.ok_or_else(|| {
        Error::input(format!("no session {id}")).with_hint("`grill history` shows past attempts")
    })?;
    let attempts = store.session_attempts(id)?;
    let mut out = render::stdout();
    match format {
        crate::cli::ReportFormat::Json => {
            writeln!(
                out,
                "{}",
                render::json_text(&report::session_json(id, &mode, &started, &attempts), true)
            )?;
        }
        crate::cli::ReportFormat::Md => write!(
            out,
            "{}",
            report::session_text(id, &mode, &started, &attempts, true)
        )?,
        crate::cli::ReportFormat::Text => write!(
            out,
            "{}",
            report::session_text(id, &mode, &started, &attempts, false)
        )?,
    }
    Ok(())
}
