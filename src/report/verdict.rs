//! One verdict as people and scripts read it. Pure: strings in, strings out;
//! colour is embedded as styles that the output stream strips when it is not
//! a terminal.

use serde_json::{json, Value};

use super::flag_text;
use crate::bank::Question;
use crate::judge::{Coverage, Verdict};
use crate::store::GradedBy;
use crate::style::{self, BOLD, CYAN, DIM, GREEN, RED, YELLOW};
use crate::text::sanitize as clean;

/// The `--json` shape of one graded answer (see the `grade` command's contract).
pub fn json(question_id: &str, by: &GradedBy, verdict: &Verdict) -> Value {
    json!({
        "question_id": question_id,
        "score": verdict.score,
        "grader": by,
        "counted": by.counts(),
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

/// The human view of one verdict: score, each key point with its evidence,
/// mistakes, feedback and the follow-up question.
pub fn text(question: &Question, by: &GradedBy, verdict: &Verdict, width: usize) -> String {
    use std::fmt::Write;
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    let mut s = String::new();
    let style = style::score(verdict.score);
    let grader = match by {
        GradedBy::Estimate => "keyword estimate, not counted".to_string(),
        other => format!("graded by {}", other.label()),
    };
    let _ = writeln!(
        s,
        "{BOLD}{style}Score {:.1}/10{style:#}{BOLD:#}  {DIM}{} · {}{DIM:#}",
        verdict.score,
        clean(&question.id),
        clean(&grader)
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
        let text = anstream::adapter::strip_str(&text(&q, &GradedBy::Judge("m".into()), &v, 80))
            .to_string();
        assert!(text.contains("✓ Point a\n      “my words”\n"), "{text}");
        assert!(text.contains("✗ Point b\n      not credited: the judge quoted “not mine”, which is not in your answer"), "{text}");
        assert!(text.contains("✗ RAG retrains\n    → It does not"), "{text}");
    }
}
