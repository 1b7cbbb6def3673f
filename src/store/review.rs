//! The review schedule's rows: one FSRS card per question. The scheduling
//! itself is pure (`crate::schedule`); this is where cards are read and written.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::db::Store;
use crate::error::Result;
use crate::schedule::{self, ScheduleEntry, StoredCard};

/// Moves the question's card after a counted grade of `score` (0–10) at `now`,
/// inside the transaction that records the grade.
pub(super) fn update_card(
    tx: &Transaction<'_>,
    question_id: &str,
    score: f64,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    if !score.is_finite() {
        return Ok(());
    }
    let previous: Option<String> = tx
        .query_row(
            "SELECT card FROM review WHERE question_id = ?1",
            [question_id],
            |r| r.get(0),
        )
        .optional()?;
    // An unreadable card (hand-edited, or from a future version) starts over
    // rather than blocking the grade that triggered this update.
    let previous = previous.and_then(|text| serde_json::from_str::<StoredCard>(&text).ok());
    let card = schedule::next_card(previous.as_ref(), score, now);
    let json = serde_json::to_string(&card).unwrap_or_default();
    tx.execute(
        "INSERT INTO review (question_id, card, due, last_score, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(question_id) DO UPDATE SET
             card = excluded.card, due = excluded.due,
             last_score = excluded.last_score, updated_at = excluded.updated_at",
        params![
            question_id,
            json,
            crate::time::stamp(card.due),
            score,
            crate::time::stamp(now)
        ],
    )?;
    Ok(())
}

impl Store {
    /// Every card, sorted by due time (then id).
    pub fn schedule(&self) -> Result<Vec<ScheduleEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT r.question_id, r.due, r.last_score,
                    (SELECT a.topic FROM attempts a WHERE a.question_id = r.question_id
                     ORDER BY a.created_at DESC, a.id DESC LIMIT 1)
             FROM review r",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ScheduleEntry {
                id: r.get(0)?,
                due: r.get(1)?,
                last_score: r.get(2)?,
                topic: r.get(3)?,
            })
        })?;
        let mut entries = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        schedule::sort(&mut entries);
        Ok(entries)
    }

    /// The cards due at `now`, most overdue first.
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<ScheduleEntry>> {
        let mut entries = self.schedule()?;
        entries.retain(|e| schedule::is_due(e, now));
        Ok(entries)
    }

    /// The stored card of a question, for tests of the schedule.
    pub fn card(&self, question_id: &str) -> Result<Option<StoredCard>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT card FROM review WHERE question_id = ?1",
                [question_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }
}
