//! `grade` (one answer or a batch) and `regrade`: the judge without a session.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Map, Value};

use crate::bank::{Bank, Question};
use crate::cli::GradeArgs;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::judge::grade::{ask, cache_key, empty_answer_verdict, GradeError};
use crate::judge::openai::{OpenAiJudge, Policy};
use crate::judge::{finalize, RawVerdict, Verdict};
use crate::prompts::Templates;
use crate::report;
use crate::store::{NewAttempt, Store};
use crate::ui::render;

/// Longest answer accepted, in characters: far beyond any spoken answer, and
/// short enough that a pasted file cannot blow up the prompt.
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// The judge and everything a grade needs besides the store.
pub struct JudgeCtx {
    pub judge: OpenAiJudge,
    pub templates: Templates,
    pub base_url: String,
}

impl JudgeCtx {
    pub fn grader(&self) -> String {
        format!("llm:{}", self.judge.model)
    }
}

/// Builds the judge from the settings, or says which setting is missing.
pub fn judge_ctx(settings: &Settings) -> Result<JudgeCtx> {
    if let Some(why) = settings.judge_unavailable() {
        return Err(Error::input(format!("cannot grade with the judge: {why}"))
            .with_hint("use --offline to grade yourself against the model answer"));
    }
    let policy = Policy::new(
        Duration::from_secs_f64(settings.timeout_secs.value),
        Duration::from_secs_f64(settings.retry_budget_secs.value),
    );
    let judge = OpenAiJudge::new(
        &settings.base_url.value,
        settings.api_key(),
        settings.secret(),
        &settings.model.value,
        policy,
    )
    .map_err(Error::input)?;
    Ok(JudgeCtx {
        judge,
        templates: Templates::load(settings.prompts_dir.as_deref())?,
        base_url: settings.base_url.value.clone(),
    })
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failure(format!("cannot start the async runtime: {e}")))
}

/// Checks an answer's text: valid length, no NULs. `origin` names where it came from.
pub fn check_answer(text: &str, origin: &str) -> Result<()> {
    let chars = text.chars().count();
    if chars > MAX_ANSWER_CHARS {
        return Err(Error::input(format!(
            "the answer in {origin} is {chars} characters long; the limit is {MAX_ANSWER_CHARS}"
        )));
    }
    Ok(())
}

/// Reads an answer from a file or standard input.
fn read_answer(file: Option<&Path>) -> Result<String> {
    let (bytes, origin) = match file {
        Some(path) => (
            std::fs::read(path).map_err(|e| Error::io(path, "read answer file", &e))?,
            format!("`{}`", path.display()),
        ),
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Type your answer; end it with Ctrl-D on an empty line.");
            }
            let mut bytes = Vec::new();
            stdin.lock().read_to_end(&mut bytes).map_err(|e| {
                Error::input(format!(
                    "cannot read standard input: {}",
                    crate::error::io_reason(&e)
                ))
            })?;
            (bytes, "standard input".to_string())
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(format!(
            "{origin} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let text = text.trim_end().to_string();
    check_answer(&text, &origin)?;
    Ok(text)
}

/// Grades one stored attempt: the cache first, then the judge. The verdict
/// (or the failure) is written to the store before returning.
pub async fn grade_attempt(
    ctx: &JudgeCtx,
    store: &Mutex<Store>,
    question: &Question,
    attempt_id: i64,
    answer: &str,
) -> std::result::Result<(Verdict, String), GradeError> {
    let lock = || {
        store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let grader = ctx.grader();
    if answer.trim().is_empty() {
        let verdict = empty_answer_verdict(question);
        let store = lock();
        let _ = store.record_verdict(attempt_id, "none", &verdict_value(&verdict), verdict.score);
        let _ =
            crate::schedule::record(&store, &question.id, verdict.score, crate::store::now_utc());
        return Ok((verdict, "none".into()));
    }
    let key = cache_key(
        &ctx.judge.model,
        &ctx.base_url,
        &ctx.templates,
        question,
        answer,
    );
    let cached = lock()
        .cached_verdict(&key)
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_value::<RawVerdict>(v).ok());
    let raw = match cached {
        Some(raw) => raw,
        None => match ask(&ctx.judge, &ctx.templates, question, answer).await {
            Ok(raw) => {
                if let Ok(value) = serde_json::to_value(&raw) {
                    let _ = lock().cache_verdict(&key, &value);
                }
                raw
            }
            Err(err) => {
                let _ = lock().record_failure(attempt_id, &err.to_string());
                return Err(err);
            }
        },
    };
    let verdict = finalize(raw, question, answer);
    let stored = {
        let store = lock();
        store
            .record_verdict(attempt_id, &grader, &verdict_value(&verdict), verdict.score)
            .and_then(|()| {
                crate::schedule::record(
                    &store,
                    &question.id,
                    verdict.score,
                    crate::store::now_utc(),
                )
            })
    };
    if let Err(err) = stored {
        return Err(GradeError::Invalid(format!(
            "could not store the verdict: {err}"
        )));
    }
    Ok((verdict, grader))
}

fn verdict_value(verdict: &Verdict) -> Value {
    serde_json::to_value(verdict).unwrap_or(Value::Null)
}

fn spinner(message: String) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner().with_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

pub fn grade(settings: &Settings, args: &GradeArgs) -> Result<()> {
    if let Some(batch) = &args.batch {
        return grade_batch(settings, batch, args.concurrency);
    }
    let bank = Bank::load(&settings.bank_dirs)?;
    let id = args.question.as_deref().unwrap_or_default();
    let question = bank.require(id)?;
    let answer = read_answer(args.answer_file.as_deref())?;
    if settings.offline {
        return crate::commands::offline::grade_estimate(settings, question, &answer, args.json);
    }
    let store = Store::open(&settings.db_path.value)?;
    let attempt_id = store.insert_attempt(&NewAttempt {
        question_id: &question.id,
        topic: &question.topic,
        answer: &answer,
        ..NewAttempt::default()
    })?;
    let saved = |err: Error| {
        let hint = err.hint.clone().unwrap_or_default();
        let sep = if hint.is_empty() { "" } else { "; " };
        err.with_hint(format!("{hint}{sep}your answer is saved (attempt {attempt_id}); `grill regrade` grades it later"))
    };
    let ctx = judge_ctx(settings).map_err(saved)?;
    let store = Mutex::new(store);
    let bar = spinner(format!("grading with {}…", ctx.judge.model));
    let result = runtime()?.block_on(grade_attempt(&ctx, &store, question, attempt_id, &answer));
    bar.finish_and_clear();
    match result {
        Ok((verdict, grader)) => {
            let mut out = render::stdout();
            if args.json {
                let mut value = report::verdict_json(&question.id, &grader, &verdict);
                value["attempt_id"] = attempt_id.into();
                writeln!(out, "{}", render::json_text(&value, true))?;
            } else {
                write!(out, "{}", report::verdict_text(question, &grader, &verdict))?;
            }
            Ok(())
        }
        Err(err) => Err(saved(Error::failure(format!("grading failed: {err}")))),
    }
}

/// One line of a batch file that could be read.
struct BatchItem {
    line: usize,
    question_id: String,
    answer: String,
    extra: Map<String, Value>,
}

/// Parses a JSONL batch; bad lines come back as messages with their line number.
fn parse_batch(text: &str, path: &str, bank: &Bank) -> (Vec<BatchItem>, Vec<String>) {
    let mut items = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut obj = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(obj)) => obj,
            Ok(_) => {
                bad.push(format!("{path}:{n}: not a JSON object; skipped"));
                continue;
            }
            Err(e) => {
                bad.push(format!("{path}:{n}: invalid JSON ({e}); skipped"));
                continue;
            }
        };
        let question = obj.remove("question").or_else(|| obj.remove("question_id"));
        let answer = obj.remove("answer");
        let (Some(Value::String(question_id)), Some(Value::String(answer))) = (question, answer)
        else {
            bad.push(format!(
                "{path}:{n}: needs string fields `question` and `answer`; skipped"
            ));
            continue;
        };
        if bank.get(&question_id).is_none() {
            let near =
                crate::error::closest(&question_id, bank.questions.iter().map(|q| q.id.as_str()))
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
            bad.push(format!(
                "{path}:{n}: unknown question `{question_id}`{near}; skipped"
            ));
            continue;
        }
        if let Err(e) = check_answer(&answer, &format!("{path}:{n}")) {
            bad.push(format!("{}; skipped", e.message));
            continue;
        }
        items.push(BatchItem {
            line: n,
            question_id,
            answer,
            extra: obj,
        });
    }
    (items, bad)
}

fn grade_batch(settings: &Settings, path: &Path, concurrency: usize) -> Result<()> {
    if concurrency == 0 {
        return Err(Error::input("--concurrency must be at least 1"));
    }
    let bank = Bank::load(&settings.bank_dirs)?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read batch file", &e))?;
    let shown = path.display().to_string();
    // A line that is not UTF-8 is one broken line, not a broken file: it is
    // reported and blanked, so the others keep their line numbers.
    let mut not_text = Vec::new();
    let lines: Vec<&str> = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            std::str::from_utf8(line).unwrap_or_else(|e| {
                not_text.push(format!(
                    "{shown}:{}: not UTF-8 text (invalid byte at column {}); skipped",
                    i + 1,
                    e.valid_up_to() + 1
                ));
                ""
            })
        })
        .collect();
    let (items, mut bad) = parse_batch(&lines.join("\n"), &shown, &bank);
    bad.extend(not_text);
    for message in &bad {
        eprintln!("{}", render::clean(message));
    }

    let store = Store::open(&settings.db_path.value)?;
    let session = store.start_session("batch")?;
    // Every answer is stored before the first request goes out.
    let mut ids = Vec::with_capacity(items.len());
    for item in &items {
        let mut extra = item.extra.clone();
        extra.insert("line".into(), item.line.into());
        let q = bank.get(&item.question_id).expect("checked while parsing");
        ids.push(store.insert_attempt(&NewAttempt {
            session_id: Some(session),
            question_id: &q.id,
            topic: &q.topic,
            answer: &item.answer,
            extra: Some(Value::Object(extra)),
            ..NewAttempt::default()
        })?);
    }
    let ctx = judge_ctx(settings).map_err(|e| {
        e.with_hint(format!(
            "the {} answers are saved; `grill regrade` grades them later",
            ids.len()
        ))
    })?;
    let store = Mutex::new(store);
    let bar = indicatif::ProgressBar::new(items.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} graded {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut failures = 0usize;
    runtime()?.block_on(async {
        let mut results = futures::stream::iter(items.iter().zip(&ids))
            .map(|(item, &attempt_id)| {
                let q = bank.get(&item.question_id).expect("checked while parsing");
                let ctx = &ctx;
                let store = &store;
                async move { (item, q, attempt_id, grade_attempt(ctx, store, q, attempt_id, &item.answer).await) }
            })
            .buffered(concurrency);
        while let Some((item, q, attempt_id, result)) = results.next().await {
            let mut value = match &result {
                Ok((verdict, grader)) => report::verdict_json(&q.id, grader, verdict),
                Err(err) => {
                    failures += 1;
                    serde_json::json!({"question_id": q.id, "score": null, "error": err.to_string()})
                }
            };
            value["attempt_id"] = attempt_id.into();
            value["line"] = item.line.into();
            for (k, v) in &item.extra {
                if value.get(k).is_none() {
                    value[k] = v.clone();
                }
            }
            bar.suspend(|| println!("{}", render::json_text(&value, false)));
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let _ = store.lock().map(|s| s.end_session(session));
    if !bad.is_empty() {
        return Err(Error::input(format!(
            "{} line{} of `{shown}` could not be graded and {} skipped",
            bad.len(),
            if bad.len() == 1 { "" } else { "s" },
            if bad.len() == 1 { "was" } else { "were" }
        )));
    }
    if failures > 0 {
        return Err(Error::failure(format!(
            "{failures} of {} answers could not be graded",
            ids.len()
        ))
        .with_hint("they are saved; `grill regrade` grades them later"));
    }
    Ok(())
}

/// `grill regrade`: every stored answer that is still ungraded.
pub fn regrade(settings: &Settings, json: bool) -> Result<()> {
    let bank = Bank::load(&settings.bank_dirs)?;
    let store = Store::open(&settings.db_path.value)?;
    let pending = store.ungraded()?;
    if pending.is_empty() {
        if !json {
            println!("Nothing to regrade: every stored answer has a grade.");
        }
        return Ok(());
    }
    let ctx = judge_ctx(settings)?;
    let store = Mutex::new(store);
    let rt = runtime()?;
    let mut failures = 0;
    for attempt in &pending {
        let Some(question) = bank.get(&attempt.question_id) else {
            eprintln!(
                "attempt {}: question `{}` is not in the loaded banks; skipped (add its bank with --bank)",
                attempt.id, attempt.question_id
            );
            failures += 1;
            continue;
        };
        let bar = spinner(format!("grading attempt {} ({})…", attempt.id, question.id));
        let result = rt.block_on(grade_attempt(
            &ctx,
            &store,
            question,
            attempt.id,
            &attempt.answer,
        ));
        bar.finish_and_clear();
        let mut out = render::stdout();
        match result {
            Ok((verdict, grader)) if json => {
                let mut value = report::verdict_json(&question.id, &grader, &verdict);
                value["attempt_id"] = attempt.id.into();
                writeln!(out, "{}", render::json_text(&value, false))?;
            }
            Ok((verdict, grader)) => {
                writeln!(
                    out,
                    "{DIM}attempt {} · {}{DIM:#}",
                    attempt.id,
                    attempt.created_at,
                    DIM = render::DIM
                )?;
                write!(out, "{}", report::verdict_text(question, &grader, &verdict))?;
                writeln!(out)?;
            }
            Err(err) => {
                failures += 1;
                if json {
                    let value = serde_json::json!({"attempt_id": attempt.id, "question_id": question.id, "score": null, "error": err.to_string()});
                    writeln!(out, "{}", render::json_text(&value, false))?;
                } else {
                    eprintln!(
                        "attempt {} ({}): grading failed: {err}",
                        attempt.id, question.id
                    );
                }
            }
        }
    }
    if failures > 0 {
        return Err(Error::failure(format!(
            "{failures} of {} answers are still ungraded",
            pending.len()
        )));
    }
    Ok(())
}
