use std::sync::{Arc, Mutex};

use serde_json::json;

use super::*;
use crate::verdict::SeenPoint;

/// A chunk as OpenAI streams it: `delta`, `finish_reason`, `usage: null`.
fn chunk(delta: &Value, finish: Option<&str>) -> String {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "system_fingerprint": "fp", "usage": null,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    })
    .to_string()
}

fn feed_all(events: &[String]) -> (Result<bool, CallError>, Streamed, Vec<String>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let progress: Progress = Arc::new(move |p: &SeenPoint| {
        sink.lock()
            .unwrap()
            .push(format!("{} {}", p.id, p.coverage.as_str()));
    });
    let mut reply = Assembly::default();
    let mut last = Ok(false);
    for data in events {
        last = reply.event(data, &Secret::default(), Some(&progress));
        if !matches!(last, Ok(false)) {
            break;
        }
    }
    let seen = seen.lock().unwrap().clone();
    (last, reply.whole, seen)
}

#[test]
fn events_are_split_on_any_line_ending_across_pieces() {
    let mut events = Events::default();
    let mut out = events.feed(b": keep-alive\n\ndata: {\"a\"");
    assert!(out.is_empty());
    out.extend(events.feed(b":1}\r\n\r\ndata:x\rdata: y\r\r"));
    out.extend(events.feed(b"event: ping\nid: 3\ndata: [DONE]\n"));
    assert_eq!(out, ["{\"a\":1}", "x\ny"]);
    // The last event, without its blank line, is read at the end.
    assert_eq!(events.finish().as_deref(), Some("[DONE]"));
    assert_eq!(events.finish(), None);
    // A CR at the end of one piece and the LF at the start of the next are one line end.
    let mut events = Events::default();
    let mut out = events.feed(b"data: 1\r");
    out.extend(events.feed(b"\n\r\ndata: 2\n\n"));
    assert_eq!(out, ["1", "2"]);
}

#[test]
fn openai_chunks_assemble_the_content_usage_and_finish() {
    let verdict = r#"{"key_points":{"regressions":{"evidence":"catch","coverage":"covered"},"speed":{"evidence":"","coverage":"missing"}},"mistakes":[],"feedback":"f","follow_up":"u"}"#;
    let mut events = vec![chunk(
        &json!({"role": "assistant", "content": "", "refusal": null}),
        None,
    )];
    let cut = verdict.find("\"speed\"").unwrap();
    for piece in [&verdict[..10], &verdict[10..cut], &verdict[cut..]] {
        events.push(chunk(&json!({"content": piece}), None));
    }
    events.push(chunk(&json!({}), Some("stop")));
    events.push(
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [], "usage": {"prompt_tokens": 90, "completion_tokens": 40, "total_tokens": 130,
            "prompt_tokens_details": {"cached_tokens": 64}}})
        .to_string(),
    );
    events.push("[DONE]".into());
    let (last, whole, seen) = feed_all(&events);
    assert_eq!(last, Ok(true));
    assert_eq!(whole.text, verdict);
    assert_eq!(whole.finish.as_deref(), Some("stop"));
    assert_eq!(
        whole.usage.unwrap()["prompt_tokens_details"]["cached_tokens"],
        64
    );
    assert_eq!(seen, ["regressions covered", "speed missing"]);
}

#[test]
fn vllm_and_llama_cpp_usage_shapes_are_taken() {
    // vLLM: the usage chunk's `choices` is null.
    let (_, whole, _) = feed_all(&[
        chunk(&json!({"content": "{}"}), Some("length")),
        json!({"choices": null, "usage": {"prompt_tokens": 5, "completion_tokens": 1}}).to_string(),
    ]);
    assert_eq!(whole.usage.unwrap()["prompt_tokens"], 5);
    assert_eq!(whole.finish.as_deref(), Some("length"));
    // llama.cpp: the usage rides on the last chunk with choices; reasoning
    // deltas are not content.
    let mut last = serde_json::from_str::<Value>(&chunk(&json!({}), Some("stop"))).unwrap();
    last["usage"] = json!({"prompt_tokens": 7, "completion_tokens": 2});
    let (_, whole, _) = feed_all(&[
        chunk(&json!({"reasoning_content": "hmm"}), None),
        chunk(&json!({"content": "ok"}), None),
        last.to_string(),
    ]);
    assert_eq!(
        (
            whole.text.as_str(),
            whole.usage.unwrap()["prompt_tokens"].clone()
        ),
        ("ok", json!(7))
    );
}

#[test]
fn an_error_event_or_a_chunk_that_is_not_json_ends_the_reply() {
    let (last, _, _) = feed_all(&[
        chunk(&json!({"content": "{\"key"}), None),
        json!({"error": {"message": "Internal server error", "type": "server_error"}}).to_string(),
    ]);
    assert!(
        matches!(&last, Err(CallError::BadBody { message }) if message.contains("Internal server error")),
        "{last:?}"
    );
    let (last, _, _) = feed_all(&["{not json".to_string()]);
    assert!(matches!(last, Err(CallError::BadBody { .. })), "{last:?}");
}
