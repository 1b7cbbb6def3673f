//! Output helpers. Colour goes through `anstream`, which drops the styles when
//! stdout is not a terminal or `NO_COLOR` is set, so the same code serves a
//! person and a pipe. Text that came from outside (banks, answers, the judge)
//! goes through `clean` so it can never move the cursor or retitle the window.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const GREEN: Style = AnsiColor::Green.on_default();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
pub const RED: Style = AnsiColor::Red.on_default();
pub const CYAN: Style = AnsiColor::Cyan.on_default();

/// Standard output with colour decided once for this process.
pub fn stdout() -> anstream::AutoStream<io::StdoutLock<'static>> {
    anstream::AutoStream::auto(io::stdout().lock())
}

/// Standard error, likewise.
pub fn stderr() -> anstream::AutoStream<io::StderrLock<'static>> {
    anstream::AutoStream::auto(io::stderr().lock())
}

/// Whether stdout gets colour (a terminal, and no `NO_COLOR`).
pub fn color_enabled() -> bool {
    anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
}

/// Width to wrap prose at: the terminal's, capped so lines stay readable.
pub fn width() -> usize {
    textwrap::termwidth().clamp(40, 100)
}

/// Replaces control characters (escape sequences included) with visible
/// placeholders; keeps newlines and tabs. The same rule the judge's verdicts
/// are stored under, applied to everything else from outside.
pub fn clean(text: &str) -> String {
    crate::judge::plain(text)
}

/// Wraps `text` to the terminal width with every line indented by `indent`,
/// keeping paragraph breaks and list items.
pub fn wrap(text: &str, indent: &str) -> String {
    let opts = textwrap::Options::new(width())
        .initial_indent(indent)
        .subsequent_indent(indent);
    let mut out = String::new();
    for line in clean(text).lines() {
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
        let opts = opts.clone().initial_indent(&first).subsequent_indent(&rest);
        for wrapped in textwrap::wrap(trimmed, &opts) {
            out.push_str(&wrapped);
            out.push('\n');
        }
    }
    out
}

/// Shortens `text` to `max` characters with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    let text = clean(text).replace('\n', " ");
    if text.chars().count() <= max {
        return text;
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// JSON text that is safe on a terminal. serde_json escapes only the C0
/// controls; DEL and the C1 controls (U+0080..U+009F, where U+009B is a CSI
/// that starts an escape sequence) are escaped here too. They can only occur
/// inside strings, so the result is still valid JSON.
pub fn json_text(value: &impl serde::Serialize, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    if !text.chars().any(|c| ('\u{7f}'..='\u{9f}').contains(&c)) {
        return text;
    }
    text.chars()
        .map(|c| {
            if ('\u{7f}'..='\u{9f}').contains(&c) {
                format!("\\u{:04x}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Writes pretty JSON followed by a newline.
pub fn json(value: &impl serde::Serialize) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{}", json_text(value, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_escape_sequences_but_keeps_lines() {
        assert_eq!(clean("a\x1b[2Jb\nc\td\x07"), "a\u{fffd}[2Jb\nc\td\u{fffd}");
    }

    #[test]
    fn json_text_escapes_c1_controls_and_stays_valid() {
        let value = serde_json::json!({"a": "x\u{9b}2J\u{7f}y\u{1b}"});
        let text = json_text(&value, false);
        assert_eq!(text, r#"{"a":"x\u009b2J\u007fy\u001b"}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo world", 6), "héllo…");
        assert_eq!(truncate("short", 10), "short");
    }
}
