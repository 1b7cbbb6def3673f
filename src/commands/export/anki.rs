//! The Anki export: the bank's questions as notes of Anki's text import,
//! the question on the front, the model answer and key points on the back
//! (as HTML), the topic and difficulty as tags, a guid per question.

use super::sheet::{clean, export_error, finish};
use crate::bank::Question;
use crate::error::Result;

/// The columns of the Anki file; `TAGS_COLUMN` and `GUID_COLUMN` count from 1.
const ANKI_COLUMNS: [&str; 4] = ["Front", "Back", "Tags", "GUID"];
const TAGS_COLUMN: usize = 3;
const GUID_COLUMN: usize = 4;

/// Plain text as HTML for an Anki field: `&`, `<`, `>` escaped, line breaks
/// as `<br>`. Double quotes stay: they are text in HTML, and the file's
/// quoting takes care of them.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in clean(text.trim()).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// One Anki tag: no white space inside, as Anki separates tags by it.
fn tag(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join("_"))
        .collect::<Vec<_>>()
        .join("::")
}

/// The front of a note: the question, and the reminder to tell a story
/// when the question wants one.
fn front(q: &Question) -> String {
    let mut s = html(&q.question);
    if q.wants_example {
        s.push_str("<br><br><i>Include an example from your own work.</i>");
    }
    s
}

/// The back of a note: the model answer, then the key points as a list.
fn back(q: &Question) -> String {
    let mut s = html(&q.model_answer);
    s.push_str("<br><br><b>Key points</b><ul>");
    for kp in &q.key_points {
        s.push_str("<li>");
        s.push_str(&html(&kp.point));
        s.push_str("</li>");
    }
    s.push_str("</ul>");
    s
}

/// Anki's text-import file for `questions`: header lines, then one
/// tab-separated note per question (front, back, tags, guid). The guid is
/// `grill-<id>`, so importing a newer export updates the notes it made
/// instead of adding copies.
pub fn anki(questions: &[&Question]) -> Result<String> {
    let head = format!(
        "#separator:tab\n#html:true\n#notetype:Basic\n#columns:{}\n#tags column:{TAGS_COLUMN}\n#guid column:{GUID_COLUMN}\n",
        ANKI_COLUMNS.join("\t")
    );
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .terminator(csv::Terminator::Any(b'\n'))
        // A note whose first field began with `#` would be read as a header
        // or comment line: the writer quotes any field holding one.
        .comment(Some(b'#'))
        .from_writer(head.into_bytes());
    for q in questions {
        let tags = format!(
            "{} {}",
            tag(&["grill", "topic", &q.topic]),
            tag(&["grill", "difficulty", &q.difficulty.to_string()])
        );
        let guid = format!("grill-{}", q.id);
        w.write_record([front(q), back(q), tags, guid])
            .map_err(|e| export_error(&e))?;
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};
    use crate::commands::export::sheet::read_back;

    fn question(id: &str, text: &str) -> Question {
        Question {
            id: id.into(),
            topic: "rag".into(),
            question: text.into(),
            difficulty: Difficulty::Advanced,
            wants_example: false,
            minutes: 3,
            model_answer: "Use <b> & \"quotes\".\r\nSecond\tline.\n".into(),
            key_points: vec![KeyPoint {
                id: "k".into(),
                point: "a < b".into(),
                weight: 1,
                cues: vec![],
            }],
            sources: vec![],
            reviewed: None,
            follow_up: None,
        }
    }

    #[test]
    fn html_escapes_markup_and_breaks_lines() {
        assert_eq!(
            html("  a <b> & \"c\"\r\nd\u{1b}[2J\n"),
            "a &lt;b&gt; &amp; \"c\"<br>d\u{fffd}[2J"
        );
    }

    #[test]
    fn tags_hold_no_white_space() {
        assert_eq!(
            tag(&["grill", "topic", "my topic"]),
            "grill::topic::my_topic"
        );
    }

    #[test]
    fn an_anki_note_has_four_fields_and_survives_awkward_text() {
        let mut q = question("odd", "# Why\tis \"this\"\nodd?");
        q.wants_example = true;
        let text = anki(&[&q]).unwrap();
        assert!(text.starts_with("#separator:tab\n#html:true\n"), "{text}");
        assert!(text.contains("\n#tags column:3\n"), "{text}");
        assert!(
            text.contains("\n\"# Why\tis \"\"this\"\"<br>odd?"),
            "a field starting with `#` is quoted, its quotes doubled: {text}"
        );
        let rows = read_back(&text, b'\t');
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];
        assert_eq!(
            row[0],
            "# Why\tis \"this\"<br>odd?<br><br><i>Include an example from your own work.</i>"
        );
        assert_eq!(
            row[1],
            "Use &lt;b&gt; &amp; \"quotes\".<br>Second\tline.<br><br><b>Key points</b><ul><li>a &lt; b</li></ul>"
        );
        assert_eq!(row[2], "grill::topic::rag grill::difficulty::advanced");
        assert_eq!(row[3], "grill-odd");
    }
}
