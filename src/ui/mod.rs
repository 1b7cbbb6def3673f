//! The terminal edge: answers typed (`terminal`) or piped (`piped`) under
//! one protocol (`input`), `$EDITOR` for `:edit`, the interview clock, the
//! self-grading checklist, spinners, the output streams, and a recorder
//! program for spoken answers (`record`).

pub mod checklist;
pub mod clock;
pub mod draft;
pub mod editor;
pub mod input;
pub mod piped;
pub mod progress;
pub mod record;
pub mod render;
pub mod signals;
pub mod terminal;
pub mod uncertain;
