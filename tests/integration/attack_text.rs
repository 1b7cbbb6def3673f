//! Regression tests for the third outside attack on text (issue 25, items
//! 6, 7 and 13): bidi controls in judge text, bank text and answers; judge
//! strings of any length; evidence quoted in another Unicode form than the
//! answer's.

use serde_json::json;

use super::grade::{Judged, BANK};
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
