//! The review schedule's rows: one FSRS card per key point, and one per
//! question that its points inherit until they have their own. The
//! scheduling itself is pure (`crate::schedule`); this is where cards are
//! read and written.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::db::Store;
use crate::error::Result;
use crate::schedule::{self, PointRow, QuestionRow, ScheduleEntry, StoredCard};
use crate::verdict::Verdict;

/// A stored card, or `None`. An unreadable one (hand-edited, or from a
/// future version) starts over rather than blocking the grade that moves it.
fn stored_card(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Option<StoredCard>> {
    let text: Option<String> = tx.query_row(sql, params, |r| r.get(0)).optional()?;
    Ok(text.and_then(|text| serde_json::from_str::<StoredCard>(&text).ok()))
}

/// Moves the cards of the question and of each of its key points after a
/// counted grade of attempt `attempt_id` at `now`, inside the transaction
/// that records the grade: covered → Good, partial or recovered on a
/// follow-up → Hard, missing → Again; the question's own card by the score.
pub(super) fn update_card(
    tx: &Transaction<'_>,
    attempt_id: i64,
    question_id: &str,
    verdict: &Verdict,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let score = verdict.score;
    if !score.is_finite() {
        return Ok(());
    }
    let previous = stored_card(
        tx,
        "SELECT card FROM review WHERE question_id = ?1",
        [question_id],
    )?;
    for point in &verdict.key_points {
        let own = stored_card(
            tx,
            "SELECT card FROM review_points WHERE question_id = ?1 AND point_id = ?2",
            [question_id, point.id.as_str()],
        )?;
        let before = own.as_ref().or(previous.as_ref());
        let card = schedule::next_card_rated(before, schedule::point_rating(point), now);
        tx.execute(
            "INSERT INTO review_points
                 (question_id, point_id, card, due, outcome, updated_at, attempt_id, previous)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(question_id, point_id) DO UPDATE SET
                 card = excluded.card, due = excluded.due, outcome = excluded.outcome,
                 updated_at = excluded.updated_at, attempt_id = excluded.attempt_id,
                 previous = excluded.previous",
            params![
                question_id,
                point.id,
                serde_json::to_string(&card).unwrap_or_default(),
                crate::time::stamp(card.due),
                schedule::outcome(point),
                crate::time::stamp(now),
                attempt_id,
                before.and_then(|c| serde_json::to_string(c).ok())
            ],
        )?;
    }
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

/// Moves again the point cards that attempt `attempt_id` moved, from the
/// cards they had before it, by the points of its revised `verdict`: a
/// follow-up recovered some, or the candidate settled what the judge's
/// samples split on. Cards moved since by a later attempt are left alone.
pub(super) fn revise_cards(
    tx: &Transaction<'_>,
    attempt_id: i64,
    question_id: &str,
    verdict: &Verdict,
) -> rusqlite::Result<()> {
    for point in &verdict.key_points {
        let row: Option<(Option<String>, String)> = tx
            .query_row(
                "SELECT previous, updated_at FROM review_points
                 WHERE question_id = ?1 AND point_id = ?2 AND attempt_id = ?3",
                params![question_id, point.id, attempt_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((previous, moved_at)) = row else {
            continue;
        };
        let Some(moved_at) = crate::time::parse(&moved_at) else {
            continue;
        };
        let previous = previous.and_then(|t| serde_json::from_str::<StoredCard>(&t).ok());
        let card =
            schedule::next_card_rated(previous.as_ref(), schedule::point_rating(point), moved_at);
        tx.execute(
            "UPDATE review_points SET card = ?4, due = ?5, outcome = ?6
             WHERE question_id = ?1 AND point_id = ?2 AND attempt_id = ?3",
            params![
                question_id,
                point.id,
                attempt_id,
                serde_json::to_string(&card).unwrap_or_default(),
                crate::time::stamp(card.due),
                schedule::outcome(point)
            ],
        )?;
    }
    // The score `review --list` shows is the revised one, the follow-up's
    // included, while this attempt is still the question's last grade.
    tx.execute(
        "UPDATE review SET last_score = ?2
         WHERE question_id = ?1
           AND updated_at = (SELECT graded_at FROM attempts WHERE id = ?3)",
        params![question_id, verdict.score, attempt_id],
    )?;
    Ok(())
}

/// A question's key point ids from the bank, `None` when it is not there.
pub type KeyPoints<'a> = &'a dyn Fn(&str) -> Option<Vec<String>>;

impl Store {
    /// Every scheduled question with its points, sorted by due time (then id).
    pub fn schedule(&self, key_points: KeyPoints<'_>) -> Result<Vec<ScheduleEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT r.question_id, r.due, r.last_score,
                    (SELECT a.topic FROM attempts a WHERE a.question_id = r.question_id
                     ORDER BY a.created_at DESC, a.id DESC LIMIT 1)
             FROM review r",
        )?;
        let questions = stmt
            .query_map([], |r| {
                Ok(QuestionRow {
                    id: r.get(0)?,
                    due: r.get(1)?,
                    last_score: r.get(2)?,
                    topic: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = conn.prepare("SELECT question_id, point_id, due FROM review_points")?;
        let points = stmt
            .query_map([], |r| {
                Ok(PointRow {
                    question_id: r.get(0)?,
                    point_id: r.get(1)?,
                    due: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(schedule::join(questions, &points, key_points))
    }

    /// The questions due at `now` (any of their points), most overdue first.
    pub fn due(&self, now: DateTime<Utc>, key_points: KeyPoints<'_>) -> Result<Vec<ScheduleEntry>> {
        let mut entries = self.schedule(key_points)?;
        entries.retain(|e| schedule::is_due(e, now));
        Ok(entries)
    }

    /// A key point's own stored card, for tests of the schedule.
    pub fn point_card(&self, question_id: &str, point_id: &str) -> Result<Option<StoredCard>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT card FROM review_points WHERE question_id = ?1 AND point_id = ?2",
                [question_id, point_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
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
