//! A setting's value with where it came from, the environment as a
//! function (so tests pass a fixed one), and base URLs: checked, and shown
//! with their user-info masked. A leaf of `config`, so the settings of
//! each feature (`config_speech`) can be resolved beside it.

use std::fmt;

use crate::error::{Error, Result};
use crate::text::mask_key_shaped;

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
    pub fn new(value: T, origin: Origin) -> Self {
        Setting { value, origin }
    }
}

/// Reads the environment; a function so tests can pass a fixed one.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

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

/// A base URL must be an http(s) URL with a host; the error shows it masked.
pub fn check_base_url(base_url: &Setting<String>) -> Result<()> {
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
