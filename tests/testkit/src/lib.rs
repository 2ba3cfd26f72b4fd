//! coldpay-testkit: the fixtures every test suite of the workspace shares, written once.
//!
//! - [`policy`]: a builder for the signer's policy TOML (the test policy and its variants).
//! - [`permission`]: account permissions (owner, actives, updates) as tests set them up.
//! - [`fixtures`]: the test addresses and the known-answer key.
//!
//! It depends on `coldpay-shared` alone, so the signer's, the broadcaster's and the dev node's
//! tests can use it without a dependency cycle (`coldpay-tests` depends on all three).

pub mod fixtures;
pub mod permission;
pub mod policy;

pub use policy::{Limits, Policy};
