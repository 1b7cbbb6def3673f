//! grill: practise LLM-engineering interviews in the terminal.
//!
//! Data flows one way: bank → session plan → ask → answer → judge (LLM or
//! self) → verdict → store → report. The core modules (`bank`, `config`,
//! scoring in `judge`) are plain functions over plain data; the terminal, the
//! network and SQLite stay at the edges (`ui`, `judge::openai`, `store`).

pub mod bank;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cues;
pub mod error;
pub mod import;
pub mod judge;
pub mod prompts;
pub mod report;
pub mod schedule;
pub mod session;
pub mod store;
pub mod text;
pub mod ui;

use cli::{BankCommand, Cli, Command};
use config::Settings;
use error::Result;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let settings = Settings::load(&cli.global)?;
    match cli.command {
        Command::Topics(a) => commands::browse::topics(&settings, a.json),
        Command::List(a) => commands::browse::list(&settings, a.topic.as_deref(), a.json),
        Command::Show(a) => commands::browse::show(&settings, &a.id, a.json),
        Command::Bank(BankCommand::Check { dirs }) => {
            commands::browse::bank_check(&settings, &dirs)
        }
        Command::Practice(a) => commands::session::practice(&settings, &a),
        Command::Interview(a) => commands::session::interview(&settings, &a),
        Command::Review(a) => commands::review::review(&settings, &a),
        Command::Grade(a) => commands::grade::grade(&settings, &a),
        Command::Regrade(a) => commands::grade::regrade(&settings, a.json),
        Command::History(a) => commands::history::history(&settings, &a),
        Command::Stats(a) => commands::history::stats(&settings, a.json),
        Command::Report(a) => commands::session::report(&settings, a.session, a.format),
        Command::Bank(BankCommand::Import { file, out, topic }) => {
            import::import(&settings, &file, &out, topic.as_deref())
        }
        Command::Bank(BankCommand::New { topic }) => import::new_template(topic.as_deref()),
        Command::Config(a) => commands::config::show(&settings, a.json),
    }
}
