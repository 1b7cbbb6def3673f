//! `grill export`: the bank as an Anki text-import file and the answer
//! history as CSV, read back with the `csv` crate as Anki and spreadsheets
//! would read them.

use crate::common::Env;
use crate::grade::BANK;

/// A question whose text holds everything a field must survive: a tab, a
/// line break, double quotes, `<`, `&`, and a leading `#`.
const AWKWARD: &str = r##"topic = "awkward"
title = "Awkward text"

[[questions]]
id = "awk"
question = "# Why \"quote\"\tand tab?\nSay <why> & how."
difficulty = "advanced"
wants_example = true
model_answer = """
Because "fields" hold	tabs, <tags> & ampersands.
- and line breaks
"""

[[questions.key_points]]
id = "quotes"
point = "Quotes are \"doubled\" & <kept>"
"##;

/// The records of an Anki file: tab-separated, `#` header lines skipped.
fn anki_records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("a well-formed record")
                .iter()
                .map(String::from)
                .collect()
        })
        .collect()
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            r.expect("a well-formed row")
                .iter()
                .map(String::from)
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn the_anki_file_has_the_headers_anki_reads_and_one_note_per_question() {
    let env = Env::new();
    let out = env.run(&["export", "--format", "anki"]);
    assert_eq!(out.code, 0, "{out:?}");
    let head: Vec<&str> = out.stdout.lines().take(6).collect();
    assert_eq!(
        head,
        [
            "#separator:tab",
            "#html:true",
            "#notetype:Basic",
            "#columns:Front\tBack\tTags\tGUID",
            "#tags column:3",
            "#guid column:4",
        ]
    );
    let records = anki_records(&out.stdout);
    let listed = env.run(&["list", "--json"]).json();
    assert_eq!(records.len(), listed.as_array().unwrap().len());
    for r in &records {
        assert_eq!(r.len(), 4, "{r:?}");
        assert!(r[1].contains("<b>Key points</b><ul><li>"), "{r:?}");
        assert!(r[3].starts_with("grill-"), "{r:?}");
    }
    let rag = records
        .iter()
        .find(|r| r[3] == "grill-rag-vs-fine-tuning")
        .expect("a note for rag-vs-fine-tuning");
    assert_eq!(
        rag[0],
        "Explain how RAG works and when you would use it instead of fine-tuning."
    );
    assert_eq!(rag[2], "grill::topic::rag grill::difficulty::core");
}

#[test]
fn awkward_text_is_escaped_as_html_and_quoted_as_anki_expects() {
    let env = Env::new();
    env.write("bank/awkward.toml", AWKWARD);
    let out = env.run(&[
        "--bank", "bank", "export", "--format", "anki", "--topic", "awkward",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    // The raw file: the field is quoted and its quotes doubled.
    assert!(
        out.stdout
            .contains("\n\"# Why \"\"quote\"\"\tand tab?<br>Say &lt;why&gt; &amp; how."),
        "{out:?}"
    );
    let records = anki_records(&out.stdout);
    assert_eq!(records.len(), 1, "only the topic asked for: {records:?}");
    let note = &records[0];
    assert_eq!(
        note[0],
        "# Why \"quote\"\tand tab?<br>Say &lt;why&gt; &amp; how.<br><br><i>Include an example from your own work.</i>"
    );
    assert_eq!(
        note[1],
        "Because \"fields\" hold\ttabs, &lt;tags&gt; &amp; ampersands.<br>- and line breaks<br><br><b>Key points</b><ul><li>Quotes are \"doubled\" &amp; &lt;kept&gt;</li></ul>"
    );
    assert_eq!(note[2], "grill::topic::awkward grill::difficulty::advanced");
    assert_eq!(note[3], "grill-awk");
}

#[test]
fn out_writes_the_file_says_so_and_keeps_an_existing_one_without_force() {
    let env = Env::new();
    env.write("bank/awkward.toml", AWKWARD);
    let args = [
        "--bank", "bank", "export", "--format", "anki", "--topic", "awkward", "--out", "deck.txt",
    ];
    let out = env.run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "", "the export goes to the file only");
    assert!(out.stderr.contains("wrote 1 note to `deck.txt`"), "{out:?}");
    let written = std::fs::read_to_string(env.path("deck.txt")).unwrap();
    assert!(written.starts_with("#separator:tab\n"), "{written}");
    assert_eq!(anki_records(&written).len(), 1);

    std::fs::write(env.path("deck.txt"), "mine").unwrap();
    let again = env.run(&args);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(
        again.stderr.contains("`deck.txt` already exists"),
        "{again:?}"
    );
    assert!(again.stderr.contains("--force"), "{again:?}");
    assert_eq!(
        std::fs::read_to_string(env.path("deck.txt")).unwrap(),
        "mine"
    );

    let forced = env.run(&[&args[..], &["--force"]].concat());
    assert_eq!(forced.code, 0, "{forced:?}");
    assert_eq!(
        std::fs::read_to_string(env.path("deck.txt")).unwrap(),
        written
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_export_quietly() {
    let env = Env::new();
    let mut child = env
        .command(&["export", "--format", "anki"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The built-in deck is larger than a pipe's buffer, so the write fails.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(err, "");
}

#[test]
fn out_into_a_missing_directory_fails_naming_it_and_writes_nothing() {
    let env = Env::new();
    let out = env.run(&["export", "--format", "csv", "--out", "nowhere/history.csv"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(
        out.stderr.contains("cannot write `nowhere/history.csv`"),
        "{out:?}"
    );
    assert!(!env.path("nowhere").exists());
    let stray: Vec<_> = std::fs::read_dir(env.home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("history") || n.contains(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn bad_flags_and_unknown_topics_are_usage_errors() {
    let env = Env::new();
    let unknown = env.run(&["export", "--format", "anki", "--topic", "rgg"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("unknown topic `rgg`"),
        "{unknown:?}"
    );
    assert!(
        unknown.stderr.contains("did you mean `rag`?"),
        "{unknown:?}"
    );
    assert_eq!(unknown.stdout, "");

    let history = env.run(&["export", "--format", "csv", "--topic", "nope"]);
    assert_eq!(history.code, 2, "{history:?}");
    assert!(
        history.stderr.contains("unknown topic `nope`"),
        "{history:?}"
    );

    let format = env.run(&["export", "--format", "pdf"]);
    assert_eq!(format.code, 2, "{format:?}");
    assert!(format.stderr.contains("--format"), "{format:?}");

    let missing = env.run(&["export"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("--format"), "{missing:?}");

    let force = env.run(&["export", "--format", "csv", "--force"]);
    assert_eq!(
        force.code, 2,
        "--force means nothing without --out: {force:?}"
    );
}

/// The history's columns, in order.
const COLUMNS: [&str; 15] = [
    "attempt",
    "created_at",
    "session",
    "mode",
    "question",
    "topic",
    "status",
    "grader",
    "score",
    "counted",
    "seconds",
    "cut_off",
    "key_points",
    "mistakes",
    "answer",
];

#[test]
fn an_empty_history_is_the_header_alone() {
    let env = Env::new();
    let out = env.run(&["export", "--format", "csv"]);
    assert_eq!(out.code, 0, "{out:?}");
    let (header, rows) = csv_rows(&out.stdout);
    assert_eq!(header, COLUMNS);
    assert!(rows.is_empty(), "{rows:?}");
}

#[test]
fn the_history_csv_has_a_row_per_answer_with_its_points_and_exact_text() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);

    // A self-graded practice answer: covered, missing, partial.
    let practised = "We test, \"always\", to catch regressions.\nSecond line, too.";
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ],
        &format!("{practised}\n\ny\nn\np\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    // A keyword estimate from a file, outside any session.
    let estimated = "Refactor, then \"document\";\nthen\tdone.";
    env.write("answer.txt", estimated);
    let out = env.run(&[
        "--bank",
        "bank",
        "--offline",
        "grade",
        "--question",
        "tq",
        "--answer-file",
        "answer.txt",
    ]);
    assert_eq!(out.code, 0, "{out:?}");

    let out = env.run(&["--bank", "bank", "export", "--format", "csv"]);
    assert_eq!(out.code, 0, "{out:?}");
    let (header, rows) = csv_rows(&out.stdout);
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let col = |row: &[String], name: &str| -> String {
        row[header.iter().position(|h| h == name).unwrap()].clone()
    };
    let (first, second) = (&rows[0], &rows[1]);
    assert_eq!(col(first, "mode"), "practice");
    assert_eq!(col(first, "question"), "tq");
    assert_eq!(col(first, "topic"), "testing");
    assert_eq!(col(first, "status"), "graded");
    assert_eq!(col(first, "grader"), "self");
    // regressions 2 of 4, refactor half of 1: 2.5 / 4 -> 6.3
    assert_eq!(col(first, "score"), "6.3");
    assert_eq!(col(first, "counted"), "true");
    assert_eq!(
        col(first, "key_points"),
        "regressions=covered;docs=missing;refactor=partial"
    );
    assert_eq!(col(first, "answer"), practised);
    assert!(!col(first, "session").is_empty());
    assert!(col(first, "created_at").ends_with('Z'), "{first:?}");

    assert_eq!(col(second, "mode"), "");
    assert_eq!(col(second, "session"), "");
    assert_eq!(col(second, "grader"), "cues");
    assert_eq!(col(second, "counted"), "false", "an estimate never counts");
    assert_eq!(
        col(second, "key_points"),
        "regressions=missing;docs=covered;refactor=covered"
    );
    assert_eq!(col(second, "answer"), estimated);
    assert!(
        col(second, "attempt").parse::<i64>().unwrap()
            > col(first, "attempt").parse::<i64>().unwrap()
    );

    // The file form holds the same bytes.
    let saved = env.run(&[
        "--bank", "bank", "export", "--format", "csv", "--out", "h.csv",
    ]);
    assert_eq!(saved.code, 0, "{saved:?}");
    assert!(
        saved.stderr.contains("wrote 2 answers to `h.csv`"),
        "{saved:?}"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("h.csv")).unwrap(),
        out.stdout
    );
    // A topic with no answers gives the header alone.
    let other = env.run(&[
        "--bank", "bank", "export", "--format", "csv", "--topic", "rag",
    ]);
    assert_eq!(other.code, 0, "{other:?}");
    assert_eq!(csv_rows(&other.stdout).1.len(), 0, "{other:?}");
}
