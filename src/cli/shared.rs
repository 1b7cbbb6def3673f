//! The flags several commands share: the judge's, `--bank` and `--db`.

use std::path::PathBuf;

use clap::Args;

/// Flags for the commands that may call the judge.
#[derive(Debug, Args, Default, Clone)]
pub struct JudgeArgs {
    /// Grade yourself against the model answer; never call the judge
    #[arg(long, help_heading = "Judge")]
    pub offline: bool,
    /// Judge model [env: GRILL_MODEL] [default: gpt-6-luna]
    #[arg(long, value_name = "NAME", help_heading = "Judge")]
    pub model: Option<String>,
    /// OpenAI-compatible API base URL [env: OPENAI_BASE_URL] [default: https://api.openai.com/v1]
    #[arg(long, value_name = "URL", help_heading = "Judge")]
    pub base_url: Option<String>,
    /// Reasoning effort for the judge, on models that reason [env:
    /// GRILL_REASONING_EFFORT] [default: the model's profile, `low` on
    /// OpenAI's reasoning models]
    #[arg(long, value_name = "LEVEL", help_heading = "Judge",
          value_parser = clap::builder::PossibleValuesParser::new(crate::provider::profile::EFFORTS))]
    pub reasoning_effort: Option<String>,
    /// Seconds to wait for one judge request [default: 60]
    #[arg(long, value_name = "SECS", help_heading = "Judge")]
    pub timeout: Option<f64>,
    /// Try the judge's response formats again from the strictest, and the
    /// model's request shape from its profile, instead of what was
    /// remembered for this server (formats for 7 days)
    #[arg(long, help_heading = "Judge")]
    pub probe: bool,
}

/// `--bank`, for the commands that read questions.
#[derive(Debug, Args, Default, Clone)]
pub struct BankArgs {
    /// Load an extra question bank from DIR (repeatable)
    #[arg(long = "bank", value_name = "DIR")]
    pub banks: Vec<PathBuf>,
}

/// `--db`, for the commands that read or write answers.
#[derive(Debug, Args, Default, Clone)]
pub struct DbArgs {
    /// Use this database file [default: $GRILL_HOME/grill.db]
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

/// A number of at least 1 (`--count`, `--concurrency`, `--limit`, `--days`):
/// clap refuses anything else with the flag's name and exit 2, e.g.
/// "invalid value '0' for '--count <N>': must be at least 1".
pub fn at_least_one<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialEq + From<u8>,
    T::Err: std::fmt::Display,
{
    let n: T = text.trim().parse().map_err(|e: T::Err| e.to_string())?;
    if n == T::from(0) {
        return Err("must be at least 1".into());
    }
    Ok(n)
}
