//! coldpay-broadcaster: the online half of coldpay. Turns payout lists into unsigned
//! transactions for the cold signer, and signed responses into confirmed payments, keeping every
//! payout in a crash-safe SQLite journal so nothing is paid twice or lost.

pub mod alarms;
pub mod answers;
pub mod approvals;
pub mod approvers;
pub mod audit_check;
pub mod audit_head;
pub mod balances;
pub mod blockwalk;
pub mod build;
pub mod cli;
pub mod config;
pub mod cost;
pub mod coverage;
pub mod discrepancy;
pub mod error;
pub mod fees;
pub mod journal;
pub mod limiter;
pub mod lock;
pub mod log;
pub mod metrics;
pub mod movements;
pub mod network;
pub mod node;
pub mod payouts;
pub mod permission_alone;
pub mod permission_change;
pub mod permission_cmd;
pub mod permission_plan;
pub mod permission_update;
pub mod permissions;
pub mod qrio;
pub mod receipts;
pub mod reconcile;
pub mod report;
pub mod send;
pub mod stake_cmd;
pub mod stake_state;
pub mod stake_view;
pub mod staking;
pub mod submit;
pub mod summary;
pub mod sweep;
pub mod tokens;
pub mod track;
pub mod transfers;
pub mod watch;
pub mod watch_cmd;

use std::path::Path;

use crate::error::{BcError, Result};

/// Writes a file atomically through the workspace's one atomic writer
/// (`coldpay_shared::atomic_file`): temp file in the same folder, fsync, rename, fsync the
/// folder. Files are mode 0644 (requests, metrics and configs hold no secret).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    coldpay_shared::atomic_file::write_atomic(path, bytes, 0o644)
        .map_err(|e| BcError::io(path.display(), &e))
}
