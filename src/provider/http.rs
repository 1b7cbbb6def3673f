//! The HTTP path under the judge's client: one request, retried as the
//! policy says. 429, 5xx, dropped connections and timeouts are retried with
//! exponential backoff and jitter, `Retry-After` is honoured, and the whole
//! thing stays inside a total time budget; a refused connection is tried
//! three times. Bodies are read within a size cap; the server's words are
//! masked, then cut, before they become an error message (`failure`).

mod failure;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;

pub(super) use failure::{describe, error_message, is_context_overflow};
pub use failure::{CallError, MAX_REDIRECTS, MAX_REPLY_BYTES};

use super::limit::{Limiter, RateHeaders};
use crate::text::Secret;
use failure::{error_fields, is_out_of_quota, is_refusal};

/// Largest error body read: its message is cut to a line anyway.
const MAX_ERROR_BYTES: usize = 64 << 10;
/// Tries for a connection that is refused or a name that does not resolve:
/// a server that is not running will not start in the next seconds.
const CONNECT_TRIES: u32 = 3;
/// 429s one request takes behind a gate before it gives up: the gate's
/// pauses, not the retry budget, space them out.
const MAX_THROTTLED_TRIES: u32 = 20;

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

fn boxed(err: CallError) -> OpenAIError {
    OpenAIError::Boxed(Box::new(err))
}

#[cfg(test)]
mod tests;
