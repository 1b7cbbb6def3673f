//! The judge's client: the only file that builds requests for an
//! OpenAI-compatible server. `async-openai` builds and sends the
//! chat-completions request; its HTTP path is ours (`http`, through the
//! `middleware` feature), so retries, caps and masking follow our policy.
//! Responses are read as plain JSON values (`byot`) because local servers
//! often bend the schema. A streamed request (on a terminal) is the same
//! body with `stream: true`, sent through the same HTTP path by `stream`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use serde_json::{json, Value};

pub use super::format::Format;
use super::http::{describe, error_message, is_context_overflow, send};
pub use super::http::{CallError, Notify, Policy, MAX_REDIRECTS, MAX_REPLY_BYTES};
use super::profile::{Learnt, Refusal, Shape, Streaming};
use crate::text::Secret;
use crate::verdict::Usage;

/// Told each key point as soon as its entry is complete in a streamed
/// reply (`stream`), to show it; the grade is made from the whole reply.
pub type Progress = Arc<dyn Fn(&crate::verdict::SeenPoint) + Send + Sync>;

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

impl Reply {
    /// The model spent its whole budget before writing a word: reasoning
    /// ate it (empty content, `finish_reason: "length"`).
    pub fn spent(&self) -> bool {
        self.truncated && self.text.trim().is_empty()
    }
}

/// An `async-openai` client for `base_url` whose HTTP path is ours
/// (`http::send`: retries, caps, masking), and the plain HTTP client under
/// it, for what goes around the middleware.
pub(super) fn client(
    base_url: &str,
    api_key: Option<&str>,
    secret: &Secret,
    policy: Policy,
) -> Result<(async_openai::Client<OpenAIConfig>, reqwest::Client), String> {
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
    let http_for_files = http.clone();
    let for_send = secret.clone();
    let service = tower::service_fn(move |factory: HttpRequestFactory| {
        send(http.clone(), policy.clone(), for_send.clone(), factory)
    });
    let config = OpenAIConfig::new()
        .with_api_base(base_url)
        .with_api_key(key);
    // `build` reuses our client; `with_config` would make (and load TLS for) another.
    let client = async_openai::Client::build(http_for_client, config).with_http_service(service);
    Ok((client, http_for_files))
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
    /// The token cap, temperature and reasoning effort every request
    /// carries: the model's profile and what its server taught.
    shape: Mutex<Shape>,
    /// The key and any password, only to mask them in what the server sends back.
    pub(super) secret: Secret,
    /// The gate on requests in flight, shared with the HTTP path.
    limiter: Arc<super::limit::Limiter>,
    /// The retry policy, for the streamed requests sent around the middleware.
    pub(super) policy: Policy,
    /// Told each key point as a streamed reply brings it; `None`: replies
    /// are asked whole (a pipe, a batch), as the Batch API asks them.
    progress: Option<Progress>,
}

impl OpenAiJudge {
    pub fn new(
        base_url: &str,
        api_key: Option<&str>,
        secret: Secret,
        model: &str,
        shape: Shape,
        policy: Policy,
    ) -> Result<Self, String> {
        let limiter = Arc::clone(&policy.limiter);
        let (client, http_for_files) = client(base_url, api_key, &secret, policy.clone())?;
        Ok(OpenAiJudge {
            client,
            http: http_for_files,
            model: model.to_string(),
            format: Arc::new(AtomicU8::new(0)),
            shape: Mutex::new(shape),
            secret,
            limiter,
            policy,
            progress: None,
        })
    }

    /// Streams the replies, telling `progress` each key point as it comes:
    /// for one grade at a time on a terminal. The reply is graded whole
    /// all the same.
    #[must_use]
    pub fn with_progress(mut self, progress: Progress) -> OpenAiJudge {
        self.progress = Some(progress);
        self
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
            let request = self.request_body(messages, schema);
            let streaming = self.streaming();
            let result = match (&self.progress, streaming) {
                (Some(progress), Some(with_usage)) => {
                    self.streamed(request, with_usage, progress).await
                }
                _ => self.whole(request).await,
            };
            match result {
                Ok(reply) => return Ok(reply),
                Err(err) => match (err, format.next()) {
                    (
                        CallError::Rejected {
                            status, message, ..
                        },
                        _,
                    ) if is_context_overflow(&message) => {
                        return Err(CallError::TooLong { status, message })
                    }
                    (
                        CallError::Rejected {
                            message,
                            param,
                            code,
                            ..
                        },
                        _,
                    ) if self.learn(&Refusal {
                        message: &message,
                        param: param.as_deref(),
                        code: code.as_deref(),
                    }) => {}
                    (
                        CallError::Rejected {
                            message,
                            param,
                            code,
                            ..
                        },
                        _,
                    ) if streaming.is_some()
                        && self.lock_shape().learn_stream(&Refusal {
                            message: &message,
                            param: param.as_deref(),
                            code: code.as_deref(),
                        }) => {}
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

    /// One request, its reply read whole.
    pub(super) async fn whole(&self, request: Value) -> Result<Reply, CallError> {
        let result: Result<Value, OpenAIError> = self.client.chat().create_byot(request).await;
        reply_of(&result.map_err(|e| self.call_error(e))?)
    }

    /// How the next request streams: `Some(with_usage)`, or `None` (whole).
    fn streaming(&self) -> Option<bool> {
        self.progress.as_ref()?;
        match self.lock_shape().streaming() {
            Streaming::WithUsage => Some(true),
            Streaming::WithoutOptions => Some(false),
            Streaming::No => None,
        }
    }

    pub(super) fn lock_shape(&self) -> std::sync::MutexGuard<'_, Shape> {
        self.shape.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Learns from a refusal of the token cap, temperature or effort;
    /// whether it was one (a refusal already learnt by a call in flight
    /// counts too: the request is simply sent again).
    pub fn learn(&self, refusal: &Refusal<'_>) -> bool {
        let mut shape = self.shape.lock().unwrap_or_else(PoisonError::into_inner);
        shape.learn(refusal)
    }

    /// What the server has taught so far, to remember for the next run.
    pub fn learnt(&self) -> Learnt {
        self.shape_now().learnt().clone()
    }

    /// The request shape in use now.
    pub fn shape_now(&self) -> Shape {
        self.shape
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Starts from what the server taught an earlier run (the store's).
    pub fn set_learnt(&self, learnt: Learnt) {
        self.shape
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set_learnt(learnt);
    }

    /// The reply budget in tokens, reasoning included.
    pub fn budget(&self) -> u32 {
        self.shape_now().budget()
    }

    /// A larger budget after a reply that spent all of it reasoning.
    pub fn widen(&self) -> Option<u32> {
        self.shape
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .widen()
    }

    /// The chat-completions request body as the judge sends it now: the
    /// format rung and the shape (profile and what the server taught). The
    /// Batch API sends this same body, one line per answer.
    pub fn request_body(&self, messages: &[(&str, &str)], schema: &Value) -> Value {
        let format = self.format();
        let mut request = json!({
            "model": self.model,
            "stream": false,
            "messages": messages
                .iter()
                .map(|(role, content)| json!({"role": role, "content": content}))
                .collect::<Vec<_>>(),
        });
        self.shape
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .apply(&mut request);
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

    /// The model's `shutdown_date` as its server gives it (`GET
    /// /models/{id}`), within `limit` and one try: `Ok(None)` when the
    /// server gives none; `Err` with why it could not be read.
    pub async fn shutdown_date(
        &self,
        limit: Duration,
    ) -> Result<Option<chrono::NaiveDate>, String> {
        use async_openai::config::Config;
        let id: String = url::form_urlencoded::byte_serialize(self.model.as_bytes()).collect();
        let url = self.client.config().url(&format!("/models/{id}"));
        let resp = self
            .http
            .get(&url)
            .headers(self.client.config().headers())
            .timeout(limit)
            .send()
            .await
            .map_err(|e| self.secret.mask_error(&describe(&e)))?;
        if !resp.status().is_success() {
            return Err(format!(
                "GET /models/{id} answered {}",
                resp.status().as_u16()
            ));
        }
        let body = super::http::read_capped(resp, 64 * 1024)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| "the model's description could not be read".to_string())?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|_| "the model's description is not JSON".to_string())?;
        Ok(super::retire::shutdown_of(&value))
    }

    /// Any error of the client as a `CallError`.
    pub(super) fn call_error(&self, err: OpenAIError) -> CallError {
        call_error(err, &self.secret)
    }

    /// Keeps at most `n` requests in flight, fewer while the server
    /// rate-limits (a batch's `--concurrency`); set before the judge is shared.
    #[must_use]
    pub fn with_concurrency(self, n: usize) -> OpenAiJudge {
        self.limiter.set_max(n);
        self
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

/// Any error of an `async-openai` client over `http::send` as a `CallError`.
pub(super) fn call_error(err: OpenAIError, secret: &Secret) -> CallError {
    match err {
        OpenAIError::Boxed(err) => match err.downcast::<CallError>() {
            Ok(call) => *call,
            Err(other) => CallError::BadBody {
                message: other.to_string(),
            },
        },
        OpenAIError::JSONDeserialize(_, content) => CallError::BadBody {
            message: format!("not JSON: {}", error_message(&content, secret)),
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

/// `usage` of a chat completion: prompt, cached (OpenAI's
/// `prompt_tokens_details.cached_tokens`) and completion tokens, and the
/// part of those spent reasoning (`completion_tokens_details.reasoning_tokens`).
pub(super) fn usage_of(body: &Value) -> Option<Usage> {
    let usage = body.get("usage")?;
    let n = |path: &str| usage.pointer(path).and_then(Value::as_u64);
    Some(Usage {
        prompt: n("/prompt_tokens")?,
        cached: n("/prompt_tokens_details/cached_tokens").unwrap_or(0),
        completion: n("/completion_tokens").unwrap_or(0),
        reasoning: n("/completion_tokens_details/reasoning_tokens").unwrap_or(0),
    })
}

/// A whole chat completion read: its content, usage and whether it was cut off.
pub(super) fn reply_of(body: &Value) -> Result<Reply, CallError> {
    Ok(Reply {
        text: content_of(body)?,
        usage: usage_of(body),
        truncated: body.pointer("/choices/0/finish_reason") == Some(&Value::from("length")),
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
