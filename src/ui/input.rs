//! Reading answers: the same protocol from a terminal (rustyline, see
//! `terminal`) or from a pipe (plain lines, for scripts and tests).
//!
//! An answer is text until a blank line or the end of input; `:skip`,
//! `:quit`, `:hint` and `:edit` on a line of their own are commands. A pipe
//! gives the answer line by line. The terminal edits the whole answer in one
//! `readline()`, which returns only at a blank line, a command or Ctrl-D, so
//! nothing typed ahead or pasted between two lines can fall between two
//! reads.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::grading::MAX_ANSWER_CHARS;
use crate::ui::draft::{Command, Draft, Step};

/// One read of one line (or, from the terminal, of a whole answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Ctrl-C in the editor.
    Interrupted,
    /// Ctrl-D, or the end of piped input.
    Eof,
    /// The deadline passed; `partial` is what was typed so far.
    TimedOut {
        partial: String,
    },
    /// Piped input that is not UTF-8.
    Invalid,
    /// The window changed size while an answer was being edited (when asked
    /// to watch for it); `partial` is what was typed so far.
    Resized {
        partial: String,
    },
    /// SIGTERM or SIGHUP came (`signals`): `partial` is what was typed and
    /// not yet given back, `signal` its number.
    Ended {
        partial: String,
        signal: i32,
    },
}

/// Where lines come from. Implementations: the terminal editor and a pipe.
pub trait LineSource {
    fn read_line(&mut self, prompt: &str, deadline: Option<Instant>) -> Line;
    /// One edit of a whole answer, starting from `so_far`: the text comes
    /// back whole (what was kept included) when a blank line, a command on
    /// the last line or Ctrl-D ends it. `None` where answers come line by
    /// line.
    fn read_answer_text(
        &mut self,
        _prompt: &str,
        _so_far: &str,
        _deadline: Option<Instant>,
        _watch_size: bool,
    ) -> Option<Line> {
        None
    }
    /// True for a person at a terminal: prompts, colour, confirmations.
    fn interactive(&self) -> bool;
    /// Set by Ctrl-C while no line is being read (e.g. during grading), when
    /// the source catches it; `None` where Ctrl-C simply ends the process.
    fn ctrl_c(&self) -> Option<Arc<AtomicBool>> {
        None
    }
    /// What was on the editor's screen when the last read was interrupted.
    fn typed(&self) -> String {
        String::new()
    }
    /// Drops keys typed before a prompt was drawn (an Enter too many after
    /// submitting), so they cannot answer it; a pipe's lines are the script
    /// and stay.
    fn discard_typeahead(&mut self) {}
}

/// The outcome of reading one answer: the session's own vocabulary.
pub use crate::session::Answer;

/// What reading an answer needs besides the source.
pub struct Ask<'a> {
    /// Shown on `:hint`.
    pub hint: &'a str,
    pub deadline: Option<Instant>,
    /// A short line to the person (stderr).
    pub notice: &'a mut dyn FnMut(&str),
    /// Told `true` before `$EDITOR` takes the screen, `false` when it is back.
    pub editor: &'a mut dyn FnMut(bool),
    /// Draws the screen again after the window changed size; the answer is
    /// then edited on from where it was. `None`: resizes are the editor's.
    pub redraw: Option<&'a mut dyn FnMut()>,
    /// The text the answer starts from (what was typed before Ctrl-C and
    /// "leave? no"); empty for a new answer.
    pub draft: &'a str,
}

/// Reads one answer with the protocol above.
pub fn read_answer(src: &mut dyn LineSource, ask: &mut Ask<'_>) -> Answer {
    let mut draft = Draft::from_text(ask.draft);
    // What the editor starts from: after a command, a new line under the
    // text kept; after a resize or "leave? no", the text just as it was.
    let mut resume = draft.text();
    loop {
        let watch = ask.redraw.is_some();
        let whole = src.read_answer_text("› ", &resume, ask.deadline, watch);
        let edits_whole = whole.is_some();
        let line = match whole {
            Some(line) => line,
            None => src.read_line(if draft.is_empty() { "› " } else { "· " }, ask.deadline),
        };
        let step = match line {
            Line::Text(text) if edits_whole => draft.edited(&text),
            Line::Text(line) => draft.feed(&line),
            Line::Eof if draft.is_empty() => {
                return Answer::Quit {
                    typed: String::new(),
                }
            }
            Line::Eof => Step::Submit,
            Line::Interrupted => {
                let typed = if edits_whole {
                    src.typed()
                } else {
                    draft.text()
                };
                return Answer::Abandoned {
                    typed: typed.trim_end().to_string(),
                };
            }
            Line::Invalid => return Answer::Invalid,
            Line::Resized { partial } => {
                draft.replace(&partial);
                resume = partial;
                if let Some(redraw) = ask.redraw.as_mut() {
                    redraw();
                }
                continue;
            }
            Line::TimedOut { partial } => {
                keep_partial(&mut draft, &partial, edits_whole);
                return cut_off(&draft, Duration::ZERO);
            }
            Line::Ended { partial, signal } => {
                keep_partial(&mut draft, &partial, edits_whole);
                return ended(&draft, signal);
            }
        };
        resume = after_command(&draft);
        match step {
            Step::More => {}
            Step::Submit => return submitted(&draft),
            Step::Full => {
                (ask.notice)(&format!(
                    "answers are limited to {MAX_ANSWER_CHARS} characters; submitting what fits"
                ));
                // Piped input goes on to the answer's end: its remaining lines
                // must not become the next answer.
                if !edits_whole {
                    while let Line::Text(rest) = src.read_line("", ask.deadline) {
                        if rest.trim().is_empty() {
                            break;
                        }
                    }
                }
                return submitted(&draft);
            }
            Step::Command(Command::Skip) => return Answer::Skip,
            Step::Command(Command::Hint) => (ask.notice)(&format!("hint: {}", ask.hint)),
            Step::Command(Command::Edit) => {
                if let Some(late) = edit(&mut draft, ask) {
                    return cut_off(&draft, late);
                }
                // The terminal editor reopens with the editor's text, not
                // with what it held before `:edit`.
                resume = after_command(&draft);
            }
            Step::Command(Command::Quit) => {
                if draft.is_empty() || !src.interactive() {
                    return Answer::Quit {
                        typed: draft.text(),
                    };
                }
                let confirmed = confirm_quit(src, ask.deadline);
                if let Some(signal) = crate::ui::signals::caught() {
                    return ended(&draft, signal);
                }
                match confirmed {
                    Some(true) => {
                        return Answer::Quit {
                            typed: draft.text(),
                        }
                    }
                    Some(false) => (ask.notice)("Go on: what you typed is still there."),
                    None => return cut_off(&draft, Duration::ZERO),
                }
            }
        }
    }
}

/// What the terminal editor reopens with after a command: the text kept,
/// and a new line under it.
fn after_command(draft: &Draft) -> String {
    if draft.is_empty() {
        String::new()
    } else {
        format!("{}\n", draft.text())
    }
}

fn submitted(draft: &Draft) -> Answer {
    Answer::Text {
        text: draft.text(),
        cut_off: false,
        over: Duration::ZERO,
    }
}

/// What was typed when a read was cut short: from the terminal the whole
/// edit, which replaces the draft; from a pipe the lines not yet taken.
fn keep_partial(draft: &mut Draft, partial: &str, whole: bool) {
    if whole {
        draft.replace(partial.trim_end());
    } else {
        for line in partial.lines().filter(|l| !l.trim().is_empty()) {
            draft.push(line);
        }
    }
}

fn ended(draft: &Draft, signal: i32) -> Answer {
    Answer::Ended {
        typed: draft.text().trim_end().to_string(),
        signal,
    }
}

fn cut_off(draft: &Draft, over: Duration) -> Answer {
    Answer::Text {
        text: draft.text(),
        cut_off: true,
        over,
    }
}

/// `:edit`: the draft through `$EDITOR`. The limit cannot interrupt an
/// editor, so one that returns after it ends the answer: `Some(how late)`.
fn edit(draft: &mut Draft, ask: &mut Ask<'_>) -> Option<Duration> {
    (ask.editor)(true);
    let edited = crate::ui::editor::edit(&draft.text());
    (ask.editor)(false);
    match edited {
        Ok(text) => {
            if !draft.replace(&text) {
                (ask.notice)(&format!(
                    "answers are limited to {MAX_ANSWER_CHARS} characters; the edited text was cut there"
                ));
            }
        }
        Err(e) => (ask.notice)(&e),
    }
    let late = ask
        .deadline
        .map(|at| Instant::now().saturating_duration_since(at))
        .filter(|late| !late.is_zero());
    if late.is_none() {
        (ask.notice)("edited text kept; add lines, or press Enter on an empty line to submit");
    }
    late
}

/// `:quit` with text typed: leave without submitting it? `None` when the
/// time ran out while asking.
fn confirm_quit(src: &mut dyn LineSource, deadline: Option<Instant>) -> Option<bool> {
    match src.read_line(
        "What you typed is not submitted. Leave the session anyway? [y/N] › ",
        deadline,
    ) {
        Line::Text(t) => Some(matches!(t.trim().to_lowercase().as_str(), "y" | "yes")),
        Line::Eof | Line::Invalid | Line::Ended { .. } => Some(true),
        Line::Interrupted | Line::Resized { .. } => Some(false),
        Line::TimedOut { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads from a script; a `None` entry stands for a deadline passing.
    /// `whole`: the script's entries are whole edits, as from the terminal.
    struct Script {
        reads: Vec<Option<&'static str>>,
        whole: bool,
        offered: Vec<String>,
    }

    impl Script {
        fn lines(reads: Vec<Option<&'static str>>) -> Script {
            Script {
                reads,
                whole: false,
                offered: Vec::new(),
            }
        }

        fn edits(reads: Vec<Option<&'static str>>) -> Script {
            Script {
                reads,
                whole: true,
                offered: Vec::new(),
            }
        }

        fn next(&mut self) -> Line {
            if self.reads.is_empty() {
                return Line::Eof;
            }
            match self.reads.remove(0) {
                Some(text) => Line::Text(text.to_string()),
                None => Line::TimedOut {
                    partial: "half a".into(),
                },
            }
        }
    }

    impl LineSource for Script {
        fn read_line(&mut self, _prompt: &str, _deadline: Option<Instant>) -> Line {
            self.next()
        }
        fn read_answer_text(
            &mut self,
            _prompt: &str,
            so_far: &str,
            _deadline: Option<Instant>,
            _watch_size: bool,
        ) -> Option<Line> {
            self.whole.then(|| {
                self.offered.push(so_far.to_string());
                self.next()
            })
        }
        fn interactive(&self) -> bool {
            self.whole
        }
    }

    fn read_from(src: &mut Script) -> (Answer, Vec<String>) {
        let mut notices = Vec::new();
        let answer = read_answer(
            src,
            &mut Ask {
                hint: "the hint",
                deadline: None,
                notice: &mut |n| notices.push(n.to_string()),
                editor: &mut |_| {},
                redraw: None,
                draft: "",
            },
        );
        (answer, notices)
    }

    fn read(lines: Vec<Option<&'static str>>) -> (Answer, Vec<String>) {
        read_from(&mut Script::lines(lines))
    }

    fn text(text: &str) -> Answer {
        Answer::Text {
            text: text.into(),
            cut_off: false,
            over: Duration::ZERO,
        }
    }

    #[test]
    fn a_blank_line_submits_and_leading_blanks_are_ignored() {
        let (a, _) = read(vec![
            Some(""),
            Some("one"),
            Some("two"),
            Some(""),
            Some("next"),
        ]);
        assert_eq!(a, text("one\ntwo"));
    }

    #[test]
    fn end_of_input_submits_what_there_is_or_quits() {
        assert_eq!(read(vec![Some("only")]).0, text("only"));
        assert_eq!(
            read(vec![]).0,
            Answer::Quit {
                typed: String::new()
            }
        );
    }

    #[test]
    fn commands_skip_quit_and_hint() {
        assert_eq!(read(vec![Some(":skip")]).0, Answer::Skip);
        assert_eq!(
            read(vec![Some("x"), Some(":quit")]).0,
            Answer::Quit { typed: "x".into() },
            "piped, nobody to ask: what was typed goes with the quit"
        );
        let (a, notices) = read(vec![Some(":hint"), Some("x"), Some("")]);
        assert_eq!(a, text("x"));
        assert_eq!(notices, ["hint: the hint"]);
    }

    #[test]
    fn a_cut_off_keeps_every_line_and_the_unfinished_one() {
        let (a, _) = read(vec![Some("first line"), None]);
        assert_eq!(
            a,
            Answer::Text {
                text: "first line\nhalf a".into(),
                cut_off: true,
                over: Duration::ZERO,
            }
        );
    }

    #[test]
    fn answers_stop_at_the_length_limit() {
        let long: &'static str = Box::leak("x".repeat(MAX_ANSWER_CHARS - 10).into_boxed_str());
        let (a, notices) = read(vec![Some(long), Some("0123456789abcdef"), Some("more")]);
        let Answer::Text { text, .. } = a else {
            panic!("{a:?}")
        };
        assert_eq!(text.chars().count(), MAX_ANSWER_CHARS);
        assert!(
            notices[0].contains("limited to 20000 characters"),
            "{notices:?}"
        );
    }

    #[test]
    fn piped_lines_past_the_limit_are_skipped_up_to_the_answers_end() {
        let long: &'static str = Box::leak("x".repeat(MAX_ANSWER_CHARS).into_boxed_str());
        let mut src = Script::lines(vec![
            Some(long),
            Some("tail"),
            Some("more tail"),
            Some(""),
            Some("next answer"),
            Some(""),
        ]);
        let (first, _) = read_from(&mut src);
        assert!(
            matches!(first, Answer::Text { ref text, .. } if text.len() == MAX_ANSWER_CHARS),
            "{first:?}"
        );
        assert_eq!(read_from(&mut src).0, text("next answer"));
    }

    #[test]
    fn a_whole_edit_keeps_paragraphs_and_ends_at_its_last_line() {
        // A pasted answer with a paragraph break, submitted with a blank line.
        let (a, _) = read_from(&mut Script::edits(vec![Some("one\n\ntwo\nthree\n")]));
        assert_eq!(a, text("one\n\ntwo\nthree"));
        // Ctrl-D hands the text back as it is: submitted.
        let (a, _) = read_from(&mut Script::edits(vec![Some("one\ntwo")]));
        assert_eq!(a, text("one\ntwo"));
        // A command on the last line acts; the editor reopens with the text.
        let mut src = Script::edits(vec![Some("one\n:hint"), Some("one\ntwo\n")]);
        let (a, notices) = read_from(&mut src);
        assert_eq!(a, text("one\ntwo"));
        assert_eq!(notices, ["hint: the hint"]);
        assert_eq!(src.offered, ["", "one\n"]);
        // An empty edit is nothing yet.
        let (a, _) = read_from(&mut Script::edits(vec![Some(""), Some("x\n")]));
        assert_eq!(a, text("x"));
    }

    #[test]
    fn quitting_with_text_typed_asks_first() {
        // "n": keep writing; the text is offered again.
        let mut src = Script::edits(vec![Some("draft\n:quit"), Some("n"), Some("draft\nmore\n")]);
        let (a, _) = read_from(&mut src);
        assert_eq!(a, text("draft\nmore"));
        assert_eq!(src.offered, ["", "draft\n"]);
        // "y": leave, and say what was not submitted.
        let mut src = Script::edits(vec![Some("draft\n:quit"), Some("y")]);
        assert_eq!(
            read_from(&mut src).0,
            Answer::Quit {
                typed: "draft".into()
            }
        );
        // Nothing typed: nothing to ask.
        let mut src = Script::edits(vec![Some(":quit")]);
        assert_eq!(
            read_from(&mut src).0,
            Answer::Quit {
                typed: String::new()
            }
        );
    }

    #[test]
    fn a_whole_edit_cut_off_keeps_what_was_on_the_screen() {
        let mut src = Script::edits(vec![None]);
        let (a, _) = read_from(&mut src);
        assert_eq!(
            a,
            Answer::Text {
                text: "half a".into(),
                cut_off: true,
                over: Duration::ZERO,
            }
        );
    }
}
