//! One function per subcommand. Each takes the resolved settings and does its
//! work through the core modules; none of them parses flags or exits.

pub mod browse;
pub mod config;
pub mod grade;
pub mod history;
pub mod offline;
pub mod review;
pub mod session;
