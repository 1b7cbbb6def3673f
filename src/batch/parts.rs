//! A job's files: where they live, and its requests files, one JSON line
//! per answer, split at the Batch API's limits.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::provider::batch_api;
use crate::store::{NewPart, Store};

/// The Batch API's limits per input file: 50,000 requests, 200 MB.
pub const MAX_REQUESTS: u64 = 50_000;
pub const MAX_BYTES: u64 = 200 * 1000 * 1000;

/// Where a job's files are split. The API's limits, unless the hidden
/// variables `GRILL_BATCH_MAX_REQUESTS` / `GRILL_BATCH_MAX_BYTES` lower them
/// (the tests split a job of a few answers that way).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_requests: u64,
    pub max_bytes: u64,
}

impl Limits {
    pub fn from_env() -> Limits {
        let read = |name: &str, max: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|&n| n > 0)
                .map_or(max, |n| n.min(max))
        };
        Limits {
            max_requests: read("GRILL_BATCH_MAX_REQUESTS", MAX_REQUESTS),
            max_bytes: read("GRILL_BATCH_MAX_BYTES", MAX_BYTES),
        }
    }
}

/// How often `wait` asks the server, unless the hidden `GRILL_BATCH_POLL_MS` says.
pub fn poll_interval() -> Duration {
    std::env::var("GRILL_BATCH_POLL_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(15), Duration::from_millis)
}

/// The directory of a store's job files: `batches/` beside the database.
pub fn files_dir(store: &Store) -> PathBuf {
    store
        .path()
        .parent()
        .map_or_else(|| PathBuf::from("batches"), |d| d.join("batches"))
}

pub(super) fn part_file(store: &Store, job: i64, part: i64, kind: &str) -> PathBuf {
    files_dir(store).join(format!("job-{job}-part-{part}.{kind}.jsonl"))
}

/// Creates a job files' directory, readable by its owner only: the files
/// hold candidates' answers, as the database does.
pub(super) fn private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::io(dir, "create directory", &e))
}

/// Creates (or empties) a file readable by its owner only.
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

/// Writes a job's requests files, one JSON line per answer, starting a new
/// part before a line would take one past the limits.
pub struct PartWriter {
    limits: Limits,
    dir: PathBuf,
    job: i64,
    /// The number of the first part this writer writes.
    first: i64,
    parts: Vec<NewPart>,
    open: Option<OpenPart>,
}

struct OpenPart {
    file: BufWriter<std::fs::File>,
    hash: Sha256,
    bytes: u64,
    part: NewPart,
}

impl PartWriter {
    pub fn new(store: &Store, job: i64, limits: Limits) -> Result<PartWriter> {
        PartWriter::from_part(store, job, limits, 0)
    }

    /// A writer whose first file is part `first` of the job (parts added to
    /// a job already sent).
    pub fn from_part(store: &Store, job: i64, limits: Limits, first: i64) -> Result<PartWriter> {
        let dir = files_dir(store);
        private_dir(&dir)?;
        Ok(PartWriter {
            limits,
            dir,
            job,
            first,
            parts: Vec::new(),
            open: None,
        })
    }

    /// Adds the request for one attempt; `custom_id` is the attempt's id.
    pub fn add(&mut self, attempt_id: i64, body: &Value) -> Result<()> {
        let line = json!({
            "custom_id": attempt_id.to_string(),
            "method": "POST",
            "url": batch_api::ENDPOINT,
            "body": body,
        });
        let mut text = line.to_string();
        text.push('\n');
        let len = text.len() as u64;
        if len > self.limits.max_bytes {
            return Err(Error::input(format!(
                "the judge request for one answer is {len} bytes, more than the Batch API's {} per file",
                self.limits.max_bytes
            )));
        }
        let full = self.open.as_ref().is_some_and(|o| {
            o.part.requests + 1 > self.limits.max_requests || o.bytes + len > self.limits.max_bytes
        });
        if full {
            self.close()?;
        }
        if self.open.is_none() {
            let n = self.first + self.parts.len() as i64;
            let path = self
                .dir
                .join(format!("job-{}-part-{n}.requests.jsonl", self.job));
            let file =
                private_file(&path).map_err(|e| Error::io(&path, "write requests file", &e))?;
            self.open = Some(OpenPart {
                file: BufWriter::new(file),
                hash: Sha256::new(),
                bytes: 0,
                part: NewPart {
                    first_attempt: attempt_id,
                    last_attempt: attempt_id,
                    requests: 0,
                    requests_path: path.display().to_string(),
                    requests_hash: String::new(),
                },
            });
        }
        let open = self.open.as_mut().expect("opened above");
        open.file.write_all(text.as_bytes()).map_err(|e| {
            Error::io(
                Path::new(&open.part.requests_path),
                "write requests file",
                &e,
            )
        })?;
        open.hash.update(text.as_bytes());
        open.bytes += len;
        open.part.requests += 1;
        open.part.last_attempt = attempt_id;
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if let Some(mut open) = self.open.take() {
            let path = PathBuf::from(&open.part.requests_path);
            open.file
                .flush()
                .and_then(|()| open.file.get_ref().sync_all())
                .map_err(|e| Error::io(&path, "write requests file", &e))?;
            open.part.requests_hash = crate::text::hex(&open.hash.finalize());
            self.parts.push(open.part);
        }
        Ok(())
    }

    /// The parts written, every file flushed to disk.
    pub fn finish(mut self) -> Result<Vec<NewPart>> {
        self.close()?;
        Ok(self.parts)
    }
}
