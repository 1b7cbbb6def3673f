//! The format ladder: how the verdict's JSON shape is asked for, strictest
//! first, and the `response_format` each rung sends. A server that refuses
//! one rung is asked with the next (`openai`), and the rung it took is
//! remembered (`profile`, the store).

use serde_json::{json, Value};

/// How the verdict's JSON shape is asked for, strictest first: a server
/// that rejects one rung gets the next (the format ladder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Format {
    /// `{"type": "json_schema", "json_schema": {"strict": true, ...}}` (OpenAI, vLLM, Ollama).
    JsonSchema = 0,
    /// `{"type": "json_object", "schema": ...}`: llama-cpp-python's grammar-constrained form.
    JsonObjectSchema = 1,
    /// `{"type": "json_object"}`: valid JSON, shape asked for in the prompt.
    JsonObject = 2,
    /// No `response_format`: the JSON object is picked out of the text.
    Text = 3,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::JsonSchema,
        Format::JsonObjectSchema,
        Format::JsonObject,
        Format::Text,
    ];

    pub(super) fn from_u8(v: u8) -> Format {
        Format::ALL[usize::from(v).min(3)]
    }

    pub(super) fn next(self) -> Option<Format> {
        Format::ALL.get(self as usize + 1).copied()
    }

    /// The name stored and shown: `json_schema`, `json_object+schema`, `json_object`, `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::JsonSchema => "json_schema",
            Format::JsonObjectSchema => "json_object+schema",
            Format::JsonObject => "json_object",
            Format::Text => "text",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The request's `response_format` for `schema` (the bounded verdict schema).
    pub(super) fn response_format(self, schema: &Value) -> Option<Value> {
        match self {
            Format::JsonSchema => Some(json!({
                "type": "json_schema",
                "json_schema": {"name": "verdict", "strict": true, "schema": without_bounds(schema)}
            })),
            Format::JsonObjectSchema => Some(json!({"type": "json_object", "schema": schema})),
            Format::JsonObject => Some(json!({"type": "json_object"})),
            Format::Text => None,
        }
    }
}

/// The schema without `maxLength` and `maxItems`, which OpenAI's strict mode
/// rejects; grill enforces its own limits on what comes back.
fn without_bounds(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "maxLength" | "maxItems"))
                .map(|(k, v)| (k.clone(), without_bounds(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_bounds).collect()),
        other => other.clone(),
    }
}
