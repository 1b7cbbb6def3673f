//! Streamed chat completions for the fake server, in the exact chunk shapes
//! OpenAI sends: a first chunk with the role and empty content, the content
//! in pieces, a chunk with `finish_reason` and an empty delta, with
//! `stream_options.include_usage` a last chunk whose `choices` is empty and
//! which carries `usage` (every other chunk has `"usage": null`), then
//! `data: [DONE]`.

#![allow(dead_code)]

use std::time::Duration;

use serde_json::{json, Value};

use super::fake_server::{Reply, Request};

/// One `chat.completion.chunk`'s data.
pub fn chunk(delta: &Value, finish: Option<&str>, usage: bool) -> String {
    let mut chunk = json!({
        "id": "chatcmpl-fakestream",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "fake-model",
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    });
    if usage {
        chunk["usage"] = Value::Null;
    }
    chunk.to_string()
}

/// The usage chunk of `stream_options.include_usage`: no choices.
pub fn usage_chunk(prompt: u64, completion: u64) -> String {
    json!({
        "id": "chatcmpl-fakestream",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "fake-model",
        "system_fingerprint": "fp_fake",
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    })
    .to_string()
}

/// `content` in `pieces` chunks of about equal length, spread evenly over
/// `over` (the first piece after `over / pieces`), with the usage chunk when
/// `usage` (the request's `stream_options.include_usage`).
pub fn streamed(content: &str, pieces: usize, over: Duration, usage: bool) -> Reply {
    let chars: Vec<char> = content.chars().collect();
    let pieces = pieces.clamp(1, chars.len().max(1));
    let step = over / pieces as u32;
    let mut events = vec![(
        Duration::ZERO,
        chunk(
            &json!({"role": "assistant", "content": "", "refusal": null}),
            None,
            usage,
        ),
    )];
    let size = chars.len().div_ceil(pieces).max(1);
    for piece in chars.chunks(size) {
        let piece: String = piece.iter().collect();
        events.push((step, chunk(&json!({"content": piece}), None, usage)));
    }
    events.push((Duration::ZERO, chunk(&json!({}), Some("stop"), usage)));
    if usage {
        let completion = content.split_whitespace().count().max(1) as u64;
        events.push((Duration::ZERO, usage_chunk(42, completion)));
    }
    events.push((Duration::ZERO, "[DONE]".to_string()));
    Reply::Stream {
        headers: vec![],
        events,
    }
}

/// Whether the request asks to stream, and for usage in a last chunk.
pub fn asks(req: &Request) -> (bool, bool) {
    let body = req.json();
    (
        body["stream"] == json!(true),
        body["stream_options"]["include_usage"] == json!(true),
    )
}

/// `reply` (a whole chat completion, e.g. `Reply::verdict`) streamed in
/// `pieces` over `over` when the request asks to stream; as it is otherwise.
pub fn as_asked(req: &Request, reply: Reply, pieces: usize, over: Duration) -> Reply {
    let (stream, usage) = asks(req);
    let Reply::Status {
        status: 200, body, ..
    } = &reply
    else {
        return reply;
    };
    let content = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/choices/0/message/content")?
            .as_str()
            .map(str::to_string)
    });
    match content {
        Some(content) if stream => streamed(&content, pieces, over, usage),
        _ => reply,
    }
}
