//! The terminal edge: answers typed or piped, the interview clock, the
//! self-grading checklist, spinners, and the output streams.

pub mod checklist;
pub mod clock;
pub mod input;
pub mod progress;
pub mod render;
pub mod uncertain;
