//! coldpay-broadcaster's integration tests, one test binary (one link on a 2-core machine):
//! each module holds one concern's tests, most against the dev node over loopback HTTP;
//! `common` is their harness (a dev node, a journal, a stand-in signer); captured node answers
//! are in `tests/data/`.

mod common;

mod answers;
mod build_identity;
mod e2e;
mod journal_cli;
mod multisig;
mod operator;
mod pool;
mod service;
mod watch;
