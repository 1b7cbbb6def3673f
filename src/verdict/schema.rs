//! The JSON schema of a verdict, sent as `response_format`. Key points are
//! keyed by id, one required property per id in bank order, each with the
//! quote before the decision: under constrained decoding every id appears
//! exactly once and the judge commits to words before it judges them.
//!
//! `bounded` adds what a small model needs to finish (llama-cpp-python's
//! grammar enforces it): a `maxLength` on every string and a `maxItems` on
//! the mistakes. OpenAI's strict mode rejects those keywords, so the
//! `json_schema` rung sends the schema without them; grill cuts what is too
//! long itself (`MAX_MISTAKES`).

use serde_json::{json, Map, Value};

use crate::bank::Question;

/// The longest quote, correction or follow-up asked for, in characters.
pub const MAX_QUOTE_CHARS: usize = 200;
pub const MAX_FEEDBACK_CHARS: usize = 400;
/// At most this many mistakes are kept.
pub const MAX_MISTAKES: usize = 3;

fn string(bounded: bool, max: usize) -> Value {
    if bounded {
        json!({"type": "string", "maxLength": max})
    } else {
        json!({"type": "string"})
    }
}

/// The verdict schema for `question`, its ids in bank order.
pub fn verdict_schema(question: &Question, bounded: bool) -> Value {
    let ids: Vec<&str> = question.key_points.iter().map(|k| k.id.as_str()).collect();
    let mut points = Map::new();
    for id in &ids {
        points.insert(
            (*id).to_string(),
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["evidence", "coverage"],
                "properties": {
                    "evidence": string(bounded, MAX_QUOTE_CHARS),
                    "coverage": {"type": "string", "enum": ["covered", "partial", "missing"]}
                }
            }),
        );
    }
    let mut mistakes = json!({
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["quote", "correction"],
            "properties": {
                "quote": string(bounded, MAX_QUOTE_CHARS),
                "correction": string(bounded, MAX_QUOTE_CHARS)
            }
        }
    });
    if bounded {
        mistakes["maxItems"] = MAX_MISTAKES.into();
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["key_points", "mistakes", "feedback", "follow_up"],
        "properties": {
            "key_points": {
                "type": "object",
                "additionalProperties": false,
                "required": ids,
                "properties": points
            },
            "mistakes": mistakes,
            "feedback": string(bounded, MAX_FEEDBACK_CHARS),
            "follow_up": string(bounded, MAX_QUOTE_CHARS)
        }
    })
}
