//! Sessions as plain data and pure decisions. `plan`: which questions to
//! ask, in what order, with what time; `machine`: the session itself, an
//! event in and the next effect out. No terminal, network or SQLite here:
//! `crate::drive` performs the effects.

mod events;
mod machine;
mod plan;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_follow_ups;
#[cfg(test)]
mod tests_interview;
#[cfg(test)]
mod tests_voice;

pub use events::{Answer, Choice, Effect, Event, Graded, Kind, Left, Round, Setup, Show};
pub use machine::Session;
pub use plan::{candidates, order, question_limit, spread, Filter, Order, Seen};
