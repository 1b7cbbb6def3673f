//! The API key never leaves the process except in the Authorization header:
//! not into the database (main file, WAL, shared memory), not into a report,
//! `--json` output, `grill config`, nor any message of any failure, even when
//! the server echoes the key back. Files grill creates are private.

use std::path::Path;
use std::time::Duration;

use crate::common::fake_server::{FakeServer, Reply};
use crate::common::{Env, Output};
use crate::grade::{good_verdict, BANK};

/// Recognisable, and shaped like a real key.
const KEY: &str = "sk-test-LEAKCHECK-9f8e7d6c5b4a3210";

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn assert_clean(what: &str, out: &Output) {
    assert!(!out.stdout.contains(KEY), "{what}: key on stdout: {out:?}");
    assert!(!out.stderr.contains(KEY), "{what}: key on stderr: {out:?}");
    // Not even the distinctive middle of it.
    assert!(
        !out.stdout.contains("LEAKCHECK") && !out.stderr.contains("LEAKCHECK"),
        "{what}: part of the key printed: {out:?}"
    );
}

/// Every file under `dir` (the database, its -wal and -shm, anything else).
fn assert_no_key_in_files(dir: &Path) {
    assert_not_in_files(dir, &[KEY, "LEAKCHECK"]);
}

/// None of `needles` in any file under `dir`.
pub fn assert_not_in_files(dir: &Path, needles: &[&str]) {
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            seen += 1;
            let bytes = std::fs::read(&path).unwrap();
            for needle in needles {
                assert!(
                    !contains(&bytes, needle),
                    "`{needle}` found in {}",
                    path.display()
                );
            }
        }
    }
    assert!(seen > 0, "no files under {}", dir.display());
}

struct Case {
    env: Env,
}

impl Case {
    fn new() -> Case {
        let env = Env::new();
        env.write("bank/testing.toml", BANK);
        env.write("answer.txt", "Tests catch regressions before users do.");
        Case { env }
    }

    fn grade(&self, base_url: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "--bank",
            "bank",
            "--timeout",
            "1",
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
        ];
        args.extend_from_slice(extra);
        self.env.run_with(
            &args,
            "",
            &[
                ("OPENAI_API_KEY", KEY),
                ("OPENAI_BASE_URL", base_url),
                ("GRILL_MODEL", "test-model"),
                ("GRILL_RETRY_BUDGET", "1"),
            ],
        )
    }
}

#[test]
fn no_failure_path_prints_the_key_even_when_the_server_echoes_it() {
    let echo = format!("Incorrect API key provided: {KEY}. You can find your key at ...");
    let cases: Vec<(&str, Reply)> = vec![
        ("401", Reply::error(401, &echo)),
        ("403", Reply::error(403, &echo)),
        (
            "404",
            Reply::error(404, &format!("model not found for key {KEY}")),
        ),
        ("400", Reply::error(400, &format!("bad request from {KEY}"))),
        ("500 until the budget is spent", Reply::error(500, &echo)),
        ("429 until the budget is spent", Reply::error(429, &echo)),
        (
            "plain-text error body",
            Reply::Status {
                status: 502,
                body: format!("<html>upstream said Authorization: Bearer {KEY}</html>"),
                headers: vec![],
                delay: Duration::ZERO,
            },
        ),
        (
            "200 with a body that is not JSON",
            Reply::Status {
                status: 200,
                body: format!("Bearer {KEY}"),
                headers: vec![],
                delay: Duration::ZERO,
            },
        ),
        (
            "a reply that is not a verdict",
            Reply::chat(&format!("your key is {KEY}")),
        ),
        ("timeout", Reply::Hang),
    ];
    for (name, reply) in cases {
        let server = FakeServer::start(move |_, _| reply.clone());
        let case = Case::new();
        for extra in [&[][..], &["--json"][..]] {
            let out = case.grade(&server.base_url(), extra);
            assert_ne!(out.code, 0, "{name}: {out:?}");
            assert_clean(name, &out);
        }
        // What was stored about the failure is clean too.
        let out = case
            .env
            .run_with(&["--bank", "bank", "history", "--json"], "", &[]);
        assert_clean(name, &out);
        assert_no_key_in_files(&case.env.path("data"));
    }
}

#[test]
fn a_server_that_echoes_the_key_in_its_verdict_does_not_get_it_stored_or_shown() {
    let server = FakeServer::start(|_, _| {
        let mut v = good_verdict();
        v["feedback"] = format!("Nice. (debug: authorization was Bearer {KEY})").into();
        v["follow_up"] = KEY.into();
        Reply::verdict(&v)
    });
    let case = Case::new();
    for extra in [&[][..], &["--json"][..]] {
        let out = case.grade(&server.base_url(), extra);
        assert_eq!(out.code, 0, "{out:?}");
        assert_clean("verdict", &out);
    }
    for args in [
        &["--bank", "bank", "report", "--format", "json"][..],
        &["--bank", "bank", "report", "--format", "md"][..],
        &["--bank", "bank", "history", "--json"][..],
        &["--bank", "bank", "stats", "--json"][..],
    ] {
        let out = case.env.run(args);
        assert_clean(&args.join(" "), &out);
    }
    assert_no_key_in_files(&case.env.path("data"));
}

#[test]
fn bad_base_urls_fail_without_the_key() {
    let case = Case::new();
    for url in [
        "http://127.0.0.1:1/v1",
        "ftp://127.0.0.1/v1",
        "http://[::1",
        "http://127.0.0.1:99999/v1",
        "not a url at all",
    ] {
        let out = case.grade(url, &[]);
        assert_ne!(out.code, 0, "{url}: {out:?}");
        assert_clean(url, &out);
        assert!(!out.stderr.contains("panicked"), "{url}: {out:?}");
    }
}

#[test]
fn a_malformed_config_holding_the_key_is_reported_without_it() {
    let env = Env::new();
    let configs = [
        format!("api_key = \"{KEY}\"\ntimeout = \"soon\"\n"),
        format!("api_key = {KEY}\n"),
        format!("api_key = \"{KEY}\n"),
        format!("api_key = '{KEY}' extra\n"),
        format!("api_key = [\"{KEY}\"]\n"),
        format!("api_key = \"{KEY}\"\napi_key = \"{KEY}\"\n"),
        format!("[api_key]\n{KEY} = 1\n"),
        format!("api_kee = \"{KEY}\"\n"),
        format!("{KEY} = true\n"),
        format!("base_url = \"{KEY}\"\napi_key = \"{KEY}\"\n"),
    ];
    for text in &configs {
        env.write("config.toml", text);
        for args in [&["list"][..], &["config"][..], &["config", "--json"][..]] {
            let out = env.run(args);
            assert_eq!(out.code, 2, "{text}: {out:?}");
            assert_clean(text, &out);
        }
    }
}

#[test]
fn grill_config_says_a_key_is_set_but_never_shows_it() {
    let env = Env::new();
    env.write("config.toml", &format!("api_key = \"{KEY}\"\n"));
    for args in [&["config"][..], &["config", "--json"][..]] {
        let out = env.run(args);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("set (config file)"), "{out:?}");
        assert_clean("config file key", &out);
        let out = env.run_with(args, "", &[("OPENAI_API_KEY", KEY)]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_clean("env key", &out);
    }
}

#[cfg(unix)]
#[test]
fn the_database_and_its_wal_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let server = FakeServer::start(|_, _| Reply::verdict(&good_verdict()));
    let case = Case::new();
    let out = case.grade(&server.base_url(), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let data = case.env.path("data");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    // Hold a connection open so the -wal and -shm files exist while we look.
    let conn = rusqlite::Connection::open(data.join("grill.db")).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; BEGIN; SELECT count(*) FROM attempts; COMMIT;")
        .unwrap();
    let out = case.grade(&server.base_url(), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut checked = 0;
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 3, "grill.db, -wal and -shm were all checked");
    drop(conn);
    assert_no_key_in_files(&data);
}

/// A short placeholder key (as users set for local servers) is not a secret:
/// the verdict is checked and scored exactly as the judge sent it, so every
/// key gives the grade no key gives. Before, `e` masked every `e` of the
/// quotes and the same verdict scored 0.0 instead of 7.5 (issue 21).
#[test]
fn short_placeholder_keys_and_long_keys_grade_alike() {
    let server = FakeServer::start(|_, _| {
        let mut v = good_verdict();
        v["feedback"] = "Keep examples concrete; explain the index.".into();
        Reply::verdict(&v)
    });
    let answer =
        "Tests catch regressions before users do.\nThey also document how the code behaves.";
    let grade = |key: Option<&str>| -> (f64, String) {
        let env = Env::new();
        env.write("bank/testing.toml", BANK);
        env.write("answer.txt", answer);
        let mut vars = vec![
            ("OPENAI_BASE_URL", server.base_url()),
            ("GRILL_MODEL", "test-model".to_string()),
        ];
        if let Some(key) = key {
            vars.push(("OPENAI_API_KEY", key.to_string()));
        }
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = env.run_with(
            &[
                "--bank",
                "bank",
                "grade",
                "--question",
                "tq",
                "--answer-file",
                "answer.txt",
                "--json",
            ],
            "",
            &vars,
        );
        assert_eq!(out.code, 0, "key {key:?}: {out:?}");
        let json: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
        (
            json["score"].as_f64().unwrap(),
            json["feedback"].as_str().unwrap().to_string(),
        )
    };
    let (plain, feedback) = grade(None);
    assert_eq!(plain, 7.5);
    let long = "sk-proj-0123456789abcdefghijklmnopqrstuv";
    assert_eq!(long.len(), 40);
    for key in ["k", "x", "e", "in", "ab12", "ollama", long] {
        assert_eq!(grade(Some(key)), (plain, feedback.clone()), "key {key}");
    }
}
