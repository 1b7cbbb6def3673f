//! The bank's data: questions, their key points, topics, and the problems
//! found while reading them. Plain values; parsing and loading are elsewhere.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Core,
    Advanced,
}

impl fmt::Display for Difficulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Difficulty::Core => "core",
            Difficulty::Advanced => "advanced",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPoint {
    pub id: String,
    pub point: String,
    pub weight: u8,
    pub cues: Vec<String>,
}

/// Serialises as `grill show --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    pub id: String,
    pub topic: String,
    pub question: String,
    pub difficulty: Difficulty,
    pub wants_example: bool,
    pub minutes: u32,
    pub model_answer: String,
    pub key_points: Vec<KeyPoint>,
    /// Where the facts come from: papers, provider docs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// When the facts were last checked, `YYYY-MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<String>,
    /// Never from a bank: the follow-up question, when this is the question
    /// as put to the judge for a follow-up answer (`grading::followup`).
    /// Judge-written, so the prompt holds it in a data box of its own, never
    /// in the question part, which stays the bank's byte for byte.
    #[serde(skip)]
    pub follow_up: Option<String>,
}

impl Question {
    pub fn total_weight(&self) -> u32 {
        self.key_points.iter().map(|k| u32::from(k.weight)).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub slug: String,
    pub title: String,
}

/// One problem found in a bank file, printed as `path:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.col, self.message
        )
    }
}

/// `YYYY-MM` with a month from 01 to 12.
pub fn is_year_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u8>(), Ok(1..=12))
}

/// The longest question id, key point id or topic a bank may hold, in
/// characters. Ids and topics made by `bank import` are at most 48 (see
/// `slug`), leaving room for a `-2`.
pub const MAX_ID_CHARS: usize = 64;

/// What is wrong with `id` as a `what` (`question id`, `key point id`,
/// `topic`), if anything: too long, or not a slug. A long one is shown cut.
pub fn id_problem(what: &str, id: &str) -> Option<String> {
    let n = id.chars().count();
    if n > MAX_ID_CHARS {
        return Some(format!(
            "{what} `{}` is {n} characters; at most {MAX_ID_CHARS}",
            crate::text::cut(id, 40)
        ));
    }
    (!is_slug(id)).then(|| format!("{what} `{id}` must be a slug: lowercase letters, digits, `-`"))
}

/// Ids and topics: lowercase letters, digits, `-` and `_`.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}
