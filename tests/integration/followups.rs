//! Follow-up rounds through the piped protocol and the real binary: the
//! prompt after a partial answer, the follow-up graded against the open
//! points only with evidence from its own answer, recovered points at half
//! weight, offline follow-ups from the missed point, the interview's clock
//! stopped while the judge works, and the reports.

use serde_json::{json, Value};

use crate::common::fake_server::{Reply, Request};
use crate::grade::{schema_ids, verdict, Judged};

/// The candidate's text inside the prompt's answer delimiter.
fn answer_in(req: &Request) -> String {
    let text = req.prompt_text();
    let Some(open) = text.rfind("<answer-") else {
        return String::new();
    };
    let body = &text[open..];
    let start = body.find('>').map_or(0, |i| i + 1);
    let end = body.find("</answer-").unwrap_or(body.len());
    body[start..end].trim().to_string()
}

/// First the answer: regressions covered, docs and refactor missing, and a
/// follow-up question. Then the follow-up: refactor covered by its answer;
/// docs "covered" with words that are not in the follow-up answer (they
/// were in nobody's answer); and `regressions`, not open, claimed covered.
pub fn interviewer(req: &Request, _n: usize) -> Reply {
    let answer = answer_in(req);
    if answer.starts_with("Tests catch regressions") {
        return Reply::verdict(&verdict(
            &[
                (
                    "regressions",
                    "covered",
                    "Tests catch regressions before users",
                ),
                ("docs", "missing", ""),
                ("refactor", "missing", ""),
            ],
            0,
        ));
    }
    let mut points = serde_json::Map::new();
    for id in schema_ids(&req.json()) {
        let id = id.as_str().unwrap().to_string();
        let (coverage, evidence) = match id.as_str() {
            "refactor" => ("covered", "change the code without fear"),
            "docs" => ("covered", "they describe the behaviour precisely"),
            _ => ("covered", "Tests catch regressions before users"),
        };
        points.insert(id, json!({"coverage": coverage, "evidence": evidence}));
    }
    Reply::verdict(
        &json!({"key_points": points, "mistakes": [], "feedback": "ok", "follow_up": ""}),
    )
}

pub const ANSWER: &str = "Tests catch regressions before users do.";
pub const FOLLOW_UP_ANSWER: &str =
    "With tests in place I can change the code without fear of breaking it.";

/// `grill --offline practice --question tq --follow-ups 1` with `stdin`,
/// which must succeed.
fn offline_practice(t: &Judged, stdin: &str) -> crate::common::Output {
    let args = [
        "--offline",
        "practice",
        "--question",
        "tq",
        "--follow-ups",
        "1",
    ];
    let out = t.grill(&args, stdin, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    out
}

fn last_attempt(t: &Judged) -> Value {
    let history = t.grill(&["history", "--json"], "", &[]).json();
    history.as_array().unwrap()[0].clone()
}

#[test]
fn a_partial_answer_gets_a_follow_up_graded_on_the_open_points_only() {
    let t = Judged::new(interviewer);
    let stdin = format!("{ANSWER}\n\n{FOLLOW_UP_ANSWER}\n\n");
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        &stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    // The follow-up is the judge's own question, asked before the verdict
    // and the model answer are shown.
    let asked = out.stdout.find("How do tests make refactoring safer?");
    let model = out.stdout.find("Model answer");
    assert!(asked.is_some() && model.is_some(), "{}", out.stdout);
    assert!(asked < model, "{}", out.stdout);
    assert!(out.stdout.contains("Score so far 5.0/10"), "{}", out.stdout);

    // Two judge calls; the second asks only about the open points, and
    // carries the follow-up answer, not the first one.
    let requests = t.server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        schema_ids(&requests[1].json()),
        [json!("docs"), json!("refactor")]
    );
    assert_eq!(answer_in(&requests[1]), FOLLOW_UP_ANSWER);
    // The judge's follow-up goes in a box of its own, not in the question.
    let prompt = requests[1].prompt_text();
    assert!(
        prompt.contains("How do tests make refactoring safer?\n</follow-up-"),
        "{prompt}"
    );
    assert!(!prompt.contains("Follow-up: How do tests"), "{prompt}");

    // Exactly `refactor` is recovered: `docs` quoted words not in the
    // follow-up answer, and `regressions` was not open.
    let a = last_attempt(&t);
    let points = a["verdict"]["key_points"].as_array().unwrap();
    let recovered: Vec<&str> = points
        .iter()
        .filter(|p| p["recovered"] == true)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(recovered, ["refactor"], "{a}");
    // regressions 2 of 4, refactor half of 1: 2.5 / 4.
    assert_eq!(a["score"], 6.3, "{a}");
    let round = &a["verdict"]["follow_ups"][0];
    assert_eq!(round["score_before"], 5.0);
    assert_eq!(round["answer"], FOLLOW_UP_ANSWER);
    assert_eq!(round["points"], json!(["docs", "refactor"]));
    // The answer was stored before the follow-up was graded.
    assert_eq!(
        a["extra"]["follow_up_answers"][0]["answer"], FOLLOW_UP_ANSWER,
        "{a}"
    );

    // The verdict shown after the round, and the session report.
    assert!(
        out.stdout
            .contains("↺ recovered on follow-up, half credit: “change the code without fear”"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("recovered on follow-up: refactor; answer alone 5.0"),
        "{}",
        out.stdout
    );
    let md = t.grill(&["report", "--format", "md"], "", &[]).stdout;
    assert!(
        md.contains("Follow-up: How do tests make refactoring safer?"),
        "{md}"
    );
    assert!(md.contains("recovered refactor"), "{md}");
    let report = t.grill(&["report", "--format", "json"], "", &[]).json();
    assert_eq!(report["attempts"][0]["recovered"], json!(["refactor"]));
}

#[test]
fn follow_ups_are_off_on_a_pipe_unless_asked_for_and_zero_turns_them_off() {
    let t = Judged::new(interviewer);
    let out = t.grill(
        &["practice", "--question", "tq"],
        &format!("{ANSWER}\n\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stdout.contains("Follow-up ·"), "{}", out.stdout);
    assert_eq!(t.server.request_count(), 1);
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "0"],
        &format!("{ANSWER}\n\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        t.server.request_count(),
        1,
        "the same answer: from the cache"
    );
    let bad = t.grill(&["practice", "--follow-ups", "9"], "", &[]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("--follow-ups"), "{bad:?}");
}

#[test]
fn an_unanswered_follow_up_changes_nothing_and_says_so() {
    let t = Judged::new(interviewer);
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        &format!("{ANSWER}\n\n:skip\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(t.server.request_count(), 1);
    let a = last_attempt(&t);
    assert_eq!(a["score"], 5.0);
    assert_eq!(a["verdict"]["follow_ups"][0]["note"], "not answered");
    assert!(
        out.stdout.contains("follow-up: not answered"),
        "{}",
        out.stdout
    );
}

#[test]
fn offline_the_follow_up_names_the_missed_point_and_is_self_graded_on_it_alone() {
    let t = Judged::new(interviewer);
    // The follow-up comes first, before the model answer is shown, about
    // the heaviest point the keyword estimate finds open: docs and refactor
    // weigh 1; docs comes first. Then the self-grade: regressions y, docs n,
    // refactor n; then the follow-up's checklist, one line, answered y.
    let stdin = "Tests catch regressions.\n\nThey describe what the code does.\n\ny\nn\nn\ny\n";
    let out = offline_practice(&t, stdin);
    assert_eq!(t.server.request_count(), 0);
    assert!(
        out.stdout
            .contains("Take one part of this further, starting from “Tests document…”"),
        "{}",
        out.stdout
    );
    // The question steers to the point by its first words, before the
    // model answer could give it away; the point is marked after.
    let asked_at = out.stdout.find("Take one part of this further").unwrap();
    let model_answer_at = out.stdout.find("Model answer").unwrap();
    assert!(asked_at < model_answer_at, "{}", out.stdout);
    let checklist = &out.stdout[model_answer_at..];
    assert_eq!(
        checklist.matches("1/1").count(),
        1,
        "one point to mark: {checklist}"
    );
    let a = last_attempt(&t);
    let recovered: Vec<&str> = a["verdict"]["key_points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["recovered"] == true)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(recovered, ["docs"]);
    assert_eq!(a["score"], 6.3, "(2 + 0.5) of 4: {a}");
    assert!(
        out.stdout.contains("recovered on follow-up"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_offline_interview_asks_its_follow_up_on_the_clock_and_grades_it_at_the_end() {
    let t = Judged::new(interviewer);
    // The answer, the follow-up's answer, then at the end the self-grade
    // (regressions y, docs n, refactor n) and the follow-up's one point, y.
    let stdin = "Tests catch regressions.\n\nThey describe what the code does.\n\ny\nn\nn\ny\n";
    let out = t.grill(
        &[
            "--offline",
            "interview",
            "--minutes",
            "5",
            "--question",
            "tq",
            "--follow-ups",
            "1",
        ],
        stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let asked_at = out.stdout.find("Take one part of this further").unwrap();
    let grading_at = out.stdout.find("Time to grade yourself").unwrap();
    let model_answer_at = out.stdout.find("Model answer").unwrap();
    assert!(
        asked_at < grading_at && grading_at < model_answer_at,
        "{}",
        out.stdout
    );
    let a = last_attempt(&t);
    let round = &a["verdict"]["follow_ups"][0];
    assert_eq!(round["answer"], "They describe what the code does.", "{a}");
    assert_eq!(round["recovered"], json!(["docs"]), "{a}");
    assert_eq!(a["score"], 6.3, "(2 + 0.5) of 4: {a}");
}

#[test]
fn an_offline_follow_up_about_a_point_the_self_grade_covered_recovers_nothing() {
    let t = Judged::new(interviewer);
    // The estimate leaves docs open, so the follow-up asks about it; the
    // candidate then marks docs covered in the answer itself: nothing is
    // left for the follow-up, which is kept but not marked.
    let stdin = "Tests catch regressions.\n\nThey describe what the code does.\n\ny\ny\nn\n";
    offline_practice(&t, stdin);
    let a = last_attempt(&t);
    let round = &a["verdict"]["follow_ups"][0];
    assert_eq!(round["recovered"], json!([]), "{a}");
    assert!(round["note"].as_str().unwrap().contains("covered"), "{a}");
    assert_eq!(a["score"], 7.5, "(2 + 1) of 4: {a}");
}

/// `:quit` at a self-graded follow-up still grades the answer, then ends;
/// the round says it was left, not that it was never asked.
#[test]
fn quit_at_an_offline_follow_up_grades_the_answer_and_says_the_round_was_left() {
    let t = Judged::new(interviewer);
    let stdin = "Tests catch regressions.\n\n:quit\ny\nn\nn\n";
    let out = offline_practice(&t, stdin);
    let a = last_attempt(&t);
    assert_eq!(a["score"], 5.0, "regressions, 2 of 4: {a}");
    let round = &a["verdict"]["follow_ups"][0];
    assert_eq!(round["note"], "you left it unanswered", "{a}");
    assert!(
        out.stdout
            .contains("Follow-up not graded: you left it unanswered"),
        "{}",
        out.stdout
    );
}

/// A long follow-up answer is cut where it is shown again above its
/// checklist, as a long answer is, and stored whole.
#[test]
fn a_long_offline_follow_up_answer_is_cut_on_screen_and_stored_whole() {
    let t = Judged::new(interviewer);
    let long = "They describe what the code does. ".repeat(200);
    let stdin = format!("Tests catch regressions.\n\n{long}\n\ny\nn\nn\ny\n");
    let out = offline_practice(&t, &stdin);
    let shown = out.stdout.split("Your answer: ").nth(1).unwrap();
    let shown = &shown[..shown.find("1/1").unwrap()];
    assert!(shown.ends_with("… cut here\n"), "{shown}");
    assert!(shown.lines().count() <= 9, "{shown}");
    let a = last_attempt(&t);
    let stored = a["extra"]["follow_up_answers"][0]["answer"]
        .as_str()
        .unwrap();
    assert!(
        stored == long,
        "stored {} of {} characters",
        stored.len(),
        long.len()
    );
}

/// A follow-up marked partial recovers nothing, and says why: only a
/// point the follow-up covers in full is recovered.
#[test]
fn an_offline_follow_up_marked_partial_recovers_nothing_and_says_why() {
    let t = Judged::new(interviewer);
    let stdin = "Tests catch regressions.\n\nThey describe what the code does.\n\ny\nn\nn\np\n";
    let out = offline_practice(&t, stdin);
    let a = last_attempt(&t);
    assert_eq!(a["verdict"]["follow_ups"][0]["recovered"], json!([]), "{a}");
    assert_eq!(a["score"], 5.0, "2 of 4: {a}");
    let flat = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Nothing recovered on the follow-up: a point is recovered when the follow-up covers it in full"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_recovered_point_comes_back_sooner_than_a_covered_one() {
    let t = Judged::new(interviewer);
    let stdin = format!("{ANSWER}\n\n{FOLLOW_UP_ANSWER}\n\n");
    let day0 = [("GRILL_NOW", "2026-03-02T09:00:00Z"), ("TZ", "UTC")];
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        &stdin,
        &day0,
    );
    assert_eq!(out.code, 0, "{out:?}");
    let list = t.grill(&["review", "--list", "--json"], "", &day0).json();
    let points = list[0]["points"].as_array().unwrap();
    let due = |id: &str| {
        points.iter().find(|p| p["id"] == id).unwrap()["due"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // covered (Good) > recovered (Hard) > missing (Again), from the same day.
    assert!(due("regressions") > due("refactor"), "{list}");
    assert!(due("refactor") > due("docs"), "{list}");
}

#[test]
fn the_interview_stops_the_clock_while_the_judge_grades() {
    // A judge that takes 6 seconds per verdict. The question has 2 minutes;
    // the answer is given at once, so the follow-up still has nearly all of
    // them: the judge's time is not the candidate's. (Charged, it would
    // leave 1:54 at most; 3 seconds of slack for a busy machine.)
    let t = Judged::new(|req, n| interviewer(req, n).after(std::time::Duration::from_secs(6)));
    let stdin = format!("{ANSWER}\n\n{FOLLOW_UP_ANSWER}\n\n");
    let out = t.grill(
        &[
            "interview",
            "--minutes",
            "2",
            "--question",
            "tq",
            "--follow-ups",
            "1",
        ],
        &stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let a = last_attempt(&t);
    let round = &a["verdict"]["follow_ups"][0];
    assert_eq!(round["recovered"], json!(["refactor"]), "{a}");
    // The heading wraps between words at the width; read it as one line.
    let flat = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let left = flat
        .split("half its weight · you have ")
        .nth(1)
        .and_then(|rest| rest.get(..4))
        .unwrap_or_else(|| panic!("no time on the follow-up: {}", out.stdout));
    assert!(
        ["2:00", "1:59", "1:58", "1:57"].contains(&left),
        "the follow-up had {left} left: {}",
        out.stdout
    );
    // Seconds answering, never the judge's 6 (piped input is instant).
    let answer_seconds = a["seconds"].as_f64().unwrap();
    let follow_up_seconds = round["seconds"].as_f64().unwrap();
    assert!(answer_seconds < 3.0, "{a}");
    assert!(follow_up_seconds < 3.0, "{a}");
    // The interview's verdicts come in its debrief, not between questions,
    // the follow-up round with them.
    assert!(!out.stdout.contains("Score so far"), "{}", out.stdout);
    assert!(out.stdout.contains("\nFollow-up\n"), "{}", out.stdout);
}

#[test]
fn an_interview_with_no_time_left_skips_the_follow_up_and_the_report_says_so() {
    let t = Judged::new(interviewer);
    // Six seconds in all: less than the minute a follow-up needs.
    let out = t.grill(
        &[
            "interview",
            "--minutes",
            "0.1",
            "--question",
            "tq",
            "--follow-ups",
            "1",
        ],
        &format!("{ANSWER}\n\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(t.server.request_count(), 1);
    let a = last_attempt(&t);
    assert_eq!(
        a["verdict"]["follow_ups"][0]["note"],
        "less than a minute was left in the interview"
    );
    assert!(
        out.stdout
            .contains("follow-up: less than a minute was left"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_judge_failing_on_the_follow_up_keeps_the_answer_and_the_first_grade() {
    // The first verdict as usual; every later request a 500 that does not pass.
    let t = Judged::new(|req, n| {
        if n == 0 {
            interviewer(req, n)
        } else {
            Reply::error(500, "model crashed")
        }
    });
    let stdin = format!("{ANSWER}\n\n{FOLLOW_UP_ANSWER}\n\n");
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        &stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let a = last_attempt(&t);
    assert_eq!(a["score"], 5.0, "{a}");
    let round = &a["verdict"]["follow_ups"][0];
    assert!(
        round["note"]
            .as_str()
            .unwrap()
            .starts_with("grading failed"),
        "{a}"
    );
    assert_eq!(round["recovered"], json!([]));
    assert_eq!(
        a["extra"]["follow_up_answers"][0]["answer"],
        FOLLOW_UP_ANSWER
    );
    assert!(
        out.stdout.contains("follow-up: grading failed"),
        "{}",
        out.stdout
    );
    // The verdict is still shown, after the failed round.
    assert!(out.stdout.contains("Model answer"), "{}", out.stdout);
}

#[test]
fn a_judge_follow_up_of_symbols_is_replaced_by_one_about_the_open_point() {
    // What SmolLM2-135M put in the field: grill must not ask "[[2.0]]".
    let t = Judged::new(|req, n| {
        if n == 0 {
            let mut v = verdict(
                &[
                    (
                        "regressions",
                        "covered",
                        "Tests catch regressions before users",
                    ),
                    ("docs", "missing", ""),
                    ("refactor", "missing", ""),
                ],
                0,
            );
            v["follow_up"] = json!("[[2.0]]");
            Reply::verdict(&v)
        } else {
            interviewer(req, n)
        }
    });
    let stdin = format!("{ANSWER}\n\n{FOLLOW_UP_ANSWER}\n\n");
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        &stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stdout.contains("[[2.0]]"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("Take one part of this further, starting from “Tests document…”"),
        "{}",
        out.stdout
    );
    // Graded against that one point only.
    assert_eq!(schema_ids(&t.server.requests()[1].json()), [json!("docs")]);
}

#[test]
fn a_follow_up_cut_off_by_the_clock_is_graded_as_it_stood_and_marked_cut_off() {
    use std::io::Write;
    let t = Judged::new(interviewer);
    let mut cmd = t.env.command(&[
        "--bank",
        "bank",
        "interview",
        "--minutes",
        "0.05",
        "--question",
        "tq",
        "--follow-ups",
        "1",
    ]);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    // A follow-up gets a second at least, not the minute a person gets.
    cmd.env("GRILL_FOLLOW_UP_MIN_MS", "1000");
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The answer, submitted; then a follow-up answer that never ends.
    write!(stdin, "{ANSWER}\n\n{FOLLOW_UP_ANSWER}\n").unwrap();
    stdin.flush().unwrap();
    let out = crate::common::wait_with_timeout(child, std::time::Duration::from_secs(60));
    drop(stdin);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("your follow-up answer was cut off"),
        "{out:?}"
    );

    let report = t.grill(&["report", "--format", "json"], "", &[]).json();
    let a = &report["attempts"][0];
    assert_eq!(a["cut_off"], false, "the main answer was submitted: {a}");
    let round = &a["follow_ups"][0];
    assert_eq!(round["cut_off"], true, "{a}");
    assert_eq!(round["answer"], FOLLOW_UP_ANSWER, "{a}");
    assert_eq!(
        round["recovered"],
        json!(["refactor"]),
        "graded as it stood: {a}"
    );
    let text = t.grill(&["report"], "", &[]).stdout;
    assert!(
        text.contains("answered, cut off at the time limit: With tests"),
        "{text}"
    );
    assert!(text.contains("follow-up cut off;"), "{text}");
    let md = t.grill(&["report", "--format", "md"], "", &[]).stdout;
    assert!(md.contains("answered, cut off at the time limit"), "{md}");
}

/// The score before a follow-up says partial points as partial: "0 of 7
/// covered" for seven partials misled (issue 24, item 7).
#[test]
fn the_score_before_a_follow_up_counts_partial_points() {
    let t = Judged::new(|req, n| {
        if n == 0 {
            let mut v = verdict(
                &[
                    (
                        "regressions",
                        "covered",
                        "Tests catch regressions before users",
                    ),
                    ("docs", "partial", "before users do"),
                    ("refactor", "missing", ""),
                ],
                0,
            );
            v["follow_up"] = "How do tests make refactoring safer?".into();
            return Reply::verdict(&v);
        }
        interviewer(req, n)
    });
    let stdin = format!("{ANSWER}\n\n{FOLLOW_UP_ANSWER}\n\n");
    let out = t.grill(
        &["practice", "--question", "tq", "--follow-ups", "1"],
        &stdin,
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("1 of 3 key points covered, 1 partly"),
        "{}",
        out.stdout
    );
}
