//! `history` and `stats`: what was answered, and how each topic is going.
//!
//! Both read the attempts table and nothing else. The numbers come from pure
//! functions over the attempts (`compute_stats`, `streak`), so they are tested
//! without a database; days are calendar days in the user's local time zone.
//! Only graded attempts count towards scores; ungraded ones are shown as such.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use chrono::{DateTime, Duration, Local, NaiveDate, Utc};
use serde::Serialize;

use crate::bank::Bank;
use crate::cli::HistoryArgs;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::judge::{Coverage, Verdict};
use crate::report::score_style;
use crate::schedule;
use crate::store::{self, Attempt, Store};
use crate::ui::render::{self, BOLD, CYAN, DIM, GREEN, RED, YELLOW};

/// Days covered by the trend and the sparkline.
pub const TREND_DAYS: usize = 30;

/// When an attempt was made, if its time stamp can be read.
fn created(a: &Attempt) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&a.created_at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Local).date_naive()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// An answer that was given (graded or not); skipped questions were never answered.
fn answered(a: &Attempt) -> bool {
    a.status != "skipped"
}

fn graded_score(a: &Attempt) -> Option<f64> {
    if a.status == "graded" {
        a.score
    } else {
        None
    }
}

// ---------------------------------------------------------------- stats (pure)

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicStats {
    pub topic: String,
    pub title: String,
    /// Questions of this topic in the loaded banks.
    pub questions: usize,
    /// Answers given, graded or not.
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
    pub total_attempts: usize,
    pub graded_attempts: usize,
    pub ungraded_attempts: usize,
    /// Mean of the latest graded score of every question tried.
    pub average: Option<f64>,
    /// Whether an answer was given today (else the streak ends yesterday).
    pub answered_today: bool,
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
            .filter(|a| a.topic == slug && answered(a))
            .collect();
        let mut latest: HashMap<&str, f64> = HashMap::new();
        // Per question, the graded scores inside the trend window, in order.
        let mut window: HashMap<&str, Vec<f64>> = HashMap::new();
        let mut per_day: Vec<Vec<f64>> = vec![Vec::new(); TREND_DAYS];
        for a in &mine {
            let Some(score) = graded_score(a) else {
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
            attempts: mine.len(),
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
        .filter(|a| answered(a))
        .filter_map(|a| created(a).map(day_of))
        .collect();
    let total = attempts.iter().filter(|a| answered(a)).count();
    let graded = attempts.iter().filter(|a| a.status == "graded").count();
    Stats {
        topics,
        streak_days: streak(&days, today),
        total_attempts: total,
        graded_attempts: graded,
        ungraded_attempts: total - graded,
        average: mean(&all_latest).map(round1),
        answered_today: days.contains(&today),
    }
}

// ---------------------------------------------------------------- drawing

const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A bar `cells` wide for a score out of 10, in eighths of a cell.
pub fn bar(score: f64, cells: usize) -> String {
    let eighths = ((score.clamp(0.0, 10.0) / 10.0) * (cells * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8 - 1]);
    }
    let drawn = s.chars().count();
    s.push_str(&"░".repeat(cells.saturating_sub(drawn)));
    s
}

/// One character per value on an absolute 0–10 scale, `·` where there is none.
pub fn sparkline(values: &[Option<f64>]) -> String {
    values
        .iter()
        .map(|v| match v {
            Some(x) => SPARKS[((x.clamp(0.0, 10.0) / 10.0) * 7.0).round() as usize],
            None => '·',
        })
        .collect()
}

fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{x:.1}")
    } else if x < 0.0 {
        format!("−{:.1}", -x)
    } else {
        "±0.0".into()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Seconds as `45s`, `2m 05s` or `1h 02m`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

fn when(a: &Attempt) -> String {
    created(a).map_or_else(
        || render::clean(&a.created_at),
        |t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
    )
}

// ---------------------------------------------------------------- commands

pub fn stats(settings: &Settings, json: bool) -> Result<()> {
    let bank = Bank::load(&settings.bank_dirs)?;
    let store = Store::open(&settings.db_path.value)?;
    let attempts = store.all_attempts()?;
    let now = store::now_utc();
    let stats = compute_stats(&bank, &attempts, local_day(now), &local_day);
    let due_now = schedule::due(&store, now)?
        .iter()
        .filter(|e| bank.get(&e.id).is_some())
        .count();
    if json {
        let mut value = serde_json::to_value(&stats)
            .map_err(|e| Error::failure(format!("cannot encode the stats: {e}")))?;
        value["due_now"] = due_now.into();
        return Ok(render::json(&value)?);
    }
    let mut out = render::stdout();
    if stats.total_attempts == 0 {
        writeln!(
            out,
            "No answers yet. Start with `grill practice`, or `grill interview` for a timed mock."
        )?;
        return Ok(());
    }
    let wide = stats
        .topics
        .iter()
        .map(|t| t.topic.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "{BOLD}{:wide$}  answers  {:15}  {:TREND_DAYS$}  {:>5}  unseen{BOLD:#}",
        "topic",
        "average",
        format!("last {TREND_DAYS} days"),
        "trend",
    )?;
    for t in &stats.topics {
        let average = match t.average {
            Some(avg) => {
                let style = score_style(avg);
                format!("{style}{} {avg:>4.1}{style:#}", bar(avg, 10))
            }
            None => format!("{DIM}{:10} {:>4}{DIM:#}", "", "—"),
        };
        let trend = match t.trend {
            Some(x) if x > 0.0 => format!("{GREEN}{:>5}{GREEN:#}", signed(x)),
            Some(x) if x < 0.0 => format!("{RED}{:>5}{RED:#}", signed(x)),
            Some(x) => format!("{:>5}", signed(x)),
            None => format!("{DIM}{:>5}{DIM:#}", "—"),
        };
        let unseen = format!("{} of {}", t.unseen, t.questions);
        let unseen = if t.unseen == 0 {
            format!("{DIM}{unseen}{DIM:#}")
        } else {
            unseen
        };
        writeln!(
            out,
            "{CYAN}{:wide$}{CYAN:#}  {:>7}  {average}  {DIM}{}{DIM:#}  {trend}  {unseen}",
            render::clean(&t.topic),
            t.attempts,
            sparkline(&t.daily),
        )?;
    }
    writeln!(out)?;
    let streak = match (stats.streak_days, stats.answered_today) {
        (0, _) => "no streak: answer a question today to start one".to_string(),
        (n, true) => format!("{} in a row, today included", plural(n, "day", "days")),
        (n, false) => format!(
            "{} in a row; answer one today to keep it",
            plural(n, "day", "days")
        ),
    };
    writeln!(out, "{BOLD}Streak{BOLD:#}   {streak}")?;
    let tried: usize = stats
        .topics
        .iter()
        .map(|t| t.questions - t.unseen.min(t.questions))
        .sum();
    let questions: usize = stats.topics.iter().map(|t| t.questions).sum();
    let overall = stats
        .average
        .map(|a| format!(", latest scores average {a:.1}"))
        .unwrap_or_default();
    writeln!(
        out,
        "{BOLD}Totals{BOLD:#}   {}, {tried} of {questions} questions tried{overall}",
        plural(stats.total_attempts, "answer", "answers")
    )?;
    if due_now > 0 {
        writeln!(
            out,
            "{BOLD}Review{BOLD:#}   {} due now: `grill review`",
            plural(due_now, "question", "questions")
        )?;
    }
    if stats.ungraded_attempts > 0 {
        writeln!(
            out,
            "{YELLOW}{} ungraded{YELLOW:#}: `grill regrade` grades {}",
            plural(stats.ungraded_attempts, "answer is", "answers are"),
            if stats.ungraded_attempts == 1 {
                "it"
            } else {
                "them"
            }
        )?;
    }
    Ok(())
}

pub fn history(settings: &Settings, args: &HistoryArgs) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::input("--limit must be at least 1"));
    }
    let bank = Bank::load(&settings.bank_dirs)?;
    let store = Store::open(&settings.db_path.value)?;
    let mut attempts = store.all_attempts()?;
    attempts.reverse();
    attempts.retain(|a| {
        args.topic.as_ref().is_none_or(|t| a.topic == *t)
            && args.question.as_ref().is_none_or(|q| a.question_id == *q)
    });
    // A filter that matches nothing is only an error if the bank does not know the name either.
    if attempts.is_empty() {
        if let Some(t) = &args.topic {
            bank.require_topics(std::slice::from_ref(t))?;
        }
        if let Some(q) = &args.question {
            bank.require(q)?;
        }
    }
    if let Some(n) = args.limit {
        attempts.truncate(n);
    }
    if args.json {
        return Ok(render::json(&attempts)?);
    }
    let mut out = render::stdout();
    if let Some(id) = &args.question {
        return question_history(&mut out, &bank, id, &attempts);
    }
    if attempts.is_empty() {
        writeln!(
            out,
            "No answers yet{}. Start with `grill practice`.",
            args.topic
                .as_ref()
                .map(|t| format!(" in topic `{t}`"))
                .unwrap_or_default()
        )?;
        return Ok(());
    }
    let wide = attempts
        .iter()
        .map(|a| a.question_id.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    writeln!(
        out,
        "{BOLD}{:16}  {:wide$}  {:>8}  {:18}  time{BOLD:#}",
        "date", "question", "score", "grader"
    )?;
    for a in &attempts {
        writeln!(out, "{}", row(a, wide))?;
    }
    Ok(())
}

/// One line of the history table.
fn row(a: &Attempt, wide: usize) -> String {
    let score = match (a.status.as_str(), graded_score(a)) {
        ("graded", Some(s)) => {
            let style = score_style(s);
            format!("{style}{s:>8.1}{style:#}")
        }
        ("skipped", _) => format!("{DIM}{:>8}{DIM:#}", "skipped"),
        _ => format!("{YELLOW}{:>8}{YELLOW:#}", "ungraded"),
    };
    let grader = render::truncate(a.grader.as_deref().unwrap_or("—"), 18);
    let time = a.seconds.map_or_else(|| "—".to_string(), duration);
    let cut = if a.cut_off {
        format!(" {RED}cut off{RED:#}")
    } else {
        String::new()
    };
    format!(
        "{DIM}{}{DIM:#}  {CYAN}{:wide$}{CYAN:#}  {score}  {grader:18}  {time}{cut}",
        when(a),
        render::clean(&a.question_id),
    )
}

/// `history --question ID`: the question, how its scores moved, every answer
/// (newest first, with the start of what was said), and the latest feedback.
fn question_history(
    out: &mut impl Write,
    bank: &Bank,
    id: &str,
    attempts: &[Attempt],
) -> Result<()> {
    let question = bank.get(id);
    let title = question
        .and_then(|q| bank.topic(&q.topic))
        .map(|t| format!(" {DIM}· {}{DIM:#}", render::clean(&t.title)))
        .unwrap_or_default();
    writeln!(out, "{CYAN}{}{CYAN:#}{title}", render::clean(id))?;
    if let Some(q) = question {
        write!(out, "{BOLD}{}{BOLD:#}", render::wrap(&q.question, "  "))?;
    }
    writeln!(out)?;
    if attempts.is_empty() {
        writeln!(out, "Not answered yet: `grill practice --question {id}`.")?;
        return Ok(());
    }
    let scores: Vec<f64> = attempts.iter().rev().filter_map(graded_score).collect();
    if let (Some(first), Some(last)) = (scores.first(), scores.last()) {
        let values: Vec<Option<f64>> = scores.iter().copied().map(Some).collect();
        writeln!(
            out,
            "{BOLD}Scores{BOLD:#}  {}  {first:.1} → {}{last:.1}{:#} over {}",
            sparkline(&values),
            score_style(*last),
            score_style(*last),
            plural(scores.len(), "graded answer", "graded answers")
        )?;
        writeln!(out)?;
    }
    let room = render::width().saturating_sub(6).max(20);
    for a in attempts {
        writeln!(out, "{}", row(a, id.chars().count()))?;
        if !a.answer.trim().is_empty() {
            writeln!(
                out,
                "    {DIM}{}{DIM:#}",
                render::truncate(a.answer.trim(), room)
            )?;
        }
        if let Some(err) = a.error.as_deref().filter(|_| a.status == "ungraded") {
            writeln!(
                out,
                "    {YELLOW}grading failed:{YELLOW:#} {}",
                render::truncate(err, room.saturating_sub(16))
            )?;
        }
    }
    let latest = attempts.iter().find_map(|a| {
        let verdict: Verdict = serde_json::from_value(a.verdict.clone()?).ok()?;
        (a.status == "graded").then_some((a, verdict))
    });
    if let Some((a, v)) = latest {
        writeln!(out)?;
        writeln!(
            out,
            "{BOLD}Latest feedback{BOLD:#} {DIM}({}, {:.1} by {}){DIM:#}",
            when(a),
            v.score,
            render::clean(a.grader.as_deref().unwrap_or("?"))
        )?;
        if !v.feedback.is_empty() {
            write!(out, "{}", render::wrap(&v.feedback, "  "))?;
        }
        let missed: Vec<String> = v
            .key_points
            .iter()
            .filter(|p| p.coverage != Coverage::Covered)
            .map(|p| {
                let text = question
                    .and_then(|q| q.key_points.iter().find(|k| k.id == p.id))
                    .map_or(p.id.as_str(), |k| k.point.as_str());
                format!("{} {text}", p.coverage.mark())
            })
            .collect();
        if !missed.is_empty() {
            writeln!(out, "  {BOLD}Still to cover{BOLD:#}")?;
            for m in &missed {
                write!(out, "{}", render::wrap(m, "    "))?;
            }
        }
        if !v.follow_up.is_empty() {
            writeln!(out, "  {BOLD}Follow-up{BOLD:#}")?;
            write!(out, "{}", render::wrap(&v.follow_up, "    "))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Source;
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
                "graded"
            } else {
                "ungraded"
            }
            .into(),
            grader: score.map(|_| "self".into()),
            verdict: None,
            score,
            seconds: Some(60.0),
            cut_off: false,
            error: None,
            extra: None,
            created_at: format!("2026-03-{day:02}T10:00:00Z"),
            graded_at: None,
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
        assert_eq!(rag.attempts, 5);
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
            (5, 4, 1)
        );
    }

    #[test]
    fn skipped_questions_are_not_answers_and_old_ones_leave_the_trend() {
        let mut skipped = attempt(2, "e1", "evals", 20, None);
        skipped.status = "skipped".into();
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
            (old.attempts, old.average, old.questions),
            (1, Some(4.0), 0)
        );
        assert_eq!(s.streak_days, 1);
    }

    #[test]
    fn bars_and_sparklines_draw_on_a_fixed_scale() {
        assert_eq!(bar(10.0, 4), "████");
        assert_eq!(bar(0.0, 4), "░░░░");
        assert_eq!(bar(5.0, 4), "██░░");
        assert_eq!(bar(5.5, 2), "█▏");
        assert_eq!(sparkline(&[Some(0.0), None, Some(10.0), Some(5.0)]), "▁·█▅");
        assert_eq!(duration(45.0), "45s");
        assert_eq!(duration(125.0), "2m 05s");
        assert_eq!(duration(3720.0), "1h 02m");
    }
}
