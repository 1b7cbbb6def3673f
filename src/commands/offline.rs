//! Grading without a judge: self-grading in sessions, with the cue matcher's
//! guess pre-filled, and `grade --offline`, the keyword estimate alone.

use std::io::Write;

use crate::bank::Question;
use crate::config::Settings;
use crate::cues::{self, CueMatch};
use crate::error::Result;
use crate::judge::{score, Coverage, PointVerdict, Verdict};
use crate::report;
use crate::store::{NewAttempt, Store};
use crate::ui::input::{Line, LineSource};
use crate::ui::render::{self, BOLD, CYAN, DIM};

/// A verdict from chosen coverages; `grader_note` becomes the feedback.
pub fn verdict_from(question: &Question, chosen: &[Coverage], feedback: String) -> Verdict {
    let key_points: Vec<PointVerdict> = question
        .key_points
        .iter()
        .zip(chosen)
        .map(|(k, &coverage)| PointVerdict {
            id: k.id.clone(),
            coverage,
            claimed: coverage,
            evidence: String::new(),
            verified: true,
            weight: k.weight,
        })
        .collect();
    let missed: Vec<&str> = question
        .key_points
        .iter()
        .zip(chosen)
        .filter(|(_, c)| **c == Coverage::Missing)
        .map(|(k, _)| k.point.as_str())
        .collect();
    Verdict {
        score: score(&key_points, 0),
        key_points,
        mistakes: Vec::new(),
        feedback,
        follow_up: missed
            .first()
            .map_or_else(String::new, |p| format!("Next time, make this point: {p}")),
        flags: Vec::new(),
    }
}

/// Shows the model answer and walks the key points as a checklist. Returns
/// `None` when the person abandons the checklist (Ctrl-C).
pub fn self_grade(
    src: &mut dyn LineSource,
    question: &Question,
    answer: &str,
) -> std::io::Result<Option<Verdict>> {
    let matches = cues::match_all(answer, &question.key_points);
    let mut out = render::stdout();
    writeln!(out)?;
    writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
    write!(out, "{}", render::wrap(&question.model_answer, "  "))?;
    writeln!(out)?;
    writeln!(out, "{BOLD}Grade yourself{BOLD:#} {DIM}y covered · p partial · n missing · Enter accepts the guess{DIM:#}")?;
    drop(out);
    let mut chosen = Vec::with_capacity(matches.len());
    let mut rest_guessed = false;
    for (i, (kp, m)) in question.key_points.iter().zip(&matches).enumerate() {
        let mut out = render::stdout();
        write!(
            out,
            "{CYAN}{}/{}{CYAN:#} {}",
            i + 1,
            matches.len(),
            render::wrap(&kp.point, "      ").trim_start()
        )?;
        writeln!(out, "      {DIM}guess: {}{DIM:#}", cues::describe(m))?;
        drop(out);
        if rest_guessed {
            chosen.push(m.coverage);
            continue;
        }
        let prompt = format!("  [{}] › ", mark_letter(m.coverage));
        loop {
            match src.read_line(&prompt, None) {
                Line::Text(t) => match t.trim().to_lowercase().as_str() {
                    "" => {
                        chosen.push(m.coverage);
                        break;
                    }
                    "y" | "yes" | "c" => {
                        chosen.push(Coverage::Covered);
                        break;
                    }
                    "p" | "partial" | "h" => {
                        chosen.push(Coverage::Partial);
                        break;
                    }
                    "n" | "no" | "m" => {
                        chosen.push(Coverage::Missing);
                        break;
                    }
                    other => eprintln!(
                        "`{}`: type y, p or n (or Enter for the guess)",
                        render::clean(other)
                    ),
                },
                // End of input: the guesses stand for the remaining points.
                Line::Eof | Line::TimedOut { .. } => {
                    chosen.push(m.coverage);
                    rest_guessed = true;
                    break;
                }
                Line::Interrupted | Line::Invalid => return Ok(None),
            }
        }
    }
    Ok(Some(verdict_from(
        question,
        &chosen,
        "Self-graded against the model answer.".into(),
    )))
}

fn mark_letter(c: Coverage) -> char {
    match c {
        Coverage::Covered => 'y',
        Coverage::Partial => 'p',
        Coverage::Missing => 'n',
    }
}

/// The cue matcher's guesses as a verdict (grader `cues`).
pub fn estimate(question: &Question, answer: &str) -> (Verdict, Vec<CueMatch>) {
    let matches = cues::match_all(answer, &question.key_points);
    let chosen: Vec<Coverage> = matches.iter().map(|m| m.coverage).collect();
    let mut verdict = verdict_from(
        question,
        &chosen,
        "Keyword estimate: the cues of each key point were looked for in the answer. No judge read it.".into(),
    );
    for (p, m) in verdict.key_points.iter_mut().zip(&matches) {
        p.evidence = m.matched.join(", ");
    }
    // Cues are the key points' own words: a pasted rubric matches them all.
    verdict.flags = crate::judge::answer_flags(question, answer);
    (verdict, matches)
}

/// `grill grade --offline`: the keyword estimate, stored like any attempt.
pub fn grade_estimate(
    settings: &Settings,
    question: &Question,
    answer: &str,
    json: bool,
) -> Result<()> {
    let store = Store::open(&settings.db_path.value)?;
    let id = store.insert_attempt(&NewAttempt {
        question_id: &question.id,
        topic: &question.topic,
        answer,
        ..NewAttempt::default()
    })?;
    let (verdict, _) = if answer.trim().is_empty() {
        (
            crate::judge::grade::empty_answer_verdict(question),
            Vec::new(),
        )
    } else {
        estimate(question, answer)
    };
    let value = serde_json::to_value(&verdict).unwrap_or_default();
    store.record_verdict(id, "cues", &value, verdict.score)?;
    crate::schedule::record(&store, &question.id, verdict.score, crate::store::now_utc())?;
    let mut out = render::stdout();
    if json {
        let mut v = report::verdict_json(&question.id, "cues", &verdict);
        v["attempt_id"] = id.into();
        writeln!(out, "{}", render::json_text(&v, true))?;
    } else {
        writeln!(
            out,
            "{DIM}Keyword estimate only: no judge read this answer.{DIM:#}"
        )?;
        write!(
            out,
            "{}",
            report::verdict_text(question, "cues (keyword estimate)", &verdict)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};

    #[test]
    fn self_grades_use_the_same_formula_and_suggest_the_first_miss() {
        let kp = |id: &str, w| KeyPoint {
            id: id.into(),
            point: format!("say {id}"),
            weight: w,
            cues: vec![],
        };
        let q = Question {
            id: "q".into(),
            topic: "t".into(),
            question: "?".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 2,
            model_answer: "m".into(),
            sources: vec![],
            reviewed: None,
            key_points: vec![kp("a", 2), kp("b", 1), kp("c", 1)],
        };
        let v = verdict_from(
            &q,
            &[Coverage::Covered, Coverage::Partial, Coverage::Missing],
            String::new(),
        );
        assert_eq!(v.score, 6.3);
        assert_eq!(v.follow_up, "Next time, make this point: say c");
    }
}
