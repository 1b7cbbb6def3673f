//! The OpenAI Batch API on the fake server: `POST /v1/files` (multipart,
//! purpose `batch`), `GET /v1/files/{id}/content`, `POST /v1/batches`,
//! `GET /v1/batches/{id}`, `GET /v1/batches` (list, newest first) and
//! `POST /v1/batches/{id}/cancel`, with the real state machine:
//! `validating → in_progress → finalizing → completed`, or `failed` (the
//! input did not validate, or the test says so), `expired` (some requests
//! done, the rest in the error file as `batch_expired`), and
//! `cancelling → cancelled` (what was done is kept).
//!
//! Each `GET /v1/batches/{id}` moves a batch one step, so a client that
//! polls sees every state. Each request line is answered by the test's
//! `answer` closure, given the line's body as a chat-completions `Request`:
//! a 200 reply goes to the output file, any other status to the error file.
//!
//! ```ignore
//! let api = FakeBatchApi::new(|req| echo_verdict(req));
//! let server = FakeServer::start(api.clone().handler(|req, _| echo_verdict(req)));
//! ```

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};

use super::fake_server::{Reply, Request};

/// How a batch ends, when its input is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Complete,
    /// `failed` after validating, with this error and no output.
    Fail,
    /// `expired` after `in_progress`: the first half done, the rest in the
    /// error file with code `batch_expired`.
    Expire,
}

type Answer = dyn Fn(&Request) -> Reply + Send + Sync;
type FateFn = dyn Fn(usize) -> Fate + Send + Sync;
type Rewrite = dyn Fn(&str, &str) -> String + Send + Sync;

struct File {
    purpose: String,
    filename: String,
    content: String,
}

struct Batch {
    id: String,
    index: usize,
    input_file_id: String,
    status: String,
    created_at: u64,
    metadata: Value,
    total: u64,
    completed: u64,
    failed: u64,
    /// Polls spent in `in_progress` so far.
    polls: u32,
    /// The answers: (custom_id, status, body), computed on entering `in_progress`.
    results: Vec<(String, u16, Value)>,
    output_file_id: Option<String>,
    error_file_id: Option<String>,
    errors: Option<Value>,
    fate: Fate,
}

#[derive(Default)]
struct State {
    files: HashMap<String, File>,
    batches: Vec<Batch>,
    next: u64,
    uploads: usize,
    polls: usize,
    /// What the error file says of a request a batch did not reach.
    unfinished_message: Option<String>,
    /// A status every batch reports from its first poll on, whatever its state.
    stuck_status: Option<String>,
    /// The `expires_at` every batch reports (the real API always sends one;
    /// the fake only when told, so its 2023 times do not end real waits).
    expires_at: Option<u64>,
    /// Rewrites each result file as it is made: (`output` or `errors`, content).
    rewrite: Option<Arc<Rewrite>>,
}

pub struct FakeBatchApi {
    state: Mutex<State>,
    answer: Box<Answer>,
    fate: Box<FateFn>,
    /// Polls a batch stays `in_progress`, its counts growing each time.
    progress_polls: u32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn error(status: u16, message: &str) -> Reply {
    Reply::error(status, message)
}

fn ok(body: &Value) -> Reply {
    Reply::Status {
        status: 200,
        body: body.to_string(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        delay: std::time::Duration::ZERO,
    }
}

impl FakeBatchApi {
    /// A Batch API whose requests `answer` answers; every batch completes.
    pub fn new<F>(answer: F) -> Arc<FakeBatchApi>
    where
        F: Fn(&Request) -> Reply + Send + Sync + 'static,
    {
        FakeBatchApi::with_fate(answer, |_| Fate::Complete)
    }

    /// ... and the `n`-th batch created (from 0) ends as `fate(n)` says.
    pub fn with_fate<F, G>(answer: F, fate: G) -> Arc<FakeBatchApi>
    where
        F: Fn(&Request) -> Reply + Send + Sync + 'static,
        G: Fn(usize) -> Fate + Send + Sync + 'static,
    {
        Arc::new(FakeBatchApi {
            state: Mutex::default(),
            answer: Box::new(answer),
            fate: Box::new(fate),
            progress_polls: 2,
        })
    }

    /// A server handler: the Batch API's paths here, the rest to `other`.
    pub fn handler<F>(self: &Arc<Self>, other: F) -> impl Fn(&Request, usize) -> Reply + Send + Sync
    where
        F: Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    {
        let api = Arc::clone(self);
        move |req, n| api.handle(req).unwrap_or_else(|| other(req, n))
    }

    /// From now on, the error file says `message` of each request a batch
    /// did not reach (a hostile server can echo anything there).
    pub fn say_of_unfinished(&self, message: &str) {
        lock(&self.state).unfinished_message = Some(message.to_string());
    }

    /// From now on, every batch polled says `status` and stays as it is.
    pub fn stick_at(&self, status: &str) {
        lock(&self.state).stuck_status = Some(status.to_string());
    }

    /// From now on, every batch says it expires at `at` (Unix seconds).
    pub fn expire_at(&self, at: u64) {
        lock(&self.state).expires_at = Some(at);
    }

    /// From now on, each result file is `f(kind, content)` (kind `output`
    /// or `errors`): duplicate lines, a BOM, CRLF, whatever a server sends.
    pub fn rewrite_files<F>(&self, f: F)
    where
        F: Fn(&str, &str) -> String + Send + Sync + 'static,
    {
        lock(&self.state).rewrite = Some(Arc::new(f));
    }

    /// Moves every batch on until it is finished, as polls would.
    pub fn finish_all(&self) {
        let mut state = lock(&self.state);
        for at in 0..state.batches.len() {
            for _ in 0..20 {
                if matches!(
                    state.batches[at].status.as_str(),
                    "completed" | "failed" | "expired" | "cancelled"
                ) {
                    break;
                }
                self.step(&mut state, at);
            }
        }
    }

    /// How many times a batch was read (`GET /v1/batches/{id}`).
    pub fn poll_count(&self) -> usize {
        lock(&self.state).polls
    }

    /// Batches created so far.
    pub fn batch_count(&self) -> usize {
        lock(&self.state).batches.len()
    }

    /// Files uploaded so far.
    pub fn upload_count(&self) -> usize {
        lock(&self.state).uploads
    }

    /// Statuses of the batches, in creation order.
    pub fn statuses(&self) -> Vec<String> {
        lock(&self.state)
            .batches
            .iter()
            .map(|b| b.status.clone())
            .collect()
    }

    /// Request lines of each batch's input file, in creation order.
    pub fn batch_lines(&self) -> Vec<Vec<Value>> {
        let state = lock(&self.state);
        state
            .batches
            .iter()
            .map(|b| {
                state.files[&b.input_file_id]
                    .content
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect()
            })
            .collect()
    }

    /// The Batch API's reply to `req`, or `None` for a path it does not serve.
    pub fn handle(&self, req: &Request) -> Option<Reply> {
        let path = req.path.split('?').next().unwrap_or_default();
        let query = req.path.split_once('?').map(|(_, q)| q).unwrap_or("");
        let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let reply = match (req.method.as_str(), parts.as_slice()) {
            ("POST", ["files"]) => self.upload(req),
            ("GET", ["files", id, "content"]) => self.content(id),
            ("POST", ["batches"]) => self.create(&req.json()),
            ("GET", ["batches"]) => self.list(query),
            ("GET", ["batches", id]) => self.retrieve(id),
            ("POST", ["batches", id, "cancel"]) => self.cancel(id),
            _ => return None,
        };
        Some(reply)
    }

    fn upload(&self, req: &Request) -> Reply {
        let Some(boundary) = req
            .header("content-type")
            .and_then(|ct| ct.split("boundary=").nth(1))
            .map(|b| b.trim_matches('"').to_string())
        else {
            return error(400, "expected multipart/form-data");
        };
        let mut purpose = None;
        let mut file = None;
        let delimiter = format!("--{boundary}");
        for part in req.body.split(&delimiter).skip(1) {
            if part.starts_with("--") {
                break;
            }
            let part = part.strip_prefix("\r\n").unwrap_or(part);
            let Some((head, body)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let body = body.strip_suffix("\r\n").unwrap_or(body);
            let name = head
                .split("name=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_default();
            match name {
                "purpose" => purpose = Some(body.to_string()),
                "file" => {
                    let filename = head
                        .split("filename=\"")
                        .nth(1)
                        .and_then(|s| s.split('"').next())
                        .unwrap_or("upload")
                        .to_string();
                    file = Some((filename, body.to_string()));
                }
                _ => {}
            }
        }
        let (Some(purpose), Some((filename, content))) = (purpose, file) else {
            return error(400, "a file upload needs `file` and `purpose`");
        };
        if purpose != "batch" {
            return error(
                400,
                &format!("unexpected purpose `{purpose}` for this test"),
            );
        }
        let mut state = lock(&self.state);
        state.next += 1;
        state.uploads += 1;
        let id = format!("file-fake{}", state.next);
        let bytes = content.len();
        state.files.insert(
            id.clone(),
            File {
                purpose: purpose.clone(),
                filename: filename.clone(),
                content,
            },
        );
        ok(&json!({
            "id": id, "object": "file", "bytes": bytes, "created_at": 1_700_000_000,
            "filename": filename, "purpose": purpose, "status": "processed",
        }))
    }

    fn content(&self, id: &str) -> Reply {
        let state = lock(&self.state);
        match state.files.get(id) {
            Some(file) => Reply::Status {
                status: 200,
                body: file.content.clone(),
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                delay: std::time::Duration::ZERO,
            },
            None => error(404, &format!("No such File object: {id}")),
        }
    }

    fn create(&self, body: &Value) -> Reply {
        let input = body["input_file_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if body["endpoint"] != "/v1/chat/completions" {
            return error(400, "endpoint must be /v1/chat/completions in this test");
        }
        if body["completion_window"] != "24h" {
            return error(400, "completion_window must be 24h");
        }
        let mut state = lock(&self.state);
        let Some(file) = state.files.get(&input) else {
            return error(404, &format!("No such File object: {input}"));
        };
        if file.purpose != "batch" {
            return error(400, "the input file's purpose must be batch");
        }
        state.next += 1;
        let index = state.batches.len();
        let batch = Batch {
            id: format!("batch_fake{}", state.next),
            index,
            input_file_id: input,
            status: "validating".into(),
            created_at: 1_700_000_000 + state.next,
            metadata: body["metadata"].clone(),
            total: 0,
            completed: 0,
            failed: 0,
            polls: 0,
            results: Vec::new(),
            output_file_id: None,
            error_file_id: None,
            errors: None,
            fate: (self.fate)(index),
        };
        let reply = batch_json(&batch);
        state.batches.push(batch);
        ok(&reply)
    }

    fn list(&self, query: &str) -> Reply {
        let state = lock(&self.state);
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_string)
        };
        let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
        let mut newest: Vec<&Batch> = state.batches.iter().rev().collect();
        if let Some(after) = param("after") {
            if let Some(at) = newest.iter().position(|b| b.id == after) {
                newest.drain(..=at);
            }
        }
        let page: Vec<Value> = newest.iter().take(limit).map(|b| batch_json(b)).collect();
        ok(&json!({
            "object": "list",
            "first_id": page.first().map(|b| b["id"].clone()),
            "last_id": page.last().map(|b| b["id"].clone()),
            "has_more": newest.len() > limit,
            "data": page,
        }))
    }

    fn retrieve(&self, id: &str) -> Reply {
        let mut state = lock(&self.state);
        let Some(at) = state.batches.iter().position(|b| b.id == id) else {
            return error(404, &format!("No such Batch: {id}"));
        };
        state.polls += 1;
        if let Some(stuck) = state.stuck_status.clone() {
            state.batches[at].status = stuck;
        } else {
            self.step(&mut state, at);
        }
        let mut reply = batch_json(&state.batches[at]);
        if let Some(at) = state.expires_at {
            reply["expires_at"] = at.into();
        }
        ok(&reply)
    }

    fn cancel(&self, id: &str) -> Reply {
        let mut state = lock(&self.state);
        let Some(batch) = state.batches.iter_mut().find(|b| b.id == id) else {
            return error(404, &format!("No such Batch: {id}"));
        };
        if matches!(
            batch.status.as_str(),
            "completed" | "failed" | "expired" | "cancelled"
        ) {
            return error(
                409,
                &format!("Cannot cancel a batch with status {}", batch.status),
            );
        }
        batch.status = "cancelling".into();
        ok(&batch_json(batch))
    }

    /// One step of the state machine.
    fn step(&self, state: &mut State, at: usize) {
        let status = state.batches[at].status.clone();
        match status.as_str() {
            "validating" => {
                let content = state.files[&state.batches[at].input_file_id]
                    .content
                    .clone();
                match Self::validate(&content) {
                    Err(message) => {
                        let b = &mut state.batches[at];
                        b.status = "failed".into();
                        b.errors = Some(json!({"object": "list", "data": [
                            {"code": "invalid_request", "message": message, "param": null, "line": null}
                        ]}));
                    }
                    Ok(_) if state.batches[at].fate == Fate::Fail => {
                        let b = &mut state.batches[at];
                        b.status = "failed".into();
                        b.errors = Some(json!({"object": "list", "data": [
                            {"code": "token_limit_exceeded", "message": "Enqueued token limit reached for this test", "param": null, "line": null}
                        ]}));
                    }
                    Ok(lines) => {
                        let results: Vec<(String, u16, Value)> = lines
                            .iter()
                            .map(|line| {
                                let req = Request {
                                    method: "POST".into(),
                                    path: "/v1/chat/completions".into(),
                                    headers: vec![],
                                    body: line["body"].to_string(),
                                    raw: Vec::new(),
                                };
                                let id = line["custom_id"].as_str().unwrap_or_default().to_string();
                                match (self.answer)(&req) {
                                    Reply::Status { status, body, .. } => (
                                        id,
                                        status,
                                        serde_json::from_str(&body).unwrap_or(Value::String(body)),
                                    ),
                                    _ => (id, 500, json!({"error": {"message": "dropped"}})),
                                }
                            })
                            .collect();
                        let b = &mut state.batches[at];
                        b.total = results.len() as u64;
                        b.results = results;
                        b.status = "in_progress".into();
                    }
                }
            }
            "in_progress" => {
                let b = &mut state.batches[at];
                b.polls += 1;
                let done = if b.fate == Fate::Expire {
                    b.total / 2
                } else {
                    b.total * u64::from(b.polls.min(self.progress_polls))
                        / u64::from(self.progress_polls)
                };
                b.completed = b.results[..done as usize]
                    .iter()
                    .filter(|r| r.1 == 200)
                    .count() as u64;
                b.failed = done - b.completed;
                if b.polls >= self.progress_polls {
                    if b.fate == Fate::Expire {
                        Self::finish(state, at, "expired", done as usize);
                    } else {
                        state.batches[at].status = "finalizing".into();
                    }
                }
            }
            "finalizing" => {
                let total = state.batches[at].results.len();
                Self::finish(state, at, "completed", total);
            }
            "cancelling" => {
                let done = (state.batches[at].completed + state.batches[at].failed) as usize;
                Self::finish(state, at, "cancelled", done);
            }
            _ => {}
        }
    }

    /// Ends a batch with the first `done` requests answered: the 200s in
    /// the output file, the others in the error file, and the rest too
    /// (`batch_expired` / `batch_cancelled`) when the batch did not complete.
    fn finish(state: &mut State, at: usize, status: &str, done: usize) {
        let mut output = String::new();
        let mut errors = String::new();
        let batch_id = state.batches[at].id.clone();
        for (i, (custom_id, code, body)) in state.batches[at].results.iter().enumerate() {
            let line = if i >= done {
                let code = if status == "expired" {
                    "batch_expired"
                } else {
                    "batch_cancelled"
                };
                let message = state
                    .unfinished_message
                    .as_deref()
                    .unwrap_or("This request could not be executed before the batch ended.");
                json!({"id": format!("{batch_id}_req{i}"), "custom_id": custom_id, "response": null,
                       "error": {"code": code, "message": message}})
            } else {
                json!({"id": format!("{batch_id}_req{i}"), "custom_id": custom_id,
                       "response": {"status_code": code, "request_id": format!("req_{i}"), "body": body},
                       "error": null})
            };
            let target = if i < done && *code == 200 {
                &mut output
            } else {
                &mut errors
            };
            target.push_str(&line.to_string());
            target.push('\n');
        }
        let file = |content: String, state: &mut State| -> Option<String> {
            if content.is_empty() {
                return None;
            }
            state.next += 1;
            let id = format!("file-fake{}", state.next);
            state.files.insert(
                id.clone(),
                File {
                    purpose: "batch_output".into(),
                    filename: format!("{batch_id}_output.jsonl"),
                    content,
                },
            );
            Some(id)
        };
        if let Some(rewrite) = state.rewrite.clone() {
            output = rewrite("output", &output);
            errors = rewrite("errors", &errors);
        }
        let output_id = file(output, state);
        let error_id = file(errors, state);
        let b = &mut state.batches[at];
        b.output_file_id = output_id;
        b.error_file_id = error_id;
        b.completed = b.results[..done].iter().filter(|r| r.1 == 200).count() as u64;
        b.failed = b.total - b.completed;
        if status == "completed" {
            b.failed = b.results.iter().filter(|r| r.1 != 200).count() as u64;
        }
        b.status = status.into();
    }

    /// The input file as the real API checks it: JSON lines, each with a
    /// unique `custom_id`, method POST, the batch's url and a body.
    fn validate(content: &str) -> Result<Vec<Value>, String> {
        let mut seen = std::collections::HashSet::new();
        let mut lines = Vec::new();
        for (i, line) in content.lines().enumerate() {
            let n = i + 1;
            let value: Value =
                serde_json::from_str(line).map_err(|e| format!("line {n}: invalid JSON: {e}"))?;
            let id = value["custom_id"]
                .as_str()
                .ok_or(format!("line {n}: no custom_id"))?;
            if !seen.insert(id.to_string()) {
                return Err(format!("line {n}: duplicate custom_id {id}"));
            }
            if value["method"] != "POST" || value["url"] != "/v1/chat/completions" {
                return Err(format!(
                    "line {n}: method must be POST and url /v1/chat/completions"
                ));
            }
            if !value["body"].is_object() || value["body"]["model"].as_str().is_none() {
                return Err(format!("line {n}: body must be an object naming a model"));
            }
            lines.push(value);
        }
        if lines.is_empty() {
            return Err("the input file is empty".into());
        }
        Ok(lines)
    }
}

fn batch_json(b: &Batch) -> Value {
    json!({
        "id": b.id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "errors": b.errors,
        "input_file_id": b.input_file_id,
        "completion_window": "24h",
        "status": b.status,
        "output_file_id": b.output_file_id,
        "error_file_id": b.error_file_id,
        "created_at": b.created_at,
        "request_counts": {"total": b.total, "completed": b.completed, "failed": b.failed},
        "metadata": b.metadata,
    })
}
