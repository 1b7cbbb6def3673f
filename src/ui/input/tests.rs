use super::*;

/// Reads from a script; a `None` entry stands for a deadline passing.
/// `whole`: the script's entries are whole edits, as from the terminal.
struct Script {
    reads: Vec<Option<&'static str>>,
    whole: bool,
    offered: Vec<String>,
}

impl Script {
    fn lines(reads: Vec<Option<&'static str>>) -> Script {
        Script {
            reads,
            whole: false,
            offered: Vec::new(),
        }
    }

    fn edits(reads: Vec<Option<&'static str>>) -> Script {
        Script {
            reads,
            whole: true,
            offered: Vec::new(),
        }
    }

    fn next(&mut self) -> Line {
        if self.reads.is_empty() {
            return Line::Eof;
        }
        match self.reads.remove(0) {
            Some(text) => Line::Text(text.to_string()),
            None => Line::TimedOut {
                partial: "half a".into(),
            },
        }
    }
}

impl LineSource for Script {
    fn read_line(&mut self, _prompt: &str, _deadline: Option<Instant>) -> Line {
        self.next()
    }
    fn read_answer_text(
        &mut self,
        _prompt: &str,
        so_far: &str,
        _deadline: Option<Instant>,
        _watch_size: bool,
    ) -> Option<Line> {
        self.whole.then(|| {
            self.offered.push(so_far.to_string());
            self.next()
        })
    }
    fn interactive(&self) -> bool {
        self.whole
    }
}

fn read_from(src: &mut Script) -> (Answer, Vec<String>) {
    let mut notices = Vec::new();
    let answer = read_answer(
        src,
        &mut Ask {
            hint: "the hint",
            deadline: None,
            notice: &mut |n| notices.push(n.to_string()),
            editor: &mut |_| {},
            redraw: None,
            draft: "",
        },
    );
    (answer, notices)
}

fn read(lines: Vec<Option<&'static str>>) -> (Answer, Vec<String>) {
    read_from(&mut Script::lines(lines))
}

fn text(text: &str) -> Answer {
    Answer::Text {
        text: text.into(),
        cut_off: false,
        over: Duration::ZERO,
    }
}

#[test]
fn a_blank_line_submits_and_leading_blanks_are_ignored() {
    let (a, _) = read(vec![
        Some(""),
        Some("one"),
        Some("two"),
        Some(""),
        Some("next"),
    ]);
    assert_eq!(a, text("one\ntwo"));
}

#[test]
fn end_of_input_submits_what_there_is_or_quits() {
    assert_eq!(read(vec![Some("only")]).0, text("only"));
    assert_eq!(
        read(vec![]).0,
        Answer::Quit {
            typed: String::new()
        }
    );
}

#[test]
fn commands_skip_quit_and_hint() {
    assert_eq!(read(vec![Some(":skip")]).0, Answer::Skip);
    assert_eq!(
        read(vec![Some("x"), Some(":quit")]).0,
        Answer::Quit { typed: "x".into() },
        "piped, nobody to ask: what was typed goes with the quit"
    );
    let (a, notices) = read(vec![Some(":hint"), Some("x"), Some("")]);
    assert_eq!(a, text("x"));
    assert_eq!(notices, ["hint: the hint"]);
}

#[test]
fn a_cut_off_keeps_every_line_and_the_unfinished_one() {
    let (a, _) = read(vec![Some("first line"), None]);
    assert_eq!(
        a,
        Answer::Text {
            text: "first line\nhalf a".into(),
            cut_off: true,
            over: Duration::ZERO,
        }
    );
}

#[test]
fn answers_stop_at_the_length_limit() {
    let long: &'static str = Box::leak("x".repeat(MAX_ANSWER_CHARS - 10).into_boxed_str());
    let (a, notices) = read(vec![Some(long), Some("0123456789abcdef"), Some("more")]);
    let Answer::Text { text, .. } = a else {
        panic!("{a:?}")
    };
    assert_eq!(text.chars().count(), MAX_ANSWER_CHARS);
    assert!(
        notices[0].contains("limited to 20000 characters"),
        "{notices:?}"
    );
}

#[test]
fn piped_lines_past_the_limit_are_skipped_up_to_the_answers_end() {
    let long: &'static str = Box::leak("x".repeat(MAX_ANSWER_CHARS).into_boxed_str());
    let mut src = Script::lines(vec![
        Some(long),
        Some("tail"),
        Some("more tail"),
        Some(""),
        Some("next answer"),
        Some(""),
    ]);
    let (first, _) = read_from(&mut src);
    assert!(
        matches!(first, Answer::Text { ref text, .. } if text.len() == MAX_ANSWER_CHARS),
        "{first:?}"
    );
    assert_eq!(read_from(&mut src).0, text("next answer"));
}

#[test]
fn a_whole_edit_keeps_paragraphs_and_ends_at_its_last_line() {
    // A pasted answer with a paragraph break, submitted with a blank line.
    let (a, _) = read_from(&mut Script::edits(vec![Some("one\n\ntwo\nthree\n")]));
    assert_eq!(a, text("one\n\ntwo\nthree"));
    // Ctrl-D hands the text back as it is: submitted.
    let (a, _) = read_from(&mut Script::edits(vec![Some("one\ntwo")]));
    assert_eq!(a, text("one\ntwo"));
    // A command on the last line acts; the editor reopens with the text.
    let mut src = Script::edits(vec![Some("one\n:hint"), Some("one\ntwo\n")]);
    let (a, notices) = read_from(&mut src);
    assert_eq!(a, text("one\ntwo"));
    assert_eq!(notices, ["hint: the hint"]);
    assert_eq!(src.offered, ["", "one\n"]);
    // An empty edit is nothing yet.
    let (a, _) = read_from(&mut Script::edits(vec![Some(""), Some("x\n")]));
    assert_eq!(a, text("x"));
}

#[test]
fn quitting_with_text_typed_asks_first() {
    // "n": keep writing; the text is offered again.
    let mut src = Script::edits(vec![Some("draft\n:quit"), Some("n"), Some("draft\nmore\n")]);
    let (a, _) = read_from(&mut src);
    assert_eq!(a, text("draft\nmore"));
    assert_eq!(src.offered, ["", "draft\n"]);
    // "y": leave, and say what was not submitted.
    let mut src = Script::edits(vec![Some("draft\n:quit"), Some("y")]);
    assert_eq!(
        read_from(&mut src).0,
        Answer::Quit {
            typed: "draft".into()
        }
    );
    // Nothing typed: nothing to ask.
    let mut src = Script::edits(vec![Some(":quit")]);
    assert_eq!(
        read_from(&mut src).0,
        Answer::Quit {
            typed: String::new()
        }
    );
}

#[test]
fn a_whole_edit_cut_off_keeps_what_was_on_the_screen() {
    let mut src = Script::edits(vec![None]);
    let (a, _) = read_from(&mut src);
    assert_eq!(
        a,
        Answer::Text {
            text: "half a".into(),
            cut_off: true,
            over: Duration::ZERO,
        }
    );
}
