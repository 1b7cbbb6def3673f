//! The field-level checks of a bank file: where each problem is (the
//! reporter), decoding with serde past every bad field, and the checks
//! serde cannot make. `parse` walks the file and calls these.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::model::{id_problem, is_year_month, Diagnostic};
use crate::text::LineIndex;

/// Turns byte offsets into `path:line:col` diagnostics for one source text.
pub struct Reporter<'a> {
    pub path: &'a str,
    pub lines: LineIndex<'a>,
    pub out: Vec<Diagnostic>,
}

impl Reporter<'_> {
    pub fn at(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let (line, col) = self.lines.line_col(span.start);
        self.out.push(Diagnostic {
            path: self.path.to_string(),
            line,
            col,
            message: message.into(),
        });
    }
}

/// Decodes a table with serde, reporting every bad field, not only the
/// first: a field serde stops at is reported, taken out, and the rest
/// decoded again (a "missing field" for a field taken out is not news).
pub fn decode<T: DeserializeOwned>(
    mut table: DeTable<'_>,
    span: Range<usize>,
    rep: &mut Reporter<'_>,
) -> Option<T> {
    let mut removed: Vec<String> = Vec::new();
    loop {
        let value = Spanned::new(span.clone(), DeValue::Table(table.clone()));
        let err = match T::deserialize(ValueDeserializer::from(value)) {
            Ok(v) if removed.is_empty() => return Some(v),
            Ok(_) => return None,
            Err(err) => err,
        };
        let message = err.message().trim().to_string();
        if removed
            .iter()
            .any(|k| message == format!("missing field `{k}`"))
        {
            return None;
        }
        let at = err.span().unwrap_or_else(|| span.clone());
        rep.at(&at, message);
        let culprit = table
            .iter()
            .find(|(_, v)| v.span().contains(&at.start) || v.span().start == at.start)
            .map(|(k, _)| k.clone());
        match culprit {
            Some(key) => {
                removed.push(key.get_ref().to_string());
                table.remove(&key);
            }
            None => return None,
        }
    }
}

/// The checks serde cannot make on a question's own fields, made on the
/// fields that have the right type, so they run even when another field
/// fails to decode; each problem is reported.
pub fn question_ok(fields: &DeTable<'_>, rep: &mut Reporter<'_>) -> bool {
    let mut ok = true;
    let text = |key: &str| {
        fields
            .get(key)
            .and_then(|v| v.get_ref().as_str().map(|t| (t.to_string(), v.span())))
    };
    if let Some((id, span)) = text("id") {
        if let Some(problem) = id_problem("question id", &id) {
            rep.at(&span, problem);
            ok = false;
        }
    }
    if let Some((answer, span)) = text("model_answer") {
        if answer.trim().is_empty() {
            rep.at(&span, "empty model answer");
            ok = false;
        }
    }
    if let Some(v) = fields.get("minutes") {
        if let Some(minutes) = v
            .get_ref()
            .as_integer()
            .and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok())
        {
            if !(1..=60).contains(&minutes) {
                rep.at(
                    &v.span(),
                    format!("minutes must be between 1 and 60, not {minutes}"),
                );
                ok = false;
            }
        }
    }
    if let Some(sources) = fields.get("sources").and_then(|v| v.get_ref().as_array()) {
        for source in sources {
            if source
                .get_ref()
                .as_str()
                .is_some_and(|t| t.trim().is_empty())
            {
                rep.at(&source.span(), "empty source");
                ok = false;
            }
        }
    }
    if let Some((reviewed, span)) = text("reviewed") {
        if !is_year_month(&reviewed) {
            rep.at(
                &span,
                format!("reviewed must be a month as `YYYY-MM`, not `{reviewed}`"),
            );
            ok = false;
        }
    }
    ok
}

/// Reports keys of `table` not in `known`, and returns a copy holding only the known ones,
/// so that `serde` can decode the rest and report its own problems.
pub fn known_only<'i>(
    table: &DeTable<'i>,
    known: &[&str],
    what: &str,
    rep: &mut Reporter<'_>,
) -> DeTable<'i> {
    let mut kept = DeTable::new();
    for (key, value) in table {
        if known.contains(&key.get_ref().as_ref()) {
            kept.insert(key.clone(), value.clone());
        } else {
            let hint = crate::error::closest(key.get_ref(), known.iter().copied())
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            rep.at(
                &key.span(),
                format!("unknown field `{}` in {what}{hint}", key.get_ref()),
            );
        }
    }
    kept
}
