//! The grading layer: one way to grade a stored attempt, whoever grades it.
//!
//! A `Grader` is the judge, the candidate's own checklist, or the keyword
//! estimate. Each ends the same way: the verdict, its score, who graded it
//! and the review card are written in one transaction (`Store::record_graded`).
//! Commands and the terminal never branch on grader names; they hold a
//! `Grader` and call `grade`.
//!
//! The judge's side adds what a run of many grades needs: the verdict cache,
//! one request for identical answers in flight at once, and a stop after a
//! storage failure, so that no request is sent whose verdict could not be kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::bank::Question;
use crate::cues::{self, CueMatch};
use crate::error::Error;
use crate::judge::ask::{ask, cache_key, empty_answer_verdict, AskError};
use crate::judge::openai::{Format, OpenAiJudge};
use crate::judge::{finalize, score, Coverage, PointVerdict, RawVerdict, Usage, Verdict};
use crate::prompts::Templates;
use crate::store::{GradedBy, Store};

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

/// One stored answer to grade.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub attempt_id: i64,
    pub question: &'a Question,
    pub answer: &'a str,
}

/// How a grade ended when it did not end in a verdict.
#[derive(Debug)]
pub enum GradeError {
    /// The judge could not grade it; the answer stays ungraded with the reason stored.
    Judge(AskError),
    /// The verdict could not be stored (a full disk...): no more requests are sent.
    Storage(Error),
    /// An earlier storage failure stopped grading before this one was asked.
    Stopped,
}

impl std::fmt::Display for GradeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GradeError::Judge(e) => e.fmt(f),
            GradeError::Storage(e) => e.message.fmt(f),
            GradeError::Stopped => f.write_str("not sent: grading stopped after a storage failure"),
        }
    }
}

/// The outcome of a grade that did not fail.
#[derive(Debug, Clone)]
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

/// An empty answer scores 0 without a grader: nothing to send or to mark.
fn record_empty(store: &Store, job: Job<'_>) -> Result<(Verdict, GradedBy), GradeError> {
    let verdict = empty_answer_verdict(job.question);
    record(store, job, &verdict, &GradedBy::Empty)?;
    Ok((verdict, GradedBy::Empty))
}

/// Writes a verdict; a failure is a storage error that stops the run.
fn record(store: &Store, job: Job<'_>, verdict: &Verdict, by: &GradedBy) -> Result<(), GradeError> {
    store
        .record_graded(job.attempt_id, &job.question.id, verdict, by)
        .map_err(|e| GradeError::Storage(store.write_error("store the verdict", &e)))
}

/// A checklist for graders that never ask one: the judge and the estimate.
pub struct NoChecklist;

impl Checklist for NoChecklist {
    fn mark(&mut self, _: &Question, _: &str, _: &[CueMatch]) -> Option<Marks> {
        None
    }
}

/// One request shared by identical answers in flight: its outcome, and its
/// token usage, which only the first reader takes (one request, counted once).
#[derive(Default)]
struct InFlight {
    outcome: tokio::sync::OnceCell<Result<RawVerdict, AskError>>,
    usage: Mutex<Option<Usage>>,
}

type Shared = Arc<InFlight>;

/// The judge with what a run of grades shares: prompts, the cache key's
/// parts, the answers in flight, and whether storage has failed.
pub struct JudgeGrader {
    judge: OpenAiJudge,
    templates: Templates,
    base_url: String,
    in_flight: Mutex<HashMap<String, Shared>>,
    stopped: AtomicBool,
    /// The format rung the store remembers for this server; stored again
    /// when the judge settles on another.
    settled: Mutex<Option<Format>>,
}

/// How long a server's format rung is trusted before the ladder is tried
/// again from the top.
pub const FORMAT_MEMORY_DAYS: i64 = 7;

impl JudgeGrader {
    /// `base_url` is the URL as shown (user-info masked): it names the server
    /// in the cache key and in the store, never with its password.
    pub fn new(judge: OpenAiJudge, templates: Templates, base_url: &str) -> JudgeGrader {
        JudgeGrader {
            judge,
            templates,
            base_url: base_url.to_string(),
            in_flight: Mutex::default(),
            stopped: AtomicBool::new(false),
            settled: Mutex::default(),
        }
    }

    /// Starts at the rung the store remembers for this server and model, if
    /// it was settled in the last `FORMAT_MEMORY_DAYS` days.
    pub fn recall_format(&self, store: &Store) {
        let since = store.clock().now() - chrono::Duration::days(FORMAT_MEMORY_DAYS);
        let remembered = store
            .remembered_format(&self.base_url, self.model(), since)
            .ok()
            .flatten()
            .and_then(|f| Format::parse(&f));
        if let Some(format) = remembered {
            self.judge.set_format(format);
            *self.settled.lock().unwrap_or_else(PoisonError::into_inner) = Some(format);
        }
    }

    /// Stores the rung the judge answered on, when it is not the one stored.
    fn settle_format(&self, store: &Store) {
        let now = self.judge.format();
        let mut settled = self.settled.lock().unwrap_or_else(PoisonError::into_inner);
        if *settled != Some(now)
            && store
                .remember_format(&self.base_url, self.model(), now.as_str())
                .is_ok()
        {
            *settled = Some(now);
        }
    }

    /// The rung of the format ladder the judge is on.
    pub fn format(&self) -> Format {
        self.judge.format()
    }

    pub fn model(&self) -> &str {
        &self.judge.model
    }

    pub fn judge(&self) -> &OpenAiJudge {
        &self.judge
    }

    /// Grades one stored attempt with the judge and records the verdict.
    /// A `Send` future, so a session can grade in the background.
    pub async fn grade(
        &self,
        store: &Store,
        job: Job<'_>,
    ) -> Result<(Verdict, GradedBy), GradeError> {
        if job.answer.trim().is_empty() {
            return record_empty(store, job).inspect_err(|_| self.stop());
        }
        let verdict = self.verdict(store, job).await?;
        let by = GradedBy::Judge(self.model().to_string());
        record(store, job, &verdict, &by).inspect_err(|_| self.stop())?;
        Ok((verdict, by))
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// The checked verdict: from the cache, from an identical answer in
    /// flight, or from the judge. A failure is stored with the attempt.
    async fn verdict(&self, store: &Store, job: Job<'_>) -> Result<Verdict, GradeError> {
        if self.stopped.load(Ordering::SeqCst) {
            return Err(GradeError::Stopped);
        }
        let key = cache_key(
            self.model(),
            &self.base_url,
            &self.templates,
            job.question,
            job.answer,
        );
        let cached = store
            .cached_verdict(&key)
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_value::<RawVerdict>(v).ok());
        let (raw, usage) = match cached {
            Some(raw) => (raw, None),
            None => match self.ask_once(&key, job).await {
                Ok((raw, usage)) => {
                    self.settle_format(store);
                    let value = serde_json::to_value(&raw).unwrap_or_default();
                    store.cache_verdict(&key, &value).map_err(|e| {
                        self.stop();
                        GradeError::Storage(store.write_error("store the verdict", &e))
                    })?;
                    (raw, usage)
                }
                Err(err) => {
                    let _ = store.record_failure(job.attempt_id, &err.to_string());
                    return Err(GradeError::Judge(err));
                }
            },
        };
        // Quotes are compared with the answer as the judge's text was masked.
        let answer = self.judge.mask(job.answer);
        let mut verdict = finalize(raw, job.question, &answer);
        verdict.usage = usage;
        Ok(verdict)
    }

    /// Asks the judge, sharing one request among identical answers in flight.
    async fn ask_once(
        &self,
        key: &str,
        job: Job<'_>,
    ) -> Result<(RawVerdict, Option<Usage>), AskError> {
        let shared: Shared = Arc::clone(
            self.in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.to_string())
                .or_default(),
        );
        let result = shared
            .outcome
            .get_or_init(|| async {
                let (raw, usage) =
                    ask(&self.judge, &self.templates, job.question, job.answer).await?;
                *shared.usage.lock().unwrap_or_else(PoisonError::into_inner) = Some(usage);
                Ok(raw)
            })
            .await
            .clone();
        let usage = shared
            .usage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Once answered, later identical answers find the cache instead.
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        result.map(|raw| (raw, usage))
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
    // Cues are the key points' own words: a pasted rubric matches them all.
    verdict.flags = crate::judge::answer_flags(question, answer);
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
