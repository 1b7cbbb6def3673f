//! What both exports share: text made safe for a cell, and a `csv` writer
//! turned into the export's text, its errors worded once.

use crate::error::{Error, Result};
use crate::text::sanitize;

/// Text from a bank or an answer, safe to write anywhere: Windows line ends
/// made plain, other control characters replaced as everywhere grill prints.
pub(super) fn clean(text: &str) -> String {
    sanitize(&text.replace("\r\n", "\n"))
}

/// A `csv` writer's error as the export's failure.
pub(super) fn export_error(err: &csv::Error) -> Error {
    Error::failure(format!("cannot write the export: {err}"))
}

/// The text `w` wrote.
pub(super) fn finish(w: csv::Writer<Vec<u8>>) -> Result<String> {
    let bytes = w
        .into_inner()
        .map_err(|e| Error::failure(format!("cannot write the export: {}", e.error())))?;
    // Every field was a `String`, so the bytes are UTF-8.
    String::from_utf8(bytes).map_err(|e| Error::failure(format!("cannot write the export: {e}")))
}

#[cfg(test)]
/// The rows of an export read back, header lines (`#`) skipped.
pub(super) fn read_back(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}
