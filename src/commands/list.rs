//! `grill list [--topic T]`: the questions, grouped by topic.

use std::io::Write;

use serde::Serialize;

use crate::bank::{self, Question};
use crate::cli::ListArgs;
use crate::context::Context;
use crate::error::Result;
use crate::style::{BOLD, CYAN, DIM};
use crate::text::{sanitize, truncate};
use crate::ui::render;

pub fn run(ctx: &Context, args: &ListArgs) -> Result<()> {
    let bank = ctx.bank()?;
    let topic = match &args.topic {
        Some(t) => bank.resolve_topics(std::slice::from_ref(t))?.pop(),
        None => None,
    };
    let (topic, json) = (topic.as_deref(), args.json);
    let selected: Vec<&Question> = bank
        .questions
        .iter()
        .filter(|q| topic.is_none_or(|t| q.topic == t))
        .collect();
    if json {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            topic: &'a str,
            question: &'a str,
            difficulty: bank::Difficulty,
        }
        let rows: Vec<Row> = selected
            .iter()
            .map(|q| Row {
                id: &q.id,
                topic: &q.topic,
                question: &q.question,
                difficulty: q.difficulty,
            })
            .collect();
        return Ok(render::json(&rows)?);
    }
    let wide = selected.iter().map(|q| q.id.len()).max().unwrap_or(2);
    // A table fills the terminal, or `COLUMNS`; on a pipe, 100 columns.
    let room = render::columns(100)
        .max(40)
        .saturating_sub(wide + 14)
        .max(10);
    let mut out = render::stdout();
    for t in &bank.topics {
        let qs: Vec<&&Question> = selected.iter().filter(|q| q.topic == t.slug).collect();
        if qs.is_empty() {
            continue;
        }
        writeln!(
            out,
            "{BOLD}{}{BOLD:#} {DIM}· {}{DIM:#}",
            t.slug,
            sanitize(&t.title)
        )?;
        for q in qs {
            writeln!(
                out,
                "  {CYAN}{:wide$}{CYAN:#}  {:8}  {}",
                q.id,
                q.difficulty.to_string(),
                truncate(&q.question, room)
            )?;
        }
    }
    Ok(())
}
