//! The interview clock. On a terminal it is a status line on the top row,
//! kept out of the typing area by a scroll region and redrawn by a thread
//! with save/restore-cursor around each write, so the line being typed is
//! never disturbed. Off a terminal it draws nothing and only prints the
//! one-minute warnings, once each, on stderr.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::text::clock;

/// What the clock shows; the session updates it between questions.
#[derive(Debug, Clone)]
pub struct Limits {
    pub question: Option<Instant>,
    pub session: Instant,
    /// "question 2/5"
    pub label: String,
}

pub struct Clock {
    limits: Arc<Mutex<Limits>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    drawn: bool,
}

const WARN: Duration = Duration::from_secs(60);

/// The status text and whether it is in its warning state.
pub fn status_text(limits: &Limits, now: Instant) -> (String, bool) {
    let session_left = limits.session.saturating_duration_since(now);
    let question_left = limits.question.map(|q| q.saturating_duration_since(now));
    let warn = question_left.is_some_and(|q| q <= WARN) || session_left <= WARN;
    let icon = if warn { "⚠" } else { "⏱" };
    let text = match question_left {
        Some(q) => format!(
            " {icon} {} · this question {} left · interview {} left ",
            limits.label,
            clock(q),
            clock(session_left)
        ),
        None => format!(" {icon} interview {} left ", clock(session_left)),
    };
    (text, warn)
}

fn rows() -> Option<u16> {
    terminal_size::terminal_size_of(std::io::stderr()).map(|(_, h)| h.0)
}

fn write_raw(s: &str) {
    // One write of a small buffer: the terminal keeps it whole.
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(s.as_bytes());
    let _ = err.flush();
}

impl Clock {
    pub fn start(limits: Limits, color: bool) -> Clock {
        let limits = Arc::new(Mutex::new(limits));
        let stop = Arc::new(AtomicBool::new(false));
        let draw = std::io::stderr().is_terminal()
            && std::io::stdin().is_terminal()
            && rows().is_some_and(|r| r > 4);
        if draw {
            let r = rows().unwrap_or(24);
            // Make room, confine scrolling to rows 2.., and park the cursor at the bottom.
            write_raw(&format!("\n\x1b[2;{r}r\x1b[{r};1H"));
        }
        let thread = {
            let limits = Arc::clone(&limits);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut last = String::new();
                let mut last_rows = rows();
                let mut warned_question: Option<Instant> = None;
                let mut warned_session = false;
                while !stop.load(Ordering::Relaxed) {
                    let l = limits.lock().map(|l| l.clone());
                    if let Ok(l) = l {
                        let now = Instant::now();
                        if draw {
                            let (text, warn) = status_text(&l, now);
                            let r = rows();
                            if r != last_rows {
                                if let Some(r) = r {
                                    write_raw(&format!("\x1b7\x1b[2;{r}r\x1b8"));
                                }
                                last_rows = r;
                                last.clear();
                            }
                            if text != last {
                                let style = match (color, warn) {
                                    (false, _) => "\x1b[7m",
                                    (true, false) => "\x1b[30;46m",
                                    (true, true) => "\x1b[30;43m",
                                };
                                write_raw(&format!(
                                    "\x1b7\x1b[1;1H\x1b[2K{style}{text}\x1b[0m\x1b8"
                                ));
                                last = text;
                            }
                        } else {
                            if let Some(q) = l.question {
                                if warned_question != Some(q)
                                    && q.saturating_duration_since(now) <= WARN
                                    && q > now
                                {
                                    warned_question = Some(q);
                                    crate::ui::render::note("1 minute left for this question");
                                }
                            }
                            if !warned_session
                                && l.session.saturating_duration_since(now) <= WARN
                                && l.session > now
                            {
                                warned_session = true;
                                crate::ui::render::note("1 minute left in the interview");
                            }
                        }
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        };
        Clock {
            limits,
            stop,
            thread: Some(thread),
            drawn: draw,
        }
    }

    pub fn set(&self, question: Option<Instant>, label: String) {
        if let Ok(mut l) = self.limits.lock() {
            l.question = question;
            l.label = label;
        }
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if self.drawn {
            // Give the whole screen back and blank the status row.
            write_raw("\x1b7\x1b[r\x1b[1;1H\x1b[2K\x1b8");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_shows_both_clocks_and_warns_in_the_last_minute() {
        let now = Instant::now();
        let l = Limits {
            question: Some(now + Duration::from_secs(125)),
            session: now + Duration::from_secs(600),
            label: "question 1/4".into(),
        };
        let (text, warn) = status_text(&l, now);
        assert_eq!(
            text,
            " ⏱ question 1/4 · this question 2:05 left · interview 10:00 left "
        );
        assert!(!warn);
        let (text, warn) = status_text(&l, now + Duration::from_secs(70));
        assert!(warn);
        assert!(
            text.starts_with(" ⚠ question 1/4 · this question 0:55 left"),
            "{text}"
        );
    }
}
