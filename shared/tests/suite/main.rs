//! coldpay-shared's integration tests, one test binary (one link on a 2-core machine): each
//! module holds one concern's tests; the reference vectors are in `tests/data/` (README there).

mod bad_inputs;
mod blocks;
mod compact;
mod doc_examples;
mod input_hardening;
mod permission;
mod properties;
#[cfg(feature = "qr")]
mod qr_images;
mod staking_vectors;
mod vectors;
