//! Sessions as plain data: which questions to ask, in what order, and how
//! much time each may take. No terminal, no clock reads: callers pass `now`.

use std::collections::HashMap;
use std::time::Duration;

use crate::bank::{Bank, Question};
use crate::error::{Error, Result};

/// The order questions are asked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Random,
    Weakest,
    Due,
}

/// What the store knows about one question, for ordering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// Score of the latest graded attempt.
    pub last_score: Option<f64>,
    /// Whether the review schedule says it is due now.
    pub due: bool,
    /// When it is due (RFC 3339), for ordering the due ones by how overdue they are.
    pub due_at: Option<String>,
}

/// The questions a session may draw from.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub topics: Vec<String>,
    pub questions: Vec<String>,
    /// Only questions of this difficulty (never narrows named questions).
    pub difficulty: Option<crate::bank::Difficulty>,
}

/// The questions matching `filter`, checking that each named topic and id exists.
pub fn candidates<'a>(bank: &'a Bank, filter: &Filter) -> Result<Vec<&'a Question>> {
    let topics = bank.resolve_topics(&filter.topics)?;
    if !filter.questions.is_empty() {
        return filter.questions.iter().map(|id| bank.require(id)).collect();
    }
    let picked: Vec<&Question> = bank
        .questions
        .iter()
        .filter(|q| topics.is_empty() || topics.contains(&q.topic))
        .filter(|q| filter.difficulty.is_none_or(|d| q.difficulty == d))
        .collect();
    if picked.is_empty() {
        return Err(match filter.difficulty {
            Some(d) => Error::input(format!("no {d} questions match the given topics"))
                .with_hint("`grill list --topic T` shows each question's difficulty"),
            None => Error::input("no questions match the given topics"),
        });
    }
    Ok(picked)
}

/// Orders candidates: `due` first (most overdue first), then unseen, then the
/// weakest; `weakest` by latest score; `random` shuffled with `seed`.
pub fn order<'a, S: std::hash::BuildHasher>(
    mut qs: Vec<&'a Question>,
    order: Option<Order>,
    history: &HashMap<String, Seen, S>,
    shuffle_seed: u64,
) -> Vec<&'a Question> {
    let mut rng = fastrand::Rng::with_seed(shuffle_seed);
    // Shuffle first so that ties are broken differently each session.
    rng.shuffle(&mut qs);
    let info = |q: &Question| history.get(&q.id).cloned().unwrap_or_default();
    match order {
        Some(Order::Random) => {}
        Some(Order::Weakest) => qs.sort_by(|a, b| {
            let (a, b) = (
                info(a).last_score.unwrap_or(f64::INFINITY),
                info(b).last_score.unwrap_or(f64::INFINITY),
            );
            a.total_cmp(&b)
        }),
        Some(Order::Due) | None => qs.sort_by_key(|q| {
            let s = info(q);
            // (group, due time, score*10): due first, then unseen (core
            // before advanced, so a new user starts on the basics), then weakest.
            match (s.due, s.last_score) {
                (true, _) => (0, s.due_at.unwrap_or_default(), 0),
                (false, None) => (
                    1,
                    String::new(),
                    i64::from(q.difficulty == crate::bank::Difficulty::Advanced),
                ),
                (false, Some(score)) => (2, String::new(), (score * 10.0).round() as i64),
            }
        }),
    }
    qs
}

/// Picks `count` questions, preferring to spread them over topics (for interviews).
pub fn spread<'a>(ordered: &[&'a Question], count: usize) -> Vec<&'a Question> {
    let mut picked: Vec<&Question> = Vec::new();
    while picked.len() < count.min(ordered.len()) {
        let fresh_topic = ordered.iter().find(|q| {
            !picked.iter().any(|p| p.id == q.id) && !picked.iter().any(|p| p.topic == q.topic)
        });
        let next = fresh_topic.or_else(|| {
            ordered
                .iter()
                .find(|q| !picked.iter().any(|p| p.id == q.id))
        });
        match next {
            Some(q) => picked.push(q),
            None => break,
        }
    }
    picked
}

/// The time one question may take: its share of what is left of the session.
pub fn question_limit(session_left: Duration, questions_left: usize) -> Duration {
    if questions_left == 0 {
        return Duration::ZERO;
    }
    session_left / u32::try_from(questions_left).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};

    fn q(id: &str, topic: &str) -> Question {
        Question {
            id: id.into(),
            topic: topic.into(),
            question: "?".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 3,
            model_answer: "m".into(),
            sources: vec![],
            reviewed: None,
            follow_up: None,
            key_points: vec![KeyPoint {
                id: "k".into(),
                point: "p".into(),
                weight: 1,
                cues: vec![],
            }],
        }
    }

    #[test]
    fn default_order_is_due_then_unseen_then_weakest() {
        let qs = [
            q("strong", "a"),
            q("unseen", "a"),
            q("weak", "a"),
            q("due-late", "a"),
            q("due-early", "a"),
        ];
        let mut seen = HashMap::new();
        seen.insert(
            "strong".into(),
            Seen {
                last_score: Some(9.0),
                ..Seen::default()
            },
        );
        seen.insert(
            "weak".into(),
            Seen {
                last_score: Some(3.0),
                ..Seen::default()
            },
        );
        seen.insert(
            "due-late".into(),
            Seen {
                last_score: Some(5.0),
                due: true,
                due_at: Some("2026-11-02T00:00:00Z".into()),
            },
        );
        seen.insert(
            "due-early".into(),
            Seen {
                last_score: Some(8.0),
                due: true,
                due_at: Some("2026-11-01T00:00:00Z".into()),
            },
        );
        for seed in 0..5 {
            let ids: Vec<&str> = order(qs.iter().collect(), None, &seen, seed)
                .iter()
                .map(|q| q.id.as_str())
                .collect();
            assert_eq!(ids, ["due-early", "due-late", "unseen", "weak", "strong"]);
        }
        let weakest: Vec<&str> = order(qs.iter().collect(), Some(Order::Weakest), &seen, 1)
            .iter()
            .map(|q| q.id.as_str())
            .collect();
        assert_eq!(weakest[..2], ["weak", "due-late"]);
        assert_eq!(weakest[4], "unseen");
    }

    #[test]
    fn a_new_user_starts_on_core_questions() {
        let mut hard = q("hard", "a");
        hard.difficulty = Difficulty::Advanced;
        let qs = [hard.clone(), q("basic", "a"), hard, q("basic2", "b")];
        for seed in 0..8 {
            let ids: Vec<Difficulty> = order(qs.iter().collect(), None, &HashMap::new(), seed)
                .iter()
                .map(|q| q.difficulty)
                .collect();
            assert_eq!(
                ids[..2],
                [Difficulty::Core, Difficulty::Core],
                "seed {seed}"
            );
        }
    }

    #[test]
    fn interviews_spread_over_topics_first() {
        let qs = [q("a1", "a"), q("a2", "a"), q("b1", "b"), q("c1", "c")];
        let refs: Vec<&Question> = qs.iter().collect();
        let ids: Vec<&str> = spread(&refs, 3).iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["a1", "b1", "c1"]);
        assert_eq!(spread(&refs, 9).len(), 4);
    }

    #[test]
    fn each_question_gets_its_share_of_the_time_left() {
        assert_eq!(
            question_limit(Duration::from_secs(600), 4),
            Duration::from_secs(150)
        );
        assert_eq!(question_limit(Duration::from_secs(600), 0), Duration::ZERO);
    }
}
