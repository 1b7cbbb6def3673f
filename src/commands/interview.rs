//! `grill interview`: a timed mock. Each question gets its share of the time
//! left; at the limit the answer is cut off and graded as it stands. The
//! judge grades in the background while the next question is asked;
//! self-grading waits until the end, so the clock never runs during it.

use std::time::Duration;

use crate::cli::InterviewArgs;
use crate::context::Context;
use crate::drive::{self, plan, Runner};
use crate::error::{Error, Result};
use crate::session::{self, Filter, Kind, Setup};
use crate::store::SessionKind;

pub fn run(ctx: &Context, args: &InterviewArgs) -> Result<()> {
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        return Err(Error::input(format!(
            "--minutes must be a positive number of minutes (fractions allowed), not {}",
            args.minutes
        ))
        .with_hint("for example --minutes 30, or --minutes 0.5 for thirty seconds"));
    }
    let bank = ctx.bank()?;
    let filter = Filter {
        topics: args.topics.clone(),
        questions: args.questions.clone(),
        difficulty: args.difficulty.map(Into::into),
    };
    let ordered = plan(ctx, bank, &filter, None)?;
    let questions = if args.questions.is_empty() {
        session::spread(&ordered, args.count)
    } else {
        ordered
    };
    let mut runner = Runner::start(ctx, SessionKind::Interview, args.samples)?;
    runner.set_follow_ups(args.follow_ups);
    runner.voice = args.voice;
    let setup = Setup {
        length: Some(Duration::from_secs_f64(args.minutes * 60.0)),
        min_follow_up: min_follow_up(),
        ..runner.setup(Kind::Interview, questions.len())
    };
    drive::run(&mut runner, &questions, setup)
}

/// The least time a follow-up gets; taken from the interview's reserve when
/// the question's own time is shorter, or the follow-up is not asked. A
/// minute, unless the hidden `GRILL_FOLLOW_UP_MIN_MS` says (the tests cut a
/// follow-up off at the clock without waiting a minute).
fn min_follow_up() -> Duration {
    std::env::var("GRILL_FOLLOW_UP_MIN_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(60), Duration::from_millis)
}
