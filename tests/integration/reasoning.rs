//! The judge on today's hosted models (issue 21): each family's request
//! shape sent from the first request, an unknown reasoning model learnt from
//! its refusals and remembered by the next process, a budget spent on
//! reasoning told apart from an invalid reply, and reasoning tokens counted.

use serde_json::Value;

use super::grade::{good_verdict, Judged};
use crate::common::reasoning;

fn bodies(t: &Judged) -> Vec<Value> {
    t.server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .map(crate::common::fake_server::Request::json)
        .collect()
}

#[test]
fn gpt_5_mini_is_graded_in_one_request_with_its_own_shape() {
    let t = Judged::new(|req, _| reasoning::openai(req, &good_verdict()));
    let out = t.grade_json(&[("GRILL_MODEL", "gpt-5-mini")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["score"], 7.5);
    let sent = bodies(&t);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = &sent[0];
    assert_eq!(body.get("temperature"), None);
    assert_eq!(body.get("max_tokens"), None);
    assert_eq!(body["max_completion_tokens"], 8000);
    assert_eq!(body["reasoning_effort"], "low");
    // The reasoning share is stored and shown.
    let usage = t.grill(&["usage", "--json"], "", &[]).json();
    let row = &usage["models"][0];
    assert_eq!(row["model"], "gpt-5-mini", "{usage}");
    assert_eq!(row["reasoning_tokens"], reasoning::spend("low"), "{usage}");
}

#[test]
fn an_unknown_reasoning_model_is_learnt_once_and_remembered() {
    let t = Judged::new(|req, _| reasoning::openai(req, &good_verdict()));
    let model = [("GRILL_MODEL", "acme-reasoner")];
    let out = t.grade_json(&model);
    assert_eq!(out.code, 0, "{out:?}");
    let first = bodies(&t).len();
    assert!(first <= 3, "{first} requests the first time");
    // The next process sends the right request first (another answer: the
    // same one would come from the verdict cache).
    t.env.write(
        "answer.txt",
        "Tests catch regressions before users do.\nThey also document how the code behaves, twice.",
    );
    let out = t.grade_json(&model);
    assert_eq!(out.code, 0, "{out:?}");
    let sent = bodies(&t);
    assert_eq!(sent.len(), first + 1, "one request on the second run");
    let last = sent.last().unwrap();
    assert_eq!(last.get("max_tokens"), None);
    assert_eq!(last.get("temperature"), None);
    assert!(last["max_completion_tokens"].as_u64().unwrap() >= 8000);
}

#[test]
fn medium_effort_with_a_small_budget_widens_once_and_grades() {
    let t = Judged::new(|req, _| reasoning::openai(req, &good_verdict()));
    t.env.write(
        "config.toml",
        "reasoning_effort = \"medium\"\nmax_reply_tokens = 1200\n",
    );
    let config = t.env.path("config.toml");
    let config = config.to_str().unwrap();
    let out = t.grade_json(&[("GRILL_MODEL", "gpt-5-mini"), ("GRILL_CONFIG", config)]);
    assert_eq!(out.code, 0, "{out:?}");
    let caps: Vec<Value> = bodies(&t)
        .iter()
        .map(|b| b["max_completion_tokens"].clone())
        .collect();
    assert_eq!(caps, vec![Value::from(1200), Value::from(8000)]);
}

#[test]
fn a_budget_spent_on_reasoning_is_said_so_and_the_answer_kept() {
    let t = Judged::new(|req, _| reasoning::openai(req, &good_verdict()));
    let out = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--reasoning-effort",
            "max",
        ],
        "",
        &[("GRILL_MODEL", "gpt-6-luna")],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("spent its whole budget of 16000 tokens reasoning; raise `max_reply_tokens` or lower `reasoning_effort`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("not a JSON object"), "{}", out.stderr);
    assert_eq!(bodies(&t).len(), 2);
    let history = t.grill(&["history", "--json"], "", &[]);
    assert!(history.stdout.contains("ungraded"), "{history:?}");
}

#[test]
fn claude_opus_is_sent_no_temperature_and_others_learn_from_the_refusal() {
    let t = Judged::new(|req, _| reasoning::anthropic(req, &good_verdict()));
    let out = t.grade_json(&[("GRILL_MODEL", "claude-opus-4-7")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(bodies(&t).len(), 1);
    assert_eq!(bodies(&t)[0]["max_tokens"], 2000);
    // A Claude model the table thinks takes a temperature learns otherwise.
    let out = t.grade_json(&[("GRILL_MODEL", "claude-next-1")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(bodies(&t).len(), 3);
}

#[test]
fn gemini_steps_up_from_a_thinking_level_it_lacks() {
    let t = Judged::new(|req, _| reasoning::gemini(req, &good_verdict()));
    let out = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--json",
            "--reasoning-effort",
            "minimal",
        ],
        "",
        &[("GRILL_MODEL", "gemini-3-flash")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let efforts: Vec<Value> = bodies(&t)
        .iter()
        .map(|b| b["reasoning_effort"].clone())
        .collect();
    assert_eq!(efforts, vec![Value::from("minimal"), Value::from("low")]);
}

#[test]
fn a_reasoning_effort_nobody_takes_is_refused_by_name() {
    let t = Judged::new(|req, _| reasoning::openai(req, &good_verdict()));
    let out = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--reasoning-effort",
            "hgih",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--reasoning-effort"), "{}", out.stderr);
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[("GRILL_REASONING_EFFORT", "turbo")],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("GRILL_REASONING_EFFORT"),
        "{}",
        out.stderr
    );
    assert_eq!(bodies(&t).len(), 0);
}

/// A judge whose `GET /models/{id}` gives `shutdown` for every model.
fn with_shutdown(shutdown: Option<&'static str>) -> Judged {
    Judged::new(move |req, _| {
        if req.method == "GET" && req.path.starts_with("/v1/models/") {
            let id = req.path.trim_start_matches("/v1/models/");
            return crate::common::fake_server::Reply::json(
                200,
                &serde_json::json!({"id": id, "object": "model", "owned_by": "system",
                                    "shutdown_date": shutdown}),
            );
        }
        reasoning::openai(req, &good_verdict())
    })
}

fn model_reads(t: &Judged) -> usize {
    t.server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/models/"))
        .count()
}

#[test]
fn a_model_retiring_within_ninety_days_is_announced_once_a_day_with_its_replacement() {
    let t = with_shutdown(Some("2027-01-14"));
    let vars = [
        ("GRILL_MODEL", "gpt-4o-mini"),
        ("GRILL_CHECK_RETIREMENT", "1"),
        ("GRILL_NOW", "2026-12-03T10:00:00Z"),
    ];
    let out = t.grade_json(&vars);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("the judge model `gpt-4o-mini` shuts down on 2027-01-14 (in 42 days), as its server says; switch to `gpt-6-luna`"),
        "{}",
        out.stderr
    );
    assert_eq!(model_reads(&t), 1);
    // The same day: the date is remembered, not asked again; still said.
    t.env.write(
        "answer.txt",
        "Tests catch regressions before users do, again.",
    );
    let out = t.grade_json(&vars);
    assert!(
        out.stderr.contains("shuts down on 2027-01-14"),
        "{}",
        out.stderr
    );
    assert_eq!(model_reads(&t), 1);
    // `grill doctor` asks now, and says it as a warning.
    let out = t.grill(&["doctor", "--json"], "", &vars);
    let v = out.json();
    let check = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "retirement")
        .cloned()
        .unwrap();
    assert_eq!(check["status"], "warn", "{v}");
    assert_eq!(model_reads(&t), 2);
    assert_eq!(v["profile"]["family"], "GPT-4.1 and GPT-4o", "{v}");
}

#[test]
fn a_server_without_the_field_falls_back_on_the_shipped_table() {
    let t = with_shutdown(None);
    let out = t.grade_json(&[
        ("GRILL_MODEL", "gpt-4.1-mini"),
        ("GRILL_CHECK_RETIREMENT", "1"),
        ("GRILL_NOW", "2026-12-20T10:00:00Z"),
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(
            "`gpt-4.1-mini` shuts down on 2027-01-14 (in 25 days), as announced on 2026-10-14"
        ),
        "{}",
        out.stderr
    );
    // Far from the date, and for the default model: nothing.
    let t = with_shutdown(None);
    for (model, now) in [
        ("gpt-4o-mini", "2026-09-01T10:00:00Z"),
        ("gpt-6-luna", "2026-12-20T10:00:00Z"),
    ] {
        let out = t.grade_json(&[
            ("GRILL_MODEL", model),
            ("GRILL_CHECK_RETIREMENT", "1"),
            ("GRILL_NOW", now),
        ]);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(
            !out.stderr.contains("shuts down"),
            "{model}: {}",
            out.stderr
        );
    }
}

#[test]
fn doctor_shows_the_profile_and_where_it_came_from() {
    let t = Judged::new(|req, _| {
        if req.method == "GET" {
            return crate::common::fake_server::Reply::json(
                200,
                &serde_json::json!({"object": "list", "data": [{"id": "acme-reasoner", "object": "model"}]}),
            );
        }
        reasoning::openai_like(req, &super::grade::echo_verdict(req))
    });
    let vars = [("GRILL_MODEL", "acme-reasoner")];
    let out = t.grill(&["doctor", "--json"], "", &vars);
    assert_eq!(out.code, 0, "{out:?}");
    let p = &out.json()["profile"];
    assert_eq!(p["family"], "plain chat", "{p}");
    assert_eq!(
        p["origin"], "plain (no family matched) + learnt from the server",
        "{p}"
    );
    assert_eq!(p["token_cap"], "max_completion_tokens");
    assert_eq!(p["temperature"], "omit");
    let out = t.grill(&["doctor"], "", &vars);
    assert!(out.stdout.contains("profile"), "{out:?}");
}
