//! The judge as a grader: what a run of many grades shares. The verdict
//! cache, one request for identical answers in flight at once, the format
//! rung remembered per server, a stop after a storage failure (no request is
//! sent whose verdict could not be kept), and `--samples`: several verdicts
//! with the key points in different orders, voted per point.
//!
//! The judge is reached through `provider::ask::Judge`: the real client
//! (`OpenAiJudge`, the default) or an in-memory one in the tests
//! (`judge_tests`), so all of this is tested without HTTP.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::job::{record, record_empty, GradeError, Job};
use crate::bank::Question;
use crate::prompts::Templates;
use crate::provider::ask::{ask, cache_key, check_reply, first_request, AskError, Judge};
use crate::provider::openai::{Format, OpenAiJudge};
use crate::provider::profile::Learnt;
use crate::store::{GradedBy, Store, Via};
use crate::verdict::{finalize, RawVerdict, Usage, Verdict};

/// One request shared by identical answers in flight: its outcome, and its
/// token usage, which only the first reader takes (one request, counted once).
#[derive(Default)]
struct InFlight {
    outcome: tokio::sync::OnceCell<Result<RawVerdict, AskError>>,
    usage: Mutex<Option<Usage>>,
}

type Shared = Arc<InFlight>;

/// The judge with what a run of grades shares: prompts, the cache key's
/// parts, the answers in flight, and whether storage has failed.
pub struct JudgeGrader<J = OpenAiJudge> {
    judge: J,
    templates: Templates,
    base_url: String,
    in_flight: Mutex<HashMap<String, Shared>>,
    stopped: AtomicBool,
    /// Verdicts asked per answer (`--samples`), at least 1.
    samples: usize,
    /// The format rung and request shape the store remembers for this
    /// server and model; stored again when the judge settles on others.
    settled: Mutex<Option<(Format, Learnt)>>,
}

/// A verdict and, with `--samples`, the verdicts it was voted from.
#[derive(Debug, Clone)]
pub struct Assessed {
    pub verdict: Verdict,
    pub samples: Vec<Verdict>,
}

/// What became of a verdict the Batch API returned.
#[derive(Debug)]
pub enum BatchReply {
    /// Checked, scored and stored, as a live verdict would have been.
    Graded(Verdict),
    /// Not a valid verdict: the problem, to re-ask the answer live.
    Invalid(String),
    /// The answer was graded already (another line for it, another
    /// collector): nothing was stored.
    AlreadyGraded,
}

/// How long a server's format rung is trusted before the ladder is tried
/// again from the top.
pub const FORMAT_MEMORY_DAYS: i64 = 7;

impl JudgeGrader<OpenAiJudge> {
    /// Starts at the rung the store remembers for this server and model, if
    /// it was settled in the last `FORMAT_MEMORY_DAYS` days, and with the
    /// request shape the server taught an earlier run (kept until `--probe`:
    /// a refused parameter stays refused).
    pub fn recall_format(&self, store: &Store) {
        let learnt = store
            .remembered_learnt(&self.base_url, self.model())
            .ok()
            .flatten()
            .map(|text| Learnt::from_json(&text))
            .unwrap_or_default();
        self.judge.set_learnt(learnt.clone());
        let since = store.clock().now() - chrono::Duration::days(FORMAT_MEMORY_DAYS);
        let remembered = store
            .remembered_format(&self.base_url, self.model(), since)
            .ok()
            .flatten()
            .and_then(|f| Format::parse(&f));
        if let Some(format) = remembered {
            self.judge.set_format(format);
            *self.settled.lock().unwrap_or_else(PoisonError::into_inner) = Some((format, learnt));
        }
    }

    /// The rung of the format ladder the judge is on.
    pub fn format(&self) -> Format {
        self.judge.format()
    }

    /// The chat-completions body a live grade of this answer would send
    /// first: same prompt, schema and format rung. One line of a Batch API
    /// requests file.
    pub fn batch_request(&self, question: &Question, answer: &str) -> serde_json::Value {
        let (prompt, schema) = first_request(&self.templates, question, answer);
        let messages = [
            ("system", prompt.system.as_str()),
            ("user", prompt.user.as_str()),
        ];
        self.judge.request_body(&messages, &schema)
    }
}

impl<J: Judge> JudgeGrader<J> {
    /// `base_url` is the URL as shown (user-info masked): it names the server
    /// in the cache key and in the store, never with its password.
    /// `samples`: verdicts asked per answer (`--samples`), at least 1.
    pub fn new(judge: J, templates: Templates, base_url: &str, samples: usize) -> JudgeGrader<J> {
        JudgeGrader {
            judge,
            templates,
            base_url: base_url.to_string(),
            in_flight: Mutex::default(),
            stopped: AtomicBool::new(false),
            samples: samples.max(1),
            settled: Mutex::default(),
        }
    }

    /// Stores the rung the judge answered on and what the server taught,
    /// when they are not what is stored.
    fn settle_format(&self, store: &Store) {
        let Some(now) = self.judge.taught() else {
            return;
        };
        let mut settled = self.settled.lock().unwrap_or_else(PoisonError::into_inner);
        if settled.as_ref() != Some(&now)
            && store
                .remember_shape(
                    &self.base_url,
                    self.model(),
                    now.0.as_str(),
                    now.1.to_json().as_deref(),
                )
                .is_ok()
        {
            *settled = Some(now);
        }
    }

    /// Stores what the server taught (after a Batch API job's refusals).
    pub fn settle(&self, store: &Store) {
        self.settle_format(store);
    }

    /// Verdicts asked per answer (`--samples`).
    pub fn samples(&self) -> usize {
        self.samples
    }

    pub fn model(&self) -> &str {
        self.judge.model()
    }

    pub fn judge(&self) -> &J {
        &self.judge
    }

    /// The verdict cache's key for this answer, as a live grade computes it.
    pub fn cache_key_for(&self, question: &Question, answer: &str) -> String {
        cache_key(
            self.model(),
            &self.base_url,
            &self.templates,
            question,
            answer,
        )
    }

    /// What makes two batch submissions of one file the same job: model,
    /// server and prompt templates.
    pub fn settings_key(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in [
            self.model(),
            &self.base_url,
            &self.templates.system,
            &self.templates.user,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        crate::text::hex(&h.finalize())
    }

    /// Checks a reply the Batch API returned exactly as a live first reply
    /// is checked, then caches, scores and stores it (`via` batch). An
    /// invalid one is not stored: the caller re-asks it live.
    pub fn record_batch_reply(
        &self,
        store: &Store,
        job: Job<'_>,
        text: &str,
        usage: Option<Usage>,
    ) -> Result<BatchReply, GradeError> {
        let raw = match check_reply(&self.judge, text, job.question, job.answer) {
            Ok(raw) => raw,
            Err(problem) => return Ok(BatchReply::Invalid(problem)),
        };
        let key = cache_key(
            self.model(),
            &self.base_url,
            &self.templates,
            job.question,
            job.answer,
        );
        let mask = |text: &str| self.judge.mask(text);
        let value = serde_json::to_value(raw.clone().map_text(mask)).unwrap_or_default();
        store
            .cache_verdict(&key, &value)
            .map_err(|e| GradeError::Storage(store.write_error("store the verdict", &e)))?;
        let mut verdict = finalize(raw, job.question, job.answer).map_text(mask);
        verdict.usage = usage;
        let by = GradedBy::Judge(self.model().to_string());
        let recorded = store
            .record_graded_via(job.attempt_id, &job.question.id, &verdict, &by, Via::Batch)
            .map_err(|e| GradeError::Storage(store.write_error("store the verdict", &e)))?;
        Ok(if recorded {
            BatchReply::Graded(verdict)
        } else {
            BatchReply::AlreadyGraded
        })
    }

    /// Grades one stored attempt with the judge and records the verdict.
    /// A `Send` future, so a session can grade in the background.
    pub async fn grade(
        &self,
        store: &Store,
        job: Job<'_>,
    ) -> Result<(Verdict, GradedBy), GradeError> {
        if job.answer.trim().is_empty() {
            return record_empty(store, job).inspect_err(|_| self.stop());
        }
        let verdict = match self.assess(store, job.question, job.answer).await {
            Ok(assessed) => assessed.verdict,
            Err(GradeError::Judge(err)) => {
                let _ = store.record_failure(job.attempt_id, &err.to_string());
                return Err(GradeError::Judge(err));
            }
            Err(other) => return Err(other),
        };
        let by = GradedBy::Judge(self.model().to_string());
        record(store, job, &verdict, &by).inspect_err(|_| self.stop())?;
        Ok((verdict, by))
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// The checked verdict for an answer, without storing an attempt: from
    /// the cache, from an identical answer in flight, or from the judge; with
    /// `samples` of 2 or more, that many verdicts, each with the key points
    /// in another order, voted per point. Tokens of every call are added up.
    pub async fn assess(
        &self,
        store: &Store,
        question: &Question,
        answer: &str,
    ) -> Result<Assessed, GradeError> {
        let n = self.samples();
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            // Sample 0 asks in bank order, so a single grade's prompt caches;
            // the others in a fixed order per sample, so reruns hit the cache.
            let asked = if i == 0 {
                question.clone()
            } else {
                super::vote::reordered(question, i as u64)
            };
            samples.push(self.one(store, &asked, question, answer).await?);
        }
        let verdict = if n == 1 {
            samples[0].clone()
        } else {
            super::vote::combine(question, &samples)
        };
        Ok(Assessed { verdict, samples })
    }

    /// One verdict: `asked` is the question as put to the judge (its key
    /// points maybe reordered), `question` the bank's, which the checks follow.
    async fn one(
        &self,
        store: &Store,
        asked: &Question,
        question: &Question,
        answer: &str,
    ) -> Result<Verdict, GradeError> {
        if self.stopped.load(Ordering::SeqCst) {
            return Err(GradeError::Stopped);
        }
        let key = cache_key(self.model(), &self.base_url, &self.templates, asked, answer);
        let cached = store
            .cached_verdict(&key)
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_value::<RawVerdict>(v).ok());
        let (raw, usage) = match cached {
            Some(raw) => (raw, None),
            None => {
                let asked = self.ask_once(&key, asked, answer).await;
                // What the server taught is kept even when the ask failed.
                self.settle_format(store);
                let (raw, usage) = asked.map_err(GradeError::Judge)?;
                let stored = raw.clone().map_text(|text| self.judge.mask(text));
                let value = serde_json::to_value(&stored).unwrap_or_default();
                store.cache_verdict(&key, &value).map_err(|e| {
                    self.stop();
                    GradeError::Storage(store.write_error("store the verdict", &e))
                })?;
                (raw, usage)
            }
        };
        // Checked and scored on the reply as decoded; masked only after.
        let mut verdict = finalize(raw, question, answer).map_text(|text| self.judge.mask(text));
        verdict.usage = usage;
        Ok(verdict)
    }

    /// Asks the judge, sharing one request among identical answers in flight.
    async fn ask_once(
        &self,
        key: &str,
        question: &Question,
        answer: &str,
    ) -> Result<(RawVerdict, Option<Usage>), AskError> {
        let shared: Shared = Arc::clone(
            self.in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.to_string())
                .or_default(),
        );
        let result = shared
            .outcome
            .get_or_init(|| async {
                let (raw, usage) = ask(&self.judge, &self.templates, question, answer).await?;
                *shared.usage.lock().unwrap_or_else(PoisonError::into_inner) = Some(usage);
                Ok(raw)
            })
            .await
            .clone();
        let usage = shared
            .usage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Once answered, later identical answers find the cache instead.
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        result.map(|raw| (raw, usage))
    }
}
