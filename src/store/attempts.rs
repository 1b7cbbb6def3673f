//! Attempts: an answer as stored, then graded (or skipped, or left for
//! `regrade`), read back as typed values.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::columns::{Extra, FollowUpAnswer, GradedBy, Status, Via};
use super::db::Store;
use crate::error::Result;
use crate::verdict::{Usage, Verdict};

/// A stored attempt, as read back. Serialises as `history --json` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    #[serde(rename = "attempt_id")]
    pub id: i64,
    pub session_id: Option<i64>,
    pub question_id: String,
    pub topic: String,
    pub answer: String,
    pub status: Status,
    #[serde(rename = "grader")]
    pub graded_by: Option<GradedBy>,
    pub verdict: Option<Verdict>,
    pub score: Option<f64>,
    pub seconds: Option<f64>,
    pub cut_off: bool,
    pub error: Option<String>,
    pub extra: Option<Extra>,
    pub created_at: String,
    pub graded_at: Option<String>,
    /// Tokens the judge's calls for this grade cost, when it reported them.
    pub usage: Option<Usage>,
}

impl Attempt {
    /// The score, if it is one that counts: graded, and not an estimate.
    pub fn counted_score(&self) -> Option<f64> {
        match (&self.status, &self.graded_by) {
            (Status::Graded, Some(by)) if by.counts() => self.score,
            _ => None,
        }
    }

    /// An answer given whose grade counts, or that is still to be graded:
    /// skipped questions and keyword estimates are not practice that counts.
    pub fn counts_as_answer(&self) -> bool {
        match self.status {
            Status::Skipped => false,
            Status::Ungraded => true,
            Status::Graded => self.graded_by.as_ref().is_none_or(GradedBy::counts),
        }
    }

    pub fn is_estimate(&self) -> bool {
        self.graded_by == Some(GradedBy::Estimate)
    }
}

/// What to insert for a new answer.
#[derive(Debug, Clone, Default)]
pub struct NewAttempt<'a> {
    pub session_id: Option<i64>,
    pub question_id: &'a str,
    pub topic: &'a str,
    pub answer: &'a str,
    pub seconds: Option<f64>,
    pub cut_off: bool,
    pub extra: Option<Extra>,
}

pub(super) const COLUMNS: &str = "id, session_id, question_id, topic, answer, status, grader, verdict, score, seconds, cut_off, error, extra, created_at, graded_at, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens";

pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attempt> {
    let verdict: Option<String> = r.get(7)?;
    let extra: Option<String> = r.get(12)?;
    Ok(Attempt {
        id: r.get(0)?,
        session_id: r.get(1)?,
        question_id: r.get(2)?,
        topic: r.get(3)?,
        answer: r.get(4)?,
        status: Status::parse(&r.get::<_, String>(5)?),
        graded_by: r.get::<_, Option<String>>(6)?.map(|g| GradedBy::parse(&g)),
        verdict: verdict.and_then(|t| serde_json::from_str(&t).ok()),
        score: r.get(8)?,
        seconds: r.get(9)?,
        cut_off: r.get(10)?,
        error: r.get(11)?,
        extra: extra.and_then(|t| Extra::parse(&t)),
        created_at: r.get(13)?,
        graded_at: r.get(14)?,
        usage: r.get::<_, Option<i64>>(15)?.map(|prompt| Usage {
            prompt: u64::try_from(prompt).unwrap_or(0),
            cached: u64::try_from(r.get::<_, Option<i64>>(16).ok().flatten().unwrap_or(0))
                .unwrap_or(0),
            completion: u64::try_from(r.get::<_, Option<i64>>(17).ok().flatten().unwrap_or(0))
                .unwrap_or(0),
            reasoning: u64::try_from(r.get::<_, Option<i64>>(18).ok().flatten().unwrap_or(0))
                .unwrap_or(0),
        }),
    })
}

impl Store {
    /// Stores an answer as ungraded and returns its id: its own transaction, committed at once.
    pub fn insert_attempt(&self, a: &NewAttempt<'_>) -> Result<i64> {
        Ok(self.insert_attempts(std::slice::from_ref(a))?[0])
    }

    /// Stores several answers in one transaction: all of them or none.
    pub fn insert_attempts(&self, all: &[NewAttempt<'_>]) -> Result<Vec<i64>> {
        let now = self.clock.stamp();
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| self.write_error("store the answers", &e))?;
        let mut ids = Vec::with_capacity(all.len());
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO attempts (session_id, question_id, topic, answer, status, seconds, cut_off, extra, created_at)
                     VALUES (?1, ?2, ?3, ?4, 'ungraded', ?5, ?6, ?7, ?8)",
                )
                .map_err(|e| self.write_error("store the answers", &e))?;
            for a in all {
                stmt.execute(params![
                    a.session_id,
                    a.question_id,
                    a.topic,
                    a.answer,
                    a.seconds,
                    a.cut_off,
                    a.extra.as_ref().map(Extra::to_column),
                    now
                ])
                .map_err(|e| self.write_error("store the answers", &e))?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()
            .map_err(|e| self.write_error("store the answers", &e))?;
        Ok(ids)
    }

    /// Records a verdict: attempt, score, grader, the tokens it cost and,
    /// when the grade counts, the question's review card, in one transaction.
    /// Only an attempt still ungraded takes it: `false` when another grade
    /// got there first (a second collector of the same job, a result file
    /// naming one answer twice), which then changes nothing, card included.
    pub fn record_graded(
        &self,
        id: i64,
        question_id: &str,
        verdict: &Verdict,
        by: &GradedBy,
    ) -> std::result::Result<bool, rusqlite::Error> {
        self.record_graded_via(id, question_id, verdict, by, Via::Live)
    }

    /// `record_graded`, saying how the judge's tokens were bought.
    pub fn record_graded_via(
        &self,
        id: i64,
        question_id: &str,
        verdict: &Verdict,
        by: &GradedBy,
        via: Via,
    ) -> std::result::Result<bool, rusqlite::Error> {
        let now = self.clock.now();
        let json = serde_json::to_string(verdict).unwrap_or_else(|_| "null".into());
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let tokens = |f: fn(&Usage) -> u64| {
            verdict
                .usage
                .as_ref()
                .map(|u| i64::try_from(f(u)).unwrap_or(i64::MAX))
        };
        let changed = tx.execute(
            "UPDATE attempts SET status = 'graded', grader = ?2, verdict = ?3, score = ?4, error = NULL, graded_at = ?5,
                prompt_tokens = ?6, cached_tokens = ?7, completion_tokens = ?8, via = ?9,
                reasoning_tokens = ?10
             WHERE id = ?1 AND status = 'ungraded'",
            params![
                id,
                by.label(),
                json,
                verdict.score,
                crate::time::stamp(now),
                tokens(|u| u.prompt),
                tokens(|u| u.cached),
                tokens(|u| u.completion),
                via.column(),
                tokens(|u| u.reasoning)
            ],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        if by.counts() {
            super::review::update_card(&tx, id, question_id, verdict, now)?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// Replaces a graded attempt's verdict and score, and moves again the
    /// key point cards it moved, by the revised points: for a follow-up
    /// round, or points the candidate settled after the judge's samples
    /// disagreed.
    pub fn revise_verdict(&self, id: i64, question_id: &str, verdict: &Verdict) -> Result<()> {
        let json = serde_json::to_string(verdict).unwrap_or_else(|_| "null".into());
        let mut conn = self.conn();
        let write = |conn: &mut rusqlite::Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE attempts SET verdict = ?2, score = ?3 WHERE id = ?1 AND status = 'graded'",
                params![id, json, verdict.score],
            )?;
            if changed > 0 {
                super::review::revise_cards(&tx, id, question_id, verdict)?;
            }
            tx.commit()
        };
        write(&mut conn).map_err(|e| self.write_error("store the revised grade", &e))
    }

    /// Adds a follow-up answer to an attempt's `extra`, stored before it is
    /// graded.
    pub fn push_follow_up_answer(&self, id: i64, round: &FollowUpAnswer) -> Result<()> {
        let mut conn = self.conn();
        let write = |conn: &mut rusqlite::Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            let text: Option<String> =
                tx.query_row("SELECT extra FROM attempts WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            let mut extra = text.and_then(|t| Extra::parse(&t)).unwrap_or_default();
            extra.follow_up_answers.push(round.clone());
            tx.execute(
                "UPDATE attempts SET extra = ?2 WHERE id = ?1",
                params![id, extra.to_column()],
            )?;
            tx.commit()
        };
        write(&mut conn).map_err(|e| self.write_error("store the follow-up answer", &e))
    }

    /// Records why grading failed; the attempt stays ungraded for `grill regrade`.
    pub fn record_failure(&self, id: i64, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE attempts SET error = ?2 WHERE id = ?1",
            params![id, crate::text::sanitize(error)],
        )?;
        Ok(())
    }

    pub fn mark_skipped(&self, id: i64) -> Result<()> {
        self.conn().execute(
            &format!(
                "UPDATE attempts SET status = '{}' WHERE id = ?1",
                Status::Skipped.as_str()
            ),
            params![id],
        )?;
        Ok(())
    }

    pub fn attempt(&self, id: i64) -> Result<Option<Attempt>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM attempts WHERE id = ?1"),
                [id],
                read,
            )
            .optional()?)
    }

    /// The answers still to grade, but for those waiting in a Batch API job
    /// not yet collected: grading them live too would pay for them twice.
    pub fn ungraded(&self) -> Result<Vec<Attempt>> {
        self.query(
            "WHERE status = 'ungraded' AND coalesce(session_id, 0) NOT IN
                (SELECT session_id FROM batch_jobs WHERE status != 'collected')
             ORDER BY id",
            [],
        )
    }

    /// How many ungraded answers wait in Batch API jobs not yet collected.
    pub fn waiting_in_jobs(&self) -> Result<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM attempts WHERE status = 'ungraded' AND session_id IN
                (SELECT session_id FROM batch_jobs WHERE status != 'collected')",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub fn session_attempts(&self, session_id: i64) -> Result<Vec<Attempt>> {
        self.query("WHERE session_id = ?1 ORDER BY id", [session_id])
    }

    /// Every attempt, oldest first.
    pub fn all_attempts(&self) -> Result<Vec<Attempt>> {
        self.query("ORDER BY created_at, id", [])
    }

    fn query(&self, tail: &str, args: impl rusqlite::Params) -> Result<Vec<Attempt>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM attempts {tail}"))?;
        let rows = stmt.query_map(args, read)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Clock;

    fn verdict(score: f64) -> Verdict {
        Verdict {
            score,
            ..Verdict::default()
        }
    }

    #[test]
    fn an_answer_is_stored_ungraded_then_graded() {
        let store = Store::in_memory(Clock::system()).unwrap();
        let id = store
            .insert_attempt(&NewAttempt {
                question_id: "q",
                topic: "t",
                answer: "my answer",
                ..Default::default()
            })
            .unwrap();
        assert_eq!(store.ungraded().unwrap().len(), 1);
        store.record_failure(id, "server \u{1b}[2J down").unwrap();
        assert_eq!(
            store.attempt(id).unwrap().unwrap().error.as_deref(),
            Some("server \u{fffd}[2J down"),
            "stored errors are sanitised"
        );
        let mut judged = verdict(7.5);
        judged.usage = Some(Usage {
            prompt: 1200,
            cached: 1024,
            completion: 180,
            reasoning: 0,
        });
        store
            .record_graded(id, "q", &judged, &GradedBy::SelfCheck)
            .unwrap();
        let a = store.attempt(id).unwrap().unwrap();
        assert_eq!(a.usage, judged.usage, "usage is stored with the grade");
        assert_eq!(
            (a.status, a.score, a.graded_by.clone()),
            (Status::Graded, Some(7.5), Some(GradedBy::SelfCheck))
        );
        assert_eq!(a.verdict.map(|v| v.score), Some(7.5));
        assert!(a.error.is_none());
        assert!(store.ungraded().unwrap().is_empty());
        assert_eq!(
            store.schedule(&|_| None).unwrap().len(),
            1,
            "the card moved with it"
        );
    }

    #[test]
    fn an_estimate_is_stored_but_neither_counted_nor_scheduled() {
        let store = Store::in_memory(Clock::system()).unwrap();
        let id = store
            .insert_attempt(&NewAttempt {
                question_id: "q",
                topic: "t",
                answer: "keywords",
                ..Default::default()
            })
            .unwrap();
        store
            .record_graded(id, "q", &verdict(10.0), &GradedBy::Estimate)
            .unwrap();
        let a = store.attempt(id).unwrap().unwrap();
        assert_eq!(a.score, Some(10.0));
        assert_eq!(a.counted_score(), None);
        assert!(!a.counts_as_answer());
        assert!(store.schedule(&|_| None).unwrap().is_empty());
    }

    #[test]
    fn a_batch_of_answers_is_stored_whole() {
        let store = Store::in_memory(Clock::system()).unwrap();
        let all: Vec<NewAttempt> = (0..3)
            .map(|_| NewAttempt {
                question_id: "q",
                topic: "t",
                answer: "a",
                ..Default::default()
            })
            .collect();
        assert_eq!(store.insert_attempts(&all).unwrap().len(), 3);
        assert_eq!(store.all_attempts().unwrap().len(), 3);
    }
}
