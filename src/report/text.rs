//! A session report for the terminal: a table of the questions asked, the
//! average, the weakest topic, flags and the follow-ups to think about.

use std::fmt::Write;

use super::{flag_text, Outcome, SessionReport};
use crate::style::{self, BOLD, CYAN, DIM};
use crate::text::{duration, plural, sanitize, wrap};

/// The score column as shown: `7.5`, `~7.5` for an estimate, or a word.
pub fn outcome_cell(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Scored(s) => format!("{s:.1}"),
        Outcome::Estimated(s) => format!("~{s:.1}"),
        Outcome::Skipped => "skipped".into(),
        Outcome::Ungraded(_) => "ungraded".into(),
    }
}

pub fn render(r: &SessionReport, width: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{BOLD}{}{BOLD:#} {DIM}· session {} · {}{DIM:#}",
        r.title(),
        r.id,
        r.when()
    );
    let _ = writeln!(s);
    let wide = r
        .rows
        .iter()
        .map(|row| row.question_id.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        s,
        "{BOLD} #  {:wide$}  {:>8}  {:>7}  cut off  key points missed{BOLD:#}",
        "question", "score", "time"
    );
    for (i, row) in r.rows.iter().enumerate() {
        let cell = outcome_cell(&row.outcome);
        let style = match row.outcome {
            Outcome::Scored(x) => style::score(x),
            _ => DIM,
        };
        let _ = writeln!(
            s,
            " {:<2} {CYAN}{:wide$}{CYAN:#}  {style}{cell:>8}{style:#}  {:>7}  {:7}  {}",
            i + 1,
            sanitize(&row.question_id),
            row.seconds.map_or_else(|| "-".into(), duration),
            if row.cut_off { "yes" } else { "" },
            sanitize(&row.missed.join(", "))
        );
        if let Outcome::Ungraded(Some(reason)) = &row.outcome {
            let _ = write!(
                s,
                "{DIM}{}{DIM:#}",
                wrap(&format!("not graded: {reason}"), "    ", width)
            );
        }
    }
    let _ = writeln!(s);
    summary(&mut s, r, width);
    s
}

/// What follows the table: the average, what counts, flags, follow-ups.
fn summary(s: &mut String, r: &SessionReport, width: usize) {
    match r.average {
        None => {
            let _ = writeln!(s, "No graded answers in this session.");
        }
        Some(avg) => {
            let _ = write!(
                s,
                "Average {avg:.1}/10 over {}",
                plural(r.counted, "graded answer", "graded answers")
            );
            if let Some((topic, score)) = &r.weakest {
                let _ = write!(s, " · weakest topic: {} ({score:.1})", sanitize(topic));
            }
            let _ = writeln!(s, ".");
        }
    }
    if r.rows
        .iter()
        .any(|row| matches!(row.outcome, Outcome::Estimated(_)))
    {
        let _ = writeln!(
            s,
            "{DIM}~ keyword estimate: shown, not counted in averages or the review schedule.{DIM:#}"
        );
    }
    if r.ungraded > 0 {
        let _ = writeln!(
            s,
            "{} not graded yet: `grill regrade` grades {}.",
            plural(r.ungraded, "answer is", "answers are"),
            if r.ungraded == 1 { "it" } else { "them" }
        );
    }
    for (i, row) in r.rows.iter().enumerate() {
        for text in row.flags.iter().filter_map(|f| flag_text(f)) {
            let _ = writeln!(
                s,
                "Answer {} ({}): {text}",
                i + 1,
                sanitize(&row.question_id)
            );
        }
    }
    let follow_ups: Vec<_> = r
        .rows
        .iter()
        .filter(|row| !row.follow_up.is_empty())
        .collect();
    if !follow_ups.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "{BOLD}Follow-ups to think about{BOLD:#}");
        for row in follow_ups {
            let _ = write!(
                s,
                "{}",
                wrap(
                    &format!("- {}: {}", row.question_id, row.follow_up),
                    "  ",
                    width
                )
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_every_outcome_and_says_what_counts() {
        let text =
            anstream::adapter::strip_str(&render(&crate::report::tests::report(), 80)).to_string();
        assert!(
            text.starts_with("Interview report · session 3 · 2026-03-01 09:00:00"),
            "{text}"
        );
        assert!(text.contains("      ~10.0"), "{text}");
        assert!(text.contains("ungraded"), "{text}");
        assert!(text.contains("    not graded: server down"), "{text}");
        assert!(
            text.contains("Average 6.0/10 over 2 graded answers · weakest topic: evals (4.0)."),
            "{text}"
        );
        assert!(text.contains("~ keyword estimate"), "{text}");
        assert!(text.contains("1 answer is not graded yet"), "{text}");
        assert!(text.contains("- q1: Why?"), "{text}");
    }
}
