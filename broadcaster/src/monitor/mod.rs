//! Watching the treasury: transfers, alarms, balances, reconcile and its coverage, audit-log heads, metrics.

pub mod alarms;
pub mod audit_check;
pub mod balances;
pub mod coverage;
pub mod discrepancy;
pub mod metrics;
pub mod reconcile;
pub mod sweep;
pub mod transfers;
pub mod watch;
pub mod watch_cmd;
