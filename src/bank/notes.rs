//! Interview notes as written on a page: `Q:` lines or Markdown headings
//! ending in `?`, each with the answer below it, under section headings.
//!
//! A question starts at a `Q:` line (or a Markdown heading ending in `?`); its
//! answer is everything up to the next question or heading, less lines such
//! as "Show answer". Section headings become topics. In plain text, where
//! headings carry no `#`, a heading is a short line standing alone between
//! blank lines with no closing punctuation; once a page has `#` headings,
//! only those count. Pure: text in, notes out.

/// One question found in the notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// 1-based line of the question in the notes.
    pub line: usize,
    /// The section heading above it, if any.
    pub section: Option<String>,
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Line {
    Blank,
    Heading(String),
    Question(String),
    Drop,
    Text(String),
}

/// Lines that belong to the page's widgets, not to an answer.
const DROPPED: &[&str] = &[
    "show answer",
    "hide answer",
    "answer",
    "show solution",
    "hide solution",
    "solution",
    "reveal answer",
    "click to reveal",
    "click to expand",
    "toggle answer",
    "show more",
];

/// Removes `<...>` tags, for recognising lines that are only markup.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        match rest[open..].find('>') {
            Some(close) => {
                out.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

fn strip_emphasis(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '*' || c == '_').trim()
}

/// The text after a `Q:`, `Q1.`, `Question:` marker (bold or not), if the line has one.
fn question_marker(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(['*', '_']).trim_start();
    let rest = if let Some(r) = t.strip_prefix('Q').or_else(|| t.strip_prefix('q')) {
        let r = r.trim_start_matches(|c: char| c.is_ascii_digit());
        r.strip_prefix(':')
            .or_else(|| r.strip_prefix('.').filter(|x| x.starts_with(' ')))?
    } else {
        let lower = t.get(..9)?.to_ascii_lowercase();
        (lower == "question:").then(|| &t[9..])?
    };
    Some(strip_emphasis(rest))
}

/// The text after an `A:` or `Answer:` marker, if the line has one.
fn answer_marker(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(['*', '_']).trim_start();
    let rest = t.strip_prefix("A:").or_else(|| {
        let lower = t.get(..7)?.to_ascii_lowercase();
        (lower == "answer:").then(|| &t[7..])
    })?;
    Some(rest.trim_start_matches(['*', '_']).trim())
}

fn atx_heading(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &t[hashes..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some(strip_emphasis(rest.trim().trim_end_matches('#')))
}

fn is_list_item(t: &str) -> bool {
    t.starts_with(['-', '*', '+', '•', '◦', '▪', '>'])
        || t.split_once(['.', ')']).is_some_and(|(n, _)| {
            !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Could this line be a section heading of a plain-text page?
fn heading_like(t: &str) -> bool {
    let words = t.split_whitespace().count();
    t.chars().count() <= 60
        && (1..=8).contains(&words)
        && t.chars().next().is_some_and(char::is_alphanumeric)
        && !t.ends_with(['.', ',', ':', ';', '!', '?', '"', '\''])
        && !is_list_item(t)
        && !t.contains(['`', '=', '(', '{', '['])
}

fn classify(line: &str, markdown: bool) -> Line {
    let t = line.trim();
    if t.is_empty() {
        return Line::Blank;
    }
    if markdown {
        if let Some(h) = atx_heading(t) {
            return match question_marker(h) {
                Some(q) => Line::Question(q.to_string()),
                None if h.ends_with('?') => Line::Question(h.to_string()),
                None if h.is_empty() => Line::Drop,
                None => Line::Heading(h.to_string()),
            };
        }
    }
    if let Some(q) = question_marker(t) {
        return Line::Question(q.to_string());
    }
    let bare = strip_tags(t);
    let key = strip_emphasis(&bare)
        .trim_matches(['[', ']', '(', ')', ':', '▸', '▶', '▾', '▼', ' '])
        .to_lowercase();
    if DROPPED.contains(&key.as_str()) || (bare.trim().is_empty() && t.contains('<')) {
        return Line::Drop;
    }
    if let Some(a) = answer_marker(t) {
        return if a.is_empty() {
            Line::Drop
        } else {
            Line::Text(a.to_string())
        };
    }
    Line::Text(line.trim_end().to_string())
}

/// Finds the questions of a page of notes, in order.
pub fn parse_notes(text: &str) -> Vec<Note> {
    let text = text.trim_start_matches('\u{feff}');
    let raw: Vec<&str> = text.lines().collect();
    // Code fences hide headings and markers; find them once.
    let mut in_fence = false;
    let fenced: Vec<bool> = raw
        .iter()
        .map(|l| {
            let fence = l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~");
            let inside = in_fence || fence;
            if fence {
                in_fence = !in_fence;
            }
            inside
        })
        .collect();
    let markdown = raw
        .iter()
        .zip(&fenced)
        .any(|(l, f)| !f && atx_heading(l).is_some());
    let mut lines: Vec<Line> = raw
        .iter()
        .zip(&fenced)
        .map(|(l, &f)| {
            if f {
                Line::Text(l.trim_end().to_string())
            } else {
                classify(l, markdown)
            }
        })
        .collect();
    if !markdown {
        // A short line alone between blank lines is a section heading.
        let blank = |i: Option<usize>| {
            i.and_then(|i| lines.get(i))
                .is_none_or(|l| *l == Line::Blank)
        };
        let headings: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                !fenced[i]
                    && matches!(&lines[i], Line::Text(t) if heading_like(t.trim()))
                    && blank(i.checked_sub(1))
                    && blank(Some(i + 1))
            })
            .collect();
        for i in headings {
            if let Line::Text(t) = &lines[i] {
                lines[i] = Line::Heading(t.trim().to_string());
            }
        }
    }

    let mut notes = Vec::new();
    let mut section: Option<String> = None;
    let mut current: Option<(Note, Vec<String>)> = None;
    let finish = |current: &mut Option<(Note, Vec<String>)>, notes: &mut Vec<Note>| {
        if let Some((mut note, body)) = current.take() {
            note.answer = tidy_answer(&body);
            notes.push(note);
        }
    };
    for (i, line) in lines.into_iter().enumerate() {
        match line {
            Line::Heading(h) => {
                finish(&mut current, &mut notes);
                section = Some(h);
            }
            Line::Question(q) => {
                finish(&mut current, &mut notes);
                let note = Note {
                    line: i + 1,
                    section: section.clone(),
                    question: q,
                    answer: String::new(),
                };
                current = Some((note, Vec::new()));
            }
            Line::Text(t) => {
                if let Some((note, body)) = &mut current {
                    // `Q:` alone on its line: the question is the next paragraph.
                    if note.question.is_empty() {
                        note.question = strip_emphasis(&t).to_string();
                    } else {
                        body.push(t);
                    }
                }
            }
            Line::Blank => {
                if let Some((_, body)) = &mut current {
                    body.push(String::new());
                }
            }
            Line::Drop => {}
        }
    }
    finish(&mut current, &mut notes);
    notes
}

/// Answer lines as a model answer: bullets as `- `, no stray indentation,
/// paragraphs separated by one blank line (code blocks kept as they are).
fn tidy_answer(lines: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in lines {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            out.push(t.to_string());
            continue;
        }
        if in_fence {
            out.push(line.clone());
            continue;
        }
        if t.is_empty() {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        let t = t
            .strip_prefix(['•', '◦', '▪'])
            .map_or_else(|| t.to_string(), |rest| format!("- {}", rest.trim_start()));
        out.push(t);
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTES: &str = "Skip to content\n\nInterview notes\n\nSome intro text that is not a question.\n\nRAG and retrieval\n\nQ: What is HyDE and when does it help?\n\nShow answer\n\nHyDE generates a hypothetical answer with the LLM. It then embeds that answer for retrieval.\n\nIt helps when the query is short. It hurts when the hypothetical answer is wrong, because retrieval follows a false premise.\n\nQ: What is a reranker?\n\nShow answer\n\nA cross-encoder scores each (query, document) pair:\n\n  • It is accurate because it sees both texts together\n  • It is slow, so it only reorders the top candidates\n\nFine-tuning\n\nQ: What is LoRA?\n\nShow answer\n\nLoRA freezes the base weights and trains two small low-rank matrices. Only those need gradients and optimizer state, so memory drops sharply. At inference the product is merged into the weights, so there is no extra latency.\n\n02-portfolio | 04-design\n";

    #[test]
    fn plain_text_sections_become_topics_and_widgets_are_dropped() {
        let notes = parse_notes(NOTES);
        let got: Vec<(Option<&str>, &str)> = notes
            .iter()
            .map(|n| (n.section.as_deref(), n.question.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some("RAG and retrieval"),
                    "What is HyDE and when does it help?"
                ),
                (Some("RAG and retrieval"), "What is a reranker?"),
                (Some("Fine-tuning"), "What is LoRA?"),
            ]
        );
        assert!(
            notes[0].answer.starts_with("HyDE generates"),
            "{}",
            notes[0].answer
        );
        assert!(notes[0].answer.contains("\n\nIt helps"), "paragraphs kept");
        assert!(!notes[0].answer.contains("Show answer"));
        assert!(
            notes[1].answer.contains("\n- It is accurate"),
            "{}",
            notes[1].answer
        );
        assert!(
            !notes[2].answer.contains("02-portfolio"),
            "page footer is not part of the answer"
        );
        assert_eq!(notes[0].line, 9);
    }

    #[test]
    fn markdown_headings_ending_in_a_question_mark_are_questions() {
        let md = "# Notes\n\n## Agents\n\n### What is ReAct?\n\nThought, action, observation, in a loop.\nShort line\n\n**Q:** Why stop at `Observation:`?\n\n**A:** So the tool result is real.\n\n<details><summary>Show answer</summary>\n\n```python\n# not a heading\nstop = [\"Observation:\"]\n```\n\n</details>\n";
        let notes = parse_notes(md);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(notes[0].section.as_deref(), Some("Agents"));
        assert_eq!(notes[0].question, "What is ReAct?");
        assert!(
            notes[0].answer.ends_with("Short line"),
            "no plain headings in Markdown: {}",
            notes[0].answer
        );
        assert_eq!(notes[1].question, "Why stop at `Observation:`?");
        assert!(notes[1].answer.starts_with("So the tool result is real."));
        assert!(
            notes[1].answer.contains("# not a heading"),
            "{}",
            notes[1].answer
        );
        assert!(!notes[1].answer.contains("details"), "{}", notes[1].answer);
    }
}
