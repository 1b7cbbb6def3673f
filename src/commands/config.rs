//! `grill config`: the effective settings and where each came from, or
//! (`--example`) a commented config file to start from.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::ConfigArgs;
use crate::config::{Setting, Settings, EXAMPLE_CONFIG};
use crate::context::Context;
use crate::error::Result;
use crate::style::{BOLD, DIM};
use crate::ui::render;

pub fn run(ctx: &Context, args: &ConfigArgs) -> Result<()> {
    let settings = &ctx.settings;
    let json = args.json;
    if args.example {
        write!(render::stdout(), "{EXAMPLE_CONFIG}")?;
        return Ok(());
    }
    let key = match settings.api_key_origin() {
        Some(origin) => format!("set ({origin})"),
        None => "not set".to_string(),
    };
    let judge = settings
        .judge_unavailable()
        .unwrap_or_else(|| "ready".into());
    if json {
        return Ok(render::json(&ConfigJson::new(settings, key, judge))?);
    }
    let mut out = render::stdout();
    let hang = " ".repeat(13);
    for (name, value, origin) in rows(settings, key, judge) {
        let first = format!("{BOLD}{name:13}{BOLD:#}");
        let origin = if origin.is_empty() {
            String::new()
        } else {
            format!("({origin})")
        };
        let long = 13 + value.chars().count() + 2 + origin.chars().count();
        if long <= render::listing_width() {
            let value = crate::text::sanitize(&value);
            let origin = crate::text::sanitize(&origin);
            let gap = if origin.is_empty() { "" } else { "  " };
            writeln!(out, "{first}{value}{gap}{DIM}{origin}{DIM:#}")?;
        } else {
            let parts = [
                (value.as_str(), anstyle::Style::new()),
                (origin.as_str(), DIM),
            ];
            write!(out, "{}", render::spans(&parts, &first, &hang))?;
        }
    }
    Ok(())
}

/// The settings as `grill config --json` prints them.
#[derive(Serialize)]
struct ConfigJson<'a> {
    model: Sourced<&'a str>,
    base_url: Sourced<String>,
    /// Whether a key is set and where from; never the key.
    api_key: String,
    timeout_secs: Sourced<f64>,
    retry_budget_secs: Sourced<f64>,
    db: Sourced<&'a Path>,
    config_file: &'a Path,
    bank_dirs: &'a [PathBuf],
    prompts_dir: Option<&'a Path>,
    profile: ProfileJson,
    prices: Vec<&'a str>,
    batch_discount: Option<f64>,
    /// `ready`, or why the judge cannot be reached.
    judge: String,
    stt_model: Sourced<&'a str>,
    stt_base_url: Sourced<String>,
    record_command: Option<Sourced<&'a str>>,
    /// `ready`, or why answers cannot be transcribed.
    transcription: String,
}

/// A setting's value and where it came from.
#[derive(Serialize)]
struct Sourced<T> {
    value: T,
    from: String,
}

impl<T> Sourced<T> {
    fn of<'s, U>(setting: &'s Setting<U>, value: impl FnOnce(&'s U) -> T) -> Sourced<T> {
        Sourced {
            value: value(&setting.value),
            from: setting.origin.to_string(),
        }
    }
}

/// The request shape the judge's model gets.
#[derive(Serialize)]
struct ProfileJson {
    family: String,
    token_cap: &'static str,
    temperature: &'static str,
    reasoning_effort: Option<String>,
    max_reply_tokens: u32,
    reasoning_effort_from: Option<String>,
}

impl<'a> ConfigJson<'a> {
    fn new(settings: &'a Settings, api_key: String, judge: String) -> ConfigJson<'a> {
        let profile = settings.profile();
        ConfigJson {
            model: Sourced::of(&settings.model, String::as_str),
            base_url: Sourced {
                value: settings.base_url_shown(),
                from: settings.base_url.origin.to_string(),
            },
            api_key,
            timeout_secs: Sourced::of(&settings.timeout_secs, |v| *v),
            retry_budget_secs: Sourced::of(&settings.retry_budget_secs, |v| *v),
            db: Sourced::of(&settings.db_path, PathBuf::as_path),
            config_file: &settings.config_path,
            bank_dirs: &settings.bank_dirs,
            prompts_dir: settings.prompts_dir.as_deref(),
            profile: ProfileJson {
                family: profile.family,
                token_cap: profile.token_cap.as_str(),
                temperature: profile.temperature.as_str(),
                reasoning_effort: profile.effort,
                max_reply_tokens: profile.budget,
                reasoning_effort_from: settings
                    .reasoning_effort
                    .as_ref()
                    .map(|e| e.origin.to_string()),
            },
            prices: settings.prices.models.keys().map(String::as_str).collect(),
            batch_discount: settings.prices.batch_discount,
            judge,
            stt_model: Sourced::of(&settings.speech.model, String::as_str),
            stt_base_url: Sourced {
                value: settings.speech.base_url_shown(),
                from: stt_from(settings),
            },
            record_command: settings
                .speech
                .record_command
                .as_ref()
                .map(|c| Sourced::of(c, String::as_str)),
            transcription: settings
                .speech_unavailable()
                .unwrap_or_else(|| "ready".into()),
        }
    }
}

/// Each setting as (name, value, where it came from).
fn rows(settings: &Settings, key: String, judge: String) -> Vec<(&'static str, String, String)> {
    vec![
        (
            "model",
            settings.model.value.clone(),
            settings.model.origin.to_string(),
        ),
        (
            "base_url",
            settings.base_url_shown(),
            settings.base_url.origin.to_string(),
        ),
        ("api_key", key, String::new()),
        ("profile", profile_line(&settings.profile()), String::new()),
        (
            "timeout",
            format!("{}s", settings.timeout_secs.value),
            settings.timeout_secs.origin.to_string(),
        ),
        (
            "retry_budget",
            format!("{}s", settings.retry_budget_secs.value),
            settings.retry_budget_secs.origin.to_string(),
        ),
        (
            "db",
            settings.db_path.value.display().to_string(),
            settings.db_path.origin.to_string(),
        ),
        (
            "config file",
            settings.config_path.display().to_string(),
            if settings.config_path.exists() {
                "found"
            } else {
                "not found"
            }
            .to_string(),
        ),
        (
            "bank_dirs",
            if settings.bank_dirs.is_empty() {
                "(built-in only)".into()
            } else {
                settings
                    .bank_dirs
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            String::new(),
        ),
        (
            "prompts_dir",
            settings
                .prompts_dir
                .as_ref()
                .map_or("(built-in)".into(), |p| p.display().to_string()),
            String::new(),
        ),
        ("prices", prices(&settings.prices), String::new()),
        ("judge", judge, String::new()),
        (
            "stt_model",
            settings.speech.model.value.clone(),
            settings.speech.model.origin.to_string(),
        ),
        (
            "stt_base_url",
            settings.speech.base_url_shown(),
            stt_from(settings),
        ),
        (
            "recorder",
            settings.speech.record_command.as_ref().map_or_else(
                || "the first of arecord, rec (sox), ffmpeg on PATH".to_string(),
                |c| c.value.clone(),
            ),
            settings
                .speech
                .record_command
                .as_ref()
                .map(|c| c.origin.to_string())
                .unwrap_or_default(),
        ),
    ]
}

/// Where the transcription server's URL came from: by default, the judge's.
fn stt_from(settings: &Settings) -> String {
    match settings.speech.base_url.origin {
        crate::config::Origin::Default => "default: the judge's base_url".into(),
        ref other => other.to_string(),
    }
}

/// The request shape the judge model gets, in one line (before anything
/// its server teaches; `grill doctor` shows that too).
fn profile_line(p: &crate::provider::profile::Profile) -> String {
    use crate::provider::profile::Origin;
    let from = match p.origin {
        Origin::Shipped => format!("grill's table of {}", crate::provider::profile::reviewed()),
        Origin::Config => "the config file".into(),
        Origin::Plain => "no family matched: plain chat".into(),
    };
    format!(
        "{} ({from}): {} {}, temperature {}, reasoning_effort {}",
        p.family,
        p.token_cap.as_str(),
        p.budget,
        p.temperature.as_str(),
        p.effort.as_deref().unwrap_or("not sent")
    )
}

/// The models with prices, and the batch discount, in one line.
fn prices(prices: &crate::prices::Prices) -> String {
    if prices.is_empty() {
        let shipped = crate::prices::shipped();
        return format!(
            "(none set: OpenAI's list prices of {} for {} models, batch {:.0}% off)",
            shipped.reviewed,
            shipped.models.len(),
            shipped.batch_discount * 100.0
        );
    }
    let models: Vec<&str> = prices.models.keys().map(String::as_str).collect();
    let discount = prices.batch_discount.map_or_else(
        || "no batch_discount".to_string(),
        |d| format!("batch {:.0}% off", d * 100.0),
    );
    format!("{}; {discount}", models.join(", "))
}
