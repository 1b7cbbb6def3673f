//! The offline guess: does an answer mention a key point's cues?
//!
//! Each cue is a set of alternatives separated by `|`; an alternative is one or
//! more words, and it matches where the answer has that many consecutive words,
//! each starting with the cue's word (case-insensitive). A key point whose cues
//! all match looks covered, one with some matching looks partial. This is a
//! keyword estimate, labelled as such wherever it is shown.

use crate::bank::KeyPoint;
use crate::judge::Coverage;

/// The answer split into lowercase words, once per answer.
pub struct Words(Vec<String>);

impl Words {
    pub fn new(text: &str) -> Words {
        Words(
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect(),
        )
    }

    /// The words of the answer that match one alternative, joined, if any does.
    fn find(&self, alternative: &[String]) -> Option<String> {
        if alternative.is_empty() || alternative.len() > self.0.len() {
            return None;
        }
        self.0
            .windows(alternative.len())
            .find(|run| {
                run.iter()
                    .zip(alternative)
                    .all(|(word, cue)| word.starts_with(cue.as_str()))
            })
            .map(|run| run.join(" "))
    }
}

/// What the matcher found for one key point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CueMatch {
    pub coverage: Coverage,
    /// The answer's words that matched, one entry per matched cue.
    pub matched: Vec<String>,
    pub total: usize,
}

fn split_alternative(alternative: &str) -> Vec<String> {
    Words::new(alternative).0
}

/// Matches one key point's cues against an answer.
pub fn match_point(words: &Words, point: &KeyPoint) -> CueMatch {
    let mut matched = Vec::new();
    for cue in &point.cues {
        let hit = cue
            .split('|')
            .find_map(|alt| words.find(&split_alternative(alt)));
        if let Some(hit) = hit {
            matched.push(hit);
        }
    }
    let total = point.cues.len();
    let coverage = if total == 0 || matched.is_empty() {
        Coverage::Missing
    } else if matched.len() == total {
        Coverage::Covered
    } else {
        Coverage::Partial
    };
    CueMatch {
        coverage,
        matched,
        total,
    }
}

/// Matches every key point of a question.
pub fn match_all(answer: &str, points: &[KeyPoint]) -> Vec<CueMatch> {
    let words = Words::new(answer);
    points.iter().map(|p| match_point(&words, p)).collect()
}

/// A short human description: "looks covered: mentions 'precomputed', 'index'".
pub fn describe(m: &CueMatch) -> String {
    let quoted: Vec<String> = m.matched.iter().map(|w| format!("'{w}'")).collect();
    match m.coverage {
        Coverage::Covered => format!("looks covered: mentions {}", quoted.join(", ")),
        Coverage::Partial => format!(
            "looks partial: mentions {} ({} of {} cues)",
            quoted.join(", "),
            m.matched.len(),
            m.total
        ),
        Coverage::Missing => "looks missing: none of its cues".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(cues: &[&str]) -> KeyPoint {
        KeyPoint {
            id: "p".into(),
            point: "P".into(),
            weight: 1,
            cues: cues.iter().map(|c| (*c).to_string()).collect(),
        }
    }

    #[test]
    fn cues_match_word_prefixes_and_phrases() {
        let words = Words::new("Documents are RETRIEVED and put in the context at query-time.");
        let m = match_point(
            &words,
            &point(&["retriev", "context", "inference time|query time"]),
        );
        assert_eq!(m.coverage, Coverage::Covered);
        assert_eq!(m.matched, ["retrieved", "context", "query time"]);
        assert_eq!(
            describe(&m),
            "looks covered: mentions 'retrieved', 'context', 'query time'"
        );
    }

    #[test]
    fn a_prefix_must_start_the_word() {
        let words = Words::new("we use prefetching");
        assert_eq!(
            match_point(&words, &point(&["fetch"])).coverage,
            Coverage::Missing
        );
    }

    #[test]
    fn some_cues_give_partial_and_none_give_missing() {
        let words = Words::new("the index is precomputed");
        assert_eq!(
            match_point(&words, &point(&["precomput", "rerank"])).coverage,
            Coverage::Partial
        );
        assert_eq!(
            match_point(&words, &point(&["rerank"])).coverage,
            Coverage::Missing
        );
        assert_eq!(match_point(&words, &point(&[])).coverage, Coverage::Missing);
    }

    #[test]
    fn phrase_words_must_be_consecutive() {
        let words = Words::new("inference is slow at query time");
        assert_eq!(
            match_point(&words, &point(&["inference time"])).coverage,
            Coverage::Missing
        );
        assert_eq!(
            match_point(&words, &point(&["query time"])).coverage,
            Coverage::Covered
        );
    }
}
