//! `grill export --format anki|csv`: take the questions or the answers
//! elsewhere. `anki` writes the bank as notes Anki imports (File > Import):
//! the question on the front, the model answer and key points on the back,
//! the topic and difficulty as tags. `csv` writes every stored answer, one
//! row each, with its grade and what each key point earned.
//!
//! Both are built whole in memory by pure functions (`anki`, `history`, over
//! `sheet`), then written to stdout or, with `--out`, to a temporary file
//! renamed into place, so a failed export never leaves half a file. Quoting is the `csv` crate's: Anki's text
//! import reads the same rules (a field holding the separator, a newline or
//! a double quote is quoted, its quotes doubled).

mod anki;
mod history;
mod sheet;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use crate::bank::write::{occupied, write_atomic, Access};
use crate::bank::{Bank, Question};
use crate::cli::{ExportArgs, ExportFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::{Attempt, SessionKind};
use crate::text::plural;
use crate::ui::render;
use anki::anki;
use history::{history_csv, Formulas};

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<()> {
    if args.allow_formulas && !matches!(args.format, ExportFormat::Csv) {
        return Err(Error::input("--allow-formulas goes with --format csv")
            .with_hint("grill export --format csv --allow-formulas"));
    }
    if let Some(path) = &args.out {
        if !args.force && occupied(path) {
            return Err(Error::input(format!(
                "`{}` already exists; not overwritten",
                path.display()
            ))
            .with_hint("add --force to replace it, or choose another --out"));
        }
    }
    // The text, how much it holds, and what to do with the file.
    let (text, count, next) = match args.format {
        ExportFormat::Anki => {
            let questions = select_questions(ctx.bank()?, &args.topics)?;
            (
                anki(&questions)?,
                plural(questions.len(), "note", "notes"),
                "; import it in Anki with File > Import",
            )
        }
        ExportFormat::Csv => {
            let (attempts, modes) = select_attempts(ctx, &args.topics)?;
            let formulas = if args.allow_formulas {
                Formulas::Keep
            } else {
                Formulas::Neutralise
            };
            (
                history_csv(&attempts, &modes, formulas)?,
                plural(attempts.len(), "answer", "answers"),
                "",
            )
        }
    };
    match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => {
            write_atomic(path, &text, args.force, Access::Owner)?;
            render::note(&format!("wrote {count} to `{}`{next}", path.display()));
        }
    }
    Ok(())
}

/// The bank's questions, of `topics` if any are named, in bank order.
fn select_questions<'a>(bank: &'a Bank, topics: &[String]) -> Result<Vec<&'a Question>> {
    let topics = bank.resolve_topics(topics)?;
    Ok(bank
        .questions
        .iter()
        .filter(|q| topics.is_empty() || topics.contains(&q.topic))
        .collect())
}

/// The stored answers, oldest first, of `topics` if any are named, with the
/// kind of each session they belong to.
fn select_attempts(
    ctx: &Context,
    topics: &[String],
) -> Result<(Vec<Attempt>, BTreeMap<i64, SessionKind>)> {
    let store = ctx.store()?;
    let mut attempts = store.all_attempts()?;
    let named = |a: &Attempt, t: &String| a.topic.eq_ignore_ascii_case(t);
    attempts.retain(|a| topics.is_empty() || topics.iter().any(|t| named(a, t)));
    // A topic with no answers is only an error if the bank does not know it either.
    let unseen: Vec<String> = topics
        .iter()
        .filter(|t| !attempts.iter().any(|a| named(a, t)))
        .cloned()
        .collect();
    if !unseen.is_empty() {
        ctx.bank()?.resolve_topics(&unseen)?;
    }
    let mut modes = BTreeMap::new();
    let sessions: BTreeSet<i64> = attempts.iter().filter_map(|a| a.session_id).collect();
    for id in sessions {
        if let Some(s) = store.session(id)? {
            modes.insert(id, s.kind);
        }
    }
    Ok((attempts, modes))
}
