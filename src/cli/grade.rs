//! The flags of the commands that grade outside a session: `grill grade`
//! (one answer or a batch), `grill regrade` and `grill calibrate`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::shared::{self, BankArgs, DbArgs, JudgeArgs};

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// The question the answer is for
    #[arg(
        long,
        value_name = "ID",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    pub question: Option<String>,
    /// Read the answer from this file (default: standard input)
    #[arg(long, value_name = "FILE", conflicts_with = "batch")]
    pub answer_file: Option<PathBuf>,
    /// Transcribe this recording and grade the words, then show how they
    /// were delivered (WAV, MP3, M4A, OGG, FLAC or WebM, at most 25 MB)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["batch", "answer_file"])]
    pub answer_audio: Option<PathBuf>,
    /// Grade every line of a JSONL file: {"question": ID, "answer": TEXT, ...}
    #[arg(long, value_name = "FILE.jsonl")]
    pub batch: Option<PathBuf>,
    /// Requests in flight at once with --batch
    #[arg(value_parser = shared::at_least_one::<usize>, long, default_value_t = 4, value_name = "N", requires = "batch")]
    pub concurrency: usize,
    /// How --batch reaches the judge: live calls, or the OpenAI Batch API
    /// (at the provider's batch price, results within 24 h; see `grill jobs`)
    #[arg(long, value_enum, default_value_t = Via::Live, value_name = "HOW", requires = "batch")]
    pub via: Via,
    /// With --via batch-api: wait for the batch, then collect it
    #[arg(long, requires = "batch")]
    pub wait: bool,
    /// Judge calls per answer, key points reordered each time; points they split on are marked uncertain
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

/// How a batch reaches the judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Via {
    /// One chat completion per answer, `--concurrency` at a time
    #[default]
    Live,
    /// The Batch API: one upload, results within 24 hours, at the batch price
    BatchApi,
}

#[derive(Debug, Args)]
pub struct RegradeArgs {
    /// With --offline: keyword estimates instead of self-grading (stored as estimates, not counted)
    #[arg(long)]
    pub cues: bool,
    /// Print one JSON result per line
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Who grades, for `calibrate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraderArg {
    /// The LLM judge configured for grill
    Judge,
    /// The keyword estimate (offline)
    Cues,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Labelled answers, JSONL (see the README's format)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The labelled set shipped with grill: 130 answers to 26 built-in questions
    #[arg(long)]
    pub builtin: bool,
    /// The grader to measure
    #[arg(long, value_enum, default_value_t = GraderArg::Judge)]
    pub grader: GraderArg,
    /// Judge calls per answer, key points reordered each time; reports self-consistency
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
    /// Judge requests in flight at once
    #[arg(value_parser = shared::at_least_one::<usize>, long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// Print every figure as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
}
