//! The `--json` outputs against their documentation (`docs/json.md`): the
//! top-level fields each table lists are the fields printed, and one thing
//! has one name, the stored answer `attempt_id` whether grading worked or not.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::common::fake_server::Reply;
use crate::common::repo;
use crate::grade::{good_verdict, Judged};

/// The fields of the `nth` table (from 0) in the section of `docs/json.md`
/// whose heading starts with `heading`: (name, omitted when empty).
fn documented(heading: &str, nth: usize) -> Vec<(String, bool)> {
    let doc = std::fs::read_to_string(repo().join("docs/json.md")).unwrap();
    let start = doc
        .lines()
        .position(|l| l.starts_with("## ") && l[3..].starts_with(heading))
        .unwrap_or_else(|| panic!("docs/json.md has no section `## {heading}`"));
    let section: Vec<&str> = doc
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    let mut tables: Vec<Vec<(String, bool)>> = Vec::new();
    let mut in_table = false;
    for line in section {
        if let Some(row) = line.strip_prefix("| `") {
            if !in_table {
                tables.push(Vec::new());
                in_table = true;
            }
            let name = row.split('`').next().unwrap().to_string();
            tables
                .last_mut()
                .unwrap()
                .push((name, line.contains("omitted")));
        } else if !line.starts_with('|') {
            in_table = false;
        }
    }
    tables
        .into_iter()
        .nth(nth)
        .unwrap_or_else(|| panic!("`{heading}` has no table {nth}"))
}

/// Checks an object's fields against a documented table: every field it
/// prints is documented, and every one not marked "omitted" is printed.
fn assert_documented(what: &str, value: &Value, heading: &str, nth: usize) {
    let keys: BTreeSet<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    let doc = documented(heading, nth);
    let all: BTreeSet<&str> = doc.iter().map(|(n, _)| n.as_str()).collect();
    let required: BTreeSet<&str> = doc
        .iter()
        .filter(|(_, optional)| !optional)
        .map(|(n, _)| n.as_str())
        .collect();
    let undocumented: Vec<_> = keys.difference(&all).collect();
    let missing: Vec<_> = required.difference(&keys).collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "{what}: printed but not in docs/json.md: {undocumented:?}; documented but not printed: {missing:?}\n{value}"
    );
}

/// A judge that refuses (401) until `healthy` is set, then grades well.
fn judge_healthy_later() -> (Judged, Arc<AtomicBool>) {
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&healthy);
    let t = Judged::new(move |_, _| {
        if flag.load(Ordering::SeqCst) {
            Reply::verdict(&good_verdict())
        } else {
            Reply::error(401, "bad key")
        }
    });
    (t, healthy)
}

#[test]
fn a_failed_and_a_successful_grade_name_the_attempt_alike() {
    let (t, healthy) = judge_healthy_later();
    let failed = t.grade_json(&[]);
    assert_eq!(failed.code, 1, "{failed:?}");
    healthy.store(true, Ordering::SeqCst);
    let graded = t.grade_json(&[]);
    assert_eq!(graded.code, 0, "{graded:?}");
    let (failed, graded) = (failed.json(), graded.json());
    assert_eq!(failed["attempt_id"], 1, "{failed}");
    assert_eq!(graded["attempt_id"], 2, "{graded}");
    for v in [&failed, &graded] {
        for other in ["attempt", "id", "attempt-id", "attemptId"] {
            assert!(v.get(other).is_none(), "`{other}` beside attempt_id: {v}");
        }
    }
    assert_documented("a failed grade", &failed, "`grill grade --question", 0);
    assert_documented("a graded answer", &graded, "Result lines", 0);

    // The same names where the stored answers are listed and regraded.
    let history = t.grill(&["history", "--json"], "", &[]).json();
    let ids: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["attempt_id"])
        .collect();
    assert_eq!(ids, [&Value::from(2), &Value::from(1)], "{history}");
    let regraded = t.grill(&["regrade", "--json"], "", &[]).json_lines();
    assert_eq!(regraded.len(), 1);
    assert_eq!(regraded[0]["attempt_id"], failed["attempt_id"]);
    assert_documented("a regraded answer", &regraded[0], "Result lines", 0);
}

#[test]
fn the_documented_top_level_fields_are_the_printed_ones() {
    let (t, healthy) = judge_healthy_later();
    healthy.store(true, Ordering::SeqCst);
    // A batch (a session) of one graded answer carrying a field of its own,
    // then one the judge refuses.
    t.env.write(
        "answers.jsonl",
        "{\"question\": \"tq\", \"answer\": \"Tests catch regressions before users do. They also document how the code behaves.\", \"name\": \"ann\"}\n",
    );
    let batch = t.grill(&["grade", "--batch", "answers.jsonl"], "", &[]);
    assert_eq!(batch.code, 0, "{batch:?}");
    let line = &batch.json_lines()[0];
    assert_eq!(
        line["name"], "ann",
        "the input's own field is carried: {line}"
    );
    let mut grill_only = line.clone();
    grill_only.as_object_mut().unwrap().remove("name");
    assert_documented("a batch line", &grill_only, "Result lines", 0);
    healthy.store(false, Ordering::SeqCst);
    t.env.write(
        "refused.jsonl",
        "{\"question\": \"tq\", \"answer\": \"Refactoring is safe with tests.\"}\n",
    );
    let refused = t.grill(&["grade", "--batch", "refused.jsonl"], "", &[]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_documented(
        "a failed batch line",
        &refused.json_lines()[0],
        "Result lines",
        1,
    );

    let first = |args: &[&str]| -> Value {
        let out = t.grill(args, "", &[]);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        let v = out.json();
        match v {
            Value::Array(mut all) => {
                assert!(!all.is_empty(), "{args:?} listed nothing");
                all.remove(0)
            }
            one => one,
        }
    };
    for (args, heading, nth) in [
        (&["history", "--json"][..], "`grill history --json`", 0),
        (&["sessions", "--json"], "`grill sessions --json`", 0),
        (
            &["report", "--format", "json"],
            "`grill report --format json`",
            0,
        ),
        (&["stats", "--json"], "`grill stats --json`", 0),
        (
            &["review", "--list", "--json"],
            "`grill review --list --json`",
            0,
        ),
        (&["list", "--json"], "`grill list --json`", 0),
        (&["show", "tq", "--json"], "`grill list --json`", 1),
        (&["topics", "--json"], "`grill list --json`", 2),
        (
            &["show", "--attempt", "1", "--json"],
            "`grill list --json`",
            3,
        ),
        (&["usage", "--json"], "`grill usage --json`", 0),
        (&["config", "--json"], "`grill config --json`", 0),
    ] {
        assert_documented(&args.join(" "), &first(args), heading, nth);
    }
    let report = first(&["report", "--format", "json"]);
    assert_documented(
        "a report's attempt",
        &report["attempts"][0],
        "`grill report --format json`",
        1,
    );
    let stats = first(&["stats", "--json"]);
    assert_eq!(stats["due_now"], 0, "{stats}");
}
