//! Integration tests: the real `grill` binary, run hermetically (see
//! `common::Env`), against a fake OpenAI-compatible server on loopback where a
//! judge is needed. One test binary, so it links once.

// Tests report what they measured in their own output; only the program's
// output must never panic on a closed pipe.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../common/mod.rs"]
mod common;

mod attack;
mod attack_bank;
mod attack_batch;
mod attack_export;
mod attack_text;
mod bad_input;
mod bank_quality;
mod batch_api;
mod batch_jobs;
mod browse;
mod calibrate;
mod conventions;
mod cues_eval;
mod debrief;
mod export;
mod faults;
mod first_hour;
mod followups;
mod grade;
mod grading;
mod injection;
mod json_shapes;
mod judge;
mod layout;
mod progress;
mod props;
mod pty;
mod rate_limits;
mod real_judge;
mod reasoning;
mod review_points;
mod secrets;
mod session;
mod signals;
mod stream;
mod terminal;
mod usage;
mod voice;
mod voice_session;
