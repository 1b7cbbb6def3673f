//! `grill topics`: the topics with their question counts.

use std::io::Write;

use serde::Serialize;

use crate::context::Context;
use crate::error::Result;
use crate::style::{BOLD, CYAN, DIM};
use crate::text::sanitize;
use crate::ui::render;

pub fn run(ctx: &Context, json: bool) -> Result<()> {
    let bank = ctx.bank()?;
    #[derive(Serialize)]
    struct Row<'a> {
        topic: &'a str,
        title: &'a str,
        questions: usize,
    }
    let rows: Vec<Row> = bank
        .topics
        .iter()
        .map(|t| Row {
            topic: &t.slug,
            title: &t.title,
            questions: bank.in_topic(&t.slug).count(),
        })
        .collect();
    if json {
        return Ok(render::json(&rows)?);
    }
    let wide = rows.iter().map(|r| r.topic.len()).max().unwrap_or(5).max(5);
    let mut out = render::stdout();
    writeln!(
        out,
        "{BOLD}{:wide$}  {:>9}  title{BOLD:#}",
        "topic", "questions"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{CYAN}{:wide$}{CYAN:#}  {:>9}  {}",
            r.topic,
            r.questions,
            sanitize(r.title)
        )?;
    }
    writeln!(
        out,
        "{DIM}{} questions in {} topics{DIM:#}",
        bank.questions.len(),
        rows.len()
    )?;
    Ok(())
}
