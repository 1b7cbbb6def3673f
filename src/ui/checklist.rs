//! Self-grading at the terminal (or from piped lines): the model answer,
//! then each key point with the cue matcher's guess, one key per point.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::bank::Question;
use crate::cues::{self, CueMatch};
use crate::grading::{Checklist, Marks, NO_STORY_CAP};
use crate::style::{BOLD, CYAN, DIM};
use crate::ui::input::{Line, LineSource};
use crate::ui::render;
use crate::verdict::Coverage;

/// An empty line this soon after its prompt was drawn was typed before it.
const TYPED_AHEAD: Duration = Duration::from_millis(300);

/// The checklist, asked through a line source.
pub struct Asked<'a> {
    pub src: &'a mut dyn LineSource,
    /// Show the model answer first (not again for a follow-up).
    pub model_answer: bool,
}

impl Checklist for Asked<'_> {
    fn mark(&mut self, question: &Question, answer: &str, guesses: &[CueMatch]) -> Option<Marks> {
        if self.model_answer {
            show_model_answer(question, answer);
        }
        self.src.discard_typeahead();
        let mut chosen: Vec<Coverage> = Vec::with_capacity(guesses.len());
        let mut rest_guessed = false;
        let points: Vec<_> = question.key_points.iter().zip(guesses).collect();
        let mut i = 0;
        while let Some(&(kp, guess)) = points.get(i) {
            let mut out = render::stdout();
            let _ = write!(
                out,
                "{CYAN}{}/{}{CYAN:#} {}",
                i + 1,
                guesses.len(),
                render::wrap(&kp.point, "      ").trim_start()
            );
            let said = format!("guess: {}", cues::describe(guess));
            let _ = write!(
                out,
                "{}",
                render::spans(&[(&said, DIM)], "      ", "      ")
            );
            drop(out);
            if rest_guessed {
                chosen.push(guess.coverage);
                i += 1;
                continue;
            }
            match self.ask(guess.coverage, i > 0) {
                Mark::Chosen(c) => chosen.push(c),
                // End of input: the guesses stand for the remaining points.
                Mark::RestGuessed => {
                    chosen.push(guess.coverage);
                    rest_guessed = true;
                }
                // `:back`: mark the previous point again.
                Mark::Back => {
                    chosen.pop();
                    i -= 1;
                    continue;
                }
                Mark::Abandoned => return None,
            }
            i += 1;
        }
        let story = if question.wants_example {
            Some(self.ask_story()?)
        } else {
            None
        };
        Some(Marks {
            points: chosen,
            story,
        })
    }
}

enum Mark {
    Chosen(Coverage),
    RestGuessed,
    Back,
    /// Ctrl-C confirmed, or `:quit`: the answer stays saved, ungraded.
    Abandoned,
}

impl Asked<'_> {
    /// Whether the answer told a concrete story from the candidate's own
    /// work with a measurable outcome; `None` when abandoned. End of input
    /// counts as no: keywords cannot tell, and a guess must not inflate.
    fn ask_story(&mut self) -> Option<bool> {
        let _ = writeln!(
            render::stdout(),
            "{CYAN}+{CYAN:#} This question asks for an example from your own work. Did you tell a concrete story with a measurable outcome? {DIM}(n caps the score at {NO_STORY_CAP:.0}){DIM:#}"
        );
        loop {
            match self.src.read_line("  [y/n] › ", None) {
                Line::Text(t) => match t.trim().to_lowercase().as_str() {
                    "y" | "yes" => return Some(true),
                    "n" | "no" | "" => return Some(false),
                    other => render::note(&format!("`{other}`: type y or n")),
                },
                Line::Eof | Line::TimedOut { .. } | Line::Resized { .. } => return Some(false),
                Line::Interrupted if !self.confirm_leave() => {}
                Line::Interrupted | Line::Invalid | Line::Ended { .. } => return None,
            }
        }
    }

    fn ask(&mut self, guess: Coverage, can_go_back: bool) -> Mark {
        let prompt = format!("  [{}] › ", letter(guess));
        loop {
            let drawn = Instant::now();
            match self.src.read_line(&prompt, None) {
                Line::Text(t) => match t.trim().to_lowercase().as_str() {
                    // An Enter sooner than anyone reads the point was typed
                    // ahead (one Enter too many after submitting, a paste's
                    // last newline): it does not accept the guess.
                    "" if self.src.interactive() && drawn.elapsed() < TYPED_AHEAD => {}
                    "" => return Mark::Chosen(guess),
                    "y" | "yes" | "c" => return Mark::Chosen(Coverage::Covered),
                    "p" | "partial" | "h" => return Mark::Chosen(Coverage::Partial),
                    "n" | "no" | "m" => return Mark::Chosen(Coverage::Missing),
                    ":back" | ":b" if can_go_back => return Mark::Back,
                    ":quit" | ":q" => return Mark::Abandoned,
                    other => render::note(&format!(
                        "`{other}`: type y, p or n (or Enter for the guess); :back marks the previous point again, :quit stops grading"
                    )),
                },
                Line::Eof | Line::TimedOut { .. } | Line::Resized { .. } => {
                    return Mark::RestGuessed
                }
                Line::Interrupted if !self.confirm_leave() => {}
                Line::Interrupted | Line::Invalid | Line::Ended { .. } => return Mark::Abandoned,
            }
        }
    }

    /// Ctrl-C in the checklist: leave it, or go on from the same point?
    /// A grade left is not lost: the answer stays saved, ungraded.
    fn confirm_leave(&mut self) -> bool {
        match self.src.read_line(
            "Stop grading this answer? It stays saved, ungraded, for `grill --offline regrade`. [y/N] › ",
            None,
        ) {
            Line::Text(t) => matches!(t.trim().to_lowercase().as_str(), "y" | "yes"),
            // A second Ctrl-C means it.
            Line::Eof | Line::Invalid | Line::Interrupted | Line::Ended { .. } => true,
            Line::TimedOut { .. } | Line::Resized { .. } => false,
        }
    }
}

/// The model answer, then the candidate's own answer again beside the
/// checklist (a long model answer scrolls it away), its first lines only.
fn show_model_answer(question: &Question, answer: &str) {
    const ANSWER_LINES: usize = 8;
    let mut out = render::stdout();
    let _ = writeln!(out);
    let _ = writeln!(out, "{BOLD}Model answer{BOLD:#}");
    let _ = write!(out, "{}", render::wrap(&question.model_answer, "  "));
    if !answer.trim().is_empty() {
        let wrapped = render::wrap(answer.trim(), "  ");
        let lines: Vec<&str> = wrapped.lines().collect();
        let _ = writeln!(out);
        let _ = writeln!(out, "{BOLD}Your answer{BOLD:#}");
        for line in lines.iter().take(ANSWER_LINES) {
            let _ = writeln!(out, "{line}");
        }
        if lines.len() > ANSWER_LINES {
            let more = lines.len() - ANSWER_LINES;
            let unit = if more == 1 { "line" } else { "lines" };
            let _ = writeln!(out, "  {DIM}… {more} more {unit}{DIM:#}");
        }
    }
    let _ = writeln!(out);
    let _ = write!(
        out,
        "{}",
        render::heading(
            "Grade yourself",
            anstyle::Style::new(),
            "y covered · p partial · n missing · Enter accepts the guess · :back · :quit"
        )
    );
}

fn letter(c: Coverage) -> char {
    match c {
        Coverage::Covered => 'y',
        Coverage::Partial => 'p',
        Coverage::Missing => 'n',
    }
}
