//! Counts the judge prompt's own tokens (o200k_base, the tokenizer of the
//! gpt-4o family) for `scripts/bench`, and renders the judge prompt for one
//! question and answer so the peer in the benchmark can send the same text.
//!
//! ```text
//! prompt_tokens                         # key=value lines: the prompt's own tokens, and full prompts
//! prompt_tokens --render QUESTION_ID ANSWER_FILE SYSTEM_OUT USER_OUT
//! ```
//!
//! "Own tokens" are everything but the question, the model answer, the key
//! points and the answer: both built-in templates rendered with those four
//! left empty and a real random 16-character nonce; the figure is the largest
//! over 200 nonces (their tokenization varies), with the median beside it. The chat framing a server adds
//! per message (a few tokens) is not counted. The BPE ranks are compiled into
//! `tiktoken-rs`, so nothing is downloaded.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a measuring tool: its output is its job

use std::process::ExitCode;

use grill::bank::{Bank, Question};
use grill::prompts::{self, Templates};
use tiktoken_rs::CoreBPE;

fn tokens(bpe: &CoreBPE, text: &str) -> usize {
    bpe.encode_ordinary(text).len()
}

/// A plausible answer of about 120 words, for the full-prompt figures.
const SAMPLE_ANSWER: &str = "I would start from what the system must do and what failure costs. \
Retrieval puts the relevant documents into the context at query time, so the model can ground \
its answer in them and cite them, and the knowledge can be updated by re-indexing instead of \
retraining. Fine-tuning changes the weights: it is good for style, format and narrow skills, \
but it is slow to update, can hallucinate facts it half learned, and gives no citations. In \
practice I measure retrieval recall on a labelled set first, then the answer's faithfulness \
to the retrieved text, and only fine-tune when prompting and retrieval cannot reach the \
required behaviour, for example a strict output format at a low latency budget.";

fn percentile(sorted: &[usize], p: f64) -> usize {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// How many random nonces the own-token count is taken over: a nonce is 16
/// random alphanumerics, and its token count varies from one to the next.
const NONCES: usize = 200;

fn report(bank: &Bank, bpe: &CoreBPE) {
    let templates = Templates::default();
    let mut own: Vec<(usize, usize)> = (0..NONCES)
        .map(|_| {
            let nonce = prompts::fresh_nonce("");
            let values = [
                ("question", ""),
                ("model_answer", ""),
                ("key_points", ""),
                ("answer", ""),
                ("nonce", nonce.as_str()),
            ];
            (
                tokens(bpe, &prompts::fill(&templates.system, &values)),
                tokens(bpe, &prompts::fill(&templates.user, &values)),
            )
        })
        .collect();
    own.sort_unstable_by_key(|(s, u)| s + u);
    // The worst case over the nonces, which is what the budget must hold for.
    let (system, user) = own[own.len() - 1];
    let totals: Vec<usize> = own.iter().map(|(s, u)| s + u).collect();
    println!("own_system_tokens={system}");
    println!("own_user_tokens={user}");
    println!("own_tokens={}", system + user);
    println!("own_tokens_median={}", percentile(&totals, 0.5));
    println!("own_tokens_min={}", totals[0]);
    println!("nonces={NONCES}");

    let mut full: Vec<usize> = bank
        .questions
        .iter()
        .map(|q| {
            let nonce = prompts::fresh_nonce(SAMPLE_ANSWER);
            let p = prompts::render(&templates, q, SAMPLE_ANSWER, &nonce);
            tokens(bpe, &p.system) + tokens(bpe, &p.user)
        })
        .collect();
    full.sort_unstable();
    println!("questions={}", full.len());
    println!("sample_answer_tokens={}", tokens(bpe, SAMPLE_ANSWER));
    if !full.is_empty() {
        println!("full_prompt_tokens_median={}", percentile(&full, 0.5));
        println!("full_prompt_tokens_max={}", full[full.len() - 1]);
    }
}

fn render(
    bank: &Bank,
    id: &str,
    answer_file: &str,
    system_out: &str,
    user_out: &str,
) -> Result<(), String> {
    let question: &Question = bank
        .get(id)
        .ok_or_else(|| format!("no question `{id}` in the built-in bank"))?;
    let answer = std::fs::read_to_string(answer_file)
        .map_err(|e| format!("cannot read {answer_file}: {e}"))?;
    let answer = answer.trim_end();
    let nonce = prompts::fresh_nonce(answer);
    let p = prompts::render(&Templates::default(), question, answer, &nonce);
    std::fs::write(system_out, &p.system).map_err(|e| format!("cannot write {system_out}: {e}"))?;
    std::fs::write(user_out, &p.user).map_err(|e| format!("cannot write {user_out}: {e}"))?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bank = match Bank::load(&[]) {
        Ok(bank) => bank,
        Err(e) => {
            eprintln!(
                "prompt_tokens: cannot load the built-in bank: {}",
                e.message
            );
            return ExitCode::from(1);
        }
    };
    let result = match args.as_slice() {
        [] => tiktoken_rs::o200k_base()
            .map_err(|e| format!("cannot load o200k_base: {e}"))
            .map(|bpe| report(&bank, &bpe)),
        [flag, id, answer, system, user] if flag == "--render" => render(&bank, id, answer, system, user),
        _ => Err(
            "usage: prompt_tokens | prompt_tokens --render QUESTION_ID ANSWER_FILE SYSTEM_OUT USER_OUT"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prompt_tokens: {e}");
            ExitCode::from(2)
        }
    }
}
