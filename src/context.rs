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
use crate::grading::JudgeGrader;
use crate::judge::openai::{OpenAiJudge, Policy};
use crate::prompts::Templates;
use crate::store::Store;
use crate::time::Clock;
use crate::ui::progress::Activity;

pub struct Context {
    pub settings: Settings,
    /// The spinner or bar on stderr, and where retry notices go.
    pub activity: Activity,
    seed: u64,
    store: OnceCell<Arc<Store>>,
    bank: OnceCell<Bank>,
    runtime: OnceCell<tokio::runtime::Runtime>,
    judge: OnceCell<Arc<JudgeGrader>>,
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

    /// The judge, built at first use; an input error (exit 2) naming the
    /// setting to fix when it is not configured.
    pub fn judge(&self) -> Result<&Arc<JudgeGrader>> {
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
                policy,
            )
            .map_err(Error::input)?;
            let templates = Templates::load(s.prompts_dir.as_deref())?;
            let grader = JudgeGrader::new(judge, templates, &s.base_url_shown());
            if !s.probe {
                grader.recall_format(self.store()?);
            }
            Ok(Arc::new(grader))
        })
    }
}
