//! A server's rate limit, for the fake servers of the tests and the
//! benchmark: R requests per second in fixed windows, the rest refused with
//! 429, telling the client as much as the chosen `Signals` say.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::fake_server::Reply;

/// What a client learns from the server about its limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signals {
    /// A bare 429, nothing else: the client has to guess how long to wait.
    Bare,
    /// A 429 with `Retry-After` in whole seconds, as HTTP writes it; the
    /// windows are a second long, so the wait it gives is the true one.
    RetryAfter,
    /// OpenAI's `x-ratelimit-remaining-requests` and
    /// `x-ratelimit-reset-requests` on every reply, 429 or not, and no
    /// `Retry-After`: a client that reads them can slow down before a 429.
    Headers,
}

impl Signals {
    pub fn parse(text: &str) -> Option<Signals> {
        match text {
            "bare" => Some(Signals::Bare),
            "retry-after" => Some(Signals::RetryAfter),
            "headers" => Some(Signals::Headers),
            _ => None,
        }
    }
}

/// Admits `per_window` requests per `window`, in fixed windows; the rest get
/// 429.
pub struct RateLimited {
    window: Duration,
    per_window: usize,
    signals: Signals,
    /// The current window's start and the requests it admitted.
    state: Mutex<(Instant, usize)>,
    /// The start of the window the first request fell in.
    first: Mutex<Option<Instant>>,
    /// Replies that were 429.
    pub throttled: AtomicUsize,
    /// 429s after the first window: those a client that reads the signals
    /// could have avoided.
    pub throttled_later: AtomicUsize,
    /// Replies that were admitted.
    pub admitted: AtomicUsize,
}

impl RateLimited {
    pub fn new(per_second: usize, signals: Signals) -> Arc<RateLimited> {
        // Quarter-second windows where the client can learn the exact wait
        // (or must guess it): the same rate, less burst. A whole second
        // where it learns whole seconds.
        let quarters = if signals == Signals::RetryAfter { 1 } else { 4 };
        Arc::new(RateLimited {
            window: Duration::from_millis(1000 / quarters),
            per_window: (per_second / quarters as usize).max(1),
            signals,
            state: Mutex::new((Instant::now(), 0)),
            first: Mutex::new(None),
            throttled: AtomicUsize::new(0),
            throttled_later: AtomicUsize::new(0),
            admitted: AtomicUsize::new(0),
        })
    }

    /// `admitted_reply()` if the window has room, else a 429.
    pub fn reply(&self, admitted_reply: impl FnOnce() -> Reply) -> Reply {
        let (admitted, left, reset, later) = {
            let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            while now.duration_since(s.0) >= self.window {
                s.0 += self.window;
                s.1 = 0;
            }
            let reset = self.window.saturating_sub(now.duration_since(s.0));
            let later = *self
                .first
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert(s.0)
                != s.0;
            if s.1 < self.per_window {
                s.1 += 1;
                (true, self.per_window - s.1, reset, later)
            } else {
                (false, 0, reset, later)
            }
        };
        let reply = if admitted {
            self.admitted.fetch_add(1, Ordering::SeqCst);
            admitted_reply()
        } else {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            if later {
                self.throttled_later.fetch_add(1, Ordering::SeqCst);
            }
            Reply::error(429, "Rate limit reached for requests")
        };
        match self.signals {
            Signals::RetryAfter if !admitted => reply.with_header(
                "retry-after",
                &reset.as_secs_f64().ceil().max(1.0).to_string(),
            ),
            Signals::Headers => reply
                .with_header("x-ratelimit-limit-requests", &self.per_window.to_string())
                .with_header("x-ratelimit-remaining-requests", &left.to_string())
                .with_header(
                    "x-ratelimit-reset-requests",
                    &format!("{}ms", reset.as_millis().max(1)),
                ),
            Signals::Bare | Signals::RetryAfter => reply,
        }
    }
}
