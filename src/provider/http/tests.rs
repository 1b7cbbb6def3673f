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
