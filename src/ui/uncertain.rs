//! Points the judge's samples disagreed on (`--samples`), put to the
//! candidate: one key per point, Enter keeps the judge's majority.

use std::io::Write;

use crate::bank::Question;
use crate::style::CYAN;
use crate::ui::input::{Line, LineSource};
use crate::ui::render;
use crate::verdict::{Coverage, Verdict};

/// The candidate's marks for the uncertain points: (index, coverage). Off a
/// terminal, or on Ctrl-C, none: the judge's majority stands.
pub fn ask(
    src: &mut dyn LineSource,
    question: &Question,
    verdict: &Verdict,
) -> Vec<(usize, Coverage)> {
    let uncertain: Vec<usize> = (0..verdict.key_points.len())
        .filter(|&i| verdict.key_points[i].uncertain)
        .collect();
    if uncertain.is_empty() || !src.interactive() {
        return Vec::new();
    }
    let _ = write!(
        render::stdout(),
        "\n{}",
        render::heading(
            "The judge was unsure",
            anstyle::Style::new(),
            "(its samples disagreed): grade these points yourself · y covered · p partial · n missing · Enter keeps its majority"
        )
    );
    let mut marks = Vec::new();
    for i in uncertain {
        let point = &verdict.key_points[i];
        let text = question
            .key_points
            .iter()
            .find(|k| k.id == point.id)
            .map_or(point.id.as_str(), |k| k.point.as_str());
        let _ = write!(
            render::stdout(),
            "{CYAN}?{CYAN:#} {}",
            render::wrap(text, "    ").trim_start()
        );
        let prompt = format!("  [{}] › ", letter(point.coverage));
        loop {
            match src.read_line(&prompt, None) {
                Line::Text(t) => match t.trim().to_lowercase().as_str() {
                    "" => break,
                    "y" | "yes" => {
                        marks.push((i, Coverage::Covered));
                        break;
                    }
                    "p" | "partial" => {
                        marks.push((i, Coverage::Partial));
                        break;
                    }
                    "n" | "no" => {
                        marks.push((i, Coverage::Missing));
                        break;
                    }
                    other => render::note(&format!("`{other}`: type y, p or n (or Enter to keep)")),
                },
                _ => return marks,
            }
        }
    }
    marks
}

fn letter(c: Coverage) -> char {
    match c {
        Coverage::Covered => 'y',
        Coverage::Partial => 'p',
        Coverage::Missing => 'n',
    }
}
