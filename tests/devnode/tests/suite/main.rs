//! coldpay-devnode's integration tests, one test binary (one link on a 2-core machine): each
//! module drives the node (or its pool proxy, or its HTTP server) over loopback; `common` is
//! their node harness; captured java-tron answers are in `tests/data/`.

mod common;

mod blocks;
mod fund_clock;
mod http;
mod permissions;
mod pool;
mod server;
mod stake;
