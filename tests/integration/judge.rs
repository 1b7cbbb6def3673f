//! Judge v2 against fake servers: the format ladder as real servers need it
//! (and remembered across processes), the keyed schema, the rules that
//! check quotes and mistakes, grill's own headline, a prompt that caches,
//! and token usage stored with every grade.

use serde_json::{json, Value};

use crate::common::fake_server::{Reply, Request};
use crate::grade::{good_verdict, schema_ids, verdict, Judged};

/// llama-cpp-python's answer to `json_schema`: a 500 naming the field.
fn llama_500() -> Reply {
    Reply::error(
        500,
        "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n  Input should be 'text' or 'json_object'",
    )
}

fn rung(req: &Request) -> String {
    let f = &req.json()["response_format"];
    match (f["type"].as_str(), f.get("schema").is_some()) {
        (Some("json_schema"), _) => "json_schema".into(),
        (Some("json_object"), true) => "json_object+schema".into(),
        (Some("json_object"), false) => "json_object".into(),
        _ => "text".into(),
    }
}

/// A server like llama-cpp-python: no `json_schema`, grammar-constrained `json_object` with a schema.
fn llama_like(req: &Request) -> Reply {
    match rung(req).as_str() {
        "json_schema" => llama_500(),
        _ => Reply::verdict(&good_verdict()),
    }
}

fn grade_answer(t: &Judged, answer: &str, extra: &[(&str, &str)]) -> crate::common::Output {
    t.env.write("answer.txt", answer);
    t.grade_json(extra)
}

#[test]
fn a_500_naming_response_format_steps_down_without_a_retry() {
    let t = Judged::new(|req, _| llama_like(req));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["score"], 7.5);
    let rungs: Vec<String> = t.server.requests().iter().map(rung).collect();
    assert_eq!(
        rungs,
        ["json_schema", "json_object+schema"],
        "no retry of the 500"
    );
    // The grammar-constrained rung carries the bounded schema.
    let body = t.server.requests()[1].json();
    let schema = &body["response_format"]["schema"];
    assert_eq!(schema["properties"]["mistakes"]["maxItems"], 3);
    assert!(body["max_tokens"].as_u64().is_some_and(|n| n > 0), "{body}");

    // A 500 that says nothing of the format is a server error: retried.
    let t = Judged::new(|_, n| match n {
        0 => Reply::error(500, "CUDA out of memory"),
        _ => Reply::verdict(&good_verdict()),
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let rungs: Vec<String> = t.server.requests().iter().map(rung).collect();
    assert_eq!(rungs, ["json_schema", "json_schema"]);
}

#[test]
fn a_second_process_starts_on_the_rung_that_worked() {
    let t = Judged::new(|req, _| llama_like(req));
    assert_eq!(
        grade_answer(&t, "Tests catch regressions before users do.", &[]).code,
        0
    );
    assert_eq!(t.server.request_count(), 2);
    // A new process: straight to the rung that worked.
    assert_eq!(
        grade_answer(&t, "They also document how the code behaves.", &[]).code,
        0
    );
    let rungs: Vec<String> = t.server.requests().iter().map(rung).collect();
    assert_eq!(rungs[2..], ["json_object+schema"]);
    // `--probe` tries the ladder from the top again.
    t.env
        .write("answer.txt", "A third answer about regressions and docs.");
    let out = t.grill(
        &[
            "--probe",
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let rungs: Vec<String> = t.server.requests().iter().map(rung).collect();
    assert_eq!(rungs[3..], ["json_schema", "json_object+schema"]);
    // After 7 days the memory is stale: from the top again.
    let week_later = (chrono::Utc::now() + chrono::Duration::days(8))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let out = grade_answer(
        &t,
        "A fourth answer, a week later.",
        &[("GRILL_NOW", &week_later)],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let rungs: Vec<String> = t.server.requests().iter().map(rung).collect();
    assert_eq!(rungs[5..], ["json_schema", "json_object+schema"]);
}

#[test]
fn the_schema_keys_each_point_by_id_in_bank_order_and_a_list_reply_still_reads() {
    // The list form answered on the text rung is read too.
    let listed = json!({
        "key_points": [
            {"id": "regressions", "coverage": "covered", "evidence": "Tests catch regressions before users"},
            {"id": "docs", "coverage": "missing", "evidence": ""},
            {"id": "refactor", "coverage": "missing", "evidence": ""}
        ],
        "mistakes": [], "feedback": "", "follow_up": ""
    });
    let t = Judged::new(move |_, _| Reply::verdict(&listed));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["score"], 5.0);
    let body = t.server.requests()[0].json();
    assert_eq!(
        schema_ids(&body),
        [json!("regressions"), json!("docs"), json!("refactor")]
    );
    let points = &body["response_format"]["json_schema"]["schema"]["properties"]["key_points"];
    assert_eq!(points["additionalProperties"], false);
    let fields: Vec<&String> = points["properties"]["docs"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        fields,
        ["evidence", "coverage"],
        "the quote before the decision"
    );
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert!(
        !body.to_string().contains("maxLength"),
        "strict mode gets no length bounds"
    );
}

#[test]
fn quotes_and_mistakes_are_checked_against_the_answer() {
    // ANSWER: "Tests catch regressions before users do.\nThey also document how the code behaves."
    let mut v = verdict(
        &[
            ("regressions", "covered", "regressions"),
            ("docs", "covered", "regressions"),
            ("refactor", "covered", "They also document how"),
        ],
        0,
    );
    v["mistakes"] = json!([
        {"quote": "Tests catch regressions before users do", "correction": "they catch some"},
        {"quote": "Tests slow teams down", "correction": "invented by the judge"}
    ]);
    v["feedback"] = "Excellent, complete answer.".into();
    let verdict_json = v.clone();
    let t = Judged::new(move |_, _| Reply::verdict(&verdict_json));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let j = out.json();
    let checks: Vec<Value> = j["key_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["coverage"], p["check"]]))
        .collect();
    assert_eq!(
        checks,
        [
            json!(["partial", "short_quote"]),
            json!(["missing", "reused_quote"]),
            json!(["covered", null])
        ]
    );
    assert_eq!(j["mistakes"][0]["verified"], true);
    assert_eq!(j["mistakes"][1]["verified"], false);
    // (2 × ½ + 1) / 4 = 5.0, minus the one mistake quoted from the answer.
    assert_eq!(j["score"], 4.0);
    assert_eq!(j["headline"], "weak");

    let out = t.grill(
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &[],
    );
    let text = &out.stdout;
    assert!(text.starts_with("Score 4.0/10 · weak answer"), "{text}");
    assert!(
        text.contains("half credit at most: “regressions” is too short"),
        "{text}"
    );
    assert!(
        text.contains("not credited: “regressions” was already credited"),
        "{text}"
    );
    assert!(
        text.contains("not counted: these words are not in your answer"),
        "{text}"
    );
    assert!(
        text.contains("Judge's notes\n  Excellent, complete answer."),
        "{text}"
    );
}

#[test]
fn two_answers_to_one_question_share_the_prompt_up_to_the_answer() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    assert_eq!(
        grade_answer(&t, "Tests catch regressions before users do.", &[]).code,
        0
    );
    assert_eq!(
        grade_answer(&t, "Something else entirely, much longer than that.", &[]).code,
        0
    );
    let reqs = t.server.requests();
    let messages = |r: &Request| -> Vec<String> {
        r.json()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap().to_string())
            .collect()
    };
    let (a, b) = (messages(&reqs[0]), messages(&reqs[1]));
    assert_eq!(a[0], b[0], "the system prompt is byte-identical");
    let tag = "whose TAG is ";
    let cut = a[1].find(tag).unwrap() + tag.len();
    assert_eq!(a[1][..cut], b[1][..cut], "the user prompt up to the nonce");
    assert!(
        a[1][..cut].contains("## Key points"),
        "question, model answer and key points first"
    );
    assert_ne!(
        a[1][cut..cut + 16],
        b[1][cut..cut + 16],
        "a fresh nonce per call"
    );
    let (ja, jb) = (reqs[0].json(), reqs[1].json());
    assert_eq!(
        ja["response_format"], jb["response_format"],
        "the same schema"
    );
}

#[test]
fn token_usage_is_stored_with_each_grade() {
    let t = Judged::new(|_, _| {
        let mut reply = good_verdict().to_string();
        reply = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1300, "completion_tokens": 210, "total_tokens": 1510,
                      "prompt_tokens_details": {"cached_tokens": 1152}}
        })
        .to_string();
        Reply::Status {
            status: 200,
            body: reply,
            headers: vec![("content-type".into(), "application/json".into())],
            delay: std::time::Duration::ZERO,
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let usage = json!({"prompt": 1300, "cached": 1152, "completion": 210});
    assert_eq!(out.json()["usage"], usage);
    let history = t.grill(&["history", "--json"], "", &[]).json();
    assert_eq!(history[0]["usage"], usage);
    // The same answer again comes from the cache: no call, no tokens.
    let again = t.grade_json(&[]).json();
    assert_eq!(again["usage"], Value::Null);
    assert_eq!(t.server.request_count(), 1);
}

#[test]
fn options_a_model_refuses_are_changed_without_stepping_down() {
    // A reasoning model: no max_tokens, no temperature but the default.
    let t = Judged::new(|req, _| {
        let body = req.json();
        if body.get("max_tokens").is_some() {
            Reply::error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.")
        } else if body.get("temperature").is_some() {
            Reply::error(400, "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.")
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let reqs = t.server.requests();
    assert_eq!(
        reqs.len(),
        2,
        "a refused max_tokens says it is a reasoning model: no temperature either"
    );
    let last = reqs[1].json();
    assert_eq!(
        rung(&reqs[1]),
        "json_schema",
        "the format was never the problem"
    );
    assert!(last.get("max_completion_tokens").is_some(), "{last}");
}

#[test]
fn a_raw_newline_inside_a_string_from_a_small_model_is_read() {
    let content = good_verdict()
        .to_string()
        .replace("Good on regressions;", "Good on regressions;\nsay");
    assert!(serde_json::from_str::<Value>(&content).is_err());
    let t = Judged::new(move |_, _| Reply::chat(&content));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(t.server.request_count(), 1, "no re-ask for it");
}

/// A server that lists `models` and grades like `llama_like`.
fn listing(models: &'static [&'static str]) -> impl Fn(&Request, usize) -> Reply {
    move |req, _| {
        if req.path.ends_with("/models") {
            let data: Vec<Value> = models
                .iter()
                .map(|m| json!({"id": m, "object": "model"}))
                .collect();
            return Reply::Status {
                status: 200,
                body: json!({"object": "list", "data": data}).to_string(),
                headers: vec![("content-type".into(), "application/json".into())],
                delay: std::time::Duration::ZERO,
            };
        }
        match rung(req).as_str() {
            "json_schema" => llama_500(),
            _ => crate::grade::echo_verdict(req),
        }
    }
}

#[test]
fn the_doctor_checks_what_a_new_user_needs_and_never_prints_the_key() {
    let t = Judged::new(listing(&["test-model", "other-model"]));
    let out = t.grill(&["doctor"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    for line in [
        "✓ reachable",
        "✓ model",
        "✓ structured call",
        "`json_object+schema` rung",
        "✓ usage",
    ] {
        assert!(out.stdout.contains(line), "{line}: {out:?}");
    }
    assert!(!out.stdout.contains(crate::grade::KEY) && !out.stderr.contains(crate::grade::KEY));
    assert!(
        out.stdout.contains("key set (env OPENAI_API_KEY)"),
        "{out:?}"
    );
    // The rung it settled on is remembered: the next grade starts there.
    assert_eq!(t.grade_json(&[]).code, 0);
    let rungs: Vec<String> = t
        .server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .map(rung)
        .collect();
    assert_eq!(
        rungs,
        ["json_schema", "json_object+schema", "json_object+schema"]
    );

    let json = t.grill(&["doctor", "--json"], "", &[]).json();
    assert_eq!(json["format"], "json_object+schema");
    assert_eq!(json["usage"]["prompt"], 42);
}

#[test]
fn the_doctor_names_what_is_wrong_and_exits_1() {
    let t = Judged::new(listing(&["llama3.1:8b", "qwen2.5:7b"]));
    let out = t.grill(&["doctor"], "", &[("GRILL_MODEL", "llama3.1")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("✗ model"), "{out:?}");
    assert!(
        out.stdout.contains("did you mean `llama3.1:8b`?"),
        "{out:?}"
    );
    assert!(
        out.stderr
            .contains("the judge is not ready: the `model` check failed"),
        "{out:?}"
    );
    // The reason is said once, in the checklist, not again on stderr.
    assert!(!out.stderr.contains("did you mean"), "{out:?}");
    assert_eq!(
        t.server
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        0,
        "no call with a model the server does not have"
    );

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = t.grill(
        &["doctor"],
        "",
        &[("OPENAI_BASE_URL", &format!("http://127.0.0.1:{port}/v1"))],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("✗ reachable"), "{out:?}");
    assert!(out.stdout.contains("connection refused"), "{out:?}");

    let env = crate::common::Env::new();
    let out = env.run(&["doctor"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("✗ configured"), "{out:?}");
    assert!(out.stdout.contains("OPENAI_API_KEY"), "{out:?}");
}

#[test]
fn refusals_that_are_not_about_the_format_do_not_step_down() {
    // A prompt longer than the model's context: no rung will change that.
    let t = Judged::new(|_, _| {
        Reply::Status {
            status: 400,
            body: json!({"error": {"message": "This model's maximum context length is 4096 tokens. However, you requested 5031 tokens", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}).to_string(),
            headers: vec![("content-type".into(), "application/json".into())],
            delay: std::time::Duration::ZERO,
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("does not fit the judge model's context"),
        "{out:?}"
    );
    assert_eq!(t.server.request_count(), 1);

    // llama-cpp-python's 500 for any request field it rejects: not retried.
    let t = Judged::new(|req, _| {
        if req.json().get("temperature").is_some() {
            Reply::error(
                500,
                "1 validation error:\n  {'type': 'float_parsing', 'loc': ('body', 'temperature')}",
            )
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let rungs: Vec<String> = t.server.requests().iter().map(rung).collect();
    assert_eq!(
        rungs,
        ["json_schema", "json_schema"],
        "no backoff, no step down"
    );
}

#[test]
fn a_reply_cut_at_the_token_limit_is_asked_again_shorter() {
    let t = Judged::new(|_, n| {
        if n == 0 {
            let cut = &good_verdict().to_string()[..60];
            let body = json!({
                "id": "c", "object": "chat.completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": cut}, "finish_reason": "length"}],
                "usage": {"prompt_tokens": 900, "completion_tokens": 1200, "total_tokens": 2100}
            });
            Reply::Status {
                status: 200,
                body: body.to_string(),
                headers: vec![("content-type".into(), "application/json".into())],
                delay: std::time::Duration::ZERO,
            }
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let reask = t.server.requests()[1].prompt_text();
    assert!(reask.contains("cut off at the token limit"), "{reask}");
    // Both calls' tokens are counted.
    assert_eq!(out.json()["usage"]["prompt"], 942);
}

#[test]
fn a_verdict_without_the_key_points_wrapper_is_read_as_keyed() {
    // What SmolLM2-135M wrote for one answer in a hundred: the ids at the
    // top level. Read once, not re-asked; the evidence rules still apply.
    let flat = json!({
        "regressions": {"evidence": "Tests catch regressions before users", "coverage": "covered"},
        "docs": {"evidence": "words that are not in the answer", "coverage": "covered"},
        "refactor": {"evidence": "", "coverage": "missing"},
        "mistakes": [], "feedback": "", "follow_up": ""
    });
    let t = Judged::new(move |_, _| Reply::verdict(&flat));
    let out = t.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(t.server.request_count(), 1, "no re-ask");
    let v = out.json();
    assert_eq!(v["score"], 5.0, "docs' quote is not in the answer: {v}");
    assert_eq!(v["key_points"][1]["coverage"], "missing", "{v}");
}
