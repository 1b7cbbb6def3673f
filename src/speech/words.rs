//! Words of a transcript, pure: split with the punctuation around each
//! word (transcription models punctuate, and a comma is most of what tells
//! a filler "like" from a verb), the filler words found among them, and
//! the words too common to count as repeated content.
//!
//! The filler rules, in full:
//! - "um" (um, umm, uhm, erm, hmm, hm) and "uh" (uh, uhh, er, err, ah):
//!   always fillers.
//! - "like" is a filler when a comma follows it ("it's, like, fast";
//!   "Like, the model…"), when it follows "and", "so", "but", "or" or
//!   another filler with no comma between ("so like the cache", "um like"),
//!   or when it repeats ("like like"). It is never one right after a word
//!   that takes "like" as a verb or a comparison with no comma between ("I
//!   like", "looks like", "something like", "would like", "things like"),
//!   and nowhere else: a comma before it alone is not enough ("a queue,
//!   like Kafka" compares), and "like" unpunctuated in mid-sentence is taken
//!   for a real word. So an unpunctuated transcript undercounts it, and a
//!   verb or a comparison is never counted.
//! - "you know" is a filler when a pause mark follows it ("you know, the
//!   index"), or when it opens a sentence or clause and what follows is not
//!   its object ("You know what", "you know that it…", "you know how" are
//!   real); never after a word that makes it a question or a clause ("do
//!   you know", "if you know", "as you know", "what you know").
//! - "sort of" is a filler unless a determiner comes before it ("a sort
//!   of", "that sort of", "what sort of" name a kind of thing).

/// What separates a word from its neighbour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// Only a space.
    None,
    /// A comma, dash, colon or semicolon.
    Comma,
    /// A full stop, question or exclamation mark, an ellipsis, or the start or end of the text.
    Stop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Lowercase, without the punctuation around it ("don't", "fine-tuning" kept whole).
    pub word: String,
    pub before: Break,
    pub after: Break,
}

fn mark(c: char) -> Option<Break> {
    match c {
        ',' | ';' | ':' | '—' | '–' => Some(Break::Comma),
        '.' | '?' | '!' | '…' => Some(Break::Stop),
        _ => None,
    }
}

/// The stronger of two breaks.
fn join(a: Break, b: Break) -> Break {
    match (a, b) {
        (Break::Stop, _) | (_, Break::Stop) => Break::Stop,
        (Break::Comma, _) | (_, Break::Comma) => Break::Comma,
        _ => Break::None,
    }
}

/// The words of `text`, each with the breaks on either side.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut pending = Break::Stop;
    for chunk in text.split_whitespace() {
        let is_word = |c: char| c.is_alphanumeric();
        let Some(first) = chunk.find(is_word) else {
            // Punctuation on its own ("—", "..."): a break between words.
            let here = chunk.chars().filter_map(mark).fold(Break::None, join);
            if let Some(last) = out.last_mut() {
                last.after = join(last.after, here);
            }
            pending = join(pending, here);
            continue;
        };
        let last = chunk.rfind(is_word).unwrap_or(first);
        let end = last + chunk[last..].chars().next().map_or(1, char::len_utf8);
        let lead = chunk[..first]
            .chars()
            .filter_map(mark)
            .fold(Break::None, join);
        let trail = chunk[end..]
            .chars()
            .filter_map(mark)
            .fold(Break::None, join);
        let before = join(pending, lead);
        if let Some(prev) = out.last_mut() {
            prev.after = join(prev.after, lead);
        }
        out.push(Token {
            word: chunk[first..end].to_lowercase().replace('’', "'"),
            before,
            after: trail,
        });
        pending = trail;
    }
    if let Some(last) = out.last_mut() {
        last.after = Break::Stop;
    }
    out
}

const UM: &[&str] = &["um", "umm", "ummm", "uhm", "erm", "hmm", "hm", "mm"];
const UH: &[&str] = &["uh", "uhh", "uhhh", "er", "err", "ah"];
/// Words after which "like" is a verb or a comparison.
const TAKES_LIKE: &[&str] = &[
    "i",
    "you",
    "we",
    "they",
    "people",
    "would",
    "don't",
    "didn't",
    "doesn't",
    "to",
    "look",
    "looks",
    "looked",
    "looking",
    "seem",
    "seems",
    "seemed",
    "sound",
    "sounds",
    "sounded",
    "feel",
    "feels",
    "felt",
    "something",
    "anything",
    "nothing",
    "more",
    "much",
    "things",
    "stuff",
    "exactly",
    "just",
    "is",
    "are",
    "was",
    "were",
    "it's",
    "that's",
    "be",
    "not",
];
const OPENERS: &[&str] = &["and", "so", "but", "or"];
/// Words after which "you know" is a real question or clause.
const KNOWS_REALLY: &[&str] = &[
    "do", "did", "does", "don't", "didn't", "if", "as", "what", "how", "when", "whether", "would",
    "could", "should", "will", "can", "might", "may", "to", "that", "than", "because", "unless",
    "all", "who", "where",
];
/// Words after which "you know" has its object.
const KNOWN_OBJECTS: &[&str] = &[
    "what", "that", "how", "why", "where", "when", "which", "who", "whether", "if", "it", "this",
    "him", "her", "them", "me", "us", "about",
];
const DETERMINERS: &[&str] = &[
    "a", "an", "the", "this", "that", "these", "those", "what", "which", "some", "any", "every",
    "each", "no", "one", "same", "another", "whatever", "all", "kind", "my", "your", "our",
    "their", "its",
];

/// The fillers among `tokens`: the name of each one found ("um", "uh",
/// "like", "you know", "sort of") and the index of its first word, in
/// order. The second word of a two-word filler is at index + 1.
pub fn fillers(tokens: &[Token]) -> Vec<(&'static str, usize)> {
    let mut found = Vec::new();
    let word = |i: usize| tokens.get(i).map_or("", |t| t.word.as_str());
    // Where the last filler found ends: a "like" right there follows it.
    let mut filler_end = None;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let prev = if i > 0 && t.before == Break::None {
            word(i - 1)
        } else {
            ""
        };
        let pair = |second: &str| word(i + 1) == second && tokens[i].after == Break::None;
        let kind = if UM.contains(&t.word.as_str()) {
            Some("um")
        } else if UH.contains(&t.word.as_str()) {
            Some("uh")
        } else if t.word == "like" {
            let after_filler = filler_end == Some(i) || prev == "like";
            let filler = !TAKES_LIKE.contains(&prev)
                && (t.after == Break::Comma
                    || (t.before == Break::None && (OPENERS.contains(&prev) || after_filler)));
            filler.then_some("like")
        } else if t.word == "you" && pair("know") {
            let next = &tokens.get(i + 2);
            let real = i > 0 && t.before == Break::None && KNOWS_REALLY.contains(&word(i - 1));
            let set_off = tokens[i + 1].after != Break::None;
            let opens = t.before != Break::None
                && next.is_some_and(|n| !KNOWN_OBJECTS.contains(&n.word.as_str()));
            (!real && (set_off || opens)).then_some("you know")
        } else if t.word == "sort" && pair("of") {
            let determined = i > 0 && t.before == Break::None && DETERMINERS.contains(&word(i - 1));
            (!determined).then_some("sort of")
        } else {
            None
        };
        if let Some(kind) = kind {
            found.push((kind, i));
            if kind.contains(' ') {
                i += 1;
            }
            filler_end = Some(i + 1);
        }
        i += 1;
    }
    found
}

/// Words too common to count as repeated content: function words, forms
/// of "be", "have" and "do", pronouns, contractions and vague fillers of
/// meaning ("thing", "really").
pub const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "actually",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren't",
    "as",
    "at",
    "basically",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "can't",
    "could",
    "did",
    "didn't",
    "do",
    "does",
    "doesn't",
    "doing",
    "don't",
    "down",
    "during",
    "each",
    "either",
    "else",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "get",
    "gets",
    "getting",
    "go",
    "goes",
    "going",
    "gonna",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "i",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "if",
    "in",
    "into",
    "is",
    "isn't",
    "it",
    "it'll",
    "it's",
    "its",
    "just",
    "kind",
    "know",
    "let",
    "let's",
    "like",
    "lot",
    "make",
    "makes",
    "many",
    "may",
    "me",
    "mean",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "okay",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "pretty",
    "quite",
    "rather",
    "really",
    "right",
    "said",
    "same",
    "say",
    "says",
    "see",
    "she",
    "should",
    "so",
    "some",
    "something",
    "sort",
    "still",
    "such",
    "than",
    "that",
    "that's",
    "the",
    "their",
    "them",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they're",
    "thing",
    "things",
    "think",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "want",
    "was",
    "wasn't",
    "way",
    "we",
    "we'll",
    "we're",
    "we've",
    "well",
    "were",
    "what",
    "what's",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "won't",
    "would",
    "yeah",
    "yes",
    "yet",
    "you",
    "you'll",
    "you're",
    "you've",
    "your",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str) -> Vec<&'static str> {
        fillers(&tokens(text)).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn words_carry_the_punctuation_around_them() {
        let t = tokens("So, like — it's fine-tuning... Done");
        let words: Vec<&str> = t.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(words, ["so", "like", "it's", "fine-tuning", "done"]);
        assert_eq!((t[0].before, t[0].after), (Break::Stop, Break::Comma));
        assert_eq!((t[1].before, t[1].after), (Break::Comma, Break::Comma));
        assert_eq!(t[3].after, Break::Stop);
        assert_eq!((t[4].before, t[4].after), (Break::Stop, Break::Stop));
        assert_eq!(
            tokens("Don’t").first().map(|t| t.word.as_str()),
            Some("don't")
        );
        assert!(tokens(" ... ").is_empty());
    }

    #[test]
    fn like_is_a_filler_only_where_the_rules_say() {
        assert_eq!(named("It's, like, really fast."), ["like"]);
        assert_eq!(named("Like, the model caches it."), ["like"]);
        assert_eq!(named("so like the cache fills up"), ["like"]);
        assert_eq!(named("um like the cache"), ["um", "like"]);
        assert_eq!(named("it was like like a queue"), ["like"]);
        assert!(named("I like caching. It looks like a queue, like Kafka.").is_empty());
        assert_eq!(named("you know like the index"), ["you know", "like"]);
        assert!(named("It looks like a queue and something like a log.").is_empty());
        assert!(named("Languages like Rust are fast").is_empty());
        assert!(named("what it feels like.").is_empty());
    }

    #[test]
    fn you_know_and_sort_of_and_the_hesitations() {
        assert_eq!(named("You know, retrieval helps."), ["you know"]);
        assert_eq!(named("it is, you know, slow"), ["you know"]);
        assert_eq!(
            named("the index, you know the vectors get stale"),
            ["you know"]
        );
        assert!(
            named("Do you know the answer? If you know it, say it. You know what I mean")
                .is_empty()
        );
        assert!(named("as you know, it helps").is_empty());
        assert_eq!(named("It's sort of a cache."), ["sort of"]);
        assert!(named("That sort of problem, what sort of index").is_empty());
        assert_eq!(
            named("Um, uh, hmm. Er... I think so."),
            ["um", "uh", "um", "uh"]
        );
        let found = fillers(&tokens("So you know it is sort of um fine"));
        assert_eq!(
            found,
            [("sort of", 5), ("um", 7)],
            "an opener mid-sentence is not enough"
        );
    }
}
