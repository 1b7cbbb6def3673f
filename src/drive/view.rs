//! The questions a session puts to the person, apart from the answers
//! themselves: a terminal asks them; a pipe has no one to ask, so the plain
//! view answers each as a script expects (the session asks none of them
//! off a terminal, and the plain view keeps that true if it ever did).

use super::runner::Runner;
use crate::session::Choice;
use crate::ui::input::Line;
use crate::ui::render;

/// The prompts of a session.
pub trait SessionView {
    /// After Ctrl-C: leave the session?
    fn confirm_leave(&mut self, runner: &mut Runner<'_>) -> bool;
    /// After a judge failure that will repeat: grade the rest by hand?
    fn offer_self_grading(&mut self, runner: &mut Runner<'_>) -> bool;
    /// After a grade: the next question, a retry, or leaving.
    fn offer_next(&mut self, runner: &mut Runner<'_>, ungraded: bool, last: bool) -> Choice;
    /// Before an interview: start the clock?
    fn start_clock(&mut self, runner: &mut Runner<'_>) -> bool;
}

/// A person at a terminal.
pub struct TerminalView;

/// Answers from a pipe: no prompts.
pub struct PlainView;

impl SessionView for TerminalView {
    fn confirm_leave(&mut self, runner: &mut Runner<'_>) -> bool {
        render::note("Answer abandoned.");
        match runner.src.read_line("Leave the session? [y/N] › ", None) {
            Line::Text(t) => t.trim().eq_ignore_ascii_case("y"),
            Line::Eof | Line::Invalid | Line::Ended { .. } => true,
            Line::Interrupted | Line::TimedOut { .. } | Line::Resized { .. } => false,
        }
    }

    fn offer_self_grading(&mut self, runner: &mut Runner<'_>) -> bool {
        let prompt = "The judge will fail the same way for every answer. Grade the rest of this session yourself against the model answers? [Y/n] › ";
        let yes = match runner.src.read_line(prompt, None) {
            Line::Text(t) => !t.trim().eq_ignore_ascii_case("n"),
            _ => false,
        };
        if yes {
            runner.grade_by_hand();
        }
        yes
    }

    fn offer_next(&mut self, runner: &mut Runner<'_>, ungraded: bool, last: bool) -> Choice {
        let prompt = match (ungraded, last) {
            (true, true) => "[r]etry the grade, [q]uit (Enter) › ",
            (true, false) => "[r]etry the grade, [n]ext (Enter), [q]uit › ",
            (false, true) => "[r]etry the question, [q]uit (Enter) › ",
            (false, false) => "[n]ext (Enter), [r]etry the question, [q]uit › ",
        };
        loop {
            match runner.src.read_line(prompt, None) {
                Line::Text(t) => match t.trim().to_lowercase().as_str() {
                    "" if last => return Choice::Quit,
                    "" | "n" | "next" if !last => return Choice::Next,
                    "r" | "retry" if ungraded => return Choice::RetryGrade,
                    "r" | "retry" => return Choice::RetryQuestion,
                    "q" | "quit" => return Choice::Quit,
                    _ if last => render::note("type r or q"),
                    _ => render::note("type n, r or q"),
                },
                _ => return Choice::Quit,
            }
        }
    }

    fn start_clock(&mut self, runner: &mut Runner<'_>) -> bool {
        match runner
            .src
            .read_line("Press Enter to start the clock (q to leave) › ", None)
        {
            Line::Text(t) => !matches!(t.trim().to_lowercase().as_str(), "q" | "quit" | ":quit"),
            _ => false,
        }
    }
}

impl SessionView for PlainView {
    fn confirm_leave(&mut self, _: &mut Runner<'_>) -> bool {
        true
    }

    fn offer_self_grading(&mut self, _: &mut Runner<'_>) -> bool {
        false
    }

    fn offer_next(&mut self, _: &mut Runner<'_>, _: bool, _: bool) -> Choice {
        Choice::Next
    }

    fn start_clock(&mut self, _: &mut Runner<'_>) -> bool {
        true
    }
}
