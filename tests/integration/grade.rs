//! `grade`, `grade --batch` and `regrade` against a fake OpenAI-compatible
//! server on loopback: real sockets, real JSON, the real binary.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::fake_server::{FakeServer, Reply, Request};
use crate::common::{Env, Output};

/// A bank of one question the tests control: key points a (weight 2), b, c.
pub const BANK: &str = r#"topic = "testing"
title = "Testing"

[[questions]]
id = "tq"
question = "Why do we test?"
difficulty = "core"
model_answer = "Tests catch regressions, document behaviour and allow refactoring."

[[questions.key_points]]
id = "regressions"
point = "Tests catch regressions"
weight = 2
cues = ["regress"]

[[questions.key_points]]
id = "docs"
point = "Tests document behaviour"
cues = ["document"]

[[questions.key_points]]
id = "refactor"
point = "Tests make refactoring safe"
cues = ["refactor"]
"#;

pub const ANSWER: &str =
    "Tests catch regressions before users do.\nThey also document how the code behaves.";

pub const KEY: &str = "sk-test-SECRET-0123456789";

/// A verdict in the keyed form of the schema; each mistake quotes the
/// answer's second line, so it counts.
pub fn verdict(points: &[(&str, &str, &str)], mistakes: usize) -> Value {
    let mut keyed = serde_json::Map::new();
    for (id, coverage, evidence) in points {
        keyed.insert(
            (*id).to_string(),
            json!({"evidence": evidence, "coverage": coverage}),
        );
    }
    json!({
        "key_points": keyed,
        "mistakes": (0..mistakes).map(|_| json!({"quote": "They also document how the code behaves", "correction": "right"})).collect::<Vec<_>>(),
        "feedback": "Good on regressions; say more about refactoring.",
        "follow_up": "How do tests make refactoring safer?"
    })
}

pub fn good_verdict() -> Value {
    verdict(
        &[
            (
                "regressions",
                "covered",
                "Tests catch regressions before users",
            ),
            ("docs", "covered", "document how the code behaves"),
            ("refactor", "missing", ""),
        ],
        0,
    )
}

/// The key point ids of the request's verdict schema, in order (any rung
/// that carries a schema).
pub fn schema_ids(body: &Value) -> Vec<Value> {
    [
        "/response_format/json_schema/schema",
        "/response_format/schema",
    ]
    .iter()
    .find_map(|p| body.pointer(p))
    .and_then(|schema| schema.pointer("/properties/key_points/required"))
    .and_then(Value::as_array)
    .cloned()
    .unwrap_or_default()
}

/// A judge for any question: every key point named in the request's schema
/// is covered, each quoting a different run of four words of the answer.
pub fn echo_verdict(req: &Request) -> Reply {
    let body = req.json();
    let ids = schema_ids(&body);
    let user = body["messages"][1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let answer = user
        .find("<answer-")
        .and_then(|at| user[at..].find(">\n").map(|end| at + end + 2))
        .map(|start| user[start..].lines().next().unwrap_or_default().to_string())
        .unwrap_or_default();
    let words: Vec<&str> = answer.split_whitespace().collect();
    let quote = |i: usize| {
        let start = (i * 4).min(words.len().saturating_sub(4));
        words[start..(start + 4).min(words.len())].join(" ")
    };
    Reply::verdict(&json!({
        "key_points": ids.iter().enumerate().map(|(i, id)| json!({"id": id, "coverage": "covered", "evidence": quote(i)})).collect::<Vec<_>>(),
        "mistakes": [],
        "feedback": "Clear.",
        "follow_up": "And then?"
    }))
}

pub struct Judged {
    pub env: Env,
    pub server: FakeServer,
}

impl Judged {
    pub fn new<F>(handler: F) -> Judged
    where
        F: Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    {
        let env = Env::new();
        env.write("bank/testing.toml", BANK);
        env.write("answer.txt", ANSWER);
        Judged {
            env,
            server: FakeServer::start(handler),
        }
    }

    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OPENAI_BASE_URL", self.server.base_url()),
            ("OPENAI_API_KEY", KEY.to_string()),
            ("GRILL_MODEL", "test-model".to_string()),
            ("GRILL_RETRY_BUDGET", "3".to_string()),
        ]
    }

    pub fn grill(&self, args: &[&str], stdin: &str, extra: &[(&str, &str)]) -> Output {
        let mut full = vec!["--bank", "bank"];
        full.extend_from_slice(args);
        let vars = self.vars();
        let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(extra);
        self.env.run_with(&full, stdin, &all)
    }

    pub fn grade_json(&self, extra: &[(&str, &str)]) -> Output {
        self.grill(
            &[
                "grade",
                "--question",
                "tq",
                "--answer-file",
                "answer.txt",
                "--json",
            ],
            "",
            extra,
        )
    }
}

#[test]
fn a_good_verdict_is_scored_by_the_program_and_printed_as_json() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    // regressions 2 + docs 1 of 4 -> 7.5
    assert_eq!(v["score"], 7.5);
    assert_eq!(v["grader"], "llm:test-model");
    assert_eq!(v["question_id"], "tq");
    assert_eq!(
        v["key_points"][0],
        json!({"id": "regressions", "coverage": "covered", "claimed": "covered", "evidence": "Tests catch regressions before users", "verified": true, "check": null, "uncertain": false, "recovered": false, "weight": 2, "earned": 2.0})
    );
    assert_eq!(v["headline"], "partial");
    assert_eq!(v["follow_up"], "How do tests make refactoring safer?");

    let reqs = t.server.requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json();
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    // The answer is data inside a nonce delimiter that it does not contain.
    let user = body["messages"][1]["content"].as_str().unwrap();
    let open = user.find("<answer-").expect("delimiter");
    let nonce = &user[open + 8..open + 8 + 16];
    assert!(
        user.contains(&format!("<answer-{nonce}>\n{ANSWER}\n</answer-{nonce}>")),
        "{user}"
    );
    assert!(
        !body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains(nonce),
        "the system prompt is the same for every answer"
    );
}

#[test]
fn all_key_points_with_real_quotes_score_ten_and_a_mistake_costs_one() {
    let all = verdict(
        &[
            ("regressions", "covered", "catch regressions before users"),
            ("docs", "covered", "document how the code behaves"),
            ("refactor", "covered", "They also document how"),
        ],
        0,
    );
    let t = Judged::new(move |_, _| Reply::verdict(&all));
    assert_eq!(t.grade_json(&[]).json()["score"], 10.0);

    let with_mistake = verdict(
        &[
            ("regressions", "covered", "catch regressions before users"),
            ("docs", "missing", ""),
            ("refactor", "missing", ""),
        ],
        1,
    );
    let t = Judged::new(move |_, _| Reply::verdict(&with_mistake));
    let v = t.grade_json(&[]).json();
    assert_eq!(v["score"], 4.0, "5.0 minus one mistake");
    assert_eq!(
        v["mistakes"][0]["quote"],
        "They also document how the code behaves"
    );
    assert_eq!(v["mistakes"][0]["verified"], true);
}

#[test]
fn a_quote_the_candidate_never_wrote_is_not_credited() {
    let lying = verdict(
        &[
            (
                "regressions",
                "covered",
                "Tests catch regressions before users",
            ),
            ("docs", "covered", "tests are living documentation"),
            ("refactor", "partial", "refactoring becomes safe"),
        ],
        0,
    );
    let t = Judged::new(move |_, _| Reply::verdict(&lying));
    let v = t.grade_json(&[]).json();
    assert_eq!(v["score"], 5.0, "only regressions (2 of 4) stands: {v}");
    assert_eq!(v["key_points"][1]["coverage"], "missing");
    assert_eq!(v["key_points"][1]["verified"], false);
    assert_eq!(v["key_points"][2]["verified"], false);

    // People see why.
    let t = Judged::new({
        move |_, _| {
            Reply::verdict(&verdict(
                &[
                    (
                        "regressions",
                        "covered",
                        "Tests catch regressions before users",
                    ),
                    ("docs", "covered", "living documentation"),
                    ("refactor", "missing", ""),
                ],
                0,
            ))
        }
    });
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("not credited: the judge quoted “living documentation”"),
        "{out:?}"
    );
    assert!(out.stdout.contains("Score 5.0/10"), "{out:?}");
}

#[test]
fn an_unknown_key_point_is_retried_once_with_the_error() {
    let t = Judged::new(|_, n| {
        if n == 0 {
            Reply::verdict(&verdict(
                &[
                    ("regressions", "covered", "catch regressions"),
                    ("made-up", "covered", "x"),
                ],
                0,
            ))
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["score"], 7.5);
    let reqs = t.server.requests();
    assert_eq!(reqs.len(), 2);
    let retry = reqs[1].prompt_text();
    assert!(retry.contains("unknown key point id `made-up`"), "{retry}");
    assert!(retry.contains("key point `docs` is missing"), "{retry}");
}

#[test]
fn two_invalid_verdicts_leave_the_answer_ungraded() {
    let t = Judged::new(|_, _| Reply::chat("I think the answer is quite good!"));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("invalid twice"), "{out:?}");
    assert_eq!(t.server.request_count(), 2);
    assert_eq!(ungraded(&t).len(), 1);
}

#[test]
fn retry_after_is_honoured() {
    let t = Judged::new(|_, n| {
        if n == 0 {
            Reply::error(429, "slow down").with_header("retry-after", "1")
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let start = Instant::now();
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "waited only {:?}",
        start.elapsed()
    );
    assert_eq!(t.server.request_count(), 2);
}

/// The ungraded attempts, read through the crate's own store, as a later `grill` run sees them.
pub fn ungraded(t: &Judged) -> Vec<Value> {
    let store = grill::store::Store::open(&t.env.db(), grill::time::Clock::system()).unwrap();
    store
        .ungraded()
        .unwrap()
        .into_iter()
        .map(|a| json!({"id": a.id, "answer": a.answer, "error": a.error}))
        .collect()
}

#[test]
fn a_server_that_keeps_failing_exits_1_and_regrade_finishes_later() {
    let healthy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&healthy);
    let t = Judged::new(move |_, _| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            Reply::verdict(&good_verdict())
        } else {
            Reply::error(500, "upstream exploded")
        }
    });
    let start = Instant::now();
    let out = t.grade_json(&[("GRILL_RETRY_BUDGET", "2")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "the retry budget bounds the time"
    );
    assert!(t.server.request_count() >= 2, "500s are retried");
    let err_line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(err_line.contains("500: upstream exploded"), "{out:?}");
    assert!(out.stderr.contains("`grill regrade`"), "{out:?}");
    let pending = ungraded(&t);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["answer"], ANSWER);

    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    let out = t.grill(&["regrade", "--json"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["attempt_id"], pending[0]["id"]);
    assert_eq!(lines[0]["score"], 7.5);
    assert!(ungraded(&t).is_empty());
}

#[test]
fn a_server_without_json_schema_gets_json_object_then_plain_text() {
    let t = Judged::new(
        |req, _| match req.json()["response_format"]["type"].as_str() {
            Some("json_schema") => {
                Reply::error(400, "response_format json_schema is not supported")
            }
            Some("json_object") => Reply::error(400, "response_format is not supported"),
            _ => Reply::chat(&format!(
                "Here is my verdict:\n```json\n{}\n```",
                good_verdict()
            )),
        },
    );
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["score"], 7.5);
    let kinds: Vec<(Value, bool)> = t
        .server
        .requests()
        .iter()
        .map(|r| {
            let format = &r.json()["response_format"];
            (format["type"].clone(), format.get("schema").is_some())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("json_schema"), false),
            (json!("json_object"), true),
            (json!("json_object"), false),
            (Value::Null, false)
        ],
        "the ladder: json_schema, json_object with schema, json_object, text"
    );
}

#[test]
fn what_worked_is_remembered_for_the_rest_of_a_batch() {
    let t = Judged::new(
        |req, _| match req.json()["response_format"]["type"].as_str() {
            Some("json_schema") => Reply::error(400, "unsupported"),
            _ => Reply::verdict(&good_verdict()),
        },
    );
    let batch: Vec<String> = (0..3)
        .map(|i| json!({"question": "tq", "answer": format!("{ANSWER} {i}")}).to_string())
        .collect();
    let batch = batch.join("\n");
    t.env.write("batch.jsonl", &batch);
    let out = t.grill(
        &["grade", "--batch", "batch.jsonl", "--concurrency", "1"],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let schema_tries = t
        .server
        .requests()
        .iter()
        .filter(|r| r.json()["response_format"]["type"] == "json_schema")
        .count();
    assert_eq!(
        schema_tries, 1,
        "json_schema is not tried again after it was rejected"
    );
}

#[test]
fn a_garbage_body_fails_cleanly() {
    let t = Judged::new(|_, _| Reply::Status {
        status: 200,
        body: "<html>definitely not json".into(),
        headers: vec![("Content-Type".into(), "text/html".into())],
        delay: Duration::ZERO,
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("unreadable reply"), "{out:?}");
    assert!(!out.stderr.contains("panicked"));
    assert_eq!(ungraded(&t).len(), 1);
}

#[test]
fn the_same_answer_twice_makes_one_request() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    let first = t.grade_json(&[]).json();
    let second = t.grade_json(&[]).json();
    assert_eq!(t.server.request_count(), 1);
    assert_eq!(first["score"], second["score"]);
    assert_ne!(
        first["attempt_id"], second["attempt_id"],
        "each grade is still its own attempt"
    );
    // A different model is a different verdict.
    t.grade_json(&[("GRILL_MODEL", "other-model")]);
    assert_eq!(t.server.request_count(), 2);
}

#[test]
fn auth_and_not_found_fail_at_once_naming_the_setting() {
    let t = Judged::new(|_, _| Reply::error(401, "Incorrect API key provided"));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 1);
    assert_eq!(t.server.request_count(), 1, "401 is not retried");
    assert!(out.stderr.contains("check OPENAI_API_KEY"), "{out:?}");
    assert!(!out.stderr.contains(KEY), "the key is never printed");

    let t = Judged::new(|_, _| Reply::error(404, "model `test-model` not found"));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 1);
    assert_eq!(t.server.request_count(), 1);
    assert!(out.stderr.contains("OPENAI_BASE_URL"), "{out:?}");
    assert!(out.stderr.contains("GRILL_MODEL"), "{out:?}");
}

#[test]
fn a_batch_keeps_concurrency_requests_in_flight_and_its_order() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()).after(Duration::from_millis(400)));
    let mut lines = String::new();
    for i in 0..16 {
        lines.push_str(&json!({"question": "tq", "answer": format!("{ANSWER} ({i})"), "candidate": format!("c{i}")}).to_string());
        lines.push('\n');
        if i == 5 {
            lines.push_str("{not json\n");
        }
    }
    t.env.write("batch.jsonl", &lines);
    let out = t.grill(
        &["grade", "--batch", "batch.jsonl", "--concurrency", "4"],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "a bad line makes the run exit 2: {out:?}");
    assert!(
        out.stderr.contains("batch.jsonl:7: invalid JSON"),
        "{out:?}"
    );
    let results = out.json_lines();
    assert_eq!(results.len(), 16);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(
            r["candidate"],
            format!("c{i}"),
            "input order and extra fields kept"
        );
        assert_eq!(r["score"], 7.5);
    }
    assert_eq!(t.server.request_count(), 16);
    assert_eq!(t.server.max_in_flight(), 4);
}

#[test]
fn the_key_is_never_written_to_the_database() {
    let t = Judged::new(|_, n| {
        if n == 0 {
            Reply::error(500, "down")
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    assert_eq!(t.grade_json(&[]).code, 0);
    assert_eq!(
        t.grill(&["grade", "--question", "tq"], "another answer", &[])
            .code,
        0
    );
    let mut found = Vec::new();
    for entry in std::fs::read_dir(t.env.path("data")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()) {
            found.push(path);
        }
    }
    assert!(found.is_empty(), "key found in {found:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.env.db()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn without_a_judge_the_answer_is_kept_and_the_setting_named() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let out = env.run_with(
        &["--bank", "bank", "grade", "--question", "tq"],
        "my answer",
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("OPENAI_API_KEY"), "{out:?}");
    assert!(out.stderr.contains("your answer is saved"), "{out:?}");
    let store = grill::store::Store::open(&env.db(), grill::time::Clock::system()).unwrap();
    assert_eq!(store.ungraded().unwrap()[0].answer, "my answer");
}
