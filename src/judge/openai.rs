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

use super::http::{describe, error_message, send};
pub use super::http::{CallError, Notify, Policy, MAX_REDIRECTS, MAX_REPLY_BYTES};
use crate::text::Secret;

/// How the verdict's JSON shape is asked for; servers that reject one get the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Format {
    JsonSchema = 0,
    JsonObject = 1,
    Text = 2,
}

impl Format {
    fn from_u8(v: u8) -> Format {
        match v {
            0 => Format::JsonSchema,
            1 => Format::JsonObject,
            _ => Format::Text,
        }
    }

    fn next(self) -> Option<Format> {
        match self {
            Format::JsonSchema => Some(Format::JsonObject),
            Format::JsonObject => Some(Format::Text),
            Format::Text => None,
        }
    }
}

/// A client for one judge server and model, shared by every grade of a run.
pub struct OpenAiJudge {
    client: async_openai::Client<OpenAIConfig>,
    pub model: String,
    /// The response format that worked last; starts at JSON schema.
    format: Arc<AtomicU8>,
    /// The key and any password, only to mask them in what the server sends back.
    secret: Secret,
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
            model: model.to_string(),
            format: Arc::new(AtomicU8::new(0)),
            secret,
        })
    }

    /// One chat completion; returns the assistant's text. Falls back through the
    /// response formats when the server rejects one, and remembers what worked.
    /// The secrets are masked in whatever comes back, reply or error, so they
    /// cannot reach the store or the screen by way of the server. (The reply
    /// is JSON inside a string: its decoded fields are masked again by the
    /// caller through `mask`, for keys spelt with JSON escapes.)
    pub async fn complete(
        &self,
        messages: &[(&str, &str)],
        schema: &Value,
    ) -> Result<String, CallError> {
        match self.complete_unmasked(messages, schema).await {
            // Only the secrets themselves: a key-shaped token may be a quote from the answer.
            Ok(text) => Ok(self.secret.mask(&text)),
            Err(err) => Err(err.masked(&self.secret)),
        }
    }

    /// Masks the secrets in text decoded from a reply.
    pub fn mask(&self, text: &str) -> String {
        self.secret.mask(text)
    }

    async fn complete_unmasked(
        &self,
        messages: &[(&str, &str)],
        schema: &Value,
    ) -> Result<String, CallError> {
        loop {
            let format = Format::from_u8(self.format.load(Ordering::Relaxed));
            let mut request = json!({
                "model": self.model,
                "temperature": 0,
                "stream": false,
                "messages": messages
                    .iter()
                    .map(|(role, content)| json!({"role": role, "content": content}))
                    .collect::<Vec<_>>(),
            });
            match format {
                Format::JsonSchema => {
                    request["response_format"] = json!({
                        "type": "json_schema",
                        "json_schema": {"name": "verdict", "strict": true, "schema": schema}
                    });
                }
                Format::JsonObject => request["response_format"] = json!({"type": "json_object"}),
                Format::Text => {}
            }
            let result: Result<Value, OpenAIError> = self.client.chat().create_byot(request).await;
            match result {
                Ok(body) => return content_of(&body),
                Err(OpenAIError::Boxed(err)) => match err.downcast::<CallError>() {
                    Ok(call) => match (*call, format.next()) {
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
                    Err(other) => {
                        return Err(CallError::BadBody {
                            message: other.to_string(),
                        })
                    }
                },
                Err(OpenAIError::JSONDeserialize(_, content)) => {
                    return Err(CallError::BadBody {
                        message: format!("not JSON: {}", error_message(&content, &self.secret)),
                    })
                }
                Err(OpenAIError::Reqwest(err)) => {
                    return Err(CallError::GaveUp {
                        attempts: 1,
                        last: describe(&err),
                    })
                }
                Err(other) => {
                    return Err(CallError::BadBody {
                        message: other.to_string(),
                    })
                }
            }
        }
    }

    pub fn format(&self) -> Format {
        Format::from_u8(self.format.load(Ordering::Relaxed))
    }
}

/// `choices[0].message.content` of a chat completion.
fn content_of(body: &Value) -> Result<String, CallError> {
    body.pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CallError::BadBody {
            message: "no `choices[0].message.content` in the reply".into(),
        })
}
