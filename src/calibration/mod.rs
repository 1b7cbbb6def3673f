//! Calibration: how far a grader agrees with grades a labeller gave.
//!
//! A labelled answer is one JSONL line (`parse` reads a file, reporting
//! every bad line as `file:line: message`, like the bank checker):
//!
//! ```json
//! {"question": "hyde", "answer": "...", "kind": "strong",
//!  "label": {"score": 7.5, "key_points": {"mechanism": "covered", ...}},
//!  "labeller": "name", "note": "why"}
//! ```
//!
//! `summarize` turns labels and grades into the figures `grill calibrate`
//! shows (`stats` computes them). Pure: no store, no judge, no terminal.

pub mod builtin;
pub mod stats;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::bank::{Bank, Diagnostic};
use crate::verdict::Coverage;

/// The kinds of answer a labelled set holds; `fluent-but-wrong` is reported
/// apart, since keywords cannot catch it.
pub const KINDS: &[&str] = &[
    "strong",
    "partial",
    "weak",
    "fluent-but-wrong",
    "off-topic",
    "padded",
    "keyword-stuffed",
    "injection",
];
const FIELDS: &[&str] = &["question", "answer", "kind", "label", "labeller", "note"];

/// One answer with its hand grade.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Labelled {
    pub file: String,
    pub line: usize,
    pub question: String,
    pub answer: String,
    pub kind: Option<String>,
    pub score: f64,
    /// In the question's bank order, when the line labels key points.
    pub key_points: Option<Vec<Coverage>>,
    pub labeller: Option<String>,
}

/// Reads one labelled file against the loaded bank.
pub fn parse(text: &str, path: &str, bank: &Bank) -> (Vec<Labelled>, Vec<Diagnostic>) {
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |message: String| Diagnostic {
            path: path.to_string(),
            line: i + 1,
            col: 1,
            message,
        };
        match read(line, bank) {
            Ok(mut item) => {
                item.file = path.to_string();
                item.line = i + 1;
                items.push(item);
            }
            Err(message) => problems.push(at(message)),
        }
    }
    (items, problems)
}

fn read(line: &str, bank: &Bank) -> Result<Labelled, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON ({e})"))?;
    let obj = value.as_object().ok_or("not a JSON object")?;
    if let Some(key) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown field `{key}`"));
    }
    let text = |name: &str| obj.get(name).and_then(Value::as_str);
    let id = text("question").ok_or("needs a string field `question`")?;
    let question = bank.get(id).ok_or_else(|| {
        let near = crate::error::closest(id, bank.questions.iter().map(|q| q.id.as_str()))
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        format!("unknown question `{id}`{near}")
    })?;
    let answer = text("answer")
        .filter(|a| !a.trim().is_empty())
        .ok_or("needs a non-empty string field `answer`")?;
    let kind = match obj.get("kind") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) if KINDS.contains(&k.as_str()) => Some(k.clone()),
        Some(other) => return Err(format!("kind {other} is not one of: {}", KINDS.join(", "))),
    };
    let label = obj
        .get("label")
        .and_then(Value::as_object)
        .ok_or("needs an object field `label` with a `score`")?;
    let score = label
        .get("score")
        .and_then(Value::as_f64)
        .filter(|s| (0.0..=10.0).contains(s))
        .ok_or("label.score must be a number from 0 to 10")?;
    let key_points = match label.get("key_points") {
        None | Some(Value::Null) => None,
        Some(Value::Object(points)) => Some(key_point_labels(points, question)?),
        Some(_) => return Err("label.key_points must be an object of id: coverage".into()),
    };
    Ok(Labelled {
        file: String::new(),
        line: 0,
        question: question.id.clone(),
        answer: answer.to_string(),
        kind,
        score,
        key_points,
        labeller: text("labeller").map(str::to_string),
    })
}

/// Every key point of the question labelled, and no other, in bank order.
fn key_point_labels(
    points: &Map<String, Value>,
    question: &crate::bank::Question,
) -> Result<Vec<Coverage>, String> {
    if let Some(id) = points
        .keys()
        .find(|id| !question.key_points.iter().any(|k| &&k.id == id))
    {
        return Err(format!(
            "label.key_points: `{id}` is not a key point of `{}`",
            question.id
        ));
    }
    question
        .key_points
        .iter()
        .map(|k| match points.get(&k.id).and_then(Value::as_str) {
            Some("covered") => Ok(Coverage::Covered),
            Some("partial") => Ok(Coverage::Partial),
            Some("missing") => Ok(Coverage::Missing),
            Some(other) => Err(format!(
                "label.key_points.{}: `{other}` is not covered, partial or missing",
                k.id
            )),
            None => Err(format!("label.key_points: `{}` is not labelled", k.id)),
        })
        .collect()
}

/// What the grader gave one labelled answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub score: f64,
    /// Per key point in bank order (the majority when sampled).
    pub key_points: Vec<Coverage>,
    /// Each sample's scores and key points, with `--samples N` (N ≥ 2).
    pub samples: Vec<(f64, Vec<Coverage>)>,
}

fn index(c: Coverage) -> usize {
    match c {
        Coverage::Covered => 0,
        Coverage::Partial => 1,
        Coverage::Missing => 2,
    }
}

/// The score figures over a set of (grade, label) pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScoreAgreement {
    pub n: usize,
    pub spearman: Option<f64>,
    pub pearson: Option<f64>,
    pub quadratic_kappa: Option<f64>,
    pub mae: Option<f64>,
    pub bias: Option<f64>,
    pub within_one: Option<f64>,
}

fn score_agreement(pairs: &[(f64, f64)]) -> ScoreAgreement {
    let grades: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let labels: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    ScoreAgreement {
        n: pairs.len(),
        spearman: stats::spearman(&grades, &labels),
        pearson: stats::pearson(&grades, &labels),
        quadratic_kappa: stats::quadratic_kappa(&grades, &labels),
        mae: stats::mae(&grades, &labels),
        bias: stats::bias(&grades, &labels),
        within_one: stats::share_within(&grades, &labels, 1.0),
    }
}

/// One of the largest disagreements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub file: String,
    pub line: usize,
    pub question_id: String,
    pub answer: String,
    pub kind: Option<String>,
    pub label: f64,
    pub grade: f64,
}

/// How alike repeated samples of the judge were.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consistency {
    pub samples: usize,
    /// Share of key-point decisions identical across every sample.
    pub identical_decisions: f64,
    /// Mean, over answers, of the highest minus the lowest sampled score.
    pub mean_score_range: f64,
    pub max_score_range: f64,
}

/// Everything `grill calibrate` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub grader: String,
    /// Answers graded, of those read (a grader may have no grade for some).
    pub graded: usize,
    pub read: usize,
    pub scores: ScoreAgreement,
    /// The same, leaving out `fluent-but-wrong` answers.
    pub scores_without_fluent_wrong: ScoreAgreement,
    /// Cohen's κ over covered/partial/missing, and the 3 × 3 table (rows the
    /// label, columns the grade: covered, partial, missing).
    pub key_point_kappa: Option<f64>,
    pub key_point_confusion: Option<Vec<Vec<usize>>>,
    pub disagreements: Vec<Disagreement>,
    pub consistency: Option<Consistency>,
    /// Mean label, mean grade and mean absolute error per kind of answer, in
    /// the order of [`KINDS`]; answers without a kind are left out.
    pub by_kind: Vec<KindRow>,
    /// (label, grade) of every graded answer, for the scatter.
    pub points: Vec<(f64, f64)>,
}

/// How a grader did on one kind of answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindRow {
    pub kind: String,
    pub n: usize,
    pub label_mean: f64,
    pub grade_mean: f64,
    pub mae: f64,
}

fn by_kind(both: &[(&Labelled, &Grade)]) -> Vec<KindRow> {
    KINDS
        .iter()
        .filter_map(|kind| {
            let pairs: Vec<(f64, f64)> = both
                .iter()
                .filter(|(l, _)| l.kind.as_deref() == Some(kind))
                .map(|(l, g)| (g.score, l.score))
                .collect();
            let n = pairs.len();
            let mean = |f: &dyn Fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / n as f64;
            (n > 0).then(|| KindRow {
                kind: (*kind).to_string(),
                n,
                label_mean: mean(&|p| p.1),
                grade_mean: mean(&|p| p.0),
                mae: mean(&|p| (p.0 - p.1).abs()),
            })
        })
        .collect()
}

/// How many of the largest disagreements are listed.
pub const DISAGREEMENTS: usize = 8;

/// The figures for `items` and the grades `given` them (`None` where the grader gave none).
pub fn summarize(grader: &str, items: &[Labelled], given: &[Option<Grade>]) -> Summary {
    let both: Vec<(&Labelled, &Grade)> = items
        .iter()
        .zip(given)
        .filter_map(|(l, g)| g.as_ref().map(|g| (l, g)))
        .collect();
    let pairs: Vec<(f64, f64)> = both.iter().map(|(l, g)| (g.score, l.score)).collect();
    let plain: Vec<(f64, f64)> = both
        .iter()
        .filter(|(l, _)| l.kind.as_deref() != Some("fluent-but-wrong"))
        .map(|(l, g)| (g.score, l.score))
        .collect();
    let point_pairs: Vec<(usize, usize)> = both
        .iter()
        .filter_map(|(l, g)| Some((l.key_points.as_ref()?, &g.key_points)))
        .flat_map(|(l, g)| l.iter().zip(g).map(|(a, b)| (index(*a), index(*b))))
        .collect();
    let mut disagreements: Vec<Disagreement> = both
        .iter()
        .map(|(l, g)| Disagreement {
            file: l.file.clone(),
            line: l.line,
            question_id: l.question.clone(),
            answer: l.answer.clone(),
            kind: l.kind.clone(),
            label: l.score,
            grade: g.score,
        })
        .collect();
    disagreements.sort_by(|a, b| {
        (b.grade - b.label)
            .abs()
            .total_cmp(&(a.grade - a.label).abs())
            .then(a.line.cmp(&b.line))
    });
    disagreements.truncate(DISAGREEMENTS);
    Summary {
        grader: grader.to_string(),
        graded: both.len(),
        read: items.len(),
        scores: score_agreement(&pairs),
        scores_without_fluent_wrong: score_agreement(&plain),
        key_point_kappa: stats::cohen_kappa(&point_pairs, 3),
        key_point_confusion: (!point_pairs.is_empty()).then(|| stats::confusion(&point_pairs, 3)),
        disagreements,
        consistency: consistency(&both),
        by_kind: by_kind(&both),
        points: pairs.iter().map(|(g, l)| (*l, *g)).collect(),
    }
}

fn consistency(both: &[(&Labelled, &Grade)]) -> Option<Consistency> {
    let sampled: Vec<&Grade> = both
        .iter()
        .map(|(_, g)| *g)
        .filter(|g| g.samples.len() >= 2)
        .collect();
    let first = sampled.first()?;
    let (mut decisions, mut identical) = (0usize, 0usize);
    let mut ranges = Vec::new();
    for g in &sampled {
        for p in 0..g.key_points.len() {
            decisions += 1;
            let first = g.samples[0].1.get(p);
            if g.samples.iter().all(|s| s.1.get(p) == first) {
                identical += 1;
            }
        }
        let scores: Vec<f64> = g.samples.iter().map(|s| s.0).collect();
        let hi = scores.iter().copied().fold(f64::MIN, f64::max);
        let lo = scores.iter().copied().fold(f64::MAX, f64::min);
        ranges.push(hi - lo);
    }
    Some(Consistency {
        samples: first.samples.len(),
        identical_decisions: if decisions == 0 {
            1.0
        } else {
            identical as f64 / decisions as f64
        },
        mean_score_range: stats::mean(&ranges).unwrap_or(0.0),
        max_score_range: ranges.iter().copied().fold(0.0, f64::max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank() -> Bank {
        let text = "topic = \"t\"\n[[questions]]\nid = \"q1\"\nquestion = \"Q?\"\ndifficulty = \"core\"\nmodel_answer = \"A.\"\n[[questions.key_points]]\nid = \"a\"\npoint = \"P\"\n[[questions.key_points]]\nid = \"b\"\npoint = \"R\"\n";
        let (bank, d) = Bank::from_sources(&[crate::bank::Source {
            path: "t.toml".into(),
            stem: "t".into(),
            text: std::borrow::Cow::Owned(text.into()),
        }]);
        assert!(d.is_empty(), "{d:?}");
        bank
    }

    #[test]
    fn every_bad_line_is_named_with_its_line() {
        let text = [
            r#"{"question": "q1", "answer": "x", "label": {"score": 5, "key_points": {"a": "covered", "b": "missing"}}, "kind": "strong"}"#,
            r#"{"question": "q2", "answer": "x", "label": {"score": 5}}"#,
            r#"{"question": "q1", "answer": "x", "label": {"score": 11}}"#,
            r#"{"question": "q1", "answer": "x", "label": {"score": 1, "key_points": {"a": "covered"}}}"#,
            "",
            "not json",
            r#"{"question": "q1", "answer": "x", "label": {"score": 1}, "kind": "meh"}"#,
            r#"{"question": "q1", "answer": "x", "label": {"score": 1}, "extra": 1}"#,
        ]
        .join("\n");
        let (items, problems) = parse(&text, "set.jsonl", &bank());
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].key_points,
            Some(vec![Coverage::Covered, Coverage::Missing])
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 6, "{shown:#?}");
        assert!(
            shown[0].starts_with("set.jsonl:2:1: unknown question `q2`"),
            "{shown:#?}"
        );
        assert!(shown[1].contains(":3:1: label.score must be a number from 0 to 10"));
        assert!(shown[2].contains(":4:1: label.key_points: `b` is not labelled"));
        assert!(shown[3].starts_with("set.jsonl:6:1: invalid JSON"));
        assert!(shown[4].contains(":7:1: kind \"meh\" is not one of"));
        assert!(shown[5].contains(":8:1: unknown field `extra`"));
    }

    fn item(score: f64, kind: &str, points: Option<Vec<Coverage>>) -> Labelled {
        Labelled {
            file: "f".into(),
            line: 1,
            question: "q1".into(),
            answer: "an answer".into(),
            kind: Some(kind.into()),
            score,
            key_points: points,
            labeller: None,
        }
    }

    #[test]
    fn the_summary_counts_what_was_graded_and_leaves_fluent_wrong_apart() {
        use Coverage::{Covered as C, Missing as M, Partial as P};
        let items = vec![
            item(9.0, "strong", Some(vec![C, C])),
            item(5.0, "partial", Some(vec![C, M])),
            item(1.0, "fluent-but-wrong", Some(vec![M, M])),
            item(0.0, "off-topic", None),
        ];
        let grade = |score, kps: Vec<Coverage>| {
            Some(Grade {
                score,
                key_points: kps,
                samples: vec![],
            })
        };
        let grades = vec![
            grade(8.0, vec![C, P]),
            grade(5.0, vec![C, M]),
            grade(9.0, vec![C, C]),
            None,
        ];
        let s = summarize("cues", &items, &grades);
        assert_eq!((s.graded, s.read), (3, 4));
        assert_eq!(s.scores.n, 3);
        assert_eq!(s.scores_without_fluent_wrong.n, 2);
        assert_eq!(
            s.disagreements[0].label, 1.0,
            "the fluent wrong answer, 8 points off"
        );
        // Key points: (C,C) (C,P) (C,C) (M,M) (M,C) (M,C).
        assert_eq!(
            s.key_point_confusion,
            Some(vec![vec![2, 1, 0], vec![0, 0, 0], vec![2, 0, 1]])
        );
        assert!(s.consistency.is_none());
        // One row per kind graded, in the order of KINDS; the ungraded
        // off-topic answer has none.
        let kinds: Vec<(&str, usize, f64, f64, f64)> = s
            .by_kind
            .iter()
            .map(|k| (k.kind.as_str(), k.n, k.label_mean, k.grade_mean, k.mae))
            .collect();
        assert_eq!(
            kinds,
            [
                ("strong", 1, 9.0, 8.0, 1.0),
                ("partial", 1, 5.0, 5.0, 0.0),
                ("fluent-but-wrong", 1, 1.0, 9.0, 8.0)
            ]
        );
    }

    #[test]
    fn consistency_counts_decisions_identical_across_samples() {
        use Coverage::{Covered as C, Missing as M};
        let items = vec![item(5.0, "partial", None)];
        let grades = vec![Some(Grade {
            score: 5.0,
            key_points: vec![C, M],
            samples: vec![(5.0, vec![C, M]), (7.5, vec![C, C]), (5.0, vec![C, M])],
        })];
        let c = summarize("judge", &items, &grades).consistency.unwrap();
        assert_eq!(c.samples, 3);
        assert_eq!(
            c.identical_decisions, 0.5,
            "point a agreed, point b did not"
        );
        assert_eq!(c.mean_score_range, 2.5);
    }
}
