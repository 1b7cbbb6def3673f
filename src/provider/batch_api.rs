//! The Batch API's calls, on the judge's client: upload a requests file
//! (Files API, purpose `batch`), create, read, list and cancel a batch, and
//! download a result file. Reading, listing and cancelling go through
//! `async-openai` and so through the judge's own HTTP path (`http`): the
//! same retries, caps and masking as a live call. Three calls go around it,
//! on the same HTTP client and with the server's words masked the same way:
//! the upload and the download, which stream files far larger than a reply's
//! cap and need far longer than its timeout, and the batch's creation, which
//! must never be retried blindly (see `create_batch`).

use std::path::Path;
use std::time::Duration;

use async_openai::config::Config;
use async_openai::error::OpenAIError;
use async_openai::traits::RequestOptionsBuilder;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

pub use super::batch_status::BatchStatus;
use super::http::{describe, error_message};
use super::openai::{content_of, usage_of, CallError, OpenAiJudge, MAX_REPLY_BYTES};
use crate::verdict::Usage;

/// The endpoint every request line of a grill batch names.
pub const ENDPOINT: &str = "/v1/chat/completions";
/// The only completion window the Batch API offers.
pub const COMPLETION_WINDOW: &str = "24h";
/// Longest an upload or a result file's download may take.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Tries for an upload or a download that meets a 429, a 5xx or a dropped connection.
const TRANSFER_TRIES: u32 = 4;

/// A remote batch as the server last described it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteBatch {
    pub id: String,
    /// `validating`, `in_progress`, `finalizing`, `completed`, `failed`,
    /// `expired`, `cancelling`, `cancelled`, or unknown.
    pub status: BatchStatus,
    pub input_file_id: String,
    pub output_file_id: Option<String>,
    pub error_file_id: Option<String>,
    pub total: u64,
    pub completed: u64,
    pub failed: u64,
    /// Why the batch failed, when it did (the server's words, masked).
    pub errors: Option<String>,
    /// When the server will give up on it (Unix seconds), if it says.
    pub expires_at: Option<i64>,
}

impl RemoteBatch {
    /// Whether the batch will change no more.
    pub fn is_done(&self) -> bool {
        self.status.is_terminal()
    }
}

impl OpenAiJudge {
    /// Uploads a requests file for the Batch API (purpose `batch`); returns
    /// the file's id. The file is streamed from disk, not read into memory,
    /// outside the judge's middleware: a file of up to 200 MB needs far more
    /// than one chat completion's timeout. A try that fails is made again
    /// (a second upload is harmless: the first is an unused file that expires).
    pub async fn upload_batch_file(&self, path: &Path) -> Result<String, CallError> {
        let url = self.client.config().url("/files");
        let name = path.file_name().map_or_else(
            || "requests.jsonl".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let unreadable = |e: std::io::Error| CallError::BadBody {
            message: format!("cannot read `{}`: {e}", path.display()),
        };
        let mut last = String::new();
        for attempt in 0..TRANSFER_TRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            let file = tokio::fs::File::open(path).await.map_err(unreadable)?;
            let len = file.metadata().await.map_err(unreadable)?.len();
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                file,
                256 << 10,
            ));
            let part =
                reqwest::multipart::Part::stream_with_length(body, len).file_name(name.clone());
            let form = reqwest::multipart::Form::new()
                .text("purpose", "batch")
                .part("file", part);
            let sent = self
                .http
                .post(&url)
                .headers(self.client.config().headers())
                .multipart(form)
                .timeout(TRANSFER_TIMEOUT)
                .send()
                .await;
            let resp = match sent {
                Ok(resp) => resp,
                Err(err) => {
                    last = describe(&err);
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let body = read_capped(resp).await;
            if !(200..300).contains(&status) {
                let message = error_message(&body, &self.secret);
                match status {
                    401 | 403 => return Err(CallError::Auth { status, message }),
                    404 => return Err(CallError::NotFound { message }),
                    429 | 500..=599 => {
                        last = format!("server error ({status}: {message})");
                        continue;
                    }
                    _ => {
                        return Err(CallError::Rejected {
                            status,
                            message,
                            param: None,
                            code: None,
                        })
                    }
                }
            }
            let value: Value = serde_json::from_str(&body).unwrap_or_default();
            return value
                .get("id")
                .and_then(Value::as_str)
                .map(|id| self.secret.mask(id))
                .ok_or_else(|| CallError::BadBody {
                    message: format!(
                        "the file upload's reply has no `id`: {}",
                        error_message(&body, &self.secret)
                    ),
                });
        }
        Err(CallError::GaveUp {
            attempts: TRANSFER_TRIES,
            last: self.secret.mask_error(&last),
        })
    }

    /// Creates a batch over an uploaded requests file, with a 24 h window:
    /// one POST, never retried here. A retry after a lost reply could make
    /// a second batch and pay for every answer twice; the caller looks for
    /// the batch by its input file first (`find_batch_for_file`), then
    /// tries again. `Err` says whether trying again may help.
    pub async fn create_batch(
        &self,
        input_file_id: &str,
        metadata: Value,
    ) -> Result<RemoteBatch, (CallError, bool)> {
        let request = json!({
            "input_file_id": input_file_id,
            "endpoint": ENDPOINT,
            "completion_window": COMPLETION_WINDOW,
            "metadata": metadata,
        });
        let url = self.client.config().url("/batches");
        let sent = self
            .http
            .post(&url)
            .headers(self.client.config().headers())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.to_string())
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(err) => {
                let last = self.secret.mask_error(&describe(&err));
                return Err((CallError::GaveUp { attempts: 1, last }, true));
            }
        };
        let status = resp.status().as_u16();
        let body = read_capped(resp).await;
        if !(200..300).contains(&status) {
            let message = error_message(&body, &self.secret);
            return Err(match status {
                401 | 403 => (CallError::Auth { status, message }, false),
                404 => (CallError::NotFound { message }, false),
                429 | 500..=599 => (
                    CallError::GaveUp {
                        attempts: 1,
                        last: format!("server error ({status}: {message})"),
                    },
                    true,
                ),
                _ => (
                    CallError::Rejected {
                        status,
                        message,
                        param: None,
                        code: None,
                    },
                    false,
                ),
            });
        }
        let value: Value = serde_json::from_str(&body).map_err(|_| {
            (
                CallError::BadBody {
                    message: format!("not JSON: {}", error_message(&body, &self.secret)),
                },
                true,
            )
        })?;
        self.parse_batch(&value).map_err(|e| (e, true))
    }

    /// The batch as it stands now.
    pub async fn retrieve_batch(&self, id: &str) -> Result<RemoteBatch, CallError> {
        let result: Result<Value, OpenAIError> = self.client.batches().retrieve_byot(id).await;
        self.batch_of(result)
    }

    /// Asks the server to cancel a batch; it goes through `cancelling`.
    pub async fn cancel_batch(&self, id: &str) -> Result<RemoteBatch, CallError> {
        let result: Result<Value, OpenAIError> = self.client.batches().cancel_byot(id).await;
        self.batch_of(result)
    }

    /// The batch made from `input_file_id`, if the server has one: how a
    /// run that was killed between creating a batch and storing its id
    /// finds it again instead of creating a second one. Pages through the
    /// list, newest first, for at most `max_pages` pages of 100.
    pub async fn find_batch_for_file(
        &self,
        input_file_id: &str,
        max_pages: usize,
    ) -> Result<Option<RemoteBatch>, CallError> {
        let mut after: Option<String> = None;
        for _ in 0..max_pages {
            let mut query = vec![("limit", "100".to_string())];
            if let Some(after) = &after {
                query.push(("after", after.clone()));
            }
            let batches = self
                .client
                .batches()
                .query(&query)
                .map_err(|e| self.call_error(e))?;
            let result: Result<Value, OpenAIError> = batches.list_byot().await;
            let page = result.map_err(|e| self.call_error(e).masked(&self.secret))?;
            let data = page.get("data").and_then(Value::as_array);
            for item in data.into_iter().flatten() {
                if item.get("input_file_id").and_then(Value::as_str) == Some(input_file_id) {
                    return Ok(Some(self.parse_batch(item)?));
                }
            }
            let more = page.get("has_more").and_then(Value::as_bool) == Some(true);
            after = page
                .get("last_id")
                .and_then(Value::as_str)
                .map(str::to_string);
            if !more || after.is_none() {
                break;
            }
        }
        Ok(None)
    }

    /// Streams a file's content (`GET /files/{id}/content`) to `to`,
    /// replacing it. Memory stays flat whatever the file's size.
    pub async fn download_file(&self, file_id: &str, to: &Path) -> Result<(), CallError> {
        let url = self
            .client
            .config()
            .url(&format!("/files/{file_id}/content"));
        let mut last = String::new();
        for attempt in 0..TRANSFER_TRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            let sent = self
                .http
                .get(&url)
                .headers(self.client.config().headers())
                .timeout(TRANSFER_TIMEOUT)
                .send()
                .await;
            let mut resp = match sent {
                Ok(resp) => resp,
                Err(err) => {
                    last = describe(&err);
                    continue;
                }
            };
            let status = resp.status().as_u16();
            if !resp.status().is_success() {
                let body = resp.text().await.unwrap_or_default();
                let message = error_message(&body, &self.secret);
                match status {
                    401 | 403 => return Err(CallError::Auth { status, message }),
                    404 => return Err(CallError::NotFound { message }),
                    429 | 500..=599 => {
                        last = format!("server error ({status}: {message})");
                        continue;
                    }
                    _ => {
                        return Err(CallError::Rejected {
                            status,
                            message,
                            param: None,
                            code: None,
                        })
                    }
                }
            }
            // Readable by its owner only: it holds candidates' answers.
            let mut opts = tokio::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            opts.mode(0o600);
            let mut file = opts.open(to).await.map_err(|e| CallError::BadBody {
                message: format!("cannot write `{}`: {e}", to.display()),
            })?;
            let mut broken = None;
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        file.write_all(&chunk)
                            .await
                            .map_err(|e| CallError::BadBody {
                                message: format!("cannot write `{}`: {e}", to.display()),
                            })?;
                    }
                    Ok(None) => break,
                    Err(err) => {
                        broken = Some(describe(&err));
                        break;
                    }
                }
            }
            match broken {
                Some(why) => last = why,
                None => {
                    file.flush().await.map_err(|e| CallError::BadBody {
                        message: format!("cannot write `{}`: {e}", to.display()),
                    })?;
                    return Ok(());
                }
            }
        }
        Err(CallError::GaveUp {
            attempts: TRANSFER_TRIES,
            last: self.secret.mask_error(&last),
        })
    }

    fn batch_of(&self, result: Result<Value, OpenAIError>) -> Result<RemoteBatch, CallError> {
        let body = result.map_err(|e| self.call_error(e).masked(&self.secret))?;
        self.parse_batch(&body)
    }

    /// A batch object as grill keeps it; every string the server chose is
    /// masked, as a live reply's are.
    fn parse_batch(&self, body: &Value) -> Result<RemoteBatch, CallError> {
        let text = |key: &str| {
            body.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| self.secret.mask(&crate::text::sanitize(s)))
        };
        let count = |key: &str| {
            body.pointer(&format!("/request_counts/{key}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let id = text("id").ok_or_else(|| CallError::BadBody {
            message: "the batch has no `id`".into(),
        })?;
        let errors = body
            .pointer("/errors/data")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
            .map(|errors| {
                errors
                    .iter()
                    .take(3)
                    .map(|e| {
                        let message = e.get("message").and_then(Value::as_str).unwrap_or("");
                        let code = e.get("code").and_then(Value::as_str).unwrap_or("error");
                        format!("{code}: {message}")
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .map(|text| error_message(&json!({ "error": text }).to_string(), &self.secret));
        Ok(RemoteBatch {
            id,
            // The server's own word for an unknown status is kept masked:
            // it is printed and stored.
            status: match BatchStatus::from_server(
                body.get("status").and_then(Value::as_str).unwrap_or(""),
            ) {
                BatchStatus::Unknown(raw) => BatchStatus::Unknown(self.secret.mask(&raw)),
                known => known,
            },
            input_file_id: text("input_file_id").unwrap_or_default(),
            output_file_id: text("output_file_id"),
            error_file_id: text("error_file_id"),
            total: count("total"),
            completed: count("completed"),
            failed: count("failed"),
            errors,
            expires_at: body.get("expires_at").and_then(Value::as_i64),
        })
    }
}

/// A reply's body as text, read within the reply cap.
async fn read_capped(mut resp: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            break;
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The assistant's text and the tokens of a chat completion found in a
/// result file, read as a live reply is.
pub fn reply_of(body: &Value) -> Result<(String, Option<Usage>), CallError> {
    Ok((content_of(body)?, usage_of(body)))
}
