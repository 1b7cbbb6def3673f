use super::*;

#[test]
fn backoff_grows_and_stays_capped() {
    let p = Policy::new(Duration::from_secs(1), Duration::from_secs(10));
    for attempt in 0..20 {
        let d = p.backoff(attempt);
        let exp = (p.base_backoff * 2u32.pow(attempt.min(16))).min(p.max_backoff);
        assert!(d >= exp / 2 && d <= exp, "attempt {attempt}: {d:?}");
    }
}

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

#[test]
fn retry_notices_say_what_and_when() {
    assert_eq!(
        retry_notice(
            "server busy (429: slow down)",
            Duration::from_millis(2500),
            2,
            None
        ),
        "server busy (429: slow down), retrying in 3 s, try 2"
    );
    assert_eq!(
        retry_notice("connection refused", Duration::from_millis(400), 2, Some(3)),
        "connection refused, retrying in 1 s, try 2 of 3"
    );
}

#[test]
fn retry_after_reads_seconds() {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("retry-after", "2".parse().unwrap());
    assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
    h.insert(
        "retry-after",
        "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
    );
    assert_eq!(retry_after(&h), None);
}

#[test]
fn a_message_on_several_lines_keeps_its_words_apart() {
    let none = Secret::default();
    assert_eq!(
        error_message(
            "1 validation error for CreateChatCompletionRequest\nstream\n\tExtra inputs",
            &none
        ),
        "1 validation error for CreateChatCompletionRequest stream  Extra inputs"
    );
}
