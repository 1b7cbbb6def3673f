//! The transcription client: `POST /audio/transcriptions` on an
//! OpenAI-compatible server (OpenAI, Groq, whisper.cpp's server, speaches,
//! LocalAI). `async-openai` builds the multipart request from its own
//! request type (file, model, prompt, `response_format`); it goes through
//! the judge's HTTP path (`http`), so retries, caps and masking are the
//! same. The reply is read as bytes and parsed by grill (`speech::transcript`),
//! since servers bend the response schema even more than the chat one.
//!
//! Formats are asked for richest first (`verbose_json`, with segment
//! timings), and a server that refuses one is asked for the next (`json`,
//! then `text`); the rung that worked is kept for the rest of the run.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::types::audio::{AudioInput, AudioResponseFormat, CreateTranscriptionRequest};
use async_openai::types::InputSource;

use super::http::{CallError, Policy};
use super::openai::{call_error, client};
use crate::speech::transcript::{read_reply, Format, Heard, STYLE_PROMPT};
use crate::text::Secret;

/// The shortest time one transcription request may take: a long answer on
/// a local CPU server takes minutes, whatever the judge's timeout.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(300);

/// A file to send: the name it is sent under (its extension tells the
/// server the format) and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a transcription failed, in terms a user can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum SttError {
    /// 404 not about a model: the server has no such endpoint.
    NoEndpoint { url: String, message: String },
    /// The server does not know the model.
    UnknownModel { model: String, message: String },
    /// 413: the file is larger than the server takes.
    TooLarge { message: String },
    /// A reply that is not a transcription.
    BadReply { message: String },
    /// Anything else the HTTP path reports.
    Call(CallError),
}

impl std::fmt::Display for SttError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const WHERE: &str = "stt_base_url or GRILL_STT_BASE_URL (the judge's base URL unless set)";
        match self {
            SttError::NoEndpoint { url, message } => write!(
                f,
                "the server has no /audio/transcriptions: `{url}/audio/transcriptions` answered 404 ({message}); name a transcription server with {WHERE}"
            ),
            SttError::UnknownModel { model, message } => write!(
                f,
                "the transcription server does not know the model `{model}` ({message}); set GRILL_STT_MODEL or stt_model"
            ),
            SttError::TooLarge { message } => write!(
                f,
                "the transcription server refused the file as too large (413: {message}); send a shorter or compressed recording"
            ),
            SttError::BadReply { message } => {
                write!(f, "the transcription server sent an unreadable reply: {message}")
            }
            SttError::Call(call) => match call {
                CallError::Auth { status, message } => write!(
                    f,
                    "the transcription server refused the API key ({status}: {message}); check OPENAI_API_KEY"
                ),
                CallError::Unreachable { attempts, reason } => write!(
                    f,
                    "cannot reach the transcription server ({reason}, {attempts} tries); is it running? check {WHERE}"
                ),
                CallError::Rejected {
                    status, message, ..
                } => write!(
                    f,
                    "the transcription server rejected the request ({status}: {message})"
                ),
                other => write!(
                    f,
                    "transcription failed: {}",
                    other.to_string().replace("judge server", "transcription server")
                ),
            },
        }
    }
}

impl std::error::Error for SttError {}

/// Whether a refusal is about the response format, which the next rung may fix.
fn refuses_format(message: &str, param: Option<&str>) -> bool {
    let m = message.to_lowercase();
    param == Some("response_format") || m.contains("response_format") || m.contains("verbose_json")
}

/// Whether an error names the model as what is wrong.
fn about_model(message: &str, param: Option<&str>, code: Option<&str>) -> bool {
    let m = message.to_lowercase();
    param == Some("model")
        || code.is_some_and(|c| c.contains("model"))
        || (m.contains("model")
            && [
                "not found",
                "does not exist",
                "unknown",
                "invalid",
                "not installed",
                "not supported",
            ]
            .iter()
            .any(|w| m.contains(w)))
}

fn response_format(format: Format) -> AudioResponseFormat {
    match format {
        Format::VerboseJson => AudioResponseFormat::VerboseJson,
        Format::Json => AudioResponseFormat::Json,
        Format::Text => AudioResponseFormat::Text,
    }
}

/// A client for one transcription server and model, shared by a run.
pub struct Transcriber {
    client: async_openai::Client<OpenAIConfig>,
    model: String,
    /// The base URL as it may be shown, for errors.
    shown: String,
    secret: Secret,
    /// The rung in use: 0 verbose_json, 1 json, 2 text.
    format: AtomicU8,
}

impl Transcriber {
    pub fn new(
        base_url: &str,
        shown: &str,
        api_key: Option<&str>,
        secret: Secret,
        model: &str,
        mut policy: Policy,
    ) -> Result<Transcriber, String> {
        policy.request_timeout = policy.request_timeout.max(MIN_TIMEOUT);
        let (client, _) = client(base_url, api_key, &secret, policy)?;
        let first = Format::first_for(model);
        Ok(Transcriber {
            client,
            model: model.to_string(),
            shown: shown.to_string(),
            secret,
            format: AtomicU8::new(rung(first)),
        })
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// The format the next request asks for.
    pub fn format(&self) -> Format {
        match self.format.load(Ordering::Relaxed) {
            0 => Format::VerboseJson,
            1 => Format::Json,
            _ => Format::Text,
        }
    }

    /// Transcribes one file: what was heard, and the format it came in.
    /// Errors come back with the secrets masked.
    pub async fn transcribe(&self, upload: &Upload) -> Result<(Heard, Format), SttError> {
        loop {
            let format = self.format();
            let request = CreateTranscriptionRequest {
                file: AudioInput {
                    source: InputSource::VecU8 {
                        filename: upload.name.clone(),
                        vec: upload.bytes.clone(),
                    },
                },
                model: self.model.clone(),
                prompt: Some(STYLE_PROMPT.to_string()),
                response_format: Some(response_format(format)),
                ..CreateTranscriptionRequest::default()
            };
            let sent = self
                .client
                .audio()
                .transcription()
                .create_raw(request)
                .await;
            let err = match sent {
                Ok(body) => {
                    return read_reply(&body, format)
                        .map(|heard| (heard, format))
                        .map_err(|message| SttError::BadReply {
                            message: self.secret.mask_error(&message),
                        })
                }
                Err(err) => call_error(err, &self.secret).masked(&self.secret),
            };
            match err {
                CallError::Rejected {
                    ref message,
                    ref param,
                    ..
                } if refuses_format(message, param.as_deref()) && format.next().is_some() => {
                    let next = format.next().map_or(2, rung);
                    let _ = self.format.compare_exchange(
                        rung(format),
                        next,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
                CallError::NotFound { message } if about_model(&message, None, None) => {
                    return Err(SttError::UnknownModel {
                        model: self.model.clone(),
                        message: format!("404: {message}"),
                    })
                }
                CallError::NotFound { message } => {
                    return Err(SttError::NoEndpoint {
                        url: self.shown.clone(),
                        message,
                    })
                }
                CallError::Rejected {
                    status,
                    message,
                    param,
                    code,
                } if about_model(&message, param.as_deref(), code.as_deref()) => {
                    return Err(SttError::UnknownModel {
                        model: self.model.clone(),
                        message: format!("{status}: {message}"),
                    })
                }
                CallError::Rejected {
                    status: 413,
                    message,
                    ..
                } => return Err(SttError::TooLarge { message }),
                other => return Err(SttError::Call(other)),
            }
        }
    }
}

fn rung(format: Format) -> u8 {
    match format {
        Format::VerboseJson => 0,
        Format::Json => 1,
        Format::Text => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_of_the_format_and_of_the_model_are_told_apart() {
        let openai = "response_format 'verbose_json' is not compatible with model 'gpt-4o-mini-transcribe'. Use 'json' or 'text' instead.";
        assert!(refuses_format(openai, Some("response_format")));
        assert!(refuses_format("Unsupported value: verbose_json", None));
        assert!(!refuses_format("Invalid file format.", Some("file")));
        assert!(about_model(
            "The model `whisper-9` does not exist",
            None,
            None
        ));
        assert!(about_model(
            "Model 'x' is not installed locally.",
            None,
            None
        ));
        assert!(about_model("bad", Some("model"), None));
        assert!(about_model("bad", None, Some("model_not_found")));
        assert!(!about_model("Not Found", None, None));
        assert!(!about_model("Invalid file format.", Some("file"), None));
    }

    #[test]
    fn errors_name_the_transcription_server_and_the_setting() {
        let e = SttError::NoEndpoint {
            url: "http://127.0.0.1:11434/v1".into(),
            message: "404 page not found".into(),
        };
        let text = e.to_string();
        assert!(
            text.starts_with("the server has no /audio/transcriptions: `http://127.0.0.1:11434/v1/audio/transcriptions` answered 404"),
            "{text}"
        );
        assert!(text.contains("GRILL_STT_BASE_URL"), "{text}");
        let e = SttError::Call(CallError::GaveUp {
            attempts: 2,
            last: "server error (500: boom)".into(),
        });
        assert!(
            e.to_string()
                .contains("the transcription server did not answer"),
            "{e}"
        );
    }
}
