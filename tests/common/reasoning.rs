//! Judges that answer as today's hosted reasoning models do, with their
//! own refusal bodies (issue 21):
//!
//! - OpenAI's GPT-5 family and o-series: `max_tokens` refused with
//!   `unsupported_parameter`, any `temperature` but 1 with `unsupported_value`;
//!   reasoning tokens spent before the visible reply, counted against
//!   `max_completion_tokens` (about 1,500 at the default `medium`); a reply
//!   whose reasoning eats the cap comes back empty with `finish_reason: "length"`.
//! - Anthropic's OpenAI-compatible endpoint on Claude Opus 4.7 and later:
//!   a temperature is refused as deprecated.
//! - Gemini's OpenAI-compatible endpoint: errors as a list of bodies, and a
//!   thinking level the model lacks (`minimal` on gemini-3-flash) refused.

use serde_json::{json, Value};

use super::fake_server::{Reply, Request};

/// Reasoning tokens spent per effort before the visible reply.
pub fn spend(effort: &str) -> u64 {
    match effort {
        "none" => 0,
        "minimal" => 100,
        "low" => 400,
        "medium" => 1500,
        "high" => 4000,
        _ => 40_000,
    }
}

fn openai_error(message: &str, param: &str, code: &str) -> Reply {
    Reply::json(
        400,
        &json!({"error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }}),
    )
}

/// A chat completion with `content`, usage counting `reasoning` tokens.
fn completion(content: &str, reasoning: u64, finish: &str, visible: u64) -> Reply {
    Reply::json(
        200,
        &json!({
            "id": "chatcmpl-reasoning",
            "object": "chat.completion",
            "created": 1_790_000_000u64,
            "model": "fake-reasoner",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "finish_reason": finish,
            }],
            "usage": {
                "prompt_tokens": 900,
                "completion_tokens": reasoning + visible,
                "total_tokens": 900 + reasoning + visible,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": reasoning},
            },
        }),
    )
}

/// Answers as OpenAI's GPT-5 family does: refusals first, then `verdict`
/// after the reasoning the request's effort costs, or an empty reply when
/// the reasoning eats the cap.
pub fn openai(req: &Request, verdict: &Value) -> Reply {
    openai_content(req, &verdict.to_string())
}

/// `openai` with the content of another judge's reply (`echo_verdict`'s, say).
pub fn openai_like(req: &Request, inner: &Reply) -> Reply {
    let Reply::Status { body, .. } = inner else {
        return inner.clone();
    };
    let body: Value = serde_json::from_str(body).unwrap_or_default();
    let content = body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    openai_content(req, &content)
}

fn openai_content(req: &Request, text: &str) -> Reply {
    let body = req.json();
    if body.get("max_tokens").is_some() {
        return openai_error(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            "max_tokens",
            "unsupported_parameter",
        );
    }
    if let Some(t) = body.get("temperature") {
        if t.as_f64() != Some(1.0) {
            return openai_error(
                &format!("Unsupported value: 'temperature' does not support {t} with this model. Only the default (1) value is supported."),
                "temperature",
                "unsupported_value",
            );
        }
    }
    let effort = body["reasoning_effort"].as_str().unwrap_or("medium");
    let cap = body["max_completion_tokens"].as_u64().unwrap_or(100_000);
    let reasoning = spend(effort);
    let visible = (text.len() / 4) as u64;
    if reasoning + visible > cap {
        return completion("", cap, "length", 0);
    }
    completion(text, reasoning, "stop", visible)
}

/// Answers as Anthropic's compatible endpoint does on Claude Opus 4.7+:
/// any temperature refused; `response_format` and `reasoning_effort` ignored.
pub fn anthropic(req: &Request, verdict: &Value) -> Reply {
    if req.json().get("temperature").is_some() {
        return Reply::json(
            400,
            &json!({"type": "error", "error": {
                "type": "invalid_request_error",
                "message": "`temperature` is deprecated for this model.",
            }}),
        );
    }
    Reply::verdict(verdict)
}

/// Answers as Gemini's compatible endpoint does on gemini-3-flash: a
/// `minimal` thinking level refused, in Gemini's list form.
pub fn gemini(req: &Request, verdict: &Value) -> Reply {
    if req.json()["reasoning_effort"] == "minimal" {
        return Reply::json(
            400,
            &json!([{"error": {
                "code": 400,
                "message": "Thinking level MINIMAL is not supported for this model. Please retry with other thinking level.",
                "status": "INVALID_ARGUMENT",
            }}]),
        );
    }
    Reply::verdict(verdict)
}
