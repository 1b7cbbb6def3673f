//! The checked verdict: what the judge said, held against the answer, and
//! scored by the program, so the same verdict always gives the same number.
//!
//! The rules (README, "How a grade is computed"):
//! - a covered or partial point whose quote is not in the answer is missing;
//! - a quote already credited to an earlier point credits only that one;
//! - a quote shorter than `MIN_QUOTE_WORDS` (or than the whole answer, if
//!   that is shorter) earns at most partial, and so does one that only
//!   repeats the question's own words;
//! - a mistake counts (−1) only if its quote is in the answer, and at most
//!   `MAX_MISTAKES` are kept;
//! - score = round(10 × earned / total weight, 1) − verified mistakes, ≥ 0.

use serde::{Deserialize, Serialize};

use super::raw::{Coverage, RawVerdict};
use crate::bank::slug::is_stopword;
use crate::bank::Question;
use crate::text::{normalize, sanitize};

/// The fewest words a quote must have to earn full credit.
pub const MIN_QUOTE_WORDS: usize = 4;

/// Why the program gave a point less than the judge claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The quote is not in the answer: missing.
    NotInAnswer,
    /// The quote was already credited to an earlier point: missing.
    ReusedQuote,
    /// Too few words to show the point: at most partial.
    ShortQuote,
    /// Only the question's own words: at most partial.
    QuestionWords,
}

/// A key point after the checks: `coverage` is what counts, `claimed` is
/// what the judge said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointVerdict {
    pub id: String,
    pub coverage: Coverage,
    pub claimed: Coverage,
    pub evidence: String,
    /// False when the judge credited words that are not in the answer.
    pub verified: bool,
    pub weight: u8,
    /// Why the credit was lowered, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// With `--samples`: the samples did not all agree on this point.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
    /// Not covered by the answer, covered by the answer to a follow-up:
    /// half its weight, since it took a prompt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

impl PointVerdict {
    /// The share of its weight the point earns.
    pub fn credit(&self) -> f64 {
        let own = self.coverage.credit();
        if self.recovered {
            own.max(RECOVERED_CREDIT)
        } else {
            own
        }
    }
}

/// The credit of a point recovered on a follow-up.
pub const RECOVERED_CREDIT: f64 = 0.5;

/// One follow-up round: the interviewer's question about the points the
/// answer left open, the candidate's answer and what it recovered. The
/// follow-up is graded only against `points`, with evidence from its answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FollowUpRound {
    pub question: String,
    /// Empty when it was not answered (see `note`).
    pub answer: String,
    /// The ids of the points still open when it was asked.
    pub points: Vec<String>,
    /// Those the follow-up answer covered.
    pub recovered: Vec<String>,
    /// The follow-up's own verdict on `points`: coverage and evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_points: Vec<PointVerdict>,
    /// The score before this round.
    pub score_before: f64,
    /// Why it has no grade: skipped, no time left, grading failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// The interview's clock ended the follow-up answer: graded as it stood.
    #[serde(default)]
    pub cut_off: bool,
}

/// A wrong claim as kept: counted only when its quote is in the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mistake {
    #[serde(alias = "claim")]
    pub quote: String,
    pub correction: String,
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

/// Tokens a grade spent, as the server reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt: u64,
    /// The part of `prompt` served from the provider's prompt cache.
    pub cached: u64,
    pub completion: u64,
    /// The part of `completion` the model spent reasoning.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reasoning: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's signature
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl std::ops::Add for Usage {
    type Output = Usage;
    fn add(self, o: Usage) -> Usage {
        Usage {
            prompt: self.prompt + o.prompt,
            cached: self.cached + o.cached,
            completion: self.completion + o.completion,
            reasoning: self.reasoning + o.reasoning,
        }
    }
}

/// The verdict as stored and shown: checked, scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub score: f64,
    pub key_points: Vec<PointVerdict>,
    pub mistakes: Vec<Mistake>,
    /// The judge's notes for the candidate.
    pub feedback: String,
    pub follow_up: String,
    /// Things the program noticed about the answer itself, whatever the judge
    /// said: `pasted_key_points` (see `guard`). A report, never a penalty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// What the judge's calls cost; none for a cached verdict or no judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Follow-up rounds after the answer, in order; `score` includes what
    /// they recovered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_ups: Vec<FollowUpRound>,
}

impl Verdict {
    /// The same verdict with `f` applied to every string the judge wrote,
    /// after it was checked and scored: the secrets masked where it leaves
    /// grill. Scores and marks are untouched.
    #[must_use]
    pub fn map_text(mut self, f: impl Fn(&str) -> String) -> Verdict {
        let points = |points: &mut Vec<PointVerdict>| {
            for p in points {
                p.evidence = f(&p.evidence);
            }
        };
        points(&mut self.key_points);
        for m in &mut self.mistakes {
            m.quote = f(&m.quote);
            m.correction = f(&m.correction);
        }
        self.feedback = f(&self.feedback);
        self.follow_up = f(&self.follow_up);
        for round in &mut self.follow_ups {
            round.question = f(&round.question);
            points(&mut round.key_points);
        }
        self
    }

    /// Points the judge credited that the checks took back or lowered.
    pub fn downgraded(&self) -> impl Iterator<Item = &PointVerdict> {
        self.key_points.iter().filter(|p| p.check.is_some())
    }
}

/// grill's own words for a score, shown beside it: the judge's are its notes.
pub fn headline(score: f64) -> &'static str {
    if score >= 8.0 {
        "strong"
    } else if score >= 5.0 {
        "partial"
    } else {
        "weak"
    }
}

/// The parts of a quote, normalised; an ellipsis stands for omitted words.
fn quote_parts(quote: &str) -> Vec<String> {
    quote
        .split("...")
        .flat_map(|p| p.split('…'))
        .map(normalize)
        .filter(|p| !p.trim().is_empty())
        .collect()
}

/// A quote as compared with other quotes: its words, normalised, in order.
fn quote_key(quote: &str) -> String {
    quote_parts(quote)
        .iter()
        .flat_map(|p| p.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Does the quote occur in the answer? Case, white space and punctuation are
/// ignored; an ellipsis in the quote may stand for omitted words, the parts
/// must then appear in order.
pub fn evidence_in(evidence: &str, answer_normalized: &str) -> bool {
    let parts = quote_parts(evidence);
    if parts.is_empty() {
        return false;
    }
    let mut from = 0;
    for part in &parts {
        match answer_normalized[from..].find(part.as_str()) {
            // Keep the trailing space so the next part starts on a word boundary.
            Some(at) => from += at + part.len() - 1,
            None => return false,
        }
    }
    true
}

/// The score formula: weights times credit, out of 10, one decimal, minus
/// one per mistake, never below zero.
pub fn score(points: &[PointVerdict], mistakes: usize) -> f64 {
    let total: f64 = points.iter().map(|p| f64::from(p.weight)).sum();
    if total == 0.0 {
        return 0.0;
    }
    let earned: f64 = points
        .iter()
        .map(|p| f64::from(p.weight) * p.credit())
        .sum();
    // In tenths, so that 1.2 minus a mistake is 0.2, not 0.19999999999999996.
    let tenths = (100.0 * earned / total).round() - 10.0 * mistakes as f64;
    tenths.max(0.0) / 10.0
}

/// The same word, give or take an ending: `retrieve` and `retrieves`.
fn same_word(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.chars().count() >= 4 && long.starts_with(short))
}

/// What the answer and the question give the checks, computed once.
struct Context {
    answer: String,
    answer_words: usize,
    question_words: Vec<String>,
}

impl Context {
    /// Why a quote earns less than `claimed`, and the coverage it keeps.
    fn check(
        &self,
        quote: &str,
        claimed: Coverage,
        credited: &[String],
    ) -> (Coverage, Option<Check>) {
        if claimed == Coverage::Missing {
            return (Coverage::Missing, None);
        }
        if !evidence_in(quote, &self.answer) {
            return (Coverage::Missing, Some(Check::NotInAnswer));
        }
        let key = quote_key(quote);
        if credited.contains(&key) {
            return (Coverage::Missing, Some(Check::ReusedQuote));
        }
        let capped = |check| match claimed {
            Coverage::Covered => (Coverage::Partial, Some(check)),
            other => (other, None),
        };
        let words: Vec<&str> = key.split_whitespace().collect();
        if words.len() < MIN_QUOTE_WORDS.min(self.answer_words) {
            return capped(Check::ShortQuote);
        }
        let own = words
            .iter()
            .filter(|w| !is_stopword(w) && !self.question_words.iter().any(|q| same_word(q, w)))
            .count();
        if own == 0 {
            return capped(Check::QuestionWords);
        }
        (claimed, None)
    }
}

/// Holds each point and mistake of the judge's verdict against the answer
/// and scores the result. `answer` is as the judge saw it, secrets masked.
pub fn finalize(raw: RawVerdict, question: &Question, answer: &str) -> Verdict {
    // Read replies are capped already; a verdict cached before the caps were is not.
    let raw = raw.capped();
    let ctx = Context {
        answer: normalize(answer),
        answer_words: answer.split_whitespace().count(),
        // A follow-up answer that only repeats the follow-up's words shows
        // as little as one that repeats the question's.
        question_words: normalize(&question.question)
            .split_whitespace()
            .chain(
                question
                    .follow_up
                    .as_deref()
                    .map(normalize)
                    .unwrap_or_default()
                    .split_whitespace(),
            )
            .map(str::to_string)
            .collect(),
    };
    let mut credited: Vec<String> = Vec::new();
    let key_points: Vec<PointVerdict> = question
        .key_points
        .iter()
        .map(|k| {
            let judged = raw.key_points.iter().find(|p| p.id == k.id);
            // Checked as the judge wrote it (a bidi mark copied from the
            // answer must match there), kept sanitised.
            let (claimed, evidence) =
                judged.map_or((Coverage::Missing, ""), |p| (p.coverage, p.evidence.trim()));
            let (coverage, check) = ctx.check(evidence, claimed, &credited);
            if coverage != Coverage::Missing {
                credited.push(quote_key(evidence));
            }
            PointVerdict {
                id: k.id.clone(),
                coverage,
                claimed,
                evidence: sanitize(evidence),
                verified: check != Some(Check::NotInAnswer),
                weight: k.weight,
                check,
                uncertain: false,
                recovered: false,
            }
        })
        .collect();
    let mistakes: Vec<Mistake> = raw
        .mistakes
        .into_iter()
        .take(super::schema::MAX_MISTAKES)
        .map(|m| Mistake {
            verified: evidence_in(m.quote.trim(), &ctx.answer),
            quote: sanitize(m.quote.trim()),
            correction: sanitize(m.correction.trim()),
        })
        .collect();
    let counted = mistakes.iter().filter(|m| m.verified).count();
    Verdict {
        score: score(&key_points, counted),
        key_points,
        mistakes,
        feedback: sanitize(raw.feedback.trim()),
        follow_up: sanitize(raw.follow_up.trim()),
        flags: super::guard::answer_flags(question, answer),
        usage: None,
        follow_ups: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(coverage: Coverage, weight: u8) -> PointVerdict {
        PointVerdict {
            id: "p".into(),
            coverage,
            claimed: coverage,
            evidence: String::new(),
            verified: true,
            weight,
            check: None,
            uncertain: false,
            recovered: false,
        }
    }

    #[test]
    fn a_score_minus_mistakes_stays_on_tenths() {
        // 1 covered of weight 1 in 8.3: 1.2, minus one mistake. Seen from
        // SmolLM2 as 0.19999999999999996 in `grade --json`.
        let points = [point(Coverage::Covered, 1), point(Coverage::Missing, 7)];
        assert_eq!(score(&points, 0), 1.3);
        assert_eq!(score(&points, 1), 0.3);
        let points = [point(Coverage::Covered, 12), point(Coverage::Missing, 88)];
        assert_eq!(score(&points, 1), 0.2);
        assert_eq!(score(&points, 2), 0.0);
        for mistakes in 0..4 {
            for covered in 0..=20u8 {
                let points = [
                    point(Coverage::Covered, covered),
                    point(Coverage::Partial, 20),
                ];
                let s = score(&points, mistakes);
                assert_eq!(s, (s * 10.0).round() / 10.0, "{covered} {mistakes}: {s}");
            }
        }
    }
}
