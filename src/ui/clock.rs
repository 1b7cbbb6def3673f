//! The interview clock. On a terminal it is a status line on the top row,
//! kept out of the typing area by a scroll region and redrawn by a thread
//! with save/restore-cursor around each write, so the line being typed is
//! never disturbed. The line is cut to the terminal's width, so it never
//! wraps; when the window is resized the scroll region is set again and the
//! rows an old, longer line could have wrapped into are cleared. While
//! `$EDITOR` has the screen (`:edit`) nothing is drawn. Off a terminal it
//! draws nothing and only prints the last-minute warnings, once each, on
//! stderr.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::text::{clock, left};

/// What the clock shows; the session updates it between questions.
#[derive(Debug, Clone)]
pub struct Limits {
    pub question: Option<Instant>,
    pub session: Instant,
    /// "question 2/5"
    pub label: String,
    /// While the clock is stopped (the judge is grading): what is happening.
    pub stopped: Option<String>,
}

pub struct Clock {
    limits: Arc<Mutex<Limits>>,
    stop: Arc<AtomicBool>,
    /// Held while drawing and while `$EDITOR` has the screen.
    screen: Arc<Mutex<Screen>>,
    color: bool,
    thread: Option<std::thread::JoinHandle<()>>,
}

const WARN: Duration = Duration::from_secs(60);

/// What is on the screen, as the drawing thread left it.
#[derive(Default)]
struct Screen {
    /// Drawing at all: a terminal, stderr and stdin both, not `TERM=dumb`.
    draw: bool,
    paused: bool,
    /// The text last drawn, and the size it was drawn at (columns, rows).
    last: String,
    size: Option<(u16, u16)>,
}

/// The status text and whether it is in its warning state, in at most
/// `width` columns: the long form when it fits, then shorter ones.
pub fn status_text(limits: &Limits, now: Instant, width: usize) -> (String, bool) {
    if let Some(what) = &limits.stopped {
        let forms = [
            format!(" ⏸ {what} · the clock is stopped "),
            format!(" ⏸ {what} "),
            " ⏸ ".to_string(),
        ];
        let fits = |s: &&String| textwrap::core::display_width(s) <= width;
        let text = forms.iter().find(fits).cloned().unwrap_or_default();
        return (text, false);
    }
    let session_left = limits.session.saturating_duration_since(now);
    let question_left = limits.question.map(|q| q.saturating_duration_since(now));
    let warn = question_left.is_some_and(|q| q <= WARN) || session_left <= WARN;
    let icon = if warn { "⚠" } else { "⏱" };
    let forms = match question_left {
        Some(q) => vec![
            format!(
                " {icon} {} · this question {} left · interview {} left ",
                limits.label,
                clock(q),
                clock(session_left)
            ),
            format!(
                " {icon} {} · {} left · interview {} ",
                limits.label,
                clock(q),
                clock(session_left)
            ),
            format!(" {icon} {} · {} ", clock(q), clock(session_left)),
            format!(" {icon} {} ", clock(q)),
        ],
        None => vec![
            format!(" {icon} interview {} left ", clock(session_left)),
            format!(" {icon} {} ", clock(session_left)),
        ],
    };
    let fits = |s: &&String| textwrap::core::display_width(s) <= width;
    let text = forms.iter().find(fits).cloned().unwrap_or_else(|| {
        let last = forms.last().cloned().unwrap_or_default();
        last.chars().take(width).collect()
    });
    (text, warn)
}

/// The terminal's size on stderr: (columns, rows).
fn size() -> Option<(u16, u16)> {
    terminal_size::terminal_size_of(std::io::stderr()).map(|(w, h)| (w.0, h.0))
}

fn write_raw(s: &str) {
    // One write of a small buffer: the terminal keeps it whole.
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(s.as_bytes());
    let _ = err.flush();
}

/// Whether the status line can be drawn: both ends are a terminal that can
/// move the cursor, with room for it.
fn can_draw() -> bool {
    std::io::stderr().is_terminal()
        && std::io::stdin().is_terminal()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
        && size().is_some_and(|(w, h)| w >= 10 && h > 4)
}

impl Screen {
    /// Draws the status, first setting up the screen again if its size changed.
    fn draw(&mut self, limits: &Limits, color: bool) {
        if !self.draw || self.paused {
            return;
        }
        let Some((cols, rows)) = size() else {
            return;
        };
        let mut out = String::new();
        if self.size != Some((cols, rows)) {
            // A narrower window may have wrapped the old line onto the rows
            // below it: clear them, and set the scroll region for the new height.
            let old = textwrap::core::display_width(&self.last);
            let wrapped = old.div_ceil(usize::from(cols).max(1)).clamp(1, 3);
            out.push_str("\x1b7\x1b[r");
            for row in 1..=wrapped {
                let _ = write!(out, "\x1b[{row};1H\x1b[2K");
            }
            let _ = write!(out, "\x1b[2;{rows}r\x1b8");
            self.size = Some((cols, rows));
            self.last.clear();
        }
        // One column spare: a line that fills the row leaves the cursor in
        // the terminal's pending-wrap state.
        let (text, warn) = status_text(limits, Instant::now(), usize::from(cols) - 1);
        if text != self.last || !out.is_empty() {
            let style = match (color, warn) {
                (false, _) => "\x1b[7m",
                (true, false) => "\x1b[30;46m",
                (true, true) => "\x1b[30;43m",
            };
            let _ = write!(out, "\x1b7\x1b[1;1H\x1b[2K{style}{text}\x1b[0m\x1b8");
            self.last = text;
        }
        if !out.is_empty() {
            write_raw(&out);
        }
    }
}

/// Warnings on stderr when the status line cannot be drawn.
#[derive(Default)]
struct Warnings {
    question: Option<Instant>,
    session: bool,
}

impl Warnings {
    fn check(&mut self, l: &Limits, now: Instant) {
        if l.stopped.is_some() {
            return;
        }
        if let Some(q) = l.question {
            let left_q = q.saturating_duration_since(now);
            if self.question != Some(q) && left_q <= WARN && q > now {
                self.question = Some(q);
                crate::ui::render::note(&format!("{} for this question", left(left_q)));
            }
        }
        let left_s = l.session.saturating_duration_since(now);
        if !self.session && left_s <= WARN && l.session > now {
            self.session = true;
            crate::ui::render::note(&format!("{} in the interview", left(left_s)));
        }
    }
}

impl Clock {
    pub fn start(limits: Limits, color: bool) -> Clock {
        let limits = Arc::new(Mutex::new(limits));
        let stop = Arc::new(AtomicBool::new(false));
        let draw = can_draw();
        if let (true, Some((_, rows))) = (draw, size()) {
            // Make room for the status row without writing over the screen:
            // insert a blank line at the top, confine scrolling below it, and
            // move the cursor down with the line it was on.
            let _ = std::io::stdout().flush();
            write_raw(&format!("\x1b7\x1b[1;1H\x1b[L\x1b[2;{rows}r\x1b8\n"));
        }
        let screen = Arc::new(Mutex::new(Screen {
            draw,
            ..Screen::default()
        }));
        let thread = {
            let (limits, stop, screen) =
                (Arc::clone(&limits), Arc::clone(&stop), Arc::clone(&screen));
            std::thread::spawn(move || {
                let mut warnings = Warnings::default();
                while !stop.load(Ordering::Relaxed) {
                    let l = limits.lock().map(|l| l.clone());
                    if let Ok(l) = l {
                        if draw {
                            screen
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .draw(&l, color);
                        } else {
                            warnings.check(&l, Instant::now());
                        }
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Clock {
            limits,
            stop,
            screen,
            color,
            thread: Some(thread),
        }
    }

    pub fn set(&self, question: Option<Instant>, label: String) {
        if let Ok(mut l) = self.limits.lock() {
            l.question = question;
            l.label = label;
        }
    }

    /// Stops the clock, saying why (`grading…`): time spent waiting for the
    /// judge is not the candidate's. The caller moves the limits on by the
    /// time stopped with `resume`.
    pub fn stop(&self, what: &str) {
        if let Ok(mut l) = self.limits.lock() {
            l.stopped = Some(what.to_string());
        }
    }

    /// Starts the clock again with the limits moved on.
    pub fn resume(&self, question: Option<Instant>, session: Instant) {
        if let Ok(mut l) = self.limits.lock() {
            l.stopped = None;
            l.question = question;
            l.session = session;
        }
    }

    /// After a resize, when the terminal may have moved old status lines
    /// into the text (terminals that rewrap lines do): clears the screen
    /// (terminals keep it in their scrollback), draws the status and leaves
    /// the cursor under it, for the caller to draw the rest again.
    pub fn clear_screen(&self) {
        let mut screen = self.screen.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((cols, rows)) = size().filter(|_| screen.draw) else {
            return;
        };
        write_raw(&format!("\x1b[r\x1b[H\x1b[2J\x1b[2;{rows}r\x1b[2;1H"));
        screen.size = Some((cols, rows));
        screen.last.clear();
        if let Ok(limits) = self.limits.lock().map(|l| l.clone()) {
            screen.draw(&limits, self.color);
        }
    }

    /// Stops drawing and gives the whole screen back (`true`), for
    /// `$EDITOR`; then (`false`) takes the top row again and redraws.
    pub fn pause(&self, paused: bool) {
        let mut screen = self.screen.lock().unwrap_or_else(PoisonError::into_inner);
        if !screen.draw {
            return;
        }
        screen.paused = paused;
        if paused {
            write_raw("\x1b7\x1b[r\x1b[1;1H\x1b[2K\x1b8");
        }
        // Set up again at the next draw, whatever the editor did to the screen.
        screen.size = None;
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let screen = self.screen.lock().unwrap_or_else(PoisonError::into_inner);
        if screen.draw && !screen.paused {
            // Give the whole screen back and blank the status row.
            write_raw("\x1b7\x1b[r\x1b[1;1H\x1b[2K\x1b8");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(now: Instant) -> Limits {
        Limits {
            question: Some(now + Duration::from_secs(125)),
            session: now + Duration::from_secs(600),
            label: "question 1/4".into(),
            stopped: None,
        }
    }

    #[test]
    fn a_stopped_clock_says_so_and_never_warns() {
        let now = Instant::now();
        let l = Limits {
            stopped: Some("grading…".into()),
            ..limits(now)
        };
        let (text, warn) = status_text(&l, now + Duration::from_secs(900), 100);
        assert_eq!(text, " ⏸ grading… · the clock is stopped ");
        assert!(!warn);
        assert_eq!(status_text(&l, now, 12).0, " ⏸ grading… ");
    }

    #[test]
    fn the_status_shows_both_clocks_and_warns_in_the_last_minute() {
        let now = Instant::now();
        let l = limits(now);
        let (text, warn) = status_text(&l, now, 100);
        assert_eq!(
            text,
            " ⏱ question 1/4 · this question 2:05 left · interview 10:00 left "
        );
        assert!(!warn);
        let (text, warn) = status_text(&l, now + Duration::from_secs(70), 100);
        assert!(warn);
        assert!(
            text.starts_with(" ⚠ question 1/4 · this question 0:55 left"),
            "{text}"
        );
    }

    #[test]
    fn the_status_never_needs_more_columns_than_it_has() {
        let now = Instant::now();
        let l = limits(now);
        for width in [59, 40, 20, 9, 3] {
            let (text, _) = status_text(&l, now, width);
            assert!(
                textwrap::core::display_width(&text) <= width,
                "{width}: {text:?}"
            );
        }
        assert_eq!(
            status_text(&l, now, 59).0,
            " ⏱ question 1/4 · 2:05 left · interview 10:00 "
        );
        assert_eq!(status_text(&l, now, 20).0, " ⏱ 2:05 · 10:00 ");
    }
}
