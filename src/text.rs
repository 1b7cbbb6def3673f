//! Text that crosses a boundary: the one sanitiser for anything from outside
//! (judge replies, answers, banks) before it is printed or stored, the one
//! masker for secrets (`mask`), and small helpers that several layers share
//! (line and column of an offset, durations, cutting to a length).
//!
//! A leaf: it depends on nothing else in the crate.

mod mask;

pub use mask::{mask_key_shaped, Secret, REDACTED};

/// The Unicode bidirectional formatting characters: embeddings and
/// overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the marks
/// (U+200E, U+200F, U+061C). Not `char::is_control`, yet they reorder what
/// a terminal or a spreadsheet shows (an override makes `exe.txt` read as
/// `txt.exe`), so grill treats them as control characters.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

/// Whether `sanitize` replaces `c`: control characters but newline and
/// tab, and the bidi formatting characters.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

/// Text with control characters (escape sequences, C1 controls, carriage
/// returns) and bidi formatting characters replaced by U+FFFD, so what is
/// stored and shown, as text or JSON, can never drive a terminal or reorder
/// what it shows. Newlines and tabs stay.
pub fn sanitize(text: &str) -> String {
    if !text.chars().any(unsafe_char) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if unsafe_char(c) { '\u{fffd}' } else { c })
        .collect()
}

/// Wraps `text` at `width` columns with every line indented by `indent`,
/// keeping paragraph breaks and hanging list items under their text.
/// Control characters are sanitised on the way.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    for line in sanitize(text).lines() {
        if line.trim().is_empty() {
            out.push('\n');
            continue;
        }
        let trimmed = line.trim_start();
        let extra = line.len() - trimmed.len();
        // Continuation lines of a list item hang under its text.
        let hang = if trimmed.starts_with("- ") || trimmed.starts_with("* ") {
            2
        } else {
            trimmed
                .find(". ")
                .filter(|&i| i <= 3 && trimmed[..i].bytes().all(|b| b.is_ascii_digit()))
                .map_or(0, |i| i + 2)
        };
        let first = format!("{indent}{}", " ".repeat(extra));
        let rest = format!("{indent}{}", " ".repeat(extra + hang));
        // Never at a hyphen: ids (`access-control`) and flags are copied.
        let opts = textwrap::Options::new(width)
            .initial_indent(&first)
            .subsequent_indent(&rest)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for wrapped in textwrap::wrap(trimmed, &opts) {
            out.push_str(&wrapped);
            out.push('\n');
        }
    }
    out
}

/// A heading at `width` columns: `title` in `style` (bold added), then
/// `tail` dimmed, wrapped between words with continuation lines indented
/// two spaces, and a final newline.
pub fn heading(title: &str, style: anstyle::Style, tail: &str, width: usize) -> String {
    let parts = [(title, style.bold()), (tail, crate::style::DIM)];
    spans(&parts, width, "", "  ")
}

/// Styled pieces of text filled into lines of at most `width` columns,
/// broken only between words, each word keeping its piece's style: the
/// first line starts with `first`, the others with `rest`; a final newline.
/// Sanitised, as `wrap`; a word longer than a line stands alone on one.
pub fn spans(parts: &[(&str, anstyle::Style)], width: usize, first: &str, rest: &str) -> String {
    use std::fmt::Write;
    let words: Vec<(String, anstyle::Style)> = parts
        .iter()
        .flat_map(|&(text, style)| {
            sanitize(text)
                .split_whitespace()
                .map(|w| (w.to_string(), style))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut out = String::from(first);
    let mut used = textwrap::core::display_width(first);
    let mut fresh = true;
    let mut open: Option<anstyle::Style> = None;
    for (word, style) in words {
        let w = textwrap::core::display_width(&word);
        if !fresh && used + 1 + w > width {
            if let Some(s) = open.take() {
                let _ = write!(out, "{s:#}");
            }
            out.push('\n');
            out.push_str(rest);
            used = textwrap::core::display_width(rest);
            fresh = true;
        }
        if open != Some(style) {
            if let Some(s) = open.take() {
                let _ = write!(out, "{s:#}");
            }
        }
        if !fresh {
            out.push(' ');
            used += 1;
        }
        if open.is_none() {
            let _ = write!(out, "{style}");
            open = Some(style);
        }
        out.push_str(&word);
        used += w;
        fresh = false;
    }
    if let Some(s) = open {
        let _ = write!(out, "{s:#}");
    }
    out.push('\n');
    out
}

/// One line of at most `max` characters: sanitised, newlines as spaces, `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    cut(&sanitize(text).replace(['\n', '\t'], " "), max)
}

/// Whether `c` is a Unicode default-ignorable code point (zero-width
/// spaces and joiners, soft hyphen, bidi marks, variation selectors, tags):
/// shown as nothing, so text with one inside a word reads as without it.
/// The ranges of `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt).
pub fn is_default_ignorable(c: char) -> bool {
    matches!(
        u32::from(c),
        0xAD | 0x34F
            | 0x61C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// Lowercase words with punctuation and white space collapsed to single
/// spaces, padded with a space on each side for whole-word matching: how
/// quotes are compared with answers. Both are brought to one form first, so
/// a quote in NFC of an answer typed in NFD, or in fullwidth letters, or
/// with a zero-width space inside a word, still matches: NFKC, lowercase,
/// then default-ignorable characters and the combining marks lowercasing
/// leaves loose (`İ` lowercases to `i` and a dot above) dropped. A letter of
/// another script that only looks alike (Cyrillic `а` for Latin `a`) is a
/// different letter and stays one: confusables are never folded together.
pub fn normalize(text: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.nfkc().flat_map(char::to_lowercase) {
        if is_default_ignorable(c) || (is_combining_mark(c) && !c.is_alphanumeric()) {
            continue;
        }
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// At most `max` characters of `text`, with `…` when something was cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => {
            let mut s = text[..at].to_string();
            s.pop();
            s.push('…');
            s
        }
    }
}

/// At most `max` characters of `text`, cut after a whole word, with `…`
/// when something was cut: for a quote, where `…` stands for omitted words
/// and half a word would match nothing.
pub fn cut_words(text: &str, max: usize) -> String {
    let Some((at, _)) = text.char_indices().nth(max.saturating_sub(1)) else {
        return text.to_string();
    };
    if text[at..].chars().count() <= 1 {
        return text.to_string();
    }
    let head = &text[..at];
    // Back to the last break, unless that loses more than half the text.
    let end = head
        .rfind(char::is_whitespace)
        .filter(|&i| i >= head.len() / 2)
        .unwrap_or(head.len());
    format!("{}…", head[..end].trim_end())
}

/// 1-based line and column (in characters) of byte offsets in one text,
/// answered in O(log lines) each after one pass over the text.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

/// `m:ss`, as a clock shows it.
pub fn clock(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// Seconds as `45s`, `2m 05s` or `1h 02m`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// Time left as said to a person: `2 minutes left`, `1 minute left`, and
/// in seconds under a minute (`29 seconds left`).
pub fn left(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    match secs {
        0..=59 => format!("{} left", plural(secs as usize, "second", "seconds")),
        _ => format!("{} left", plural((secs / 60) as usize, "minute", "minutes")),
    }
}

/// `1 answer`, `2 answers`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Bytes as lowercase hexadecimal (a hash as stored and shown).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_escape_sequences_but_keeps_lines() {
        assert_eq!(
            sanitize("a\x1b[2Jb\nc\td\x07\u{9b}"),
            "a\u{fffd}[2Jb\nc\td\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn sanitize_replaces_bidi_formatting_characters() {
        let all = "\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}\u{61c}";
        assert_eq!(
            sanitize(&format!("a{all}b")),
            format!("a{}b", "\u{fffd}".repeat(12))
        );
        // Neighbours that are not bidi controls stay: zero-width joiners, Arabic letters.
        assert_eq!(
            sanitize("\u{200d}\u{2065}\u{2070}\u{627}"),
            "\u{200d}\u{2065}\u{2070}\u{627}"
        );
    }

    #[test]
    fn normalize_brings_unicode_forms_together_but_never_confusables() {
        let same = |a: &str, b: &str| assert_eq!(normalize(a), normalize(b), "{a:?} {b:?}");
        same("cafe\u{301} latte", "café latte");
        same(
            "re\u{200b}ranking and re\u{ad}trieval",
            "reranking and retrieval",
        );
        same("\u{ff32}\u{ff21}\u{ff27} works", "RAG works");
        same("\u{130}stanbul", "istanbul");
        same("q\u{301}\u{302} and \u{fb01}ne", "q and fine");
        same("left\u{202e}right\u{2066}", "leftright");
        assert_eq!(normalize("\u{1f}Tests, catch!"), " tests catch ");
        // A Cyrillic `а` is another letter, however alike it looks.
        assert_ne!(normalize("r\u{430}g"), normalize("rag"));
        assert_ne!(normalize("\u{440}ag"), normalize("rag"));
        // 5,000 combining marks on one letter: no panic, one letter left.
        assert_eq!(normalize(&format!("a{}", "\u{301}".repeat(5000))), " á ");
    }

    #[test]
    fn cut_words_ends_on_a_whole_word() {
        assert_eq!(cut_words("short", 10), "short");
        assert_eq!(cut_words("exactly10!", 10), "exactly10!");
        assert_eq!(
            cut_words("tests catch regressions early", 20),
            "tests catch…"
        );
        assert_eq!(
            cut_words(&"x".repeat(30), 10),
            format!("{}…", "x".repeat(9))
        );
        assert!(cut_words(&"é ".repeat(500), 200).chars().count() <= 200);
    }

    #[test]
    fn a_heading_wraps_between_words_under_its_title() {
        let plain = |s: String| anstream::adapter::strip_str(&s).to_string();
        let one = super::heading("Follow-up", anstyle::Style::new(), "· about it", 60);
        assert_eq!(plain(one), "Follow-up · about it\n");
        let long = super::heading(
            "Grade yourself",
            anstyle::Style::new(),
            "y covered · p partial · n missing · Enter accepts the guess · :back · :quit",
            40,
        );
        assert_eq!(
            plain(long),
            "Grade yourself y covered · p partial · n\n  missing · Enter accepts the guess ·\n  :back · :quit\n"
        );
    }

    #[test]
    fn spans_break_between_words_and_keep_each_words_style() {
        let green = anstyle::AnsiColor::Green.on_default();
        let plain = anstyle::Style::new();
        let parts = [
            ("→", plain),
            ("recovered:", green),
            ("alpha beta gamma", plain),
        ];
        let out = super::spans(&parts, 18, "  ", "    ");
        assert_eq!(
            anstream::adapter::strip_str(&out).to_string(),
            "  → recovered:\n    alpha beta\n    gamma\n"
        );
        assert!(
            out.contains(&format!("{green}recovered:{green:#}")),
            "{out:?}"
        );
        assert!(!out.contains(&format!("{green}alpha")), "{out:?}");
    }

    #[test]
    fn wrap_never_breaks_a_word_at_its_hyphen() {
        let out = super::wrap("recovered on follow-up: access-control", "", 32);
        assert_eq!(out, "recovered on follow-up:\naccess-control\n");
    }

    #[test]
    fn wrap_indents_and_hangs_list_items() {
        let text = "- one two three four five six\n\nplain";
        assert_eq!(
            wrap(text, "  ", 16),
            "  - one two\n    three four\n    five six\n\n  plain\n"
        );
        assert_eq!(wrap("a\u{1b}[2Jb", "", 40), "a\u{fffd}[2Jb\n");
    }

    #[test]
    fn truncate_is_one_clean_line() {
        assert_eq!(truncate("héllo\nworld", 8), "héllo w…");
        assert_eq!(truncate("short", 10), "short");
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("héllo world", 6), "héllo…");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("exact", 5), "exact");
    }

    #[test]
    fn line_index_counts_characters_and_lines() {
        let text = "ab\nçd\n\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(2), (1, 3));
        assert_eq!(idx.line_col(3), (2, 1));
        assert_eq!(idx.line_col(5), (2, 2), "after the two-byte ç");
        assert_eq!(idx.line_col(7), (3, 1));
        assert_eq!(idx.line_col(99), (4, 2));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(45.0), "45s");
        assert_eq!(duration(125.0), "2m 05s");
        assert_eq!(duration(3720.0), "1h 02m");
        assert_eq!(clock(std::time::Duration::from_secs(754)), "12:34");
        assert_eq!(plural(1, "answer", "answers"), "1 answer");
        let secs = std::time::Duration::from_secs;
        assert_eq!(left(secs(60)), "1 minute left");
        assert_eq!(left(secs(29)), "29 seconds left");
        assert_eq!(left(secs(1)), "1 second left");
        assert_eq!(left(secs(150)), "2 minutes left");
    }
}
