//! When the judge model goes away: its server's `shutdown_date` (OpenAI's
//! Model object, `GET /models/{id}`), read at most once a day, else grill's
//! shipped, dated table of announced shutdowns. A model that retires within
//! `WARN_DAYS` is said so, with its replacement, before it starts failing.

use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

/// How long before a shutdown grill starts saying so.
pub const WARN_DAYS: i64 = 90;

#[derive(Deserialize)]
struct Table {
    reviewed: String,
    source: String,
    model: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    id: String,
    notice: String,
    shutdown: String,
    replacement: String,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str(include_str!("retirements.toml"))
            .expect("the shipped retirements.toml parses")
    })
}

/// A model's announced end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retirement {
    pub model: String,
    pub shutdown: NaiveDate,
    pub replacement: Option<String>,
    /// Where the date came from: the server, or the shipped table (dated).
    pub from: String,
}

impl Retirement {
    /// What to tell the user `today`, when the shutdown is within
    /// `WARN_DAYS` or past.
    pub fn warning(&self, today: NaiveDate) -> Option<String> {
        let days = (self.shutdown - today).num_days();
        if days > WARN_DAYS {
            return None;
        }
        let when = match days {
            d if d < 0 => format!("was shut down on {}", self.shutdown),
            0 => "shuts down today".to_string(),
            1 => format!("shuts down tomorrow, {}", self.shutdown),
            d => format!("shuts down on {} (in {d} days)", self.shutdown),
        };
        let instead = self.replacement.as_ref().map_or_else(
            || "; choose another model with --model or GRILL_MODEL".to_string(),
            |r| format!("; switch to `{r}` (--model {r}, GRILL_MODEL={r} or `model = \"{r}\"` in the config file)"),
        );
        Some(format!(
            "the judge model `{}` {when}, {}{instead}",
            crate::text::sanitize(&self.model),
            self.from
        ))
    }
}

/// The shipped table's row for `model`, if any.
pub fn shipped(model: &str) -> Option<Retirement> {
    let t = table();
    let row = t.model.iter().find(|r| r.id == model)?;
    Some(Retirement {
        model: row.id.clone(),
        shutdown: NaiveDate::parse_from_str(&row.shutdown, "%Y-%m-%d").ok()?,
        replacement: Some(row.replacement.clone()),
        from: format!(
            "as announced on {} ({}; grill's table of {})",
            row.notice, t.source, t.reviewed
        ),
    })
}

/// The replacement the shipped table names for `model`, if any.
pub fn replacement(model: &str) -> Option<String> {
    table()
        .model
        .iter()
        .find(|r| r.id == model)
        .map(|r| r.replacement.clone())
}

/// A Model object's `shutdown_date`: a date (`2027-01-14`, maybe with a
/// time) or Unix seconds; `None` when absent, null or unreadable.
pub fn shutdown_of(model: &Value) -> Option<NaiveDate> {
    match model.get("shutdown_date")? {
        Value::String(s) => NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok(),
        Value::Number(n) => {
            chrono::DateTime::from_timestamp(n.as_i64()?, 0).map(|t| t.date_naive())
        }
        _ => None,
    }
}

/// The retirement to warn about: the server's date when it gave one, else
/// the shipped table's.
pub fn retirement(model: &str, from_server: Option<NaiveDate>) -> Option<Retirement> {
    match from_server {
        Some(shutdown) => Some(Retirement {
            model: model.to_string(),
            shutdown,
            replacement: replacement(model),
            from: "as its server says".into(),
        }),
        None => shipped(model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_default_models_predecessor_is_warned_about_within_ninety_days() {
        let r = shipped("gpt-4o-mini").unwrap();
        assert_eq!(r.shutdown, day("2027-01-14"));
        let w = r.warning(day("2026-12-03")).unwrap();
        assert!(w.contains("shuts down on 2027-01-14 (in 42 days)"), "{w}");
        assert!(w.contains("switch to `gpt-6-luna`"), "{w}");
        assert_eq!(r.warning(day("2026-10-01")), None);
        assert!(r
            .warning(day("2027-02-01"))
            .unwrap()
            .contains("was shut down"));
        assert_eq!(shipped("gpt-6-luna"), None);
        assert_eq!(
            shipped(crate::config::DEFAULT_MODEL),
            None,
            "the default is not retiring"
        );
    }

    #[test]
    fn a_servers_shutdown_date_is_read_in_either_form() {
        assert_eq!(
            shutdown_of(&json!({"shutdown_date": "2027-01-14"})),
            Some(day("2027-01-14"))
        );
        assert_eq!(
            shutdown_of(&json!({"shutdown_date": 1_799_884_800})),
            Some(day("2027-01-14"))
        );
        assert_eq!(shutdown_of(&json!({"shutdown_date": null})), None);
        assert_eq!(shutdown_of(&json!({"id": "m"})), None);
        let r = retirement("acme", Some(day("2027-01-01"))).unwrap();
        assert!(r.warning(day("2026-12-31")).unwrap().contains("tomorrow"));
    }
}
