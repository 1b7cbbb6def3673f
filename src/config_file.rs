//! The config file's text into its values, with every problem found, each
//! at its line and column and said in the user's terms ("timeout must be a
//! number of seconds, got the string \"30\""), not serde's. Pure: the caller
//! names the file and decides what the problems mean.

use std::path::PathBuf;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::prices::{Price, Prices};
use crate::text::LineIndex;

/// A commented default config, printed by `grill config --example`.
pub const EXAMPLE_CONFIG: &str = r#"# grill config: $XDG_CONFIG_HOME/grill/config.toml, else ~/.config/grill/config.toml
# (on every platform; GRILL_CONFIG names another file, which must exist)
# Flags beat environment variables, which beat this file.

# model = "gpt-6-luna"                   # GRILL_MODEL, --model
# base_url = "http://localhost:11434/v1" # OPENAI_BASE_URL, --base-url (Ollama, vLLM, LM Studio...)
# api_key = "..."                        # OPENAI_API_KEY; prefer the environment variable
# timeout = 60                           # seconds per judge request, --timeout
# retry_budget = 45                      # seconds for all retries of one grade, GRILL_RETRY_BUDGET
# reasoning_effort = "low"               # GRILL_REASONING_EFFORT, --reasoning-effort (reasoning models)
# max_reply_tokens = 8000                # the judge's reply budget, reasoning included
# bank_dirs = ["~/interview-bank"]       # extra question banks, like --bank
# prompts_dir = "~/grill-prompts"        # judge-system.md / judge-user.md overrides

# Spoken answers (`grill grade --answer-audio FILE`): the transcription
# server is the judge's unless named; the key is the judge's.
# stt_model = "gpt-4o-mini-transcribe"   # GRILL_STT_MODEL (whisper-1, a local server's model...)
# stt_base_url = "http://localhost:8000/v1" # GRILL_STT_BASE_URL (whisper.cpp, speaches, LocalAI)
# record_command = "arecord -q -f S16_LE -r 16000 -c 1 {path}" # GRILL_RECORD_COMMAND; {path} is the WAV to write

# What your provider charges, per million tokens, for `grill usage` to show
# cost; grill knows no price of its own. Copy the figures from your provider.
# batch_discount = 0.5                   # fraction off for grades made through the Batch API
# [prices."gpt-6-luna"]
# input = 0.0                            # prompt tokens
# cached_input = 0.0                     # prompt tokens served from the prompt cache (default: input)
# output = 0.0                           # completion tokens

# What a model family takes in a request (grill ships a dated table of them;
# `grill doctor` shows the one in use). A table here overrides it for every
# model whose id starts with the prefix.
# [models."acme-"]
# token_cap = "max_completion_tokens"    # or "max_tokens", "none"
# temperature = "omit"                   # or "zero", "zero_without_reasoning"
# reasoning_effort = "low"               # or "omit" to send none
# max_reply_tokens = 8000
"#;

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
    /// `[prices."MODEL"]` tables and `batch_discount`.
    pub prices: Prices,
    pub reasoning_effort: Option<String>,
    pub max_reply_tokens: Option<u32>,
    /// `[models."PREFIX"]` tables, in file order.
    pub models: Vec<(String, crate::provider::profile::Override)>,
    pub stt_model: Option<String>,
    pub stt_base_url: Option<String>,
    pub record_command: Option<String>,
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
    ("batch_discount", "a fraction from 0 to 1"),
    ("prices", "tables such as [prices.\"gpt-6-luna\"]"),
    ("reasoning_effort", "an effort in quotes such as \"low\""),
    ("max_reply_tokens", "a number of tokens"),
    ("models", "tables such as [models.\"gpt-5\"]"),
    ("stt_model", "a transcription model name in quotes"),
    ("stt_base_url", "a URL in quotes"),
    ("record_command", "a command in quotes with {path} in it"),
];

/// The fields of one model's prices, each a number per million tokens.
const PRICE_FIELDS: &[&str] = &["input", "cached_input", "output"];

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
        if name == "prices" {
            if let Some(table) = value.get_ref().as_table() {
                for (span, message) in prices(&mut file.prices, table) {
                    at(&span, message);
                }
                continue;
            }
        }
        if name == "models" {
            if let Some(table) = value.get_ref().as_table() {
                for (span, message) in crate::config_models::models(&mut file.models, table) {
                    at(&span, message);
                }
                continue;
            }
        }
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
        "stt_base_url" => file.stt_base_url = Some(text()?),
        "stt_model" => {
            let model = text()?;
            if model.trim().is_empty() {
                return Err(Some("stt_model must name a model, not be empty".into()));
            }
            file.stt_model = Some(model);
        }
        "record_command" => {
            let command = text()?;
            if !command.contains("{path}") {
                return Err(Some(
                    "record_command must contain {path}, where the recording is written".into(),
                ));
            }
            file.record_command = Some(command);
        }
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
        "batch_discount" => {
            let n = number(v).ok_or(None)?;
            if !(0.0..=1.0).contains(&n) {
                return Err(Some(format!(
                    "batch_discount must be a fraction from 0 to 1 (0.5 is half price), got {n}"
                )));
            }
            file.prices.batch_discount = Some(n);
        }
        // A table is read by `prices`; anything else is the wrong type.
        "prices" | "models" => return Err(None),
        "reasoning_effort" => {
            file.reasoning_effort = Some(crate::config_models::effort(v, name)?);
        }
        "max_reply_tokens" => {
            file.max_reply_tokens = Some(crate::config_models::reply_tokens(v, name)?);
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

/// `[prices."MODEL"]` tables into `out`; every problem with its span,
/// named as the user wrote it (`prices."gpt-4o-mini".input`).
fn prices(out: &mut Prices, table: &DeTable<'_>) -> Vec<(std::ops::Range<usize>, String)> {
    let mut problems = Vec::new();
    for (model, value) in table {
        let name = format!("prices.{:?}", model.get_ref().as_ref());
        let Some(fields) = value.get_ref().as_table() else {
            problems.push((
                value.span(),
                format!(
                    "{name} must be a table of prices per million tokens (input, cached_input, output), got {}",
                    described(value.get_ref())
                ),
            ));
            continue;
        };
        let mut got = [None; 3];
        let mut ok = true;
        for (field, v) in fields {
            let field_name = field.get_ref().as_ref();
            let Some(i) = PRICE_FIELDS.iter().position(|f| *f == field_name) else {
                let hint = crate::error::closest(field_name, PRICE_FIELDS.iter().copied())
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                problems.push((
                    field.span(),
                    format!("unknown price `{name}.{field_name}`{hint}"),
                ));
                ok = false;
                continue;
            };
            match number(v.get_ref()) {
                Some(n) if n.is_finite() && n >= 0.0 => got[i] = Some(n),
                Some(n) => {
                    problems.push((
                        v.span(),
                        format!(
                            "{name}.{field_name} must be zero or more per million tokens, got {n}"
                        ),
                    ));
                    ok = false;
                }
                None => {
                    problems.push((
                        v.span(),
                        format!(
                            "{name}.{field_name} must be a number per million tokens, got {}",
                            described(v.get_ref())
                        ),
                    ));
                    ok = false;
                }
            }
        }
        let missing: Vec<&str> = [0, 2]
            .into_iter()
            .filter(|&i| got[i].is_none())
            .map(|i| PRICE_FIELDS[i])
            .collect();
        if ok && !missing.is_empty() {
            problems.push((
                model.span(),
                format!(
                    "{name} needs {} (per million tokens)",
                    missing.join(" and ")
                ),
            ));
        }
        if let [Some(input), cached_input, Some(output)] = got {
            out.models.insert(
                model.get_ref().to_string(),
                Price {
                    input,
                    cached_input,
                    output,
                },
            );
        }
    }
    problems
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

    #[test]
    fn prices_are_read_per_model_and_each_bad_field_is_named() {
        let (file, problems) = parse(
            "batch_discount = 0.5\n[prices.\"gpt-4o-mini\"]\ninput = 0.15\ncached_input = 0.075\noutput = 0.6\n[prices.local]\ninput = 0\noutput = 0\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(file.prices.batch_discount, Some(0.5));
        let p = file.prices.models["gpt-4o-mini"];
        assert_eq!(
            (p.input, p.cached_input, p.output),
            (0.15, Some(0.075), 0.6)
        );
        assert_eq!(file.prices.models["local"].cached_input, None);

        let text = "batch_discount = 50\n[prices.\"m\"]\ninput = \"0.15\"\noutptu = 1\n[prices.n]\ninput = -1\noutput = 2\n[prices.o]\ninput = 1\n";
        assert_eq!(
            problems_of(text),
            [
                "1:18: batch_discount must be a fraction from 0 to 1 (0.5 is half price), got 50",
                "3:9: prices.\"m\".input must be a number per million tokens, got the string \"0.15\"",
                "4:1: unknown price `prices.\"m\".outptu`; did you mean `output`?",
                "6:9: prices.\"n\".input must be zero or more per million tokens, got -1",
                "8:9: prices.\"o\" needs output (per million tokens)",
            ]
        );
        assert!(parse(text).0.prices.models.is_empty());
    }

    fn problems_of(text: &str) -> Vec<String> {
        problems(text)
    }

    #[test]
    fn the_example_config_parses_once_uncommented() {
        let text = EXAMPLE_CONFIG
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("[prices."), "{text}");
        let (file, problems) = parse(&text);
        assert!(problems.is_empty(), "{problems:?}\n{text}");
        assert_eq!(file.prices.models.len(), 1);
        assert_eq!(file.prices.batch_discount, Some(0.5));
    }
}
