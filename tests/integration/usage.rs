//! `grill usage`: tokens by model and day from the grades stored with them,
//! cost only at prices the user wrote, and a config file's prices checked
//! field by field.

use serde_json::{json, Value};

use super::grade::{echo_verdict, Judged};
use crate::common::fake_server::Reply;

/// A chat completion as `echo_verdict` answers it, with the usage a provider
/// with prompt caching reports: 1,000 prompt tokens, 600 of them cached, 100 out.
fn cached_reply(req: &crate::common::fake_server::Request) -> Reply {
    let Reply::Status { body, .. } = echo_verdict(req) else {
        unreachable!()
    };
    let mut body: Value = serde_json::from_str(&body).unwrap();
    body["usage"] = json!({
        "prompt_tokens": 1000,
        "completion_tokens": 100,
        "total_tokens": 1100,
        "prompt_tokens_details": {"cached_tokens": 600}
    });
    Reply::Status {
        status: 200,
        body: body.to_string(),
        headers: vec![],
        delay: std::time::Duration::ZERO,
    }
}

fn graded_twice(now: &str) -> Judged {
    let t = Judged::new(|req, _| cached_reply(req));
    let lines = [
        json!({"question": "tq", "answer": "Tests catch regressions before users ever see them."}),
        json!({"question": "tq", "answer": "They document behaviour so refactoring stays safe."}),
    ]
    .map(|l| l.to_string())
    .join("\n");
    t.env.write("batch.jsonl", &lines);
    let out = t.grill(
        &["grade", "--batch", "batch.jsonl"],
        "",
        &[("GRILL_NOW", now)],
    );
    assert_eq!(out.code, 0, "{out:?}");
    t
}

#[test]
fn usage_sums_tokens_by_model_and_day_and_prices_them_from_the_config() {
    let t = graded_twice("2026-03-01T10:00:00Z");
    // Without prices: tokens, no cost, and how to add one.
    let out = t.grill(&["usage", "--json"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    assert_eq!(v["models"][0]["model"], "test-model", "{v}");
    assert_eq!(v["models"][0]["grades"], 2);
    assert_eq!(v["models"][0]["prompt_tokens"], 2000);
    assert_eq!(v["models"][0]["cached_tokens"], 1200);
    assert_eq!(v["models"][0]["completion_tokens"], 200);
    assert_eq!(v["models"][0]["cost"], Value::Null);
    assert_eq!(v["days"][0]["day"], "2026-03-01");
    assert_eq!(v["unpriced_models"], json!(["test-model"]));
    let text = t.grill(&["usage"], "", &[]);
    assert!(
        text.stdout
            .contains("No price for `test-model`: add [prices.\"test-model\"]"),
        "{text:?}"
    );

    t.env.write(
        "config.toml",
        "batch_discount = 0.5\n[prices.\"test-model\"]\ninput = 2.0\ncached_input = 1.0\noutput = 10.0\n",
    );
    let v = t.grill(&["usage", "--json"], "", &[]).json();
    // 800 fresh × 2 + 1,200 cached × 1 + 200 out × 10, per million tokens.
    let cost = v["total"]["cost"].as_f64().unwrap();
    assert!((cost - 0.0048).abs() < 1e-12, "{v}");
    assert_eq!(v["unpriced_models"], json!([]));
    let text = t.grill(&["usage"], "", &[]);
    assert!(text.stdout.contains("0.0048"), "{text:?}");
    assert!(text.stdout.contains("2,000"), "{text:?}");

    // --days counts back from today, today included.
    let later = [("GRILL_NOW", "2026-03-05T10:00:00Z")];
    let v = t
        .grill(&["usage", "--days", "5", "--json"], "", &later)
        .json();
    assert_eq!(v["since"], "2026-03-01");
    assert_eq!(v["total"]["grades"], 2);
    let v = t
        .grill(&["usage", "--days", "4", "--json"], "", &later)
        .json();
    assert_eq!(v["total"]["grades"], 0, "{v}");
    let out = t.grill(&["usage", "--days", "0"], "", &[]);
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn a_window_longer_than_the_calendar_is_all_time_not_a_panic() {
    let t = graded_twice("2026-03-01T10:00:00Z");
    // The date arithmetic once overflowed from about 1e8 days up (exit 101).
    for days in ["100000000", "4294967295"] {
        let out = t.grill(&["usage", "--json", "--days", days], "", &[]);
        assert_eq!(out.code, 0, "--days {days}: {out:?}");
        let v = out.json();
        assert_eq!(v["since"], Value::Null, "{v}");
        assert_eq!(v["total"]["grades"], 2, "{v}");
        let text = t.grill(&["usage", "--days", days], "", &[]);
        assert_eq!(text.code, 0, "{text:?}");
        assert!(!text.stderr.contains("panicked"), "{text:?}");
    }
}

#[test]
fn a_bad_price_stops_every_command_naming_the_field() {
    let t = Judged::new(|_, _| Reply::error(500, "unused"));
    t.env.write(
        "config.toml",
        "batch_discount = 2\n[prices.\"gpt-4o-mini\"]\ninput = \"0.15\"\noutpt = 0.6\n",
    );
    let out = t.grill(&["usage"], "", &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("has 3 problems"), "{out:?}");
    for wanted in [
        "config.toml:1:18: batch_discount must be a fraction from 0 to 1",
        "config.toml:3:9: prices.\"gpt-4o-mini\".input must be a number per million tokens, got the string \"0.15\"",
        "config.toml:4:1: unknown price `prices.\"gpt-4o-mini\".outpt`; did you mean `output`?",
    ] {
        assert!(out.stderr.contains(wanted), "{wanted}\n{out:?}");
    }
    assert_eq!(t.server.request_count(), 0);
}
