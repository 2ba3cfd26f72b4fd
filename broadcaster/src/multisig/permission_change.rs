//! The permission change `accounts set-permission` asks for (planned by
//! [`crate::multisig::permission_update`], checked for keys that can pay alone by
//! [`crate::multisig::permission_alone`]).

use coldpay_shared::permission::{Operations, PermissionKey};
use coldpay_shared::Address;

/// The change `set-permission` asks for.
#[derive(Clone, Debug)]
pub struct Change {
    /// The account.
    pub account: Address,
    /// Name of the active permission to add or replace.
    pub name: String,
    /// Its threshold.
    pub threshold: i64,
    /// Its keys.
    pub keys: Vec<PermissionKey>,
    /// Its operations.
    pub operations: Operations,
    /// Its id (`--id`): an existing active's id, or the next one.
    pub id: Option<i32>,
    /// A new owner permission: threshold and keys (`--owner-threshold`, `--owner-key`).
    pub owner: Option<(i64, Vec<PermissionKey>)>,
}
