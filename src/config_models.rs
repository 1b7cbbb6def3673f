//! The config file's model settings: `reasoning_effort`, `max_reply_tokens`
//! and `[models."PREFIX"]` tables, which override the shipped profile of
//! every model whose id starts with PREFIX.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::provider::profile::{Override, Temperature, TokenCap, EFFORTS};

/// The fields of one `[models."PREFIX"]` table.
const MODEL_FIELDS: &[&str] = &[
    "token_cap",
    "temperature",
    "reasoning_effort",
    "max_reply_tokens",
];

/// The largest reply budget a config may ask for.
pub const MAX_REPLY_TOKENS: i64 = 128_000;

/// `max_reply_tokens`: a whole number of tokens from 256 up.
pub fn reply_tokens(value: &DeValue<'_>, name: &str) -> Result<u32, Option<String>> {
    let DeValue::Integer(i) = value else {
        return Err(None);
    };
    let n = i64::from_str_radix(i.as_str(), i.radix()).map_err(|_| None)?;
    if !(256..=MAX_REPLY_TOKENS).contains(&n) {
        return Err(Some(format!(
            "{name} must be a number of tokens from 256 to {MAX_REPLY_TOKENS}, got {n}"
        )));
    }
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// `reasoning_effort`: one of the efforts any family takes.
pub fn effort(value: &DeValue<'_>, name: &str) -> Result<String, Option<String>> {
    let text = value.as_str().ok_or(None)?;
    if EFFORTS.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(Some(format!(
            "{name} must be one of {}, got {:?}",
            EFFORTS.join(", "),
            crate::text::cut(text, 40)
        )))
    }
}

/// `[models."PREFIX"]` tables into `out`; every problem with its span.
pub fn models(
    out: &mut Vec<(String, Override)>,
    table: &DeTable<'_>,
) -> Vec<(Range<usize>, String)> {
    let mut problems = Vec::new();
    for (prefix, value) in table {
        let name = format!("models.{:?}", prefix.get_ref().as_ref());
        let Some(fields) = value.get_ref().as_table() else {
            problems.push((
                value.span(),
                format!("{name} must be a table ({})", MODEL_FIELDS.join(", ")),
            ));
            continue;
        };
        let mut o = Override::default();
        for (field, v) in fields {
            let field_name = field.get_ref().as_ref();
            let full = format!("{name}.{field_name}");
            let result: Result<(), Option<String>> = match field_name {
                "token_cap" => {
                    let cap = match v.get_ref().as_str() {
                        Some("max_tokens") => Some(TokenCap::MaxTokens),
                        Some("max_completion_tokens") => Some(TokenCap::MaxCompletionTokens),
                        Some("none") => Some(TokenCap::None),
                        _ => None,
                    };
                    o.token_cap = cap;
                    cap.map(drop).ok_or_else(|| {
                        Some(format!(
                            "{full} must be \"max_tokens\", \"max_completion_tokens\" or \"none\""
                        ))
                    })
                }
                "temperature" => {
                    let t = match v.get_ref().as_str() {
                        Some("zero") => Some(Temperature::Zero),
                        Some("omit") => Some(Temperature::Omit),
                        Some("zero_without_reasoning") => Some(Temperature::ZeroWithoutReasoning),
                        _ => None,
                    };
                    o.temperature = t;
                    t.map(drop).ok_or_else(|| {
                        Some(format!(
                            "{full} must be \"zero\", \"omit\" or \"zero_without_reasoning\""
                        ))
                    })
                }
                "reasoning_effort" => match v.get_ref().as_str() {
                    Some("omit") => {
                        o.effort = Some(None);
                        Ok(())
                    }
                    _ => effort(v.get_ref(), &full).map(|e| o.effort = Some(Some(e))),
                },
                "max_reply_tokens" => reply_tokens(v.get_ref(), &full).map(|n| o.budget = Some(n)),
                _ => {
                    let hint = crate::error::closest(field_name, MODEL_FIELDS.iter().copied())
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    Err(Some(format!("unknown model setting `{full}`{hint}")))
                }
            };
            if let Err(message) = result {
                let message = message.unwrap_or_else(|| format!("{full} has the wrong type"));
                let span = if MODEL_FIELDS.contains(&field_name) {
                    v.span()
                } else {
                    field.span()
                };
                problems.push((span, message));
            }
        }
        out.push((prefix.get_ref().to_string(), o));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_file::parse;

    #[test]
    fn model_tables_and_effort_are_read_with_their_problems() {
        let (file, problems) = parse(
            "reasoning_effort = \"medium\"\nmax_reply_tokens = 4000\n\
             [models.\"acme-\"]\ntoken_cap = \"max_completion_tokens\"\ntemperature = \"omit\"\n\
             reasoning_effort = \"omit\"\n",
        );
        assert_eq!(problems, vec![]);
        assert_eq!(file.reasoning_effort.as_deref(), Some("medium"));
        assert_eq!(file.max_reply_tokens, Some(4000));
        let (prefix, o) = &file.models[0];
        assert_eq!(prefix, "acme-");
        assert_eq!(o.token_cap, Some(TokenCap::MaxCompletionTokens));
        assert_eq!(o.effort, Some(None));
        let (_, problems) = parse(
            "reasoning_effort = \"hgih\"\n[models.x]\ntempature = \"omit\"\nmax_reply_tokens = 9\n",
        );
        let messages: Vec<&str> = problems.iter().map(|p| p.2.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("reasoning_effort must be one of none, minimal"));
        assert!(messages[1].contains(
            "unknown model setting `models.\"x\".tempature`; did you mean `temperature`?"
        ));
        assert!(messages[2].contains("from 256 to 128000, got 9"));
    }
}
