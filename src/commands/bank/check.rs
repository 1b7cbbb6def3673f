//! `grill bank check [DIR...]`: every problem in the banks, one run.

use std::io::Write;
use std::path::PathBuf;

use crate::bank::{self, Bank};
use crate::context::Context;
use crate::error::Result;
use crate::ui::render;

/// `grill bank check [DIR...]`: every problem, each as `path:line:col: message`.
pub fn run(ctx: &Context, dirs: &[PathBuf]) -> Result<()> {
    // The built-in bank always takes part, so ids that collide with it are caught too.
    let mut sources = bank::builtin_sources();
    let checked: &[PathBuf] = if dirs.is_empty() {
        &ctx.settings.bank_dirs
    } else {
        dirs
    };
    for dir in checked {
        sources.extend(bank::dir_sources(dir)?);
    }
    let (bank, diagnostics) = Bank::from_sources(&sources);
    if !diagnostics.is_empty() {
        return Err(bank::diagnostics_error(&diagnostics));
    }
    let mut out = render::stdout();
    let files = sources.len();
    writeln!(
        out,
        "ok: {} questions in {} topics, {files} file{} checked",
        bank.questions.len(),
        bank.topics.len(),
        if files == 1 { "" } else { "s" }
    )?;
    Ok(())
}
