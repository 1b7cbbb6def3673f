//! `JudgeGrader` against an in-memory judge: the verdict cache, one request
//! for identical answers in flight, `--samples` and their vote, a failing
//! sample, and what the cache key is made of. No HTTP: the requests are
//! counted where they would have been sent. (The HTTP path itself is tested
//! against the fake server in `tests/`.)

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{GradeError, Job, JudgeGrader};
use crate::bank::Question;
use crate::prompts::Templates;
use crate::provider::ask::{AskError, Judge, Reply};
use crate::provider::openai::CallError;
use crate::store::{GradedBy, NewAttempt, Store};
use crate::time::Clock;
use crate::verdict::tests_support::question;
use crate::verdict::{Coverage, Usage};

const ANSWER: &str =
    "RAG retrieves documents at query time from a vector index, which is cheaper than retraining.";

/// A judge in memory: replies from a script (then a default verdict), every
/// request counted with its user prompt. Each reply waits a few turns of the
/// runtime first, as a server would, so requests overlap.
struct Memory {
    model: String,
    script: Mutex<VecDeque<Result<String, CallError>>>,
    prompts: Mutex<Vec<String>>,
    asked: AtomicUsize,
}

impl Memory {
    fn new(model: &str, script: Vec<Result<String, CallError>>) -> Memory {
        Memory {
            model: model.into(),
            script: Mutex::new(script.into()),
            prompts: Mutex::default(),
            asked: AtomicUsize::new(0),
        }
    }
}

const USAGE: Usage = Usage {
    prompt: 100,
    cached: 0,
    completion: 10,
    reasoning: 0,
};

impl Judge for Memory {
    fn model(&self) -> &str {
        &self.model
    }

    fn complete(
        &self,
        messages: &[(&str, &str)],
        _schema: &serde_json::Value,
    ) -> impl Future<Output = Result<Reply, CallError>> + Send {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let user = messages
            .get(1)
            .map(|(_, c)| c.to_string())
            .unwrap_or_default();
        self.prompts.lock().unwrap().push(user);
        let next = self.script.lock().unwrap().pop_front();
        let reply = next
            .unwrap_or_else(|| Ok(verdict(&["covered", "covered", "covered"])))
            .map(|text| Reply {
                text,
                usage: Some(USAGE),
                truncated: false,
            });
        async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            reply
        }
    }
}

/// The judge's reply for points a, b and c with these coverages, each
/// quoting the answer.
fn verdict(coverages: &[&str; 3]) -> String {
    let quotes = [
        "RAG retrieves documents at query time",
        "from a vector index",
        "which is cheaper than retraining",
    ];
    let points: Vec<serde_json::Value> = ["a", "b", "c"]
        .iter()
        .zip(coverages)
        .zip(quotes)
        .map(|((id, coverage), quote)| {
            let evidence = if *coverage == "missing" { "" } else { quote };
            serde_json::json!({"id": id, "coverage": coverage, "evidence": evidence})
        })
        .collect();
    serde_json::json!({
        "key_points": points,
        "mistakes": [],
        "feedback": "f",
        "follow_up": "u"
    })
    .to_string()
}

fn grader(judge: Memory, samples: usize) -> JudgeGrader<Memory> {
    JudgeGrader::new(judge, Templates::default(), "http://judge.test", samples)
}

fn asked(g: &JudgeGrader<Memory>) -> usize {
    g.judge().asked.load(Ordering::SeqCst)
}

fn store() -> Store {
    Store::in_memory(Clock::system()).unwrap()
}

fn attempt(store: &Store, answer: &str) -> i64 {
    store
        .insert_attempt(&NewAttempt {
            question_id: "q",
            topic: "t",
            answer,
            ..Default::default()
        })
        .unwrap()
}

fn job<'a>(attempt_id: i64, q: &'a Question, answer: &'a str) -> Job<'a> {
    Job {
        attempt_id,
        question: q,
        answer,
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_cached_verdict_is_not_asked_again_in_this_run_or_the_next() {
    let (store, q) = (store(), question());
    let g = grader(Memory::new("m", vec![]), 1);
    let first = attempt(&store, ANSWER);
    let (v, by) = block_on(g.grade(&store, job(first, &q, ANSWER))).unwrap();
    assert_eq!((v.score, asked(&g)), (10.0, 1));
    assert_eq!(by, GradedBy::Judge("m".into()));
    assert_eq!(v.usage, Some(USAGE), "the request's tokens");

    let second = attempt(&store, ANSWER);
    let (again, _) = block_on(g.grade(&store, job(second, &q, ANSWER))).unwrap();
    assert_eq!(asked(&g), 1, "the same answer is not asked twice");
    assert_eq!(again.score, 10.0);
    assert_eq!(again.usage, None, "a cached verdict cost nothing");

    // The cache is the store's: a later run (another grader) finds it too.
    let later = grader(Memory::new("m", vec![]), 1);
    let third = attempt(&store, ANSWER);
    block_on(later.grade(&store, job(third, &q, ANSWER))).unwrap();
    assert_eq!(asked(&later), 0);
    for id in [first, second, third] {
        assert_eq!(store.attempt(id).unwrap().unwrap().score, Some(10.0));
    }
}

#[test]
fn identical_answers_in_flight_share_one_request() {
    let (store, question) = (store(), question());
    let grader = grader(Memory::new("m", vec![]), 1);
    let both = |answer: &'static str| {
        let (first, second) = (attempt(&store, answer), attempt(&store, answer));
        block_on(async {
            futures::join!(
                grader.grade(&store, job(first, &question, answer)),
                grader.grade(&store, job(second, &question, answer))
            )
        })
    };
    let (first, second) = both(ANSWER);
    let (first, second) = (first.unwrap().0, second.unwrap().0);
    assert_eq!(asked(&grader), 1, "one request for both");
    assert_eq!((first.score, second.score), (10.0, 10.0));
    let tokens: u64 = [first.usage, second.usage]
        .iter()
        .flatten()
        .map(|u| u.prompt)
        .sum();
    assert_eq!(tokens, USAGE.prompt, "its tokens counted once");

    // Another answer in flight is asked for itself.
    let other = "RAG retrieves documents from a vector index.";
    let (id, again) = (attempt(&store, other), attempt(&store, ANSWER));
    let (other_result, again_result) = block_on(async {
        futures::join!(
            grader.grade(&store, job(id, &question, other)),
            grader.grade(&store, job(again, &question, ANSWER))
        )
    });
    other_result.unwrap();
    again_result.unwrap();
    assert_eq!(
        asked(&grader),
        2,
        "the other answer asked, the first cached"
    );
}

#[test]
fn samples_are_asked_each_and_voted_per_point() {
    let (store, q) = (store(), question());
    let script = vec![
        Ok(verdict(&["covered", "covered", "missing"])),
        Ok(verdict(&["covered", "missing", "missing"])),
        Ok(verdict(&["covered", "covered", "partial"])),
    ];
    let g = grader(Memory::new("m", script), 3);
    assert_eq!(g.samples(), 3);
    let assessed = block_on(g.assess(&store, &q, ANSWER)).unwrap();
    assert_eq!(asked(&g), 3, "one request per sample");
    assert_eq!(assessed.samples.len(), 3);
    let got: Vec<(&str, Coverage, bool)> = assessed
        .verdict
        .key_points
        .iter()
        .map(|p| (p.id.as_str(), p.coverage, p.uncertain))
        .collect();
    use Coverage::{Covered as C, Missing as M};
    // Each point's majority, in bank order; uncertain where the samples split.
    assert_eq!(got, [("a", C, false), ("b", C, true), ("c", M, true)]);
    assert_eq!(assessed.verdict.score, 7.5, "(2 + 1) of 4, scored by grill");
    assert_eq!(
        assessed.verdict.usage.map(|u| u.prompt),
        Some(3 * USAGE.prompt),
        "every sample's tokens"
    );
    // The first sample is asked in bank order, as a single grade is; the
    // others with the points reordered, so the prompts are not all alike.
    let single = grader(Memory::new("m", vec![]), 1);
    block_on(single.assess(&Store::in_memory(Clock::system()).unwrap(), &q, ANSWER)).unwrap();
    let points = |prompt: &str| {
        let start = prompt.find("## Key points").unwrap();
        let end = prompt.find("## Candidate").unwrap();
        prompt[start..end].to_string()
    };
    let orders: Vec<String> = g
        .judge()
        .prompts
        .lock()
        .unwrap()
        .iter()
        .map(|p| points(p))
        .collect();
    assert_eq!(
        orders[0],
        points(&single.judge().prompts.lock().unwrap()[0])
    );
    assert!(orders[1..].iter().any(|p| *p != orders[0]), "{orders:?}");

    // Each sample is cached under its own key: a rerun asks nothing.
    let rerun = grader(Memory::new("m", vec![]), 3);
    let again = block_on(rerun.assess(&store, &q, ANSWER)).unwrap();
    assert_eq!(asked(&rerun), 0);
    assert_eq!(again.verdict.score, 7.5);
}

#[test]
fn a_failing_sample_fails_the_grade_and_keeps_what_was_answered() {
    let (store, q) = (store(), question());
    let refused = CallError::GaveUp {
        attempts: 3,
        last: "503 Service Unavailable".into(),
    };
    let script = vec![
        Ok(verdict(&["covered", "covered", "covered"])),
        Err(refused.clone()),
    ];
    let g = grader(Memory::new("m", script), 3);
    let id = attempt(&store, ANSWER);
    let err = block_on(g.grade(&store, job(id, &q, ANSWER))).unwrap_err();
    assert!(
        matches!(err, GradeError::Judge(AskError::Call(ref e)) if *e == refused),
        "{err}"
    );
    assert_eq!(asked(&g), 2, "no sample is asked after a failed one");
    let stored = store.attempt(id).unwrap().unwrap();
    assert_eq!(stored.score, None, "the answer stays ungraded");
    assert!(stored.error.unwrap().contains("503"), "with the reason");

    // Regraded later: the sample that was answered comes from the cache.
    let regrade = grader(Memory::new("m", vec![]), 3);
    let (v, _) = block_on(regrade.grade(&store, job(id, &q, ANSWER))).unwrap();
    assert_eq!(asked(&regrade), 2);
    assert_eq!(v.score, 10.0);
    assert_eq!(store.attempt(id).unwrap().unwrap().score, Some(10.0));
}

#[test]
fn the_cache_key_changes_with_the_model_the_prompt_and_the_answer() {
    let (store, q) = (store(), question());
    let base = grader(Memory::new("m", vec![]), 1);
    block_on(base.assess(&store, &q, ANSWER)).unwrap();
    let key = base.cache_key_for(&q, ANSWER);
    assert_eq!(
        key,
        grader(Memory::new("m", vec![]), 1).cache_key_for(&q, ANSWER)
    );

    let other_model = grader(Memory::new("m2", vec![]), 1);
    let other_prompt = JudgeGrader::new(
        Memory::new("m", vec![]),
        Templates {
            system: "Grade harshly.".into(),
            ..Templates::default()
        },
        "http://judge.test",
        1,
    );
    let other_server = JudgeGrader::new(
        Memory::new("m", vec![]),
        Templates::default(),
        "http://other.test",
        1,
    );
    for g in [&other_model, &other_prompt, &other_server] {
        assert_ne!(g.cache_key_for(&q, ANSWER), key);
        block_on(g.assess(&store, &q, ANSWER)).unwrap();
        assert_eq!(asked(g), 1, "not answered from another setting's cache");
    }
    assert_ne!(base.cache_key_for(&q, "another answer"), key);
    let mut reworded = q.clone();
    reworded.key_points[0].point = "a point, reworded".into();
    assert_ne!(base.cache_key_for(&reworded, ANSWER), key);
}

#[test]
fn an_empty_answer_is_never_sent() {
    let (store, q) = (store(), question());
    let g = grader(Memory::new("m", vec![]), 1);
    let id = attempt(&store, "  ");
    let (v, by) = block_on(g.grade(&store, job(id, &q, "  "))).unwrap();
    assert_eq!((v.score, by, asked(&g)), (0.0, GradedBy::Empty, 0));
}
