//! Regression tests for the third outside attack on banks (issue 25, items
//! 11 and 12): `bank check` quadratic in the bank, bank files of any size,
//! an import that stopped half way on a long heading and dropped non-ASCII
//! letters from names, and ids of any length.

use std::fmt::Write as _;

use crate::common::{repo, Env, Output};

/// `copies` copies of the built-in bank in `dir`, ids and topics suffixed
/// `-cK`: real cues and model answers, as `scripts/bench bank-check` makes.
fn copied_bank(env: &Env, dir: &str, copies: usize) -> usize {
    let mut questions = 0;
    for entry in std::fs::read_dir(repo().join("questions")).unwrap() {
        let path = entry.unwrap().path();
        let topic = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for k in 1..=copies {
            let mut copy = String::with_capacity(text.len() + 1024);
            for line in text.lines() {
                if line == format!("topic = \"{topic}\"") {
                    let _ = writeln!(copy, "topic = \"{topic}-c{k}\"");
                } else if let Some(id) = line
                    .strip_prefix("id = \"")
                    .and_then(|r| r.strip_suffix('"'))
                {
                    let _ = writeln!(copy, "id = \"{id}-c{k}\"");
                } else {
                    copy.push_str(line);
                    copy.push('\n');
                }
            }
            questions += copy.matches("[[questions]]").count();
            env.write(&format!("{dir}/{topic}-c{k}.toml"), &copy);
        }
    }
    questions
}

// 11. `bank check` on 6,000 questions. Its generic-cue scan compared every
//     cue with every model answer: 43 s for 6,059 questions in the attack,
//     hours in a debug build, far past the harness's limit. Indexed, it is
//     linear; nothing here times it (scripts/bench bank-check measures it
//     beside loading).
#[test]
fn bank_check_of_six_thousand_questions_finishes() {
    let env = Env::new();
    let n = copied_bank(&env, "big", 102);
    assert!(n >= 6000, "{n}");
    let out = env.run(&["bank", "check", "big"]);
    assert_eq!(out.code, 0, "{}", out.stderr.lines().last().unwrap_or(""));
    assert!(
        out.stdout
            .starts_with(&format!("ok: {} questions", n + n / 102)),
        "{}",
        out.stdout
    );
}

// 11. A bank file past the size cap is refused, naming it, before it is read.
#[test]
fn a_bank_file_over_the_cap_is_refused_with_its_size() {
    let env = Env::new();
    let mut text = String::from("topic = \"huge\"\ntitle = \"Huge\"\n");
    let pad = format!("# {}\n", "x".repeat(1022));
    text.push_str(&pad.repeat(33 * 1024));
    env.write("huge/huge.toml", &text);
    for args in [
        &["--bank", "huge", "list"][..],
        &["bank", "check", "huge"][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr
                .contains("huge.toml` is 33.0 MiB; a bank file may be at most 32 MiB"),
            "{out:?}"
        );
    }
}

fn bank_check(env: &Env, text: &str) -> Output {
    env.write("ids/ids.toml", text);
    env.run(&["bank", "check", "ids"])
}

fn one_question(id: &str, point_id: &str) -> String {
    format!(
        "topic = \"ids\"\ntitle = \"Ids\"\n\n[[questions]]\nid = \"{id}\"\nquestion = \"Why?\"\ndifficulty = \"core\"\nmodel_answer = \"Because.\"\n\n[[questions.key_points]]\nid = \"{point_id}\"\npoint = \"Because\"\n"
    )
}

// 12. `bank check` refuses a 5,000-character id, and says so in a line.
#[test]
fn bank_check_refuses_an_id_of_five_thousand_characters() {
    let env = Env::new();
    let long = "a".repeat(5000);
    for (id, point) in [(long.as_str(), "p"), ("q", long.as_str())] {
        let out = bank_check(&env, &one_question(id, point));
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains("5000 characters"), "{out:?}");
        assert!(out.stderr.contains("at most 64"), "{out:?}");
        assert!(
            out.stderr.len() < 2000,
            "{} bytes: {out:?}",
            out.stderr.len()
        );
    }
    let ok = bank_check(&env, &one_question(&"a".repeat(64), "p"));
    assert_eq!(ok.code, 0, "{ok:?}");
}

fn files_in(env: &Env, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.path(dir))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

// 12. A 3,000-character heading is a slug of at most 48, and the import
//     writes every file.
#[test]
fn a_long_heading_makes_a_short_topic_slug() {
    let env = Env::new();
    let heading = "Retrieval ".repeat(300);
    env.write(
        "notes.md",
        &format!(
            "## Basics\n\nQ: What is a vector index?\nA structure that finds near neighbours fast.\n\n## {heading}\n\nQ: Why rerank retrieved passages?\nA cross-encoder reads query and passage together and orders them better.\n"
        ),
    );
    let out = env.run(&["--offline", "bank", "import", "notes.md", "--out", "mine"]);
    assert_eq!(out.code, 0, "{out:?}");
    let files = files_in(&env, "mine");
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert!(f.len() <= 48 + ".toml".len(), "{f}");
    }
    assert!(files.contains(&"basics.toml".to_string()), "{files:?}");
    let check = env.run(&["bank", "check", "mine"]);
    assert_eq!(check.code, 0, "{check:?}");
}

// 12. A write that fails half way leaves nothing: here the second file is
//     past a 16 KiB file-size limit, after the first was written.
#[cfg(unix)]
#[test]
fn an_import_that_fails_half_way_writes_no_file() {
    let env = Env::new();
    let long_answer = "Retrieved passages are reordered by a cross-encoder. ".repeat(1000);
    env.write(
        "notes.md",
        &format!(
            "## Basics\n\nQ: What is a vector index?\nA structure that finds near neighbours fast.\n\n## Reranking\n\nQ: Why rerank retrieved passages?\n{long_answer}\n"
        ),
    );
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c")
        .arg("trap '' XFSZ; ulimit -f 16; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_grill"))
        .args(["--offline", "bank", "import", "notes.md", "--out", "mine"])
        .current_dir(env.home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.home.path())
        .env("GRILL_HOME", env.path("data"))
        .env("GRILL_CONFIG", env.path("config.toml"))
        .env("NO_COLOR", "1");
    let out = crate::common::run(cmd, b"");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("reranking.toml"), "{out:?}");
    assert_eq!(files_in(&env, "mine"), Vec::<String>::new(), "{out:?}");
}

// 12. Non-ASCII letters in names are transliterated, not dropped.
#[test]
fn non_ascii_headings_and_questions_are_transliterated() {
    let env = Env::new();
    env.write(
        "notes.md",
        "## Évaluer les modèles\n\nQ: Qu'est-ce qu'une métrique de pertinence?\nUne mesure de l'accord entre le classement et les jugements humains.\n\n## \u{430}pple\n\nQ: Why is the apple red?\nBecause of anthocyanins in its skin, made in sunlight.\n",
    );
    let out = env.run(&["--offline", "bank", "import", "notes.md", "--out", "mine"]);
    assert_eq!(out.code, 0, "{out:?}");
    // (`Évaluation` alone is the built-in topic `evaluation`: a clash, as it should be.)
    assert_eq!(
        files_in(&env, "mine"),
        ["apple.toml", "evaluer-les-modeles.toml"]
    );
    let list = env.run(&["--bank", "mine", "list", "--json"]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(
        list.stdout.contains("\"qu-est-ce-qu-une-metrique\""),
        "{}",
        list.stdout
    );
}
