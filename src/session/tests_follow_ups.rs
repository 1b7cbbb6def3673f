//! Follow-up rounds in the machine: after a counted grade, with the held
//! verdict after them; before a self-grade, whose model answer would give
//! them away.

use std::time::Duration;

use super::tests::{setup, Run};
use super::*;

#[test]
fn follow_ups_come_after_a_counted_grade_and_then_the_held_verdict() {
    let mut s = setup(Kind::Practice, 2);
    s.follow_ups = 1;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.stored("a", 3);
    assert_eq!(
        run.graded(Graded::Held),
        Effect::CheckFollowUp {
            index: 0,
            attempt: 3
        }
    );
    assert_eq!(
        run.send(Event::FollowUpDue(true)),
        Effect::FollowUp {
            index: 0,
            attempt: 3,
            deadline: None,
            end: None
        }
    );
    let again = run.send(Event::Round {
        round: Round::Asked,
        paused: Duration::ZERO,
    });
    assert_eq!(
        again,
        Effect::CheckFollowUp {
            index: 0,
            attempt: 3
        }
    );
    assert_eq!(
        run.send(Event::FollowUpDue(false)),
        Effect::Reveal {
            index: 0,
            attempt: 3
        }
    );
    assert!(matches!(run.send(Event::Done), Effect::OfferNext { .. }));
}

#[test]
fn no_follow_up_after_a_failed_grade() {
    let mut s = setup(Kind::Practice, 2);
    s.follow_ups = 2;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.stored("a", 3);
    assert!(matches!(
        run.graded(Graded::Stopped),
        Effect::OfferNext { ungraded: true, .. }
    ));
}

#[test]
fn quitting_during_a_follow_up_ends_after_the_reveal() {
    let mut s = setup(Kind::Practice, 3);
    s.follow_ups = 1;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.stored("a", 3);
    run.graded(Graded::Held);
    run.send(Event::FollowUpDue(true));
    assert!(matches!(
        run.send(Event::Round {
            round: Round::Quit,
            paused: Duration::ZERO
        }),
        Effect::Reveal { .. }
    ));
    assert_eq!(run.send(Event::Done), Effect::Finish);
}

#[test]
fn a_self_grade_asks_its_follow_ups_before_the_model_answer_is_shown() {
    let mut s = setup(Kind::Practice, 2);
    s.follow_ups = 2;
    s.judging = false;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.text("a");
    // No grade yet: the checklist would show the model answer.
    let check = Effect::CheckFollowUp {
        index: 0,
        attempt: 3,
    };
    assert_eq!(run.send(Event::Stored(3)), check);
    assert!(matches!(
        run.send(Event::FollowUpDue(true)),
        Effect::FollowUp { attempt: 3, .. }
    ));
    let asked = Event::Round {
        round: Round::Asked,
        paused: Duration::ZERO,
    };
    assert_eq!(run.send(asked), check);
    // The rounds are over: the answer is graded, its rounds with it, and
    // nothing more is asked after the model answer.
    assert!(matches!(
        run.send(Event::FollowUpDue(false)),
        Effect::Grade {
            show: Show::Now,
            ..
        }
    ));
    assert!(matches!(run.graded(Graded::Done), Effect::OfferNext { .. }));
    // Leaving in a round still grades what was answered, then ends.
    run.send(Event::Choice(Choice::Next));
    run.stored("b", 4);
    run.send(Event::FollowUpDue(true));
    assert!(matches!(
        run.send(Event::Round {
            round: Round::Quit,
            paused: Duration::ZERO
        }),
        Effect::Grade { attempt: 4, .. }
    ));
    assert_eq!(run.graded(Graded::Done), Effect::Finish);
}
