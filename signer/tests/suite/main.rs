//! coldpay-signer's integration tests, one test binary (one link on a 2-core machine): each
//! module holds one concern's tests and drives the built `coldpay-signer`; `common` is their
//! shared home, runners and request builders; the reference vectors are in `tests/data/`.

mod common;

mod build_identity;
mod cli;
mod docs;
mod duplicates;
mod hardening;
mod keys_flow;
mod multisig;
mod no_echo;
mod policy_seal;
mod pty;
mod records;
mod stages;
mod staking;
