//! The flags of the commands that read the bank and the store: `topics`,
//! `list`, `show`, `history`, `stats`, `sessions`, `report` and `export`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::shared::{self, BankArgs, DbArgs};

#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub bank: BankArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this topic
    #[arg(long, value_name = "T")]
    pub topic: Option<String>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub bank: BankArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Question id, as shown by `grill list`
    #[arg(required_unless_present = "attempt", conflicts_with = "attempt")]
    pub id: Option<String>,
    /// Open a past attempt instead: its answer, the full verdict and the
    /// model answer (numbers in `grill report` and `grill history`)
    #[arg(long, value_name = "N")]
    pub attempt: Option<i64>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this topic
    #[arg(long, value_name = "T")]
    pub topic: Option<String>,
    /// Only this question, with how its answers evolved
    #[arg(long, value_name = "ID")]
    pub question: Option<String>,
    /// At most N attempts
    #[arg(value_parser = shared::at_least_one::<usize>, long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    /// Delete grill's recordings of spoken answers older than DAYS days (kept ones stay)
    #[arg(long = "prune-audio", value_name = "DAYS")]
    pub prune_audio: Option<u32>,
    /// Keep the recording of attempt ID: moved to the audio directory's kept/, never pruned (repeatable)
    #[arg(long = "keep-audio", value_name = "ID")]
    pub keep_audio: Vec<i64>,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// At most N sessions, the newest first
    #[arg(value_parser = shared::at_least_one::<usize>, long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Session number (default: the last session)
    pub session: Option<i64>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Show each question's model answer in the text debrief (Markdown folds them in <details>)
    #[arg(long)]
    pub model_answer: bool,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The questions as Anki notes: question, model answer and key points, tags
    Anki,
    /// Every stored answer, one row each, with its grade
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: ExportFormat,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only this topic (repeatable)
    #[arg(long = "topic", value_name = "T")]
    pub topics: Vec<String>,
    /// Replace the file given with --out if it exists
    #[arg(long, requires = "out")]
    pub force: bool,
    /// CSV: write cells that start with = + - @ as they are; by default they
    /// get a leading ' so a spreadsheet shows them as text, not formulas
    #[arg(long)]
    pub allow_formulas: bool,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}
