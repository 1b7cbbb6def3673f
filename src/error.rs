//! One error type for the whole program: a message, an optional hint, and the
//! exit code it maps to. Messages are lowercase sentences that name the file,
//! field or flag at fault, so a user can fix the problem from one line.

use std::fmt;

/// What kind of failure this is; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad usage or bad input: a flag, a file, a bank, a config (exit 2).
    Input,
    /// The work itself failed: the judge was unreachable, a grade failed (exit 1).
    Failure,
    /// The reader of our output went away (`grill list | head`): stop quietly, exit 0.
    BrokenPipe,
    /// A signal ended the work: SIGTERM or SIGHUP while an answer was read,
    /// or Ctrl-C stopping a long run after keeping its results: exit
    /// 128 + its number, as a shell reports a process a signal ended.
    Signal(i32),
}

/// A signal's name, for messages: `SIGTERM`.
pub fn signal_name(signal: i32) -> &'static str {
    signal_hook::low_level::signal_name(signal).unwrap_or("a signal")
}

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    /// What to do about it, one line each, printed after the message.
    pub hints: Vec<String>,
    /// Lines printed before the message, e.g. every problem found in a bank.
    pub details: Vec<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Input,
            message: message.into(),
            hints: Vec::new(),
            details: Vec::new(),
        }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Failure,
            message: message.into(),
            hints: Vec::new(),
            details: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    #[must_use]
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Input => 2,
            Kind::Failure => 1,
            Kind::BrokenPipe => 0,
            Kind::Signal(n) => 128 + n,
        }
    }

    /// Work stopped by Ctrl-C (SIGINT) after keeping what it had done:
    /// exit 130, as a shell reports a process Ctrl-C ended.
    pub fn interrupted(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Signal(2),
            message: message.into(),
            hints: Vec::new(),
            details: Vec::new(),
        }
    }

    /// A session ended by SIGTERM or SIGHUP, what was typed stored.
    pub fn signal(signal: i32) -> Self {
        Error {
            kind: Kind::Signal(signal),
            message: format!(
                "{} ended the session; what was typed is saved",
                signal_name(signal)
            ),
            hints: Vec::new(),
            details: Vec::new(),
        }
    }

    /// The reader of our output went away: stop quietly.
    pub fn broken_pipe() -> Self {
        Error {
            kind: Kind::BrokenPipe,
            message: String::new(),
            hints: Vec::new(),
            details: Vec::new(),
        }
    }

    pub fn is_broken_pipe(&self) -> bool {
        self.kind == Kind::BrokenPipe
    }

    /// An I/O error on `path`, as bad input (exit 2): the user named a file we cannot use.
    pub fn io(path: &std::path::Path, action: &str, err: &std::io::Error) -> Self {
        Error::input(format!(
            "cannot {action} `{}`: {}",
            path.display(),
            io_reason(err)
        ))
    }
}

/// The OS reason without Rust's "(os error N)" suffix.
pub fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_lowercase(),
        None => text.to_lowercase(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::broken_pipe();
        }
        Error::failure(format!("cannot write output: {}", io_reason(&err)))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Error::failure(format!("database error: {}", storage_reason(&err)))
    }
}

/// What went wrong with the database, in words a user can act on.
pub fn storage_reason(err: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    match err.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => "the disk is full".into(),
        Some(ErrorCode::SystemIoFailure) => "the disk could not be written (I/O error)".into(),
        Some(ErrorCode::ReadOnly) => "the database is read-only".into(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "another grill held the database for too long".into()
        }
        _ => err.to_string(),
    }
}

/// The closest candidate to `wanted`, if any is close enough to be a useful suggestion.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        // Case does not make a name another: `RAG` is near `rag`.
        .map(|c| {
            let (w, c_low) = (wanted.to_lowercase(), c.to_lowercase());
            let mut score = strsim::jaro_winkler(&w, &c_low);
            // One typo (a swap: `rga`) in a short name, where Jaro-Winkler
            // sees almost nothing in common.
            if w.chars().count() >= 3 && strsim::damerau_levenshtein(&w, &c_low) <= 1 {
                score = score.max(0.85);
            }
            (score, c)
        })
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
