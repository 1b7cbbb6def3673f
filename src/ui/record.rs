//! Recording an answer without a C toolchain: a recorder program, either
//! the configured `record_command` (a shell command with `{path}`) or the
//! first of `arecord`, `rec` (sox) and `ffmpeg` found on PATH, writing a
//! 16 kHz mono WAV. It runs in a process group of its own, so a Ctrl-C at
//! the terminal reaches grill and not the recorder; `stop` sends the group
//! SIGINT, on which each of them finishes its file's header and exits. The
//! recording stays a file the user owns, under `<data dir>/audio/`.
//!
//! A live capture through the `cpal` crate is not built: it needs the
//! platform's audio headers (ALSA's on Linux) to compile.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::speech::audio;

/// How long a recorder may take to finish its file after SIGINT.
const FINISH: Duration = Duration::from_secs(5);
/// How long `start` watches for a recorder that fails at once (no device).
const SETTLE: Duration = Duration::from_millis(150);
/// The most of a recorder's stderr kept, for its error message.
const STDERR_KEPT: usize = 2048;

/// A program that records to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorder {
    /// `record_command`: run by `sh -c` with `{path}` replaced by the quoted path.
    Command(String),
    Arecord(PathBuf),
    /// sox's `rec`.
    Rec(PathBuf),
    Ffmpeg(PathBuf),
}

/// The programs looked for, in order.
const PROGRAMS: [&str; 3] = ["arecord", "rec", "ffmpeg"];

/// `name` as an executable file in one of `path`'s directories.
fn on_path(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// A path as one shell word.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

impl Recorder {
    /// `command` (the configured `record_command`) if given, else the
    /// first recorder on `path` (the `PATH` variable's value); an input
    /// error (exit 2) naming what to install when there is none.
    pub fn find(command: Option<&str>, path: Option<&OsStr>) -> Result<Recorder> {
        if let Some(c) = command {
            return Ok(Recorder::Command(c.to_string()));
        }
        for name in PROGRAMS {
            if let Some(found) = on_path(name, path) {
                return Ok(match name {
                    "arecord" => Recorder::Arecord(found),
                    "rec" => Recorder::Rec(found),
                    _ => Recorder::Ffmpeg(found),
                });
            }
        }
        Err(Error::input(
            "no recorder found: install arecord (alsa-utils), rec (sox) or ffmpeg, or set record_command (GRILL_RECORD_COMMAND) to a command with {path}",
        )
        .with_hint("`grill grade --question ID --answer-audio FILE` grades a recording made with any program"))
    }

    /// What it is called in messages.
    pub fn name(&self) -> String {
        match self {
            Recorder::Command(c) => format!("record_command `{c}`"),
            Recorder::Arecord(_) => "arecord".into(),
            Recorder::Rec(_) => "rec".into(),
            Recorder::Ffmpeg(_) => "ffmpeg".into(),
        }
    }

    fn command(&self, out: &Path) -> Command {
        let mut cmd = match self {
            Recorder::Command(template) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(template.replace("{path}", &quoted(out)));
                c
            }
            Recorder::Arecord(p) => {
                let mut c = Command::new(p);
                c.args(["-q", "-f", "S16_LE", "-r", "16000", "-c", "1", "-t", "wav"])
                    .arg(out);
                c
            }
            Recorder::Rec(p) => {
                let mut c = Command::new(p);
                c.args(["-q", "-r", "16000", "-c", "1", "-b", "16"])
                    .arg(out);
                c
            }
            Recorder::Ffmpeg(p) => {
                let mut c = Command::new(p);
                let input: &[&str] = if cfg!(target_os = "macos") {
                    &["-f", "avfoundation", "-i", ":0"]
                } else {
                    &["-f", "alsa", "-i", "default"]
                };
                c.args(["-hide_banner", "-loglevel", "error", "-nostdin"])
                    .args(input)
                    .args(["-ac", "1", "-ar", "16000", "-y"])
                    .arg(out);
                c
            }
        };
        use std::os::unix::process::CommandExt;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        cmd
    }
}

/// A free name for a new recording in `dir` (made if missing, private):
/// `answer-YYYYMMDD-HHMMSS.wav`, with `-2`, `-3`… when that is taken.
pub fn new_path(dir: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<PathBuf> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::io(dir, "create the audio directory", &e))?;
    let stamp = now.format("%Y%m%d-%H%M%S");
    (1..1000)
        .map(|n| match n {
            1 => dir.join(format!("answer-{stamp}.wav")),
            n => dir.join(format!("answer-{stamp}-{n}.wav")),
        })
        .find(|p| !p.exists())
        .ok_or_else(|| Error::failure(format!("no free file name in `{}`", dir.display())))
}

/// Starts recording a new answer as the settings say: `record_command`
/// or a recorder on PATH, into a new file under `<data dir>/audio/`.
pub fn start_answer(
    settings: &crate::config::Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Recording> {
    let command = settings.speech.record_command.as_ref();
    let recorder = Recorder::find(
        command.map(|c| c.value.as_str()),
        std::env::var_os("PATH").as_deref(),
    )?;
    let dir = crate::config_speech::audio_dir(&settings.db_path.value);
    Recording::start(&recorder, &new_path(&dir, now)?)
}

/// A recording in progress.
pub struct Recording {
    child: Child,
    path: PathBuf,
    name: String,
    started: Instant,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// A finished recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub path: PathBuf,
    /// The length its WAV header gives, when it is a WAV grill can read.
    pub secs: Option<f64>,
    /// From start to stop by the clock.
    pub wall_secs: f64,
}

impl Recording {
    /// Starts `recorder` writing to `path`. A recorder that cannot be
    /// started, or that fails at once (no microphone), is an error with
    /// its own last words.
    pub fn start(recorder: &Recorder, path: &Path) -> Result<Recording> {
        let name = recorder.name();
        let mut child = recorder.command(path).spawn().map_err(|e| {
            Error::failure(format!(
                "cannot start {name}: {}",
                crate::error::io_reason(&e)
            ))
        })?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let reader = child.stderr.take().map(|mut pipe| {
            let kept = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 1024];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
                    kept.extend_from_slice(&chunk[..n]);
                    let over = kept.len().saturating_sub(STDERR_KEPT);
                    kept.drain(..over);
                }
            })
        });
        let mut recording = Recording {
            child,
            path: path.to_path_buf(),
            name,
            started: Instant::now(),
            stderr,
            reader,
        };
        std::thread::sleep(SETTLE);
        if let Ok(Some(status)) = recording.child.try_wait() {
            if !status.success() {
                let said = recording.last_words();
                return Err(Error::failure(format!(
                    "{} stopped at once ({status}){said}",
                    recording.name
                ))
                .with_hint("check the microphone; `grill grade --answer-audio FILE` grades a recording made elsewhere"));
            }
        }
        Ok(recording)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long it has been recording.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The end of the recorder's stderr, as `: …`, or nothing.
    fn last_words(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let kept = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        let text = String::from_utf8_lossy(&kept);
        match text.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
            Some(line) => format!(": {}", crate::text::cut(&crate::text::sanitize(line), 200)),
            None => String::new(),
        }
    }

    fn wait(&mut self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Stops the recorder (SIGINT to its group, then SIGTERM, then SIGKILL
    /// if it will not finish) and reads what it wrote. A recorder that had
    /// already failed, or a file left empty, is an error.
    pub fn stop(mut self) -> Result<Recorded> {
        let wall_secs = self.started.elapsed().as_secs_f64();
        let early = self.child.try_wait().ok().flatten();
        if early.is_none() {
            let group = Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(i32::MAX));
            for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGKILL] {
                let _ = killpg(group, signal);
                if self.wait(FINISH) {
                    break;
                }
            }
            let _ = self.child.wait();
        }
        let said = self.last_words();
        if let Some(status) = early.filter(|s| !s.success()) {
            return Err(Error::failure(format!("{} stopped on its own ({status}){said}", self.name))
                .with_hint("check the microphone; `grill grade --answer-audio FILE` grades a recording made elsewhere"));
        }
        let bytes = std::fs::read(&self.path).unwrap_or_default();
        if bytes.is_empty() {
            return Err(Error::failure(format!(
                "{} wrote nothing to `{}`{said}",
                self.name,
                self.path.display()
            )));
        }
        Ok(Recorded {
            secs: audio::wav(&bytes).ok().map(|w| w.secs()),
            path: self.path.clone(),
            wall_secs,
        })
    }
}

impl Drop for Recording {
    /// A recording dropped without `stop` (an error, a panic) ends its
    /// recorder instead of leaving it running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let group = Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(i32::MAX));
            let _ = killpg(group, Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn the_command_comes_first_then_path_in_order_else_what_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().as_os_str();
        let err = Recorder::find(None, Some(path)).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message
                .contains("install arecord (alsa-utils), rec (sox) or ffmpeg"),
            "{}",
            err.message
        );
        assert!(
            err.hints[0].contains("--answer-audio FILE"),
            "{:?}",
            err.hints
        );
        let ffmpeg = script(dir.path(), "ffmpeg");
        assert_eq!(
            Recorder::find(None, Some(path)).unwrap(),
            Recorder::Ffmpeg(ffmpeg)
        );
        let rec = script(dir.path(), "rec");
        assert_eq!(
            Recorder::find(None, Some(path)).unwrap(),
            Recorder::Rec(rec)
        );
        assert_eq!(
            Recorder::find(Some("x {path}"), Some(path)).unwrap(),
            Recorder::Command("x {path}".into())
        );
        assert_eq!(quoted(Path::new("/a b/it's.wav")), r"'/a b/it'\''s.wav'");
    }

    #[test]
    fn a_recording_is_stopped_on_demand_and_its_length_read() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("tone.wav");
        std::fs::write(&source, audio::tone(1.25, 440.0)).unwrap();
        let recorder =
            Recorder::Command(format!("cp {} {{path}} && exec sleep 30", quoted(&source)));
        let out = new_path(&dir.path().join("audio"), chrono::Utc::now()).unwrap();
        assert!(out.to_string_lossy().ends_with(".wav"));
        let started = Instant::now();
        let recording = Recording::start(&recorder, &out).unwrap();
        assert_eq!(recording.path(), out);
        let done = recording.stop().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "SIGINT ended it"
        );
        assert_eq!(done.path, out);
        assert!((done.secs.unwrap() - 1.25).abs() < 1e-9, "{done:?}");
    }

    #[test]
    fn a_recorder_that_fails_says_why_in_its_own_words() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.wav");
        let broken =
            Recorder::Command("echo 'arecord: no such device' >&2; exit 1 # {path}".into());
        let err = Recording::start(&broken, &out).err().unwrap();
        assert!(err.message.contains("stopped at once"), "{}", err.message);
        assert!(
            err.message.ends_with(": arecord: no such device"),
            "{}",
            err.message
        );
        let silent = Recorder::Command("exec sleep 30 # {path}".into());
        let err = Recording::start(&silent, &out).unwrap().stop().unwrap_err();
        assert!(err.message.contains("wrote nothing to"), "{}", err.message);
    }
}
