//! Paying out: import, build, submit, track, and the cost and fee figures they print.

pub mod build;
pub mod cost;
pub mod fees;
pub mod payouts;
pub mod send;
pub mod submit;
pub mod summary;
pub mod track;
