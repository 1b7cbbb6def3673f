//! Command-line flags, as typed: clap derive and nothing else. Resolving them
//! against the environment and the config file happens in `config`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "grill",
    version,
    about = "Practise LLM-engineering interviews: answer, get graded against a model answer, repeat.",
    after_help = "Examples:\n  grill practice --topic rag            drill one topic, graded by the judge\n  grill practice --offline              grade yourself, no network needed\n  grill interview --minutes 30          a timed mock interview\n  grill list --topic agents             browse the questions",
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Default, Clone)]
pub struct GlobalArgs {
    /// Load an extra question bank from DIR (repeatable)
    #[arg(long = "bank", value_name = "DIR", global = true)]
    pub banks: Vec<PathBuf>,
    /// Use this database file instead of `$GRILL_HOME/grill.db`
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
    /// Grade yourself against the model answer; never call the judge
    #[arg(long, global = true)]
    pub offline: bool,
    /// Judge model [env: GRILL_MODEL] [default: gpt-4o-mini]
    #[arg(long, value_name = "NAME", global = true)]
    pub model: Option<String>,
    /// OpenAI-compatible API base URL [env: OPENAI_BASE_URL]
    #[arg(long, value_name = "URL", global = true)]
    pub base_url: Option<String>,
    /// Seconds to wait for one judge request [default: 60]
    #[arg(long, value_name = "SECS", global = true)]
    pub timeout: Option<f64>,
    /// Try the judge's response formats again from the strictest, instead of
    /// the one remembered for this server (remembered for 7 days)
    #[arg(long, global = true)]
    pub probe: bool,
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
        after_help = "Examples:\n  grill grade --question hyde --answer-file answer.txt\n  echo 'HyDE embeds a hypothetical answer...' | grill grade --question hyde --json\n  grill grade --batch answers.jsonl --concurrency 8"
    )]
    Grade(GradeArgs),
    /// Grade every stored answer that is still ungraded
    #[command(
        after_help = "Examples:\n  grill regrade --json\n  grill --offline regrade          grade them yourself (in a terminal)\n  grill --offline regrade --cues   keyword estimates, not counted"
    )]
    Regrade(RegradeArgs),
    /// List the topics with their question counts
    #[command(after_help = "Example:\n  grill topics")]
    Topics(JsonArg),
    /// List the questions, optionally of one topic
    #[command(after_help = "Example:\n  grill list --topic rag")]
    List(ListArgs),
    /// Show one question with its model answer and key points
    #[command(after_help = "Example:\n  grill show rag-vs-fine-tuning")]
    Show(ShowArgs),
    /// Show past attempts, newest first
    #[command(
        after_help = "Examples:\n  grill history --limit 20\n  grill history --question hyde"
    )]
    History(HistoryArgs),
    /// Show progress per topic: averages, trends, streak
    #[command(after_help = "Example:\n  grill stats")]
    Stats(JsonArg),
    /// Print the report of a session (default: the last one)
    #[command(after_help = "Examples:\n  grill report\n  grill report 12 --format md")]
    Report(ReportArgs),
    /// Write the questions as Anki notes, or your answers as CSV, for use elsewhere
    #[command(
        after_help = "Examples:\n  grill export --format anki --out grill-deck.txt     import in Anki: File > Import\n  grill export --format anki --topic rag > rag.txt\n  grill export --format csv --out history.csv         every answer, one row each"
    )]
    Export(ExportArgs),
    /// Check, import or create question banks
    #[command(subcommand)]
    Bank(BankCommand),
    /// Measure a grader against hand-labelled answers
    #[command(
        after_help = "Examples:\n  grill calibrate calibration/*.jsonl --grader cues\n  grill calibrate calibration/*.jsonl --samples 3 --json"
    )]
    Calibrate(CalibrateArgs),
    /// Check the judge server: reachable, model listed, a structured call, usage
    #[command(
        after_help = "Examples:\n  grill doctor\n  OPENAI_BASE_URL=http://localhost:11434/v1 GRILL_MODEL=llama3.1 grill doctor"
    )]
    Doctor(JsonArg),
    /// Print the effective settings and where each came from
    #[command(
        after_help = "Examples:\n  grill config\n  grill config --example > ~/.config/grill/config.toml"
    )]
    Config(ConfigArgs),
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
    /// How many questions to ask
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,
    /// Order of the questions [default: due first, then unseen, then weakest]
    #[arg(long, value_enum)]
    pub order: Option<Order>,
    /// Judge calls per answer, key points reordered each time; points they split on are put to you
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
}

#[derive(Debug, Args)]
pub struct InterviewArgs {
    /// Length of the whole interview, in minutes (fractions allowed)
    #[arg(long, default_value_t = 30.0, value_name = "M")]
    pub minutes: f64,
    /// How many questions
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub count: usize,
    /// Only questions of these topics (repeatable)
    #[arg(long = "topic", value_name = "T")]
    pub topics: Vec<String>,
    /// Only these questions (repeatable)
    #[arg(long = "question", value_name = "ID")]
    pub questions: Vec<String>,
    /// Judge calls per answer, key points reordered each time; points they split on are put to you
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Print the review schedule instead of starting a session
    #[arg(long)]
    pub list: bool,
    /// How many questions to review
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub count: usize,
    /// Print JSON (with --list)
    #[arg(long)]
    pub json: bool,
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
    /// Grade every line of a JSONL file: {"question": ID, "answer": TEXT, ...}
    #[arg(long, value_name = "FILE.jsonl")]
    pub batch: Option<PathBuf>,
    /// Requests in flight at once with --batch
    #[arg(long, default_value_t = 4, value_name = "N", requires = "batch")]
    pub concurrency: usize,
    /// Judge calls per answer, key points reordered each time; points they split on are marked uncertain
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
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
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The grader to measure
    #[arg(long, value_enum, default_value_t = GraderArg::Judge)]
    pub grader: GraderArg,
    /// Judge calls per answer, key points reordered each time; reports self-consistency
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    pub samples: u16,
    /// Judge requests in flight at once
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// Print every figure as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RegradeArgs {
    /// With --offline: keyword estimates instead of self-grading (stored as estimates, not counted)
    #[arg(long)]
    pub cues: bool,
    /// Print one JSON result per line
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print a commented example config file instead
    #[arg(long, conflicts_with = "json")]
    pub example: bool,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this topic
    #[arg(long, value_name = "T")]
    pub topic: Option<String>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Question id, as shown by `grill list`
    pub id: String,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
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
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
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
}

#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// Validate banks; every problem is printed as path:line:col
    #[command(
        after_help = "Examples:\n  grill bank check            the built-in bank and configured ones\n  grill bank check ./my-bank"
    )]
    Check {
        /// Bank directories to check (default: the built-in bank plus configured ones)
        dirs: Vec<PathBuf>,
    },
    /// Turn a Markdown page of Q&A notes into a bank file
    #[command(after_help = "Example:\n  grill bank import notes.md --out ./my-bank")]
    Import {
        /// The Markdown file
        file: PathBuf,
        /// Directory to write the bank file(s) into
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// Put every question in this topic
        #[arg(long, value_name = "T")]
        topic: Option<String>,
    },
    /// Print a commented template for a new bank file
    #[command(after_help = "Example:\n  grill bank new --topic my-topic > my-bank/my-topic.toml")]
    New {
        /// Topic slug of the new file
        #[arg(long, value_name = "T")]
        topic: Option<String>,
    },
}
