//! The question bank: TOML files, one per topic, parsed into plain data.
//!
//! `parse` reads one file into questions and every problem found, each at
//! its line and column; this module holds the data, loads the built-in bank
//! and user directories, and checks what only the whole bank can show
//! (ids unique across files). `notes`, `slug`, `draft` and `write` turn a
//! page of interview notes into new bank files.

pub mod draft;
mod fields;
mod model;
pub mod notes;
mod parse;
mod points;
pub mod slug;
pub mod write;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use model::{is_slug, Diagnostic, Difficulty, KeyPoint, Question, Topic};
pub use parse::{parse, Parsed};

/// The built-in bank, compiled into the binary so `grill` works from anywhere.
const BUILTIN: &[(&str, &str)] = &[
    ("rag.toml", include_str!("../../questions/rag.toml")),
    (
        "llm-apis.toml",
        include_str!("../../questions/llm-apis.toml"),
    ),
    ("agents.toml", include_str!("../../questions/agents.toml")),
    (
        "production.toml",
        include_str!("../../questions/production.toml"),
    ),
    (
        "fine-tuning.toml",
        include_str!("../../questions/fine-tuning.toml"),
    ),
    (
        "evaluation.toml",
        include_str!("../../questions/evaluation.toml"),
    ),
    ("safety.toml", include_str!("../../questions/safety.toml")),
    ("serving.toml", include_str!("../../questions/serving.toml")),
    (
        "embeddings.toml",
        include_str!("../../questions/embeddings.toml"),
    ),
    (
        "agent-security.toml",
        include_str!("../../questions/agent-security.toml"),
    ),
    (
        "transformers.toml",
        include_str!("../../questions/transformers.toml"),
    ),
    (
        "inference-economics.toml",
        include_str!("../../questions/inference-economics.toml"),
    ),
    (
        "debugging.toml",
        include_str!("../../questions/debugging.toml"),
    ),
    (
        "prompt-engineering.toml",
        include_str!("../../questions/prompt-engineering.toml"),
    ),
    (
        "voice-agents.toml",
        include_str!("../../questions/voice-agents.toml"),
    ),
    (
        "system-design.toml",
        include_str!("../../questions/system-design.toml"),
    ),
    (
        "rl-post-training.toml",
        include_str!("../../questions/rl-post-training.toml"),
    ),
    (
        "structured-retrieval.toml",
        include_str!("../../questions/structured-retrieval.toml"),
    ),
    (
        "agent-evaluation.toml",
        include_str!("../../questions/agent-evaluation.toml"),
    ),
    (
        "streaming.toml",
        include_str!("../../questions/streaming.toml"),
    ),
    (
        "privacy-red-teaming.toml",
        include_str!("../../questions/privacy-red-teaming.toml"),
    ),
];

/// Names of the built-in files, for the test that every file in `questions/` is compiled in.
pub fn builtin_file_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(name, _)| *name)
}

/// A source of bank files: their display path, file stem and text.
pub struct Source {
    pub path: String,
    pub stem: String,
    pub text: Cow<'static, str>,
}

/// The built-in files.
pub fn builtin_sources() -> Vec<Source> {
    BUILTIN
        .iter()
        .map(|(name, text)| Source {
            path: format!("<built-in>/{name}"),
            stem: name.trim_end_matches(".toml").to_string(),
            text: Cow::Borrowed(*text),
        })
        .collect()
}

/// The `.toml` files of a user bank directory, sorted by name.
/// The largest bank file read, in bytes: a 10,000-question topic is about
/// 15 MB. Past this the file is refused before it is read, with its size,
/// rather than parsed and checked at any cost.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// A bank (or notes) file's bytes, refused past `MAX_FILE_BYTES` (read
/// within the cap too, should it grow while read).
pub fn read_capped(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let too_big = |size: u64| {
        Error::input(format!(
            "`{}` is {:.1} MiB; a bank file may be at most {} MiB",
            path.display(),
            size as f64 / f64::from(1 << 20),
            MAX_FILE_BYTES >> 20
        ))
        .with_hint("split it into one file per topic")
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "read", &e))?;
    let size = file
        .metadata()
        .map_err(|e| Error::io(path, "read", &e))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(too_big(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, "read", &e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

pub fn dir_sources(dir: &Path) -> Result<Vec<Source>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "read bank directory", &e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::input(format!(
            "bank directory `{}` has no `.toml` files",
            dir.display()
        )));
    }
    paths
        .into_iter()
        .map(|p| {
            let bytes = read_capped(&p)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::input(format!("`{}` is not valid UTF-8", p.display())))?;
            Ok(Source {
                stem: p
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                path: p.display().to_string(),
                text: Cow::Owned(text),
            })
        })
        .collect()
}

/// Every source parsed, in order. Parsing the built-in bank is most of a
/// command's start-up, so the files are parsed on a few threads at once;
/// what is made of them (ids across files, diagnostics) stays in order.
fn parse_all(sources: &[Source]) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(4)
        .min(sources.len());
    if threads <= 1 {
        return sources
            .iter()
            .map(|s| parse(&s.text, &s.path, &s.stem))
            .collect();
    }
    let mut parsed: Vec<Option<Parsed>> = std::iter::repeat_with(|| None)
        .take(sources.len())
        .collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    sources
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, s)| (i, parse(&s.text, &s.path, &s.stem)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            // A parser that panicked is a bug: it panics here as it would have.
            for (i, p) in worker
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
            {
                parsed[i] = Some(p);
            }
        }
    });
    parsed.into_iter().flatten().collect()
}

/// Every question loaded, with its topics, in load order.
#[derive(Debug, Default)]
pub struct Bank {
    pub topics: Vec<Topic>,
    pub questions: Vec<Question>,
    /// Index of each question by id.
    by_id: HashMap<String, usize>,
}

impl Bank {
    /// Parses all sources together: ids must be unique across all of them.
    /// Returns the bank and every diagnostic; a caller that needs a clean bank
    /// treats any diagnostic as fatal.
    pub fn from_sources(sources: &[Source]) -> (Bank, Vec<Diagnostic>) {
        let mut bank = Bank::default();
        let mut diagnostics = Vec::new();
        let mut first_seen: HashMap<String, String> = HashMap::new();
        for (source, parsed) in sources.iter().zip(parse_all(sources)) {
            diagnostics.extend(parsed.diagnostics);
            if let Some(topic) = parsed.topic {
                if !bank.topics.iter().any(|t| t.slug == topic.slug) {
                    bank.topics.push(topic);
                }
            }
            // Every id counts, those of questions with other problems too.
            let mut duplicates = Vec::new();
            for (id, (line, col)) in parsed.ids {
                if let Some(first) = first_seen.get(&id) {
                    diagnostics.push(Diagnostic {
                        path: source.path.clone(),
                        line,
                        col,
                        message: format!("duplicate question id `{id}` (first defined at {first})"),
                    });
                    duplicates.push(id);
                } else {
                    first_seen.insert(id, format!("{}:{line}:{col}", source.path));
                }
            }
            for q in parsed.questions {
                if duplicates.contains(&q.id) {
                    continue;
                }
                bank.by_id.insert(q.id.clone(), bank.questions.len());
                bank.questions.push(q);
            }
        }
        (bank, diagnostics)
    }

    /// The built-in bank plus `dirs`, failing with every diagnostic if any file has a problem.
    pub fn load(dirs: &[PathBuf]) -> Result<Bank> {
        let mut sources = builtin_sources();
        for dir in dirs {
            sources.extend(dir_sources(dir)?);
        }
        let (bank, diagnostics) = Bank::from_sources(&sources);
        if diagnostics.is_empty() {
            Ok(bank)
        } else {
            Err(diagnostics_error(&diagnostics))
        }
    }

    /// The ids of a question's key points, in order; `None` if it is not in the bank.
    pub fn key_point_ids(&self, id: &str) -> Option<Vec<String>> {
        self.get(id)
            .map(|q| q.key_points.iter().map(|k| k.id.clone()).collect())
    }

    pub fn get(&self, id: &str) -> Option<&Question> {
        self.by_id.get(id).map(|&i| &self.questions[i])
    }

    /// The question with `id`, or a usage error that suggests the closest id.
    /// Ids are lowercase slugs, so `HyDE` is `hyde`.
    pub fn require(&self, id: &str) -> Result<&Question> {
        let found = self.get(id).or_else(|| self.get(&id.to_ascii_lowercase()));
        found.ok_or_else(|| {
            let err = Error::input(format!("unknown question `{id}`"));
            match crate::error::closest(id, self.questions.iter().map(|q| q.id.as_str())) {
                Some(near) => err.with_hint(format!("did you mean `{near}`?")),
                None => err.with_hint("`grill list` shows every question id"),
            }
        })
    }

    pub fn topic(&self, slug: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.slug == slug)
    }

    /// The bank's slug for each of `topics`, matched regardless of case
    /// (`RAG` is `rag`); a usage error suggesting the closest one if not.
    pub fn resolve_topics(&self, topics: &[String]) -> Result<Vec<String>> {
        topics.iter().map(|t| self.resolve_topic(t)).collect()
    }

    fn resolve_topic(&self, slug: &str) -> Result<String> {
        if self.topic(slug).is_some() {
            return Ok(slug.to_string());
        }
        let mut alike = self
            .topics
            .iter()
            .filter(|t| t.slug.eq_ignore_ascii_case(slug));
        if let (Some(only), None) = (alike.next(), alike.next()) {
            return Ok(only.slug.clone());
        }
        let err = Error::input(format!("unknown topic `{slug}`"));
        let lower = slug.to_ascii_lowercase();
        Err(
            match crate::error::closest(&lower, self.topics.iter().map(|t| t.slug.as_str())) {
                Some(near) => err.with_hint(format!("did you mean `{near}`?")),
                None => err.with_hint("`grill topics` lists the topics"),
            },
        )
    }

    pub fn in_topic<'a>(&'a self, slug: &'a str) -> impl Iterator<Item = &'a Question> + 'a {
        self.questions.iter().filter(move |q| q.topic == slug)
    }
}

/// The error for a bank with problems: every diagnostic as a detail line.
pub fn diagnostics_error(diagnostics: &[Diagnostic]) -> Error {
    let n = diagnostics.len();
    Error::input(format!(
        "the question bank has {n} problem{}",
        if n == 1 { "" } else { "s" }
    ))
    .with_details(diagnostics.iter().map(ToString::to_string).collect())
    .with_hint("`grill bank check DIR` lists them again; fix each at its line")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
topic = "rag"
title = "RAG and retrieval"

[[questions]]
id = "rag-vs-ft"
question = "Explain RAG."
difficulty = "core"
minutes = 3
model_answer = """
Retrieval puts documents in the context.
"""

[[questions.key_points]]
id = "grounding"
point = "Retrieved text grounds the answer"
weight = 2
cues = ["retriev", "context|prompt"]

[[questions.key_points]]
id = "freshness"
point = "Updating the index needs no retraining"
cues = ["index"]
"#;

    #[test]
    fn duplicate_ids_across_files_are_reported_with_the_first_place() {
        let sources = vec![
            Source {
                path: "a/rag.toml".into(),
                stem: "rag".into(),
                text: Cow::Borrowed(GOOD),
            },
            Source {
                path: "b/more.toml".into(),
                stem: "more".into(),
                text: Cow::Owned(GOOD.replace("topic = \"rag\"", "topic = \"more\"")),
            },
        ];
        let (bank, diags) = Bank::from_sources(&sources);
        assert_eq!(bank.questions.len(), 1);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(
            diags[0].to_string(),
            "b/more.toml:6:6: duplicate question id `rag-vs-ft` (first defined at a/rag.toml:6:6)"
        );
    }
}
