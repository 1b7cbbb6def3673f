//! `grill show ID`: one question with its model answer and key points.

use std::io::Write;

use crate::cli::ShowArgs;
use crate::context::Context;
use crate::error::Result;
use crate::style::{BOLD, CYAN, DIM};
use crate::text::sanitize;
use crate::ui::render;

pub fn run(ctx: &Context, args: &ShowArgs) -> Result<()> {
    let (id, json) = (args.id.as_str(), args.json);
    let bank = ctx.bank()?;
    let q = bank.require(id)?;
    if json {
        return Ok(render::json(q)?);
    }
    let title = bank.topic(&q.topic).map_or("", |t| t.title.as_str());
    let mut out = render::stdout();
    writeln!(
        out,
        "{CYAN}{}{CYAN:#}  {DIM}· {} · {} · about {} min{}{DIM:#}",
        q.id,
        sanitize(title),
        q.difficulty,
        q.minutes,
        if q.wants_example {
            " · wants an example from your own work"
        } else {
            ""
        }
    )?;
    writeln!(out)?;
    write!(out, "{BOLD}{}{BOLD:#}", render::wrap(&q.question, "  "))?;
    writeln!(out)?;
    writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
    write!(out, "{}", render::wrap(&q.model_answer, "  "))?;
    writeln!(out)?;
    writeln!(
        out,
        "{BOLD}Key points{BOLD:#} {DIM}(weight; total {}){DIM:#}",
        q.total_weight()
    )?;
    for kp in &q.key_points {
        let text = render::wrap(&kp.point, "        ");
        writeln!(out, "  [{}] {CYAN}{}{CYAN:#}", kp.weight, kp.id)?;
        write!(out, "{text}")?;
        if !kp.cues.is_empty() {
            writeln!(
                out,
                "        {DIM}cues: {}{DIM:#}",
                sanitize(&kp.cues.join(" · "))
            )?;
        }
    }
    if !q.sources.is_empty() || q.reviewed.is_some() {
        writeln!(out)?;
        let reviewed = q
            .reviewed
            .as_deref()
            .map(|r| format!(" {DIM}(facts checked {}){DIM:#}", sanitize(r)))
            .unwrap_or_default();
        writeln!(out, "{BOLD}Sources{BOLD:#}{reviewed}")?;
        for source in &q.sources {
            write!(out, "{}", render::wrap(&format!("- {source}"), "  "))?;
        }
    }
    Ok(())
}
