//! The limiter's arithmetic and the headers it reads, on a real tokio clock.

use super::*;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn reset_durations_read_as_openai_writes_them() {
    assert_eq!(parse_reset("1s"), Some(Duration::from_secs(1)));
    assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
    assert_eq!(parse_reset("20ms"), Some(Duration::from_millis(20)));
    assert_eq!(parse_reset("0.5s"), Some(Duration::from_millis(500)));
    assert_eq!(parse_reset("2"), Some(Duration::from_secs(2)));
    assert_eq!(parse_reset("1m30s"), Some(Duration::from_secs(90)));
    assert_eq!(parse_reset("soon"), None);
    assert_eq!(parse_reset("5x"), None);
    assert_eq!(parse_reset(""), None);
}

#[test]
fn without_a_maximum_the_gate_lets_everything_through() {
    let l = Arc::new(Limiter::default());
    assert!(block_on(l.acquire()).is_none());
    assert_eq!(l.limit(), usize::MAX);
}

#[test]
fn a_429_halves_the_limit_once_per_burst_and_successes_climb_back() {
    block_on(async {
        let l = Arc::new(Limiter::default());
        l.set_max(8);
        let permits: Vec<Permit> = futures::future::join_all((0..8).map(|_| l.acquire()))
            .await
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(permits.len(), 8);
        // Eight requests of one burst come back 429: one halving.
        for p in permits {
            p.throttled(Some(Duration::from_millis(100)));
        }
        assert_eq!((l.limit(), l.decreases()), (4, 1));
        // The pause holds every request back, then four go at once.
        let start = Instant::now();
        let permits: Vec<Permit> = futures::future::join_all((0..4).map(|_| l.acquire()))
            .await
            .into_iter()
            .flatten()
            .collect();
        assert!(start.elapsed() >= Duration::from_millis(100));
        // A fifth waits for a slot.
        let fifth = l.acquire();
        tokio::pin!(fifth);
        assert!(
            tokio::time::timeout(Duration::from_millis(10), fifth.as_mut())
                .await
                .is_err()
        );
        // Each success adds 1 / limit: about one more per round.
        for p in permits {
            p.succeeded(RateHeaders::default());
        }
        let fifth = fifth.await.expect("a slot");
        assert_eq!(l.limit(), 4, "4.92 after four successes");
        fifth.succeeded(RateHeaders::default());
        assert_eq!(l.limit(), 5);
    });
}

#[test]
fn a_window_nearly_spent_cuts_the_limit_and_an_empty_one_pauses_the_gate() {
    block_on(async {
        let l = Arc::new(Limiter::default());
        l.set_max(4);
        let a = l.acquire().await.unwrap();
        let b = l.acquire().await.unwrap();
        // One left and another request still out: the window is spent.
        a.succeeded(RateHeaders {
            remaining: Some(0),
            reset: Some(Duration::from_millis(300)),
        });
        assert_eq!(l.limit(), 2);
        b.succeeded(RateHeaders {
            remaining: Some(50),
            reset: None,
        });
        let start = Instant::now();
        let _c = l.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(300), "paused");
    });
}

/// Takes `n` permits at once (the gate must have room for them).
async fn take(l: &Arc<Limiter>, n: usize) -> Vec<Permit> {
    futures::future::join_all((0..n).map(|_| l.acquire()))
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn rate_headers_are_read_from_a_reply() {
    let mut h = reqwest::header::HeaderMap::new();
    assert_eq!(RateHeaders::read(&h), RateHeaders::default());
    h.insert("x-ratelimit-remaining-requests", " 59 ".parse().unwrap());
    h.insert("x-ratelimit-reset-requests", "1s".parse().unwrap());
    assert_eq!(
        RateHeaders::read(&h),
        RateHeaders {
            remaining: Some(59),
            reset: Some(Duration::from_secs(1)),
        }
    );
    // Nonsense is no signal, not an error.
    h.insert("x-ratelimit-remaining-requests", "-3".parse().unwrap());
    h.insert("x-ratelimit-reset-requests", "later".parse().unwrap());
    assert_eq!(RateHeaders::read(&h), RateHeaders::default());
    // A reset of a day is capped at an hour.
    assert_eq!(parse_reset("30h"), Some(Duration::from_secs(3600)));
}

#[test]
fn the_limit_never_drops_below_one_nor_climbs_past_the_maximum() {
    block_on(async {
        let l = Arc::new(Limiter::default());
        l.set_max(3);
        for _ in 0..5 {
            let p = l.acquire().await.unwrap();
            p.throttled(Some(Duration::ZERO));
        }
        assert_eq!(
            (l.limit(), l.decreases()),
            (1, 2),
            "3 -> 1.5 -> 1, then floored"
        );
        // From 1: +1, +1/2, +1/2.5 ... and never past 3.
        for _ in 0..50 {
            let p = l.acquire().await.unwrap();
            p.succeeded(RateHeaders::default());
        }
        assert_eq!(l.limit(), 3);
        let summary = l.summary().unwrap();
        assert_eq!(
            summary,
            Summary {
                max: 3,
                refused: 5,
                decreases: 2,
                lowest: 1
            }
        );
        assert_eq!(
            summary.to_string(),
            "rate limited: the server refused 5 requests with 429; requests in flight were cut 2 times (from 3 to 1 at the lowest)"
        );
    });
}

#[test]
fn a_run_the_server_never_pushed_back_on_has_nothing_to_report() {
    block_on(async {
        let l = Arc::new(Limiter::default());
        assert_eq!(l.summary(), None, "not gating");
        l.set_max(4);
        let permits = take(&l, 4).await;
        for p in permits {
            p.succeeded(RateHeaders {
                remaining: Some(100),
                reset: Some(Duration::from_secs(1)),
            });
        }
        assert_eq!(l.summary(), None);
    });
}

#[test]
fn the_window_the_headers_describe_is_not_overrun() {
    block_on(async {
        let l = Arc::new(Limiter::default());
        l.set_max(8);
        let first = l.acquire().await.unwrap();
        // Two left, and one more request already out that may take one.
        let other = l.acquire().await.unwrap();
        first.succeeded(RateHeaders {
            remaining: Some(2),
            reset: Some(Duration::from_millis(200)),
        });
        assert_eq!(l.limit(), 8, "two left for one other in flight: no cut");
        // The window holds one more: it goes at once, the next waits.
        let start = Instant::now();
        let one = l.acquire().await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(200));
        let next = l.acquire().await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "waited for the reset"
        );
        drop((other, one, next));
    });
}

#[test]
fn a_429_without_a_wait_pauses_for_a_guess_that_doubles_in_a_row() {
    block_on(async {
        let l = Arc::new(Limiter::default());
        l.set_max(2);
        let mut pauses = Vec::new();
        for _ in 0..3 {
            let p = l.acquire().await.unwrap();
            let sent = Instant::now();
            p.throttled(None);
            let until = l.state().paused_until.expect("paused");
            pauses.push(until.saturating_duration_since(sent));
        }
        // Jittered within [guess / 2, guess]: 250 ms, 500 ms, 1 s.
        for (pause, guess) in pauses.iter().zip([250, 500, 1000]) {
            let guess = Duration::from_millis(guess);
            assert!(*pause >= guess / 2 && *pause <= guess, "{pauses:?}");
        }
        // A success ends the run of throttles: the next guess starts over.
        l.acquire().await.unwrap().succeeded(RateHeaders::default());
        let p = l.acquire().await.unwrap();
        let sent = Instant::now();
        p.throttled(None);
        let until = l.state().paused_until.unwrap();
        assert!(until.saturating_duration_since(sent) <= FIRST_GUESSED_PAUSE);
    });
}

#[test]
fn a_window_running_low_cuts_once_until_it_resets() {
    block_on(async {
        let l = Arc::new(Limiter::default());
        l.set_max(8);
        let mut permits = take(&l, 4).await;
        let low = RateHeaders {
            remaining: Some(0),
            reset: Some(Duration::from_millis(150)),
        };
        // Three let through after the first: the window is spent.
        permits.remove(0).succeeded(low);
        assert_eq!((l.limit(), l.decreases()), (4, 1));
        // Its other replies say the same of the same window: no more cuts.
        permits.remove(0).succeeded(low);
        permits.remove(0).succeeded(low);
        assert_eq!(l.decreases(), 1);
        // Nor its last.
        permits.remove(0).succeeded(low);
        assert_eq!(l.decreases(), 1);
        // After the reset, a window running low cuts again.
        let a = l.acquire().await.unwrap();
        let _b = l.acquire().await.unwrap();
        a.succeeded(RateHeaders {
            remaining: Some(1),
            reset: Some(Duration::from_millis(150)),
        });
        assert_eq!((l.limit(), l.decreases()), (2, 2));
    });
}
