//! The one spinner or progress bar on stderr at a time, and the notices the
//! judge's retries send to it ("server busy (429), retrying in 3 s, try 2").
//! `indicatif` draws nothing when stderr is not a terminal, so a pipe stays
//! clean; the final outcome is always reported in words elsewhere.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::provider::openai::Notify;

#[derive(Clone, Default)]
pub struct Activity {
    current: Arc<Mutex<Option<(ProgressBar, String)>>>,
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

    /// A bar counting `len` items, e.g. "{bar} 3/50 graded".
    pub fn bar(&self, len: u64, template: &str) -> Shown {
        let bar = ProgressBar::new(len).with_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.show(bar, "")
    }

    fn show(&self, bar: ProgressBar, message: &str) -> Shown {
        *self.slot() = Some((bar.clone(), message.to_string()));
        Shown {
            bar,
            activity: self.clone(),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<(ProgressBar, String)>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Shows `text` beside whatever is running, e.g. what a retry waits for.
    pub fn note(&self, text: &str) {
        if let Some((bar, base)) = self.slot().as_ref() {
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
