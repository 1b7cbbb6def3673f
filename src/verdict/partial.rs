//! A verdict read while it is still arriving: a tolerant, incremental scan of
//! the judge's partial JSON that tells each key point as soon as its entry in
//! `key_points` is complete (its id and its coverage). It is only a preview,
//! shown while the reply streams in: the grade is made, as always, from the
//! whole reply once it has arrived (`parse_verdict_for`, then `finalize`).
//!
//! Both forms the judge writes are read: the keyed form of the schema
//! (`"key_points": {"regressions": {"evidence": ..., "coverage": ...}}`) and
//! the list form (`"key_points": [{"id": ..., "coverage": ...}]`). Anything
//! before the first `{` (prose, a code fence) is skipped; the scan stops once
//! `key_points` closes. Memory stays bounded whatever arrives: strings are
//! kept only up to `MAX_STRING` characters, and nesting is only counted past
//! the depth an entry lives at.

use super::raw::Coverage;

/// Longest string kept while scanning (ids and coverage words are short).
const MAX_STRING: usize = 200;

/// A key point whose entry is complete in the reply so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenPoint {
    pub id: String,
    pub coverage: Coverage,
}

/// One open object or array, and for an object the key its value is under.
#[derive(Debug)]
struct Frame {
    object: bool,
    key: Option<String>,
    /// In an object, the next string is a key.
    awaiting_key: bool,
}

/// Where the scanner is inside a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Str {
    Outside,
    Inside,
    /// After a backslash.
    Escape,
    /// In `\uXXXX`, with this many hex digits still to come.
    Unicode(u8),
}

/// The entry being read: its id (the key, or its `id` field) and coverage.
#[derive(Debug, Default)]
struct Entry {
    id: Option<String>,
    coverage: Option<Coverage>,
}

/// The incremental scan: feed it the reply piece by piece.
#[derive(Debug)]
pub struct PointScan {
    started: bool,
    done: bool,
    stack: Vec<Frame>,
    /// Frames deeper than an entry's fields, only counted.
    deeper: usize,
    state: Str,
    string: String,
    unicode: u32,
    entry: Option<Entry>,
}

impl Default for PointScan {
    fn default() -> Self {
        PointScan::new()
    }
}

impl PointScan {
    pub fn new() -> PointScan {
        PointScan {
            started: false,
            done: false,
            stack: Vec::new(),
            deeper: 0,
            state: Str::Outside,
            string: String::new(),
            unicode: 0,
            entry: None,
        }
    }

    /// Reads the next piece of the reply; returns the key points whose
    /// entries it completed, in order.
    pub fn feed(&mut self, piece: &str) -> Vec<SeenPoint> {
        let mut seen = Vec::new();
        for c in piece.chars() {
            if self.done {
                break;
            }
            self.step(c, &mut seen);
        }
        seen
    }

    /// Whether `key_points` is inside the frame at `depth` of the stack
    /// (the root object is depth 0).
    fn under_key_points(&self) -> bool {
        self.stack
            .first()
            .is_some_and(|root| root.object && root.key.as_deref() == Some("key_points"))
    }

    fn step(&mut self, c: char, seen: &mut Vec<SeenPoint>) {
        match self.state {
            Str::Inside => match c {
                '"' => {
                    self.state = Str::Outside;
                    self.string_done();
                }
                '\\' => self.state = Str::Escape,
                c => self.push(c),
            },
            Str::Escape => {
                self.state = Str::Inside;
                match c {
                    'u' => {
                        self.unicode = 0;
                        self.state = Str::Unicode(4);
                    }
                    'n' => self.push('\n'),
                    't' => self.push('\t'),
                    'r' => self.push('\r'),
                    'b' | 'f' => {}
                    c => self.push(c),
                }
            }
            Str::Unicode(left) => {
                self.unicode = self.unicode * 16 + c.to_digit(16).unwrap_or(0);
                if left > 1 {
                    self.state = Str::Unicode(left - 1);
                } else {
                    self.state = Str::Inside;
                    // A surrogate half stands for nothing on its own here.
                    if let Some(c) = char::from_u32(self.unicode) {
                        self.push(c);
                    }
                }
            }
            Str::Outside => self.structure(c, seen),
        }
    }

    fn push(&mut self, c: char) {
        if self.deeper == 0 && self.string.chars().count() < MAX_STRING {
            self.string.push(c);
        }
    }

    fn structure(&mut self, c: char, seen: &mut Vec<SeenPoint>) {
        if !self.started {
            if c == '{' {
                self.started = true;
                self.open(true);
            }
            return;
        }
        match c {
            '"' => {
                self.string.clear();
                self.state = Str::Inside;
            }
            '{' | '[' => self.open(c == '{'),
            '}' | ']' => self.close(seen),
            ',' if self.deeper == 0 => {
                if let Some(top) = self.stack.last_mut() {
                    if top.object {
                        top.awaiting_key = true;
                        top.key = None;
                    }
                }
            }
            _ => {}
        }
    }

    fn open(&mut self, object: bool) {
        // An entry's fields are strings; anything nested deeper is counted only.
        if self.deeper > 0 || self.stack.len() >= 3 {
            self.deeper += 1;
            return;
        }
        self.stack.push(Frame {
            object,
            key: None,
            awaiting_key: object,
        });
        if self.stack.len() == 3 && object && self.under_key_points() {
            let container = &self.stack[1];
            let id = if container.object {
                container.key.clone()
            } else {
                None
            };
            self.entry = Some(Entry { id, coverage: None });
        }
    }

    fn close(&mut self, seen: &mut Vec<SeenPoint>) {
        if self.deeper > 0 {
            self.deeper -= 1;
            return;
        }
        let depth = self.stack.len();
        let in_key_points = self.under_key_points();
        self.stack.pop();
        if depth == 3 && in_key_points {
            if let Some(Entry {
                id: Some(id),
                coverage: Some(coverage),
            }) = self.entry.take()
            {
                seen.push(SeenPoint { id, coverage });
            }
        }
        // Past `key_points` (or the whole object) nothing more is shown.
        if (depth == 2 && in_key_points) || depth == 1 {
            self.done = true;
        }
    }

    fn string_done(&mut self) {
        if self.deeper > 0 {
            return;
        }
        let text = std::mem::take(&mut self.string);
        let depth = self.stack.len();
        let in_key_points = self.under_key_points();
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        if top.object && top.awaiting_key {
            top.key = Some(text);
            top.awaiting_key = false;
            return;
        }
        if depth != 3 || !in_key_points {
            return;
        }
        let field = top.key.clone();
        if let Some(entry) = self.entry.as_mut() {
            match field.as_deref() {
                Some("coverage") => entry.coverage = Coverage::parse(text.trim()),
                Some("id") if entry.id.is_none() => entry.id = Some(text),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_at_once(text: &str) -> Vec<(String, &'static str)> {
        PointScan::new()
            .feed(text)
            .into_iter()
            .map(|p| (p.id, p.coverage.as_str()))
            .collect()
    }

    /// Fed one character at a time: what each character completed.
    fn by_char(text: &str) -> Vec<(usize, String)> {
        let mut scan = PointScan::new();
        let mut out = Vec::new();
        for (i, c) in text.char_indices() {
            for p in scan.feed(&c.to_string()) {
                out.push((i, p.id));
            }
        }
        out
    }

    const KEYED: &str = r#"{"key_points":{"regressions":{"evidence":"catch \"regressions\" {early}","coverage":"covered"},"speed":{"evidence":"","coverage":"missing"}},"mistakes":[],"feedback":"f","follow_up":"u"}"#;

    #[test]
    fn the_keyed_form_tells_each_point_when_its_entry_closes() {
        assert_eq!(
            all_at_once(KEYED),
            [
                ("regressions".to_string(), "covered"),
                ("speed".to_string(), "missing")
            ]
        );
        let seen = by_char(KEYED);
        let first_close = KEYED.find(r#""covered"}"#).unwrap() + r#""covered""#.len();
        assert_eq!(seen[0], (first_close, "regressions".to_string()));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn the_list_form_and_prose_around_it_are_read() {
        let text = "Here it is:\n```json\n{\"key_points\": [ {\"id\": \"a\", \"coverage\": \"partial\", \"evidence\": \"x\"},\n {\"coverage\":\"covered\",\"id\":\"b\"} ], \"feedback\": \"\"}\n```";
        assert_eq!(
            all_at_once(text),
            [("a".to_string(), "partial"), ("b".to_string(), "covered")]
        );
    }

    #[test]
    fn an_entry_without_a_known_coverage_or_id_is_not_told() {
        let text = r#"{"key_points":[{"id":"a","coverage":"sort of"},{"coverage":"covered"},{"id":"c","coverage":"covered","extra":{"coverage":"missing","id":"z"}}]}"#;
        assert_eq!(all_at_once(text), [("c".to_string(), "covered")]);
    }

    #[test]
    fn keys_elsewhere_are_not_taken_for_key_points() {
        // `key_points` inside the feedback string, and a nested object
        // called key_points below another key, tell nothing.
        let text = r#"{"feedback":"see \"key_points\":{\"a\":{\"coverage\":\"covered\"}}","other":{"key_points":{"a":{"coverage":"covered"}}}}"#;
        assert!(all_at_once(text).is_empty());
        // Nothing after key_points closes is read.
        let text = r#"{"key_points":{"a":{"coverage":"covered"}},"mistakes":[{"a":{"coverage":"missing"}}]}"#;
        assert_eq!(all_at_once(text), [("a".to_string(), "covered")]);
    }

    #[test]
    fn escapes_and_unicode_are_decoded_in_ids() {
        let text =
            r#"{"key_points":{"caf\u00e9":{"coverage":"covered"},"a\"b":{"coverage":"partial"}}}"#;
        assert_eq!(
            all_at_once(text),
            [
                ("café".to_string(), "covered"),
                ("a\"b".to_string(), "partial")
            ]
        );
    }

    #[test]
    fn garbage_never_panics_and_long_strings_stay_bounded() {
        let mut scan = PointScan::new();
        let long = "x".repeat(100_000);
        scan.feed("{\"key_points\":{\"");
        scan.feed(&long);
        assert!(scan.string.chars().count() <= MAX_STRING);
        for piece in ["\\u12", "zz", "]]]}}}", "{{{[[[", "\"\\", "\""] {
            scan.feed(piece);
        }
        let deep = "[".repeat(10_000);
        assert!(PointScan::new()
            .feed(&format!("{{\"key_points\":{deep}"))
            .is_empty());
    }
}
