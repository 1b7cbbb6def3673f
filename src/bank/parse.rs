//! One bank file, parsed: a pure function from text to questions plus
//! every problem found, so the checker can report *every* problem in a file,
//! each at its line and column, instead of stopping at the first one as plain
//! `serde` would. The syntax is read with `toml`'s spanned document; each
//! question and key point is then decoded with `serde` on its own, after
//! unknown keys have been reported.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::fields::{decode, question_ok, Reporter};
use super::model::{id_problem, Diagnostic, Difficulty, KeyPoint, Question, Topic, MAX_ID_CHARS};
use crate::text::LineIndex;

/// What one file yields: its topic and questions, whatever could be read, and
/// every problem found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub topic: Option<Topic>,
    pub questions: Vec<Question>,
    /// Every question's `id` with its line and column, the questions that
    /// have other problems included, so duplicates across files are all found.
    pub(super) ids: Vec<(String, (usize, usize))>,
    pub diagnostics: Vec<Diagnostic>,
}

const TOP_FIELDS: &[&str] = &["topic", "title", "questions"];
const QUESTION_FIELDS: &[&str] = &[
    "id",
    "question",
    "difficulty",
    "wants_example",
    "minutes",
    "model_answer",
    "key_points",
    "sources",
    "reviewed",
];
const KEY_POINT_FIELDS: &[&str] = &["id", "point", "weight", "cues"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    question: String,
    difficulty: Difficulty,
    #[serde(default)]
    wants_example: bool,
    #[serde(default = "default_minutes")]
    minutes: Spanned<i64>,
    model_answer: Spanned<String>,
    #[serde(default)]
    sources: Vec<Spanned<String>>,
    reviewed: Option<Spanned<String>>,
}

fn default_minutes() -> Spanned<i64> {
    Spanned::new(0..0, 4)
}

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

/// Reports keys of `table` not in `known`, and returns it holding only the known ones,
/// so that `serde` can decode the rest and report its own problems. (Taken by
/// value: copying every table of a bank file was most of the bank's load time.)
fn known_only<'i>(
    mut table: DeTable<'i>,
    known: &[&str],
    what: &str,
    rep: &mut Reporter<'_>,
) -> DeTable<'i> {
    let unknown: Vec<_> = table
        .keys()
        .filter(|key| !known.contains(&key.get_ref().as_ref()))
        .cloned()
        .collect();
    for key in unknown {
        table.remove(&key);
        let hint = crate::error::closest(key.get_ref(), known.iter().copied())
            .map(|k| format!("; did you mean `{k}`?"))
            .unwrap_or_default();
        rep.at(
            &key.span(),
            format!("unknown field `{}` in {what}{hint}", key.get_ref()),
        );
    }
    table
}

/// Parses one bank file. `path` is how diagnostics name it; `stem` is the file
/// name without `.toml`, which the `topic` must equal.
pub fn parse(src: &str, path: &str, stem: &str) -> Parsed {
    let mut rep = Reporter {
        path,
        lines: LineIndex::new(src),
        out: Vec::new(),
    };
    let mut parsed = Parsed::default();

    let doc = match DeTable::parse(src) {
        Ok(doc) => doc,
        Err(err) => {
            let span = err.span().unwrap_or(0..0);
            rep.at(&span, format!("invalid TOML: {}", err.message().trim()));
            parsed.diagnostics = rep.out;
            return parsed;
        }
    };
    let root_span = doc.span();
    let mut top = known_only(doc.into_inner(), TOP_FIELDS, "the bank file", &mut rep);

    parsed.topic = topic_of(&top, root_span.clone(), stem, &mut rep);
    let topic = parsed.topic.as_ref().map(|t| t.slug.clone());

    let questions: Vec<Spanned<DeValue<'_>>> = match top.remove("questions") {
        Some(v) => {
            let span = v.span();
            match v.into_inner() {
                DeValue::Array(items) => items.into_iter().collect(),
                _ => {
                    rep.at(
                        &span,
                        "`questions` must be an array of tables (`[[questions]]`)",
                    );
                    Vec::new()
                }
            }
        }
        None => {
            rep.at(
                &root_span,
                "no questions: add at least one `[[questions]]` table",
            );
            Vec::new()
        }
    };

    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    for item in questions {
        let item_span = item.span();
        let DeValue::Table(table) = item.into_inner() else {
            rep.at(&item_span, "each entry of `questions` must be a table");
            continue;
        };
        // Duplicates are checked on the raw id, so they are reported even when
        // the question has other problems too.
        let mut duplicate = false;
        if let Some(id) = table.get("id") {
            if let Some(text) = id.get_ref().as_str() {
                if let Some(first) = seen.get(text) {
                    let (line, col) = rep.lines.line_col(first.start);
                    rep.at(
                        &id.span(),
                        format!(
                            "duplicate question id `{text}` (first defined at {path}:{line}:{col})"
                        ),
                    );
                    duplicate = true;
                } else {
                    seen.insert(text.to_string(), id.span());
                    parsed
                        .ids
                        .push((text.to_string(), rep.lines.line_col(id.span().start)));
                }
            }
        }
        let question = parse_question(table, item_span, topic.as_ref(), &mut rep);
        if let (Some((q, _)), false) = (question, duplicate) {
            parsed.questions.push(q);
        }
    }
    rep.out.sort_by_key(|d| (d.line, d.col));
    parsed.diagnostics = rep.out;
    parsed
}

/// The file's topic and title; a topic that is not its file's name is reported.
fn topic_of(
    top: &DeTable<'_>,
    root_span: Range<usize>,
    stem: &str,
    rep: &mut Reporter<'_>,
) -> Option<Topic> {
    let topic = match top.get("topic") {
        Some(v) => match v.get_ref().as_str() {
            Some(t) if t.chars().count() > MAX_ID_CHARS => {
                rep.at(&v.span(), id_problem("topic", t).unwrap_or_default());
                None
            }
            Some(t) if t == stem => Some(t.to_string()),
            Some(t) => {
                rep.at(
                    &v.span(),
                    format!("topic `{t}` does not match the file name `{stem}.toml`"),
                );
                Some(t.to_string())
            }
            None => {
                rep.at(&v.span(), "`topic` must be a string");
                None
            }
        },
        None => {
            rep.at(&root_span, "missing field `topic`");
            None
        }
    };
    let title = match top.get("title").map(|v| (v.get_ref().as_str(), v.span())) {
        Some((Some(t), _)) => t.to_string(),
        Some((None, span)) => {
            rep.at(&span, "`title` must be a string");
            String::new()
        }
        None => topic.clone().unwrap_or_default(),
    };
    topic.map(|slug| Topic { slug, title })
}

fn parse_question(
    table: DeTable<'_>,
    span: Range<usize>,
    topic: Option<&String>,
    rep: &mut Reporter<'_>,
) -> Option<(Question, Range<usize>)> {
    let mut fields = known_only(table, QUESTION_FIELDS, "a question", rep);
    let key_points = fields.remove("key_points");
    // The values are checked whether or not another field fails to decode.
    let ok = question_ok(&fields, rep);
    let raw: Option<RawQuestion> = decode(fields, span.clone(), rep);

    let at = raw.as_ref().map_or(span, |r| r.id.span());
    let points = key_points_of(key_points, &at, rep);
    let raw = raw?;
    let points = points.filter(|_| ok)?;
    let id_span = raw.id.span();
    Some((
        Question {
            id: raw.id.into_inner(),
            topic: topic.cloned().unwrap_or_default(),
            question: raw.question.trim().to_string(),
            difficulty: raw.difficulty,
            wants_example: raw.wants_example,
            minutes: u32::try_from(*raw.minutes.get_ref()).unwrap_or(4),
            model_answer: raw.model_answer.into_inner().trim().to_string(),
            key_points: points,
            sources: raw
                .sources
                .into_iter()
                .map(|s| s.into_inner().trim().to_string())
                .collect(),
            reviewed: raw.reviewed.map(Spanned::into_inner),
            follow_up: None,
        },
        id_span,
    ))
}

/// A question's key points; `None` when any has a problem (each reported).
fn key_points_of(
    key_points: Option<Spanned<DeValue<'_>>>,
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
        Some(v) => match (v.span(), v.into_inner()) {
            (span, DeValue::Array(items)) if items.as_ref().is_empty() => {
                rep.at(&span, "question has no key points");
                ok = false;
            }
            (_, DeValue::Array(items)) => {
                let mut seen: HashMap<String, Range<usize>> = HashMap::new();
                for item in items {
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
            (span, _) => {
                rep.at(&span, "`key_points` must be an array of tables");
                ok = false;
            }
        },
    }
    ok.then_some(points)
}

fn parse_key_point(
    item: Spanned<DeValue<'_>>,
    rep: &mut Reporter<'_>,
) -> Option<(KeyPoint, Range<usize>)> {
    let span = item.span();
    let DeValue::Table(table) = item.into_inner() else {
        rep.at(&span, "each key point must be a table");
        return None;
    };
    let fields = known_only(table, KEY_POINT_FIELDS, "a key point", rep);
    let raw: RawKeyPoint = decode(fields, span, rep)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
topic = "rag"
title = "RAG and retrieval"

[[questions]]
id = "rag-vs-ft"
question = "Explain RAG."
difficulty = "core"
minutes = 3
model_answer = """
Retrieval puts documents in the context.
"""

[[questions.key_points]]
id = "grounding"
point = "Retrieved text grounds the answer"
weight = 2
cues = ["retriev", "context|prompt"]

[[questions.key_points]]
id = "freshness"
point = "Updating the index needs no retraining"
cues = ["index"]
"#;

    fn messages(src: &str) -> Vec<String> {
        parse(src, "b/rag.toml", "rag")
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn good_bank_parses_with_defaults() {
        let parsed = parse(GOOD, "b/rag.toml", "rag");
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let q = &parsed.questions[0];
        assert_eq!(q.id, "rag-vs-ft");
        assert_eq!(q.topic, "rag");
        assert_eq!(q.minutes, 3);
        assert!(!q.wants_example);
        assert_eq!(q.model_answer, "Retrieval puts documents in the context.");
        assert_eq!(q.key_points.len(), 2);
        assert_eq!(q.key_points[1].weight, 1, "weight defaults to 1");
        assert_eq!(q.total_weight(), 3);
    }

    #[test]
    fn unknown_fields_are_reported_at_their_line_with_a_suggestion() {
        let src = GOOD.replace("minutes = 3", "minutes = 3\nmintues = 4");
        let msgs = messages(&src);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("b/rag.toml:10:1: unknown field `mintues`"),
            "{msgs:?}"
        );
        assert!(msgs[0].contains("did you mean `minutes`"), "{msgs:?}");
    }

    #[test]
    fn duplicate_ids_and_unknown_fields_are_all_reported() {
        let src = format!(
            "{GOOD}\n[[questions]]\nid = \"rag-vs-ft\"\nquestion = \"Again?\"\ndifficulty = \"core\"\nmodel_answer = \"x\"\ncolour = 1\n[[questions.key_points]]\nid = \"a\"\npoint = \"p\"\n[[questions.key_points]]\nid = \"a\"\npoint = \"q\"\n"
        );
        let msgs = messages(&src);
        assert!(
            msgs.iter()
                .any(|m| m.contains(":30:1: unknown field `colour`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains(":35:6: duplicate key point id `a`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains(
                ":26:6: duplicate question id `rag-vs-ft` (first defined at b/rag.toml:6:6)"
            )),
            "{msgs:?}"
        );
    }

    #[test]
    fn each_kind_of_error_names_its_line() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "weight = 2",
                "weight = 7",
                ":17:10: weight must be 1, 2 or 3, not 7",
            ),
            (
                "topic = \"rag\"",
                "topic = \"retrieval\"",
                ":2:9: topic `retrieval` does not match the file name `rag.toml`",
            ),
            (
                "Retrieval puts documents in the context.\n",
                "   \n",
                ":10:16: empty model answer",
            ),
            (
                "difficulty = \"core\"",
                "difficulty = \"hard\"",
                ":8:14: unknown variant `hard`, expected `core` or `advanced`",
            ),
            (
                "question = \"Explain RAG.\"\n",
                "",
                "missing field `question`",
            ),
            (
                "title = \"RAG and retrieval\"",
                "title = \"RAG\"\n[bad",
                "invalid TOML",
            ),
        ];
        for (from, to, want) in cases {
            let src = GOOD.replacen(from, to, 1);
            let msgs = messages(&src);
            assert!(msgs.iter().any(|m| m.contains(want)), "{want}: {msgs:?}");
        }
    }

    #[test]
    fn a_question_without_key_points_is_an_error() {
        let src = GOOD.split("[[questions.key_points]]").next().unwrap();
        let msgs = messages(src);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains(":6:6: question has no key points"),
            "{msgs:?}"
        );
    }
}
