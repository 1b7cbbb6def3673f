//! Command-line flags, as typed: clap derive and nothing else. Resolving them
//! against the environment and the config file happens in `config`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod bank;
mod browse;
mod grade;
mod jobs;
mod session;
mod setup;
mod shared;

pub use bank::BankCommand;
pub use browse::{
    ExportArgs, ExportFormat, HistoryArgs, ListArgs, ReportArgs, ReportFormat, SessionsArgs,
    ShowArgs, StatsArgs, TopicsArgs,
};
pub use grade::{CalibrateArgs, GradeArgs, GraderArg, RegradeArgs, Via};
pub use jobs::{JobArgs, JobsArgs, JobsCommand, UsageArgs};
pub use session::{InterviewArgs, Order, PracticeArgs, ReviewArgs};
pub use setup::{CompletionsArgs, ConfigArgs, DoctorArgs, JsonArg};
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
