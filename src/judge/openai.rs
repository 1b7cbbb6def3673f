//! The judge's client: the only file that builds requests for an
//! OpenAI-compatible server. `async-openai` builds and sends the
//! chat-completions request; its HTTP path is ours (`http`, through the
//! `middleware` feature), so retries, caps and masking follow our policy.
//! Responses are read as plain JSON values (`byot`) because local servers
//! often bend the schema.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use serde_json::{json, Value};

use super::http::{describe, error_message, is_context_overflow, send};
pub use super::http::{CallError, Notify, Policy, MAX_REDIRECTS, MAX_REPLY_BYTES};
use super::score::Usage;
use crate::text::Secret;

/// What a chat completion answered: the assistant's text, and the tokens it
/// cost when the server says.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub usage: Option<Usage>,
    /// The server stopped at the token cap (`finish_reason: "length"`): the
    /// text is a fragment.
    pub truncated: bool,
}

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

    fn from_u8(v: u8) -> Format {
        Format::ALL[usize::from(v).min(3)]
    }

    fn next(self) -> Option<Format> {
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
    fn response_format(self, schema: &Value) -> Option<Value> {
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

/// A client for one judge server and model, shared by every grade of a run.
pub struct OpenAiJudge {
    pub(super) client: async_openai::Client<OpenAIConfig>,
    /// The same HTTP client, for what goes around the middleware: the
    /// Batch API's result files, streamed to disk (`batch_api`).
    pub(super) http: reqwest::Client,
    pub model: String,
    /// The rung of the format ladder in use; starts at the top, or where the
    /// store remembers this server settled.
    format: Arc<AtomicU8>,
    /// Request options this server refused and that are sent differently or
    /// left out from then on (`Fallback` bits).
    fallbacks: AtomicU8,
    /// The key and any password, only to mask them in what the server sends back.
    pub(super) secret: Secret,
    /// The gate on requests in flight, shared with the HTTP path.
    limiter: Arc<super::limit::Limiter>,
}

/// The longest reply asked for, in tokens: a verdict at the schema's bounds
/// for seven key points fits, and a small model cannot ramble on for ever.
pub const MAX_REPLY_TOKENS: u32 = 1200;

/// Options a server may refuse, each with what to do instead. Reasoning
/// models reject `max_tokens` (they take `max_completion_tokens`) and any
/// `temperature` but the default; such a refusal is not about the format.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Fallback {
    MaxCompletionTokens = 1,
    NoTokenCap = 2,
    NoTemperature = 4,
}

impl Fallback {
    /// The next fallback for a refusal whose message names an option.
    fn for_message(message: &str, current: u8) -> Option<Fallback> {
        let m = message.to_lowercase();
        if m.contains("max_completion_tokens") && current & Fallback::MaxCompletionTokens as u8 != 0
        {
            Some(Fallback::NoTokenCap).filter(|f| current & *f as u8 == 0)
        } else if m.contains("max_tokens") {
            [Fallback::MaxCompletionTokens, Fallback::NoTokenCap]
                .into_iter()
                .find(|f| current & *f as u8 == 0)
        } else if m.contains("temperature") {
            Some(Fallback::NoTemperature).filter(|f| current & *f as u8 == 0)
        } else {
            None
        }
    }
}

impl OpenAiJudge {
    pub fn new(
        base_url: &str,
        api_key: Option<&str>,
        secret: Secret,
        model: &str,
        policy: Policy,
    ) -> Result<Self, String> {
        // Safe to call more than once: later calls keep the first provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = api_key.unwrap_or("");
        if !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(
                "OPENAI_API_KEY contains spaces or characters that cannot be sent; check its value"
                    .into(),
            );
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(policy.request_timeout.min(Duration::from_secs(10)))
            .timeout(policy.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS));
        if base_url.starts_with("http://") {
            // A plain-HTTP server (Ollama, vLLM on this machine) needs no
            // certificates; loading the system's CA store would cost more
            // than the rest of grading together.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let http_for_client = http.clone();
        let limiter = Arc::clone(&policy.limiter);
        let http_for_files = http.clone();
        let for_send = secret.clone();
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            send(http.clone(), policy.clone(), for_send.clone(), factory)
        });
        let config = OpenAIConfig::new()
            .with_api_base(base_url)
            .with_api_key(key);
        // `build` reuses our client; `with_config` would make (and load TLS for) another.
        let client =
            async_openai::Client::build(http_for_client, config).with_http_service(service);
        Ok(OpenAiJudge {
            client,
            http: http_for_files,
            model: model.to_string(),
            format: Arc::new(AtomicU8::new(0)),
            fallbacks: AtomicU8::new(0),
            secret,
            limiter,
        })
    }

    /// One chat completion; returns the assistant's text exactly as
    /// received. Falls back through the response formats when the server
    /// rejects one, and remembers what worked. Errors come back with the
    /// secrets masked; the reply is masked by the caller where its text
    /// leaves grill, after it has been checked and scored.
    pub async fn complete(
        &self,
        messages: &[(&str, &str)],
        schema: &Value,
    ) -> Result<Reply, CallError> {
        self.complete_unmasked(messages, schema)
            .await
            .map_err(|err| err.masked(&self.secret))
    }

    /// Masks the secrets in text that leaves grill.
    pub fn mask(&self, text: &str) -> String {
        self.secret.mask(text)
    }

    /// Masks the secrets, placeholders too, in an error text.
    pub fn mask_error(&self, text: &str) -> String {
        self.secret.mask_error(text)
    }

    async fn complete_unmasked(
        &self,
        messages: &[(&str, &str)],
        schema: &Value,
    ) -> Result<Reply, CallError> {
        loop {
            let format = self.format();
            let fallbacks = self.fallbacks.load(Ordering::Relaxed);
            let request = self.request_body(messages, schema);
            let result: Result<Value, OpenAIError> = self.client.chat().create_byot(request).await;
            match result {
                Ok(body) => {
                    return Ok(Reply {
                        text: content_of(&body)?,
                        usage: usage_of(&body),
                        truncated: body.pointer("/choices/0/finish_reason")
                            == Some(&Value::from("length")),
                    })
                }
                Err(err) => match (self.call_error(err), format.next()) {
                    (CallError::Rejected { status, message }, _)
                        if is_context_overflow(&message) =>
                    {
                        return Err(CallError::TooLong { status, message })
                    }
                    (CallError::Rejected { message, .. }, _)
                        if Fallback::for_message(&message, fallbacks).is_some() =>
                    {
                        if let Some(f) = Fallback::for_message(&message, fallbacks) {
                            self.fallbacks.fetch_or(f as u8, Ordering::Relaxed);
                        }
                    }
                    (CallError::Rejected { .. }, Some(next)) => {
                        // Only step down if no other call already did.
                        let _ = self.format.compare_exchange(
                            format as u8,
                            next as u8,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        );
                    }
                    (call, _) => return Err(call),
                },
            }
        }
    }

    /// The chat-completions request body as the judge sends it now: the
    /// format rung and the fallbacks the server has taught it. The Batch API
    /// sends this same body, one line per answer.
    pub fn request_body(&self, messages: &[(&str, &str)], schema: &Value) -> Value {
        let format = self.format();
        let fallbacks = self.fallbacks.load(Ordering::Relaxed);
        let mut request = json!({
            "model": self.model,
            "stream": false,
            "messages": messages
                .iter()
                .map(|(role, content)| json!({"role": role, "content": content}))
                .collect::<Vec<_>>(),
        });
        if fallbacks & Fallback::NoTemperature as u8 == 0 {
            request["temperature"] = 0.into();
        }
        if fallbacks & Fallback::NoTokenCap as u8 == 0 {
            let field = if fallbacks & Fallback::MaxCompletionTokens as u8 == 0 {
                "max_tokens"
            } else {
                "max_completion_tokens"
            };
            request[field] = MAX_REPLY_TOKENS.into();
        }
        if let Some(response_format) = format.response_format(schema) {
            request["response_format"] = response_format;
        }
        request
    }

    pub fn format(&self) -> Format {
        Format::from_u8(self.format.load(Ordering::Relaxed))
    }

    /// The ids of the models the server lists (`GET /models`).
    pub async fn list_models(&self) -> Result<Vec<String>, CallError> {
        let result: Result<Value, OpenAIError> = self.client.models().list_byot().await;
        let body = result.map_err(|e| self.call_error(e).masked(&self.secret))?;
        Ok(body
            .get("data")
            .and_then(Value::as_array)
            .map(|models| {
                models
                    .iter()
                    .filter_map(|m| m.get("id").and_then(Value::as_str))
                    .map(|id| self.secret.mask(&crate::text::sanitize(id)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Any error of the client as a `CallError`.
    pub(super) fn call_error(&self, err: OpenAIError) -> CallError {
        match err {
            OpenAIError::Boxed(err) => match err.downcast::<CallError>() {
                Ok(call) => *call,
                Err(other) => CallError::BadBody {
                    message: other.to_string(),
                },
            },
            OpenAIError::JSONDeserialize(_, content) => CallError::BadBody {
                message: format!("not JSON: {}", error_message(&content, &self.secret)),
            },
            OpenAIError::Reqwest(err) => CallError::GaveUp {
                attempts: 1,
                last: describe(&err),
            },
            other => CallError::BadBody {
                message: other.to_string(),
            },
        }
    }

    /// Keeps at most `n` requests in flight from now on, fewer while the
    /// server rate-limits (a batch's `--concurrency`).
    pub fn set_concurrency(&self, n: usize) {
        self.limiter.set_max(n);
    }

    /// What the server's rate limits did to this run, if anything.
    pub fn rate_limits(&self) -> Option<super::limit::Summary> {
        self.limiter.summary()
    }

    /// Starts at `format`, e.g. the rung the store remembers for this server.
    pub fn set_format(&self, format: Format) {
        self.format.store(format as u8, Ordering::Relaxed);
    }
}

/// `usage` of a chat completion: prompt, cached (OpenAI's
/// `prompt_tokens_details.cached_tokens`) and completion tokens.
pub(super) fn usage_of(body: &Value) -> Option<Usage> {
    let usage = body.get("usage")?;
    let n = |path: &str| usage.pointer(path).and_then(Value::as_u64);
    Some(Usage {
        prompt: n("/prompt_tokens")?,
        cached: n("/prompt_tokens_details/cached_tokens").unwrap_or(0),
        completion: n("/completion_tokens").unwrap_or(0),
    })
}

/// `choices[0].message.content` of a chat completion.
pub(super) fn content_of(body: &Value) -> Result<String, CallError> {
    body.pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CallError::BadBody {
            message: "no `choices[0].message.content` in the reply".into(),
        })
}
