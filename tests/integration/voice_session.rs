//! `--voice` sessions through the real binary, piped: the scripted
//! recorder on PATH (`fake_stt::recorder_on_path`), the fake server
//! transcribing and judging, the Enter presses read from stdin. The
//! transcript is stored and graded as the same words typed, kept with its
//! recording and duration, and its delivery shown; a recording in which
//! nothing can be heard grades nothing and sends the candidate to the
//! keyboard; in an interview the clock runs while the candidate speaks.

use std::io::Write;
use std::time::Duration;

use crate::common::fake_server::{Reply, Request};
use crate::common::fake_stt::{recorder_on_path, wav, Stt};
use crate::common::{wait_with_timeout, Output};
use crate::grade::{echo_verdict, Judged, ANSWER};

fn route(stt: &Stt, req: &Request) -> Reply {
    if req.path.ends_with("/audio/transcriptions") {
        stt.reply(req)
    } else {
        echo_verdict(req)
    }
}

fn judged(stt: Stt) -> Judged {
    Judged::new(move |req, _| route(&stt, req))
}

fn count(t: &Judged, path: &str) -> usize {
    t.server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(path))
        .count()
}

/// `grill ARGS` with the scripted recorder on PATH "recording" `take`.
fn voiced(t: &Judged, take: &[u8], args: &[&str], stdin: &str) -> Output {
    let path = recorder_on_path(&t.env.path("rec"), take);
    t.grill(
        args,
        stdin,
        &[("GRILL_STT_MODEL", "whisper-1"), ("PATH", &path)],
    )
}

fn db(t: &Judged) -> rusqlite::Connection {
    rusqlite::Connection::open(t.env.db()).unwrap()
}

/// Each attempt's answer, status and score, in order.
fn attempts(t: &Judged) -> Vec<(String, String, Option<f64>)> {
    let conn = db(t);
    let mut stmt = conn
        .prepare("SELECT answer, status, score FROM attempts ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn recordings(t: &Judged) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(t.env.path("data/audio"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn practice_by_voice_stores_the_transcript_and_grades_it_as_the_same_words_typed() {
    let words = ANSWER.replace('\n', " ");
    let t = judged(Stt::saying("whisper-1", &words, 6.0));
    // Enter starts, Enter stops, Enter takes the transcript.
    let out = voiced(
        &t,
        &wav(6.0, true),
        &["practice", "--voice", "--question", "tq"],
        "\n\n\n",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("● Recording: press Enter to stop."),
        "{out:?}"
    );
    assert!(out.stdout.contains("Heard (whisper-1):"), "{out:?}");
    assert!(
        out.stdout
            .contains("  Tests catch regressions before users do."),
        "the transcript is shown: {out:?}"
    );
    let at = out
        .stdout
        .find("Delivery (spoken, transcribed by whisper-1")
        .expect("the delivery block");
    assert!(
        out.stdout[..at].contains("earned 4 of 4 → 10.0/10"),
        "after the grade: {}",
        out.stdout
    );
    assert!(
        out.stdout[at..].contains("length    0:06 spoken"),
        "{out:?}"
    );
    assert_eq!(count(&t, "/audio/transcriptions"), 1);
    assert_eq!(count(&t, "/chat/completions"), 1);

    // Stored: the transcript as the answer, with its recording and length.
    let spoken = attempts(&t);
    assert_eq!(spoken.len(), 1, "{spoken:?}");
    assert_eq!(
        (spoken[0].0.as_str(), spoken[0].1.as_str()),
        (words.as_str(), "graded")
    );
    let (transcript, path, secs, delivery): (String, String, f64, String) = db(&t)
        .query_row(
            "SELECT transcript, audio_path, audio_secs, delivery FROM spoken",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((transcript.as_str(), secs), (words.as_str(), 6.0));
    let audio = std::fs::canonicalize(t.env.path("data/audio")).unwrap();
    assert!(std::path::Path::new(&path).starts_with(&audio), "{path}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        wav(6.0, true),
        "the recording is kept in the data directory"
    );
    let delivery: serde_json::Value = serde_json::from_str(&delivery).unwrap();
    assert_eq!(delivery["audio_secs"], 6.0);

    // The same words typed get the same grade.
    let typed = judged(Stt::saying("whisper-1", "", 1.0));
    let out = typed.grill(
        &["practice", "--question", "tq"],
        &format!("{words}\n\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(attempts(&typed), spoken);
}

#[test]
fn a_transcript_edited_before_grading_is_graded_as_edited_and_kept_as_heard() {
    let t = judged(Stt::saying("whisper-1", "Tests catch regressions.", 3.0));
    let editor = t.env.write_script(
        "editor.sh",
        "#!/bin/sh\nprintf 'Tests catch regressions and document behaviour.\\n' > \"$1\"\n",
    );
    let path = recorder_on_path(&t.env.path("rec"), &wav(3.0, true));
    let out = t.grill(
        &["practice", "--voice", "--question", "tq"],
        "\n\n:edit\n\n",
        &[
            ("GRILL_STT_MODEL", "whisper-1"),
            ("PATH", &path),
            ("EDITOR", editor.as_str()),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Heard (you):"), "{out:?}");
    let stored = attempts(&t);
    assert_eq!(
        stored[0].0,
        "Tests catch regressions and document behaviour."
    );
    let prompt = t.server.requests().last().unwrap().prompt_text();
    assert!(
        prompt.contains("and document behaviour"),
        "the edit is graded"
    );
    let heard: String = db(&t)
        .query_row("SELECT transcript FROM spoken", [], |r| r.get(0))
        .unwrap();
    assert_eq!(heard, "Tests catch regressions.", "the transcript as heard");
}

#[test]
fn a_silent_recording_or_an_empty_transcript_grades_nothing_and_the_answer_is_typed() {
    let typed = "Tests catch regressions.";
    // Silent: refused before it is sent; the recording stays.
    let t = judged(Stt::saying("whisper-1", "words", 2.0));
    let out = voiced(
        &t,
        &wav(2.0, false),
        &["practice", "--voice", "--question", "tq"],
        &format!("\n\n{typed}\n\n"),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("is silent: nothing was graded"),
        "{out:?}"
    );
    assert!(out.stderr.contains("Type your answer instead."), "{out:?}");
    assert_eq!(count(&t, "/audio/transcriptions"), 0);
    assert_eq!(count(&t, "/chat/completions"), 1, "only the typed answer");
    let stored = attempts(&t);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (stored[0].0.as_str(), stored[0].1.as_str()),
        (typed, "graded")
    );
    let spoken: i64 = db(&t)
        .query_row("SELECT count(*) FROM spoken", [], |r| r.get(0))
        .unwrap();
    assert_eq!(spoken, 0);
    assert_eq!(recordings(&t).len(), 1, "the recording is kept");

    // Nothing heard: the server answered, with an empty transcript.
    let t = judged(Stt::saying("whisper-1", " ", 2.0));
    let out = voiced(
        &t,
        &wav(2.0, true),
        &["practice", "--voice", "--question", "tq"],
        &format!("\n\n{typed}\n\n"),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("the transcript is empty, and nothing was graded"),
        "{out:?}"
    );
    let kept = recordings(&t);
    assert!(
        out.stderr
            .contains(&format!("the recording is kept: `{}`", kept[0].display())),
        "{out:?}"
    );
    assert_eq!(count(&t, "/audio/transcriptions"), 1);
    assert_eq!(count(&t, "/chat/completions"), 1);
    assert_eq!(attempts(&t)[0].0, typed);
}

#[test]
fn without_a_recorder_the_session_says_what_to_install_and_answers_are_typed() {
    let t = judged(Stt::saying("whisper-1", "words", 2.0));
    let bin = t.env.path("empty-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let out = t.grill(
        &["practice", "--voice", "--question", "tq"],
        "\nTests catch regressions.\n\n",
        &[
            ("GRILL_STT_MODEL", "whisper-1"),
            ("PATH", bin.to_str().unwrap()),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("no recorder found: install arecord (alsa-utils), rec (sox) or ffmpeg"),
        "{out:?}"
    );
    assert!(out.stderr.contains("answers are typed too"), "{out:?}");
    assert_eq!(attempts(&t)[0].0, "Tests catch regressions.");
}

#[test]
fn in_an_interview_the_clock_runs_while_the_candidate_speaks() {
    let t = judged(Stt::saying("whisper-1", "Tests catch regressions.", 2.0));
    let path = recorder_on_path(&t.env.path("rec"), &wav(2.0, true));
    let mut cmd = t.env.command(&[
        "--bank",
        "bank",
        "interview",
        "--voice",
        "--minutes",
        "0.05",
        "--question",
        "tq",
    ]);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    cmd.env("GRILL_STT_MODEL", "whisper-1").env("PATH", &path);
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Enter starts the recording, and no Enter stops it: the clock does.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").unwrap();
    let out = wait_with_timeout(child, Duration::from_secs(60));
    drop(stdin);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("Time is up: the recording is stopped."),
        "{out:?}"
    );
    assert!(out.stdout.contains("Answer aloud"), "{out:?}");
    let (answer, cut_off, seconds): (String, bool, f64) = db(&t)
        .query_row("SELECT answer, cut_off, seconds FROM attempts", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(answer, "Tests catch regressions.");
    assert!(cut_off, "cut off at the limit, graded as it stands");
    assert!((2.5..10.0).contains(&seconds), "the 3 s spoken: {seconds}");
    let spoken: i64 = db(&t)
        .query_row("SELECT count(*) FROM spoken", [], |r| r.get(0))
        .unwrap();
    assert_eq!(spoken, 1);
    assert_eq!(count(&t, "/chat/completions"), 1);
    // The delivery comes after the debrief, as the grade does.
    let debrief = out.stdout.find("Key points").expect("the debrief");
    let delivery = out.stdout.rfind("Delivery (spoken").expect("the delivery");
    assert!(debrief < delivery, "{}", out.stdout);
}

fn touch_old(path: &std::path::Path) {
    let done = std::process::Command::new("touch")
        .args(["-d", "40 days ago"])
        .arg(path)
        .status()
        .unwrap();
    assert!(done.success());
}

#[test]
fn old_recordings_are_pruned_unless_kept_and_files_grill_did_not_make_stay() {
    let t = judged(Stt::saying("whisper-1", "Tests catch regressions.", 2.0));
    for _ in 0..2 {
        let out = voiced(
            &t,
            &wav(2.0, true),
            &["practice", "--voice", "--question", "tq"],
            "\n\n\n",
        );
        assert_eq!(out.code, 0, "{out:?}");
    }
    let made = recordings(&t);
    assert_eq!(made.len(), 2, "{made:?}");

    let out = t.grill(&["history", "--keep-audio", "1"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let kept: String = db(&t)
        .query_row(
            "SELECT audio_path FROM spoken WHERE attempt_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(kept.contains("/audio/kept/answer-"), "{kept}");
    assert!(out.stdout.contains(&kept), "{out:?}");
    let mine = t.env.path("data/audio/my-notes.wav");
    std::fs::write(&mine, wav(1.0, true)).unwrap();
    for path in [std::path::Path::new(&kept), mine.as_path()] {
        touch_old(path);
    }
    let second = recordings(&t)
        .into_iter()
        .find(|p| p.to_string_lossy().contains("answer-"))
        .unwrap();
    touch_old(&second);

    // A fresh one stays too.
    let out = voiced(
        &t,
        &wav(2.0, true),
        &["practice", "--voice", "--question", "tq"],
        "\n\n\n",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = t
        .grill(&["history", "--prune-audio", "30", "--json"], "", &[])
        .json();
    assert_eq!(
        v["deleted"],
        serde_json::json!([second.display().to_string()]),
        "{v}"
    );
    assert_eq!(v["left"], 2, "the fresh one and the kept one: {v}");
    assert!(!second.exists());
    assert!(std::path::Path::new(&kept).exists() && mine.exists());

    let out = t.grill(&["history", "--keep-audio", "99"], "", &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("--keep-audio: attempt 99 has no recording"),
        "{out:?}"
    );
}

#[test]
fn in_a_terminal_enter_records_enter_stops_and_enter_takes_the_transcript() {
    let t = judged(Stt::saying("whisper-1", "Tests catch regressions.", 2.0));
    let path = recorder_on_path(&t.env.path("rec"), &wav(2.0, true));
    let mut vars = t.vars();
    vars.push(("GRILL_STT_MODEL", "whisper-1".into()));
    vars.push(("PATH", path));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut p = crate::common::spawn_pty(
        &t.env,
        "",
        &[
            "practice",
            "--voice",
            "--follow-ups",
            "0",
            "--question",
            "tq",
        ],
        "",
        &vars,
    );
    let pause = || std::thread::sleep(Duration::from_millis(300));
    p.exp_string("Why do we test?").unwrap();
    p.exp_string("Press Enter to start recording").unwrap();
    pause();
    p.send_line("").unwrap();
    p.exp_string("Recording: press Enter to stop.").unwrap();
    pause();
    p.send_line("").unwrap();
    p.exp_string("Heard (whisper-1):").unwrap();
    p.exp_string("Tests catch regressions.").unwrap();
    p.exp_string("Enter grades it").unwrap();
    pause();
    p.send_line("").unwrap();
    p.exp_string("Delivery (spoken, transcribed by whisper-1")
        .unwrap();
    p.exp_string("[q]uit (Enter)").unwrap();
    pause();
    p.send_line("").unwrap();
    p.exp_string("Practice report").unwrap();
    p.exp_eof().unwrap();
    let stored = attempts(&t);
    assert_eq!(stored[0].0, "Tests catch regressions.");
    assert_eq!(stored[0].1, "graded");
}
