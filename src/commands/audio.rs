//! `grill history --prune-audio DAYS` and `--keep-audio ID`: housekeeping of
//! the recordings `--voice` makes under `<data dir>/audio/`. Pruning deletes
//! only what grill made there (`answer-*` files directly in that directory)
//! and is older than the days given; a recording kept is moved to
//! `audio/kept/`, which pruning never enters, and the attempt follows it. A
//! recording grill did not make (`grade --answer-audio FILE`) is never
//! touched.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::text::plural;
use crate::ui::render;

/// What `--prune-audio` did.
#[derive(Debug, Serialize)]
struct Pruned {
    /// The recordings deleted.
    deleted: Vec<String>,
    /// Their size in bytes.
    bytes: u64,
    /// Recordings left: newer ones, and those in `kept/`.
    left: usize,
}

/// A recording grill made: a file named `answer-…` in the audio directory.
fn made_by_grill(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("answer-"))
}

/// Of `files` (path, modified, size), those older than `days` at `now`.
fn older_than(
    files: Vec<(PathBuf, SystemTime, u64)>,
    days: u32,
    now: SystemTime,
) -> (Vec<(PathBuf, u64)>, usize) {
    let age = Duration::from_secs(u64::from(days) * 86_400);
    let (old, young): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|(_, modified, _)| now.duration_since(*modified).is_ok_and(|held| held >= age));
    (
        old.into_iter().map(|(p, _, size)| (p, size)).collect(),
        young.len(),
    )
}

/// The recordings grill made directly in `dir` (none if it is missing).
fn recordings(dir: &Path) -> Result<Vec<(PathBuf, SystemTime, u64)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, "read the audio directory", &e)),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        // Not followed: a link or a directory in there is not a recording.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_file() && made_by_grill(&path) {
            let modified = meta.modified().unwrap_or_else(|_| SystemTime::now());
            found.push((path, modified, meta.len()));
        }
    }
    found.sort();
    Ok(found)
}

fn kept_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("kept")).map_or(0, |d| d.flatten().count())
}

/// `--prune-audio DAYS`.
pub fn prune(ctx: &Context, days: u32, json: bool) -> Result<()> {
    let dir = crate::config_speech::audio_dir(&ctx.settings.db_path.value);
    let (old, newer) = older_than(recordings(&dir)?, days, SystemTime::now());
    let mut pruned = Pruned {
        deleted: Vec::new(),
        bytes: 0,
        left: newer + kept_count(&dir),
    };
    for (path, size) in old {
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, "delete the recording", &e))?;
        pruned.deleted.push(path.display().to_string());
        pruned.bytes += size;
    }
    if json {
        return Ok(render::json(&pruned)?);
    }
    writeln!(
        render::stdout(),
        "Deleted {} older than {} ({:.1} MB) from `{}`; {} left.",
        plural(pruned.deleted.len(), "recording", "recordings"),
        plural(days as usize, "day", "days"),
        pruned.bytes as f64 / 1e6,
        dir.display(),
        pruned.left
    )?;
    Ok(())
}

/// `--keep-audio ID`: the attempt's recording moved to `audio/kept/`.
pub fn keep(ctx: &Context, attempt: i64) -> Result<()> {
    let store = ctx.store()?;
    let Some(spoken) = store.spoken(attempt)? else {
        return Err(Error::input(format!(
            "--keep-audio: attempt {attempt} has no recording (it was typed, or there is no such attempt)"
        ))
        .with_hint("`grill history` lists the attempts with their ids"));
    };
    let path = PathBuf::from(&spoken.audio_path);
    let dir = crate::config_speech::audio_dir(&ctx.settings.db_path.value);
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let mut out = render::stdout();
    if path.parent() != Some(dir.as_path()) || !made_by_grill(&path) {
        writeln!(
            out,
            "Attempt {attempt}'s recording `{}` is kept: grill only prunes what it recorded in `{}`.",
            path.display(),
            dir.display()
        )?;
        return Ok(());
    }
    if !path.exists() {
        return Err(Error::input(format!(
            "--keep-audio: attempt {attempt}'s recording `{}` was already deleted",
            path.display()
        )));
    }
    let kept = dir.join("kept");
    std::fs::create_dir_all(&kept).map_err(|e| Error::io(&kept, "create", &e))?;
    let to = kept.join(path.file_name().unwrap_or_default());
    std::fs::rename(&path, &to).map_err(|e| Error::io(&path, "move the recording", &e))?;
    store.move_recording(attempt, &to)?;
    writeln!(
        out,
        "Kept attempt {attempt}'s recording: `{}`.",
        to.display()
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_is_older_than_the_days_given_is_pruned() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * 86_400);
        let day = |d: u64| now - Duration::from_secs(d * 86_400);
        let files = vec![
            ("answer-a.wav".into(), day(40), 10),
            ("answer-b.wav".into(), day(30), 20),
            ("answer-c.wav".into(), day(29), 30),
            ("answer-d.wav".into(), now + Duration::from_secs(60), 40),
        ];
        let (old, left) = older_than(files, 30, now);
        assert_eq!(
            old,
            [
                (PathBuf::from("answer-a.wav"), 10),
                (PathBuf::from("answer-b.wav"), 20)
            ]
        );
        assert_eq!(left, 2, "newer, and one from the future");
        assert!(made_by_grill(Path::new(
            "/d/audio/answer-20261204-101010.wav"
        )));
        assert!(!made_by_grill(Path::new("/d/audio/interview-notes.wav")));
    }
}
