//! Drafting key points for imported questions: from the answer's own
//! sentences (ranked by how many of its salient words they carry, with cues
//! taken from those words), or by the judge, whose reply is cleaned here.
//! The judge's instructions are `prompts/draft-key-points.md`.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use super::model::KeyPoint;
use super::slug::{is_stopword, question_id, raw_words, slugify, unique};
use crate::json::first_object as extract_json_object;

/// A word's cue: lowercase, common suffixes cut so that it matches as a
/// prefix of the word's other forms ("retrieval" → "retriev").
fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    const SUFFIXES: &[&str] = &[
        "ations", "ation", "ings", "ing", "ions", "ion", "ments", "ment", "ness", "ers", "er",
        "ies", "ied", "es", "ed", "al", "ly", "s", "e",
    ];
    let mut w = w.as_str();
    for suffix in SUFFIXES {
        if let Some(rest) = w.strip_suffix(suffix) {
            if rest.chars().count() >= 5 {
                w = rest;
                break;
            }
        }
    }
    w.chars().take(12).collect()
}

/// Whether a word as written looks like a term: an acronym, mixed case, digits.
fn is_term(word: &str) -> bool {
    let upper = word.chars().filter(|c| c.is_uppercase()).count();
    word.chars().count() >= 3
        && has_letter(word)
        && (upper >= 2
            || (upper == 1 && !word.starts_with(char::is_uppercase))
            || word.chars().any(|c| c.is_ascii_digit()))
}

/// Bare numbers ("40", "1.0") make poor cues and ids: they match too much.
fn has_letter(word: &str) -> bool {
    word.chars().any(char::is_alphabetic)
}

/// The answer's candidate sentences: list items and sentences of at least four words.
fn sentences(answer: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in answer.lines() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || t.is_empty() {
            continue;
        }
        let t = t.trim_start_matches(['-', '*', '+', '>', ' ']);
        let t = match t.split_once(['.', ')']) {
            Some((n, rest))
                if !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()) =>
            {
                rest.trim()
            }
            _ => t,
        };
        let mut start = 0;
        let chars: Vec<(usize, char)> = t.char_indices().collect();
        for (k, &(i, c)) in chars.iter().enumerate() {
            let next_starts = chars.get(k + 1).is_some_and(|&(_, n)| n.is_whitespace())
                && chars.get(k + 2).is_some_and(|&(_, n)| {
                    n.is_uppercase() || n.is_ascii_digit() || n == '(' || n == '"'
                });
            if matches!(c, '.' | '!' | '?') && next_starts {
                out.push(t[start..=i].trim().to_string());
                start = i + 1;
            }
        }
        out.push(t[start..].trim().to_string());
    }
    out.into_iter()
        .map(|s| s.replace("**", "").replace('`', ""))
        .filter(|s| raw_words(s).count() >= 4 && !s.ends_with(':'))
        .collect()
}

/// Drafts 3–7 key points (fewer only if the answer has fewer sentences) from
/// the answer's sentences, with cues from their salient words.
pub fn draft_key_points(question: &str, answer: &str) -> Vec<KeyPoint> {
    let candidates = candidate_sentences(answer);
    let question_words: HashSet<String> = content(question).into_iter().collect();
    let mut sentence_freq: HashMap<String, usize> = HashMap::new();
    for s in &candidates {
        for w in content(s).into_iter().collect::<HashSet<_>>() {
            *sentence_freq.entry(w).or_default() += 1;
        }
    }
    let mut ids = HashSet::new();
    let mut used_cues: HashSet<String> = HashSet::new();
    let mut points = Vec::new();
    for (rank, i) in choose(&candidates, &question_words).into_iter().enumerate() {
        let sentence = &candidates[i];
        let words = cue_words(sentence, &sentence_freq, &question_words);
        let want = if raw_words(sentence).count() >= 15 {
            3
        } else {
            2
        };
        let cues = pick_cues(&words, want, &used_cues);
        used_cues.extend(cues.iter().cloned());
        points.push(KeyPoint {
            id: unique(&point_id(sentence, &words, rank), &mut ids),
            // The whole sentence: a point cut short with `…` says less than the answer did.
            point: sentence.clone(),
            weight: 1,
            cues,
        });
    }
    points
}

/// The answer's sentences; with fewer than three, their clauses.
fn candidate_sentences(answer: &str) -> Vec<String> {
    let mut candidates = sentences(answer);
    if candidates.len() < 3 {
        // Few, long sentences: their clauses are points too.
        let clauses: Vec<String> = candidates
            .iter()
            .flat_map(|s| {
                s.split([';', '—'])
                    .map(|c| c.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|c| raw_words(c).count() >= 4)
            .collect();
        if clauses.len() > candidates.len() {
            candidates = clauses;
        }
    }
    if candidates.is_empty() {
        candidates.push(answer.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    candidates
}

/// The words of `s` that carry meaning, lowercase.
fn content(s: &str) -> Vec<String> {
    raw_words(s)
        .filter(|w| has_letter(w) && w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !is_stopword(w))
        .collect()
}

/// The indices of the sentences to keep, in answer order: ranked by the
/// salient words they carry, the first (usually the definition) first.
fn choose(candidates: &[String], question_words: &HashSet<String>) -> Vec<usize> {
    let mut word_freq: HashMap<String, usize> = HashMap::new();
    for s in candidates {
        for w in content(s) {
            *word_freq.entry(w).or_default() += 1;
        }
    }
    let mut ranked: Vec<(usize, f64)> = candidates
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let words: HashSet<String> = content(s).into_iter().collect();
            let mut score: f64 = words
                .iter()
                .map(|w| {
                    1.0 + if question_words.contains(w) { 1.5 } else { 0.0 }
                        + if word_freq[w] >= 2 { 0.5 } else { 0.0 }
                })
                .sum();
            score /= 1.0 + raw_words(s).count() as f64 / 25.0;
            if i == 0 {
                score += 2.0;
            }
            (i, score)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let n = candidates
        .len()
        .min(((candidates.len() as f64 * 0.6).round() as usize).clamp(3, 7));
    let mut chosen: Vec<usize> = ranked.iter().take(n).map(|(i, _)| *i).collect();
    chosen.sort_unstable();
    chosen
}

/// Candidate cue words of a sentence, most telling first: terms, words rare
/// across the answer, words the question does not already give away. Each
/// is (lowercase, as written, score).
fn cue_words(
    sentence: &str,
    sentence_freq: &HashMap<String, usize>,
    question_words: &HashSet<String>,
) -> Vec<(String, String, f64)> {
    let mut words: Vec<(String, String, f64)> = Vec::new();
    for w in raw_words(sentence) {
        let lower = w.to_lowercase();
        if is_stopword(&lower) || !has_letter(w) || (w.chars().count() < 4 && !is_term(w)) {
            continue;
        }
        if words.iter().any(|(l, _, _)| *l == lower) {
            continue;
        }
        let rarity = 2.0 / sentence_freq.get(&lower).copied().unwrap_or(1) as f64;
        let score =
            rarity + if is_term(w) { 2.0 } else { 0.0 } + w.chars().count().min(12) as f64 / 10.0
                - if question_words.contains(&lower) {
                    1.0
                } else {
                    0.0
                };
        words.push((lower, w.to_string(), score));
    }
    words.sort_by(|a, b| b.2.total_cmp(&a.2));
    words
}

/// Up to `want` cues from the words, preferring ones no other point uses.
fn pick_cues(words: &[(String, String, f64)], want: usize, used: &HashSet<String>) -> Vec<String> {
    let mut cues: Vec<String> = Vec::new();
    for fresh_only in [true, false] {
        for (lower, _, _) in words {
            if cues.len() >= want {
                break;
            }
            let cue = lower
                .split('-')
                .filter(|p| !p.is_empty())
                .map(stem)
                .collect::<Vec<_>>()
                .join(" ");
            if cue.is_empty() || cues.contains(&cue) || (fresh_only && used.contains(&cue)) {
                continue;
            }
            cues.push(cue);
        }
    }
    cues
}

/// A point's id from its two most telling words, in sentence order.
fn point_id(sentence: &str, words: &[(String, String, f64)], rank: usize) -> String {
    let mut id_words: Vec<&(String, String, f64)> = words.iter().take(2).collect();
    id_words.sort_by_key(|(l, _, _)| sentence.to_lowercase().find(l.as_str()).unwrap_or(0));
    let base = slugify(
        &id_words
            .iter()
            .map(|(l, _, _)| l.as_str())
            .collect::<Vec<_>>()
            .join("-"),
    );
    if base.is_empty() {
        format!("point-{}", rank + 1)
    } else {
        base
    }
}

/// The JSON schema for the judge's key points.
pub fn draft_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["key_points"],
        "properties": {
            "key_points": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["id", "point", "weight", "cues"],
                    "properties": {
                        "id": {"type": "string"},
                        "point": {"type": "string"},
                        "weight": {"type": "integer"},
                        "cues": {"type": "array", "items": {"type": "string"}}
                    }
                }
            }
        }
    })
}

/// Reads the judge's reply into key points that pass `bank check`, or says why not.
pub fn parse_drafted(reply: &str) -> std::result::Result<Vec<KeyPoint>, String> {
    let value: Value = serde_json::from_str(reply.trim())
        .ok()
        .or_else(|| extract_json_object(reply).and_then(|j| serde_json::from_str(j).ok()))
        .ok_or("the reply is not a JSON object")?;
    let items = value
        .get("key_points")
        .and_then(Value::as_array)
        .ok_or("the reply has no `key_points` array")?;
    let mut ids = HashSet::new();
    let mut points = Vec::new();
    for item in items.iter().take(7) {
        let point = item
            .get("point")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        if point.is_empty() {
            continue;
        }
        let id = slugify(item.get("id").and_then(Value::as_str).unwrap_or_default());
        let id = if id.is_empty() {
            slugify(&question_id(point))
        } else {
            id
        };
        let weight = item
            .get("weight")
            .and_then(Value::as_f64)
            .unwrap_or(1.0)
            .round()
            .clamp(1.0, 3.0) as u8;
        let cues: Vec<String> = item
            .get("cues")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(Value::as_str)
                    .map(|c| {
                        c.split('|')
                            .map(|alt| alt.trim().to_lowercase())
                            .filter(|alt| alt.chars().any(char::is_alphanumeric))
                            .collect::<Vec<_>>()
                            .join("|")
                    })
                    .filter(|c| !c.is_empty())
                    .take(4)
                    .collect()
            })
            .unwrap_or_default();
        points.push(KeyPoint {
            id: unique(&id, &mut ids),
            point: point.replace('\n', " "),
            weight,
            cues,
        });
    }
    if points.len() < 3 {
        return Err(format!(
            "the reply has {} usable key points, not 3 to 7",
            points.len()
        ));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::notes::parse_notes;

    const NOTES: &str = "Skip to content\n\nInterview notes\n\nSome intro text that is not a question.\n\nRAG and retrieval\n\nQ: What is HyDE and when does it help?\n\nShow answer\n\nHyDE generates a hypothetical answer with the LLM. It then embeds that answer for retrieval.\n\nIt helps when the query is short. It hurts when the hypothetical answer is wrong, because retrieval follows a false premise.\n\nQ: What is a reranker?\n\nShow answer\n\nA cross-encoder scores each (query, document) pair:\n\n  • It is accurate because it sees both texts together\n  • It is slow, so it only reorders the top candidates\n\nFine-tuning\n\nQ: What is LoRA?\n\nShow answer\n\nLoRA freezes the base weights and trains two small low-rank matrices. Only those need gradients and optimizer state, so memory drops sharply. At inference the product is merged into the weights, so there is no extra latency.\n\n02-portfolio | 04-design\n";

    #[test]
    fn drafted_key_points_come_from_sentences_with_cues_that_match_them() {
        let notes = parse_notes(NOTES);
        for note in &notes {
            let points = draft_key_points(&note.question, &note.answer);
            assert!(
                (2..=7).contains(&points.len()),
                "{}: {points:?}",
                note.question
            );
            for p in &points {
                assert!(!p.cues.is_empty(), "{p:?}");
                let words = crate::cues::Words::new(&p.point);
                let m = crate::cues::match_point(&words, p);
                assert_eq!(
                    m.coverage,
                    crate::verdict::Coverage::Covered,
                    "a point's own words match its cues: {p:?}"
                );
            }
        }
        let lora = draft_key_points(&notes[2].question, &notes[2].answer);
        assert_eq!(lora.len(), 3);
        assert!(lora[0].point.starts_with("LoRA freezes"));
    }

    #[test]
    fn judge_drafts_are_cleaned_or_refused() {
        let reply = r#"{"key_points":[
            {"id":"Grounding!","point":"Retrieved text grounds the answer","weight":5,"cues":["Retriev| ","context"]},
            {"id":"grounding","point":"Second","weight":0,"cues":[]},
            {"id":"","point":"Updating the index needs no retraining","weight":2,"cues":["index"]},
            {"id":"x","point":"  ","weight":1,"cues":[]}]}"#;
        let points = parse_drafted(reply).unwrap();
        let ids: Vec<&str> = points.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "grounding",
                "grounding-2",
                "updating-index-needs-retraining"
            ]
        );
        assert_eq!((points[0].weight, points[1].weight), (3, 1));
        assert_eq!(points[0].cues, ["retriev", "context"]);
        assert!(parse_drafted(r#"{"key_points":[]}"#).is_err());
        assert!(parse_drafted("no").is_err());
    }
}
