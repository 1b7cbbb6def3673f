//! `topics`, `list`, `show` and `bank check`: reading the bank, no network, no database.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::bank::{self, Bank, Question};
use crate::config::Settings;
use crate::error::Result;
use crate::ui::render::{self, BOLD, CYAN, DIM};

pub fn topics(settings: &Settings, json: bool) -> Result<()> {
    let bank = Bank::load(&settings.bank_dirs)?;
    #[derive(Serialize)]
    struct Row<'a> {
        topic: &'a str,
        title: &'a str,
        questions: usize,
    }
    let rows: Vec<Row> = bank
        .topics
        .iter()
        .map(|t| Row {
            topic: &t.slug,
            title: &t.title,
            questions: bank.in_topic(&t.slug).count(),
        })
        .collect();
    if json {
        return Ok(render::json(&rows)?);
    }
    let wide = rows.iter().map(|r| r.topic.len()).max().unwrap_or(5).max(5);
    let mut out = render::stdout();
    writeln!(
        out,
        "{BOLD}{:wide$}  {:>9}  title{BOLD:#}",
        "topic", "questions"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{CYAN}{:wide$}{CYAN:#}  {:>9}  {}",
            r.topic,
            r.questions,
            render::clean(r.title)
        )?;
    }
    writeln!(
        out,
        "{DIM}{} questions in {} topics{DIM:#}",
        bank.questions.len(),
        rows.len()
    )?;
    Ok(())
}

pub fn list(settings: &Settings, topic: Option<&str>, json: bool) -> Result<()> {
    let bank = Bank::load(&settings.bank_dirs)?;
    if let Some(t) = topic {
        bank.require_topics(&[t.to_string()])?;
    }
    let selected: Vec<&Question> = bank
        .questions
        .iter()
        .filter(|q| topic.is_none_or(|t| q.topic == t))
        .collect();
    if json {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            topic: &'a str,
            question: &'a str,
            difficulty: bank::Difficulty,
        }
        let rows: Vec<Row> = selected
            .iter()
            .map(|q| Row {
                id: &q.id,
                topic: &q.topic,
                question: &q.question,
                difficulty: q.difficulty,
            })
            .collect();
        return Ok(render::json(&rows)?);
    }
    let wide = selected.iter().map(|q| q.id.len()).max().unwrap_or(2);
    let room = render::width().saturating_sub(wide + 14).max(20);
    let mut out = render::stdout();
    for t in &bank.topics {
        let qs: Vec<&&Question> = selected.iter().filter(|q| q.topic == t.slug).collect();
        if qs.is_empty() {
            continue;
        }
        writeln!(
            out,
            "{BOLD}{}{BOLD:#} {DIM}· {}{DIM:#}",
            t.slug,
            render::clean(&t.title)
        )?;
        for q in qs {
            writeln!(
                out,
                "  {CYAN}{:wide$}{CYAN:#}  {:8}  {}",
                q.id,
                q.difficulty.to_string(),
                render::truncate(&q.question, room)
            )?;
        }
    }
    Ok(())
}

pub fn show(settings: &Settings, id: &str, json: bool) -> Result<()> {
    let bank = Bank::load(&settings.bank_dirs)?;
    let q = bank.require(id)?;
    if json {
        return Ok(render::json(q)?);
    }
    let title = bank.topic(&q.topic).map_or("", |t| t.title.as_str());
    let mut out = render::stdout();
    writeln!(
        out,
        "{CYAN}{}{CYAN:#}  {DIM}· {} · {} · about {} min{}{DIM:#}",
        q.id,
        render::clean(title),
        q.difficulty,
        q.minutes,
        if q.wants_example {
            " · wants an example from your own work"
        } else {
            ""
        }
    )?;
    writeln!(out)?;
    write!(out, "{BOLD}{}{BOLD:#}", render::wrap(&q.question, "  "))?;
    writeln!(out)?;
    writeln!(out, "{BOLD}Model answer{BOLD:#}")?;
    write!(out, "{}", render::wrap(&q.model_answer, "  "))?;
    writeln!(out)?;
    writeln!(
        out,
        "{BOLD}Key points{BOLD:#} {DIM}(weight; total {}){DIM:#}",
        q.total_weight()
    )?;
    for kp in &q.key_points {
        let text = render::wrap(&kp.point, "        ");
        writeln!(out, "  [{}] {CYAN}{}{CYAN:#}", kp.weight, kp.id)?;
        write!(out, "{text}")?;
        if !kp.cues.is_empty() {
            writeln!(
                out,
                "        {DIM}cues: {}{DIM:#}",
                render::clean(&kp.cues.join(" · "))
            )?;
        }
    }
    Ok(())
}

/// `grill bank check [DIR...]`: every problem, each as `path:line:col: message`.
pub fn bank_check(settings: &Settings, dirs: &[PathBuf]) -> Result<()> {
    // The built-in bank always takes part, so ids that collide with it are caught too.
    let mut sources = bank::builtin_sources();
    let checked: &[PathBuf] = if dirs.is_empty() {
        &settings.bank_dirs
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
    let mut out = render::stdout();
    let files = sources.len();
    writeln!(
        out,
        "ok: {} questions in {} topics, {files} file{} checked",
        bank.questions.len(),
        bank.topics.len(),
        if files == 1 { "" } else { "s" }
    )?;
    Ok(())
}
