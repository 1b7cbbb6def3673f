//! SIGTERM and SIGHUP while an answer is being read. By default either
//! ends the process at once: a terminal left raw (no echo, no line
//! editing) and the text being typed lost. While a read is under way
//! (`Reading`), grill catches them instead: the read comes back as
//! `Line::Ended` with what was typed, the session stores it, the editor
//! gives the terminal back in cooked mode, and the run exits with
//! 128 + the signal's number, as a shell reports a process it ended.
//!
//! Outside a read the signals keep their default action: nothing typed is
//! pending then (every answer is stored before it is graded), and a
//! signal caught while grading would wait for the judge.
//!
//! Once caught, a signal stays caught: every later read comes back
//! `Ended` at once, so whatever path winds the session down asks nobody
//! anything, and `main` exits with its status.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGHUP, SIGTERM};

struct State {
    /// True outside reads: the signals' default action runs.
    idle: Arc<AtomicBool>,
    /// The number of the signal caught during a read; 0 for none.
    caught: Arc<AtomicUsize>,
}

static STATE: OnceLock<Option<State>> = OnceLock::new();

/// Installs the handlers, once. Until `install`, and where it fails, the
/// signals simply end the process.
pub fn install() {
    STATE.get_or_init(|| {
        let idle = Arc::new(AtomicBool::new(true));
        let caught = Arc::new(AtomicUsize::new(0));
        for signal in [SIGTERM, SIGHUP] {
            // The default action first: outside a read it ends the process
            // before the signal is recorded.
            signal_hook::flag::register_conditional_default(signal, Arc::clone(&idle)).ok()?;
            let number = usize::try_from(signal).ok()?;
            signal_hook::flag::register_usize(signal, Arc::clone(&caught), number).ok()?;
        }
        Some(State { idle, caught })
    });
}

/// The terminating signal caught during a read, if one was.
pub fn caught() -> Option<i32> {
    let state = STATE.get()?.as_ref()?;
    match state.caught.load(Ordering::SeqCst) {
        0 => None,
        n => i32::try_from(n).ok(),
    }
}

/// While alive, SIGTERM and SIGHUP are caught instead of ending the process.
#[must_use]
pub struct Reading(());

impl Reading {
    pub fn start() -> Reading {
        if let Some(Some(state)) = STATE.get() {
            state.idle.store(false, Ordering::SeqCst);
        }
        Reading(())
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        if let Some(Some(state)) = STATE.get() {
            state.idle.store(true, Ordering::SeqCst);
        }
    }
}

/// Runs `work` unless Ctrl-C comes first (`None`). A Ctrl-C from before the
/// work started (or a stray cut-off signal) does not count.
pub async fn until_ctrl_c<T>(
    flag: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(flag) = flag else {
        return Some(work.await);
    };
    flag.store(false, std::sync::atomic::Ordering::SeqCst);
    let pressed = async {
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        out = work => Some(out),
        () = pressed => None,
    }
}
