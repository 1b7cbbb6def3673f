//! One sender at a time. Two `grade --batch F --via batch-api` of one file
//! at once would each find the job's parts unsent and each upload them and
//! create a batch: paid twice, with only one batch tracked. So finding or
//! making a job and sending its parts happen under an exclusive lock on one
//! file beside the job files; a second run waits for it, then finds the job
//! sent and resumes it (prints it, or waits for it) instead of sending it.
//!
//! The lock is the operating system's, not a row in the store: the kernel
//! lets go of it when the process ends, however it ends (a kill -9
//! included), where a row would outlive its holder and need a lease to be
//! cleared. The file is never removed: a process waiting on a removed file
//! would hold a lock nobody else sees.

use std::fs::{File, OpenOptions, TryLockError};

use super::parts::{files_dir, private_dir};
use crate::error::{Error, Result};
use crate::store::Store;

/// The right to make and send jobs, held until dropped.
#[derive(Debug)]
pub struct Sending {
    _file: File,
}

/// Takes the sending lock of the store's jobs. When another grill holds
/// it, `waiting` is called once and this waits until it lets go.
pub fn lock_sending(store: &Store, waiting: &dyn Fn()) -> Result<Sending> {
    let dir = files_dir(store);
    private_dir(&dir)?;
    let path = dir.join("sending.lock");
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
                .map_err(|e| Error::io(&path, "lock the Batch API jobs", &e))?;
        }
        Err(TryLockError::Error(e)) => return Err(Error::io(&path, "lock the Batch API jobs", &e)),
    }
    Ok(Sending { _file: file })
}
