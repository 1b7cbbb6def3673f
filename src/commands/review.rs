//! `review`: the spaced-review schedule (`--list`) and the plan of a review
//! session: the questions due now, most overdue first, then the weakest.
//!
//! The schedule itself lives in `schedule`; this module only chooses and shows.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Local, Utc};
use serde::Serialize;

use crate::bank::Bank;
use crate::cli::ReviewArgs;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::report::score_style;
use crate::schedule::{self, ScheduleEntry};
use crate::store::{self, Store};
use crate::ui::render::{self, BOLD, CYAN, DIM, RED};

/// The ids a review session asks, at most `count`: every question of the
/// bank that is due at `now` (most overdue first), then, to fill up, the
/// weakest by latest graded score. Questions no longer in `bank` are left out.
pub fn review_plan(
    store: &Store,
    bank: &Bank,
    count: usize,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let mut plan: Vec<String> = schedule::due(store, now)?
        .into_iter()
        .filter(|e| bank.get(&e.id).is_some())
        .map(|e| e.id)
        .take(count)
        .collect();
    if plan.len() < count {
        // Latest graded score per question; attempts come oldest first.
        let mut latest: HashMap<String, f64> = HashMap::new();
        for a in store.all_attempts()? {
            if let (true, Some(score)) = (a.status == "graded", a.score) {
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

/// One row of `review --list --json`.
#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    topic: Option<&'a str>,
    due: &'a str,
    last_score: Option<f64>,
}

pub fn review(settings: &Settings, args: &ReviewArgs) -> Result<()> {
    if args.count == 0 {
        return Err(Error::input("--count must be at least 1"));
    }
    let bank = Bank::load(&settings.bank_dirs)?;
    let store = Store::open(&settings.db_path.value)?;
    let now = store::now_utc();
    if args.list {
        return list(&bank, &store, now, args.json);
    }
    if args.json {
        return Err(Error::input("--json goes with --list").with_hint("grill review --list --json"));
    }
    drop(store);
    crate::commands::session::review(settings, &bank, args.count)
}

fn list(bank: &Bank, store: &Store, now: DateTime<Utc>, json: bool) -> Result<()> {
    let entries: Vec<ScheduleEntry> = schedule::schedule(store)?
        .into_iter()
        .map(|mut e| {
            if let Some(q) = bank.get(&e.id) {
                e.topic = Some(q.topic.clone());
            }
            e
        })
        .collect();
    if json {
        let rows: Vec<Row> = entries
            .iter()
            .map(|e| Row {
                id: &e.id,
                topic: e.topic.as_deref(),
                due: &e.due,
                last_score: e.last_score,
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
    writeln!(
        out,
        "{BOLD}{:10}  {:14}  {:wide$}  {:topic_wide$}  last score{BOLD:#}",
        "due", "", "question", "topic"
    )?;
    let mut due_now = 0;
    for e in &entries {
        let (date, relative) = when_due(e, now);
        let relative = if schedule::is_due(e, now) {
            due_now += 1;
            format!("{RED}{relative:14}{RED:#}")
        } else {
            format!("{DIM}{relative:14}{DIM:#}")
        };
        let last = e.last_score.map_or_else(
            || format!("{DIM}—{DIM:#}"),
            |s| {
                let style = score_style(s);
                format!("{style}{s:.1}{style:#}")
            },
        );
        writeln!(
            out,
            "{date:10}  {relative}  {CYAN}{:wide$}{CYAN:#}  {:topic_wide$}  {last}",
            render::clean(&e.id),
            render::clean(e.topic.as_deref().unwrap_or("?")),
        )?;
    }
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

/// The due date (local) and how far it is from `now`, in calendar days.
fn when_due(e: &ScheduleEntry, now: DateTime<Utc>) -> (String, String) {
    let Some(due) = schedule::due_time(&e.due) else {
        return (render::clean(&e.due), "due now".into());
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
    use crate::store::NewAttempt;
    use std::borrow::Cow;
    use std::fmt::Write as _;

    fn at(day: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-03-{day:02}T09:00:00Z"))
            .unwrap()
            .with_timezone(&Utc)
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

    #[allow(clippy::similar_names)]
    fn graded(store: &Store, id: &str, score: f64, now: DateTime<Utc>) {
        let a = store
            .insert_attempt(&NewAttempt {
                question_id: id,
                topic: "t",
                answer: "x",
                ..NewAttempt::default()
            })
            .unwrap();
        store
            .record_verdict(a, "self", &serde_json::json!({}), score)
            .unwrap();
        schedule::record(store, id, score, now).unwrap();
    }

    #[test]
    fn due_questions_come_first_then_the_weakest() {
        let store = Store::in_memory().unwrap();
        let bank = bank(&["weak", "mid", "strong", "fresh", "gone-a"]);
        graded(&store, "strong", 10.0, at(1));
        graded(&store, "mid", 6.0, at(1));
        graded(&store, "weak", 2.0, at(1));
        graded(&store, "fresh", 5.0, at(3));
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
        let store = Store::in_memory().unwrap();
        graded(&store, "gone", 1.0, at(1));
        graded(&store, "here", 3.0, at(1));
        let plan = review_plan(&store, &bank(&["here"]), 5, at(5)).unwrap();
        assert_eq!(plan, ["here"]);
    }
}
