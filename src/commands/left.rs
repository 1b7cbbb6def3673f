//! How a question asked in a session got no answer to grade, in the words
//! stored with its attempt and shown in reports.

/// How a question asked got no answer to grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// `:skip`.
    Skipped,
    /// Ctrl-C.
    Abandoned,
    /// `:quit`, Ctrl-D or the end of input while the question was open.
    Quit,
    /// SIGTERM or SIGHUP (its number) while the question was open.
    Ended(i32),
}

impl Left {
    /// The word stored with the attempt (`extra.ended`) and shown in reports.
    pub fn word(self) -> &'static str {
        match self {
            Left::Skipped => "skipped",
            Left::Abandoned => "abandoned",
            Left::Quit => "left",
            Left::Ended(_) => "ended",
        }
    }

    /// Why it got no grade, as stored with the attempt.
    pub(crate) fn reason(self, typed: bool) -> String {
        let why = match self {
            Left::Skipped => return "skipped with :skip".into(),
            Left::Abandoned => "abandoned with Ctrl-C".to_string(),
            Left::Quit => "open when the session ended".to_string(),
            Left::Ended(signal) => format!(
                "open when {} ended the session",
                crate::ui::signals::name(signal)
            ),
        };
        if typed {
            format!("{why}; what was typed is kept, not graded")
        } else {
            why
        }
    }
}
