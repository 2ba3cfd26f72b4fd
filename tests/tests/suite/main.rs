//! coldpay's cross-crate tests, one test binary (one link on a 2-core machine): the ceremony
//! end to end, both binaries against the reference vectors, the docs against the code, the
//! module graph of every crate, and the test data kept once. Shared helpers are the
//! `coldpay-tests` library (`src/`); fixtures are `coldpay-testkit`'s.

mod ceremony;
mod cli_vectors;
mod docs_current;
mod module_cycles;
mod readme_commands;
mod stake_cost;
mod staking_round;
mod test_data;
