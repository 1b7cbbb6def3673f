//! `grade --batch --via batch-api` and `grill jobs` against the fake Batch
//! API (tests/common/fake_batch_api.rs) on the fake server: real multipart
//! uploads, real JSON lines, the real binary, the batch state machine.

use std::sync::Arc;

use serde_json::{json, Value};

use super::grade::{echo_verdict, Judged, KEY};
use crate::common::fake_batch_api::{FakeBatchApi, Fate};
use crate::common::fake_server::{Reply, Request};
use crate::common::Output;

pub(super) const FAST: (&str, &str) = ("GRILL_BATCH_POLL_MS", "5");

pub(super) fn answers(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({"question": "tq", "answer": format!("Answer {i}: tests catch regressions before users do, and document behaviour."), "candidate": format!("c{i}")})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A server whose Batch API answers with `answer` and whose live endpoint
/// answers every chat completion with a valid verdict.
fn setup(api: &Arc<FakeBatchApi>, n: usize) -> Judged {
    let t = Judged::new(api.handler(|req, _| echo_verdict(req)));
    t.env.write("batch.jsonl", &answers(n));
    t
}

pub(super) fn live_calls(t: &Judged) -> usize {
    t.server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .count()
}

pub(super) fn submit(t: &Judged, extra: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut args = vec!["grade", "--batch", "batch.jsonl", "--via", "batch-api"];
    args.extend_from_slice(extra);
    let mut all = vec![FAST];
    all.extend_from_slice(vars);
    t.grill(&args, "", &all)
}

fn check_in_order(out: &Output, n: usize) -> Vec<Value> {
    let lines = out.json_lines();
    assert_eq!(lines.len(), n, "{out:?}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["line"], i + 1, "{line}");
        assert_eq!(line["candidate"], format!("c{i}"), "{line}");
    }
    lines
}

#[test]
fn submit_wait_and_collect_grade_every_answer_at_the_batch_price() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 3);
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines = check_in_order(&out, 3);
    for line in &lines {
        assert_eq!(line["score"], 10.0, "{line}");
        assert_eq!(line["grader"], "llm:test-model");
    }
    assert_eq!(live_calls(&t), 0, "every verdict came from the batch");
    assert_eq!((api.upload_count(), api.batch_count()), (1, 1));
    assert_eq!(api.statuses(), ["completed"]);

    // The request lines: custom_id = attempt id, and the body a live call sends.
    let sent = &api.batch_lines()[0];
    for (line, result) in sent.iter().zip(&lines) {
        assert_eq!(line["custom_id"], result["attempt_id"].to_string());
        assert_eq!(line["method"], "POST");
        assert_eq!(line["url"], "/v1/chat/completions");
        let body = &line["body"];
        assert_eq!(body["model"], "test-model");
        assert_eq!(body["temperature"], 0);
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["messages"][0]["role"], "system");
        assert!(body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("<answer-"));
    }
    // The same body as a live grade of the same answer, but for the nonce.
    let live = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--json",
        ],
        "",
        &[],
    );
    assert_eq!(live.code, 0, "{live:?}");
    let live_body = t.server.requests().last().unwrap().json();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&live_body), keys(&sent[0]["body"]));
    assert_eq!(
        live_body["response_format"],
        sent[0]["body"]["response_format"]
    );
    assert_eq!(live_body["messages"][0], sent[0]["body"]["messages"][0]);

    // `grill usage` counts them as batch grades.
    let usage = t.grill(&["usage", "--json"], "", &[]);
    assert_eq!(usage.code, 0, "{usage:?}");
    assert_eq!(
        usage.json()["models"][0]["batch_grades"],
        3,
        "{}",
        usage.stdout
    );

    // Collecting again prints the same results, asking nothing.
    let before = t.server.request_count();
    let again = t.grill(&["jobs", "collect", "1"], "", &[FAST]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.json_lines(), lines);
    assert_eq!(t.server.request_count(), before);
}

#[test]
fn without_wait_the_job_number_comes_back_and_the_same_command_finds_the_job() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 2);
    let out = submit(&t, &[], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1, "one JSON line: {out:?}");
    let v = out.json();
    assert_eq!(v["job"], 1, "{v}");
    assert_eq!(v["answers"], 2);
    assert_eq!(v["batches"].as_array().unwrap().len(), 1);
    assert!(out.stderr.contains("grill jobs wait 1"), "{out:?}");
    // The requests file holds the answers: private, like the database.
    let requests = t.env.path("data/batches/job-1-part-0.requests.jsonl");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&requests).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", requests.display());
    }

    let again = submit(&t, &[], &[]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.json()["job"], 1);
    assert!(again.stderr.contains("already job 1"), "{again:?}");
    assert_eq!((api.upload_count(), api.batch_count()), (1, 1), "sent once");

    let jobs = t.grill(&["jobs", "--json"], "", &[]);
    assert_eq!(jobs.code, 0, "{jobs:?}");
    let list = jobs.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["job"], 1);
    assert_eq!(list[0]["answers"], 2);
    assert_eq!(list[0]["status"], "validating");
    assert!(list[0]["input"].as_str().unwrap().ends_with("batch.jsonl"));

    // Answers waiting in a job are not graded live by `regrade` too.
    let regrade = t.grill(&["regrade", "--json"], "", &[]);
    assert_eq!(regrade.code, 0, "{regrade:?}");
    assert!(
        regrade.stderr.contains("2 answers wait in Batch API jobs"),
        "{regrade:?}"
    );
    assert_eq!(live_calls(&t), 0, "{regrade:?}");

    let early = t.grill(&["jobs", "collect", "1"], "", &[]);
    assert_eq!(early.code, 1, "not finished yet: {early:?}");
    assert!(early.stderr.contains("grill jobs wait 1"), "{early:?}");

    let waited = t.grill(&["jobs", "wait", "1"], "", &[FAST]);
    assert_eq!(waited.code, 0, "{waited:?}");
    check_in_order(&waited, 2);
    let jobs = t.grill(&["jobs", "--json"], "", &[]).json();
    assert_eq!(jobs[0]["status"], "collected");
    assert!(!requests.exists(), "a collected job's files are removed");
    let cancel = t.grill(&["jobs", "cancel", "1"], "", &[]);
    assert_eq!(cancel.code, 0, "{cancel:?}");
    assert!(cancel.stdout.contains("nothing to cancel"), "{cancel:?}");
    let text = t.grill(&["jobs"], "", &[]);
    assert!(text.stdout.contains("collected"), "{text:?}");

    // Once collected, the same file is a new job.
    let third = submit(&t, &[], &[]);
    assert_eq!(third.json()["job"], 2, "{third:?}");
}

#[test]
fn a_batch_made_behind_a_refused_reply_is_found_and_adopted() {
    let api = FakeBatchApi::new(echo_verdict);
    let lost = std::sync::atomic::AtomicBool::new(false);
    let inner = Arc::clone(&api);
    let t = Judged::new(move |req: &Request, _| {
        if req.method == "POST"
            && req.path == "/v1/batches"
            && !lost.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            // The batch is made, but its reply never reaches grill.
            let _ = inner.handle(req);
            return Reply::error(400, "simulated: the reply was lost");
        }
        inner.handle(req).unwrap_or_else(|| echo_verdict(req))
    });
    t.env.write("batch.jsonl", &answers(2));
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    check_in_order(&out, 2);
    assert_eq!(
        (api.upload_count(), api.batch_count()),
        (1, 1),
        "the batch behind the refused reply was adopted, not made again"
    );
}

#[test]
fn cancelling_keeps_the_answers_for_regrade() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 2);
    assert_eq!(submit(&t, &[], &[]).code, 0);
    let out = t.grill(&["jobs", "cancel", "1"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("cancelling"), "{out:?}");
    let out = t.grill(&["jobs", "collect", "1"], "", &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines = check_in_order(&out, 2);
    for line in &lines {
        assert_eq!(line["score"], Value::Null);
        assert!(
            line["error"].as_str().unwrap().contains("cancelled"),
            "{line}"
        );
    }
    assert!(out.stderr.contains("grill regrade"), "{out:?}");
    assert_eq!(api.statuses(), ["cancelled"]);
    let regrade = t.grill(&["regrade", "--json"], "", &[]);
    assert_eq!(regrade.code, 0, "{regrade:?}");
    assert_eq!(live_calls(&t), 2);
}

#[test]
fn a_failed_or_expired_batch_leaves_its_answers_saved_for_regrade() {
    let api = FakeBatchApi::with_fate(echo_verdict, |_| Fate::Fail);
    let t = setup(&api, 2);
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 1, "{out:?}");
    for line in check_in_order(&out, 2) {
        assert_eq!(line["score"], Value::Null);
        let error = line["error"].as_str().unwrap();
        assert!(
            error.contains("failed") && error.contains("token_limit_exceeded"),
            "{error}"
        );
    }
    assert_eq!(live_calls(&t), 0, "left for regrade, not asked live");

    let api = FakeBatchApi::with_fate(echo_verdict, |_| Fate::Expire);
    let t = setup(&api, 4);
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines = check_in_order(&out, 4);
    let graded = lines.iter().filter(|l| l["score"] == 10.0).count();
    assert_eq!(graded, 2, "the half done before it expired: {out:?}");
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .contains("batch_expired"),
        "{}",
        lines[3]
    );
    assert_eq!(live_calls(&t), 0);
    let regrade = t.grill(&["regrade", "--json"], "", &[]);
    assert_eq!(regrade.code, 0, "{regrade:?}");
    assert_eq!(live_calls(&t), 2);
}

#[test]
fn a_key_echoed_in_the_error_file_is_masked_before_it_is_cut() {
    // The key 194 characters in (after the code and 178 of padding): cut at 200 first, the
    // masker would see only `sk-te`, too short to know for the key.
    let api = FakeBatchApi::with_fate(echo_verdict, |_| Fate::Expire);
    api.say_of_unfinished(&format!("{} {KEY} was used", "x".repeat(178)));
    let t = setup(&api, 2);
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let history = t.grill(&["history", "--json"], "", &[]);
    for text in [&out.stdout, &out.stderr, &history.stdout] {
        assert!(!text.contains("sk-t"), "{text}");
    }
    let lines = check_in_order(&out, 2);
    assert!(
        lines[1]["error"].as_str().unwrap().contains("xxxx"),
        "the message is kept, masked: {}",
        lines[1]
    );
}

/// The Batch API's answer: an error for answer 1, a reply that is not a
/// verdict for answer 2, a verdict for the rest.
fn flaky(req: &Request) -> Reply {
    let prompt = req.prompt_text();
    if prompt.contains("Answer 1:") {
        Reply::error(500, "the model is overloaded")
    } else if prompt.contains("Answer 2:") {
        Reply::chat("I think this answer is fine.")
    } else {
        echo_verdict(req)
    }
}

#[test]
fn failed_requests_and_invalid_verdicts_are_asked_again_live() {
    let api = FakeBatchApi::new(flaky);
    let t = setup(&api, 4);
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    for line in check_in_order(&out, 4) {
        assert_eq!(line["score"], 10.0, "{line}");
    }
    assert_eq!(live_calls(&t), 2, "answers 1 and 2 re-asked live");
    assert!(
        out.stderr
            .contains("2 answers graded from the batch, 2 asked live"),
        "{out:?}"
    );
    // Only the two from the batch are priced as batch grades.
    let usage = t.grill(&["usage", "--json"], "", &[]).json();
    assert_eq!(usage["models"][0]["grades"], 4, "{usage}");
    assert_eq!(usage["models"][0]["batch_grades"], 2, "{usage}");
}

#[test]
fn an_input_over_the_limits_is_split_into_batches_shown_as_one_job() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 5);
    let out = submit(&t, &["--wait"], &[("GRILL_BATCH_MAX_REQUESTS", "2")]);
    assert_eq!(out.code, 0, "{out:?}");
    check_in_order(&out, 5);
    assert_eq!(api.batch_count(), 3);
    let sizes: Vec<usize> = api.batch_lines().iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let jobs = t.grill(&["jobs", "--json"], "", &[]).json();
    assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");
    assert_eq!(jobs[0]["batches"].as_array().unwrap().len(), 3);

    // By size: each request line is a few kilobytes.
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 3);
    let out = submit(&t, &["--wait"], &[("GRILL_BATCH_MAX_BYTES", "6000")]);
    assert_eq!(out.code, 0, "{out:?}");
    check_in_order(&out, 3);
    assert!(api.batch_count() >= 2, "{}", api.batch_count());
    for lines in api.batch_lines() {
        let bytes: usize = lines.iter().map(|l| l.to_string().len() + 1).sum();
        assert!(bytes <= 6000, "{bytes}");
    }
}

#[test]
fn batch_api_misuse_is_a_usage_error() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 1);
    let out = submit(&t, &["--samples", "3"], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--samples"), "{out:?}");
    let out = t.grill(
        &[
            "--offline",
            "grade",
            "--batch",
            "batch.jsonl",
            "--via",
            "batch-api",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--offline"), "{out:?}");
    let out = t.grill(&["grade", "--batch", "batch.jsonl", "--wait"], "", &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--via batch-api"), "{out:?}");
    let out = t.grill(
        &["grade", "--batch", "missing.jsonl", "--via", "batch-api"],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("missing.jsonl"), "{out:?}");
    let out = t.grill(&["jobs", "wait", "9"], "", &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("no job 9"), "{out:?}");
    let empty = t.grill(&["jobs", "--json"], "", &[]);
    assert_eq!((empty.code, empty.json()), (0, json!([])), "{empty:?}");
    t.env
        .write("bad.jsonl", "{\"question\": \"nope\", \"answer\": \"x\"}\n");
    let out = t.grill(
        &["grade", "--batch", "bad.jsonl", "--via", "batch-api"],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("bad.jsonl:1"), "{out:?}");
    assert_eq!(api.upload_count(), 0);
    assert!(!out.stderr.contains("panicked"), "{out:?}");
}

#[test]
fn batch_flags_beside_one_question_are_refused_not_graded_live() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 1);
    let answer = "Tests catch regressions before users do.";
    for (extra, flag) in [
        (&["--via", "batch-api"][..], "--via batch-api"),
        (&["--wait"][..], "--wait"),
        (&["--via", "batch-api", "--wait"][..], "--wait"),
    ] {
        let mut args = vec!["grade", "--question", "tq"];
        args.extend_from_slice(extra);
        let out = t.grill(&args, answer, &[FAST]);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        let error: Vec<_> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(error.len(), 1, "{out:?}");
        assert!(
            error[0].contains(flag) && error[0].contains("--batch"),
            "{out:?}"
        );
        assert_eq!(out.stdout, "", "{out:?}");
    }
    assert!(t.server.requests().is_empty(), "no request, live or batch");
    let history = t.grill(&["history", "--json"], "", &[]);
    assert_eq!(history.json(), json!([]), "nothing stored: {history:?}");
}

/// Runs the submit command and kills it (SIGKILL) once the server has seen
/// `count` requests to `path`, while the reply to the last is held back.
fn kill_during(t: &Judged, path: &str, count: usize) {
    let mut cmd = t.env.command(&[
        "--bank",
        "bank",
        "grade",
        "--batch",
        "batch.jsonl",
        "--via",
        "batch-api",
    ]);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let seen = || {
        t.server
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .count()
    };
    for _ in 0..2000 {
        if seen() >= count || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(seen() >= count, "grill never sent {path}");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "grill finished before it was killed");
}

#[test]
fn a_kill_9_between_a_call_and_its_write_loses_nothing_and_pays_once() {
    // The server acts on each upload and batch creation but holds its reply
    // back, and grill is killed in that window: first after its upload,
    // then after its batch was created.
    let api = FakeBatchApi::new(echo_verdict);
    let inner = Arc::clone(&api);
    let held = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let holding = Arc::clone(&held);
    let t = Judged::new(move |req: &Request, _| {
        let reply = inner.handle(req).unwrap_or_else(|| echo_verdict(req));
        let first = |p: &str| req.method == "POST" && req.path == p;
        let n = holding.load(std::sync::atomic::Ordering::SeqCst);
        if (n == 0 && first("/v1/files")) || (n == 1 && first("/v1/batches")) {
            holding.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return reply.after(std::time::Duration::from_secs(30));
        }
        reply
    });
    t.env.write("batch.jsonl", &answers(3));
    kill_during(&t, "/v1/files", 1);
    assert_eq!((api.upload_count(), api.batch_count()), (1, 0));
    kill_during(&t, "/v1/batches", 1);
    assert_eq!(
        api.upload_count(),
        2,
        "the first upload's id was never stored"
    );
    assert_eq!(api.batch_count(), 1);

    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    check_in_order(&out, 3);
    assert_eq!(
        api.batch_count(),
        1,
        "the batch made before the kill was adopted"
    );
    let jobs = t.grill(&["jobs", "--json"], "", &[]).json();
    assert_eq!(jobs.as_array().unwrap().len(), 1, "one job: {jobs}");
    assert_eq!(jobs[0]["answers"], 3);
}

#[test]
fn a_batch_creation_answered_with_a_5xx_is_never_retried_into_a_second_batch() {
    // First try: the server makes the batch, then fails (a lost reply).
    // Second job's first try: the server is busy and makes nothing.
    let api = FakeBatchApi::new(echo_verdict);
    let inner = Arc::clone(&api);
    let creates = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counting = Arc::clone(&creates);
    let t = Judged::new(move |req: &Request, _| {
        if req.method == "POST" && req.path == "/v1/batches" {
            match counting.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => {
                    let _ = inner.handle(req);
                    return Reply::error(502, "bad gateway after the batch was made");
                }
                1 => return Reply::error(503, "busy, nothing made"),
                _ => {}
            }
        }
        inner.handle(req).unwrap_or_else(|| echo_verdict(req))
    });
    t.env.write("batch.jsonl", &answers(2));
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    check_in_order(&out, 2);
    assert_eq!(
        api.batch_count(),
        1,
        "adopted after the 502, not made again"
    );
    assert_eq!(creates.load(std::sync::atomic::Ordering::SeqCst), 1);

    t.env.write("batch.jsonl", &answers(3));
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    check_in_order(&out, 3);
    assert_eq!(
        api.batch_count(),
        2,
        "the 503 made nothing; the retry made one"
    );
    assert_eq!(creates.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[test]
fn answers_the_verdict_cache_holds_are_not_sent_again() {
    let api = FakeBatchApi::new(echo_verdict);
    let t = setup(&api, 3);
    t.env.write(
        "cached.txt",
        "Answer 1: tests catch regressions before users do, and document behaviour.",
    );
    let live = t.grill(
        &["grade", "--question", "tq", "--answer-file", "cached.txt"],
        "",
        &[],
    );
    assert_eq!(live.code, 0, "{live:?}");
    assert_eq!(live_calls(&t), 1);

    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines = check_in_order(&out, 3);
    assert!(lines.iter().all(|l| l["score"] == 10.0), "{out:?}");
    assert_eq!(
        api.batch_lines()[0].len(),
        2,
        "the cached answer is not in the batch"
    );
    assert_eq!(live_calls(&t), 1, "nor asked live again");

    // A file whose every answer is cached needs no batch at all.
    t.env.write("batch.jsonl", &answers(2));
    let out = submit(&t, &["--wait"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    check_in_order(&out, 2);
    assert_eq!((api.upload_count(), api.batch_count()), (1, 1));
}

/// A reasoning model through the Batch API (issue 21): a model in the
/// profile table gets its shape in every line from the start; an unknown one
/// whose lines are refused for `max_tokens` learns it and sends those lines
/// again as a new batch, at the batch price; never live unless asked.
#[test]
fn a_reasoning_model_is_graded_wholly_from_the_batch() {
    use crate::common::reasoning;
    let like = |req: &Request| reasoning::openai_like(req, &echo_verdict(req));
    // In the table: 5 of 5 from one batch, no live request.
    let api = FakeBatchApi::new(like);
    let t = Judged::new(api.handler(move |req, _| like(req)));
    t.env.write("batch.jsonl", &answers(5));
    let out = submit(&t, &["--wait"], &[("GRILL_MODEL", "gpt-5-mini")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(check_in_order(&out, 5).iter().all(|l| l["score"] == 10.0));
    assert_eq!(live_calls(&t), 0);
    assert_eq!(api.batch_count(), 1);
    let first = &api.batch_lines()[0][0]["body"];
    assert_eq!(first.get("max_tokens"), None);
    assert_eq!(first.get("temperature"), None);

    // Unknown: refused in the first batch, learnt, graded in a second.
    let api = FakeBatchApi::new(like);
    let t = Judged::new(api.handler(move |req, _| like(req)));
    t.env.write("batch.jsonl", &answers(5));
    let out = submit(&t, &["--wait"], &[("GRILL_MODEL", "acme-reasoner")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(check_in_order(&out, 5).iter().all(|l| l["score"] == 10.0));
    assert_eq!(live_calls(&t), 0, "{}", out.stderr);
    assert_eq!(api.batch_count(), 2);
    assert!(
        out.stderr.contains("refused for `max_tokens`"),
        "{}",
        out.stderr
    );
    let second = &api.batch_lines()[1];
    assert_eq!(second.len(), 5);
    assert_eq!(second[0]["body"].get("max_tokens"), None);
    let usage = t.grill(
        &["usage", "--json"],
        "",
        &[("GRILL_MODEL", "acme-reasoner")],
    );
    assert_eq!(usage.json()["models"][0]["batch_grades"], 5, "{usage:?}");

    // Asked live only when the user says so.
    let api = FakeBatchApi::new(like);
    let t = Judged::new(api.handler(move |req, _| like(req)));
    t.env.write("batch.jsonl", &answers(5));
    let out = submit(&t, &[], &[("GRILL_MODEL", "acme-reasoner")]);
    assert_eq!(out.code, 0, "{out:?}");
    let job = out.json_lines()[0]["job"].to_string();
    let out = t.grill(
        &["jobs", "wait", &job, "--refused-live"],
        "",
        &[FAST, ("GRILL_MODEL", "acme-reasoner")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(api.batch_count(), 1);
    assert_eq!(live_calls(&t), 5, "{}", out.stderr);
}
