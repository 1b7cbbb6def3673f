//! `grill bank ...`: checking, importing and creating question banks.

use std::path::PathBuf;

use clap::Subcommand;

use super::shared::{BankArgs, JudgeArgs};

#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// Validate banks; every problem is printed as path:line:col
    #[command(
        after_help = "Examples:\n  grill bank check            the built-in bank and configured ones\n  grill bank check ./my-bank"
    )]
    Check {
        /// Bank directories to check (default: the built-in bank plus configured ones)
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        bank: BankArgs,
    },
    /// Turn a Markdown page of Q&A notes into a bank file
    #[command(
        after_help = "Examples:\n  grill bank import notes.md --out ./my-bank            asks before calling the judge\n  grill bank import notes.md --out ./my-bank --judge    drafts with the judge, no question\n  grill --offline bank import notes.md                  drafts from the answers' sentences"
    )]
    Import {
        /// The Markdown file
        file: PathBuf,
        /// Directory to write the bank file(s) into
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// Put every question in this topic
        #[arg(long, value_name = "T")]
        topic: Option<String>,
        /// Add to topics the loaded banks already have, instead of refusing
        #[arg(long)]
        merge: bool,
        /// Send the notes to the configured judge to draft key points, without
        /// asking (a terminal asks; off a terminal this flag is required)
        #[arg(long = "judge")]
        use_judge: bool,
        #[command(flatten)]
        judge: JudgeArgs,
        #[command(flatten)]
        bank: BankArgs,
    },
    /// Print a commented template for a new bank file
    #[command(after_help = "Example:\n  grill bank new --topic my-topic > my-bank/my-topic.toml")]
    New {
        /// Topic slug of the new file
        #[arg(long, value_name = "T")]
        topic: Option<String>,
    },
}
