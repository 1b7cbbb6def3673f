//! Spoken answers: a recording checked before upload (`audio`), sent to
//! the transcription server (`provider::transcribe`), read into a
//! transcript (`transcript`), and how it was delivered (`delivery`, over
//! `words`). The transcript is graded like typed text; the delivery
//! figures are grill's own, never the judge's.
//!
//! The entry points a command (or the session engine) calls:
//! - [`check`]: the file exists, is audio by its first bytes, fits the
//!   upload limit, and (a WAV) is not silent;
//! - [`transcribe`]: check, transcribe, and refuse a recording in which
//!   nothing was heard (exit 2, the file kept);
//! - [`transcribe_file`]: the same after `check`, as a future, for a
//!   caller already inside the runtime;
//! - `Delivery::of(&transcript, minutes)`, `delivery::lines` to show it,
//!   and `Store::record_spoken` to keep it with the attempt.

pub mod audio;
pub mod delivery;
pub mod summary;
pub mod transcript;
pub mod words;

use std::path::{Path, PathBuf};

pub use delivery::Delivery;
pub use transcript::Transcript;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::provider::transcribe::{Transcriber, Upload};

/// The largest file sent: OpenAI's documented limit on an upload (25 MB),
/// which Groq's free tier shares.
pub const MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;

/// An audio file checked and read, ready to send.
#[derive(Debug, Clone)]
pub struct AudioFile {
    pub path: PathBuf,
    pub kind: audio::Kind,
    pub bytes: Vec<u8>,
    /// Its length, where grill can read it (WAV).
    pub secs: Option<f64>,
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Checks `path` before anything is sent: it exists and is a file, is not
/// empty, is at most `MAX_UPLOAD_BYTES`, starts like audio, and (for a
/// WAV, the one format grill decodes) holds sound. Every refusal is an
/// input error (exit 2) naming the file; the file is never touched.
pub fn check(path: &Path) -> Result<AudioFile> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "read the recording", &e))?;
    if meta.is_dir() {
        return Err(Error::input(format!(
            "`{}` is a directory, not a recording",
            shown(path)
        )));
    }
    if meta.len() > MAX_UPLOAD_BYTES {
        return Err(Error::input(format!(
            "`{}` is {:.1} MB, over the {} MB a transcription server takes",
            shown(path),
            meta.len() as f64 / 1e6,
            MAX_UPLOAD_BYTES >> 20
        ))
        .with_hint(
            "record a shorter answer, or compress it: ffmpeg -i IN -ac 1 -b:a 48k answer.mp3",
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read the recording", &e))?;
    if bytes.is_empty() {
        return Err(Error::input(format!(
            "`{}` is empty: no audio in it",
            shown(path)
        )));
    }
    let Some(kind) = audio::sniff(&bytes) else {
        return Err(Error::input(format!(
            "`{}` is not audio: it starts like none of WAV, MP3, M4A, OGG, FLAC or WebM",
            shown(path)
        )));
    };
    let mut secs = None;
    if kind == audio::Kind::Wav {
        if let Ok(wav) = audio::wav(&bytes) {
            secs = Some(wav.secs());
            if wav.secs() < 0.2 {
                return Err(Error::input(format!(
                    "`{}` holds {:.1} s of audio: too short for an answer",
                    shown(path),
                    wav.secs()
                )));
            }
            if audio::peak(&bytes, &wav).is_some_and(|p| p < audio::SILENT_PEAK) {
                return Err(Error::input(format!(
                    "`{}` is silent: nothing was graded",
                    shown(path)
                ))
                .with_hint("the recording is kept; check the microphone (e.g. `arecord -l` lists them) and its level"));
            }
        }
    }
    Ok(AudioFile {
        // Stored with the attempt: absolute, so it still names the file
        // from another directory.
        path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        kind,
        bytes,
        secs,
    })
}

/// Checks and transcribes `path`, blocking on the run's runtime (so not
/// from inside it: use `transcribe_file` there). Nothing heard is an input
/// error (exit 2); a server that fails is a failure (exit 1). Either way
/// the recording is kept and nothing is graded.
pub fn transcribe(ctx: &Context, path: &Path) -> Result<Transcript> {
    let file = check(path)?;
    let transcriber = ctx.transcriber()?;
    let spinner = ctx
        .activity
        .spinner(&format!("transcribing with {}…", transcriber.model()));
    let result = ctx.runtime()?.block_on(transcribe_file(transcriber, file));
    drop(spinner);
    result
}

/// Transcribes a checked file; see `transcribe`.
pub async fn transcribe_file(transcriber: &Transcriber, file: AudioFile) -> Result<Transcript> {
    let upload = Upload {
        name: format!("answer.{}", file.kind.extension()),
        bytes: file.bytes,
    };
    let kept = format!("the recording is kept: `{}`", shown(&file.path));
    let (heard, format) = transcriber.transcribe(&upload).await.map_err(|e| {
        Error::failure(format!("cannot transcribe `{}`: {e}", shown(&file.path)))
            .with_hint(format!("{kept}; nothing was graded"))
    })?;
    if heard.is_empty() {
        return Err(Error::input(format!(
            "nothing was heard in `{}`: the transcript is empty, and nothing was graded",
            shown(&file.path)
        ))
        .with_hint(kept));
    }
    Ok(Transcript::new(
        heard,
        file.path,
        file.secs,
        transcriber.model(),
        format,
    ))
}

/// What `grill doctor` learns from the transcription server: it took a
/// second of generated tone (`Ok` with the format it answered in and how
/// long it took), or why not.
pub async fn probe(transcriber: &Transcriber) -> std::result::Result<(&'static str, u128), String> {
    let started = std::time::Instant::now();
    let upload = Upload {
        name: "probe.wav".into(),
        bytes: audio::tone(1.0, 440.0),
    };
    match transcriber.transcribe(&upload).await {
        Ok((_, format)) => Ok((format.as_str(), started.elapsed().as_millis())),
        Err(e) => Err(e.to_string()),
    }
}
