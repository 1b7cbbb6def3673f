//! The flags of the commands about grill itself: `grill config`,
//! `grill doctor` and `grill completions`.

use clap::Args;

use super::shared::{BankArgs, DbArgs, JudgeArgs};

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print a commented example config file instead
    #[arg(long, conflicts_with = "json")]
    pub example: bool,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub out: JsonArg,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
