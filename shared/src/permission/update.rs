//! `AccountPermissionUpdateContract` (contract type 46): replaces an account's owner, witness
//! and active permissions in one go.

use crate::address::Address;
use crate::error::{Error, ProtoReason, Result};
use crate::wire::{
    expect_message, expect_nonempty_bytes, put_bytes_field, put_message_field, FieldReader,
    OrderGuard,
};

use super::{Permission, PermissionKind, DEFAULT_TOTAL_SIGN_NUM, FIRST_ACTIVE_PERMISSION_ID};

/// Most active permissions one account may have (java-tron).
pub const MAX_ACTIVE_PERMISSIONS: usize = 8;

const PATH: &str = "AccountPermissionUpdateContract";

/// The body of contract type 46.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountPermissionUpdate {
    /// The account whose permissions change (it signs under its owner permission).
    pub owner_address: Address,
    /// The new owner permission.
    pub owner: Permission,
    /// The new witness permission (witness accounts only).
    pub witness: Option<Permission>,
    /// The new active permissions, in order. The chain numbers them 2, 3, … whatever ids
    /// they carry; coldpay accepts an id of 0 (unset, as TronWeb and BitGo build them) or
    /// exactly the id the chain will assign ([`AccountPermissionUpdate::assigned_actives`]).
    pub actives: Vec<Permission>,
}

impl AccountPermissionUpdate {
    /// Canonical bytes of the contract parameter (Any.value).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        put_bytes_field(&mut out, 1, self.owner_address.as_bytes());
        put_message_field(&mut out, 2, &self.owner.encode());
        if let Some(w) = &self.witness {
            put_message_field(&mut out, 3, &w.encode());
        }
        for a in &self.actives {
            put_message_field(&mut out, 4, &a.encode());
        }
        out
    }

    /// Strictly decodes the parameter: every field of every permission (see
    /// [`Permission::decode_at`]), then [`AccountPermissionUpdate::check`], so an update the
    /// chain would refuse never decodes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let u = Self::decode_unchecked(bytes)?;
        u.check()?;
        Ok(u)
    }

    /// The structural part of [`AccountPermissionUpdate::decode`] without the java-tron
    /// rules (for a node that reports its own messages).
    pub fn decode_unchecked(bytes: &[u8]) -> Result<Self> {
        let mut r = FieldReader::new(bytes, PATH);
        let mut order = OrderGuard::new();
        let (mut owner_address, mut owner, mut witness) = (None, None, None);
        let mut actives = Vec::new();
        while let Some((field, v)) = r.next_field()? {
            order.check(PATH, field, field == 4)?;
            match field {
                1 => {
                    let b = expect_nonempty_bytes(PATH, 1, v)?;
                    owner_address = Some(Address::from_bytes(b).map_err(|e| {
                        Error::proto(PATH, ProtoReason::Address(format!("owner_address: {e}")))
                    })?);
                }
                2 => {
                    let m = expect_message(PATH, 2, v)?;
                    owner = Some(Permission::decode_at(m, &format!("{PATH}.owner"))?);
                }
                3 => {
                    let m = expect_message(PATH, 3, v)?;
                    witness = Some(Permission::decode_at(m, &format!("{PATH}.witness"))?);
                }
                4 => {
                    let m = expect_message(PATH, 4, v)?;
                    let at = format!("{PATH}.actives[{}]", actives.len());
                    actives.push(Permission::decode_at(m, &at)?);
                }
                n => return Err(Error::proto(PATH, ProtoReason::UnknownField(n))),
            }
        }
        let update = AccountPermissionUpdate {
            owner_address: owner_address
                .ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("owner_address")))?,
            owner: owner.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("owner")))?,
            witness,
            actives,
        };
        if update.encode() != bytes {
            return Err(Error::proto(PATH, ProtoReason::NotCanonical));
        }
        Ok(update)
    }

    /// [`AccountPermissionUpdate::check_with`] with java-tron's genesis limit of 5 keys.
    pub fn check(&self) -> Result<()> {
        self.check_with(DEFAULT_TOTAL_SIGN_NUM)
    }

    /// java-tron's AccountPermissionUpdateActuator rules that do not need chain state: an
    /// owner permission of type Owner, a witness (if any) of type Witness, 1..=8 actives of
    /// type Active with id 0 or the id the chain assigns (2, 3, … in order), each permission
    /// valid
    /// ([`Permission::check_with`]). Whether the account exists, is a witness and can pay
    /// the fee is the chain's business.
    pub fn check_with(&self, max_keys: usize) -> Result<()> {
        let bad = |m: String| Err(Error::Permission(m));
        if self.owner.kind != PermissionKind::Owner {
            return bad("the owner permission must have type Owner".into());
        }
        self.owner.check_with(max_keys)?;
        if let Some(w) = &self.witness {
            if w.kind != PermissionKind::Witness {
                return bad("the witness permission must have type Witness".into());
            }
            w.check_with(max_keys)?;
        }
        if self.actives.is_empty() {
            return bad("an update needs at least one active permission".into());
        }
        if self.actives.len() > MAX_ACTIVE_PERMISSIONS {
            return bad(format!(
                "{} active permissions, at most {MAX_ACTIVE_PERMISSIONS} allowed",
                self.actives.len()
            ));
        }
        for (i, a) in self.actives.iter().enumerate() {
            if a.kind != PermissionKind::Active {
                return bad(format!("actives[{i}] must have type Active"));
            }
            let want = FIRST_ACTIVE_PERMISSION_ID + i as i32;
            if a.id != want && a.id != 0 {
                return bad(format!(
                    "actives[{i}] has id {}, but the chain numbers active permissions in order: it will be id {want}",
                    a.id
                ));
            }
        }
        for a in self.assigned_actives() {
            a.check_with(max_keys)?;
        }
        Ok(())
    }

    /// The active permissions as the account will hold them: ids 2, 3, … in order (java-tron
    /// AccountCapsule.updatePermissions).
    pub fn assigned_actives(&self) -> Vec<Permission> {
        self.actives
            .iter()
            .enumerate()
            .map(|(i, a)| Permission {
                id: FIRST_ACTIVE_PERMISSION_ID + i as i32,
                ..a.clone()
            })
            .collect()
    }

    /// All permissions in id order (owner, witness, actives).
    pub fn permissions(&self) -> impl Iterator<Item = &Permission> {
        std::iter::once(&self.owner)
            .chain(self.witness.as_ref())
            .chain(self.actives.iter())
    }
}
