//! Issue 13 through piped stdin: honest reports and screens, sessions,
//! stats, banks, settings, help, completions, the man page, colour, and a
//! README that matches `grill --help`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::fake_server::Reply;
use crate::common::{repo, Env};
use crate::grade::{Judged, BANK};

/// Runs with colour left to grill: no `NO_COLOR`, a colour terminal named.
fn run_coloured(
    env: &Env,
    args: &[&str],
    stdin: &str,
    vars: &[(&str, &str)],
) -> crate::common::Output {
    let mut cmd = env.command(args);
    cmd.env_remove("NO_COLOR").env("TERM", "xterm-256color");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    crate::common::run(cmd, stdin.as_bytes())
}

#[test]
fn the_report_lists_every_question_asked_with_its_outcome_and_reason() {
    let env = Env::new();
    env.write("bank/testing.toml", &crate::session::two_question_bank());
    env.write(
        "bank/more.toml",
        &BANK.replace("testing", "more").replace("\"tq\"", "\"tq3\""),
    );
    let out = run_coloured(
        &env,
        &[
            "--bank",
            "bank",
            "--offline",
            "interview",
            "--count",
            "3",
            "--minutes",
            "3",
        ],
        "tests catch regressions\n\n:skip\nhalf typed\n:quit\ny\ny\ny\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    // No escape codes on a pipe, anywhere, even with colour allowed.
    assert!(!out.stdout.contains('\x1b'), "{out:?}");
    assert!(!out.stderr.contains('\x1b'), "{out:?}");
    assert!(out.stdout.contains("Time to grade yourself"), "{out:?}");
    assert!(out.stdout.contains("skipped with :skip"), "{out:?}");
    assert!(
        out.stdout
            .contains("open when the session ended; what was typed is kept, not graded"),
        "{out:?}"
    );
    assert!(out.stdout.contains("over 1 graded answer."), "{out:?}");
    assert!(!out.stdout.contains("(s)"), "{out:?}");
    let report = env
        .run(&["--bank", "bank", "report", "--format", "json"])
        .json();
    let outcomes: Vec<&str> = report["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["scored", "skipped", "left"], "{report}");
    assert_eq!(report["attempts"][2]["answer"], "half typed");
    // The score column holds numbers only; words go to the notes.
    let text = env.run(&["--bank", "bank", "report"]).stdout;
    let table = &text[..text.find("Debrief").unwrap_or(text.len())];
    for line in table.lines().filter(|l| l.contains("skipped with")) {
        assert!(line.contains(" — "), "{text}");
    }
}

#[test]
fn warnings_under_a_minute_are_given_in_seconds() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    // 30 seconds in all: the first warning comes at once, with seconds left.
    let mut cmd = env.command(&[
        "--bank",
        "bank",
        "--offline",
        "interview",
        "--minutes",
        "0.5",
        "--question",
        "tq",
    ]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    drop(stdin);
    let out = crate::common::wait_with_timeout(child, std::time::Duration::from_secs(60));
    assert!(
        regex_like_seconds(&out.stderr),
        "seconds under a minute: {out:?}"
    );
    assert!(!out.stderr.contains("1 minute left"), "{out:?}");
}

fn regex_like_seconds(text: &str) -> bool {
    text.lines().any(|l| {
        l.split_whitespace()
            .zip(l.split_whitespace().skip(1))
            .any(|(n, unit)| n.parse::<u32>().is_ok_and(|n| n < 60) && unit.starts_with("second"))
    })
}

#[test]
fn a_failed_grade_with_json_prints_an_error_object_and_exits_1() {
    let t = Judged::new(|_, _| Reply::error(401, "bad key"));
    let out = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--json",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 1, "{out:?}");
    let v = out.json();
    assert_eq!(v["attempt_id"], 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("401"), "{v}");
}

#[test]
fn sessions_are_listed_with_their_numbers_and_history_shows_them() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    for answer in [
        "tests catch regressions\n\ny\nn\nn\n",
        "regressions and docs\n\ny\ny\nn\n",
    ] {
        let out = env.run_with(
            &[
                "--bank",
                "bank",
                "--offline",
                "practice",
                "--question",
                "tq",
            ],
            answer,
            &[],
        );
        assert_eq!(out.code, 0, "{out:?}");
    }
    let out = env.run(&["sessions"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("practice"))
        .collect();
    assert_eq!(rows.len(), 2, "{out:?}");
    assert!(
        rows[0].trim_start().starts_with('2'),
        "newest first: {out:?}"
    );
    let json = env.run(&["sessions", "--json"]).json();
    assert_eq!(json[1]["session_id"], 1);
    assert_eq!(json[1]["kind"], "practice");
    assert_eq!(json[1]["questions"], 1);
    assert_eq!(json[1]["average"], 5.0);
    let missing = env.run(&["report", "99"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("`grill sessions`"), "{missing:?}");
    let history = env.run(&["--bank", "bank", "history"]);
    assert!(
        history.stdout.starts_with("date              session"),
        "{history:?}"
    );
}

#[test]
fn stats_count_only_graded_answers_and_say_what_they_mean() {
    let t = Judged::new(|_, _| Reply::error(401, "bad key"));
    // One self-graded answer, one skip, one answer the judge failed to grade.
    let out = t.env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ],
        "regressions\n\ny\nn\nn\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let out = t.env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ],
        ":skip\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let failed = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[],
    );
    assert_eq!(failed.code, 1, "{failed:?}");
    let stats = t.env.run(&["--bank", "bank", "stats", "--json"]).json();
    let testing = stats["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "testing")
        .unwrap();
    assert_eq!(testing["attempts"], 1, "{stats}");
    assert_eq!(stats["total_attempts"], 1, "{stats}");
    assert_eq!(stats["ungraded_attempts"], 1, "{stats}");
    let text = t.env.run(&["--bank", "bank", "stats"]).stdout;
    assert!(
        text.contains("average: the mean of each question's latest counted score"),
        "{text}"
    );
    // Without --bank the topic is only in the history: no "0 of 0".
    let text = t.env.run(&["stats"]).stdout;
    assert!(!text.contains("0 of 0"), "{text}");
    assert!(
        text.contains("unseen ?: the topic is in your history"),
        "{text}"
    );
}

const BROKEN_BANK: &str = r#"topic = "mine"

[[questions]]
id = "one"
question = "Q?"
difficulty = "hard"
model_answer = ""

[[questions.key_points]]
id = "k"
point = "P"

[[questions]]
id = "hyde"
question = "Q2?"
difficulty = "core"
model_answer = "A"

# TODO: review (drafted from the answer's sentences)
[[questions.key_points]]
id = "k"
point = "P"
weight = 9
"#;

#[test]
fn bank_check_reports_every_problem_in_one_run() {
    let env = Env::new();
    env.write("bank/mine.toml", BROKEN_BANK);
    let out = env.run(&["bank", "check", "bank"]);
    assert_eq!(out.code, 2, "{out:?}");
    for want in [
        "mine.toml:6:14: unknown variant `hard`",
        "mine.toml:7:16: empty model answer",
        "mine.toml:23:10: weight must be 1, 2 or 3, not 9",
        "mine.toml:14:6: duplicate question id `hyde` (first defined at <built-in>/rag.toml",
    ] {
        assert!(out.stderr.contains(want), "{want}: {out:?}");
    }
    assert!(out.stderr.contains("has 4 problems"), "{out:?}");
    // Fixed, the marker left by `bank import` is still warned about.
    env.write(
        "bank/mine.toml",
        &BROKEN_BANK
            .replace("\"hard\"", "\"core\"")
            .replace("model_answer = \"\"", "model_answer = \"A\"")
            .replace("\"hyde\"", "\"two\"")
            .replace("weight = 9", "weight = 2"),
    );
    let out = env.run(&["bank", "check", "bank"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("mine.toml:19: a key point still marked `# TODO: review`"),
        "{out:?}"
    );
}

const NOTES: &str = "# RAG and retrieval\n\nQ: What is HyDE and when does it help?\n\nHyDE asks the model for a hypothetical answer to the query and embeds that answer instead of the short query, so retrieval matches documents written like answers rather than like questions, which helps when queries are short, vague or phrased very differently from the documents they should find, and it hurts when the hypothetical answer is wrong. It costs one extra model call per query.\n\nQ: Why keep a golden set for a retrieval system?\n\nA golden set of questions with known relevant passages lets every change to chunking or embeddings be measured before it ships. Without one, tuning is guesswork.\n";

#[test]
fn bank_import_refuses_loaded_topics_unless_told_and_warns_of_duplicates() {
    let env = Env::new();
    env.write("notes.md", NOTES);
    let out = env.run(&["--offline", "bank", "import", "notes.md", "--out", "out"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("`rag-and-retrieval` (\"RAG and retrieval\") is the loaded topic `rag`"),
        "{out:?}"
    );
    assert!(out.stderr.contains("--merge"), "{out:?}");
    assert!(!env.path("out").exists(), "nothing written");
    let out = env.run(&[
        "--offline",
        "bank",
        "import",
        "notes.md",
        "--out",
        "out",
        "--merge",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("notes.md:3: looks like the loaded question `hyde`"),
        "{out:?}"
    );
    let written = std::fs::read_to_string(env.path("out/rag.toml")).unwrap();
    assert!(
        !written.contains('…'),
        "key points are never cut: {written}"
    );
    assert!(written.contains("topic = \"rag\""), "{written}");
    let check = env.run(&["bank", "check", "out"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stderr.contains("# TODO: review"), "{check:?}");
}

#[test]
fn config_errors_come_all_at_once_in_plain_words() {
    let env = Env::new();
    env.write(
        "config.toml",
        "timeout = \"30\"\nmodle = \"x\"\nretry_budget = -1\n",
    );
    let out = env.run(&["list"]);
    assert_eq!(out.code, 2, "{out:?}");
    for want in [
        "config.toml:1:11: timeout must be a number of seconds, got the string \"30\"",
        "config.toml:2:1: unknown setting `modle`; did you mean `model`?",
        "config.toml:3:16: retry_budget must be zero or more seconds, got -1",
        "has 3 problems",
    ] {
        assert!(out.stderr.contains(want), "{want}: {out:?}");
    }
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    env.write("config.toml", "prompts_dir = \"no-such-dir\"\n");
    let out = env.run(&["list"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("prompts_dir `no-such-dir` is not a directory"),
        "{out:?}"
    );
}

#[test]
fn an_empty_model_and_a_negative_length_are_refused_clearly() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let out = env.run(&["--model", "", "--bank", "bank", "practice"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("error: the judge model (from flag --model) is empty"),
        "{out:?}"
    );
    let out = env.run(&[
        "--offline",
        "--bank",
        "bank",
        "interview",
        "--minutes",
        "-1",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(
            "error: --minutes must be a positive number of minutes (fractions allowed), not -1"
        ),
        "{out:?}"
    );
}

#[test]
fn the_config_file_follows_xdg_on_every_platform() {
    let env = Env::new();
    env.write("xdg/grill/config.toml", "model = \"from-xdg\"\n");
    let mut cmd = env.command(&["config", "--json"]);
    cmd.env_remove("GRILL_CONFIG")
        .env("XDG_CONFIG_HOME", env.path("xdg"));
    let v = crate::common::run(cmd, b"").json();
    assert_eq!(v["model"]["value"], "from-xdg", "{v}");
    assert_eq!(
        v["config_file"],
        env.path("xdg/grill/config.toml").to_str().unwrap()
    );
    // No XDG_CONFIG_HOME: ~/.config/grill, on macOS too.
    let mut cmd = env.command(&["config", "--json"]);
    cmd.env_remove("GRILL_CONFIG");
    let v = crate::common::run(cmd, b"").json();
    assert_eq!(
        v["config_file"],
        env.path(".config/grill/config.toml").to_str().unwrap()
    );
}

#[test]
fn colour_follows_the_flag_then_no_color_then_force_color() {
    let env = Env::new();
    let esc = |args: &[&str], vars: &[(&str, &str)]| {
        run_coloured(&env, args, "", vars).stdout.contains('\x1b')
    };
    assert!(!esc(&["list"], &[]), "no colour on a pipe");
    assert!(esc(&["list"], &[("FORCE_COLOR", "1")]));
    assert!(!esc(&["list"], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
    assert!(!esc(&["list"], &[("FORCE_COLOR", "0")]));
    assert!(esc(&["--color", "always", "list"], &[("NO_COLOR", "1")]));
    assert!(!esc(&["list", "--color", "never"], &[("FORCE_COLOR", "1")]));
}

#[test]
fn each_commands_help_lists_only_its_flags_with_their_defaults() {
    let env = Env::new();
    for cmd in ["topics", "show", "list"] {
        let out = env.run(&[cmd, "--help"]);
        assert_eq!(out.code, 0, "{out:?}");
        for flag in ["--offline", "--model", "--timeout", "--base-url"] {
            assert!(!out.stdout.contains(flag), "{cmd} lists {flag}: {out:?}");
        }
        // `show --attempt N` reads the database; the others never do.
        assert_eq!(out.stdout.contains("--db"), cmd == "show", "{out:?}");
        assert!(out.stdout.contains("--bank"), "{out:?}");
    }
    let practice = env.run(&["practice", "--help"]);
    assert!(practice.stdout.contains("[default: 5"), "{practice:?}");
    assert!(practice.stdout.contains("--offline"), "{practice:?}");
    let interview = env.run(&["interview", "--help"]);
    assert!(interview.stdout.contains("[default: 30]"), "{interview:?}");
    // `grill help CMD` is the same page.
    let help = env.run(&["help", "practice"]);
    assert_eq!(help.code, 0, "{help:?}");
    assert_eq!(help.stdout, practice.stdout);
    // The judge's flags are still taken before the command.
    let out = env.run(&["--offline", "topics"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run(&["topics", "--offline"]);
    assert_eq!(out.code, 2, "topics takes no --offline: {out:?}");
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = env.run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {out:?}");
        assert!(out.stdout.contains("interview"), "{shell}: {out:?}");
        assert!(out.stdout.contains("sessions"), "{shell}: {out:?}");
    }
    let out = env.run(&["completions", "tcsh"]);
    assert_eq!(out.code, 2, "{out:?}");
    let man = env.run(&["man"]);
    assert_eq!(man.code, 0, "{man:?}");
    assert!(man.stdout.contains(".TH grill 1"), "{man:?}");
    assert!(man.stdout.contains("interview"), "{man:?}");
}

/// The commands `grill --help` lists, `help` aside.
fn help_commands(env: &Env) -> BTreeSet<String> {
    let help = env.run(&["--help"]).stdout;
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_lists_the_commands_and_keys_the_program_has() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let table = readme
        .split("## Commands")
        .nth(1)
        .expect("a Commands section")
        .split("\n## ")
        .next()
        .unwrap();
    let documented: BTreeSet<String> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `grill "))
        .filter_map(|l| l.split([' ', '`']).next())
        .map(str::to_string)
        .collect();
    let env = Env::new();
    assert_eq!(
        documented,
        help_commands(&env),
        "README's table vs grill --help"
    );
    // Every key the editor takes is in the README's key list.
    let keys = table
        .split("While answering:")
        .nth(1)
        .expect("the key list");
    for key in grill::drive::KEYS
        .split(['·', ' '])
        .filter(|w| w.starts_with(':') || w.starts_with("Ctrl-"))
    {
        assert!(keys.contains(key), "README's key list lacks {key}");
    }
    assert!(keys.contains("Ctrl-D"), "README's key list lacks Ctrl-D");
}

#[test]
fn the_json_report_says_why_a_question_has_no_score() {
    let env = Env::new();
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
        "some text\n:quit\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let report: Value = env.run(&["report", "--format", "json"]).json();
    assert_eq!(report["attempts"][0]["outcome"], "left", "{report}");
    assert_eq!(
        report["attempts"][0]["reason"],
        "open when the session ended; what was typed is kept, not graded"
    );
}
