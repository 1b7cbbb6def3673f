//! The flags of the session commands: `grill practice`, `grill interview`
//! and `grill review`, and the question order they share.

use clap::{Args, ValueEnum};

use super::shared::{self, BankArgs, DbArgs, JudgeArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    Random,
    Weakest,
    Due,
}

impl From<Order> for crate::session::Order {
    fn from(order: Order) -> Self {
        match order {
            Order::Random => crate::session::Order::Random,
            Order::Weakest => crate::session::Order::Weakest,
            Order::Due => crate::session::Order::Due,
        }
    }
}

/// `--difficulty`: the bank's two levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Difficulty {
    Core,
    Advanced,
}

impl From<Difficulty> for crate::bank::Difficulty {
    fn from(d: Difficulty) -> Self {
        match d {
            Difficulty::Core => crate::bank::Difficulty::Core,
            Difficulty::Advanced => crate::bank::Difficulty::Advanced,
        }
    }
}

#[derive(Debug, Args)]
pub struct PracticeArgs {
    /// Only questions of these topics (repeatable)
    #[arg(long = "topic", value_name = "T")]
    pub topics: Vec<String>,
    /// Only these questions (repeatable)
    #[arg(long = "question", value_name = "ID")]
    pub questions: Vec<String>,
    /// Only questions of this difficulty
    #[arg(long, value_enum, conflicts_with = "questions")]
    pub difficulty: Option<Difficulty>,
    /// How many questions to ask [default: 5, or every --question given]
    #[arg(value_parser = shared::at_least_one::<usize>, long, value_name = "N")]
    pub count: Option<usize>,
    /// Order of the questions [default: due first, then unseen, then weakest]
    #[arg(long, value_enum)]
    pub order: Option<Order>,
    /// Follow-up questions about the key points an answer left open [default: 1 in a terminal, 0 on a pipe]
    #[arg(long = "follow-ups", value_name = "N", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub follow_ups: Option<u8>,
    /// Answer aloud: Enter starts recording, Enter stops; the transcript is shown, editable, then graded
    #[arg(long)]
    pub voice: bool,
    /// Judge calls per answer, key points reordered each time; points they split on are put to you
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct InterviewArgs {
    /// Length of the whole interview, in minutes (fractions allowed)
    #[arg(
        long,
        default_value_t = 30.0,
        value_name = "M",
        allow_negative_numbers = true
    )]
    pub minutes: f64,
    /// How many questions
    #[arg(value_parser = shared::at_least_one::<usize>, long, default_value_t = 5, value_name = "N")]
    pub count: usize,
    /// Only questions of these topics (repeatable)
    #[arg(long = "topic", value_name = "T")]
    pub topics: Vec<String>,
    /// Only these questions (repeatable)
    #[arg(long = "question", value_name = "ID")]
    pub questions: Vec<String>,
    /// Only questions of this difficulty
    #[arg(long, value_enum, conflicts_with = "questions")]
    pub difficulty: Option<Difficulty>,
    /// Follow-up questions about the key points an answer left open [default: 1 in a terminal, 0 on a pipe]
    #[arg(long = "follow-ups", value_name = "N", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub follow_ups: Option<u8>,
    /// Answer aloud: Enter starts recording, Enter stops; the transcript is shown, editable, then graded
    #[arg(long)]
    pub voice: bool,
    /// Judge calls per answer, key points reordered each time; points they split on are put to you
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Print the review schedule instead of starting a session
    #[arg(long)]
    pub list: bool,
    /// How many questions to review
    #[arg(value_parser = shared::at_least_one::<usize>, long, default_value_t = 5, value_name = "N")]
    pub count: usize,
    /// Print JSON (with --list)
    #[arg(long)]
    pub json: bool,
    /// Follow-up questions about the key points an answer left open [default: 1 in a terminal, 0 on a pipe]
    #[arg(long = "follow-ups", value_name = "N", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub follow_ups: Option<u8>,
    /// Answer aloud: Enter starts recording, Enter stops; the transcript is shown, editable, then graded
    #[arg(long)]
    pub voice: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}
