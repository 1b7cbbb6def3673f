//! How many requests a run keeps in flight to one server, adapted to its
//! rate limits: additive increase, multiplicative decrease (AIMD), as TCP
//! does with its window. A 429, or a success whose
//! `x-ratelimit-remaining-requests` says the window is nearly spent, halves
//! the limit; each success adds `1 / limit`, so the limit climbs back by one
//! per round of requests. When the server says how long to wait
//! (`Retry-After`, `x-ratelimit-reset-requests`), the whole gate pauses that
//! long once, instead of every request sleeping and retrying on its own; when
//! a success's headers say how many requests the window has left and when
//! it resets, no more than that many go before the reset. A server that says
//! nothing but 429 gets a guessed pause, doubled for each 429 in a row.
//!
//! A limiter with no maximum (the default, and every single grade) lets
//! everything through: only a batch sets one (`--concurrency`).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The longest pause the gate takes on its own guess, when a throttled
/// server says nothing of how long to wait.
const MAX_GUESSED_PAUSE: Duration = Duration::from_secs(8);
/// The first guess; doubled for each throttle in a row.
const FIRST_GUESSED_PAUSE: Duration = Duration::from_millis(250);
/// The longest the gate waits for a window to reset on the word of a
/// success's headers; past it a request goes and its 429 says how long.
const MAX_RESET_WAIT: Duration = Duration::from_secs(60);

/// The server's current window, as the latest success's headers told it.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// Requests the window still admits, less those sent since.
    left: u64,
    /// When it has room again.
    reset_at: Instant,
}

/// Whether a request may go now.
enum Gate {
    Open,
    /// As many in flight as allowed: wait for one to end.
    Full,
    /// Paused, or the window is spent: wait until then.
    Until(Instant),
}

#[derive(Debug)]
struct State {
    /// Requests allowed in flight: 1 ..= max, fractional while it climbs.
    limit: f64,
    /// The requests in flight, by the order they were let through.
    out: BTreeSet<u64>,
    next_seq: u64,
    /// No request starts before this.
    paused_until: Option<Instant>,
    /// What the rate-limit headers said of the window, if they did.
    window: Option<Window>,
    /// A window running low cuts the limit once, not at each reply: until
    /// this (the window's reset) it does not cut again.
    low_cut_until: Option<Instant>,
    /// Bumped at each decrease: a request sent before it cannot decrease
    /// again (one halving per burst of 429s, not one per request).
    epoch: u64,
    /// Throttles in a row, for the guessed pause.
    throttles: u32,
    /// Decreases so far, for the report.
    decreases: u64,
    /// 429s seen through the gate, for the report.
    refused: u64,
    /// The lowest the limit went, for the report.
    lowest: f64,
}

/// What rate limits did to a run, for a line on stderr at its end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The most requests in flight (`--concurrency`).
    pub max: usize,
    /// Replies that were 429.
    pub refused: u64,
    /// Times the limit was halved.
    pub decreases: u64,
    /// The fewest requests in flight it allowed.
    pub lowest: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rate limited: the server refused {} with 429; requests in flight were cut {} (from {} to {} at the lowest)",
            crate::text::plural(self.refused as usize, "request", "requests"),
            crate::text::plural(self.decreases as usize, "time", "times"),
            self.max,
            self.lowest
        )
    }
}

/// What the rate-limit headers of a reply say.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateHeaders {
    /// `x-ratelimit-remaining-requests`
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset-requests`: until the window has room again.
    pub reset: Option<Duration>,
}

impl RateHeaders {
    pub fn read(headers: &reqwest::header::HeaderMap) -> RateHeaders {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        RateHeaders {
            remaining: text("x-ratelimit-remaining-requests").and_then(|t| t.trim().parse().ok()),
            reset: text("x-ratelimit-reset-requests").and_then(parse_reset),
        }
    }
}

/// A duration as OpenAI's rate-limit headers write it: `1s`, `6m0s`,
/// `20ms`, `0.5s`, or bare seconds.
pub fn parse_reset(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(3600.0)));
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&n| n > 0)?;
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, scale) = [("ms", 0.001), ("h", 3600.0), ("m", 60.0), ("s", 1.0)]
            .into_iter()
            .find(|(u, _)| rest.starts_with(u))?;
        rest = &rest[unit.len()..];
        total += n * scale;
    }
    (total.is_finite() && !text.is_empty()).then(|| Duration::from_secs_f64(total.min(3600.0)))
}

/// The gate. Shared by every request of a run (`Arc`).
#[derive(Debug)]
pub struct Limiter {
    /// 0: no limit, the gate lets everything through.
    max: AtomicUsize,
    state: Mutex<State>,
    wake: tokio::sync::Notify,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            max: AtomicUsize::new(0),
            state: Mutex::new(State {
                limit: 1.0,
                out: BTreeSet::new(),
                next_seq: 0,
                paused_until: None,
                window: None,
                low_cut_until: None,
                epoch: 0,
                throttles: 0,
                decreases: 0,
                refused: 0,
                lowest: 1.0,
            }),
            wake: tokio::sync::Notify::new(),
        }
    }
}

/// A request let through the gate; its slot is freed when dropped.
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<Limiter>,
    epoch: u64,
    /// Its place in the order requests were let through.
    seq: u64,
}

impl Limiter {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts gating at `max` requests in flight (a batch's `--concurrency`).
    pub fn set_max(&self, max: usize) {
        self.max.store(max, Ordering::SeqCst);
        let mut s = self.state();
        s.limit = max.max(1) as f64;
        s.lowest = s.limit;
        drop(s);
        self.wake.notify_waiters();
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// Requests allowed in flight now (the maximum when not gating).
    pub fn limit(&self) -> usize {
        if self.max() == 0 {
            return usize::MAX;
        }
        self.state().limit as usize
    }

    /// How many times the limit was cut so far.
    pub fn decreases(&self) -> u64 {
        self.state().decreases
    }

    /// What rate limits did so far; `None` when not gating or when the
    /// server never pushed back.
    pub fn summary(&self) -> Option<Summary> {
        let max = self.max();
        let s = self.state();
        (max > 0 && (s.refused > 0 || s.decreases > 0)).then(|| Summary {
            max,
            refused: s.refused,
            decreases: s.decreases,
            lowest: s.lowest as usize,
        })
    }

    /// Waits for a slot (and the end of any pause); `None` when not gating.
    pub async fn acquire(self: &Arc<Self>) -> Option<Permit> {
        if self.max() == 0 {
            return None;
        }
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let gate = {
                let mut s = self.state();
                let gate = s.gate(Instant::now());
                if let Gate::Open = gate {
                    let seq = s.next_seq;
                    s.next_seq += 1;
                    s.out.insert(seq);
                    if let Some(w) = &mut s.window {
                        w.left -= 1;
                    }
                    return Some(Permit {
                        limiter: Arc::clone(self),
                        epoch: s.epoch,
                        seq,
                    });
                }
                gate
            };
            match gate {
                // A success may bring news of the window before then.
                Gate::Until(until) => {
                    let _ = tokio::time::timeout_at(until, notified).await;
                }
                Gate::Full | Gate::Open => notified.await,
            }
        }
    }
}

impl State {
    /// Whether a request may go at `now`; forgets a pause or a window that
    /// is over.
    fn gate(&mut self, now: Instant) -> Gate {
        if let Some(t) = self.paused_until {
            if t > now {
                return Gate::Until(t);
            }
            self.paused_until = None;
        }
        if let Some(w) = self.window {
            if w.reset_at <= now {
                self.window = None;
            } else if w.left == 0 {
                return Gate::Until(w.reset_at);
            }
        }
        if self.out.len() >= (self.limit as usize).max(1) {
            return Gate::Full;
        }
        Gate::Open
    }

    /// Halves the limit, once per epoch.
    fn decrease(&mut self, epoch: u64) {
        if epoch == self.epoch {
            let cut = (self.limit / 2.0).max(1.0);
            // At the floor of one there is nothing to cut, nor to report.
            if cut < self.limit {
                self.decreases += 1;
            }
            self.limit = cut;
            self.lowest = self.lowest.min(cut);
            self.epoch += 1;
        }
    }

    fn pause_for(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        self.paused_until = Some(self.paused_until.map_or(until, |t| t.max(until)));
    }
}

impl Permit {
    /// A success: climb back, unless the window is nearly spent.
    pub fn succeeded(self, rate: RateHeaders) {
        let limiter = Arc::clone(&self.limiter);
        let max = limiter.max() as f64;
        let mut s = limiter.state();
        s.throttles = 0;
        // A server counts a request when it arrives: those let through
        // before this one are in `remaining`, those after it may not be, and
        // the window is taken to hold no more than what they leave.
        let later = s.out.range(self.seq + 1..).count() as u64;
        let now = Instant::now();
        let reset_at = rate.reset.map(|r| now + r.min(MAX_RESET_WAIT));
        if let (Some(left), Some(reset_at)) = (rate.remaining, reset_at) {
            s.window = Some(Window {
                left: left.saturating_sub(later),
                reset_at,
            });
        }
        let cut_lately = s.low_cut_until.is_some_and(|t| t > now);
        match rate.remaining {
            // The requests already out would use up what is left.
            Some(left) if left <= later => {
                if !cut_lately {
                    s.decrease(self.epoch);
                    s.low_cut_until = reset_at;
                }
            }
            _ => s.limit = (s.limit + 1.0 / s.limit).min(max),
        }
        drop(s);
        drop(self);
    }

    /// A 429: halve the limit and pause the gate for as long as the server
    /// asked (`wait`), or a guess that doubles with each throttle in a row.
    pub fn throttled(self, wait: Option<Duration>) {
        let limiter = Arc::clone(&self.limiter);
        let mut s = limiter.state();
        // The other 429s of a burst were sent before its first came back:
        // they neither cut the limit again nor lengthen a guessed pause.
        let first_of_burst = self.epoch == s.epoch;
        s.refused += 1;
        s.decrease(self.epoch);
        let pause = match wait {
            Some(wait) => Some(wait),
            None if first_of_burst => {
                let guess = FIRST_GUESSED_PAUSE
                    .saturating_mul(1 << s.throttles.min(8))
                    .min(MAX_GUESSED_PAUSE);
                s.throttles += 1;
                Some(guess / 2 + guess.mul_f64(fastrand::f64() / 2.0))
            }
            None => None,
        };
        if let Some(pause) = pause {
            s.pause_for(pause);
        }
        drop(s);
        drop(self);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.state().out.remove(&self.seq);
        self.limiter.wake.notify_waiters();
    }
}

#[cfg(test)]
mod tests;
