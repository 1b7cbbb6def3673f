//! SIGTERM and SIGHUP while an answer or a follow-up is being typed, in a
//! terminal and from a pipe: what was typed is stored, the terminal is
//! given back in cooked mode, and grill exits with 128 + the signal.

use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::common::{spawn_pty, wait_with_timeout, Env};
use crate::grade::{verdict, Judged, BANK};

/// The first answer covers one point of three; the judge asks its follow-up.
fn half_then_nothing(
    _: &crate::common::fake_server::Request,
    n: usize,
) -> crate::common::fake_server::Reply {
    let points: &[(&str, &str, &str)] = if n == 0 {
        &[
            (
                "regressions",
                "covered",
                "Tests catch regressions before users",
            ),
            ("docs", "missing", ""),
            ("refactor", "missing", ""),
        ]
    } else {
        &[("docs", "missing", ""), ("refactor", "missing", "")]
    };
    crate::common::fake_server::Reply::verdict(&verdict(points, 0))
}

const ANSWER: &str = "Tests catch regressions before users do.";

fn history(env: &Env) -> Vec<Value> {
    let out = env.run(&["--bank", "bank", "history", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    out.json().as_array().unwrap().clone()
}

/// `child`'s standard output as it comes.
fn watch_stdout(child: &mut Child) -> Arc<Mutex<String>> {
    let seen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    seen
}

fn wait_for(seen: &Mutex<String>, text: &str) {
    let until = Instant::now() + Duration::from_secs(30);
    while !seen.lock().unwrap().contains(text) {
        assert!(
            Instant::now() < until,
            "never printed {text:?}: {}",
            seen.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Printing the prompt comes just before the read starts.
    std::thread::sleep(Duration::from_millis(500));
}

#[test]
fn sigterm_while_typing_a_follow_up_on_a_pipe_stores_it_and_exits_143() {
    let t = Judged::new(half_then_nothing);
    let mut cmd = t.env.command(&[
        "--bank",
        "bank",
        "practice",
        "--question",
        "tq",
        "--follow-ups",
        "1",
    ]);
    for (k, v) in t.vars() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The answer, submitted; of the follow-up a line and an unfinished one.
    write!(
        stdin,
        "{ANSWER}\n\nWith tests in place I can change\nthe code without"
    )
    .unwrap();
    stdin.flush().unwrap();
    let seen = watch_stdout(&mut child);
    wait_for(&seen, "Follow-up ·");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let out = wait_with_timeout(child, Duration::from_secs(30));
    drop(stdin);
    assert_eq!(out.code, 143, "exited, not killed: {out:?}");
    assert!(out.stderr.contains("SIGTERM ended the session"), "{out:?}");
    assert_eq!(t.server.request_count(), 1, "the follow-up was not graded");

    let all = history(&t.env);
    assert_eq!(all.len(), 1, "{all:?}");
    let a = &all[0];
    assert_eq!(a["answer"], ANSWER, "{a}");
    assert_eq!(a["score"], 5.0, "the answer's grade stays: {a}");
    let round = &a["verdict"]["follow_ups"][0];
    assert_eq!(
        round["answer"], "With tests in place I can change\nthe code without",
        "{a}"
    );
    assert_eq!(round["note"], "SIGTERM ended the session", "{a}");
}

#[test]
fn sighup_while_typing_an_answer_on_a_pipe_stores_it_and_exits_129() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let mut child = env
        .command(&[
            "--bank",
            "bank",
            "--offline",
            "practice",
            "--question",
            "tq",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    write!(stdin, "Tests catch regressions\nbefore users").unwrap();
    stdin.flush().unwrap();
    let seen = watch_stdout(&mut child);
    wait_for(&seen, "Why do we test?");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGHUP).unwrap();
    let out = wait_with_timeout(child, Duration::from_secs(30));
    drop(stdin);
    assert_eq!(out.code, 129, "{out:?}");
    let all = history(&env);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["answer"], "Tests catch regressions\nbefore users");
    assert_eq!(all[0]["extra"]["ended"], "ended", "{:?}", all[0]);
    assert!(
        all[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("open when SIGHUP ended the session; what was typed is kept"),
        "{:?}",
        all[0]
    );
}

/// The pseudo-terminal's line discipline: canonical input and signal keys
/// on, as a shell expects it back. (Raw mode turns both off; rexpect turns
/// echo off for every session, so echo tells nothing here.)
fn cooked(p: &rexpect::session::PtySession) -> bool {
    use nix::sys::termios::{tcgetattr, LocalFlags};
    let pty = p.process().get_file_handle().unwrap();
    let flags = tcgetattr(&pty).unwrap().local_flags;
    flags.contains(LocalFlags::ICANON | LocalFlags::ISIG | LocalFlags::IEXTEN)
}

/// How the process ended: `Some(code)` when it exited, `None` when a
/// signal's default action killed it.
fn exit_code(p: &rexpect::session::PtySession) -> Option<i32> {
    match p.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => Some(code),
        _ => None,
    }
}

#[test]
fn sigterm_while_typing_an_answer_in_a_terminal_stores_it_and_leaves_it_cooked() {
    let env = Env::new();
    env.write("bank/testing.toml", BANK);
    let mut p = spawn_pty(
        &env,
        "",
        &["--offline", "practice", "--question", "tq"],
        "",
        &[],
    );
    p.exp_string("Why do we test?").unwrap();
    p.send("Tests catch regressions").unwrap();
    p.flush().unwrap();
    // The editor echoes it: it is reading, in raw mode.
    p.exp_string("Tests catch regressions").unwrap();
    assert!(!cooked(&p), "the editor holds the terminal raw");
    p.process_mut().signal(Signal::SIGTERM).unwrap();
    p.exp_string("SIGTERM ended the session").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&p), Some(143));
    assert!(cooked(&p), "the terminal is given back cooked");
    let all = history(&env);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["answer"], "Tests catch regressions", "{:?}", all[0]);
}

#[test]
fn sighup_while_typing_a_follow_up_in_a_terminal_stores_it_and_leaves_it_cooked() {
    let t = Judged::new(half_then_nothing);
    let vars = t.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut p = spawn_pty(&t.env, "", &["practice", "--question", "tq"], "", &vars);
    p.exp_string("Why do we test?").unwrap();
    p.send_line(ANSWER).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.send_line("").unwrap();
    p.exp_string("Follow-up").unwrap();
    p.exp_string("How do tests make refactoring safer?")
        .unwrap();
    p.send("They let me change code").unwrap();
    p.flush().unwrap();
    p.exp_string("They let me change code").unwrap();
    p.process_mut().signal(Signal::SIGHUP).unwrap();
    p.exp_string("SIGHUP ended the session").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&p), Some(129));
    assert!(cooked(&p), "the terminal is given back cooked");
    let all = history(&t.env);
    let round = &all[0]["verdict"]["follow_ups"][0];
    assert_eq!(round["answer"], "They let me change code", "{:?}", all[0]);
    assert_eq!(round["note"], "SIGHUP ended the session");
    assert_eq!(t.server.request_count(), 1);
}
