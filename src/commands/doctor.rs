//! `grill doctor`: checks the configured judge server as a new user needs:
//! reachable, the model listed, one tiny structured call (and the format
//! rung it settles on, remembered for later grades), its latency, and
//! whether token usage is reported. Exit 1 with a plain message when
//! something fails. The key is never printed: only where it came from.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::bank::{Difficulty, KeyPoint, Question};
use crate::cli::JsonArg;
use crate::context::Context;
use crate::error::{closest, Error, Result};
use crate::grading::JudgeGrader;
use crate::prompts::Templates;
use crate::provider::ask::ask;
use crate::provider::openai::{CallError, Format};
use crate::style::{BOLD, DIM, GREEN, RED, YELLOW};
use crate::text::sanitize;
use crate::ui::render;
use crate::verdict::{finalize, Usage};

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
struct Check {
    name: &'static str,
    /// `ok`, `warn` (works, with a caveat) or `fail`.
    status: &'static str,
    detail: String,
}

impl Check {
    fn ok(name: &'static str, detail: String) -> Check {
        Check {
            name,
            status: "ok",
            detail,
        }
    }
    fn warn(name: &'static str, detail: String) -> Check {
        Check {
            name,
            status: "warn",
            detail,
        }
    }
    fn fail(name: &'static str, detail: String) -> Check {
        Check {
            name,
            status: "fail",
            detail,
        }
    }
}

#[derive(Debug, Serialize)]
struct Report {
    base_url: String,
    model: String,
    api_key: String,
    checks: Vec<Check>,
    format: Option<&'static str>,
    latency_ms: Option<u64>,
    usage: Option<Usage>,
    /// The request shape in use and where it came from.
    profile: Option<ProfileReport>,
    /// The transcription server and model (spoken answers).
    stt_base_url: String,
    stt_model: String,
}

#[derive(Debug, Serialize)]
struct ProfileReport {
    family: String,
    /// `shipped` (grill's table), `config`, `plain` (no family matched),
    /// each `+learnt` when the server taught something on top.
    origin: String,
    token_cap: &'static str,
    temperature: &'static str,
    reasoning_effort: Option<String>,
    max_reply_tokens: u32,
    source: String,
}

fn profile_report(shape: &crate::provider::profile::Shape) -> ProfileReport {
    use crate::provider::profile::Origin;
    let p = shape.profile();
    let mut origin = match p.origin {
        Origin::Shipped => format!(
            "shipped (table of {})",
            crate::provider::profile::reviewed()
        ),
        Origin::Config => "config".to_string(),
        Origin::Plain => "plain (no family matched)".to_string(),
    };
    if !shape.learnt().is_empty() {
        origin.push_str(" + learnt from the server");
    }
    ProfileReport {
        family: p.family.clone(),
        origin,
        token_cap: shape.token_cap().as_str(),
        temperature: shape.temperature().as_str(),
        reasoning_effort: shape.effort().map(str::to_string),
        max_reply_tokens: shape.budget(),
        source: p.source.clone(),
    }
}

fn profile_check(p: &ProfileReport) -> Check {
    Check::ok(
        "profile",
        format!(
            "{} [{}]: {} {}, temperature {}, reasoning_effort {}",
            p.family,
            p.origin,
            p.token_cap,
            p.max_reply_tokens,
            p.temperature,
            p.reasoning_effort.as_deref().unwrap_or("not sent")
        ),
    )
}

/// A question small enough for any model, with two key points.
fn tiny_question() -> Question {
    let kp = |id: &str, point: &str| KeyPoint {
        id: id.into(),
        point: point.into(),
        weight: 1,
        cues: vec![],
    };
    Question {
        id: "doctor".into(),
        topic: "doctor".into(),
        question: "What does a cache do?".into(),
        difficulty: Difficulty::Core,
        wants_example: false,
        minutes: 1,
        model_answer: "A cache keeps results it has already computed, so repeated requests are served faster without computing them again.".into(),
        key_points: vec![
            kp("reuse", "It keeps earlier results instead of computing them again"),
            kp("speed", "Repeated requests are served faster"),
        ],
        sources: vec![],
        reviewed: None,
        follow_up: None,
    }
}

const TINY_ANSWER: &str =
    "A cache stores results it already computed, so the same request later comes back much faster.";

pub fn run(ctx: &Context, args: &JsonArg) -> Result<()> {
    let s = &ctx.settings;
    if s.offline {
        return Err(Error::input(
            "`grill doctor` checks the judge server; drop --offline",
        ));
    }
    let mut report = Report {
        base_url: s.base_url_shown(),
        model: s.model.value.clone(),
        api_key: s
            .api_key_origin()
            .map_or_else(|| "not set".into(), |o| format!("set ({o})")),
        checks: Vec::new(),
        format: None,
        latency_ms: None,
        usage: None,
        profile: None,
        stt_base_url: s.speech.base_url_shown(),
        stt_model: s.speech.model.value.clone(),
    };
    match ctx.judge_unavailable() {
        Some(why) => report.checks.push(Check::fail("configured", why)),
        None => {
            let judge = Arc::clone(ctx.judge()?);
            // A check settles the rung afresh, whatever was remembered.
            judge.judge().set_format(Format::JsonSchema);
            ctx.runtime()?.block_on(checks(ctx, &judge, &mut report))?;
            let profile = profile_report(&judge.judge().shape_now());
            report.checks.push(profile_check(&profile));
            report.profile = Some(profile);
            let today = ctx.clock().now().date_naive();
            let retirement = ctx.retirement(judge.judge(), crate::context::Ask::Now);
            report
                .checks
                .push(match retirement.as_ref().and_then(|r| r.warning(today)) {
                    Some(warning) => Check::warn("retirement", warning),
                    None => Check::ok(
                        "retirement",
                        retirement.map_or_else(
                            || "no shutdown announced for this model".to_string(),
                            |r| format!("shuts down on {}, more than 90 days away", r.shutdown),
                        ),
                    ),
                });
        }
    }
    let judge_failed = report.checks.iter().any(|c| c.status == "fail");
    report.checks.push(speech_check(ctx, judge_failed));
    show(&report, args.json)?;
    match report.checks.iter().find(|c| c.status == "fail") {
        None => Ok(()),
        // The checklist above says what failed and why; with --json the
        // detail is in the JSON, and the one line names the check.
        Some(failed) => Err(Error::failure(format!(
            "the {} is not ready: the `{}` check failed",
            if failed.name == "transcription" {
                "transcription server"
            } else {
                "judge"
            },
            failed.name
        ))
        .with_hint("`grill config` shows each setting and where it came from")),
    }
}

/// The transcription server (spoken answers): a second of generated tone
/// sent to `/audio/transcriptions`. Only a warning when the server and
/// model are the defaults (a judge server need not transcribe), a failure
/// when either was named.
fn speech_check(ctx: &Context, judge_failed: bool) -> Check {
    const NAME: &str = "transcription";
    let s = &ctx.settings;
    if judge_failed && s.speech.base_url.origin == crate::config::Origin::Default {
        return Check::warn(
            NAME,
            "not tried: it is the judge's server, which failed above".into(),
        );
    }
    let soft = |detail: String| {
        if s.speech.named() {
            Check::fail(NAME, detail)
        } else {
            Check::warn(NAME, detail)
        }
    };
    if let Some(why) = s.speech_unavailable() {
        return soft(why);
    }
    let transcriber = match ctx.transcriber() {
        Ok(t) => std::sync::Arc::clone(t),
        Err(e) => return soft(e.message),
    };
    let runtime = match ctx.runtime() {
        Ok(r) => r,
        Err(e) => return soft(e.message),
    };
    let _spinner = ctx.activity.spinner("asking the transcription server…");
    match runtime.block_on(crate::speech::probe(&transcriber)) {
        Ok((format, ms)) => Check::ok(
            NAME,
            format!(
                "POST /audio/transcriptions took a second of tone in {ms} ms (`{}`, {format})",
                transcriber.model()
            ),
        ),
        Err(why) => soft(why),
    }
}

async fn checks(ctx: &Context, judge: &JudgeGrader, report: &mut Report) -> Result<()> {
    let model = &report.model;
    let _spinner = ctx.activity.spinner("asking the judge server…");
    let started = Instant::now();
    match judge.judge().list_models().await {
        Ok(models) => {
            report.checks.push(Check::ok(
                "reachable",
                format!(
                    "GET /models answered in {} ms",
                    started.elapsed().as_millis()
                ),
            ));
            report.checks.push(model_check(model, &models));
        }
        // Some servers serve completions without listing models.
        Err(CallError::NotFound { .. }) => report.checks.push(Check::warn(
            "reachable",
            "the server has no /models list (404); the model cannot be checked by name".into(),
        )),
        Err(err) => {
            report
                .checks
                .push(Check::fail("reachable", sanitize(&err.to_string())));
            return Ok(());
        }
    }
    if report.checks.iter().any(|c| c.status == "fail") {
        return Ok(());
    }
    let question = tiny_question();
    let started = Instant::now();
    let templates = Templates::default();
    match ask(judge.judge(), &templates, &question, TINY_ANSWER).await {
        Ok((raw, usage)) => {
            let elapsed = started.elapsed();
            let verdict = finalize(raw, &question, TINY_ANSWER);
            let format = judge.format();
            report.format = Some(format.as_str());
            report.latency_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
            report.checks.push(Check::ok(
                "structured call",
                format!(
                    "a valid verdict in {:.1} s on the `{}` rung (scored {:.1}/10)",
                    elapsed.as_secs_f64(),
                    format.as_str(),
                    verdict.score
                ),
            ));
            judge.settle(ctx.store()?);
            report.checks.push(usage_check(usage));
            report.usage = Some(usage).filter(|u| u.prompt > 0);
        }
        Err(err) => report
            .checks
            .push(Check::fail("structured call", sanitize(&err.to_string()))),
    }
    Ok(())
}

fn model_check(model: &str, models: &[String]) -> Check {
    if models.is_empty() {
        return Check::warn(
            "model",
            format!("the server lists no models; `{model}` is assumed"),
        );
    }
    if models.iter().any(|m| m == model) {
        return Check::ok("model", format!("`{model}` is listed"));
    }
    let near = closest(model, models.iter().map(String::as_str))
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    let listed: Vec<&str> = models.iter().take(5).map(String::as_str).collect();
    Check::fail(
        "model",
        format!(
            "`{model}` is not listed by the server; {near}it lists {}{} (set GRILL_MODEL or --model)",
            listed.join(", "),
            if models.len() > 5 { ", …" } else { "" }
        ),
    )
}

fn usage_check(usage: Usage) -> Check {
    if usage.prompt == 0 && usage.completion == 0 {
        Check::warn(
            "usage",
            "the server reports no token usage; grades will have no token figures".into(),
        )
    } else {
        Check::ok(
            "usage",
            format!(
                "{} prompt tokens ({} from the prompt cache), {} completion tokens ({} reasoning)",
                usage.prompt, usage.cached, usage.completion, usage.reasoning
            ),
        )
    }
}

fn show(report: &Report, json: bool) -> Result<()> {
    if json {
        return Ok(render::json(report)?);
    }
    let mut out = render::stdout();
    let width = render::listing_width();
    let plain = anstyle::Style::new();
    let judge = format!(
        "{} · model {} · key {}",
        report.base_url, report.model, report.api_key
    );
    let speech = format!("{} · model {}", report.stt_base_url, report.stt_model);
    for (name, line) in [("judge", judge), ("speech", speech)] {
        let first = format!("{BOLD}{name}{BOLD:#}{:1$}", "", 7 - name.len());
        let parts = [(line.as_str(), plain)];
        write!(
            out,
            "{}",
            crate::text::spans(&parts, width, &first, "       ")
        )?;
    }
    for c in &report.checks {
        let (mark, style) = match c.status {
            "ok" => ("✓", GREEN),
            "warn" => ("!", YELLOW),
            _ => ("✗", RED),
        };
        let first = format!("  {style}{mark}{style:#} {:16}", sanitize(c.name));
        let hang = " ".repeat(20);
        let detail = [(c.detail.as_str(), DIM)];
        // Styles take no columns: `first` counts as the 20 it shows.
        write!(out, "{}", crate::text::spans(&detail, width, &first, &hang))?;
    }
    Ok(())
}
