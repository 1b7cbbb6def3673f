//! Spoken answers (`--voice`) in the machine: a transcript taken is stored,
//! kept with its recording, graded, and its delivery shown after the
//! grade; one not taken sends the candidate to the keyboard for the same
//! question, in the time it had.

use std::time::Duration;

use super::tests::{setup, Run};
use super::*;

fn voiced(kind: Kind, questions: usize) -> Run {
    Run::new(Setup {
        voice: true,
        ..setup(kind, questions)
    })
}

fn spoken(text: &str, paused: u64) -> Event {
    Event::Spoken {
        text: text.into(),
        seconds: 20.0,
        cut_off: false,
        paused: Duration::from_secs(paused),
    }
}

fn type_instead(lasting: bool) -> Event {
    Event::TypeInstead {
        seconds: 7.0,
        paused: Duration::ZERO,
        lasting,
    }
}

fn voice_of(effect: &Effect) -> Option<(usize, bool)> {
    match effect {
        Effect::Ask { index, voice, .. } => Some((*index, *voice)),
        _ => None,
    }
}

#[test]
fn a_spoken_answer_is_stored_kept_graded_and_its_delivery_shown_after_the_grade() {
    let mut run = voiced(Kind::Practice, 2);
    assert_eq!(voice_of(&run.send(Event::Start)), Some((0, true)));
    assert!(matches!(
        run.send(spoken("heard", 0)),
        Effect::Store { index: 0, ref text, seconds, .. } if text == "heard" && seconds == 20.0
    ));
    assert_eq!(
        run.send(Event::Stored(3)),
        Effect::KeepSpoken {
            index: 0,
            attempt: 3
        }
    );
    assert!(matches!(
        run.send(Event::Done),
        Effect::Grade {
            attempt: 3,
            show: Show::Now,
            ..
        }
    ));
    assert_eq!(
        run.graded(Graded::Done),
        Effect::ShowDelivery {
            index: 0,
            attempt: 3
        }
    );
    assert!(matches!(run.send(Event::Done), Effect::OfferNext { .. }));
    // The next question is spoken too.
    assert_eq!(
        voice_of(&run.send(Event::Choice(Choice::Next))),
        Some((1, true))
    );
}

#[test]
fn a_typed_answer_in_a_voice_session_is_neither_kept_nor_given_a_delivery() {
    let mut run = voiced(Kind::Practice, 1);
    run.send(Event::Start);
    run.text("typed");
    assert!(matches!(run.send(Event::Stored(1)), Effect::Grade { .. }));
    assert!(matches!(run.graded(Graded::Done), Effect::OfferNext { .. }));
}

#[test]
fn a_spoken_answer_not_taken_is_typed_for_the_same_question_with_its_time_counted() {
    let mut run = voiced(Kind::Practice, 2);
    run.send(Event::Start);
    assert_eq!(voice_of(&run.send(type_instead(false))), Some((0, false)));
    assert!(matches!(
        run.text("typed"),
        Effect::Store { seconds, .. } if seconds == 12.0
    ));
    run.send(Event::Stored(1));
    run.graded(Graded::Done);
    // Not lasting: the next answer is spoken again.
    assert_eq!(
        voice_of(&run.send(Event::Choice(Choice::Next))),
        Some((1, true))
    );
}

#[test]
fn after_a_lasting_failure_every_answer_is_typed() {
    let mut run = voiced(Kind::Practice, 2);
    run.send(Event::Start);
    run.send(type_instead(true));
    run.stored("typed", 1);
    run.graded(Graded::Done);
    assert_eq!(
        voice_of(&run.send(Event::Choice(Choice::Next))),
        Some((1, false))
    );
}

#[test]
fn in_an_interview_transcription_time_is_given_back_and_no_delivery_is_shown() {
    let mut run = voiced(Kind::Interview, 2);
    run.send(Event::Start);
    let Effect::Ask { deadline, .. } = run.send(Event::Plan(true)) else {
        panic!()
    };
    // Typed instead within the same deadline, moved on by the time stopped.
    let retyped = run.after(30).send(Event::TypeInstead {
        seconds: 25.0,
        paused: Duration::from_secs(5),
        lasting: false,
    });
    match retyped {
        Effect::Ask {
            index: 0,
            deadline: again,
            limit,
            voice: false,
            ..
        } => {
            assert_eq!(again, deadline.map(|d| d + Duration::from_secs(5)));
            assert_eq!(limit, Some(Duration::from_secs(275)));
        }
        other => panic!("{other:?}"),
    }
    run.after(10).send(spoken("heard", 2));
    assert!(matches!(
        run.send(Event::Stored(4)),
        Effect::KeepSpoken { attempt: 4, .. }
    ));
    assert!(matches!(
        run.send(Event::Done),
        Effect::GradeInBackground { attempt: 4, .. }
    ));
    // 600 + 7 s stopped − 40 s gone: 567 s for the last question.
    match run.send(Event::Done) {
        Effect::Ask {
            index: 1,
            limit,
            voice: true,
            ..
        } => assert_eq!(limit, Some(Duration::from_secs(567))),
        other => panic!("{other:?}"),
    }
}
