//! Streamed chat completions: the request asks for server-sent events
//! (`stream: true`, and `stream_options.include_usage` where the server takes
//! it), and the reply is read event by event within the same size cap as a
//! whole one (`MAX_REPLY_BYTES`). The content is assembled whole, then
//! handed back exactly as a whole reply would be: the verdict is parsed,
//! checked and scored from the whole text, never from a piece. While it
//! arrives, each key point whose entry is complete is told to a `Progress`
//! callback (`verdict::PointScan`), which only shows it.
//!
//! The chunk shapes read are OpenAI's: `choices[0].delta.content` pieces, a
//! `finish_reason` in the last chunk with choices, a last chunk whose
//! `choices` is empty (or `null`, as vLLM sends it) carrying `usage`, then
//! `data: [DONE]`; llama.cpp puts `usage` in its last chunk with choices,
//! and any chunk's non-null `usage` is taken, the last one winning. An error
//! sent as an event (`data: {"error": {...}}`) ends the reply.

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use serde_json::json;

use super::http::{describe, error_message, is_event_stream, send, CallError, MAX_REPLY_BYTES};
use super::openai::{reply_of, usage_of, OpenAiJudge, Progress, Reply};
use crate::text::Secret;
use crate::verdict::PointScan;

/// A streamed reply, assembled: the content, the last `usage` object sent,
/// and the `finish_reason`.
#[derive(Debug, Default, PartialEq)]
pub struct Streamed {
    pub text: String,
    pub usage: Option<Value>,
    pub finish: Option<String>,
}

impl OpenAiJudge {
    /// One streamed request (`with_usage`: with `stream_options`), its
    /// events read as they come and the reply handed back whole. A server
    /// that answers with one JSON body is asked whole from then on; a stream
    /// that breaks off is asked again whole.
    pub(super) async fn streamed(
        &self,
        whole: Value,
        with_usage: bool,
        progress: &Progress,
    ) -> Result<Reply, CallError> {
        use async_openai::config::Config;
        let mut body = whole.clone();
        body["stream"] = true.into();
        if with_usage {
            body["stream_options"] = json!({"include_usage": true});
        }
        let config = self.client.config();
        let factory = request(
            &self.http,
            config.url("/chat/completions"),
            config.headers(),
            &body,
        );
        let resp = send(
            self.http.clone(),
            self.policy.clone(),
            self.secret.clone(),
            factory,
        )
        .await
        .map_err(|e| self.call_error(e))?;
        if !is_event_stream(resp.headers()) {
            // Read within the cap already (`http::send`).
            let body = resp.bytes().await.unwrap_or_default();
            let body: Value = serde_json::from_slice(&body).map_err(|_| CallError::BadBody {
                message: format!(
                    "not JSON: {}",
                    error_message(&String::from_utf8_lossy(&body), &self.secret)
                ),
            })?;
            let reply = reply_of(&body)?;
            self.lock_shape().no_stream();
            return Ok(reply);
        }
        match read(resp, &self.secret, Some(progress)).await? {
            Ok(streamed) => Ok(Reply {
                text: streamed.text,
                usage: streamed
                    .usage
                    .and_then(|u| usage_of(&json!({ "usage": u }))),
                truncated: streamed.finish.as_deref() == Some("length"),
            }),
            Err(_broken) => self.whole(whole).await,
        }
    }
}

/// The request for `url` with `body`, rebuilt for every try, asking for events.
pub(super) fn request(
    http: &reqwest::Client,
    url: String,
    headers: HeaderMap,
    body: &Value,
) -> HttpRequestFactory {
    let http = http.clone();
    let body = serde_json::to_vec(body).unwrap_or_default();
    HttpRequestFactory::new(move || {
        let built = http
            .post(&url)
            .headers(headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
            .body(body.clone())
            .build()
            .map_err(OpenAIError::Reqwest);
        async move { built }
    })
}

/// Reads the events of `resp` until `[DONE]` or the end of the body.
/// `Ok(Err(why))`: the stream broke before the reply was whole (a dropped
/// connection), worth asking again whole; `Err`: the reply is over the cap or
/// the server sent an error.
pub(super) async fn read(
    mut resp: reqwest::Response,
    secret: &Secret,
    progress: Option<&Progress>,
) -> Result<Result<Streamed, String>, CallError> {
    let mut events = Events::default();
    let mut reply = Assembly::default();
    let mut read = 0usize;
    loop {
        let bytes = match resp.chunk().await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => break,
            Err(err) => return Ok(Err(describe(&err))),
        };
        read += bytes.len();
        if read > MAX_REPLY_BYTES {
            return Err(CallError::TooLarge);
        }
        for data in events.feed(&bytes) {
            if reply.event(&data, secret, progress)? {
                return Ok(Ok(reply.whole));
            }
        }
    }
    if let Some(data) = events.finish() {
        if reply.event(&data, secret, progress)? {
            return Ok(Ok(reply.whole));
        }
    }
    // Some servers close the stream without `[DONE]`; a finish reason says
    // the reply is whole all the same.
    if reply.whole.finish.is_some() {
        Ok(Ok(reply.whole))
    } else {
        Ok(Err("the stream ended before the reply was whole".into()))
    }
}

/// Server-sent events split out of a byte stream: the `data` of each event
/// (lines joined by `\n`), other fields and comments dropped. Lines end in
/// `\n`, `\r\n` or `\r`.
#[derive(Debug, Default)]
struct Events {
    line: Vec<u8>,
    data: Option<String>,
    after_cr: bool,
}

impl Events {
    fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    out.extend(self.line_done(&line));
                }
                b => {
                    self.after_cr = false;
                    self.line.push(b);
                }
            }
        }
        out
    }

    /// The last event of a body that ended without its blank line.
    fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            self.line_done(&line);
        }
        self.data.take()
    }

    fn line_done(&mut self, line: &[u8]) -> Option<String> {
        if line.is_empty() {
            return self.data.take();
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = line.split_once(':').unwrap_or((&line, ""));
        if field == "data" {
            let value = value.strip_prefix(' ').unwrap_or(value);
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
        None
    }
}

/// The reply being assembled, and the scan of its key points.
#[derive(Default)]
struct Assembly {
    whole: Streamed,
    scan: PointScan,
}

impl Assembly {
    /// Reads one event's data; returns whether the stream is done (`[DONE]`).
    fn event(
        &mut self,
        data: &str,
        secret: &Secret,
        progress: Option<&Progress>,
    ) -> Result<bool, CallError> {
        let data = data.trim();
        if data == "[DONE]" {
            return Ok(true);
        }
        if data.is_empty() {
            return Ok(false);
        }
        let chunk: Value = serde_json::from_str(data).map_err(|_| CallError::BadBody {
            message: format!(
                "a streamed chunk is not JSON: {}",
                error_message(data, secret)
            ),
        })?;
        if chunk.get("error").is_some_and(|e| !e.is_null()) {
            return Err(CallError::BadBody {
                message: format!(
                    "the stream ended in an error: {}",
                    error_message(data, secret)
                ),
            });
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.whole.usage = Some(usage.clone());
        }
        let Some(choice) = chunk.pointer("/choices/0") else {
            return Ok(false);
        };
        if let Some(piece) = choice.pointer("/delta/content").and_then(Value::as_str) {
            self.whole.text.push_str(piece);
            for point in self.scan.feed(piece) {
                if let Some(progress) = progress {
                    progress(&point);
                }
            }
        }
        if let Some(finish) = choice.get("finish_reason").and_then(Value::as_str) {
            self.whole.finish = Some(finish.to_string());
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests;
