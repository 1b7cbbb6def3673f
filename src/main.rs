//! The `grill` binary: parse flags, run, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = grill::cli::Cli::parse();
    let outcome = match (grill::run(&cli), grill::ui::signals::caught()) {
        // A SIGTERM or SIGHUP caught during a read ends the run with its
        // status, whichever way the session wound down after it.
        (Ok(()), Some(signal)) => Err(grill::error::Error::signal(signal)),
        (outcome, _) => outcome,
    };
    match outcome {
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

/// The error as the user reads it: details, then `error:`, then each `hint:`.
/// Every line is sanitised; a closed stderr is ignored.
fn report(err: &grill::error::Error) {
    use grill::style::{BOLD, RED};
    use grill::text::sanitize;
    let mut out = grill::ui::render::stderr();
    for line in &err.details {
        let _ = writeln!(out, "{}", sanitize(line));
    }
    let _ = writeln!(
        out,
        "{RED}{BOLD}error:{BOLD:#}{RED:#} {}",
        sanitize(&err.message)
    );
    for hint in &err.hints {
        let _ = writeln!(out, "{BOLD}hint:{BOLD:#} {}", sanitize(hint));
    }
}
