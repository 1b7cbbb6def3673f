//! `grade --answer-audio FILE`: the recording is checked and transcribed
//! before anything is stored; the transcript is then the answer, stored
//! and graded exactly like typed text, and kept with the recording's path
//! and the delivery figures, which are shown after the grade. A recording
//! refused (not audio, silent, nothing heard) grades nothing and stays
//! where it is.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::tally::check_answer;
use crate::bank::Question;
use crate::context::Context;
use crate::error::Result;
use crate::report::json::ResultLine;
use crate::speech::{delivery, Delivery, Transcript};
use crate::store::Store;
use crate::ui::render;

/// A transcribed answer and its delivery figures.
pub struct Spoken {
    pub transcript: Transcript,
    pub delivery: Delivery,
}

/// Transcribes `path` for `question`. With `--json`, a refusal is also one
/// JSON object on stdout, naming the recording.
pub fn hear(ctx: &Context, path: &Path, question: &Question, json: bool) -> Result<Spoken> {
    let heard = crate::speech::transcribe(ctx, path).and_then(|t| {
        check_answer(&t.text, &format!("the transcript of `{}`", path.display()))?;
        Ok(t)
    });
    match heard {
        Ok(transcript) => {
            let delivery = Delivery::of(&transcript, question.minutes);
            Ok(Spoken {
                transcript,
                delivery,
            })
        }
        Err(err) => {
            if json {
                render::json(&Refused {
                    error: crate::text::sanitize(&err.message),
                    audio: path.display().to_string(),
                    attempt_id: None,
                })?;
            }
            Err(err)
        }
    }
}

/// Stores the transcript and the figures with the attempt.
pub fn keep(store: &Store, attempt_id: i64, spoken: &Spoken) -> Result<()> {
    store.record_spoken(attempt_id, &spoken.transcript, &spoken.delivery)
}

/// A grade's JSON line, with `spoken` (the recording and its transcript)
/// and `delivery` after grill's own fields when the answer was spoken.
pub fn print_json(line: ResultLine<'_>, spoken: Option<&Spoken>) -> Result<()> {
    let Some(spoken) = spoken else {
        return Ok(render::json(&line)?);
    };
    let t = &spoken.transcript;
    Ok(render::json(&SpokenLine {
        line,
        spoken: Heard {
            audio: t.audio_path.display().to_string(),
            audio_secs: t.audio_secs,
            model: &t.model,
            format: t.format,
            transcript: &t.text,
            segments: t.segments.len(),
        },
        delivery: &spoken.delivery,
    })?)
}

/// `grade --answer-audio --json`: the result and what was heard.
#[derive(Serialize)]
struct SpokenLine<'a> {
    #[serde(flatten)]
    line: ResultLine<'a>,
    spoken: Heard<'a>,
    delivery: &'a Delivery,
}

/// The recording and its transcript.
#[derive(Serialize)]
struct Heard<'a> {
    audio: String,
    audio_secs: Option<f64>,
    model: &'a str,
    format: &'a str,
    transcript: &'a str,
    segments: usize,
}

/// A recording refused before anything was stored.
#[derive(Serialize)]
struct Refused {
    error: String,
    audio: String,
    /// Always `null`: nothing was stored.
    attempt_id: Option<i64>,
}

/// Writes the delivery block after a grade.
pub fn show(out: &mut impl Write, spoken: &Spoken) -> Result<()> {
    writeln!(out)?;
    write!(
        out,
        "{}",
        delivery::block(
            &spoken.delivery,
            &spoken.transcript.model,
            crate::ui::render::width()
        )
    )?;
    Ok(())
}
