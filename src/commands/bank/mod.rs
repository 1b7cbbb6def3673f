//! `grill bank check|import|new`: the commands that read and write banks.

pub mod check;
pub mod import;
pub mod new;

use crate::cli::BankCommand;
use crate::context::Context;
use crate::error::Result;

pub fn run(ctx: &Context, command: &BankCommand) -> Result<()> {
    match command {
        BankCommand::Check { dirs, .. } => check::run(ctx, dirs),
        BankCommand::Import {
            file,
            out,
            topic,
            merge,
            use_judge,
            ..
        } => import::run(
            ctx,
            file,
            out,
            &import::Options {
                topic: topic.as_deref(),
                merge: *merge,
                use_judge: *use_judge,
            },
        ),
        BankCommand::New { topic } => new::run(topic.as_deref()),
    }
}
