//! Streamed feedback (issue 24): on a terminal the judge's verdict streams
//! and each key point is shown as soon as its entry is complete; the grade is
//! the same as a whole reply's. Servers that do not stream, or refuse
//! `stream_options`, still grade, and are remembered.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::fake_server::{Reply, Request};
use crate::common::fake_stream::{as_asked, asks};
use crate::common::spawn_pty;
use crate::grade::{good_verdict, Judged};

/// The graded answer as `grade` prints it in a pty: with `--json`, the one
/// JSON object; the whole screen otherwise. Waits for the end.
fn grade_in_pty(t: &Judged, json: bool) -> String {
    let vars = t.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec!["grade", "--question", "tq", "--answer-file", "answer.txt"];
    if json {
        args.push("--json");
    }
    let mut p = spawn_pty(&t.env, "", &args, "", &vars);
    p.exp_eof().expect("grade ends")
}

fn json_of(screen: &str) -> Value {
    let start = screen.find('{').expect("a JSON object on screen");
    let end = screen.rfind('}').expect("a JSON object on screen");
    serde_json::from_str(&screen[start..=end]).unwrap_or_else(|e| panic!("{e}: {screen}"))
}

/// A judge that streams `good_verdict` in 12 pieces over `over` when asked to.
fn streaming(over: Duration) -> impl Fn(&Request, usize) -> Reply + Send + Sync {
    move |req, _| as_asked(req, Reply::verdict(&good_verdict()), 12, over)
}

#[test]
fn a_streamed_verdict_gives_the_same_score_and_json_as_a_whole_one() {
    let streamed = Judged::new(streaming(Duration::from_millis(300)));
    let on_screen = json_of(&grade_in_pty(&streamed, true));
    let body = streamed.server.requests()[0].json();
    assert_eq!(asks(&streamed.server.requests()[0]), (true, true), "{body}");
    assert_eq!(streamed.server.streams_done(), 1);

    // Piped, the same judge answers whole.
    let whole = Judged::new(streaming(Duration::from_millis(300)));
    let out = whole.grade_json(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(asks(&whole.server.requests()[0]), (false, false));
    assert_eq!(whole.server.streams_done(), 0);
    assert_eq!(on_screen, out.json(), "same verdict, same score, same JSON");
    assert_eq!(on_screen["score"], 7.5);

    // The tokens of the usage chunk are stored as a whole reply's are.
    let usage = |t: &Judged| {
        let out = t.grill(&["usage", "--json"], "", &[]);
        assert_eq!(out.code, 0, "{out:?}");
        out.json()
    };
    assert_eq!(usage(&streamed), usage(&whole));
}

#[test]
fn the_first_key_point_is_on_screen_before_the_last_byte_is_sent() {
    let t = Judged::new(streaming(Duration::from_secs(3)));
    let vars = t.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let start = Instant::now();
    let mut p = spawn_pty(
        &t.env,
        "",
        &["grade", "--question", "tq", "--answer-file", "answer.txt"],
        "",
        &vars,
    );
    // rexpect reads bytes as Latin-1: the marks are matched as their bytes.
    let mark = |c: &str| c.bytes().map(char::from).collect::<String>();
    // Said to be the judge's claim, before grill's checks.
    p.exp_string("the judge's marks as they arrive, before grill checks its quotes")
        .unwrap();
    p.exp_string(&format!("{} regressions covered", mark("✓")))
        .unwrap();
    let first = start.elapsed();
    assert_eq!(
        t.server.streams_done(),
        0,
        "shown while the verdict streams"
    );
    p.exp_string(&format!("{} docs covered", mark("✓")))
        .unwrap();
    // The points shown before the score, then the whole verdict.
    let rest = p.exp_eof().unwrap();
    let missing = rest
        .find(&format!("{} refactor missing", mark("✗")))
        .expect("the missing point, live");
    let score = rest.find("Score 7.5/10").expect("the score");
    assert!(missing < score, "{rest}");
    assert_eq!(t.server.streams_done(), 1);
    assert!(
        first < Duration::from_millis(2500),
        "first key point after {first:?} of a 3 s stream"
    );
}

#[test]
fn a_server_that_ignores_stream_still_grades_and_is_asked_whole_next_time() {
    let t = Judged::new(|_, _| Reply::verdict(&good_verdict()));
    let screen = grade_in_pty(&t, false);
    assert!(screen.contains("Score 7.5/10"), "{screen}");
    // A new process (another answer: the first is in the verdict cache)
    // remembers the server answers whole.
    t.env.write(
        "answer.txt",
        &format!("{}\nThat is all.", crate::grade::ANSWER),
    );
    let screen = grade_in_pty(&t, false);
    assert!(screen.contains("Score 7.5/10"), "{screen}");
    let asked: Vec<(bool, bool)> = t.server.requests().iter().map(asks).collect();
    assert_eq!(asked, [(true, true), (false, false)]);
}

#[test]
fn a_refused_stream_options_then_a_refused_stream_fall_back() {
    // OpenAI's words for a field it does not take, with its param.
    let refuse = |field: &str| {
        Reply::json(
            400,
            &json!({"error": {"message": format!("Unrecognized request argument supplied: {field}"),
                "type": "invalid_request_error", "param": field, "code": null}}),
        )
    };
    let t = Judged::new(move |req, _| {
        if req.json().get("stream_options").is_some() {
            refuse("stream_options")
        } else {
            as_asked(req, Reply::verdict(&good_verdict()), 6, Duration::ZERO)
        }
    });
    let screen = grade_in_pty(&t, true);
    assert_eq!(json_of(&screen)["score"], 7.5, "{screen}");
    let asked: Vec<(bool, bool)> = t.server.requests().iter().map(asks).collect();
    assert_eq!(asked, [(true, true), (true, false)]);
    assert_eq!(t.server.streams_done(), 1);

    // llama-cpp-python's way: a 500 validation error naming `stream`.
    let t = Judged::new(|req, _| {
        if req.json()["stream"] == json!(true) {
            Reply::error(500, "1 validation error for CreateChatCompletionRequest\nstream\n  Extra inputs are not permitted")
        } else {
            Reply::verdict(&good_verdict())
        }
    });
    let screen = grade_in_pty(&t, true);
    assert_eq!(json_of(&screen)["score"], 7.5, "{screen}");
    let asked: Vec<(bool, bool)> = t.server.requests().iter().map(asks).collect();
    assert_eq!(asked, [(true, true), (false, false)]);
}

#[test]
fn a_stream_that_breaks_off_is_asked_again_whole() {
    let t = Judged::new(|req, n| match n {
        0 => {
            let Reply::Stream {
                headers,
                mut events,
            } = as_asked(req, Reply::verdict(&good_verdict()), 6, Duration::ZERO)
            else {
                panic!("a stream was asked for");
            };
            events.truncate(4);
            // The body ends mid-verdict: no finish reason, no [DONE].
            Reply::Stream { headers, events }
        }
        _ => Reply::verdict(&good_verdict()),
    });
    let screen = grade_in_pty(&t, true);
    assert_eq!(json_of(&screen)["score"], 7.5, "{screen}");
    let asked: Vec<(bool, bool)> = t.server.requests().iter().map(asks).collect();
    assert_eq!(asked, [(true, true), (false, false)]);
}

#[test]
fn in_a_session_only_the_covered_points_are_shown_before_the_score() {
    let t = Judged::new(streaming(Duration::from_millis(600)));
    let vars = t.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut p = spawn_pty(&t.env, "", &["practice", "--question", "tq"], "", &vars);
    p.exp_string("Why do we test?").unwrap();
    p.send_line(
        "Tests catch regressions before users do. They also document how the code behaves.",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.send_line("").unwrap();
    p.exp_string("docs covered").unwrap();
    // A follow-up may still ask about the rest: its mark is not shown live.
    let before_score = p.exp_string("Score").unwrap();
    assert!(!before_score.contains("refactor missing"), "{before_score}");
    assert_eq!(t.server.streams_done(), 1);
}
