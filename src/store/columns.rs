//! The typed values of an attempt's columns and how each is written: the
//! store's mapping. Who graded (`GradedBy`, stored as `llm:<model>`, `self`,
//! `cues`, `none`), how the judge's tokens were bought (`Via`), and what an
//! attempt keeps beside its columns (`Extra`, a JSON object). Nothing outside
//! the store reads or writes these spellings.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Stored, not graded yet (or grading failed): `grill regrade` grades it.
    Ungraded,
    Graded,
    /// The question was passed over with `:skip`.
    Skipped,
}

impl Status {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::Ungraded => "ungraded",
            Status::Graded => "graded",
            Status::Skipped => "skipped",
        }
    }

    pub(super) fn parse(text: &str) -> Status {
        match text {
            "graded" => Status::Graded,
            "skipped" => Status::Skipped,
            _ => Status::Ungraded,
        }
    }
}

/// What a judge's grader column starts with, before the model's name.
pub(super) const JUDGE_PREFIX: &str = "llm:";

/// Who graded an attempt. Stored, and shown to scripts, as `llm:<model>`,
/// `self`, `cues`, `none`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GradedBy {
    /// The LLM judge, with its model's name.
    Judge(String),
    /// The candidate, against the model answer.
    SelfCheck,
    /// The keyword estimate: shown, never counted.
    Estimate,
    /// Nothing to grade: an empty answer scores 0 without a judge.
    Empty,
}

impl GradedBy {
    /// The stored spelling, which `--json` and the CSV export show too.
    pub fn label(&self) -> String {
        match self {
            GradedBy::Judge(model) => format!("{JUDGE_PREFIX}{model}"),
            GradedBy::SelfCheck => "self".into(),
            GradedBy::Estimate => "cues".into(),
            GradedBy::Empty => "none".into(),
        }
    }

    pub(super) fn parse(text: &str) -> GradedBy {
        match text {
            "self" => GradedBy::SelfCheck,
            "cues" => GradedBy::Estimate,
            "none" => GradedBy::Empty,
            other => GradedBy::Judge(
                other
                    .strip_prefix(JUDGE_PREFIX)
                    .unwrap_or(other)
                    .to_string(),
            ),
        }
    }

    /// Whether a grade by this counts in averages, trends, streaks and the
    /// review schedule. A keyword estimate does not: it is a guess.
    pub fn counts(&self) -> bool {
        !matches!(self, GradedBy::Estimate)
    }

    /// For people: "estimate" for the keyword guess, the label otherwise.
    pub fn shown(&self) -> String {
        match self {
            GradedBy::Estimate => "estimate".into(),
            other => other.label(),
        }
    }
}

impl Serialize for GradedBy {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

/// How the judge's tokens for a grade were bought: `grill usage` prices a
/// Batch API grade at the batch discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A live request, at the full price.
    Live,
    /// Through the Batch API.
    Batch,
}

impl Via {
    /// The `via` column: empty for a live grade.
    pub(super) fn column(self) -> Option<&'static str> {
        match self {
            Via::Live => None,
            Via::Batch => Some("batch"),
        }
    }
}

/// What an attempt keeps beside its columns, stored as one JSON object and
/// shown as it is by `history --json` (`extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    /// How a question asked without an answer ended, in one word
    /// (`skipped`, `abandoned`, `left`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// Seconds past the time limit, when an answer came back late from `$EDITOR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_seconds: Option<f64>,
    /// Follow-up answers, stored as they were typed, before any grading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_up_answers: Vec<FollowUpAnswer>,
    /// The line of the `grade --batch` file the answer came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The other fields of that line (a candidate's name), copied to its result.
    #[serde(flatten)]
    pub carried: Map<String, Value>,
}

/// A follow-up question and the answer typed to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FollowUpAnswer {
    pub question: String,
    pub answer: String,
    /// Asked before a self-grade, which grades it after the answer's own
    /// checklist, against these points: the round as it went, ungraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_grade: Option<crate::verdict::FollowUpRound>,
}

/// Field names `Extra` keeps for itself.
const OWN: &[&str] = &["ended", "over_seconds", "follow_up_answers", "line"];

impl Extra {
    /// A `grade --batch` answer from input line `line`, carrying that line's
    /// other fields; those named like one of grill's are left out.
    pub fn from_input(line: usize, fields: &Map<String, Value>) -> Extra {
        Extra {
            line: Some(line),
            carried: fields
                .iter()
                .filter(|(k, _)| !OWN.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            ..Extra::default()
        }
    }

    pub(super) fn to_column(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Reads the column; an object whose own fields have unexpected types
    /// (written before they were typed) keeps everything as carried.
    pub(super) fn parse(text: &str) -> Option<Extra> {
        serde_json::from_str(text).ok().or_else(|| {
            serde_json::from_str::<Map<String, Value>>(text)
                .ok()
                .map(|carried| Extra {
                    carried,
                    ..Extra::default()
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graders_round_trip_through_their_labels() {
        for by in [
            GradedBy::Judge("gpt-4o-mini".into()),
            GradedBy::SelfCheck,
            GradedBy::Estimate,
            GradedBy::Empty,
        ] {
            assert_eq!(GradedBy::parse(&by.label()), by);
        }
        assert_eq!(GradedBy::Judge("m".into()).label(), "llm:m");
        assert_eq!(GradedBy::Estimate.shown(), "estimate");
    }

    #[test]
    fn extra_round_trips_and_keeps_what_it_does_not_know() {
        let fields: Map<String, Value> =
            serde_json::from_str(r#"{"name": "ann", "line": 99, "ended": "x", "n": [1]}"#).unwrap();
        let extra = Extra::from_input(3, &fields);
        let text = extra.to_column();
        assert_eq!(text, r#"{"line":3,"name":"ann","n":[1]}"#);
        assert_eq!(Extra::parse(&text), Some(extra));

        let late = Extra::parse(r#"{"over_seconds": 42}"#).unwrap();
        assert_eq!(late.over_seconds, Some(42.0));
        // A field of the wrong type does not lose the others.
        let odd = Extra::parse(r#"{"ended": 5, "name": "ann"}"#).unwrap();
        assert_eq!((odd.ended, odd.carried.len()), (None, 2));
        assert_eq!(Extra::parse("[1]"), None);
    }
}
