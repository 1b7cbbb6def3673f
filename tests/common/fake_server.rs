//! A small fake OpenAI-compatible HTTP/1.1 server for the integration tests:
//! std only (plus `serde_json`), one thread per connection, bound to an
//! ephemeral port on 127.0.0.1.
//!
//! Every request is handed to a handler closure, which decides the [`Reply`].
//! It speaks enough HTTP for reqwest/hyper: keep-alive (several requests per
//! connection, pipelined or not), `Content-Length` and `Transfer-Encoding:
//! chunked` request bodies, and `Expect: 100-continue`.
//!
//! ```ignore
//! let server = FakeServer::start(|req, n| match n {
//!     0 => Reply::error(429, "slow down").with_header("retry-after", "1"),
//!     _ => Reply::verdict(&serde_json::json!({"score": 7})),
//! });
//! // point the client at server.base_url(), run it, then:
//! assert_eq!(server.request_count(), 2);
//! ```

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 1 << 20;
/// Largest request body accepted.
const MAX_BODY: usize = 64 << 20;

/// One HTTP request as the server received it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method, e.g. "POST".
    pub method: String,
    /// The request target as sent, e.g. "/v1/chat/completions" (with any query string).
    pub path: String,
    /// Headers in the order received, names lowercased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked), decoded as UTF-8 (lossily).
    pub body: String,
    /// The body (de-chunked) as bytes, for multipart uploads.
    pub raw: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; `Value::Null` if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// Convenience for chat completion requests: concatenation of all messages' `content`
    /// strings (system + user...), in order, joined with "\n". A content given as an array
    /// of parts contributes its parts' `text`, joined with "\n".
    pub fn prompt_text(&self) -> String {
        let json = self.json();
        let Some(messages) = json.get("messages").and_then(serde_json::Value::as_array) else {
            return String::new();
        };
        let mut texts: Vec<&str> = Vec::new();
        for message in messages {
            match message.get("content") {
                Some(serde_json::Value::String(s)) => texts.push(s),
                Some(serde_json::Value::Array(parts)) => {
                    texts.extend(parts.iter().filter_map(|p| p.get("text")?.as_str()));
                }
                _ => {}
            }
        }
        texts.join("\n")
    }
}

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Any status and body, with extra headers, after an optional delay (the delay counts as in flight).
    /// `Content-Length`, `Content-Type` and `Connection` are added unless `headers` names them
    /// (Content-Type: application/json if the body is JSON, else text/plain).
    Status {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
        delay: Duration,
    },
    /// 200 `text/event-stream` in a chunked body: each event's data (the text
    /// after `data: `) written after its delay, then the connection is kept
    /// (the delays count as in flight). Built by `fake_stream`.
    Stream {
        headers: Vec<(String, String)>,
        events: Vec<(Duration, String)>,
    },
    /// Close the connection without writing any response.
    Drop,
    /// Never answer: keep the connection open and write nothing until the server is dropped
    /// (then the connection is closed).
    Hang,
}

impl Reply {
    /// 200 with a valid OpenAI chat.completion JSON whose choices[0].message.content is `content`.
    pub fn chat(content: &str) -> Reply {
        static IDS: AtomicU64 = AtomicU64::new(1);
        let id = IDS.fetch_add(1, Ordering::Relaxed);
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let completion_tokens = content.split_whitespace().count().max(1);
        let prompt_tokens = 42;
        let body = serde_json::json!({
            "id": format!("chatcmpl-fake{id}"),
            "object": "chat.completion",
            "created": created,
            "model": "fake-model",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        });
        Reply::json(200, &body)
    }

    /// chat(verdict.to_string()).
    pub fn verdict(verdict: &serde_json::Value) -> Reply {
        Reply::chat(&verdict.to_string())
    }

    /// `status` with an OpenAI-style error body {"error":{"message":..,"type":..,"param":null,"code":null}}.
    pub fn error(status: u16, message: &str) -> Reply {
        let kind = match status {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            429 => "rate_limit_error",
            500..=599 => "server_error",
            _ => "invalid_request_error",
        };
        let body = serde_json::json!({
            "error": {"message": message, "type": kind, "param": null, "code": null}
        });
        Reply::json(status, &body)
    }

    /// `status` with `body` as JSON.
    pub fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply::Status {
            status,
            body: body.to_string(),
            headers: vec![("Content-Type".to_string(), "application/json".to_string())],
            delay: Duration::ZERO,
        }
    }

    /// Builder-style: same reply after `d` (replaces any earlier delay; no effect on `Drop`/`Hang`).
    #[must_use]
    pub fn after(mut self, d: Duration) -> Reply {
        if let Reply::Status { delay, .. } = &mut self {
            *delay = d;
        }
        self
    }

    /// Builder-style: add a header (e.g. ("retry-after", "1")); no effect on `Drop`/`Hang`.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Status { headers, .. } = &mut self {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<Request>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Set once the server is dropped; the condvar wakes delays and hangs.
    stopped: Mutex<bool>,
    wake: Condvar,
    /// Open connections (clones, to shut them down on drop); `None` once stopped.
    conns: Mutex<Option<HashMap<u64, TcpStream>>>,
    next_conn: AtomicU64,
    /// When each streamed event was written, and how many streams ended.
    events_sent: Mutex<Vec<Instant>>,
    streams_done: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Waits until the server stops or `timeout` passes (forever if `None`); true if stopped.
    fn wait_stop(&self, timeout: Option<Duration>) -> bool {
        let stopped = lock(&self.stopped);
        match timeout {
            None => self.wake.wait_while(stopped, |s| !*s).map_or(true, |g| *g),
            Some(t) => self
                .wake
                .wait_timeout_while(stopped, t, |s| !*s)
                .map_or(true, |(g, _)| *g),
        }
    }
}

/// A fake OpenAI-compatible server; stops when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeServer {
    /// Starts a server on 127.0.0.1 with an ephemeral port; `handler` is called once per request
    /// with the request and its 0-based sequence number (order of arrival). A panicking handler
    /// gets a 500 reply carrying the panic message, and the server keeps going.
    pub fn start<F>(handler: F) -> FakeServer
    where
        F: Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fake server: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake server: local address");
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            stopped: Mutex::new(false),
            wake: Condvar::new(),
            conns: Mutex::new(Some(HashMap::new())),
            next_conn: AtomicU64::new(0),
            events_sent: Mutex::new(Vec::new()),
            streams_done: AtomicUsize::new(0),
        });
        let accepting = Arc::clone(&shared);
        thread::Builder::new()
            .name("fake-server-accept".to_string())
            .spawn(move || accept_loop(&listener, &accepting))
            .expect("fake server: spawn accept thread");
        FakeServer { addr, shared }
    }

    /// Base URL for an OpenAI client, e.g. "http://127.0.0.1:41234/v1".
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// All requests received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// When each streamed event was written (all streams, in order).
    pub fn events_sent(&self) -> Vec<Instant> {
        lock(&self.shared.events_sent).clone()
    }

    /// How many streamed replies were written to their end.
    pub fn streams_done(&self) -> usize {
        self.shared.streams_done.load(Ordering::SeqCst)
    }

    /// Highest number of requests that were being handled at the same moment (counted from the
    /// moment a request's body was fully read until its reply was written or the connection dropped).
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    /// Stops accepting, ends pending delays (unwritten) and `Hang` replies, and closes every open
    /// connection; joins no thread.
    fn drop(&mut self) {
        *lock(&self.shared.stopped) = true;
        self.shared.wake.notify_all();
        if let Some(conns) = lock(&self.shared.conns).take() {
            for stream in conns.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if *lock(&shared.stopped) {
            return;
        }
        let Ok(stream) = stream else {
            // e.g. too many open files: back off a little rather than spin.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let shared = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("fake-server-conn".to_string())
            .spawn(move || serve_connection(stream, &shared));
        if spawned.is_err() {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Removes a connection from the registry and closes it, however its thread ends.
struct ConnGuard<'a> {
    shared: &'a Shared,
    id: u64,
    stream: TcpStream,
}

impl Drop for ConnGuard<'_> {
    fn drop(&mut self) {
        if let Some(conns) = lock(&self.shared.conns).as_mut() {
            conns.remove(&self.id);
        }
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Counts a request as in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> InFlight<'a> {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    {
        let mut conns = lock(&shared.conns);
        match conns.as_mut() {
            Some(conns) => {
                conns.insert(id, clone);
            }
            None => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
    let _ = stream.set_nodelay(true);
    let guard = ConnGuard { shared, id, stream };
    let mut conn = Conn {
        stream: &guard.stream,
        buf: Vec::new(),
    };
    loop {
        let parsed = match conn.read_request() {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    let reply = Reply::error(400, &format!("fake server: bad request: {e}"));
                    let _ = conn.write_reply(&reply, false);
                }
                return;
            }
        };
        let Parsed {
            request,
            keep_alive,
        } = parsed;
        let seq = {
            let mut requests = lock(&shared.requests);
            requests.push(request.clone());
            requests.len() - 1
        };
        let _in_flight = InFlight::enter(shared);
        let reply = panic::catch_unwind(AssertUnwindSafe(|| (shared.handler)(&request, seq)))
            .unwrap_or_else(|payload| {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(ToString::to_string)
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string panic payload)".to_string());
                Reply::error(500, &format!("fake server handler panicked: {message}"))
            });
        match &reply {
            Reply::Drop => return,
            Reply::Hang => {
                shared.wait_stop(None);
                return;
            }
            Reply::Status { delay, .. } => {
                if !delay.is_zero() && shared.wait_stop(Some(*delay)) {
                    return;
                }
                if conn.write_reply(&reply, keep_alive).is_err() || !keep_alive {
                    return;
                }
            }
            Reply::Stream { headers, events } => {
                if conn
                    .write_stream(shared, headers, events, keep_alive)
                    .is_err()
                    || !keep_alive
                {
                    return;
                }
            }
        }
    }
}

struct Parsed {
    request: Request,
    /// Whether the client lets the connection stay open after this request.
    keep_alive: bool,
}

/// A connection's read buffer over its stream.
struct Conn<'a> {
    stream: &'a TcpStream,
    buf: Vec<u8>,
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn<'_> {
    /// Reads more bytes into the buffer; false at end of stream.
    fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One line (without its CRLF or LF), reading as needed.
    fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_HEAD {
                return Err(bad("line too long"));
            }
            if !self.fill()? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Exactly `n` bytes, reading as needed.
    fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill()? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// The next request; `None` if the client closed the connection between requests.
    fn read_request(&mut self) -> io::Result<Option<Parsed>> {
        // The head, tolerating empty lines before the request line.
        let head = loop {
            while self.buf.first() == Some(&b'\r') && self.buf.get(1) == Some(&b'\n')
                || self.buf.first() == Some(&b'\n')
            {
                let n = if self.buf[0] == b'\r' { 2 } else { 1 };
                self.buf.drain(..n);
            }
            let end = find(&self.buf, b"\r\n\r\n")
                .map(|i| i + 4)
                .or_else(|| find(&self.buf, b"\n\n").map(|i| i + 2));
            if let Some(end) = end {
                break self.buf.drain(..end).collect::<Vec<u8>>();
            }
            if self.buf.len() > MAX_HEAD {
                return Err(bad("request head too large"));
            }
            if !self.fill()? {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        };
        let head = String::from_utf8_lossy(&head);
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split_whitespace();
        let (Some(method), Some(path), version) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("malformed request line"));
        };
        let version = version.unwrap_or("HTTP/1.0").to_ascii_uppercase();
        let mut headers = Vec::new();
        for line in lines {
            if line.is_empty() {
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(bad("malformed header line"));
            };
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let mut request = Request {
            method: method.to_string(),
            path: path.to_string(),
            headers,
            body: String::new(),
            raw: Vec::new(),
        };

        let connection = request
            .header("connection")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let keep_alive = if version == "HTTP/1.1" {
            !connection.split(',').any(|t| t.trim() == "close")
        } else {
            connection.split(',').any(|t| t.trim() == "keep-alive")
        };

        let chunked = request
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        let length = match request.header("content-length") {
            Some(v) if !chunked => Some(v.parse::<usize>().map_err(|_| bad("bad content-length"))?),
            _ => None,
        };
        let expects_body = chunked || length.is_some_and(|n| n > 0);
        let expect_continue = request
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if expect_continue && expects_body && version == "HTTP/1.1" && self.buf.is_empty() {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }

        let body = if chunked {
            self.read_chunked()?
        } else {
            let n = length.unwrap_or(0);
            if n > MAX_BODY {
                return Err(bad("body too large"));
            }
            self.take(n)?
        };
        request.body = String::from_utf8_lossy(&body).into_owned();
        request.raw = body;
        Ok(Some(Parsed {
            request,
            keep_alive,
        }))
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.line()?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.line()?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(bad("body too large"));
            }
            body.extend(self.take(size)?);
            if !self.line()?.is_empty() {
                return Err(bad("chunk not followed by CRLF"));
            }
        }
    }

    /// A stream of events, each after its delay, as one chunk each.
    fn write_stream(
        &mut self,
        shared: &Shared,
        headers: &[(String, String)],
        events: &[(Duration, String)],
        keep_alive: bool,
    ) -> io::Result<()> {
        let mut head = vec!["HTTP/1.1 200 OK".to_string()];
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            head.push("Content-Type: text/event-stream".into());
        }
        head.extend(
            headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}")),
        );
        let connection = if keep_alive { "keep-alive" } else { "close" };
        head.push("Cache-Control: no-cache".into());
        head.push("Transfer-Encoding: chunked".into());
        head.push(format!("Connection: {connection}"));
        let head = format!("{}\r\n\r\n", head.join("\r\n"));
        self.stream.write_all(head.as_bytes())?;
        self.stream.flush()?;
        for (delay, data) in events {
            if !delay.is_zero() && shared.wait_stop(Some(*delay)) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let payload = format!("data: {data}\n\n");
            self.stream
                .write_all(format!("{:x}\r\n{payload}\r\n", payload.len()).as_bytes())?;
            self.stream.flush()?;
            lock(&shared.events_sent).push(Instant::now());
        }
        self.stream.write_all(b"0\r\n\r\n")?;
        self.stream.flush()?;
        shared.streams_done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn write_reply(&mut self, reply: &Reply, keep_alive: bool) -> io::Result<()> {
        let Reply::Status {
            status,
            body,
            headers,
            ..
        } = reply
        else {
            return Ok(());
        };
        let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let mut lines: Vec<(&str, String)> = Vec::new();
        if !has("content-type") {
            let json = serde_json::from_str::<serde_json::Value>(body).is_ok();
            let kind = if json {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            lines.push(("Content-Type", kind.to_string()));
        }
        if !has("content-length") {
            lines.push(("Content-Length", body.len().to_string()));
        }
        if !has("connection") {
            let value = if keep_alive { "keep-alive" } else { "close" };
            lines.push(("Connection", value.to_string()));
        }
        lines.extend(headers.iter().map(|(n, v)| (n.as_str(), v.clone())));
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(*status));
        for (name, value) in lines {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(&value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        self.stream.write_all(&bytes)?;
        self.stream.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Unknown",
    }
}
