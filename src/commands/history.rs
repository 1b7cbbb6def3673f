//! `grill history`: past attempts, newest first; with `--question`, how one
//! question's answers evolved and its latest feedback.

use std::io::Write;

use chrono::Local;

use crate::bank::Bank;
use crate::cli::HistoryArgs;
use crate::commands::stats::sparkline;
use crate::context::Context;
use crate::error::Result;
use crate::stats::created;
use crate::store::{Attempt, GradedBy, Status};
use crate::style::{self, BOLD, CYAN, DIM, RED, YELLOW};
use crate::text::{duration, plural, sanitize, truncate};
use crate::ui::render;
use crate::verdict::Coverage;

fn when(a: &Attempt) -> String {
    created(a).map_or_else(
        || sanitize(&a.created_at),
        |t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
    )
}

pub fn run(ctx: &Context, args: &HistoryArgs) -> Result<()> {
    // Housekeeping of the recordings instead of the list: keeping first,
    // so a recording kept on the same line is not pruned.
    for id in &args.keep_audio {
        super::audio::keep(ctx, *id)?;
    }
    if let Some(days) = args.prune_audio {
        super::audio::prune(ctx, days, args.json)?;
    }
    if !args.keep_audio.is_empty() || args.prune_audio.is_some() {
        return Ok(());
    }
    let bank = ctx.bank()?;
    let store = ctx.store()?;
    let mut attempts = store.all_attempts()?;
    attempts.reverse();
    attempts.retain(|a| {
        args.topic
            .as_ref()
            .is_none_or(|t| a.topic.eq_ignore_ascii_case(t))
            && args
                .question
                .as_ref()
                .is_none_or(|q| a.question_id.eq_ignore_ascii_case(q))
    });
    // A filter that matches nothing is only an error if the bank does not know the name either.
    if attempts.is_empty() {
        if let Some(t) = &args.topic {
            bank.resolve_topics(std::slice::from_ref(t))?;
        }
        if let Some(q) = &args.question {
            bank.require(q)?;
        }
    }
    if let Some(n) = args.limit {
        attempts.truncate(n);
    }
    if args.json {
        return Ok(render::json(&attempts)?);
    }
    let mut out = render::stdout();
    if let Some(id) = &args.question {
        return question_history(&mut out, bank, id, &attempts);
    }
    if attempts.is_empty() {
        writeln!(
            out,
            "No answers yet{}. Start with `grill practice`.",
            args.topic
                .as_ref()
                .map(|t| format!(" in topic `{t}`"))
                .unwrap_or_default()
        )?;
        return Ok(());
    }
    let wide = attempts
        .iter()
        .map(|a| a.question_id.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let narrow = narrow(wide);
    if narrow {
        writeln!(
            out,
            "{BOLD}{:16}  {:>7}  {:wide$}  {:>9}{BOLD:#}",
            "date", "attempt", "question", "score"
        )?;
    } else {
        writeln!(
            out,
            "{BOLD}{:16}  {:>7}  {:>7}  {:wide$}  {:>9}  {:18}  time{BOLD:#}",
            "date", "session", "attempt", "question", "score", "grader"
        )?;
    }
    for a in &attempts {
        writeln!(out, "{}", row(a, wide, narrow))?;
    }
    Ok(())
}

/// Whether the table, with a question column `wide` characters, is too
/// wide for the window: then session, grader and time are left out (`grill
/// show --attempt N` has them). A pipe gets every column.
fn narrow(wide: usize) -> bool {
    let full = 16 + 2 + 7 + 2 + 7 + 2 + wide + 2 + 9 + 2 + 18 + 2 + 5;
    render::listing_width() < full
}

/// One line of the history table; `narrow` leaves out session, grader and time.
fn row(a: &Attempt, wide: usize, narrow: bool) -> String {
    let score = match (a.status, a.score) {
        (Status::Graded, Some(s)) if a.is_estimate() => {
            format!("{DIM}{:>9}{DIM:#}", format!("~{s:.1}"))
        }
        (Status::Graded, Some(s)) => {
            let style = style::score(s);
            format!("{style}{s:>9.1}{style:#}")
        }
        (Status::Skipped, _) => {
            let how = a
                .extra
                .as_ref()
                .and_then(|e| e.ended.as_deref())
                .unwrap_or("skipped");
            format!("{DIM}{how:>9}{DIM:#}")
        }
        _ => format!("{YELLOW}{:>9}{YELLOW:#}", "ungraded"),
    };
    let grader = truncate(
        &a.graded_by
            .as_ref()
            .map_or_else(|| "—".into(), GradedBy::shown),
        18,
    );
    let time = a.seconds.map_or_else(|| "—".to_string(), duration);
    let cut = if a.cut_off {
        format!(" {RED}cut off{RED:#}")
    } else {
        String::new()
    };
    if narrow {
        return format!(
            "{DIM}{}{DIM:#}  {:>7}  {CYAN}{:wide$}{CYAN:#}  {score}{cut}",
            when(a),
            a.id,
            sanitize(&a.question_id),
        );
    }
    let session = a
        .session_id
        .map_or_else(|| "—".to_string(), |s| s.to_string());
    format!(
        "{DIM}{}{DIM:#}  {session:>7}  {:>7}  {CYAN}{:wide$}{CYAN:#}  {score}  {grader:18}  {time}{cut}",
        when(a),
        a.id,
        sanitize(&a.question_id),
    )
}

/// `history --question ID`: the question, how its scores moved, every answer
/// (newest first, with the start of what was said), and the latest feedback.
fn question_history(
    out: &mut impl Write,
    bank: &Bank,
    id: &str,
    attempts: &[Attempt],
) -> Result<()> {
    // The bank's id, as typed in any case; an id only the history knows as is.
    let question = bank.require(id).ok();
    let id = question.map_or(id, |q| q.id.as_str());
    let title = question
        .and_then(|q| bank.topic(&q.topic))
        .map(|t| format!(" {DIM}· {}{DIM:#}", sanitize(&t.title)))
        .unwrap_or_default();
    writeln!(out, "{CYAN}{}{CYAN:#}{title}", sanitize(id))?;
    if let Some(q) = question {
        write!(out, "{BOLD}{}{BOLD:#}", render::wrap(&q.question, "  "))?;
    }
    writeln!(out)?;
    if attempts.is_empty() {
        writeln!(out, "Not answered yet: `grill practice --question {id}`.")?;
        return Ok(());
    }
    let scores: Vec<f64> = attempts
        .iter()
        .rev()
        .filter_map(Attempt::counted_score)
        .collect();
    if let (Some(first), Some(last)) = (scores.first(), scores.last()) {
        let values: Vec<Option<f64>> = scores.iter().copied().map(Some).collect();
        writeln!(
            out,
            "{BOLD}Scores{BOLD:#}  {}  {first:.1} → {}{last:.1}{:#} over {}",
            sparkline(&values),
            style::score(*last),
            style::score(*last),
            plural(scores.len(), "graded answer", "graded answers")
        )?;
        writeln!(out)?;
    }
    let room = render::width().saturating_sub(6).max(20);
    for a in attempts {
        let wide = id.chars().count();
        writeln!(out, "{}", row(a, wide, narrow(wide)))?;
        if !a.answer.trim().is_empty() {
            writeln!(out, "    {DIM}{}{DIM:#}", truncate(a.answer.trim(), room))?;
        }
        if let Some(err) = a.error.as_deref().filter(|_| a.status == Status::Ungraded) {
            writeln!(
                out,
                "    {YELLOW}grading failed:{YELLOW:#} {}",
                truncate(err, room.saturating_sub(16))
            )?;
        }
    }
    let latest = attempts.iter().find_map(|a| {
        Some((
            a,
            a.verdict.as_ref().filter(|_| a.counted_score().is_some())?,
        ))
    });
    if let Some((a, v)) = latest {
        writeln!(out)?;
        writeln!(
            out,
            "{BOLD}Latest feedback{BOLD:#} {DIM}({}, {:.1} by {}){DIM:#}",
            when(a),
            v.score,
            sanitize(
                &a.graded_by
                    .as_ref()
                    .map_or_else(|| "?".into(), GradedBy::shown)
            )
        )?;
        if !v.feedback.is_empty() {
            write!(out, "{}", render::wrap(&v.feedback, "  "))?;
        }
        let missed: Vec<String> = v
            .key_points
            .iter()
            .filter(|p| p.coverage != Coverage::Covered)
            .map(|p| {
                let text = question
                    .and_then(|q| q.key_points.iter().find(|k| k.id == p.id))
                    .map_or(p.id.as_str(), |k| k.point.as_str());
                format!("{} {text}", p.coverage.mark())
            })
            .collect();
        if !missed.is_empty() {
            writeln!(out, "  {BOLD}Still to cover{BOLD:#}")?;
            for m in &missed {
                write!(out, "{}", render::wrap(m, "    "))?;
            }
        }
        if !v.follow_up.is_empty() {
            writeln!(out, "  {BOLD}Follow-up{BOLD:#}")?;
            write!(out, "{}", render::wrap(&v.follow_up, "    "))?;
        }
    }
    Ok(())
}
