//! The config file's text into its values, with every problem found, each
//! at its line and column and said in the user's terms ("timeout must be a
//! number of seconds, got the string \"30\""), not serde's. Pure: the caller
//! names the file and decides what the problems mean.

use std::path::PathBuf;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::text::LineIndex;

/// The config file, `~/.config/grill/config.toml` by default.
#[derive(Debug, Default)]
pub struct ConfigFile {
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub timeout: Option<f64>,
    pub retry_budget: Option<f64>,
    pub bank_dirs: Vec<PathBuf>,
    pub prompts_dir: Option<PathBuf>,
}

/// The keys a config file may hold, with what each must be.
const KEYS: &[(&str, &str)] = &[
    ("model", "a model name in quotes"),
    ("base_url", "a URL in quotes"),
    ("api_key", "a key in quotes"),
    ("timeout", "a number of seconds"),
    ("retry_budget", "a number of seconds"),
    ("bank_dirs", "a list of directories in quotes"),
    ("prompts_dir", "a directory in quotes"),
];

/// A problem: line, column, message.
pub type Problem = (usize, usize, String);

/// A value as a person would name it: `the string "30"`, `the number 30`.
fn described(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the string {:?}", crate::text::cut(s, 40)),
        DeValue::Integer(i) => format!("the number {}", i.as_str()),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

/// A number, whether written `30` or `30.0`.
fn number(value: &DeValue<'_>) -> Option<f64> {
    match value {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|n| n as f64),
        DeValue::Float(f) => f.as_str().parse().ok(),
        _ => None,
    }
}

/// Parses the config text: the values it holds, and every problem.
pub fn parse(text: &str) -> (ConfigFile, Vec<Problem>) {
    let lines = LineIndex::new(text);
    let mut problems = Vec::new();
    let mut at = |span: &std::ops::Range<usize>, message: String| {
        let (line, col) = lines.line_col(span.start);
        problems.push((line, col, message));
    };
    let (doc, errors) = DeTable::parse_recoverable(text);
    let mut file = ConfigFile::default();
    if let Some(e) = errors.first() {
        // Later syntax errors and what a broken document recovers to are
        // guesswork: say where it first breaks.
        at(
            &e.span().unwrap_or(0..0),
            format!("invalid TOML: {}", e.message().trim()),
        );
        return (file, problems);
    }
    for (key, value) in doc.get_ref() {
        let name = key.get_ref().as_ref();
        let Some((_, wanted)) = KEYS.iter().find(|(k, _)| *k == name) else {
            let hint = crate::error::closest(name, KEYS.iter().map(|(k, _)| *k))
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            at(&key.span(), format!("unknown setting `{name}`{hint}"));
            continue;
        };
        if let Err(message) = set(&mut file, name, value) {
            let message = message.unwrap_or_else(|| {
                format!(
                    "{name} must be {wanted}, got {}",
                    described(value.get_ref())
                )
            });
            at(&value.span(), message);
        }
    }
    problems.sort();
    (file, problems)
}

/// Sets one known key; `Err(None)` when the value has the wrong type,
/// `Err(Some(message))` when it has the right type and a bad value.
fn set(
    file: &mut ConfigFile,
    name: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), Option<String>> {
    let v = value.get_ref();
    let text = || v.as_str().map(str::to_string).ok_or(None);
    match name {
        "model" => {
            let model = text()?;
            if model.trim().is_empty() {
                return Err(Some("model must name a model, not be empty".into()));
            }
            file.model = Some(model);
        }
        "base_url" => file.base_url = Some(text()?),
        "api_key" => file.api_key = Some(text()?),
        "prompts_dir" => file.prompts_dir = Some(PathBuf::from(text()?)),
        "timeout" => {
            let n = number(v).ok_or(None)?;
            if !(n.is_finite() && n > 0.0) {
                return Err(Some(format!(
                    "timeout must be a positive number of seconds, got {n}"
                )));
            }
            file.timeout = Some(n);
        }
        "retry_budget" => {
            let n = number(v).ok_or(None)?;
            if !(n.is_finite() && n >= 0.0) {
                return Err(Some(format!(
                    "retry_budget must be zero or more seconds, got {n}"
                )));
            }
            file.retry_budget = Some(n);
        }
        "bank_dirs" => {
            let items = v.as_array().ok_or(None)?;
            let mut dirs = Vec::new();
            for item in items {
                match item.get_ref().as_str() {
                    Some(d) => dirs.push(PathBuf::from(d)),
                    None => {
                        return Err(Some(format!(
                            "bank_dirs must be a list of directories in quotes; one is {}",
                            described(item.get_ref())
                        )))
                    }
                }
            }
            file.bank_dirs = dirs;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        parse(text)
            .1
            .into_iter()
            .map(|(l, c, m)| format!("{l}:{c}: {m}"))
            .collect()
    }

    #[test]
    fn every_problem_is_reported_at_once_in_plain_words() {
        let text = "timeout = \"30\"\nmodle = \"x\"\nretry_budget = -1\nbank_dirs = [\"a\", 3]\nmodel = \"\"\n";
        assert_eq!(
            problems(text),
            [
                "1:11: timeout must be a number of seconds, got the string \"30\"",
                "2:1: unknown setting `modle`; did you mean `model`?",
                "3:16: retry_budget must be zero or more seconds, got -1",
                "4:13: bank_dirs must be a list of directories in quotes; one is the number 3",
                "5:9: model must name a model, not be empty",
            ]
        );
    }

    #[test]
    fn good_values_are_read_and_whole_numbers_are_numbers() {
        let (file, problems) = parse(
            "model = \"m\"\ntimeout = 30\nretry_budget = 2.5\nbank_dirs = [\"~/b\"]\nprompts_dir = \"p\"\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(file.model.as_deref(), Some("m"));
        assert_eq!((file.timeout, file.retry_budget), (Some(30.0), Some(2.5)));
        assert_eq!(file.bank_dirs, [PathBuf::from("~/b")]);
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let p = problems("model = \"m\"\ntimeout = \n");
        assert!(p[0].starts_with("2:"), "{p:?}");
        assert!(p[0].contains("invalid TOML"), "{p:?}");
    }
}
