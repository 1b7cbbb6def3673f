//! The one masker for secrets: the API key and a base URL's password kept
//! out of everything grill prints or stores (`Secret`), and tokens shaped
//! like a key grill does not know (`mask_key_shaped`).

use std::collections::HashSet;

/// What stands in for a secret in anything printed or stored.
pub const REDACTED: &str = "[redacted]";

/// The shortest run of a key's characters that counts as part of the key
/// when found on its own: shorter runs occur in ordinary words.
const KEY_RUN: usize = 8;

/// The secrets to keep out of everything grill prints or stores: the API key
/// and a password in the base URL.
///
/// `mask` replaces each secret whole and any run of 8 or more of its
/// characters (what survives when a server's message is cut in the middle of
/// a key). Linear in the text: each 8-byte window is looked up in a set of
/// the secrets' windows.
///
/// A value shorter than 8 characters is a placeholder (`x`, `ollama`), not a
/// secret: no provider issues such keys, and masking it inside words would
/// rewrite ordinary text. `mask` leaves it alone; `mask_error` hides it as a
/// whole token only, in the server's error texts.
#[derive(Clone, Default)]
pub struct Secret {
    whole: Vec<String>,
    windows: HashSet<[u8; KEY_RUN]>,
    short: Vec<String>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} hidden)", self.whole.len())
    }
}

impl Secret {
    pub fn new(key: &str) -> Secret {
        Secret::default().with(key)
    }

    /// The same, keeping `other` out too; an empty string adds nothing.
    #[must_use]
    pub fn with(mut self, other: &str) -> Secret {
        if other.is_empty() || self.whole.iter().chain(&self.short).any(|w| w == other) {
            return self;
        }
        if other.chars().count() < KEY_RUN {
            self.short.push(other.to_string());
            return self;
        }
        self.windows.extend(
            other
                .as_bytes()
                .windows(KEY_RUN)
                .filter_map(|w| <[u8; KEY_RUN]>::try_from(w).ok()),
        );
        self.whole.push(other.to_string());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.short.is_empty()
    }

    /// `mask`, and each placeholder where it stands as a whole token (not
    /// inside a word): for what a server says about a request, which may
    /// echo the key it was sent.
    pub fn mask_error(&self, text: &str) -> String {
        let text = self.mask(text);
        if self.short.is_empty() {
            return text;
        }
        let is_token = |c: char| c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find(is_token) {
            out.push_str(&rest[..start]);
            let tail = &rest[start..];
            let end = tail.find(|c: char| !is_token(c)).unwrap_or(tail.len());
            let token = &tail[..end];
            let bare = token.trim_end_matches('.');
            if self.short.iter().any(|s| s == bare) {
                out.push_str(REDACTED);
                out.push_str(&token[bare.len()..]);
            } else {
                out.push_str(token);
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }

    /// `text` with each secret, and every run of 8+ of its characters, masked.
    pub fn mask(&self, text: &str) -> String {
        if self.whole.is_empty() || text.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut marked = vec![false; bytes.len()];
        let mut any = false;
        for whole in &self.whole {
            for (at, _) in text.match_indices(whole.as_str()) {
                marked[at..at + whole.len()].fill(true);
                any = true;
            }
        }
        if !self.windows.is_empty() {
            for (at, window) in bytes.windows(KEY_RUN).enumerate() {
                let Ok(window) = <[u8; KEY_RUN]>::try_from(window) else {
                    continue;
                };
                if self.windows.contains(&window) {
                    marked[at..at + KEY_RUN].fill(true);
                    any = true;
                }
            }
        }
        if !any {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut in_mask = false;
        for (at, c) in text.char_indices() {
            // A masked run may start or end inside a multi-byte character only
            // if the key has non-ASCII bytes; widen it to whole characters.
            let hidden = marked[at..at + c.len_utf8()].iter().any(|&m| m);
            if hidden {
                if !in_mask {
                    out.push_str(REDACTED);
                }
            } else {
                out.push(c);
            }
            in_mask = hidden;
        }
        out
    }
}

/// `text` with anything shaped like an API key masked: tokens starting `sk-`,
/// and long tokens of letters and digits (Azure-style hex keys). For text
/// that may hold a key grill does not know: a config file's, a server's.
pub fn mask_key_shaped(text: &str) -> String {
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_token) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(|c: char| !is_token(c)).unwrap_or(tail.len());
        let token = &tail[..end];
        let looks_secret = (token.starts_with("sk-") && token.len() >= 12)
            || (token.len() >= 32
                && token.bytes().any(|b| b.is_ascii_digit())
                && token.bytes().any(|b| b.is_ascii_alphabetic()));
        out.push_str(if looks_secret { REDACTED } else { token });
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_key_is_masked() {
        let s = Secret::new("test");
        assert_eq!(s.mask("key test echoed"), "key test echoed");
        assert_eq!(s.mask_error("key test echoed"), "key [redacted] echoed");
        let s = Secret::new("sk-test-SECRET123");
        assert_eq!(
            s.mask("your key is sk-test-SECRET123."),
            "your key is [redacted]."
        );
        assert_eq!(Secret::new("").mask("anything"), "anything");
        let both = Secret::new("sk-long-key-123").with("pw");
        assert_eq!(
            both.mask_error("pw and sk-long-key-123"),
            "[redacted] and [redacted]"
        );
    }

    #[test]
    fn a_short_placeholder_is_masked_only_as_a_whole_token_in_errors() {
        let s = Secret::new("k");
        assert_eq!(s.mask("kv cache key"), "kv cache key");
        assert_eq!(s.mask_error("bad key k."), "bad key [redacted].");
        assert_eq!(s.mask_error("kv cache key"), "kv cache key");
        let s = Secret::new("ollama");
        assert_eq!(s.mask("run ollama locally"), "run ollama locally");
        assert_eq!(
            s.mask_error("key ollama: ollamas"),
            "key [redacted]: ollamas"
        );
        assert!(!s.is_empty());
    }

    #[test]
    fn a_run_of_eight_characters_of_the_key_is_masked() {
        let key = "sk-test-0123456789abcdefghijklmnopqrstuv";
        let s = Secret::new(key);
        // A message cut after 11 characters of the key, and one starting mid-key.
        assert_eq!(s.mask("echo: sk-test-012"), "echo: [redacted]");
        assert_eq!(s.mask("…6789abcdef said"), "…[redacted] said");
        // Seven characters are not enough to tell a key from a word.
        assert_eq!(s.mask("sk-test"), "sk-test");
        assert_eq!(s.mask("é sk-test-0123 é"), "é [redacted] é");
    }

    #[test]
    fn key_shaped_tokens_are_masked_and_words_kept() {
        assert_eq!(
            mask_key_shaped("bad key sk-proj-abc123DEF456, field `modle`"),
            "bad key [redacted], field `modle`"
        );
        assert_eq!(
            mask_key_shaped("key=0123456789abcdef0123456789abcdef!"),
            "key=[redacted]!"
        );
        let plain = "an unknown-field name, timeout_secs, gpt-4o-mini, é";
        assert_eq!(mask_key_shaped(plain), plain);
    }
}
