//! The session's transitions, without a terminal: each test feeds events and
//! reads the effects the machine asks for.

use std::time::{Duration, Instant};

use super::*;

pub(super) fn setup(kind: Kind, questions: usize) -> Setup {
    Setup {
        kind,
        questions,
        interactive: true,
        follow_ups: 0,
        judging: true,
        length: (kind == Kind::Interview).then(|| Duration::from_secs(600)),
        min_follow_up: Duration::from_secs(60),
        voice: false,
    }
}

/// A machine and a clock the test moves by hand.
pub(super) struct Run {
    pub(super) session: Session,
    pub(super) t0: Instant,
    at: Duration,
}

impl Run {
    pub(super) fn new(setup: Setup) -> Run {
        let t0 = Instant::now();
        Run {
            session: Session::new(setup, t0),
            t0,
            at: Duration::ZERO,
        }
    }

    pub(super) fn after(&mut self, secs: u64) -> &mut Run {
        self.at += Duration::from_secs(secs);
        self
    }

    pub(super) fn send(&mut self, event: Event) -> Effect {
        self.session.next(event, self.t0 + self.at)
    }

    pub(super) fn text(&mut self, text: &str) -> Effect {
        self.send(Event::Answered {
            answer: Answer::Text {
                text: text.into(),
                cut_off: false,
                over: Duration::ZERO,
            },
            seconds: 5.0,
        })
    }

    /// `text` typed, then stored as attempt `attempt`: what the machine does next.
    pub(super) fn stored(&mut self, text: &str, attempt: i64) -> Effect {
        self.text(text);
        self.send(Event::Stored(attempt))
    }

    pub(super) fn answer(&mut self, answer: Answer) -> Effect {
        self.send(Event::Answered {
            answer,
            seconds: 5.0,
        })
    }

    pub(super) fn graded(&mut self, graded: Graded) -> Effect {
        self.send(Event::Graded {
            graded,
            paused: Duration::ZERO,
        })
    }
}

pub(super) fn index_of(effect: &Effect) -> Option<usize> {
    match effect {
        Effect::Ask { index, .. } => Some(*index),
        _ => None,
    }
}

/// Practice: start, answer "a", stored as attempt 7.
fn practice_graded(questions: usize) -> Run {
    let mut run = Run::new(setup(Kind::Practice, questions));
    assert_eq!(index_of(&run.send(Event::Start)), Some(0));
    assert!(matches!(run.text("a"), Effect::Store { index: 0, .. }));
    assert_eq!(
        run.send(Event::Stored(7)),
        Effect::Grade {
            index: 0,
            attempt: 7,
            text: "a".into(),
            show: Show::Now
        }
    );
    run
}

#[test]
fn practice_asks_the_first_question_untimed() {
    let mut run = Run::new(setup(Kind::Practice, 3));
    match run.send(Event::Start) {
        Effect::Ask {
            index,
            limit,
            deadline,
            draft,
            ..
        } => {
            assert_eq!((index, limit, deadline), (0, None, None));
            assert!(draft.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_answer_is_stored_before_it_is_graded() {
    let mut run = Run::new(setup(Kind::Practice, 1));
    run.send(Event::Start);
    let stored = run.text("my answer");
    assert_eq!(
        stored,
        Effect::Store {
            index: 0,
            text: "my answer".into(),
            seconds: 5.0,
            cut_off: false,
            over: Duration::ZERO
        }
    );
    assert!(matches!(
        run.send(Event::Stored(1)),
        Effect::Grade { attempt: 1, .. }
    ));
}

#[test]
fn after_a_grade_the_candidate_chooses_next_or_retry() {
    let mut run = practice_graded(2);
    assert_eq!(
        run.graded(Graded::Done),
        Effect::OfferNext {
            ungraded: false,
            last: false
        }
    );
    assert_eq!(index_of(&run.send(Event::Choice(Choice::Next))), Some(1));
}

#[test]
fn the_last_question_offers_no_next() {
    let mut run = practice_graded(1);
    assert_eq!(
        run.graded(Graded::Done),
        Effect::OfferNext {
            ungraded: false,
            last: true
        }
    );
    assert_eq!(run.send(Event::Choice(Choice::Next)), Effect::Finish);
    assert!(run.session.over());
}

#[test]
fn retrying_the_question_asks_it_again() {
    let mut run = practice_graded(2);
    run.graded(Graded::Done);
    assert_eq!(
        index_of(&run.send(Event::Choice(Choice::RetryQuestion))),
        Some(0)
    );
}

#[test]
fn a_failed_grade_can_be_retried_on_the_same_attempt() {
    let mut run = practice_graded(2);
    assert_eq!(
        run.graded(Graded::Failed { lasting: false }),
        Effect::OfferNext {
            ungraded: true,
            last: false
        }
    );
    assert!(matches!(
        run.send(Event::Choice(Choice::RetryGrade)),
        Effect::Grade { attempt: 7, .. }
    ));
}

#[test]
fn a_judge_failure_that_will_repeat_offers_self_grading() {
    let mut run = practice_graded(2);
    assert_eq!(
        run.graded(Graded::Failed { lasting: true }),
        Effect::OfferSelfGrading
    );
    assert!(matches!(
        run.send(Event::SelfGrading(true)),
        Effect::Grade { attempt: 7, .. }
    ));
    assert!(!run.session.judging(), "the rest is self-graded");
    // Self-grading fails no more in a lasting way: no second offer.
    assert!(matches!(run.graded(Graded::Done), Effect::OfferNext { .. }));
}

#[test]
fn declining_self_grading_goes_on_with_the_judge() {
    let mut run = practice_graded(2);
    run.graded(Graded::Failed { lasting: true });
    assert_eq!(
        run.send(Event::SelfGrading(false)),
        Effect::OfferNext {
            ungraded: true,
            last: false
        }
    );
    assert!(run.session.judging());
}

#[test]
fn piped_a_judge_failure_moves_on_without_asking() {
    let mut s = setup(Kind::Practice, 2);
    s.interactive = false;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.stored("a", 1);
    assert_eq!(
        index_of(&run.graded(Graded::Failed { lasting: true })),
        Some(1)
    );
}

#[test]
fn piped_answers_go_straight_to_the_next_question_and_finish() {
    let mut s = setup(Kind::Practice, 1);
    s.interactive = false;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.stored("a", 1);
    assert_eq!(run.graded(Graded::Done), Effect::Finish);
}

#[test]
fn skip_records_the_question_and_moves_on() {
    let mut run = Run::new(setup(Kind::Practice, 2));
    run.send(Event::Start);
    assert_eq!(
        run.answer(Answer::Skip),
        Effect::Unanswered {
            index: 0,
            typed: String::new(),
            seconds: 5.0,
            left: Left::Skipped
        }
    );
    assert_eq!(index_of(&run.send(Event::Done)), Some(1));
}

#[test]
fn quit_keeps_what_was_typed_and_finishes() {
    let mut run = Run::new(setup(Kind::Practice, 3));
    run.send(Event::Start);
    assert_eq!(
        run.answer(Answer::Quit {
            typed: "half".into()
        }),
        Effect::Unanswered {
            index: 0,
            typed: "half".into(),
            seconds: 5.0,
            left: Left::Quit
        }
    );
    assert_eq!(run.send(Event::Done), Effect::Finish);
}

#[test]
fn eof_on_an_empty_answer_ends_like_quit() {
    let mut s = setup(Kind::Review, 2);
    s.interactive = false;
    let mut run = Run::new(s);
    run.send(Event::Start);
    assert!(matches!(
        run.answer(Answer::Quit {
            typed: String::new()
        }),
        Effect::Unanswered {
            left: Left::Quit,
            ..
        }
    ));
    assert_eq!(run.send(Event::Done), Effect::Finish);
}

#[test]
fn ctrl_c_asks_before_leaving_and_leaving_records_the_text() {
    let mut run = Run::new(setup(Kind::Practice, 2));
    run.send(Event::Start);
    assert_eq!(
        run.answer(Answer::Abandoned {
            typed: "draft".into()
        }),
        Effect::ConfirmLeave
    );
    assert_eq!(
        run.send(Event::Leave(true)),
        Effect::Unanswered {
            index: 0,
            typed: "draft".into(),
            seconds: 5.0,
            left: Left::Abandoned
        }
    );
    assert_eq!(run.send(Event::Done), Effect::Finish);
}

#[test]
fn ctrl_c_then_leave_no_brings_the_question_back_with_its_text() {
    let mut run = Run::new(setup(Kind::Practice, 2));
    run.send(Event::Start);
    run.answer(Answer::Abandoned {
        typed: "draft".into(),
    });
    // Nothing is recorded: the text goes back into the editor.
    match run.send(Event::Leave(false)) {
        Effect::Ask { index, draft, .. } => {
            assert_eq!(index, 0);
            assert_eq!(draft, "draft");
        }
        other => panic!("{other:?}"),
    }
    // The draft is given once.
    run.answer(Answer::Skip);
    match run.send(Event::Done) {
        Effect::Ask { index, draft, .. } => assert_eq!((index, draft.as_str()), (1, "")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn piped_ctrl_c_records_and_leaves_without_asking() {
    let mut s = setup(Kind::Practice, 2);
    s.interactive = false;
    let mut run = Run::new(s);
    run.send(Event::Start);
    assert!(matches!(
        run.answer(Answer::Abandoned { typed: "x".into() }),
        Effect::Unanswered {
            left: Left::Abandoned,
            ..
        }
    ));
    assert_eq!(run.send(Event::Done), Effect::Finish);
}

#[test]
fn a_signal_while_reading_stores_the_text_and_ends() {
    let mut run = Run::new(setup(Kind::Interview, 2));
    run.send(Event::Start);
    run.send(Event::Plan(true));
    assert_eq!(
        run.answer(Answer::Ended {
            typed: "typed".into(),
            signal: 15
        }),
        Effect::EndBySignal {
            index: 0,
            typed: "typed".into(),
            seconds: 5.0,
            signal: 15
        }
    );
}

#[test]
fn input_that_is_not_text_ends_with_an_input_error() {
    let mut run = Run::new(setup(Kind::Practice, 2));
    run.send(Event::Start);
    assert_eq!(run.answer(Answer::Invalid), Effect::InvalidInput);
}

#[test]
fn a_review_says_which_due_points_were_recalled() {
    let mut run = Run::new(setup(Kind::Review, 2));
    run.send(Event::Start);
    run.stored("a", 4);
    assert_eq!(
        run.graded(Graded::Done),
        Effect::ShowRecalled {
            index: 0,
            attempt: 4
        }
    );
    assert!(matches!(run.send(Event::Done), Effect::OfferNext { .. }));
}

#[test]
#[should_panic(expected = "does not answer")]
fn an_event_out_of_turn_is_a_driver_bug() {
    let mut run = Run::new(setup(Kind::Practice, 1));
    run.send(Event::Stored(1));
}
