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
    let wide = env.run_with(&["list"], "", &[("COLUMNS", "250")]);
    assert!(
        !wide.stdout.contains('…'),
        "nothing cut at 250: {}",
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
