//! A question's key points, parsed: each one decoded on its own, its weight,
//! text, id and cues checked, and duplicate ids within the question found.
//! `parse` hands each question's `key_points` array here.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::de::DeValue;
use toml::Spanned;

use super::fields::{decode, known_only, Reporter};
use super::model::{id_problem, KeyPoint};

const KEY_POINT_FIELDS: &[&str] = &["id", "point", "weight", "cues"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyPoint {
    id: Spanned<String>,
    point: Spanned<String>,
    #[serde(default = "default_weight")]
    weight: Spanned<i64>,
    #[serde(default)]
    cues: Vec<Spanned<String>>,
}

fn default_weight() -> Spanned<i64> {
    Spanned::new(0..0, 1)
}

/// A question's key points; `None` when any has a problem (each reported).
pub(super) fn key_points_of(
    key_points: Option<&Spanned<DeValue<'_>>>,
    at: &Range<usize>,
    rep: &mut Reporter<'_>,
) -> Option<Vec<KeyPoint>> {
    let mut points = Vec::new();
    let mut ok = true;
    match key_points {
        None => {
            rep.at(
                at,
                "question has no key points: add `[[questions.key_points]]` tables",
            );
            ok = false;
        }
        Some(v) => match v.get_ref() {
            DeValue::Array(items) if items.as_ref().is_empty() => {
                rep.at(&v.span(), "question has no key points");
                ok = false;
            }
            DeValue::Array(items) => {
                let mut seen: HashMap<String, Range<usize>> = HashMap::new();
                for item in items.as_ref() {
                    match parse_key_point(item, rep) {
                        Some((kp, id_span)) => {
                            if seen.contains_key(&kp.id) {
                                rep.at(
                                    &id_span,
                                    format!("duplicate key point id `{}` in this question", kp.id),
                                );
                                ok = false;
                            } else {
                                seen.insert(kp.id.clone(), id_span);
                                points.push(kp);
                            }
                        }
                        None => ok = false,
                    }
                }
            }
            _ => {
                rep.at(&v.span(), "`key_points` must be an array of tables");
                ok = false;
            }
        },
    }
    ok.then_some(points)
}

fn parse_key_point(
    item: &Spanned<DeValue<'_>>,
    rep: &mut Reporter<'_>,
) -> Option<(KeyPoint, Range<usize>)> {
    let Some(table) = item.get_ref().as_table() else {
        rep.at(&item.span(), "each key point must be a table");
        return None;
    };
    let fields = known_only(table, KEY_POINT_FIELDS, "a key point", rep);
    let raw: RawKeyPoint = decode(fields, item.span(), rep)?;
    let mut ok = true;
    let weight = *raw.weight.get_ref();
    if !(1..=3).contains(&weight) {
        rep.at(
            &raw.weight.span(),
            format!("weight must be 1, 2 or 3, not {weight}"),
        );
        ok = false;
    }
    if raw.point.get_ref().trim().is_empty() {
        rep.at(&raw.point.span(), "empty key point");
        ok = false;
    }
    if let Some(problem) = id_problem("key point id", raw.id.get_ref()) {
        rep.at(&raw.id.span(), problem);
        ok = false;
    }
    for cue in &raw.cues {
        if cue.get_ref().split('|').any(|alt| alt.trim().is_empty()) {
            rep.at(&cue.span(), "a cue has an empty alternative");
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let id_span = raw.id.span();
    Some((
        KeyPoint {
            id: raw.id.into_inner(),
            point: raw.point.into_inner().trim().to_string(),
            weight: u8::try_from(weight).unwrap_or(1),
            cues: raw
                .cues
                .into_iter()
                .map(|c| c.into_inner().to_lowercase())
                .collect(),
        },
        id_span,
    ))
}
