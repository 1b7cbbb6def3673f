//! Answers from standard input when it is not a terminal: the protocol of
//! `input`, one line at a time, so scripts and tests can drive every command.

use std::io::BufRead;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::ui::input::{Line, LineSource};
use crate::ui::signals;

/// Lines from standard input when it is not a terminal. A thread reads
/// ahead so a deadline can cut off a writer that never finishes.
pub struct Piped {
    rx: Receiver<Line>,
    done: bool,
    /// The line the thread is reading, up to where the writer has got: what
    /// a SIGTERM keeps of a line that has no end yet. Held while a finished
    /// line is handed over, so a line is always in one place or the other.
    partial: Arc<Mutex<Vec<u8>>>,
}

fn lock(partial: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    partial.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A line as the protocol reads it: UTF-8, without its line ending.
fn line_of(buf: Vec<u8>) -> Line {
    match String::from_utf8(buf) {
        Ok(s) => Line::Text(s.trim_end_matches(['\n', '\r']).to_string()),
        Err(_) => Line::Invalid,
    }
}

impl Piped {
    pub fn stdin() -> Piped {
        let (tx, rx) = mpsc::channel();
        let partial = Arc::new(Mutex::new(Vec::new()));
        let reading = Arc::clone(&partial);
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            loop {
                let chunk = match stdin.fill_buf() {
                    Ok(chunk) => chunk,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => &[][..],
                };
                if chunk.is_empty() {
                    // The end: an unfinished last line is a line too.
                    let mut buf = lock(&reading);
                    if !buf.is_empty() {
                        let _ = tx.send(line_of(std::mem::take(&mut *buf)));
                    }
                    let _ = tx.send(Line::Eof);
                    return;
                }
                let (take, ends) = match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (chunk.len(), false),
                };
                let mut buf = lock(&reading);
                buf.extend_from_slice(&chunk[..take]);
                let line = ends.then(|| line_of(std::mem::take(&mut *buf)));
                stdin.consume(take);
                if let Some(line) = line {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        });
        Piped {
            rx,
            done: false,
            partial,
        }
    }

    /// After SIGTERM or SIGHUP: the lines read and not yet taken, and the
    /// unfinished one, up to the first blank line (the end of this answer).
    fn ended(&mut self, signal: i32) -> Line {
        let buf = lock(&self.partial);
        let mut lines = Vec::new();
        while let Ok(line) = self.rx.try_recv() {
            match line {
                Line::Text(text) if !text.trim().is_empty() => lines.push(text),
                _ => break,
            }
        }
        if let Line::Text(text) = line_of(buf.clone()) {
            lines.push(text);
        }
        Line::Ended {
            partial: lines.join("\n"),
            signal,
        }
    }
}

impl LineSource for Piped {
    fn read_line(&mut self, _prompt: &str, deadline: Option<Instant>) -> Line {
        if self.done {
            return Line::Eof;
        }
        let _reading = signals::Reading::start();
        let line = loop {
            if let Some(signal) = signals::caught() {
                return self.ended(signal);
            }
            // Wake up now and then to look for SIGTERM or SIGHUP.
            let slice = Duration::from_millis(100);
            let slice = deadline.map_or(slice, |at| {
                slice.min(at.saturating_duration_since(Instant::now()))
            });
            match self.rx.recv_timeout(slice) {
                Ok(line) => break line,
                Err(RecvTimeoutError::Disconnected) => break Line::Eof,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return Line::TimedOut {
                    partial: String::new(),
                };
            }
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
