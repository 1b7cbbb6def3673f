//! The only file that talks to an OpenAI-compatible server.
//!
//! `async-openai` builds and sends the chat-completions request; we take over
//! its HTTP path (the `middleware` feature) so that retries follow our own
//! policy: 429, 5xx, dropped connections and timeouts are retried with
//! exponential backoff and jitter, `Retry-After` is honoured, and the whole
//! thing stays inside a total time budget. Responses are read as plain JSON
//! values (`byot`) because local servers often bend the schema.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use serde_json::{json, Value};

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

/// Why a call failed, in terms a user can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// 401 or 403.
    Auth { status: u16, message: String },
    /// 404: wrong base URL or model.
    NotFound { message: String },
    /// Another 4xx, e.g. a request option the server does not support.
    Rejected { status: u16, message: String },
    /// Retries ran out within the budget; `last` says what the last try saw.
    GaveUp { attempts: u32, last: String },
    /// The server answered 200 with something that is not a chat completion.
    BadBody { message: String },
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Auth { status, message } => write!(
                f,
                "the judge server refused the API key ({status}: {message}); check OPENAI_API_KEY"
            ),
            CallError::NotFound { message } => write!(
                f,
                "the judge server answered 404 ({message}); check the base URL (OPENAI_BASE_URL, --base-url) and the model (GRILL_MODEL, --model)"
            ),
            CallError::Rejected { status, message } => {
                write!(f, "the judge server rejected the request ({status}: {message})")
            }
            CallError::GaveUp { attempts, last } => write!(
                f,
                "the judge server did not answer after {attempts} tr{} ({last})",
                if *attempts == 1 { "y" } else { "ies" }
            ),
            CallError::BadBody { message } => write!(f, "the judge server sent an unreadable reply: {message}"),
        }
    }
}

impl std::error::Error for CallError {}

impl CallError {
    /// The same error with the key (and anything key-shaped) masked in the
    /// server's words: servers echo the key they were sent.
    fn redacted(self, key: &str) -> CallError {
        let r = |m: String| crate::config::redact_secrets(&m, Some(key));
        match self {
            CallError::Auth { status, message } => CallError::Auth {
                status,
                message: r(message),
            },
            CallError::NotFound { message } => CallError::NotFound {
                message: r(message),
            },
            CallError::Rejected { status, message } => CallError::Rejected {
                status,
                message: r(message),
            },
            CallError::GaveUp { attempts, last } => CallError::GaveUp {
                attempts,
                last: r(last),
            },
            CallError::BadBody { message } => CallError::BadBody {
                message: r(message),
            },
        }
    }
}

/// Retry and timeout policy for one judge call.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Limit for one HTTP request, connect to last byte.
    pub request_timeout: Duration,
    /// Total time for all tries of one call, waits included.
    pub budget: Duration,
    /// First backoff; doubles each try, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Policy {
    pub fn new(request_timeout: Duration, budget: Duration) -> Policy {
        Policy {
            request_timeout,
            budget,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }

    /// Backoff before try `attempt + 1`: exponential with "equal jitter".
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_backoff);
        exp / 2 + exp.mul_f64(fastrand::f64() / 2.0)
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare from APIs and is ignored).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = text.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// The server's error message from an OpenAI-style body, or the start of the body.
fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if text.is_empty() {
        "no message".into()
    } else {
        text
    }
}

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "request timed out".into()
    } else if err.is_connect() {
        "could not connect".into()
    } else {
        "connection closed before a reply".into()
    }
}

/// Sends one request, retrying as the policy says. Any non-success status
/// that is not retried ends here as a `CallError`, so `async-openai`'s own
/// error parsing (which loses the status on non-JSON bodies) never runs.
async fn send(
    client: reqwest::Client,
    policy: Policy,
    factory: HttpRequestFactory,
) -> Result<reqwest::Response, OpenAIError> {
    let start = Instant::now();
    let mut attempt: u32 = 0;
    loop {
        let request = factory.build().await?;
        let (last, wait) = match client.execute(request).await {
            Ok(resp) if resp.status().is_success() => return Ok(resp),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let asked = retry_after(resp.headers());
                let body = resp.text().await.unwrap_or_default();
                let message = error_message(&body);
                match status {
                    401 | 403 => return Err(boxed(CallError::Auth { status, message })),
                    404 => return Err(boxed(CallError::NotFound { message })),
                    429 | 500..=599 => (
                        format!("{status}: {message}"),
                        asked.unwrap_or_else(|| policy.backoff(attempt)),
                    ),
                    _ => return Err(boxed(CallError::Rejected { status, message })),
                }
            }
            Err(err) => (describe(&err), policy.backoff(attempt)),
        };
        attempt += 1;
        if start.elapsed() + wait >= policy.budget {
            let last = if wait > policy.budget {
                format!(
                    "{last}; the server asked to wait {:.0}s",
                    wait.as_secs_f64()
                )
            } else {
                last
            };
            return Err(boxed(CallError::GaveUp {
                attempts: attempt,
                last,
            }));
        }
        tokio::time::sleep(wait).await;
    }
}

fn boxed(err: CallError) -> OpenAIError {
    OpenAIError::Boxed(Box::new(err))
}

/// A client for one judge server and model, shared by every grade of a run.
pub struct OpenAiJudge {
    client: async_openai::Client<OpenAIConfig>,
    pub model: String,
    /// The response format that worked last; starts at JSON schema.
    format: Arc<AtomicU8>,
    /// Only to mask it in what the server sends back; never printed.
    key: String,
}

impl OpenAiJudge {
    pub fn new(
        base_url: &str,
        api_key: Option<&str>,
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
            .timeout(policy.request_timeout);
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
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            send(http.clone(), policy, factory)
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
            key: key.to_string(),
        })
    }

    /// One chat completion; returns the assistant's text. Falls back through the
    /// response formats when the server rejects one, and remembers what worked.
    /// The key is masked in whatever comes back, reply or error, so it cannot
    /// reach the store or the screen by way of the server.
    pub async fn complete(
        &self,
        messages: &[(&str, &str)],
        schema: &Value,
    ) -> Result<String, CallError> {
        match self.complete_unmasked(messages, schema).await {
            // Only the key itself: a key-shaped token may be a quote from the answer.
            Ok(text) if self.key.len() >= 8 => Ok(text.replace(&self.key, crate::config::REDACTED)),
            Ok(text) => Ok(text),
            Err(err) => Err(err.redacted(&self.key)),
        }
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
                        (
                            CallError::Rejected {
                                status: 400 | 415 | 422 | 501,
                                ..
                            },
                            Some(next),
                        ) => {
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
                        message: format!("not JSON: {}", error_message(&content)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_capped() {
        let p = Policy::new(Duration::from_secs(1), Duration::from_secs(10));
        for attempt in 0..20 {
            let d = p.backoff(attempt);
            let exp = (p.base_backoff * 2u32.pow(attempt.min(16))).min(p.max_backoff);
            assert!(d >= exp / 2 && d <= exp, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn error_messages_come_from_openai_bodies_or_raw_text() {
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(
            error_message(r#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(
            error_message("<html>\x1b[31mBad Gateway</html>"),
            "<html>[31mBad Gateway</html>"
        );
        assert_eq!(error_message(""), "no message");
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }
}
