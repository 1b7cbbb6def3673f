//! The offline guess: does an answer mention a key point's cues?
//!
//! Each cue is a set of alternatives separated by `|`; an alternative is one or
//! more words, and it matches where the answer has that many consecutive words,
//! each starting with the cue's word (case-insensitive). A cue word of three
//! characters or fewer (`i`, `kv`, `ann`, `mcp`) must equal the answer's word:
//! as a prefix it would fire on unrelated words ("i" on "it", "ann" on
//! "annotate", "rag" on "ragged"). A key point whose cues
//! all match looks covered, one with some matching looks partial; a point with
//! three or more cues also looks covered when only one of them is missing.
//! This is a keyword estimate, labelled as such wherever it is shown.
//!
//! Measured against hand-labelled answers in `tests/fixtures/cues.json`
//! (`tests/integration/cues_eval.rs`): "looks covered" is almost always right
//! (precision about 0.98) but finds only about 60% of the truly covered points,
//! because a candidate who paraphrases misses the cue words.

use crate::bank::KeyPoint;
use crate::verdict::Coverage;

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
                    .all(|(word, cue)| word_matches(word, cue))
            })
            .map(|run| run.join(" "))
    }
}

/// Cue words up to this many characters match whole words only.
const SHORT_CUE: usize = 3;

/// One word of the answer against one word of a cue: a short cue word must be
/// the whole word, a longer one a prefix of it.
fn word_matches(word: &str, cue: &str) -> bool {
    if cue.chars().count() <= SHORT_CUE {
        word == cue
    } else {
        word.starts_with(cue)
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

/// The guess from how many of a point's cues matched. Every cue matching is
/// covered; with three or more cues, one may be missing, since the third cue is
/// usually a detail a correct answer can word differently (measured on the
/// labelled set: it adds covered points at almost no loss of precision). With
/// one or two cues a single missing cue means partial.
fn coverage(matched: usize, total: usize) -> Coverage {
    if total == 0 || matched == 0 {
        Coverage::Missing
    } else if matched == total || (total >= 3 && matched + 1 >= total) {
        Coverage::Covered
    } else {
        Coverage::Partial
    }
}

/// Whether one cue (alternatives split by `|`) matches the words.
pub fn cue_matches(words: &Words, cue: &str) -> bool {
    cue.split('|')
        .any(|alt| words.find(&split_alternative(alt)).is_some())
}

/// The words of one cue alternative, as the matcher reads them.
pub fn alternative_words(alternative: &str) -> Vec<String> {
    split_alternative(alternative)
}

/// Many texts indexed by their words, so that a cue is matched against all
/// of them in time that grows with the places its words occur, not with
/// the texts: `grill bank check` asks, for every cue of the bank, how many
/// model answers it matches, and without the index a bank of 6,000
/// questions took 43 s where loading it takes a tenth of one. Same rules as
/// `cue_matches` on each text.
pub struct Index {
    /// Each distinct word, sorted, so the words a cue word starts are one range.
    vocab: Vec<String>,
    /// For each word (its place in `vocab`), where it occurs: (text, position).
    places: Vec<Vec<(u32, u32)>>,
    /// Each text as its words' places in `vocab`, for the rest of a phrase.
    texts: Vec<Vec<u32>>,
}

type Span = std::ops::Range<usize>;

impl Index {
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Index {
        let mut ids: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut raw: Vec<Vec<u32>> = Vec::new();
        for text in texts {
            let words = Words::new(text).0;
            raw.push(
                words
                    .into_iter()
                    .map(|w| {
                        let next = ids.len() as u32;
                        *ids.entry(w).or_insert(next)
                    })
                    .collect(),
            );
        }
        let mut vocab: Vec<(String, u32)> = ids.into_iter().collect();
        vocab.sort_unstable();
        let mut place = vec![0u32; vocab.len()];
        for (at, (_, id)) in vocab.iter().enumerate() {
            place[*id as usize] = at as u32;
        }
        let texts: Vec<Vec<u32>> = raw
            .into_iter()
            .map(|t| t.into_iter().map(|id| place[id as usize]).collect())
            .collect();
        let mut places = vec![Vec::new(); vocab.len()];
        for (i, text) in texts.iter().enumerate() {
            for (pos, &w) in text.iter().enumerate() {
                places[w as usize].push((i as u32, pos as u32));
            }
        }
        Index {
            vocab: vocab.into_iter().map(|(w, _)| w).collect(),
            places,
            texts,
        }
    }

    /// The places in `vocab` of the words one cue word matches: itself when
    /// short, else every word it starts.
    fn matching(&self, cue: &str) -> Span {
        let start = self.vocab.partition_point(|w| w.as_str() < cue);
        let len = if cue.chars().count() <= SHORT_CUE {
            usize::from(self.vocab.get(start).is_some_and(|w| w == cue))
        } else {
            self.vocab[start..].partition_point(|w| w.starts_with(cue))
        };
        start..start + len
    }

    /// How many places the words of `span` occur at.
    fn occurrences(&self, span: &Span) -> usize {
        self.places[span.clone()].iter().map(Vec::len).sum()
    }

    /// How many of the texts one cue (alternatives split by `|`) matches.
    pub fn count(&self, cue: &str) -> usize {
        let mut hits: std::collections::HashSet<u32> = std::collections::HashSet::new();
        for alt in cue.split('|') {
            let spans: Vec<Span> = split_alternative(alt)
                .iter()
                .map(|w| self.matching(w))
                .collect();
            if spans.is_empty() || spans.iter().any(Span::is_empty) {
                continue;
            }
            // Where its rarest word occurs, the rest of the phrase around it.
            let (at, rarest) = spans
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| self.occurrences(s))
                .expect("one word or more");
            for &(text, pos) in self.places[rarest.clone()].iter().flatten() {
                if spans.len() == 1 || hits.contains(&text) {
                    hits.insert(text);
                    continue;
                }
                let words = &self.texts[text as usize];
                let Some(start) = (pos as usize).checked_sub(at) else {
                    continue;
                };
                let fits = words.get(start..start + spans.len()).is_some_and(|run| {
                    run.iter()
                        .zip(&spans)
                        .all(|(w, s)| s.contains(&(*w as usize)))
                });
                if fits {
                    hits.insert(text);
                }
            }
        }
        hits.len()
    }
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
    let coverage = coverage(matched.len(), total);
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
    fn short_cue_words_match_whole_words_only() {
        let covered = |answer: &str, cue: &str| {
            match_point(&Words::new(answer), &point(&[cue])).coverage == Coverage::Covered
        };
        // One and two letters: "i was" is not "it was", "kv" is not "kvm".
        assert!(covered("I was on call", "i was"));
        assert!(!covered("it was on call", "i was"));
        assert!(covered("the KV cache", "kv"));
        assert!(!covered("a KVM host", "kv"));
        // Three letters: "ann" is not "annotate", "mcp" is not "mcpserver".
        assert!(covered("an ANN index", "ann"));
        assert!(!covered("we annotate the data", "ann"));
        assert!(covered("an MCP server", "mcp"));
        assert!(!covered("the mcpserver binary", "mcp"));
        // Whole words inside a phrase too, and digits count as characters.
        assert!(covered("at top-5 recall", "top 5"));
        assert!(!covered("at top-50 recall", "top 5"));
        // Four characters or more keep matching as prefixes.
        assert!(covered("it was retrieved", "retr"));
        assert!(covered("two LLMs", "llms"));
        assert!(!covered("two LLMs", "llm"));
    }

    #[test]
    fn the_short_rule_counts_characters_not_bytes() {
        // "été" is three characters but five bytes: still a whole-word cue.
        assert!(word_matches("été", "été"));
        assert!(!word_matches("étés", "été"));
        assert!(word_matches("über", "über"));
        assert!(word_matches("überall", "über"));
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
    fn three_or_more_cues_allow_one_missing() {
        let words = Words::new("the logits are divided by T before the softmax");
        // Three cues, two match: covered.
        let m = match_point(&words, &point(&["logit", "softmax", "temperature"]));
        assert_eq!(m.coverage, Coverage::Covered);
        assert_eq!(m.matched, ["logits", "softmax"]);
        assert_eq!(m.total, 3);
        // Three cues, one matches: partial.
        assert_eq!(
            match_point(&words, &point(&["logit", "greedy", "temperature"])).coverage,
            Coverage::Partial
        );
        // Four cues, three match: covered; two match: partial.
        assert_eq!(
            match_point(&words, &point(&["logit", "softmax", "divid", "greedy"])).coverage,
            Coverage::Covered
        );
        assert_eq!(
            match_point(&words, &point(&["logit", "softmax", "greedy", "argmax"])).coverage,
            Coverage::Partial
        );
        // Two cues, one matches: still partial.
        assert_eq!(
            match_point(&words, &point(&["logit", "greedy"])).coverage,
            Coverage::Partial
        );
        // A one-cue point is covered or missing.
        assert_eq!(
            match_point(&words, &point(&["softmax"])).coverage,
            Coverage::Covered
        );
        assert_eq!(
            match_point(&words, &point(&["greedy"])).coverage,
            Coverage::Missing
        );
    }

    #[test]
    fn describe_counts_the_cues_of_a_partial_match() {
        let words = Words::new("we cache by hash of the request");
        let m = match_point(&words, &point(&["hash", "ttl|expir"]));
        assert_eq!(describe(&m), "looks partial: mentions 'hash' (1 of 2 cues)");
        let m = match_point(&words, &point(&["ttl"]));
        assert_eq!(describe(&m), "looks missing: none of its cues");
    }

    #[test]
    fn apostrophes_and_punctuation_split_words_the_same_in_cue_and_answer() {
        let words = Words::new("It doesn't contain the answer; use a ReAct-style loop.");
        let m = match_point(&words, &point(&["doesn't contain", "react style"]));
        assert_eq!(m.coverage, Coverage::Covered);
        assert_eq!(m.matched, ["doesn t contain", "react style"]);
    }

    #[test]
    fn a_cue_longer_than_the_answer_or_empty_matches_nothing() {
        let words = Words::new("short");
        assert_eq!(words.find(&split_alternative("short answer")), None);
        assert_eq!(words.find(&[]), None);
        assert_eq!(Words::new("").find(&split_alternative("x")), None);
    }

    #[test]
    fn match_all_keeps_the_order_of_the_key_points() {
        let points = [
            point(&["alpha"]),
            point(&["beta", "gamma"]),
            point(&["delta"]),
        ];
        let got: Vec<Coverage> = match_all("Gamma and alpha", &points)
            .into_iter()
            .map(|m| m.coverage)
            .collect();
        assert_eq!(
            got,
            [Coverage::Covered, Coverage::Partial, Coverage::Missing]
        );
    }

    #[test]
    fn the_index_counts_what_matching_each_text_counts() {
        let texts = [
            "Retrieval augmented generation grounds the answer.",
            "We retrieve passages; the index is rebuilt nightly.",
            "An ANN index trades recall for speed, as HNSW does.",
            "Annotate the data first. Then retrieve it.",
            "Grounding: the answer cites retrieved text. Über-fast.",
            "",
        ];
        let index = Index::new(texts);
        for cue in [
            "retriev",
            "ann",
            "index",
            "the answer",
            "answer the",
            "retrieve passages|ann index",
            "über",
            "rebuilt nightly|grounds",
            "x",
            "",
            "zzzz",
            "the",
            "recall for speed",
        ] {
            let naive = texts
                .iter()
                .filter(|t| cue_matches(&Words::new(t), cue))
                .count();
            assert_eq!(index.count(cue), naive, "{cue:?}");
        }
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
