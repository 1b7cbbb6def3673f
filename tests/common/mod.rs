//! One builder for hermetic runs of the real `grill` binary: a fresh
//! `GRILL_HOME`, an empty config file, no API settings from the developer's shell.

#![allow(dead_code)]

pub mod fake_batch_api;
pub mod fake_server;
pub mod fake_stream;
pub mod fake_stt;
pub mod rate_limited;
pub mod reasoning;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct Env {
    pub home: tempfile::TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Each non-empty stdout line parsed as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect()
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Env {
    /// A fresh home with an empty config file: `GRILL_CONFIG` names it, and
    /// a config file that is named must exist.
    pub fn new() -> Env {
        let env = Env {
            home: tempfile::tempdir().expect("temp dir"),
        };
        env.write("config.toml", "");
        env
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("data/grill.db")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// An executable shell script (an `$EDITOR`, a recorder), as a path
    /// string for an environment variable.
    pub fn write_script(&self, name: &str, text: &str) -> String {
        let path = self.write(name, text);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path.to_str().unwrap().to_string()
    }

    /// The binary with a clean environment, run from the temp dir.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_grill"));
        cmd.args(args)
            .current_dir(self.home.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("GRILL_HOME", self.path("data"))
            .env("GRILL_CONFIG", self.path("config.toml"))
            .env("NO_COLOR", "1")
            .env("TERM", "dumb");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "", &[])
    }

    /// Runs the binary under `umask` (octal, e.g. "000"), through `sh`.
    pub fn run_umask(&self, umask: &str, args: &[&str]) -> Output {
        let plain = self.command(args);
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(plain.get_program())
            .args(plain.get_args())
            .current_dir(self.home.path())
            .env_clear();
        for (k, v) in plain.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        run(cmd, b"")
    }

    /// Runs with `stdin` as standard input and extra environment variables.
    pub fn run_with(&self, args: &[&str], stdin: &str, vars: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        run(cmd, stdin.as_bytes())
    }
}

pub fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn grill");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = wait_with_timeout(child, Duration::from_secs(120));
    let _ = writer.join();
    out
}

/// Waits for the child, killing it past `limit` so a hang fails the test rather than CI.
pub fn wait_with_timeout(child: std::process::Child, limit: Duration) -> Output {
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait for grill"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("grill did not finish within {limit:?}");
        }
    };
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The repository's root, for reading shipped files.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `grill --bank bank ARGS` in a 30×100 pseudo-terminal, run from `env`'s
/// home with nothing of the caller's environment but `PATH` and `vars`.
/// `before` runs in the shell first (e.g. a resize waiting in the
/// background), and `redirect` is appended to the command line (e.g.
/// `> out.txt`).
pub fn spawn_pty(
    env: &Env,
    before: &str,
    args: &[&str],
    redirect: &str,
    vars: &[(&str, &str)],
) -> rexpect::session::PtySession {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "stty rows 30 cols 100; {before} exec \"$0\" \"$@\" {redirect}"
        ))
        .arg(env!("CARGO_BIN_EXE_grill"))
        .args(["--bank", "bank"])
        .args(args)
        .current_dir(env.home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.home.path())
        .env("GRILL_HOME", env.path("data"))
        .env("GRILL_CONFIG", env.path("config.toml"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn grill in a pty")
}
