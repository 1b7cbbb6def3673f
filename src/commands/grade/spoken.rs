//! `grade --answer-audio FILE`: the recording is checked and transcribed
//! before anything is stored; the transcript is then the answer, stored
//! and graded exactly like typed text, and kept with the recording's path
//! and the delivery figures, which are shown after the grade. A recording
//! refused (not audio, silent, nothing heard) grades nothing and stays
//! where it is.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use super::tally::check_answer;
use crate::bank::Question;
use crate::context::Context;
use crate::error::Result;
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
                let value = json!({
                    "error": crate::text::sanitize(&err.message),
                    "audio": path.display().to_string(),
                    "attempt_id": null,
                });
                writeln!(render::stdout(), "{}", crate::json::to_text(&value, true))?;
            }
            Err(err)
        }
    }
}

/// Stores the transcript and the figures with the attempt.
pub fn keep(store: &Store, attempt_id: i64, spoken: &Spoken) -> Result<()> {
    store.record_spoken(attempt_id, &spoken.transcript, &spoken.delivery)
}

/// Adds `spoken` (the recording and its transcript) and `delivery` to a
/// grade's JSON object.
pub fn add_json(value: &mut Value, spoken: &Spoken) {
    let t = &spoken.transcript;
    value["spoken"] = json!({
        "audio": t.audio_path.display().to_string(),
        "audio_secs": t.audio_secs,
        "model": t.model,
        "format": t.format,
        "transcript": t.text,
        "segments": t.segments.len(),
    });
    value["delivery"] = serde_json::to_value(&spoken.delivery).unwrap_or_default();
}

/// Writes the delivery block after a grade.
pub fn show(out: &mut impl Write, spoken: &Spoken) -> Result<()> {
    writeln!(out)?;
    write!(
        out,
        "{}",
        delivery::block(&spoken.delivery, &spoken.transcript.model)
    )?;
    Ok(())
}
