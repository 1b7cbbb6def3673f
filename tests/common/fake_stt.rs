//! The fake server's `/v1/audio/transcriptions`: real multipart parsing of
//! the request (boundary from the header, each part's disposition, name,
//! filename and bytes), the fields checked as OpenAI checks them (a `file`
//! with a name and audio bytes, a `model` the server has, a known
//! `response_format`), and a scripted transcript answered as `json`,
//! `verbose_json` (with segments) or `text`. Plus WAV files for the tests.

#![allow(dead_code)]

use serde_json::json;

use super::fake_server::{Reply, Request};

/// One part of a multipart form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// A `key="value"` parameter of a header value.
fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of a `multipart/form-data` request, or why it is not one.
pub fn multipart(req: &Request) -> Result<Vec<Part>, String> {
    let kind = req.header("content-type").ok_or("no Content-Type")?;
    if !kind.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(format!("Content-Type is {kind}, not multipart/form-data"));
    }
    let boundary = param(kind, "boundary").ok_or("no boundary")?;
    let delimiter = format!("--{boundary}").into_bytes();
    let body = &req.raw;
    let mut at = find(body, &delimiter, 0).ok_or("no first boundary")? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        at = find(body, b"\r\n", at).ok_or("boundary line not ended")? + 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("part headers not ended")?;
        let head = String::from_utf8_lossy(&body[at..head_end]).into_owned();
        let data_start = head_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let data_end = find(body, &closing, data_start).ok_or("part not closed by a boundary")?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: body[data_start..data_end].to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    if !value.trim().starts_with("form-data") {
                        return Err(format!("disposition is {value}"));
                    }
                    part.name = param(value, "name").ok_or("a part without a name")?;
                    part.filename = param(value, "filename");
                }
                "content-type" => part.content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
        parts.push(part);
        at = data_end + closing.len();
    }
}

/// What a fake transcription server says.
#[derive(Clone, Debug)]
pub struct Stt {
    /// The model it has; any other gets a 404 naming the model.
    pub model: &'static str,
    /// Segments: start, end, text. The transcript is their texts joined.
    pub segments: Vec<(f64, f64, String)>,
    /// Refuse `verbose_json` as gpt-4o-mini-transcribe does (400).
    pub json_only: bool,
}

impl Stt {
    pub fn saying(model: &'static str, text: &str, secs: f64) -> Stt {
        Stt {
            model,
            segments: vec![(0.0, secs, text.to_string())],
            json_only: false,
        }
    }

    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.2.trim())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The reply to one request to `/v1/audio/transcriptions`.
    pub fn reply(&self, req: &Request) -> Reply {
        let parts = match multipart(req) {
            Ok(parts) => parts,
            Err(why) => return Reply::error(400, &format!("not a multipart form: {why}")),
        };
        let field = |name: &str| parts.iter().find(|p| p.name == name);
        let Some(file) = field("file") else {
            return Reply::error(400, "'file' is a required property");
        };
        let audio = file.data.starts_with(b"RIFF")
            || file.data.starts_with(b"ID3")
            || file.data.get(4..8) == Some(b"ftyp");
        if !audio || file.filename.as_deref().is_none_or(|n| !n.contains('.')) {
            return Reply::error(400, "Invalid file format.");
        }
        let model = field("model").map(Part::text).unwrap_or_default();
        if model != self.model {
            return Reply::json(
                404,
                &json!({"error": {"message": format!("The model `{model}` does not exist or you do not have access to it."), "type": "invalid_request_error", "param": null, "code": "model_not_found"}}),
            );
        }
        let format = field("response_format").map_or_else(|| "json".into(), Part::text);
        let text = self.text();
        match format.as_str() {
            "verbose_json" if self.json_only => Reply::json(
                400,
                &json!({"error": {"message": format!("response_format 'verbose_json' is not compatible with model '{model}'. Use 'json' or 'text' instead."), "type": "invalid_request_error", "param": "response_format", "code": "unsupported_value"}}),
            ),
            "verbose_json" => {
                let end = self.segments.last().map_or(0.0, |s| s.1);
                let segments: Vec<_> = self
                    .segments
                    .iter()
                    .enumerate()
                    .map(|(i, (start, end, text))| json!({"id": i, "seek": 0, "start": start, "end": end, "text": format!(" {text}"), "tokens": [50364], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.3, "no_speech_prob": 0.01}))
                    .collect();
                Reply::json(
                    200,
                    &json!({"task": "transcribe", "language": "english", "duration": end + 0.5, "text": text, "segments": segments, "usage": {"type": "duration", "seconds": end.ceil()}}),
                )
            }
            "json" => Reply::json(
                200,
                &json!({"text": text, "usage": {"type": "tokens", "input_tokens": 10, "output_tokens": 20, "total_tokens": 30}}),
            ),
            "text" => Reply::Status {
                status: 200,
                body: format!("{text}\n"),
                headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                delay: std::time::Duration::ZERO,
            },
            other => Reply::error(400, &format!("Unsupported response_format `{other}`")),
        }
    }
}

/// A mono 16-bit 16 kHz WAV: `secs` of a 440 Hz tone, or of silence.
pub fn wav(secs: f64, tone: bool) -> Vec<u8> {
    let rate = 16_000u32;
    let n = (secs * f64::from(rate)) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&[1, 0, 1, 0]);
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&[2, 0, 16, 0]);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let x = if tone {
            (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin() * 12_000.0
        } else {
            0.0
        };
        out.extend_from_slice(&(x as i16).to_le_bytes());
    }
    out
}

/// A fake `arecord` in `dir/bin` (returned: a `PATH` with it first) that
/// "records" `wav` by copying it to the path it is given (its last
/// argument), then waits to be stopped, as the real one does.
pub fn recorder_on_path(dir: &std::path::Path, wav: &[u8]) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let take = dir.join("take.wav");
    std::fs::write(&take, wav).unwrap();
    let script = bin.join("arecord");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor out; do :; done\ncp '{}' \"$out\" || exit 1\nexec sleep 600\n",
            take.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}
