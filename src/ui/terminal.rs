//! The terminal: rustyline on a thread of its own, interruptible at a
//! deadline.
//!
//! `readline()` cannot time out, so it runs on its own thread and is
//! interrupted at the limit by SIGINT sent to that thread; an atomic flag
//! tells that interruption from the user's Ctrl-C. An answer is one
//! `readline()`: a validator turns Enter into a new line until the last line
//! is blank or a command, and Ctrl-D hands the text back as it is, so lines
//! typed ahead or pasted at machine speed all land in the same buffer. The
//! helper's hint hook sees every change of that buffer, so a cut-off keeps
//! everything on the screen. The editor reads and draws on `/dev/tty`, so a
//! redirected stdout gets no escape codes.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustyline::validate::{ValidationContext, ValidationResult};
use rustyline::{Cmd, ConditionalEventHandler, Event, EventContext, EventHandler, KeyEvent};

use crate::ui::draft::answer_complete;
use crate::ui::input::{Line, LineSource};
use crate::ui::piped::Piped;
use crate::ui::signals;

/// The rustyline helper: it watches the buffer, and in answer mode decides
/// when Enter hands the answer back.
struct Watcher {
    current: Arc<Mutex<String>>,
    answer_mode: Arc<AtomicBool>,
}

impl rustyline::completion::Completer for Watcher {
    type Candidate = String;
}
impl rustyline::highlight::Highlighter for Watcher {}
impl rustyline::Helper for Watcher {}
impl rustyline::validate::Validator for Watcher {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        if !self.answer_mode.load(Ordering::SeqCst) || answer_complete(ctx.input()) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}
impl rustyline::hint::Hinter for Watcher {
    type Hint = String;
    fn hint(&self, line: &str, _pos: usize, _ctx: &rustyline::Context<'_>) -> Option<String> {
        // Called on every change of the buffer: remember it for a cut-off.
        if let Ok(mut current) = self.current.lock() {
            current.clear();
            current.push_str(line);
        }
        None
    }
}

/// Ctrl-D in an answer that has text: hand it back as it is (submit).
/// Elsewhere, and on an empty answer, rustyline's own Ctrl-D.
struct CtrlD {
    answer_mode: Arc<AtomicBool>,
}

impl ConditionalEventHandler for CtrlD {
    fn handle(
        &self,
        _: &Event,
        _: rustyline::RepeatCount,
        _: bool,
        ctx: &EventContext,
    ) -> Option<Cmd> {
        (self.answer_mode.load(Ordering::SeqCst) && !ctx.line().is_empty())
            .then_some(Cmd::AcceptLine)
    }
}

/// One read: a prompt, the text to start from, and whether it is an answer.
struct Request {
    prompt: String,
    initial: String,
    answer: bool,
    /// Give the answer back (`Line::Resized`) when the window changes size.
    watch_size: bool,
}

/// The terminal: rustyline on a thread of its own, interruptible at a deadline.
pub struct Terminal {
    requests: Sender<Request>,
    replies: Receiver<Line>,
    thread: nix::sys::pthread::Pthread,
    timing_out: Arc<AtomicBool>,
    current: Arc<Mutex<String>>,
    /// Set by SIGINT outside `readline()`: the user's Ctrl-C while grading,
    /// or a stray cut-off signal, which must not kill the session.
    sigint: Arc<AtomicBool>,
}

type Editor = rustyline::Editor<Watcher, rustyline::history::DefaultHistory>;

fn editor(current: &Arc<Mutex<String>>, answer_mode: &Arc<AtomicBool>) -> Option<Editor> {
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .behavior(rustyline::Behavior::PreferTerm)
        .build();
    let mut editor = Editor::with_config(config).ok()?;
    editor.set_helper(Some(Watcher {
        current: Arc::clone(current),
        answer_mode: Arc::clone(answer_mode),
    }));
    editor.bind_sequence(
        KeyEvent::ctrl('D'),
        EventHandler::Conditional(Box::new(CtrlD {
            answer_mode: Arc::clone(answer_mode),
        })),
    );
    Some(editor)
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
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (rep_tx, rep_rx) = mpsc::channel::<Line>();
        let (id_tx, id_rx) = mpsc::channel();
        let watched = Arc::clone(&current);
        std::thread::spawn(move || {
            let _ = id_tx.send(nix::sys::pthread::pthread_self());
            let answer_mode = Arc::new(AtomicBool::new(false));
            let Some(mut editor) = editor(&watched, &answer_mode) else {
                return;
            };
            while let Ok(req) = req_rx.recv() {
                answer_mode.store(req.answer, Ordering::SeqCst);
                let read = if req.initial.is_empty() {
                    editor.readline(&req.prompt)
                } else {
                    editor.readline_with_initial(&req.prompt, (&req.initial, ""))
                };
                let line = match read {
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

    fn read(&mut self, request: Request, deadline: Option<Instant>) -> Line {
        if let Ok(mut c) = self.current.lock() {
            c.clear();
        }
        let _reading = signals::Reading::start();
        if let Some(signal) = signals::caught() {
            return Line::Ended {
                partial: request.initial,
                signal,
            };
        }
        let watch = request.watch_size;
        if self.requests.send(request).is_err() {
            return Line::Eof;
        }
        let size = watch.then(size).flatten();
        loop {
            // Wake up now and then to look for SIGTERM or SIGHUP (and, when
            // asked, at the window's size).
            let slice = Duration::from_millis(100);
            let slice = deadline.map_or(slice, |at| {
                slice.min(at.saturating_duration_since(Instant::now()))
            });
            let reply = self.replies.recv_timeout(slice);
            if let Some(signal) = signals::caught() {
                // The signal may have cut `readline()` short itself; else
                // interrupt it: either way it gives the terminal back in
                // cooked mode before this returns.
                let line = match reply {
                    Ok(line) => line,
                    Err(_) => self.interrupt(),
                };
                let partial = match line {
                    Line::Text(text) => text,
                    _ => self.typed(),
                };
                return Line::Ended { partial, signal };
            }
            match reply {
                Ok(line) => return line,
                Err(RecvTimeoutError::Disconnected) => return Line::Eof,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return match self.interrupt() {
                    // Enter was pressed at the very moment of the cut-off.
                    Line::Text(text) => Line::TimedOut { partial: text },
                    _ => Line::TimedOut {
                        partial: self.typed(),
                    },
                };
            }
            if watch && size != self::size() {
                return match self.interrupt() {
                    Line::Interrupted => Line::Resized {
                        partial: self.typed(),
                    },
                    line => line,
                };
            }
        }
    }

    /// Interrupts `readline()` and returns what it gave back; repeats in
    /// case the signal landed just before rustyline installed its handler.
    fn interrupt(&mut self) -> Line {
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
        line
    }
}

/// The terminal's size (columns, rows).
fn size() -> Option<(u16, u16)> {
    terminal_size::terminal_size_of(std::io::stdin()).map(|(w, h)| (w.0, h.0))
}

impl LineSource for Terminal {
    fn discard_typeahead(&mut self) {
        // Keys still in the terminal's input queue, not yet read by the
        // editor: flushed on the terminal device itself.
        if let Ok(tty) = std::fs::File::open("/dev/tty") {
            let _ = nix::sys::termios::tcflush(&tty, nix::sys::termios::FlushArg::TCIFLUSH);
        }
    }

    fn read_line(&mut self, prompt: &str, deadline: Option<Instant>) -> Line {
        let request = Request {
            prompt: prompt.to_string(),
            initial: String::new(),
            answer: false,
            watch_size: false,
        };
        self.read(request, deadline)
    }

    fn read_answer_text(
        &mut self,
        prompt: &str,
        so_far: &str,
        deadline: Option<Instant>,
        watch_size: bool,
    ) -> Option<Line> {
        let request = Request {
            prompt: prompt.to_string(),
            initial: so_far.to_string(),
            answer: true,
            watch_size,
        };
        Some(self.read(request, deadline))
    }

    fn interactive(&self) -> bool {
        true
    }

    fn ctrl_c(&self) -> Option<Arc<AtomicBool>> {
        Some(Arc::clone(&self.sigint))
    }

    fn typed(&self) -> String {
        self.current.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// The terminal editor when there is one, plain lines otherwise; either
/// way, SIGTERM and SIGHUP during a read end the session with what was
/// typed stored (`signals`).
pub fn open_source() -> Box<dyn LineSource> {
    signals::install();
    match Terminal::open() {
        Some(t) => Box::new(t),
        None => Box::new(Piped::stdin()),
    }
}
