//! One verdict as people and scripts read it. Pure: strings in, strings out;
//! colour is embedded as styles that the output stream strips when it is not
//! a terminal.

use super::flag_text;
use crate::bank::Question;
use crate::store::GradedBy;
use crate::style::{self, BOLD, CYAN, DIM, GREEN, RED, YELLOW};
use crate::text::sanitize as clean;
use crate::verdict::{headline, Check, Coverage, Mistake, PointVerdict, Verdict, MIN_QUOTE_WORDS};

/// Why a point earned less than the judge claimed, for the candidate.
pub(super) fn check_text(p: &PointVerdict) -> Option<(bool, String)> {
    let quote = clean(p.evidence.trim());
    let text = match p.check? {
        Check::NotInAnswer => {
            format!("not credited: the judge quoted “{quote}”, which is not in your answer")
        }
        Check::ReusedQuote => format!(
            "not credited: “{quote}” was already credited to another point"
        ),
        Check::ShortQuote => format!(
            "half credit at most: “{quote}” is too short to show the point (fewer than {MIN_QUOTE_WORDS} words)"
        ),
        Check::QuestionWords => format!(
            "half credit at most: “{quote}” only repeats the question's words"
        ),
    };
    Some((p.coverage == Coverage::Missing, text))
}

/// The human view of one verdict: score and grill's headline, each key point
/// with its evidence, mistakes, the judge's notes and the follow-up question.
pub fn text(question: &Question, by: &GradedBy, verdict: &Verdict, width: usize) -> String {
    use std::fmt::Write;
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    let mut s = String::new();
    let style = style::score(verdict.score);
    let grader = match by {
        GradedBy::Estimate => "keyword estimate, not counted".to_string(),
        other => format!("graded by {}", other.label()),
    };
    let title = format!(
        "Score {:.1}/10 · {} answer",
        verdict.score,
        headline(verdict.score)
    );
    let tail = format!("· {} · {grader}", question.id);
    s.push_str(&crate::text::heading(&title, style, &tail, width));
    for text in verdict.flags.iter().filter_map(|f| flag_text(f)) {
        let _ = writeln!(s, "{YELLOW}{text}{YELLOW:#}");
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{BOLD}Key points{BOLD:#} {DIM}(earned/weight; {}){DIM:#}",
        coverage_count(verdict)
    );
    key_points(&mut s, question, verdict, width);
    let _ = writeln!(s, "  {DIM}{}{DIM:#}", sum_line(verdict));
    if !verdict.mistakes.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{BOLD}Mistakes{BOLD:#} {DIM}(−1 each when quoted from your answer){DIM:#}"
        );
        mistake_lines(&mut s, &verdict.mistakes, width);
    }
    if !verdict.feedback.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "{BOLD}Judge's notes{BOLD:#}");
        let _ = write!(s, "{}", wrap(&verdict.feedback, "  "));
    }
    let asked = verdict
        .follow_ups
        .iter()
        .any(|r| r.question.trim() == verdict.follow_up.trim());
    if crate::verdict::is_question(&verdict.follow_up) && !asked {
        let _ = writeln!(s);
        let _ = writeln!(s, "{BOLD}{CYAN}Follow-up to think about{CYAN:#}{BOLD:#}");
        let _ = write!(s, "{}", wrap(&verdict.follow_up, "  "));
    }
    follow_ups(&mut s, verdict, width);
    s
}

/// A number of weight as people write it: `2`, `0.5`, `1.5`.
/// Each mistake: the quote, its correction, and whether it counted.
pub fn mistake_lines(s: &mut String, mistakes: &[Mistake], width: usize) {
    use std::fmt::Write;
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    for m in mistakes {
        let _ = write!(
            s,
            "  {RED}✗{RED:#} {}",
            wrap(&format!("“{}”", m.quote), "    ").trim_start()
        );
        let _ = write!(s, "    → {}", wrap(&m.correction, "      ").trim_start());
        if !m.verified {
            let _ = write!(
                s,
                "{DIM}{}{DIM:#}",
                wrap("not counted: these words are not in your answer", "      ")
            );
        }
    }
}

pub fn amount(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// What a point earned of its weight: `2/2`, `0.5/1`, `0/3`.
pub fn earned(p: &PointVerdict) -> String {
    format!("{}/{}", amount(f64::from(p.weight) * p.credit()), p.weight)
}

/// How the score was reached: `earned 2.5 of 4 → 6.3/10`, with the
/// mistakes that cost a point each.
pub fn sum_line(verdict: &Verdict) -> String {
    use std::fmt::Write;
    let total: f64 = verdict.key_points.iter().map(|p| f64::from(p.weight)).sum();
    let got: f64 = verdict
        .key_points
        .iter()
        .map(|p| f64::from(p.weight) * p.credit())
        .sum();
    let counted = verdict.mistakes.iter().filter(|m| m.verified).count();
    let mut line = format!("earned {} of {}", amount(got), amount(total));
    if total > 0.0 {
        let before = (got / total * 100.0).round() / 10.0;
        let _ = write!(line, " → {before:.1}/10");
    }
    if counted > 0 {
        let _ = write!(
            line,
            ", −{counted} for {} = {:.1}",
            crate::text::plural(counted, "mistake", "mistakes"),
            verdict.score
        );
    }
    line
}

/// How many key points were covered, in words that count partial ones:
/// `2 of 3 key points covered, 1 partly`; `7 of 7 key points partly
/// covered` rather than "0 of 7 covered".
pub fn coverage_count(verdict: &Verdict) -> String {
    let count = |c| {
        verdict
            .key_points
            .iter()
            .filter(|p| p.coverage == c)
            .count()
    };
    let (covered, partial, all) = (
        count(Coverage::Covered),
        count(Coverage::Partial),
        verdict.key_points.len(),
    );
    match (covered, partial) {
        (0, 0) => format!("none of {all} key points covered"),
        (0, p) => format!("{p} of {all} key points partly covered"),
        (c, 0) => format!("{c} of {all} key points covered"),
        (c, p) => format!("{c} of {all} key points covered, {p} partly"),
    }
}

/// The score line of a self-graded answer: the score, grill's word for it.
pub fn self_graded(verdict: &Verdict, width: usize) -> String {
    let style = style::score(verdict.score);
    let title = format!(
        "Score {:.1}/10 · {} answer",
        verdict.score,
        headline(verdict.score)
    );
    let tail = format!("(self-graded: {})", coverage_count(verdict));
    let line = crate::text::heading(&title, style, &tail, width);
    line.trim_end().to_string()
}

/// Each key point with its mark, what it earned of its weight, its
/// evidence or why it earned less, and whether it was recovered on a
/// follow-up or left uncertain by the samples.
pub(super) fn key_points(s: &mut String, question: &Question, verdict: &Verdict, width: usize) {
    use std::fmt::Write;
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    let cells: Vec<String> = verdict.key_points.iter().map(earned).collect();
    let wide = cells.iter().map(String::len).max().unwrap_or(3);
    let indent = " ".repeat(4 + wide + 2);
    for (p, cell) in verdict.key_points.iter().zip(&cells) {
        let point = question
            .key_points
            .iter()
            .find(|k| k.id == p.id)
            .map_or(p.id.as_str(), |k| k.point.as_str());
        let mark_style = match p.coverage {
            Coverage::Covered => GREEN,
            Coverage::Partial => YELLOW,
            Coverage::Missing => RED,
        };
        let body = wrap(point, &indent);
        let _ = write!(
            s,
            "  {mark_style}{}{mark_style:#} {DIM}{cell:>wide$}{DIM:#}  {}",
            p.coverage.mark(),
            body.trim_start()
        );
        if p.recovered {
            let quote = verdict
                .follow_ups
                .iter()
                .flat_map(|r| &r.key_points)
                .find(|r| r.id == p.id && r.coverage == Coverage::Covered)
                .map(|r| format!(": “{}”", clean(r.evidence.trim())))
                .unwrap_or_default();
            let _ = write!(
                s,
                "{}",
                wrap(
                    &format!("↺ recovered on follow-up, half credit{quote}"),
                    &indent
                )
                .replacen("↺", &format!("{GREEN}↺{GREEN:#}"), 1)
            );
        }
        if p.uncertain {
            let _ = writeln!(
                s,
                "{indent}{YELLOW}uncertain:{YELLOW:#} the judge's samples disagreed on this point"
            );
        }
        if let Some((missing, note)) = check_text(p) {
            let (label, rest) = note.split_once(':').unwrap_or((&note, ""));
            let tone = if missing { RED } else { YELLOW };
            let wrapped = wrap(&format!("{label}:{rest}"), &indent);
            let _ = write!(
                s,
                "{}",
                wrapped.replacen(
                    &format!("{indent}{label}"),
                    &format!("{indent}{tone}{label}{tone:#}"),
                    1
                )
            );
        } else if p.coverage != Coverage::Missing && !p.evidence.trim().is_empty() {
            let _ = write!(
                s,
                "{DIM}{}{DIM:#}",
                wrap(&format!("“{}”", p.evidence.trim()), &indent)
            );
        }
    }
}

/// The follow-up rounds: each question, the answer and what it recovered.
fn follow_ups(s: &mut String, verdict: &Verdict, width: usize) {
    use std::fmt::Write;
    let wrap = |text: &str, indent: &str| crate::text::wrap(text, indent, width);
    for (i, round) in verdict.follow_ups.iter().enumerate() {
        let _ = writeln!(s);
        let title = format!("Follow-up {}", i + 1);
        let tail = format!("· about {}", round.points.join(", "));
        let _ = write!(s, "{}", crate::text::heading(&title, CYAN, &tail, width));
        let _ = write!(s, "{}", wrap(&clean(&round.question), "  "));
        if !round.answer.trim().is_empty() {
            let _ = write!(
                s,
                "{DIM}{}{DIM:#}",
                wrap(
                    &format!(
                        "Your answer{}: {}",
                        if round.cut_off {
                            " (cut off at the time limit)"
                        } else {
                            ""
                        },
                        clean(round.answer.trim())
                    ),
                    "  "
                )
            );
        }
        let plain = anstyle::Style::new();
        let recovered = round.recovered.join(", ");
        let before = format!("(score {:.1} before)", round.score_before);
        let outcome = match (&round.note, round.recovered.is_empty()) {
            (Some(note), _) => vec![("not graded:", YELLOW), (note.as_str(), plain)],
            (None, true) => vec![("nothing recovered", YELLOW)],
            (None, false) => vec![
                ("recovered:", GREEN),
                (recovered.as_str(), plain),
                (before.as_str(), DIM),
            ],
        };
        s.push_str(&crate::text::spans(&outcome, width, "  ", "    "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};
    use crate::verdict::Mistake;

    #[test]
    fn the_verdict_text_quotes_evidence_and_says_what_was_not_credited() {
        let kp = |id: &str| KeyPoint {
            id: id.into(),
            point: format!("Point {id}"),
            weight: 1,
            cues: vec![],
        };
        let q = Question {
            id: "q".into(),
            topic: "t".into(),
            question: "?".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 2,
            model_answer: "m".into(),
            sources: vec![],
            reviewed: None,
            follow_up: None,
            key_points: vec![kp("a"), kp("b"), kp("c")],
        };
        let pv = |id: &str, coverage, check, evidence: &str| PointVerdict {
            id: id.into(),
            coverage,
            claimed: Coverage::Covered,
            evidence: evidence.into(),
            verified: check != Some(Check::NotInAnswer),
            weight: 1,
            check,
            uncertain: false,
            recovered: false,
        };
        let v = Verdict {
            score: 4.0,
            key_points: vec![
                pv("a", Coverage::Covered, None, "my own words here"),
                pv("b", Coverage::Missing, Some(Check::NotInAnswer), "not mine"),
                pv("c", Coverage::Partial, Some(Check::ShortQuote), "mine"),
            ],
            mistakes: vec![
                Mistake {
                    quote: "RAG retrains".into(),
                    correction: "It does not".into(),
                    verified: true,
                },
                Mistake {
                    quote: "invented".into(),
                    correction: "x".into(),
                    verified: false,
                },
            ],
            feedback: "Excellent, complete answer.".into(),
            follow_up: "Why?".into(),
            flags: vec![],
            usage: None,
            follow_ups: vec![],
        };
        let text = anstream::adapter::strip_str(&text(&q, &GradedBy::Judge("m".into()), &v, 80))
            .to_string();
        assert!(
            text.starts_with("Score 4.0/10 · weak answer"),
            "grill's words, not the judge's: {text}"
        );
        assert!(
            text.contains("Judge's notes\n  Excellent, complete answer."),
            "{text}"
        );
        assert!(
            text.contains("(earned/weight; 1 of 3 key points covered, 1 partly)"),
            "{text}"
        );
        assert!(
            text.contains("✓   1/1  Point a\n           “my own words here”\n"),
            "{text}"
        );
        assert!(text.contains("✗   0/1  Point b\n           not credited: the judge quoted “not mine”, which is not in"), "{text}");
        assert!(
            text.contains("½ 0.5/1  Point c\n           half credit at most: “mine” is too short"),
            "{text}"
        );
        assert!(
            text.contains("  earned 1.5 of 3 → 5.0/10, −1 for 1 mistake = 4.0\n"),
            "the sum is explained: {text}"
        );
        assert!(
            text.contains("✗ “RAG retrains”\n    → It does not"),
            "{text}"
        );
        assert!(
            text.contains("not counted: these words are not in your answer"),
            "{text}"
        );
    }

    #[test]
    fn partial_points_are_counted_in_words_and_self_grades_get_a_verdict_word() {
        let pv = |coverage, weight| PointVerdict {
            id: "p".into(),
            coverage,
            claimed: coverage,
            evidence: String::new(),
            verified: true,
            weight,
            check: None,
            uncertain: false,
            recovered: false,
        };
        let all_partial = Verdict {
            score: 5.0,
            key_points: (0..7).map(|_| pv(Coverage::Partial, 1)).collect(),
            ..Verdict::default()
        };
        assert_eq!(
            coverage_count(&all_partial),
            "7 of 7 key points partly covered"
        );
        let line = anstream::adapter::strip_str(&self_graded(&all_partial, 100)).to_string();
        assert_eq!(
            line,
            "Score 5.0/10 · partial answer (self-graded: 7 of 7 key points partly covered)"
        );
        let mut recovered = pv(Coverage::Missing, 3);
        recovered.recovered = true;
        assert_eq!(earned(&recovered), "1.5/3");
        assert_eq!(earned(&pv(Coverage::Covered, 2)), "2/2");
        assert_eq!(earned(&pv(Coverage::Missing, 1)), "0/1");
    }
}
