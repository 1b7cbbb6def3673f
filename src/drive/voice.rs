//! `--voice`: one spoken answer. Enter starts the recorder (`ui::record`),
//! Enter stops it; the recording is checked and transcribed, with the
//! interview's clock stopped meanwhile as it is for grading (it runs while
//! the candidate speaks); the transcript is shown, then accepted with Enter
//! or changed with `:edit` before it is graded. What follows is the session
//! machine's decision: a transcript taken is stored and graded like typed
//! text, then kept with its recording; anything else (no recorder, a
//! silent recording, nothing heard, a server without the endpoint, or
//! `:type`) sends the candidate to the keyboard for the same question.
//! A recording is never deleted here: it stays under `<data dir>/audio/`.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::runner::Runner;
use crate::bank::Question;
use crate::error::{Error, Result};
use crate::grading::MAX_ANSWER_CHARS;
use crate::provider::transcribe::Transcriber;
use crate::session::{Answer, Event};
use crate::speech::{self, Delivery, Transcript};
use crate::style::DIM;
use crate::ui::clock::Clock;
use crate::ui::input::Line;
use crate::ui::record::{self, Recorded};
use crate::ui::render;

/// A transcript taken, waiting for the attempt it is kept with.
pub struct Heard {
    transcript: Transcript,
    delivery: Delivery,
}

/// How reading a spoken answer ended.
enum Said {
    /// As a typed answer may end: `:skip`, `:quit`, Ctrl-C, a signal.
    Answer(Answer),
    Spoken {
        text: String,
        cut_off: bool,
    },
    TypeInstead {
        lasting: bool,
    },
}

/// The time a spoken answer has: the question's deadline and the
/// interview's end, moved on by the time the clock was stopped.
struct Timing<'a> {
    deadline: Option<Instant>,
    end: Option<Instant>,
    clock: Option<&'a Clock>,
    paused: Duration,
}

impl Timing<'_> {
    /// Stops the clock (if there is one) while `work` runs, and gives the
    /// time back.
    fn stopped<T>(&mut self, what: &str, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        if let Some(c) = self.clock {
            c.stop(what);
        }
        let out = work();
        let took = started.elapsed();
        self.paused += took;
        self.deadline = self.deadline.map(|d| d + took);
        self.end = self.end.map(|e| e + took);
        if let (Some(c), Some(end)) = (self.clock, self.end) {
            c.resume(self.deadline, end);
        }
        out
    }
}

/// Reads one spoken answer to `q` until `deadline`: the event that answers
/// the machine's `Ask`. A transcript taken waits in `heard`.
pub fn read(
    runner: &mut Runner<'_>,
    q: &Question,
    (deadline, end): (Option<Instant>, Option<Instant>),
    clock: Option<&Clock>,
    heard: &mut Option<Heard>,
) -> Event {
    let start = Instant::now();
    let mut timing = Timing {
        deadline,
        end,
        clock,
        paused: Duration::ZERO,
    };
    let said = listen(runner, q, &mut timing, heard);
    let paused = timing.paused;
    let seconds = start.elapsed().saturating_sub(paused).as_secs_f64();
    match said {
        Said::Answer(answer) => Event::Answered { answer, seconds },
        Said::Spoken { text, cut_off } => Event::Spoken {
            text,
            seconds,
            cut_off,
            paused,
        },
        Said::TypeInstead { lasting } => {
            render::note(if lasting {
                "Type your answer instead; the rest of this session's answers are typed too."
            } else {
                "Type your answer instead."
            });
            Event::TypeInstead {
                seconds,
                paused,
                lasting,
            }
        }
    }
}

fn hint(q: &Question) -> String {
    let first = q.key_points.first().map_or("", |k| k.point.as_str());
    format!("hint: {first}")
}

/// A read that ended without a line: the answer it ends with, `typed`
/// being what there is so far; `None` for a resize (read again).
fn not_a_line(line: &Line, typed: &str) -> Option<Answer> {
    let typed = typed.to_string();
    Some(match line {
        Line::Text(_) | Line::Resized { .. } => return None,
        Line::Eof => Answer::Quit { typed },
        Line::Interrupted => Answer::Abandoned { typed },
        Line::TimedOut { .. } => Answer::Text {
            text: typed,
            cut_off: true,
            over: Duration::ZERO,
        },
        Line::Invalid => Answer::Invalid,
        Line::Ended { signal, .. } => Answer::Ended {
            typed,
            signal: *signal,
        },
    })
}

fn listen(
    runner: &mut Runner<'_>,
    q: &Question,
    timing: &mut Timing<'_>,
    heard: &mut Option<Heard>,
) -> Said {
    // Known before anyone speaks: the transcription can be set up at all.
    let transcriber = match runner.ctx.transcriber() {
        Ok(t) => Arc::clone(t),
        Err(e) => return failed(&e, true, None),
    };
    render::note("Press Enter to start recording (:type to type instead, :skip, :quit).");
    loop {
        match runner.src.read_line("› ", timing.deadline) {
            Line::Text(t) => match t.trim() {
                "" => break,
                ":type" => return Said::TypeInstead { lasting: false },
                ":skip" => return Said::Answer(Answer::Skip),
                ":quit" => {
                    return Said::Answer(Answer::Quit {
                        typed: String::new(),
                    })
                }
                ":hint" => render::note(&hint(q)),
                _ => render::note("press Enter to start recording, or :type, :skip or :quit"),
            },
            other => {
                if let Some(answer) = not_a_line(&other, "") {
                    return Said::Answer(answer);
                }
            }
        }
    }
    let now = runner.ctx.clock().now();
    let recording = match record::start_answer(&runner.ctx.settings, now) {
        Ok(r) => r,
        Err(e) => return failed(&e, true, None),
    };
    render::note("● Recording: press Enter to stop.");
    let mut cut_off = false;
    let mut ended = None;
    loop {
        match runner.src.read_line("● › ", timing.deadline) {
            Line::Text(_) | Line::Eof => break,
            Line::TimedOut { .. } => {
                render::note("Time is up: the recording is stopped.");
                cut_off = true;
                break;
            }
            other => {
                ended = not_a_line(&other, "");
                if ended.is_some() {
                    break;
                }
            }
        }
    }
    let path = recording.path().to_path_buf();
    let recorded = recording.stop();
    if let Some(answer) = ended {
        render::note(&format!("The recording is kept: `{}`.", path.display()));
        return Said::Answer(answer);
    }
    let recorded = match recorded {
        Ok(r) => r,
        Err(e) => return failed(&e, false, Some(&path)),
    };
    let transcript = match timing.stopped("transcribing…", || {
        transcribe(runner, &transcriber, &recorded)
    }) {
        Ok(Some(t)) => t,
        Ok(None) => {
            render::note(&format!(
                "Transcription cancelled; the recording is kept: `{}`.",
                path.display()
            ));
            return Said::Answer(Answer::Abandoned {
                typed: String::new(),
            });
        }
        // Nothing heard is this recording's fault; a server that fails
        // will fail for the next one too.
        Err(e) => {
            let lasting = e.exit_code() != 2;
            return failed(&e, lasting, Some(&path));
        }
    };
    let said = review(runner, q, &transcript, timing, cut_off);
    if matches!(said, Said::Spoken { .. }) {
        *heard = Some(Heard {
            delivery: Delivery::of(&transcript, q.minutes),
            transcript,
        });
    }
    said
}

/// Checks and transcribes a recording; `None` when Ctrl-C cancelled it.
fn transcribe(
    runner: &Runner<'_>,
    transcriber: &Transcriber,
    recorded: &Recorded,
) -> Result<Option<Transcript>> {
    let file = speech::check(&recorded.path)?;
    let runtime = runner.ctx.runtime()?;
    let spinner = runner
        .ctx
        .activity
        .spinner(&format!("transcribing with {}…", transcriber.model()));
    let work = speech::transcribe_file(transcriber, file);
    let out = runtime.block_on(crate::ui::signals::until_ctrl_c(runner.src.ctrl_c(), work));
    drop(spinner);
    out.transpose()
}

/// Shows the transcript and lets the candidate take it (Enter), change it
/// (`:edit`) or leave it (`:type`, `:skip`, `:quit`). When the time has
/// run out (`cut_off`) it is taken as it stands.
fn review(
    runner: &mut Runner<'_>,
    q: &Question,
    transcript: &Transcript,
    timing: &mut Timing<'_>,
    mut cut_off: bool,
) -> Said {
    let mut text = within_limit(&transcript.text);
    show_heard(&text, &transcript.model);
    if cut_off {
        return Said::Spoken { text, cut_off };
    }
    render::note("Enter grades it; :edit changes it first; :type to type instead, :skip, :quit.");
    loop {
        match runner.src.read_line("› ", timing.deadline) {
            Line::Text(t) => match t.trim() {
                "" => break,
                ":edit" => {
                    if let Some(c) = timing.clock {
                        c.pause(true);
                    }
                    let edited = crate::ui::editor::edit(&text);
                    if let Some(c) = timing.clock {
                        c.pause(false);
                    }
                    match edited {
                        Ok(t) => {
                            text = within_limit(&t);
                            show_heard(&text, "you");
                        }
                        Err(e) => render::note(&e),
                    }
                    if timing.deadline.is_some_and(|d| Instant::now() >= d) {
                        cut_off = true;
                        break;
                    }
                }
                ":type" => return Said::TypeInstead { lasting: false },
                ":skip" => return Said::Answer(Answer::Skip),
                ":quit" => return Said::Answer(Answer::Quit { typed: text }),
                ":hint" => render::note(&hint(q)),
                _ => render::note(
                    "press Enter to grade the transcript, or :edit, :type, :skip or :quit",
                ),
            },
            Line::Eof => break,
            Line::TimedOut { .. } => {
                cut_off = true;
                break;
            }
            other => {
                if let Some(answer) = not_a_line(&other, &text) {
                    return Said::Answer(answer);
                }
            }
        }
    }
    if text.trim().is_empty() {
        render::note("The transcript is empty now: nothing to grade.");
        return Said::TypeInstead { lasting: false };
    }
    Said::Spoken { text, cut_off }
}

/// At most the answer limit; a longer transcript is cut there, and said so.
fn within_limit(text: &str) -> String {
    if text.chars().count() <= MAX_ANSWER_CHARS {
        return text.trim().to_string();
    }
    render::note(&format!(
        "answers are limited to {MAX_ANSWER_CHARS} characters; the transcript was cut there"
    ));
    text.chars().take(MAX_ANSWER_CHARS).collect()
}

fn show_heard(text: &str, by: &str) {
    let mut out = render::stdout();
    let _ = writeln!(out, "\n{DIM}Heard ({}):{DIM:#}", crate::text::sanitize(by));
    let _ = write!(out, "{}", render::wrap(text, "  "));
    let _ = out.flush();
}

/// A spoken answer that could not be taken: the error as lines to the
/// person, and where the recording is, if there is one.
fn failed(e: &Error, lasting: bool, recording: Option<&std::path::Path>) -> Said {
    render::note(&format!("Not recorded: {}", e.message));
    for h in &e.hints {
        render::note(&format!("hint: {h}"));
    }
    if let Some(path) = recording {
        let shown = path.display().to_string();
        if !e.hints.iter().any(|h| h.contains(&shown)) && !e.message.contains(&shown) {
            render::note(&format!("The recording is kept: `{shown}`."));
        }
    }
    Said::TypeInstead { lasting }
}

/// Keeps what was heard with the attempt its text was stored as.
pub fn keep(runner: &Runner<'_>, attempt: i64, heard: Option<Heard>) -> Result<()> {
    match heard {
        Some(h) => runner
            .store
            .record_spoken(attempt, &h.transcript, &h.delivery),
        None => Ok(()),
    }
}
