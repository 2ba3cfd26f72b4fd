//! The signer's audit head, journaled per sign response (`submit`): a hash chain cannot show
//! that its own tail was cut, so the online side remembers the highest audit sequence number
//! each signer log has shown and refuses a response whose sequence goes backwards.
//!
//! It also remembers which signer keys answered under which log: once the journal holds a
//! head for a key, a response from that key without `audit_head` is refused (a head cannot be
//! dropped), and a response from it under another log (a wiped home restarting at sequence 1,
//! another machine) is refused naming both logs, unless the operator accepts that new log for
//! that key (`submit --accept-new-audit-log KEY`, journaled in `audit_log_overrides`).
//!
//! The rules and their SQL live in the journal ([`crate::journal::audit_heads`]); this module
//! names them for `submit` and `audit verify`.

pub use crate::journal::audit_heads::{check_and_record, check_keys, AuditHeadRow, AuditOverride};
