//! The grading layer: one way to grade a stored attempt, whoever grades it.
//!
//! A `Grader` is the judge (`judge`), the candidate's own checklist, or the
//! keyword estimate. Each ends the same way (`job::record`): the verdict, its
//! score, who graded it and the review card are written in one transaction.
//! Commands and the terminal never branch on grader names; they hold a
//! `Grader` and call `grade`.

pub mod followup;
mod job;
mod judge;
#[cfg(test)]
mod judge_tests;
mod vote;

use std::sync::Arc;

use crate::bank::Question;
use crate::cues::{self, CueMatch};
use crate::store::{GradedBy, Store};
use crate::verdict::{score, Coverage, PointVerdict, Verdict};

use job::{record, record_empty};
pub use job::{GradeError, Job};
pub use judge::{Assessed, BatchReply, JudgeGrader, FORMAT_MEMORY_DAYS};
pub use vote::settle;

/// Longest answer accepted, in characters: far beyond any spoken answer, and
/// short enough that a pasted file cannot blow up the prompt.
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// Who grades.
#[derive(Clone)]
pub enum Grader {
    /// The LLM judge.
    Judge(Arc<JudgeGrader>),
    /// The candidate, point by point against the model answer.
    SelfCheck,
    /// The keyword estimate: stored, shown as an estimate, never counted.
    Estimate,
}

/// The outcome of a grade that did not fail. (One per grade, moved once:
/// boxing the verdict would buy nothing.)
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Graded(Verdict, GradedBy),
    /// The person left the checklist (Ctrl-C): the answer stays ungraded.
    Abandoned,
    /// No keyword estimate for a question that asks for a story from the
    /// candidate's own work: keywords cannot tell one. The answer stays
    /// ungraded, for self-grading.
    NoEstimate,
}

/// Why a question that asks for an example has no keyword estimate.
pub const NO_ESTIMATE: &str = "no keyword estimate: this question asks for an example from your own work, which keywords cannot judge; grade it yourself with `grill --offline regrade` in a terminal";

/// What the candidate marked: each key point, and for a question that asks
/// for an example, whether a concrete story with a measurable outcome was told.
#[derive(Debug, Clone, PartialEq)]
pub struct Marks {
    pub points: Vec<Coverage>,
    pub story: Option<bool>,
}

/// The candidate's own marks, asked by the terminal.
pub trait Checklist {
    /// Marks each key point, with the cue matcher's guesses to accept or
    /// change; `None` when the person abandons the checklist.
    fn mark(&mut self, question: &Question, answer: &str, guesses: &[CueMatch]) -> Option<Marks>;
}

/// The highest self-grade for an answer to a question that asks for an
/// example from the candidate's own work when no such story was told.
pub const NO_STORY_CAP: f64 = 5.0;

/// The flag on a verdict capped for a missing story.
pub const FLAG_NO_STORY: &str = "no_story";

impl Grader {
    pub fn graded_by(&self) -> GradedBy {
        match self {
            Grader::Judge(j) => GradedBy::Judge(j.model().to_string()),
            Grader::SelfCheck => GradedBy::SelfCheck,
            Grader::Estimate => GradedBy::Estimate,
        }
    }

    /// Grades one stored attempt and records the verdict.
    pub async fn grade(
        &self,
        store: &Store,
        job: Job<'_>,
        checklist: &mut dyn Checklist,
    ) -> Result<Outcome, GradeError> {
        let verdict = match self {
            Grader::Judge(judge) => {
                let (verdict, by) = judge.grade(store, job).await?;
                return Ok(Outcome::Graded(verdict, by));
            }
            _ if job.answer.trim().is_empty() => {
                let (verdict, by) = record_empty(store, job)?;
                return Ok(Outcome::Graded(verdict, by));
            }
            Grader::SelfCheck => {
                let guesses = cues::match_all(job.answer, &job.question.key_points);
                match checklist.mark(job.question, job.answer, &guesses) {
                    Some(marks) => self_verdict(job.question, &marks),
                    None => return Ok(Outcome::Abandoned),
                }
            }
            Grader::Estimate if job.question.wants_example => {
                let _ = store.record_failure(job.attempt_id, NO_ESTIMATE);
                return Ok(Outcome::NoEstimate);
            }
            Grader::Estimate => estimate(job.question, job.answer),
        };
        let by = self.graded_by();
        record(store, job, &verdict, &by)?;
        Ok(Outcome::Graded(verdict, by))
    }
}

/// A checklist for graders that never ask one: the judge and the estimate.
pub struct NoChecklist;

impl Checklist for NoChecklist {
    fn mark(&mut self, _: &Question, _: &str, _: &[CueMatch]) -> Option<Marks> {
        None
    }
}

/// A verdict from the candidate's own marks, scored by the same formula;
/// capped at `NO_STORY_CAP` when an example was asked for and not given.
pub fn self_verdict(question: &Question, marks: &Marks) -> Verdict {
    let mut verdict = verdict_from(question, &marks.points);
    verdict.feedback = "Self-graded against the model answer.".into();
    if question.wants_example && marks.story == Some(false) {
        verdict.score = verdict.score.min(NO_STORY_CAP);
        verdict.flags.push(FLAG_NO_STORY.into());
    }
    verdict
}

/// The keyword estimate as a verdict: each point's cues looked for in the answer.
pub fn estimate(question: &Question, answer: &str) -> Verdict {
    let matches = cues::match_all(answer, &question.key_points);
    let marks: Vec<Coverage> = matches.iter().map(|m| m.coverage).collect();
    let mut verdict = verdict_from(question, &marks);
    verdict.feedback = "Keyword estimate: the cues of each key point were looked for in the answer. No judge read it.".into();
    for (p, m) in verdict.key_points.iter_mut().zip(&matches) {
        p.evidence = m.matched.join(", ");
    }
    // Cues are the key points' own words: a pasted rubric matches them all,
    // and a bare list of terms earns at most partial on any point.
    verdict.flags = crate::verdict::answer_flags(question, answer);
    if verdict
        .flags
        .iter()
        .any(|f| f == crate::verdict::FLAG_KEYWORD_STUFFED)
    {
        for p in &mut verdict.key_points {
            if p.coverage == Coverage::Covered {
                p.coverage = Coverage::Partial;
                p.check = Some(crate::verdict::Check::ShortQuote);
            }
        }
        verdict.score = score(&verdict.key_points, 0);
    }
    verdict
}

/// The verdict for chosen coverages, suggesting the first missed point next.
fn verdict_from(question: &Question, marks: &[Coverage]) -> Verdict {
    let key_points: Vec<PointVerdict> = question
        .key_points
        .iter()
        .zip(marks)
        .map(|(k, &coverage)| PointVerdict {
            id: k.id.clone(),
            coverage,
            claimed: coverage,
            evidence: String::new(),
            verified: true,
            weight: k.weight,
            check: None,
            uncertain: false,
            recovered: false,
        })
        .collect();
    let first_missed = question
        .key_points
        .iter()
        .zip(marks)
        .find(|(_, c)| **c == Coverage::Missing)
        .map(|(k, _)| k.point.as_str());
    Verdict {
        score: score(&key_points, 0),
        key_points,
        follow_up: first_missed
            .map_or_else(String::new, |p| format!("Next time, make this point: {p}")),
        ..Verdict::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};

    fn question() -> Question {
        let kp = |id: &str, w, cue: &str| KeyPoint {
            id: id.into(),
            point: format!("say {id}"),
            weight: w,
            cues: vec![cue.into()],
        };
        Question {
            id: "q".into(),
            topic: "t".into(),
            question: "?".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 2,
            model_answer: "m".into(),
            key_points: vec![kp("a", 2, "alpha"), kp("b", 1, "beta"), kp("c", 1, "gamma")],
            sources: vec![],
            reviewed: None,
            follow_up: None,
        }
    }

    #[test]
    fn self_grades_use_the_same_formula_and_suggest_the_first_miss() {
        let marks = Marks {
            points: vec![Coverage::Covered, Coverage::Partial, Coverage::Missing],
            story: None,
        };
        let v = self_verdict(&question(), &marks);
        assert_eq!(v.score, 6.3);
        assert_eq!(v.follow_up, "Next time, make this point: say c");
    }

    #[test]
    fn an_example_asked_for_and_not_told_caps_a_self_grade_and_gets_no_estimate() {
        let mut q = question();
        q.wants_example = true;
        let all = vec![Coverage::Covered; 3];
        let told = self_verdict(
            &q,
            &Marks {
                points: all.clone(),
                story: Some(true),
            },
        );
        assert_eq!(told.score, 10.0);
        let untold = self_verdict(
            &q,
            &Marks {
                points: all,
                story: Some(false),
            },
        );
        assert_eq!(untold.score, NO_STORY_CAP);
        assert_eq!(untold.flags, [FLAG_NO_STORY]);

        let store = Store::in_memory(crate::time::Clock::system()).unwrap();
        let id = store
            .insert_attempt(&crate::store::NewAttempt {
                question_id: "q",
                topic: "t",
                answer: "alpha beta gamma",
                ..Default::default()
            })
            .unwrap();
        let job = Job {
            attempt_id: id,
            question: &q,
            answer: "alpha beta gamma",
        };
        let out = block_on(Grader::Estimate.grade(&store, job, &mut NoChecklist)).unwrap();
        assert!(matches!(out, Outcome::NoEstimate));
        let a = store.attempt(id).unwrap().unwrap();
        assert_eq!((a.score, a.error.as_deref()), (None, Some(NO_ESTIMATE)));
    }

    #[test]
    fn an_estimate_quotes_the_cue_words_it_found() {
        let v = estimate(&question(), "Alpha and beta, nothing else.");
        assert_eq!(v.score, 7.5);
        assert_eq!(v.key_points[0].evidence, "alpha");
        assert!(v.feedback.contains("No judge read it"));
    }

    struct Given(Option<Vec<Coverage>>);

    impl Checklist for Given {
        fn mark(&mut self, _: &Question, _: &str, g: &[CueMatch]) -> Option<Marks> {
            assert_eq!(g.len(), 3, "the guesses come with the checklist");
            self.0.take().map(|points| Marks {
                points,
                story: None,
            })
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn every_grader_records_its_verdict_the_same_way() {
        let store = Store::in_memory(crate::time::Clock::system()).unwrap();
        let q = question();
        let add = || {
            store
                .insert_attempt(&crate::store::NewAttempt {
                    question_id: "q",
                    topic: "t",
                    answer: "alpha",
                    ..Default::default()
                })
                .unwrap()
        };
        let id = add();
        let job = Job {
            attempt_id: id,
            question: &q,
            answer: "alpha",
        };
        let all = Some(vec![Coverage::Covered; 3]);
        let out = block_on(Grader::SelfCheck.grade(&store, job, &mut Given(all))).unwrap();
        assert!(matches!(out, Outcome::Graded(ref v, GradedBy::SelfCheck) if v.score == 10.0));
        assert_eq!(
            store.attempt(id).unwrap().unwrap().counted_score(),
            Some(10.0)
        );

        let id = add();
        let job = Job {
            attempt_id: id,
            ..job
        };
        let out = block_on(Grader::SelfCheck.grade(&store, job, &mut Given(None))).unwrap();
        assert!(matches!(out, Outcome::Abandoned));
        assert_eq!(store.attempt(id).unwrap().unwrap().score, None);

        let out = block_on(Grader::Estimate.grade(&store, job, &mut NoChecklist)).unwrap();
        assert!(matches!(out, Outcome::Graded(_, GradedBy::Estimate)));
        let a = store.attempt(id).unwrap().unwrap();
        assert_eq!((a.score, a.counted_score()), (Some(5.0), None));
    }
}
