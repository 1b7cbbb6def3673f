//! Batch API jobs against hostile or concurrent conditions: statuses a
//! server makes up, and several submissions of one file at once.

use serde_json::Value;

use super::batch_api::{answers, submit, FAST};
use super::grade::{echo_verdict, Judged};
use crate::common::fake_batch_api::FakeBatchApi;
use crate::common::fake_server::Reply;

/// What a hostile server says of a batch when it is read: a status that
/// would forge a row of `grill jobs` if printed as it is.
const FORGED: &str = "in_progress\nFAKE LINE  0/6  2026-01-01T00:00:00  evil.jsonl\r\n\x1b[2J";

fn forge_status(reply: Reply) -> Reply {
    let Reply::Status {
        status,
        body,
        headers,
        delay,
    } = reply
    else {
        return reply;
    };
    let mut value: Value = serde_json::from_str(&body).unwrap();
    value["status"] = FORGED.into();
    Reply::Status {
        status,
        body: value.to_string(),
        headers,
        delay,
    }
}

#[test]
fn a_status_grill_does_not_know_is_unknown_and_prints_on_one_line() {
    let api = FakeBatchApi::new(echo_verdict);
    let inner = api.handler(|req, _| echo_verdict(req));
    let t = Judged::new(move |req, n| {
        let reply = inner(req, n);
        let read =
            req.method == "GET" && req.path.starts_with("/v1/batches/") && !req.path.contains('?');
        if read {
            forge_status(reply)
        } else {
            reply
        }
    });
    t.env.write("batch.jsonl", &answers(2));
    let out = submit(&t, &[], &[]);
    assert_eq!(out.code, 0, "{out:?}");

    let early = t.grill(&["jobs", "collect", "1"], "", &[FAST]);
    assert_eq!(early.code, 1, "not finished: {early:?}");
    let error: Vec<&str> = early
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(error.len(), 1, "{early:?}");
    assert!(error[0].contains("still unknown"), "{early:?}");
    assert!(error[0].contains("in_progress FAKE LINE"), "{early:?}");
    assert!(!early.stderr.contains('\x1b'), "{early:?}");
    assert!(
        !early.stderr.lines().any(|l| l.starts_with("FAKE LINE")),
        "{early:?}"
    );

    let list = t.grill(&["jobs"], "", &[]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(
        !list
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("FAKE")),
        "a forged row: {list:?}"
    );
    let row = list
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap_or_else(|| panic!("no row for job 1: {list:?}"));
    assert!(row.contains("unknown"), "{list:?}");
    assert!(!list.stdout.contains(['\r', '\x1b']), "{list:?}");
    assert!(
        list.stdout
            .contains("the server said \"in_progress FAKE LINE"),
        "{list:?}"
    );

    let json = t.grill(&["jobs", "--json"], "", &[]).json();
    assert_eq!(json[0]["status"], "unknown", "{json}");
    assert_eq!(json[0]["batches"][0]["status"], "unknown", "{json}");
    let raw = json[0]["batches"][0]["server_status"].as_str().unwrap();
    assert!(raw.starts_with("in_progress FAKE LINE"), "{raw:?}");
    assert!(!raw.contains(['\n', '\r', '\x1b']), "{raw:?}");
}

/// `reply`, held back `by` before it is written.
fn delayed(reply: Reply, by: std::time::Duration) -> Reply {
    match reply {
        Reply::Status {
            status,
            body,
            headers,
            ..
        } => Reply::Status {
            status,
            body,
            headers,
            delay: by,
        },
        other => other,
    }
}

#[test]
fn three_submissions_of_one_file_at_once_make_one_job_and_one_batch() {
    let api = FakeBatchApi::new(echo_verdict);
    let inner = api.handler(|req, _| echo_verdict(req));
    // A slow upload: the other runs start while the first is still sending.
    let t = Judged::new(move |req, n| {
        let reply = inner(req, n);
        if req.method == "POST" && req.path.starts_with("/v1/files") {
            delayed(reply, std::time::Duration::from_millis(400))
        } else {
            reply
        }
    });
    t.env.write("batch.jsonl", &answers(6));
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(|| submit(&t, &[], &[]))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for out in &runs {
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.json()["job"], 1, "{out:?}");
        assert_eq!(
            out.json()["batches"].as_array().unwrap().len(),
            1,
            "{out:?}"
        );
    }
    assert_eq!(
        (api.upload_count(), api.batch_count()),
        (1, 1),
        "one upload, one remote batch: {runs:?}"
    );
    let batch_id = runs[0].json()["batches"][0].clone();
    for out in &runs {
        assert_eq!(out.json()["batches"][0], batch_id, "{runs:?}");
    }
    // The one batch grill made is the one `grill jobs` lists.
    let jobs = t.grill(&["jobs", "--json"], "", &[]).json();
    assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");
    assert_eq!(jobs[0]["answers"], 6, "{jobs}");
    assert_eq!(jobs[0]["batches"][0]["batch_id"], batch_id, "{jobs}");
}
