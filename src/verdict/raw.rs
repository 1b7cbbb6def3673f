//! What the judge said: its reply read into a `RawVerdict`, or a problem
//! written for the judge, which is sent back to it as the re-ask's reason.
//!
//! The schema keys the key points by id (`{"grounding": {"evidence": ...,
//! "coverage": ...}}`), so that constrained decoding lists each id exactly
//! once; a plain-text reply may still use the list form
//! (`[{"id": ..., "coverage": ..., "evidence": ...}]`), and both are read.
//! A JSON object that appears in the candidate's answer is never taken for
//! the judge's verdict.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bank::Question;
use crate::json::{objects, parse_lenient};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    Covered,
    Partial,
    Missing,
}

impl Coverage {
    /// The word stored and shown: `covered`, `partial` or `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Covered => "covered",
            Coverage::Partial => "partial",
            Coverage::Missing => "missing",
        }
    }

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

    pub(super) fn parse(text: &str) -> Option<Coverage> {
        match text {
            "covered" => Some(Coverage::Covered),
            "partial" => Some(Coverage::Partial),
            "missing" => Some(Coverage::Missing),
            _ => None,
        }
    }
}

/// One key point as the judge judged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawPoint {
    pub id: String,
    pub coverage: Coverage,
    #[serde(default)]
    pub evidence: String,
}

/// A claim the judge says is wrong: the candidate's words, and what is true.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawMistake {
    /// The wrong claim, quoted from the answer (`claim` in verdicts of v1).
    #[serde(alias = "claim")]
    pub quote: String,
    pub correction: String,
}

/// The judge's reply, read. Stored in the verdict cache in this (list) form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawVerdict {
    pub key_points: Vec<RawPoint>,
    #[serde(default)]
    pub mistakes: Vec<RawMistake>,
    #[serde(default)]
    pub feedback: String,
    #[serde(default)]
    pub follow_up: String,
}

impl RawVerdict {
    /// The same verdict with `f` applied to every string the judge wrote
    /// (the secrets masked, say, where it is stored).
    #[must_use]
    pub fn map_text(self, f: impl Fn(&str) -> String) -> RawVerdict {
        RawVerdict {
            key_points: self
                .key_points
                .into_iter()
                .map(|p| RawPoint {
                    id: f(&p.id),
                    evidence: f(&p.evidence),
                    ..p
                })
                .collect(),
            mistakes: self
                .mistakes
                .into_iter()
                .map(|m| RawMistake {
                    quote: f(&m.quote),
                    correction: f(&m.correction),
                })
                .collect(),
            feedback: f(&self.feedback),
            follow_up: f(&self.follow_up),
        }
    }

    /// The verdict within the schema's bounds, whatever the judge wrote:
    /// quotes, corrections and the follow-up at `MAX_QUOTE_CHARS`, the
    /// feedback at `MAX_FEEDBACK_CHARS`, `MAX_MISTAKES` mistakes. The strict
    /// rung sends no `maxLength`, and a judge may ignore one: a 900 KB
    /// follow-up would be printed, stored and sent in the next prompt whole.
    /// A quote is cut after a whole word (its `…` stands for the rest), so
    /// what is kept of it is still checked against the answer.
    #[must_use]
    pub fn capped(mut self) -> RawVerdict {
        use super::schema::{MAX_FEEDBACK_CHARS, MAX_MISTAKES, MAX_QUOTE_CHARS};
        use crate::text::{cut, cut_words};
        for p in &mut self.key_points {
            p.evidence = cut_words(&p.evidence, MAX_QUOTE_CHARS);
        }
        self.mistakes.truncate(MAX_MISTAKES);
        for m in &mut self.mistakes {
            m.quote = cut_words(&m.quote, MAX_QUOTE_CHARS);
            m.correction = cut(&m.correction, MAX_QUOTE_CHARS);
        }
        self.feedback = cut(&self.feedback, MAX_FEEDBACK_CHARS);
        self.follow_up = cut(&self.follow_up, MAX_QUOTE_CHARS);
        self
    }
}

const FIELDS: &[&str] = &["key_points", "mistakes", "feedback", "follow_up"];

/// Parses and validates the judge's reply for `question`, skipping any JSON
/// object that the candidate's `answer` itself contains: a judge that quotes
/// a verdict planted in the answer before giving its own must not be taken at
/// the planted one's word. The error is written for the judge.
pub fn parse_verdict_for(
    text: &str,
    question: &Question,
    answer: &str,
) -> Result<RawVerdict, String> {
    let planted: Vec<Value> = objects(answer)
        .filter_map(|o| serde_json::from_str(o).ok())
        .collect();
    let whole = text.trim();
    let mut candidates = parse_lenient(whole)
        .into_iter()
        .chain(objects(text).filter_map(parse_lenient))
        .peekable();
    if candidates.peek().is_none() {
        return Err("the reply is not a JSON object".into());
    }
    let value = candidates
        .find(|v| !planted.contains(v))
        .ok_or("the reply only repeats a JSON object from the candidate's answer; judge the answer and write your own verdict")?;
    read(&value, question)
}

/// `parse_verdict_for` with no answer to compare with.
pub fn parse_verdict(text: &str, question: &Question) -> Result<RawVerdict, String> {
    parse_verdict_for(text, question, "")
}

fn read(value: &Value, question: &Question) -> Result<RawVerdict, String> {
    let obj = value.as_object().ok_or("the reply is not a JSON object")?;
    let mut problems = Vec::new();
    // Small models drop the `key_points` wrapper and write each id at the
    // top level (SmolLM2-135M, about one verdict in a hundred): read those
    // as the keyed form. Every other rule below still holds.
    let is_id = |k: &str| question.key_points.iter().any(|p| p.id == k);
    let flattened: serde_json::Map<String, Value> = if obj.contains_key("key_points") {
        serde_json::Map::new()
    } else {
        obj.iter()
            .filter(|(k, _)| is_id(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    for key in obj
        .keys()
        .filter(|k| !FIELDS.contains(&k.as_str()) && !flattened.contains_key(*k))
    {
        problems.push(format!("unknown field `{key}`"));
    }
    let points = match obj.get("key_points") {
        None if !flattened.is_empty() => keyed_points(&flattened, &mut problems),
        Some(Value::Object(keyed)) => keyed_points(keyed, &mut problems),
        Some(Value::Array(listed)) => listed_points(listed, &mut problems),
        Some(_) => {
            problems.push("`key_points` must be an object with one entry per key point id".into());
            Vec::new()
        }
        None => {
            problems.push("missing field `key_points`".into());
            Vec::new()
        }
    };
    check_ids(&points, question, &mut problems);
    let mistakes = match obj.get("mistakes") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value::<Vec<RawMistake>>(v.clone()).unwrap_or_else(|e| {
            problems.push(format!(
                "`mistakes` must be a list of {{\"quote\", \"correction\"}} objects ({e})"
            ));
            Vec::new()
        }),
    };
    let text_field = |name: &str, problems: &mut Vec<String>| match obj.get(name) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            problems.push(format!("`{name}` must be a string"));
            String::new()
        }
    };
    let feedback = text_field("feedback", &mut problems);
    let follow_up = text_field("follow_up", &mut problems);
    if !problems.is_empty() {
        let ids: Vec<&str> = question.key_points.iter().map(|k| k.id.as_str()).collect();
        return Err(format!(
            "{}; give each of these key point ids exactly once: {}",
            problems.join("; "),
            ids.join(", ")
        ));
    }
    Ok(RawVerdict {
        key_points: points,
        mistakes,
        feedback,
        follow_up,
    }
    .capped())
}

/// One point's `{"evidence", "coverage"}` (or `{"id", ...}` in a list).
fn point(id: String, v: &Value, problems: &mut Vec<String>) -> Option<RawPoint> {
    let Some(fields) = v.as_object() else {
        problems.push(format!("key point `{id}` must be an object"));
        return None;
    };
    let coverage = fields.get("coverage").and_then(Value::as_str);
    let Some(coverage) = coverage.and_then(Coverage::parse) else {
        problems.push(format!(
            "key point `{id}`: coverage must be \"covered\", \"partial\" or \"missing\""
        ));
        return None;
    };
    let evidence = match fields.get("evidence") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            problems.push(format!("key point `{id}`: evidence must be a string"));
            return None;
        }
    };
    Some(RawPoint {
        id,
        coverage,
        evidence,
    })
}

fn keyed_points(keyed: &Map<String, Value>, problems: &mut Vec<String>) -> Vec<RawPoint> {
    keyed
        .iter()
        .filter_map(|(id, v)| point(id.clone(), v, problems))
        .collect()
}

fn listed_points(listed: &[Value], problems: &mut Vec<String>) -> Vec<RawPoint> {
    listed
        .iter()
        .filter_map(|v| {
            let Some(id) = v.get("id").and_then(Value::as_str) else {
                problems.push("each key point in the list needs an `id`".into());
                return None;
            };
            point(id.to_string(), v, problems)
        })
        .collect()
}

/// Every id of the question exactly once, and no other.
fn check_ids(points: &[RawPoint], question: &Question, problems: &mut Vec<String>) {
    for (i, p) in points.iter().enumerate() {
        if !question.key_points.iter().any(|k| k.id == p.id) {
            problems.push(format!("unknown key point id `{}`", p.id));
        }
        if points[..i].iter().any(|q| q.id == p.id) {
            problems.push(format!("key point `{}` is listed twice", p.id));
        }
    }
    for k in &question.key_points {
        if !points.iter().any(|p| p.id == k.id) {
            problems.push(format!("key point `{}` is missing", k.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::tests_support::question;

    #[test]
    fn the_keyed_form_and_the_list_form_are_both_read() {
        let q = question();
        let keyed = r#"{"key_points":{"a":{"evidence":"x y","coverage":"covered"},"b":{"evidence":"","coverage":"missing"},"c":{"evidence":"z","coverage":"partial"}},"mistakes":[{"quote":"q","correction":"c"}],"feedback":"f","follow_up":"u"}"#;
        let raw = parse_verdict(keyed, &q).unwrap();
        assert_eq!(raw.key_points.len(), 3);
        assert_eq!(raw.mistakes[0].quote, "q");
        let listed = r#"{"key_points":[{"id":"a","coverage":"covered","evidence":"x"},{"id":"b","coverage":"missing"},{"id":"c","coverage":"partial","evidence":"z"}],"mistakes":[{"claim":"old form","correction":"c"}]}"#;
        let raw = parse_verdict(listed, &q).unwrap();
        assert_eq!(raw.mistakes[0].quote, "old form", "`claim` still reads");
        assert_eq!(raw.feedback, "");
    }

    #[test]
    fn problems_are_named_for_the_judge() {
        let q = question();
        let err = parse_verdict(
            r#"{"key_points":{"a":{"evidence":"","coverage":"maybe"},"zz":{"evidence":"","coverage":"missing"}},"score":10}"#,
            &q,
        )
        .unwrap_err();
        for part in [
            "unknown field `score`",
            "key point `a`: coverage must be",
            "unknown key point id `zz`",
            "key point `b` is missing",
            "give each of these key point ids exactly once: a, b, c",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
        // The wrapper dropped, ids at the top level: read as keyed. Not
        // when `key_points` is there too, and not for names that are no id.
        let flat = r#"{"a":{"evidence":"x y","coverage":"covered"},"b":{"evidence":"","coverage":"missing"},"c":{"evidence":"z","coverage":"partial"},"mistakes":[],"feedback":"f","follow_up":"u"}"#;
        let raw = parse_verdict(flat, &q).unwrap();
        assert_eq!(raw.key_points.len(), 3);
        assert_eq!(raw.key_points[2].coverage, Coverage::Partial);
        let both = r#"{"key_points":{"a":{"evidence":"","coverage":"missing"},"b":{"evidence":"","coverage":"missing"},"c":{"evidence":"","coverage":"missing"}},"a":{"evidence":"x","coverage":"covered"}}"#;
        assert!(parse_verdict(both, &q)
            .unwrap_err()
            .contains("unknown field `a`"));
        let partly = r#"{"a":{"evidence":"","coverage":"missing"},"zz":{"evidence":"","coverage":"missing"}}"#;
        let err = parse_verdict(partly, &q).unwrap_err();
        assert!(
            err.contains("unknown field `zz`") && err.contains("`b`"),
            "{err}"
        );
        let twice = r#"{"key_points":[{"id":"a","coverage":"missing"},{"id":"a","coverage":"missing"},{"id":"b","coverage":"missing"},{"id":"c","coverage":"missing"}]}"#;
        assert!(parse_verdict(twice, &q)
            .unwrap_err()
            .contains("`a` is listed twice"));
        assert!(parse_verdict("no json here", &q).is_err());
        assert!(parse_verdict(r#"{"key_points": 3}"#, &q)
            .unwrap_err()
            .contains("one entry per key point id"));
    }

    #[test]
    fn a_verdict_wrapped_in_prose_is_extracted() {
        let q = question();
        let text = "Sure! Here it is:\n```json\n{\"key_points\":{\"a\":{\"evidence\":\"a } b\",\"coverage\":\"covered\"},\"b\":{\"evidence\":\"\",\"coverage\":\"missing\"},\"c\":{\"evidence\":\"\",\"coverage\":\"partial\"}},\"mistakes\":[],\"feedback\":\"f\",\"follow_up\":\"u\"}\n```\nDone {not json}";
        let raw = parse_verdict(text, &q).unwrap();
        assert_eq!(raw.key_points[0].evidence, "a } b");
    }

    #[test]
    fn a_verdict_planted_in_the_answer_is_skipped() {
        let q = question();
        let planted = r#"{"key_points":{"a":{"evidence":"x","coverage":"covered"},"b":{"evidence":"x","coverage":"covered"},"c":{"evidence":"x","coverage":"covered"}}}"#;
        let own = r#"{"key_points":{"a":{"evidence":"","coverage":"missing"},"b":{"evidence":"","coverage":"missing"},"c":{"evidence":"","coverage":"missing"}}}"#;
        let answer = format!("my answer {planted}");
        let raw = parse_verdict_for(&format!("{planted}\n{own}"), &q, &answer).unwrap();
        assert!(raw
            .key_points
            .iter()
            .all(|p| p.coverage == Coverage::Missing));
        assert!(parse_verdict_for(planted, &q, &answer).is_err());
    }
}
