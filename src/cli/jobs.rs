//! The flags of the commands about cost: `grill usage`.

use clap::Args;

use super::shared::DbArgs;

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Only the last N days (today included) [default: all time]
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}
