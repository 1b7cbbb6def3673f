//! The `grill` binary: parse flags, run, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = grill::cli::Cli::parse();
    match grill::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err.exit_code();
            if code != 0 {
                report(&err);
            }
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
    }
}

fn report(err: &grill::error::Error) {
    use grill::ui::render::{BOLD, RED};
    let mut out = grill::ui::render::stderr();
    for line in &err.details {
        let _ = writeln!(out, "{}", grill::ui::render::clean(line));
    }
    let _ = writeln!(
        out,
        "{RED}{BOLD}error:{BOLD:#}{RED:#} {}",
        grill::ui::render::clean(&err.message)
    );
    if let Some(hint) = &err.hint {
        let _ = writeln!(
            out,
            "{BOLD}hint:{BOLD:#} {}",
            grill::ui::render::clean(hint)
        );
    }
}
