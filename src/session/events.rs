//! The words a session is driven in: its setup, the events that happen
//! and the effects it asks for.

use std::time::{Duration, Instant};

/// Which kind of session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Practice,
    Review,
    Interview,
}

/// What a session is set up with, decided before the first question.
#[derive(Debug, Clone)]
pub struct Setup {
    pub kind: Kind,
    /// Questions planned.
    pub questions: usize,
    /// A person at a terminal: prompts and confirmations are asked.
    pub interactive: bool,
    /// Follow-up rounds per answer with points left open.
    pub follow_ups: u8,
    /// The judge grades (rather than the candidate or the keyword estimate).
    pub judging: bool,
    /// The interview's length; `None` for an untimed session.
    pub length: Option<Duration>,
    /// The least time a follow-up in an interview gets.
    pub min_follow_up: Duration,
    /// `--voice`: answers are spoken, recorded and transcribed.
    pub voice: bool,
}

/// How a question asked got no answer to grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// `:skip`.
    Skipped,
    /// Ctrl-C.
    Abandoned,
    /// `:quit`, Ctrl-D or the end of input while the question was open.
    Quit,
    /// SIGTERM or SIGHUP (its number) while the question was open.
    Ended(i32),
}

impl Left {
    /// The word stored with the attempt (`extra.ended`) and shown in reports.
    pub fn word(self) -> &'static str {
        match self {
            Left::Skipped => "skipped",
            Left::Abandoned => "abandoned",
            Left::Quit => "left",
            Left::Ended(_) => "ended",
        }
    }
}

/// The outcome of reading one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Text {
        text: String,
        /// The time limit ended the answer.
        cut_off: bool,
        /// How far past the limit it ended: the editor (`:edit`) cannot be
        /// cut off, so an answer written there may come back late.
        over: Duration,
    },
    Skip,
    /// `:quit`, or Ctrl-D / the end of input on an empty answer; `typed` is
    /// what was written and not submitted.
    Quit {
        typed: String,
    },
    /// Ctrl-C: the answer is abandoned; `typed` is what was on the screen.
    Abandoned {
        typed: String,
    },
    /// SIGTERM or SIGHUP: the session ends; `typed` is everything written
    /// so far, to be stored before anything else happens.
    Ended {
        typed: String,
        signal: i32,
    },
    /// The input cannot be read (not UTF-8).
    Invalid,
}

/// How grading an answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Graded {
    /// Graded, and the verdict shown (or kept for the report).
    Done,
    /// Graded by the judge; the full verdict waits until the follow-ups are
    /// done, so the model answer does not give the open points away.
    Held,
    /// The judge failed; `lasting` when it will fail the same way for every
    /// answer (the key refused, a 404, the server unreachable).
    Failed { lasting: bool },
    /// Ctrl-C while the judge worked, or self-grading left: saved ungraded.
    Stopped,
}

impl Graded {
    pub(super) fn counted(self) -> bool {
        matches!(self, Graded::Done | Graded::Held)
    }
}

/// How a follow-up round went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Asked, and answered or passed over.
    Asked,
    /// Nothing left to ask.
    Nothing,
    /// `:quit` or end of input during the round: the session ends.
    Quit,
}

/// What the candidate chose after a graded (or failed) answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Next,
    RetryGrade,
    RetryQuestion,
    Quit,
}

/// How a grade is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The verdict at once (practice, review).
    Now,
    /// Kept for the report; the clock is stopped while grading (interview).
    Quiet,
    /// At the end of an interview, under the question and the answer given.
    Late,
}

/// What happened, in answer to the last effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The session begins.
    Start,
    /// An effect with no result of its own was performed.
    Done,
    /// The interview's plan was accepted (Enter) or refused.
    Plan(bool),
    /// An answer was read, in `seconds`.
    Answered {
        answer: Answer,
        seconds: f64,
    },
    /// A spoken answer was recorded, transcribed and accepted (perhaps
    /// edited) as `text`, in `seconds`; `paused` is how long the clock was
    /// stopped while it was transcribed.
    Spoken {
        text: String,
        seconds: f64,
        cut_off: bool,
        paused: Duration,
    },
    /// No spoken answer to take: the recorder or the transcription failed,
    /// nothing was heard, or the candidate chose to type. `lasting` when it
    /// will fail the same way for every answer (no recorder, no
    /// transcription server); `seconds` and `paused` as for `Spoken`.
    TypeInstead {
        seconds: f64,
        paused: Duration,
        lasting: bool,
    },
    /// The answer was stored as this attempt.
    Stored(i64),
    /// Grading ended; `paused` is how long the clock was stopped for it.
    Graded {
        graded: Graded,
        paused: Duration,
    },
    /// Whether a follow-up is due for the attempt.
    FollowUpDue(bool),
    /// A follow-up round ended; `paused` as for `Graded`.
    Round {
        round: Round,
        paused: Duration,
    },
    /// The answer to "leave the session?".
    Leave(bool),
    /// The answer to "grade the rest yourself?".
    SelfGrading(bool),
    Choice(Choice),
}

/// What the driver is to do next. Each is answered by one [`Event`].
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Say what the interview will be; answered by `Plan`.
    ShowPlan { questions: usize, length: Duration },
    /// Ask question `index` and read the answer, until `deadline` if there
    /// is one, starting from `draft`; answered by `Answered`, or, when
    /// `voice`, by `Spoken` or `TypeInstead` too.
    Ask {
        index: usize,
        limit: Option<Duration>,
        deadline: Option<Instant>,
        end: Option<Instant>,
        draft: String,
        voice: bool,
    },
    /// Store the answer before anything else happens to it; answered by `Stored`.
    Store {
        index: usize,
        text: String,
        seconds: f64,
        cut_off: bool,
        over: Duration,
    },
    /// Keep the transcript, the recording's path and the delivery figures
    /// of the spoken answer just stored; answered by `Done`.
    KeepSpoken { index: usize, attempt: i64 },
    /// Show how a spoken answer was delivered, after its grade; answered by `Done`.
    ShowDelivery { index: usize, attempt: i64 },
    /// Record a question that got no answer to grade; answered by `Done`.
    Unanswered {
        index: usize,
        typed: String,
        seconds: f64,
        left: Left,
    },
    /// Grade a stored answer; answered by `Graded`.
    Grade {
        index: usize,
        attempt: i64,
        text: String,
        show: Show,
    },
    /// Start the judge on a stored answer and go on; answered by `Done`.
    GradeInBackground {
        index: usize,
        attempt: i64,
        text: String,
    },
    /// Is a follow-up due? Answered by `FollowUpDue`.
    CheckFollowUp { index: usize, attempt: i64 },
    /// Ask one follow-up round; answered by `Round`.
    FollowUp {
        index: usize,
        attempt: i64,
        deadline: Option<Instant>,
        end: Option<Instant>,
    },
    /// Record that a due follow-up was not asked; answered by `Done`.
    FollowUpNotAsked {
        index: usize,
        attempt: i64,
        why: &'static str,
    },
    /// Show the verdict held back during the follow-ups; answered by `Done`.
    Reveal { index: usize, attempt: i64 },
    /// In a review, say which due points were recalled; answered by `Done`.
    ShowRecalled { index: usize, attempt: i64 },
    /// Ask whether to leave after Ctrl-C; answered by `Leave`.
    ConfirmLeave,
    /// Offer grading the rest by hand; answered by `SelfGrading`.
    OfferSelfGrading,
    /// Offer the next question or a retry; answered by `Choice`.
    OfferNext { ungraded: bool, last: bool },
    /// Say the interview's time ran out; answered by `Done`.
    TimeUp { not_reached: usize },
    /// Wait for the grades running in the background, then put the points
    /// their samples split on to the candidate; answered by `Done`.
    WaitForJudge { attempts: Vec<(usize, i64)> },
    /// Say that self-grading starts; answered by `Done`.
    SelfGradeHeading,
    /// Store what was typed and end the run with the signal's status.
    EndBySignal {
        index: usize,
        typed: String,
        seconds: f64,
        signal: i32,
    },
    /// The input cannot be read: end the run with an input error.
    InvalidInput,
    /// End the session and show its report.
    Finish,
}
