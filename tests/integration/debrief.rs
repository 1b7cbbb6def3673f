//! The debrief (`grill report`), one past attempt in full (`grill show
//! --attempt N`), and how a score is explained: each point's weight and
//! what it earned, a word for self-grades, advice that names what was
//! missed, long answers capped in the terminal, and `review --list`
//! showing the score after the follow-up. The real binary, piped.

use serde_json::Value;

use crate::common::fake_server::Reply;
use crate::followups::{interviewer, ANSWER as SHORT_ANSWER, FOLLOW_UP_ANSWER};
use crate::grade::{verdict, Judged, ANSWER};

/// regressions covered, docs partial, refactor missing; one mistake quoted
/// from the answer's second line.
fn mixed() -> Value {
    verdict(
        &[
            (
                "regressions",
                "covered",
                "Tests catch regressions before users",
            ),
            ("docs", "partial", "document how the code behaves"),
            ("refactor", "missing", ""),
        ],
        1,
    )
}

const MODEL_ANSWER: &str = "Tests catch regressions, document behaviour and allow refactoring.";

#[test]
fn the_interview_debrief_names_each_point_in_words_with_its_quote_and_folds_the_model_answer() {
    let t = Judged::new(|_, _| Reply::verdict(&mixed()));
    let out = t.grill(
        &["interview", "--question", "tq", "--minutes", "5"],
        &format!("{ANSWER}\n\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    // An interview held its verdicts back: its end is the debrief, the
    // points in words with their quotes.
    for line in [
        "Key points (earned/weight; 1 of 3 key points covered, 1 partly)",
        "  ✓   2/2  Tests catch regressions\n           “Tests catch regressions before users”\n",
        "Model answers are folded: `grill report 1 --model-answer` shows them",
    ] {
        assert!(
            out.stdout.contains(line),
            "missing {line:?} in:\n{}",
            out.stdout
        );
    }

    let report = t.grill(&["report"], "", &[]);
    assert_eq!(report.code, 0, "{report:?}");
    let text = &report.stdout;
    for line in [
        "1. tq · 5.3/10 · partial answer · graded by llm:test-model · attempt 1",
        "Your answer\n  Tests catch regressions before users do.\n",
        "Key points (earned/weight; 1 of 3 key points covered, 1 partly)",
        "  ✓   2/2  Tests catch regressions\n           “Tests catch regressions before users”\n",
        "  ½ 0.5/1  Tests document behaviour\n           “document how the code behaves”\n",
        "  ✗   0/1  Tests make refactoring safe\n",
        "  earned 2.5 of 4 → 6.3/10, −1 for 1 mistake = 5.3",
        "Mistakes\n  ✗ “They also document how the code behaves”\n    → right\n",
        "Next time\n  - Make the point: Tests make refactoring safe\n  - Say more on: Tests document behaviour\n  - Be ready for: How do tests make refactoring safer?\n",
        "Judge's notes\n  Good on regressions; say more about refactoring.",
        "Model answers are folded: `grill report 1 --model-answer` shows them",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains(MODEL_ANSWER), "folded:\n{text}");
    // No follow-up was asked (a pipe asks none), so none is listed.
    assert!(!text.contains("Follow-up"), "{text}");

    let open = t.grill(&["report", "--model-answer"], "", &[]).stdout;
    assert!(
        open.contains(&format!("Model answer\n  {MODEL_ANSWER}\n")),
        "{open}"
    );
    let md = t.grill(&["report", "--format", "md"], "", &[]).stdout;
    assert!(
        md.contains(&format!(
            "<details><summary>Model answer</summary>\n\n{MODEL_ANSWER}\n\n</details>"
        )),
        "{md}"
    );
    assert!(
        md.contains(
            "- ½ **0.5/1** Tests document behaviour — partial: “document how the code behaves”"
        ),
        "{md}"
    );
    let json = t.grill(&["report", "--format", "json"], "", &[]).json();
    assert_eq!(
        json["attempts"][0]["next_time"],
        serde_json::json!({"missed": ["refactor"], "partial": ["docs"]})
    );
}

#[test]
fn show_attempt_opens_a_past_answer_with_its_full_verdict() {
    let t = Judged::new(|_, _| Reply::verdict(&mixed()));
    let graded = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[],
    );
    assert_eq!(graded.code, 0, "{graded:?}");
    let out = t.grill(&["show", "--attempt", "1"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    for line in [
        "Attempt 1 · tq",
        "Why do we test?",
        "Your answer\n  Tests catch regressions before users do.\n  They also document how the code behaves.\n",
        "Score 5.3/10 · partial answer",
        "  ½ 0.5/1  Tests document behaviour",
        "→ right",
        &format!("Model answer\n  {MODEL_ANSWER}"),
    ] {
        assert!(out.stdout.contains(line), "missing {line:?}:\n{}", out.stdout);
    }
    let json = t
        .grill(&["show", "--attempt", "1", "--json"], "", &[])
        .json();
    assert_eq!(json["attempt_id"], 1);
    assert_eq!(json["answer"], ANSWER);
    assert_eq!(json["model_answer"], MODEL_ANSWER);
    assert_eq!(json["verdict"]["score"], 5.3);
    assert_eq!(json["verdict"]["headline"], "partial");
    let docs = &json["verdict"]["key_points"][1];
    assert_eq!(docs["point"], "Tests document behaviour");
    assert_eq!(docs["earned"], 0.5);
    assert_eq!(json["verdict"]["mistakes"][0]["correction"], "right");

    let history = t.grill(&["history"], "", &[]).stdout;
    assert!(
        history
            .lines()
            .next()
            .unwrap()
            .contains("session  attempt  question"),
        "{history}"
    );
    assert!(
        history.lines().nth(1).unwrap().contains("        1  tq"),
        "{history}"
    );
    let missing = t.grill(&["show", "--attempt", "9"], "", &[]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.starts_with("error: no attempt 9\n"),
        "{missing:?}"
    );
    let neither = t.grill(&["show"], "", &[]);
    assert_eq!(neither.code, 2, "{neither:?}");
}

#[test]
fn grade_shows_what_each_point_earned_of_its_weight() {
    let t = Judged::new(|_, _| Reply::verdict(&mixed()));
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("  ✓   2/2  Tests catch regressions\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  earned 2.5 of 4 → 6.3/10, −1 for 1 mistake = 5.3\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn practice_advice_names_the_missed_and_partial_points_not_the_one_just_recovered() {
    let t = Judged::new(|_, _| Reply::error(500, "unused"));
    // The follow-up, asked first, is about docs; then the self-grade:
    // regressions y, docs n, refactor p; the follow-up recovers docs.
    let stdin = "Tests catch regressions.\n\nThey describe what the code does.\n\ny\nn\np\ny\n";
    let out = t.grill(
        &[
            "--offline",
            "practice",
            "--question",
            "tq",
            "--follow-ups",
            "1",
        ],
        stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    // A self-grade has its verdict word and its count, as a judge's has.
    assert!(
        out.stdout
            .contains("· partial answer (self-graded: 1 of 3 key points covered, 1 partly)"),
        "{}",
        out.stdout
    );
    let end = &out.stdout[out.stdout.find("Practice report").unwrap()..];
    assert!(
        !end.contains("make this point: Tests document behaviour"),
        "{end}"
    );
    assert!(
        end.contains("Next time\n  - tq: say more on: Tests make refactoring safe"),
        "{end}"
    );

    let report = t.grill(&["report"], "", &[]).stdout;
    assert!(
        report.contains("Next time\n  - Say more on: Tests make refactoring safe\n"),
        "{report}"
    );
    assert!(
        !report.contains("Make the point: Tests document behaviour"),
        "{report}"
    );
    assert!(
        report.contains("→ recovered: Tests document behaviour"),
        "{report}"
    );
}

#[test]
fn a_long_answer_is_capped_in_the_text_report_and_whole_in_markdown() {
    let t = Judged::new(|_, _| Reply::error(500, "unused"));
    let lines: Vec<String> = (1..=30)
        .map(|i| format!("Line {i} of a long pasted answer about regressions."))
        .collect();
    let stdin = format!("{}\n\ny\nn\nn\n", lines.join("\n"));
    let out = t.grill(&["--offline", "practice", "--question", "tq"], &stdin, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let text = t.grill(&["report"], "", &[]).stdout;
    assert!(text.contains("Line 8 of a long"), "{text}");
    assert!(!text.contains("Line 9 of a long"), "{text}");
    assert!(
        text.contains("… cut here; `grill show --attempt 1` shows all of it"),
        "{text}"
    );
    let md = t.grill(&["report", "--format", "md"], "", &[]).stdout;
    assert!(md.contains("> Line 30 of a long pasted answer"), "{md}");
}

#[test]
fn review_list_shows_the_stored_score_with_the_follow_up() {
    let t = Judged::new(interviewer);
    let stdin = format!("{SHORT_ANSWER}\n\n{FOLLOW_UP_ANSWER}\n\n");
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        &stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let list = t.grill(&["review", "--list", "--json"], "", &[]).json();
    // 5.0 for the answer alone; 6.3 with refactor recovered.
    assert_eq!(list[0]["last_score"], 6.3, "{list}");
    let text = t.grill(&["review", "--list"], "", &[]).stdout;
    assert!(text.contains("6.3"), "{text}");
    assert!(!text.contains("5.0"), "{text}");
}

/// Offline, the candidate's answer comes back under the model answer, just
/// above the checklist, its first lines only (issue 24 item 10: it had
/// scrolled away under the model answer).
#[test]
fn the_checklist_shows_the_answer_again_under_the_model_answer() {
    let t = Judged::new(|_, _| Reply::error(500, "unused"));
    let out = t.grill(
        &[
            "--offline",
            "practice",
            "--question",
            "tq",
            "--follow-ups",
            "0",
        ],
        "Tests catch regressions.\n\ny\nn\nn\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let after = &out.stdout[out.stdout.find("Model answer").expect("model answer")..];
    assert!(
        after.contains("Your answer\n  Tests catch regressions.\n\nGrade yourself"),
        "{after}"
    );

    let long: String = (1..=20)
        .map(|i| format!("line {i} of it"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let out = t.grill(
        &[
            "--offline",
            "practice",
            "--question",
            "tq",
            "--follow-ups",
            "0",
        ],
        &format!("{long}\ny\nn\nn\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let after = &out.stdout[out.stdout.find("Your answer").expect("the answer")..];
    assert!(
        after.contains("  line 8 of it\n  … 12 more lines\n"),
        "{after}"
    );
    assert!(!after[..after.find("Grade yourself").unwrap()].contains("line 9 of it"));
}
