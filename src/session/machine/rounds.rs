//! A session's follow-up rounds: whether one is due, the time it gets in
//! an interview, and what comes after them (the held verdict, a spoken
//! answer's delivery, the review's recall note).

use super::{Phase, Session, Step};
use crate::session::events::{Effect, Kind};

impl Session {
    pub(super) fn check_follow_up(&mut self) -> Effect {
        self.phase = Phase::CheckingFollowUp;
        Effect::CheckFollowUp {
            index: self.index,
            attempt: self.attempt_id(),
        }
    }

    pub(super) fn attempt_id(&self) -> i64 {
        self.attempt.as_ref().map_or(0, |(id, _)| *id)
    }

    pub(super) fn follow_up(&mut self, due: bool) -> Effect {
        if !due {
            return self.after_rounds(Step::Reveal);
        }
        let now = self.now;
        if let (Some(end), Some(deadline)) = (self.end, self.deadline) {
            let least = self.setup.min_follow_up;
            if deadline.saturating_duration_since(now) < least {
                if end.saturating_duration_since(now) < least {
                    self.phase = Phase::AfterRounds(Step::Reveal);
                    return Effect::FollowUpNotAsked {
                        index: self.index,
                        attempt: self.attempt_id(),
                        why: "less than a minute was left in the interview",
                    };
                }
                self.deadline = Some(now + least);
            }
        }
        self.phase = Phase::InFollowUp;
        Effect::FollowUp {
            index: self.index,
            attempt: self.attempt_id(),
            deadline: self.deadline,
            end: self.end,
        }
    }

    /// After the follow-ups: the held verdict, the review's recall note,
    /// then what the kind of session does next.
    pub(super) fn after_rounds(&mut self, step: Step) -> Effect {
        let interview = self.setup.kind == Kind::Interview;
        match step {
            // The follow-ups asked before the grade are over: now the grade.
            Step::Reveal if self.before_grade => {
                self.before_grade = false;
                self.grade_stored()
            }
            Step::Reveal if self.held && !interview => {
                self.held = false;
                self.phase = Phase::AfterRounds(Step::Delivery);
                Effect::Reveal {
                    index: self.index,
                    attempt: self.attempt_id(),
                }
            }
            Step::Reveal => self.after_rounds(Step::Delivery),
            // An interview shows no grade until its report, so no delivery either.
            Step::Delivery if self.spoken && !interview => {
                self.spoken = false;
                self.phase = Phase::AfterRounds(Step::Recalled);
                Effect::ShowDelivery {
                    index: self.index,
                    attempt: self.attempt_id(),
                }
            }
            Step::Delivery => self.after_rounds(Step::Recalled),
            Step::Recalled if self.setup.kind == Kind::Review => {
                self.phase = Phase::AfterRounds(Step::Rest);
                Effect::ShowRecalled {
                    index: self.index,
                    attempt: self.attempt_id(),
                }
            }
            Step::Recalled | Step::Rest => {
                if self.quit {
                    return self.stop();
                }
                if interview {
                    return self.next_question();
                }
                self.offer()
            }
        }
    }
}
