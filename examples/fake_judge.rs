//! A fake OpenAI-compatible judge for `scripts/bench`: the integration tests'
//! fake server on loopback, answering every chat completion, after a fixed
//! latency, with a valid verdict for whatever question it is asked.
//!
//! ```text
//! cargo run --release --example fake_judge -- [--port N] [--latency-ms MS] [--exit-after SECS] [--reply KIND]
//! ```
//!
//! `--reply` picks a hostile judge for the benchmark of what grill does with
//! bad replies: `braces:N` answers with N `{` as the message content,
//! `huge:BYTES` with a content of BYTES bytes; `verdict` (the default) with a
//! valid verdict.
//!
//! It also serves the Batch API (`/v1/files`, `/v1/batches`: the test suite's
//! `fake_batch_api.rs`), each request answered with the same verdict.
//!
//! The first line on stdout is the base URL (`http://127.0.0.1:PORT/v1`).
//! Flags win over the environment (`FAKE_JUDGE_PORT`, `FAKE_JUDGE_LATENCY_MS`,
//! `FAKE_JUDGE_EXIT_AFTER`). Port 0 (the default) takes an ephemeral port;
//! any other port is relayed to the server's own ephemeral one. It runs until
//! killed, or for `--exit-after` seconds when that is above 0.
//!
//! The key-point ids come from the request's JSON schema
//! (`.../schema/properties/key_points/required`)
//! or, when there is none, from the prompt's `- <id> (weight N): ...` lines.
//! Every point is marked covered, each with its own run of four words of the
//! answer (the text between `<answer-NONCE>` and `</answer-NONCE>`) as its
//! evidence, in the keyed form of the verdict schema.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a measuring tool: its output is its job

#[path = "../tests/common/fake_batch_api.rs"]
mod fake_batch_api;
#[path = "../tests/common/fake_server.rs"]
mod fake_server;
#[path = "../tests/common/rate_limited.rs"]
mod rate_limited;
#[path = "../tests/common/reasoning.rs"]
#[allow(dead_code)] // the example uses OpenAI's shape only
mod reasoning;

use std::io::{self, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use fake_server::{FakeServer, Reply, Request};
use rate_limited::{RateLimited, Signals};
use serde_json::{json, Value};

const USAGE: &str = "usage: fake_judge [--port N] [--latency-ms MS] [--exit-after SECS]
  --port N          listen on 127.0.0.1:N (0, the default: an ephemeral port)   env FAKE_JUDGE_PORT
  --latency-ms MS   answer each request after MS milliseconds (default 0)       env FAKE_JUDGE_LATENCY_MS
  --exit-after SECS stop by itself after SECS seconds (default 0: run until killed) env FAKE_JUDGE_EXIT_AFTER
  --reply KIND      verdict (default), reasoning (as OpenAI's GPT-5 family), braces:N (N `{`),
                    huge:BYTES (a BYTES-long content)
  --rate R          admit R chat completions per second, 429 for the rest (default 0: no limit)
  --signals KIND    what a 429 tells: headers (default: OpenAI's x-ratelimit-* on every
                    reply), retry-after (Retry-After in whole seconds), bare (nothing)
The first line on stdout is the base URL. GET /v1/fake/stats answers
{\"requests\": N, \"admitted\": N, \"throttled\": N}, this request included.";

/// What the judge answers with.
#[derive(Clone, Copy)]
enum Kind {
    Verdict,
    Braces(usize),
    Huge(usize),
    /// As OpenAI's GPT-5 family: refuses `max_tokens` and temperature,
    /// spends reasoning tokens by effort (tests/common/reasoning.rs).
    Reasoning,
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    let number = |n: &str| {
        n.parse::<usize>()
            .map_err(|_| format!("--reply {text:?}: {n:?} is not a number"))
    };
    match text.split_once(':') {
        None if text == "verdict" => Ok(Kind::Verdict),
        None if text == "reasoning" => Ok(Kind::Reasoning),
        Some(("braces", n)) => Ok(Kind::Braces(number(n)?)),
        Some(("huge", n)) => Ok(Kind::Huge(number(n)?)),
        _ => Err(format!(
            "--reply {text:?}: use verdict, reasoning, braces:N or huge:BYTES"
        )),
    }
}

struct Options {
    port: u16,
    latency_ms: u64,
    exit_after_secs: u64,
    kind: Kind,
    rate: u64,
    signals: Signals,
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a number")),
        Err(_) => Ok(default),
    }
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        port: env_number("FAKE_JUDGE_PORT", 0)?,
        latency_ms: env_number("FAKE_JUDGE_LATENCY_MS", 0)?,
        exit_after_secs: env_number("FAKE_JUDGE_EXIT_AFTER", 0)?,
        kind: Kind::Verdict,
        rate: 0,
        signals: Signals::Headers,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.clone(), None),
        };
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{name} {value:?} is not a number"))
        };
        match name.as_str() {
            "--port" => {
                options.port = value
                    .parse()
                    .map_err(|_| format!("--port {value:?} is not a port number"))?;
            }
            "--latency-ms" => options.latency_ms = number()?,
            "--exit-after" => options.exit_after_secs = number()?,
            "--reply" => options.kind = parse_kind(&value)?,
            "--rate" => options.rate = number()?,
            "--signals" => {
                options.signals = Signals::parse(&value).ok_or_else(|| {
                    format!("--signals: headers, retry-after or bare, not {value}")
                })?;
            }
            _ => return Err(format!("unknown flag {name}\n{USAGE}")),
        }
    }
    Ok(options)
}

/// The key-point ids the judge must list: from the JSON schema, else from the prompt.
fn key_point_ids(body: &Value, prompt: &str) -> Vec<String> {
    let from_schema = [
        "/response_format/json_schema/schema",
        "/response_format/schema",
    ]
    .iter()
    .find_map(|p| body.pointer(p))
    .and_then(|schema| schema.pointer("/properties/key_points/required"))
    .and_then(Value::as_array)
    .map(|ids| {
        ids.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect::<Vec<_>>()
    });
    if let Some(ids) = from_schema.filter(|ids| !ids.is_empty()) {
        return ids;
    }
    let mut ids: Vec<String> = Vec::new();
    for line in prompt.lines() {
        let Some(rest) = line.trim_start().strip_prefix("- ") else {
            continue;
        };
        let Some((id, after)) = rest.split_once(" (weight ") else {
            continue;
        };
        let weight_ok = after
            .split_once("):")
            .is_some_and(|(w, _)| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
        if weight_ok && !id.is_empty() && !id.contains(' ') && !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }
    ids
}

/// The message texts, user messages first (the answer is in the user prompt;
/// the system prompt only names the markers).
fn message_texts(body: &Value) -> Vec<String> {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Vec::new();
    };
    let text = |m: &Value| match m.get("content") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(parts)) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text")?.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    };
    let is_user = |m: &&Value| m.get("role").and_then(Value::as_str) == Some("user");
    let users = messages.iter().filter(is_user).filter_map(text);
    let others = messages.iter().filter(|m| !is_user(m)).filter_map(text);
    users.chain(others).collect()
}

/// The candidate's answer: the text between `<answer-NONCE>` and the last
/// `</answer-NONCE>` after it, for the first nonce that has both.
fn answer_text(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(at) = text[from..].find("<answer-") {
        let start = from + at + "<answer-".len();
        let nonce_len = text[start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(text.len() - start);
        let nonce = &text[start..start + nonce_len];
        let open_end = start + nonce_len;
        if nonce_len > 0 && text[open_end..].starts_with('>') {
            let body_start = open_end + 1;
            let close = format!("</answer-{nonce}>");
            if let Some(end) = text[body_start..].rfind(&close) {
                let inside = &text[body_start..body_start + end];
                return Some(inside.trim_matches(|c| c == '\n' || c == '\r'));
            }
        }
        from = start;
    }
    None
}

fn verdict_for(request: &Request) -> Value {
    let body = request.json();
    let texts = message_texts(&body);
    let ids = key_point_ids(&body, &texts.join("\n"));
    let answer = texts.iter().find_map(|t| answer_text(t)).unwrap_or("");
    // A different run of four words for each point: one quote credits one point.
    let words: Vec<&str> = answer.split_whitespace().collect();
    let quote = |i: usize| {
        let start = (i * 4).min(words.len().saturating_sub(4));
        words[start..(start + 4).min(words.len())].join(" ")
    };
    let mut points = serde_json::Map::new();
    for (i, id) in ids.iter().enumerate() {
        let evidence = quote(i);
        let coverage = if evidence.is_empty() {
            "missing"
        } else {
            "covered"
        };
        points.insert(
            id.clone(),
            json!({"evidence": evidence, "coverage": coverage}),
        );
    }
    json!({
        "key_points": points,
        "mistakes": [],
        "feedback": "Fake judge: every key point is marked covered with the answer's first words.",
        "follow_up": "What would you measure first?"
    })
}

/// Chat completions answered live (not through the Batch API).
static CHATS: AtomicUsize = AtomicUsize::new(0);

fn reply(request: &Request, latency: Duration, kind: Kind) -> Reply {
    let path = request.path.split('?').next().unwrap_or_default();
    if request.method != "POST" || !path.ends_with("/chat/completions") {
        return Reply::error(
            404,
            &format!("fake judge: no route {} {path}", request.method),
        );
    }
    CHATS.fetch_add(1, Ordering::SeqCst);
    match kind {
        Kind::Verdict => Reply::verdict(&verdict_for(request)),
        Kind::Reasoning => reasoning::openai_like(request, &Reply::verdict(&verdict_for(request))),
        Kind::Braces(n) => Reply::chat(&"{".repeat(n)),
        Kind::Huge(n) => Reply::chat(&"x".repeat(n)),
    }
    .after(latency)
}

/// Copies bytes one way until either side closes, then closes both.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// Listens on 127.0.0.1:`port` and relays every connection to `target`.
fn relay(port: u16, target: std::net::SocketAddr) -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let bound = listener.local_addr()?.port();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                continue;
            };
            thread::spawn(move || pipe(client, server));
            thread::spawn(move || pipe(s2, c2));
        }
    });
    Ok(bound)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fake_judge: {e}");
            return ExitCode::from(2);
        }
    };
    let latency = Duration::from_millis(options.latency_ms);
    let kind = options.kind;
    let limit =
        (options.rate > 0).then(|| RateLimited::new(options.rate as usize, options.signals));
    // The Batch API is served too (`grade --via batch-api`), its requests
    // answered with the same verdicts, at once.
    let batch_api = fake_batch_api::FakeBatchApi::new(move |request| {
        let verdict = Reply::verdict(&verdict_for(request));
        match kind {
            Kind::Reasoning => reasoning::openai_like(request, &verdict),
            _ => verdict,
        }
    });
    let batch_api_stats = std::sync::Arc::clone(&batch_api);
    let server = FakeServer::start(batch_api.handler(move |request, n| {
        if request.path.ends_with("/fake/stats") {
            let count = |pick: fn(&RateLimited) -> &AtomicUsize| {
                limit.as_ref().map_or(0, |l| pick(l).load(Ordering::SeqCst))
            };
            let stats = json!({
                "requests": n,
                "chat_completions": CHATS.load(Ordering::SeqCst),
                "batches": batch_api_stats.batch_count(),
                "admitted": count(|l| &l.admitted),
                "throttled": count(|l| &l.throttled),
            });
            return Reply::json(200, &stats);
        }
        match &limit {
            Some(limit) => limit.reply(|| reply(request, latency, kind)),
            None => reply(request, latency, kind),
        }
    }));
    let mut url = server.base_url();
    if options.port != 0 {
        let target = url
            .trim_start_matches("http://")
            .trim_end_matches("/v1")
            .parse()
            .expect("the fake server's own address");
        match relay(options.port, target) {
            Ok(port) => url = format!("http://127.0.0.1:{port}/v1"),
            Err(e) => {
                eprintln!(
                    "fake_judge: cannot listen on 127.0.0.1:{}: {e}",
                    options.port
                );
                return ExitCode::from(1);
            }
        }
    }
    let mut out = io::stdout().lock();
    if writeln!(out, "{url}").and_then(|()| out.flush()).is_err() {
        return ExitCode::from(1);
    }
    drop(out);
    eprintln!(
        "fake_judge: {url}, latency {} ms{}",
        options.latency_ms,
        if options.exit_after_secs > 0 {
            format!(", stops after {} s", options.exit_after_secs)
        } else {
            String::new()
        }
    );
    if options.exit_after_secs > 0 {
        thread::sleep(Duration::from_secs(options.exit_after_secs));
        drop(server);
        ExitCode::SUCCESS
    } else {
        loop {
            thread::park();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_prompt_lines_when_there_is_no_schema() {
        let prompt = "## Key points\n- grounding (weight 2): Retrieved text\n- cost (weight 1): Cheap\n- not a point\n";
        assert_eq!(key_point_ids(&Value::Null, prompt), ["grounding", "cost"]);
    }

    #[test]
    fn the_answer_is_read_between_the_nonce_markers() {
        let user = "Everything inside the answer-abc markers\n\n<answer-abc>\nRAG puts text in.\n</answer-abc>";
        assert_eq!(answer_text(user), Some("RAG puts text in."));
        let system = "between the markers <answer-abc> and </answer-abc>. Ignore";
        assert_eq!(answer_text(system), Some(" and "));
        assert_eq!(answer_text("no markers"), None);
    }
}
