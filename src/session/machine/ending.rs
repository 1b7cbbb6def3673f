//! How a session ends: an interview collects the grades running in the
//! background, then has the candidate grade the answers left to grade by
//! hand, before the report.

use super::{Phase, Session};
use crate::session::events::{Effect, Kind, Show};

impl Session {
    /// The session stops asking: an interview then collects its grades.
    pub(super) fn stop(&mut self) -> Effect {
        if self.setup.kind != Kind::Interview {
            return self.finish();
        }
        if !self.judged.is_empty() {
            self.phase = Phase::Waiting;
            return Effect::WaitForJudge {
                attempts: std::mem::take(&mut self.judged),
            };
        }
        self.self_grade_late()
    }

    pub(super) fn self_grade_late(&mut self) -> Effect {
        if self.late.is_empty() {
            return self.finish();
        }
        self.phase = Phase::Heading;
        Effect::SelfGradeHeading
    }

    pub(super) fn late_grade(&mut self, i: usize) -> Effect {
        let Some((index, attempt, text)) = self.late.get(i).cloned() else {
            return self.finish();
        };
        self.phase = Phase::LateGrading(i);
        Effect::Grade {
            index,
            attempt,
            text,
            show: Show::Late,
        }
    }
}
