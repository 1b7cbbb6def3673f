//! One ask: render the prompt, ask the judge, validate, ask again once with
//! the validation error, and hand back the judge's verdict exactly as
//! decoded: grades are made on what the judge said, and the secrets are
//! masked only where text leaves grill (`Judge::mask`).

use std::future::Future;

use sha2::{Digest, Sha256};

pub use super::openai::Reply;
use super::openai::{CallError, Format, OpenAiJudge};
use super::profile::Learnt;
use crate::bank::Question;
use crate::prompts::{self, Templates};
use crate::verdict::verdict_schema;
use crate::verdict::{finalize, Usage, Verdict};
use crate::verdict::{parse_verdict_for, RawVerdict};

/// Anything that can answer a chat completion: the real client, or a scripted
/// one in tests (of the ask loop here, of the grader's cache, de-duplication
/// and sampling in `grading`). `schema` is the bounded verdict schema; a
/// client drops the bounds for a server that rejects them.
pub trait Judge: Send + Sync {
    /// The model asked: part of the verdict cache's key and of `GradedBy`.
    fn model(&self) -> &str;

    /// The format rung and request shape the judge has settled on so far,
    /// for the store to remember for the next run; `None` for a judge that
    /// learns nothing from its server.
    fn taught(&self) -> Option<(Format, Learnt)> {
        None
    }

    fn complete(
        &self,
        messages: &[(&str, &str)],
        schema: &serde_json::Value,
    ) -> impl Future<Output = Result<Reply, CallError>> + Send;

    /// Masks the secrets in text that leaves grill (shown, stored). Never
    /// applied before a verdict is checked and scored.
    fn mask(&self, text: &str) -> String {
        text.to_string()
    }

    /// Masks the secrets in an error text, placeholders included.
    fn mask_error(&self, text: &str) -> String {
        self.mask(text)
    }

    /// The reply budget in tokens, reasoning included.
    fn budget(&self) -> u32 {
        0
    }

    /// A larger budget after a reply that spent all of it reasoning, if
    /// there is room for one.
    fn widen(&self) -> Option<u32> {
        None
    }
}

impl Judge for OpenAiJudge {
    fn model(&self) -> &str {
        &self.model
    }

    fn taught(&self) -> Option<(Format, Learnt)> {
        Some((self.format(), self.learnt()))
    }

    fn complete(
        &self,
        messages: &[(&str, &str)],
        schema: &serde_json::Value,
    ) -> impl Future<Output = Result<Reply, CallError>> + Send {
        OpenAiJudge::complete(self, messages, schema)
    }

    fn mask(&self, text: &str) -> String {
        self.secret.mask(text)
    }

    fn mask_error(&self, text: &str) -> String {
        self.secret.mask_error(text)
    }

    fn budget(&self) -> u32 {
        OpenAiJudge::budget(self)
    }

    fn widen(&self) -> Option<u32> {
        OpenAiJudge::widen(self)
    }
}

/// Longest excerpt of an invalid reply sent back with the re-ask: the judge
/// needs to see what it wrote, not megabytes of it.
const REASK_EXCERPT_CHARS: usize = 4_000;

#[derive(Debug, Clone, PartialEq)]
pub enum AskError {
    /// The server could not be used; the answer stays ungraded.
    Call(CallError),
    /// Two replies in a row were not a valid verdict.
    Invalid(String),
    /// The model spent its whole reply budget reasoning, twice (the second
    /// time with a larger budget), and wrote nothing.
    Spent { budget: u32 },
}

impl std::fmt::Display for AskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AskError::Call(e) => e.fmt(f),
            AskError::Invalid(e) => write!(f, "the judge's reply was invalid twice: {e}"),
            AskError::Spent { budget } => write!(
                f,
                "the model spent its whole budget of {budget} tokens reasoning; raise `max_reply_tokens` or lower `reasoning_effort`"
            ),
        }
    }
}

/// Asks for a verdict; a reply that fails validation is asked again once
/// with the problem appended (and a bounded excerpt of the bad reply). The
/// tokens of both calls are added up.
pub async fn ask<J: Judge>(
    judge: &J,
    templates: &Templates,
    question: &Question,
    answer: &str,
) -> Result<(RawVerdict, Usage), AskError> {
    let (prompt, schema) = first_request(templates, question, answer);
    let mut messages = vec![
        ("system", prompt.system.as_str()),
        ("user", prompt.user.as_str()),
    ];
    let mut usage = Usage::default();
    let (first, problem) = match within_budget(judge, &messages, &schema, &mut usage).await? {
        Ok(first) => {
            match parse_verdict_for(&first.text, question, answer) {
                Ok(raw) => return Ok((raw, usage)),
                Err(_) if first.truncated => (
                    first.text,
                    "the reply was cut off at the token limit; keep evidence to a few words and feedback to 2 sentences".to_string(),
                ),
                Err(problem) => (first.text, problem),
            }
        }
        Err(CallError::TooLarge) => (String::new(), CallError::TooLarge.to_string()),
        Err(err) => return Err(AskError::Call(err)),
    };
    let retry = format!(
        "Your reply was not a valid verdict: {problem}. Reply again with only the JSON object, following the rules."
    );
    let excerpt = crate::text::cut(&first, REASK_EXCERPT_CHARS);
    if !excerpt.is_empty() {
        messages.push(("assistant", excerpt.as_str()));
    }
    messages.push(("user", retry.as_str()));
    let second = match within_budget(judge, &messages, &schema, &mut usage).await? {
        Err(CallError::TooLarge) => return Err(AskError::Invalid(CallError::TooLarge.to_string())),
        other => other.map_err(AskError::Call)?,
    };
    parse_verdict_for(&second.text, question, answer)
        .map(|raw| (raw, usage))
        .map_err(|problem| AskError::Invalid(judge.mask_error(&problem)))
}

/// One call, its tokens added to `usage`. A reply that spent the whole
/// budget reasoning (empty, `finish_reason: "length"`) is not an invalid
/// verdict: it is asked again once with a larger budget, then it is
/// `AskError::Spent`.
async fn within_budget<J: Judge>(
    judge: &J,
    messages: &[(&str, &str)],
    schema: &serde_json::Value,
    usage: &mut Usage,
) -> Result<Result<Reply, CallError>, AskError> {
    let mut widened = false;
    loop {
        let reply = match judge.complete(messages, schema).await {
            Ok(reply) => reply,
            Err(err) => return Ok(Err(err)),
        };
        *usage = *usage + reply.usage.unwrap_or_default();
        if !reply.spent() {
            return Ok(Ok(reply));
        }
        let budget = judge.budget();
        if widened || judge.widen().is_none() {
            return Err(AskError::Spent { budget });
        }
        widened = true;
    }
}

/// The first request of an ask: the prompt with a fresh nonce, and the
/// bounded verdict schema. A live ask sends it at once; the Batch API writes
/// it as one line of its input file.
pub fn first_request(
    templates: &Templates,
    question: &Question,
    answer: &str,
) -> (prompts::Prompt, serde_json::Value) {
    let nonce = prompts::nonce_for(question, answer);
    let prompt = prompts::render(templates, question, answer, &nonce);
    (prompt, verdict_schema(question, true))
}

/// A reply's text checked as a live ask checks its first reply: a verdict
/// for this question and answer, as decoded; else the problem, masked.
pub fn check_reply<J: Judge>(
    judge: &J,
    text: &str,
    question: &Question,
    answer: &str,
) -> Result<RawVerdict, String> {
    parse_verdict_for(text, question, answer).map_err(|problem| judge.mask_error(&problem))
}

/// The cache key: the same model, server, prompt templates, question and
/// answer always give the same verdict, so they are asked once.
pub fn cache_key(
    model: &str,
    base_url: &str,
    templates: &Templates,
    question: &Question,
    answer: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        model,
        base_url,
        &templates.system,
        &templates.user,
        &question.question,
        &question.model_answer,
        &prompts::key_point_lines(question),
        answer,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    // Only when there is one, so the keys of other answers stay as they were.
    if let Some(follow_up) = &question.follow_up {
        h.update(b"follow_up");
        h.update((follow_up.len() as u64).to_le_bytes());
        h.update(follow_up.as_bytes());
    }
    h.finalize()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The verdict for an empty answer: nothing to send, nothing covered.
pub fn empty_answer_verdict(question: &Question) -> Verdict {
    let raw = RawVerdict {
        key_points: Vec::new(),
        mistakes: Vec::new(),
        feedback: "The answer was empty, so there was nothing to grade.".into(),
        follow_up: question.question.clone(),
    };
    finalize(raw, question, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Difficulty, KeyPoint};
    use std::sync::Mutex;

    /// Replies from a script, recording what it was sent.
    struct Scripted {
        replies: Mutex<Vec<Result<&'static str, CallError>>>,
        seen: Mutex<Vec<Vec<(String, String)>>>,
    }

    impl Judge for Scripted {
        fn model(&self) -> &'static str {
            "scripted"
        }

        fn complete(
            &self,
            messages: &[(&str, &str)],
            _schema: &serde_json::Value,
        ) -> impl Future<Output = Result<Reply, CallError>> + Send {
            self.seen.lock().unwrap().push(
                messages
                    .iter()
                    .map(|(r, c)| ((*r).to_string(), (*c).to_string()))
                    .collect(),
            );
            let reply = self.replies.lock().unwrap().remove(0).map(|text| Reply {
                text: text.to_string(),
                usage: Some(Usage {
                    prompt: 100,
                    cached: 60,
                    completion: 20,
                    reasoning: 0,
                }),
                truncated: false,
            });
            async move { reply }
        }
    }

    fn question() -> Question {
        Question {
            id: "q".into(),
            topic: "t".into(),
            question: "Why?".into(),
            difficulty: Difficulty::Core,
            wants_example: false,
            minutes: 2,
            model_answer: "M".into(),
            sources: vec![],
            reviewed: None,
            follow_up: None,
            key_points: vec![KeyPoint {
                id: "k".into(),
                point: "P".into(),
                weight: 1,
                cues: vec![],
            }],
        }
    }

    const GOOD: &str = r#"{"key_points":[{"id":"k","coverage":"covered","evidence":"x"}],"mistakes":[],"feedback":"f","follow_up":"u"}"#;
    const BAD: &str = r#"{"key_points":[{"id":"zz","coverage":"covered","evidence":"x"}],"mistakes":[],"feedback":"f","follow_up":"u"}"#;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn an_invalid_verdict_is_retried_once_with_the_problem() {
        let judge = Scripted {
            replies: Mutex::new(vec![Ok(BAD), Ok(GOOD)]),
            seen: Mutex::default(),
        };
        let (raw, usage) = block_on(ask(&judge, &Templates::default(), &question(), "x")).unwrap();
        assert_eq!(raw.key_points[0].id, "k");
        assert_eq!(
            usage,
            Usage {
                prompt: 200,
                cached: 120,
                completion: 40,
                reasoning: 0,
            },
            "both calls are counted"
        );
        let seen = judge.seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        let retry = &seen[1];
        assert_eq!(retry.len(), 4);
        assert_eq!(retry[2], ("assistant".to_string(), BAD.to_string()));
        assert!(
            retry[3].1.contains("unknown key point id `zz`"),
            "{}",
            retry[3].1
        );
    }

    #[test]
    fn two_invalid_verdicts_leave_the_answer_ungraded() {
        let judge = Scripted {
            replies: Mutex::new(vec![Ok("nope"), Ok(BAD)]),
            seen: Mutex::default(),
        };
        let err = block_on(ask(&judge, &Templates::default(), &question(), "x")).unwrap_err();
        assert!(
            matches!(err, AskError::Invalid(ref e) if e.contains("zz")),
            "{err:?}"
        );
    }

    #[test]
    fn the_cache_key_changes_with_each_input() {
        let t = Templates::default();
        let q = question();
        let base = cache_key("m", "u", &t, &q, "a");
        assert_eq!(base, cache_key("m", "u", &t, &q, "a"));
        assert_ne!(base, cache_key("m2", "u", &t, &q, "a"));
        assert_ne!(base, cache_key("m", "u2", &t, &q, "a"));
        assert_ne!(base, cache_key("m", "u", &t, &q, "a "));
        let t2 = Templates {
            system: "other".into(),
            ..t.clone()
        };
        assert_ne!(base, cache_key("m", "u", &t2, &q, "a"));
    }

    #[test]
    fn an_empty_answer_scores_zero_without_a_call() {
        let v = empty_answer_verdict(&question());
        assert_eq!(v.score, 0.0);
        assert!(v.feedback.contains("empty"));
    }
}
