//! `grill completions SHELL` and `grill man`: the shell completion script
//! and the manual page, both generated from the command-line definition.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Result;

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "grill", &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(())
}

/// The manual page as roff, on stdout.
pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    std::io::stdout().lock().write_all(&out)?;
    Ok(())
}
