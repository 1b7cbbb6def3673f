//! Checks on the answer itself that do not depend on what the judge says.
//!
//! `pasted_key_points` spots an answer that is the key points' own wording
//! with little else: someone who pastes the rubric (from `grill show`, a
//! leaked bank, a previous report) can make a judge quote real words from the
//! answer, so the evidence check alone cannot catch it. The result is a flag
//! in the report, never a change to the score (DESIGN.md's formula stands).

use crate::bank::Question;

/// The flag set when an answer is the key points' wording with little else.
pub const FLAG_PASTED_KEY_POINTS: &str = "pasted_key_points";

/// The flag set when an answer is a list of terms with no sentences around them.
pub const FLAG_KEYWORD_STUFFED: &str = "keyword_stuffed";

/// The flags the answer earns on its own text.
pub fn answer_flags(question: &Question, answer: &str) -> Vec<String> {
    let mut flags = Vec::new();
    if pasted_key_points(question, answer) {
        flags.push(FLAG_PASTED_KEY_POINTS.to_string());
    }
    if keyword_stuffed(answer) {
        flags.push(FLAG_KEYWORD_STUFFED.to_string());
    }
    flags
}

/// True for a list of terms with no sentences around them: most fragments
/// between commas, slashes, semicolons and line breaks are a few words, and
/// hardly any of the words are the small ones sentences are built with. A
/// keyword estimate credits such a list in full; it explains nothing.
pub fn keyword_stuffed(answer: &str) -> bool {
    let words: Vec<String> = crate::text::normalize(answer)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if words.len() < 8 {
        return false;
    }
    let fragments: Vec<usize> = answer
        .split([',', ';', '\n', '/', '•', '·', '|', '(', ')'])
        .map(|f| f.split_whitespace().count())
        .filter(|&n| n > 0)
        .collect();
    let short = fragments.iter().filter(|&&n| n <= 4).count();
    let glue = words
        .iter()
        .filter(|w| crate::bank::slug::is_stopword(w))
        .count();
    fragments.len() >= 6
        && short as f64 >= 0.7 * fragments.len() as f64
        && (glue as f64) < 0.2 * words.len() as f64
}

/// Words in a row that must match a key point's wording to count as copied.
const RUN: usize = 3;
/// Share of the answer's words that must be copied for the answer to be flagged.
const COPIED_SHARE: f64 = 0.75;
/// Fewer words than this say too little to judge either way.
const MIN_WORDS: usize = 3;

/// Lowercase alphanumeric words, the same notion of a word as the evidence check's.
fn words(text: &str) -> Vec<String> {
    crate::text::normalize(text)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// True when most of `answer` is the key points' wording, copied in runs of
/// several words, and the answer adds little of its own: a pasted rubric, not
/// an explanation. Numbers and the key points' ids (as in `- id (weight 2):`
/// list lines) are neutral: they count neither way.
pub fn pasted_key_points(question: &Question, answer: &str) -> bool {
    let points: Vec<Vec<String>> = question
        .key_points
        .iter()
        .map(|k| words(&k.point))
        .collect();
    // Words a pasted list carries besides the points: ids and weights. An id
    // word that the points themselves use is not neutral.
    let mut neutral: Vec<String> = question
        .key_points
        .iter()
        .flat_map(|k| words(&k.id))
        .filter(|w| !points.iter().flatten().any(|p| p == w))
        .collect();
    neutral.push("weight".into());
    let keep = |w: &String| !(w.chars().all(|c| c.is_ascii_digit()) || neutral.contains(w));
    let points: Vec<Vec<String>> = points
        .into_iter()
        .map(|p| p.into_iter().filter(keep).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect();
    if points.is_empty() {
        return false;
    }
    let answer: Vec<String> = words(answer).into_iter().filter(keep).collect();
    if answer.len() < MIN_WORDS {
        return false;
    }
    let mut copied = vec![false; answer.len()];
    for point in &points {
        // A key point shorter than a run must appear whole.
        let run = RUN.min(point.len());
        for grams in point.windows(run) {
            for (i, window) in answer.windows(run).enumerate() {
                if window == grams {
                    copied[i..i + run].iter_mut().for_each(|c| *c = true);
                }
            }
        }
    }
    let share = copied.iter().filter(|&&c| c).count() as f64 / answer.len() as f64;
    share >= COPIED_SHARE
}

/// Whether the judge's follow-up reads as something to put to a person:
/// mostly words, and a sentence or a question, not the `[[2.0]]`, bare
/// symbols or lone `true` a small model leaves in the field (all seen from
/// SmolLM2-135M through llama-cpp-python).
pub fn is_question(text: &str) -> bool {
    let words = text
        .split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    let asks = text.trim_end().ends_with('?');
    (words >= 3 || (words >= 1 && asks)) && 2 * letters >= visible
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};

    fn question() -> Question {
        let kp = |id: &str, point: &str| KeyPoint {
            id: id.into(),
            point: point.into(),
            weight: 1,
            cues: vec![],
        };
        Question {
            id: "rag".into(),
            topic: "rag".into(),
            question: "Explain RAG.".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 3,
            model_answer: "RAG retrieves documents and puts them in the prompt.".into(),
            sources: vec![],
            reviewed: None,
            follow_up: None,
            key_points: vec![
                kp(
                    "grounding",
                    "Retrieved text is put in the context at inference time, so answers are grounded in it",
                ),
                kp(
                    "freshness",
                    "Knowledge can be updated by re-indexing documents, without retraining",
                ),
                kp("cost", "Fine-tuning changes behaviour and style, not knowledge"),
            ],
        }
    }

    #[test]
    fn one_key_point_pasted_verbatim_is_flagged() {
        let q = question();
        assert!(pasted_key_points(&q, &q.key_points[0].point));
        assert!(pasted_key_points(
            &q,
            "Knowledge can be updated by re-indexing documents, without retraining."
        ));
    }

    #[test]
    fn the_whole_list_pasted_is_flagged_ids_and_weights_included() {
        let q = question();
        let list = crate::prompts::key_point_lines(&q);
        assert!(pasted_key_points(&q, &list), "{list}");
        let bullets = q.key_points.iter().fold(String::new(), |mut s, k| {
            s.push_str("* ");
            s.push_str(&k.point);
            s.push('\n');
            s
        });
        assert!(pasted_key_points(&q, &bullets));
        // A few words of glue do not hide it.
        assert!(pasted_key_points(
            &q,
            &format!("Well, basically: {}", q.key_points[0].point)
        ));
    }

    #[test]
    fn an_explanation_in_the_candidates_own_words_is_not_flagged() {
        let q = question();
        let own = "RAG looks up relevant passages in a vector index when the question \
                   comes in and adds them to the prompt, so the model answers from them. \
                   You update what it knows by re-indexing documents, which is much \
                   cheaper than fine-tuning, and fine-tuning mostly teaches style anyway.";
        assert!(!pasted_key_points(&q, own));
        // The key point's wording plus a real explanation of it.
        let explained = format!(
            "{} For example our support bot indexes the help centre nightly, and when a \
             customer asks about refunds the retriever pulls the refund policy page so \
             the model can cite it instead of guessing from what it saw in training.",
            q.key_points[0].point
        );
        assert!(!pasted_key_points(&q, &explained));
    }

    #[test]
    fn too_little_text_and_empty_banks_are_never_flagged() {
        let q = question();
        assert!(!pasted_key_points(&q, ""));
        assert!(!pasted_key_points(&q, "grounding 2"));
        assert!(!pasted_key_points(&q, "retrieved text"));
        let none = Question {
            key_points: vec![],
            ..question()
        };
        assert!(!pasted_key_points(&none, "anything at all here"));
    }

    #[test]
    fn a_list_of_terms_is_stuffing_and_sentences_are_not() {
        assert!(keyword_stuffed(
            "secret manager / vault, never in context, tool layer holds creds, OAuth delegated tokens, least privilege, short-lived, rotation, redaction in logs"
        ));
        assert!(keyword_stuffed(
            "draft model, target model, verify in one forward pass, memory-bandwidth bound, rejection sampling, lossless, Medusa, EAGLE"
        ));
        assert!(!keyword_stuffed(
            "A small draft model proposes a few tokens, and the large model checks them all in one forward pass, so the output is the same but it comes faster when most drafts are accepted."
        ));
        assert!(!keyword_stuffed(
            "It retrieves documents at query time, puts them in the prompt, and the model answers from them, so it can cite them and the index can change without retraining."
        ));
        assert!(
            !keyword_stuffed("RAG, caching, batching."),
            "too short to tell"
        );
    }

    #[test]
    fn the_key_points_words_shuffled_are_not_copied_runs() {
        let q = question();
        assert!(!pasted_key_points(
            &q,
            "time inference context grounded answers retrieved text put"
        ));
    }
}
