use serde_json::json;

use super::*;

fn request(shape: &Shape) -> Value {
    let mut r = json!({});
    shape.apply(&mut r);
    r
}

#[test]
fn families_are_matched_by_their_longest_prefix() {
    assert_eq!(lookup("gpt-6-luna").family, "GPT-6");
    assert_eq!(lookup("gpt-5.1-mini").family, "GPT-5.1 and later");
    assert_eq!(lookup("gpt-5-mini").family, "GPT-5");
    assert_eq!(lookup("gpt-5-chat-latest").family, "GPT-5 chat");
    assert_eq!(lookup("openai/o4-mini").family, "o-series");
    assert_eq!(lookup("GPT-4o-mini").family, "GPT-4.1 and GPT-4o");
    assert_eq!(
        lookup("claude-opus-4-7").family,
        "Claude Opus 4.7 and later"
    );
    assert_eq!(lookup("claude-sonnet-4-5").family, "Claude");
    assert_eq!(lookup("gemini-3-flash").family, "Gemini 3");
    let plain = lookup("llama3.1:8b");
    assert_eq!(
        (plain.family.as_str(), plain.origin),
        ("plain chat", Origin::Plain)
    );
    assert!(!reviewed().is_empty());
}

#[test]
fn every_family_cites_its_source_and_offers_the_effort_it_sends() {
    for row in &table().family {
        assert!(row.source.starts_with("https://"), "{}", row.name);
        if let Some(effort) = &row.effort {
            assert!(row.efforts.contains(effort), "{}", row.name);
        }
        for e in &row.efforts {
            assert!(EFFORTS.contains(&e.as_str()), "{}: {e}", row.name);
        }
    }
}

#[test]
fn reasoning_models_get_no_temperature_and_no_max_tokens() {
    let gpt5 = Shape::new(lookup("gpt-5-mini"), Learnt::default());
    assert_eq!(
        request(&gpt5),
        json!({"max_completion_tokens": 8000, "reasoning_effort": "low"})
    );
    // GPT-5.1 and later take a temperature only with reasoning off.
    let mut off = lookup("gpt-5.2");
    off.effort = Some("none".into());
    assert_eq!(
        request(&Shape::new(off, Learnt::default())),
        json!({"max_completion_tokens": 8000, "reasoning_effort": "none", "temperature": 0})
    );
    let plain = Shape::new(lookup("qwen3"), Learnt::default());
    assert_eq!(
        request(&plain),
        json!({"max_tokens": 1200, "temperature": 0})
    );
}

#[test]
fn an_unknown_reasoning_model_is_learnt_from_openai_refusals() {
    let mut shape = Shape::new(lookup("acme-reasoner"), Learnt::default());
    let max_tokens = Refusal {
        message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        param: Some("max_tokens"),
        code: Some("unsupported_parameter"),
    };
    assert!(shape.learn(&max_tokens));
    assert_eq!(
        request(&shape),
        json!({"max_completion_tokens": REASONING_BUDGET})
    );
    // The same refusal again teaches nothing more.
    assert!(!shape.learn(&max_tokens));
    let stored = shape.learnt().to_json().unwrap();
    assert_eq!(Learnt::from_json(&stored), *shape.learnt());
}

#[test]
fn a_temperature_refusal_is_read_from_param_or_prose() {
    let mut shape = Shape::new(lookup("claude-opus-4-8"), Learnt::default());
    assert_eq!(request(&shape)["temperature"], Value::Null);
    let mut shape2 = Shape::new(lookup("claude-haiku-4-5"), Learnt::default());
    let anthropic = Refusal {
        message: "`temperature` is deprecated for this model.",
        param: None,
        code: None,
    };
    assert!(shape2.learn(&anthropic));
    assert_eq!(request(&shape2), json!({"max_tokens": 2000}));
    assert!(!shape.learn(&anthropic));
}

#[test]
fn a_refused_effort_steps_up_or_goes() {
    let mut gemini = lookup("gemini-3-flash");
    gemini.effort = Some("minimal".into());
    let mut shape = Shape::new(gemini, Learnt::default());
    let refusal = Refusal {
        message: "Thinking level MINIMAL is not supported for this model. Please retry with other thinking level.",
        param: None,
        code: None,
    };
    assert!(shape.learn(&refusal));
    assert_eq!(shape.effort(), Some("low"));
    let unknown = Refusal {
        message: "Unrecognized request argument supplied: reasoning_effort",
        param: Some("reasoning_effort"),
        code: Some("unsupported_parameter"),
    };
    assert!(shape.learn(&unknown));
    assert_eq!(shape.effort(), None);
    assert!(!shape.learn(&unknown));
}

#[test]
fn a_spent_budget_widens_up_to_a_ceiling() {
    let mut shape = Shape::new(lookup("llama3"), Learnt::default());
    assert_eq!(shape.widen(), Some(REASONING_BUDGET));
    assert_eq!(shape.widen(), Some(16_000));
    assert_eq!(shape.widen(), Some(MAX_BUDGET));
    assert_eq!(shape.widen(), None);
}

#[test]
fn an_override_replaces_only_what_it_sets() {
    let o = Override {
        effort: Some(Some("medium".into())),
        ..Override::default()
    };
    let p = o.apply(lookup("gpt-6-luna"));
    assert_eq!(
        (p.effort.as_deref(), p.budget, p.origin),
        (Some("medium"), 8000, Origin::Config)
    );
    assert_eq!(
        Override::default().apply(lookup("gpt-6-luna")).origin,
        Origin::Shipped
    );
}

#[test]
fn a_refused_stream_drops_its_options_then_itself_and_is_remembered() {
    let refusal = |message: &'static str, param: Option<&'static str>| Refusal {
        message,
        param,
        code: None,
    };
    let mut shape = Shape::new(lookup("llama3"), Learnt::default());
    assert_eq!(shape.streaming(), Streaming::WithUsage);
    // Words that only contain "stream" teach nothing.
    assert!(!shape.learn_stream(&refusal("the upstream model is loading", None)));
    assert!(!shape.learn_stream(&refusal("streaming is slow today", None)));
    assert!(shape.learn_stream(&refusal(
        "Unrecognized request argument supplied: stream_options",
        None
    )));
    assert_eq!(shape.streaming(), Streaming::WithoutOptions);
    assert!(!shape.learn_stream(&refusal("bad stream_options", None)));
    assert!(shape.learn_stream(&refusal("not supported", Some("stream"))));
    assert_eq!(shape.streaming(), Streaming::No);
    assert!(!shape.learn_stream(&refusal("'stream' is not allowed", None)));
    let stored = shape.learnt().to_json().unwrap();
    assert_eq!(stored, r#"{"stream":"no"}"#);
    assert_eq!(Learnt::from_json(&stored).stream, Some(Streaming::No));
    // Streaming is not part of the request shape a batch line sends.
    assert_eq!(
        request(&shape),
        request(&Shape::new(lookup("llama3"), Learnt::default()))
    );
    // Read from a stored shape of before: nothing learnt about streams.
    assert_eq!(Learnt::from_json(r#"{"budget":8000}"#).stream, None);
}
