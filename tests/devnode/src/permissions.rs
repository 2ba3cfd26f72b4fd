//! Account permissions on the dev node: the defaults java-tron gives an account, signature
//! validation against the permission a transaction names (TransactionCapsule.checkWeight),
//! and AccountPermissionUpdateContract validation and execution
//! (AccountPermissionUpdateActuator), with java-tron's messages.

use std::collections::HashSet;

use coldpay_shared::contract::ContractKind;
use coldpay_shared::permission::{
    AccountPermissionUpdate, Operations, Permission, PermissionKey, PermissionKind,
    MAX_ACTIVE_PERMISSIONS, MAX_PERMISSION_NAME_LEN,
};
use coldpay_shared::{Address, Signature, SignedTransaction, TxId};

use crate::params::Params;

/// The default active permission's operations: every contract type mainnet enables except
/// AccountPermissionUpdateContract (46) (java-tron's ACTIVE_DEFAULT_OPERATIONS after the
/// proposals that added types 48–59).
pub const DEFAULT_OPERATIONS: &str =
    "7fff1fc0033efb0f000000000000000000000000000000000000000000000000";

/// An account's owner and active permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountPermissions {
    /// Owner permission (id 0).
    pub owner: Permission,
    /// Active permissions (ids 2, 3, …).
    pub actives: Vec<Permission>,
}

impl AccountPermissions {
    /// What java-tron gives a new account: owner = the address, threshold 1; one active
    /// permission "active" (id 2), the address, threshold 1, [`DEFAULT_OPERATIONS`].
    pub fn default_for(address: Address) -> Self {
        let keys = vec![PermissionKey { address, weight: 1 }];
        AccountPermissions {
            owner: Permission {
                kind: PermissionKind::Owner,
                id: 0,
                name: "owner".into(),
                threshold: 1,
                parent_id: 0,
                operations: None,
                keys: keys.clone(),
            },
            actives: vec![Permission {
                kind: PermissionKind::Active,
                id: 2,
                name: "active".into(),
                threshold: 1,
                parent_id: 0,
                operations: Some(Operations::from_hex(DEFAULT_OPERATIONS).expect("valid")),
                keys,
            }],
        }
    }

    /// The permission with id `id`, if the account has it.
    pub fn by_id(&self, id: i32) -> Option<&Permission> {
        if id == 0 {
            Some(&self.owner)
        } else {
            self.actives.iter().find(|a| a.id == id)
        }
    }

    /// The permissions after executing `u` (java-tron renumbers: owner 0, actives 2, 3, …).
    pub fn after_update(u: &AccountPermissionUpdate) -> Self {
        let mut owner = u.owner.clone();
        owner.id = 0;
        let actives = u
            .actives
            .iter()
            .enumerate()
            .map(|(i, a)| Permission {
                id: 2 + i as i32,
                ..a.clone()
            })
            .collect();
        AccountPermissions { owner, actives }
    }
}

/// java-tron's signature validation: the permission named by Permission_id (`perms` is
/// `None` for an account that does not exist), its type and operations, then checkWeight.
/// The error is the message after "Validate signature error: ".
pub fn check_signatures(
    tx: &SignedTransaction,
    txid: &TxId,
    perms: Option<&AccountPermissions>,
    params: &Params,
) -> Result<(), String> {
    if tx.signatures.is_empty() {
        return Err("miss sig or contract".into());
    }
    if tx.signatures.len() as u64 > params.total_sign_num {
        return Err("too many signatures".into());
    }
    let owner = tx.raw.owner();
    let id = tx.raw.contract.permission_id as i32;
    let default;
    let perms = match perms {
        Some(p) => p,
        None if id == 0 || id == 2 => {
            default = AccountPermissions::default_for(owner);
            &default
        }
        None => return Err("permission isn't exit".into()),
    };
    let permission = perms.by_id(id).ok_or("permission isn't exit")?;
    if id != 0 {
        if permission.kind != PermissionKind::Active {
            return Err("Permission type is error".into());
        }
        if !permission.allows(tx.raw.contract.kind.contract_type()) {
            return Err("Permission denied".into());
        }
    }
    let weight = check_weight(permission, tx, txid)?;
    if weight < permission.threshold {
        return Err("sig error".into());
    }
    Ok(())
}

/// TransactionCapsule.checkWeight: more signatures than keys, a non-member or a signer twice
/// is an error; otherwise the summed weight.
fn check_weight(p: &Permission, tx: &SignedTransaction, txid: &TxId) -> Result<i64, String> {
    weigh(p, &tx.signatures, txid)
        .map(|(weight, _)| weight)
        .map_err(|e| e.message().to_string())
}

/// Why [`weigh`] refused a set of signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WeightError {
    /// A signature from which no address could be recovered (java-tron's SignatureException,
    /// `COMPUTE_ADDRESS_ERROR` in getsignweight).
    Recover(String),
    /// More signatures than keys, a signer outside the permission or a signer twice
    /// (java-tron's PermissionException, `PERMISSION_ERROR` in getsignweight).
    Permission(String),
}

impl WeightError {
    /// java-tron's message.
    pub fn message(&self) -> &str {
        match self {
            WeightError::Recover(m) | WeightError::Permission(m) => m,
        }
    }
}

/// TransactionCapsule.checkWeight with its approved list: the summed weight of `signatures`
/// over `txid` and the signers in order, or java-tron's error.
pub fn weigh(
    p: &Permission,
    signatures: &[Signature],
    txid: &TxId,
) -> Result<(i64, Vec<Address>), WeightError> {
    if signatures.len() > p.keys.len() {
        return Err(WeightError::Permission(format!(
            "Signature count is {} more than key counts of permission : {}",
            signatures.len(),
            p.keys.len()
        )));
    }
    let mut approved: Vec<Address> = Vec::with_capacity(signatures.len());
    let mut weight = 0i64;
    for s in signatures {
        let who = s
            .recover(txid)
            .map_err(|e| WeightError::Recover(e.to_string()))?;
        let w = p.key_weight(&who).unwrap_or(0);
        if w == 0 {
            return Err(WeightError::Permission(format!(
                "{} is signed by {who} but it is not contained of permission.",
                s.to_hex()
            )));
        }
        if approved.contains(&who) {
            return Err(WeightError::Permission(format!("{who} has signed twice!")));
        }
        approved.push(who);
        weight = weight.saturating_add(w);
    }
    Ok((weight, approved))
}

/// AccountPermissionUpdateActuator.validate (the message after "Contract validate error : ").
pub fn validate_update(
    u: &AccountPermissionUpdate,
    account_exists: bool,
    params: &Params,
) -> Result<(), String> {
    if !account_exists {
        return Err("ownerAddress account does not exist".into());
    }
    if u.witness.is_some() {
        return Err("account isn't witness can't set witness permission".into());
    }
    if u.actives.is_empty() {
        return Err("active permission is missed".into());
    }
    if u.actives.len() > MAX_ACTIVE_PERMISSIONS {
        return Err("active permission is too many".into());
    }
    if u.owner.kind != PermissionKind::Owner {
        return Err("owner permission type is error".into());
    }
    check_permission(&u.owner, params)?;
    for a in &u.actives {
        if a.kind != PermissionKind::Active {
            return Err("active permission type is error".into());
        }
        check_permission(a, params)?;
    }
    Ok(())
}

/// AccountPermissionUpdateActuator.checkPermission.
fn check_permission(p: &Permission, params: &Params) -> Result<(), String> {
    if p.keys.len() as u64 > params.total_sign_num {
        return Err(format!(
            "number of keys in permission should not be greater than {}",
            params.total_sign_num
        ));
    }
    if p.keys.is_empty() {
        return Err("key's count should be greater than 0".into());
    }
    if p.threshold <= 0 {
        return Err("permission's threshold should be greater than 0".into());
    }
    if p.name.chars().count() > MAX_PERMISSION_NAME_LEN {
        return Err("permission's name is too long".into());
    }
    if p.parent_id != 0 {
        return Err("permission's parent should be owner".into());
    }
    let distinct: HashSet<Address> = p.keys.iter().map(|k| k.address).collect();
    if distinct.len() != p.keys.len() {
        return Err(format!(
            "address should be distinct in permission {}",
            p.kind.tron_name()
        ));
    }
    let mut sum = 0i64;
    for k in &p.keys {
        if k.weight <= 0 {
            return Err("key's weight should be greater than 0".into());
        }
        sum = sum.checked_add(k.weight).ok_or("long overflow")?;
    }
    if sum < p.threshold {
        return Err(format!(
            "sum of all key's weight should not be less than threshold in permission {}",
            p.kind.tron_name()
        ));
    }
    match (p.kind, p.operations) {
        (PermissionKind::Active, None) => Err("operations size must 32".into()),
        (PermissionKind::Active, Some(_)) => Ok(()),
        (_, Some(_)) => Err(format!(
            "{} permission needn't operations",
            p.kind.tron_name()
        )),
        (_, None) => Ok(()),
    }
}

/// The permission update a transaction carries, if it is one.
pub fn update_of(tx: &SignedTransaction) -> Option<&AccountPermissionUpdate> {
    match &tx.raw.contract.kind {
        ContractKind::AccountPermissionUpdate(u) => Some(u),
        _ => None,
    }
}
