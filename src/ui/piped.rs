//! Answers from standard input when it is not a terminal: the protocol of
//! `input`, one line at a time, so scripts and tests can drive every command.

use std::io::BufRead;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Instant;

use crate::ui::input::{Line, LineSource};

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
