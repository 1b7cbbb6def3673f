//! The HTTP path under the judge's client: one request, retried as the
//! policy says. 429, 5xx, dropped connections and timeouts are retried with
//! exponential backoff and jitter, `Retry-After` is honoured, and the whole
//! thing stays inside a total time budget; a refused connection is tried
//! three times. Bodies are read within a size cap; the server's words are
//! masked, then cut, before they become an error message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use serde_json::Value;

use super::limit::{Limiter, RateHeaders};
use crate::text::{self, Secret};

/// Largest reply body read, in bytes. A verdict is a few kilobytes; anything
/// near this is a broken or hostile server, and is treated as an invalid reply.
pub const MAX_REPLY_BYTES: usize = 1 << 20;
/// Largest error body read: its message is cut to a line anyway.
const MAX_ERROR_BYTES: usize = 64 << 10;
/// Redirects followed before giving up (a loop would otherwise run until the budget).
pub const MAX_REDIRECTS: usize = 5;
/// Tries for a connection that is refused or a name that does not resolve:
/// a server that is not running will not start in the next seconds.
const CONNECT_TRIES: u32 = 3;
/// Longest server message kept, in characters.
const MESSAGE_CHARS: usize = 200;
/// 429s one request takes behind a gate before it gives up: the gate's
/// pauses, not the retry budget, space them out.
const MAX_THROTTLED_TRIES: u32 = 20;

/// Why a call failed, in terms a user can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// 401 or 403.
    Auth { status: u16, message: String },
    /// 404: wrong base URL or model.
    NotFound { message: String },
    /// Another 4xx, e.g. a request option the server does not support;
    /// `param` and `code` are the body's `error.param` and `error.code`.
    Rejected {
        status: u16,
        message: String,
        param: Option<String>,
        code: Option<String>,
    },
    /// A 429 saying the account's quota is spent: no wait refills it.
    Quota { message: String },
    /// Retries ran out within the budget; `last` says what the last try saw.
    GaveUp { attempts: u32, last: String },
    /// The connection was refused or the host name did not resolve, try after try.
    Unreachable { attempts: u32, reason: String },
    /// More than `MAX_REDIRECTS` redirects.
    Redirects,
    /// The server answered 200 with something that is not a chat completion.
    BadBody { message: String },
    /// The reply was over `MAX_REPLY_BYTES`; reading stopped there.
    TooLarge,
    /// The prompt does not fit the model's context window.
    TooLong { status: u16, message: String },
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
            CallError::Rejected {
                status, message, ..
            } => {
                write!(f, "the judge server rejected the request ({status}: {message})")
            }
            CallError::Quota { message } => write!(
                f,
                "the judge server says the account's quota is spent (429: {message}); check the plan and billing with the provider"
            ),
            CallError::GaveUp { attempts, last } => write!(
                f,
                "the judge server did not answer after {attempts} tr{} ({last})",
                if *attempts == 1 { "y" } else { "ies" }
            ),
            CallError::Unreachable { attempts, reason } => write!(
                f,
                "cannot reach the judge server ({reason}, {} tr{}); is it running? check the base URL (OPENAI_BASE_URL, --base-url)",
                attempts,
                if *attempts == 1 { "y" } else { "ies" }
            ),
            CallError::Redirects => write!(
                f,
                "the judge server redirected more than {MAX_REDIRECTS} times; check the base URL (OPENAI_BASE_URL, --base-url)"
            ),
            CallError::BadBody { message } => write!(f, "the judge server sent an unreadable reply: {message}"),
            CallError::TooLarge => write!(
                f,
                "the judge server's reply was larger than {} MiB; reading stopped there",
                MAX_REPLY_BYTES >> 20
            ),
            CallError::TooLong { status, message } => write!(
                f,
                "the prompt does not fit the judge model's context ({status}: {message}); use a model with a longer context, or a shorter answer"
            ),
        }
    }
}

impl std::error::Error for CallError {}

impl CallError {
    /// The same error with the secrets (and anything key-shaped) masked in
    /// the server's words: servers echo the key they were sent.
    pub(super) fn masked(self, secret: &Secret) -> CallError {
        let m = |text: String| text::mask_key_shaped(&secret.mask_error(&text));
        match self {
            CallError::Auth { status, message } => CallError::Auth {
                status,
                message: m(message),
            },
            CallError::NotFound { message } => CallError::NotFound {
                message: m(message),
            },
            CallError::Rejected {
                status,
                message,
                param,
                code,
            } => CallError::Rejected {
                status,
                message: m(message),
                param: param.map(|p| text::sanitize(&m(p))),
                code: code.map(|c| text::sanitize(&m(c))),
            },
            CallError::Quota { message } => CallError::Quota {
                message: m(message),
            },
            CallError::GaveUp { attempts, last } => CallError::GaveUp {
                attempts,
                last: m(last),
            },
            CallError::Unreachable { attempts, reason } => CallError::Unreachable {
                attempts,
                reason: m(reason),
            },
            CallError::BadBody { message } => CallError::BadBody {
                message: m(message),
            },
            CallError::TooLong { status, message } => CallError::TooLong {
                status,
                message: m(message),
            },
            other @ (CallError::Redirects | CallError::TooLarge) => other,
        }
    }
}

/// Told what a retry is waiting for, e.g. to show it beside a spinner.
pub type Notify = Arc<dyn Fn(&str) + Send + Sync>;

/// Retry and timeout policy for one judge call.
#[derive(Clone)]
pub struct Policy {
    /// Limit for one HTTP request, connect to last byte.
    pub request_timeout: Duration,
    /// Total time for all tries of one call, waits included.
    pub budget: Duration,
    /// First backoff; doubles each try, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Called before each wait between tries, with what is happening.
    pub notify: Option<Notify>,
    /// The requests in flight to this server, adapted to its rate limits;
    /// lets everything through until a batch gives it a maximum.
    pub limiter: Arc<Limiter>,
}

impl Policy {
    pub fn new(request_timeout: Duration, budget: Duration) -> Policy {
        Policy {
            request_timeout,
            budget,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            notify: None,
            limiter: Arc::default(),
        }
    }

    #[must_use]
    pub fn with_notify(mut self, notify: Notify) -> Policy {
        self.notify = Some(notify);
        self
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

/// The server's error message from an OpenAI-style body, or the start of
/// the body: secrets masked first, then line breaks made spaces and other
/// control characters dropped, then cut to a line, so no cut can leave part
/// of a key behind.
pub(super) fn error_message(body: &str, secret: &Secret) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.pointer("/0/error/message"))
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let text = text::mask_key_shaped(&secret.mask_error(&text));
    // Line breaks become spaces, so words on two lines stay two words.
    let text: String = text
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    let text = text::cut(text.trim(), MESSAGE_CHARS);
    if text.is_empty() {
        "no message".into()
    } else {
        text
    }
}

/// `error.param` and `error.code` of an error body: OpenAI's form, or a
/// list of such bodies (Gemini's compatible endpoint); strings only, cut to a
/// field name's length.
pub(super) fn error_fields(body: &str) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return (None, None);
    };
    let error = v
        .get("error")
        .or_else(|| v.pointer("/0/error"))
        .filter(|e| e.is_object());
    let field = |name: &str| {
        error
            .and_then(|e| e.get(name))
            .and_then(Value::as_str)
            .map(|s| text::cut(s, 80))
    };
    (field("param"), field("code"))
}

/// What went wrong with a request that got no HTTP answer, in plain words.
pub(super) fn describe(err: &reqwest::Error) -> String {
    if err.is_redirect() {
        return format!("more than {MAX_REDIRECTS} redirects");
    }
    if err.is_timeout() {
        return "request timed out".into();
    }
    // The root cause says "Connection refused", "failed to lookup address"...
    let mut root: &dyn std::error::Error = err;
    while let Some(next) = root.source() {
        root = next;
    }
    let cause = root.to_string().to_lowercase();
    if cause.contains("refused") {
        "connection refused".into()
    } else if cause.contains("lookup") || cause.contains("resolve") || cause.contains("dns") {
        "the host name did not resolve".into()
    } else if err.is_connect() {
        "could not connect".into()
    } else {
        "connection closed before a reply".into()
    }
}

/// A failure to connect at all, as opposed to a connection that broke.
fn is_unreachable(err: &reqwest::Error) -> bool {
    err.is_connect() && !err.is_timeout()
}

/// Reads a body up to `limit` bytes; `None` when it is longer. Memory stays
/// bounded whatever the server sends.
pub(super) async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Whether a request asks for server-sent events (a streamed chat completion).
fn asks_for_events(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::ACCEPT)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
}

/// Whether a reply is server-sent events rather than one JSON body.
pub(super) fn is_event_stream(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        })
}

/// What the user sees while a retry waits, e.g. "server busy (429), retrying
/// in 3 s, try 2".
fn retry_notice(last: &str, wait: Duration, next_try: u32, of: Option<u32>) -> String {
    let of = of.map(|n| format!(" of {n}")).unwrap_or_default();
    format!(
        "{last}, retrying in {} s, try {next_try}{of}",
        wait.as_secs_f64().ceil()
    )
}

/// Sends one request, retrying as the policy says. Any non-success status
/// that is not retried ends here as a `CallError`, so `async-openai`'s own
/// error parsing (which loses the status on non-JSON bodies) never runs. A
/// success is read here too, within `MAX_REPLY_BYTES`, and handed on rebuilt;
/// only server-sent events asked for are handed on unread (`stream` reads them).
// One loop over the outcomes of a try, each arm short; split by outcome it
// would hide the order the retries follow.
#[allow(clippy::too_many_lines)]
pub(super) async fn send(
    client: reqwest::Client,
    policy: Policy,
    secret: Secret,
    factory: HttpRequestFactory,
) -> Result<reqwest::Response, OpenAIError> {
    let start = Instant::now();
    let mut attempt: u32 = 0;
    let mut unreachable: u32 = 0;
    let mut throttled: u32 = 0;
    // Time spent waiting at the gate for a slot is not retry time.
    let mut gated = Duration::ZERO;
    loop {
        let request = factory.build().await?;
        let streamed = asks_for_events(request.headers());
        let waited = Instant::now();
        let mut permit = policy.limiter.acquire().await;
        gated += waited.elapsed();
        // (what the try saw, how long the server asked to wait, if it did)
        let (last, asked) = match client.execute(request).await {
            Ok(resp) if resp.status().is_success() => {
                let status = resp.status();
                let headers = resp.headers().clone();
                if let Some(p) = permit.take() {
                    p.succeeded(RateHeaders::read(&headers));
                }
                // Events are read as they come, within the same cap (`stream`).
                if streamed && is_event_stream(&headers) {
                    return Ok(resp);
                }
                match read_capped(resp, MAX_REPLY_BYTES).await {
                    Ok(Some(body)) => {
                        let mut rebuilt = http::Response::new(body);
                        *rebuilt.status_mut() = status;
                        *rebuilt.headers_mut() = headers;
                        return Ok(reqwest::Response::from(rebuilt));
                    }
                    Ok(None) => return Err(boxed(CallError::TooLarge)),
                    Err(err) => (describe(&err), None),
                }
            }
            Ok(resp) => match refused(resp, &secret).await {
                Refused::Final(err) => return Err(boxed(err)),
                Refused::Retry { last, asked } => (last, asked),
                Refused::Throttled { last, asked, reset } => match permit.take() {
                    // Not gating (a single grade): retried like a 5xx.
                    None => (last, asked),
                    // A wait past the budget (a spent daily limit) is not
                    // one to pause the whole batch for: this call gives up.
                    Some(_) if asked.or(reset).is_some_and(|w| w >= policy.budget) => {
                        (last, asked.or(reset))
                    }
                    Some(p) => {
                        // The gate pauses for everyone; this try waits there.
                        p.throttled(asked.or(reset));
                        throttled += 1;
                        attempt += 1;
                        if throttled >= MAX_THROTTLED_TRIES {
                            return Err(boxed(CallError::GaveUp {
                                attempts: attempt,
                                last: format!("{last}; throttled {throttled} times"),
                            }));
                        }
                        if let Some(notify) = &policy.notify {
                            notify(&format!(
                                "rate limited: {} requests in flight at most",
                                policy.limiter.limit()
                            ));
                        }
                        continue;
                    }
                },
            },
            Err(err) if err.is_redirect() => return Err(boxed(CallError::Redirects)),
            Err(err) if is_unreachable(&err) => {
                unreachable += 1;
                if unreachable >= CONNECT_TRIES {
                    return Err(boxed(CallError::Unreachable {
                        attempts: unreachable,
                        reason: describe(&err),
                    }));
                }
                (describe(&err), None)
            }
            Err(err) => (describe(&err), None),
        };
        drop(permit);
        attempt += 1;
        let wait = asked.unwrap_or_else(|| policy.backoff(attempt - 1));
        let spent = start.elapsed().saturating_sub(gated);
        if spent + wait >= policy.budget {
            let last = match asked {
                Some(asked) if asked > policy.budget => format!(
                    "{last}; the server asked to wait {:.0} s, longer than the retry budget of {:.0} s",
                    asked.as_secs_f64(),
                    policy.budget.as_secs_f64()
                ),
                _ => format!(
                    "{last}; retried for {:.0} s, the retry budget",
                    spent.as_secs_f64()
                ),
            };
            return Err(boxed(CallError::GaveUp {
                attempts: attempt,
                last,
            }));
        }
        if let Some(notify) = &policy.notify {
            let of = (unreachable > 0).then_some(CONNECT_TRIES);
            notify(&retry_notice(&last, wait, attempt + 1, of));
        }
        tokio::time::sleep(wait).await;
    }
}

/// What a reply that is not a success means for the call.
enum Refused {
    /// No retry will change it.
    Final(CallError),
    /// Worth another try, after `asked` if the server said.
    Retry {
        last: String,
        asked: Option<Duration>,
    },
    /// A 429: the server's rate limit, with how long it said to wait
    /// (`Retry-After`) and when its window has room again
    /// (`x-ratelimit-reset-requests`).
    Throttled {
        last: String,
        asked: Option<Duration>,
        reset: Option<Duration>,
    },
}

/// Reads a reply that is not a success (its body within a cap) and says
/// what it means: give up, retry, or slow down.
async fn refused(resp: reqwest::Response, secret: &Secret) -> Refused {
    let status = resp.status().as_u16();
    let asked = retry_after(resp.headers());
    let reset = RateHeaders::read(resp.headers()).reset;
    let body = read_capped(resp, MAX_ERROR_BYTES)
        .await
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = error_message(&body, secret);
    match status {
        401 | 403 => Refused::Final(CallError::Auth { status, message }),
        404 => Refused::Final(CallError::NotFound { message }),
        // No wait refills a spent quota.
        429 if is_out_of_quota(&message) => Refused::Final(CallError::Quota { message }),
        429 => Refused::Throttled {
            last: format!("server busy (429: {message})"),
            asked,
            reset,
        },
        500..=599 if !is_refusal(&message) => Refused::Retry {
            last: format!("server error ({status}: {message})"),
            asked,
        },
        _ => {
            let (param, code) = error_fields(&body);
            Refused::Final(CallError::Rejected {
                status,
                message,
                param,
                code,
            })
        }
    }
}

/// Whether a 429 says the account's quota is spent (OpenAI's
/// `insufficient_quota`), which no retry fixes, rather than a rate limit.
pub fn is_out_of_quota(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("insufficient_quota") || m.contains("exceeded your current quota")
}

/// Whether a 5xx is really the server refusing the request, which no retry
/// will change: a complaint about the response format, or a request
/// validation error (llama-cpp-python answers every one of those with a 500,
/// e.g. "1 validation error ... 'loc': ('body', 'response_format', 'type')").
pub fn is_refusal(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "response_format",
        "json_schema",
        "schema",
        "validation error",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Whether a refusal says the prompt is longer than the model's context:
/// not the format's fault, and no rung will change it.
pub fn is_context_overflow(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("context_length") || m.contains("context length") || m.contains("context window")
}

fn boxed(err: CallError) -> OpenAIError {
    OpenAIError::Boxed(Box::new(err))
}

#[cfg(test)]
mod tests;
