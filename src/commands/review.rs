//! `grill review`: the spaced-review schedule (`--list`) and a review
//! session: the questions due now, most overdue first, then the weakest.
//!
//! The schedule itself lives in `schedule` and the store; this module only
//! chooses and shows.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Local, Utc};
use serde::Serialize;

use crate::bank::{Bank, Question};
use crate::cli::ReviewArgs;
use crate::context::Context;
use crate::drive::{self, Runner};
use crate::error::{Error, Result};
use crate::schedule::{self, ScheduleEntry};
use crate::session::Kind;
use crate::store::{SessionKind, Store};
use crate::style::{self, BOLD, CYAN, DIM, RED};
use crate::text::sanitize;
use crate::ui::render;

/// The ids a review session asks, at most `count`: every question of the
/// bank that has key points due at `now` (the most points due first, then
/// the most overdue), then, to fill up, the weakest by latest graded score.
/// Questions no longer in `bank` are left out.
pub fn review_plan(
    store: &Store,
    bank: &Bank,
    count: usize,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let mut due: Vec<ScheduleEntry> = store
        .due(now, &|id| bank.key_point_ids(id))?
        .into_iter()
        .filter(|e| bank.get(&e.id).is_some())
        .collect();
    review_order(&mut due, now);
    let mut plan: Vec<String> = due.into_iter().map(|e| e.id).take(count).collect();
    if plan.len() < count {
        // Latest graded score per question; attempts come oldest first.
        let mut latest: HashMap<String, f64> = HashMap::new();
        for a in store.all_attempts()? {
            if let Some(score) = a.counted_score() {
                latest.insert(a.question_id, score);
            }
        }
        let mut weakest: Vec<(String, f64)> = latest
            .into_iter()
            .filter(|(id, _)| bank.get(id).is_some() && !plan.contains(id))
            .collect();
        weakest.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        plan.extend(
            weakest
                .into_iter()
                .take(count - plan.len())
                .map(|(id, _)| id),
        );
    }
    Ok(plan)
}

/// The order a review asks in: questions with points due first, the most
/// points due first, then the most overdue; then the rest by due time.
/// `entries` come sorted by due time, and the sort is stable.
fn review_order(entries: &mut [ScheduleEntry], now: DateTime<Utc>) {
    entries.sort_by_key(|e| {
        let points = match e.due_points(now).len() {
            0 if e.points.is_empty() && schedule::is_due(e, now) => 1,
            n => n,
        };
        std::cmp::Reverse(points)
    });
}

/// One row of `review --list --json`.
#[derive(Debug, Serialize)]
struct Row<'a> {
    question_id: &'a str,
    topic: Option<&'a str>,
    due: &'a str,
    last_score: Option<f64>,
    /// The key points due now, most overdue first.
    due_points: Vec<&'a str>,
    /// Every key point and when it is due.
    points: &'a [schedule::PointDue],
}

pub fn run(ctx: &Context, args: &ReviewArgs) -> Result<()> {
    if args.json && !args.list {
        return Err(Error::input("--json goes with --list").with_hint("grill review --list --json"));
    }
    let bank = ctx.bank()?;
    let store = ctx.store()?;
    let now = ctx.clock().now();
    if args.list {
        return list(bank, store, now, args.json);
    }
    let ids = review_plan(store, bank, args.count, now)?;
    let questions: Vec<&Question> = ids.iter().filter_map(|id| bank.get(id)).collect();
    if questions.is_empty() {
        writeln!(
            render::stdout(),
            "Nothing to review yet: answer some questions with `grill practice` first."
        )?;
        return Ok(());
    }
    let due_now = store
        .due(now, &|id| bank.key_point_ids(id))?
        .iter()
        .filter(|e| bank.get(&e.id).is_some())
        .count();
    if due_now == 0 {
        // Say why these questions, rather than start them unexplained.
        let what = crate::text::plural(questions.len(), "weakest question", "weakest questions");
        writeln!(
            render::stdout(),
            "Nothing is due for review now, so this goes over your {what} again. \
             `grill practice` asks questions you have not seen; `grill review --list` shows when each is due."
        )?;
    }
    let mut runner = Runner::start(ctx, SessionKind::Review, 1)?;
    runner.set_follow_ups(args.follow_ups);
    runner.voice = args.voice;
    runner.due_points = store
        .due(now, &|id| bank.key_point_ids(id))?
        .iter()
        .map(|e| {
            let ids = e.due_points(now).iter().map(|p| p.id.clone()).collect();
            (e.id.clone(), ids)
        })
        .collect();
    let setup = runner.setup(Kind::Review, questions.len());
    drive::run(&mut runner, &questions, setup)
}

fn list(bank: &Bank, store: &Store, now: DateTime<Utc>, json: bool) -> Result<()> {
    let mut entries: Vec<ScheduleEntry> = store
        .schedule(&|id| bank.key_point_ids(id))?
        .into_iter()
        .map(|mut e| {
            if let Some(q) = bank.get(&e.id) {
                e.topic = Some(q.topic.clone());
            }
            e
        })
        .collect();
    review_order(&mut entries, now);
    if json {
        let rows: Vec<Row> = entries
            .iter()
            .map(|e| Row {
                question_id: &e.id,
                topic: e.topic.as_deref(),
                due: &e.due,
                last_score: e.last_score,
                due_points: e.due_points(now).iter().map(|p| p.id.as_str()).collect(),
                points: &e.points,
            })
            .collect();
        return Ok(render::json(&rows)?);
    }
    let mut out = render::stdout();
    if entries.is_empty() {
        writeln!(
            out,
            "Nothing scheduled yet: every graded answer puts its question on the schedule."
        )?;
        return Ok(());
    }
    let due_now = table(&mut out, &entries, now)?;
    writeln!(out)?;
    if due_now > 0 {
        writeln!(
            out,
            "{} due now: `grill review` asks {}.",
            due_now,
            if due_now == 1 { "it" } else { "them" }
        )?;
    } else {
        writeln!(out, "Nothing is due now.")?;
    }
    Ok(())
}

/// The schedule as a table, as wide as the window allows; how many are due now.
fn table(out: &mut impl Write, entries: &[ScheduleEntry], now: DateTime<Utc>) -> Result<usize> {
    let wide = entries
        .iter()
        .map(|e| e.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(8);
    let topic_wide = entries
        .iter()
        .filter_map(|e| e.topic.as_deref().map(|t| t.chars().count()))
        .max()
        .unwrap_or(5)
        .max(5);
    // Too wide for the window: the date and the topic are left out.
    let full = 10 + 2 + 14 + 2 + wide + 2 + topic_wide + 2 + 10 + 2 + 10;
    let narrow = render::listing_width() < full;
    if narrow {
        writeln!(
            out,
            "{BOLD}{:14}  {:wide$}  last score  points due{BOLD:#}",
            "due", "question"
        )?;
    } else {
        writeln!(
            out,
            "{BOLD}{:10}  {:14}  {:wide$}  {:topic_wide$}  last score  points due{BOLD:#}",
            "due", "", "question", "topic"
        )?;
    }
    let mut due_now = 0;
    for e in entries {
        let (date, relative) = when_due(e, now);
        let relative = if schedule::is_due(e, now) {
            due_now += 1;
            format!("{RED}{relative:14}{RED:#}")
        } else {
            format!("{DIM}{relative:14}{DIM:#}")
        };
        let last = e.last_score.map_or_else(
            || format!("{DIM}{:>10}{DIM:#}", "—"),
            |s| {
                let style = style::score(s);
                format!("{style}{:>10}{style:#}", format!("{s:.1}"))
            },
        );
        let points = match (e.due_points(now).len(), e.points.len()) {
            (_, 0) => String::new(),
            (0, _) => format!("{DIM}none{DIM:#}"),
            (due, all) => format!("{due} of {all}"),
        };
        if narrow {
            let id = sanitize(&e.id);
            writeln!(
                out,
                "{relative}  {CYAN}{id:wide$}{CYAN:#}  {last}  {points}"
            )?;
            continue;
        }
        writeln!(
            out,
            "{date:10}  {relative}  {CYAN}{:wide$}{CYAN:#}  {:topic_wide$}  {last}  {points}",
            sanitize(&e.id),
            sanitize(e.topic.as_deref().unwrap_or("?")),
        )?;
    }
    Ok(due_now)
}

/// The due date (local) and how far it is from `now`, in calendar days.
fn when_due(e: &ScheduleEntry, now: DateTime<Utc>) -> (String, String) {
    let Some(due) = schedule::due_time(&e.due) else {
        return (sanitize(&e.due), "due now".into());
    };
    let due_day = due.with_timezone(&Local).date_naive();
    let today = now.with_timezone(&Local).date_naive();
    let days = (due_day - today).num_days();
    let relative = match days {
        d if d < -1 => format!("{} days late", -d),
        -1 => "1 day late".into(),
        0 if due <= now => "due now".into(),
        0 => "later today".into(),
        1 => "tomorrow".into(),
        d => format!("in {d} days"),
    };
    (due_day.format("%Y-%m-%d").to_string(), relative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Source;
    use crate::store::{GradedBy, NewAttempt};
    use crate::time::Clock;
    use crate::verdict::Verdict;
    use std::borrow::Cow;
    use std::fmt::Write as _;

    fn at(day: u32) -> DateTime<Utc> {
        crate::time::parse(&format!("2026-03-{day:02}T09:00:00Z")).unwrap()
    }

    fn bank(ids: &[&str]) -> Bank {
        let mut text = "topic = \"t\"\n".to_string();
        for id in ids {
            let _ = write!(
                    text,
                "[[questions]]\nid = \"{id}\"\nquestion = \"Q?\"\ndifficulty = \"core\"\nmodel_answer = \"A.\"\n[[questions.key_points]]\nid = \"k\"\npoint = \"P\"\n"
            );
        }
        let (bank, diags) = Bank::from_sources(&[Source {
            path: "t.toml".into(),
            stem: "t".into(),
            text: Cow::Owned(text),
        }]);
        assert!(diags.is_empty(), "{diags:?}");
        bank
    }

    /// A self-graded answer to `id` scoring `score`, made at `now`: the
    /// store lives in the clock of its day.
    #[allow(clippy::similar_names)]
    fn graded(path: &std::path::Path, id: &str, score: f64, now: DateTime<Utc>) {
        let store = Store::open(path, Clock::fixed(now)).unwrap();
        let a = store
            .insert_attempt(&NewAttempt {
                question_id: id,
                topic: "t",
                answer: "x",
                ..NewAttempt::default()
            })
            .unwrap();
        let verdict = Verdict {
            score,
            ..Verdict::default()
        };
        store
            .record_graded(a, id, &verdict, &GradedBy::SelfCheck)
            .unwrap();
    }

    #[test]
    fn due_questions_come_first_then_the_weakest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grill.db");
        let bank = bank(&["weak", "mid", "strong", "fresh", "gone-a"]);
        graded(&path, "strong", 10.0, at(1));
        graded(&path, "mid", 6.0, at(1));
        graded(&path, "weak", 2.0, at(1));
        graded(&path, "fresh", 5.0, at(3));
        let store = Store::open(&path, Clock::system()).unwrap();
        // The day after: only `weak` is due (Again: one day).
        assert_eq!(review_plan(&store, &bank, 1, at(2)).unwrap(), ["weak"]);
        assert_eq!(
            review_plan(&store, &bank, 3, at(2)).unwrap(),
            ["weak", "fresh", "mid"],
            "then the lowest latest scores"
        );
        // A week on, the most overdue comes first.
        let plan = review_plan(&store, &bank, 10, at(9)).unwrap();
        assert_eq!(plan[0], "weak");
        assert_eq!(plan.len(), 4);
        assert_eq!(plan.last().map(String::as_str), Some("strong"));
    }

    #[test]
    fn questions_missing_from_the_bank_are_not_planned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grill.db");
        graded(&path, "gone", 1.0, at(1));
        graded(&path, "here", 3.0, at(1));
        let store = Store::open(&path, Clock::system()).unwrap();
        let plan = review_plan(&store, &bank(&["here"]), 5, at(5)).unwrap();
        assert_eq!(plan, ["here"]);
    }
}
