//! Progress over time: `history`, `stats`, `review --list`, `bank import` and
//! `bank new`, over databases filled by the real grading path (`grill grade`
//! against the fake judge), with `GRILL_NOW` moving the clock through a week.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::common::fake_server::{FakeServer, Reply, Request};
use crate::common::{repo, Env, Output};

/// Two topics; every question has five key points `k1`..`k5` of weight 1,
/// so the fake judge can give any even score.
fn bank_file(topic: &str, ids: &[&str]) -> String {
    let mut text = format!("topic = \"{topic}\"\ntitle = \"{topic} title\"\n");
    for id in ids {
        let _ = write!(
            text,
            "\n[[questions]]\nid = \"{id}\"\nquestion = \"Explain {id}.\"\ndifficulty = \"core\"\nmodel_answer = \"Five facts.\"\n"
        );
        for k in 1..=5 {
            let _ = write!(
                text,
                "\n[[questions.key_points]]\nid = \"k{k}\"\npoint = \"Fact number {k}\"\ncues = [\"fact\"]\n"
            );
        }
    }
    text
}

/// The candidate's answer inside the judge prompt's nonce delimiter.
fn answer_of(req: &Request) -> String {
    let text = req.prompt_text();
    let Some(open) = text.rfind("<answer-") else {
        return String::new();
    };
    let body = &text[open..];
    let start = body.find('>').map_or(0, |i| i + 1);
    let end = body.find("</answer-").unwrap_or(body.len());
    body[start..end].to_string()
}

/// Covers key point `kN` when the answer says `kwNx`; an answer saying
/// `kwbad` gets an invalid reply, twice, and stays ungraded.
fn judge(req: &Request, _n: usize) -> Reply {
    let answer = answer_of(req);
    if answer.contains("kwbad") {
        return Reply::chat("I cannot grade this.");
    }
    let points: Vec<Value> = (1..=5)
        .map(|k| {
            let word = format!("kw{k}x");
            if answer.contains(&word) {
                // A quote of four words: the fact, said in full.
                let evidence = format!("fact {word} holds here");
                json!({"id": format!("k{k}"), "coverage": "covered", "evidence": evidence})
            } else {
                json!({"id": format!("k{k}"), "coverage": "missing", "evidence": ""})
            }
        })
        .collect();
    Reply::verdict(&json!({
        "key_points": points,
        "mistakes": [],
        "feedback": format!("You covered {} of 5 facts.", points.iter().filter(|p| p["coverage"] == "covered").count()),
        "follow_up": "Which fact matters most?"
    }))
}

pub struct Week {
    pub env: Env,
    server: FakeServer,
}

/// Monday 2 March 2026, 08:00 UTC, plus `day` days and `minute` minutes.
pub fn at(day: u32, minute: u32) -> String {
    format!("2026-03-{:02}T08:{minute:02}:00Z", 2 + day)
}

impl Week {
    pub fn new() -> Week {
        let env = Env::new();
        env.write(
            "bank/drills.toml",
            &bank_file("drills", &["q-alpha", "q-beta", "q-gamma", "q-delta"]),
        );
        env.write("bank/extra.toml", &bank_file("extra", &["e-one", "e-two"]));
        Week {
            env,
            server: FakeServer::start(judge),
        }
    }

    pub fn grill(&self, args: &[&str], now: &str) -> Output {
        self.grill_in(args, "", now)
    }

    /// `grill` with `stdin` piped in.
    pub fn grill_in(&self, args: &[&str], stdin: &str, now: &str) -> Output {
        let mut full = vec!["--bank", "bank"];
        full.extend_from_slice(args);
        let url = self.server.base_url();
        let vars = [
            ("OPENAI_BASE_URL", url.as_str()),
            ("OPENAI_API_KEY", "test"),
            ("GRILL_MODEL", "test-model"),
            ("GRILL_RETRY_BUDGET", "3"),
            ("GRILL_NOW", now),
            // Days are local calendar days; pin the zone.
            ("TZ", "UTC"),
        ];
        self.env.run_with(&full, stdin, &vars)
    }

    /// Grades `question` with an answer covering `covered` of its five key points.
    pub fn answer(&self, question: &str, covered: usize, now: &str) -> Output {
        let facts: Vec<String> = (1..=covered)
            .map(|k| format!("fact kw{k}x holds here."))
            .collect();
        let text = format!("My answer: {}", facts.join(" "));
        self.env.write("answer.txt", &text);
        let out = self.grill(
            &[
                "grade",
                "--question",
                question,
                "--answer-file",
                "answer.txt",
                "--json",
            ],
            now,
        );
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.json()["score"], covered as f64 * 2.0, "{out:?}");
        out
    }

    fn ungraded(&self, question: &str, now: &str) {
        self.env.write("answer.txt", "kwbad");
        let out = self.grill(
            &[
                "grade",
                "--question",
                question,
                "--answer-file",
                "answer.txt",
            ],
            now,
        );
        assert_eq!(out.code, 1, "{out:?}");
    }
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["question_id"].as_str().unwrap())
        .collect()
}

fn parse_time(text: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("`{text}` is not ISO 8601 ({e})"))
}

#[test]
fn a_question_scored_2_comes_due_before_one_scored_10() {
    let w = Week::new();
    w.answer("q-beta", 5, &at(0, 0));
    w.answer("q-alpha", 1, &at(0, 5));

    let out = w.grill(&["review", "--list", "--json"], &at(0, 10));
    assert_eq!(out.code, 0, "{out:?}");
    let list = out.json();
    assert_eq!(ids(&list), ["q-alpha", "q-beta"], "{list}");
    assert_eq!(
        list[0],
        json!({"question_id": "q-alpha", "topic": "drills", "due": list[0]["due"], "last_score": 2.0,
               "due_points": [], "points": list[0]["points"]})
    );
    // Covered k1 comes back later than the four points missed.
    assert_eq!(list[0]["points"].as_array().unwrap().len(), 5);
    assert!(list[0]["points"][0]["due"].as_str() > list[0]["due"].as_str());
    assert_eq!(list[1]["last_score"], 10.0);
    let (weak, strong) = (
        parse_time(list[0]["due"].as_str().unwrap()),
        parse_time(list[1]["due"].as_str().unwrap()),
    );
    assert!(weak < strong);
    assert!(
        weak > parse_time(&at(0, 10)),
        "nothing is due the moment it was answered"
    );

    // The next morning the weak one is due and the strong one is not.
    let text = w.grill(&["review", "--list"], &at(1, 10));
    assert_eq!(text.code, 0, "{text:?}");
    let alpha = text.stdout.lines().find(|l| l.contains("q-alpha")).unwrap();
    let beta = text.stdout.lines().find(|l| l.contains("q-beta")).unwrap();
    assert!(
        alpha.contains("due now") || alpha.contains("late"),
        "{text:?}"
    );
    assert!(beta.contains("in ") && beta.contains("days"), "{text:?}");
    assert!(text.stdout.contains("1 due now"), "{text:?}");
    assert!(!text.stdout.contains('\x1b'));
}

#[test]
fn a_week_of_practice_shows_in_stats_history_and_the_schedule() {
    let w = Week::new();
    // (day, question, key points covered): q-alpha climbs from 2 to 10.
    let plan: &[(u32, &str, usize)] = &[
        (0, "q-alpha", 1),
        (0, "q-beta", 5),
        (1, "q-alpha", 2),
        (1, "q-gamma", 3),
        (2, "q-alpha", 3),
        (3, "q-gamma", 4),
        (4, "q-alpha", 4),
        (5, "q-delta", 2),
        (6, "q-alpha", 5),
        (6, "q-gamma", 5),
    ];
    let mut graded = Vec::new();
    for (i, (day, q, covered)) in plan.iter().enumerate() {
        let out = w.answer(q, *covered, &at(*day, i as u32));
        graded.push(out.json());
    }
    w.ungraded("q-beta", &at(2, 30));
    let now = at(6, 59);
    stats_after_the_week(&w, &now);
    history_after_the_week(&w, &graded, &now);
    schedule_after_the_week(&w, &now);
}

fn stats_after_the_week(w: &Week, now: &str) {
    let stats = w.grill(&["stats", "--json"], now);
    assert_eq!(stats.code, 0, "{stats:?}");
    let s = stats.json();
    assert_eq!(s["streak_days"], 7, "{s}");
    // Answers are graded answers: the ungraded retry is not one (issue 13).
    assert_eq!(s["total_attempts"], 10);
    assert_eq!(s["ungraded_attempts"], 1);
    let drills = &s["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "drills")
        .unwrap()
        .clone();
    assert_eq!(drills["attempts"], 10);
    // Latest graded scores: alpha 10, beta 10 (its ungraded retry does not count), gamma 10, delta 4.
    assert_eq!(drills["average"], 8.5, "{drills}");
    assert_eq!(drills["unseen"], 0);
    let extra = s["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "extra")
        .unwrap()
        .clone();
    assert_eq!(
        (
            extra["attempts"].clone(),
            extra["average"].clone(),
            extra["unseen"].clone()
        ),
        (json!(0), Value::Null, json!(2))
    );

    // A day off keeps the streak until the end of the next day, then it is gone.
    let next_day = w.grill(&["stats", "--json"], &at(7, 30)).json();
    assert_eq!(next_day["streak_days"], 7);
    assert_eq!(
        w.grill(&["stats", "--json"], &at(8, 30)).json()["streak_days"],
        0
    );

    let text = w.grill(&["stats"], now);
    assert_eq!(text.code, 0, "{text:?}");
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with("drills"))
        .unwrap();
    assert!(
        line.contains(" 10 ") && line.contains("8.5") && line.contains('+'),
        "{text:?}"
    );
    assert!(text.stdout.contains("7 days in a row"), "{text:?}");
    assert!(text.stdout.contains("1 answer is ungraded"), "{text:?}");
}

fn history_after_the_week(w: &Week, graded: &[Value], now: &str) {
    // history --json: every stored field, newest first.
    let history = w.grill(&["history", "--json"], now);
    assert_eq!(history.code, 0, "{history:?}");
    let rows = history.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 11);
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "answer",
            "attempt_id",
            "created_at",
            "cut_off",
            "error",
            "extra",
            "graded_at",
            "grader",
            "question_id",
            "score",
            "seconds",
            "session_id",
            "status",
            "topic",
            "usage",
            "verdict"
        ]
    );
    assert_eq!(
        rows[0]["usage"],
        json!({"prompt": 42, "cached": 0, "completion": rows[0]["usage"]["completion"]}),
        "the tokens the fake server reported are stored with the grade"
    );
    assert_eq!(rows[0]["question_id"], "q-gamma");
    assert_eq!(rows[0]["created_at"], at(6, 9));
    let newest_graded = graded.last().unwrap();
    assert_eq!(rows[0]["verdict"]["score"], newest_graded["score"]);
    assert_eq!(
        rows[0]["verdict"]["key_points"].as_array().unwrap().len(),
        5
    );
    assert_eq!(rows[0]["grader"], "llm:test-model");
    assert_eq!(rows[0]["status"], "graded");
    let bad = rows.iter().find(|r| r["status"] == "ungraded").unwrap();
    assert_eq!(bad["answer"], "kwbad");
    assert!(
        bad["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{bad}"
    );
    assert!(bad["score"].is_null());

    let limited = w
        .grill(
            &["history", "--json", "--topic", "drills", "--limit", "3"],
            now,
        )
        .json();
    assert_eq!(limited.as_array().unwrap().len(), 3);

    // One question's story: its scores, every answer, the latest feedback.
    let alpha = w.grill(&["history", "--question", "q-alpha"], now);
    assert_eq!(alpha.code, 0, "{alpha:?}");
    assert!(alpha.stdout.contains("Explain q-alpha."), "{alpha:?}");
    assert!(
        alpha.stdout.contains("2.0 → 10.0 over 5 graded answers"),
        "{alpha:?}"
    );
    assert!(alpha.stdout.contains("Latest feedback"), "{alpha:?}");
    assert!(
        alpha.stdout.contains("Which fact matters most?"),
        "{alpha:?}"
    );
    let table = w.grill(&["history"], now);
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.contains("q-beta") && l.contains("ungraded")),
        "{table:?}"
    );
}

fn schedule_after_the_week(w: &Week, now: &str) {
    // The schedule: the most key points due first, each with its latest
    // score; the rest by due time.
    let review = w.grill(&["review", "--list", "--json"], now).json();
    let entries = review.as_array().unwrap();
    assert_eq!(entries.len(), 4);
    let due_counts: Vec<usize> = entries
        .iter()
        .map(|e| e["due_points"].as_array().unwrap().len())
        .collect();
    // beta: all five points, covered on day 0, due for their first review
    // (Good: a few days); delta: the three it missed yesterday.
    assert_eq!(due_counts, [5, 3, 0, 0], "{review}");
    assert_eq!(entries[0]["question_id"], "q-beta", "{review}");
    let delta = &entries[1];
    assert_eq!(delta["question_id"], "q-delta", "{review}");
    assert_eq!(delta["last_score"], 4.0);
    assert_eq!(delta["due_points"], json!(["k3", "k4", "k5"]));
    let dues: Vec<_> = entries[2..]
        .iter()
        .map(|e| parse_time(e["due"].as_str().unwrap()))
        .collect();
    assert!(dues.windows(2).all(|d| d[0] <= d[1]), "{review}");
}

#[test]
fn history_and_stats_on_an_empty_database_and_with_bad_filters() {
    let w = Week::new();
    let now = at(0, 0);
    let stats = w.grill(&["stats"], &now);
    assert_eq!(stats.code, 0, "{stats:?}");
    assert!(stats.stdout.contains("No answers yet"), "{stats:?}");
    let s = w.grill(&["stats", "--json"], &now).json();
    assert_eq!(
        (s["streak_days"].clone(), s["total_attempts"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(w.grill(&["history", "--json"], &now).json(), json!([]));
    assert_eq!(
        w.grill(&["review", "--list", "--json"], &now).json(),
        json!([])
    );

    let unknown = w.grill(&["history", "--question", "q-alpah"], &now);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("q-alpha"),
        "suggests the closest id: {unknown:?}"
    );
    let unknown = w.grill(&["history", "--topic", "dirlls"], &now);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    let zero = w.grill(&["history", "--limit", "0"], &now);
    assert_eq!(zero.code, 2, "{zero:?}");
    assert!(zero.stderr.contains("--limit"), "{zero:?}");
}

/// The seed page, if it is beside the repository (as in CI).
fn seed_page() -> Option<std::path::PathBuf> {
    let dir = repo().join("../shared/seed");
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    pages.sort();
    pages.into_iter().next()
}

#[test]
fn importing_the_seed_page_gives_its_13_questions_that_pass_bank_check() {
    let Some(seed) = seed_page() else {
        eprintln!("skipped: no seed page in ../shared/seed");
        return;
    };
    let env = Env::new();
    let seed = seed.to_string_lossy().into_owned();
    // Its topics are the built-in bank's: refused, then merged when told.
    let out = env.run(&["bank", "import", &seed, "--out", "imported"]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = env.run(&["bank", "import", &seed, "--out", "imported", "--merge"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stderr.matches("looks like the loaded question").count(),
        13,
        "every seed question is in the built-in bank: {out:?}"
    );
    assert!(
        out.stdout.contains("13 questions imported into 6 files"),
        "{out:?}"
    );

    let check = env.run(&["bank", "check", "imported"]);
    assert_eq!(check.code, 0, "{check:?}");

    let list = env.run(&["--bank", "imported", "list", "--json"]).json();
    let topics = [
        "rag",
        "llm-apis",
        "agents-and-langgraph",
        "production",
        "fine-tuning",
        "evaluation",
    ];
    let imported: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| {
            std::fs::read_to_string(
                env.path("imported")
                    .join(format!("{}.toml", q["topic"].as_str().unwrap())),
            )
            .is_ok_and(|t| t.contains(&format!("id = \"{}\"", q["id"].as_str().unwrap())))
        })
        .collect();
    assert_eq!(imported.len(), 13, "{list}");
    let seed_text = std::fs::read_to_string(&seed).unwrap();
    for q in &imported {
        let text = q["question"].as_str().unwrap();
        assert!(
            seed_text.contains(&format!("Q: {text}")),
            "not a seed question: {text}"
        );
        assert!(topics.contains(&q["topic"].as_str().unwrap()), "{q}");
    }
    let rag = std::fs::read_to_string(env.path("imported/rag.toml")).unwrap();
    assert!(rag.contains("title = \"RAG and retrieval\""));
    assert!(
        rag.contains("# TODO: review"),
        "no judge: drafted from sentences"
    );
    assert!(!rag.contains("Show answer"));

    // A second import refuses to overwrite, names the file, and leaves it as it was.
    let again = env.run(&["bank", "import", &seed, "--out", "imported", "--merge"]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(
        again.stderr.contains("rag.toml") && again.stderr.contains("already exists"),
        "{again:?}"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("imported/rag.toml")).unwrap(),
        rag
    );
}

pub const NOTES: &str = "# Interview notes\n\n## Caching\n\n### What is exact-match caching?\n\nShow answer\n\nIt hashes the whole request and returns a stored response for a repeat. It costs nothing for repeated queries. Avoid it when temperature is above zero or responses are personal.\n\nQ: When is a semantic cache risky?\n\nWhen two different questions embed close together, one user gets the answer to another question. Tune the threshold and never share entries across users.\n";

#[test]
fn import_with_a_judge_drafts_key_points_through_it() {
    let env = Env::new();
    env.write("notes.md", NOTES);
    let server = FakeServer::start(|req, _| {
        let q = if req.prompt_text().contains("semantic cache") {
            "sem"
        } else {
            "exact"
        };
        Reply::verdict(&json!({"key_points": [
            {"id": format!("{q}-one"), "point": "First fact", "weight": 3, "cues": ["hash|key"]},
            {"id": format!("{q}-two"), "point": "Second fact", "weight": 2, "cues": ["repeat"]},
            {"id": format!("{q}-three"), "point": "Third fact", "weight": 1, "cues": ["user"]}
        ]}))
    });
    let url = server.base_url();
    let vars = [
        ("OPENAI_BASE_URL", url.as_str()),
        ("OPENAI_API_KEY", "test"),
        ("GRILL_MODEL", "test-model"),
    ];
    let out = env.run_with(
        &[
            "bank",
            "import",
            "notes.md",
            "--out",
            "mine",
            "--topic",
            "caching-notes",
            "--judge",
        ],
        "",
        &vars,
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(server.request_count(), 2, "one call per question");
    let body = server.requests()[0].json();
    assert_eq!(body["response_format"]["type"], "json_schema");
    let file = std::fs::read_to_string(env.path("mine/caching-notes.toml")).unwrap();
    assert!(file.contains("# drafted by llm:test-model"), "{file}");
    assert!(!file.contains("TODO"), "{file}");
    assert!(
        file.contains("id = \"sem-two\"") && file.contains("weight = 3"),
        "{file}"
    );
    assert_eq!(env.run(&["bank", "check", "mine"]).code, 0);
    let list = env
        .run(&[
            "--bank",
            "mine",
            "list",
            "--json",
            "--topic",
            "caching-notes",
        ])
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
}

#[test]
fn import_falls_back_to_sentences_when_the_judge_fails_and_rejects_bad_input() {
    let env = Env::new();
    env.write("notes.md", NOTES);
    let server = FakeServer::start(|_, _| Reply::error(404, "no such model"));
    let url = server.base_url();
    let vars = [
        ("OPENAI_BASE_URL", url.as_str()),
        ("OPENAI_API_KEY", "test"),
    ];
    let out = env.run_with(
        &["bank", "import", "notes.md", "--out", "mine", "--judge"],
        "",
        &vars,
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        server.request_count(),
        1,
        "a failing judge is not asked again"
    );
    assert!(out.stderr.contains("warning"), "{out:?}");
    let file = std::fs::read_to_string(env.path("mine/caching.toml")).unwrap();
    assert_eq!(file.matches("[[questions]]").count(), 2, "{file}");
    assert!(file.contains("# TODO: review"), "{file}");
    assert_eq!(env.run(&["bank", "check", "mine"]).code, 0);

    let missing = env.run(&["bank", "import", "nope.md"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("nope.md"), "{missing:?}");
    env.write(
        "empty.md",
        "# Just a heading\n\nSome prose, no questions.\n",
    );
    let none = env.run(&["bank", "import", "empty.md"]);
    assert_eq!(none.code, 2, "{none:?}");
    assert!(none.stderr.contains("no questions"), "{none:?}");
    let bad_topic = env.run(&["bank", "import", "notes.md", "--topic", "My Topic"]);
    assert_eq!(bad_topic.code, 2, "{bad_topic:?}");
    assert!(bad_topic.stderr.contains("--topic"), "{bad_topic:?}");
}

#[test]
fn bank_new_prints_a_template_that_passes_check() {
    let env = Env::new();
    let out = env.run(&["bank", "new", "--topic", "system-design"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with('#'), "commented: {out:?}");
    assert!(out.stdout.contains("topic = \"system-design\""));
    env.write("mine/system-design.toml", &out.stdout);
    let check = env.run(&["bank", "check", "mine"]);
    assert_eq!(check.code, 0, "{check:?}");

    let default = env.run(&["bank", "new"]);
    assert!(
        default.stdout.contains("topic = \"my-topic\""),
        "{default:?}"
    );
    let bad = env.run(&["bank", "new", "--topic", "Bad Topic"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}
