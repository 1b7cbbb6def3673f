//! The grading layer through the binary: every grader ends in the same
//! record, keyword estimates are kept but never counted, and saved answers
//! can be graded offline.

use std::process::Command;

use serde_json::{json, Value};

use crate::common::{Env, Output};
use crate::grade::{good_verdict, Judged, BANK};

fn offline(env: &Env, args: &[&str], stdin: &str) -> Output {
    let mut full = vec!["--bank", "bank", "--offline"];
    full.extend_from_slice(args);
    env.run_with(&full, stdin, &[])
}

fn bank_env() -> Env {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    env
}

#[test]
fn a_keyword_estimate_is_listed_but_never_counted() {
    let env = bank_env();
    // A real self-grade of 0, then a keyword-stuffed answer the estimate scores 10.
    let out = offline(
        &env,
        &["practice", "--question", "tq"],
        "no idea\n\nn\nn\nn\n",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let out = offline(
        &env,
        &["grade", "--question", "tq", "--json"],
        "regressions document refactor",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    assert_eq!(
        (v["score"].as_f64(), v["counted"].as_bool()),
        (Some(10.0), Some(false))
    );

    let history = env.run(&["--bank", "bank", "history"]);
    assert!(history.stdout.contains("~10.0"), "{history:?}");
    assert!(history.stdout.contains("estimate"), "{history:?}");

    let stats = env.run(&["--bank", "bank", "stats", "--json"]).json();
    let testing = stats["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "testing")
        .unwrap()
        .clone();
    assert_eq!(
        testing["average"], 0.0,
        "the estimate moved the average: {stats}"
    );
    assert_eq!(stats["graded_attempts"], 1, "{stats}");
    assert_eq!(stats["total_attempts"], 1, "{stats}");

    // The schedule saw the self-grade only: a lapse, not a 10.
    let schedule = env
        .run(&["--bank", "bank", "review", "--list", "--json"])
        .json();
    assert_eq!(schedule[0]["last_score"], 0.0, "{schedule}");
}

/// Two answers saved while the judge is unreachable.
fn saved_answers(t: &Judged) {
    let lines = [
        json!({"question": "tq", "answer": "Tests catch regressions and document behaviour."}),
        json!({"question": "tq", "answer": "No idea."}),
    ];
    t.env
        .write("answers.jsonl", &format!("{}\n{}\n", lines[0], lines[1]));
    let out = t.grill(
        &["grade", "--batch", "answers.jsonl"],
        "",
        &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
    );
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn regrade_offline_off_a_terminal_stores_estimates_and_says_so() {
    let t = Judged::new(|_, _| crate::common::fake_server::Reply::verdict(&good_verdict()));
    saved_answers(&t);
    let out = t.grill(&["--offline", "regrade", "--json"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("Keyword estimates for 2 answers"),
        "{out:?}"
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["grader"] == "cues"), "{lines:?}");
    assert_eq!(
        lines[0]["score"], 7.5,
        "regressions and document: {lines:?}"
    );
    assert_eq!(t.server.request_count(), 0);
    // Nothing left to grade, and `--cues` belongs to `--offline`.
    let again = t.grill(&["--offline", "regrade"], "", &[]);
    assert!(again.stdout.contains("Nothing to regrade"), "{again:?}");
    let wrong = t.grill(&["regrade", "--cues"], "", &[]);
    assert_eq!(wrong.code, 2, "{wrong:?}");
}

#[test]
fn grade_offline_batch_writes_one_estimate_per_line() {
    let env = bank_env();
    env.write(
        "answers.jsonl",
        &format!(
            "{}\n{}\n",
            json!({"question": "tq", "answer": "we catch regressions", "who": "ana"}),
            json!({"question": "tq", "answer": "refactoring is safe"})
        ),
    );
    let out = offline(&env, &["grade", "--batch", "answers.jsonl"], "");
    assert_eq!(out.code, 0, "{out:?}");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["score"], 5.0);
    assert_eq!(lines[0]["who"], "ana", "extra fields come back");
    assert_eq!(lines[1]["score"], 2.5);
    assert!(lines.iter().all(|l: &Value| l["grader"] == "cues"));
}

#[test]
fn regrade_offline_in_a_terminal_walks_through_self_grading() {
    let t = Judged::new(|_, _| crate::common::fake_server::Reply::verdict(&good_verdict()));
    saved_answers(&t);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("stty rows 30 cols 100; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_grill"))
        .args(["--bank", "bank", "--offline", "regrade"])
        .current_dir(t.env.home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", t.env.home.path())
        .env("GRILL_HOME", t.env.path("data"))
        .env("GRILL_CONFIG", t.env.path("config.toml"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    // A self-grade has grill's word for its score, as a judge's grade does
    // (rexpect reads Latin-1: only the ASCII part after the `·` is matched).
    for (marks, score) in [
        (
            "yyy",
            "strong answer (self-graded: 3 of 3 key points covered)",
        ),
        (
            "nnn",
            "weak answer (self-graded: none of 3 key points covered)",
        ),
    ] {
        p.exp_string("Grade yourself").unwrap();
        for m in marks.chars() {
            p.exp_string("] ").unwrap();
            p.send_line(&m.to_string()).unwrap();
        }
        p.exp_string(score).unwrap();
    }
    p.exp_eof().unwrap();
    let history = t.grill(&["history", "--json"], "", &[]).json();
    let scores: Vec<f64> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["score"].as_f64())
        .collect();
    assert_eq!(scores, [0.0, 10.0], "newest first: {history}");
    assert!(history
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["grader"] == "self"));
}

#[test]
fn a_story_question_gets_no_keyword_estimate_and_a_capped_self_grade_without_a_story() {
    let env = Env::new();
    let id = "reduce-latency-cost-story";
    let out = env.run_with(
        &["--offline", "grade", "--question", id, "--json"],
        "We cached prompts, cut latency and cost.",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    assert_eq!(v["score"], Value::Null, "{v}");
    assert!(
        v["note"]
            .as_str()
            .unwrap()
            .contains("asks for an example from your own work"),
        "{v}"
    );
    let stored = env.run(&["history", "--json"]).json();
    assert_eq!(
        stored[0]["status"], "ungraded",
        "saved for self-grading: {stored}"
    );

    // Self-graded with every point marked covered, but no story told: capped.
    let out = env.run_with(
        &["--offline", "practice", "--question", id],
        &format!("It depends on the system.\n\n{}n\n", "y\n".repeat(5)),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("Did you tell a concrete story"),
        "{out:?}"
    );
    assert!(out.stdout.contains("Score 5.0/10"), "{out:?}");
    assert!(
        out.stdout
            .contains("none was told: the score is capped at 5.0"),
        "{out:?}"
    );
}
