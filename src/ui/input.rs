//! Reading answers: the same line protocol from a terminal (rustyline, with
//! history, a clock and a cut-off) or from a pipe (plain lines, for scripts
//! and tests).
//!
//! An answer is lines until a blank line or end of input; `:skip`, `:quit`,
//! `:hint` and `:edit` are commands. `readline()` cannot time out, so in a
//! terminal it runs on a thread of its own and is interrupted at the limit by
//! SIGINT sent to that thread; an atomic flag tells that interruption from
//! the user's Ctrl-C. The text typed on the line so far is kept through the
//! helper's hint hook, so a cut-off answer keeps its last, unfinished line.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::grading::MAX_ANSWER_CHARS;

/// One read of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Ctrl-C in the editor.
    Interrupted,
    /// Ctrl-D, or the end of piped input.
    Eof,
    /// The deadline passed; `partial` is what was typed on the line so far.
    TimedOut {
        partial: String,
    },
    /// Piped input that is not UTF-8.
    Invalid,
}

/// Where lines come from. Implementations: the terminal editor and a pipe.
pub trait LineSource {
    fn read_line(&mut self, prompt: &str, deadline: Option<Instant>) -> Line;
    /// True for a person at a terminal: prompts, colour, confirmations.
    fn interactive(&self) -> bool;
    /// Set by Ctrl-C while no line is being read (e.g. during grading), when
    /// the source catches it; `None` where Ctrl-C simply ends the process.
    fn ctrl_c(&self) -> Option<Arc<AtomicBool>> {
        None
    }
}

/// The outcome of reading one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Text {
        text: String,
        cut_off: bool,
    },
    Skip,
    Quit,
    /// Ctrl-C: the answer is abandoned.
    Abandoned,
    /// The input cannot be read (not UTF-8).
    Invalid,
}

/// Reads one answer with the protocol above. `hint` is shown on `:hint`;
/// `notice` prints a short line to the person (stderr).
pub fn read_answer(
    src: &mut dyn LineSource,
    hint: &str,
    deadline: Option<Instant>,
    notice: &mut dyn FnMut(&str),
) -> Answer {
    let mut lines: Vec<String> = Vec::new();
    let mut chars = 0usize;
    loop {
        let prompt = if lines.is_empty() { "› " } else { "· " };
        match src.read_line(prompt, deadline) {
            Line::Text(line) => match line.trim() {
                "" if lines.is_empty() => {}
                "" => {
                    return Answer::Text {
                        text: lines.join("\n"),
                        cut_off: false,
                    }
                }
                ":skip" => return Answer::Skip,
                ":quit" => return Answer::Quit,
                ":hint" => notice(&format!("hint: {hint}")),
                ":edit" => match edit_in_editor(&lines.join("\n")) {
                    Ok(text) => {
                        lines = text.lines().map(str::to_string).collect();
                        chars = text.chars().count();
                        notice("edited text kept; add lines, or press Enter on an empty line to submit");
                    }
                    Err(e) => notice(&e),
                },
                _ => {
                    let n = line.chars().count() + 1;
                    if chars + n > MAX_ANSWER_CHARS {
                        let room = MAX_ANSWER_CHARS.saturating_sub(chars);
                        lines.push(line.chars().take(room).collect());
                        notice(&format!(
                            "answers are limited to {MAX_ANSWER_CHARS} characters; submitting what fits"
                        ));
                        // Piped input goes on to the answer's end: its remaining lines
                        // must not become the next answer. (In the editor each line is
                        // typed after the notice, so there is nothing to skip.)
                        if !src.interactive() {
                            while let Line::Text(rest) = src.read_line("", deadline) {
                                if rest.trim().is_empty() {
                                    break;
                                }
                            }
                        }
                        return Answer::Text {
                            text: lines.join("\n"),
                            cut_off: false,
                        };
                    }
                    chars += n;
                    lines.push(line);
                }
            },
            Line::Eof if lines.is_empty() => return Answer::Quit,
            Line::Eof => {
                return Answer::Text {
                    text: lines.join("\n"),
                    cut_off: false,
                }
            }
            Line::Interrupted => return Answer::Abandoned,
            Line::Invalid => return Answer::Invalid,
            Line::TimedOut { partial } => {
                if !partial.trim().is_empty() {
                    lines.push(partial);
                }
                return Answer::Text {
                    text: lines.join("\n"),
                    cut_off: true,
                };
            }
        }
    }
}

/// Opens `$VISUAL` or `$EDITOR` (default `vi`) on `text` and returns the result.
fn edit_in_editor(text: &str) -> Result<String, String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let path = std::env::temp_dir().join(format!(
        "grill-answer-{}-{}.md",
        std::process::id(),
        fastrand::u32(..)
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write a temporary file for the editor: {e}"))?;
    // The editor command may carry arguments, e.g. "code --wait".
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(&path)
        .status();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the edited answer: {e}")),
        Ok(s) => Err(format!(
            "the editor `{editor}` exited with {s}; the text so far is kept"
        )),
        Err(e) => Err(format!(
            "cannot start the editor `{editor}` (set EDITOR): {e}"
        )),
    };
    let _ = std::fs::remove_file(&path);
    result.map(|t| t.trim_end().to_string())
}

/// Lines from standard input when it is not a terminal. A thread reads
/// ahead so a deadline can cut off a writer that never finishes.
pub struct Piped {
    rx: Receiver<Line>,
    done: bool,
}

impl Piped {
    pub fn stdin() -> Piped {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            loop {
                let mut buf = Vec::new();
                match stdin.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(Line::Eof);
                        return;
                    }
                    Ok(_) => {
                        let line = match String::from_utf8(buf) {
                            Ok(s) => Line::Text(s.trim_end_matches(['\n', '\r']).to_string()),
                            Err(_) => Line::Invalid,
                        };
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Piped { rx, done: false }
    }
}

impl LineSource for Piped {
    fn read_line(&mut self, _prompt: &str, deadline: Option<Instant>) -> Line {
        if self.done {
            return Line::Eof;
        }
        let line = match deadline {
            None => self.rx.recv().unwrap_or(Line::Eof),
            Some(at) => match self
                .rx
                .recv_timeout(at.saturating_duration_since(Instant::now()))
            {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    return Line::TimedOut {
                        partial: String::new(),
                    }
                }
                Err(RecvTimeoutError::Disconnected) => Line::Eof,
            },
        };
        if line == Line::Eof {
            self.done = true;
        }
        line
    }

    fn interactive(&self) -> bool {
        false
    }
}

/// The rustyline helper: it only watches the line being typed.
struct Watcher {
    current: Arc<Mutex<String>>,
}

impl rustyline::completion::Completer for Watcher {
    type Candidate = String;
}
impl rustyline::highlight::Highlighter for Watcher {}
impl rustyline::validate::Validator for Watcher {}
impl rustyline::Helper for Watcher {}
impl rustyline::hint::Hinter for Watcher {
    type Hint = String;
    fn hint(&self, line: &str, _pos: usize, _ctx: &rustyline::Context<'_>) -> Option<String> {
        // Called on every change of the line: remember it for a cut-off.
        if let Ok(mut current) = self.current.lock() {
            current.clear();
            current.push_str(line);
        }
        None
    }
}

/// The terminal: rustyline on a thread of its own, interruptible at a deadline.
pub struct Terminal {
    requests: Sender<String>,
    replies: Receiver<Line>,
    thread: nix::sys::pthread::Pthread,
    timing_out: Arc<AtomicBool>,
    current: Arc<Mutex<String>>,
    /// Set by SIGINT outside `readline()`: the user's Ctrl-C while grading,
    /// or a stray cut-off signal, which must not kill the session.
    sigint: Arc<AtomicBool>,
}

impl Terminal {
    /// The editor, or `None` when standard input is not a terminal.
    pub fn open() -> Option<Terminal> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let sigint = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&sigint)).ok()?;
        let current = Arc::new(Mutex::new(String::new()));
        let timing_out = Arc::new(AtomicBool::new(false));
        let (req_tx, req_rx) = mpsc::channel::<String>();
        let (rep_tx, rep_rx) = mpsc::channel::<Line>();
        let (id_tx, id_rx) = mpsc::channel();
        let watcher = Watcher {
            current: Arc::clone(&current),
        };
        std::thread::spawn(move || {
            let _ = id_tx.send(nix::sys::pthread::pthread_self());
            let config = rustyline::Config::builder().auto_add_history(false).build();
            let Ok(mut editor) =
                rustyline::Editor::<Watcher, rustyline::history::DefaultHistory>::with_config(
                    config,
                )
            else {
                return;
            };
            editor.set_helper(Some(watcher));
            while let Ok(prompt) = req_rx.recv() {
                let line = match editor.readline(&prompt) {
                    Ok(line) => {
                        if !line.trim().is_empty() && !line.starts_with(':') {
                            let _ = editor.add_history_entry(line.as_str());
                        }
                        Line::Text(line)
                    }
                    Err(rustyline::error::ReadlineError::Interrupted) => Line::Interrupted,
                    Err(_) => Line::Eof,
                };
                if rep_tx.send(line).is_err() {
                    return;
                }
            }
        });
        let thread = id_rx.recv().ok()?;
        Some(Terminal {
            requests: req_tx,
            replies: rep_rx,
            thread,
            timing_out,
            current,
            sigint,
        })
    }
}

impl LineSource for Terminal {
    fn read_line(&mut self, prompt: &str, deadline: Option<Instant>) -> Line {
        if let Ok(mut c) = self.current.lock() {
            c.clear();
        }
        if self.requests.send(prompt.to_string()).is_err() {
            return Line::Eof;
        }
        let Some(at) = deadline else {
            return self.replies.recv().unwrap_or(Line::Eof);
        };
        match self
            .replies
            .recv_timeout(at.saturating_duration_since(Instant::now()))
        {
            Ok(line) => return line,
            Err(RecvTimeoutError::Disconnected) => return Line::Eof,
            Err(RecvTimeoutError::Timeout) => {}
        }
        // Interrupt readline(); repeat in case the signal landed just before
        // rustyline installed its handler.
        self.timing_out.store(true, Ordering::SeqCst);
        let line = loop {
            let _ = nix::sys::pthread::pthread_kill(self.thread, nix::sys::signal::Signal::SIGINT);
            match self.replies.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => break line,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break Line::Eof,
            }
        };
        self.timing_out.store(false, Ordering::SeqCst);
        let partial = self.current.lock().map(|c| c.clone()).unwrap_or_default();
        match line {
            // Enter was pressed at the very moment of the cut-off.
            Line::Text(text) => Line::TimedOut { partial: text },
            _ => Line::TimedOut { partial },
        }
    }

    fn interactive(&self) -> bool {
        true
    }

    fn ctrl_c(&self) -> Option<Arc<AtomicBool>> {
        Some(Arc::clone(&self.sigint))
    }
}

/// The terminal editor when there is one, plain lines otherwise.
pub fn open_source() -> Box<dyn LineSource> {
    match Terminal::open() {
        Some(t) => Box::new(t),
        None => Box::new(Piped::stdin()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines from a script; a `None` entry stands for a deadline passing.
    struct Script(Vec<Option<&'static str>>);

    impl LineSource for Script {
        fn read_line(&mut self, _prompt: &str, _deadline: Option<Instant>) -> Line {
            if self.0.is_empty() {
                return Line::Eof;
            }
            match self.0.remove(0) {
                Some(text) => Line::Text(text.to_string()),
                None => Line::TimedOut {
                    partial: "half a".into(),
                },
            }
        }
        fn interactive(&self) -> bool {
            false
        }
    }

    fn read(lines: Vec<Option<&'static str>>) -> (Answer, Vec<String>) {
        let mut notices = Vec::new();
        let answer = read_answer(&mut Script(lines), "the hint", None, &mut |n| {
            notices.push(n.to_string());
        });
        (answer, notices)
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
        assert_eq!(
            a,
            Answer::Text {
                text: "one\ntwo".into(),
                cut_off: false
            }
        );
    }

    #[test]
    fn end_of_input_submits_what_there_is_or_quits() {
        assert_eq!(
            read(vec![Some("only")]).0,
            Answer::Text {
                text: "only".into(),
                cut_off: false
            }
        );
        assert_eq!(read(vec![]).0, Answer::Quit);
    }

    #[test]
    fn commands_skip_quit_and_hint() {
        assert_eq!(read(vec![Some(":skip")]).0, Answer::Skip);
        assert_eq!(read(vec![Some("x"), Some(":quit")]).0, Answer::Quit);
        let (a, notices) = read(vec![Some(":hint"), Some("x"), Some("")]);
        assert_eq!(
            a,
            Answer::Text {
                text: "x".into(),
                cut_off: false
            }
        );
        assert_eq!(notices, ["hint: the hint"]);
    }

    #[test]
    fn a_cut_off_keeps_every_line_and_the_unfinished_one() {
        let (a, _) = read(vec![Some("first line"), None]);
        assert_eq!(
            a,
            Answer::Text {
                text: "first line\nhalf a".into(),
                cut_off: true
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
        let mut src = Script(vec![
            Some(long),
            Some("tail"),
            Some("more tail"),
            Some(""),
            Some("next answer"),
            Some(""),
        ]);
        let first = read_answer(&mut src, "", None, &mut |_| {});
        assert!(
            matches!(first, Answer::Text { ref text, .. } if text.len() == MAX_ANSWER_CHARS),
            "{first:?}"
        );
        let second = read_answer(&mut src, "", None, &mut |_| {});
        assert_eq!(
            second,
            Answer::Text {
                text: "next answer".into(),
                cut_off: false
            }
        );
    }
}
