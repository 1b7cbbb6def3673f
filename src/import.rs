//! `bank import` and `bank new`: writing question banks.
//!
//! Import turns a page of interview notes into bank files, one per section.
//! A question starts at a `Q:` line (or a Markdown heading ending in `?`); its
//! answer is everything up to the next question or heading, less lines such
//! as "Show answer". Section headings become topics. In plain text, where
//! headings carry no `#`, a heading is a short line standing alone between
//! blank lines with no closing punctuation; once a page has `#` headings,
//! only those count.
//!
//! Key points are drafted by the judge when one is configured (one call per
//! question, through the same structured-output path as grading); otherwise
//! from the answer's own sentences, ranked by how many of the answer's salient
//! words they carry, and marked `# TODO: review`. Parsing and drafting are pure
//! functions; the files are written at the edge, atomically, never over
//! an existing file, and only after they parse back cleanly.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::bank::{self, is_slug, Bank, KeyPoint};
use crate::commands::grade::{judge_ctx, runtime, JudgeCtx};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::judge::extract_json_object;
use crate::ui::render::{self, BOLD, CYAN, DIM, YELLOW};

// ---------------------------------------------------------------- parsing notes

/// One question found in the notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// 1-based line of the question in the notes.
    pub line: usize,
    /// The section heading above it, if any.
    pub section: Option<String>,
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Line {
    Blank,
    Heading(String),
    Question(String),
    Drop,
    Text(String),
}

/// Lines that belong to the page's widgets, not to an answer.
const DROPPED: &[&str] = &[
    "show answer",
    "hide answer",
    "answer",
    "show solution",
    "hide solution",
    "solution",
    "reveal answer",
    "click to reveal",
    "click to expand",
    "toggle answer",
    "show more",
];

/// Removes `<...>` tags, for recognising lines that are only markup.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        match rest[open..].find('>') {
            Some(close) => {
                out.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

fn strip_emphasis(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '*' || c == '_').trim()
}

/// The text after a `Q:`, `Q1.`, `Question:` marker (bold or not), if the line has one.
fn question_marker(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(['*', '_']).trim_start();
    let rest = if let Some(r) = t.strip_prefix('Q').or_else(|| t.strip_prefix('q')) {
        let r = r.trim_start_matches(|c: char| c.is_ascii_digit());
        r.strip_prefix(':')
            .or_else(|| r.strip_prefix('.').filter(|x| x.starts_with(' ')))?
    } else {
        let lower = t.get(..9)?.to_ascii_lowercase();
        (lower == "question:").then(|| &t[9..])?
    };
    Some(strip_emphasis(rest))
}

/// The text after an `A:` or `Answer:` marker, if the line has one.
fn answer_marker(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(['*', '_']).trim_start();
    let rest = t.strip_prefix("A:").or_else(|| {
        let lower = t.get(..7)?.to_ascii_lowercase();
        (lower == "answer:").then(|| &t[7..])
    })?;
    Some(rest.trim_start_matches(['*', '_']).trim())
}

fn atx_heading(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &t[hashes..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some(strip_emphasis(rest.trim().trim_end_matches('#')))
}

fn is_list_item(t: &str) -> bool {
    t.starts_with(['-', '*', '+', '•', '◦', '▪', '>'])
        || t.split_once(['.', ')']).is_some_and(|(n, _)| {
            !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Could this line be a section heading of a plain-text page?
fn heading_like(t: &str) -> bool {
    let words = t.split_whitespace().count();
    t.chars().count() <= 60
        && (1..=8).contains(&words)
        && t.chars().next().is_some_and(char::is_alphanumeric)
        && !t.ends_with(['.', ',', ':', ';', '!', '?', '"', '\''])
        && !is_list_item(t)
        && !t.contains(['`', '=', '(', '{', '['])
}

fn classify(line: &str, markdown: bool) -> Line {
    let t = line.trim();
    if t.is_empty() {
        return Line::Blank;
    }
    if markdown {
        if let Some(h) = atx_heading(t) {
            return match question_marker(h) {
                Some(q) => Line::Question(q.to_string()),
                None if h.ends_with('?') => Line::Question(h.to_string()),
                None if h.is_empty() => Line::Drop,
                None => Line::Heading(h.to_string()),
            };
        }
    }
    if let Some(q) = question_marker(t) {
        return Line::Question(q.to_string());
    }
    let bare = strip_tags(t);
    let key = strip_emphasis(&bare)
        .trim_matches(['[', ']', '(', ')', ':', '▸', '▶', '▾', '▼', ' '])
        .to_lowercase();
    if DROPPED.contains(&key.as_str()) || (bare.trim().is_empty() && t.contains('<')) {
        return Line::Drop;
    }
    if let Some(a) = answer_marker(t) {
        return if a.is_empty() {
            Line::Drop
        } else {
            Line::Text(a.to_string())
        };
    }
    Line::Text(line.trim_end().to_string())
}

/// Finds the questions of a page of notes, in order.
pub fn parse_notes(text: &str) -> Vec<Note> {
    let text = text.trim_start_matches('\u{feff}');
    let raw: Vec<&str> = text.lines().collect();
    // Code fences hide headings and markers; find them once.
    let mut in_fence = false;
    let fenced: Vec<bool> = raw
        .iter()
        .map(|l| {
            let fence = l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~");
            let inside = in_fence || fence;
            if fence {
                in_fence = !in_fence;
            }
            inside
        })
        .collect();
    let markdown = raw
        .iter()
        .zip(&fenced)
        .any(|(l, f)| !f && atx_heading(l).is_some());
    let mut lines: Vec<Line> = raw
        .iter()
        .zip(&fenced)
        .map(|(l, &f)| {
            if f {
                Line::Text(l.trim_end().to_string())
            } else {
                classify(l, markdown)
            }
        })
        .collect();
    if !markdown {
        // A short line alone between blank lines is a section heading.
        let blank = |i: Option<usize>| {
            i.and_then(|i| lines.get(i))
                .is_none_or(|l| *l == Line::Blank)
        };
        let headings: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                !fenced[i]
                    && matches!(&lines[i], Line::Text(t) if heading_like(t.trim()))
                    && blank(i.checked_sub(1))
                    && blank(Some(i + 1))
            })
            .collect();
        for i in headings {
            if let Line::Text(t) = &lines[i] {
                lines[i] = Line::Heading(t.trim().to_string());
            }
        }
    }

    let mut notes = Vec::new();
    let mut section: Option<String> = None;
    let mut current: Option<(Note, Vec<String>)> = None;
    let finish = |current: &mut Option<(Note, Vec<String>)>, notes: &mut Vec<Note>| {
        if let Some((mut note, body)) = current.take() {
            note.answer = tidy_answer(&body);
            notes.push(note);
        }
    };
    for (i, line) in lines.into_iter().enumerate() {
        match line {
            Line::Heading(h) => {
                finish(&mut current, &mut notes);
                section = Some(h);
            }
            Line::Question(q) => {
                finish(&mut current, &mut notes);
                let note = Note {
                    line: i + 1,
                    section: section.clone(),
                    question: q,
                    answer: String::new(),
                };
                current = Some((note, Vec::new()));
            }
            Line::Text(t) => {
                if let Some((note, body)) = &mut current {
                    // `Q:` alone on its line: the question is the next paragraph.
                    if note.question.is_empty() {
                        note.question = strip_emphasis(&t).to_string();
                    } else {
                        body.push(t);
                    }
                }
            }
            Line::Blank => {
                if let Some((_, body)) = &mut current {
                    body.push(String::new());
                }
            }
            Line::Drop => {}
        }
    }
    finish(&mut current, &mut notes);
    notes
}

/// Answer lines as a model answer: bullets as `- `, no stray indentation,
/// paragraphs separated by one blank line (code blocks kept as they are).
fn tidy_answer(lines: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in lines {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            out.push(t.to_string());
            continue;
        }
        if in_fence {
            out.push(line.clone());
            continue;
        }
        if t.is_empty() {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        let t = t
            .strip_prefix(['•', '◦', '▪'])
            .map_or_else(|| t.to_string(), |rest| format!("- {}", rest.trim_start()));
        out.push(t);
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

// ---------------------------------------------------------------- slugs and ids

/// Lowercase words joined by `-`; empty when nothing alphanumeric is left.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "describe",
    "did",
    "difference",
    "do",
    "does",
    "doing",
    "each",
    "either",
    "else",
    "even",
    "every",
    "explain",
    "few",
    "for",
    "from",
    "get",
    "gets",
    "give",
    "gives",
    "had",
    "has",
    "have",
    "having",
    "here",
    "how",
    "however",
    "i",
    "if",
    "in",
    "instead",
    "into",
    "is",
    "it",
    "its",
    "just",
    "less",
    "like",
    "make",
    "makes",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "no",
    "not",
    "of",
    "off",
    "often",
    "on",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "per",
    "rather",
    "same",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "use",
    "used",
    "uses",
    "using",
    "very",
    "versus",
    "via",
    "vs",
    "was",
    "way",
    "we",
    "well",
    "were",
    "what",
    "whats",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yes",
    "yet",
    "you",
    "your",
    "yours",
];

fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// Words as written, hyphenated words kept whole: `fine-tuning`, `LoRA`, `top-50`.
fn raw_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| !w.is_empty())
}

/// A question id from its text: up to five content words of its first sentence.
pub fn question_id(question: &str) -> String {
    let first = question.split(['?', '.']).next().unwrap_or(question);
    let mut id = String::new();
    for w in raw_words(first)
        .map(str::to_lowercase)
        .filter(|w| !is_stopword(w))
        .take(5)
    {
        let w = slugify(&w);
        if w.is_empty() || id.len() + w.len() + 1 > 48 {
            continue;
        }
        if !id.is_empty() {
            id.push('-');
        }
        id.push_str(&w);
    }
    if id.is_empty() {
        "question".into()
    } else {
        id
    }
}

/// `base`, or `base-2`, `base-3`... whichever is not taken; records the result.
fn unique(base: &str, taken: &mut HashSet<String>) -> String {
    let mut id = base.to_string();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

// ---------------------------------------------------------------- drafting key points

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

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

/// Drafts 3–7 key points (fewer only if the answer has fewer sentences) from
/// the answer's sentences, with cues from their salient words.
pub fn draft_key_points(question: &str, answer: &str) -> Vec<KeyPoint> {
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
    let content = |s: &str| -> Vec<String> {
        raw_words(s)
            .filter(|w| has_letter(w) && w.chars().count() >= 3)
            .map(str::to_lowercase)
            .filter(|w| !is_stopword(w))
            .collect()
    };
    let question_words: HashSet<String> = content(question).into_iter().collect();
    let mut sentence_freq: HashMap<String, usize> = HashMap::new();
    let mut word_freq: HashMap<String, usize> = HashMap::new();
    for s in &candidates {
        let words = content(s);
        for w in &words {
            *word_freq.entry(w.clone()).or_default() += 1;
        }
        for w in words.into_iter().collect::<HashSet<_>>() {
            *sentence_freq.entry(w).or_default() += 1;
        }
    }
    // Rank sentences by the salient words they carry, the first (usually the definition) first.
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

    let mut ids = HashSet::new();
    let mut used_cues: HashSet<String> = HashSet::new();
    let mut points = Vec::new();
    for (rank, i) in chosen.into_iter().enumerate() {
        let sentence = &candidates[i];
        // Candidate cue words, most telling first: terms, words rare across
        // the answer, words the question does not already give away.
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
            let score = rarity
                + if is_term(w) { 2.0 } else { 0.0 }
                + w.chars().count().min(12) as f64 / 10.0
                - if question_words.contains(&lower) {
                    1.0
                } else {
                    0.0
                };
            words.push((lower, w.to_string(), score));
        }
        words.sort_by(|a, b| b.2.total_cmp(&a.2));
        let want = if raw_words(sentence).count() >= 15 {
            3
        } else {
            2
        };
        let mut cues: Vec<String> = Vec::new();
        for fresh_only in [true, false] {
            for (lower, _, _) in &words {
                if cues.len() >= want {
                    break;
                }
                let cue = lower
                    .split('-')
                    .filter(|p| !p.is_empty())
                    .map(stem)
                    .collect::<Vec<_>>()
                    .join(" ");
                if cue.is_empty() || cues.contains(&cue) || (fresh_only && used_cues.contains(&cue))
                {
                    continue;
                }
                cues.push(cue);
            }
        }
        used_cues.extend(cues.iter().cloned());
        let mut id_words: Vec<&(String, String, f64)> = words.iter().take(2).collect();
        // In sentence order, so the id reads as a phrase.
        id_words.sort_by_key(|(l, _, _)| sentence.to_lowercase().find(l.as_str()).unwrap_or(0));
        let base = slugify(
            &id_words
                .iter()
                .map(|(l, _, _)| l.as_str())
                .collect::<Vec<_>>()
                .join("-"),
        );
        let base = if base.is_empty() {
            format!("point-{}", rank + 1)
        } else {
            base
        };
        points.push(KeyPoint {
            id: unique(&base, &mut ids),
            point: shorten(sentence, 220),
            weight: 1,
            cues,
        });
    }
    points
}

// ---------------------------------------------------------------- judge drafting

const DRAFT_SYSTEM: &str = "You write grading key points for interview questions. Given a question and its model answer, list the 3 to 7 facts or tradeoffs an interviewer listens for, most important first. For each key point give:\n- id: a short slug, lowercase words joined by hyphens, unique within the question;\n- point: one sentence that a grader can check against a candidate's answer (said it / half said it / didn't), in your own words;\n- weight: 3 for the central ideas, 2 for important ones, 1 for details;\n- cues: 2 or 3 lowercase cues; each cue lists alternatives separated by |, each alternative a word prefix or short phrase that a candidate making the point would likely say (for example \"retriev|search\").\nUse only what the model answer says. Reply with the JSON object only.";

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

// ---------------------------------------------------------------- writing TOML

/// A question ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Drafted {
    pub id: String,
    pub question: String,
    pub model_answer: String,
    pub minutes: u32,
    pub wants_example: bool,
    pub key_points: Vec<KeyPoint>,
    /// Who drafted the key points; `None` for the sentence heuristic, which is marked `# TODO: review`.
    pub drafted_by: Option<String>,
}

/// A TOML string on one line, quoted and escaped by the `toml` crate.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML multi-line basic string, its text starting on the line after `"""`.
fn toml_block(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("\"\"\"\n");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push_str("\n\"\"\"");
    out
}

fn toml_list(items: &[String]) -> String {
    toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect()).to_string()
}

/// The text of one bank file.
pub fn render_bank_file(topic: &str, title: &str, origin: &str, questions: &[Drafted]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# Imported from {origin} by `grill bank import`.");
    if questions.iter().any(|q| q.drafted_by.is_none()) {
        let _ = writeln!(
            s,
            "# Key points marked `# TODO: review` were drafted from the answer's own sentences:"
        );
        let _ = writeln!(
            s,
            "# rewrite each as one fact or tradeoff an interviewer listens for, set its weight"
        );
        let _ = writeln!(s, "# (1-3) and cues, then delete the marker.");
    }
    let _ = writeln!(s, "# Check the file with `grill bank check DIR`.");
    let _ = writeln!(s);
    let _ = writeln!(s, "topic = {}", toml_str(topic));
    let _ = writeln!(s, "title = {}", toml_str(title));
    for q in questions {
        let _ = writeln!(s);
        let _ = writeln!(s, "[[questions]]");
        let _ = writeln!(s, "id = {}", toml_str(&q.id));
        let _ = writeln!(s, "question = {}", toml_str(&q.question));
        let _ = writeln!(s, "difficulty = \"core\"  # core | advanced");
        let _ = writeln!(s, "wants_example = {}", q.wants_example);
        let _ = writeln!(s, "minutes = {}", q.minutes);
        let _ = writeln!(s, "model_answer = {}", toml_block(&q.model_answer));
        for kp in &q.key_points {
            let _ = writeln!(s);
            match &q.drafted_by {
                None => {
                    let _ = writeln!(s, "# TODO: review (drafted from the answer's sentences)");
                }
                Some(by) => {
                    let _ = writeln!(s, "# drafted by {by}; check before use");
                }
            }
            let _ = writeln!(s, "[[questions.key_points]]");
            let _ = writeln!(s, "id = {}", toml_str(&kp.id));
            let _ = writeln!(s, "point = {}", toml_str(&kp.point));
            let _ = writeln!(s, "weight = {}", kp.weight);
            let _ = writeln!(s, "cues = {}", toml_list(&kp.cues));
        }
    }
    s
}

/// Suggested minutes: about 50 spoken words a minute, thinking included.
fn minutes_for(answer: &str) -> u32 {
    let words = answer.split_whitespace().count() as u32;
    words.div_ceil(50).clamp(2, 6)
}

fn wants_example(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "your own",
        "tell me about a time",
        "describe a time",
        "a project you",
        "you have built",
        "you built",
        "your experience",
    ]
    .iter()
    .any(|p| q.contains(p))
}

// ---------------------------------------------------------------- the commands

/// `grill bank import FILE [--out DIR] [--topic T]`.
pub fn import(settings: &Settings, file: &Path, out_dir: &Path, topic: Option<&str>) -> Result<()> {
    if let Some(t) = topic {
        if !is_slug(t) {
            return Err(Error::input(format!(
                "--topic `{t}` must be a slug: lowercase letters, digits, `-`"
            ))
            .with_hint(format!("for example --topic {}", slugify(t))));
        }
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, "read notes file", &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::input(format!("`{}` is not UTF-8 text", file.display())))?;
    let shown = file.display().to_string();
    let notes = parse_notes(&text);
    let mut stderr = render::stderr();
    let mut kept = Vec::new();
    for note in notes {
        if note.question.trim().is_empty() {
            writeln!(
                stderr,
                "{YELLOW}warning{YELLOW:#}: {}:{}: a `Q:` with no question text; skipped",
                render::clean(&shown),
                note.line
            )?;
        } else if note.answer.trim().is_empty() {
            writeln!(
                stderr,
                "{YELLOW}warning{YELLOW:#}: {}:{}: question has no answer below it; skipped",
                render::clean(&shown),
                note.line
            )?;
        } else {
            kept.push(note);
        }
    }
    if kept.is_empty() {
        return Err(Error::input(format!("no questions with answers found in `{shown}`"))
            .with_hint("start each question with `Q:`, or make it a Markdown heading ending in `?`; its answer follows it"));
    }

    // Group by topic, in order of first appearance.
    let fallback = file
        .file_stem()
        .map(|s| slugify(&s.to_string_lossy()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "imported".into());
    let mut groups: Vec<(String, String, Vec<Note>)> = Vec::new();
    for note in kept {
        let (slug, title) = match (topic, &note.section) {
            (Some(t), _) => (t.to_string(), t.to_string()),
            (None, Some(h)) if !slugify(h).is_empty() => (slugify(h), h.clone()),
            (None, _) => (fallback.clone(), fallback.clone()),
        };
        match groups.iter_mut().find(|(s, _, _)| *s == slug) {
            Some((_, _, notes)) => notes.push(note),
            None => groups.push((slug, title, vec![note])),
        }
    }

    // Nothing is written over an existing file.
    let targets: Vec<PathBuf> = groups
        .iter()
        .map(|(slug, _, _)| out_dir.join(format!("{slug}.toml")))
        .collect();
    if let Some(existing) = targets.iter().find(|p| p.exists()) {
        return Err(Error::input(format!(
            "`{}` already exists; not overwritten",
            existing.display()
        ))
        .with_hint("write into another directory with --out, or move the file away"));
    }

    // Ids must be unique across every bank loaded alongside, the output directory included.
    let mut sources = bank::builtin_sources();
    for dir in settings
        .bank_dirs
        .iter()
        .map(PathBuf::as_path)
        .chain([out_dir])
    {
        if let Ok(more) = bank::dir_sources(dir) {
            sources.extend(more);
        }
    }
    let (loaded, _) = Bank::from_sources(&sources);
    let mut taken: HashSet<String> = loaded.questions.iter().map(|q| q.id.clone()).collect();

    let judge = if settings.judge_unavailable().is_none() {
        match judge_ctx(settings) {
            Ok(ctx) => Some(ctx),
            Err(e) => {
                writeln!(
                    stderr,
                    "{YELLOW}warning{YELLOW:#}: {}; drafting key points from the answers instead",
                    e.message
                )?;
                None
            }
        }
    } else {
        None
    };
    let total: usize = groups.iter().map(|(_, _, n)| n.len()).sum();
    let drafted = draft_all(judge.as_ref(), &groups, &mut taken, total)?;

    // Render, check that each file parses back cleanly, then write.
    let origin = file
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let origin = render::clean(&origin).replace(['\n', '\t'], " ");
    let mut files = Vec::new();
    for ((slug, title, _), (questions, path)) in
        groups.iter().zip(drafted.into_iter().zip(&targets))
    {
        let text = render_bank_file(slug, title, &origin, &questions);
        let parsed = bank::parse(&text, &path.display().to_string(), slug);
        if !parsed.diagnostics.is_empty() {
            return Err(bank::diagnostics_error(&parsed.diagnostics)
                .with_hint("this is a bug in `grill bank import`; nothing was written"));
        }
        files.push((path.clone(), text, questions));
    }
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::io(out_dir, "create output directory", &e))?;
    let mut out = render::stdout();
    let mut todo = 0;
    for (path, text, questions) in &files {
        write_new(path, text)?;
        todo += questions.iter().filter(|q| q.drafted_by.is_none()).count();
        writeln!(
            out,
            "wrote {CYAN}{}{CYAN:#}  {}",
            path.display(),
            if questions.len() == 1 {
                "1 question".to_string()
            } else {
                format!("{} questions", questions.len())
            }
        )?;
    }
    writeln!(
        out,
        "{BOLD}{total} question{} imported into {} file{}.{BOLD:#}",
        if total == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    )?;
    if todo > 0 {
        writeln!(
            out,
            "{DIM}The key points of {todo} question{} were drafted from the answers' sentences and marked `# TODO: review`; edit them before relying on the grades.{DIM:#}",
            if todo == 1 { "" } else { "s" }
        )?;
    }
    writeln!(
        out,
        "{DIM}Check with `grill bank check {0}`; practise with `grill --bank {0} practice`.{DIM:#}",
        out_dir.display()
    )?;
    Ok(())
}

/// Drafts every question's key points: through the judge while it answers,
/// from the sentences otherwise.
fn draft_all(
    judge: Option<&JudgeCtx>,
    groups: &[(String, String, Vec<Note>)],
    taken: &mut HashSet<String>,
    total: usize,
) -> Result<Vec<Vec<Drafted>>> {
    let rt = if judge.is_some() {
        Some(runtime()?)
    } else {
        None
    };
    let bar = indicatif::ProgressBar::new(total as u64).with_style(
        indicatif::ProgressStyle::with_template("{spinner} drafting key points {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let mut judge = judge.zip(rt);
    let mut result = Vec::new();
    for (_, _, notes) in groups {
        let mut drafted = Vec::new();
        for note in notes {
            let id = unique(&question_id(&note.question), taken);
            let mut by_judge = None;
            if let Some((ctx, rt)) = &judge {
                let user = format!(
                    "Question:\n{}\n\nModel answer:\n{}",
                    note.question, note.answer
                );
                let messages = [("system", DRAFT_SYSTEM), ("user", user.as_str())];
                let reply = rt.block_on(ctx.judge.complete(&messages, &draft_schema()));
                match reply
                    .map_err(|e| e.to_string())
                    .and_then(|r| parse_drafted(&r))
                {
                    Ok(points) => by_judge = Some((points, ctx.grader())),
                    Err(why) => {
                        bar.suspend(|| {
                            eprintln!(
                                "warning: the judge could not draft key points for `{id}` ({}); drafting from the answers instead",
                                render::clean(&why)
                            );
                        });
                        // A server that fails once would fail (slowly) for every question.
                        judge = None;
                    }
                }
            }
            let (key_points, drafted_by) = match by_judge {
                Some((points, by)) => (points, Some(by)),
                None => (draft_key_points(&note.question, &note.answer), None),
            };
            drafted.push(Drafted {
                id,
                question: note.question.replace('\n', " "),
                minutes: minutes_for(&note.answer),
                wants_example: wants_example(&note.question),
                model_answer: note.answer.clone(),
                key_points,
                drafted_by,
            });
            bar.inc(1);
        }
        result.push(drafted);
    }
    bar.finish_and_clear();
    Ok(result)
}

/// Writes `text` to a new file at `path`: a temporary file beside it, then a
/// rename, so a reader never sees half a bank.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, "write", &e));
    }
    if path.exists() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::input(format!(
            "`{}` already exists; not overwritten",
            path.display()
        )));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, "write", &e)
    })
}

/// The commented template of `bank new`; it passes `bank check` as it is.
pub fn template(topic: &str) -> String {
    let title = {
        let words = topic.replace(['-', '_'], " ");
        let mut c = words.chars();
        c.next()
            .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
    };
    format!(
        r#"# A grill question bank: one file per topic, named after it ({topic}.toml).
# Put it in a directory and load it with `grill --bank DIR practice`, or list the
# directory under `bank_dirs` in the config. `grill bank check DIR` reports every
# problem with its line and column. This template passes the check as it is:
# replace the example question with your own, and copy the [[questions]] block
# (with its key points) once per question.

topic = "{topic}"   # slug: lowercase letters, digits, `-`; must match the file name
title = "{title}"   # shown by `grill topics`

[[questions]]
id = "{topic}-example"   # stable slug, unique across all banks; never reuse one for another question
question = "What is an embedding, and why does semantic search use embeddings instead of keywords?"
difficulty = "core"   # core | advanced
wants_example = false   # true: a strong answer needs an example from the candidate's own work
minutes = 3   # suggested time to answer, 1 to 60
model_answer = """
An embedding is a dense vector produced by a model so that texts with similar
meaning land close together; closeness is measured with cosine similarity or a
dot product.

Semantic search embeds the documents once, ahead of time, stores the vectors in
an index, and at query time embeds the query and returns its nearest neighbours.
Unlike keyword search it finds paraphrases and synonyms ("car" matches
"automobile"), but it can miss exact identifiers such as error codes, which is
why many systems combine both (hybrid search).
"""

# Three to seven key points per question: the facts and tradeoffs an interviewer
# listens for, each one sentence a judge can mark as said / half said / not said.
[[questions.key_points]]
id = "dense-vector"   # slug, unique inside the question
point = "An embedding is a vector in which texts with similar meaning are close together"
weight = 3   # 1 to 3: how much the point counts; default 1
cues = ["vector", "similar|close|nearby|meaning"]   # offline hints: alternatives split by |, matched as word prefixes

[[questions.key_points]]
id = "precomputed-index"
point = "Document vectors are computed ahead of time and indexed; only the query is embedded at search time"
weight = 2
cues = ["index|precomput|ahead of time|offline", "query"]

[[questions.key_points]]
id = "synonyms-vs-exact"
point = "It matches paraphrases and synonyms that keywords miss, but can miss exact terms, so hybrid search combines both"
weight = 2
cues = ["synonym|paraphras|meaning", "exact|keyword|hybrid|bm25"]
"#
    )
}

/// `grill bank new [--topic T]`: the template on standard output.
pub fn new_template(topic: Option<&str>) -> Result<()> {
    let topic = topic.unwrap_or("my-topic");
    if !is_slug(topic) {
        return Err(Error::input(format!(
            "--topic `{topic}` must be a slug: lowercase letters, digits, `-`"
        ))
        .with_hint(format!("for example --topic {}", slugify(topic))));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(template(topic).as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTES: &str = "Skip to content\n\nInterview notes\n\nSome intro text that is not a question.\n\nRAG and retrieval\n\nQ: What is HyDE and when does it help?\n\nShow answer\n\nHyDE generates a hypothetical answer with the LLM. It then embeds that answer for retrieval.\n\nIt helps when the query is short. It hurts when the hypothetical answer is wrong, because retrieval follows a false premise.\n\nQ: What is a reranker?\n\nShow answer\n\nA cross-encoder scores each (query, document) pair:\n\n  • It is accurate because it sees both texts together\n  • It is slow, so it only reorders the top candidates\n\nFine-tuning\n\nQ: What is LoRA?\n\nShow answer\n\nLoRA freezes the base weights and trains two small low-rank matrices. Only those need gradients and optimizer state, so memory drops sharply. At inference the product is merged into the weights, so there is no extra latency.\n\n02-portfolio | 04-design\n";

    #[test]
    fn plain_text_sections_become_topics_and_widgets_are_dropped() {
        let notes = parse_notes(NOTES);
        let got: Vec<(Option<&str>, &str)> = notes
            .iter()
            .map(|n| (n.section.as_deref(), n.question.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some("RAG and retrieval"),
                    "What is HyDE and when does it help?"
                ),
                (Some("RAG and retrieval"), "What is a reranker?"),
                (Some("Fine-tuning"), "What is LoRA?"),
            ]
        );
        assert!(
            notes[0].answer.starts_with("HyDE generates"),
            "{}",
            notes[0].answer
        );
        assert!(notes[0].answer.contains("\n\nIt helps"), "paragraphs kept");
        assert!(!notes[0].answer.contains("Show answer"));
        assert!(
            notes[1].answer.contains("\n- It is accurate"),
            "{}",
            notes[1].answer
        );
        assert!(
            !notes[2].answer.contains("02-portfolio"),
            "page footer is not part of the answer"
        );
        assert_eq!(notes[0].line, 9);
    }

    #[test]
    fn markdown_headings_ending_in_a_question_mark_are_questions() {
        let md = "# Notes\n\n## Agents\n\n### What is ReAct?\n\nThought, action, observation, in a loop.\nShort line\n\n**Q:** Why stop at `Observation:`?\n\n**A:** So the tool result is real.\n\n<details><summary>Show answer</summary>\n\n```python\n# not a heading\nstop = [\"Observation:\"]\n```\n\n</details>\n";
        let notes = parse_notes(md);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(notes[0].section.as_deref(), Some("Agents"));
        assert_eq!(notes[0].question, "What is ReAct?");
        assert!(
            notes[0].answer.ends_with("Short line"),
            "no plain headings in Markdown: {}",
            notes[0].answer
        );
        assert_eq!(notes[1].question, "Why stop at `Observation:`?");
        assert!(notes[1].answer.starts_with("So the tool result is real."));
        assert!(
            notes[1].answer.contains("# not a heading"),
            "{}",
            notes[1].answer
        );
        assert!(!notes[1].answer.contains("details"), "{}", notes[1].answer);
    }

    #[test]
    fn ids_and_slugs_are_short_and_readable() {
        assert_eq!(slugify("RAG and retrieval"), "rag-and-retrieval");
        assert_eq!(slugify("LLM APIs & fundamentals!"), "llm-apis-fundamentals");
        assert_eq!(
            question_id("What is HyDE and when does it help?"),
            "hyde-help"
        );
        assert_eq!(
            question_id("What is the difference between a bi-encoder and a cross-encoder? When do you use each?"),
            "bi-encoder-cross-encoder"
        );
        assert_eq!(
            question_id("What is the difference between max_tokens and the context window?"),
            "max-tokens-context-window"
        );
        assert_eq!(question_id("???"), "question");
        let mut taken = HashSet::from(["hyde-help".to_string()]);
        assert_eq!(unique("hyde-help", &mut taken), "hyde-help-2");
    }

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
                    crate::judge::Coverage::Covered,
                    "a point's own words match its cues: {p:?}"
                );
            }
        }
        let lora = draft_key_points(&notes[2].question, &notes[2].answer);
        assert_eq!(lora.len(), 3);
        assert!(lora[0].point.starts_with("LoRA freezes"));
    }

    #[test]
    fn rendered_files_parse_back_cleanly_even_with_awkward_text() {
        let answer = "Quotes \"\"\" and backslashes \\ and a tab\there. Then \u{1b}[31m an escape. Another sentence with enough words.";
        let q = Drafted {
            id: "odd".into(),
            question: "Is \"this\" \\ odd?".into(),
            model_answer: answer.into(),
            minutes: 3,
            wants_example: false,
            key_points: draft_key_points("odd", answer),
            drafted_by: None,
        };
        let text = render_bank_file(
            "weird",
            "Weird \"title\"",
            "notes.md",
            std::slice::from_ref(&q),
        );
        let parsed = bank::parse(&text, "weird.toml", "weird");
        assert!(
            parsed.diagnostics.is_empty(),
            "{:?}\n{text}",
            parsed.diagnostics
        );
        assert_eq!(parsed.questions[0].model_answer, answer);
        assert_eq!(parsed.questions[0].question, q.question);
        assert!(text.contains("# TODO: review"));
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

    #[test]
    fn the_template_passes_the_check_as_it_is() {
        for topic in ["my-topic", "system-design"] {
            let parsed = bank::parse(&template(topic), "t.toml", topic);
            assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
            assert_eq!(parsed.questions[0].key_points.len(), 3);
        }
    }
}
