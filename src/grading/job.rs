//! One stored answer to grade, how a grade can fail, and the one way every
//! grader writes its verdict (`Store::record_graded`: verdict, score, grader
//! and review card in one transaction).

use crate::bank::Question;
use crate::error::Error;
use crate::provider::ask::{empty_answer_verdict, AskError};
use crate::store::{GradedBy, Store};
use crate::verdict::Verdict;

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

/// An empty answer scores 0 without a grader: nothing to send or to mark.
pub fn record_empty(store: &Store, job: Job<'_>) -> Result<(Verdict, GradedBy), GradeError> {
    let verdict = empty_answer_verdict(job.question);
    record(store, job, &verdict, &GradedBy::Empty)?;
    Ok((verdict, GradedBy::Empty))
}

/// Writes a verdict; a failure is a storage error that stops the run. An
/// attempt graded meanwhile (by another grill) keeps its first grade.
pub fn record(
    store: &Store,
    job: Job<'_>,
    verdict: &Verdict,
    by: &GradedBy,
) -> Result<(), GradeError> {
    store
        .record_graded(job.attempt_id, &job.question.id, verdict, by)
        .map(|_| ())
        .map_err(|e| GradeError::Storage(store.write_error("store the verdict", &e)))
}
