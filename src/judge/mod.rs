//! The verdict: what the judge said, checked against the answer, turned into
//! a score by the program rather than by the model.
//!
//! Everything here is pure. The HTTP call lives in `openai`; the loop that
//! asks, validates and retries once lives in `ask`.

pub mod ask;
pub mod guard;
mod http;
pub mod openai;

use serde::{Deserialize, Serialize};

use crate::bank::Question;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    Covered,
    Partial,
    Missing,
}

impl Coverage {
    pub fn credit(self) -> f64 {
        match self {
            Coverage::Covered => 1.0,
            Coverage::Partial => 0.5,
            Coverage::Missing => 0.0,
        }
    }

    pub fn mark(self) -> &'static str {
        match self {
            Coverage::Covered => "✓",
            Coverage::Partial => "½",
            Coverage::Missing => "✗",
        }
    }
}

/// One key point as the judge judged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPoint {
    pub id: String,
    pub coverage: Coverage,
    #[serde(default)]
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mistake {
    pub claim: String,
    pub correction: String,
}

/// The judge's reply, as the protocol in DESIGN.md defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVerdict {
    pub key_points: Vec<RawPoint>,
    #[serde(default)]
    pub mistakes: Vec<Mistake>,
    #[serde(default)]
    pub feedback: String,
    #[serde(default)]
    pub follow_up: String,
}

/// A key point after the evidence check: `coverage` is what counts, `claimed`
/// is what the judge said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointVerdict {
    pub id: String,
    pub coverage: Coverage,
    pub claimed: Coverage,
    pub evidence: String,
    /// False when the judge credited words that are not in the answer.
    pub verified: bool,
    pub weight: u8,
}

/// The verdict as stored and shown: checked, scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub score: f64,
    pub key_points: Vec<PointVerdict>,
    pub mistakes: Vec<Mistake>,
    pub feedback: String,
    pub follow_up: String,
    /// Things the program noticed about the answer itself, whatever the judge
    /// said: `pasted_key_points` (see `guard`). A report, never a penalty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// The flag set when an answer is the key points' wording with little else.
pub const FLAG_PASTED_KEY_POINTS: &str = "pasted_key_points";

impl Verdict {
    /// Points the judge credited that the evidence check took back.
    pub fn downgraded(&self) -> impl Iterator<Item = &PointVerdict> {
        self.key_points.iter().filter(|p| !p.verified)
    }
}

pub use crate::json::first_object as extract_json_object;
use crate::json::objects as json_objects;

/// Parses and validates the judge's reply for `question`. The error text is
/// written for the judge: it is appended to the retry request as it is.
pub fn parse_verdict(text: &str, question: &Question) -> Result<RawVerdict, String> {
    parse_verdict_for(text, question, "")
}

/// `parse_verdict`, skipping any JSON object that the candidate's `answer`
/// itself contains: a judge that quotes a verdict planted in the answer
/// before giving its own must not be taken at the planted one's word.
pub fn parse_verdict_for(
    text: &str,
    question: &Question,
    answer: &str,
) -> Result<RawVerdict, String> {
    let planted: Vec<serde_json::Value> = json_objects(answer)
        .filter_map(|o| serde_json::from_str(o).ok())
        .collect();
    let whole = text.trim();
    let mut candidates = serde_json::from_str::<serde_json::Value>(whole)
        .is_ok()
        .then_some(whole)
        .into_iter()
        .chain(json_objects(text))
        .peekable();
    if candidates.peek().is_none() {
        return Err("the reply is not a JSON object".into());
    }
    let json = candidates
        .find(|c| {
            serde_json::from_str::<serde_json::Value>(c).map_or(true, |v| !planted.contains(&v))
        })
        .ok_or("the reply only repeats a JSON object from the candidate's answer; judge the answer and write your own verdict")?;
    let raw: RawVerdict = serde_json::from_str(json)
        .map_err(|e| format!("the JSON does not match the schema: {e}"))?;
    let mut problems = Vec::new();
    for (i, p) in raw.key_points.iter().enumerate() {
        if !question.key_points.iter().any(|k| k.id == p.id) {
            problems.push(format!("unknown key point id `{}`", p.id));
        }
        if raw.key_points[..i].iter().any(|q| q.id == p.id) {
            problems.push(format!("key point `{}` is listed twice", p.id));
        }
    }
    for k in &question.key_points {
        if !raw.key_points.iter().any(|p| p.id == k.id) {
            problems.push(format!("key point `{}` is missing", k.id));
        }
    }
    if problems.is_empty() {
        Ok(raw)
    } else {
        let ids: Vec<&str> = question.key_points.iter().map(|k| k.id.as_str()).collect();
        Err(format!(
            "{}; list each of these ids exactly once: {}",
            problems.join("; "),
            ids.join(", ")
        ))
    }
}

pub use crate::text::normalize;

/// Does the quoted `evidence` occur in `answer`? Case, white space and
/// punctuation are ignored; an ellipsis in the quote may stand for omitted
/// words, the parts must then appear in order.
pub fn evidence_in(evidence: &str, answer_normalized: &str) -> bool {
    let parts: Vec<String> = evidence
        .split("...")
        .flat_map(|p| p.split('…'))
        .map(normalize)
        .filter(|p| !p.trim().is_empty())
        .collect();
    if parts.is_empty() {
        return false;
    }
    let mut from = 0;
    for part in &parts {
        match answer_normalized[from..].find(part.as_str()) {
            // Keep the trailing space so the next part starts on a word boundary.
            Some(at) => from += at + part.len() - 1,
            None => return false,
        }
    }
    true
}

/// The score formula of DESIGN.md: weights times credit, out of 10, one
/// decimal, minus one per mistake, never below zero.
pub fn score(points: &[PointVerdict], mistakes: usize) -> f64 {
    let total: f64 = points.iter().map(|p| f64::from(p.weight)).sum();
    if total == 0.0 {
        return 0.0;
    }
    let earned: f64 = points
        .iter()
        .map(|p| f64::from(p.weight) * p.coverage.credit())
        .sum();
    let raw = (100.0 * earned / total).round() / 10.0;
    (raw - mistakes as f64).max(0.0)
}

/// Checks each credited point's evidence against the answer and scores the result.
pub fn finalize(raw: RawVerdict, question: &Question, answer: &str) -> Verdict {
    let answer_normalized = normalize(answer);
    let key_points: Vec<PointVerdict> = question
        .key_points
        .iter()
        .map(|k| {
            let judged = raw.key_points.iter().find(|p| p.id == k.id);
            let (claimed, evidence) = judged.map_or((Coverage::Missing, String::new()), |p| {
                (p.coverage, plain(&p.evidence))
            });
            let verified =
                claimed == Coverage::Missing || evidence_in(&evidence, &answer_normalized);
            PointVerdict {
                id: k.id.clone(),
                coverage: if verified { claimed } else { Coverage::Missing },
                claimed,
                evidence,
                verified,
                weight: k.weight,
            }
        })
        .collect();
    Verdict {
        score: score(&key_points, raw.mistakes.len()),
        key_points,
        mistakes: raw
            .mistakes
            .into_iter()
            .map(|m| Mistake {
                claim: plain(&m.claim),
                correction: plain(&m.correction),
            })
            .collect(),
        feedback: plain(raw.feedback.trim()),
        follow_up: plain(raw.follow_up.trim()),
        flags: answer_flags(question, answer),
    }
}

/// Text as stored and shown: control characters replaced (see `text::sanitize`).
pub fn plain(text: &str) -> String {
    crate::text::sanitize(text)
}

/// The flags the answer earns on its own text (see `guard`).
pub fn answer_flags(question: &Question, answer: &str) -> Vec<String> {
    if guard::pasted_key_points(question, answer) {
        vec![FLAG_PASTED_KEY_POINTS.to_string()]
    } else {
        Vec::new()
    }
}

/// The JSON schema sent as `response_format`, with the key point ids as an enum.
pub fn verdict_schema(question: &Question) -> serde_json::Value {
    let ids: Vec<&str> = question.key_points.iter().map(|k| k.id.as_str()).collect();
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["key_points", "mistakes", "feedback", "follow_up"],
        "properties": {
            "key_points": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["id", "coverage", "evidence"],
                    "properties": {
                        "id": {"type": "string", "enum": ids},
                        "coverage": {"type": "string", "enum": ["covered", "partial", "missing"]},
                        "evidence": {"type": "string"}
                    }
                }
            },
            "mistakes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["claim", "correction"],
                    "properties": {
                        "claim": {"type": "string"},
                        "correction": {"type": "string"}
                    }
                }
            },
            "feedback": {"type": "string"},
            "follow_up": {"type": "string"}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};

    fn question() -> Question {
        let kp = |id: &str, weight| KeyPoint {
            id: id.into(),
            point: format!("{id} point"),
            weight,
            cues: vec![],
        };
        Question {
            id: "q".into(),
            topic: "t".into(),
            question: "Why?".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 3,
            model_answer: "Because.".into(),
            sources: vec![],
            reviewed: None,
            key_points: vec![kp("a", 2), kp("b", 1), kp("c", 1)],
        }
    }

    fn raw(points: &[(&str, Coverage, &str)], mistakes: usize) -> RawVerdict {
        RawVerdict {
            key_points: points
                .iter()
                .map(|(id, coverage, evidence)| RawPoint {
                    id: (*id).into(),
                    coverage: *coverage,
                    evidence: (*evidence).into(),
                })
                .collect(),
            mistakes: (0..mistakes)
                .map(|i| Mistake {
                    claim: format!("c{i}"),
                    correction: "x".into(),
                })
                .collect(),
            feedback: " ok ".into(),
            follow_up: "next?".into(),
        }
    }

    const ANSWER: &str =
        "RAG retrieves documents at query-time.\nIt's cheaper than   fine-tuning, mostly!";

    #[test]
    fn all_covered_with_real_quotes_scores_ten() {
        use Coverage::Covered;
        let v = finalize(
            raw(
                &[
                    ("a", Covered, "retrieves documents"),
                    ("b", Covered, "query time"),
                    ("c", Covered, "it's CHEAPER than fine-tuning"),
                ],
                0,
            ),
            &question(),
            ANSWER,
        );
        assert_eq!(v.score, 10.0);
        assert!(v.key_points.iter().all(|p| p.verified));
        assert_eq!(v.feedback, "ok");
    }

    #[test]
    fn a_quote_the_candidate_never_wrote_is_not_credited() {
        use Coverage::{Covered, Partial};
        let v = finalize(
            raw(
                &[
                    ("a", Covered, "retrieves documents"),
                    ("b", Partial, "query time"),
                    ("c", Covered, "uses a vector index"),
                ],
                0,
            ),
            &question(),
            ANSWER,
        );
        let c = &v.key_points[2];
        assert_eq!(
            (c.coverage, c.claimed, c.verified),
            (Coverage::Missing, Covered, false)
        );
        // a: 2 of 2, b: 0.5 of 1, c: 0 of 1 -> 2.5 / 4 -> 6.3 (6.25 rounds half away from zero)
        assert_eq!(v.score, 6.3);
        assert_eq!(v.downgraded().count(), 1);
    }

    #[test]
    fn each_mistake_costs_a_point_but_never_below_zero() {
        use Coverage::{Covered, Missing};
        let q = question();
        let v = finalize(
            raw(
                &[
                    ("a", Covered, "RAG"),
                    ("b", Missing, ""),
                    ("c", Missing, ""),
                ],
                1,
            ),
            &q,
            ANSWER,
        );
        assert_eq!(v.score, 4.0);
        let v = finalize(
            raw(
                &[("a", Missing, ""), ("b", Missing, ""), ("c", Missing, "")],
                3,
            ),
            &q,
            ANSWER,
        );
        assert_eq!(v.score, 0.0);
    }

    #[test]
    fn evidence_matches_whole_words_and_ellipses_in_order() {
        let a = normalize(ANSWER);
        assert!(evidence_in("RAG retrieves ... fine-tuning", &a));
        assert!(evidence_in("“cheaper than fine tuning”", &a));
        assert!(
            !evidence_in("fine-tuning ... RAG retrieves", &a),
            "parts out of order"
        );
        assert!(!evidence_in("ag retrieves", &a), "partial word");
        assert!(!evidence_in("", &a));
        assert!(!evidence_in(" ... ", &a));
    }

    #[test]
    fn verdicts_with_unknown_or_missing_ids_are_rejected_with_a_reason() {
        let q = question();
        let text = r#"{"key_points":[{"id":"a","coverage":"covered","evidence":"x"},{"id":"z","coverage":"missing","evidence":""},{"id":"b","coverage":"missing","evidence":""}],"mistakes":[],"feedback":"f","follow_up":"u"}"#;
        let err = parse_verdict(text, &q).unwrap_err();
        assert!(err.contains("unknown key point id `z`"), "{err}");
        assert!(err.contains("key point `c` is missing"), "{err}");
        assert!(err.contains("a, b, c"), "{err}");
        assert!(parse_verdict("not json", &q)
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(parse_verdict(r#"{"key_points": 3}"#, &q)
            .unwrap_err()
            .contains("schema"));
    }

    #[test]
    fn a_verdict_wrapped_in_prose_is_extracted() {
        let q = question();
        let text = "Sure! Here it is:\n```json\n{\"key_points\":[{\"id\":\"a\",\"coverage\":\"covered\",\"evidence\":\"a } b\"},{\"id\":\"b\",\"coverage\":\"missing\",\"evidence\":\"\"},{\"id\":\"c\",\"coverage\":\"partial\",\"evidence\":\"\"}],\"mistakes\":[],\"feedback\":\"f\",\"follow_up\":\"u\"}\n```\nDone {not json}";
        let raw = parse_verdict(text, &q).unwrap();
        assert_eq!(raw.key_points[0].evidence, "a } b");
    }
}
