//! Regression tests for what an outside attack on the first release found:
//! secrets leaking through JSON escapes, cuts and URLs; a panic on a closed
//! pipe; escape codes from the judge; quadratic and unbounded replies; the
//! same answer sent twice; a bank that loads in quadratic time; a full disk
//! and retries described wrongly. Each test names the item it guards.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::common::fake_server::Reply;
use crate::common::{wait_with_timeout, Env, Output};
use crate::grade::{good_verdict, Judged, ANSWER};
use crate::secrets::assert_not_in_files;

fn grill_with_key(t: &Judged, key: &str, args: &[&str]) -> Output {
    t.grill(args, "", &[("OPENAI_API_KEY", key)])
}

fn assert_absent(what: &str, out: &Output, needles: &[&str]) {
    for needle in needles {
        assert!(
            !out.stdout.contains(needle) && !out.stderr.contains(needle),
            "{what}: `{needle}` printed: {out:?}"
        );
    }
}

/// A chat reply whose content is `content` exactly, spelt as the server spells it.
fn raw_chat(content: &str) -> Reply {
    Reply::chat(content)
}

// 1. A key spelt with JSON escapes inside the verdict.
#[test]
fn a_key_spelt_with_json_escapes_is_masked_in_every_field_kept_or_printed() {
    const KEY: &str = "sk-test-SECRET123";
    let escaped = r"sk-test-\u0053ECRET123";
    let content = format!(
        r#"{{"key_points":[{{"id":"regressions","coverage":"covered","evidence":"Tests catch regressions"}},{{"id":"docs","coverage":"missing","evidence":""}},{{"id":"refactor","coverage":"missing","evidence":""}}],"mistakes":[{{"claim":"{escaped}","correction":"{escaped}"}}],"feedback":"your key is {escaped}","follow_up":"{escaped}?"}}"#
    );
    let t = Judged::new(move |_, _| raw_chat(&content));
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["grade", "--question", "tq", "--answer-file", "answer.txt"];
        args.extend_from_slice(extra);
        let out = grill_with_key(&t, KEY, &args);
        assert_eq!(out.code, 0, "{out:?}");
        assert_absent("grade", &out, &[KEY, "SECRET123"]);
        assert!(out.stdout.contains("[redacted]"), "{out:?}");
    }
    let out = t.grill(&["history", "--json"], "", &[]);
    assert_absent("history", &out, &[KEY, "SECRET123"]);
    assert_not_in_files(&t.env.path("data"), &[KEY, "SECRET123"]);

    // The key as a coverage value: the error path prints and stores it masked.
    let content = format!(
        r#"{{"key_points":[{{"id":"regressions","coverage":"{escaped}","evidence":""}}],"mistakes":[],"feedback":"","follow_up":""}}"#
    );
    let t = Judged::new(move |_, _| raw_chat(&content));
    let out = grill_with_key(
        &t,
        KEY,
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_absent("invalid verdict", &out, &[KEY, "SECRET123"]);
    let out = t.grill(&["history", "--json"], "", &[]);
    assert_absent("stored error", &out, &[KEY, "SECRET123"]);
    assert_not_in_files(&t.env.path("data"), &[KEY, "SECRET123"]);
}

// 2. A server message cut in the middle of the key.
#[test]
fn a_key_echoed_after_long_padding_is_masked_before_the_message_is_cut() {
    // Cut at 200 characters: 11 of the first key's 17 characters, and 31
    // of the second's 32, would be left after the padding.
    for (key, pad) in [
        ("sk-test-SECRET123", 189),
        ("sk-0123456789abcdefghijklmnopqrs", 169),
    ] {
        let message = format!("{}{key}", "x".repeat(pad));
        let t = Judged::new(move |_, _| Reply::error(401, &message));
        let out = grill_with_key(
            &t,
            key,
            &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        );
        assert_eq!(out.code, 1, "{out:?}");
        // No run of 8 characters of the key survives, anywhere.
        let runs: Vec<&str> = (0..=key.len() - 8).map(|i| &key[i..i + 8]).collect();
        assert_absent(key, &out, &runs);
        let stored = t.grill(&["history", "--json"], "", &[]);
        assert_absent(key, &stored, &runs);
    }
}

// 3. A password in the base URL.
#[test]
fn user_info_in_the_base_url_is_never_printed() {
    let env = Env::new();
    for args in [
        &["--base-url", "http://user:SECRET@127.0.0.1:1/v1", "config"][..],
        &[
            "--base-url",
            "http://user:SECRET@127.0.0.1:1/v1",
            "config",
            "--json",
        ][..],
        &["--base-url", "ftp://user:SECRET@127.0.0.1:1/v1", "config"][..],
    ] {
        let out = env.run(args);
        assert_absent(&args.join(" "), &out, &["SECRET", "user:"]);
        assert!(
            out.stdout.contains("***@127.0.0.1") || out.stderr.contains("***@127.0.0.1"),
            "{out:?}"
        );
    }
    // Nor does a server that echoes the password get it shown.
    let t = Judged::new(|_, _| Reply::error(401, "bad credentials SECRETpw for user"));
    let url = t
        .server
        .base_url()
        .replace("http://", "http://user:SECRETpw@");
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[("OPENAI_BASE_URL", &url)],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_absent("echoed password", &out, &["SECRETpw"]);
}

// 4. A short key echoed by the server. A key under 8 characters is a
// placeholder (issue 21): masked as a whole token in what the server says
// about the request, but never in the verdict, whose words are graded.
#[test]
fn a_short_key_echoed_by_the_server_is_masked_in_errors_only() {
    let t = Judged::new(|_, n| {
        if n == 0 {
            Reply::error(401, "the key zq9 is not valid")
        } else {
            let mut v = good_verdict();
            v["feedback"] = "Sent with key zq9.".into();
            Reply::verdict(&v)
        }
    });
    let args = ["grade", "--question", "tq", "--answer-file", "answer.txt"];
    let out = grill_with_key(&t, "zq9", &args);
    assert_eq!(out.code, 1, "{out:?}");
    assert_absent("401", &out, &["zq9"]);
    let out = grill_with_key(&t, "zq9", &args);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Sent with key zq9."), "{out:?}");
}

fn batch_lines(n: usize) -> String {
    (0..n)
        .map(|i| json!({"question": "tq", "answer": format!("{ANSWER} ({i})")}).to_string() + "\n")
        .collect()
}

fn count(t: &Judged, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(t.env.db()).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

// 5. `grade --batch | head -1`.
#[test]
fn a_batch_whose_reader_goes_away_ends_quietly_and_keeps_every_answer() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()).after(Duration::from_millis(20)));
    t.env.write("answers.jsonl", &batch_lines(50));
    let mut cmd = t
        .env
        .command(&["--bank", "bank", "grade", "--batch", "answers.jsonl"]);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, as `head -1` does, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"question_id\":\"tq\""), "{first}");
    let out = wait_with_timeout(child, Duration::from_secs(60));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    assert_eq!(count(&t, "SELECT count(*) FROM attempts"), 50);
    // Whatever was not graded is there for `regrade`.
    let out = t.grill(&["regrade", "--json"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        count(&t, "SELECT count(*) FROM attempts WHERE status = 'graded'"),
        50
    );
}

// 6. Escape codes from the judge, through `regrade`.
#[test]
fn regrade_never_prints_or_stores_the_judges_escape_codes() {
    let hostile = "bad\u{1b}]0;PWNED\u{7}\u{1b}[2Jid";
    let t = Judged::new(move |_, _| {
        Reply::verdict(&json!({
            "key_points": [{"id": hostile, "coverage": "covered", "evidence": "x"}],
            "mistakes": [], "feedback": hostile, "follow_up": ""
        }))
    });
    // Saved while the judge is unavailable, then regraded against the hostile one.
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
    );
    assert_eq!(out.code, 1, "{out:?}");
    for args in [&["regrade"][..], &["regrade", "--json"][..]] {
        let out = t.grill(args, "", &[]);
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
            "{out:?}"
        );
        assert!(
            !out.stdout.contains('\u{7}') && !out.stderr.contains('\u{7}'),
            "{out:?}"
        );
    }
    let stored: i64 = count(
        &t,
        "SELECT count(*) FROM attempts WHERE instr(coalesce(error, ''), char(27)) > 0 OR instr(coalesce(error, ''), char(7)) > 0",
    );
    assert_eq!(stored, 0, "an escape code was stored in an error");
}

// 7. A reply of 200,000 `{`: parsed in linear time. (A quadratic parser
// takes minutes here, past the harness's limit; nothing times it in the test.)
#[test]
fn a_reply_of_braces_is_refused_quickly_as_invalid() {
    let flood = "{".repeat(200_000);
    let t = Judged::new(move |_, _| raw_chat(&flood));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("invalid"), "{out:?}");
    assert_eq!(t.server.request_count(), 2, "asked, then re-asked once");
}

// 8. A reply past the size cap.
#[test]
fn a_huge_reply_is_cut_off_and_never_sent_back_whole() {
    let huge = "x".repeat(3 << 20);
    let t = Judged::new(move |_, n| {
        if n == 0 {
            raw_chat(&huge)
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let requests = t.server.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].body.len() < 64 << 10,
        "the re-ask sent {} bytes",
        requests[1].body.len()
    );
    assert!(
        requests[1].prompt_text().contains("larger than 1 MiB"),
        "the re-ask says why"
    );

    // A bad reply under the cap goes back only as a bounded excerpt.
    let junk = "not a verdict ".repeat(40_000);
    let t = Judged::new(move |_, n| {
        if n == 0 {
            raw_chat(&junk)
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let requests = t.server.requests();
    assert!(
        requests[1].body.len() < 64 << 10,
        "{}",
        requests[1].body.len()
    );
}

// 9. The same answer in flight twice.
#[test]
fn identical_answers_in_flight_share_one_request() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()).after(Duration::from_millis(300)));
    let line = json!({"question": "tq", "answer": ANSWER}).to_string() + "\n";
    t.env.write("answers.jsonl", &line.repeat(20));
    let out = t.grill(
        &["grade", "--batch", "answers.jsonl", "--concurrency", "8"],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json_lines().len(), 20);
    assert!(
        out.json_lines().iter().all(|v| v["score"] == 7.5),
        "{out:?}"
    );
    assert_eq!(t.server.request_count(), 1);
}

// 10. A bank of 50,000 questions loads in linear time. (Quadratic loading
// takes many minutes here, past the harness's limit; nothing times it.)
#[test]
fn a_bank_of_fifty_thousand_questions_loads() {
    let env = Env::new();
    let mut text = String::from("topic = \"big\"\ntitle = \"Big\"\n");
    for i in 0..50_000 {
        let _ = write!(
            text,
            "\n[[questions]]\nid = \"q{i}\"\nquestion = \"Why {i}?\"\ndifficulty = \"core\"\nmodel_answer = \"Because {i}.\"\n[[questions.key_points]]\nid = \"a\"\npoint = \"Reason {i}\"\ncues = [\"reason\"]\n"
        );
    }
    env.write("big/big.toml", &text);
    let out = env.run(&["--bank", "big", "show", "q49999", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["question"], "Why 49999?");
}

/// Runs `grill` under a file-size limit of `kib` KiB, as on a nearly full disk.
fn with_file_limit(t: &Judged, kib: u64, args: &[&str]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_grill"))
        .arg("--bank")
        .arg("bank")
        .args(args)
        .current_dir(t.env.home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", t.env.home.path())
        .env("GRILL_HOME", t.env.path("data"))
        .env("GRILL_CONFIG", t.env.path("config.toml"))
        .env("NO_COLOR", "1");
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    crate::common::run(cmd, b"")
}

// 11. A full disk while verdicts are stored.
#[test]
fn a_full_disk_is_named_and_stops_the_requests() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    t.env.write("answers.jsonl", &batch_lines(30));
    // Saved while the judge is down, so `regrade` has work.
    let out = t.grill(
        &["grade", "--batch", "answers.jsonl"],
        "",
        &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM attempts WHERE status = 'ungraded'"
        ),
        30
    );
    let before = t.server.request_count();
    let out = with_file_limit(&t, 40, &["regrade"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!out.stderr.contains("invalid"), "{out:?}");
    assert!(out.stderr.contains("disk"), "{out:?}");
    assert!(
        out.stderr.contains("grill.db"),
        "names the database: {out:?}"
    );
    assert!(
        out.stderr.contains("grill regrade"),
        "says what to run: {out:?}"
    );
    let graded = count(&t, "SELECT count(*) FROM attempts WHERE status = 'graded'");
    assert!(graded < 30, "{graded}");
    assert_eq!(
        usize::try_from(graded).unwrap() + 1,
        t.server.request_count() - before,
        "one request whose verdict could not be stored, then none"
    );
    assert!(
        out.stderr.contains(&format!("{graded} of 30")),
        "says how many were stored: {out:?}"
    );
}

// 12. Retry messages that say what happened.
#[test]
fn retries_are_described_as_they_happened() {
    // The budget runs out on grill's own backoff: the server asked nothing.
    let t = Judged::new(|_, _| Reply::error(503, "overloaded"));
    let out = t.grade_json(&[("GRILL_RETRY_BUDGET", "1")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!out.stderr.contains("asked to wait"), "{out:?}");
    assert!(out.stderr.contains("503"), "{out:?}");

    // The server asks for longer than the budget: say so, without waiting.
    let t = Judged::new(|_, _| Reply::error(429, "slow down").with_header("retry-after", "100"));
    let out = t.grade_json(&[("GRILL_RETRY_BUDGET", "2")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("asked to wait 100 s"), "{out:?}");
    assert_eq!(t.server.request_count(), 1);

    // A redirect loop stops after 5 redirects and says so.
    let t = Judged::new(|req, _| Reply::Status {
        status: 302,
        body: String::new(),
        headers: vec![("location".into(), req.path.clone())],
        delay: Duration::ZERO,
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("redirected more than 5 times"),
        "{out:?}"
    );
    assert!(
        t.server.request_count() <= 6,
        "{}",
        t.server.request_count()
    );
}

// 13. A refused connection.
#[test]
fn a_refused_connection_is_tried_three_times_and_named() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    let url = format!("http://127.0.0.1:{port}/v1");
    let out = t.grade_json(&[("OPENAI_BASE_URL", &url), ("GRILL_RETRY_BUDGET", "45")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("connection refused, 3 tries"),
        "{out:?}"
    );
    assert!(out.stderr.contains("OPENAI_BASE_URL"), "{out:?}");
}

/// `grill grade` in a pseudo-terminal, against `t`'s server.
fn spawn_in_pty(t: &Judged, args: &[&str]) -> rexpect::session::PtySession {
    let vars = t.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::common::spawn_pty(&t.env, "", args, "", &vars)
}

// 13. What a retry waits for is shown on a terminal.
#[test]
fn a_terminal_shows_each_retry_while_grill_waits() {
    let t = Judged::new(|_, n| match n {
        0 | 1 => Reply::error(429, "slow down").with_header("retry-after", "1"),
        _ => Reply::verdict(&good_verdict()),
    });
    let mut p = spawn_in_pty(
        &t,
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
    );
    p.exp_string("server busy (429: slow down), retrying in 1 s, try 2")
        .unwrap();
    p.exp_string("try 3").unwrap();
    p.exp_string("Score 7.5/10").unwrap();
    p.exp_eof().unwrap();
}

// A server that lies about its pace: headers at once, then the body one
// byte every 100 ms, for ever. `--timeout` bounds the whole reply, body
// included, so the answer is kept and the command ends instead of hanging.
#[test]
fn a_reply_trickled_byte_by_byte_is_cut_off_by_the_timeout() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let _ = stream.read(&mut buf);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                // At most 10 minutes of dripping; grill gives up long before.
                for _ in 0..6000 {
                    if stream
                        .write_all(b" ")
                        .and_then(|()| stream.flush())
                        .is_err()
                    {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
    });
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    let url = format!("http://127.0.0.1:{port}/v1");
    let out = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--json",
            "--timeout",
            "2",
        ],
        "",
        &[("OPENAI_BASE_URL", &url), ("GRILL_RETRY_BUDGET", "5")],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("timed out"), "{out:?}");
    let history = t.grill(&["history", "--json"], "", &[]).json();
    assert_eq!(
        history[0]["status"], "ungraded",
        "the answer is kept: {history}"
    );
    assert_eq!(history[0]["answer"], ANSWER, "{history}");
}
