//! Progress as numbers: per topic, the average of each question's latest
//! counted score, the 30-day trend and a daily series, the streak of days
//! with an answer. Pure functions over stored attempts, so they are tested
//! without a database; days are calendar days in the user's local time zone.
//! Keyword estimates and skipped questions never count.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Local, NaiveDate, Utc};
use serde::Serialize;

use crate::bank::Bank;
use crate::store::Attempt;

/// Days covered by the trend and the sparkline.
pub const TREND_DAYS: usize = 30;

/// When an attempt was made, if its time stamp can be read.
pub fn created(a: &Attempt) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&a.created_at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Local).date_naive()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicStats {
    pub topic: String,
    pub title: String,
    /// Questions of this topic in the loaded banks.
    pub questions: usize,
    /// Whether the loaded banks have this topic (else only the history does).
    pub in_bank: bool,
    /// Answers with a grade that counts: not skipped, not ungraded, not estimates.
    pub attempts: usize,
    /// Mean of the latest graded score of each question tried.
    pub average: Option<f64>,
    /// Questions never answered.
    pub unseen: usize,
    /// Mean change, over the last 30 days, from the first to the latest score
    /// of each question answered at least twice in that time.
    pub trend: Option<f64>,
    /// Mean graded score per day, oldest first, the last entry being today.
    #[serde(skip)]
    pub daily: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub topics: Vec<TopicStats>,
    pub streak_days: usize,
    /// Answers with a grade that counts (the same as `graded_attempts`):
    /// skipped, ungraded and estimated answers are not counted as answers.
    pub total_attempts: usize,
    pub graded_attempts: usize,
    pub ungraded_attempts: usize,
    /// Mean of the latest graded score of every question tried.
    pub average: Option<f64>,
    /// Whether an answer was given today (else the streak ends yesterday).
    pub answered_today: bool,
    /// The key points the candidate keeps missing, most missed first.
    pub missed_points: Vec<MissedPoint>,
}

/// A key point missed (or only half made) in most counted answers to its question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissedPoint {
    pub question_id: String,
    pub point_id: String,
    /// The point's text from the bank.
    pub text: String,
    /// Counted answers in which it was missing or partial, of `answered`.
    pub missed: usize,
    pub answered: usize,
}

/// How many of the most missed points are listed.
pub const MISSED_POINTS: usize = 5;

/// Points missing or partial in at least two counted answers and in at least
/// half of them, still not covered in the latest; questions and points no
/// longer in the bank are left out.
pub fn missed_points(bank: &Bank, attempts: &[Attempt]) -> Vec<MissedPoint> {
    // (question, point) → (missed, answered, latest covered), oldest first.
    let mut tally: HashMap<(&str, &str), (usize, usize, bool)> = HashMap::new();
    for a in attempts {
        let (Some(_), Some(verdict)) = (a.counted_score(), a.verdict.as_ref()) else {
            continue;
        };
        for p in &verdict.key_points {
            let t = tally.entry((&a.question_id, &p.id)).or_default();
            let covered = p.coverage == crate::verdict::Coverage::Covered;
            t.0 += usize::from(!covered);
            t.1 += 1;
            t.2 = covered;
        }
    }
    let mut missed: Vec<MissedPoint> = tally
        .into_iter()
        .filter(|(_, (missed, answered, latest))| {
            *missed >= 2 && 2 * missed >= *answered && !latest
        })
        .filter_map(|((question, point), (missed, answered, _))| {
            let text = bank
                .get(question)?
                .key_points
                .iter()
                .find(|k| k.id == point)?;
            Some(MissedPoint {
                question_id: question.to_string(),
                point_id: point.to_string(),
                text: text.point.clone(),
                missed,
                answered,
            })
        })
        .collect();
    missed.sort_by(|a, b| {
        b.missed
            .cmp(&a.missed)
            .then_with(|| (b.missed * a.answered).cmp(&(a.missed * b.answered)))
            .then_with(|| (&a.question_id, &a.point_id).cmp(&(&b.question_id, &b.point_id)))
    });
    missed.truncate(MISSED_POINTS);
    missed
}

/// Days in a row, ending today or yesterday, with at least one answer.
pub fn streak(days: &BTreeSet<NaiveDate>, today: NaiveDate) -> usize {
    let mut day = if days.contains(&today) {
        today
    } else {
        match today.pred_opt() {
            Some(yesterday) if days.contains(&yesterday) => yesterday,
            _ => return 0,
        }
    };
    let mut n = 0;
    while days.contains(&day) {
        n += 1;
        match day.pred_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    n
}

/// Statistics over `attempts` (oldest first). `day_of` gives the calendar day
/// of a time, so tests can fix the time zone.
pub fn compute_stats(
    bank: &Bank,
    attempts: &[Attempt],
    today: NaiveDate,
    day_of: &dyn Fn(DateTime<Utc>) -> NaiveDate,
) -> Stats {
    let first_day = today - Duration::days(TREND_DAYS as i64 - 1);
    // Bank topics first, in bank order; then topics only the history knows.
    let mut order: Vec<(String, String)> = bank
        .topics
        .iter()
        .map(|t| (t.slug.clone(), t.title.clone()))
        .collect();
    for a in attempts {
        if !order.iter().any(|(slug, _)| *slug == a.topic) {
            order.push((a.topic.clone(), a.topic.clone()));
        }
    }

    let mut topics = Vec::new();
    let mut all_latest = Vec::new();
    for (slug, title) in order {
        let mine: Vec<&Attempt> = attempts
            .iter()
            .filter(|a| a.topic == slug && a.counts_as_answer())
            .collect();
        let answered = mine.iter().filter(|a| a.counted_score().is_some()).count();
        let mut latest: HashMap<&str, f64> = HashMap::new();
        // Per question, the graded scores inside the trend window, in order.
        let mut window: HashMap<&str, Vec<f64>> = HashMap::new();
        let mut per_day: Vec<Vec<f64>> = vec![Vec::new(); TREND_DAYS];
        for a in &mine {
            let Some(score) = a.counted_score() else {
                continue;
            };
            latest.insert(&a.question_id, score);
            let Some(day) = created(a).map(day_of) else {
                continue;
            };
            if day >= first_day && day <= today {
                window.entry(&a.question_id).or_default().push(score);
                let i = usize::try_from((day - first_day).num_days()).unwrap_or(0);
                per_day[i].push(score);
            }
        }
        let tried: BTreeSet<&str> = mine.iter().map(|a| a.question_id.as_str()).collect();
        let in_bank: Vec<&str> = bank.in_topic(&slug).map(|q| q.id.as_str()).collect();
        let deltas: Vec<f64> = window
            .values()
            .filter(|s| s.len() >= 2)
            .map(|s| s[s.len() - 1] - s[0])
            .collect();
        let latest_scores: Vec<f64> = latest.values().copied().collect();
        all_latest.extend(&latest_scores);
        topics.push(TopicStats {
            questions: in_bank.len(),
            in_bank: bank.topic(&slug).is_some(),
            attempts: answered,
            average: mean(&latest_scores).map(round1),
            unseen: in_bank.iter().filter(|id| !tried.contains(*id)).count(),
            trend: mean(&deltas).map(round1),
            daily: per_day.iter().map(|s| mean(s)).collect(),
            topic: slug,
            title,
        });
    }

    let days: BTreeSet<NaiveDate> = attempts
        .iter()
        .filter(|a| a.counts_as_answer())
        .filter_map(|a| created(a).map(day_of))
        .collect();
    let total = attempts.iter().filter(|a| a.counts_as_answer()).count();
    let graded = attempts
        .iter()
        .filter(|a| a.counted_score().is_some())
        .count();
    Stats {
        topics,
        streak_days: streak(&days, today),
        total_attempts: graded,
        graded_attempts: graded,
        ungraded_attempts: total - graded,
        average: mean(&all_latest).map(round1),
        answered_today: days.contains(&today),
        missed_points: missed_points(bank, attempts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Source;
    use crate::store::{GradedBy, Status};
    use std::borrow::Cow;
    use std::fmt::Write as _;

    fn bank() -> Bank {
        let file = |topic: &str, ids: &[&str]| {
            let mut text = format!("topic = \"{topic}\"\ntitle = \"{topic} title\"\n");
            for id in ids {
                let _ = write!(
                    text,
                    "[[questions]]\nid = \"{id}\"\nquestion = \"Q?\"\ndifficulty = \"core\"\nmodel_answer = \"A.\"\n[[questions.key_points]]\nid = \"k\"\npoint = \"P\"\n"
                );
            }
            Source {
                path: format!("{topic}.toml"),
                stem: topic.into(),
                text: Cow::Owned(text),
            }
        };
        let (bank, diags) =
            Bank::from_sources(&[file("rag", &["r1", "r2", "r3"]), file("evals", &["e1"])]);
        assert!(diags.is_empty(), "{diags:?}");
        bank
    }

    fn attempt(id: i64, q: &str, topic: &str, day: u32, score: Option<f64>) -> Attempt {
        Attempt {
            id,
            session_id: None,
            question_id: q.into(),
            topic: topic.into(),
            answer: "a".into(),
            status: if score.is_some() {
                Status::Graded
            } else {
                Status::Ungraded
            },
            graded_by: score.map(|_| GradedBy::SelfCheck),
            verdict: None,
            score,
            seconds: Some(60.0),
            cut_off: false,
            error: None,
            extra: None,
            created_at: format!("2026-03-{day:02}T10:00:00Z"),
            graded_at: None,
            usage: None,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn utc_day(t: DateTime<Utc>) -> NaiveDate {
        t.date_naive()
    }

    #[test]
    fn averages_use_the_latest_graded_score_of_each_question() {
        let attempts = vec![
            attempt(1, "r1", "rag", 1, Some(2.0)),
            attempt(2, "r1", "rag", 3, Some(8.0)),
            attempt(3, "r2", "rag", 3, Some(5.0)),
            attempt(4, "r2", "rag", 4, None),
            attempt(5, "r1", "rag", 5, Some(9.0)),
        ];
        let s = compute_stats(&bank(), &attempts, day(5), &utc_day);
        let rag = &s.topics[0];
        assert_eq!(rag.topic, "rag");
        assert_eq!(rag.attempts, 4, "the ungraded answer is not counted");
        assert_eq!(
            rag.average,
            Some(7.0),
            "(9 + 5) / 2; the ungraded one is ignored"
        );
        assert_eq!(rag.unseen, 1);
        assert_eq!(
            rag.trend,
            Some(7.0),
            "r1 went from 2 to 9; r2 has one graded score"
        );
        assert_eq!(rag.daily.len(), TREND_DAYS);
        assert_eq!(rag.daily[TREND_DAYS - 1], Some(9.0));
        assert_eq!(rag.daily[TREND_DAYS - 3], Some(6.5));
        let evals = &s.topics[1];
        assert_eq!((evals.attempts, evals.average, evals.unseen), (0, None, 1));
        assert_eq!(
            (s.total_attempts, s.graded_attempts, s.ungraded_attempts),
            (4, 4, 1)
        );
    }

    #[test]
    fn skipped_questions_are_not_answers_and_old_ones_leave_the_trend() {
        let mut skipped = attempt(2, "e1", "evals", 20, None);
        skipped.status = Status::Skipped;
        let attempts = vec![
            attempt(1, "r1", "rag", 1, Some(2.0)),
            skipped,
            attempt(3, "r1", "rag", 31, Some(6.0)),
        ];
        let s = compute_stats(&bank(), &attempts, day(31), &utc_day);
        assert_eq!(s.topics[1].unseen, 1);
        assert_eq!(s.topics[1].attempts, 0);
        assert_eq!(s.topics[0].trend, None, "March 1st is outside the 30 days");
        assert_eq!(s.topics[0].average, Some(6.0));
        assert_eq!(s.total_attempts, 2);
        assert!(s.topics[0].in_bank);
    }

    #[test]
    fn a_streak_ends_today_or_yesterday() {
        let days: BTreeSet<NaiveDate> = [1, 3, 4, 5].into_iter().map(day).collect();
        assert_eq!(streak(&days, day(5)), 3);
        assert_eq!(streak(&days, day(6)), 3, "nothing yet today");
        assert_eq!(streak(&days, day(7)), 0);
        assert_eq!(streak(&days, day(1)), 1);
        assert_eq!(streak(&BTreeSet::new(), day(1)), 0);
    }

    #[test]
    fn topics_only_in_the_history_are_still_counted() {
        let attempts = vec![attempt(1, "gone", "old-topic", 2, Some(4.0))];
        let s = compute_stats(&bank(), &attempts, day(2), &utc_day);
        let old = s.topics.iter().find(|t| t.topic == "old-topic").unwrap();
        assert_eq!(
            (old.attempts, old.average, old.questions, old.in_bank),
            (1, Some(4.0), 0, false)
        );
        assert_eq!(s.streak_days, 1);
    }

    #[test]
    fn points_missed_in_most_answers_are_listed_until_covered() {
        use crate::verdict::{Coverage, PointVerdict, Verdict};
        let judged = |id: i64, q: &str, marks: &[(&str, Coverage)]| {
            let mut a = attempt(id, q, "rag", 2, Some(5.0));
            a.verdict = Some(Verdict {
                score: 5.0,
                key_points: marks
                    .iter()
                    .map(|(k, c)| PointVerdict {
                        id: (*k).into(),
                        coverage: *c,
                        claimed: *c,
                        evidence: String::new(),
                        verified: true,
                        weight: 1,
                        check: None,
                        uncertain: false,
                        recovered: false,
                    })
                    .collect(),
                ..Verdict::default()
            });
            a
        };
        use Coverage::{Covered as C, Missing as M, Partial as P};
        let bank = bank();
        let history = vec![
            judged(1, "r1", &[("k", M)]),
            judged(2, "r2", &[("k", M)]),
            judged(3, "r1", &[("k", P)]),
            judged(4, "r2", &[("k", C)]),
            judged(5, "r3", &[("k", M)]),
            judged(6, "r3", &[("k", C)]),
            judged(7, "r3", &[("k", M)]),
            judged(8, "gone", &[("k", M)]),
            judged(9, "gone", &[("k", M)]),
        ];
        let missed: Vec<(String, usize, usize)> = missed_points(&bank, &history)
            .into_iter()
            .map(|m| (m.question_id, m.missed, m.answered))
            .collect();
        // r1: missed twice of two. r3: twice of three, latest missed. r2:
        // covered last. gone: not in the bank. One miss is not "keep missing".
        assert_eq!(missed, [("r1".to_string(), 2, 2), ("r3".to_string(), 2, 3)]);
        assert!(missed_points(&bank, &history[..1]).is_empty());
    }
}
