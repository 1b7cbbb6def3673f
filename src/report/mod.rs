//! What people and scripts read about grades: one verdict (`verdict`), and a
//! session's report, built here as plain data from the stored attempts and
//! drawn by one renderer per format (`text`, `markdown`, `json`). A new
//! format is a new renderer. Pure: no terminal, no store, widths passed in.

pub mod calibration;
pub mod debrief;
pub mod json;
pub mod markdown;
pub mod text;
pub mod verdict;

use crate::bank::{Bank, Question};
use crate::store::{Attempt, GradedBy, Session, SessionKind, Status};
use crate::verdict::{Coverage, FollowUpRound};

/// How one question of a session ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Scored(f64),
    /// A keyword estimate: shown, not counted.
    Estimated(f64),
    /// Asked and given no answer to grade: `how` says in one word
    /// (`skipped`, `abandoned`, `left`), `why` in a phrase, when stored.
    Unanswered {
        how: String,
        why: Option<String>,
    },
    /// Not graded (yet); the reason the grade failed, if one is stored.
    Ungraded(Option<String>),
}

impl Outcome {
    /// One word for scripts: `scored`, `estimated`, `skipped`, `abandoned`,
    /// `left` or `ungraded`.
    pub fn word(&self) -> &str {
        match self {
            Outcome::Scored(_) => "scored",
            Outcome::Estimated(_) => "estimated",
            Outcome::Unanswered { how, .. } => how,
            Outcome::Ungraded(_) => "ungraded",
        }
    }

    /// Why the question has no score, in a phrase, when there is a reason.
    pub fn reason(&self) -> Option<String> {
        match self {
            Outcome::Scored(_) => None,
            Outcome::Estimated(_) => Some("keyword estimate: shown, not counted".into()),
            Outcome::Unanswered { how, why } => Some(why.clone().unwrap_or_else(|| how.clone())),
            Outcome::Ungraded(why) => Some(match why {
                Some(why) => format!("not graded: {why}"),
                None => "not graded yet".into(),
            }),
        }
    }
}

/// One row of the report: a question asked.
#[derive(Debug, Clone)]
pub struct Row {
    pub question_id: String,
    pub outcome: Outcome,
    pub seconds: Option<f64>,
    pub cut_off: bool,
    /// Seconds past the time limit, when an answer came back late from `$EDITOR`.
    pub over: Option<f64>,
    /// Ids of the key points missed.
    pub missed: Vec<String>,
    pub flags: Vec<String>,
    pub follow_up: String,
    pub feedback: String,
    /// The follow-up rounds after the answer, in order.
    pub rounds: Vec<FollowUpRound>,
    /// Ids of the key points recovered on a follow-up.
    pub recovered: Vec<String>,
    /// The stored attempt, for the JSON renderer.
    pub attempt: Attempt,
    /// The question as the bank has it, when the report was given the bank
    /// (`SessionReport::with_bank`): key points in words, the model answer.
    pub question: Option<Question>,
}

/// What to work on after an answer: the key points it missed outright,
/// then those it made only in part (a point recovered on a follow-up is
/// neither: it was said, if late).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Advice {
    /// `(id, the point in words)`; the id again when the bank is not known.
    pub missed: Vec<(String, String)>,
    pub partial: Vec<(String, String)>,
}

impl Advice {
    pub fn is_empty(&self) -> bool {
        self.missed.is_empty() && self.partial.is_empty()
    }

    /// One line: `make the point: A; say more on: B`.
    pub fn line(&self) -> String {
        let list = |points: &[(String, String)]| {
            points
                .iter()
                .map(|(_, text)| text.trim_end_matches('.').to_string())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut parts = Vec::new();
        if !self.missed.is_empty() {
            let what = if self.missed.len() == 1 {
                "make the point"
            } else {
                "make the points"
            };
            parts.push(format!("{what}: {}", list(&self.missed)));
        }
        if !self.partial.is_empty() {
            parts.push(format!("say more on: {}", list(&self.partial)));
        }
        parts.join(" · ")
    }
}

impl Row {
    /// The text of key point `id`, or the id when the bank is not known.
    pub fn point_text(&self, id: &str) -> String {
        self.question
            .as_ref()
            .and_then(|q| q.key_points.iter().find(|k| k.id == id))
            .map_or_else(|| id.to_string(), |k| k.point.clone())
    }

    /// What to work on next time, from the final verdict (follow-ups included).
    pub fn advice(&self) -> Advice {
        let Some(v) = self.attempt.verdict.as_ref() else {
            return Advice::default();
        };
        if self.attempt.status != Status::Graded {
            return Advice::default();
        }
        let pick = |c: Coverage| {
            v.key_points
                .iter()
                .filter(|p| p.coverage == c && !p.recovered)
                .map(|p| (p.id.clone(), self.point_text(&p.id)))
                .collect()
        };
        Advice {
            missed: pick(Coverage::Missing),
            partial: pick(Coverage::Partial),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SessionReport {
    pub id: i64,
    pub kind: SessionKind,
    pub started_at: String,
    pub rows: Vec<Row>,
    /// Mean of the counted scores, and how many there are.
    pub average: Option<f64>,
    pub counted: usize,
    /// The topic with the lowest mean, when more than one topic was graded.
    pub weakest: Option<(String, f64)>,
    pub ungraded: usize,
}

impl SessionReport {
    /// The report with each question as `bank` has it, so key points read
    /// in words and the debrief can show the model answers. A question no
    /// longer in the bank keeps its ids.
    #[must_use]
    pub fn with_bank(mut self, bank: &Bank) -> Self {
        for row in &mut self.rows {
            row.question = bank.get(&row.question_id).cloned();
        }
        self
    }

    /// The rows with something to work on, each with its advice, in order.
    pub fn advice(&self) -> Vec<(&Row, Advice)> {
        self.rows
            .iter()
            .map(|row| (row, row.advice()))
            .filter(|(_, a)| !a.is_empty())
            .collect()
    }

    /// Whether the questions are known (`with_bank`).
    pub fn has_questions(&self) -> bool {
        self.rows.iter().any(|r| r.question.is_some())
    }

    pub fn title(&self) -> &'static str {
        match self.kind {
            SessionKind::Interview => "Interview report",
            SessionKind::Practice => "Practice report",
            SessionKind::Review => "Review report",
            SessionKind::Batch => "Batch report",
        }
    }

    /// The start time as people read it: `2026-03-01 09:00:00`.
    pub fn when(&self) -> String {
        self.started_at
            .replace('T', " ")
            .trim_end_matches('Z')
            .to_string()
    }
}

/// The report of `session` from its attempts (oldest first).
pub fn build(session: &Session, attempts: &[Attempt]) -> SessionReport {
    let rows: Vec<Row> = attempts.iter().map(row).collect();
    let scores: Vec<f64> = attempts.iter().filter_map(Attempt::counted_score).collect();
    let average = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let mut topics: Vec<&str> = attempts
        .iter()
        .filter(|a| a.counted_score().is_some())
        .map(|a| a.topic.as_str())
        .collect();
    topics.sort_unstable();
    topics.dedup();
    SessionReport {
        id: session.id,
        kind: session.kind,
        started_at: session.started_at.clone(),
        average,
        counted: scores.len(),
        // With one topic there is nothing to compare.
        weakest: weakest_topic(attempts).filter(|_| topics.len() > 1),
        ungraded: attempts
            .iter()
            .filter(|a| a.status == Status::Ungraded)
            .count(),
        rows,
    }
}

/// One attempt as a report row: how it ended, what it missed and recovered.
pub fn row(a: &Attempt) -> Row {
    let outcome = match (a.status, &a.graded_by, a.score) {
        (Status::Graded, Some(GradedBy::Estimate), Some(s)) => Outcome::Estimated(s),
        (Status::Graded, _, Some(s)) => Outcome::Scored(s),
        (Status::Skipped, _, _) => Outcome::Unanswered {
            how: a
                .extra
                .as_ref()
                .and_then(|e| e.ended.clone())
                .unwrap_or_else(|| "skipped".into()),
            why: a.error.clone(),
        },
        _ => Outcome::Ungraded(a.error.clone()),
    };
    let verdict = a.verdict.as_ref();
    Row {
        question_id: a.question_id.clone(),
        outcome,
        seconds: a.seconds,
        cut_off: a.cut_off,
        over: a.extra.as_ref().and_then(|e| e.over_seconds),
        missed: verdict
            .map(|v| {
                v.key_points
                    .iter()
                    .filter(|p| p.coverage == Coverage::Missing && !p.recovered)
                    .map(|p| p.id.clone())
                    .collect()
            })
            .unwrap_or_default(),
        rounds: verdict.map(|v| v.follow_ups.clone()).unwrap_or_default(),
        recovered: verdict
            .map(|v| {
                v.key_points
                    .iter()
                    .filter(|p| p.recovered)
                    .map(|p| p.id.clone())
                    .collect()
            })
            .unwrap_or_default(),
        flags: verdict.map(|v| v.flags.clone()).unwrap_or_default(),
        // The judge's follow-up, unless it was asked as a round. A
        // self-grade's "next time" line is advice, not a question, and the
        // report gives its own (`Row::advice`).
        follow_up: verdict
            .filter(|_| matches!(a.graded_by, Some(GradedBy::Judge(_))))
            .filter(|v| {
                !v.follow_ups
                    .iter()
                    .any(|r| r.question.trim() == v.follow_up.trim())
            })
            .filter(|v| crate::verdict::is_question(&v.follow_up))
            .map(|v| v.follow_up.trim().to_string())
            .unwrap_or_default(),
        feedback: verdict
            .map(|v| v.feedback.trim().to_string())
            .unwrap_or_default(),
        attempt: a.clone(),
        question: None,
    }
}

/// How a round's answer is introduced: `answered`, or that the clock ended it.
pub fn answered(round: &FollowUpRound) -> &'static str {
    if round.cut_off {
        "answered, cut off at the time limit"
    } else {
        "answered"
    }
}

/// What a round came to, in a phrase.
pub fn round_outcome(round: &FollowUpRound) -> String {
    match &round.note {
        Some(note) => format!("not graded: {note}"),
        None if round.recovered.is_empty() => "nothing recovered".into(),
        None => format!("recovered {}", round.recovered.join(", ")),
    }
}

/// The weakest topic of a set of attempts: the lowest mean counted score.
pub fn weakest_topic(attempts: &[Attempt]) -> Option<(String, f64)> {
    let mut sums: Vec<(String, f64, usize)> = Vec::new();
    for a in attempts {
        let Some(score) = a.counted_score() else {
            continue;
        };
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

/// What a flag means, in a sentence for the person who wrote the answer.
pub fn flag_text(flag: &str) -> Option<&'static str> {
    match flag {
        crate::verdict::FLAG_PASTED_KEY_POINTS => {
            Some("This answer repeats the key points' wording without explaining them.")
        }
        crate::verdict::FLAG_KEYWORD_STUFFED => Some(
            "This answer is a list of terms with no sentences: a keyword estimate gives it half credit at most.",
        ),
        crate::grading::FLAG_NO_STORY => Some(
            "The question asks for an example from your own work and none was told: the score is capped at 5.0.",
        ),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::verdict::{PointVerdict, Verdict};

    pub fn attempt(id: i64, topic: &str, graded: Option<(f64, GradedBy)>) -> Attempt {
        let verdict = graded.as_ref().map(|(score, _)| Verdict {
            score: *score,
            key_points: vec![PointVerdict {
                id: "kp".into(),
                coverage: Coverage::Missing,
                claimed: Coverage::Missing,
                evidence: String::new(),
                verified: true,
                weight: 1,
                check: None,
                uncertain: false,
                recovered: false,
            }],
            follow_up: "Why?".into(),
            feedback: "Fine.".into(),
            ..Verdict::default()
        });
        Attempt {
            id,
            session_id: Some(1),
            question_id: format!("q{id}"),
            topic: topic.into(),
            answer: "a".into(),
            status: if graded.is_some() {
                Status::Graded
            } else {
                Status::Ungraded
            },
            score: graded.as_ref().map(|(s, _)| *s),
            graded_by: graded.map(|(_, by)| by),
            verdict,
            seconds: Some(65.0),
            cut_off: false,
            error: None,
            extra: None,
            created_at: "2026-03-01T09:00:00Z".into(),
            graded_at: None,
            usage: None,
        }
    }

    pub fn report() -> SessionReport {
        let session = Session {
            id: 3,
            kind: SessionKind::Interview,
            started_at: "2026-03-01T09:00:00Z".into(),
        };
        let mut failed = attempt(4, "rag", None);
        failed.error = Some("server down".into());
        build(
            &session,
            &[
                attempt(1, "rag", Some((8.0, GradedBy::Judge("m".into())))),
                attempt(2, "evals", Some((4.0, GradedBy::SelfCheck))),
                attempt(3, "rag", Some((10.0, GradedBy::Estimate))),
                failed,
            ],
        )
    }

    #[test]
    fn estimates_are_shown_but_not_counted() {
        let r = report();
        assert_eq!(r.counted, 2);
        assert_eq!(r.average, Some(6.0));
        assert_eq!(r.weakest, Some(("evals".into(), 4.0)));
        assert_eq!(r.rows[2].outcome, Outcome::Estimated(10.0));
        assert_eq!(
            r.rows[3].outcome,
            Outcome::Ungraded(Some("server down".into()))
        );
        assert_eq!(r.ungraded, 1);
        assert_eq!(r.rows[0].missed, ["kp"]);
    }
}
