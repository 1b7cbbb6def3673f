//! `grade --batch FILE.jsonl`: many answers, graded `--concurrency` at a
//! time, one JSON result per line in input order.

use std::path::Path;

use futures::StreamExt;
use serde_json::{Map, Value};

use super::tally::{check_answer, result_line, Tally};
use crate::bank::Bank;
use crate::context::{Context, Offline, Plan};
use crate::error::{Error, Result};
use crate::grading::{Grader, Job, NoChecklist};
use crate::store::{Extra, NewAttempt, SessionKind, Store};
use crate::text::plural;
use crate::ui::render;

/// One line of a batch file that could be read.
pub(super) struct Item {
    pub line: usize,
    pub question_id: String,
    pub answer: String,
    pub extra: Map<String, Value>,
}

/// Parses a JSONL batch; bad lines come back as messages with their line number.
fn parse(bytes: &[u8], path: &str, bank: &Bank) -> (Vec<Item>, Vec<String>) {
    let mut items = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        match parse_line(line, i + 1, path, bank) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => {}
            Err(message) => bad.push(message),
        }
    }
    (items, bad)
}

/// One line of a batch file (`n` counts from 1): the item, `None` for a
/// blank line, or why it is skipped. Shared by the live and the Batch API paths.
pub(super) fn parse_line(
    line: &[u8],
    n: usize,
    path: &str,
    bank: &Bank,
) -> std::result::Result<Option<Item>, String> {
    // A line that is not UTF-8 is one broken line, not a broken file.
    let line = match std::str::from_utf8(line) {
        Ok(line) => line,
        Err(e) => {
            return Err(format!(
                "{path}:{n}: not UTF-8 text (invalid byte at column {}); skipped",
                e.valid_up_to() + 1
            ));
        }
    };
    if line.trim().is_empty() {
        return Ok(None);
    }
    let mut obj = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(obj)) => obj,
        Ok(_) => return Err(format!("{path}:{n}: not a JSON object; skipped")),
        Err(e) => return Err(format!("{path}:{n}: invalid JSON ({e}); skipped")),
    };
    let question = obj.remove("question").or_else(|| obj.remove("question_id"));
    let answer = obj.remove("answer");
    let (Some(Value::String(question_id)), Some(Value::String(answer))) = (question, answer) else {
        return Err(format!(
            "{path}:{n}: needs string fields `question` and `answer`; skipped"
        ));
    };
    if bank.get(&question_id).is_none() {
        let near =
            crate::error::closest(&question_id, bank.questions.iter().map(|q| q.id.as_str()))
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
        return Err(format!(
            "{path}:{n}: unknown question `{question_id}`{near}; skipped"
        ));
    }
    if answer.trim().is_empty() {
        return Err(format!("{path}:{n}: empty answer; skipped"));
    }
    if let Err(e) = check_answer(&answer, &format!("{path}:{n}")) {
        return Err(format!("{}; skipped", e.message));
    }
    Ok(Some(Item {
        line: n,
        question_id,
        answer,
        extra: obj,
    }))
}

/// Stores every answer in one transaction: all of them, or none.
fn store_all(store: &Store, session: i64, items: &[Item], bank: &Bank) -> Result<Vec<i64>> {
    let news: Vec<NewAttempt> = items
        .iter()
        .map(|item| {
            let q = bank.get(&item.question_id).expect("checked while parsing");
            NewAttempt {
                session_id: Some(session),
                question_id: &q.id,
                topic: &q.topic,
                answer: &item.answer,
                extra: Some(Extra::from_input(item.line, &item.extra)),
                ..NewAttempt::default()
            }
        })
        .collect();
    store.insert_attempts(&news).map_err(|e| {
        e.with_hint(format!(
            "none of the {} answers was saved; free space, then run the same command again",
            items.len()
        ))
    })
}

pub fn run(ctx: &Context, path: &Path, concurrency: usize, samples: u16) -> Result<()> {
    let bank = ctx.bank()?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read batch file", &e))?;
    let shown = path.display().to_string();
    let (items, bad) = parse(&bytes, &shown, bank);
    for message in &bad {
        render::note(message);
    }
    let store = ctx.store()?;
    let session = store.start_session(SessionKind::Batch)?;
    let ids = store_all(store, session, &items, bank)?;
    let plan = Plan {
        samples: usize::from(samples),
        concurrency: Some(concurrency),
        offline: Offline::Estimate,
    };
    let grader = ctx.grading(plan).map_err(|e| {
        e.with_hint(format!(
            "the {} are saved; `grill regrade` grades them later, or `grill --offline regrade` estimates them now",
            plural(ids.len(), "answer", "answers")
        ))
    })?;
    let bar = ctx
        .activity
        .bar(items.len() as u64, "{bar:30} {pos}/{len} graded {msg}");
    let mut tally = Tally::default();
    let written = ctx.runtime()?.block_on(async {
        let mut results = futures::stream::iter(items.iter().zip(&ids))
            .map(|(item, &attempt_id)| {
                let q = bank.get(&item.question_id).expect("checked while parsing");
                let grader = &grader;
                async move {
                    let job = Job {
                        attempt_id,
                        question: q,
                        answer: &item.answer,
                    };
                    let result = grader.grade(store, job, &mut NoChecklist).await;
                    (item, q, attempt_id, result)
                }
            })
            .buffered(concurrency);
        let mut out = std::io::stdout().lock();
        while let Some((item, q, attempt_id, result)) = results.next().await {
            let line = result_line(q, attempt_id, &result).with_input(Some(item.line), &item.extra);
            // A reader that went away (`| head`) ends the run; what is not
            // graded yet stays saved for `regrade`.
            bar.suspend(|| render::json_line(&mut out, &line))?;
            drop(line);
            tally.add(result);
            bar.inc(1);
        }
        Ok::<(), std::io::Error>(())
    });
    drop(bar);
    let _ = store.end_session(session);
    if let Grader::Judge(judge) = &grader {
        if let Some(limits) = judge.judge().rate_limits() {
            render::note(&limits.to_string());
        }
    }
    written?;
    tally.note_unestimated();
    tally.into_result(ids.len())?;
    if !bad.is_empty() {
        return Err(Error::input(format!(
            "{} of `{shown}` could not be graded and {} skipped",
            plural(bad.len(), "line", "lines"),
            if bad.len() == 1 { "was" } else { "were" }
        )));
    }
    Ok(())
}
