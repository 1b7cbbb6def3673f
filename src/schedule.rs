//! Spaced review: one FSRS card per question, updated after every graded
//! attempt, telling which questions are due again and when.
//!
//! The algorithm is `rs-fsrs` (the Open Spaced Repetition project's small
//! scheduler crate) rather than `fsrs`, which bundles the parameter optimizer
//! and its numeric stack (ndarray, rayon, rand) and costs about ten times the
//! build time for nothing we use. We run its long-term scheduler: intervals in
//! whole days, no minute-scale learning steps (nobody re-answers an interview
//! question ten minutes later), and no fuzz, so a schedule is reproducible.
//!
//! The card is stored as our own JSON shape, not the crate's, so that a new
//! crate version cannot make old databases unreadable. Scheduling itself is
//! pure (`next_card`); `record`, `due` and `schedule` are the store's edge.

use chrono::{DateTime, SecondsFormat, Utc};
use rs_fsrs::{Card, Parameters, Rating, State, FSRS};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::Store;

/// Longest interval between two reviews, in days: an interview is weeks or
/// months away, not years.
const MAX_INTERVAL_DAYS: i32 = 120;

/// One question's place in the review schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleEntry {
    pub id: String,
    /// The topic of the question's latest attempt; callers may replace it with the bank's.
    pub topic: Option<String>,
    /// When it is due, RFC 3339 in UTC.
    pub due: String,
    pub last_score: Option<f64>,
}

/// The rating a score out of 10 earns.
pub fn rating(score: f64) -> Rating {
    if score < 4.0 {
        Rating::Again
    } else if score < 6.0 {
        Rating::Hard
    } else if score < 8.5 {
        Rating::Good
    } else {
        Rating::Easy
    }
}

fn fsrs() -> FSRS {
    FSRS::new(Parameters {
        maximum_interval: MAX_INTERVAL_DAYS,
        enable_short_term: false,
        enable_fuzz: false,
        ..Parameters::default()
    })
}

/// The card as stored in `review.card`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCard {
    pub state: String,
    pub stability: f64,
    pub difficulty: f64,
    pub reps: i32,
    pub lapses: i32,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
    pub last_review: DateTime<Utc>,
    pub due: DateTime<Utc>,
}

impl From<&Card> for StoredCard {
    fn from(c: &Card) -> Self {
        StoredCard {
            state: match c.state {
                State::New => "new",
                State::Learning => "learning",
                State::Review => "review",
                State::Relearning => "relearning",
            }
            .to_string(),
            stability: c.stability,
            difficulty: c.difficulty,
            reps: c.reps,
            lapses: c.lapses,
            elapsed_days: c.elapsed_days,
            scheduled_days: c.scheduled_days,
            last_review: c.last_review,
            due: c.due,
        }
    }
}

impl StoredCard {
    fn to_card(&self) -> Card {
        Card {
            due: self.due,
            stability: self.stability,
            difficulty: self.difficulty,
            elapsed_days: self.elapsed_days,
            scheduled_days: self.scheduled_days,
            reps: self.reps,
            lapses: self.lapses,
            state: match self.state.as_str() {
                "learning" => State::Learning,
                "review" => State::Review,
                "relearning" => State::Relearning,
                _ => State::New,
            },
            last_review: self.last_review,
        }
    }
}

/// The card after answering with `score` at `now`; `None` is a question never reviewed.
pub fn next_card(previous: Option<&StoredCard>, score: f64, now: DateTime<Utc>) -> StoredCard {
    let card = match previous {
        Some(stored) if stored.stability > 0.0 && stored.difficulty > 0.0 => stored.to_card(),
        _ => Card {
            due: now,
            last_review: now,
            ..Card::default()
        },
    };
    // A clock set back (tests, a changed GRILL_NOW) must not give a negative
    // elapsed time, which the forgetting curve cannot take.
    let now = now.max(card.last_review);
    let next = fsrs().next(card, now, rating(score)).card;
    StoredCard::from(&next)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Updates the question's card after a graded attempt scored `score` (0–10) at `now`.
#[allow(clippy::similar_names)] // `store` and `score` are both the domain's words
pub fn record(store: &Store, question_id: &str, score: f64, now: DateTime<Utc>) -> Result<()> {
    if !score.is_finite() {
        return Err(Error::input(format!(
            "cannot schedule `{question_id}`: the score is not a number"
        )));
    }
    let conn = store.connection();
    let previous: Option<String> = conn
        .query_row(
            "SELECT card FROM review WHERE question_id = ?1",
            [question_id],
            |r| r.get(0),
        )
        .optional()?;
    // An unreadable card (hand-edited, or from a future version) starts over
    // rather than blocking the grade that triggered this update.
    let previous = previous.and_then(|text| serde_json::from_str::<StoredCard>(&text).ok());
    let card = next_card(previous.as_ref(), score, now);
    let json = serde_json::to_string(&card)
        .map_err(|e| Error::failure(format!("cannot encode the review card: {e}")))?;
    conn.execute(
        "INSERT INTO review (question_id, card, due, last_score, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(question_id) DO UPDATE SET
             card = excluded.card, due = excluded.due,
             last_score = excluded.last_score, updated_at = excluded.updated_at",
        params![question_id, json, stamp(card.due), score, stamp(now)],
    )?;
    Ok(())
}

/// Every card, sorted by due time (then id).
pub fn schedule(store: &Store) -> Result<Vec<ScheduleEntry>> {
    let mut stmt = store.connection().prepare(
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
    // Parsed rather than compared as text, in case a row was written with another offset.
    entries.sort_by(|a, b| {
        due_time(&a.due)
            .cmp(&due_time(&b.due))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(entries)
}

/// The cards due at `now`, most overdue first.
pub fn due(store: &Store, now: DateTime<Utc>) -> Result<Vec<ScheduleEntry>> {
    let mut entries = schedule(store)?;
    entries.retain(|e| is_due(e, now));
    Ok(entries)
}

/// Whether `entry` is due at `now`. An unreadable due time counts as due.
pub fn is_due(entry: &ScheduleEntry, now: DateTime<Utc>) -> bool {
    due_time(&entry.due).is_none_or(|t| t <= now)
}

/// The parsed due time; `None` (sorted first) when it cannot be read.
pub fn due_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::days(day)
    }

    fn due_of(store: &Store, id: &str) -> DateTime<Utc> {
        let entry = schedule(store)
            .unwrap()
            .into_iter()
            .find(|e| e.id == id)
            .unwrap();
        due_time(&entry.due).unwrap()
    }

    #[test]
    fn scores_map_to_ratings_at_the_documented_edges() {
        assert_eq!(rating(0.0), Rating::Again);
        assert_eq!(rating(3.9), Rating::Again);
        assert_eq!(rating(4.0), Rating::Hard);
        assert_eq!(rating(5.9), Rating::Hard);
        assert_eq!(rating(6.0), Rating::Good);
        assert_eq!(rating(8.4), Rating::Good);
        assert_eq!(rating(8.5), Rating::Easy);
        assert_eq!(rating(10.0), Rating::Easy);
    }

    #[test]
    fn a_weak_answer_comes_due_before_a_strong_one() {
        let store = Store::in_memory().unwrap();
        record(&store, "strong", 10.0, at(0)).unwrap();
        record(&store, "weak", 2.0, at(0)).unwrap();
        let all = schedule(&store).unwrap();
        let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["weak", "strong"]);
        assert_eq!(all[0].last_score, Some(2.0));
        assert!(due_of(&store, "weak") < due_of(&store, "strong"));
        // Nothing is due at once; the weak one is due the next day, the strong one is not.
        assert!(due(&store, at(0)).unwrap().is_empty());
        let tomorrow: Vec<String> = due(&store, at(1))
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(tomorrow, ["weak"]);
    }

    #[test]
    fn repeated_good_scores_push_the_due_date_further_out() {
        let store = Store::in_memory().unwrap();
        let mut now = at(0);
        let mut last_gap = Duration::zero();
        for _ in 0..4 {
            record(&store, "q", 7.5, now).unwrap();
            let due = due_of(&store, "q");
            let gap = due - now;
            assert!(gap > last_gap, "gap {gap} after {last_gap}");
            last_gap = gap;
            now = due;
        }
        assert!(last_gap >= Duration::days(10), "{last_gap}");
    }

    #[test]
    fn a_lapse_brings_a_question_back_soon() {
        let store = Store::in_memory().unwrap();
        record(&store, "q", 9.0, at(0)).unwrap();
        let first = due_of(&store, "q");
        record(&store, "q", 1.0, first).unwrap();
        // 15 days after an easy answer; a few days after forgetting it.
        assert_eq!(first - at(0), Duration::days(15));
        assert!(due_of(&store, "q") - first <= Duration::days(4));
        let card: String = store
            .connection()
            .query_row("SELECT card FROM review", [], |r| r.get(0))
            .unwrap();
        let card: StoredCard = serde_json::from_str(&card).unwrap();
        assert_eq!((card.reps, card.lapses), (2, 1));
    }

    #[test]
    fn a_clock_set_back_or_a_broken_card_does_not_fail() {
        let store = Store::in_memory().unwrap();
        record(&store, "q", 7.0, at(5)).unwrap();
        record(&store, "q", 7.0, at(0)).unwrap();
        store
            .connection()
            .execute("UPDATE review SET card = 'not json'", [])
            .unwrap();
        record(&store, "q", 3.0, at(6)).unwrap();
        assert!(due_of(&store, "q") > at(6));
        assert!(record(&store, "q", f64::NAN, at(6)).is_err());
    }
}
