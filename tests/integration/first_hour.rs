//! What a new user meets in the first hour, outside the session loop:
//! `grill list` on a pipe, `calibrate` on the built-in labelled set with
//! its progress and Ctrl-C, `bank import` asking before it calls the judge.

use crate::common::Env;

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn list_on_a_pipe_fills_columns_or_a_hundred_and_cuts_no_question_at_forty() {
    let env = Env::new();
    let plain = env.run(&["list"]);
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(widest(&plain.stdout) <= 100, "{}", plain.stdout);
    assert!(
        widest(&plain.stdout) > 90,
        "a hundred columns are used: {}",
        plain.stdout
    );
    // The first question's text goes well past 40 characters before its cut.
    assert!(
        plain
            .stdout
            .contains("Explain how RAG works and when you would use it instead"),
        "{}",
        plain.stdout
    );
    // Wide enough for the longest question (a system-design one, ~250
    // characters) after its id and difficulty.
    let wide = env.run_with(&["list"], "", &[("COLUMNS", "400")]);
    assert!(
        !wide.stdout.contains('…'),
        "nothing cut at 400: {}",
        wide.stdout
    );
    let json_question = env.run(&["list", "--json"]).json()[0]["question"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(wide.stdout.contains(&json_question), "{}", wide.stdout);
    let narrow = env.run_with(&["list"], "", &[("COLUMNS", "70")]);
    assert!(widest(&narrow.stdout) <= 70, "{}", narrow.stdout);
    assert!(widest(&narrow.stdout) > 60, "{}", narrow.stdout);
}

#[test]
fn the_labelled_set_is_built_in_and_calibrate_says_so_when_given_nothing() {
    let mut shipped: Vec<String> = std::fs::read_dir(crate::common::repo().join("calibration"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    shipped.sort();
    let built: Vec<&str> = grill::calibration::builtin::FILES
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(built, shipped, "every file of calibration/ is compiled in");
    for (name, text) in grill::calibration::builtin::FILES {
        let on_disk =
            std::fs::read_to_string(crate::common::repo().join("calibration").join(name)).unwrap();
        assert_eq!(*text, on_disk, "{name}");
    }

    // From a directory with no calibration/ in it, as the README runs it.
    let env = Env::new();
    let out = env.run(&["calibrate", "--builtin", "--grader", "cues", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["read"], 130, "{}", out.stdout);
    let none = env.run(&["calibrate", "--grader", "cues"]);
    assert_eq!(none.code, 2, "{none:?}");
    assert!(
        none.stderr
            .contains("--builtin for the set shipped with grill"),
        "{none:?}"
    );
}

/// The judge, slow (300 ms a verdict) until `fast` is set.
fn slow_judge(
    fast: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> crate::common::fake_server::FakeServer {
    crate::common::fake_server::FakeServer::start(move |req, _| {
        if !fast.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        crate::grade::echo_verdict(req)
    })
}

#[test]
fn calibrate_shows_elapsed_time_and_eta_and_ctrl_c_keeps_what_was_graded() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let fast = std::sync::Arc::new(AtomicBool::new(false));
    let server = slow_judge(std::sync::Arc::clone(&fast));
    let env = Env::new();
    env.write("bank/testing.toml", crate::grade::BANK);
    let url = server.base_url();
    let vars = [
        ("OPENAI_BASE_URL", url.as_str()),
        ("OPENAI_API_KEY", crate::grade::KEY),
        ("GRILL_MODEL", "test-model"),
    ];
    let mut p = crate::common::spawn_pty(
        &env,
        "",
        &["calibrate", "--builtin", "--concurrency", "1"],
        "",
        &vars,
    );
    // The bar says how long it has run and how long is left.
    p.exp_regex(r"[3-9]/130 graded .{1,4}\d+s elapsed .{1,4}about \d+(s|m) left")
        .unwrap();
    p.send_control('c').unwrap();
    let (_, stopped) = p.exp_regex(r"stopped at \d+/130 by Ctrl-C").unwrap();
    let done: usize = stopped
        .trim_start_matches("stopped at ")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3..130).contains(&done), "{stopped}");
    p.exp_string("the same command again grades only the rest")
        .unwrap();
    match p.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 130),
        other => panic!("Ctrl-C killed it instead of stopping it: {other:?}"),
    }

    // What was graded was kept: the same run asks the judge only for the rest.
    fast.store(true, Ordering::SeqCst);
    let before = server.request_count();
    let args = ["--bank", "bank", "calibrate", "--builtin", "--json"];
    let out = env.run_with(&args, "", &vars);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["graded"], 130, "{}", out.stdout);
    assert_eq!(server.request_count() - before, 130 - done);
}

/// A judge that drafts three key points for any question.
fn drafting_judge() -> crate::common::fake_server::FakeServer {
    crate::common::fake_server::FakeServer::start(|_, n| {
        crate::common::fake_server::Reply::verdict(&serde_json::json!({"key_points": [
            {"id": format!("q{n}-one"), "point": "First fact", "weight": 2, "cues": ["hash"]},
            {"id": format!("q{n}-two"), "point": "Second fact", "weight": 1, "cues": ["user"]},
            {"id": format!("q{n}-three"), "point": "Third fact", "weight": 1, "cues": ["repeat"]}
        ]}))
    })
}

#[test]
fn bank_import_asks_before_it_sends_notes_to_the_judge() {
    let server = drafting_judge();
    let url = server.base_url();
    let vars = [
        ("OPENAI_BASE_URL", url.as_str()),
        ("OPENAI_API_KEY", "test"),
        ("GRILL_MODEL", "test-model"),
    ];
    let env = Env::new();
    env.write("notes.md", crate::progress::NOTES);
    // On a pipe nobody can agree: the flag is required, and the error says so.
    let piped = env.run_with(&["bank", "import", "notes.md", "--out", "mine"], "", &vars);
    assert_eq!(piped.code, 2, "{piped:?}");
    assert!(
        piped
            .stderr
            .contains("would send 2 questions to the judge llm:test-model"),
        "{piped:?}"
    );
    assert!(piped.stderr.contains("pass --judge"), "{piped:?}");
    assert_eq!(
        piped.stderr.matches("error: ").count(),
        1,
        "said once: {piped:?}"
    );
    assert_eq!(server.request_count(), 0);
    assert!(!env.path("mine").exists(), "nothing written");

    // In a terminal it asks; no (the default) drafts from the sentences.
    let mut p = crate::common::spawn_pty(
        &env,
        "",
        &["bank", "import", "notes.md", "--out", "mine"],
        "",
        &vars,
    );
    p.exp_string("Draft the key points by sending 2 questions to the judge llm:test-model")
        .unwrap();
    p.exp_string("(2 calls)? [y/N]").unwrap();
    p.send_line("").unwrap();
    p.exp_string("the judge was not called").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(server.request_count(), 0);
    let file = std::fs::read_to_string(env.path("mine/caching.toml")).unwrap();
    assert!(file.contains("# TODO: review"), "{file}");

    // Yes sends them, one call a question.
    let mut p = crate::common::spawn_pty(
        &env,
        "",
        &["bank", "import", "notes.md", "--out", "again"],
        "",
        &vars,
    );
    p.exp_string("[y/N]").unwrap();
    p.send_line("y").unwrap();
    let rest = p.exp_eof().unwrap();
    assert_eq!(server.request_count(), 2, "{rest}");
    let file = std::fs::read_to_string(env.path("again/caching.toml")).unwrap();
    assert!(file.contains("# drafted by llm:test-model"), "{file}");
}

/// `--difficulty` narrows what is asked to one level; named questions are
/// never narrowed, so the two flags refuse each other; no match says which
/// filter emptied the list (issue 24 item 14).
#[test]
fn difficulty_narrows_the_questions_asked() {
    let env = Env::new();
    for (level, other) in [("advanced", "· core ·"), ("core", "· advanced ·")] {
        let out = env.run_with(
            &[
                "--offline",
                "practice",
                "--topic",
                "rag",
                "--difficulty",
                level,
                "--count",
                "3",
            ],
            ":skip\n:skip\n:skip\n",
            &[],
        );
        assert_eq!(out.code, 0, "{out:?}");
        let asked = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("Question "))
            .collect::<Vec<_>>();
        assert_eq!(asked.len(), 3, "{}", out.stdout);
        assert!(
            asked.iter().all(|l| l.contains(&format!("· {level} ·"))),
            "{asked:?}"
        );
        assert!(!out.stdout.contains(other), "{}", out.stdout);
    }
    let both = env.run(&["practice", "--difficulty", "core", "--question", "hyde"]);
    assert_eq!(both.code, 2, "{both:?}");
    assert!(both.stderr.contains("cannot be used with"), "{both:?}");
    let bad = env.run(&["interview", "--difficulty", "hard"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("[possible values: core, advanced]"),
        "{bad:?}"
    );
}
