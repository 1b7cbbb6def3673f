//! Faults: the judge server misbehaving in every way a network can, grill
//! killed mid-work, two grills on one database, and data files that cannot
//! be used. Whatever happens, no answer is lost, nothing hangs past its
//! limits, and a file grill cannot use is named and left alone.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::fake_server::{FakeServer, Reply};
use crate::common::{wait_with_timeout, Env, Output};
use crate::grade::{echo_verdict, good_verdict, Judged, ANSWER, BANK};

/// Polls `cond` every 20 ms until it holds; panics with `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `PRAGMA integrity_check` of the database at `path`, and its attempts as (answer, status).
pub fn inspect(path: &Path) -> (String, Vec<(String, String)>) {
    let conn = rusqlite::Connection::open(path).expect("open the database");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    let mut stmt = conn
        .prepare("SELECT answer, status FROM attempts ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    (check, rows)
}

/// The grade command of the shared test setup.
fn grade(t: &Judged, extra: &[(&str, &str)]) -> Output {
    t.grade_json(extra)
}

fn stored_ungraded(t: &Judged) -> usize {
    crate::grade::ungraded(t).len()
}

/// The lines of stderr that say `error:`; a clear failure has exactly one.
fn error_lines(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect()
}

fn assert_no_panic(out: &Output) {
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"),
        "{out:?}"
    );
}

#[test]
fn a_dropped_connection_is_retried_and_then_graded() {
    let t = Judged::new(|_, n| {
        if n < 2 {
            Reply::Drop
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = grade(&t, &[("GRILL_RETRY_BUDGET", "20")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["score"], 7.5);
    assert_eq!(t.server.request_count(), 3);
}

#[test]
fn a_server_that_always_drops_fails_cleanly_and_keeps_the_answer() {
    let t = Judged::new(|_, _| Reply::Drop);
    let start = Instant::now();
    let out = grade(&t, &[("GRILL_RETRY_BUDGET", "2")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_no_panic(&out);
    let errors = error_lines(&out);
    assert_eq!(errors.len(), 1, "{out:?}");
    assert!(errors[0].contains("connection closed"), "{out:?}");
    assert!(t.server.request_count() >= 2, "drops are retried");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(stored_ungraded(&t), 1);
}

#[test]
fn a_server_that_accepts_and_never_answers_is_bounded_by_timeout_and_budget() {
    let t = Judged::new(|_, _| Reply::Hang);
    let start = Instant::now();
    let out = t.grill(
        &[
            "--timeout",
            "1",
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
        ],
        "",
        &[("GRILL_RETRY_BUDGET", "3")],
    );
    let took = start.elapsed();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("request timed out"), "{out:?}");
    // Tries of 1 s each plus backoff, inside a 3 s budget: far below 30 s
    // even on a loaded machine, and nowhere near the 60 s default timeout.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(t.server.request_count() >= 2, "a timeout is retried");
    assert_eq!(stored_ungraded(&t), 1);
}

/// A 200 reply with this body and extra headers.
fn raw(body: &str, headers: &[(&str, &str)]) -> Reply {
    Reply::Status {
        status: 200,
        body: body.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
        delay: Duration::ZERO,
    }
}

#[test]
fn garbage_and_truncated_bodies_fail_cleanly_and_keep_the_answer() {
    let completion = Reply::chat(&good_verdict().to_string());
    let Reply::Status { body: full, .. } = completion else {
        unreachable!()
    };
    let cut = full[..full.len() / 2].to_string();
    let cases: Vec<(&str, Reply)> = vec![
        ("empty body", raw("", &[])),
        ("binary junk", raw("\u{0}\u{1}\u{fffd}\u{7f}garbage", &[])),
        (
            "cut JSON",
            raw(&cut, &[("Content-Type", "application/json")]),
        ),
        (
            "no choices",
            raw(r#"{"id":"x","object":"chat.completion","choices":[]}"#, &[]),
        ),
        (
            "content is not a string",
            raw(r#"{"choices":[{"message":{"content":{"a":1}}}]}"#, &[]),
        ),
        (
            "Content-Length longer than the body",
            raw(
                &cut,
                &[("Content-Length", "100000"), ("Connection", "close")],
            ),
        ),
    ];
    for (name, reply) in cases {
        let t = Judged::new(move |_, _| reply.clone());
        let start = Instant::now();
        let out = t.grill(
            &[
                "--timeout",
                "5",
                "grade",
                "--question",
                "tq",
                "--answer-file",
                "answer.txt",
                "--json",
            ],
            "",
            &[("GRILL_RETRY_BUDGET", "1")],
        );
        assert_eq!(out.code, 1, "{name}: {out:?}");
        assert_no_panic(&out);
        assert_eq!(error_lines(&out).len(), 1, "{name}: {out:?}");
        // No verdict: with --json, an error object saying why and which attempt.
        let v = out.json();
        assert!(
            v.get("score").is_none(),
            "{name}: no verdict printed: {out:?}"
        );
        assert_eq!(v["attempt_id"], 1, "{name}: {out:?}");
        assert!(v["error"].as_str().is_some(), "{name}: {out:?}");
        assert!(start.elapsed() < Duration::from_secs(40), "{name}");
        assert_eq!(stored_ungraded(&t), 1, "{name}: the answer is kept");
    }
}

#[test]
fn a_content_length_that_never_arrives_on_an_open_connection_times_out() {
    let t = Judged::new(|_, _| raw("{\"choices\":", &[("Content-Length", "5000")]));
    let start = Instant::now();
    let out = t.grill(
        &[
            "--timeout",
            "1",
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
        ],
        "",
        &[("GRILL_RETRY_BUDGET", "1")],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_no_panic(&out);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(stored_ungraded(&t), 1);
}

#[test]
fn a_verdict_of_the_wrong_shape_is_retried_once_then_left_ungraded() {
    let shapes = [
        json!({"score": 10}),
        json!({"key_points": {"regressions": "covered"}}),
        json!({"key_points": [{"id": "regressions", "coverage": "excellent", "evidence": "x"}]}),
        json!({"key_points": [{"id": "regressions", "coverage": "covered", "evidence": 7}]}),
        json!([good_verdict()]),
        json!({"key_points": [], "mistakes": [], "feedback": "", "follow_up": ""}),
        {
            let mut v = good_verdict();
            v["score"] = json!(10);
            v
        },
    ];
    for shape in shapes {
        // Wrong, then right: graded on the retry.
        let wrong = shape.clone();
        let t = Judged::new(move |_, n| {
            if n == 0 {
                Reply::verdict(&wrong)
            } else {
                Reply::verdict(&good_verdict())
            }
        });
        let out = grade(&t, &[]);
        assert_eq!(out.code, 0, "{shape}: {out:?}");
        assert_eq!(out.json()["score"], 7.5, "{shape}");
        let retry = t.server.requests()[1].prompt_text();
        assert!(retry.contains("not a valid verdict"), "{shape}: {retry}");

        // Wrong twice: ungraded, exit 1, nothing scored.
        let wrong = shape.clone();
        let t = Judged::new(move |_, _| Reply::verdict(&wrong));
        let out = grade(&t, &[]);
        assert_eq!(out.code, 1, "{shape}: {out:?}");
        assert!(out.stderr.contains("invalid twice"), "{shape}: {out:?}");
        assert_eq!(t.server.request_count(), 2);
        assert_eq!(stored_ungraded(&t), 1);
    }
}

#[test]
fn a_storm_of_429s_is_ridden_out_within_the_retry_budget() {
    let t = Judged::new(|_, n| {
        if n < 12 {
            Reply::error(429, "rate limited").with_header("retry-after", "0")
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = grade(&t, &[("GRILL_RETRY_BUDGET", "20")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["score"], 7.5);
    assert_eq!(t.server.request_count(), 13);
}

#[test]
fn an_endless_429_storm_gives_up_when_the_budget_is_spent() {
    let t = Judged::new(|_, _| Reply::error(429, "rate limited"));
    let start = Instant::now();
    let out = grade(&t, &[("GRILL_RETRY_BUDGET", "2")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("429: rate limited"), "{out:?}");
    assert!(t.server.request_count() >= 2);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(stored_ungraded(&t), 1);

    // A server that asks for an hour is not waited for.
    let t =
        Judged::new(|_, _| Reply::error(429, "come back later").with_header("retry-after", "3600"));
    let start = Instant::now();
    let out = grade(&t, &[("GRILL_RETRY_BUDGET", "5")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("asked to wait 3600 s"), "{out:?}");
    assert_eq!(t.server.request_count(), 1);
    assert!(start.elapsed() < Duration::from_secs(30));
}

/// Spawns grill with the judge's settings and piped stdin, stdout and stderr.
fn spawn(t: &Judged, args: &[&str]) -> Child {
    let mut full = vec!["--bank", "bank"];
    full.extend_from_slice(args);
    let mut cmd = t.env.command(&full);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn grill")
}

fn kill_9(mut child: Child) {
    child.kill().expect("SIGKILL grill");
    let _ = child.wait();
}

/// A server that is slow until `fast` is set, then answers at once.
fn slow_until(
    fast: &Arc<AtomicBool>,
) -> impl Fn(&crate::common::fake_server::Request, usize) -> Reply {
    let fast = Arc::clone(fast);
    move |req, _| {
        if fast.load(Ordering::SeqCst) {
            echo_verdict(req)
        } else {
            echo_verdict(req).after(Duration::from_secs(30))
        }
    }
}

#[test]
fn kill_9_during_a_batch_loses_nothing_and_regrade_finishes() {
    let fast = Arc::new(AtomicBool::new(false));
    let t = Judged::new(slow_until(&fast));
    let lines: Vec<String> = (0..10)
        .map(|i| {
            json!({"question": "tq", "answer": format!("batch answer number {i}")}).to_string()
        })
        .collect();
    t.env.write("batch.jsonl", &lines.join("\n"));
    let child = spawn(
        &t,
        &["grade", "--batch", "batch.jsonl", "--concurrency", "3"],
    );
    // Once requests are out, every answer is already stored.
    wait_until(Duration::from_secs(60), "the first requests", || {
        t.server.request_count() >= 3
    });
    kill_9(child);

    let (check, rows) = inspect(&t.env.db());
    assert_eq!(check, "ok");
    let answers: Vec<&str> = rows.iter().map(|(a, _)| a.as_str()).collect();
    let wanted: Vec<String> = (0..10)
        .map(|i| format!("batch answer number {i}"))
        .collect();
    assert_eq!(
        answers, wanted,
        "every answer of the batch is stored, in order"
    );
    assert!(rows.iter().all(|(_, s)| s == "ungraded"));

    fast.store(true, Ordering::SeqCst);
    let out = t.grill(&["regrade", "--json"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json_lines().len(), 10);
    let (check, rows) = inspect(&t.env.db());
    assert_eq!(check, "ok");
    assert!(rows.iter().all(|(_, s)| s == "graded"), "{rows:?}");
}

fn two_question_bank() -> String {
    format!(
        "{BANK}\n[[questions]]\nid = \"tq2\"\nquestion = \"Why review code?\"\ndifficulty = \"core\"\nmodel_answer = \"Reviews spread knowledge and catch bugs.\"\n\n[[questions.key_points]]\nid = \"knowledge\"\npoint = \"Reviews spread knowledge\"\n\n[[questions.key_points]]\nid = \"bugs\"\npoint = \"Reviews catch bugs\"\n"
    )
}

#[test]
fn kill_9_during_a_piped_interview_keeps_every_submitted_answer() {
    let fast = Arc::new(AtomicBool::new(false));
    let t = Judged::new(slow_until(&fast));
    t.env.write("bank/testing.toml", &two_question_bank());
    let mut child = spawn(
        &t,
        &[
            "interview",
            "--minutes",
            "10",
            "--count",
            "2",
            "--topic",
            "testing",
        ],
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"first answer, line one\nline two\n\n")
        .unwrap();
    stdin.flush().unwrap();
    // The judge is asked only after the answer is stored.
    wait_until(Duration::from_secs(60), "the first grade request", || {
        t.server.request_count() >= 1
    });
    stdin.write_all(b"second answer\n\n").unwrap();
    stdin.flush().unwrap();
    wait_until(Duration::from_secs(60), "the second grade request", || {
        t.server.request_count() >= 2
    });
    kill_9(child);
    drop(stdin);

    let (check, rows) = inspect(&t.env.db());
    assert_eq!(check, "ok");
    let mut answers: Vec<&str> = rows.iter().map(|(a, _)| a.as_str()).collect();
    answers.sort_unstable();
    assert_eq!(
        answers,
        ["first answer, line one\nline two", "second answer"]
    );
    assert!(rows.iter().all(|(_, s)| s == "ungraded"));

    fast.store(true, Ordering::SeqCst);
    let out = t.grill(&["regrade", "--json"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json_lines().len(), 2);
    assert!(inspect(&t.env.db()).1.iter().all(|(_, s)| s == "graded"));
}

#[test]
fn two_grills_grading_into_one_fresh_database_both_succeed() {
    let t = Judged::new(|req, _| echo_verdict(req).after(Duration::from_millis(30)));
    for who in ["a", "b"] {
        let lines: Vec<String> = (0..12)
            .map(|i| {
                json!({"question": "tq", "answer": format!("answer {i} from {who}")}).to_string()
            })
            .collect();
        t.env.write(&format!("{who}.jsonl"), &lines.join("\n"));
    }
    // Both start on a database that does not exist yet: creation and the
    // schema migration race too.
    let a = spawn(&t, &["grade", "--batch", "a.jsonl", "--concurrency", "4"]);
    let b = spawn(&t, &["grade", "--batch", "b.jsonl", "--concurrency", "4"]);
    let a = wait_with_timeout(a, Duration::from_secs(90));
    let b = wait_with_timeout(b, Duration::from_secs(90));
    assert_eq!(a.code, 0, "{a:?}");
    assert_eq!(b.code, 0, "{b:?}");
    assert_eq!(a.json_lines().len(), 12);
    assert_eq!(b.json_lines().len(), 12);
    let (check, rows) = inspect(&t.env.db());
    assert_eq!(check, "ok");
    assert_eq!(rows.len(), 24);
    assert!(rows.iter().all(|(_, s)| s == "graded"), "{rows:?}");
}

/// Eight self-graded practices with a follow-up each, at once on one
/// database: each stores its answer, its follow-up answer and its grade.
/// The follow-up answer is stored by a read-then-write transaction, which,
/// deferred, failed at once with SQLITE_BUSY ("another grill held the
/// database for too long", exit 1, after no wait) when another grill wrote
/// between its read and its write.
#[test]
fn grills_storing_follow_ups_at_once_all_succeed() {
    let t = Judged::new(|req, _| echo_verdict(req));
    for round in 0..3 {
        let children: Vec<Child> = (0..8)
            .map(|i| {
                let args = ["--offline", "practice", "--question", "tq", "--follow-ups", "1"];
                let mut child = spawn(&t, &args);
                let stdin = format!("Tests catch regressions {round}.{i}\n\nThey describe the code.\n\ny\nn\nn\ny\n");
                child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
                child
            })
            .collect();
        for child in children {
            let out = wait_with_timeout(child, Duration::from_secs(60));
            assert_eq!(out.code, 0, "round {round}: {out:?}");
        }
    }
    let store = grill::store::Store::open(&t.env.db(), grill::time::Clock::system()).unwrap();
    let all = store.all_attempts().unwrap();
    assert_eq!(all.len(), 24);
    for a in &all {
        assert_eq!(
            a.score,
            Some(6.3),
            "regressions 2 + docs recovered 0.5 of 4: {a:?}"
        );
        let rounds = &a.extra.as_ref().unwrap().follow_up_answers;
        assert_eq!(rounds.len(), 1, "{a:?}");
    }
}

/// Runs `history` (it opens the database and reads it) with GRILL_HOME at `home`.
fn history_in(env: &Env, home: &Path) -> Output {
    env.run_with(&["history"], "", &[("GRILL_HOME", home.to_str().unwrap())])
}

/// Asserts a clear usage failure: exit 2, one `error:` line that names `path`.
fn assert_names(out: &Output, path: &Path) {
    assert_eq!(out.code, 2, "{out:?}");
    assert_no_panic(out);
    let errors = error_lines(out);
    assert_eq!(errors.len(), 1, "{out:?}");
    assert!(
        errors[0].contains(&path.display().to_string()),
        "the error names {}: {out:?}",
        path.display()
    );
    for line in out.stderr.lines() {
        assert!(
            line.starts_with("error:") || line.starts_with("hint:"),
            "only the error and its hint: {out:?}"
        );
    }
}

#[test]
fn a_missing_data_directory_is_created_private() {
    let env = Env::new();
    let home = env.path("deep/new/data");
    let out = history_in(&env, &home);
    assert_eq!(out.code, 0, "{out:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(&home.join("grill.db")), 0o600);
    }
}

#[test]
fn a_data_directory_that_cannot_be_created_is_named() {
    let env = Env::new();
    env.write("plain-file", "not a directory");
    let home = env.path("plain-file/data");
    let out = history_in(&env, &home);
    assert_names(&out, &home);
}

#[cfg(unix)]
#[test]
fn a_read_only_data_directory_is_named_and_left_alone() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let env = Env::new();
    // One directory with nothing in it, one with a database already there.
    let empty = env.path("ro-empty");
    let with_db = env.path("ro-db");
    std::fs::create_dir_all(&empty).unwrap();
    assert_eq!(history_in(&env, &with_db).code, 0);
    let db_before = std::fs::read(with_db.join("grill.db")).unwrap();
    for dir in [&empty, &with_db] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    // Root writes through permission bits: run grill as `nobody` then.
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if root {
        std::fs::set_permissions(env.home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(
            with_db.join("grill.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    for dir in [&empty, &with_db] {
        let mut cmd = env.command(&["history"]);
        cmd.env("GRILL_HOME", dir);
        if root {
            cmd.uid(65534).gid(65534);
        }
        let out = crate::common::run(cmd, b"");
        assert_names(&out, dir);
    }
    assert!(!empty.join("grill.db").exists());
    assert_eq!(std::fs::read(with_db.join("grill.db")).unwrap(), db_before);
    for dir in [&empty, &with_db] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn a_corrupt_database_is_refused_by_name_and_left_untouched() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    // A real database with some history, then two ways to ruin it.
    let good_home = env.path("good");
    let out = env.run_with(
        &["--bank", "bank", "--offline", "grade", "--question", "tq"],
        ANSWER,
        &[("GRILL_HOME", good_home.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let real = std::fs::read(good_home.join("grill.db")).unwrap();
    assert!(real.len() > 4096, "a database of several pages");
    let mut scribbled = real.clone();
    for b in &mut scribbled[100..real.len() - 100] {
        *b = 0xA5;
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "text",
            b"this is my shopping list, not a database\n".repeat(200),
        ),
        ("truncated header", real[..50].to_vec()),
        ("pages scribbled over", scribbled),
    ];
    for (name, bytes) in cases {
        let home = env.path(&format!("bad-{}", name.replace(' ', "-")));
        std::fs::create_dir_all(&home).unwrap();
        let db = home.join("grill.db");
        std::fs::write(&db, &bytes).unwrap();
        for args in [
            vec!["history"],
            vec!["--bank", "bank", "--offline", "grade", "--question", "tq"],
        ] {
            let out = env.run_with(&args, ANSWER, &[("GRILL_HOME", home.to_str().unwrap())]);
            assert_names(&out, &db);
            assert!(out.stderr.contains("corrupt"), "{name}: {out:?}");
            assert_eq!(std::fs::read(&db).unwrap(), bytes, "{name}: file untouched");
            assert!(
                !home.join("grill.db-wal").exists()
                    || std::fs::read(home.join("grill.db-wal")).unwrap().is_empty(),
                "{name}"
            );
        }
    }
}

#[test]
fn a_malformed_config_file_is_named_with_its_line_and_left_untouched() {
    let env = Env::new();
    let cases = [
        "model = \"unclosed\n",
        "timeout = \"soon\"\n",
        "[[[nonsense\n",
        "api_kee = \"x\"\n",
        "\u{0}\u{1}binary",
    ];
    for text in cases {
        let path = env.write("config.toml", text);
        let out = env.run(&["list"]);
        assert_names(&out, &path);
        assert!(
            error_lines(&out)[0].contains("config.toml:"),
            "line and column: {out:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
    // A config file that is named must exist (issue 13): exit 2, naming it.
    let out = env.run_with(
        &["list"],
        "",
        &[("GRILL_CONFIG", "/nonexistent-dir/also-missing.toml")],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(
            "GRILL_CONFIG names `/nonexistent-dir/also-missing.toml`, which does not exist"
        ),
        "{out:?}"
    );
}

#[test]
fn a_batch_rides_out_a_mix_of_drops_and_503s_in_order() {
    // A final cross-check on the batch path under faults: a mix of drops,
    // 500s and good replies still grades every line, in order.
    let server = FakeServer::start(|req, n| match n % 4 {
        0 => Reply::Drop,
        1 => Reply::error(503, "busy").with_header("retry-after", "0"),
        _ => echo_verdict(req),
    });
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let lines: Vec<String> = (0..8)
        .map(|i| json!({"question": "tq", "answer": format!("mixed answer {i}")}).to_string())
        .collect();
    env.write("batch.jsonl", &lines.join("\n"));
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "grade",
            "--batch",
            "batch.jsonl",
            "--concurrency",
            "2",
        ],
        "",
        &[
            ("OPENAI_BASE_URL", &server.base_url()),
            ("GRILL_RETRY_BUDGET", "20"),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let results = out.json_lines();
    assert_eq!(results.len(), 8);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["line"], Value::from(i + 1));
        assert!(r["score"].is_number(), "graded: {r}");
    }
}
