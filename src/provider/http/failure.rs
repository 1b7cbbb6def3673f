//! Why a call failed, in words a user can act on (`CallError`), and what a
//! server's error body says: its message (masked, then cut), its
//! `param`/`code`, and whether it is a spent quota, a refusal of the
//! request's shape or a prompt too long. The caps the messages name live
//! here too. `http` decides what to retry; this file only reads and words.

use serde_json::Value;

use crate::text::{self, Secret};

/// Largest reply body read, in bytes. A verdict is a few kilobytes; anything
/// near this is a broken or hostile server, and is treated as an invalid reply.
pub const MAX_REPLY_BYTES: usize = 1 << 20;
/// Redirects followed before giving up (a loop would otherwise run until the budget).
pub const MAX_REDIRECTS: usize = 5;
/// Longest server message kept, in characters.
const MESSAGE_CHARS: usize = 200;

/// Why a call failed, in terms a user can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// 401 or 403.
    Auth { status: u16, message: String },
    /// 404: wrong base URL or model.
    NotFound { message: String },
    /// Another 4xx, e.g. a request option the server does not support;
    /// `param` and `code` are the body's `error.param` and `error.code`.
    Rejected {
        status: u16,
        message: String,
        param: Option<String>,
        code: Option<String>,
    },
    /// A 429 saying the account's quota is spent: no wait refills it.
    Quota { message: String },
    /// Retries ran out within the budget; `last` says what the last try saw.
    GaveUp { attempts: u32, last: String },
    /// The connection was refused or the host name did not resolve, try after try.
    Unreachable { attempts: u32, reason: String },
    /// More than `MAX_REDIRECTS` redirects.
    Redirects,
    /// The server answered 200 with something that is not a chat completion.
    BadBody { message: String },
    /// The reply was over `MAX_REPLY_BYTES`; reading stopped there.
    TooLarge,
    /// The prompt does not fit the model's context window.
    TooLong { status: u16, message: String },
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Auth { status, message } => write!(
                f,
                "the judge server refused the API key ({status}: {message}); check OPENAI_API_KEY"
            ),
            CallError::NotFound { message } => write!(
                f,
                "the judge server answered 404 ({message}); check the base URL (OPENAI_BASE_URL, --base-url) and the model (GRILL_MODEL, --model)"
            ),
            CallError::Rejected {
                status, message, ..
            } => {
                write!(f, "the judge server rejected the request ({status}: {message})")
            }
            CallError::Quota { message } => write!(
                f,
                "the judge server says the account's quota is spent (429: {message}); check the plan and billing with the provider"
            ),
            CallError::GaveUp { attempts, last } => write!(
                f,
                "the judge server did not answer after {attempts} tr{} ({last})",
                if *attempts == 1 { "y" } else { "ies" }
            ),
            CallError::Unreachable { attempts, reason } => write!(
                f,
                "cannot reach the judge server ({reason}, {} tr{}); is it running? check the base URL (OPENAI_BASE_URL, --base-url)",
                attempts,
                if *attempts == 1 { "y" } else { "ies" }
            ),
            CallError::Redirects => write!(
                f,
                "the judge server redirected more than {MAX_REDIRECTS} times; check the base URL (OPENAI_BASE_URL, --base-url)"
            ),
            CallError::BadBody { message } => write!(f, "the judge server sent an unreadable reply: {message}"),
            CallError::TooLarge => write!(
                f,
                "the judge server's reply was larger than {} MiB; reading stopped there",
                MAX_REPLY_BYTES >> 20
            ),
            CallError::TooLong { status, message } => write!(
                f,
                "the prompt does not fit the judge model's context ({status}: {message}); use a model with a longer context, or a shorter answer"
            ),
        }
    }
}

impl std::error::Error for CallError {}

impl CallError {
    /// The same error with the secrets (and anything key-shaped) masked in
    /// the server's words: servers echo the key they were sent.
    pub(in crate::provider) fn masked(self, secret: &Secret) -> CallError {
        let m = |text: String| text::mask_key_shaped(&secret.mask_error(&text));
        match self {
            CallError::Auth { status, message } => CallError::Auth {
                status,
                message: m(message),
            },
            CallError::NotFound { message } => CallError::NotFound {
                message: m(message),
            },
            CallError::Rejected {
                status,
                message,
                param,
                code,
            } => CallError::Rejected {
                status,
                message: m(message),
                param: param.map(|p| text::sanitize(&m(p))),
                code: code.map(|c| text::sanitize(&m(c))),
            },
            CallError::Quota { message } => CallError::Quota {
                message: m(message),
            },
            CallError::GaveUp { attempts, last } => CallError::GaveUp {
                attempts,
                last: m(last),
            },
            CallError::Unreachable { attempts, reason } => CallError::Unreachable {
                attempts,
                reason: m(reason),
            },
            CallError::BadBody { message } => CallError::BadBody {
                message: m(message),
            },
            CallError::TooLong { status, message } => CallError::TooLong {
                status,
                message: m(message),
            },
            other @ (CallError::Redirects | CallError::TooLarge) => other,
        }
    }
}

/// The server's error message from an OpenAI-style body, or the start of
/// the body: secrets masked first, then line breaks made spaces and other
/// control characters dropped, then cut
/// to a line, so no cut can leave part of a key behind.
pub fn error_message(body: &str, secret: &Secret) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.pointer("/0/error/message"))
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let text = text::mask_key_shaped(&secret.mask_error(&text));
    // Line breaks become spaces, so words on two lines stay two words.
    let text: String = text
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    let text = text::cut(text.trim(), MESSAGE_CHARS);
    if text.is_empty() {
        "no message".into()
    } else {
        text
    }
}

/// `error.param` and `error.code` of an error body: OpenAI's form, or a
/// list of such bodies (Gemini's compatible endpoint); strings only, cut to a
/// field name's length.
pub fn error_fields(body: &str) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return (None, None);
    };
    let error = v
        .get("error")
        .or_else(|| v.pointer("/0/error"))
        .filter(|e| e.is_object());
    let field = |name: &str| {
        error
            .and_then(|e| e.get(name))
            .and_then(Value::as_str)
            .map(|s| text::cut(s, 80))
    };
    (field("param"), field("code"))
}

/// What went wrong with a request that got no HTTP answer, in plain words.
pub fn describe(err: &reqwest::Error) -> String {
    if err.is_redirect() {
        return format!("more than {MAX_REDIRECTS} redirects");
    }
    if err.is_timeout() {
        return "request timed out".into();
    }
    // The root cause says "Connection refused", "failed to lookup address"...
    let mut root: &dyn std::error::Error = err;
    while let Some(next) = root.source() {
        root = next;
    }
    let cause = root.to_string().to_lowercase();
    if cause.contains("refused") {
        "connection refused".into()
    } else if cause.contains("lookup") || cause.contains("resolve") || cause.contains("dns") {
        "the host name did not resolve".into()
    } else if err.is_connect() {
        "could not connect".into()
    } else {
        "connection closed before a reply".into()
    }
}

/// Whether a 429 says the account's quota is spent (OpenAI's
/// `insufficient_quota`), which no retry fixes, rather than a rate limit.
pub fn is_out_of_quota(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("insufficient_quota") || m.contains("exceeded your current quota")
}

/// Whether a 5xx is really the server refusing the request, which no retry
/// will change: a complaint about the response format, or a request
/// validation error (llama-cpp-python answers every one of those with a 500,
/// e.g. "1 validation error ... 'loc': ('body', 'response_format', 'type')").
pub fn is_refusal(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "response_format",
        "json_schema",
        "schema",
        "validation error",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Whether a refusal says the prompt is longer than the model's context:
/// not the format's fault, and no rung will change it.
pub fn is_context_overflow(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("context_length") || m.contains("context length") || m.contains("context window")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_openai_bodies_or_raw_text() {
        let none = Secret::default();
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key"}}"#, &none),
            "bad key"
        );
        assert_eq!(
            error_message(r#"{"error":"model not found"}"#, &none),
            "model not found"
        );
        assert_eq!(
            error_message("<html>\x1b[31mBad Gateway</html>", &none),
            "<html>[31mBad Gateway</html>"
        );
        assert_eq!(error_message("", &none), "no message");
    }

    #[test]
    fn error_messages_are_masked_before_they_are_cut() {
        for (key, pad) in [
            ("sk-test-SECRET123", 160),
            ("0123456789abcdefghijklmnopqrstuv", 141),
        ] {
            let secret = Secret::new(key);
            let body = format!(
                r#"{{"error":{{"message":"{}{key} was sent"}}}}"#,
                "x".repeat(pad)
            );
            let message = error_message(&body, &secret);
            assert!(message.chars().count() <= MESSAGE_CHARS, "{message}");
            for run in key.as_bytes().windows(4) {
                let run = std::str::from_utf8(run).unwrap();
                assert!(
                    !message.contains(run) || "xxxx".contains(run),
                    "{run} in {message}"
                );
            }
        }
        let short = Secret::new("test");
        assert_eq!(
            error_message(r#"{"error":"bad key test"}"#, &short),
            "bad key [redacted]"
        );
    }

    #[test]
    fn only_complaints_about_the_format_step_down() {
        assert!(is_refusal(
            "Input should be 'text' or 'json_object' at response_format.type"
        ));
        assert!(is_refusal("invalid JSON Schema"));
        assert!(is_refusal(
            "1 validation error: {'type': 'float_parsing', 'loc': ('body', 'temperature')}"
        ));
        assert!(!is_refusal("CUDA out of memory"));
        assert!(is_out_of_quota(
            "You exceeded your current quota, please check your plan and billing details."
        ));
        assert!(!is_out_of_quota("Rate limit reached for requests"));
        assert!(is_context_overflow(
            "This model's maximum context length is 4096 tokens. However, you requested 5031 tokens"
        ));
    }
}
