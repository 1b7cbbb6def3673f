//! Waiting for a job's batches, with an end. A batch status the Batch API
//! does not document ends the wait (nothing says it will ever become
//! final), and so does a batch still running an hour past its own
//! `expires_at`, or, when the server names none, 25 hours after the wait
//! began (no batch runs longer than its 24 hour window). Polls back off,
//! from the poll interval up to eight times it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::store::Job;
use crate::time::Clock;

/// How long past its `expires_at` a batch is given to say it expired.
const GRACE: chrono::Duration = chrono::Duration::hours(1);
/// The Batch API's completion window.
const WINDOW: chrono::Duration = chrono::Duration::hours(24);
/// The longest poll interval, as a multiple of the first.
const MAX_BACKOFF: u32 = 8;

/// One wait for one job: when it began, and the next poll's interval.
pub struct Waiter {
    began: DateTime<Utc>,
    started: Instant,
    base: Duration,
    interval: Duration,
}

impl Waiter {
    pub fn new(clock: Clock, base: Duration) -> Waiter {
        Waiter {
            began: clock.now(),
            started: Instant::now(),
            base,
            interval: base,
        }
    }

    /// Now, as the clock said when the wait began plus the time since: a
    /// clock fixed by `GRILL_NOW` still moves on while grill waits.
    fn now(&self) -> DateTime<Utc> {
        self.began + chrono::Duration::from_std(self.started.elapsed()).unwrap_or(WINDOW)
    }

    /// After a poll: an error when the wait must end unfinished; `expires_at`
    /// is the latest the job's unfinished batches named (Unix seconds).
    pub fn check(&self, job: &Job, expires_at: Option<i64>) -> Result<()> {
        let running = job.parts.iter().filter(|p| p.batch_id.is_some());
        for part in running.clone() {
            if !part.status.is_known() {
                return Err(Error::failure(format!(
                    "job {}: batch {} has the status `{}`, which the Batch API does not document; stopped waiting",
                    job.id,
                    part.batch_id.as_deref().unwrap_or_default(),
                    part.status.raw().unwrap_or(part.status.as_str())
                ))
                .with_hint(format!(
                    "the answers are saved; `grill jobs wait {}` asks again, `grill jobs cancel {}` cancels the job",
                    job.id, job.id
                )));
            }
        }
        let deadline = deadline(self.began, expires_at);
        if self.now() <= deadline {
            return Ok(());
        }
        let late = running
            .filter(|p| !p.status.is_terminal())
            .find_map(|p| p.batch_id.as_deref().map(|b| (b, p.status.as_str())));
        let (batch, status) = late.unwrap_or(("?", "unfinished"));
        Err(Error::failure(format!(
            "job {}: batch {batch} is still {status} past {}; stopped waiting",
            job.id,
            match expires_at {
                Some(_) => format!(
                    "its expiry time ({})",
                    crate::time::stamp(deadline - GRACE)
                ),
                None => "the Batch API's 24 hour window".into(),
            }
        ))
        .with_hint(format!(
            "the answers are saved; `grill jobs cancel {}` keeps what finished, `grill jobs wait {}` waits again",
            job.id, job.id
        )))
    }

    /// The pause before the next poll: each half as long again as the one
    /// before, up to `MAX_BACKOFF` times the first.
    pub fn pause(&mut self) -> Duration {
        let now = self.interval;
        self.interval = (self.interval * 3 / 2).min(self.base * MAX_BACKOFF);
        now
    }
}

/// When a wait that began at `began` gives up: an hour past the batches'
/// own expiry, or past the whole window from the start of the wait.
fn deadline(began: DateTime<Utc>, expires_at: Option<i64>) -> DateTime<Utc> {
    match expires_at.and_then(|at| DateTime::<Utc>::from_timestamp(at, 0)) {
        Some(at) => at + GRACE,
        None => began + WINDOW + GRACE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_back_off_to_eight_times_the_interval() {
        let mut w = Waiter::new(Clock::system(), Duration::from_secs(10));
        let pauses: Vec<u64> = (0..8).map(|_| w.pause().as_secs()).collect();
        assert_eq!(pauses, [10, 15, 22, 33, 50, 75, 80, 80]);
    }

    #[test]
    fn the_wait_ends_an_hour_past_the_expiry_or_the_window() {
        let began = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(
            deadline(began, Some(1_800_000_100)).timestamp(),
            1_800_003_700
        );
        assert_eq!(deadline(began, None).timestamp(), 1_800_000_000 + 25 * 3600);
    }
}
