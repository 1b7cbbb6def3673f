//! The one spinner or progress bar on stderr at a time, the notices the
//! judge's retries send to it ("server busy (429), retrying in 3 s, try 2"),
//! and, above a grade's spinner, each key point as a streamed verdict brings
//! it ("✓ regressions covered"). `indicatif` draws nothing when stderr is
//! not a terminal, so a pipe stays clean; the final outcome is always
//! reported in words elsewhere.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::bank::Question;
use crate::provider::openai::{Notify, Progress};
use crate::style::DIM;
use crate::verdict::{Coverage, SeenPoint};

#[derive(Clone, Default)]
pub struct Activity {
    current: Arc<Mutex<Option<Current>>>,
}

/// What is shown now: the bar, its message, and for a grade the key points
/// to show as they are judged.
struct Current {
    bar: ProgressBar,
    base: String,
    points: Option<Points>,
}

/// The question's key point ids, those shown already (each once, even over
/// `--samples` and a re-ask), and whether only covered points are shown.
struct Points {
    ids: Vec<String>,
    shown: Vec<String>,
    covered_only: bool,
}

/// A spinner or bar being shown; cleared when dropped.
pub struct Shown {
    bar: ProgressBar,
    activity: Activity,
}

impl Activity {
    /// A spinner with `message`, until the returned value is dropped.
    pub fn spinner(&self, message: &str) -> Shown {
        let bar = ProgressBar::new_spinner().with_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        self.show(bar, message)
    }

    /// A grade's spinner, with each of `question`'s key points shown above
    /// it as soon as a streamed verdict brings it; `covered_only` while a
    /// follow-up may still ask about the others (a session holds the full
    /// verdict back until then). Off a terminal (standard output piped) it
    /// is the plain spinner: a pipe gets only the result.
    pub fn grading(&self, message: &str, question: &Question, covered_only: bool) -> Shown {
        let shown = self.spinner(message);
        if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            return shown;
        }
        if let Some(current) = self.slot().as_mut() {
            current.points = Some(Points {
                ids: question.key_points.iter().map(|k| k.id.clone()).collect(),
                shown: Vec::new(),
                covered_only,
            });
        }
        shown
    }

    /// A bar counting `len` items, e.g. "{bar} 3/50 graded".
    pub fn bar(&self, len: u64, template: &str) -> Shown {
        let bar = ProgressBar::new(len).with_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.show(bar, "")
    }

    fn show(&self, bar: ProgressBar, message: &str) -> Shown {
        *self.slot() = Some(Current {
            bar: bar.clone(),
            base: message.to_string(),
            points: None,
        });
        Shown {
            bar,
            activity: self.clone(),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Current>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Shows `text` beside whatever is running, e.g. what a retry waits for.
    pub fn note(&self, text: &str) {
        if let Some(Current { bar, base, .. }) = self.slot().as_ref() {
            let text = crate::text::sanitize(text);
            bar.set_message(if base.is_empty() {
                text
            } else {
                format!("{base} {text}")
            });
        }
    }

    /// `note` as the judge's retry callback.
    pub fn notify(&self) -> Notify {
        let me = self.clone();
        Arc::new(move |text: &str| me.note(text))
    }

    /// Shows a key point above a grade's spinner, once, if it is one of the
    /// question's; nothing when no grade's spinner is shown (a grade in the
    /// background, a batch).
    fn point(&self, seen: &SeenPoint) {
        let mut slot = self.slot();
        let Some(Current {
            bar,
            points: Some(points),
            ..
        }) = slot.as_mut()
        else {
            return;
        };
        if !points.ids.contains(&seen.id)
            || points.shown.contains(&seen.id)
            || (points.covered_only && seen.coverage != Coverage::Covered)
        {
            return;
        }
        if points.shown.is_empty() {
            // What streams in is the judge's claim; the verdict below is
            // what survived grill's checks of its quotes, and may differ.
            bar.println(format!(
                "  {DIM}the judge's marks as they arrive, before grill checks its quotes:{DIM:#}"
            ));
        }
        points.shown.push(seen.id.clone());
        bar.println(format!(
            "  {} {} {}",
            seen.coverage.mark(),
            seen.id,
            seen.coverage.as_str()
        ));
    }

    /// `point` as the judge's streaming callback.
    pub fn progress(&self) -> Progress {
        let me = self.clone();
        Arc::new(move |seen: &SeenPoint| me.point(seen))
    }
}

impl Shown {
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Moves the bar to `done` of `len`: a count the server keeps, such as a
    /// batch's finished requests.
    pub fn set(&self, done: u64, len: u64) {
        self.bar.set_length(len);
        self.bar.set_position(done);
    }

    /// Runs `f` with the bar hidden, so a line printed by `f` is not drawn over.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        *self.activity.slot() = None;
    }
}
