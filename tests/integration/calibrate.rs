//! `grill calibrate` and `--samples`: the shipped labelled set against the
//! keyword estimate, bad lines named, the judge sampled and voted.

use serde_json::{json, Value};

use crate::common::fake_server::{Reply, Request};
use crate::common::{repo, Env};
use crate::grade::{schema_ids, Judged};

fn shipped_set() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("calibration"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn the_shipped_set_is_big_enough_and_the_estimate_ranks_it_well() {
    let files = shipped_set();
    let env = Env::new();
    let mut args = vec!["calibrate", "--grader", "cues", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = env.run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    let s = out.json();
    assert!(
        s["read"].as_u64().unwrap() >= 120,
        "at least 120 labelled answers: {}",
        s["read"]
    );
    let questions: std::collections::HashSet<String> = files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(&l).unwrap()["question"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        questions.len() >= 24,
        "over at least 24 questions: {}",
        questions.len()
    );
    let rho = s["scores_without_fluent_wrong"]["spearman"]
        .as_f64()
        .unwrap();
    assert!(rho >= 0.75, "Spearman without fluent-but-wrong: {rho}");
    for field in ["pearson", "quadratic_kappa", "mae", "bias", "within_one"] {
        assert!(s["scores"][field].is_number(), "{field}: {s}");
    }
    assert!(s["key_point_kappa"].is_number());
    assert_eq!(s["key_point_confusion"].as_array().unwrap().len(), 3);
    assert!(!s["disagreements"].as_array().unwrap().is_empty());
    // Nothing is stored as a practice attempt.
    let history = env.run(&["history", "--json"]).json();
    assert_eq!(history, json!([]));

    // The text report: the figures, the table, the scatter.
    let mut args = vec!["calibrate", "--grader", "cues"];
    args.extend(files.iter().map(String::as_str));
    let text = env.run(&args).stdout;
    for part in [
        "Spearman ρ",
        "Cohen's κ",
        "Largest disagreements",
        "Grade against label",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
}

#[test]
fn bad_labelled_lines_are_named_and_exit_2() {
    let env = Env::new();
    env.write(
        "set.jsonl",
        &[
            r#"{"question": "hyde", "answer": "a", "label": {"score": 5}}"#,
            r#"{"question": "hyd", "answer": "a", "label": {"score": 5}}"#,
            r#"{"question": "hyde", "answer": "a", "label": {"score": 50}}"#,
        ]
        .join("\n"),
    );
    let out = env.run(&["calibrate", "set.jsonl", "--grader", "cues"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("set.jsonl:2:1: unknown question `hyd` (did you mean `hyde`?)"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("set.jsonl:3:1: label.score must be a number from 0 to 10"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("the labelled answers have 2 problems"),
        "{out:?}"
    );
}

/// Covers every point with its own four words of the answer, except `docs`
/// on the second request of each answer, which it calls missing.
pub fn flipping(req: &Request, n: usize) -> Reply {
    let body = req.json();
    let mut points = serde_json::Map::new();
    for id in schema_ids(&body) {
        let id = id.as_str().unwrap().to_string();
        let (evidence, coverage) = match id.as_str() {
            "regressions" => ("Tests catch regressions before users", "covered"),
            "docs" if n % 3 == 1 => ("", "missing"),
            "docs" => ("They also document how the code behaves", "covered"),
            _ => ("", "missing"),
        };
        points.insert(id, json!({"evidence": evidence, "coverage": coverage}));
    }
    Reply::verdict(&json!({"key_points": points, "mistakes": [], "feedback": "", "follow_up": ""}))
}

#[test]
fn three_samples_mark_exactly_the_point_they_split_on_uncertain() {
    let t = Judged::new(flipping);
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    // One sample: no doubt.
    assert!(out.json()["key_points"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["uncertain"] == false));

    t.env.write(
        "answer.txt",
        "Tests catch regressions before users do.\nThey also document how the code behaves. More.",
    );
    let out = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--json",
            "--samples",
            "3",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    let uncertain: Vec<&str> = v["key_points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["uncertain"] == true)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(uncertain, ["docs"]);
    assert_eq!(v["score"], 7.5, "docs is covered by two samples of three");
    // Three calls, each with the key points in a different order, all counted.
    let requests = t.server.requests();
    assert_eq!(requests.len(), 4, "1 earlier + 3 samples");
    let orders: std::collections::HashSet<Vec<Value>> = requests[1..]
        .iter()
        .map(|r| schema_ids(&r.json()))
        .collect();
    assert!(
        orders.len() >= 2,
        "the order changes between samples: {orders:?}"
    );
    assert_eq!(v["usage"]["prompt"], 3 * 42);

    let text = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--samples",
            "3",
        ],
        "",
        &[],
    );
    assert!(
        text.stdout
            .contains("uncertain: the judge's samples disagreed"),
        "{text:?}"
    );
}

#[test]
fn calibrating_the_judge_with_samples_reports_self_consistency() {
    let t = Judged::new(flipping);
    t.env.write(
        "set.jsonl",
        &[
            json!({"question": "tq", "answer": "Tests catch regressions before users do. They also document how the code behaves.", "label": {"score": 7.5, "key_points": {"regressions": "covered", "docs": "covered", "refactor": "missing"}}}).to_string(),
            json!({"question": "tq", "answer": "No idea at all, really, I am sorry about it.", "label": {"score": 0}}).to_string(),
        ]
        .join("\n"),
    );
    let out = t.grill(
        &[
            "calibrate",
            "set.jsonl",
            "--samples",
            "3",
            "--concurrency",
            "1",
            "--json",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let s = out.json();
    assert_eq!(s["graded"], 2);
    assert_eq!(s["consistency"]["samples"], 3);
    let identical = s["consistency"]["identical_decisions"].as_f64().unwrap();
    assert!(
        identical < 1.0 && identical > 0.5,
        "one split point of six: {identical}"
    );
    assert_eq!(t.grill(&["history", "--json"], "", &[]).json(), json!([]));
}
