//! `grill report [SESSION] [--format text|md|json] [--model-answer]`: a
//! past session's report and its debrief, question by question.

use std::io::Write;

use crate::cli::{ReportArgs, ReportFormat};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::report;
use crate::ui::render;

pub fn run(ctx: &Context, args: &ReportArgs) -> Result<()> {
    let store = ctx.store()?;
    let Some(id) = args.session.or(store.last_session()?) else {
        // Nothing yet is not an error, as for `grill stats`: say where to start.
        let mut out = render::stdout();
        match args.format {
            ReportFormat::Json => writeln!(out, "null")?,
            _ => writeln!(
                out,
                "No sessions yet. Start with `grill practice`, or `grill interview` for a timed mock."
            )?,
        }
        return Ok(());
    };
    let session = store.session(id)?.ok_or_else(|| {
        Error::input(format!("no session {id}"))
            .with_hint("`grill sessions` lists the sessions with their numbers")
    })?;
    let mut built = report::build(&session, &store.session_attempts(id)?);
    // The debrief reads the key points in words from the bank; a bank that
    // no longer loads leaves the ids, and the report still comes.
    match ctx.bank() {
        Ok(bank) => built = built.with_bank(bank),
        Err(e) => render::note(&format!(
            "the question bank did not load ({}): key points are shown by id",
            e.message
        )),
    }
    let mut out = render::stdout();
    match args.format {
        ReportFormat::Json => render::json(&report::json::render(&built))?,
        ReportFormat::Md => write!(out, "{}", report::markdown::render(&built))?,
        ReportFormat::Text => {
            let options = report::debrief::Options {
                model_answers: args.model_answer,
                brief: false,
            };
            write!(
                out,
                "{}",
                report::text::render_with(&built, render::width(), options)
            )?;
        }
    }
    Ok(())
}
