//! `grill stats`: how each topic is going, drawn as bars and a 30-day
//! sparkline. The numbers come from `crate::stats`; this file only draws.

use std::io::Write;

use crate::context::Context;
use crate::error::Result;
use crate::stats::{compute_stats, local_day, MissedPoint, Stats, TopicStats, TREND_DAYS};
use crate::style::{self, BOLD, CYAN, DIM, GREEN, RED, YELLOW};
use crate::text::{plural, sanitize};
use crate::ui::render;

const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A bar `cells` wide for a score out of 10, in eighths of a cell.
pub fn bar(score: f64, cells: usize) -> String {
    let eighths = ((score.clamp(0.0, 10.0) / 10.0) * (cells * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8 - 1]);
    }
    let drawn = s.chars().count();
    s.push_str(&"░".repeat(cells.saturating_sub(drawn)));
    s
}

/// One character per value on an absolute 0–10 scale, `·` where there is none.
pub fn sparkline(values: &[Option<f64>]) -> String {
    values
        .iter()
        .map(|v| match v {
            Some(x) => SPARKS[((x.clamp(0.0, 10.0) / 10.0) * 7.0).round() as usize],
            None => '·',
        })
        .collect()
}

fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{x:.1}")
    } else if x < 0.0 {
        format!("−{:.1}", -x)
    } else {
        "±0.0".into()
    }
}

/// `grill stats --json`: the numbers, and how many questions are due now.
#[derive(serde::Serialize)]
struct StatsJson<'a> {
    #[serde(flatten)]
    stats: &'a Stats,
    due_now: usize,
    /// Spoken answers' delivery over time; `null` without any.
    delivery: &'a Option<crate::speech::summary::Summary>,
}

pub fn run(ctx: &Context, json: bool) -> Result<()> {
    let bank = ctx.bank()?;
    let store = ctx.store()?;
    let attempts = store.all_attempts()?;
    let now = ctx.clock().now();
    let stats = compute_stats(bank, &attempts, local_day(now), &local_day);
    let due_now = store
        .due(now, &|id| bank.key_point_ids(id))?
        .iter()
        .filter(|e| bank.get(&e.id).is_some())
        .count();
    let figures: Vec<_> = store
        .all_spoken()?
        .into_iter()
        .filter_map(|s| s.delivery)
        .collect();
    let delivery = crate::speech::summary::summary(&figures);
    if json {
        return Ok(render::json(&StatsJson {
            stats: &stats,
            due_now,
            delivery: &delivery,
        })?);
    }
    let mut out = render::stdout();
    if stats.total_attempts == 0 && stats.ungraded_attempts == 0 {
        writeln!(
            out,
            "No answers yet. Start with `grill practice`, or `grill interview` for a timed mock."
        )?;
        return Ok(());
    }
    let wide = stats
        .topics
        .iter()
        .map(|t| t.topic.chars().count())
        .max()
        .unwrap_or(5)
        .max(5)
        // A long topic name is cut (with …) before a row outgrows the terminal.
        .min(render::width().saturating_sub(ROW_REST).max(8));
    let days = chart_days(wide, render::width());
    let chart = if days == 0 {
        String::new()
    } else {
        format!("{:days$}  ", format!("last {days} days"))
    };
    writeln!(
        out,
        "{BOLD}{:wide$}  answers  {:15}  {chart}{:>5}  unseen{BOLD:#}",
        "topic", "average", "trend",
    )?;
    for t in &stats.topics {
        writeln!(out, "{}", topic_row(t, wide, days))?;
    }
    writeln!(out)?;
    let mut notes = vec![
        "average: the mean of each question's latest counted score. answers: graded answers, not skipped, ungraded or keyword estimates.",
    ];
    if stats.topics.iter().any(|t| !t.in_bank) {
        notes.push("unseen ?: the topic is in your history but not in the loaded banks; load its bank with --bank to count its questions.");
    }
    for note in notes {
        write!(out, "{DIM}{}{DIM:#}", render::wrap(note, ""))?;
    }
    totals(&mut out, &stats, due_now)?;
    if let Some(d) = &delivery {
        let line = crate::speech::summary::line(d);
        write!(
            out,
            "{BOLD}Delivery{BOLD:#} {}",
            render::wrap(&line, "         ").trim_start()
        )?;
    }
    missed(&mut out, &stats.missed_points)
}

/// "You keep missing": the points missed in most answers to their question.
fn missed(out: &mut impl Write, points: &[MissedPoint]) -> Result<()> {
    if points.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{BOLD}You keep missing{BOLD:#}")?;
    for p in points {
        writeln!(
            out,
            "  {RED}✗{RED:#} {}\n    {CYAN}{}{CYAN:#} {DIM}· missed or partial in {} of {} answers{DIM:#}",
            render::wrap(&sanitize(&p.text), "    ").trim(),
            sanitize(&p.question_id),
            p.missed,
            p.answered
        )?;
    }
    Ok(())
}

/// The width of a row's columns after the topic: answers, average, trend,
/// unseen, and the gaps between them.
const ROW_REST: usize = 2 + 7 + 2 + 15 + 2 + 5 + 2 + 10;

/// How many days of the chart fit beside the other columns in `width`
/// (topic, answers, average, trend and unseen take the rest); 0 hides it.
pub fn chart_days(topic_wide: usize, width: usize) -> usize {
    let fixed = topic_wide + ROW_REST;
    let room = width.saturating_sub(fixed + 2);
    if room < 14 {
        0
    } else {
        room.min(TREND_DAYS)
    }
}

/// One topic's line: answers, average bar, the last `days` of the
/// sparkline, trend, unseen.
fn topic_row(t: &TopicStats, wide: usize, days: usize) -> String {
    let average = match t.average {
        Some(avg) => {
            let style = style::score(avg);
            format!("{style}{} {avg:>4.1}{style:#}", bar(avg, 10))
        }
        None => format!("{DIM}{:10} {:>4}{DIM:#}", "", "—"),
    };
    let trend = match t.trend {
        Some(x) if x > 0.0 => format!("{GREEN}{:>5}{GREEN:#}", signed(x)),
        Some(x) if x < 0.0 => format!("{RED}{:>5}{RED:#}", signed(x)),
        Some(x) => format!("{:>5}", signed(x)),
        None => format!("{DIM}{:>5}{DIM:#}", "—"),
    };
    let unseen = if !t.in_bank {
        format!("{DIM}?{DIM:#}")
    } else if t.unseen == 0 {
        format!("{DIM}{} of {}{DIM:#}", t.unseen, t.questions)
    } else {
        format!("{} of {}", t.unseen, t.questions)
    };
    let chart = if days == 0 {
        String::new()
    } else {
        let recent = &t.daily[t.daily.len().saturating_sub(days)..];
        format!("{DIM}{}{DIM:#}  ", sparkline(recent))
    };
    format!(
        "{CYAN}{:wide$}{CYAN:#}  {:>7}  {average}  {chart}{trend}  {unseen}",
        crate::text::cut(&sanitize(&t.topic), wide),
        t.attempts,
    )
}

/// Streak, totals, what is due and what is ungraded.
fn totals(out: &mut impl Write, stats: &Stats, due_now: usize) -> Result<()> {
    let streak = match (stats.streak_days, stats.answered_today) {
        (0, _) => "no streak: answer a question today to start one".to_string(),
        (n, true) => format!("{} in a row, today included", plural(n, "day", "days")),
        (n, false) => format!(
            "{} in a row; answer one today to keep it",
            plural(n, "day", "days")
        ),
    };
    writeln!(out, "{BOLD}Streak{BOLD:#}   {streak}")?;
    let tried: usize = stats
        .topics
        .iter()
        .map(|t| t.questions - t.unseen.min(t.questions))
        .sum();
    let questions: usize = stats.topics.iter().map(|t| t.questions).sum();
    let overall = stats
        .average
        .map(|a| format!(", latest scores average {a:.1}"))
        .unwrap_or_default();
    let line = format!(
        "{}, {tried} of {questions} questions tried{overall}",
        plural(stats.total_attempts, "graded answer", "graded answers")
    );
    write!(
        out,
        "{BOLD}Totals{BOLD:#}   {}",
        render::wrap(&line, "         ").trim_start()
    )?;
    if due_now > 0 {
        writeln!(
            out,
            "{BOLD}Review{BOLD:#}   {} due now: `grill review`",
            plural(due_now, "question", "questions")
        )?;
    }
    if stats.ungraded_attempts > 0 {
        writeln!(
            out,
            "{YELLOW}{} ungraded{YELLOW:#}: `grill regrade` grades {}",
            plural(stats.ungraded_attempts, "answer is", "answers are"),
            if stats.ungraded_attempts == 1 {
                "it"
            } else {
                "them"
            }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_sparklines_draw_on_a_fixed_scale() {
        assert_eq!(bar(10.0, 4), "████");
        assert_eq!(bar(0.0, 4), "░░░░");
        assert_eq!(bar(5.0, 4), "██░░");
        assert_eq!(bar(5.5, 2), "█▏");
        assert_eq!(sparkline(&[Some(0.0), None, Some(10.0), Some(5.0)]), "▁·█▅");
    }
}
