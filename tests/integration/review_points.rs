//! Review per key point: each point of a graded answer gets its own card,
//! a question is due when any point is, the review asks the questions with
//! the most points due first, and a database from the previous release
//! migrates with every point inheriting its question's card.

use serde_json::Value;

use crate::common::fake_server::{FakeServer, Reply};
use crate::common::{repo, Env};
use crate::grade::schema_ids;
use crate::progress::{at, Week};

/// `review --list --json` at `now`: (id, due points) in the listed order.
fn listed(w: &Week, now: &str) -> Vec<(String, Vec<String>)> {
    let out = w.grill(&["review", "--list", "--json"], now);
    assert_eq!(out.code, 0, "{out:?}");
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let due = row["due_points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect();
            (row["question_id"].as_str().unwrap().to_string(), due)
        })
        .collect()
}

fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn each_point_is_scheduled_by_its_own_coverage() {
    let w = Week::new();
    // k1 and k2 covered, k3..k5 missing.
    w.answer("q-alpha", 2, &at(0, 0));
    w.answer("q-beta", 5, &at(0, 1));
    // The next day: the missed points of alpha are due (Again), its covered
    // ones are not (Good), and beta has nothing due.
    let next_day = at(1, 30);
    let rows = listed(&w, &next_day);
    assert_eq!(
        rows[0],
        ("q-alpha".into(), owned(&["k3", "k4", "k5"])),
        "{rows:?}"
    );
    assert_eq!(rows[1], ("q-beta".into(), vec![]), "{rows:?}");

    let out = w.grill(&["review", "--list", "--json"], &next_day).json();
    let alpha = &out[0];
    assert_eq!(alpha["points"].as_array().unwrap().len(), 5);
    assert!(alpha["points"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["own_card"] == true));
    // The question is due as early as its earliest point.
    let k3 = alpha["points"][2]["due"].as_str().unwrap();
    assert_eq!(alpha["due"].as_str().unwrap(), k3);
    let k1 = alpha["points"][0]["due"].as_str().unwrap();
    assert!(k1 > k3, "a covered point comes back later: {k1} vs {k3}");

    // Answering alpha again the next day, covering everything, moves every
    // point on; none is due the day after.
    w.answer("q-alpha", 5, &next_day);
    let rows = listed(&w, &at(2, 40));
    assert!(rows.iter().all(|(_, due)| due.is_empty()), "{rows:?}");

    // The text list says how many points are due.
    let text = w.grill(&["review", "--list"], &at(9, 0));
    assert!(text.stdout.contains("points due"), "{text:?}");
    assert!(text.stdout.contains(" of 5"), "{text:?}");
}

#[test]
fn the_review_asks_the_most_points_due_first() {
    let w = Week::new();
    // gamma misses one point first, then delta misses four: gamma is the
    // more overdue, delta has more points due.
    w.answer("q-gamma", 4, &at(0, 0));
    w.answer("q-delta", 1, &at(0, 5));
    w.answer("q-beta", 5, &at(0, 9));
    let rows = listed(&w, &at(1, 30));
    let order: Vec<(&str, usize)> = rows
        .iter()
        .map(|(id, due)| (id.as_str(), due.len()))
        .collect();
    assert_eq!(order, [("q-delta", 4), ("q-gamma", 1), ("q-beta", 0)]);
    // The review session asks in that order. (It reads the answer from the
    // pipe; Ctrl-D after the first question ends it.)
    let out = w.grill(&["review", "--count", "2"], &at(1, 31));
    let delta = out.stdout.find("Explain q-delta.");
    assert!(delta.is_some(), "{out:?}");
    if let Some(gamma) = out.stdout.find("Explain q-gamma.") {
        assert!(delta < Some(gamma), "{out:?}");
    }
}

#[test]
fn after_a_review_answer_the_due_points_recalled_are_named() {
    let w = Week::new();
    w.answer("q-alpha", 2, &at(0, 0));
    // The next day k3, k4 and k5 are due; the answer recalls k3 and k4.
    let out = w.grill_in(
        &["review", "--count", "1"],
        "fact kw1x holds here. fact kw3x holds here. fact kw4x holds here.\n\n",
        &at(1, 30),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("Due for review (2 of 3 points): recalled k3, k4 · not yet k5"),
        "{}",
        out.stdout
    );
    // And the schedule moved on: k3 and k4 are no longer due the day after.
    let rows = listed(&w, &at(2, 30));
    assert_eq!(
        rows[0],
        ("q-alpha".into(), owned(&["k2", "k5"])),
        "{rows:?}"
    );
}

#[test]
fn stats_name_the_points_missed_again_and_again() {
    let w = Week::new();
    w.answer("q-alpha", 2, &at(0, 0));
    w.answer("q-alpha", 3, &at(1, 0));
    w.answer("q-gamma", 4, &at(1, 5));
    let s = w.grill(&["stats", "--json"], &at(2, 0)).json();
    let missed: Vec<(String, String, u64, u64)> = s["missed_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["question_id"].as_str().unwrap().into(),
                m["point_id"].as_str().unwrap().into(),
                m["missed"].as_u64().unwrap(),
                m["answered"].as_u64().unwrap(),
            )
        })
        .collect();
    // alpha's k4 and k5, missed both times; k3 was covered the second time;
    // gamma was answered once.
    assert_eq!(
        missed,
        [
            ("q-alpha".into(), "k4".into(), 2, 2),
            ("q-alpha".into(), "k5".into(), 2, 2)
        ]
    );
    let text = w.grill(&["stats"], &at(2, 0)).stdout;
    assert!(text.contains("You keep missing"), "{text}");
    assert!(text.contains("Fact number 4"), "{text}");
    assert!(
        text.contains("missed or partial in 2 of 2 answers"),
        "{text}"
    );
}

/// A database the previous release (schema 1, one card per question) wrote:
/// `hyde` self-graded 3.6 (due 2026-11-30), `lora` 10.0 (due 2026-12-14).
fn previous_release_db(env: &Env) {
    std::fs::create_dir_all(env.db().parent().unwrap()).unwrap();
    std::fs::copy(repo().join("tests/fixtures/release-1.db"), env.db()).unwrap();
}

#[test]
fn a_previous_release_database_migrates_and_points_inherit_their_card() {
    let env = Env::new();
    previous_release_db(&env);
    let now = [("GRILL_NOW", "2026-12-01T09:00:00Z"), ("TZ", "UTC")];
    let out = env.run_with(&["review", "--list", "--json"], "", &now);
    assert_eq!(out.code, 0, "{out:?}");
    let rows = out.json();
    let hyde = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["question_id"] == "hyde")
        .unwrap();
    // Every point of the bank's question follows the old card.
    let points = hyde["points"].as_array().unwrap();
    assert!(points.len() >= 3, "{hyde}");
    for p in points {
        assert_eq!(p["own_card"], false, "{p}");
        assert_eq!(p["due"], "2026-11-30T16:15:21Z", "{p}");
    }
    assert_eq!(hyde["due_points"].as_array().unwrap().len(), points.len());
    assert_eq!(rows[0]["question_id"], "hyde", "due first: {rows}");
    // The history is intact, and the schema moved on.
    let history = env.run(&["history", "--json"]).json();
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert!(version >= 3, "{version}");

    // A judged grade of lora, missing every point, gives each its own card,
    // grown from lora's old one; hyde's points still follow theirs.
    let server = FakeServer::start(|req, _| {
        let mut points = serde_json::Map::new();
        for id in schema_ids(&req.json()) {
            points.insert(
                id.as_str().unwrap().to_string(),
                serde_json::json!({"evidence": "", "coverage": "missing"}),
            );
        }
        Reply::verdict(
            &serde_json::json!({"key_points": points, "mistakes": [], "feedback": "", "follow_up": ""}),
        )
    });
    env.write("answer.txt", "I would rather not say much about it here.");
    let url = server.base_url();
    let judged = [
        ("GRILL_NOW", "2026-12-01T09:00:00Z"),
        ("TZ", "UTC"),
        ("OPENAI_BASE_URL", url.as_str()),
        ("OPENAI_API_KEY", "test"),
    ];
    let out = env.run_with(
        &[
            "grade",
            "--question",
            "lora",
            "--answer-file",
            "answer.txt",
            "--json",
        ],
        "",
        &judged,
    );
    assert_eq!(out.code, 0, "{out:?}");
    let rows = env
        .run_with(
            &["review", "--list", "--json"],
            "",
            &[("GRILL_NOW", "2026-12-03T09:00:00Z")],
        )
        .json();
    let lora = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["question_id"] == "lora")
        .unwrap();
    let lora_points: Vec<&Value> = lora["points"].as_array().unwrap().iter().collect();
    assert!(lora_points.iter().all(|p| p["own_card"] == true), "{lora}");
    assert_eq!(
        lora["due_points"].as_array().unwrap().len(),
        lora_points.len(),
        "every missed point is due again soon, not on 14 December: {lora}"
    );
}
