//! One module per command, named like the command line (`bank/` for its
//! group). Each takes the run context and its own flags; none parses flags
//! or exits. `flow` is the session loop that practice, review and interview
//! share.

pub mod audio;
pub mod bank;
pub mod calibrate;
pub mod config;
pub mod doctor;
pub mod export;
pub mod grade;
pub mod help;
pub mod history;
pub mod interview;
pub mod jobs;
pub mod list;
pub mod practice;
pub mod regrade;
pub mod report;
pub mod review;
pub mod sessions;
pub mod show;
pub mod stats;
pub mod topics;
pub mod usage;

use crate::cli::Command;
use crate::context::Context;
use crate::error::Result;

/// Runs one command.
pub fn run(ctx: &Context, command: &Command) -> Result<()> {
    match command {
        Command::Practice(a) => practice::run(ctx, a),
        Command::Interview(a) => interview::run(ctx, a),
        Command::Review(a) => review::run(ctx, a),
        Command::Grade(a) => grade::run(ctx, a),
        Command::Regrade(a) => regrade::run(ctx, a),
        Command::Topics(a) => topics::run(ctx, a.json),
        Command::List(a) => list::run(ctx, a),
        Command::Show(a) => show::run(ctx, a),
        Command::History(a) => history::run(ctx, a),
        Command::Stats(a) => stats::run(ctx, a.json),
        Command::Report(a) => report::run(ctx, a),
        Command::Sessions(a) => sessions::run(ctx, a),
        Command::Usage(a) => usage::run(ctx, a),
        Command::Jobs(a) => jobs::run(ctx, a),
        Command::Export(a) => export::run(ctx, a),
        Command::Completions(a) => help::completions(a.shell),
        Command::Man => help::man(),
        Command::Bank(b) => bank::run(ctx, b),
        Command::Config(a) => config::run(ctx, a),
        Command::Doctor(a) => doctor::run(ctx, &a.out),
        Command::Calibrate(a) => calibrate::run(ctx, a),
    }
}
