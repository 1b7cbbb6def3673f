//! `grill show ID`: one question with its model answer and key points;
//! `grill show --attempt N`: one past answer with its full verdict.

use std::io::Write;

use crate::cli::ShowArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::report;
use crate::report::json::Graded;
use crate::store::Status;
use crate::style::{BOLD, CYAN, DIM, YELLOW};
use crate::text::sanitize;
use crate::ui::render;

pub fn run(ctx: &Context, args: &ShowArgs) -> Result<()> {
    let json = args.json;
    let id = match (args.attempt, args.id.as_deref()) {
        (Some(n), _) => return attempt(ctx, n, json),
        (None, Some(id)) => id,
        (None, None) => {
            return Err(Error::input("give a question id, or --attempt N")
                .with_hint("`grill list` shows the question ids"))
        }
    };
    let bank = ctx.bank()?;
    let q = bank.require(id)?;
    if json {
        return Ok(render::json(q)?);
    }
    let title = bank.topic(&q.topic).map_or("", |t| t.title.as_str());
    let mut out = render::stdout();
    let tail = format!(
        "· {title} · {} · about {} min{}",
        q.difficulty,
        q.minutes,
        if q.wants_example {
            " · wants an example from your own work"
        } else {
            ""
        }
    );
    let parts = [(q.id.as_str(), CYAN), (tail.as_str(), DIM)];
    write!(out, "{}", render::spans(&parts, "", "  "))?;
    writeln!(out)?;
    write!(out, "{BOLD}{}{BOLD:#}", render::wrap(&q.question, "  "))?;
    writeln!(out)?;
    writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
    write!(out, "{}", render::wrap(&q.model_answer, "  "))?;
    writeln!(out)?;
    writeln!(
        out,
        "{BOLD}Key points{BOLD:#} {DIM}(weight; total {}){DIM:#}",
        q.total_weight()
    )?;
    for kp in &q.key_points {
        let text = render::wrap(&kp.point, "        ");
        writeln!(out, "  [{}] {CYAN}{}{CYAN:#}", kp.weight, kp.id)?;
        write!(out, "{text}")?;
        if !kp.cues.is_empty() {
            for line in cue_lines(&kp.cues, render::width()) {
                writeln!(out, "{DIM}{line}{DIM:#}")?;
            }
        }
    }
    if !q.sources.is_empty() || q.reviewed.is_some() {
        writeln!(out)?;
        let reviewed = q
            .reviewed
            .as_deref()
            .map(|r| format!(" {DIM}(facts checked {}){DIM:#}", sanitize(r)))
            .unwrap_or_default();
        writeln!(out, "{BOLD}Sources{BOLD:#}{reviewed}")?;
        for source in &q.sources {
            write!(out, "{}", render::wrap(&format!("- {source}"), "  "))?;
        }
    }
    Ok(())
}

/// `grill show --attempt N`: a past answer, its full verdict and the model answer.
fn attempt(ctx: &Context, n: i64, json: bool) -> Result<()> {
    let store = ctx.store()?;
    let a = store.attempt(n)?.ok_or_else(|| {
        Error::input(format!("no attempt {n}"))
            .with_hint("`grill history` and `grill report` show the attempt numbers")
    })?;
    let row = report::row(&a);
    // An attempt outlives its question's place in the bank: the verdict is
    // shown by key point id then.
    let bank = ctx.bank().ok();
    let q = bank.and_then(|b| b.get(&a.question_id));
    let session = match a.session_id {
        Some(id) => store.session(id)?,
        None => None,
    };
    let graded = a
        .verdict
        .as_ref()
        .zip(a.graded_by.as_ref())
        .filter(|_| a.status == Status::Graded);
    if json {
        return Ok(render::json(&attempt_json(&a, &row, q, session.as_ref()))?);
    }
    let mut out = render::stdout();
    let place = match &session {
        Some(s) => format!("{} session {}", s.kind.as_str(), s.id),
        None => "no session".into(),
    };
    let title = format!("Attempt {}", a.id);
    let id = format!("· {}", a.question_id);
    let tail = format!(
        "· {place} · {}{}",
        a.created_at.replace('T', " ").trim_end_matches('Z'),
        a.seconds
            .map(|s| format!(" · {}", crate::text::duration(s)))
            .unwrap_or_default()
    );
    let parts = [
        (title.as_str(), BOLD),
        (id.as_str(), CYAN),
        (tail.as_str(), DIM),
    ];
    write!(out, "{}", render::spans(&parts, "", "  "))?;
    if let Some(q) = q {
        write!(out, "{BOLD}{}{BOLD:#}", render::wrap(&q.question, "  "))?;
    }
    writeln!(out)?;
    writeln!(out, "{BOLD}Your answer{BOLD:#}")?;
    if a.answer.trim().is_empty() {
        writeln!(out, "  {DIM}(nothing typed){DIM:#}")?;
    } else {
        write!(out, "{}", render::wrap(a.answer.trim(), "  "))?;
    }
    writeln!(out)?;
    match graded {
        Some((v, by)) => {
            let stand_in;
            let question = match q {
                Some(q) => q,
                None => {
                    stand_in = report::debrief::stand_in(&a.question_id, &a.topic);
                    &stand_in
                }
            };
            write!(
                out,
                "{}",
                report::verdict::text(question, by, v, render::width())
            )?;
        }
        None => writeln!(
            out,
            "{YELLOW}No verdict:{YELLOW:#} {}",
            sanitize(&row.outcome.reason().unwrap_or_else(|| "not graded".into()))
        )?,
    }
    if let Some(q) = q {
        writeln!(out)?;
        writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
        write!(out, "{}", render::wrap(&q.model_answer, "  "))?;
    }
    Ok(())
}

/// The `--json` shape of `show --attempt` (docs/json.md): the stored
/// attempt, its verdict with each key point in words, and the question's
/// model answer.
#[derive(serde::Serialize)]
struct AttemptJson<'a> {
    attempt_id: i64,
    session_id: Option<i64>,
    kind: Option<&'static str>,
    question_id: &'a str,
    topic: &'a str,
    question: Option<&'a str>,
    created_at: &'a str,
    graded_at: Option<&'a str>,
    status: Status,
    outcome: &'a str,
    reason: Option<String>,
    answer: &'a str,
    seconds: Option<f64>,
    cut_off: bool,
    score: Option<f64>,
    counted: bool,
    verdict: Option<Graded<'a>>,
    model_answer: Option<&'a str>,
}

fn attempt_json<'a>(
    a: &'a crate::store::Attempt,
    row: &'a report::Row,
    q: Option<&'a crate::bank::Question>,
    session: Option<&crate::store::Session>,
) -> AttemptJson<'a> {
    let verdict = a
        .verdict
        .as_ref()
        .zip(a.graded_by.as_ref())
        .filter(|_| a.status == Status::Graded)
        .map(|(v, by)| {
            let graded = Graded::new(&a.question_id, by, v);
            match q {
                Some(q) => graded.in_words(q),
                None => graded,
            }
        });
    AttemptJson {
        attempt_id: a.id,
        session_id: a.session_id,
        kind: session.map(|s| s.kind.as_str()),
        question_id: &a.question_id,
        topic: &a.topic,
        question: q.map(|q| q.question.as_str()),
        created_at: &a.created_at,
        graded_at: a.graded_at.as_deref(),
        status: a.status,
        outcome: row.outcome.word(),
        reason: row.outcome.reason(),
        answer: &a.answer,
        seconds: a.seconds,
        cut_off: a.cut_off,
        score: a.score,
        counted: a.counted_score().is_some(),
        verdict,
        model_answer: q.map(|q| q.model_answer.as_str()),
    }
}

/// A key point's cues, `cues: a|b · c|d`, in lines of at most `width`
/// columns broken only after a `|` or a `·`: an alternative such as
/// `fake answer` is one phrase and is never split.
fn cue_lines(cues: &[String], width: usize) -> Vec<String> {
    let indent = " ".repeat(8);
    let mut pieces = Vec::new();
    for (i, cue) in cues.iter().enumerate() {
        let alternatives: Vec<&str> = cue.split('|').collect();
        for (j, alt) in alternatives.iter().enumerate() {
            let mut piece = sanitize(alt.trim());
            if j + 1 < alternatives.len() {
                piece.push('|');
            } else if i + 1 < cues.len() {
                piece.push_str(" · ");
            }
            pieces.push(piece);
        }
    }
    let mut lines = vec![format!("{indent}cues: ")];
    for piece in pieces {
        let line = lines.last_mut().expect("one line at least");
        // The line as it would be: its trailing space stays before the piece.
        let fresh = line.trim_end().ends_with("cues:");
        if !fresh && line.chars().count() + piece.trim_end().chars().count() > width {
            lines.push(format!("{indent}{}", piece.trim_start()));
        } else {
            line.push_str(&piece);
        }
    }
    lines.iter().map(|l| l.trim_end().to_string()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn cues_break_between_alternatives_never_inside_one() {
        let cues = [
            "fake answer|made up document".to_string(),
            "embed it|search with".to_string(),
        ];
        let lines = super::cue_lines(&cues, 40);
        assert_eq!(
            lines,
            [
                "        cues: fake answer|",
                "        made up document · embed it|",
                "        search with",
            ]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        // `        cues: abcdefghij · ` is 27 columns with its space: `wxyz`
        // would make 31 of 30.
        let cues = ["abcdefghij".to_string(), "wxyz".to_string()];
        assert_eq!(
            super::cue_lines(&cues, 30),
            ["        cues: abcdefghij ·", "        wxyz"]
        );
    }
}
