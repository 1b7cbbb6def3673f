//! `grill config`: the effective settings and where each came from, or
//! (`--example`) a commented config file to start from.

use std::io::Write;

use serde_json::json;

use crate::cli::ConfigArgs;
use crate::config::{Settings, EXAMPLE_CONFIG};
use crate::context::Context;
use crate::error::Result;
use crate::style::{BOLD, DIM};
use crate::text::sanitize;
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
    let profile = settings.profile();
    if json {
        return Ok(render::json(&json!({
            "model": {"value": settings.model.value, "from": settings.model.origin.to_string()},
            "base_url": {"value": settings.base_url_shown(), "from": settings.base_url.origin.to_string()},
            "api_key": key,
            "timeout_secs": {"value": settings.timeout_secs.value, "from": settings.timeout_secs.origin.to_string()},
            "retry_budget_secs": {"value": settings.retry_budget_secs.value, "from": settings.retry_budget_secs.origin.to_string()},
            "db": {"value": settings.db_path.value, "from": settings.db_path.origin.to_string()},
            "config_file": settings.config_path,
            "bank_dirs": settings.bank_dirs,
            "prompts_dir": settings.prompts_dir,
            "profile": {
                "family": profile.family,
                "token_cap": profile.token_cap.as_str(),
                "temperature": profile.temperature.as_str(),
                "reasoning_effort": profile.effort,
                "max_reply_tokens": profile.budget,
                "reasoning_effort_from": settings.reasoning_effort.as_ref().map(|e| e.origin.to_string()),
            },
            "prices": settings.prices.models.keys().collect::<Vec<_>>(),
            "batch_discount": settings.prices.batch_discount,
            "judge": judge,
            "stt_model": {"value": settings.speech.model.value, "from": settings.speech.model.origin.to_string()},
            "stt_base_url": {"value": settings.speech.base_url_shown(), "from": stt_from(settings)},
            "record_command": settings.speech.record_command.as_ref().map(|c| json!({"value": c.value, "from": c.origin.to_string()})),
            "transcription": settings.speech_unavailable().unwrap_or_else(|| "ready".into()),
        }))?);
    }
    let mut out = render::stdout();
    for (name, value, origin) in rows(settings, key, judge) {
        let origin = if origin.is_empty() {
            String::new()
        } else {
            format!("  {DIM}({origin}){DIM:#}")
        };
        writeln!(out, "{BOLD}{name:13}{BOLD:#}{}{origin}", sanitize(&value))?;
    }
    Ok(())
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
