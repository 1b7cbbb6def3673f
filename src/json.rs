//! JSON at the edges: finding the JSON object in a reply that wraps it in
//! prose, within a linear budget; and JSON text that is safe to print.
//! A leaf but for `text::is_bidi_control`.

/// The first balanced JSON object in `text`: servers without JSON modes wrap
/// the verdict in prose or code fences.
pub fn first_object(text: &str) -> Option<&str> {
    objects(text).next()
}

/// Bytes scanned (brace matching and parsing together) per byte of text, at
/// most, plus a fixed allowance: the search for objects stays linear whatever
/// the text holds. A reply of 200,000 `{` would otherwise be scanned to its
/// end once per brace.
const SCAN_BUDGET_PER_BYTE: usize = 16;
const SCAN_BUDGET_EXTRA: usize = 64 << 10;

/// Every balanced JSON object in `text`, outermost only, in order. A
/// candidate that is not valid JSON is skipped and the search goes on inside
/// it, within a total scanning budget proportional to the text's length.
pub fn objects(text: &str) -> Objects<'_> {
    Objects {
        text,
        start: 0,
        budget: SCAN_BUDGET_PER_BYTE * text.len() + SCAN_BUDGET_EXTRA,
        scanned: 0,
    }
}

pub struct Objects<'a> {
    text: &'a str,
    start: usize,
    budget: usize,
    /// Bytes looked at so far, parsing included.
    scanned: usize,
}

impl Objects<'_> {
    /// Spends `n` of the budget; false once it is gone.
    fn spend(&mut self, n: usize) -> bool {
        self.scanned += n;
        self.scanned <= self.budget
    }
}

impl<'a> Iterator for Objects<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.text;
        let bytes = text.as_bytes();
        while let Some(offset) = text.get(self.start..)?.find('{') {
            let open = self.start + offset;
            self.start = open + 1;
            let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
            for (i, &b) in bytes.iter().enumerate().skip(open) {
                if !self.spend(1) {
                    return None;
                }
                if in_string {
                    match b {
                        _ if escaped => escaped = false,
                        b'\\' => escaped = true,
                        b'"' => in_string = false,
                        _ => {}
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            let candidate = &text[open..=i];
                            if !self.spend(candidate.len()) {
                                return None;
                            }
                            if parse_lenient(candidate).is_some() {
                                self.start = i + 1;
                                return Some(candidate);
                            }
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
        None
    }
}

/// Parses JSON, forgiving one mistake small models make under a grammar: a
/// raw newline, tab or other control character inside a string, which JSON
/// requires escaped. Nothing else is repaired.
pub fn parse_lenient(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_json::from_str(&escape_controls_in_strings(text)?).ok())
}

/// `text` with control characters inside JSON strings escaped; `None` when
/// there were none.
fn escape_controls_in_strings(text: &str) -> Option<String> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    for c in text.chars() {
        if in_string && !escaped && c.is_control() {
            changed = true;
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
            }
            continue;
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            _ => {}
        }
        out.push(c);
    }
    changed.then_some(out)
}

/// JSON text that is safe on a terminal. serde_json escapes only the C0
/// controls; DEL and the C1 controls (U+0080..U+009F, where U+009B is a CSI
/// that starts an escape sequence) and the bidi formatting characters
/// (`text::is_bidi_control`) are escaped here too, so the value read back
/// is exact and nothing printed reorders the terminal. They can only occur
/// inside strings, so the result is still valid JSON.
pub fn to_text(value: &impl serde::Serialize, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    let escaped = |c: char| ('\u{7f}'..='\u{9f}').contains(&c) || crate::text::is_bidi_control(c);
    if !text.chars().any(escaped) {
        return text;
    }
    text.chars()
        .map(|c| {
            if escaped(c) {
                format!("\\u{:04x}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_newline_inside_a_string_is_forgiven_and_nothing_else() {
        let text = "{\"feedback\": \"line one\nline two\", \"n\": 1}";
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
        let v = parse_lenient(text).unwrap();
        assert_eq!(v["feedback"], "line one\nline two");
        assert_eq!(first_object(&format!("Sure: {text} ok")), Some(text));
        // Outside strings, white space was always fine; broken JSON stays broken.
        assert!(parse_lenient("{\n\"a\": 1\n}").is_some());
        assert!(parse_lenient("{\"a\": \"x\\\"\n}").is_none());
        assert!(parse_lenient("{\"a\": }").is_none());
    }

    #[test]
    fn a_flood_of_open_braces_is_searched_in_linear_time() {
        // Counting work rather than timing it: a quadratic search would look
        // at 2·10^10 bytes here.
        for n in [50_000, 200_000] {
            let flood = "{".repeat(n);
            let mut search = objects(&flood);
            assert!(search.next().is_none());
            assert!(
                search.scanned <= 17 * n + (64 << 10),
                "{n}: {}",
                search.scanned
            );
        }
        // A stray brace before the verdict costs one extra pass, not a failure.
        let text = r#"Sure { here: {"a": 1}"#;
        assert_eq!(first_object(text), Some(r#"{"a": 1}"#));
    }

    #[test]
    fn json_text_escapes_bidi_controls_and_reads_back_exact() {
        let value = serde_json::json!({"a": "txt\u{202e}exe.\u{2066}x\u{2069}"});
        let text = to_text(&value, false);
        assert_eq!(text, r#"{"a":"txt\u202eexe.\u2066x\u2069"}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    #[test]
    fn json_text_escapes_c1_controls_and_stays_valid() {
        let value = serde_json::json!({"a": "x\u{9b}2J\u{7f}y\u{1b}"});
        let text = to_text(&value, false);
        assert_eq!(text, r#"{"a":"x\u009b2J\u007fy\u001b"}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }
}
