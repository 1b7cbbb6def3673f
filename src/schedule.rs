//! Spaced review: one FSRS card per key point of a question, updated after
//! every graded attempt, telling which questions are due again and when. What
//! a candidate forgets is usually one point of an answer they otherwise know,
//! so a question is due when any of its points is.
//!
//! Each question also keeps a card moved by its whole score: the card its
//! points inherit before they have their own (a database from before point
//! cards, a key point added to the bank later, a verdict without points).
//!
//! The algorithm is `rs-fsrs` (the Open Spaced Repetition project's small
//! scheduler crate) rather than `fsrs`, which bundles the parameter optimizer
//! and its numeric stack (ndarray, rayon, rand) and costs about ten times the
//! build time for nothing we use. We run its long-term scheduler: intervals in
//! whole days, no minute-scale learning steps (nobody re-answers an interview
//! question ten minutes later), and no fuzz, so a schedule is reproducible.
//!
//! The card is stored as our own JSON shape, not the crate's, so that a new
//! crate version cannot make old databases unreadable. Everything here is
//! pure; the store reads and writes the cards (`store::review`).

use chrono::{DateTime, Utc};
use rs_fsrs::{Card, Parameters, Rating, State, FSRS};
use serde::{Deserialize, Serialize};

/// Longest interval between two reviews, in days: an interview is weeks or
/// months away, not years.
const MAX_INTERVAL_DAYS: i32 = 120;

/// One question's place in the review schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleEntry {
    pub id: String,
    /// The topic of the question's latest attempt; callers may replace it with the bank's.
    pub topic: Option<String>,
    /// When it is due, RFC 3339 in UTC: the earliest of its points.
    pub due: String,
    pub last_score: Option<f64>,
    /// Each key point and when it is due, in the bank's order (points no
    /// longer in the bank are left out; without a bank entry, the stored ones).
    pub points: Vec<PointDue>,
}

/// When one key point of a question is due.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointDue {
    pub id: String,
    pub due: String,
    /// False while the point still follows its question's card.
    pub own_card: bool,
}

impl ScheduleEntry {
    /// The points due at `now`, most overdue first.
    pub fn due_points(&self, now: DateTime<Utc>) -> Vec<&PointDue> {
        let mut due: Vec<&PointDue> = self
            .points
            .iter()
            .filter(|p| due_time(&p.due).is_none_or(|t| t <= now))
            .collect();
        due.sort_by_key(|p| due_time(&p.due));
        due
    }
}

/// A question's stored card row, before its points are joined in.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRow {
    pub id: String,
    pub topic: Option<String>,
    pub due: String,
    pub last_score: Option<f64>,
}

/// A key point's stored card row.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    pub question_id: String,
    pub point_id: String,
    pub due: String,
}

/// The schedule: each question with its points' due times. `key_points`
/// gives a question's point ids from the bank (`None`: not in the bank);
/// a point without a card of its own inherits its question's.
pub fn join(
    questions: Vec<QuestionRow>,
    points: &[PointRow],
    key_points: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Vec<ScheduleEntry> {
    let mut own: std::collections::HashMap<&str, Vec<&PointRow>> = std::collections::HashMap::new();
    for p in points {
        own.entry(p.question_id.as_str()).or_default().push(p);
    }
    let mut entries: Vec<ScheduleEntry> = questions
        .into_iter()
        .map(|q| {
            let stored = own.get(q.id.as_str()).map_or(&[][..], Vec::as_slice);
            let ids = key_points(&q.id)
                .unwrap_or_else(|| stored.iter().map(|p| p.point_id.clone()).collect());
            let points: Vec<PointDue> = ids
                .into_iter()
                .map(|id| match stored.iter().find(|p| p.point_id == id) {
                    Some(p) => PointDue {
                        id,
                        due: p.due.clone(),
                        own_card: true,
                    },
                    None => PointDue {
                        id,
                        due: q.due.clone(),
                        own_card: false,
                    },
                })
                .collect();
            let due = points
                .iter()
                .min_by_key(|p| due_time(&p.due))
                .map_or_else(|| q.due.clone(), |p| p.due.clone());
            ScheduleEntry {
                id: q.id,
                topic: q.topic,
                due,
                last_score: q.last_score,
                points,
            }
        })
        .collect();
    sort(&mut entries);
    entries
}

/// The rating a key point's grade earns: covered → Good, partial or
/// recovered on a follow-up → Hard, missing → Again.
pub fn point_rating(point: &crate::verdict::PointVerdict) -> Rating {
    use crate::verdict::Coverage;
    match point.coverage {
        Coverage::Covered => Rating::Good,
        _ if point.recovered => Rating::Hard,
        Coverage::Partial => Rating::Hard,
        Coverage::Missing => Rating::Again,
    }
}

/// The outcome stored with a point's card: its coverage, or `recovered`.
pub fn outcome(point: &crate::verdict::PointVerdict) -> &'static str {
    if point.recovered && point.coverage != crate::verdict::Coverage::Covered {
        "recovered"
    } else {
        point.coverage.as_str()
    }
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
    next_card_rated(previous, rating(score), now)
}

/// The card after a review rated `rating` at `now`; `None` is a card never reviewed.
pub fn next_card_rated(
    previous: Option<&StoredCard>,
    rating: Rating,
    now: DateTime<Utc>,
) -> StoredCard {
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
    let next = fsrs().next(card, now, rating).card;
    StoredCard::from(&next)
}

/// Sorts entries by due time (then id). Parsed rather than compared as
/// text, in case a row was written with another offset.
pub fn sort(entries: &mut [ScheduleEntry]) {
    entries.sort_by(|a, b| {
        due_time(&a.due)
            .cmp(&due_time(&b.due))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// Whether `entry` (any of its points) is due at `now`. An unreadable due
/// time counts as due.
pub fn is_due(entry: &ScheduleEntry, now: DateTime<Utc>) -> bool {
    due_time(&entry.due).is_none_or(|t| t <= now)
}

/// The parsed due time; `None` (sorted first) when it cannot be read.
pub fn due_time(text: &str) -> Option<DateTime<Utc>> {
    crate::time::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(day: i64) -> DateTime<Utc> {
        crate::time::parse("2026-03-02T09:00:00Z").unwrap() + Duration::days(day)
    }

    fn entry(id: &str, due: DateTime<Utc>) -> ScheduleEntry {
        ScheduleEntry {
            id: id.into(),
            topic: None,
            due: crate::time::stamp(due),
            last_score: None,
            points: vec![],
        }
    }

    #[test]
    fn points_inherit_their_question_card_until_they_have_their_own() {
        let q = |id: &str, day| QuestionRow {
            id: id.into(),
            topic: None,
            due: crate::time::stamp(at(day)),
            last_score: Some(5.0),
        };
        let p = |q: &str, id: &str, day| PointRow {
            question_id: q.into(),
            point_id: id.into(),
            due: crate::time::stamp(at(day)),
        };
        let bank = |id: &str| match id {
            "a" => Some(vec!["x".to_string(), "y".to_string(), "z".to_string()]),
            _ => None,
        };
        let entries = join(
            vec![q("a", 10), q("gone", 3)],
            &[
                p("a", "x", 2),
                p("a", "y", 20),
                p("a", "old", 1),
                p("gone", "k", 4),
            ],
            &bank,
        );
        // `gone` is due on day 4, by its only stored point; `a` on day 2.
        assert_eq!(entries[0].id, "a");
        let a = &entries[0];
        assert_eq!(a.due, crate::time::stamp(at(2)), "the earliest point");
        let points: Vec<(&str, bool)> = a
            .points
            .iter()
            .map(|p| (p.id.as_str(), p.own_card))
            .collect();
        assert_eq!(
            points,
            [("x", true), ("y", true), ("z", false)],
            "bank order; `old` left out"
        );
        assert_eq!(
            a.points[2].due,
            crate::time::stamp(at(10)),
            "z follows the question"
        );
        let due: Vec<&str> = a.due_points(at(12)).iter().map(|p| p.id.as_str()).collect();
        assert_eq!(due, ["x", "z"], "most overdue first");
        assert!(a.due_points(at(1)).is_empty());
        assert_eq!(
            entries[1].points.len(),
            1,
            "not in the bank: its stored points"
        );
        assert_eq!(entries[1].due, crate::time::stamp(at(4)));
    }

    #[test]
    fn coverage_maps_to_ratings() {
        use crate::verdict::{Coverage, PointVerdict};
        let p = |coverage, recovered| PointVerdict {
            id: "k".into(),
            coverage,
            claimed: coverage,
            evidence: String::new(),
            verified: true,
            weight: 1,
            check: None,
            uncertain: false,
            recovered,
        };
        assert_eq!(point_rating(&p(Coverage::Covered, false)), Rating::Good);
        assert_eq!(point_rating(&p(Coverage::Partial, false)), Rating::Hard);
        assert_eq!(point_rating(&p(Coverage::Missing, false)), Rating::Again);
        assert_eq!(point_rating(&p(Coverage::Missing, true)), Rating::Hard);
        assert_eq!(outcome(&p(Coverage::Missing, true)), "recovered");
        assert_eq!(outcome(&p(Coverage::Partial, false)), "partial");
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
        let strong = next_card(None, 10.0, at(0));
        let weak = next_card(None, 2.0, at(0));
        assert!(weak.due < strong.due);
        let mut entries = vec![entry("strong", strong.due), entry("weak", weak.due)];
        sort(&mut entries);
        assert_eq!(entries[0].id, "weak");
        // Nothing is due at once; the weak one is due the next day, the strong one is not.
        assert!(!entries.iter().any(|e| is_due(e, at(0))));
        assert!(is_due(&entries[0], at(1)) && !is_due(&entries[1], at(1)));
    }

    #[test]
    fn repeated_good_scores_push_the_due_date_further_out() {
        let mut now = at(0);
        let mut card = None;
        let mut last_gap = Duration::zero();
        for _ in 0..4 {
            let next = next_card(card.as_ref(), 7.5, now);
            let gap = next.due - now;
            assert!(gap > last_gap, "gap {gap} after {last_gap}");
            last_gap = gap;
            now = next.due;
            card = Some(next);
        }
        assert!(last_gap >= Duration::days(10), "{last_gap}");
    }

    #[test]
    fn a_lapse_brings_a_question_back_soon() {
        let first = next_card(None, 9.0, at(0));
        // 15 days after an easy answer; a few days after forgetting it.
        assert_eq!(first.due - at(0), Duration::days(15));
        let lapsed = next_card(Some(&first), 1.0, first.due);
        assert!(lapsed.due - first.due <= Duration::days(4));
        assert_eq!((lapsed.reps, lapsed.lapses), (2, 1));
    }

    #[test]
    fn a_clock_set_back_does_not_fail_and_bad_times_count_as_due() {
        let later = next_card(None, 7.0, at(5));
        let earlier = next_card(Some(&later), 7.0, at(0));
        assert!(earlier.due >= at(5));
        let broken = ScheduleEntry {
            due: "not a time".into(),
            ..entry("q", at(0))
        };
        assert!(is_due(&broken, at(0)));
    }
}
