//! A session report as Markdown, for notes and for sharing.

use std::fmt::Write;

use super::text::{answered, notes, outcome_cell, round_outcome, rounds};
use super::{flag_text, SessionReport};
use crate::text::{duration, plural, sanitize};

/// Table cells and list items stay on one line and keep their pipes literal.
fn cell(text: &str) -> String {
    sanitize(text)
        .replace(['\n', '\t'], " ")
        .replace('|', "\\|")
}

pub fn render(r: &SessionReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} — session {}, {}\n", r.title(), r.id, r.when());
    let _ = writeln!(s, "| # | question | score | time | cut off | notes |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for (i, row) in r.rows.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            i + 1,
            cell(&row.question_id),
            outcome_cell(&row.outcome),
            row.seconds.map_or_else(|| "-".into(), duration),
            if row.cut_off { "yes" } else { "" },
            cell(&notes(row))
        );
    }
    let _ = writeln!(s);
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
                let _ = write!(s, " · weakest topic: {} ({score:.1})", cell(topic));
            }
            let _ = writeln!(s, ".");
        }
    }
    for (i, row) in r.rows.iter().enumerate() {
        for text in row.flags.iter().filter_map(|f| flag_text(f)) {
            let _ = writeln!(s, "\nAnswer {} ({}): {text}", i + 1, cell(&row.question_id));
        }
    }
    let asked = rounds(r);
    if !asked.is_empty() {
        let _ = writeln!(s, "\n## Follow-up rounds\n");
        for (n, id, round) in asked {
            let _ = writeln!(s, "- **{n} {}**: {}", cell(id), cell(&round.question));
            if !round.answer.trim().is_empty() {
                let _ = writeln!(s, "  - {}: {}", answered(round), cell(round.answer.trim()));
            }
            let _ = writeln!(s, "  - {}", cell(&round_outcome(round)));
        }
    }
    let follow_ups: Vec<_> = r
        .rows
        .iter()
        .filter(|row| !row.follow_up.is_empty())
        .collect();
    if !follow_ups.is_empty() {
        let _ = writeln!(s, "\n## Follow-ups to think about\n");
        for row in follow_ups {
            let _ = writeln!(
                s,
                "- **{}**: {}",
                cell(&row.question_id),
                cell(&row.follow_up)
            );
        }
    }
    let feedback: Vec<_> = r
        .rows
        .iter()
        .filter(|row| !row.feedback.is_empty())
        .collect();
    if !feedback.is_empty() {
        let _ = writeln!(s, "\n## Feedback\n");
        for row in feedback {
            let _ = writeln!(
                s,
                "### {}\n\n{}\n",
                cell(&row.question_id),
                sanitize(&row.feedback)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_a_table_with_follow_ups_and_feedback() {
        let md = render(&crate::report::tests::report());
        assert!(
            md.starts_with("# Interview report — session 3, 2026-03-01 09:00:00\n"),
            "{md}"
        );
        assert!(
            md.contains("| 1 | q1 | 8.0 | 1m 05s |  | missed: kp |"),
            "{md}"
        );
        assert!(md.contains("| 3 | q3 | ~10.0 |"), "{md}");
        assert!(
            md.contains("| 4 | q4 | — | 1m 05s |  | not graded: server down |"),
            "{md}"
        );
        assert!(
            md.contains("## Follow-ups to think about\n\n- **q1**: Why?"),
            "{md}"
        );
        assert!(md.contains("### q1\n\nFine."), "{md}");
    }
}
