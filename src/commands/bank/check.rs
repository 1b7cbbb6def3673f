//! `grill bank check [DIR...]`: every problem in the banks, one run, each as
//! `path:line:col: message`; then warnings that do not stop a bank from
//! loading but make its grades worse: cues too generic to mean anything,
//! built-in questions whose facts were last checked over a year ago, and
//! key points still marked `# TODO: review` by `grill bank import`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use crate::bank::slug::is_stopword;
use crate::bank::{self, Bank};
use crate::context::Context;
use crate::cues::{alternative_words, Index};
use crate::error::Result;
use crate::style::YELLOW;
use crate::text::plural;
use crate::ui::render;

/// A cue matching the model answers of more than this share of the bank's
/// questions tells the estimate nothing about this one.
const GENERIC_SHARE: f64 = 0.25;
/// A built-in question's facts are due for a new check after this many months.
const REVIEW_MONTHS: i32 = 12;

pub fn run(ctx: &Context, dirs: &[PathBuf]) -> Result<()> {
    // The built-in bank always takes part, so ids that collide with it are caught too.
    let mut sources = bank::builtin_sources();
    let builtin_files = sources.len();
    let checked: &[PathBuf] = if dirs.is_empty() {
        &ctx.settings.bank_dirs
    } else {
        dirs
    };
    for dir in checked {
        sources.extend(bank::dir_sources(dir)?);
    }
    let (bank, diagnostics) = Bank::from_sources(&sources);
    if !diagnostics.is_empty() {
        return Err(bank::diagnostics_error(&diagnostics));
    }
    let (builtin, _) = Bank::from_sources(&sources[..builtin_files]);
    let builtin: HashSet<&str> = builtin.questions.iter().map(|q| q.id.as_str()).collect();
    let today = ctx.clock().now().date_naive();
    let mut warnings = generic_cues(&bank);
    warnings.extend(stale_reviews(&bank, &builtin, today));
    warnings.extend(todo_markers(&sources[builtin_files..]));
    let mut err = render::stderr();
    for w in &warnings {
        writeln!(
            err,
            "{YELLOW}warning{YELLOW:#}: {}",
            crate::text::sanitize(w)
        )?;
    }
    drop(err);
    let files = sources.len();
    writeln!(
        render::stdout(),
        "ok: {} questions in {} topics, {} checked{}",
        bank.questions.len(),
        bank.topics.len(),
        plural(files, "file", "files"),
        if warnings.is_empty() {
            String::new()
        } else {
            format!("; {}", plural(warnings.len(), "warning", "warnings"))
        }
    )?;
    Ok(())
}

/// What the check makes of one cue: an alternative that is only
/// stop-words, or how many model answers it matches.
enum CueCheck {
    StopWords(String),
    Hits(usize),
}

/// Cues that match the model answers of more than a quarter of the bank, or
/// that are only stop-words. The answers are indexed once and each distinct
/// cue checked once: linear in the bank for cues that mean something (a
/// cue's cost grows with the places its words occur).
pub fn generic_cues(bank: &Bank) -> Vec<String> {
    let answers = Index::new(bank.questions.iter().map(|q| q.model_answer.as_str()));
    let mut checked: HashMap<&str, CueCheck> = HashMap::new();
    let limit = (bank.questions.len() as f64 * GENERIC_SHARE).floor() as usize;
    let mut warnings = Vec::new();
    for q in &bank.questions {
        for k in &q.key_points {
            for cue in &k.cues {
                let check = checked.entry(cue.as_str()).or_insert_with(|| {
                    let stop = cue.split('|').find(|alt| {
                        let words = alternative_words(alt);
                        !words.is_empty() && words.iter().all(|w| is_stopword(w))
                    });
                    match stop {
                        Some(alt) => CueCheck::StopWords(alt.to_string()),
                        None => CueCheck::Hits(answers.count(cue)),
                    }
                });
                match check {
                    CueCheck::StopWords(alt) => warnings.push(format!(
                        "`{}` key point `{}`: cue `{}` has `{alt}`, only stop-words; it matches almost any answer",
                        q.id, k.id, cue
                    )),
                    CueCheck::Hits(hits) if bank.questions.len() >= 8 && *hits > limit => {
                        warnings.push(format!(
                            "`{}` key point `{}`: cue `{cue}` matches the model answers of {hits} of {} questions; too generic to tell this point apart",
                            q.id,
                            k.id,
                            bank.questions.len()
                        ));
                    }
                    CueCheck::Hits(_) => {}
                }
            }
        }
    }
    warnings
}

/// Lines still marked `# TODO: review` by `grill bank import`: key points
/// drafted from the answer's own sentences, not yet rewritten by a person.
pub fn todo_markers(sources: &[bank::Source]) -> Vec<String> {
    sources
        .iter()
        .flat_map(|source| {
            source
                .text
                .lines()
                .enumerate()
                .filter(|(_, line)| line.trim_start().starts_with("# TODO: review"))
                .map(|(i, _)| {
                    format!(
                        "{}:{}: a key point still marked `# TODO: review`: it was drafted from the answer's sentences; rewrite it, then delete the marker",
                        source.path,
                        i + 1
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Built-in questions whose `reviewed` month is more than a year before `today`.
pub fn stale_reviews<S: std::hash::BuildHasher>(
    bank: &Bank,
    builtin: &HashSet<&str, S>,
    today: chrono::NaiveDate,
) -> Vec<String> {
    use chrono::Datelike;
    let now = today.year() * 12 + today.month0() as i32;
    bank.questions
        .iter()
        .filter(|q| builtin.contains(q.id.as_str()))
        .filter_map(|q| {
            let reviewed = q.reviewed.as_deref()?;
            let (y, m) = reviewed.split_once('-')?;
            let then = y.parse::<i32>().ok()? * 12 + m.parse::<i32>().ok()? - 1;
            (now - then > REVIEW_MONTHS).then(|| {
                format!(
                    "`{}` was last reviewed in {reviewed}, over {REVIEW_MONTHS} months ago: check its facts against current sources",
                    q.id
                )
            })
        })
        .collect()
}
