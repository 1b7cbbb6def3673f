//! A session report as Markdown, for notes and for sharing.

use std::fmt::Write;

use super::debrief::{graded, grader, question_of, standing};
use super::text::{notes, outcome_cell, rounds};
use super::verdict::{check_text, coverage_count, earned, sum_line};
use super::{answered, flag_text, round_outcome, Row, SessionReport};
use crate::text::{duration, plural, sanitize};
use crate::verdict::{Coverage, Verdict};

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
    if r.has_questions() {
        s.push_str(&debrief(r));
        return s;
    }
    let advice = r.advice();
    if !advice.is_empty() {
        let _ = writeln!(s, "\n## Next time\n");
        for (row, a) in advice {
            let _ = writeln!(s, "- **{}**: {}", cell(&row.question_id), cell(&a.line()));
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

/// Markdown text on one line, pipes literal.
fn line(text: &str) -> String {
    sanitize(text).replace(['\n', '\t'], " ")
}

/// The Markdown debrief: everything, the answers whole, each model answer
/// in a `<details>` block.
pub fn debrief(r: &SessionReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n## Debrief");
    for (i, row) in r.rows.iter().enumerate() {
        let q = question_of(row);
        let _ = writeln!(
            s,
            "\n### {}. {} — {}\n",
            i + 1,
            line(&row.question_id),
            line(&standing(row))
        );
        let by = grader(row);
        let _ = writeln!(
            s,
            "_{}attempt {}_\n",
            if by.is_empty() {
                String::new()
            } else {
                format!("{by} · ")
            },
            row.attempt.id
        );
        if !q.question.is_empty() {
            let _ = writeln!(s, "**{}**\n", line(&q.question));
        }
        if !row.attempt.answer.trim().is_empty() {
            let _ = writeln!(s, "Your answer:\n");
            for l in sanitize(row.attempt.answer.trim()).lines() {
                let _ = writeln!(s, "> {l}");
            }
            let _ = writeln!(s);
        }
        if let Some(v) = graded(row) {
            markdown_verdict(&mut s, row, v);
        }
        if !q.model_answer.is_empty() {
            let _ = writeln!(
                s,
                "\n<details><summary>Model answer</summary>\n\n{}\n\n</details>",
                sanitize(q.model_answer.trim())
            );
        }
    }
    s
}

/// A graded row's key points, mistakes, rounds, advice and notes, in Markdown.
fn markdown_verdict(s: &mut String, row: &Row, v: &Verdict) {
    let _ = writeln!(s, "Key points ({}):\n", coverage_count(v));
    for p in &v.key_points {
        let word = match (p.coverage, p.recovered) {
            (_, true) => "recovered on follow-up",
            (Coverage::Covered, _) => "covered",
            (Coverage::Partial, _) => "partial",
            (Coverage::Missing, _) => "missed",
        };
        let _ = write!(
            s,
            "- {} **{}** {} — {word}",
            p.coverage.mark(),
            earned(p),
            line(&row.point_text(&p.id))
        );
        match check_text(p) {
            Some((_, note)) => {
                let _ = write!(s, "; {}", line(&note));
            }
            None if p.coverage != Coverage::Missing && !p.evidence.trim().is_empty() => {
                let _ = write!(s, ": “{}”", line(p.evidence.trim()));
            }
            None => {}
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "\n{}", line(&sum_line(v)));
    if !v.mistakes.is_empty() {
        let _ = writeln!(s, "\nMistakes:\n");
        for m in &v.mistakes {
            let _ = writeln!(
                s,
                "- “{}” → {}{}",
                line(&m.quote),
                line(&m.correction),
                if m.verified {
                    ""
                } else {
                    " (not counted: not in the answer)"
                }
            );
        }
    }
    for round in &row.rounds {
        let _ = writeln!(s, "\nFollow-up: {}\n", line(&round.question));
        if !round.answer.trim().is_empty() {
            let _ = writeln!(s, "{}:\n", answered(round));
            for l in sanitize(round.answer.trim()).lines() {
                let _ = writeln!(s, "> {l}");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "→ {}", line(&round_outcome(round)));
    }
    let advice = row.advice();
    if !advice.is_empty() || !row.follow_up.is_empty() {
        let _ = writeln!(s, "\nNext time:\n");
        for (_, p) in &advice.missed {
            let _ = writeln!(s, "- Make the point: {}", line(p));
        }
        for (_, p) in &advice.partial {
            let _ = writeln!(s, "- Say more on: {}", line(p));
        }
        if !row.follow_up.is_empty() {
            let _ = writeln!(s, "- Be ready for: {}", line(&row.follow_up));
        }
    }
    if !row.feedback.is_empty() {
        let _ = writeln!(s, "\nJudge's notes: {}", line(&row.feedback));
    }
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
