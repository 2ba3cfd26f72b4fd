//! M-of-N accounts: permissions, approvals and approvers, permission updates.

pub mod approvals;
pub mod approvers;
pub mod permission_alone;
pub mod permission_change;
pub mod permission_cmd;
pub mod permission_plan;
pub mod permission_update;
pub mod permissions;
