//! `grill bank import NOTES [--out DIR] [--topic T]`: a page of interview
//! notes into new bank files, one per section. Key points are drafted by the
//! judge when one is configured, from the answers' sentences otherwise
//! (marked `# TODO: review`). Files are checked before anything is written,
//! and never written over an existing file.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::bank::draft::{draft_key_points, draft_schema, parse_drafted};
use crate::bank::notes::{parse_notes, Note};
use crate::bank::slug::{question_id, slugify, unique};
use crate::bank::write::{minutes_for, render_bank_file, wants_example, write_all_new, Drafted};
use crate::bank::{self, is_slug, Bank};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::grading::JudgeGrader;
use crate::prompts::DRAFT_KEY_POINTS;
use crate::store::GradedBy;
use crate::style::{BOLD, CYAN, DIM, YELLOW};
use crate::text::sanitize;
use crate::ui::render;

/// The flags of `grill bank import` beyond its file and directory.
pub struct Options<'a> {
    pub topic: Option<&'a str>,
    pub merge: bool,
    /// `--judge`: the notes may go to the judge without asking.
    pub use_judge: bool,
}

/// `grill bank import FILE [--out DIR] [--topic T] [--merge] [--judge]`.
pub fn run(ctx: &Context, file: &Path, out_dir: &Path, options: &Options<'_>) -> Result<()> {
    let (topic, merge) = (options.topic, options.merge);
    let settings = &ctx.settings;
    if let Some(t) = topic {
        if !is_slug(t) {
            return Err(Error::input(format!(
                "--topic `{t}` must be a slug: lowercase letters, digits, `-`"
            ))
            .with_hint(format!("for example --topic {}", slugify(t))));
        }
    }
    let shown = file.display().to_string();
    let kept = read_notes(file)?;
    let groups = group(kept, file, topic);

    // Ids must be unique across every bank loaded alongside, the output directory included.
    let mut sources = bank::builtin_sources();
    for dir in settings
        .bank_dirs
        .iter()
        .map(PathBuf::as_path)
        .chain([out_dir])
    {
        if let Ok(more) = bank::dir_sources(dir) {
            sources.extend(more);
        }
    }
    let (loaded, _) = Bank::from_sources(&sources);
    let groups = check_topics(groups, &loaded, merge)?;
    warn_duplicates(file, &groups, &loaded)?;
    let mut taken: HashSet<String> = loaded.questions.iter().map(|q| q.id.clone()).collect();
    // Nothing is written over an existing file.
    let targets: Vec<PathBuf> = groups
        .iter()
        .map(|(slug, _, _)| out_dir.join(format!("{slug}.toml")))
        .collect();
    if let Some(existing) = targets.iter().find(|p| crate::bank::write::occupied(p)) {
        return Err(Error::input(format!(
            "`{}` already exists; not overwritten",
            existing.display()
        ))
        .with_hint("write into another directory with --out, or move the file away"));
    }

    let total: usize = groups.iter().map(|(_, _, n)| n.len()).sum();
    let judge = if consent(ctx, options.use_judge, total)? {
        match ctx.judge() {
            Ok(judge) => Some(judge.as_ref()),
            Err(e) => {
                let _ = writeln!(
                    render::stderr(),
                    "{YELLOW}warning{YELLOW:#}: {}; drafting key points from the answers instead",
                    sanitize(&e.message)
                );
                None
            }
        }
    } else {
        None
    };
    let drafted = draft_all(ctx, judge, &groups, &mut taken, total)?;

    // Render, check that each file parses back cleanly, then write.
    let origin = file
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let origin = sanitize(&origin).replace(['\n', '\t'], " ");
    let mut files = Vec::new();
    for ((slug, title, _), (questions, path)) in
        groups.iter().zip(drafted.into_iter().zip(&targets))
    {
        let text = render_bank_file(slug, title, &origin, &questions);
        let parsed = bank::parse(&text, &path.display().to_string(), slug);
        if !parsed.diagnostics.is_empty() {
            return Err(bank::diagnostics_error(&parsed.diagnostics)
                .with_hint("this is a bug in `grill bank import`; nothing was written"));
        }
        files.push((path.clone(), text, questions));
    }
    write_files(&files, out_dir, total)
}

/// Whether the notes may go to the judge: `--judge` says yes; a terminal
/// is asked (the default is no: the answers' sentences draft the points);
/// off a terminal, nobody can answer, so the flag is required. Without a
/// judge configured there is nothing to ask.
fn consent(ctx: &Context, use_judge: bool, questions: usize) -> Result<bool> {
    let settings = &ctx.settings;
    if let Some(why) = settings.judge_unavailable() {
        if use_judge {
            return Err(Error::input(format!("--judge: {why}"))
                .with_hint("`grill doctor` checks the judge's settings"));
        }
        return Ok(false);
    }
    if use_judge {
        return Ok(true);
    }
    let what = format!(
        "{} to the judge llm:{} at {}",
        crate::text::plural(questions, "question", "questions"),
        settings.model.value,
        crate::config::display_url(&settings.base_url.value)
    );
    use std::io::IsTerminal;
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::input(format!(
            "`bank import` would send {what} to draft key points; nobody is at a terminal to agree"
        ))
        .with_hint(
            "pass --judge to send them, or --offline to draft from the answers' sentences",
        ));
    }
    let mut err = render::stderr();
    write!(
        err,
        "Draft the key points by sending {what} ({})? [y/N] › ",
        crate::text::plural(questions, "call", "calls")
    )?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let yes = matches!(line.trim(), "y" | "Y" | "yes");
    if !yes {
        render::note("Drafting from the answers' sentences instead; the judge was not called.");
    }
    Ok(yes)
}

/// Writes the checked files and says what was written and what to check.
fn write_files(
    files: &[(PathBuf, String, Vec<Drafted>)],
    out_dir: &Path,
    total: usize,
) -> Result<()> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::io(out_dir, "create output directory", &e))?;
    // Every file or none: a failure half way must not leave the first topics written.
    let all: Vec<(&Path, &str)> = files
        .iter()
        .map(|(path, text, _)| (path.as_path(), text.as_str()))
        .collect();
    write_all_new(&all)?;
    let mut out = render::stdout();
    let mut todo = 0;
    for (path, _, questions) in files {
        todo += questions.iter().filter(|q| q.drafted_by.is_none()).count();
        writeln!(
            out,
            "wrote {CYAN}{}{CYAN:#}  {}",
            path.display(),
            if questions.len() == 1 {
                "1 question".to_string()
            } else {
                format!("{} questions", questions.len())
            }
        )?;
    }
    writeln!(
        out,
        "{BOLD}{total} question{} imported into {} file{}.{BOLD:#}",
        if total == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    )?;
    if todo > 0 {
        writeln!(
            out,
            "{DIM}The key points of {todo} question{} were drafted from the answers' sentences and marked `# TODO: review`; edit them before relying on the grades.{DIM:#}",
            if todo == 1 { "" } else { "s" }
        )?;
    }
    writeln!(
        out,
        "{DIM}Check with `grill bank check {0}`; practise with `grill --bank {0} practice`.{DIM:#}",
        out_dir.display()
    )?;
    Ok(())
}

/// Topics of the notes that the loaded banks already have, by slug or by
/// title: refused, all named at once, unless `--merge`, which adds the
/// questions to the loaded topic (its slug, so they load into it).
fn check_topics(
    groups: Vec<(String, String, Vec<Note>)>,
    loaded: &Bank,
    merge: bool,
) -> Result<Vec<(String, String, Vec<Note>)>> {
    let same = |slug: &str, title: &str| {
        loaded
            .topics
            .iter()
            .find(|t| t.slug == slug || t.title.trim().eq_ignore_ascii_case(title.trim()))
    };
    let mut clashes = Vec::new();
    let mut merged: Vec<(String, String, Vec<Note>)> = Vec::new();
    for (slug, title, notes) in groups {
        let (slug, title) = match same(&slug, &title) {
            Some(t) if merge => (t.slug.clone(), t.title.clone()),
            Some(t) => {
                clashes.push(format!(
                    "`{slug}` (\"{}\") is the loaded topic `{}` (\"{}\")",
                    sanitize(&title),
                    t.slug,
                    sanitize(&t.title)
                ));
                (slug, title)
            }
            None => (slug, title),
        };
        match merged.iter_mut().find(|(s, _, _)| *s == slug) {
            Some((_, _, more)) => more.extend(notes),
            None => merged.push((slug, title, notes)),
        }
    }
    if clashes.is_empty() {
        return Ok(merged);
    }
    Err(Error::input(format!(
        "{} of the notes would merge into topics the loaded banks already have",
        crate::text::plural(clashes.len(), "topic", "topics")
    ))
    .with_details(clashes)
    .with_hint("pass --merge to add the questions to those topics, or --topic T to import them as a new topic"))
}

/// Content words of a question, for telling likely duplicates.
fn content_words(text: &str) -> HashSet<String> {
    crate::bank::slug::raw_words(text)
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !crate::bank::slug::is_stopword(w))
        .map(|w| w.trim_end_matches('s').to_string())
        .collect()
}

/// The loaded question a note's question most likely repeats, if any: half
/// or more of their content words shared.
pub fn likely_duplicate<'b>(question: &str, loaded: &'b Bank) -> Option<&'b crate::bank::Question> {
    let mine = content_words(question);
    if mine.is_empty() {
        return None;
    }
    loaded
        .questions
        .iter()
        .map(|q| {
            let theirs = content_words(&q.question);
            let shared = mine.intersection(&theirs).count() as f64;
            let union = mine.union(&theirs).count().max(1) as f64;
            (shared / union, q)
        })
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, q)| q)
}

/// Warns about each note whose question looks like one already loaded.
fn warn_duplicates(
    file: &Path,
    groups: &[(String, String, Vec<Note>)],
    loaded: &Bank,
) -> Result<()> {
    let mut stderr = render::stderr();
    for note in groups.iter().flat_map(|(_, _, notes)| notes) {
        if let Some(q) = likely_duplicate(&note.question, loaded) {
            writeln!(
                stderr,
                "{YELLOW}warning{YELLOW:#}: {}:{}: looks like the loaded question `{}` (\"{}\"); imported anyway: delete it from the new file if it is the same question",
                sanitize(&file.display().to_string()),
                note.line,
                q.id,
                sanitize(&q.question)
            )?;
        }
    }
    Ok(())
}

/// The questions of the notes file that have an answer; the others are warned about.
fn read_notes(file: &Path) -> Result<Vec<Note>> {
    let bytes = bank::read_capped(file)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::input(format!("`{}` is not UTF-8 text", file.display())))?;
    let shown = file.display().to_string();
    let notes = parse_notes(&text);
    let mut stderr = render::stderr();
    let mut kept = Vec::new();
    for note in notes {
        if note.question.trim().is_empty() {
            writeln!(
                stderr,
                "{YELLOW}warning{YELLOW:#}: {}:{}: a `Q:` with no question text; skipped",
                sanitize(&shown),
                note.line
            )?;
        } else if note.answer.trim().is_empty() {
            writeln!(
                stderr,
                "{YELLOW}warning{YELLOW:#}: {}:{}: question has no answer below it; skipped",
                sanitize(&shown),
                note.line
            )?;
        } else {
            kept.push(note);
        }
    }
    if kept.is_empty() {
        return Err(Error::input(format!("no questions with answers found in `{shown}`"))
            .with_hint("start each question with `Q:`, or make it a Markdown heading ending in `?`; its answer follows it"));
    }
    Ok(kept)
}

/// Notes grouped by topic, in order of first appearance: `--topic`, else
/// the section heading, else the file's name.
fn group(kept: Vec<Note>, file: &Path, topic: Option<&str>) -> Vec<(String, String, Vec<Note>)> {
    let fallback = file
        .file_stem()
        .map(|s| slugify(&s.to_string_lossy()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "imported".into());
    let mut groups: Vec<(String, String, Vec<Note>)> = Vec::new();
    for note in kept {
        let (slug, title) = match (topic, &note.section) {
            (Some(t), _) => (t.to_string(), t.to_string()),
            (None, Some(h)) if !slugify(h).is_empty() => (slugify(h), h.clone()),
            (None, _) => (fallback.clone(), fallback.clone()),
        };
        match groups.iter_mut().find(|(s, _, _)| *s == slug) {
            Some((_, _, notes)) => notes.push(note),
            None => groups.push((slug, title, vec![note])),
        }
    }
    groups
}

/// Drafts every question's key points: through the judge while it answers,
/// from the sentences otherwise.
fn draft_all(
    ctx: &Context,
    judge: Option<&JudgeGrader>,
    groups: &[(String, String, Vec<Note>)],
    taken: &mut HashSet<String>,
    total: usize,
) -> Result<Vec<Vec<Drafted>>> {
    let rt = if judge.is_some() {
        Some(ctx.runtime()?)
    } else {
        None
    };
    let bar = ctx.activity.bar(
        total as u64,
        "{spinner} drafting key points {pos}/{len} {msg}",
    );
    let mut judge = judge.zip(rt);
    let mut result = Vec::new();
    for (_, _, notes) in groups {
        let mut drafted = Vec::new();
        for note in notes {
            let id = unique(&question_id(&note.question), taken);
            let mut by_judge = None;
            if let Some((judge_ctx, rt)) = &judge {
                let user = format!(
                    "Question:\n{}\n\nModel answer:\n{}",
                    note.question, note.answer
                );
                let messages = [("system", DRAFT_KEY_POINTS), ("user", user.as_str())];
                let reply = rt.block_on(judge_ctx.judge().complete(&messages, &draft_schema()));
                match reply
                    .map_err(|e| e.to_string())
                    .and_then(|r| parse_drafted(&r.text))
                {
                    Ok(points) => {
                        let by = GradedBy::Judge(judge_ctx.model().to_string());
                        by_judge = Some((points, by.label()));
                    }
                    Err(why) => {
                        bar.suspend(|| {
                            render::note(&format!(
                                "warning: the judge could not draft key points for `{id}` ({why}); drafting from the answers instead"
                            ));
                        });
                        // A server that fails once would fail (slowly) for every question.
                        judge = None;
                    }
                }
            }
            let (key_points, drafted_by) = match by_judge {
                Some((points, by)) => (points, Some(by)),
                None => (draft_key_points(&note.question, &note.answer), None),
            };
            drafted.push(Drafted {
                id,
                question: note.question.replace('\n', " "),
                minutes: minutes_for(&note.answer),
                wants_example: wants_example(&note.question),
                model_answer: note.answer.clone(),
                key_points,
                drafted_by,
            });
            bar.inc(1);
        }
        result.push(drafted);
    }
    Ok(result)
}
