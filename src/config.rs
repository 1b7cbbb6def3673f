//! Settings, resolved once: defaults, then the config file, then the
//! environment, then flags. Every value remembers where it came from, so
//! `grill config` can say so. The API key is held here and nowhere else.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::cli::GlobalArgs;
pub use crate::config_file::{ConfigFile, EXAMPLE_CONFIG};
use crate::error::{Error, Result};
use crate::text::mask_key_shaped;

pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_TIMEOUT_SECS: f64 = 60.0;
pub const DEFAULT_RETRY_BUDGET_SECS: f64 = 45.0;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File,
    Env(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File => f.write_str("config file"),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    fn new(value: T, origin: Origin) -> Self {
        Setting { value, origin }
    }
}

/// The resolved settings every command runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub model: Setting<String>,
    pub base_url: Setting<String>,
    api_key: Option<Setting<String>>,
    pub timeout_secs: Setting<f64>,
    pub retry_budget_secs: Setting<f64>,
    pub bank_dirs: Vec<PathBuf>,
    pub prompts_dir: Option<PathBuf>,
    /// Prices per million tokens, from the config file only (`grill usage`).
    pub prices: crate::prices::Prices,
    pub db_path: Setting<PathBuf>,
    pub config_path: PathBuf,
    pub offline: bool,
    /// `--probe`: forget the response format remembered for the judge server.
    pub probe: bool,
    /// `GRILL_NOW`: a fixed time, for tests that simulate days of use.
    pub clock: crate::time::Clock,
    /// `GRILL_SEED`: a fixed seed for the question order, for tests.
    pub seed: Option<u64>,
}

/// Reads the environment; a function so tests can pass a fixed one.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "grill")
}

/// The config file by XDG on every platform, macOS and Windows included:
/// `$XDG_CONFIG_HOME/grill/config.toml`, else `~/.config/grill/config.toml`.
pub fn config_path(env: Env<'_>) -> PathBuf {
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            env("HOME")
                .or_else(|| env("USERPROFILE"))
                .map(|home| Path::new(&home).join(".config"))
        })
        .unwrap_or_else(|| PathBuf::from(".config"));
    base.join("grill").join("config.toml")
}

/// Expands a leading `~/` in paths from the config file.
fn expand_home(path: &Path, env: Env<'_>) -> PathBuf {
    match (path.strip_prefix("~"), env("HOME")) {
        (Ok(rest), Some(home)) => Path::new(&home).join(rest),
        _ => path.to_path_buf(),
    }
}

impl Settings {
    /// Resolves the settings from the process environment and the config file on disk.
    pub fn load(args: &GlobalArgs) -> Result<Settings> {
        Settings::resolve(args, &process_env)
    }

    pub fn resolve(args: &GlobalArgs, env: Env<'_>) -> Result<Settings> {
        let (config_path, named) = match env("GRILL_CONFIG") {
            Some(p) => (PathBuf::from(p), true),
            None => (config_path(env), false),
        };
        let file = read_config(&config_path, named, env)?;

        let pick = |flag: Option<&String>,
                    flag_name: &'static str,
                    env_name: &'static str,
                    file_value: Option<&String>,
                    default: &str| {
            if let Some(v) = flag {
                Setting::new(v.clone(), Origin::Flag(flag_name))
            } else if let Some(v) = env(env_name) {
                Setting::new(v, Origin::Env(env_name))
            } else if let Some(v) = file_value {
                Setting::new(v.clone(), Origin::File)
            } else {
                Setting::new(default.to_string(), Origin::Default)
            }
        };
        let model = pick(
            args.model.as_ref(),
            "--model",
            "GRILL_MODEL",
            file.model.as_ref(),
            DEFAULT_MODEL,
        );
        let mut base_url = pick(
            args.base_url.as_ref(),
            "--base-url",
            "OPENAI_BASE_URL",
            file.base_url.as_ref(),
            DEFAULT_BASE_URL,
        );
        if model.value.trim().is_empty() {
            return Err(Error::input(format!(
                "the judge model (from {}) is empty: name a model",
                model.origin
            ))
            .with_hint("for example --model gpt-4o-mini, or GRILL_MODEL=llama3.1"));
        }
        base_url.value = base_url.value.trim_end_matches('/').to_string();
        check_base_url(&base_url)?;
        let api_key = if let Some(k) = env("OPENAI_API_KEY") {
            Some(Setting::new(k, Origin::Env("OPENAI_API_KEY")))
        } else {
            file.api_key
                .clone()
                .filter(|k| !k.is_empty())
                .map(|k| Setting::new(k, Origin::File))
        };

        let (timeout_secs, retry_budget_secs) = timing(args, &file, env)?;
        let db_path = db_path(args, env)?;

        let mut bank_dirs: Vec<PathBuf> =
            file.bank_dirs.iter().map(|p| expand_home(p, env)).collect();
        bank_dirs.extend(args.banks.iter().cloned());

        let (clock, seed) = test_fixtures(env)?;

        Ok(Settings {
            model,
            base_url,
            api_key,
            timeout_secs,
            retry_budget_secs,
            bank_dirs,
            prompts_dir: file.prompts_dir.as_deref().map(|p| expand_home(p, env)),
            prices: file.prices,
            db_path,
            config_path,
            offline: args.offline,
            probe: args.probe,
            clock,
            seed,
        })
    }

    pub fn api_key(&self) -> Option<&str> {
        self.api_key.as_ref().map(|k| k.value.as_str())
    }

    /// What must never be printed or stored: the key, and a password in the base URL.
    pub fn secret(&self) -> crate::text::Secret {
        let password = url::Url::parse(&self.base_url.value)
            .ok()
            .and_then(|u| u.password().map(str::to_string))
            .unwrap_or_default();
        crate::text::Secret::new(self.api_key().unwrap_or_default()).with(&password)
    }

    /// The base URL as it may be shown: user-info as `***`.
    pub fn base_url_shown(&self) -> String {
        display_url(&self.base_url.value)
    }

    pub fn api_key_origin(&self) -> Option<&Origin> {
        self.api_key.as_ref().map(|k| &k.origin)
    }

    /// True when the base URL points at this machine (Ollama, vLLM, LM Studio...).
    pub fn is_local_server(&self) -> bool {
        match url::Url::parse(&self.base_url.value)
            .ok()
            .and_then(|u| u.host().map(|h| h.to_owned()))
        {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
            None => false,
        }
    }

    /// Why the judge cannot be used, if it cannot: no key for a remote server.
    pub fn judge_unavailable(&self) -> Option<String> {
        if self.offline {
            return Some("--offline was given".into());
        }
        if self.api_key.is_none() && self.base_url.origin == Origin::Default {
            return Some("no judge is configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server such as Ollama".into());
        }
        None
    }
}

/// A base URL as it may be shown: any user-info (`user:password@`) is
/// replaced by `***`. Text that is not a URL is shown with key-shaped tokens
/// masked, since it may be a key pasted into the wrong setting.
pub fn display_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("***");
            // `Url` normalises (a trailing slash on a bare host); keep the user's path.
            let shown = parsed.to_string();
            if text.ends_with('/') || !shown.ends_with('/') {
                shown
            } else {
                shown[..shown.len() - 1].to_string()
            }
        }
        Ok(_) => text.to_string(),
        Err(_) => match text.split_once("://") {
            // Unparseable, but it may still carry user-info before an `@`.
            Some((scheme, rest)) if rest.split('/').next().is_some_and(|a| a.contains('@')) => {
                let after = &rest[rest.find('@').map_or(0, |i| i + 1)..];
                mask_key_shaped(&format!("{scheme}://***@{after}"))
            }
            _ => mask_key_shaped(text),
        },
    }
}

/// The request timeout (flag, file) and the retry budget (env, file).
fn timing(
    args: &GlobalArgs,
    file: &ConfigFile,
    env: Env<'_>,
) -> Result<(Setting<f64>, Setting<f64>)> {
    let timeout_secs = if let Some(t) = args.timeout {
        Setting::new(t, Origin::Flag("--timeout"))
    } else if let Some(t) = file.timeout {
        Setting::new(t, Origin::File)
    } else {
        Setting::new(DEFAULT_TIMEOUT_SECS, Origin::Default)
    };
    if !(timeout_secs.value.is_finite() && timeout_secs.value > 0.0) {
        return Err(Error::input(format!(
            "timeout must be a positive number of seconds (from {})",
            timeout_secs.origin
        )));
    }
    let retry_budget_secs = if let Some(t) = env("GRILL_RETRY_BUDGET") {
        let value = t.parse::<f64>().map_err(|_| {
            Error::input(format!(
                "GRILL_RETRY_BUDGET must be a number of seconds, not `{}`",
                mask_key_shaped(&t)
            ))
        })?;
        Setting::new(value, Origin::Env("GRILL_RETRY_BUDGET"))
    } else if let Some(t) = file.retry_budget {
        Setting::new(t, Origin::File)
    } else {
        Setting::new(DEFAULT_RETRY_BUDGET_SECS, Origin::Default)
    };
    if !(retry_budget_secs.value.is_finite() && retry_budget_secs.value >= 0.0) {
        return Err(Error::input(format!(
            "the retry budget must be zero or more seconds (from {})",
            retry_budget_secs.origin
        )));
    }
    Ok((timeout_secs, retry_budget_secs))
}

/// The database: `--db`, else `$GRILL_HOME/grill.db`, else the platform's data directory.
fn db_path(args: &GlobalArgs, env: Env<'_>) -> Result<Setting<PathBuf>> {
    Ok(if let Some(p) = &args.db {
        Setting::new(p.clone(), Origin::Flag("--db"))
    } else if let Some(home) = env("GRILL_HOME") {
        Setting::new(Path::new(&home).join("grill.db"), Origin::Env("GRILL_HOME"))
    } else {
        let dir = project_dirs()
            .map(|d| d.data_dir().to_path_buf())
            .ok_or_else(|| Error::input("cannot find a data directory; set GRILL_HOME"))?;
        Setting::new(dir.join("grill.db"), Origin::Default)
    })
}

/// `GRILL_NOW` and `GRILL_SEED`: a fixed clock and seed, for tests that
/// simulate days of use or need a fixed question order.
fn test_fixtures(env: Env<'_>) -> Result<(crate::time::Clock, Option<u64>)> {
    let clock = match env("GRILL_NOW") {
        None => crate::time::Clock::system(),
        Some(text) => crate::time::parse(&text)
            .map(crate::time::Clock::fixed)
            .ok_or_else(|| {
                Error::input(format!(
                    "GRILL_NOW must be a time such as 2026-03-01T09:00:00Z, not `{}`",
                    mask_key_shaped(&text)
                ))
            })?,
    };
    let seed = match env("GRILL_SEED") {
        None => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            Error::input(format!(
                "GRILL_SEED must be a whole number, not `{}`",
                mask_key_shaped(&text)
            ))
        })?),
    };
    Ok((clock, seed))
}

/// A base URL must be an http(s) URL with a host; the error shows it masked.
fn check_base_url(base_url: &Setting<String>) -> Result<()> {
    let problem = match url::Url::parse(&base_url.value) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Some("must start with http:// or https://")
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("has no host"),
        Ok(_) => None,
        Err(_)
            if !(base_url.value.starts_with("http://")
                || base_url.value.starts_with("https://")) =>
        {
            Some("must start with http:// or https://")
        }
        Err(_) => Some("is not a valid URL"),
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::input(format!(
            "base URL `{}` (from {}) {problem}",
            display_url(&base_url.value),
            base_url.origin
        ))),
    }
}

/// Reads the config file. A missing file is no config, unless it was named
/// (`GRILL_CONFIG`); every problem in it is reported at once.
fn read_config(path: &Path, named: bool, env: Env<'_>) -> Result<ConfigFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
            return Ok(ConfigFile::default())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::input(format!(
                "GRILL_CONFIG names `{}`, which does not exist",
                path.display()
            ))
            .with_hint("create it (`grill config --example` prints one), or unset GRILL_CONFIG"))
        }
        Err(e) => return Err(Error::io(path, "read config file", &e)),
    };
    let (file, problems) = crate::config_file::parse(&text);
    let mut problems: Vec<String> = problems
        .into_iter()
        .map(|(line, col, message)| format!("{}:{line}:{col}: {message}", path.display()))
        .collect();
    if let Some(dir) = &file.prompts_dir {
        let dir = expand_home(dir, env);
        if !dir.is_dir() {
            problems.push(format!(
                "{}: prompts_dir `{}` is not a directory",
                path.display(),
                dir.display()
            ));
        }
    }
    match problems.len() {
        0 => Ok(file),
        // One problem is the message itself; the file may hold a key, so
        // its text is never echoed whole.
        1 => Err(Error::input(mask_key_shaped(&problems[0]))),
        n => Err(Error::input(format!(
            "the config file `{}` has {n} problems",
            path.display()
        ))
        .with_details(problems.iter().map(|p| mask_key_shaped(p)).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve_with(args: &GlobalArgs, vars: &[(&str, &str)]) -> Result<Settings> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        Settings::resolve(args, &move |k| map.get(k).cloned())
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.toml");
        std::fs::write(
            &cfg,
            "model = \"from-file\"\ntimeout = 5\nbase_url = \"http://file:1/v1\"\n",
        )
        .unwrap();
        let cfg = cfg.to_str().unwrap();
        let home = dir.path().to_str().unwrap();

        let s = resolve_with(
            &GlobalArgs::default(),
            &[("GRILL_CONFIG", cfg), ("GRILL_HOME", home)],
        )
        .unwrap();
        assert_eq!(
            (s.model.value.as_str(), &s.model.origin),
            ("from-file", &Origin::File)
        );
        assert_eq!(s.timeout_secs.value, 5.0);

        let s = resolve_with(
            &GlobalArgs::default(),
            &[
                ("GRILL_CONFIG", cfg),
                ("GRILL_HOME", home),
                ("GRILL_MODEL", "from-env"),
            ],
        )
        .unwrap();
        assert_eq!(s.model.origin, Origin::Env("GRILL_MODEL"));

        let args = GlobalArgs {
            model: Some("from-flag".into()),
            ..GlobalArgs::default()
        };
        let s = resolve_with(
            &args,
            &[
                ("GRILL_CONFIG", cfg),
                ("GRILL_HOME", home),
                ("GRILL_MODEL", "from-env"),
            ],
        )
        .unwrap();
        assert_eq!(
            (s.model.value.as_str(), &s.model.origin),
            ("from-flag", &Origin::Flag("--model"))
        );
        assert_eq!(s.db_path.value, dir.path().join("grill.db"));
    }

    #[test]
    fn no_key_and_default_url_means_no_judge() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.toml");
        std::fs::write(&empty, "").unwrap();
        let env = [
            ("GRILL_CONFIG", empty.to_str().unwrap()),
            ("GRILL_HOME", "/x"),
        ];
        let s = resolve_with(&GlobalArgs::default(), &env).unwrap();
        assert!(s.judge_unavailable().is_some());
        let args = GlobalArgs {
            base_url: Some("http://127.0.0.1:8080/v1/".into()),
            ..GlobalArgs::default()
        };
        let s = resolve_with(&args, &env).unwrap();
        assert!(s.judge_unavailable().is_none());
        assert!(s.is_local_server());
        assert_eq!(s.base_url.value, "http://127.0.0.1:8080/v1");
    }

    #[test]
    fn user_info_in_a_base_url_is_never_shown() {
        assert_eq!(
            display_url("http://user:SECRET@127.0.0.1:1/v1"),
            "http://***@127.0.0.1:1/v1"
        );
        assert_eq!(
            display_url("https://SECRET@example.com/v1/"),
            "https://***@example.com/v1/"
        );
        assert_eq!(
            display_url("https://a:b@example.com"),
            "https://***@example.com"
        );
        assert_eq!(
            display_url("http://localhost:11434/v1"),
            "http://localhost:11434/v1"
        );
        assert_eq!(display_url("ftp://user:SECRET@host/x"), "ftp://***@host/x");
        assert_eq!(
            display_url("http://us er:SECRET@[bad/v1"),
            "http://***@[bad/v1"
        );
    }

    #[test]
    fn a_bad_config_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.toml");
        std::fs::write(&cfg, "model = \"m\"\nmodle = \"x\"\n").unwrap();
        let err = resolve_with(
            &GlobalArgs::default(),
            &[
                ("GRILL_CONFIG", cfg.to_str().unwrap()),
                ("GRILL_HOME", "/x"),
            ],
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message
                .contains("config.toml:2:1: unknown setting `modle`; did you mean `model`?"),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_config_file_follows_xdg_everywhere() {
        let env = |vars: &'static [(&str, &str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        assert_eq!(
            config_path(&env(&[("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/me")])),
            Path::new("/xdg/grill/config.toml")
        );
        assert_eq!(
            config_path(&env(&[("HOME", "/home/me")])),
            Path::new("/home/me/.config/grill/config.toml")
        );
        // A relative XDG_CONFIG_HOME is ignored, as the spec says.
        assert_eq!(
            config_path(&env(&[("XDG_CONFIG_HOME", "rel"), ("HOME", "/h")])),
            Path::new("/h/.config/grill/config.toml")
        );
    }
}
