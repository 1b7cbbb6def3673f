//! What grading one answer or many comes to: the answer's length check, the
//! JSON line of each result, and the tally behind a run's closing message
//! (shared by `grade --batch` and `regrade`).

use crate::bank::Question;
use crate::error::{Error, Result};
use crate::grading::{GradeError, Outcome, MAX_ANSWER_CHARS};
use crate::report::json::{Answer, Graded, NotGraded, ResultLine};

/// Checks an answer's text: valid length. `origin` names where it came from.
pub fn check_answer(text: &str, origin: &str) -> Result<()> {
    let chars = text.chars().count();
    if chars > MAX_ANSWER_CHARS {
        return Err(Error::input(format!(
            "the answer in {origin} is {chars} characters long; the limit is {MAX_ANSWER_CHARS}"
        )));
    }
    Ok(())
}

/// The JSON line of one graded or failed answer.
pub fn result_line<'a>(
    question: &'a Question,
    attempt_id: i64,
    result: &'a std::result::Result<Outcome, GradeError>,
) -> ResultLine<'a> {
    let id = question.id.as_str();
    let answer = match result {
        Ok(Outcome::Graded(verdict, by)) => Answer::Graded(Graded::new(id, by, verdict)),
        Ok(Outcome::NoEstimate) => {
            Answer::NotGraded(NotGraded::note(id, crate::grading::NO_ESTIMATE))
        }
        Ok(Outcome::Abandoned) => Answer::NotGraded(NotGraded::error(id, "abandoned")),
        Err(err) => Answer::NotGraded(NotGraded::error(id, err.to_string())),
    };
    ResultLine::new(answer, attempt_id)
}

/// What a run of grades came to, for the closing message (`regrade` too).
#[derive(Debug, Default)]
pub struct Tally {
    graded: usize,
    /// Answers to questions that ask for an example: saved for self-grading.
    not_estimated: usize,
    failed: usize,
    /// The first storage failure: everything after it stayed ungraded.
    storage: Option<Error>,
}

impl Tally {
    pub fn add(&mut self, result: std::result::Result<Outcome, GradeError>) {
        match result {
            Ok(Outcome::Graded(..)) => self.graded += 1,
            Ok(Outcome::NoEstimate) => self.not_estimated += 1,
            Ok(Outcome::Abandoned) | Err(GradeError::Judge(_) | GradeError::Stopped) => {
                self.failed += 1;
            }
            Err(GradeError::Storage(err)) => {
                self.failed += 1;
                self.storage.get_or_insert(err);
            }
        }
    }

    /// The run's error, if any: a storage failure first, with what was kept.
    /// Says, once, how many answers were left for self-grading.
    pub fn note_unestimated(&self) {
        if self.not_estimated > 0 {
            crate::ui::render::note(&format!(
                "{} to a question that asks for your own example: no keyword estimate; saved for `grill --offline regrade` in a terminal",
                crate::text::plural(self.not_estimated, "answer", "answers")
            ));
        }
    }

    pub fn stopped(&self) -> bool {
        self.storage.is_some()
    }

    pub fn into_result(self, total: usize) -> Result<()> {
        if let Some(err) = self.storage {
            let message = format!(
                "{}; {} of {total} answers graded and stored, grading stopped there",
                err.message, self.graded
            );
            return Err(Error::failure(message).with_hint(format!(
                "the other {} are saved ungraded: free space or fix the database, then `grill regrade`",
                total - self.graded
            )));
        }
        if self.failed > 0 {
            return Err(Error::failure(format!(
                "{} of {total} answers could not be graded",
                self.failed
            ))
            .with_hint("they are saved; `grill regrade` grades them later"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::GradedBy;

    #[test]
    fn a_storage_failure_says_what_was_kept_and_what_to_run() {
        let storage = Error::failure("cannot store the verdict in `x/grill.db`: the disk is full");
        let mut tally = Tally::default();
        tally.add(Ok(Outcome::Graded(
            crate::verdict::Verdict::default(),
            GradedBy::SelfCheck,
        )));
        tally.add(Err(GradeError::Storage(storage)));
        tally.add(Err(GradeError::Stopped));
        assert!(tally.stopped());
        let err = tally.into_result(3).unwrap_err();
        assert_eq!(
            err.message,
            "cannot store the verdict in `x/grill.db`: the disk is full; 1 of 3 answers graded and stored, grading stopped there"
        );
        assert!(
            err.hints[0].contains("the other 2 are saved ungraded"),
            "{:?}",
            err.hints
        );
        assert!(err.hints[0].contains("grill regrade"));
    }
}
