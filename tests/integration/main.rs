//! Integration tests: the real `grill` binary, run hermetically (see
//! `common::Env`), against a fake OpenAI-compatible server on loopback where a
//! judge is needed. One test binary, so it links once.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod browse;
mod cues_eval;
mod faults;
mod grade;
mod injection;
mod progress;
mod props;
mod pty;
mod secrets;
mod session;
