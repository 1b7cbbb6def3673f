//! The interview's transitions: the plan, the clock, follow-ups within the
//! time left, grades in the background.

use std::time::Duration;

use super::tests::{index_of, setup, Run};
use super::*;

#[test]
fn an_interview_shows_its_plan_and_leaving_there_finishes() {
    let mut run = Run::new(setup(Kind::Interview, 3));
    assert_eq!(
        run.send(Event::Start),
        Effect::ShowPlan {
            questions: 3,
            length: Duration::from_secs(600)
        }
    );
    assert_eq!(run.send(Event::Plan(false)), Effect::Finish);
}

#[test]
fn each_interview_question_gets_its_share_of_the_time_left() {
    let mut run = Run::new(setup(Kind::Interview, 3));
    run.send(Event::Start);
    match run.after(10).send(Event::Plan(true)) {
        Effect::Ask { limit, .. } => assert_eq!(limit, Some(Duration::from_secs(200))),
        other => panic!("{other:?}"),
    }
    run.after(50).text("a");
    assert!(matches!(
        run.send(Event::Stored(1)),
        Effect::GradeInBackground { attempt: 1, .. }
    ));
    // 550 s left for 2 questions.
    match run.send(Event::Done) {
        Effect::Ask {
            index: 1, limit, ..
        } => assert_eq!(limit, Some(Duration::from_secs(275))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn when_the_interview_time_is_up_the_rest_is_not_reached() {
    let mut run = Run::new(setup(Kind::Interview, 3));
    run.send(Event::Start);
    run.send(Event::Plan(true));
    // The clock expired while the answer was typed: it comes back cut off.
    run.after(700).send(Event::Answered {
        answer: Answer::Text {
            text: "cut".into(),
            cut_off: true,
            over: Duration::ZERO,
        },
        seconds: 700.0,
    });
    run.send(Event::Stored(1));
    assert_eq!(run.send(Event::Done), Effect::TimeUp { not_reached: 2 });
    assert_eq!(
        run.send(Event::Done),
        Effect::WaitForJudge {
            attempts: vec![(0, 1)]
        }
    );
    assert_eq!(run.send(Event::Done), Effect::Finish);
}

#[test]
fn an_interview_without_the_judge_self_grades_at_the_end() {
    let mut s = setup(Kind::Interview, 2);
    s.judging = false;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.send(Event::Plan(true));
    run.text("one");
    assert_eq!(index_of(&run.send(Event::Stored(1))), Some(1));
    run.text("two");
    assert_eq!(run.send(Event::Stored(2)), Effect::SelfGradeHeading);
    assert_eq!(
        run.send(Event::Done),
        Effect::Grade {
            index: 0,
            attempt: 1,
            text: "one".into(),
            show: Show::Late
        }
    );
    assert!(matches!(
        run.graded(Graded::Done),
        Effect::Grade {
            index: 1,
            attempt: 2,
            ..
        }
    ));
    assert_eq!(run.graded(Graded::Stopped), Effect::Finish);
}

#[test]
fn the_interview_clock_stops_while_the_judge_grades() {
    let mut s = setup(Kind::Interview, 2);
    s.follow_ups = 1;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.send(Event::Plan(true)); // 300 s each, ends at 600 s
    run.after(100).text("a");
    assert!(matches!(
        run.send(Event::Stored(1)),
        Effect::Grade {
            show: Show::Quiet,
            ..
        }
    ));
    // The judge took 30 s: the deadline and the end move on by as much.
    run.after(30).send(Event::Graded {
        graded: Graded::Done,
        paused: Duration::from_secs(30),
    });
    match run.send(Event::FollowUpDue(true)) {
        Effect::FollowUp { deadline, end, .. } => {
            assert_eq!(deadline, Some(run.t0 + Duration::from_secs(330)));
            assert_eq!(end, Some(run.t0 + Duration::from_secs(630)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_self_graded_interview_asks_follow_ups_on_the_clock_and_grades_at_the_end() {
    let mut s = setup(Kind::Interview, 2);
    s.follow_ups = 1;
    s.judging = false;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.send(Event::Plan(true)); // 300 s each
    run.after(100).text("a");
    assert!(matches!(
        run.send(Event::Stored(1)),
        Effect::CheckFollowUp { attempt: 1, .. }
    ));
    match run.send(Event::FollowUpDue(true)) {
        Effect::FollowUp { deadline, .. } => {
            assert_eq!(deadline, Some(run.t0 + Duration::from_secs(300)));
        }
        other => panic!("{other:?}"),
    }
    // No checklist while the clock runs: the next question.
    assert!(matches!(
        run.send(Event::Round {
            round: Round::Asked,
            paused: Duration::ZERO
        }),
        Effect::CheckFollowUp { attempt: 1, .. }
    ));
    assert!(matches!(
        run.send(Event::FollowUpDue(false)),
        Effect::Ask { index: 1, .. }
    ));
    run.stored("b", 2);
    // Time is short for the second one's follow-up: recorded, then the end.
    run.after(480);
    assert!(matches!(
        run.send(Event::FollowUpDue(true)),
        Effect::FollowUpNotAsked { attempt: 2, .. }
    ));
    assert_eq!(run.send(Event::Done), Effect::SelfGradeHeading);
    assert!(matches!(
        run.send(Event::Done),
        Effect::Grade {
            attempt: 1,
            show: Show::Late,
            ..
        }
    ));
}

#[test]
fn a_follow_up_gets_at_least_a_minute_from_the_interview_reserve() {
    let mut s = setup(Kind::Interview, 2);
    s.follow_ups = 1;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.send(Event::Plan(true));
    run.after(280).text("a"); // 20 s of the question's 300 left
    run.send(Event::Stored(1));
    run.graded(Graded::Done);
    match run.send(Event::FollowUpDue(true)) {
        Effect::FollowUp { deadline, .. } => {
            assert_eq!(deadline, Some(run.t0 + Duration::from_secs(340)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_follow_up_when_less_than_a_minute_is_left_in_the_interview() {
    let mut s = setup(Kind::Interview, 1);
    s.follow_ups = 1;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.send(Event::Plan(true));
    run.after(580).text("a");
    run.send(Event::Stored(1));
    run.graded(Graded::Done);
    assert!(matches!(
        run.send(Event::FollowUpDue(true)),
        Effect::FollowUpNotAsked { attempt: 1, .. }
    ));
    assert_eq!(run.send(Event::Done), Effect::Finish);
}

#[test]
fn time_spent_grading_a_follow_up_is_given_back() {
    let mut s = setup(Kind::Interview, 2);
    s.follow_ups = 2;
    let mut run = Run::new(s);
    run.send(Event::Start);
    run.send(Event::Plan(true));
    run.after(100).text("a");
    run.send(Event::Stored(1));
    run.graded(Graded::Done);
    run.send(Event::FollowUpDue(true));
    run.after(60).send(Event::Round {
        round: Round::Asked,
        paused: Duration::from_secs(20),
    });
    match run.send(Event::FollowUpDue(true)) {
        Effect::FollowUp { deadline, end, .. } => {
            assert_eq!(deadline, Some(run.t0 + Duration::from_secs(320)));
            assert_eq!(end, Some(run.t0 + Duration::from_secs(620)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_interview_ctrl_c_then_no_goes_on_to_the_next_question() {
    let mut run = Run::new(setup(Kind::Interview, 3));
    run.send(Event::Start);
    run.send(Event::Plan(true));
    run.answer(Answer::Abandoned { typed: "x".into() });
    assert!(matches!(
        run.send(Event::Leave(false)),
        Effect::Unanswered {
            left: Left::Abandoned,
            ..
        }
    ));
    assert_eq!(index_of(&run.send(Event::Done)), Some(1));
}

#[test]
fn an_interview_quit_still_waits_for_the_background_grades() {
    let mut run = Run::new(setup(Kind::Interview, 3));
    run.send(Event::Start);
    run.send(Event::Plan(true));
    run.stored("a", 9);
    run.send(Event::Done);
    run.answer(Answer::Quit {
        typed: String::new(),
    });
    assert_eq!(
        run.send(Event::Done),
        Effect::WaitForJudge {
            attempts: vec![(0, 9)]
        }
    );
}
