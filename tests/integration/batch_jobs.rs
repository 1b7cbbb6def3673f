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
