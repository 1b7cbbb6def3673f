//! Sessions as plain data and pure decisions. `plan`: which questions to
//! ask, in what order, with what time; `machine`: the session itself, an
//! event in and the next effect out. No terminal, network or SQLite here:
//! `crate::drive` performs the effects.

mod machine;
mod plan;
#[cfg(test)]
mod tests;

pub use machine::{Answer, Choice, Effect, Event, Graded, Kind, Left, Round, Session, Setup, Show};
pub use plan::{candidates, order, question_limit, spread, Filter, Order, Seen};
