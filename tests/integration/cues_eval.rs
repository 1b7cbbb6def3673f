//! How good is the offline guess? The cue matcher (`grill::cues`) against a
//! hand-labelled set of interview answers in `tests/fixtures/cues.json`:
//! 18 questions over all 10 topics, each with a strong, a partial, a weak or
//! wrong answer and one worded in paraphrase instead of the bank's vocabulary.
//! The labels are a human's reading of each key point's wording, not of its
//! cues. `cargo test cues_eval -- --nocapture` prints the table.
//!
//! Since bank v2 some cues carry synonyms first seen in these paraphrases
//! ("doubling the wait", "top choice"), so the paraphrase rows flatter the
//! matcher on wording it has never met; treat them as an upper bound.
//!
//! The floors below sit a few points under what the matcher measures today, so
//! a regression in the matcher or in a cue fails here.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use grill::bank::Bank;
use grill::cues::match_all;
use grill::verdict::Coverage;

const FIXTURE: &str = include_str!("../fixtures/cues.json");

// Floors for the whole set, under today's measurement (bank v2: covered:
// precision 0.98, recall 0.85; covered-or-partial: 0.94, 0.95; before it,
// 0.98, 0.62 and 0.90, 0.84). Not raised with v2: part of its gain is cue
// synonyms taken from this set's paraphrases (see above).
const COVERED_PRECISION_FLOOR: f64 = 0.93;
const COVERED_RECALL_FLOOR: f64 = 0.55;
const ANY_PRECISION_FLOOR: f64 = 0.85;
const ANY_RECALL_FLOOR: f64 = 0.78;
/// Strong answers use the bank's own vocabulary: their points should look
/// covered (today 1.00).
const STRONG_COVERED_RECALL_FLOOR: f64 = 0.90;
/// Weak or wrong answers: points wrongly guessed covered (today none).
const WEAK_COVERED_FALSE_POSITIVES_CEILING: u32 = 1;

#[derive(Deserialize)]
struct Item {
    question: String,
    answers: Vec<Answer>,
}

#[derive(Deserialize)]
struct Answer {
    level: String,
    text: String,
    covered: Vec<String>,
    partial: Vec<String>,
}

fn fixture() -> Vec<Item> {
    serde_json::from_str(FIXTURE).expect("tests/fixtures/cues.json parses")
}

/// Binary-decision counts: true positives, false positives, false negatives.
#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Counts {
    fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => {}
        }
    }

    /// Precision; 1.0 when nothing was predicted (no false claims made).
    fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// Recall; 1.0 when nothing was there to find.
    fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(num: u32, den: u32) -> f64 {
    if den == 0 {
        1.0
    } else {
        f64::from(num) / f64::from(den)
    }
}

/// One row of the table: a level of answer quality, or the whole set.
#[derive(Default, Clone, Copy)]
struct Row {
    answers: u32,
    points: u32,
    /// Matcher says covered vs label says covered.
    covered: Counts,
    /// Matcher says covered or partial vs label says covered or partial.
    any: Counts,
    /// The three-way guess equals the label.
    exact: u32,
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>4} {:>6} | {:>5.2} {:>5.2} ({:>3}/{:>3}/{:>3}) | {:>5.2} {:>5.2} ({:>3}/{:>3}/{:>3}) | {:>5.2}",
            self.answers,
            self.points,
            self.covered.precision(),
            self.covered.recall(),
            self.covered.tp,
            self.covered.fp,
            self.covered.fn_,
            self.any.precision(),
            self.any.recall(),
            self.any.tp,
            self.any.fp,
            self.any.fn_,
            ratio(self.exact, self.points),
        )
    }
}

/// Runs the matcher over the whole fixture: rows per level, and the total.
fn measure(bank: &Bank) -> (BTreeMap<String, Row>, Row) {
    let mut levels: BTreeMap<String, Row> = BTreeMap::new();
    let mut total = Row::default();
    for item in fixture() {
        let question = bank
            .get(&item.question)
            .unwrap_or_else(|| panic!("fixture question {} is not in the bank", item.question));
        for answer in &item.answers {
            let guesses = match_all(&answer.text, &question.key_points);
            let row = levels.entry(answer.level.clone()).or_default();
            row.answers += 1;
            total.answers += 1;
            for (point, guess) in question.key_points.iter().zip(&guesses) {
                let label = if answer.covered.contains(&point.id) {
                    Coverage::Covered
                } else if answer.partial.contains(&point.id) {
                    Coverage::Partial
                } else {
                    Coverage::Missing
                };
                for row in [&mut *row, &mut total] {
                    row.points += 1;
                    row.covered.add(
                        guess.coverage == Coverage::Covered,
                        label == Coverage::Covered,
                    );
                    row.any.add(
                        guess.coverage != Coverage::Missing,
                        label != Coverage::Missing,
                    );
                    row.exact += u32::from(guess.coverage == label);
                }
            }
        }
    }
    (levels, total)
}

#[test]
fn cue_matcher_precision_and_recall_on_the_labelled_set() {
    let bank = Bank::load(&[]).expect("built-in bank loads");
    let (levels, total) = measure(&bank);

    println!();
    println!("cue matcher vs hand labels (tests/fixtures/cues.json)");
    println!(
        "{:<22} | {:^25} | {:^25} |",
        "", "guess covered ~ label", "covered-or-partial ~ same"
    );
    println!(
        "{:<10} {:>4} {:>6} | {:>5} {:>5} ({:>3}/{:>3}/{:>3}) | {:>5} {:>5} ({:>3}/{:>3}/{:>3}) | {:>5}",
        "level", "ans", "points", "prec", "rec", "tp", "fp", "fn", "prec", "rec", "tp", "fp", "fn", "exact"
    );
    for (level, row) in &levels {
        println!("{level:<10} {row}");
    }
    println!("{:<10} {total}", "all");

    let checks = [
        (
            "covered precision",
            total.covered.precision(),
            COVERED_PRECISION_FLOOR,
        ),
        (
            "covered recall",
            total.covered.recall(),
            COVERED_RECALL_FLOOR,
        ),
        (
            "covered-or-partial precision",
            total.any.precision(),
            ANY_PRECISION_FLOOR,
        ),
        (
            "covered-or-partial recall",
            total.any.recall(),
            ANY_RECALL_FLOOR,
        ),
    ];
    let strong = levels.get("strong").copied().unwrap_or_default();
    let weak = levels.get("weak").copied().unwrap_or_default();
    let mut failed: Vec<String> = checks
        .iter()
        .chain(&[(
            "strong answers' covered recall",
            strong.covered.recall(),
            STRONG_COVERED_RECALL_FLOOR,
        )])
        .filter(|(_, value, floor)| value < floor)
        .map(|(name, value, floor)| format!("{name} {value:.3} is under its floor {floor:.2}"))
        .collect();
    if weak.covered.fp > WEAK_COVERED_FALSE_POSITIVES_CEILING {
        failed.push(format!(
            "{} points of weak answers look covered (at most {WEAK_COVERED_FALSE_POSITIVES_CEILING})",
            weak.covered.fp
        ));
    }
    assert!(
        strong.answers > 0 && weak.answers > 0,
        "the set has strong and weak answers"
    );
    assert!(failed.is_empty(), "cue matcher regressed: {failed:#?}");
}

#[test]
fn fixture_questions_and_key_points_exist_in_the_bank() {
    let bank = Bank::load(&[]).expect("built-in bank loads");
    let items = fixture();
    let mut problems = Vec::new();
    let mut topics = std::collections::BTreeSet::new();
    for item in &items {
        let Some(question) = bank.get(&item.question) else {
            problems.push(format!("question {} is not in the bank", item.question));
            continue;
        };
        topics.insert(question.topic.clone());
        for answer in &item.answers {
            for id in answer.covered.iter().chain(&answer.partial) {
                if !question.key_points.iter().any(|p| &p.id == id) {
                    problems.push(format!(
                        "{} ({}): no key point {id}",
                        item.question, answer.level
                    ));
                }
            }
            if let Some(id) = answer.covered.iter().find(|id| answer.partial.contains(id)) {
                problems.push(format!(
                    "{} ({}): {id} is labelled both covered and partial",
                    item.question, answer.level
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        items.len() >= 12,
        "at least 12 questions, got {}",
        items.len()
    );
    assert_eq!(
        topics.len(),
        bank.topics.len(),
        "every topic is represented: {topics:?}"
    );
}
