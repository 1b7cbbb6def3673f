//! The terminal as a candidate lives in it (issue 13), through the real
//! binary in a pseudo-terminal: typing at machine speed loses nothing, the
//! clock never wraps and is redrawn whole after a resize, `:edit` stops the
//! clock and an editor that comes back late cuts the answer off, the
//! interview waits for Enter, `:quit` asks before dropping what was typed,
//! and a redirected stdout gets no escape codes.

use std::process::Command;
use std::time::Duration;

use rexpect::session::PtySession;

use crate::common::{spawn_pty, Env};
use crate::grade::BANK;

/// `grill --bank bank --offline ARGS` in a pseudo-terminal (see
/// `spawn_pty`).
fn spawn(
    env: &Env,
    before: &str,
    args: &[&str],
    redirect: &str,
    vars: &[(&str, &str)],
) -> PtySession {
    let args: Vec<&str> = std::iter::once("--offline")
        .chain(args.iter().copied())
        .collect();
    spawn_pty(env, before, &args, redirect, vars)
}

/// `grill --offline practice --question tq --follow-ups 0` in a pty, after
/// the shell runs `before`.
fn spawn_practice(env: &Env, before: &str) -> PtySession {
    let args = ["practice", "--question", "tq", "--follow-ups", "0"];
    spawn(env, before, &args, "", &[])
}

/// At the self-grading checklist: Ctrl-C, and yes, stop grading (the answer
/// stays saved, ungraded).
fn stop_self_grading(p: &mut PtySession) {
    p.exp_string("Grade yourself").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("Stop grading this answer?").unwrap();
    p.send_line("y").unwrap();
}

fn store(env: &Env) -> grill::store::Store {
    grill::store::Store::open(&env.db(), grill::time::Clock::system()).unwrap()
}

/// Everything the terminal has printed for a while, without waiting for a pattern.
fn drain(p: &mut PtySession, for_: Duration) -> String {
    let until = std::time::Instant::now() + for_;
    let mut seen = String::new();
    while std::time::Instant::now() < until {
        match p.try_read() {
            Some(c) => seen.push(c),
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    seen
}

#[test]
fn a_burst_of_lines_at_machine_speed_keeps_every_character() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let mut p = spawn_practice(&env, "");
    p.exp_string("Why do we test?").unwrap();
    let lines: Vec<String> = (1..=12)
        .map(|i| {
            format!("line {i}: tests catch regressions, document behaviour, allow refactoring")
        })
        .collect();
    // One write: the answer, the blank line that submits it, and the three
    // checklist marks typed ahead of their prompts. No pauses anywhere.
    let burst = format!("{}\r\ry\rn\ry\r", lines.join("\r"));
    p.send(&burst).unwrap();
    p.flush().unwrap();
    p.exp_string("Score").unwrap();
    p.exp_string("[r]etry the question, [q]uit").unwrap();
    p.send_line("q").unwrap();
    p.exp_eof().unwrap();
    let all = store(&env).all_attempts().unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].answer, lines.join("\n"));
    // The marks typed ahead were kept too: y, n, y → regressions 2 + refactor 1 of 4.
    assert_eq!(all[0].score, Some(7.5), "{:?}", all[0]);
}

/// Types `typed before`, narrows the window (the test's `before` waits for
/// the file `resize`), expects the screen cleared and `redrawn` then the
/// typed text drawn again, types ` and after`, submits, stops grading, quits.
fn type_through_a_resize(env: &Env, p: &mut PtySession, redrawn: &[&str]) {
    p.send("typed before").unwrap();
    p.flush().unwrap();
    p.exp_string("typed before").unwrap();
    std::fs::write(env.path("resize"), "").unwrap();
    p.exp_string("\x1b[H\x1b[2J").unwrap();
    for text in redrawn {
        p.exp_string(text).unwrap();
    }
    p.exp_string("typed before").unwrap();
    p.send(" and after\r\r").unwrap();
    p.flush().unwrap();
    stop_self_grading(p);
    p.exp_string("[q]uit").unwrap();
    p.send_line("q").unwrap();
    p.exp_eof().unwrap();
}

/// In a practice too (no clock), a resize mid-answer clears the screen and
/// draws the question and the typed text again at the new width, instead of
/// leaving the line editor's stale rows (issue 24 item 11).
#[test]
fn a_resize_in_a_practice_redraws_the_question_and_the_answer() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let before = "(while [ ! -e resize ]; do sleep 0.05; done; stty cols 60 < /dev/tty) &";
    let mut p = spawn_practice(&env, before);
    p.exp_string("Why do we test?").unwrap();
    type_through_a_resize(&env, &mut p, &["Why do we test?"]);
    let all = store(&env).all_attempts().unwrap();
    assert_eq!(all[0].answer, "typed before and after", "{all:?}");
}

/// A note longer than the window, such as a key point shown on `:hint`, is
/// wrapped between words, not cut mid-word by the terminal (`(instead o` /
/// `f or together`, issue 24 item 11).
#[test]
fn a_hint_longer_than_the_window_wraps_between_words() {
    let env = Env::new();
    let point = "It writes a hypothetical answer passage and searches with that passage's embedding (instead of or together with the query's)";
    env.write(
        "bank/testing.toml",
        &BANK.replace("Tests catch regressions\"", &format!("{point}\"")),
    );
    let mut p = spawn_practice(&env, "");
    p.exp_string("Why do we test?").unwrap();
    p.send(":hint\r").unwrap();
    p.flush().unwrap();
    p.exp_string("hint: ").unwrap();
    let (shown, _) = p.exp_regex("\\) *\r\n").unwrap();
    assert!(shown.contains("\r\n"), "the hint did not wrap: {shown:?}");
    assert_eq!(
        shown
            .replace("\r\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        point.trim_end_matches(')'),
        "a word was cut: {shown:?}"
    );
    for line in format!("hint: {shown}").split("\r\n") {
        assert!(line.chars().count() <= 100, "{line:?}");
    }
    p.send(":quit\r").unwrap();
    p.flush().unwrap();
    p.exp_eof().unwrap();
}

/// At 60 columns the keys under the question and the checklist's heading
/// wrap between words instead of running past the edge.
#[test]
fn headings_wrap_between_words_in_a_narrow_window() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let mut p = spawn_practice(&env, "stty cols 60;");
    let keys = p.exp_string("Ctrl-C abandons").unwrap();
    p.send("Tests catch regressions.\r\r").unwrap();
    p.flush().unwrap();
    let checklist = p.exp_string(":quit").unwrap();
    for screen in [keys, checklist] {
        // rexpect reads a byte as a character; put the UTF-8 back together.
        let bytes: Vec<u8> = screen.chars().map(|c| c as u8).collect();
        let screen = String::from_utf8_lossy(&bytes);
        // The line editor's redraws (escape codes) are not grill's text.
        for line in screen.split("\r\n").filter(|l| !l.contains('\x1b')) {
            assert!(line.chars().count() <= 60, "{line:?} in {screen:?}");
        }
    }
    p.send(":quit\r").unwrap();
    p.flush().unwrap();
    p.exp_string("[q]uit").unwrap();
    p.send_line("q").unwrap();
    p.exp_eof().unwrap();
}

/// A resize while a follow-up is typed draws the question and the
/// follow-up again, then the typed text: the follow-up was left off the
/// screen (a practice had no redraw for it at all).
#[test]
fn a_resize_during_a_follow_up_redraws_the_follow_up_too() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let before = "(while [ ! -e resize ]; do sleep 0.05; done; stty cols 60 < /dev/tty) &";
    let args = ["practice", "--question", "tq", "--follow-ups", "1"];
    let mut p = spawn(&env, before, &args, "", &[]);
    p.exp_string("Why do we test?").unwrap();
    p.send("Tests catch regressions.\r\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Take one part of this further").unwrap();
    let redrawn = ["Why do we test?", "Take one part of this further"];
    type_through_a_resize(&env, &mut p, &redrawn);
    let all = store(&env).all_attempts().unwrap();
    let answers = &all[0].extra.as_ref().unwrap().follow_up_answers;
    assert_eq!(answers[0].answer, "typed before and after", "{all:?}");
}

#[test]
fn the_clock_fits_the_width_and_a_resize_redraws_the_screen_whole() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    // Narrow the window to 60 columns once the test creates `resize`.
    let before = "(while [ ! -e resize ]; do sleep 0.05; done; stty cols 60 < /dev/tty) &";
    let mut p = spawn(
        &env,
        before,
        &[
            "interview",
            "--minutes",
            "2",
            "--question",
            "tq",
            "--follow-ups",
            "0",
        ],
        "",
        &[],
    );
    p.exp_string("Press Enter to start the clock").unwrap();
    // Nothing ticks before Enter.
    let waiting = drain(&mut p, Duration::from_millis(1500));
    assert!(!waiting.contains("interview 1:"), "{waiting:?}");
    p.send_line("").unwrap();
    p.exp_string("Why do we test?").unwrap();
    p.exp_regex(r"this question 1:5\d left \S+ interview 1:5\d left")
        .unwrap();
    p.send("typed before").unwrap();
    p.flush().unwrap();
    p.exp_string("typed before").unwrap();
    std::fs::write(env.path("resize"), "").unwrap();
    // The screen is cleared and drawn again: the status in its short form,
    // which fits in 59 columns, then the question and what was typed.
    let (_, status) = p
        .exp_regex(r"\x1b\[2J[^\n]*?\x1b\[7m[^\x1b]*\x1b\[0m")
        .unwrap();
    let text = status
        .rsplit("\x1b[7m")
        .next()
        .unwrap()
        .trim_end_matches("\x1b[0m");
    // rexpect reads bytes as Latin-1: decode what the terminal would show.
    let shown = String::from_utf8(text.chars().map(|c| c as u8).collect()).unwrap();
    assert!(shown.contains("left · interview"), "{shown:?}");
    assert!(!shown.contains("this question"), "{shown:?}");
    assert!(shown.chars().count() <= 59, "{shown:?}");
    p.exp_string("Why do we test?").unwrap();
    p.exp_string("typed before").unwrap();
    p.send(" and after\r\r").unwrap();
    p.flush().unwrap();
    stop_self_grading(&mut p);
    p.exp_eof().unwrap();
    let all = store(&env).all_attempts().unwrap();
    assert_eq!(all[0].answer, "typed before and after", "{all:?}");
}

#[test]
fn the_clock_stops_while_the_editor_runs_and_a_late_editor_cuts_the_answer_off() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let editor = env.write_script("slow-editor", "#!/bin/sh\necho EDITOR-START\nsleep 8\necho 'and refactoring is safe' >> \"$1\"\necho EDITOR-END\n");
    let mut p = spawn(
        &env,
        "",
        &["interview", "--minutes", "0.1", "--question", "tq"],
        "",
        &[("EDITOR", editor.as_str())],
    );
    p.exp_string("Press Enter to start the clock").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Why do we test?").unwrap();
    p.send("tests catch regressions\r:edit\r").unwrap();
    p.flush().unwrap();
    let during = p.exp_string("EDITOR-END").unwrap();
    let during = during.rsplit("EDITOR-START").next().unwrap().to_string();
    assert!(
        !during.contains("interview 0:"),
        "the clock drew while the editor ran: {during:?}"
    );
    p.exp_string("in the editor: your answer is taken as it stands, cut off")
        .unwrap();
    stop_self_grading(&mut p);
    p.exp_string("Interview report").unwrap();
    p.exp_regex(r"ended \d+s past the limit, in the editor")
        .unwrap();
    p.exp_eof().unwrap();
    let a = &store(&env).all_attempts().unwrap()[0];
    assert_eq!(a.answer, "tests catch regressions\nand refactoring is safe");
    assert!(a.cut_off, "{a:?}");
    let over = a.extra.as_ref().unwrap().over_seconds.unwrap();
    assert!(over >= 1.0, "{a:?}");
}

/// `:edit` in the terminal: what the editor wrote is the answer, whether it
/// appends in place or writes a new file and renames it over the old one
/// (issue 24 item 1: the editor's text was dropped for the pre-edit draft).
#[test]
fn the_editors_text_is_what_the_terminal_editor_resumes_and_submits() {
    for (name, script) in [
        ("in-place", "#!/bin/sh\necho 'added by the editor' >> \"$1\"\n"),
        (
            "rename",
            "#!/bin/sh\n{ cat \"$1\"; echo 'added by the editor'; } > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
        ),
    ] {
        let env = Env::new();
        env.write("bank/testing.toml", BANK);
        let editor = env.write_script(name, script);
        let mut p = spawn(
            &env,
            "",
            &["practice", "--question", "tq", "--follow-ups", "0"],
            "",
            &[("EDITOR", editor.as_str())],
        );
        p.exp_string("Why do we test?").unwrap();
        p.send("Some draft\r:edit\r").unwrap();
        p.flush().unwrap();
        p.exp_string("edited text kept").unwrap();
        // The editor's line is back on the screen, under the draft.
        p.exp_string("added by the editor").unwrap();
        p.send("\r").unwrap();
        p.flush().unwrap();
        stop_self_grading(&mut p);
        p.exp_string("[q]uit").unwrap();
        p.send_line("q").unwrap();
        p.exp_eof().unwrap();
        let a = &store(&env).all_attempts().unwrap()[0];
        assert_eq!(a.answer, "Some draft\nadded by the editor", "{name}");
    }
}

#[test]
fn quit_with_text_typed_asks_and_keeps_it() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let mut p = spawn(&env, "", &["practice", "--question", "tq"], "", &[]);
    p.exp_string("Why do we test?").unwrap();
    p.send("a draft\r:quit\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Leave the session anyway? [y/N]").unwrap();
    // No: back in the editor with the draft.
    p.send_line("n").unwrap();
    p.exp_string("a draft").unwrap();
    p.send(":quit\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Leave the session anyway? [y/N]").unwrap();
    p.send_line("y").unwrap();
    p.exp_string("Practice report").unwrap();
    p.exp_string("what was typed is kept, not graded").unwrap();
    p.exp_eof().unwrap();
    let a = &store(&env).all_attempts().unwrap()[0];
    assert_eq!(a.answer, "a draft");
    assert_eq!(a.status, grill::store::Status::Skipped);
}

#[test]
fn ctrl_c_while_grading_yourself_asks_and_a_retry_grades_again() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let args = ["practice", "--question", "tq", "--follow-ups", "0"];
    let mut p = spawn(&env, "", &args, "", &[]);
    p.exp_string("Why do we test?").unwrap();
    p.send("tests catch regressions\r\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Grade yourself").unwrap();
    p.send_control('c').unwrap();
    // No: the checklist goes on from the same point.
    p.exp_string("Stop grading this answer?").unwrap();
    p.send_line("n").unwrap();
    p.exp_string("[y]").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("Stop grading this answer?").unwrap();
    p.send_line("y").unwrap();
    p.exp_string("`grill --offline regrade` grades it later")
        .unwrap();
    // [r]etry grades the same answer again instead of asking the question again.
    p.exp_string("[r]etry the grade").unwrap();
    p.send_line("r").unwrap();
    p.exp_string("Grade yourself").unwrap();
    p.send("y\ry\ry\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Score 10.0/10").unwrap();
    p.send_line("q").unwrap();
    p.exp_eof().unwrap();
    let all = store(&env).all_attempts().unwrap();
    assert_eq!(
        all.len(),
        1,
        "one answer, graded on the second try: {all:?}"
    );
    assert_eq!(all[0].score, Some(10.0));
}

#[test]
fn a_redirected_stdout_gets_no_escape_codes() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let mut p = spawn(
        &env,
        "",
        &[
            "interview",
            "--minutes",
            "2",
            "--question",
            "tq",
            "--follow-ups",
            "0",
        ],
        "> out.txt",
        &[("NO_COLOR", ""), ("TERM", "xterm-256color")],
    );
    // The prompt and the editor go to the terminal, not to the file.
    p.exp_string("Press Enter to start the clock").unwrap();
    p.send_line("").unwrap();
    // The question goes to the file; wait for the editor's prompt mode.
    std::thread::sleep(Duration::from_millis(500));
    p.send("tests catch regressions\r\r").unwrap();
    p.flush().unwrap();
    p.exp_string("[y]").unwrap();
    p.send("y\ry\ry\r").unwrap();
    p.flush().unwrap();
    p.exp_eof().unwrap();
    let out = std::fs::read_to_string(env.path("out.txt")).unwrap();
    assert!(out.contains("Time to grade yourself"), "{out}");
    assert!(out.contains("Interview report"), "{out}");
    assert!(
        !out.contains('\x1b'),
        "escape codes on a redirected stdout: {out:?}"
    );
}

/// Everything `grill ARGS` prints in a pseudo-terminal of `cols` columns
/// until it exits, with `vars` set (colour allowed unless they say otherwise).
fn screen_of(env: &Env, cols: u16, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("stty rows 30 cols {cols}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_grill"))
        .args(args)
        .current_dir(env.home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.home.path())
        .env("GRILL_HOME", env.path("data"))
        .env("GRILL_CONFIG", env.path("config.toml"));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_eof().unwrap()
}

#[test]
fn term_dumb_gets_no_colour_in_a_terminal() {
    let env = Env::new();
    let coloured = screen_of(&env, 100, &["list"], &[("TERM", "xterm")]);
    assert!(
        coloured.contains('\x1b'),
        "colour in a terminal: {coloured:?}"
    );
    let dumb = screen_of(&env, 100, &["list"], &[("TERM", "dumb")]);
    assert!(!dumb.contains('\x1b'), "TERM=dumb: {dumb:?}");
    let never = screen_of(
        &env,
        100,
        &["--color", "never", "list"],
        &[("TERM", "xterm")],
    );
    assert!(!never.contains('\x1b'), "--color never: {never:?}");
}

#[test]
fn stats_history_and_the_review_list_fit_a_narrow_terminal() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let out = crate::common::run(
        env.command(&[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ]),
        b"regressions\n\ny\nn\nn\n",
    );
    assert_eq!(out.code, 0, "{out:?}");
    // Each command, and what only its wide table shows.
    let tables: [(&[&str], &str); 3] = [
        (&["stats"], "last "),
        (&["history"], "grader"),
        (&["review", "--list"], "topic"),
    ];
    for (args, wide_only) in tables {
        for cols in [60u16, 100] {
            let args: Vec<&str> = ["--bank", "bank"].iter().chain(args).copied().collect();
            let screen = screen_of(&env, cols, &args, &[("TERM", "xterm"), ("NO_COLOR", "1")]);
            // rexpect reads bytes as Latin-1: decode what the terminal shows.
            let screen = String::from_utf8(screen.chars().map(|c| c as u8).collect()).unwrap();
            for line in screen.lines() {
                let shown = textwrap::core::display_width(line.trim_end_matches('\r'));
                assert!(
                    shown <= usize::from(cols),
                    "{args:?} at {cols} columns: {line:?}\n{screen}"
                );
            }
            assert_eq!(
                screen.contains(wide_only),
                cols == 100,
                "{args:?}: {screen}"
            );
        }
    }
}

#[test]
fn after_a_judge_failure_that_will_repeat_practice_offers_to_self_grade() {
    use crate::common::fake_server::{FakeServer, Reply};
    let server = FakeServer::start(|_, _| Reply::error(401, "invalid api key"));
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("stty rows 30 cols 100; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_grill"))
        .args([
            "--bank",
            "bank",
            "practice",
            "--question",
            "tq",
            "--follow-ups",
            "0",
        ])
        .current_dir(env.home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.home.path())
        .env("GRILL_HOME", env.path("data"))
        .env("GRILL_CONFIG", env.path("config.toml"))
        .env("OPENAI_BASE_URL", server.base_url())
        .env("OPENAI_API_KEY", "sk-test-wrong-key-000")
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("Why do we test?").unwrap();
    p.send("tests catch regressions\r\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Grading failed").unwrap();
    p.exp_string("Grade the rest of this session yourself")
        .unwrap();
    p.send_line("y").unwrap();
    p.exp_string("Grade yourself").unwrap();
    p.send("y\rn\rn\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Score 5.0/10").unwrap();
    p.send_line("q").unwrap();
    p.exp_eof().unwrap();
    let a = &store(&env).all_attempts().unwrap()[0];
    assert_eq!(a.score, Some(5.0), "{a:?}");
    assert_eq!(server.request_count(), 1, "the judge was not asked again");
}
