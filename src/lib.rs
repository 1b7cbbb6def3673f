//! grill: practise LLM-engineering interviews in the terminal.
//!
//! Data flows one way: bank → session plan → ask → answer → grader (judge,
//! self, or keyword estimate) → verdict → store → report. The core (`bank`,
//! `session`, `verdict`, `grading`, `schedule`, `stats`, `report`) is
//! plain functions over plain data; the terminal, the network and SQLite stay
//! at the edges (`ui`, `provider`, `store`). `context` is built once per
//! run and handed to the command, which lives in `commands`.

pub mod bank;
pub mod batch;
pub mod calibration;
pub mod cli;
pub mod commands;
pub mod config;
pub mod config_file;
pub mod config_models;
pub mod config_speech;
pub mod context;
pub mod cues;
pub mod drive;
pub mod error;
pub mod grading;
pub mod json;
pub mod prices;
pub mod prompts;
pub mod provider;
pub mod report;
pub mod schedule;
pub mod session;
pub mod setting;
pub mod speech;
pub mod stats;
pub mod store;
pub mod style;
pub mod text;
pub mod time;
pub mod ui;
pub mod verdict;

use cli::Cli;
use config::Settings;
use context::Context;
use error::Result;

/// Runs one parsed command line.
pub fn run(cli: &Cli) -> Result<()> {
    ui::render::choose_color(cli.color, &config::process_env);
    let ctx = Context::new(Settings::load(&cli.global())?);
    commands::run(&ctx, &cli.command)
}
