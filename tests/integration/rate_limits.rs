//! A live `grade --batch` against a server that admits R requests per
//! second and refuses the rest with 429: the requests in flight adapt
//! (halved on a 429 or a window nearly spent, climbing back one per round),
//! the gate pauses once for everyone when the server says how long, and
//! every answer is graded. Wall time is printed against n / R, never
//! asserted (`scripts/bench` measures it).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::grade::{echo_verdict, good_verdict, Judged, ANSWER};
use crate::common::fake_server::Reply;
use crate::common::rate_limited::{RateLimited, Signals};
use crate::common::Output;

const CONCURRENCY: &str = "16";

struct Run {
    out: Output,
    /// Replies the server refused with 429.
    throttled: usize,
    /// … after the first window.
    throttled_later: usize,
    /// Requests the server admitted.
    admitted: usize,
}

/// `n` distinct answers through `grade --batch --concurrency 16` against a
/// server admitting `per_second`.
fn run_batch(per_second: usize, n: usize, signals: Signals) -> Run {
    let limited = RateLimited::new(per_second, signals);
    let server_side = Arc::clone(&limited);
    let t = Judged::new(move |req, _| server_side.reply(|| echo_verdict(req)));
    let lines: Vec<String> = (0..n)
        .map(|i| {
            json!({"question": "tq", "answer": format!("Answer {i}: tests catch regressions and document behaviour.")})
                .to_string()
        })
        .collect();
    t.env.write("batch.jsonl", &lines.join("\n"));
    let start = Instant::now();
    let out = t.grill(
        &[
            "grade",
            "--batch",
            "batch.jsonl",
            "--concurrency",
            CONCURRENCY,
        ],
        "",
        &[],
    );
    let throttled = limited.throttled.load(Ordering::SeqCst);
    println!(
        "{n} answers at {per_second}/s ({signals:?}): {:.2} s, n / R = {:.2} s, {throttled} replies were 429 ({} after the first window)",
        start.elapsed().as_secs_f64(),
        n as f64 / per_second as f64,
        limited.throttled_later.load(Ordering::SeqCst)
    );
    Run {
        out,
        throttled,
        throttled_later: limited.throttled_later.load(Ordering::SeqCst),
        admitted: limited.admitted.load(Ordering::SeqCst),
    }
}

/// Every answer graded, in order, none failed.
fn assert_all_graded(run: &Run, n: usize) {
    assert_eq!(run.out.code, 0, "{:?}", run.out);
    let results = run.out.json_lines();
    assert_eq!(results.len(), n, "{:?}", run.out);
    for (i, r) in results.iter().enumerate() {
        assert!(r["score"].is_number(), "answer {i} failed: {r}");
        assert_eq!(r["line"], i + 1, "{r}");
    }
    // One admitted request per answer: nothing graded twice, nothing lost.
    assert_eq!(run.admitted, n);
}

/// The cuts and the lowest limit the end-of-run line on stderr reports.
fn summary(out: &Output) -> Option<(u64, u64)> {
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("rate limited: "))?;
    let number_before = |word: &str| -> Option<u64> {
        let at = line.find(word)?;
        line[..at].split_whitespace().last()?.parse().ok()
    };
    let cuts = number_before(" time")?;
    let lowest = line
        .split(" to ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((cuts, lowest))
}

/// The limiter cut the requests in flight at least once, below
/// `--concurrency`, and said so.
fn assert_cut(run: &Run) {
    let (cuts, lowest) = summary(&run.out).unwrap_or_else(|| panic!("no summary: {:?}", run.out));
    assert!(cuts >= 1, "{}", run.out.stderr);
    assert!(lowest < 16, "{}", run.out.stderr);
}

// The rates are low enough that the first sixteen requests overflow a
// window even on a slow machine: each test has 429s to adapt to.

#[test]
fn a_batch_told_retry_after_pauses_once_and_grades_every_answer() {
    let run = run_batch(10, 30, Signals::RetryAfter);
    assert_all_graded(&run, 30);
    assert!(run.throttled > 0, "the server never refused: no test");
    assert_cut(&run);
}

#[test]
fn a_batch_refused_by_bare_429s_still_grades_every_answer() {
    // Nothing but 429s to go on: the gate guesses its pauses.
    let run = run_batch(8, 24, Signals::Bare);
    assert_all_graded(&run, 24);
    assert!(run.throttled > 0, "the server never refused: no test");
    assert_cut(&run);
}

#[test]
fn a_batch_slows_down_when_the_remaining_requests_run_low() {
    let run = run_batch(16, 48, Signals::Headers);
    assert_all_graded(&run, 48);
    assert_cut(&run);
    // The first burst of sixteen overflows the first window of four; after
    // it the gate knows what each window has left and when it resets, and
    // waits instead of sending. What 429s remain come after a pause, when
    // the halved limit goes at once into a fresh window (1 to 9 in trials).
    // Sixteen workers each sleeping and retrying on their own drew 39.
    assert!(
        run.throttled_later < 48 / 3,
        "{} 429s after the first window for 48 answers",
        run.throttled_later
    );
}

#[test]
fn a_batch_without_rate_limits_says_nothing_of_them() {
    let t = Judged::new(|req, _| echo_verdict(req));
    let lines: Vec<String> = (0..8)
        .map(|i| json!({"question": "tq", "answer": format!("Answer {i}: {ANSWER}")}).to_string())
        .collect();
    t.env.write("batch.jsonl", &lines.join("\n"));
    let out = t.grill(
        &["grade", "--batch", "batch.jsonl", "--concurrency", "4"],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json_lines().len(), 8);
    assert!(!out.stderr.contains("rate limited"), "{out:?}");
}

#[test]
fn a_batch_told_to_wait_past_the_budget_gives_up_instead_of_pausing() {
    // An hour's wait is a spent daily limit: each answer fails at its first
    // 429, as a single grade does, and the batch does not sit for an hour.
    let t =
        Judged::new(|_, _| Reply::error(429, "come back later").with_header("retry-after", "3600"));
    let lines: Vec<String> = (0..4)
        .map(|i| json!({"question": "tq", "answer": format!("Answer {i}: {ANSWER}")}).to_string())
        .collect();
    t.env.write("batch.jsonl", &lines.join("\n"));
    let out = t.grill(
        &["grade", "--batch", "batch.jsonl", "--concurrency", "2"],
        "",
        &[],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(t.server.request_count(), 4);
    for r in out.json_lines() {
        let error = r["error"].as_str().unwrap_or_default();
        assert!(error.contains("asked to wait 3600 s"), "{r}");
    }
}

#[test]
fn a_spent_quota_is_not_retried() {
    // OpenAI answers a spent quota with 429 too; no wait refills it.
    let t = Judged::new(|_, n| {
        if n == 0 {
            Reply::error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
            )
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let out = t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-file",
            "answer.txt",
            "--json",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("quota is spent"), "{out:?}");
    assert_eq!(t.server.request_count(), 1);
}
