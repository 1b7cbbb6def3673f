//! SQLite: sessions, attempts, the verdict cache and the review schedule.
//!
//! An answer is inserted the moment it is read, before any network call, and
//! its verdict is filled in later: nothing typed is ever lost. A verdict, its
//! score, who graded it and the review card it moves are written in one
//! transaction. The schema is versioned with `PRAGMA user_version` and
//! numbered migrations. What comes back is typed: `Status`, `GradedBy`,
//! `Verdict`; no caller compares strings or re-parses JSON.
//!
//! One connection behind a mutex, so a `Store` can be shared by the grades
//! of a batch running at once.

mod attempts;
mod columns;
mod db;
mod jobs;
mod remembered;
mod review;
mod schema;
mod spoken;
mod usage;

pub use attempts::{Attempt, NewAttempt};
pub use columns::{Extra, FollowUpAnswer, GradedBy, Status, Via};
pub use db::{Session, SessionKind, Store};
pub use jobs::{AttemptSink, Job, JobStatus, NewJob, NewPart, Part};
pub use review::KeyPoints;
pub use spoken::Spoken;
pub use usage::UsageRow;
