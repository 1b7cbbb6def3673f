//! A review's own step: after each answer's grade, which of the key points
//! that were due for it came back.

use std::io::Write;

use super::runner::Runner;
use crate::bank::Question;
use crate::error::Result;
use crate::style::{BOLD, DIM, GREEN, RED};
use crate::ui::render;

impl Runner<'_> {
    /// In a review, after an answer's grade: which of its due key points
    /// were recalled (covered, or recovered on a follow-up) and which not.
    pub fn show_recalled(&self, q: &Question, attempt_id: i64) -> Result<()> {
        let Some(due) = self.due_points.get(&q.id).filter(|d| !d.is_empty()) else {
            return Ok(());
        };
        let Some(verdict) = self.store.attempt(attempt_id)?.and_then(|a| a.verdict) else {
            return Ok(());
        };
        let (recalled, not): (Vec<&String>, Vec<&String>) = due.iter().partition(|id| {
            verdict.key_points.iter().any(|p| {
                &&p.id == id && (p.coverage == crate::verdict::Coverage::Covered || p.recovered)
            })
        });
        let list = |ids: &[&String]| {
            ids.iter()
                .map(|s| crate::text::sanitize(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !recalled.is_empty() {
            parts.push(format!("{GREEN}recalled{GREEN:#} {}", list(&recalled)));
        }
        if !not.is_empty() {
            parts.push(format!("{RED}not yet{RED:#} {}", list(&not)));
        }
        writeln!(
            render::stdout(),
            "{BOLD}Due for review{BOLD:#} {DIM}({} of {} points){DIM:#}: {}",
            recalled.len(),
            due.len(),
            parts.join(" · ")
        )?;
        Ok(())
    }
}
