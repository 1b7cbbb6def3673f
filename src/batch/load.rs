//! A job read back from the store, and the error that says a call about it
//! failed and how to go on.

use crate::error::{Error, Result};
use crate::store::{Job, Store};

pub(super) fn call_failed(job: &Job, what: &str, err: &dyn std::fmt::Display) -> Error {
    Error::failure(format!("job {}: cannot {what}: {err}", job.id)).with_hint(
        "the answers are saved; run the same command again to resume, or `grill regrade` to grade them live",
    )
}

pub fn load(store: &Store, job_id: i64) -> Result<Job> {
    store.job(job_id)?.ok_or_else(|| {
        Error::input(format!("there is no job {job_id}")).with_hint("`grill jobs` lists the jobs")
    })
}
