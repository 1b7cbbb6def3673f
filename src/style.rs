//! The few styles grill draws with. Plain `anstyle` values: the output
//! stream (`anstream`) drops them when it is not a terminal or `NO_COLOR` is
//! set, so the code that builds text never asks which it is.

use anstyle::{AnsiColor, Style};

pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const GREEN: Style = AnsiColor::Green.on_default();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
pub const RED: Style = AnsiColor::Red.on_default();
pub const CYAN: Style = AnsiColor::Cyan.on_default();

/// A colour for a score out of 10.
pub fn score(score: f64) -> Style {
    if score >= 8.0 {
        GREEN
    } else if score >= 5.0 {
        YELLOW
    } else {
        RED
    }
}
