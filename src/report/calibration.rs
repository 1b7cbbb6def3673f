//! A calibration summary for the terminal: the agreement figures, the key
//! point table, the largest disagreements and a scatter of label against
//! grade. (`--json` is the `Summary` itself.)

use std::fmt::Write;

use crate::calibration::{ScoreAgreement, Summary};
use crate::style::{BOLD, CYAN, DIM};
use crate::text::{sanitize, truncate};

fn figure(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{x:.digits$}"))
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{:.0}%", 100.0 * x))
}

fn signed(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{x:+.2}"))
}

/// The rows of the score table: (name, all answers, without fluent-but-wrong).
fn score_rows(a: &ScoreAgreement, b: &ScoreAgreement) -> Vec<(&'static str, String, String)> {
    vec![
        ("answers graded", a.n.to_string(), b.n.to_string()),
        ("Spearman ρ", figure(a.spearman, 2), figure(b.spearman, 2)),
        ("Pearson r", figure(a.pearson, 2), figure(b.pearson, 2)),
        (
            "quadratic-weighted κ",
            figure(a.quadratic_kappa, 2),
            figure(b.quadratic_kappa, 2),
        ),
        ("mean absolute error", figure(a.mae, 2), figure(b.mae, 2)),
        ("mean bias (grade − label)", signed(a.bias), signed(b.bias)),
        (
            "within ±1 point",
            percent(a.within_one),
            percent(b.within_one),
        ),
    ]
}

pub fn render(s: &Summary, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{BOLD}Calibration of {}{BOLD:#} {DIM}· {} of {} labelled answers graded{DIM:#}",
        sanitize(&s.grader),
        s.graded,
        s.read
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{BOLD}{:28}{:>10}{:>28}{BOLD:#}",
        "scores", "all", "without fluent-but-wrong"
    );
    for (name, a, b) in score_rows(&s.scores, &s.scores_without_fluent_wrong) {
        let _ = writeln!(out, "{name:28}{a:>10}{b:>28}");
    }
    if let (Some(kappa), Some(table)) = (s.key_point_kappa, &s.key_point_confusion) {
        let n: usize = table.iter().flatten().sum();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{BOLD}Key points{BOLD:#} {DIM}({n} decisions){DIM:#}  Cohen's κ {kappa:.2}"
        );
        let _ = writeln!(
            out,
            "{DIM}{:18}{:>9}{:>9}{:>9}   ← grade{DIM:#}",
            "label ↓", "covered", "partial", "missing"
        );
        for (name, row) in ["covered", "partial", "missing"].iter().zip(table) {
            let _ = writeln!(out, "{name:18}{:>9}{:>9}{:>9}", row[0], row[1], row[2]);
        }
    }
    if let Some(c) = &s.consistency {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{BOLD}Self-consistency{BOLD:#} over {} samples: {} of key-point decisions identical in every sample; score range {:.2} on average, {:.1} at most",
            c.samples,
            percent(Some(c.identical_decisions)),
            c.mean_score_range,
            c.max_score_range
        );
    }
    if !s.by_kind.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{BOLD}{:20}{:>5}{:>8}{:>8}{:>8}{BOLD:#}",
            "by kind", "n", "label", "grade", "error"
        );
        for k in &s.by_kind {
            let _ = writeln!(
                out,
                "{:20}{:>5}{:>8.1}{:>8.1}{:>8.2}",
                sanitize(&k.kind),
                k.n,
                k.label_mean,
                k.grade_mean,
                k.mae
            );
        }
    }
    if !s.disagreements.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{BOLD}Largest disagreements{BOLD:#}");
        for d in &s.disagreements {
            let kind = d
                .kind
                .as_deref()
                .map(|k| format!(" ({k})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  label {:>4.1} → grade {:>4.1}  {CYAN}{}{CYAN:#}{}  {DIM}{}:{}{DIM:#}",
                d.label,
                d.grade,
                sanitize(&d.question_id),
                sanitize(&kind),
                sanitize(&d.file),
                d.line
            );
            let _ = writeln!(
                out,
                "      {DIM}“{}”{DIM:#}",
                truncate(&d.answer, width.saturating_sub(10).max(20))
            );
        }
    }
    if !s.points.is_empty() {
        let _ = writeln!(out);
        out.push_str(&scatter(&s.points));
    }
    out
}

/// Label (across) against grade (up), whole points: the count of answers in
/// each cell (`+` for ten or more), `·` on the empty diagonal where they
/// would agree.
pub fn scatter(points: &[(f64, f64)]) -> String {
    let cell = |x: f64| x.round().clamp(0.0, 10.0) as usize;
    let mut grid = [[0usize; 11]; 11];
    for &(label, grade) in points {
        grid[cell(grade)][cell(label)] += 1;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{BOLD}Grade against label{BOLD:#} {DIM}(answers per whole point){DIM:#}"
    );
    for grade in (0..=10).rev() {
        let _ = write!(out, "{grade:>5} │");
        for (label, count) in grid[grade].iter().enumerate() {
            let mark = match count {
                0 if label == grade => format!("{DIM}·{DIM:#}"),
                0 => " ".into(),
                1..=9 => count.to_string(),
                _ => "+".into(),
            };
            let _ = write!(out, " {mark}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "      └{}", "──".repeat(11));
    let _ = write!(out, "       ");
    for label in 0..=10 {
        let _ = write!(out, "{:>2}", label % 10);
    }
    let _ = writeln!(out, "   label");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scatter_counts_answers_per_cell_and_marks_the_diagonal() {
        let text = anstream::adapter::strip_str(&scatter(&[(10.0, 10.0), (9.6, 10.0), (0.0, 7.0)]))
            .to_string();
        let rows: Vec<&str> = text.lines().collect();
        // Row "10": label 10 has 2 answers.
        assert!(
            rows[1].starts_with("   10 │") && rows[1].ends_with(" 2"),
            "{text}"
        );
        // Row "7": one answer at label 0, the diagonal dot at label 7.
        assert_eq!(rows[4], "    7 │ 1             ·      ", "{text}");
    }
}
