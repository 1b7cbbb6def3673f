//! A transcript as grill keeps it, and a transcription server's reply read
//! into one. Pure. Servers differ in what they send (OpenAI's `json` has
//! only `text`; its `verbose_json`, whisper.cpp's and speaches' add
//! `duration` and `segments` with more or fewer fields; `text` is the bare
//! words), so the reply is read leniently: only `text` is required, a
//! segment needs only `start`, `end` and `text`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `response_format` asked for, richest first: a server that refuses
/// one is asked for the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text, duration and segment timings (whisper-1, Groq, local servers).
    VerboseJson,
    /// `{"text": ...}` only (all OpenAI models; the only one of gpt-4o-*).
    Json,
    /// The bare text.
    Text,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::VerboseJson => "verbose_json",
            Format::Json => "json",
            Format::Text => "text",
        }
    }

    pub fn next(self) -> Option<Format> {
        match self {
            Format::VerboseJson => Some(Format::Json),
            Format::Json => Some(Format::Text),
            Format::Text => None,
        }
    }

    /// Where to start for `model`: OpenAI documents `json` as the only
    /// structured format of its gpt-4o transcription models, so asking them
    /// for `verbose_json` would cost a refused request every time.
    pub fn first_for(model: &str) -> Format {
        let bare = model.rsplit('/').next().unwrap_or(model).to_lowercase();
        if bare.starts_with("gpt-") {
            Format::Json
        } else {
            Format::VerboseJson
        }
    }
}

/// A stretch of speech with its timing, in seconds from the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// The server's probability that the stretch holds no speech, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_speech: Option<f64>,
}

/// What the server heard: the words, and timings where its format has them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Heard {
    pub text: String,
    pub segments: Vec<Segment>,
    /// The audio's length as the server measured it.
    pub duration: Option<f64>,
}

/// Above this, a segment is taken for silence the model filled in (Whisper
/// writes "Thank you." over silence, with a high `no_speech_prob`).
const NO_SPEECH: f64 = 0.8;

impl Heard {
    /// Whether nothing was said: no letter or digit in the text, every
    /// segment marked as no speech, or the text is only the style prompt
    /// given back (what Whisper does with silence it was prompted for).
    pub fn is_empty(&self) -> bool {
        let words = |t: &str| -> String {
            t.chars()
                .filter(|c| c.is_alphanumeric() || c.is_whitespace())
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let text = words(&self.text);
        text.is_empty()
            || (!self.segments.is_empty()
                && self
                    .segments
                    .iter()
                    .all(|s| s.no_speech.is_some_and(|p| p >= NO_SPEECH)))
            || text == words(STYLE_PROMPT)
    }
}

/// Sent as `prompt`: a transcript in the style wanted, with its fillers,
/// since Whisper-like models leave out "um" and "like" unless prompted
/// with text that has them (OpenAI's speech-to-text guide; not reliable,
/// so filler counts are a lower bound).
pub const STYLE_PROMPT: &str =
    "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking.";

/// Reads a reply to a request for `format`. A JSON object needs a string
/// `text`; a body that is not JSON is the text itself when `text` was asked
/// for (or when a server ignored the format and sent plain text).
pub fn read_reply(body: &[u8], format: Format) -> Result<Heard, String> {
    let raw = String::from_utf8_lossy(body);
    let value = match serde_json::from_str::<Value>(&raw) {
        Ok(value) => value,
        Err(_) if format == Format::Text || !raw.trim_start().starts_with(['{', '[']) => {
            return Ok(Heard {
                text: raw.trim().to_string(),
                ..Heard::default()
            })
        }
        Err(e) => return Err(format!("the reply is not valid JSON ({e})")),
    };
    let text = value
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| "the reply has no `text`".to_string())?;
    let number =
        |v: &Value, key: &str| v.get(key).and_then(Value::as_f64).filter(|x| x.is_finite());
    let segments = value
        .get("segments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|s| {
                    let (start, end) = (number(s, "start")?, number(s, "end")?);
                    Some(Segment {
                        start: start.max(0.0),
                        end: end.max(start),
                        text: s.get("text").and_then(Value::as_str)?.trim().to_string(),
                        no_speech: number(s, "no_speech_prob"),
                    })
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    Ok(Heard {
        text: text.trim().to_string(),
        segments,
        duration: number(&value, "duration").filter(|d| *d >= 0.0),
    })
}

/// A transcribed answer: what was heard, from which file, by which model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transcript {
    /// The words as heard (the answer graded, unless the candidate edits it).
    pub text: String,
    /// Timings, when the server's format gives them (`verbose_json`).
    pub segments: Vec<Segment>,
    /// The audio's length: the WAV header's, else the server's, else the
    /// end of the last segment.
    pub audio_secs: Option<f64>,
    /// The recording, which stays where it is: the user's file.
    pub audio_path: PathBuf,
    pub model: String,
    /// The `response_format` the server answered.
    pub format: &'static str,
}

impl Transcript {
    /// From what was heard, with the length read from the file if known.
    pub fn new(
        heard: Heard,
        audio_path: PathBuf,
        file_secs: Option<f64>,
        model: &str,
        format: Format,
    ) -> Transcript {
        let audio_secs = file_secs
            .or(heard.duration)
            .or_else(|| heard.segments.last().map(|s| s.end));
        Transcript {
            text: heard.text,
            segments: heard.segments,
            audio_secs,
            audio_path,
            model: model.to_string(),
            format: format.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_json_gives_segments_and_json_and_text_give_words() {
        let body = br#"{"task":"transcribe","language":"english","duration":4.5,"text":" Hello there. ",
            "segments":[{"id":0,"start":0.0,"end":1.5,"text":" Hello","no_speech_prob":0.01},
                        {"start":2.0,"end":1.0,"text":"there."},{"start":"x","end":3,"text":"skipped"}]}"#;
        let heard = read_reply(body, Format::VerboseJson).unwrap();
        assert_eq!(heard.text, "Hello there.");
        assert_eq!(heard.duration, Some(4.5));
        assert_eq!(heard.segments.len(), 2);
        assert_eq!(heard.segments[0].no_speech, Some(0.01));
        assert_eq!(
            heard.segments[1].end, 2.0,
            "an end before its start is the start"
        );
        let heard = read_reply(
            br#"{"text":"Just words","usage":{"type":"tokens"}}"#,
            Format::Json,
        )
        .unwrap();
        assert_eq!(
            (heard.text.as_str(), heard.segments.len()),
            ("Just words", 0)
        );
        assert_eq!(
            read_reply(b"plain words\n", Format::Text).unwrap().text,
            "plain words"
        );
        assert_eq!(
            read_reply(b"plain words", Format::Json).unwrap().text,
            "plain words"
        );
        assert!(read_reply(br#"{"words":[]}"#, Format::Json)
            .unwrap_err()
            .contains("no `text`"));
        assert!(read_reply(b"{broken", Format::Json).is_err());
    }

    #[test]
    fn silence_and_the_prompt_given_back_are_nothing_heard() {
        let heard = |text: &str, no_speech: &[f64]| Heard {
            text: text.into(),
            segments: no_speech
                .iter()
                .map(|p| Segment {
                    start: 0.0,
                    end: 1.0,
                    text: text.into(),
                    no_speech: Some(*p),
                })
                .collect(),
            duration: None,
        };
        assert!(heard("  ... ", &[]).is_empty());
        assert!(heard("Thank you.", &[0.95, 0.9]).is_empty());
        assert!(!heard("Thank you.", &[0.95, 0.2]).is_empty());
        assert!(heard(STYLE_PROMPT, &[]).is_empty());
        assert!(!heard("Caching keeps results.", &[]).is_empty());
    }

    #[test]
    fn gpt_models_start_at_json_and_others_at_verbose_json() {
        assert_eq!(Format::first_for("gpt-4o-mini-transcribe"), Format::Json);
        assert_eq!(Format::first_for("whisper-1"), Format::VerboseJson);
        assert_eq!(
            Format::first_for("Systran/faster-whisper-small"),
            Format::VerboseJson
        );
        assert_eq!(Format::Json.next(), Some(Format::Text));
        let t = Transcript::new(
            read_reply(
                br#"{"text":"a","segments":[{"start":0,"end":2.5,"text":"a"}]}"#,
                Format::VerboseJson,
            )
            .unwrap(),
            PathBuf::from("a.wav"),
            None,
            "m",
            Format::VerboseJson,
        );
        assert_eq!(t.audio_secs, Some(2.5));
    }
}
