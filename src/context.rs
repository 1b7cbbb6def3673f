//! The run context: what every command runs with, built once in `lib::run`
//! from the settings. The store, the bank, the async runtime and the judge
//! are made at their first use and then shared, so one command opens the
//! database once and parses the bank once; clock and seed come from the
//! settings, so tests fix them in one place.

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Duration;

use crate::bank::Bank;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::grading::{Grader, JudgeGrader};
use crate::prompts::Templates;
use crate::provider::openai::{OpenAiJudge, Policy};
use crate::provider::profile::{Learnt, Shape};
use crate::provider::retire::Retirement;
use crate::provider::transcribe::Transcriber;
use crate::store::Store;
use crate::time::Clock;
use crate::ui::progress::Activity;

/// How `Context::retirement` reads the server's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// At most once a day per server and model (judged commands).
    Daily,
    /// Now, whatever was read before (`grill doctor`).
    Now,
}

pub struct Context {
    pub settings: Settings,
    /// The spinner or bar on stderr, and where retry notices go.
    pub activity: Activity,
    seed: u64,
    store: OnceCell<Arc<Store>>,
    bank: OnceCell<Bank>,
    runtime: OnceCell<tokio::runtime::Runtime>,
    judge: OnceCell<Arc<JudgeGrader>>,
    /// The plan the judge was built for.
    plan: OnceCell<Plan>,
    transcriber: OnceCell<Arc<Transcriber>>,
}

/// How this run grades, decided once from the flags before the judge is
/// built; nothing changes it afterwards. `Context::grading` reads it with
/// `--offline`, so no command branches on that flag to choose its grader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Verdicts asked per answer (`--samples`), at least 1 (clap's range).
    pub samples: usize,
    /// Requests in flight at most (`--concurrency`); `None`: the default.
    pub concurrency: Option<usize>,
    /// Who grades instead of the judge under `--offline`.
    pub offline: Offline,
}

/// Who grades under `--offline`, where no judge is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offline {
    /// The keyword estimate: stored, never counted (a script's `grade`,
    /// `regrade --cues`, `regrade` without a terminal).
    #[default]
    Estimate,
    /// The candidate's own checklist (a session, `regrade` in a terminal).
    SelfCheck,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            samples: 1,
            concurrency: None,
            offline: Offline::default(),
        }
    }
}

/// `cell`'s value, made by `init` the first time; an error is not kept.
fn get_or_try<T>(cell: &OnceCell<T>, init: impl FnOnce() -> Result<T>) -> Result<&T> {
    if let Some(value) = cell.get() {
        return Ok(value);
    }
    let value = init()?;
    Ok(cell.get_or_init(|| value))
}

impl Context {
    pub fn new(settings: Settings) -> Context {
        let seed = settings.seed.unwrap_or_else(|| fastrand::u64(..));
        Context {
            settings,
            activity: Activity::default(),
            seed,
            store: OnceCell::new(),
            bank: OnceCell::new(),
            runtime: OnceCell::new(),
            judge: OnceCell::new(),
            plan: OnceCell::new(),
            transcriber: OnceCell::new(),
        }
    }

    pub fn clock(&self) -> Clock {
        self.settings.clock
    }

    /// The seed for shuffling questions: fixed by `GRILL_SEED`, else random per run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The database, opened (and migrated) at first use.
    pub fn store(&self) -> Result<&Arc<Store>> {
        get_or_try(&self.store, || {
            Store::open(&self.settings.db_path.value, self.clock()).map(Arc::new)
        })
    }

    /// The built-in bank plus the configured ones, loaded at first use.
    pub fn bank(&self) -> Result<&Bank> {
        get_or_try(&self.bank, || Bank::load(&self.settings.bank_dirs))
    }

    /// One runtime for the run: a single worker thread, so a session can
    /// grade in the background while the person types the next answer.
    pub fn runtime(&self) -> Result<&tokio::runtime::Runtime> {
        get_or_try(&self.runtime, || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|e| Error::failure(format!("cannot start the async runtime: {e}")))
        })
    }

    /// Why the judge cannot be used, if it cannot.
    pub fn judge_unavailable(&self) -> Option<String> {
        self.settings.judge_unavailable()
    }

    /// The judge as already planned, or with the default plan.
    pub fn judge(&self) -> Result<&Arc<JudgeGrader>> {
        self.grader(self.plan.get().copied().unwrap_or_default())
    }

    /// Who grades this run: under `--offline` the plan's offline grader,
    /// else the judge for `plan` (`grader`, with its errors).
    pub fn grading(&self, plan: Plan) -> Result<Grader> {
        if self.settings.offline {
            return Ok(match plan.offline {
                Offline::Estimate => Grader::Estimate,
                Offline::SelfCheck => Grader::SelfCheck,
            });
        }
        self.grader(plan)
            .map(|judge| Grader::Judge(Arc::clone(judge)))
    }

    /// The judge for `plan`, built at first use; an input error (exit 2)
    /// naming the setting to fix when it is not configured. A second plan in
    /// one run is a bug of the command, said as a failure.
    pub fn grader(&self, plan: Plan) -> Result<&Arc<JudgeGrader>> {
        if let Some(built) = self.plan.get() {
            if *built != plan {
                return Err(Error::failure(format!(
                    "the judge was planned twice in one run ({built:?}, then {plan:?})"
                )));
            }
        }
        get_or_try(&self.judge, || {
            if let Some(why) = self.judge_unavailable() {
                return Err(Error::input(format!("cannot grade with the judge: {why}")));
            }
            let s = &self.settings;
            let policy = Policy::new(
                Duration::from_secs_f64(s.timeout_secs.value),
                Duration::from_secs_f64(s.retry_budget_secs.value),
            )
            .with_notify(self.activity.notify());
            let judge = OpenAiJudge::new(
                &s.base_url.value,
                s.api_key(),
                s.secret(),
                &s.model.value,
                Shape::new(s.profile(), Learnt::default()),
                policy,
            )
            .map_err(Error::input)?;
            // One grade at a time on a terminal streams its verdict, to show
            // its key points as they come; a batch or a pipe asks it whole.
            let judge = match plan.concurrency {
                Some(n) => judge.with_concurrency(n),
                None if std::io::IsTerminal::is_terminal(&std::io::stderr()) => {
                    judge.with_progress(self.activity.progress())
                }
                None => judge,
            };
            let templates = Templates::load(s.prompts_dir.as_deref())?;
            let grader = JudgeGrader::new(judge, templates, &s.base_url_shown(), plan.samples);
            if !s.probe {
                grader.recall_format(self.store()?);
            }
            if let Some(warning) = self
                .retirement(grader.judge(), Ask::Daily)
                .and_then(|r| r.warning(self.clock().now().date_naive()))
            {
                crate::ui::render::note(&format!("warning: {warning}"));
            }
            let _ = self.plan.set(plan);
            Ok(Arc::new(grader))
        })
    }

    /// The transcription client, built at first use; an input error (exit
    /// 2) naming the setting to fix when there is no server to ask.
    pub fn transcriber(&self) -> Result<&Arc<Transcriber>> {
        get_or_try(&self.transcriber, || {
            let s = &self.settings;
            if let Some(why) = s.speech_unavailable() {
                return Err(Error::input(format!("cannot transcribe: {why}")));
            }
            let policy = Policy::new(
                Duration::from_secs_f64(s.timeout_secs.value),
                Duration::from_secs_f64(s.retry_budget_secs.value),
            )
            .with_notify(self.activity.notify());
            Transcriber::new(
                &s.speech.base_url.value,
                &s.speech.base_url_shown(),
                s.api_key(),
                s.speech_secret(),
                &s.speech.model.value,
                policy,
            )
            .map(Arc::new)
            .map_err(Error::input)
        })
    }

    /// When the judge model retires, if announced: the server's
    /// `shutdown_date` (asked once a day on OpenAI's API, within 2 s, or
    /// every time with `Ask::Now`), else grill's shipped table.
    pub fn retirement(&self, judge: &OpenAiJudge, ask: Ask) -> Option<Retirement> {
        let model = &self.settings.model.value;
        let base_url = self.settings.base_url_shown();
        let store = self.store().ok()?;
        let now = self.clock().now();
        let asked = match ask {
            Ask::Now => None,
            Ask::Daily => store
                .model_check(&base_url, model)
                .ok()
                .flatten()
                .filter(|(at, _)| {
                    crate::time::parse(at).is_some_and(|t| now - t < chrono::Duration::days(1))
                }),
        };
        let server_date = match asked {
            Some((_, date)) => {
                date.and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            }
            // Never from inside the runtime (a judge first built there).
            None if (ask == Ask::Now || self.asks_for_retirement())
                && tokio::runtime::Handle::try_current().is_err() =>
            {
                let read = self
                    .runtime()
                    .ok()?
                    .block_on(judge.shutdown_date(Duration::from_secs(2)));
                // A server that cannot say is asked again tomorrow, not on every command.
                let date = read.ok().flatten();
                let text = date.map(|d| d.format("%Y-%m-%d").to_string());
                let _ = store.record_model_check(&base_url, model, text.as_deref());
                date
            }
            None => None,
        };
        crate::provider::retire::retirement(model, server_date)
    }

    /// Whether judged commands ask the server for the model's retirement:
    /// on OpenAI's API (local servers have no such field, and a request
    /// there is wasted), or when `GRILL_CHECK_RETIREMENT=1` says so.
    fn asks_for_retirement(&self) -> bool {
        if std::env::var("GRILL_CHECK_RETIREMENT").is_ok_and(|v| v == "1") {
            return true;
        }
        url::Url::parse(&self.settings.base_url.value)
            .ok()
            .and_then(|u| u.host_str().map(|h| h == "api.openai.com"))
            .unwrap_or(false)
    }
}
