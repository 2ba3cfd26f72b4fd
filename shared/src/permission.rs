//! TRON account permissions (issue #14): the `Permission` message of
//! AccountPermissionUpdateContract and of accounts, its operations bitmap, the rules java-tron
//! applies to a permission update, how much approval a set of signatures gives, and the
//! permission *claim* a sign request carries.
//!
//! - [`Permission`] encodes and decodes strictly (canonical protobuf, tron-facts §1) and
//!   [`Permission::check`] applies java-tron's AccountPermissionUpdateActuator rules.
//! - [`AccountPermissionUpdate`] is contract type 46.
//! - [`approval_weight`] mirrors java-tron's checkWeight, except that a signer twice counts
//!   once and is reported instead of failing.
//! - [`PermissionClaim`] is what the broadcaster read from the node: a claim the signer shows,
//!   never the truth (the chain enforces that).

mod approval;
mod claim;
pub mod control;
mod operations;
mod tron_json;
mod update;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub use approval::{approval_weight, Approval};
pub use claim::PermissionClaim;
pub use operations::{Operations, JAVA_TRON_DEFAULT_ACTIVE, OPERATIONS_LEN};
pub use tron_json::{TronKeyJson, TronPermissionJson};
pub use update::{AccountPermissionUpdate, MAX_ACTIVE_PERMISSIONS};

use crate::address::Address;
use crate::error::{Error, ProtoReason, Result};
use crate::text::{escape, memo_char_problem};
use crate::wire::{
    expect_message, expect_nonempty_bytes, expect_nonzero_varint, put_bytes_field, put_key,
    put_message_field, put_varint, FieldReader, FieldValue, OrderGuard, WT_VARINT,
};

/// java-tron's genesis `getTotalSignNum`: most keys in one permission and most signatures
/// on one transaction.
pub const DEFAULT_TOTAL_SIGN_NUM: usize = 5;
/// Longest permission name java-tron accepts, in bytes.
pub const MAX_PERMISSION_NAME_LEN: usize = 32;
/// Id of the owner permission.
pub const OWNER_PERMISSION_ID: i32 = 0;
/// Id of the witness permission.
pub const WITNESS_PERMISSION_ID: i32 = 1;
/// Id of the first active permission.
pub const FIRST_ACTIVE_PERMISSION_ID: i32 = 2;

/// `Permission.PermissionType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionKind {
    /// Owner (0): may do everything, including changing permissions.
    Owner,
    /// Witness (1): block production only.
    Witness,
    /// Active (2): the contract types its operations bitmap allows.
    Active,
}

impl PermissionKind {
    /// The protobuf enum number.
    pub fn number(self) -> u64 {
        match self {
            PermissionKind::Owner => 0,
            PermissionKind::Witness => 1,
            PermissionKind::Active => 2,
        }
    }

    /// The kind of enum number `n`.
    pub fn from_number(n: u64) -> Option<Self> {
        Some(match n {
            0 => PermissionKind::Owner,
            1 => PermissionKind::Witness,
            2 => PermissionKind::Active,
            _ => return None,
        })
    }

    /// How java-tron's JSON names it ("Owner", "Witness", "Active").
    pub fn tron_name(self) -> &'static str {
        match self {
            PermissionKind::Owner => "Owner",
            PermissionKind::Witness => "Witness",
            PermissionKind::Active => "Active",
        }
    }
}

/// One key of a permission (`Key`): an address and its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionKey {
    /// The key's address.
    pub address: Address,
    /// Its weight toward the threshold (java-tron requires > 0).
    pub weight: i64,
}

/// A `Permission` message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// Owner, witness or active.
    #[serde(rename = "type")]
    pub kind: PermissionKind,
    /// 0 owner, 1 witness, 2.. actives (the chain numbers actives in order).
    pub id: i32,
    /// `permission_name`.
    pub name: String,
    /// Sum of key weights needed.
    pub threshold: i64,
    /// Always 0 (the owner) on TRON.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub parent_id: i32,
    /// Allowed contract types (actives only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Operations>,
    /// The keys.
    pub keys: Vec<PermissionKey>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(v: &i32) -> bool {
    *v == 0
}

fn perm_err(msg: String) -> Error {
    Error::Permission(msg)
}

impl Permission {
    /// The weight of `address` in this permission (`None`: not a key).
    pub fn key_weight(&self, address: &Address) -> Option<i64> {
        self.keys
            .iter()
            .find(|k| &k.address == address)
            .map(|k| k.weight)
    }

    /// Sum of the key weights (saturating).
    pub fn total_weight(&self) -> i64 {
        self.keys
            .iter()
            .fold(0i64, |s, k| s.saturating_add(k.weight))
    }

    /// Whether this permission may sign contract type `contract_type`: owner any, witness
    /// none, active what its operations allow.
    pub fn allows(&self, contract_type: i32) -> bool {
        match self.kind {
            PermissionKind::Owner => true,
            PermissionKind::Witness => false,
            PermissionKind::Active => self.operations.is_some_and(|o| o.allows(contract_type)),
        }
    }

    /// The name for messages: `"payouts" (id 2)`.
    pub fn label(&self) -> String {
        format!("\"{}\" (id {})", escape(&self.name), self.id)
    }

    /// [`Permission::check_with`] with java-tron's genesis limit of 5 keys.
    pub fn check(&self) -> Result<()> {
        self.check_with(DEFAULT_TOTAL_SIGN_NUM)
    }

    /// java-tron's AccountPermissionUpdateActuator rules for one permission: 1..=`max_keys`
    /// keys, weights > 0, no key twice, 0 < threshold ≤ Σweights, parent 0, a printable name
    /// of at most 32 bytes; owner id 0 and witness id 1 without operations (witness: one key);
    /// active id ≥ 2 with operations.
    pub fn check_with(&self, max_keys: usize) -> Result<()> {
        let what = format!("{} permission {}", self.kind.tron_name(), self.label());
        self.check_name(&what)?;
        self.check_kind(&what)?;
        self.check_keys(&what, max_keys)?;
        if self.threshold <= 0 {
            return Err(perm_err(format!(
                "{what}: threshold must be greater than 0"
            )));
        }
        let mut sum = 0i64;
        for k in &self.keys {
            sum = sum
                .checked_add(k.weight)
                .ok_or_else(|| perm_err(format!("{what}: the key weights overflow int64")))?;
        }
        if self.threshold > sum {
            return Err(perm_err(format!(
                "{what}: threshold {} is more than the sum of all key weights ({sum}); it could never be reached",
                self.threshold
            )));
        }
        if self.parent_id != 0 {
            return Err(perm_err(format!(
                "{what}: parent_id must be 0 (the owner), got {}",
                self.parent_id
            )));
        }
        Ok(())
    }

    fn check_name(&self, what: &str) -> Result<()> {
        if self.name.len() > MAX_PERMISSION_NAME_LEN {
            return Err(perm_err(format!(
                "{what}: name is {} bytes, at most {MAX_PERMISSION_NAME_LEN} allowed",
                self.name.len()
            )));
        }
        if let Some(c) = memo_char_problem(&self.name) {
            return Err(perm_err(format!(
                "{what}: name contains {}",
                crate::text::describe_char(c)
            )));
        }
        Ok(())
    }

    fn check_kind(&self, what: &str) -> Result<()> {
        let (id_ok, want_ops) = match self.kind {
            PermissionKind::Owner => (self.id == OWNER_PERMISSION_ID, false),
            PermissionKind::Witness => (self.id == WITNESS_PERMISSION_ID, false),
            PermissionKind::Active => (self.id >= FIRST_ACTIVE_PERMISSION_ID, true),
        };
        if !id_ok {
            return Err(perm_err(format!(
                "{what}: id {} is not allowed for this type (owner 0, witness 1, active 2 or more)",
                self.id
            )));
        }
        match (want_ops, self.operations.is_some()) {
            (true, false) => Err(perm_err(format!(
                "{what}: an active permission needs its 32-byte operations"
            ))),
            (false, true) => Err(perm_err(format!(
                "{what}: only active permissions carry operations"
            ))),
            _ => Ok(()),
        }
    }

    fn check_keys(&self, what: &str, max_keys: usize) -> Result<()> {
        if self.keys.is_empty() {
            return Err(perm_err(format!("{what}: has no key")));
        }
        if self.keys.len() > max_keys {
            return Err(perm_err(format!(
                "{what}: {} keys, at most {max_keys} allowed (chain parameter getTotalSignNum)",
                self.keys.len()
            )));
        }
        if self.kind == PermissionKind::Witness && self.keys.len() != 1 {
            return Err(perm_err(format!(
                "{what}: a witness permission has exactly one key"
            )));
        }
        let mut seen = HashSet::new();
        for k in &self.keys {
            if k.weight <= 0 {
                return Err(perm_err(format!(
                    "{what}: key {} has weight {}; weights must be greater than 0",
                    k.address, k.weight
                )));
            }
            if !seen.insert(k.address) {
                return Err(perm_err(format!("{what}: key {} appears twice", k.address)));
            }
        }
        Ok(())
    }

    /// The canonical protobuf encoding (ascending fields, defaults omitted).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 30 * self.keys.len());
        put_signed_field(&mut out, 1, self.kind.number() as i64);
        put_signed_field(&mut out, 2, i64::from(self.id));
        put_bytes_field(&mut out, 3, self.name.as_bytes());
        put_signed_field(&mut out, 4, self.threshold);
        put_signed_field(&mut out, 5, i64::from(self.parent_id));
        if let Some(ops) = &self.operations {
            put_bytes_field(&mut out, 6, ops.as_bytes());
        }
        for k in &self.keys {
            let mut key = Vec::with_capacity(32);
            put_bytes_field(&mut key, 1, k.address.as_bytes());
            put_signed_field(&mut key, 2, k.weight);
            put_message_field(&mut out, 7, &key);
        }
        out
    }

    /// Strictly decodes a Permission message: only fields 1–7, canonical order and values,
    /// a known type, 32-byte operations with only known contract types, valid key
    /// addresses. `path` names the message in errors. Semantic rules are [`Permission::check`].
    pub fn decode_at(bytes: &[u8], path: &str) -> Result<Self> {
        let mut r = FieldReader::new(bytes, path);
        let mut order = OrderGuard::new();
        let mut p = Permission {
            kind: PermissionKind::Owner,
            id: 0,
            name: String::new(),
            threshold: 0,
            parent_id: 0,
            operations: None,
            keys: Vec::new(),
        };
        while let Some((field, v)) = r.next_field()? {
            order.check(path, field, field == 7)?;
            match field {
                1 => {
                    let n = expect_nonzero_varint(path, 1, v)?;
                    p.kind = PermissionKind::from_number(n).ok_or_else(|| {
                        Error::proto(
                            path,
                            ProtoReason::Invalid(format!("unknown permission type {n}")),
                        )
                    })?;
                }
                2 => p.id = int32(path, 2, "id", v)?,
                3 => {
                    let b = expect_nonempty_bytes(path, 3, v)?;
                    p.name = String::from_utf8(b.to_vec()).map_err(|_| {
                        Error::proto(
                            path,
                            ProtoReason::Invalid("permission_name is not UTF-8".into()),
                        )
                    })?;
                }
                4 => p.threshold = expect_nonzero_varint(path, 4, v)? as i64,
                5 => p.parent_id = int32(path, 5, "parent_id", v)?,
                6 => {
                    let b = expect_nonempty_bytes(path, 6, v)?;
                    p.operations =
                        Some(Operations::from_bytes(b).map_err(|e| {
                            Error::proto(path, ProtoReason::Invalid(e.to_string()))
                        })?);
                }
                7 => p.keys.push(decode_key(expect_message(path, 7, v)?, path)?),
                n => return Err(Error::proto(path, ProtoReason::UnknownField(n))),
            }
        }
        if p.encode() != bytes {
            return Err(Error::proto(path, ProtoReason::NotCanonical));
        }
        Ok(p)
    }

    /// [`Permission::decode_at`] with the path `Permission`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        Self::decode_at(bytes, "Permission")
    }
}

/// Structural checks of a permission list read from a node (a request's
/// `permission_before`): exactly one owner (id 0), no witness, actives numbered 2, 3, … in
/// order, each with its operations.
pub fn check_permission_list(list: &[Permission]) -> Result<()> {
    let owners = list
        .iter()
        .filter(|p| p.kind == PermissionKind::Owner)
        .count();
    if owners != 1 {
        return Err(perm_err(format!(
            "the list must hold exactly one owner permission, found {owners}"
        )));
    }
    let mut next_active = FIRST_ACTIVE_PERMISSION_ID;
    for p in list {
        let ok = match p.kind {
            PermissionKind::Owner => p.id == OWNER_PERMISSION_ID && p.operations.is_none(),
            PermissionKind::Witness => false,
            PermissionKind::Active => {
                let ok = p.id == next_active && p.operations.is_some();
                next_active += 1;
                ok
            }
        };
        if !ok {
            return Err(perm_err(format!(
                "{} permission {} is out of place (owner id 0 without operations, then actives 2, 3, … with operations)",
                p.kind.tron_name(),
                p.label()
            )));
        }
    }
    Ok(())
}

/// Appends an int32/int64 varint field (negative values sign-extended to 10 bytes, as
/// protobuf does) unless it is 0.
fn put_signed_field(out: &mut Vec<u8>, field: u32, v: i64) {
    if v != 0 {
        put_key(out, field, WT_VARINT);
        put_varint(out, v as u64);
    }
}

fn int32(path: &str, field: u64, what: &'static str, v: FieldValue<'_>) -> Result<i32> {
    let raw = expect_nonzero_varint(path, field, v)? as i64;
    i32::try_from(raw).map_err(|_| {
        Error::proto(
            path,
            ProtoReason::Invalid(format!("{what} {raw} is outside the int32 range")),
        )
    })
}

fn decode_key(bytes: &[u8], parent: &str) -> Result<PermissionKey> {
    let path = format!("{parent}.keys");
    let mut r = FieldReader::new(bytes, &path);
    let mut order = OrderGuard::new();
    let (mut address, mut weight) = (None, 0i64);
    while let Some((field, v)) = r.next_field()? {
        order.check(&path, field, false)?;
        match field {
            1 => {
                let b = expect_nonempty_bytes(&path, 1, v)?;
                address = Some(Address::from_bytes(b).map_err(|e| {
                    Error::proto(&path, ProtoReason::Address(format!("address: {e}")))
                })?);
            }
            2 => weight = expect_nonzero_varint(&path, 2, v)? as i64,
            n => return Err(Error::proto(&path, ProtoReason::UnknownField(n))),
        }
    }
    Ok(PermissionKey {
        address: address.ok_or_else(|| Error::proto(&path, ProtoReason::Missing("address")))?,
        weight,
    })
}
