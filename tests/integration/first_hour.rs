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
