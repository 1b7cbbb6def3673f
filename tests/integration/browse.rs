//! The bank and the browsing commands: `topics`, `list`, `show`, `bank check`.

use crate::common::{repo, Env};

/// The 13 questions of the seed page, by the ids the bank gives them.
const SEED: &[(&str, &str)] = &[
    (
        "rag-vs-fine-tuning",
        "Explain how RAG works and when you would use it instead of fine-tuning.",
    ),
    (
        "bi-encoder-vs-cross-encoder",
        "What is the difference between a bi-encoder and a cross-encoder? When do you use each?",
    ),
    ("hyde", "What is HyDE and when does it help?"),
    (
        "temperature",
        "What is temperature and how does it affect LLM outputs?",
    ),
    (
        "max-tokens-vs-context-window",
        "What is the difference between max_tokens and the context window?",
    ),
    (
        "rate-limits",
        "How do you handle rate limits in a production LLM service?",
    ),
    (
        "react-pattern",
        "What is the ReAct pattern and why does it work?",
    ),
    (
        "langgraph-vs-chain",
        "When would you use LangGraph instead of a simple chain?",
    ),
    (
        "sync-client-in-async-server",
        "Why does using the synchronous OpenAI client in a FastAPI endpoint cause problems?",
    ),
    (
        "exact-match-caching",
        "What is exact-match caching and when should you avoid it?",
    ),
    (
        "lora",
        "What is LoRA and why is it more memory-efficient than full fine-tuning?",
    ),
    (
        "fine-tune-vs-few-shot",
        "When should you fine-tune instead of using few-shot prompting?",
    ),
    (
        "ragas-faithfulness",
        "What is RAGAS and what does faithfulness measure?",
    ),
];

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn every_seed_question_is_in_the_bank() {
    let env = Env::new();
    let out = env.run(&["list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let list = out.json();
    let list = list.as_array().unwrap();
    for (id, question) in SEED {
        let entry = list
            .iter()
            .find(|q| q["id"] == *id)
            .unwrap_or_else(|| panic!("seed question `{id}` missing"));
        assert_eq!(
            words(entry["question"].as_str().unwrap()),
            words(question),
            "{id}"
        );
    }
}

#[test]
fn the_bank_is_big_enough_and_well_formed() {
    let env = Env::new();
    let list = env.run(&["list", "--json"]).json();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 24, "only {} questions", list.len());
    let topics = env.run(&["topics", "--json"]).json();
    assert!(topics.as_array().unwrap().len() >= 6);
    let mut examples = 0;
    for q in list {
        let shown = env
            .run(&["show", q["id"].as_str().unwrap(), "--json"])
            .json();
        let points = shown["key_points"].as_array().unwrap();
        assert!(
            (3..=7).contains(&points.len()),
            "{}: {} key points",
            q["question_id"],
            points.len()
        );
        for p in points {
            assert!(
                !p["cues"].as_array().unwrap().is_empty(),
                "{} / {} has no cues",
                q["question_id"],
                p["id"]
            );
        }
        if shown["wants_example"] == true {
            examples += 1;
        }
    }
    assert!(examples >= 3, "only {examples} questions want an example");
}

/// The model answers are the project's own words: no run of 16 words is the
/// seed's. Needs the seed page beside the repository (as in CI).
#[test]
fn model_answers_do_not_copy_the_seed() {
    let seed_dir = repo().join("../shared/seed");
    let Ok(entries) = std::fs::read_dir(&seed_dir) else {
        eprintln!("skipped: no seed page at {}", seed_dir.display());
        return;
    };
    let mut seed_words = Vec::new();
    for e in entries.flatten() {
        seed_words.extend(words(&std::fs::read_to_string(e.path()).unwrap()));
    }
    let shingles: std::collections::HashSet<&[String]> = seed_words.windows(16).collect();
    assert!(!shingles.is_empty());
    let env = Env::new();
    for (id, _) in SEED {
        let q = env.run(&["show", id, "--json"]).json();
        let answer = words(q["model_answer"].as_str().unwrap());
        for run in answer.windows(16) {
            assert!(
                !shingles.contains(run),
                "{id} copies the seed: {}",
                run.join(" ")
            );
        }
    }
}

#[test]
fn every_shipped_bank_file_is_compiled_in_and_passes_check() {
    let mut on_disk: Vec<String> = std::fs::read_dir(repo().join("questions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e == "toml")
        })
        .collect();
    on_disk.sort();
    let mut built_in: Vec<String> = grill::bank::builtin_file_names()
        .map(str::to_string)
        .collect();
    built_in.sort();
    assert_eq!(on_disk, built_in);

    let out = Env::new().run(&["bank", "check"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("ok: "), "{out:?}");
}

#[test]
fn topics_list_and_show_read_like_a_terminal_page() {
    let env = Env::new();
    let topics = env.run(&["topics"]);
    assert_eq!(topics.code, 0);
    assert!(topics.stdout.contains("rag"), "{topics:?}");
    assert!(topics.stdout.contains("RAG and retrieval"));

    let list = env.run(&["list", "--topic", "rag"]);
    assert_eq!(list.code, 0);
    assert!(list.stdout.contains("hyde"));
    assert!(
        !list.stdout.contains("lora"),
        "other topics are filtered out"
    );

    let show = env.run(&["show", "lora"]);
    assert_eq!(show.code, 0, "{show:?}");
    for part in ["Model answer", "Key points", "LoRA"] {
        assert!(show.stdout.contains(part), "missing {part}: {show:?}");
    }
    assert!(
        !show.stdout.contains('\x1b'),
        "no colour when not a terminal"
    );
}

#[test]
fn json_contracts_of_list_and_show() {
    let env = Env::new();
    let list = env.run(&["list", "--json", "--topic", "rag"]).json();
    let first = &list[0];
    let mut keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["difficulty", "id", "question", "topic"]);

    let q = env.run(&["show", "hyde", "--json"]).json();
    for key in [
        "id",
        "topic",
        "question",
        "difficulty",
        "wants_example",
        "minutes",
        "model_answer",
        "key_points",
    ] {
        assert!(q.get(key).is_some(), "show --json lacks {key}");
    }
    let kp = &q["key_points"][0];
    for key in ["id", "point", "weight", "cues"] {
        assert!(kp.get(key).is_some(), "key point lacks {key}");
    }
}

#[test]
fn unknown_ids_and_topics_suggest_the_closest() {
    let env = Env::new();
    let out = env.run(&["show", "hide"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("unknown question `hide`"), "{out:?}");
    assert!(out.stderr.contains("did you mean `hyde`?"), "{out:?}");

    let out = env.run(&["list", "--topic", "agent"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean `agents`?"), "{out:?}");
}

const USER_BANK: &str = r#"topic = "mine"
title = "My questions"

[[questions]]
id = "my-question"
question = "Why?"
difficulty = "core"
model_answer = "Because."
colour = "red"

[[questions.key_points]]
id = "because"
point = "Says because"
cues = ["because"]

[[questions]]
id = "my-question"
question = "Why again?"
difficulty = "core"
model_answer = "Because."

[[questions.key_points]]
id = "because"
point = "Says because"
weight = 4
"#;

#[test]
fn bank_check_reports_every_problem_with_file_and_line() {
    let env = Env::new();
    env.write("bank/mine.toml", USER_BANK);
    let out = env.run(&["bank", "check", "bank"]);
    assert_eq!(out.code, 2, "{out:?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines.contains(&"bank/mine.toml:9:1: unknown field `colour` in a question"),
        "{out:?}"
    );
    assert!(
        lines.contains(&"bank/mine.toml:17:6: duplicate question id `my-question` (first defined at bank/mine.toml:5:6)"),
        "{out:?}"
    );
    assert!(
        lines.contains(&"bank/mine.toml:25:10: weight must be 1, 2 or 3, not 4"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("error: the question bank has 3 problems"),
        "{out:?}"
    );
}

#[test]
fn a_broken_bank_stops_every_command_with_the_same_messages() {
    let env = Env::new();
    env.write("bank/mine.toml", USER_BANK);
    for args in [
        &["list"][..],
        &["topics"],
        &["show", "hyde"],
        &["practice", "--offline"],
    ] {
        let mut full = vec!["--bank", "bank"];
        full.extend_from_slice(args);
        let out = env.run(&full);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr
                .contains("bank/mine.toml:9:1: unknown field `colour`"),
            "{args:?}: {out:?}"
        );
        assert!(!out.stderr.contains("panicked"), "{out:?}");
    }
}

#[test]
fn a_user_bank_adds_questions_and_may_not_reuse_built_in_ids() {
    let env = Env::new();
    env.write(
        "bank/mine.toml",
        "topic = \"mine\"\ntitle = \"Mine\"\n[[questions]]\nid = \"mine-1\"\nquestion = \"Q?\"\ndifficulty = \"advanced\"\nmodel_answer = \"A.\"\n[[questions.key_points]]\nid = \"a\"\npoint = \"P\"\ncues = [\"p\"]\n",
    );
    let out = env.run(&["--bank", "bank", "list", "--topic", "mine", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()[0]["id"], "mine-1");

    env.write(
        "bank/mine.toml",
        &std::fs::read_to_string(env.path("bank/mine.toml"))
            .unwrap()
            .replace("mine-1", "hyde"),
    );
    let out = env.run(&["bank", "check", "bank"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("bank/mine.toml:4:6: duplicate question id `hyde` (first defined at <built-in>/rag.toml:"), "{out:?}");
}

#[test]
fn malformed_toml_and_missing_dirs_are_clear_errors() {
    let env = Env::new();
    env.write("bank/mine.toml", "topic = \"mine\"\n[[questions]\n");
    let out = env.run(&["bank", "check", "bank"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("bank/mine.toml:2:"), "{out:?}");
    assert!(out.stderr.contains("invalid TOML"), "{out:?}");

    let out = env.run(&["bank", "check", "nowhere"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("cannot read bank directory `nowhere`"),
        "{out:?}"
    );
}

#[test]
fn help_shows_a_summary_and_an_example_for_every_command() {
    let env = Env::new();
    let out = env.run(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("Examples:"));
    for cmd in [
        "practice",
        "interview",
        "review",
        "grade",
        "regrade",
        "topics",
        "list",
        "show",
        "history",
        "stats",
        "report",
        "export",
        "config",
    ] {
        let out = env.run(&[cmd, "--help"]);
        assert_eq!(out.code, 0, "{cmd}");
        assert!(
            out.stdout.contains("Example"),
            "{cmd} --help has no example"
        );
    }
    let out = env.run(&["bank", "check", "--help"]);
    assert!(out.stdout.contains("Example"));
}

#[test]
fn output_to_a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    let mut cmd = env.command(&["list"]);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");
}

#[test]
fn bank_check_warns_about_generic_cues_and_stale_facts_but_passes() {
    let env = Env::new();
    // The built-in bank has no warning today...
    let out = env.run(&["bank", "check"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("warning"), "{out:?}");
    // ...and its facts are due for a check a year and more from their review.
    let out = env.run_with(
        &["bank", "check"],
        "",
        &[("GRILL_NOW", "2028-03-01T00:00:00Z")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("`lora` was last reviewed in 2026-12, over 12 months ago"),
        "{out:?}"
    );

    env.write(
        "bank/mine.toml",
        r#"topic = "mine"

[[questions]]
id = "mine-one"
question = "What is a vector index?"
difficulty = "core"
model_answer = "An index of embeddings for nearest-neighbour search."
reviewed = "2020-01"

[[questions.key_points]]
id = "generic"
point = "It uses a model"
cues = ["model", "the|a|of"]
"#,
    );
    let out = env.run(&["bank", "check", "bank"]);
    assert_eq!(out.code, 0, "warnings do not fail the check: {out:?}");
    assert!(
        out.stderr
            .contains("`mine-one` key point `generic`: cue `model` matches the model answers of"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("cue `the|a|of` has `the`, only stop-words"),
        "{out:?}"
    );
    assert!(
        !out.stderr.contains("`mine-one` was last reviewed"),
        "only built-in questions are held to it: {out:?}"
    );
    assert!(out.stdout.contains("; 2 warnings"), "{out:?}");
}

#[test]
fn show_names_the_sources_and_when_the_facts_were_checked() {
    let env = Env::new();
    let out = env.run(&["show", "lora"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("Sources (facts checked 2026-12)"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("  - https://arxiv.org/abs/2106.09685"),
        "{out:?}"
    );
    let json = env.run(&["show", "lora", "--json"]).json();
    assert_eq!(json["reviewed"], "2026-12");
    assert!(json["sources"].as_array().is_some_and(|s| !s.is_empty()));
}
