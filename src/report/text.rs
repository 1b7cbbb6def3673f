//! A session report for the terminal: a table of the questions asked, the
//! average, the weakest topic, flags and the follow-ups to think about.

use std::fmt::Write;

use super::{answered, flag_text, round_outcome, Outcome, Row, SessionReport};
use crate::style::{self, BOLD, CYAN, DIM};
use crate::text::{duration, plural, sanitize, wrap};

/// The score column as shown: `7.5`, `~7.5` for an estimate, `—` for none.
pub fn outcome_cell(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Scored(s) => format!("{s:.1}"),
        Outcome::Estimated(s) => format!("~{s:.1}"),
        Outcome::Unanswered { .. } | Outcome::Ungraded(_) => "—".into(),
    }
}

/// The notes column: the key points missed, or why there is no score.
pub fn notes(row: &Row) -> String {
    let mut notes = Vec::new();
    if let Some(over) = row.over {
        notes.push(format!(
            "ended {} past the limit, in the editor",
            duration(over)
        ));
    }
    match row.outcome.reason() {
        Some(reason) => notes.push(reason),
        None if !row.missed.is_empty() => notes.push(format!("missed: {}", row.missed.join(", "))),
        None => {}
    }
    if !row.recovered.is_empty() {
        notes.push(format!(
            "recovered on follow-up: {}",
            row.recovered.join(", ")
        ));
    }
    if row.rounds.iter().any(|r| r.cut_off) {
        notes.push("follow-up cut off".into());
    }
    if let Some(first) = row.rounds.first() {
        if row.recovered.is_empty() {
            notes.push(match &first.note {
                Some(note) => format!("follow-up: {note}"),
                None => "follow-up: nothing recovered".into(),
            });
        }
        notes.push(format!("answer alone {:.1}", first.score_before));
    }
    notes.join("; ")
}

/// Each follow-up round of the session: the question, the answer, what it recovered.
pub fn rounds(r: &SessionReport) -> Vec<(usize, &str, &crate::verdict::FollowUpRound)> {
    r.rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            row.rounds
                .iter()
                .map(move |round| (i + 1, row.question_id.as_str(), round))
        })
        .collect()
}

/// The report as drawn at the end of a session: the table and summary,
/// then the debrief when the report knows its questions (`with_bank`).
pub fn render(r: &SessionReport, width: usize) -> String {
    render_with(r, width, super::debrief::Options::default())
}

/// `render`, with the debrief's options (`--model-answer`).
pub fn render_with(r: &SessionReport, width: usize, options: super::debrief::Options) -> String {
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
        "{BOLD} #  {:wide$}  {:>5}  {:>7}  cut off  notes{BOLD:#}",
        "question", "score", "time"
    );
    // Where the notes column starts.
    let notes_at = 4 + wide + 2 + 5 + 2 + 7 + 2 + 7 + 2;
    for (i, row) in r.rows.iter().enumerate() {
        let cell = outcome_cell(&row.outcome);
        let style = match row.outcome {
            Outcome::Scored(x) => style::score(x),
            _ => DIM,
        };
        let line = format!(
            " {:<2} {CYAN}{:wide$}{CYAN:#}  {style}{cell:>5}{style:#}  {:>7}  {:7}  ",
            i + 1,
            sanitize(&row.question_id),
            row.seconds.map_or_else(|| "-".into(), duration),
            if row.cut_off { "yes" } else { "" },
        );
        let notes = notes(row);
        if notes.is_empty() {
            let _ = writeln!(s, "{}", line.trim_end());
            continue;
        }
        // Short notes go beside the row, long ones under it.
        if notes_at + textwrap::core::display_width(&notes) <= width {
            let _ = writeln!(s, "{line}{}", sanitize(&notes));
        } else {
            let _ = writeln!(s, "{}", line.trim_end());
            let _ = write!(s, "{DIM}{}{DIM:#}", wrap(&notes, "      ", width));
        }
    }
    let _ = writeln!(s);
    summary(&mut s, r);
    if r.has_questions() && !options.brief {
        let _ = writeln!(s);
        s.push_str(&super::debrief::text(r, width, options));
    } else {
        follow_ups(&mut s, r, width);
        next_time(&mut s, r, width);
        let _ = writeln!(s);
        let _ = write!(
            s,
            "{DIM}{}{DIM:#}",
            wrap(&super::debrief::hint(r), "", width)
        );
    }
    s
}

/// What to work on, question by question: the points missed outright and
/// those made only in part, in words when the bank is known.
fn next_time(s: &mut String, r: &SessionReport, width: usize) {
    let advice = r.advice();
    if advice.is_empty() {
        return;
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "{BOLD}Next time{BOLD:#}");
    for (row, a) in advice {
        let _ = write!(
            s,
            "{}",
            wrap(&format!("- {}: {}", row.question_id, a.line()), "  ", width)
        );
    }
}

/// What follows the table: the average, what counts, flags, follow-ups.
fn summary(s: &mut String, r: &SessionReport) {
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
}

/// The follow-up rounds asked, and the judge's next questions, for a
/// report drawn without its questions (the debrief has both).
fn follow_ups(s: &mut String, r: &SessionReport, width: usize) {
    let asked = rounds(r);
    if !asked.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "{BOLD}Follow-up rounds{BOLD:#}");
        for (n, id, round) in asked {
            let _ = write!(
                s,
                "{}",
                wrap(
                    &sanitize(&format!("- {n} {id}: {}", round.question)),
                    "  ",
                    width
                )
            );
            if !round.answer.trim().is_empty() {
                // A long pasted answer is cut here; `--format md` has it whole.
                let (shown, left) = super::debrief::cap(
                    &round.answer,
                    super::debrief::ANSWER_LINES,
                    super::debrief::ANSWER_CHARS,
                );
                let cut = if left > 0 { " …" } else { "" };
                let _ = write!(
                    s,
                    "{DIM}{}{DIM:#}",
                    wrap(
                        &sanitize(&format!("{}: {shown}{cut}", answered(round))),
                        "    ",
                        width
                    )
                );
            }
            let _ = writeln!(s, "    → {}", sanitize(&round_outcome(round)));
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
        assert!(text.contains("   ~10.0"), "{text}");
        assert!(
            text.contains(" 4  q4            —   1m 05s           not graded: server down"),
            "{text}"
        );
        assert!(text.contains("missed: kp"), "{text}");
        assert!(
            text.contains("Average 6.0/10 over 2 graded answers · weakest topic: evals (4.0)."),
            "{text}"
        );
        assert!(text.contains("~ keyword estimate"), "{text}");
        assert!(text.contains("1 answer is not graded yet"), "{text}");
        assert!(text.contains("- q1: Why?"), "{text}");
    }

    #[test]
    fn questions_left_without_an_answer_say_how_and_why() {
        use crate::report::tests::attempt;
        use crate::store::{Session, SessionKind, Status};
        let mut skipped = attempt(1, "rag", None);
        skipped.status = Status::Skipped;
        skipped.error = Some("skipped with :skip".into());
        let mut abandoned = attempt(2, "rag", None);
        abandoned.status = Status::Skipped;
        abandoned.extra = Some(crate::store::Extra {
            ended: Some("abandoned".into()),
            ..Default::default()
        });
        abandoned.error = Some("abandoned with Ctrl-C".into());
        let mut late = attempt(3, "rag", Some((5.0, crate::store::GradedBy::SelfCheck)));
        late.cut_off = true;
        late.extra = Some(crate::store::Extra {
            over_seconds: Some(42.0),
            ..Default::default()
        });
        let session = Session {
            id: 1,
            kind: SessionKind::Interview,
            started_at: "2026-03-01T09:00:00Z".into(),
        };
        let r = crate::report::build(&session, &[skipped, abandoned, late]);
        assert_eq!(r.rows[1].outcome.word(), "abandoned");
        let text = anstream::adapter::strip_str(&render(&r, 100)).to_string();
        assert!(
            text.contains("—   1m 05s           skipped with :skip"),
            "{text}"
        );
        assert!(text.contains("abandoned with Ctrl-C"), "{text}");
        assert!(
            text.contains("yes      ended 42s past the limit, in the editor; missed: kp"),
            "{text}"
        );
        assert!(text.contains("over 1 graded answer."), "{text}");
    }
}
