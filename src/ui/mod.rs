//! The terminal edge: colours, layout and (later) answer input.

pub mod clock;
pub mod input;
pub mod render;
