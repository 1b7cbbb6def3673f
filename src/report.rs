//! Turning verdicts and attempts into what people and scripts read. Pure:
//! strings in, strings out; colour is embedded as ANSI styles that the output
//! stream strips when it is not a terminal.

use serde_json::{json, Value};

use crate::bank::Question;
use crate::judge::{Coverage, Verdict};
use crate::store::Attempt;
use crate::ui::render::{clean, wrap, BOLD, CYAN, DIM, GREEN, RED, YELLOW};

/// The `--json` shape of one graded answer (see the `grade` command's contract).
pub fn verdict_json(question_id: &str, grader: &str, verdict: &Verdict) -> Value {
    json!({
        "question_id": question_id,
        "score": verdict.score,
        "grader": grader,
        "key_points": verdict.key_points.iter().map(|p| json!({
            "id": p.id,
            "coverage": p.coverage,
            "evidence": p.evidence,
            "verified": p.verified,
        })).collect::<Vec<_>>(),
        "mistakes": verdict.mistakes,
        "feedback": verdict.feedback,
        "follow_up": verdict.follow_up,
        "flags": verdict.flags,
    })
}

/// What a flag means, in a sentence for the person who wrote the answer.
pub fn flag_text(flag: &str) -> Option<&'static str> {
    match flag {
        crate::judge::FLAG_PASTED_KEY_POINTS => {
            Some("This answer repeats the key points' wording without explaining them.")
        }
        _ => None,
    }
}

/// A colour for a score out of 10.
pub fn score_style(score: f64) -> anstyle::Style {
    if score >= 8.0 {
        GREEN
    } else if score >= 5.0 {
        YELLOW
    } else {
        RED
    }
}

/// The human view of one verdict: score, each key point with its evidence,
/// mistakes, feedback and the follow-up question.
pub fn verdict_text(question: &Question, grader: &str, verdict: &Verdict) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let style = score_style(verdict.score);
    let _ = writeln!(
        s,
        "{BOLD}{style}Score {:.1}/10{style:#}{BOLD:#}  {DIM}{} · graded by {}{DIM:#}",
        verdict.score,
        question.id,
        clean(grader)
    );
    for text in verdict.flags.iter().filter_map(|f| flag_text(f)) {
        let _ = writeln!(s, "{YELLOW}{text}{YELLOW:#}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "{BOLD}Key points{BOLD:#}");
    for p in &verdict.key_points {
        let point = question
            .key_points
            .iter()
            .find(|k| k.id == p.id)
            .map_or(p.id.as_str(), |k| k.point.as_str());
        let mark_style = match p.coverage {
            Coverage::Covered => GREEN,
            Coverage::Partial => YELLOW,
            Coverage::Missing => RED,
        };
        let body = wrap(point, "      ");
        let _ = write!(
            s,
            "  {mark_style}{}{mark_style:#} {}",
            p.coverage.mark(),
            body.trim_start()
        );
        if !p.verified {
            let _ = write!(
                s,
                "{}",
                wrap(
                    &format!(
                        "not credited: the judge quoted “{}”, which is not in your answer",
                        clean(&p.evidence)
                    ),
                    "      "
                )
                .replace(
                    "      not credited",
                    &format!("      {RED}not credited{RED:#}")
                )
            );
        } else if p.coverage != Coverage::Missing && !p.evidence.trim().is_empty() {
            let _ = write!(
                s,
                "{DIM}{}{DIM:#}",
                wrap(&format!("“{}”", p.evidence.trim()), "      ")
            );
        }
    }
    if !verdict.mistakes.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "{BOLD}Mistakes{BOLD:#} {DIM}(−1 each){DIM:#}");
        for m in &verdict.mistakes {
            let _ = write!(s, "  {RED}✗{RED:#} {}", wrap(&m.claim, "    ").trim_start());
            let _ = write!(s, "    → {}", wrap(&m.correction, "      ").trim_start());
        }
    }
    if !verdict.feedback.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "{BOLD}Feedback{BOLD:#}");
        let _ = write!(s, "{}", wrap(&verdict.feedback, "  "));
    }
    if !verdict.follow_up.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "{BOLD}{CYAN}Follow-up to think about{CYAN:#}{BOLD:#}");
        let _ = write!(s, "{}", wrap(&verdict.follow_up, "  "));
    }
    s
}

/// The verdict stored with an attempt, if it has one.
pub fn stored_verdict(attempt: &Attempt) -> Option<Verdict> {
    attempt
        .verdict
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())
}

/// `grill report --format json` for one session.
pub fn session_json(session_id: i64, mode: &str, started_at: &str, attempts: &[Attempt]) -> Value {
    json!({
        "session_id": session_id,
        "mode": mode,
        "started_at": started_at,
        "attempts": attempts.iter().map(|a| json!({
            "question_id": a.question_id,
            "score": a.score,
            "grader": a.grader,
            "status": a.status,
            "answer": a.answer,
            "seconds": a.seconds,
            "cut_off": a.cut_off,
            "verdict": a.verdict,
        })).collect::<Vec<_>>(),
    })
}

/// Ids of the key points an attempt missed.
fn missed(verdict: &Verdict) -> Vec<String> {
    verdict
        .key_points
        .iter()
        .filter(|p| p.coverage == Coverage::Missing)
        .map(|p| p.id.clone())
        .collect()
}

fn duration_text(seconds: Option<f64>) -> String {
    seconds.map_or_else(
        || "-".into(),
        |s| crate::session::clock(std::time::Duration::from_secs_f64(s.max(0.0))),
    )
}

/// The weakest topic of a set of graded attempts: lowest average score.
pub fn weakest_topic(attempts: &[Attempt]) -> Option<(String, f64)> {
    let mut sums: Vec<(String, f64, usize)> = Vec::new();
    for a in attempts.iter().filter(|a| a.status == "graded") {
        let score = a.score.unwrap_or(0.0);
        match sums.iter_mut().find(|(t, _, _)| *t == a.topic) {
            Some(entry) => {
                entry.1 += score;
                entry.2 += 1;
            }
            None => sums.push((a.topic.clone(), score, 1)),
        }
    }
    sums.into_iter()
        .map(|(t, sum, n)| (t, sum / n as f64))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The end-of-session report, for a terminal (`markdown = false`) or for notes.
pub fn session_text(
    session_id: i64,
    mode: &str,
    started_at: &str,
    attempts: &[Attempt],
    markdown: bool,
) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let title = match mode {
        "interview" => "Interview report",
        "practice" => "Practice report",
        "review" => "Review report",
        "batch" => "Batch report",
        _ => "Session report",
    };
    let when = started_at
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string();
    if markdown {
        let _ = writeln!(s, "# {title} — session {session_id}, {when}\n");
        let _ = writeln!(
            s,
            "| # | question | score | time | cut off | key points missed |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|");
    } else {
        let _ = writeln!(
            s,
            "{BOLD}{title}{BOLD:#} {DIM}· session {session_id} · {when}{DIM:#}"
        );
        let _ = writeln!(s);
    }
    let wide = attempts
        .iter()
        .map(|a| a.question_id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    if !markdown {
        let _ = writeln!(
            s,
            "{BOLD} #  {:wide$}  score  time   cut off  key points missed{BOLD:#}",
            "question"
        );
    }
    for (i, a) in attempts.iter().enumerate() {
        let verdict = stored_verdict(a);
        let score = match (a.status.as_str(), a.score) {
            ("graded", Some(score)) => format!("{score:.1}"),
            ("skipped", _) => "skipped".into(),
            _ => "ungraded".into(),
        };
        let missed = verdict
            .as_ref()
            .map(|v| missed(v).join(", "))
            .unwrap_or_default();
        let cut = if a.cut_off { "yes" } else { "" };
        if markdown {
            let _ = writeln!(
                s,
                "| {} | {} | {score} | {} | {cut} | {} |",
                i + 1,
                clean(&a.question_id),
                duration_text(a.seconds),
                clean(&missed).replace('|', "\\|")
            );
        } else {
            let style = a
                .score
                .filter(|_| a.status == "graded")
                .map_or(DIM, score_style);
            let _ = writeln!(
                s,
                " {:<2} {CYAN}{:wide$}{CYAN:#}  {style}{score:>5}{style:#}  {:>5}  {cut:7}  {}",
                i + 1,
                a.question_id,
                duration_text(a.seconds),
                clean(&missed)
            );
        }
    }
    let graded: Vec<f64> = attempts
        .iter()
        .filter(|a| a.status == "graded")
        .filter_map(|a| a.score)
        .collect();
    let _ = writeln!(s);
    if graded.is_empty() {
        let _ = writeln!(s, "No graded answers in this session.");
    } else {
        let avg = graded.iter().sum::<f64>() / graded.len() as f64;
        let _ = write!(
            s,
            "Average {avg:.1}/10 over {} graded answer{}",
            graded.len(),
            if graded.len() == 1 { "" } else { "s" }
        );
        let mut topics: Vec<&str> = attempts
            .iter()
            .filter(|a| a.status == "graded")
            .map(|a| a.topic.as_str())
            .collect();
        topics.sort_unstable();
        topics.dedup();
        // With one topic there is nothing to compare.
        if let (Some((topic, score)), true) = (weakest_topic(attempts), topics.len() > 1) {
            let _ = write!(s, " · weakest topic: {topic} ({score:.1})");
        }
        let _ = writeln!(s, ".");
    }
    let ungraded = attempts.iter().filter(|a| a.status == "ungraded").count();
    if ungraded > 0 {
        let _ = writeln!(
            s,
            "{ungraded} answer(s) are not graded yet: `grill regrade` grades them."
        );
    }
    for (i, a) in attempts.iter().enumerate() {
        let flags = stored_verdict(a).map(|v| v.flags).unwrap_or_default();
        for text in flags.iter().filter_map(|f| flag_text(f)) {
            let _ = writeln!(s, "Answer {} ({}): {text}", i + 1, clean(&a.question_id));
        }
    }
    let follow_ups: Vec<(String, String)> = attempts
        .iter()
        .filter_map(|a| stored_verdict(a).map(|v| (a.question_id.clone(), v.follow_up)))
        .filter(|(_, f)| !f.trim().is_empty())
        .collect();
    if !follow_ups.is_empty() {
        let _ = writeln!(s);
        if markdown {
            let _ = writeln!(s, "## Follow-ups to think about\n");
            for (id, f) in &follow_ups {
                let _ = writeln!(s, "- **{}**: {}", clean(id), clean(f.trim()));
            }
        } else {
            let _ = writeln!(s, "{BOLD}Follow-ups to think about{BOLD:#}");
            for (id, f) in &follow_ups {
                let _ = write!(s, "{}", wrap(&format!("- {id}: {}", f.trim()), "  "));
            }
        }
    }
    if markdown {
        let feedback: Vec<(String, String)> = attempts
            .iter()
            .filter_map(|a| stored_verdict(a).map(|v| (a.question_id.clone(), v.feedback)))
            .filter(|(_, f)| !f.trim().is_empty())
            .collect();
        if !feedback.is_empty() {
            let _ = writeln!(s, "\n## Feedback\n");
            for (id, f) in feedback {
                let _ = writeln!(s, "### {}\n\n{}\n", clean(&id), clean(f.trim()));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};
    use crate::judge::{Mistake, PointVerdict};

    #[test]
    fn the_verdict_text_quotes_evidence_and_says_what_was_not_credited() {
        let kp = |id: &str| KeyPoint {
            id: id.into(),
            point: format!("Point {id}"),
            weight: 1,
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
            key_points: vec![kp("a"), kp("b")],
        };
        let pv = |id: &str, coverage, verified, evidence: &str| PointVerdict {
            id: id.into(),
            coverage,
            claimed: Coverage::Covered,
            evidence: evidence.into(),
            verified,
            weight: 1,
        };
        let v = Verdict {
            score: 4.0,
            key_points: vec![
                pv("a", Coverage::Covered, true, "my words"),
                pv("b", Coverage::Missing, false, "not mine"),
            ],
            mistakes: vec![Mistake {
                claim: "RAG retrains".into(),
                correction: "It does not".into(),
            }],
            feedback: "Fine.".into(),
            follow_up: "Why?".into(),
            flags: vec![],
        };
        let text = anstream::adapter::strip_str(&verdict_text(&q, "llm:m", &v)).to_string();
        assert!(text.contains("✓ Point a\n      “my words”\n"), "{text}");
        assert!(text.contains("✗ Point b\n      not credited: the judge quoted “not mine”, which is not in your answer"), "{text}");
        assert!(text.contains("✗ RAG retrains\n    → It does not"), "{text}");
    }
}
