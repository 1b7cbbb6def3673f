//! The settings of spoken answers: which model transcribes, on which
//! server, and which command records. The transcription server is the
//! judge's unless one is named (OpenAI, Groq and LocalAI serve both; a
//! local whisper.cpp or speaches server is named with `stt_base_url`), and
//! the key is the judge's: one account, one key.

use std::path::{Path, PathBuf};

use crate::config_file::ConfigFile;
use crate::error::{Error, Result};
use crate::setting::{check_base_url, display_url, Env, Origin, Setting};
use crate::text::mask_key_shaped;

/// The transcription model when none is set: OpenAI's cheap one. It takes
/// `json` (no segment timings), so the longest pause is not known with it.
pub const DEFAULT_STT_MODEL: &str = "gpt-4o-mini-transcribe";

#[derive(Debug, Clone)]
pub struct Speech {
    /// `GRILL_STT_MODEL`, the config file's `stt_model`.
    pub model: Setting<String>,
    /// `GRILL_STT_BASE_URL`, the config file's `stt_base_url`; by default
    /// (origin `Default`) the judge's base URL.
    pub base_url: Setting<String>,
    /// `GRILL_RECORD_COMMAND`, the config file's `record_command`: a shell
    /// command with `{path}` where the WAV is to be written.
    pub record_command: Option<Setting<String>>,
}

impl Speech {
    /// The base URL as it may be shown: user-info as `***`.
    pub fn base_url_shown(&self) -> String {
        display_url(&self.base_url.value)
    }

    /// Whether the transcription server was named (not the judge's by default).
    pub fn named(&self) -> bool {
        self.base_url.origin != Origin::Default || self.model.origin != Origin::Default
    }
}

/// Env, then file, then default for each setting; the base URL is checked
/// like the judge's.
pub fn resolve(
    file: &ConfigFile,
    env: Env<'_>,
    judge_base_url: &Setting<String>,
) -> Result<Speech> {
    let model = if let Some(m) = env("GRILL_STT_MODEL") {
        Setting::new(m, Origin::Env("GRILL_STT_MODEL"))
    } else if let Some(m) = &file.stt_model {
        Setting::new(m.clone(), Origin::File)
    } else {
        Setting::new(DEFAULT_STT_MODEL.to_string(), Origin::Default)
    };
    if model.value.trim().is_empty() {
        return Err(Error::input(format!(
            "the transcription model (from {}) is empty: name a model",
            model.origin
        ))
        .with_hint("for example GRILL_STT_MODEL=whisper-1"));
    }
    let mut base_url = if let Some(u) = env("GRILL_STT_BASE_URL") {
        Setting::new(u, Origin::Env("GRILL_STT_BASE_URL"))
    } else if let Some(u) = &file.stt_base_url {
        Setting::new(u.clone(), Origin::File)
    } else {
        Setting::new(judge_base_url.value.clone(), Origin::Default)
    };
    base_url.value = base_url.value.trim_end_matches('/').to_string();
    check_base_url(&base_url).map_err(|e| Error::input(format!("transcription {}", e.message)))?;
    let record_command = if let Some(c) = env("GRILL_RECORD_COMMAND") {
        if !c.contains("{path}") {
            return Err(Error::input(format!(
                "GRILL_RECORD_COMMAND must contain {{path}}, where the recording is written, not `{}`",
                mask_key_shaped(&c)
            )));
        }
        Some(Setting::new(c, Origin::Env("GRILL_RECORD_COMMAND")))
    } else {
        file.record_command
            .clone()
            .map(|c| Setting::new(c, Origin::File))
    };
    Ok(Speech {
        model,
        base_url,
        record_command,
    })
}

/// Where recordings are kept: `audio/` beside the database, the user's
/// files (grill never deletes one it did not make).
pub fn audio_dir(db_path: &Path) -> PathBuf {
    db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
        .join("audio")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn speech(file: &str, vars: &[(&str, &str)]) -> Result<Speech> {
        let (file, problems) = crate::config_file::parse(file);
        assert!(problems.is_empty(), "{problems:?}");
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        let judge = Setting::new(
            "http://judge:1/v1".to_string(),
            Origin::Env("OPENAI_BASE_URL"),
        );
        resolve(&file, &move |k| map.get(k).cloned(), &judge)
    }

    #[test]
    fn the_judges_server_and_the_cheap_model_by_default_then_file_then_env() {
        let s = speech("", &[]).unwrap();
        assert_eq!(s.model.value, DEFAULT_STT_MODEL);
        assert_eq!(
            (s.base_url.value.as_str(), &s.base_url.origin),
            ("http://judge:1/v1", &Origin::Default)
        );
        assert!(!s.named() && s.record_command.is_none());
        let file = "stt_model = \"whisper-1\"\nstt_base_url = \"http://stt:2/v1/\"\nrecord_command = \"rec -q {path}\"\n";
        let s = speech(file, &[]).unwrap();
        assert_eq!(s.model.value, "whisper-1");
        assert_eq!(s.base_url.value, "http://stt:2/v1");
        assert_eq!(s.record_command.unwrap().value, "rec -q {path}");
        let s = speech(
            file,
            &[
                ("GRILL_STT_MODEL", "large-v3"),
                ("GRILL_STT_BASE_URL", "http://x:3/v1"),
            ],
        )
        .unwrap();
        assert_eq!(s.model.origin, Origin::Env("GRILL_STT_MODEL"));
        assert_eq!(s.base_url.value, "http://x:3/v1");
        assert!(s.named());
    }

    #[test]
    fn a_bad_url_or_a_command_without_its_path_is_named() {
        let err = speech("", &[("GRILL_STT_BASE_URL", "localhost:8000")]).unwrap_err();
        assert!(
            err.message.starts_with(
                "transcription base URL `localhost:8000` (from env GRILL_STT_BASE_URL)"
            ),
            "{}",
            err.message
        );
        let err = speech("", &[("GRILL_RECORD_COMMAND", "arecord out.wav")]).unwrap_err();
        assert!(
            err.message.contains("must contain {path}"),
            "{}",
            err.message
        );
        let (_, problems) =
            crate::config_file::parse("record_command = \"arecord\"\nstt_model = \" \"\n");
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn recordings_live_beside_the_database() {
        assert_eq!(audio_dir(Path::new("/d/grill.db")), Path::new("/d/audio"));
        assert_eq!(audio_dir(Path::new("grill.db")), Path::new("./audio"));
    }
}
