//! `grill sessions`: the past sessions, newest first, with the number
//! `grill report N` takes, how many questions each asked and its average.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::Local;
use serde::Serialize;

use crate::cli::SessionsArgs;
use crate::context::Context;
use crate::error::Result;
use crate::store::Attempt;
use crate::style::{self, BOLD, CYAN, DIM};
use crate::ui::render;

/// One session as listed.
#[derive(Debug, Serialize)]
struct Row {
    session_id: i64,
    started_at: String,
    kind: &'static str,
    /// Questions asked, answered or not.
    questions: usize,
    /// Answers with a grade that counts.
    graded: usize,
    /// Mean of those grades.
    average: Option<f64>,
}

pub fn run(ctx: &Context, args: &SessionsArgs) -> Result<()> {
    let store = ctx.store()?;
    let mut by_session: BTreeMap<i64, Vec<Attempt>> = BTreeMap::new();
    for a in store.all_attempts()? {
        if let Some(id) = a.session_id {
            by_session.entry(id).or_default().push(a);
        }
    }
    let mut rows = Vec::new();
    for (id, attempts) in by_session.iter().rev() {
        let Some(session) = store.session(*id)? else {
            continue;
        };
        let scores: Vec<f64> = attempts.iter().filter_map(Attempt::counted_score).collect();
        rows.push(Row {
            session_id: *id,
            started_at: session.started_at,
            kind: session.kind.as_str(),
            questions: attempts.len(),
            graded: scores.len(),
            average: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        });
    }
    if let Some(n) = args.limit {
        rows.truncate(n);
    }
    if args.json {
        return Ok(render::json(&rows)?);
    }
    let mut out = render::stdout();
    if rows.is_empty() {
        writeln!(out, "No sessions yet. Start one with `grill practice`.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{BOLD}{:>7}  {:16}  {:9}  {:>9}  {:>6}  average{BOLD:#}",
        "session", "date", "kind", "questions", "graded"
    )?;
    for r in &rows {
        let date = crate::time::parse(&r.started_at).map_or_else(
            || crate::text::sanitize(&r.started_at),
            |t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
        );
        let average = r.average.map_or_else(
            || format!("{DIM}—{DIM:#}"),
            |a| {
                let style = style::score(a);
                format!("{style}{a:.1}{style:#}")
            },
        );
        writeln!(
            out,
            "{CYAN}{:>7}{CYAN:#}  {date:16}  {:9}  {:>9}  {:>6}  {average}",
            r.session_id, r.kind, r.questions, r.graded
        )?;
    }
    writeln!(out, "{DIM}`grill report N` shows session N again.{DIM:#}")?;
    Ok(())
}
