//! Regression tests for the third outside attack on text (issue 25, items
//! 6, 7 and 13): bidi controls in judge text, bank text and answers; judge
//! strings of any length; evidence quoted in another Unicode form than the
//! answer's.

use serde_json::{json, Value};

use super::grade::{echo_verdict, Judged, BANK};
use crate::common::fake_server::Reply;
use crate::common::{Env, Output};

/// Every bidi formatting character: embeddings, overrides, isolates, marks.
const BIDI: [char; 12] = [
    '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
];

fn bidi_run() -> String {
    BIDI.iter().collect()
}

fn assert_no_bidi(what: &str, out: &Output) {
    assert_eq!(out.code, 0, "{what}: {out:?}");
    for c in BIDI {
        assert!(
            !out.stdout.contains(c) && !out.stderr.contains(c),
            "{what}: U+{:04X} printed: {out:?}",
            u32::from(c)
        );
    }
}

fn assert_no_bidi_in(what: &str, text: &str) {
    for c in BIDI {
        assert!(!text.contains(c), "{what}: U+{:04X} written", u32::from(c));
    }
}

// 7. Bidi controls in the judge's text are never printed.
#[test]
fn bidi_controls_in_judge_text_are_never_printed() {
    let run = bidi_run();
    let verdict = json!({
        "key_points": {
            "regressions": {"evidence": "Tests catch regressions before users", "coverage": "covered"},
            "docs": {"evidence": "", "coverage": "missing"},
            "refactor": {"evidence": "", "coverage": "missing"},
        },
        "mistakes": [{"quote": "They also document how the code behaves", "correction": format!("fix{run}this")}],
        "feedback": format!("Good. Run it as {run}txt.exe"),
        "follow_up": format!("Why{run}?"),
    });
    let t = Judged::new(move |_, _| Reply::verdict(&verdict));
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["grade", "--question", "tq", "--answer-file", "answer.txt"];
        args.extend_from_slice(extra);
        let out = t.grill(&args, "", &[]);
        assert_no_bidi("grade", &out);
        assert!(out.stdout.contains("txt.exe"), "{out:?}");
    }
    for args in [&["history", "--json"][..], &["history"][..]] {
        assert_no_bidi(&args.join(" "), &t.grill(args, "", &[]));
    }
}

// 7. Bidi controls in bank text and answers reach neither the terminal nor an export.
#[test]
fn bidi_controls_in_bank_text_and_answers_are_never_shown_or_exported() {
    let run = bidi_run();
    let env = Env::new();
    let bank = BANK
        .replace("Why do we test?", &format!("Why do we {run}test?"))
        .replace(
            "Tests catch regressions, document",
            &format!("Tests catch {run}regressions, document"),
        );
    env.write("bank/testing.toml", &bank);
    let answer = format!("We test to catch {run}regressions.");
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ],
        &format!("{answer}\n\ny\nn\np\n"),
        &[],
    );
    assert_no_bidi("practice", &out);
    for args in [
        &["show", "tq"][..],
        &["show", "tq", "--json"][..],
        &["list"][..],
        &["history"][..],
        &["history", "--json"][..],
        &["report"][..],
        &["export", "--format", "csv"][..],
        &["export", "--format", "anki"][..],
    ] {
        let mut full = vec!["--bank", "bank"];
        full.extend_from_slice(args);
        assert_no_bidi(&args.join(" "), &env.run(&full));
    }
    // `--json` keeps the answer exact, escaped.
    let history = env.run(&["--bank", "bank", "history", "--json"]).json();
    assert_eq!(history[0]["answer"], answer, "{history}");
    let out = env.run(&[
        "--bank", "bank", "export", "--format", "csv", "--out", "h.csv",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_no_bidi_in(
        "h.csv",
        &std::fs::read_to_string(env.path("h.csv")).unwrap(),
    );
}

/// The score of `answer` when the judge quotes `quote` for `regressions`
/// (weight 2 of 4) and nothing else: 5.0 credited, 0.0 not.
fn score_quoting(answer: &str, quote: &str) -> Value {
    let verdict = json!({
        "key_points": {
            "regressions": {"evidence": quote, "coverage": "covered"},
            "docs": {"evidence": "", "coverage": "missing"},
            "refactor": {"evidence": "", "coverage": "missing"},
        },
        "mistakes": [],
        "feedback": "ok",
        "follow_up": "and?",
    });
    let t = Judged::new(move |_, _| Reply::verdict(&verdict));
    t.env.write("answer.txt", answer);
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    out.json()
}

// 13. A quote in another Unicode form than the answer's is still the answer's words.
#[test]
fn evidence_in_another_unicode_form_is_credited() {
    let quote = "catch regressions before the café ships";
    for (what, answer) in [
        ("NFD answer, NFC quote", "Tests catch regressions before the cafe\u{301} ships."),
        ("zero-width space inside a word", "Tests catch regre\u{200b}ssions before the café ships."),
        ("soft hyphen and word joiner", "Tests catch regres\u{ad}sions be\u{2060}fore the café ships."),
        ("fullwidth letters", "Tests catch \u{ff52}\u{ff45}\u{ff47}\u{ff52}\u{ff45}\u{ff53}\u{ff53}\u{ff49}\u{ff4f}\u{ff4e}\u{ff53} before the café ships."),
        ("Turkish capital dotted I", "TESTS CATCH REGRESS\u{130}ONS BEFORE THE CAFÉ SHIPS."),
        ("a loose combining mark", "Tests catch regressions\u{334}\u{35c} before the café ships."),
    ] {
        let v = score_quoting(answer, quote);
        assert_eq!(v["score"], 5.0, "{what}: {v}");
        assert_eq!(v["key_points"][0]["verified"], true, "{what}: {v}");
    }
    // The other way round: the answer in NFC, the quote in NFD.
    let v = score_quoting(
        "Tests catch regressions before the café ships.",
        "catch regressions before the cafe\u{301} ships",
    );
    assert_eq!(v["score"], 5.0, "{v}");
}

// 13. A look-alike letter from another script is never the answer's.
#[test]
fn a_confusable_quote_gains_nothing() {
    let answer = "Tests catch regressions before the cafe ships.";
    for quote in [
        "c\u{430}tch regressions before the cafe ships", // Cyrillic а
        "catch r\u{435}gressions before the cafe ships", // Cyrillic е
        "catch regressions bef\u{3bf}re the cafe ships", // Greek ο
    ] {
        let v = score_quoting(answer, quote);
        assert_eq!(v["score"], 0.0, "{quote}: {v}");
        assert_eq!(v["key_points"][0]["verified"], false, "{v}");
    }
    // And a Cyrillic answer is not credited by a Latin quote.
    let v = score_quoting(
        "Tests c\u{430}tch regressions before the cafe ships.",
        "catch regressions before the cafe ships",
    );
    assert_eq!(v["score"], 0.0, "{v}");
}

// 6. A judge's 900 KB follow-up and feedback are capped when read: printed,
//    stored and sent in the next prompt at the schema's bounds.
#[test]
fn a_huge_follow_up_and_feedback_are_capped_when_read() {
    let follow_up = format!(
        "How do tests make refactoring safer? {}",
        "really ".repeat(80_000)
    );
    let feedback = format!("Good. {}", "more ".repeat(60_000));
    let long_quote = format!(
        "Tests catch regressions before users {}",
        "do ".repeat(20_000)
    );
    let first = json!({
        "key_points": {
            "regressions": {"evidence": long_quote, "coverage": "covered"},
            "docs": {"evidence": "", "coverage": "missing"},
            "refactor": {"evidence": "", "coverage": "missing"},
        },
        "mistakes": (0..20).map(|_| json!({"quote": "They also", "correction": "x".repeat(5_000)})).collect::<Vec<_>>(),
        "feedback": feedback,
        "follow_up": follow_up,
    });
    assert!(first.to_string().len() > 900_000);
    let t = Judged::new(move |req, _| {
        if req.prompt_text().contains("Follow-up:") {
            echo_verdict(req)
        } else {
            Reply::verdict(&first)
        }
    });
    let stdin = "Tests catch regressions before users do. They also help.\n\nI can change the code without fear.\n\n";
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{}", &out.stderr);
    assert!(
        out.stdout.len() < 20_000,
        "{} bytes printed",
        out.stdout.len()
    );
    assert!(out.stdout.contains("How do tests make refactoring safer?"));
    let history = t.grill(&["history", "--json"], "", &[]).json();
    let v = &history[0]["verdict"];
    let chars = |x: &Value| x.as_str().unwrap().chars().count();
    assert!(chars(&v["key_points"][0]["evidence"]) <= 200, "{v}");
    assert!(chars(&v["feedback"]) <= 400, "{v}");
    assert!(chars(&v["follow_ups"][0]["question"]) <= 200, "{v}");
    assert_eq!(v["mistakes"].as_array().unwrap().len(), 3, "{v}");
    assert!(chars(&v["mistakes"][0]["correction"]) <= 200, "{v}");

    let requests = t.server.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].body.len() < 30_000,
        "the next prompt: {} bytes",
        requests[1].body.len()
    );
    let conn = rusqlite::Connection::open(t.env.db()).unwrap();
    let (verdict, extra): (i64, i64) = conn
        .query_row(
            "SELECT length(verdict), coalesce(length(extra), 0) FROM attempts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(verdict < 10_000 && extra < 10_000, "{verdict} {extra}");
    let cached: i64 = conn
        .query_row("SELECT max(length(verdict)) FROM verdict_cache", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(cached < 10_000, "{cached}");
}
