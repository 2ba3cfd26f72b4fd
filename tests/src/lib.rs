//! Helpers shared by coldpay's cross-crate tests.
