//! Tokens spent by the judge, summed per UTC day and model from the grades
//! stored with them (`attempts.prompt_tokens` and friends).

use rusqlite::params;

use super::columns::{Via, JUDGE_PREFIX};
use super::db::Store;
use crate::error::Result;
use crate::verdict::Usage;

/// The judged grades of one UTC day and one model, and what they cost in tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub model: String,
    /// Grades made through the Batch API (priced at the batch discount).
    pub batch: bool,
    pub grades: u64,
    pub usage: Usage,
}

impl Store {
    /// Token usage of judged grades, by day, model and route, oldest day
    /// first; only grades on or after `since` (`YYYY-MM-DD`) when given.
    /// Grades answered from the verdict cache cost nothing and have no usage.
    pub fn usage_by_day(&self, since: Option<&str>) -> Result<Vec<UsageRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT substr(graded_at, 1, 10) AS day, substr(grader, length(?2) + 1) AS model, via = ?3,
                    count(*), sum(prompt_tokens), sum(coalesce(cached_tokens, 0)), sum(coalesce(completion_tokens, 0)),
                    sum(coalesce(reasoning_tokens, 0))
             FROM attempts
             WHERE substr(grader, 1, length(?2)) = ?2 AND prompt_tokens IS NOT NULL AND graded_at IS NOT NULL
               AND (?1 IS NULL OR graded_at >= ?1)
             GROUP BY day, model, via = ?3
             ORDER BY day, model, via = ?3",
        )?;
        let n = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<u64> {
            Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
        };
        let rows = stmt.query_map(params![since, JUDGE_PREFIX, Via::Batch.column()], |r| {
            Ok(UsageRow {
                day: r.get(0)?,
                model: r.get(1)?,
                batch: r.get::<_, Option<bool>>(2)?.unwrap_or(false),
                grades: n(r, 3)?,
                usage: Usage {
                    prompt: n(r, 4)?,
                    cached: n(r, 5)?,
                    completion: n(r, 6)?,
                    reasoning: n(r, 7)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
