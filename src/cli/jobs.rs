//! The flags of the commands about cost: `grill usage`, and `grill jobs`
//! (grading through the Batch API, at the batch discount).

use clap::{Args, Subcommand};

use super::shared::{BankArgs, DbArgs, JudgeArgs};

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Only the last N days (today included) [default: all time]
    #[arg(long, value_name = "N", value_parser = super::shared::at_least_one::<u32>)]
    pub days: Option<u32>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// `grill jobs`: the Batch API jobs, and what to do with one.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JobsArgs {
    #[command(subcommand)]
    pub command: Option<JobsCommand>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Wait for a job's batches to finish, then collect it
    #[command(after_help = "Example:\n  grill jobs wait 3 > results.jsonl")]
    Wait(JobArgs),
    /// Store a finished job's verdicts and print its results, one JSON line per answer
    #[command(after_help = "Example:\n  grill jobs collect 3 > results.jsonl")]
    Collect(JobArgs),
    /// Cancel a job's batches; what finished is kept, the rest stays saved for `grill regrade`
    #[command(after_help = "Example:\n  grill jobs cancel 3")]
    Cancel(JobArgs),
}

/// One job, and what reaching the judge needs.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// The job's number, as `grill jobs` lists it
    #[arg(value_name = "ID")]
    pub id: i64,
    /// Answers re-asked live at once, when a verdict from the batch is invalid
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = super::shared::at_least_one::<usize>)]
    pub concurrency: usize,
    /// Ask answers the batch refused for a request field the model does not
    /// take live, at the full price, instead of sending them again as a new
    /// batch (the default)
    #[arg(long)]
    pub refused_live: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}
