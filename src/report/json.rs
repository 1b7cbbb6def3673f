//! What scripts read about grades, as serde structs (the shapes are in
//! `docs/json.md`): one answer's result, graded or not (`grade --json`, each
//! line of `grade --batch`, `regrade --json` and `jobs collect`), and a
//! session's report (`report --format json`). One struct per shape, so a
//! field has one name wherever it appears: the stored answer is always
//! `attempt_id`.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::SessionReport;
use crate::store::{GradedBy, Status};
use crate::verdict::{headline, Check, Coverage, FollowUpRound, Mistake, Usage, Verdict};

/// One graded answer: the verdict as grill checked and scored it.
#[derive(Debug, serde::Serialize)]
pub struct Graded<'a> {
    pub question_id: &'a str,
    pub score: f64,
    pub headline: &'static str,
    pub grader: &'a GradedBy,
    /// False for a keyword estimate: shown, never counted.
    pub counted: bool,
    pub key_points: Vec<Point<'a>>,
    pub mistakes: &'a [Mistake],
    pub feedback: &'a str,
    pub follow_up: &'a str,
    pub flags: &'a [String],
    pub usage: Option<Usage>,
    pub follow_ups: &'a [FollowUpRound],
}

/// The field names of [`Graded`], in order (checked by a test).
const GRADED_FIELDS: &[&str] = &[
    "question_id",
    "score",
    "headline",
    "grader",
    "counted",
    "key_points",
    "mistakes",
    "feedback",
    "follow_up",
    "flags",
    "usage",
    "follow_ups",
];

/// One key point of a graded answer, every mark spelt out.
#[derive(Debug, serde::Serialize)]
pub struct Point<'a> {
    pub id: &'a str,
    pub coverage: Coverage,
    pub claimed: Coverage,
    pub evidence: &'a str,
    pub verified: bool,
    pub check: Option<Check>,
    pub uncertain: bool,
    pub recovered: bool,
    pub weight: u8,
    /// What the point earned: its weight times its coverage's credit.
    pub earned: f64,
    /// The point in words; omitted where the question is not at hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<&'a str>,
}

impl<'a> Graded<'a> {
    pub fn new(question_id: &'a str, by: &'a GradedBy, verdict: &'a Verdict) -> Graded<'a> {
        Graded {
            question_id,
            score: verdict.score,
            headline: headline(verdict.score),
            grader: by,
            counted: by.counts(),
            key_points: verdict
                .key_points
                .iter()
                .map(|p| Point {
                    id: &p.id,
                    coverage: p.coverage,
                    claimed: p.claimed,
                    evidence: &p.evidence,
                    verified: p.verified,
                    check: p.check,
                    uncertain: p.uncertain,
                    recovered: p.recovered,
                    weight: p.weight,
                    earned: f64::from(p.weight) * p.credit(),
                    point: None,
                })
                .collect(),
            mistakes: &verdict.mistakes,
            feedback: &verdict.feedback,
            follow_up: &verdict.follow_up,
            flags: &verdict.flags,
            usage: verdict.usage,
            follow_ups: &verdict.follow_ups,
        }
    }
}

impl<'a> Graded<'a> {
    /// Each key point in words too, from the question graded.
    #[must_use]
    pub fn in_words(mut self, question: &'a crate::bank::Question) -> Self {
        for p in &mut self.key_points {
            p.point = question
                .key_points
                .iter()
                .find(|k| k.id == p.id)
                .map(|k| k.point.as_str());
        }
        self
    }
}

/// An answer without a grade, and why: `note` when it is saved for
/// self-grading, `error` when grading failed.
#[derive(Debug, serde::Serialize)]
pub struct NotGraded<'a> {
    pub question_id: &'a str,
    /// Always `null`: there is no score.
    pub score: Option<f64>,
    #[serde(flatten)]
    pub why: Why,
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Why {
    Note(String),
    Error(String),
}

impl<'a> NotGraded<'a> {
    pub fn note(question_id: &'a str, note: &str) -> NotGraded<'a> {
        NotGraded {
            question_id,
            score: None,
            why: Why::Note(note.to_string()),
        }
    }

    pub fn error(question_id: &'a str, error: impl Into<String>) -> NotGraded<'a> {
        NotGraded {
            question_id,
            score: None,
            why: Why::Error(error.into()),
        }
    }
}

/// What grading one answer came to.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Answer<'a> {
    Graded(Graded<'a>),
    NotGraded(NotGraded<'a>),
}

impl Answer<'_> {
    /// Whether the answer's object already has a field of this name.
    fn names(&self, key: &str) -> bool {
        match self {
            Answer::Graded(_) => GRADED_FIELDS.contains(&key),
            Answer::NotGraded(n) => {
                let why = match n.why {
                    Why::Note(_) => "note",
                    Why::Error(_) => "error",
                };
                ["question_id", "score", why].contains(&key)
            }
        }
    }
}

/// One answer's result as printed: the answer, its stored attempt and, in a
/// batch, the input line it came from and the other fields that line had
/// (a candidate's name), after grill's own.
#[derive(Debug, serde::Serialize)]
pub struct ResultLine<'a> {
    #[serde(flatten)]
    pub answer: Answer<'a>,
    pub attempt_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(flatten)]
    pub carried: Carried<'a>,
}

impl<'a> ResultLine<'a> {
    pub fn new(answer: Answer<'a>, attempt_id: i64) -> ResultLine<'a> {
        ResultLine {
            answer,
            attempt_id,
            line: None,
            carried: Carried(Vec::new()),
        }
    }

    /// The result of the batch input line `line`, carrying its other
    /// fields: those named like one of grill's are left out.
    #[must_use]
    pub fn with_input(mut self, line: Option<usize>, fields: &'a Map<String, Value>) -> Self {
        self.line = line;
        self.carried = Carried(
            fields
                .iter()
                .filter(|(k, _)| {
                    !self.answer.names(k) && !matches!(k.as_str(), "attempt_id" | "line")
                })
                .collect(),
        );
        self
    }
}

/// The fields of a batch input line copied to its result, in input order.
#[derive(Debug)]
pub struct Carried<'a>(Vec<(&'a String, &'a Value)>);

impl Serialize for Carried<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A session's report (`report --format json`): the stored attempts as
/// they are, with what the report made of each.
#[derive(Debug, serde::Serialize)]
pub struct Report<'a> {
    pub session_id: i64,
    /// `practice`, `interview`, `review` or `batch`.
    pub kind: &'static str,
    pub started_at: &'a str,
    pub average: Option<f64>,
    pub weakest_topic: Option<&'a str>,
    pub attempts: Vec<ReportAttempt<'a>>,
}

/// One question of a session's report.
#[derive(Debug, serde::Serialize)]
pub struct ReportAttempt<'a> {
    pub question_id: &'a str,
    pub score: Option<f64>,
    pub grader: Option<&'a GradedBy>,
    pub status: Status,
    pub counted: bool,
    pub answer: &'a str,
    pub seconds: Option<f64>,
    pub cut_off: bool,
    pub error: Option<&'a str>,
    pub outcome: &'a str,
    pub reason: Option<String>,
    pub over_seconds: Option<f64>,
    pub follow_ups: &'a [FollowUpRound],
    pub recovered: &'a [String],
    pub verdict: Option<&'a Verdict>,
    /// What to work on: the points missed outright, then the partial ones
    /// (a point recovered on a follow-up is neither).
    pub next_time: NextTime,
}

/// The key point ids a candidate should work on, from `SessionRow::advice`.
#[derive(Debug, serde::Serialize)]
pub struct NextTime {
    pub missed: Vec<String>,
    pub partial: Vec<String>,
}

pub fn render(r: &SessionReport) -> Report<'_> {
    Report {
        session_id: r.id,
        kind: r.kind.as_str(),
        started_at: &r.started_at,
        average: r.average,
        weakest_topic: r.weakest.as_ref().map(|(t, _)| t.as_str()),
        attempts: r
            .rows
            .iter()
            .map(|row| {
                let a = &row.attempt;
                ReportAttempt {
                    question_id: &a.question_id,
                    score: a.score,
                    grader: a.graded_by.as_ref(),
                    status: a.status,
                    counted: a.counted_score().is_some(),
                    answer: &a.answer,
                    seconds: a.seconds,
                    cut_off: a.cut_off,
                    error: a.error.as_deref(),
                    outcome: row.outcome.word(),
                    reason: row.outcome.reason(),
                    over_seconds: row.over,
                    follow_ups: &row.rounds,
                    recovered: &row.recovered,
                    verdict: a.verdict.as_ref(),
                    next_time: {
                        let advice = row.advice();
                        let ids = |points: Vec<(String, String)>| {
                            points.into_iter().map(|(id, _)| id).collect()
                        };
                        NextTime {
                            missed: ids(advice.missed),
                            partial: ids(advice.partial),
                        }
                    },
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_the_stored_fields_and_says_what_counted() {
        let v = serde_json::to_value(render(&crate::report::tests::report())).unwrap();
        assert_eq!(v["kind"], "interview");
        assert_eq!(v["average"], 6.0);
        assert_eq!(v["attempts"][0]["grader"], "llm:m");
        assert_eq!(v["attempts"][1]["grader"], "self");
        assert_eq!(v["attempts"][2]["counted"], false);
        assert_eq!(v["attempts"][3]["status"], "ungraded");
        assert_eq!(v["attempts"][3]["error"], "server down");
    }

    #[test]
    fn a_graded_line_names_its_fields_once_and_carries_the_rest() {
        let verdict = Verdict::default();
        let by = GradedBy::Judge("m".into());
        let fields: Map<String, Value> = serde_json::from_str(
            r#"{"name": "ann", "score": 99, "error": "mine", "line": 7, "attempt_id": 0}"#,
        )
        .unwrap();
        let graded = Answer::Graded(Graded::new("q", &by, &verdict));
        let v =
            serde_json::to_value(ResultLine::new(graded, 5).with_input(Some(3), &fields)).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = GRADED_FIELDS.to_vec();
        expected.extend(["attempt_id", "line", "name", "error"]);
        assert_eq!(keys, expected, "{v}");
        assert_eq!(
            (v["score"].clone(), v["line"].clone()),
            (0.0.into(), 3.into())
        );
        assert_eq!(v["grader"], by.label());

        // Without a grade, `error` is grill's and the input's is left out.
        let failed = Answer::NotGraded(NotGraded::error("q", "server down"));
        let v = serde_json::to_value(ResultLine::new(failed, 5).with_input(None, &fields)).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["question_id", "score", "error", "attempt_id", "name"],
            "{v}"
        );
        assert_eq!(v["error"], "server down");
        assert!(v["score"].is_null());
    }
}
