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

use std::io::Write;
use std::path::Path;

use crate::error::{BcError, Result};

/// Writes a file atomically: temp file in the same folder, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map_or("out".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        BcError::io(path.display(), &e)
    })
}
