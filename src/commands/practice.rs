//! `grill practice`: untimed questions, one at a time, each graded at once.

use crate::cli::PracticeArgs;
use crate::context::Context;
use crate::drive::{self, plan, Runner};
use crate::error::Result;
use crate::session::{Filter, Kind};
use crate::store::SessionKind;

pub fn run(ctx: &Context, args: &PracticeArgs) -> Result<()> {
    let bank = ctx.bank()?;
    let filter = Filter {
        topics: args.topics.clone(),
        questions: args.questions.clone(),
        difficulty: args.difficulty.map(Into::into),
    };
    let mut questions = plan(ctx, bank, &filter, args.order.map(Into::into))?;
    let count = args.count.unwrap_or(if args.questions.is_empty() {
        5
    } else {
        questions.len()
    });
    questions.truncate(count);
    let mut runner = Runner::start(ctx, SessionKind::Practice, args.samples)?;
    runner.set_follow_ups(args.follow_ups);
    runner.voice = args.voice;
    let setup = runner.setup(Kind::Practice, questions.len());
    drive::run(&mut runner, &questions, setup)
}
