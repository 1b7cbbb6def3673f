//! A session as a state machine: the event that just happened goes in, the
//! one effect to perform next comes out. Practice, review and interview are
//! the same machine with a different [`Setup`]. Nothing here reads the
//! terminal, the clock, the network or the database: the driver performs each
//! effect, answers it with exactly one event, and passes `now` in.

use std::time::{Duration, Instant};

use super::events::{Answer, Choice, Effect, Event, Graded, Kind, Left, Round, Setup, Show};
use super::plan::question_limit;

mod ending;
mod rounds;
mod spoken;

/// What the machine waits for.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Begin,
    Planning,
    Reading,
    /// The answer's text, until the store names its attempt.
    Storing(String),
    /// The spoken answer's transcript being kept with its attempt.
    KeepingSpoken,
    Grading,
    CheckingFollowUp,
    InFollowUp,
    AfterRounds(Step),
    Leaving {
        typed: String,
        seconds: f64,
    },
    /// Waits for `Done`, then goes on.
    Then(After),
    OfferingSelf,
    OfferingNext,
    Waiting,
    Heading,
    LateGrading(usize),
    Over,
}

/// Where `AfterRounds` is: the reveal, a spoken answer's delivery and
/// the review's recall note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Reveal,
    Delivery,
    Recalled,
    Rest,
}

/// Where a session goes once an unanswered question is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Next,
    Stop,
}

/// A session in progress.
#[derive(Debug, Clone)]
pub struct Session {
    setup: Setup,
    phase: Phase,
    index: usize,
    end: Option<Instant>,
    deadline: Option<Instant>,
    /// The attempt being graded and its text.
    attempt: Option<(i64, String)>,
    graded: Graded,
    held: bool,
    quit: bool,
    draft: String,
    /// The answer being stored and graded was spoken (its delivery not yet shown).
    spoken: bool,
    /// Its follow-ups are asked before it is graded: a self-grade shows the
    /// model answer, which would answer them.
    before_grade: bool,
    /// Seconds spent on this question before its answer was typed instead
    /// of spoken, counted with the answer.
    spent: f64,
    /// Interview answers the judge grades in the background.
    judged: Vec<(usize, i64)>,
    /// Interview answers to self-grade at the end.
    late: Vec<(usize, i64, String)>,
    /// When the last event happened.
    now: Instant,
}

impl Session {
    /// A session about to start at `now`.
    pub fn new(setup: Setup, now: Instant) -> Session {
        Session {
            setup,
            phase: Phase::Begin,
            index: 0,
            end: None,
            deadline: None,
            attempt: None,
            graded: Graded::Done,
            held: false,
            quit: false,
            draft: String::new(),
            spoken: false,
            before_grade: false,
            spent: 0.0,
            judged: Vec::new(),
            late: Vec::new(),
            now,
        }
    }

    /// Whether the judge grades now (false once the candidate took over).
    pub fn judging(&self) -> bool {
        self.setup.judging
    }

    /// Whether the session has ended.
    pub fn over(&self) -> bool {
        self.phase == Phase::Over
    }

    /// The effect to perform after `event`, which happened at `now`.
    ///
    /// # Panics
    /// When the event does not answer the last effect: a driver bug.
    pub fn next(&mut self, event: Event, now: Instant) -> Effect {
        self.now = now;
        let phase = std::mem::replace(&mut self.phase, Phase::Over);
        match (phase, event) {
            (Phase::Begin, Event::Start) => match self.setup.length {
                Some(length) if self.setup.kind == Kind::Interview => {
                    self.phase = Phase::Planning;
                    Effect::ShowPlan {
                        questions: self.setup.questions,
                        length,
                    }
                }
                _ => self.ask(),
            },
            (Phase::Planning, Event::Plan(go)) => {
                if !go {
                    return self.finish();
                }
                self.end = self.setup.length.map(|l| self.now + l);
                self.ask()
            }
            (Phase::Reading, Event::Answered { answer, seconds }) => self.answered(answer, seconds),
            (Phase::Reading, said @ (Event::Spoken { .. } | Event::TypeInstead { .. })) => {
                self.said(said)
            }
            (Phase::Storing(text), Event::Stored(attempt)) => self.stored(attempt, text),
            (Phase::KeepingSpoken, Event::Done) => self.after_stored(),
            (Phase::Grading, Event::Graded { graded, paused }) => {
                self.pause(paused);
                self.graded = graded;
                self.held = graded == Graded::Held;
                self.after_grade()
            }
            (Phase::CheckingFollowUp, Event::FollowUpDue(due)) => self.follow_up(due),
            (Phase::InFollowUp, Event::Round { round, paused }) => {
                self.pause(paused);
                match round {
                    Round::Asked => self.check_follow_up(),
                    Round::Nothing => self.after_rounds(Step::Reveal),
                    Round::Quit => {
                        self.quit = true;
                        self.after_rounds(Step::Reveal)
                    }
                }
            }
            (Phase::AfterRounds(step), Event::Done) => self.after_rounds(step),
            (Phase::Leaving { typed, seconds }, Event::Leave(leave)) => {
                if leave {
                    return self.unanswered(typed, seconds, Left::Abandoned, After::Stop);
                }
                match self.setup.kind {
                    // The same question comes back with what was typed in
                    // the editor, to go on with: nothing is recorded, so the
                    // report lists the question once.
                    Kind::Practice | Kind::Review => {
                        self.draft = typed;
                        self.ask()
                    }
                    // The clock has moved on: the answer is recorded, and the
                    // interview goes on with the next question.
                    Kind::Interview => {
                        self.unanswered(typed, seconds, Left::Abandoned, After::Next)
                    }
                }
            }
            (Phase::Then(then), Event::Done) => match then {
                After::Next => self.next_question(),
                After::Stop => self.stop(),
            },
            (Phase::OfferingSelf, Event::SelfGrading(take)) => {
                if take {
                    self.setup.judging = false;
                    return self.grade(Show::Now);
                }
                self.offer_next()
            }
            (Phase::OfferingNext, Event::Choice(choice)) => match choice {
                Choice::Next => self.next_question(),
                Choice::Quit => self.stop(),
                Choice::RetryGrade => self.grade(Show::Now),
                Choice::RetryQuestion => self.ask(),
            },
            (Phase::Waiting, Event::Done) => self.self_grade_late(),
            (Phase::Heading, Event::Done) => self.late_grade(0),
            (Phase::LateGrading(i), Event::Graded { .. }) => self.late_grade(i + 1),
            (phase, event) => panic!("session: {event:?} does not answer {phase:?}"),
        }
    }

    fn ask(&mut self) -> Effect {
        let now = self.now;
        let (limit, deadline) = match self.end {
            Some(end) => {
                let limit = question_limit(
                    end.saturating_duration_since(now),
                    self.setup.questions - self.index,
                );
                (Some(limit), Some(now + limit))
            }
            None => (None, None),
        };
        self.deadline = deadline;
        self.attempt = None;
        self.held = false;
        self.spoken = false;
        self.before_grade = false;
        self.spent = 0.0;
        self.phase = Phase::Reading;
        Effect::Ask {
            index: self.index,
            limit,
            deadline,
            end: self.end,
            draft: std::mem::take(&mut self.draft),
            voice: self.setup.voice,
        }
    }

    fn answered(&mut self, answer: Answer, seconds: f64) -> Effect {
        let index = self.index;
        let seconds = seconds + std::mem::take(&mut self.spent);
        match answer {
            Answer::Text {
                text,
                cut_off,
                over,
            } => {
                self.phase = Phase::Storing(text.clone());
                Effect::Store {
                    index,
                    text,
                    seconds,
                    cut_off,
                    over,
                }
            }
            Answer::Skip => self.unanswered(String::new(), seconds, Left::Skipped, After::Next),
            Answer::Quit { typed } => self.unanswered(typed, seconds, Left::Quit, After::Stop),
            Answer::Abandoned { typed } if self.setup.interactive => {
                self.phase = Phase::Leaving { typed, seconds };
                Effect::ConfirmLeave
            }
            // Off a terminal there is no one to ask.
            Answer::Abandoned { typed } => {
                self.unanswered(typed, seconds, Left::Abandoned, After::Stop)
            }
            Answer::Ended { typed, signal } => Effect::EndBySignal {
                index,
                typed,
                seconds,
                signal,
            },
            Answer::Invalid => Effect::InvalidInput,
        }
    }

    fn unanswered(&mut self, typed: String, seconds: f64, left: Left, then: After) -> Effect {
        self.phase = Phase::Then(then);
        Effect::Unanswered {
            index: self.index,
            typed,
            seconds,
            left,
        }
    }

    fn stored(&mut self, attempt: i64, text: String) -> Effect {
        self.attempt = Some((attempt, text));
        if self.spoken {
            self.phase = Phase::KeepingSpoken;
            return Effect::KeepSpoken {
                index: self.index,
                attempt,
            };
        }
        self.after_stored()
    }

    /// A stored answer is graded now, in the background, or at the end.
    /// Graded by the candidate, its follow-ups come first: the checklist
    /// shows the model answer, after which every point would be "recovered".
    fn after_stored(&mut self) -> Effect {
        if !self.setup.judging && self.setup.follow_ups > 0 {
            self.before_grade = true;
            return self.check_follow_up();
        }
        self.grade_stored()
    }

    fn grade_stored(&mut self) -> Effect {
        let (attempt, text) = self.attempt.clone().unwrap_or_default();
        if self.setup.kind != Kind::Interview {
            return self.grade(Show::Now);
        }
        if self.setup.judging && self.setup.follow_ups > 0 {
            return self.grade(Show::Quiet);
        }
        if self.setup.judging {
            self.judged.push((self.index, attempt));
            self.phase = Phase::Then(After::Next);
            return Effect::GradeInBackground {
                index: self.index,
                attempt,
                text,
            };
        }
        // Self-grading waits until the end, so the clock never runs during it.
        self.late.push((self.index, attempt, text));
        if self.quit {
            return self.stop();
        }
        self.next_question()
    }

    fn grade(&mut self, show: Show) -> Effect {
        let (attempt, text) = self.attempt.clone().unwrap_or_default();
        self.phase = Phase::Grading;
        Effect::Grade {
            index: self.index,
            attempt,
            text,
            show,
        }
    }

    fn pause(&mut self, paused: Duration) {
        if let Some(end) = &mut self.end {
            *end += paused;
        }
        if let Some(deadline) = &mut self.deadline {
            *deadline += paused;
        }
    }

    fn after_grade(&mut self) -> Effect {
        // A self-grade's follow-ups were asked before it.
        if self.graded.counted() && self.setup.follow_ups > 0 && self.setup.judging {
            return self.check_follow_up();
        }
        if self.graded.counted() {
            return self.after_rounds(Step::Reveal);
        }
        self.offer()
    }

    /// After an answer's grade in practice or review: grading by hand when
    /// the judge will keep failing, then the next question or a retry.
    fn offer(&mut self) -> Effect {
        if self.setup.kind == Kind::Interview {
            return self.after_rounds(Step::Rest);
        }
        if self.graded == (Graded::Failed { lasting: true })
            && self.setup.interactive
            && self.setup.judging
        {
            self.phase = Phase::OfferingSelf;
            return Effect::OfferSelfGrading;
        }
        self.offer_next()
    }

    fn offer_next(&mut self) -> Effect {
        if !self.setup.interactive {
            return self.next_question();
        }
        self.phase = Phase::OfferingNext;
        Effect::OfferNext {
            ungraded: !self.graded.counted(),
            last: self.index + 1 == self.setup.questions,
        }
    }

    fn next_question(&mut self) -> Effect {
        self.index += 1;
        if self.index >= self.setup.questions {
            return self.stop();
        }
        if let Some(end) = self.end {
            if self.now >= end {
                self.phase = Phase::Then(After::Stop);
                let not_reached = self.setup.questions - self.index;
                self.index = self.setup.questions;
                return Effect::TimeUp { not_reached };
            }
        }
        self.ask()
    }

    fn finish(&mut self) -> Effect {
        self.phase = Phase::Over;
        Effect::Finish
    }
}
