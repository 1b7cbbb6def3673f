//! One collector per job at a time. Two `grill jobs collect` of one job at
//! once would each re-ask its failed answers live, paying twice; so
//! collecting holds an exclusive lock on a file beside the job's files.
//! The operating system lets go of it when the process ends, however it
//! ends (a kill -9 included): no stale claim is ever left to clear.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use super::parts::{files_dir, private_dir};
use crate::error::{Error, Result};
use crate::store::Store;

/// The right to collect one job, held until dropped.
#[derive(Debug)]
pub struct Claim {
    pub(super) job: i64,
    path: PathBuf,
    _file: File,
}

fn lock_path(store: &Store, job: i64) -> PathBuf {
    files_dir(store).join(format!("job-{job}.lock"))
}

/// Claims job `job` for collecting. When another grill holds it, `waiting`
/// is called once and the claim waits for it to let go; the caller then
/// finds the job collected, or collects what the other left.
pub fn claim(store: &Store, job: i64, waiting: &dyn Fn()) -> Result<Claim> {
    let path = lock_path(store, job);
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts
        .open(&path)
        .map_err(|e| Error::io(&path, "create lock file", &e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            waiting();
            file.lock()
                .map_err(|e| Error::io(&path, "lock the job", &e))?;
        }
        Err(TryLockError::Error(e)) => return Err(Error::io(&path, "lock the job", &e)),
    }
    Ok(Claim {
        job,
        path,
        _file: file,
    })
}

impl Claim {
    /// Removes the lock file of a job that is collected: whoever locks it
    /// after this (the old file or a new one) finds the job collected.
    pub(super) fn release_collected(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
