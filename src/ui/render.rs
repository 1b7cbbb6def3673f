//! The output streams. Colour goes through `anstream`, which drops the
//! styles when the stream is not a terminal or `NO_COLOR` is set, so the same
//! code serves a person and a pipe. Text that came from outside (banks,
//! answers, the judge) is sanitised (`text::sanitize`) before it is shown, so
//! it can never move the cursor or retitle the window.

use std::io::{self, Write};

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

/// The columns output may fill: `COLUMNS` when it is set to a number, else
/// the width of the terminal stdout is, else `piped` (stdout is a pipe or a
/// file, and nothing says how wide its reader is).
pub fn columns(piped: usize) -> usize {
    columns_from(std::env::var("COLUMNS").ok().as_deref(), terminal(), piped)
}

fn terminal() -> Option<usize> {
    terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| usize::from(w.0))
}

fn columns_from(env: Option<&str>, terminal: Option<usize>, piped: usize) -> usize {
    env.and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or(terminal)
        .unwrap_or(piped)
}

/// Width to wrap prose at: `columns`, capped so lines stay readable.
pub fn width() -> usize {
    columns(80).clamp(40, 100)
}

/// The width for a listing that scripts read line by line (`doctor`,
/// `config`): `width` in a terminal or with `COLUMNS` set, unbounded on a
/// pipe, so each entry stays one line to grep.
pub fn listing_width() -> usize {
    use std::io::IsTerminal;
    let asked = std::env::var_os("COLUMNS").is_some();
    if asked || io::stdout().is_terminal() {
        width()
    } else {
        usize::MAX
    }
}

/// `text::wrap` at the terminal's width.
pub fn wrap(text: &str, indent: &str) -> String {
    crate::text::wrap(text, indent, width())
}

/// `text::spans` at the terminal's width.
pub fn spans(parts: &[(&str, anstyle::Style)], first: &str, rest: &str) -> String {
    crate::text::spans(parts, width(), first, rest)
}

/// A heading: `title` in `style` (bold added), then `tail` dimmed, wrapped
/// between words at the window's width with continuation lines indented
/// two spaces, and a final newline. The terminal would cut a long one
/// mid-word (`submits · :hint ·` / ` :edit` at 60 columns).
pub fn heading(title: &str, style: anstyle::Style, tail: &str) -> String {
    crate::text::heading(title, style, tail, width())
}

/// Writes pretty JSON followed by a newline.
pub fn json(value: &impl serde::Serialize) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{}", crate::json::to_text(value, true))
}

/// Clears a terminal's screen and puts the cursor home (a question drawn
/// again after a resize); nothing when standard output is not a terminal.
pub fn clear_screen() {
    use std::io::IsTerminal;
    let mut out = io::stdout().lock();
    if out.is_terminal() {
        let _ = out.write_all(b"\x1b[H\x1b[2J");
        let _ = out.flush();
    }
}

/// One line of compact JSON, as batch results are written.
pub fn json_line(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    writeln!(out, "{}", crate::json::to_text(value, false))?;
    out.flush()
}

/// A line to the person on stderr, sanitised, and wrapped at word
/// boundaries when stderr is a terminal (a key point shown on `:hint` is
/// longer than most windows); a closed stderr is ignored.
pub fn note(text: &str) {
    use std::io::IsTerminal;
    if io::stderr().is_terminal() && !text.trim().is_empty() {
        let _ = write!(stderr(), "{}", wrap(text, ""));
    } else {
        let _ = writeln!(stderr(), "{}", crate::text::sanitize(text));
    }
}

/// Decides colour once for the run: `--color always|never` as given; with
/// `auto`, `NO_COLOR` turns it off, then `FORCE_COLOR` (not `0`) turns it
/// on, then `TERM=dumb` turns it off, and otherwise each stream has colour
/// when it is a terminal.
pub fn choose_color(flag: crate::cli::ColorWhen, env: crate::config::Env<'_>) {
    use crate::cli::ColorWhen;
    use anstream::ColorChoice;
    let choice = match flag {
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
        ColorWhen::Auto if env("NO_COLOR").is_some() => ColorChoice::Never,
        ColorWhen::Auto if env("FORCE_COLOR").is_some_and(|v| v != "0") => ColorChoice::Always,
        ColorWhen::Auto if env("TERM").as_deref() == Some("dumb") => ColorChoice::Never,
        ColorWhen::Auto => ColorChoice::Auto,
    };
    choice.write_global();
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_come_from_columns_then_the_terminal_then_the_default() {
        use super::columns_from;
        assert_eq!(columns_from(Some("132"), Some(80), 100), 132);
        assert_eq!(columns_from(Some(" 60 "), None, 100), 60);
        assert_eq!(columns_from(Some("wide"), Some(90), 100), 90);
        assert_eq!(columns_from(Some("0"), None, 100), 100);
        assert_eq!(columns_from(None, None, 100), 100);
    }
}
