//! The built-in bank judged by its own cues: every question's cues should
//! credit most of its points on its own model answer and almost nothing on the
//! model answers written for the other questions. A cue that fires everywhere
//! cannot tell a right answer from a wrong one, so the offline estimate it
//! feeds would reward keyword soup. `cargo test bank_quality -- --nocapture`
//! prints the worst offenders.
//!
//! Credit counts a key point's weight once when the matcher calls it covered
//! and half when it calls it partial, the same way a grade does.

use std::collections::{BTreeSet, HashSet};

use grill::bank::{Bank, Question};
use grill::cues::match_all;
use grill::verdict::Coverage;

use crate::common::repo;

/// Over the whole bank, credit from other questions' model answers stays
/// under this share of the points at stake (about 0.06 today).
const CROSS_CEILING: f64 = 0.10;
/// No single question's cues may earn more than this share of its points, on
/// average, from the other model answers (the worst is about 0.09 today).
const CROSS_CEILING_PER_QUESTION: f64 = 0.15;
/// Each question's cues credit at least this share of its weight on its own
/// model answer.
const OWN_FLOOR: f64 = 0.60;
/// An answer that only repeats the question earns at most this share of the
/// weight (the worst is about 0.22 today; in bank v1 quantization's scored 0.64).
const ECHO_CEILING: f64 = 0.30;
/// A cue matching the model answers of more than this share of the bank's
/// questions is too generic to mean anything.
const GENERIC_SHARE: f64 = 0.25;

fn bank() -> Bank {
    Bank::load(&[]).expect("built-in bank loads")
}

/// Weighted credit of `answer` against `question`'s key points, and the total weight.
fn credit(question: &Question, answer: &str) -> (f64, f64) {
    let matches = match_all(answer, &question.key_points);
    let mut earned = 0.0;
    for (point, m) in question.key_points.iter().zip(&matches) {
        let share = match m.coverage {
            Coverage::Covered => 1.0,
            Coverage::Partial => 0.5,
            Coverage::Missing => 0.0,
        };
        earned += share * f64::from(point.weight);
    }
    (earned, f64::from(question.total_weight()))
}

#[test]
fn every_question_credits_most_of_its_points_on_its_own_model_answer() {
    let bank = bank();
    let low: Vec<String> = bank
        .questions
        .iter()
        .filter_map(|q| {
            let (earned, total) = credit(q, &q.model_answer);
            let share = earned / total;
            (share < OWN_FLOOR).then(|| format!("{}: {share:.2}", q.id))
        })
        .collect();
    assert!(
        low.is_empty(),
        "cues miss their own model answer (floor {OWN_FLOOR}): {low:#?}"
    );
}

#[test]
fn cues_credit_little_on_the_model_answers_of_other_questions() {
    let bank = bank();
    let (mut earned_all, mut total_all) = (0.0, 0.0);
    let mut per_question = Vec::new();
    for q in &bank.questions {
        let (mut earned, mut total) = (0.0, 0.0);
        let mut worst = (0.0, "");
        for other in bank.questions.iter().filter(|o| o.id != q.id) {
            let (e, t) = credit(q, &other.model_answer);
            earned += e;
            total += t;
            if e / t > worst.0 {
                worst = (e / t, other.id.as_str());
            }
        }
        earned_all += earned;
        total_all += total;
        per_question.push((earned / total, q.id.as_str(), worst));
    }
    per_question.sort_by(|a, b| b.0.total_cmp(&a.0));
    let overall = earned_all / total_all;
    println!();
    println!("cross-question credit over the bank: {overall:.3} (ceiling {CROSS_CEILING})");
    for (share, id, (worst, on)) in per_question.iter().take(8) {
        println!("  {id:<32} {share:.3}  (most on {on}: {worst:.2})");
    }
    assert!(
        overall < CROSS_CEILING,
        "cues credit {overall:.3} of the points on other questions' model answers"
    );
    let over: Vec<String> = per_question
        .iter()
        .filter(|(share, ..)| *share > CROSS_CEILING_PER_QUESTION)
        .map(|(share, id, _)| format!("{id}: {share:.3}"))
        .collect();
    assert!(
        over.is_empty(),
        "questions whose cues fire on other answers: {over:#?}"
    );
}

#[test]
fn repeating_the_question_back_earns_little() {
    let bank = bank();
    let high: Vec<String> = bank
        .questions
        .iter()
        .filter_map(|q| {
            let (earned, total) = credit(q, &q.question);
            let share = earned / total;
            (share > ECHO_CEILING).then(|| format!("{}: {share:.2}", q.id))
        })
        .collect();
    assert!(
        high.is_empty(),
        "cues that the question's own words satisfy (ceiling {ECHO_CEILING}): {high:#?}"
    );
}

#[test]
fn no_cue_matches_the_model_answers_of_more_than_a_quarter_of_the_bank() {
    let bank = bank();
    let limit = GENERIC_SHARE * bank.questions.len() as f64;
    let mut generic = Vec::new();
    for q in &bank.questions {
        for point in &q.key_points {
            for cue in &point.cues {
                // One point holding just this cue: it matches wherever the cue does.
                let probe = grill::bank::KeyPoint {
                    id: point.id.clone(),
                    point: point.point.clone(),
                    weight: 1,
                    cues: vec![cue.clone()],
                };
                let hits = bank
                    .questions
                    .iter()
                    .filter(|o| {
                        match_all(&o.model_answer, std::slice::from_ref(&probe))[0].coverage
                            == Coverage::Covered
                    })
                    .count();
                if hits as f64 > limit {
                    generic.push(format!("{} / {}: \"{cue}\" matches {hits}", q.id, point.id));
                }
            }
        }
    }
    assert!(generic.is_empty(), "generic cues: {generic:#?}");
}

/// The importer's stop-words (`src/import.rs`): a cue made only of these
/// matches almost any answer.
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

/// Words too generic to be a cue on their own (the bank's format rules).
const GENERIC_WORDS: &[&str] = &["model", "models", "data", "llm", "llms", "use", "answer"];

#[test]
fn no_cue_alternative_is_only_stop_words_or_generic_words() {
    let bank = bank();
    let mut bad = Vec::new();
    for q in &bank.questions {
        for point in &q.key_points {
            for cue in &point.cues {
                for alternative in cue.split('|') {
                    let words: Vec<String> = alternative
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(str::to_lowercase)
                        .collect();
                    let empty = words.is_empty();
                    let all_stop = words.iter().all(|w| STOPWORDS.contains(&w.as_str()));
                    let generic = words.len() == 1 && GENERIC_WORDS.contains(&words[0].as_str());
                    if empty || all_stop || generic {
                        bad.push(format!("{} / {}: \"{alternative}\"", q.id, point.id));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "cue alternatives that mean nothing: {bad:#?}"
    );
}

#[test]
fn every_question_has_five_to_seven_points_sources_and_a_review_month() {
    let bank = bank();
    let mut problems = Vec::new();
    for q in &bank.questions {
        if !(5..=7).contains(&q.key_points.len()) {
            problems.push(format!("{}: {} key points", q.id, q.key_points.len()));
        }
        if q.sources.is_empty() {
            problems.push(format!("{}: no sources", q.id));
        }
        match q.reviewed.as_deref() {
            None => problems.push(format!("{}: no reviewed month", q.id)),
            // Facts of this field move in months: checked in the last half-year.
            Some(month) if month < "2026-06" => {
                problems.push(format!("{}: last reviewed {month}", q.id));
            }
            Some(_) => {}
        }
        let ids: HashSet<&str> = q.key_points.iter().map(|p| p.id.as_str()).collect();
        if ids.len() != q.key_points.len() {
            problems.push(format!("{}: duplicate key point ids", q.id));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_bank_covers_the_areas_of_a_2026_interview() {
    let bank = bank();
    assert!(
        bank.questions.len() >= 100,
        "only {} questions",
        bank.questions.len()
    );
    let topics: BTreeSet<&str> = bank.topics.iter().map(|t| t.slug.as_str()).collect();
    assert!(
        topics.len() >= 16,
        "only {} topics: {topics:?}",
        topics.len()
    );
    for topic in [
        "serving",
        "agent-security",
        "embeddings",
        "system-design",
        "transformers",
        "inference-economics",
        "debugging",
        "prompt-engineering",
        "agent-evaluation",
        "rl-post-training",
        "structured-retrieval",
        "privacy-red-teaming",
        "voice-agents",
        "streaming",
    ] {
        assert!(topics.contains(topic), "no `{topic}` topic: {topics:?}");
        let n = bank.questions.iter().filter(|q| q.topic == topic).count();
        assert!(n >= 3, "only {n} questions in `{topic}`");
    }
    // System design is asked as a long question: at least 8 of 10 minutes or more.
    let designs: Vec<_> = bank
        .questions
        .iter()
        .filter(|q| q.topic == "system-design")
        .collect();
    assert!(
        designs.len() >= 8,
        "only {} design questions",
        designs.len()
    );
    for q in designs {
        assert!(q.minutes >= 10, "`{}` is {} minutes", q.id, q.minutes);
    }
    for id in [
        "prompt-caching",
        "long-context-vs-rag",
        "speculative-decoding",
        "prefill-decode-scheduling",
        "reasoning-models",
        "mcp",
        "context-engineering",
        "model-routing",
        "multimodal-rag",
        "query-rewriting",
        "online-ab-testing",
        "lethal-trifecta",
        "sandboxed-code-execution",
    ] {
        assert!(bank.get(id).is_some(), "no question `{id}`");
    }
}

/// Every model answer is the project's own words: no run of 16 words is the
/// seed page's. Needs the seed page beside the repository (as in CI).
#[test]
fn no_model_answer_copies_the_seed() {
    fn words(text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }
    let Ok(entries) = std::fs::read_dir(repo().join("../shared/seed")) else {
        eprintln!("skipped: no seed page beside the repository");
        return;
    };
    let mut seed = Vec::new();
    for entry in entries.flatten() {
        seed.extend(words(&std::fs::read_to_string(entry.path()).unwrap()));
    }
    let shingles: HashSet<&[String]> = seed.windows(16).collect();
    let bank = bank();
    for q in &bank.questions {
        let answer = words(&q.model_answer);
        if let Some(run) = answer.windows(16).find(|run| shingles.contains(run)) {
            panic!("{} copies the seed: {}", q.id, run.join(" "));
        }
    }
}
