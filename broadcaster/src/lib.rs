//! coldpay-broadcaster: the online half of coldpay. Turns payout lists into unsigned
//! transactions for the cold signer, and signed responses into confirmed payments, keeping every
//! payout in a crash-safe SQLite journal so nothing is paid twice or lost.

pub mod chain;
pub mod cli;
pub mod config;
pub mod error;
pub mod journal;
pub mod log;
pub mod monitor;
pub mod multisig;
pub mod node;
pub mod payout;
pub mod qrio;
pub mod report;
pub mod staking;
pub mod tokens;

use std::path::Path;

use crate::error::{BcError, Result};

/// Writes a file atomically through the workspace's one atomic writer
/// (`coldpay_shared::atomic_file`): temp file in the same folder, fsync, rename, fsync the
/// folder. Files are mode 0644 (requests, metrics and configs hold no secret).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    coldpay_shared::atomic_file::write_atomic(path, bytes, 0o644)
        .map_err(|e| BcError::io(path.display(), &e))
}
