//! The session's decisions about spoken answers (`--voice`): a transcript
//! accepted is an answer like a typed one, kept with its recording once
//! stored; a spoken answer not taken sends the candidate to the keyboard
//! for the same question, in the time it had.

use std::time::Duration;

use super::{Phase, Session};
use crate::session::events::{Answer, Effect, Event};

impl Session {
    /// After `Spoken` or `TypeInstead` (the driver's answer to a voice `Ask`).
    pub(super) fn said(&mut self, event: Event) -> Effect {
        match event {
            Event::Spoken {
                text,
                seconds,
                cut_off,
                paused,
            } => {
                self.pause(paused);
                self.spoken = true;
                let answer = Answer::Text {
                    text,
                    cut_off,
                    over: Duration::ZERO,
                };
                self.answered(answer, seconds)
            }
            Event::TypeInstead {
                seconds,
                paused,
                lasting,
            } => self.type_instead(seconds, paused, lasting),
            other => panic!("session: {other:?} is not a spoken answer"),
        }
    }

    /// The same question again, to be typed, until the deadline it had;
    /// after a lasting failure every answer is typed from now on.
    fn type_instead(&mut self, seconds: f64, paused: Duration, lasting: bool) -> Effect {
        self.pause(paused);
        self.spent += seconds;
        if lasting {
            self.setup.voice = false;
        }
        self.phase = Phase::Reading;
        Effect::Ask {
            index: self.index,
            limit: self.deadline.map(|d| d.saturating_duration_since(self.now)),
            deadline: self.deadline,
            end: self.end,
            draft: String::new(),
            voice: false,
        }
    }
}
