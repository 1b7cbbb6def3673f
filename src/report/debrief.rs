//! The debrief of a session, question by question: the answer (capped in
//! the terminal, whole in Markdown), each key point in words with what it
//! earned and the quote that earned it, the mistakes with their
//! corrections, the follow-up rounds that happened, what to say next time,
//! the judge's notes and the model answer (folded in the terminal unless
//! asked for; a `<details>` block in Markdown). Pure: rows in, text out.

use std::fmt::Write;

use super::verdict::{coverage_count, key_points, mistake_lines, sum_line};
use super::{Outcome, Row, SessionReport};
use crate::bank::{Difficulty, Question};
use crate::store::GradedBy;
use crate::style::{self, BOLD, CYAN, DIM, GREEN, YELLOW};
use crate::verdict::{headline, Verdict};

/// The most lines and characters of an answer the terminal debrief shows.
pub const ANSWER_LINES: usize = 8;
pub const ANSWER_CHARS: usize = 600;

/// How the terminal debrief is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Show each model answer instead of saying how to see it.
    pub model_answers: bool,
    /// The table, the points to work on and where the debrief is, but not
    /// the debrief itself: the end of a practice, whose verdicts were shown
    /// one by one.
    pub brief: bool,
}

/// `text` cut to `lines` lines and `chars` characters (at a word), and
/// how many of its lines were left out (0 when it is whole).
pub fn cap(text: &str, lines: usize, chars: usize) -> (String, usize) {
    let text = text.trim();
    let all: Vec<&str> = text.lines().collect();
    let mut kept = String::new();
    let mut used = 0;
    for (i, line) in all.iter().enumerate() {
        let room = chars.saturating_sub(kept.chars().count());
        if i == lines || room == 0 {
            break;
        }
        if line.chars().count() > room {
            kept.push_str(&crate::text::cut_words(line, room));
            used = i + 1;
            return (kept, all.len() - used + 1);
        }
        kept.push_str(line);
        kept.push('\n');
        used = i + 1;
    }
    (kept.trim_end().to_string(), all.len() - used)
}

/// A question that has left the bank, known by its id: a verdict on it
/// shows its key points by id.
pub fn stand_in(id: &str, topic: &str) -> Question {
    Question {
        id: id.to_string(),
        topic: topic.to_string(),
        question: String::new(),
        difficulty: Difficulty::Core,
        wants_example: false,
        minutes: 0,
        model_answer: String::new(),
        key_points: Vec::new(),
        sources: Vec::new(),
        reviewed: None,
        follow_up: None,
    }
}

/// The question of a row, or a stand-in with its id when it has left the bank.
pub(super) fn question_of(row: &Row) -> Question {
    row.question
        .clone()
        .unwrap_or_else(|| stand_in(&row.question_id, &row.attempt.topic))
}

/// The verdict of a row that has a score (an estimate's included).
pub(super) fn graded(row: &Row) -> Option<&Verdict> {
    row.attempt
        .verdict
        .as_ref()
        .filter(|_| matches!(row.outcome, Outcome::Scored(_) | Outcome::Estimated(_)))
}

/// The score with grill's word for it, or why there is none.
pub(super) fn standing(row: &Row) -> String {
    match &row.outcome {
        Outcome::Scored(s) => format!("{s:.1}/10 · {} answer", headline(*s)),
        Outcome::Estimated(s) => format!("~{s:.1}/10 · keyword estimate, not counted"),
        other => other.reason().unwrap_or_default(),
    }
}

pub(super) fn grader(row: &Row) -> String {
    match &row.attempt.graded_by {
        Some(GradedBy::SelfCheck) => "self-graded".into(),
        Some(by) => format!("graded by {}", by.label()),
        None => String::new(),
    }
}

/// The terminal debrief of every question of `r`.
pub fn text(r: &SessionReport, width: usize, options: Options) -> String {
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    let mut s = String::new();
    let _ = writeln!(s, "{BOLD}Debrief{BOLD:#}");
    for (i, row) in r.rows.iter().enumerate() {
        let q = question_of(row);
        let tone = match row.outcome {
            Outcome::Scored(x) => style::score(x),
            _ => DIM,
        };
        let _ = writeln!(s);
        let number = format!("{}.", i + 1);
        let standing = format!("· {}", standing(row));
        let by = grader(row);
        let by = if by.is_empty() {
            by
        } else {
            format!("· {by} ")
        };
        let tail = format!("{by}· attempt {}", row.attempt.id);
        let parts = [
            (number.as_str(), BOLD),
            (row.question_id.as_str(), CYAN.bold()),
            (standing.as_str(), tone),
            (tail.as_str(), DIM),
        ];
        s.push_str(&crate::text::spans(&parts, width, "", "   "));
        if !q.question.is_empty() {
            let _ = write!(s, "{BOLD}{}{BOLD:#}", wrap(&q.question, "  "));
        }
        if !row.attempt.answer.trim().is_empty() {
            let (shown, left) = cap(&row.attempt.answer, ANSWER_LINES, ANSWER_CHARS);
            let _ = writeln!(s, "\n{BOLD}Your answer{BOLD:#}");
            let _ = write!(s, "{DIM}{}{DIM:#}", wrap(&shown, "  "));
            if left > 0 {
                let _ = writeln!(
                    s,
                    "  {DIM}… cut here; `grill show --attempt {}` shows all of it{DIM:#}",
                    row.attempt.id
                );
            }
        }
        let Some(verdict) = graded(row) else {
            continue;
        };
        let _ = writeln!(
            s,
            "\n{BOLD}Key points{BOLD:#} {DIM}(earned/weight; {}){DIM:#}",
            coverage_count(verdict)
        );
        key_points(&mut s, &q, verdict, width);
        let _ = writeln!(s, "  {DIM}{}{DIM:#}", sum_line(verdict));
        mistakes_text(&mut s, row, width);
        rounds_text(&mut s, row, width);
        next_time_text(&mut s, row, width);
        if !row.feedback.is_empty() {
            let _ = writeln!(s, "\n{BOLD}Judge's notes{BOLD:#}");
            let _ = write!(s, "{}", wrap(&row.feedback, "  "));
        }
        if options.model_answers && !q.model_answer.is_empty() {
            let _ = writeln!(s, "\n{BOLD}Model answer{BOLD:#}");
            let _ = write!(s, "{}", wrap(&q.model_answer, "  "));
        }
    }
    if !options.model_answers && r.rows.iter().any(|row| row.question.is_some()) {
        let _ = writeln!(s);
        let _ = write!(
            s,
            "{DIM}{}{DIM:#}",
            wrap(
                &format!(
                    "Model answers are folded: `grill report {} --model-answer` shows them; `grill show --attempt N` opens one attempt in full.",
                    r.id
                ),
                ""
            )
        );
    }
    s
}

fn mistakes_text(s: &mut String, row: &Row, width: usize) {
    let Some(v) = row.attempt.verdict.as_ref() else {
        return;
    };
    if v.mistakes.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n{BOLD}Mistakes{BOLD:#}");
    mistake_lines(s, &v.mistakes, width);
}

/// The follow-up rounds that were asked; none is said when none was.
fn rounds_text(s: &mut String, row: &Row, width: usize) {
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    for (n, round) in row.rounds.iter().enumerate() {
        let _ = writeln!(
            s,
            "\n{BOLD}Follow-up{}{BOLD:#}",
            if row.rounds.len() > 1 {
                format!(" {}", n + 1)
            } else {
                String::new()
            }
        );
        let _ = write!(s, "{}", wrap(&round.question, "  "));
        if round.answer.trim().is_empty() {
            let _ = writeln!(s, "  {DIM}not answered{DIM:#}");
        } else {
            let (shown, left) = cap(&round.answer, ANSWER_LINES, ANSWER_CHARS);
            let _ = write!(
                s,
                "{DIM}{}{DIM:#}",
                wrap(&format!("{}: {shown}", super::answered(round)), "  ")
            );
            if left > 0 {
                let _ = writeln!(s, "  {DIM}… cut here{DIM:#}");
            }
        }
        let plain = anstyle::Style::new();
        let recovered = round
            .recovered
            .iter()
            .map(|id| row.point_text(id))
            .collect::<Vec<_>>()
            .join("; ");
        let outcome = match (&round.note, round.recovered.is_empty()) {
            (Some(note), _) => [("not graded:", YELLOW), (note.as_str(), plain)],
            (None, true) => [("nothing recovered", YELLOW), ("", plain)],
            (None, false) => [("recovered:", GREEN), (recovered.as_str(), plain)],
        };
        let parts = [("→", plain), outcome[0], outcome[1]];
        s.push_str(&crate::text::spans(&parts, width, "  ", "    "));
    }
}

/// What to say next time: the points missed outright, then the partial
/// ones, then the question an interviewer would ask next.
fn next_time_text(s: &mut String, row: &Row, width: usize) {
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    let advice = row.advice();
    if advice.is_empty() && row.follow_up.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n{BOLD}Next time{BOLD:#}");
    for (_, point) in &advice.missed {
        let _ = write!(s, "{}", wrap(&format!("- Make the point: {point}"), "  "));
    }
    for (_, point) in &advice.partial {
        let _ = write!(s, "{}", wrap(&format!("- Say more on: {point}"), "  "));
    }
    if !row.follow_up.is_empty() {
        let _ = write!(
            s,
            "{}",
            wrap(&format!("- Be ready for: {}", row.follow_up), "  ")
        );
    }
}

/// A note for the end of a report drawn without the bank.
pub fn hint(r: &SessionReport) -> String {
    format!(
        "`grill report {}` gives the debrief: each key point in words with the quote that earned it, the mistakes, what to say next time and the model answers.",
        r.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::KeyPoint;
    use crate::report::tests::attempt;
    use crate::store::{Session, SessionKind};
    use crate::verdict::{Coverage, FollowUpRound, PointVerdict};

    #[test]
    fn a_long_answer_is_cut_at_a_line_or_a_word() {
        assert_eq!(cap("one\ntwo", 8, 600), ("one\ntwo".to_string(), 0));
        let long = (1..=20)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let (shown, left) = cap(&long, 8, 600);
        assert_eq!(shown.lines().count(), 8);
        assert_eq!(left, 12);
        let (shown, left) = cap(&"word ".repeat(300), 8, 600);
        assert!(
            shown.ends_with('…') && shown.chars().count() <= 600,
            "{shown}"
        );
        assert_eq!(left, 1);
    }

    /// Points a (missed, then recovered), b (partial), c (missed); the bank
    /// knows them in words.
    fn report() -> SessionReport {
        let mut a = attempt(1, "rag", Some((4.0, GradedBy::Judge("m".into()))));
        let pv = |id: &str, coverage, recovered| PointVerdict {
            id: id.into(),
            coverage,
            claimed: coverage,
            evidence: if coverage == Coverage::Partial {
                "some words of mine".into()
            } else {
                String::new()
            },
            verified: true,
            weight: 1,
            check: None,
            uncertain: false,
            recovered,
        };
        let v = a.verdict.as_mut().unwrap();
        v.key_points = vec![
            pv("a", Coverage::Missing, true),
            pv("b", Coverage::Partial, false),
            pv("c", Coverage::Missing, false),
        ];
        v.follow_ups = vec![FollowUpRound {
            question: "What about a?".into(),
            answer: "A, of course.".into(),
            points: vec!["a".into(), "c".into()],
            recovered: vec!["a".into()],
            score_before: 1.7,
            ..FollowUpRound::default()
        }];
        let session = Session {
            id: 9,
            kind: SessionKind::Practice,
            started_at: "2026-03-01T09:00:00Z".into(),
        };
        let mut r = crate::report::build(&session, &[a]);
        let mut q = stand_in("q1", "rag");
        q.question = "What is it?".into();
        q.model_answer = "The model answer.".into();
        q.key_points = ["a", "b", "c"]
            .iter()
            .map(|id| KeyPoint {
                id: (*id).into(),
                point: format!("Point {id} in words"),
                weight: 1,
                cues: vec![],
            })
            .collect();
        r.rows[0].question = Some(q);
        r
    }

    #[test]
    fn next_time_names_the_missed_and_partial_points_not_the_recovered_one() {
        let r = report();
        let text = anstream::adapter::strip_str(&text(&r, 80, Options::default())).to_string();
        assert!(
            text.contains("Next time\n  - Make the point: Point c in words\n  - Say more on: Point b in words\n"),
            "{text}"
        );
        assert!(!text.contains("Make the point: Point a"), "{text}");
        assert!(
            text.contains("→ recovered: Point a in words"),
            "the round that happened: {text}"
        );
        assert!(text.contains("“some words of mine”"), "{text}");
        assert!(!text.contains("The model answer."), "folded: {text}");
        assert!(text.contains("`grill report 9 --model-answer`"), "{text}");
        let open = anstream::adapter::strip_str(&super::text(
            &r,
            80,
            Options {
                model_answers: true,
                brief: false,
            },
        ))
        .to_string();
        assert!(
            open.contains("Model answer\n  The model answer.\n"),
            "{open}"
        );
        let md = crate::report::markdown::debrief(&r);
        assert!(
            md.contains(
                "<details><summary>Model answer</summary>\n\nThe model answer.\n\n</details>"
            ),
            "{md}"
        );
        assert!(md.contains("- Say more on: Point b in words"), "{md}");
    }

    #[test]
    fn no_follow_up_section_when_none_was_asked() {
        let mut r = report();
        r.rows[0].rounds.clear();
        let text = anstream::adapter::strip_str(&text(&r, 80, Options::default())).to_string();
        assert!(!text.contains("Follow-up"), "{text}");
    }
}
