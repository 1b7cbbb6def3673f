//! Command-line flags, as typed: clap derive and nothing else. Resolving them
//! against the environment and the config file happens in `config`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod bank;
mod jobs;
mod shared;

pub use bank::BankCommand;
pub use jobs::{JobArgs, JobsArgs, JobsCommand, UsageArgs};
pub use shared::{BankArgs, DbArgs, JudgeArgs};

#[derive(Debug, Parser)]
#[command(
    name = "grill",
    version,
    about = "Practise LLM-engineering interviews: answer, get graded against a model answer, repeat.",
    after_help = "Examples:\n  grill practice --topic rag            drill one topic, graded by the judge\n  grill practice --offline              grade yourself, no network needed\n  grill interview --minutes 30          a timed mock interview\n  grill list --topic agents             browse the questions\n  grill help practice                   the flags of one command"
)]
pub struct Cli {
    /// The judge's flags, also taken before the command (`grill --offline practice`).
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub bank: BankArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// When to use colour: auto (a terminal, unless NO_COLOR or TERM=dumb;
    /// FORCE_COLOR forces it), always or never
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

/// The flags of the commands that grade, as settings resolve them: from
/// before the command and after it, the latter winning.
#[derive(Debug, Default, Clone)]
pub struct GlobalArgs {
    pub banks: Vec<PathBuf>,
    pub db: Option<PathBuf>,
    pub offline: bool,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub timeout: Option<f64>,
    pub reasoning_effort: Option<String>,
    pub probe: bool,
}

impl Cli {
    /// The flags settings are resolved from: those before the command, then
    /// the command's own.
    pub fn global(&self) -> GlobalArgs {
        let (judge, bank, db) = self.command.shared();
        let mut banks = self.bank.banks.clone();
        banks.extend(bank.map(|b| b.banks.clone()).unwrap_or_default());
        let judge = judge.cloned().unwrap_or_default();
        GlobalArgs {
            banks,
            db: db.and_then(|d| d.db.clone()).or_else(|| self.db.db.clone()),
            offline: self.judge.offline || judge.offline,
            model: judge.model.or_else(|| self.judge.model.clone()),
            base_url: judge.base_url.or_else(|| self.judge.base_url.clone()),
            timeout: judge.timeout.or(self.judge.timeout),
            reasoning_effort: judge
                .reasoning_effort
                .or_else(|| self.judge.reasoning_effort.clone()),
            probe: self.judge.probe || judge.probe,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Drill questions one by one, untimed
    #[command(after_help = "Example:\n  grill practice --topic rag --count 3")]
    Practice(PracticeArgs),
    /// Run a timed mock interview and get a report at the end
    #[command(after_help = "Example:\n  grill interview --minutes 30 --count 5")]
    Interview(InterviewArgs),
    /// Practise the questions that are due for review today
    #[command(after_help = "Examples:\n  grill review\n  grill review --list --json")]
    Review(ReviewArgs),
    /// Grade one answer (or a batch) without an interactive session
    #[command(
        after_help = "Examples:\n  grill grade --question hyde --answer-file answer.txt\n  grill grade --question hyde --answer-audio answer.wav\n  echo 'HyDE embeds a hypothetical answer...' | grill grade --question hyde --json\n  grill grade --batch answers.jsonl --concurrency 8\n  grill grade --batch answers.jsonl --via batch-api --wait"
    )]
    Grade(GradeArgs),
    /// Grade every stored answer that is still ungraded
    #[command(
        after_help = "Examples:\n  grill regrade --json\n  grill --offline regrade          grade them yourself (in a terminal)\n  grill --offline regrade --cues   keyword estimates, not counted"
    )]
    Regrade(RegradeArgs),
    /// List the topics with their question counts
    #[command(after_help = "Example:\n  grill topics")]
    Topics(TopicsArgs),
    /// List the questions, optionally of one topic
    #[command(after_help = "Example:\n  grill list --topic rag")]
    List(ListArgs),
    /// Show one question with its model answer and key points, or a past attempt in full
    #[command(
        after_help = "Examples:\n  grill show rag-vs-fine-tuning\n  grill show --attempt 12          an answer, its full verdict and the model answer"
    )]
    Show(ShowArgs),
    /// Show past attempts, newest first
    #[command(
        after_help = "Examples:\n  grill history --limit 20\n  grill history --question hyde"
    )]
    History(HistoryArgs),
    /// Show progress per topic: averages, trends, streak
    #[command(after_help = "Example:\n  grill stats")]
    Stats(StatsArgs),
    /// Print the report of a session (default: the last one), with a debrief per question
    #[command(
        after_help = "Examples:\n  grill report\n  grill report --model-answer      the debrief with each model answer\n  grill report 12 --format md"
    )]
    Report(ReportArgs),
    /// Write the questions as Anki notes, or your answers as CSV, for use elsewhere
    #[command(
        after_help = "Examples:\n  grill export --format anki --out grill-deck.txt     import in Anki: File > Import\n  grill export --format anki --topic rag > rag.txt\n  grill export --format csv --out history.csv         every answer, one row each"
    )]
    Export(ExportArgs),
    /// Tokens the judge spent, by model and by day, with cost from your prices
    #[command(after_help = "Examples:\n  grill usage\n  grill usage --days 7 --json")]
    Usage(UsageArgs),
    /// List Batch API jobs, or wait for, collect or cancel one
    #[command(
        after_help = "Examples:\n  grill grade --batch answers.jsonl --via batch-api   submit; prints the job's number\n  grill jobs                                          list the jobs\n  grill jobs wait 3 > results.jsonl                   wait, then collect\n  grill jobs cancel 3"
    )]
    Jobs(JobsArgs),
    /// List past sessions: number, date, kind, questions, average
    #[command(after_help = "Examples:\n  grill sessions\n  grill sessions --limit 5 --json")]
    Sessions(SessionsArgs),
    /// Check, import or create question banks
    #[command(subcommand)]
    Bank(BankCommand),
    /// Measure a grader against labelled answers
    #[command(
        after_help = "Examples:\n  grill calibrate --builtin --grader cues      the labelled set shipped with grill\n  grill calibrate --builtin --samples 3 --json\n  grill calibrate my-labels.jsonl"
    )]
    Calibrate(CalibrateArgs),
    /// Check the judge server: reachable, model listed, a structured call, usage
    #[command(
        after_help = "Examples:\n  grill doctor\n  OPENAI_BASE_URL=http://localhost:11434/v1 GRILL_MODEL=llama3.1 grill doctor"
    )]
    Doctor(DoctorArgs),
    /// Print the effective settings and where each came from
    #[command(
        after_help = "Examples:\n  grill config\n  grill config --example > ~/.config/grill/config.toml"
    )]
    Config(ConfigArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  grill completions bash > ~/.local/share/bash-completion/completions/grill\n  grill completions zsh > ~/.zfunc/_grill\n  grill completions fish > ~/.config/fish/completions/grill.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff)
    #[command(
        after_help = "Examples:\n  grill man > ~/.local/share/man/man1/grill.1\n  grill man | man -l -"
    )]
    Man,
}

impl Command {
    /// The judge, bank and database flags this command takes, if any.
    pub fn shared(&self) -> (Option<&JudgeArgs>, Option<&BankArgs>, Option<&DbArgs>) {
        match self {
            Command::Practice(a) => (Some(&a.judge), Some(&a.bank), Some(&a.db)),
            Command::Interview(a) => (Some(&a.judge), Some(&a.bank), Some(&a.db)),
            Command::Review(a) => (Some(&a.judge), Some(&a.bank), Some(&a.db)),
            Command::Grade(a) => (Some(&a.judge), Some(&a.bank), Some(&a.db)),
            Command::Regrade(a) => (Some(&a.judge), Some(&a.bank), Some(&a.db)),
            Command::Topics(a) => (None, Some(&a.bank), None),
            Command::List(a) => (None, Some(&a.bank), None),
            Command::Show(a) => (None, Some(&a.bank), Some(&a.db)),
            Command::History(a) => (None, Some(&a.bank), Some(&a.db)),
            Command::Stats(a) => (None, Some(&a.bank), Some(&a.db)),
            Command::Report(a) => (None, Some(&a.bank), Some(&a.db)),
            Command::Sessions(a) => (None, None, Some(&a.db)),
            Command::Usage(a) => (None, None, Some(&a.db)),
            Command::Jobs(a) => match &a.command {
                Some(JobsCommand::Wait(j) | JobsCommand::Collect(j) | JobsCommand::Cancel(j)) => {
                    (Some(&j.judge), Some(&j.bank), Some(&j.db))
                }
                None => (None, None, Some(&a.db)),
            },
            Command::Export(a) => (None, Some(&a.bank), Some(&a.db)),
            Command::Calibrate(a) => (Some(&a.judge), Some(&a.bank), Some(&a.db)),
            Command::Bank(BankCommand::Check { bank, .. }) => (None, Some(bank), None),
            Command::Bank(BankCommand::Import { judge, bank, .. }) => {
                (Some(judge), Some(bank), None)
            }
            Command::Doctor(a) => (Some(&a.judge), None, Some(&a.db)),
            Command::Config(a) => (Some(&a.judge), Some(&a.bank), Some(&a.db)),
            #[allow(unreachable_patterns)]
            _ => (None, None, None),
        }
    }
}

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

#[derive(Debug, Args)]
pub struct PracticeArgs {
    /// Only questions of these topics (repeatable)
    #[arg(long = "topic", value_name = "T")]
    pub topics: Vec<String>,
    /// Only these questions (repeatable)
    #[arg(long = "question", value_name = "ID")]
    pub questions: Vec<String>,
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
pub struct TopicsArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub bank: BankArgs,
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

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
