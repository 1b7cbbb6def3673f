//! Where a part of a Batch API job stands: grill's two states before the
//! server has a batch, then the statuses the Batch API documents. Anything
//! else a server says is `Unknown`, its text kept only as one short,
//! sanitised line: a status is printed in table rows and error messages,
//! where a newline would forge a row.

use std::fmt;

/// Longest raw text kept of a status grill does not know.
const RAW_MAX: usize = 40;
/// How an unknown status is stored, so that reading it back cannot turn a
/// server's word into one of grill's own (`local`, `uploaded`).
const STORED_UNKNOWN: &str = "unknown: ";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BatchStatus {
    /// The requests file is written, not yet uploaded (grill's own).
    #[default]
    Local,
    /// The requests file is uploaded, no batch made from it yet (grill's own).
    Uploaded,
    /// The batch's results were read and its refused answers went to a
    /// later part of the same job (grill's own).
    Collected,
    Validating,
    InProgress,
    Finalizing,
    Completed,
    Failed,
    Expired,
    Cancelling,
    Cancelled,
    /// A status the Batch API does not document: the server's text on one
    /// line, sanitised and cut.
    Unknown(String),
}

/// The server's statuses, least advanced first (how a job of several
/// batches is summed up: by the one furthest behind).
const SERVER: [(&str, BatchStatus); 8] = [
    ("validating", BatchStatus::Validating),
    ("in_progress", BatchStatus::InProgress),
    ("finalizing", BatchStatus::Finalizing),
    ("cancelling", BatchStatus::Cancelling),
    ("failed", BatchStatus::Failed),
    ("expired", BatchStatus::Expired),
    ("cancelled", BatchStatus::Cancelled),
    ("completed", BatchStatus::Completed),
];

impl BatchStatus {
    /// A status as a server sent it: one of the documented words, or `Unknown`.
    pub fn from_server(raw: &str) -> BatchStatus {
        SERVER
            .iter()
            .find(|(word, _)| *word == raw)
            .map_or_else(|| BatchStatus::Unknown(one_line(raw)), |(_, s)| s.clone())
    }

    /// A status as `to_stored` wrote it.
    pub fn from_stored(text: &str) -> BatchStatus {
        match text {
            "local" => BatchStatus::Local,
            "uploaded" => BatchStatus::Uploaded,
            "collected" => BatchStatus::Collected,
            _ => match text.strip_prefix(STORED_UNKNOWN) {
                Some(raw) => BatchStatus::Unknown(one_line(raw)),
                None => BatchStatus::from_server(text),
            },
        }
    }

    pub fn to_stored(&self) -> String {
        match self {
            BatchStatus::Unknown(raw) => format!("{STORED_UNKNOWN}{raw}"),
            known => known.as_str().to_string(),
        }
    }

    /// The status in one word; `unknown` for any the Batch API does not document.
    pub fn as_str(&self) -> &'static str {
        match self {
            BatchStatus::Local => "local",
            BatchStatus::Uploaded => "uploaded",
            BatchStatus::Collected => "collected",
            BatchStatus::Unknown(_) => "unknown",
            known => SERVER
                .iter()
                .find(|(_, s)| s == known)
                .map_or("unknown", |(word, _)| word),
        }
    }

    /// The server's text of an unknown status (one sanitised line).
    pub fn raw(&self) -> Option<&str> {
        match self {
            BatchStatus::Unknown(raw) => Some(raw),
            _ => None,
        }
    }

    /// Whether the Batch API documents this status (grill's own count too):
    /// nothing says an unknown one will ever become final.
    pub fn is_known(&self) -> bool {
        !matches!(self, BatchStatus::Unknown(_))
    }

    /// Whether the batch will change no more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            BatchStatus::Completed
                | BatchStatus::Failed
                | BatchStatus::Expired
                | BatchStatus::Cancelled
                | BatchStatus::Collected
        )
    }

    /// Position in `SERVER`: how far the batch has come; an unknown status
    /// (and grill's own) counts as the least advanced.
    pub fn rank(&self) -> usize {
        if *self == BatchStatus::Collected {
            return SERVER.len() + 1;
        }
        SERVER
            .iter()
            .position(|(_, s)| s == self)
            .map_or(0, |i| i + 1)
    }
}

/// `unknown ("the server's text")` for an unknown status, the word otherwise.
impl fmt::Display for BatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchStatus::Unknown(raw) => write!(f, "unknown (the server said \"{raw}\")"),
            known => f.write_str(known.as_str()),
        }
    }
}

/// One line of at most `RAW_MAX` characters: control characters replaced,
/// every run of white space (newlines too) one space.
fn one_line(raw: &str) -> String {
    let clean = crate::text::sanitize(raw);
    let words: Vec<&str> = clean.split_whitespace().collect();
    crate::text::cut(&words.join(" "), RAW_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_words_round_trip_and_anything_else_is_unknown_on_one_line() {
        for (word, status) in &SERVER {
            assert_eq!(BatchStatus::from_server(word), *status);
            assert_eq!(BatchStatus::from_stored(&status.to_stored()), *status);
            assert_eq!(status.to_string(), *word);
        }
        let forged = BatchStatus::from_server("in_progress\nFAKE LINE\r  0/6 \x1b[2J");
        assert_eq!(forged.as_str(), "unknown");
        let raw = forged.raw().unwrap();
        assert!(!raw.contains(['\n', '\r', '\x1b']), "{raw:?}");
        assert!(raw.starts_with("in_progress FAKE LINE"), "{raw:?}");
        assert_eq!(BatchStatus::from_stored(&forged.to_stored()), forged);
        assert!(!forged.is_terminal());
        assert_eq!(forged.rank(), 0);
        // A server's `local` is not grill's own.
        let stored = BatchStatus::from_server("local").to_stored();
        assert!(matches!(
            BatchStatus::from_stored(&stored),
            BatchStatus::Unknown(_)
        ));
        let long = BatchStatus::from_server(&"x".repeat(5000));
        assert!(long.raw().unwrap().chars().count() <= RAW_MAX);
    }
}
