//! The answer being written, as plain data: its lines, the commands a line
//! can be, and what each piece of input does to it. `input` reads; this
//! decides.

use crate::grading::MAX_ANSWER_CHARS;

/// The commands an answer line can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Skip,
    Quit,
    Hint,
    Edit,
}

fn command(line: &str) -> Option<Command> {
    match line.trim() {
        ":skip" => Some(Command::Skip),
        ":quit" => Some(Command::Quit),
        ":hint" => Some(Command::Hint),
        ":edit" => Some(Command::Edit),
        _ => None,
    }
}

/// Whether the editor should hand back `input` when Enter is pressed at its
/// end: at a blank line after the text (submit), at a command on the last
/// line, or when nothing is typed at all. Otherwise Enter starts a new line.
pub fn answer_complete(input: &str) -> bool {
    let last = input.rsplit('\n').next().unwrap_or_default();
    input.trim().is_empty() || last.trim().is_empty() || command(last).is_some()
}

/// What one piece of input did to the answer being written.
pub enum Step {
    More,
    Submit,
    /// The text reached `MAX_ANSWER_CHARS` and was cut there.
    Full,
    Command(Command),
}

/// The answer being written: its lines and their length in characters.
#[derive(Default)]
pub struct Draft {
    lines: Vec<String>,
    chars: usize,
}

impl Draft {
    /// A draft holding `text` (nothing when it is empty).
    pub fn from_text(text: &str) -> Draft {
        let mut draft = Draft::default();
        if !text.is_empty() {
            draft.replace(text);
        }
        draft
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    /// Adds a line; `false` when it had to be cut at the length limit.
    pub fn push(&mut self, line: &str) -> bool {
        let newline = usize::from(!self.lines.is_empty());
        let n = line.chars().count() + newline;
        if self.chars + n > MAX_ANSWER_CHARS {
            let room = MAX_ANSWER_CHARS.saturating_sub(self.chars + newline);
            if room > 0 {
                self.lines.push(line.chars().take(room).collect());
            }
            self.chars = MAX_ANSWER_CHARS;
            return false;
        }
        self.chars += n;
        self.lines.push(line.to_string());
        true
    }

    /// Text from an editor: replaces the draft; `false` when it was cut.
    pub fn replace(&mut self, text: &str) -> bool {
        *self = Draft::default();
        text.split('\n').all(|line| self.push(line))
    }

    /// One piped line, as the protocol reads it.
    pub fn feed(&mut self, line: &str) -> Step {
        if let Some(c) = command(line) {
            return Step::Command(c);
        }
        if line.trim().is_empty() {
            return if self.is_empty() {
                self.lines.clear();
                Step::More
            } else {
                Step::Submit
            };
        }
        if self.push(line) {
            Step::More
        } else {
            Step::Full
        }
    }

    /// A whole answer from the terminal: its last line says how it ended
    /// (blank: submitted; a command; otherwise Ctrl-D, which submits).
    pub fn edited(&mut self, text: &str) -> Step {
        let (body, last) = match text.rsplit_once('\n') {
            Some((body, last)) => (body, last),
            None => ("", text),
        };
        let (body, step) = match command(last) {
            Some(c) => (body, Step::Command(c)),
            None if last.trim().is_empty() => (body, Step::Submit),
            None => (text, Step::Submit),
        };
        let body = body.trim_end();
        let fits = self.replace(body);
        match step {
            _ if !fits => Step::Full,
            Step::Submit if self.is_empty() => {
                self.lines.clear();
                Step::More
            }
            step => step,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_hands_back_an_answer_only_at_a_blank_line_or_a_command() {
        assert!(!answer_complete("one"));
        assert!(!answer_complete("one\ntwo"));
        assert!(answer_complete("one\ntwo\n"));
        assert!(answer_complete("one\n   "));
        assert!(answer_complete("one\n:hint"));
        assert!(answer_complete(":skip"));
        assert!(answer_complete(""), "Enter on nothing gives a fresh prompt");
        assert!(!answer_complete("one\n:hinted"));
    }
}
