//! Settings, resolved once: defaults, then the config file, then the
//! environment, then flags. Every value remembers where it came from, so
//! `grill config` can say so. The API key is held here and nowhere else.

use std::path::{Path, PathBuf};

use crate::cli::GlobalArgs;
pub use crate::config_file::{ConfigFile, EXAMPLE_CONFIG};
use crate::error::{Error, Result};
pub use crate::setting::{check_base_url, display_url, Env, Origin, Setting};
use crate::text::mask_key_shaped;

/// The judge model when none is set: current (released 2026-09), cheap,
/// with structured outputs and the Batch API, on no deprecation list as of
/// the profile table's review date.
pub const DEFAULT_MODEL: &str = "gpt-6-luna";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_TIMEOUT_SECS: f64 = 60.0;
pub const DEFAULT_RETRY_BUDGET_SECS: f64 = 45.0;

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
    /// `--reasoning-effort`, `GRILL_REASONING_EFFORT`, `reasoning_effort`.
    pub reasoning_effort: Option<Setting<String>>,
    /// The config file's `max_reply_tokens`.
    pub max_reply_tokens: Option<u32>,
    /// The config file's `[models."PREFIX"]` tables.
    pub models: Vec<(String, crate::provider::profile::Override)>,
    /// Spoken answers: the transcription model and server, the recorder.
    pub speech: crate::config_speech::Speech,
}

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
            .with_hint("for example --model gpt-6-luna, or GRILL_MODEL=llama3.1"));
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
        let reasoning_effort = reasoning_effort(args, &file, env)?;
        let speech = crate::config_speech::resolve(&file, env, &base_url)?;

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
            reasoning_effort,
            max_reply_tokens: file.max_reply_tokens,
            models: file.models,
            speech,
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

    /// Why no transcription server can be asked, if none can: offline, or
    /// no key for a remote server that was not named.
    pub fn speech_unavailable(&self) -> Option<String> {
        if self.offline {
            return Some("--offline was given: no transcription server is asked".into());
        }
        let remote_default = self.speech.base_url.origin == Origin::Default
            && self.base_url.origin == Origin::Default;
        if self.api_key.is_none() && remote_default {
            return Some("no transcription server is configured: set OPENAI_API_KEY, or GRILL_STT_BASE_URL for a local server such as whisper.cpp's".into());
        }
        None
    }

    /// The secrets of the transcription server: the key, and a password
    /// in its base URL or the judge's.
    pub fn speech_secret(&self) -> crate::text::Secret {
        let password = url::Url::parse(&self.speech.base_url.value)
            .ok()
            .and_then(|u| u.password().map(str::to_string))
            .unwrap_or_default();
        self.secret().with(&password)
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

impl Settings {
    /// The request shape of the judge model: its family's shipped profile,
    /// then the config file's `[models."PREFIX"]` table with the longest
    /// matching prefix, then the reasoning effort and reply budget set by
    /// flag, environment or config.
    pub fn profile(&self) -> crate::provider::profile::Profile {
        use crate::provider::profile::{lookup, Override};
        let model = self.model.value.to_lowercase();
        let bare = model.rsplit('/').next().unwrap_or(&model).to_string();
        let mut profile = lookup(&self.model.value);
        if let Some((_, o)) = self
            .models
            .iter()
            .filter(|(prefix, _)| {
                let p = prefix.to_lowercase();
                bare.starts_with(&p) || model.starts_with(&p)
            })
            .max_by_key(|(prefix, _)| prefix.len())
        {
            profile = o.apply(profile);
        }
        let global = Override {
            effort: self
                .reasoning_effort
                .as_ref()
                .map(|e| Some(e.value.clone())),
            budget: self.max_reply_tokens,
            ..Override::default()
        };
        global.apply(profile)
    }
}

/// `--reasoning-effort`, else `GRILL_REASONING_EFFORT`, else the config
/// file's `reasoning_effort`; each one of the efforts any family takes.
fn reasoning_effort(
    args: &GlobalArgs,
    file: &ConfigFile,
    env: Env<'_>,
) -> Result<Option<Setting<String>>> {
    use crate::provider::profile::EFFORTS;
    let setting = if let Some(e) = &args.reasoning_effort {
        Setting::new(e.clone(), Origin::Flag("--reasoning-effort"))
    } else if let Some(e) = env("GRILL_REASONING_EFFORT") {
        Setting::new(e, Origin::Env("GRILL_REASONING_EFFORT"))
    } else if let Some(e) = &file.reasoning_effort {
        Setting::new(e.clone(), Origin::File)
    } else {
        return Ok(None);
    };
    if !EFFORTS.contains(&setting.value.as_str()) {
        return Err(Error::input(format!(
            "the reasoning effort (from {}) must be one of {}, got {:?}",
            setting.origin,
            EFFORTS.join(", "),
            crate::text::cut(&setting.value, 40)
        )));
    }
    Ok(Some(setting))
}

#[cfg(test)]
mod tests;
