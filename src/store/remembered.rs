//! What the store remembers for the judge, apart from answers: the verdict
//! cache, the format-ladder rung each server and model settled on with what
//! the server taught about the request shape, and when a model's retirement
//! date was last read.

use rusqlite::{params, OptionalExtension};

use super::db::Store;
use crate::error::Result;

impl Store {
    /// A cached reply for `key`, as the JSON it was stored as.
    pub fn cached_verdict(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT verdict FROM verdict_cache WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    pub fn cache_verdict(
        &self,
        key: &str,
        verdict: &serde_json::Value,
    ) -> std::result::Result<(), rusqlite::Error> {
        self.conn().execute(
            "INSERT OR REPLACE INTO verdict_cache (key, verdict, created_at) VALUES (?1, ?2, ?3)",
            params![key, verdict.to_string(), self.clock.stamp()],
        )?;
        Ok(())
    }

    /// The format-ladder rung remembered for a server and model, if it was
    /// settled after `since`.
    pub fn remembered_format(
        &self,
        base_url: &str,
        model: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<String>> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT format, checked_at FROM judge_formats WHERE base_url = ?1 AND model = ?2",
                params![base_url, model],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row
            .filter(|(_, at)| crate::time::parse(at).is_some_and(|t| t >= since))
            .map(|(format, _)| format))
    }

    /// Remembers the rung a server and model settled on.
    pub fn remember_format(&self, base_url: &str, model: &str, format: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO judge_formats (base_url, model, format, checked_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(base_url, model) DO UPDATE SET format = excluded.format, checked_at = excluded.checked_at",
            params![base_url, model, format, self.clock.stamp()],
        )?;
        Ok(())
    }

    /// What a server taught about a model's request shape (JSON), if anything.
    pub fn remembered_learnt(&self, base_url: &str, model: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT learnt FROM judge_formats WHERE base_url = ?1 AND model = ?2",
                params![base_url, model],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Remembers the rung a server settled on and what it taught about the
    /// request shape, together.
    pub fn remember_shape(
        &self,
        base_url: &str,
        model: &str,
        format: &str,
        learnt: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO judge_formats (base_url, model, format, checked_at, learnt) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(base_url, model) DO UPDATE SET format = excluded.format,
                checked_at = excluded.checked_at, learnt = excluded.learnt",
            params![base_url, model, format, self.clock.stamp(), learnt],
        )?;
        Ok(())
    }

    /// When a model's retirement date was last read from its server, and
    /// the date it gave (`None`: none announced).
    pub fn model_check(
        &self,
        base_url: &str,
        model: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT checked_at, shutdown_date FROM model_checks WHERE base_url = ?1 AND model = ?2",
                params![base_url, model],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn record_model_check(
        &self,
        base_url: &str,
        model: &str,
        shutdown_date: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO model_checks (base_url, model, checked_at, shutdown_date) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(base_url, model) DO UPDATE SET checked_at = excluded.checked_at,
                shutdown_date = excluded.shutdown_date",
            params![base_url, model, self.clock.stamp(), shutdown_date],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Clock;

    #[test]
    fn a_settled_format_is_remembered_for_a_while() {
        let at = crate::time::parse("2026-03-10T00:00:00Z").unwrap();
        let store = Store::in_memory(Clock::fixed(at)).unwrap();
        store
            .remember_format("http://x/v1", "m", "json_object")
            .unwrap();
        let week_ago = at - chrono::Duration::days(7);
        assert_eq!(
            store
                .remembered_format("http://x/v1", "m", week_ago)
                .unwrap()
                .as_deref(),
            Some("json_object")
        );
        assert_eq!(
            store
                .remembered_format("http://x/v1", "other", week_ago)
                .unwrap(),
            None
        );
        let later = at + chrono::Duration::days(1);
        assert_eq!(
            store.remembered_format("http://x/v1", "m", later).unwrap(),
            None,
            "too old"
        );
    }
}
