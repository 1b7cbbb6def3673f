//! The benchmark of streamed feedback for `scripts/bench stream`: a fake
//! judge on loopback streams a verdict over a few seconds (the integration
//! tests' fake server and SSE chunks), `grill grade` runs in a pseudo-terminal
//! as a candidate would see it, and the figures are the time from the first
//! content byte the server sent to the first key point on screen, and to the
//! score.
//!
//! ```text
//! cargo run --release --example stream_bench -- [--grill PATH] [--over-ms MS] [--pieces N] [--runs N]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // a measuring tool: its output is its job

#[path = "../tests/common/fake_server.rs"]
mod fake_server;
#[path = "../tests/common/fake_stream.rs"]
mod fake_stream;

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use fake_server::{FakeServer, Reply};
use serde_json::json;

const BANK: &str = r#"topic = "testing"
title = "Testing"

[[questions]]
id = "tq"
question = "Why do we test?"
difficulty = "core"
model_answer = "Tests catch regressions, document behaviour and allow refactoring."

[[questions.key_points]]
id = "regressions"
point = "Tests catch regressions"
weight = 2

[[questions.key_points]]
id = "docs"
point = "Tests document behaviour"

[[questions.key_points]]
id = "refactor"
point = "Tests make refactoring safe"
"#;

const ANSWER: &str =
    "Tests catch regressions before users do.\nThey also document how the code behaves.";

struct Options {
    grill: String,
    over: Duration,
    pieces: usize,
    runs: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        grill: "target/release/grill".into(),
        over: Duration::from_secs(3),
        pieces: 60,
        runs: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} {value:?} is not a number"))
        };
        match flag.as_str() {
            "--grill" => o.grill.clone_from(&value),
            "--over-ms" => o.over = Duration::from_millis(number()?),
            "--pieces" => o.pieces = usize::try_from(number()?).unwrap_or(1).max(1),
            "--runs" => o.runs = usize::try_from(number()?).unwrap_or(1).max(1),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(o)
}

/// One run: (first content byte → first key point, → score, last byte → score).
fn run(o: &Options, verdict: &str) -> Result<(Duration, Duration, Duration), String> {
    let content = verdict.to_string();
    let (over, pieces) = (o.over, o.pieces);
    let server = FakeServer::start(move |req, _| {
        fake_stream::as_asked(req, Reply::chat(&content), pieces, over)
    });
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(home.path().join("bank")).map_err(|e| e.to_string())?;
    std::fs::write(home.path().join("bank/testing.toml"), BANK).map_err(|e| e.to_string())?;
    std::fs::write(home.path().join("answer.txt"), ANSWER).map_err(|e| e.to_string())?;
    std::fs::write(home.path().join("config.toml"), "").map_err(|e| e.to_string())?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("stty rows 30 cols 100; exec \"$0\" \"$@\"")
        .arg(std::fs::canonicalize(&o.grill).map_err(|e| format!("{}: {e}", o.grill))?)
        .args([
            "--bank",
            "bank",
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
        ])
        .current_dir(home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("GRILL_HOME", home.path().join("data"))
        .env("GRILL_CONFIG", home.path().join("config.toml"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("OPENAI_BASE_URL", server.base_url())
        .env("OPENAI_API_KEY", "sk-bench-not-a-real-key")
        .env("GRILL_MODEL", "bench-model");
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).map_err(|e| e.to_string())?;
    // rexpect reads bytes as Latin-1; the words after the mark are ASCII.
    p.exp_string(" regressions covered")
        .map_err(|e| format!("no key point: {e}"))?;
    let point = Instant::now();
    p.exp_string("Score ")
        .map_err(|e| format!("no score: {e}"))?;
    let score = Instant::now();
    let _ = p.exp_eof();
    let sent = server.events_sent();
    // Event 0 is the role chunk with empty content; event 1 the first content.
    let (Some(first), Some(last)) = (sent.get(1), sent.last()) else {
        return Err("the server streamed nothing: did grill ask to stream?".into());
    };
    Ok((
        point - *first,
        score - *first,
        score.saturating_duration_since(*last),
    ))
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("stream_bench: {e}");
            return ExitCode::from(2);
        }
    };
    let verdict = json!({
        "key_points": {
            "regressions": {"evidence": "Tests catch regressions before users", "coverage": "covered"},
            "docs": {"evidence": "document how the code behaves", "coverage": "covered"},
            "refactor": {"evidence": "", "coverage": "missing"}
        },
        "mistakes": [],
        "feedback": "Good on regressions and on documentation; say how tests make refactoring safe, with an example from your own work.",
        "follow_up": "How do tests make refactoring safer?"
    })
    .to_string();
    let mut points = Vec::new();
    let mut scores = Vec::new();
    let mut after_last = Vec::new();
    for i in 0..o.runs {
        match run(&o, &verdict) {
            Ok((point, score, tail)) => {
                eprintln!(
                    "run {}: first key point {}, score {}, score after the last byte {}",
                    i + 1,
                    ms(point),
                    ms(score),
                    ms(tail)
                );
                points.push(point);
                scores.push(score);
                after_last.push(tail);
            }
            Err(e) => {
                eprintln!("stream_bench: run {}: {e}", i + 1);
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "## Streamed feedback: a {}-byte verdict in {} pieces over {:.1} s, median of {} runs",
        verdict.len(),
        o.pieces,
        o.over.as_secs_f64(),
        o.runs
    );
    println!();
    println!("| measure | from the first content byte |");
    println!("|---|---|");
    println!("| first key point on screen | {} |", ms(median(points)));
    println!("| score on screen | {} |", ms(median(scores)));
    println!(
        "| (score after the last byte) | {} |",
        ms(median(after_last))
    );
    ExitCode::SUCCESS
}
