//! Bad input: bytes that are not text, answers that are empty or far too
//! long, escape sequences from the candidate or the judge, broken batch
//! lines, unknown flags. Each is refused or handled plainly, never by a
//! panic and never by writing raw control characters to the terminal.

use serde_json::json;

use crate::common::fake_server::Reply;
use crate::common::{Env, Output};
use crate::grade::{echo_verdict, good_verdict, verdict, Judged, BANK};

const LIMIT: usize = 20_000;

/// Raw bytes of the child's stdout and stderr must hold no ESC or BEL, and no C1 CSI.
fn assert_no_raw_controls(what: &str, out: &Output) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let bad: Vec<char> = text
            .chars()
            .filter(|c| matches!(c, '\u{1b}' | '\u{7}' | '\u{9b}' | '\u{8}' | '\r'))
            .collect();
        assert!(bad.is_empty(), "{what}: raw {bad:?} on {name}: {out:?}");
    }
}

fn bank_env() -> Env {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    env
}

#[test]
fn non_utf8_answers_are_refused_from_a_file_and_from_stdin() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    std::fs::write(t.env.path("latin1.txt"), b"na\xefve caf\xe9 answer").unwrap();
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "latin1.txt"],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("latin1.txt` is not UTF-8"), "{out:?}");
    assert!(out.stderr.contains("offset 2"), "{out:?}");

    let mut cmd = t
        .env
        .command(&["--bank", "bank", "grade", "--question", "tq"]);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    let out = crate::common::run(cmd, b"good start \xff\xfe then junk");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("standard input is not UTF-8"),
        "{out:?}"
    );
    assert_eq!(t.server.request_count(), 0, "nothing was sent");

    // A piped session stops with the same plain error, keeping earlier answers.
    let env = bank_env();
    let mut cmd = env.command(&[
        "--bank",
        "bank",
        "--offline",
        "practice",
        "--question",
        "tq",
    ]);
    cmd.env("GRILL_SEED", "1");
    let out = crate::common::run(cmd, b"\xc3\x28 broken\n\n");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("not UTF-8"), "{out:?}");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
}

#[test]
fn an_empty_answer_is_refused_and_nothing_is_stored_or_sent() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    t.env.write("empty.txt", "\n  \n\t\n");
    for (args, stdin) in [
        (
            vec!["grade", "--question", "tq", "--answer-file", "empty.txt"],
            "",
        ),
        (vec!["grade", "--question", "tq"], ""),
        (vec!["grade", "--question", "tq", "--json"], "   \n\n"),
        (vec!["--offline", "grade", "--question", "tq"], ""),
    ] {
        let out = t.grill(&args, stdin, &[]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains("the answer is empty"), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
    }
    // An empty answer in a batch is a bad line, named and skipped.
    t.env.write(
        "batch.jsonl",
        &format!(
            "{}\n{}\n",
            json!({"question": "tq", "answer": "  "}),
            json!({"question": "tq", "answer": "Tests catch regressions"})
        ),
    );
    let out = t.grill(&["grade", "--batch", "batch.jsonl"], "", &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("batch.jsonl:1: empty answer; skipped"),
        "{out:?}"
    );
    assert_eq!(out.json_lines().len(), 1);
    assert_eq!(t.server.request_count(), 1, "no call for the empty answer");
    let stored = t.grill(&["history", "--json"], "", &[]).json();
    assert_eq!(
        stored.as_array().unwrap().len(),
        1,
        "only the real answer: {stored}"
    );
}

#[test]
fn an_answer_over_the_limit_is_refused_by_grade_with_exit_2() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    let at_limit = "é".repeat(LIMIT);
    let over = format!("{at_limit}x");
    t.env.write("at.txt", &at_limit);
    t.env.write("over.txt", &over);
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "over.txt"],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("20001 characters"), "{out:?}");
    let out = t.grill(&["grade", "--question", "tq"], &over, &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("standard input"), "{out:?}");
    assert_eq!(t.server.request_count(), 0);
    // Exactly at the limit (counted in characters, not bytes) is fine.
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "at.txt"],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(t.server.request_count(), 1);
}

#[test]
fn a_piped_session_stops_an_answer_at_the_limit_and_says_why() {
    let t = Judged::new(|req, _| echo_verdict(req));
    let long_line = "y".repeat(LIMIT + 5_000);
    let input = format!("{long_line}\n\n");
    let out = t.grill(
        &["interview", "--minutes", "5", "--count", "1"],
        &input,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("answers are limited to 20000 characters"),
        "{out:?}"
    );
    let report = t.env.run(&["--bank", "bank", "report", "--format", "json"]);
    let answer = report.json()["attempts"][0]["answer"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(answer.chars().count(), LIMIT);
}

/// Known bug, in `src/ui/input.rs` (not this suite's to fix): after an answer
/// is cut at the limit, the rest of that answer's lines are read as the next
/// answer. The editor should drop input up to the answer's end.
#[test]
fn lines_after_the_limit_do_not_become_the_next_answer() {
    let t = Judged::new(|req, _| echo_verdict(req));
    let bank = format!(
        "{BANK}\n[[questions]]\nid = \"tq2\"\nquestion = \"Why review?\"\ndifficulty = \"core\"\nmodel_answer = \"Reviews catch bugs.\"\n\n[[questions.key_points]]\nid = \"bugs\"\npoint = \"Reviews catch bugs\"\n"
    );
    t.env.write("bank/testing.toml", &bank);
    let chunk = "z".repeat(8_000);
    let input =
        format!("{chunk}\n{chunk}\n{chunk}\nthe tail of the long answer\n\nsecond answer\n\n");
    let out = t.grill(
        &["practice", "--count", "2", "--order", "random"],
        &input,
        &[("GRILL_SEED", "3")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let report = t.env.run(&["--bank", "bank", "report", "--format", "json"]);
    let answers: Vec<String> = report.json()["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["answer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[1], "second answer");
}

const HOSTILE: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J",
    "\u{1b}[31mred",
    "\u{9b}2J",
    "back\u{8}\u{8}\u{8}",
    "\r overwrite",
];

#[test]
fn escape_sequences_from_the_judge_never_reach_the_terminal_raw() {
    let hostile = HOSTILE.concat();
    let t = Judged::new(move |_, _| {
        let mut v = verdict(
            &[
                ("regressions", "covered", "Tests catch regressions"),
                ("docs", "covered", &format!("not quoted {hostile}")),
                ("refactor", "missing", ""),
            ],
            0,
        );
        v["feedback"] = format!("Fine {hostile} work").into();
        v["follow_up"] = format!("Why {hostile}?").into();
        v["mistakes"] =
            json!([{"claim": format!("c {hostile}"), "correction": format!("r {hostile}")}]);
        Reply::verdict(&v)
    });
    for args in [
        &["grade", "--question", "tq", "--answer-file", "answer.txt"][..],
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--json",
        ][..],
    ] {
        let out = t.grill(args, "", &[]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_no_raw_controls(&args.join(" "), &out);
    }
    let out = t.grill(
        &["practice", "--question", "tq"],
        "Tests catch regressions.\n\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_no_raw_controls("practice", &out);
    for args in [
        &["report"][..],
        &["report", "--format", "md"][..],
        &["report", "--format", "json"][..],
        &["history"][..],
        &["history", "--json"][..],
        &["stats"][..],
    ] {
        let out = t.grill(args, "", &[]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_no_raw_controls(&args.join(" "), &out);
    }
}

#[test]
fn escape_sequences_in_answers_never_reach_the_terminal_raw() {
    let t = Judged::new(|req, _| echo_verdict(req));
    let answer = format!("Tests {} catch regressions.", HOSTILE.concat());
    t.env.write("hostile.txt", &answer);
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "hostile.txt"],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_no_raw_controls("grade", &out);
    let out = t.grill(
        &["--offline", "practice", "--question", "tq"],
        &format!("{answer}\n\ny\ny\ny\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_no_raw_controls("offline practice", &out);
    for args in [
        &["history"][..],
        &["history", "--question", "tq"][..],
        &["report", "--format", "md"][..],
        &["report"][..],
        &["regrade"][..],
    ] {
        let out = t.grill(args, "", &[]);
        assert_no_raw_controls(&args.join(" "), &out);
    }
}

#[test]
fn the_report_functions_clean_judge_text_even_with_colour_on() {
    // On a terminal styles pass through, so the text itself must be clean.
    use grill::verdict::{Coverage, Mistake, PointVerdict, Verdict};
    let parsed = grill::bank::parse(BANK, "bank/testing.toml", "testing");
    let q = parsed.questions[0].clone();
    let hostile = HOSTILE.concat();
    let v = Verdict {
        score: 5.0,
        key_points: q
            .key_points
            .iter()
            .map(|k| PointVerdict {
                id: k.id.clone(),
                coverage: Coverage::Covered,
                claimed: Coverage::Covered,
                evidence: hostile.clone(),
                verified: k.id == "docs",
                weight: k.weight,
                check: (k.id != "docs").then_some(grill::verdict::Check::NotInAnswer),
                uncertain: false,
                recovered: false,
            })
            .collect(),
        mistakes: vec![Mistake {
            quote: hostile.clone(),
            correction: hostile.clone(),
            verified: true,
        }],
        feedback: hostile.clone(),
        follow_up: hostile.clone(),
        flags: vec![],
        usage: None,
        follow_ups: vec![grill::verdict::FollowUpRound {
            question: hostile.clone(),
            answer: hostile.clone(),
            points: vec![hostile.clone()],
            recovered: vec![hostile.clone()],
            note: Some(hostile.clone()),
            ..Default::default()
        }],
    };
    let by = grill::store::GradedBy::Judge(hostile.clone());
    let text = grill::report::verdict::text(&q, &by, &v, 80);
    let attempt = grill::store::Attempt {
        id: 1,
        session_id: Some(1),
        question_id: q.id.clone(),
        topic: q.topic.clone(),
        answer: hostile.clone(),
        status: grill::store::Status::Graded,
        graded_by: Some(by),
        verdict: Some(v.clone()),
        score: Some(5.0),
        seconds: Some(1.0),
        cut_off: false,
        error: None,
        extra: None,
        created_at: "2026-01-01T00:00:00Z".into(),
        graded_at: None,
        usage: None,
    };
    let session = grill::store::Session {
        id: 1,
        kind: grill::store::SessionKind::Practice,
        started_at: "2026-01-01T00:00:00Z".into(),
    };
    let built = grill::report::build(&session, &[attempt]);
    let md = grill::report::markdown::render(&built);
    let plain = grill::report::text::render(&built, 80);
    for (name, s) in [
        ("verdict_text", &text),
        ("markdown report", &md),
        ("text report", &plain),
    ] {
        for seq in HOSTILE {
            assert!(!s.contains(seq), "{name} holds {seq:?} raw:\n{s}");
        }
        assert!(
            !s.contains('\u{7}') && !s.contains('\u{8}') && !s.contains('\r'),
            "{name}: {s:?}"
        );
    }
}

#[test]
fn a_batch_with_broken_lines_grades_the_good_ones_and_names_the_rest() {
    let t = Judged::new(|req, _| echo_verdict(req));
    let mut bytes = Vec::new();
    let good =
        |i: usize| json!({"question": "tq", "answer": format!("good answer {i}")}).to_string();
    let lines: Vec<Vec<u8>> = vec![
        good(1).into_bytes(),                               // 1
        b"{not json".to_vec(),                              // 2
        b"[1, 2, 3]".to_vec(),                              // 3
        br#"{"question": "tq"}"#.to_vec(),                  // 4
        br#"{"question": "tq", "answer": 42}"#.to_vec(),    // 5
        br#"{"question": "nope", "answer": "x"}"#.to_vec(), // 6
        json!({"question": "tq", "answer": "x".repeat(LIMIT + 1)})
            .to_string()
            .into_bytes(), // 7
        b"".to_vec(),                                       // 8: blank, ignored
        b"{\"question\": \"tq\", \"answer\": \"caf\xe9\"}".to_vec(), // 9: not UTF-8
        b"\"just a string\"".to_vec(),                      // 10
        good(2).into_bytes(),                               // 11
        b"{\"question\": \"tq\", \"answer\": \"cut".to_vec(), // 12: truncated, no newline
    ];
    for line in &lines {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    bytes.pop();
    std::fs::write(t.env.path("batch.jsonl"), &bytes).unwrap();
    let out = t.grill(
        &["grade", "--batch", "batch.jsonl", "--concurrency", "2"],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "broken lines make it exit 2: {out:?}");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    let results = out.json_lines();
    let graded: Vec<u64> = results
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(graded, [1, 11], "{out:?}");
    for n in [2, 3, 4, 5, 6, 7, 9, 10, 12] {
        assert!(
            out.stderr.contains(&format!("batch.jsonl:{n}:"))
                || out.stderr.contains(&format!("batch.jsonl:{n} ")),
            "line {n} is named: {out:?}"
        );
    }
    assert!(
        out.stderr
            .contains("9 lines of `batch.jsonl` could not be graded"),
        "{out:?}"
    );
    assert!(
        !out.stderr.contains("batch.jsonl:8:"),
        "a blank line is not an error"
    );
    assert_eq!(t.server.request_count(), 2);
}

#[test]
fn unknown_flags_and_bad_values_exit_2_with_usage() {
    let env = bank_env();
    for args in [
        &["--bogus"][..],
        &["list", "--bogus"][..],
        &["grade", "--question", "tq", "--bogus"][..],
        &["practice", "--count", "many"][..],
        &["interview", "--minutes", "soon"][..],
        &["--timeout", "-3", "list"][..],
        &["frobnicate"][..],
        &["grade"][..],
        &["practice", "--order", "sideways"][..],
        &["report", "--format", "pdf"][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}: says why");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
        assert!(!out.stderr.contains("panicked"), "{args:?}: {out:?}");
    }
    for args in [
        &["--timeout", "0", "list"][..],
        &["--timeout", "NaN", "list"][..],
        &["interview", "--minutes", "0"][..],
        &["interview", "--count", "0"][..],
        &["grade", "--batch", "missing.jsonl"][..],
        &["grade", "--batch", "x", "--concurrency", "0"][..],
        &["grade", "--question", "no-such-question"][..],
    ] {
        let out = env.run_with(args, "", &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")]);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains("error:"), "{args:?}: {out:?}");
    }
}

#[test]
fn json_output_escapes_c1_controls_from_answers() {
    let env = crate::common::Env::new();
    env.write("bank/testing.toml", BANK);
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ],
        "regressions \u{9b}2J and \u{7f} more\n\ny\nn\nn\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    for args in [&["history", "--json"][..], &["report", "--format", "json"]] {
        let mut full = vec!["--bank", "bank"];
        full.extend_from_slice(args);
        let out = env.run(&full);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert!(
            !out.stdout.contains('\u{9b}') && !out.stdout.contains('\u{7f}'),
            "{args:?}: {out:?}"
        );
        assert!(out.stdout.contains("\\u009b2J"), "{args:?}: {out:?}");
        let parsed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert!(
            parsed.to_string().contains('\u{9b}'),
            "the text itself is kept"
        );
    }
}

/// Counts of zero are refused by the flag parser itself, naming the flag,
/// with exit 2 and nothing stored (one rule for every such flag).
#[test]
fn a_count_of_zero_is_refused_naming_its_flag() {
    let env = crate::common::Env::new();
    for args in [
        &["practice", "--offline", "--count", "0"][..],
        &["interview", "--offline", "--count", "0"][..],
        &["review", "--count", "0"][..],
        &["history", "--limit", "0"][..],
        &["sessions", "--limit", "0"][..],
        &["usage", "--days", "0"][..],
        &["jobs", "wait", "1", "--concurrency", "0"][..],
        &["calibrate", "x.jsonl", "--concurrency", "0"][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        let flag = args[args.len() - 2];
        assert!(
            out.stderr
                .contains(&format!("for '{flag} <N>': must be at least 1")),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(!env.db().exists());
}

/// A topic in another case is that topic (`RAG` is `rag`), and one with two
/// letters swapped or a letter short gets a suggestion (issue 24, item 14).
#[test]
fn a_topic_in_capitals_is_taken_and_one_with_a_swap_is_suggested() {
    let env = crate::common::Env::new();
    for (typed, near) in [("rga", "rag"), ("agent", "agents"), ("Agent", "agents")] {
        let out = env.run(&["--offline", "practice", "--topic", typed]);
        assert_eq!(out.code, 2, "{typed}: {out:?}");
        assert!(
            out.stderr.contains(&format!("did you mean `{near}`?")),
            "{typed}: {}",
            out.stderr
        );
    }
    let listed = env.run(&["list", "--topic", "RAG"]);
    assert_eq!(listed.code, 0, "{listed:?}");
    assert!(listed.stdout.starts_with("rag · "), "{}", listed.stdout);
    assert!(listed.stdout.contains("hyde"), "{}", listed.stdout);
    let asked = env.run_with(
        &["--offline", "practice", "--topic", "Rag", "--count", "1"],
        "",
        &[],
    );
    assert_eq!(asked.code, 0, "{asked:?}");
    assert!(
        asked.stdout.contains("Question 1/1 · rag ·"),
        "{}",
        asked.stdout
    );
    // A question id likewise: `HyDE` is `hyde`.
    let shown = env.run(&["show", "HyDE"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.starts_with("hyde · "), "{}", shown.stdout);
}
