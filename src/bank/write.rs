//! Writing bank files: the TOML of imported questions, the template of
//! `bank new`, and writing a new file so that a reader never sees half of it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::model::KeyPoint;
use crate::error::{Error, Result};

/// A question ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Drafted {
    pub id: String,
    pub question: String,
    pub model_answer: String,
    pub minutes: u32,
    pub wants_example: bool,
    pub key_points: Vec<KeyPoint>,
    /// Who drafted the key points; `None` for the sentence heuristic, which is marked `# TODO: review`.
    pub drafted_by: Option<String>,
}

/// A TOML string on one line, quoted and escaped by the `toml` crate.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML multi-line basic string, its text starting on the line after `"""`.
fn toml_block(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("\"\"\"\n");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push_str("\n\"\"\"");
    out
}

fn toml_list(items: &[String]) -> String {
    toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect()).to_string()
}

/// The text of one bank file.
pub fn render_bank_file(topic: &str, title: &str, origin: &str, questions: &[Drafted]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# Imported from {origin} by `grill bank import`.");
    if questions.iter().any(|q| q.drafted_by.is_none()) {
        let _ = writeln!(
            s,
            "# Key points marked `# TODO: review` were drafted from the answer's own sentences:"
        );
        let _ = writeln!(
            s,
            "# rewrite each as one fact or tradeoff an interviewer listens for, set its weight"
        );
        let _ = writeln!(s, "# (1-3) and cues, then delete the marker.");
    }
    let _ = writeln!(s, "# Check the file with `grill bank check DIR`.");
    let _ = writeln!(s);
    let _ = writeln!(s, "topic = {}", toml_str(topic));
    let _ = writeln!(s, "title = {}", toml_str(title));
    for q in questions {
        let _ = writeln!(s);
        let _ = writeln!(s, "[[questions]]");
        let _ = writeln!(s, "id = {}", toml_str(&q.id));
        let _ = writeln!(s, "question = {}", toml_str(&q.question));
        let _ = writeln!(s, "difficulty = \"core\"  # core | advanced");
        let _ = writeln!(s, "wants_example = {}", q.wants_example);
        let _ = writeln!(s, "minutes = {}", q.minutes);
        let _ = writeln!(s, "model_answer = {}", toml_block(&q.model_answer));
        for kp in &q.key_points {
            let _ = writeln!(s);
            match &q.drafted_by {
                None => {
                    let _ = writeln!(s, "# TODO: review (drafted from the answer's sentences)");
                }
                Some(by) => {
                    let _ = writeln!(s, "# drafted by {by}; check before use");
                }
            }
            let _ = writeln!(s, "[[questions.key_points]]");
            let _ = writeln!(s, "id = {}", toml_str(&kp.id));
            let _ = writeln!(s, "point = {}", toml_str(&kp.point));
            let _ = writeln!(s, "weight = {}", kp.weight);
            let _ = writeln!(s, "cues = {}", toml_list(&kp.cues));
        }
    }
    s
}

/// Suggested minutes: about 50 spoken words a minute, thinking included.
pub fn minutes_for(answer: &str) -> u32 {
    let words = answer.split_whitespace().count() as u32;
    words.div_ceil(50).clamp(2, 6)
}

pub fn wants_example(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "your own",
        "tell me about a time",
        "describe a time",
        "a project you",
        "you have built",
        "you built",
        "your experience",
    ]
    .iter()
    .any(|p| q.contains(p))
}

/// Who may read a file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// As the umask says: bank files, meant to be shared.
    Umask,
    /// Its owner only (0600), whatever the umask: exports, which hold
    /// answers as the database (0600) does.
    Owner,
}

/// Whether anything is at `path`, a symlink included, dangling or not
/// (`Path::exists` follows it, and says no for a dangling one).
pub fn occupied(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Writes `text` to a temporary file beside `path`, then renames it into
/// place, so a reader never sees half of it and a failure leaves nothing
/// behind. Anything at `path` (a symlink too, even a dangling one) is
/// replaced only when `replace` is set; a symlink is replaced, never
/// written through.
pub fn write_atomic(path: &Path, text: &str, replace: bool, access: Access) -> Result<()> {
    let tmp = write_temp(path, text, access)?;
    place(&tmp, path, replace)
}

/// New files, all of them or none: each written to a temporary file beside
/// it first, then each renamed into place. A failure on the way (a full
/// disk, a name the file system refuses, a file that appeared meanwhile)
/// removes every temporary file and every file already placed, so an
/// import that cannot finish leaves nothing half done.
pub fn write_all_new(files: &[(&Path, &str)]) -> Result<()> {
    let mut temps: Vec<PathBuf> = Vec::with_capacity(files.len());
    for (path, text) in files {
        match write_temp(path, text, Access::Umask) {
            Ok(tmp) => temps.push(tmp),
            Err(e) => {
                for tmp in &temps {
                    let _ = std::fs::remove_file(tmp);
                }
                return Err(e);
            }
        }
    }
    for (i, ((path, _), tmp)) in files.iter().zip(&temps).enumerate() {
        if let Err(e) = place(tmp, path, false) {
            for (placed, _) in &files[..i] {
                let _ = std::fs::remove_file(placed);
            }
            for tmp in &temps[i..] {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// `text` in a new temporary file beside `path`, synced; removed again if
/// writing it fails.
fn write_temp(path: &Path, text: &str, access: Access) -> Result<PathBuf> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        if access == Access::Owner {
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(Error::io(path, "write", &e))
        }
    }
}

/// Renames a written temporary file to `path`; refused, and the temporary
/// file removed, when something is at `path` and `replace` is not set.
fn place(tmp: &Path, path: &Path, replace: bool) -> Result<()> {
    if !replace && occupied(path) {
        let _ = std::fs::remove_file(tmp);
        return Err(Error::input(format!(
            "`{}` already exists; not overwritten",
            path.display()
        )));
    }
    std::fs::rename(tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        Error::io(path, "write", &e)
    })
}

/// The commented template of `bank new`; it passes `bank check` as it is.
pub fn template(topic: &str) -> String {
    let title = {
        let words = topic.replace(['-', '_'], " ");
        let mut c = words.chars();
        c.next()
            .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
    };
    format!(
        r#"# A grill question bank: one file per topic, named after it ({topic}.toml).
# Put it in a directory and load it with `grill --bank DIR practice`, or list the
# directory under `bank_dirs` in the config. `grill bank check DIR` reports every
# problem with its line and column. This template passes the check as it is:
# replace the example question with your own, and copy the [[questions]] block
# (with its key points) once per question.

topic = "{topic}"   # slug: lowercase letters, digits, `-`; must match the file name
title = "{title}"   # shown by `grill topics`

[[questions]]
id = "{topic}-example"   # stable slug, unique across all banks; never reuse one for another question
question = "What is an embedding, and why does semantic search use embeddings instead of keywords?"
difficulty = "core"   # core | advanced
wants_example = false   # true: a strong answer needs an example from the candidate's own work
minutes = 3   # suggested time to answer, 1 to 60
model_answer = """
An embedding is a dense vector produced by a model so that texts with similar
meaning land close together; closeness is measured with cosine similarity or a
dot product.

Semantic search embeds the documents once, ahead of time, stores the vectors in
an index, and at query time embeds the query and returns its nearest neighbours.
Unlike keyword search it finds paraphrases and synonyms ("car" matches
"automobile"), but it can miss exact identifiers such as error codes, which is
why many systems combine both (hybrid search).
"""

# Three to seven key points per question: the facts and tradeoffs an interviewer
# listens for, each one sentence a judge can mark as said / half said / not said.
[[questions.key_points]]
id = "dense-vector"   # slug, unique inside the question
point = "An embedding is a vector in which texts with similar meaning are close together"
weight = 3   # 1 to 3: how much the point counts; default 1
cues = ["vector", "similar|close|nearby|meaning"]   # offline hints: alternatives split by |, matched as word prefixes

[[questions.key_points]]
id = "precomputed-index"
point = "Document vectors are computed ahead of time and indexed; only the query is embedded at search time"
weight = 2
cues = ["index|precomput|ahead of time|offline", "query"]

[[questions.key_points]]
id = "synonyms-vs-exact"
point = "It matches paraphrases and synonyms that keywords miss, but can miss exact terms, so hybrid search combines both"
weight = 2
cues = ["synonym|paraphras|meaning", "exact|keyword|hybrid|bm25"]
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::draft::draft_key_points;
    use crate::bank::parse;

    #[test]
    fn rendered_files_parse_back_cleanly_even_with_awkward_text() {
        let answer = "Quotes \"\"\" and backslashes \\ and a tab\there. Then \u{1b}[31m an escape. Another sentence with enough words.";
        let q = Drafted {
            id: "odd".into(),
            question: "Is \"this\" \\ odd?".into(),
            model_answer: answer.into(),
            minutes: 3,
            wants_example: false,
            key_points: draft_key_points("odd", answer),
            drafted_by: None,
        };
        let text = render_bank_file(
            "weird",
            "Weird \"title\"",
            "notes.md",
            std::slice::from_ref(&q),
        );
        let parsed = parse(&text, "weird.toml", "weird");
        assert!(
            parsed.diagnostics.is_empty(),
            "{:?}\n{text}",
            parsed.diagnostics
        );
        assert_eq!(parsed.questions[0].model_answer, answer);
        assert_eq!(parsed.questions[0].question, q.question);
        assert!(text.contains("# TODO: review"));
    }

    #[test]
    fn the_template_passes_the_check_as_it_is() {
        for topic in ["my-topic", "system-design"] {
            let parsed = parse(&template(topic), "t.toml", topic);
            assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
            assert_eq!(parsed.questions[0].key_points.len(), 3);
        }
    }
}
