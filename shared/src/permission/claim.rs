//! The permission a sign request claims its transactions are signed under, as the
//! broadcaster read it from the node. The signer shows it; the chain enforces the truth.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::address::Address;
use crate::error::{Error, Result};

use super::{
    Operations, Permission, PermissionKey, PermissionKind, FIRST_ACTIVE_PERMISSION_ID,
    OWNER_PERMISSION_ID,
};

/// A permission claim: top-level `"permission"` of a sign request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionClaim {
    /// Permission id (0 owner, 2.. active); every transaction's Permission_id must equal it.
    pub id: i32,
    /// `permission_name`.
    pub name: String,
    /// Weight needed.
    pub threshold: i64,
    /// Keys and weights.
    pub keys: Vec<PermissionKey>,
    /// Contract types the permission may sign (for the owner: everything it is shown with).
    pub operations: Operations,
}

impl PermissionClaim {
    /// The claim of a permission read from the node. An owner permission (no operations
    /// bitmap) is claimed with every known contract type.
    pub fn from_permission(p: &Permission) -> Self {
        PermissionClaim {
            id: p.id,
            name: p.name.clone(),
            threshold: p.threshold,
            keys: p.keys.clone(),
            operations: p.operations.unwrap_or_else(Operations::all_known),
        }
    }

    /// The permission this claim describes (owner for id 0, active otherwise).
    pub fn to_permission(&self) -> Permission {
        let owner = self.id == OWNER_PERMISSION_ID;
        Permission {
            kind: if owner {
                PermissionKind::Owner
            } else {
                PermissionKind::Active
            },
            id: self.id,
            name: self.name.clone(),
            threshold: self.threshold,
            parent_id: 0,
            operations: (!owner).then_some(self.operations),
            keys: self.keys.clone(),
        }
    }

    /// Checks the claim describes a permission java-tron could hold: id 0 or ≥ 2 and the
    /// rules of [`Permission::check`].
    pub fn validate(&self) -> Result<()> {
        if self.id != OWNER_PERMISSION_ID && self.id < FIRST_ACTIVE_PERMISSION_ID {
            return Err(Error::Permission(format!(
                "claimed permission id {} cannot sign transactions (0 owner or 2 and up for actives)",
                self.id
            )));
        }
        self.to_permission().check()
    }

    /// The weight of `address` in the claim (`None`: not a key).
    pub fn key_weight(&self, address: &Address) -> Option<i64> {
        self.keys
            .iter()
            .find(|k| &k.address == address)
            .map(|k| k.weight)
    }

    /// Whether the claimed permission may sign contract type `contract_type`.
    pub fn allows(&self, contract_type: i32) -> bool {
        self.id == OWNER_PERMISSION_ID || self.operations.allows(contract_type)
    }

    /// "permission payouts: 2 of 3".
    pub fn describe(&self) -> String {
        format!(
            "permission {}: {} of {}",
            crate::text::escape(&self.name),
            self.threshold,
            self.to_permission().total_weight()
        )
    }

    /// Canonical bytes binding every field (a Permission message with the operations always
    /// present), for request digests.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut p = self.to_permission();
        p.operations = Some(self.operations);
        p.encode()
    }

    /// sha256 of [`PermissionClaim::canonical_bytes`].
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }
}
