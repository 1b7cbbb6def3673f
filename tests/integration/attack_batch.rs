//! Regression tests for the third outside attack on the Batch API (issue
//! 25, items 1, 2, 4 and 5): two collectors of one job, one answer named on
//! several lines of a result file, a batch status nobody documents, a batch
//! past its expiry, a byte order mark and CRLF in a result file. Each runs
//! the real binary against the fake Batch API, which a test can make
//! hostile (`rewrite_files`, `stick_at`, `expire_at`).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::grade::{echo_verdict, Judged};
use crate::common::fake_batch_api::FakeBatchApi;
use crate::common::fake_server::Reply;
use crate::common::Output;

const FAST: (&str, &str) = ("GRILL_BATCH_POLL_MS", "5");
const N: usize = 6;

/// A bank of six questions, so each answer moves a card of its own.
fn six_bank() -> String {
    let mut text = String::from("topic = \"six\"\ntitle = \"Six\"\n");
    for i in 0..N {
        let _ = write!(
            text,
            r#"
[[questions]]
id = "q{i}"
question = "Why do we test, reason {i}?"
difficulty = "core"
model_answer = "Tests catch regressions and document behaviour."

[[questions.key_points]]
id = "regressions"
point = "Tests catch regressions"
cues = ["regress"]
"#
        );
    }
    text
}

fn six_answers() -> String {
    (0..N)
        .map(|i| {
            json!({"question": format!("q{i}"), "answer": format!("Answer {i}: tests catch regressions before users do, and document behaviour.")})
                .to_string()
                + "\n"
        })
        .collect()
}

/// A job of six answers submitted to `api`, whose live endpoint answers
/// each chat completion with a valid verdict after `live_delay`.
fn submitted(api: &Arc<FakeBatchApi>, live_delay: Duration) -> Judged {
    let t = Judged::new(api.handler(move |req, _| echo_verdict(req).after(live_delay)));
    t.env.write("bank/six.toml", &six_bank());
    t.env.write("batch.jsonl", &six_answers());
    let out = t.grill(
        &["grade", "--batch", "batch.jsonl", "--via", "batch-api"],
        "",
        &[FAST],
    );
    assert_eq!(out.code, 0, "{out:?}");
    t
}

fn live_calls(t: &Judged) -> usize {
    t.server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .count()
}

/// Each review card of the six questions, by its `reps`: how many grades moved it.
fn card_reps(t: &Judged) -> Vec<i64> {
    let conn = rusqlite::Connection::open(t.env.db()).unwrap();
    let mut stmt = conn
        .prepare("SELECT card FROM review ORDER BY question_id")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|card| {
            serde_json::from_str::<Value>(&card.unwrap()).unwrap()["reps"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

/// How the attempts were graded: (graded, of them through the batch, with tokens).
fn graded(t: &Judged) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(t.env.db()).unwrap();
    conn.query_row(
        "SELECT count(*), count(CASE WHEN via = 'batch' THEN 1 END), count(prompt_tokens)
         FROM attempts WHERE status = 'graded'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

fn all_scored(out: &Output) {
    let lines = out.json_lines();
    assert_eq!(lines.len(), N, "{out:?}");
    for line in &lines {
        assert_eq!(line["score"], 10.0, "{line}");
    }
}

// 1. Two `grill jobs collect` of one job at once: each failed answer is
//    asked live once, and each card moves once.
#[test]
fn two_collectors_of_one_job_ask_each_answer_once_and_move_each_card_once() {
    // Every request fails in the batch: a completed batch with only an error file.
    let api = FakeBatchApi::new(|_| Reply::error(500, "the model is overloaded"));
    let t = submitted(&api, Duration::from_millis(300));
    api.finish_all();
    let (one, two) = std::thread::scope(|s| {
        let one = s.spawn(|| t.grill(&["jobs", "collect", "1"], "", &[]));
        let two = s.spawn(|| t.grill(&["jobs", "collect", "1"], "", &[]));
        (one.join().unwrap(), two.join().unwrap())
    });
    for out in [&one, &two] {
        assert_eq!(out.code, 0, "{out:?}");
        all_scored(out);
    }
    assert_eq!(live_calls(&t), N, "{one:?}\n{two:?}");
    assert_eq!(card_reps(&t), vec![1; N], "{one:?}\n{two:?}");
    assert_eq!(graded(&t), (N as i64, 0, N as i64));
    // The job is collected; its lock file is gone with its other files
    // (the one sending lock of every job stays: it is never removed).
    let left: Vec<_> = std::fs::read_dir(t.env.path("data/batches"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != "sending.lock")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

// 1. With a valid output file, two collectors record each verdict once.
#[test]
fn two_collectors_of_a_valid_output_record_each_verdict_once() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = submitted(&api, Duration::ZERO);
    api.finish_all();
    let (one, two) = std::thread::scope(|s| {
        let one = s.spawn(|| t.grill(&["jobs", "collect", "1"], "", &[]));
        let two = s.spawn(|| t.grill(&["jobs", "collect", "1"], "", &[]));
        (one.join().unwrap(), two.join().unwrap())
    });
    for out in [&one, &two] {
        assert_eq!(out.code, 0, "{out:?}");
        all_scored(out);
    }
    assert_eq!(live_calls(&t), 0);
    assert_eq!(card_reps(&t), vec![1; N]);
    assert_eq!(graded(&t), (N as i64, N as i64, N as i64));
}

/// The output file with the first answer's line written as `first` says:
/// each returned line replaces it, in order.
fn with_first_line(api: &FakeBatchApi, first: fn(&Value) -> Vec<Value>) {
    api.rewrite_files(move |kind, content| {
        if kind != "output" {
            return content.to_string();
        }
        let mut out = String::new();
        for (i, line) in content.lines().enumerate() {
            let value: Value = serde_json::from_str(line).unwrap();
            let lines = if i == 0 { first(&value) } else { vec![value] };
            for l in lines {
                out.push_str(&l.to_string());
                out.push('\n');
            }
        }
        out
    });
}

/// A line for the same answer whose request failed in the batch.
fn failed(line: &Value) -> Value {
    let mut bad = line.clone();
    bad["response"]["status_code"] = 500.into();
    bad["response"]["body"] = json!({"error": {"message": "overloaded"}});
    bad
}

fn collect_with(first: fn(&Value) -> Vec<Value>) -> (Judged, Output) {
    let api = FakeBatchApi::new(echo_verdict);
    with_first_line(&api, first);
    let t = submitted(&api, Duration::ZERO);
    let out = t.grill(&["jobs", "wait", "1"], "", &[FAST]);
    assert_eq!(out.code, 0, "{out:?}");
    all_scored(&out);
    (t, out)
}

// 2. An invalid line, then a valid one, for the same answer.
#[test]
fn an_invalid_then_a_valid_line_for_one_answer_grade_it_once_from_the_batch() {
    let (t, out) = collect_with(|l| vec![failed(l), l.clone()]);
    assert!(
        out.stderr
            .contains("6 answers graded from the batch, 0 asked live"),
        "{out:?}"
    );
    assert_eq!(live_calls(&t), 0);
    assert_eq!(card_reps(&t), vec![1; N]);
    assert_eq!(graded(&t), (6, 6, 6), "batch grades keep their tokens");
}

// 2. A valid line, then an invalid one; and a valid line twice.
#[test]
fn a_second_line_for_a_graded_answer_changes_nothing() {
    for first in [
        (|l: &Value| vec![l.clone(), failed(l)]) as fn(&Value) -> Vec<Value>,
        |l: &Value| vec![l.clone(), l.clone()],
    ] {
        let (t, out) = collect_with(first);
        assert!(
            out.stderr
                .contains("6 answers graded from the batch, 0 asked live"),
            "{out:?}"
        );
        assert_eq!(live_calls(&t), 0);
        assert_eq!(card_reps(&t), vec![1; N]);
        assert_eq!(graded(&t), (6, 6, 6));
    }
}

// 2. Two invalid lines for one answer: asked live once.
#[test]
fn two_invalid_lines_for_one_answer_ask_it_live_once() {
    let (t, out) = collect_with(|l| vec![failed(l), failed(l)]);
    assert!(
        out.stderr
            .contains("5 answers graded from the batch, 1 asked live"),
        "{out:?}"
    );
    assert_eq!(live_calls(&t), 1);
    assert_eq!(card_reps(&t), vec![1; N]);
    assert_eq!(graded(&t), (6, 5, 6));
}

// 4. A status the Batch API does not document ends the wait.
#[test]
fn an_unknown_batch_status_ends_the_wait_with_the_answers_saved() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = submitted(&api, Duration::ZERO);
    api.stick_at("paused");
    let out = t.grill(&["jobs", "wait", "1"], "", &[FAST]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("`paused`"), "{out:?}");
    assert!(out.stderr.contains("stopped waiting"), "{out:?}");
    assert_eq!(api.poll_count(), 1, "one poll told it: {out:?}");
    assert_eq!(live_calls(&t), 0);
    let jobs = t.grill(&["jobs", "--json"], "", &[]).json();
    assert_eq!(jobs[0]["answers"], 6, "{jobs}");

    // The same loop serves `grade --via batch-api --wait`.
    let api = FakeBatchApi::new(echo_verdict);
    api.stick_at("on_hold");
    let t = Judged::new(api.handler(|req, _| echo_verdict(req)));
    t.env.write("bank/six.toml", &six_bank());
    t.env.write("batch.jsonl", &six_answers());
    let out = t.grill(
        &[
            "grade",
            "--batch",
            "batch.jsonl",
            "--via",
            "batch-api",
            "--wait",
        ],
        "",
        &[FAST],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("`on_hold`"), "{out:?}");
}

// 4. A batch still running past its own `expires_at` ends the wait.
#[test]
fn a_batch_running_past_its_expiry_ends_the_wait() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = submitted(&api, Duration::ZERO);
    api.stick_at("in_progress");
    api.expire_at(1_700_086_400);
    let out = t.grill(&["jobs", "wait", "1"], "", &[FAST]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("is still in_progress past its expiry time (2023-11-15T22:13:20Z)"),
        "{out:?}"
    );
    assert!(out.stderr.contains("grill jobs cancel 1"), "{out:?}");
    assert_eq!(api.poll_count(), 1, "{out:?}");
}

// 5. A byte order mark and CRLF line ends in a result file cost nothing.
#[test]
fn a_bom_and_crlf_in_the_output_file_cost_no_batch_grade() {
    let api = FakeBatchApi::new(echo_verdict);
    api.rewrite_files(|kind, content| {
        if kind == "output" {
            format!("\u{feff}{}", content.replace('\n', "\r\n"))
        } else {
            content.to_string()
        }
    });
    let t = submitted(&api, Duration::ZERO);
    let out = t.grill(&["jobs", "wait", "1"], "", &[FAST]);
    assert_eq!(out.code, 0, "{out:?}");
    all_scored(&out);
    assert!(
        out.stderr
            .contains("6 answers graded from the batch, 0 asked live"),
        "{out:?}"
    );
    assert_eq!(live_calls(&t), 0);
}
