//! Slugs and ids for imported questions: short, readable, unique, ASCII.

use std::collections::HashSet;

/// The longest slug made here (a topic's, a question's or a key point's
/// id), in characters: a file name, and an id that reads at a glance.
pub const MAX_SLUG: usize = 48;

/// Lowercase ASCII words joined by `-`, at most `MAX_SLUG` characters (cut
/// after a whole word where there is one); empty when nothing alphanumeric
/// is left. Other scripts are transliterated first, so their letters are
/// kept, not dropped: `Évaluation` is `evaluation`, a Cyrillic `аpple`
/// `apple`, `检索` `jian-suo`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in deunicode::deunicode(text)
        .chars()
        .flat_map(char::to_lowercase)
    {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() > MAX_SLUG {
            break;
        }
    }
    if out.len() > MAX_SLUG {
        // Back to the last whole word, if that keeps something.
        let cut = match out[..=MAX_SLUG].rfind('-') {
            Some(at) if at > 0 => at,
            _ => MAX_SLUG,
        };
        out.truncate(cut);
    }
    out.trim_end_matches('-').to_string()
}

/// Words too common to name a question or key point by.
const STOPWORDS: &str = "\
    a about above after again all also am an and any are as at be because been before being \
    between both but by can could describe did difference do does doing each either else even \
    every explain few for from get gets give gives had has have having here how however i if in \
    instead into is it its just less like make makes many may me might more most much must my \
    no not of off often on one only or other our out over own per rather same should so some \
    such than that the their them then there these they this those through to too under until \
    up us use used uses using very versus via vs was way we well were what whats when where \
    whether which while who why will with within without would yes yet you your yours";

/// Whether `w` (lowercase) is a stop-word; a set built once, since scoring
/// and `bank check` ask for every word.
pub fn is_stopword(w: &str) -> bool {
    static SET: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.split_whitespace().collect())
        .contains(w)
}

/// Words as written, hyphenated words kept whole: `fine-tuning`, `LoRA`, `top-50`.
pub fn raw_words(text: &str) -> impl Iterator<Item = &str> {
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
pub fn unique<S: std::hash::BuildHasher>(base: &str, taken: &mut HashSet<String, S>) -> String {
    let mut id = base.to_string();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(slugify("Évaluation"), "evaluation");
        assert_eq!(slugify("\u{430}pple"), "apple");
        assert_eq!(slugify("Straße & Ærø"), "strasse-aero");
        assert_eq!(
            question_id("Qu'est-ce qu'une métrique de pertinence?"),
            "qu-est-ce-qu-une-metrique"
        );
        let long = slugify(&"Retrieval ".repeat(300));
        assert_eq!(long, "retrieval-retrieval-retrieval-retrieval");
        assert_eq!(slugify(&"x".repeat(3000)).len(), MAX_SLUG);
        let mut taken = HashSet::from(["hyde-help".to_string()]);
        assert_eq!(unique("hyde-help", &mut taken), "hyde-help-2");
    }
}
