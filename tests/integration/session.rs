//! `practice`, `interview` and `report` driven through piped stdin, as
//! scripts do: the same protocol as the terminal, one line at a time.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{wait_with_timeout, Env};
use crate::grade::{echo_verdict, Judged, BANK};

/// The test bank plus a second question, so sessions have two to ask.
pub fn two_question_bank() -> String {
    format!(
        "{BANK}\n[[questions]]\nid = \"tq2\"\nquestion = \"Why review code?\"\ndifficulty = \"core\"\nmodel_answer = \"Reviews spread knowledge and catch bugs.\"\n\n[[questions.key_points]]\nid = \"knowledge\"\npoint = \"Reviews spread knowledge\"\ncues = [\"knowledge\"]\n\n[[questions.key_points]]\nid = \"bugs\"\npoint = \"Reviews catch bugs\"\ncues = [\"bug\"]\n\n[[questions.key_points]]\nid = \"style\"\npoint = \"Reviews keep the style consistent\"\ncues = [\"style|consisten\"]\n"
    )
}

fn report_json(env: &Env) -> Value {
    let out = env.run(&["--bank", "bank", "report", "--format", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    out.json()
}

#[test]
fn offline_practice_self_graded_all_yes_stores_tens() {
    let env = Env::new();
    env.write("bank/testing.toml", &two_question_bank());
    let input = "first answer about regressions\n\ny\ny\ny\nsecond answer\nmore of it\n\ny\ny\ny\n";
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--topic",
            "testing",
            "--count",
            "2",
        ],
        input,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Model answer"), "{out:?}");
    assert!(out.stdout.contains("Practice report"), "{out:?}");
    let report = report_json(&env);
    assert_eq!(report["kind"], "practice");
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{report}");
    for a in attempts {
        assert_eq!(a["score"], 10.0);
        assert_eq!(a["grader"], "self");
        assert_eq!(a["cut_off"], false);
    }
    let answers: Vec<&str> = attempts
        .iter()
        .map(|a| a["answer"].as_str().unwrap())
        .collect();
    assert!(
        answers.contains(&"second answer\nmore of it"),
        "{answers:?}"
    );
}

#[test]
fn enter_accepts_the_cue_guess_and_choices_map_to_coverage() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    // The answer mentions regressions only: the guesses are y, n, n; Enter takes them.
    let input = "It catches regressions.\n\n\n\np\n";
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ],
        input,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("looks covered: mentions 'regressions'"),
        "{out:?}"
    );
    let a = &report_json(&env)["attempts"][0];
    // regressions 2 + refactor partial 0.5, of 4 -> 6.3
    assert_eq!(a["score"], 6.3, "{a}");
    assert_eq!(a["verdict"]["key_points"][2]["coverage"], "partial");
}

#[test]
fn without_a_judge_practice_falls_back_to_self_grading_and_says_so_once() {
    let env = Env::new();
    env.write("bank/testing.toml", &two_question_bank());
    let input = "one\n\nn\nn\nn\ntwo\n\ny\nn\nn\n";
    let out = env.run_with(
        &[
            "--bank", "bank", "practice", "--topic", "testing", "--count", "2",
        ],
        input,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stderr.matches("Offline mode").count(), 1, "{out:?}");
    assert!(!out.stderr.contains('\x1b'), "no colour on a pipe: {out:?}");
    assert!(out.stderr.contains("OPENAI_API_KEY"), "{out:?}");
    let attempts = report_json(&env)["attempts"].as_array().unwrap().clone();
    assert_eq!(attempts.len(), 2);
    assert!(attempts.iter().all(|a| a["grader"] == "self"));
}

#[test]
fn quit_and_skip_end_or_pass_questions() {
    let env = Env::new();
    env.write("bank/testing.toml", &two_question_bank());
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--topic",
            "testing",
        ],
        ":skip\n:quit\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("No answers in this session"), "{out:?}");
    // An empty session is not kept as "the last session".
    // With no session, `report` says where to start and exits 0, as `stats` does.
    let report = env.run(&["report"]);
    assert_eq!(report.code, 0, "{report:?}");
    assert!(report.stdout.contains("No sessions yet"), "{report:?}");
    let json = env.run(&["report", "--format", "json"]);
    assert_eq!((json.code, json.stdout.trim()), (0, "null"), "{json:?}");
}

#[test]
fn a_judged_interview_grades_every_answer_and_reports() {
    let t = Judged::new(|req, _| echo_verdict(req));
    t.env.write("bank/testing.toml", &two_question_bank());
    let input = "Tests catch regressions before users do. They document how the code behaves.\nAnd they make every refactoring safe.\n\nReviews catch bugs early and spread knowledge across the team. They keep the style consistent.\n\n";
    let out = t.grill(
        &[
            "interview",
            "--minutes",
            "5",
            "--count",
            "2",
            "--topic",
            "testing",
        ],
        input,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Interview report"), "{out:?}");
    let report = report_json(&t.env);
    assert_eq!(report["kind"], "interview");
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts
            .iter()
            .all(|a| a["grader"] == "llm:test-model" && a["score"] == 10.0),
        "{report}"
    );
    let mut answers: Vec<&str> = attempts
        .iter()
        .map(|a| a["answer"].as_str().unwrap())
        .collect();
    answers.sort_unstable();
    assert_eq!(
        answers,
        [
            "Reviews catch bugs early and spread knowledge across the team. They keep the style consistent.",
            "Tests catch regressions before users do. They document how the code behaves.\nAnd they make every refactoring safe."
        ]
    );
    assert_eq!(t.server.request_count(), 2);
}

#[test]
fn an_answer_that_never_ends_is_cut_off_at_the_limit_and_kept() {
    let t = Judged::new(|req, _| echo_verdict(req));
    let mut cmd = t.env.command(&[
        "--bank",
        "bank",
        "interview",
        "--minutes",
        "0.1",
        "--count",
        "1",
    ]);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"I started to say that tests catch regressions\nand then\n")
        .unwrap();
    stdin.flush().unwrap();
    let start = Instant::now();
    // Keep stdin open: the writer never finishes the answer.
    let out = wait_with_timeout(child, Duration::from_secs(60));
    let took = start.elapsed();
    drop(stdin);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        took < Duration::from_secs(30),
        "returned after {took:?}, not at the 6 s limit"
    );
    assert!(out.stdout.contains("cut off"), "{out:?}");
    let a = &report_json(&t.env)["attempts"][0];
    assert_eq!(a["cut_off"], true, "{a}");
    assert_eq!(
        a["answer"],
        "I started to say that tests catch regressions\nand then"
    );
    assert!(a["seconds"].as_f64().unwrap() >= 5.0, "{a}");
    assert_eq!(
        a["grader"], "llm:test-model",
        "the cut-off answer is graded as it stands: {a}"
    );
}

#[test]
fn report_prints_markdown_and_json_of_a_past_session() {
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
        "regressions\n\ny\nn\nn\n",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let md = env.run(&["--bank", "bank", "report", "1", "--format", "md"]);
    assert_eq!(md.code, 0, "{md:?}");
    assert!(
        md.stdout.starts_with("# Practice report — session 1"),
        "{md:?}"
    );
    assert!(md.stdout.contains("| 1 | tq | 5.0 |"), "{md:?}");
    let missing = env.run(&["report", "9"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no session 9"), "{missing:?}");
}

#[test]
fn grade_offline_prints_a_labelled_keyword_estimate_and_stores_it() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "grade",
            "--question",
            "tq",
            "--json",
        ],
        "We refactor safely and catch regressions.",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    assert_eq!(v["grader"], "cues");
    // regressions (2) and refactor (1) of 4 -> 7.5
    assert_eq!(v["score"], 7.5, "{v}");
    assert_eq!(v["key_points"][0]["evidence"], "regressions");
    assert!(
        v["feedback"].as_str().unwrap().contains("Keyword estimate"),
        "{v}"
    );

    let human = env.run_with(
        &["--bank", "bank", "--offline", "grade", "--question", "tq"],
        "regressions",
        &[],
    );
    assert!(
        human
            .stdout
            .contains("Keyword estimate only: no judge read this answer."),
        "{human:?}"
    );
    assert!(
        human.stdout.contains("keyword estimate, not counted"),
        "{human:?}"
    );
}

#[test]
fn config_shows_where_each_setting_came_from_and_never_the_key() {
    let env = Env::new();
    env.write("config.toml", "model = \"from-file\"\ntimeout = 30\n");
    let out = env.run_with(
        &["--model", "from-flag", "config", "--json"],
        "",
        &[
            ("OPENAI_API_KEY", "sk-test-CONFIGKEY-42"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    assert_eq!(v["model"]["value"], "from-flag");
    assert_eq!(v["model"]["from"], "flag --model");
    assert_eq!(v["timeout_secs"]["from"], "config file");
    assert_eq!(v["base_url"]["from"], "env OPENAI_BASE_URL");
    assert_eq!(v["api_key"], "set (env OPENAI_API_KEY)");
    assert!(!out.stdout.contains("CONFIGKEY"));
    let human = env.run_with(
        &["config"],
        "",
        &[("OPENAI_API_KEY", "sk-test-CONFIGKEY-42")],
    );
    assert!(
        human
            .stdout
            .contains("api_key      set (env OPENAI_API_KEY)"),
        "{human:?}"
    );
    assert!(!human.stdout.contains("CONFIGKEY"));
}

#[test]
fn review_asks_the_questions_that_came_due() {
    let env = Env::new();
    env.write("bank/testing.toml", &two_question_bank());
    let day1 = [("GRILL_NOW", "2026-03-02T10:00:00Z")];
    // tq answered badly, tq2 well, both self-graded.
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ],
        "no idea\n\nn\nn\nn\n",
        &day1,
    );
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run_with(
        &[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq2",
        ],
        "knowledge and bugs and style\n\ny\ny\ny\n",
        &day1,
    );
    assert_eq!(out.code, 0, "{out:?}");

    // The same day nothing is due: the review says so before it starts
    // over the weakest, and where new questions are.
    let early = env.run_with(&["--bank", "bank", "--offline", "review"], "", &day1);
    assert!(
        early
            .stdout
            .contains("Nothing is due for review now, so this goes over your 2 weakest questions again. `grill practice` asks questions you have not seen"),
        "{early:?}"
    );

    let day2 = [("GRILL_NOW", "2026-03-03T10:00:00Z")];
    let list = env.run_with(&["--bank", "bank", "review", "--list", "--json"], "", &day2);
    assert_eq!(list.json()[0]["question_id"], "tq", "{list:?}");
    let out = env.run_with(
        &["--bank", "bank", "--offline", "review", "--count", "1"],
        "tests catch regressions\n\ny\nn\nn\n",
        &day2,
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("Why do we test?"),
        "the due question is asked: {out:?}"
    );
    assert!(!out.stdout.contains("Why review code?"), "{out:?}");
    assert!(!out.stdout.contains("Nothing is due"), "{out:?}");
    let report = report_json(&env);
    assert_eq!(report["kind"], "review");
    assert_eq!(report["attempts"][0]["question_id"], "tq");
}

/// Questions named on the command line are asked in the order given, for
/// every seed and both session kinds (issue 24, item 4): a piped script gets
/// the same questions in the same order every run.
#[test]
fn named_questions_keep_the_order_given_whatever_the_seed() {
    for seed in 0..8 {
        let env = Env::new();
        env.write("bank/testing.toml", &two_question_bank());
        let seed = seed.to_string();
        for kind in ["practice", "interview"] {
            let out = env.run_with(
                &[
                    "--bank",
                    "bank",
                    "--offline",
                    kind,
                    "--question",
                    "tq2",
                    "--question",
                    "tq",
                ],
                ":skip\n:skip\n",
                &[("GRILL_SEED", &seed)],
            );
            assert_eq!(out.code, 0, "{kind} seed {seed}: {out:?}");
            let first = out.stdout.find("Why review code?");
            let second = out.stdout.find("Why do we test?");
            assert!(
                first.is_some() && second.is_some() && first < second,
                "{kind} seed {seed}: {}",
                out.stdout
            );
        }
    }
}

/// A session whose answers could not be graded ends with exit 1, as the
/// README says of failed work, after its report; the answer is saved
/// (issue 24, item 5: it exited 0).
#[test]
fn a_session_whose_grades_failed_exits_one_with_the_answer_saved() {
    let env = Env::new();
    env.write("bank/testing.toml", &two_question_bank());
    let out = env.run_with(
        &["--bank", "bank", "practice", "--question", "tq"],
        "Tests catch regressions.\n\n",
        &[
            ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
            ("OPENAI_API_KEY", "k"),
            ("GRILL_RETRY_BUDGET", "0"),
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("Practice report") || out.stdout.contains("No graded answers"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("1 answer could not be graded"),
        "{}",
        out.stderr
    );
    let history = env.run(&["--bank", "bank", "history", "--json"]).json();
    assert_eq!(
        history[0]["answer"], "Tests catch regressions.",
        "{history}"
    );
}

/// The self-grading checklist takes `:back` (mark the previous point again)
/// and `:quit` (stop grading; the answer stays saved) (issue 24, item 12).
#[test]
fn the_checklist_goes_back_a_point_and_quits() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let args = [
        "--bank",
        "bank",
        "--offline",
        "practice",
        "--question",
        "tq",
    ];
    // y for the first point, then back to it and n, n, n: nothing covered.
    let out = env.run_with(&args, "my answer\n\ny\n:back\nn\nn\nn\n", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let report = report_json(&env);
    assert_eq!(report["attempts"][0]["score"], 0.0, "{report}");
    // :quit at the first point: nothing graded, the answer kept.
    let out = env.run_with(&args, "kept answer\n\n:quit\n", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("Self-grading left"), "{out:?}");
    let history = env.run(&["--bank", "bank", "history", "--json"]).json();
    let kept = history
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["answer"] == "kept answer")
        .cloned()
        .unwrap();
    assert_eq!(kept["status"], "ungraded", "{history}");
}
