//! `accounts set-permission`: the account's full AccountPermissionUpdateContract (contract type
//! 46) from its current permissions and the change asked for, checked as java-tron checks it,
//! journaled as a payout-like row of kind `permission-update` (so `submit` and `track`
//! broadcast and settle it exactly once, under the journal's attempt rules), and the sign
//! request that carries the permissions before the change.

use coldpay_shared::contract::{Contract, ContractKind};
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::permission::{
    AccountPermissionUpdate, Permission, PermissionKey, PermissionKind, FIRST_ACTIVE_PERMISSION_ID,
    MAX_ACTIVE_PERMISSIONS,
};
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest};

use crate::error::{BcError, Result};
use crate::journal::{
    now_ms, BuiltAgainst, Journal, NewAttempt, NewOperation, OperationKind, OperationRow,
};
use crate::multisig::permissions::AccountPermissions;
use crate::node::Node;

pub use crate::multisig::permission_change::Change;

/// Parses `T…=W` (an address and its weight).
pub fn parse_key(s: &str, flag: &str) -> Result<PermissionKey> {
    let (a, w) = s
        .split_once('=')
        .ok_or_else(|| BcError::Input(format!("{flag} {s:?}: write ADDRESS=WEIGHT, e.g. T…=1")))?;
    let address =
        Address::parse(a.trim()).map_err(|e| BcError::Input(format!("{flag} {s:?}: {e}")))?;
    let weight: i64 = w
        .trim()
        .parse()
        .map_err(|_| BcError::Input(format!("{flag} {s:?}: the weight must be a whole number")))?;
    if weight <= 0 {
        return Err(BcError::Input(format!(
            "{flag} {s:?}: the weight must be greater than 0"
        )));
    }
    Ok(PermissionKey { address, weight })
}

/// Where the named active goes: replacing an existing active (by `--id`, else by name) or
/// appended with the next id (the chain numbers actives 2, 3, … in order).
fn target_index(current: &[Permission], change: &Change) -> Result<usize> {
    let next = FIRST_ACTIVE_PERMISSION_ID + current.len() as i32;
    let found = match change.id {
        Some(id) => current.iter().position(|p| p.id == id),
        None => current.iter().position(|p| p.name == change.name),
    };
    match (found, change.id) {
        (Some(i), _) => Ok(i),
        (None, Some(id)) if id != next => Err(BcError::Input(format!(
            "--id {id}: the account has active ids {}; a new active permission gets id {next} (the chain numbers them in order)",
            current.iter().map(|p| p.id.to_string()).collect::<Vec<_>>().join(", ")
        ))),
        (None, _) if current.len() >= MAX_ACTIVE_PERMISSIONS => Err(BcError::Input(format!(
            "the account already has {MAX_ACTIVE_PERMISSIONS} active permissions (the most TRON allows); replace one with --id N"
        ))),
        (None, _) => Ok(current.len()),
    }
}

/// The full update: the current owner (or the new one), the witness kept, every other active
/// kept, the named active replaced or added. Checked as java-tron checks it.
pub fn plan(
    current: &AccountPermissions,
    change: &Change,
    max_keys: usize,
) -> Result<AccountPermissionUpdate> {
    let mut actives = current.actives.clone();
    let i = target_index(&actives, change)?;
    let new = Permission {
        kind: PermissionKind::Active,
        id: FIRST_ACTIVE_PERMISSION_ID + i as i32,
        name: change.name.clone(),
        threshold: change.threshold,
        parent_id: 0,
        operations: Some(change.operations),
        keys: change.keys.clone(),
    };
    if i == actives.len() {
        actives.push(new);
    } else {
        actives[i] = new;
    }
    let owner = match &change.owner {
        None => current.owner.clone(),
        Some((threshold, keys)) => Permission {
            threshold: *threshold,
            keys: keys.clone(),
            ..current.owner.clone()
        },
    };
    let update = AccountPermissionUpdate {
        owner_address: change.account,
        owner,
        witness: current.witness.clone(),
        actives,
    };
    update.check_with(max_keys).map_err(|e| {
        BcError::Input(format!("the node would refuse this permission update: {e}"))
    })?;
    if update.owner == current.owner && update.actives == current.actives {
        return Err(BcError::Input(
            "nothing changes: the account already has exactly these permissions".into(),
        ));
    }
    Ok(update)
}

/// A loud warning when the new owner permission holds none of the watch-only accounts' keys
/// (the signer home that exported them could no longer change the account), or when those
/// keys alone no longer reach its threshold.
pub fn owner_warning(update: &AccountPermissionUpdate, watch: &[Address]) -> Option<String> {
    let held: i64 = update
        .owner
        .keys
        .iter()
        .filter(|k| watch.contains(&k.address))
        .map(|k| k.weight)
        .sum();
    if held >= update.owner.threshold {
        return None;
    }
    Some(if held == 0 {
        format!(
            "WARNING: after this update the owner permission of {} holds NONE of the keys of the watch-only signer home ({}): that home could never change this account's permissions again",
            update.owner_address,
            watch.iter().map(Address::to_base58).collect::<Vec<_>>().join(", ")
        )
    } else {
        format!(
            "WARNING: after this update the watch-only signer home's keys carry weight {held} of the owner threshold {}: it alone can no longer change {}'s permissions",
            update.owner.threshold, update.owner_address
        )
    })
}

/// What `set-permission` produced.
pub struct Outcome {
    /// The sign request.
    pub request: SignRequest,
    /// The journal's payout id of the update.
    pub payout_id: String,
    /// Permissions before (as read from the node).
    pub before: AccountPermissions,
    /// The update.
    pub update: AccountPermissionUpdate,
    /// The fee the chain charges (sun).
    pub fee_sun: u64,
    /// Warnings for the operator.
    pub warnings: Vec<String>,
    /// Keys that alone can still pay after the update, and how to close that
    /// ([`crate::multisig::permission_alone::notes`]).
    pub alone: Vec<String>,
    /// The same update was already pending: its request is exported again, nothing new
    /// journaled.
    pub reexported: bool,
}

/// The sign request of an update: signed by the owner permission, with the permissions before.
fn request(
    network: Network,
    payout_id: &str,
    raw: RawData,
    before: &AccountPermissions,
) -> SignRequest {
    SignRequest {
        network,
        request_id: format!("{payout_id}-{}", now_ms()),
        created_at: now_ms() as u64,
        transactions: vec![RequestTx::new(payout_id, raw)],
        permission: Some(crate::multisig::permissions::claim(&before.owner)),
        permission_before: Some(before.as_list()),
    }
}

/// A live update of the account: `Ok(None)` when there is none, `Ok(Some(raw))` when the
/// same update is still waiting for signatures (its request is exported again), else refused.
fn pending(
    journal: &Journal,
    account: &Address,
    update: &AccountPermissionUpdate,
) -> Result<Option<(String, RawData)>> {
    journal.pending_operation(
        OperationKind::PermissionUpdate,
        account,
        |k| matches!(k, ContractKind::AccountPermissionUpdate(u) if u == update),
    )
}

/// The TRX the update needs: the fee, bandwidth and, for a multi-key owner, the multi-sign fee.
fn check_funds(node: &Node, update: &AccountPermissionUpdate, size: usize) -> Result<u64> {
    let params = node.fee_params()?;
    let fee = params.update_permission_sun;
    let overflow = || {
        BcError::Node(
            "the permission update's fees overflow: the node reported absurd fee parameters".into(),
        )
    };
    let bandwidth = (size as u64 + 64)
        .checked_mul(params.bandwidth_sun)
        .ok_or_else(overflow)?;
    let multi = if update.owner.keys.len() > 1 {
        params.multi_sign_sun
    } else {
        0
    };
    let need = fee
        .checked_add(bandwidth)
        .and_then(|n| n.checked_add(multi))
        .ok_or_else(overflow)?;
    let have = node.trx_balance(&update.owner_address)?;
    if have < need {
        let t = |v: u64| coldpay_shared::amount::format_units(coldpay_shared::U256::from(v), 6);
        return Err(BcError::Input(format!(
            "{} holds {} TRX but the permission update needs up to {} TRX (fee {} TRX, bandwidth and multi-signature fee); nothing built",
            update.owner_address,
            t(have),
            t(need),
            t(fee)
        )));
    }
    Ok(fee)
}

/// Journals the update (batch, payout row of kind `permission-update`, its before/after, the
/// built attempt under the owner permission) in one SQL transaction.
fn record(
    journal: &Journal,
    network: Network,
    out: &Outcome,
    raw: &RawData,
    solid: &coldpay_shared::block::VerifiedBlock,
) -> Result<()> {
    let claim = crate::multisig::permissions::claim(&out.before.owner);
    let op = NewOperation {
        id: &out.payout_id,
        account: &out.update.owner_address,
        network,
        to: out.update.owner_address,
        amount: 0,
        row: OperationRow::PermissionUpdate {
            after_json: serde_json::to_string(&out.update.permissions().collect::<Vec<_>>())
                .expect("json"),
            before_json: serde_json::to_string(&out.before.as_list()).expect("json"),
        },
    };
    journal.record_operation(
        &op,
        &BuiltAgainst {
            request_id: &out.request.request_id,
            ref_block_num: solid.number,
            ref_block_id: solid.id,
            ref_block_ts: solid.timestamp,
            permission: Some(claim),
        },
        &NewAttempt {
            payout_id: out.payout_id.clone(),
            txid: raw.txid(),
            raw: raw.encode(),
            expiration: raw.expiration,
            fee_limit: 0,
            fee_inputs: None,
        },
    )
}

/// Runs `set-permission`: reads the current permissions, plans and checks the update (a new
/// owner that leaves the watch-only home without control needs `allow_owner_handover`), checks
/// funds, builds the transaction under the owner permission from a verified reference block,
/// journals it and returns the request.
pub fn set_permission(
    journal: &Journal,
    node: &Node,
    network: Network,
    change: &Change,
    expires_in_ms: u64,
    allow_owner_handover: bool,
) -> Result<Outcome> {
    crate::chain::tapos::check_expires(expires_in_ms)?;
    let before = crate::multisig::permissions::read(node, &change.account)?;
    let max_keys = usize::try_from(node.fee_params()?.total_sign_num).unwrap_or(usize::MAX);
    let update = plan(&before, change, max_keys)?;
    let watch: Vec<Address> = journal.accounts()?.iter().map(|a| a.address).collect();
    let warnings: Vec<String> = owner_warning(&update, &watch).into_iter().collect();
    let alone = crate::multisig::permission_alone::notes(&update, change);
    if let (Some(w), false) = (warnings.first(), allow_owner_handover) {
        return Err(BcError::Input(format!(
            "{w}; nothing built (if that is meant, run again with --allow-owner-handover)"
        )));
    }
    if let Some((payout_id, raw)) = pending(journal, &change.account, &update)? {
        let request = request(network, &payout_id, raw, &before);
        request.validate()?;
        let fee_sun = check_funds(node, &update, request.transactions[0].raw.encode().len())?;
        return Ok(Outcome {
            request,
            payout_id,
            before,
            update,
            fee_sun,
            warnings,
            alone,
            reexported: true,
        });
    }
    let (solid, expiration) = crate::chain::tapos::reference(node, expires_in_ms)?;
    let raw = RawData {
        ref_block: RefBlock::from_block_id(&solid.id),
        expiration,
        memo: Vec::new(),
        contract: Contract {
            kind: ContractKind::AccountPermissionUpdate(update.clone()),
            permission_id: 0,
        },
        timestamp: now_ms() as u64,
        fee_limit: 0,
    };
    let fee_sun = check_funds(node, &update, raw.encode().len())?;
    let payout_id = format!("permissions-{}-{}", change.account, now_ms());
    let request = request(network, &payout_id, raw.clone(), &before);
    request.validate()?;
    let out = Outcome {
        request,
        payout_id,
        before,
        update,
        fee_sun,
        warnings,
        alone,
        reexported: false,
    };
    record(journal, network, &out, &raw, &solid)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::Operations;

    fn addr(i: u8) -> Address {
        Address::from_evm_bytes([i; 20])
    }

    fn current() -> AccountPermissions {
        let a = addr(1);
        let key = |i| PermissionKey {
            address: addr(i),
            weight: 1,
        };
        AccountPermissions {
            address: a,
            owner: Permission {
                kind: PermissionKind::Owner,
                id: 0,
                name: "owner".into(),
                threshold: 1,
                parent_id: 0,
                operations: None,
                keys: vec![key(1)],
            },
            witness: None,
            actives: vec![Permission {
                kind: PermissionKind::Active,
                id: 2,
                name: "active".into(),
                threshold: 1,
                parent_id: 0,
                operations: Some(Operations::java_tron_default()),
                keys: vec![key(1)],
            }],
        }
    }

    fn change(name: &str, threshold: i64, keys: &[u8]) -> Change {
        Change {
            account: addr(1),
            name: name.into(),
            threshold,
            keys: keys
                .iter()
                .map(|i| PermissionKey {
                    address: addr(*i),
                    weight: 1,
                })
                .collect(),
            operations: Operations::from_names(&["trx", "trc20"]).unwrap(),
            id: None,
            owner: None,
        }
    }

    #[test]
    fn a_new_active_is_added_with_the_next_id_and_the_rest_kept() {
        let u = plan(&current(), &change("payouts", 2, &[2, 3, 4]), 5).unwrap();
        assert_eq!(u.actives.len(), 2);
        assert_eq!(u.actives[0].name, "active");
        assert_eq!(u.actives[1].id, 3);
        assert_eq!(u.actives[1].threshold, 2);
        assert_eq!(u.owner, current().owner);
        // Replacing by name keeps the id.
        let mut c = change("active", 2, &[2, 3]);
        let u = plan(&current(), &c, 5).unwrap();
        assert_eq!((u.actives.len(), u.actives[0].id), (1, 2));
        // An id that is neither existing nor next is refused.
        c.id = Some(5);
        let e = plan(&current(), &c, 5).unwrap_err().to_string();
        assert!(e.contains("a new active permission gets id 3"), "{e}");
    }

    #[test]
    fn what_java_tron_refuses_is_refused() {
        let e = plan(&current(), &change("payouts", 4, &[2, 3, 4]), 5)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("the node would refuse this permission update"),
            "{e}"
        );
        assert!(e.contains("threshold"), "{e}");
        let e = plan(&current(), &change("payouts", 1, &[2, 3, 4, 5, 6, 7]), 5)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the node would refuse"), "{e}");
        let same = Change {
            operations: Operations::java_tron_default(),
            ..change("active", 1, &[1])
        };
        let e = plan(&current(), &same, 5).unwrap_err().to_string();
        assert!(e.contains("nothing changes"), "{e}");
        assert!(parse_key("TX", "--key").is_err());
        let k = format!("{}=0", addr(2));
        assert!(parse_key(&k, "--key")
            .unwrap_err()
            .to_string()
            .contains("greater than 0"));
        assert_eq!(
            parse_key(&format!("{}=3", addr(2)), "--key")
                .unwrap()
                .weight,
            3
        );
    }

    #[test]
    fn losing_the_watch_only_keys_from_the_owner_is_warned() {
        let mut c = change("payouts", 2, &[2, 3, 4]);
        let u = plan(&current(), &c, 5).unwrap();
        assert!(owner_warning(&u, &[addr(1)]).is_none());
        c.owner = Some((
            1,
            vec![PermissionKey {
                address: addr(9),
                weight: 1,
            }],
        ));
        let u = plan(&current(), &c, 5).unwrap();
        let w = owner_warning(&u, &[addr(1)]).unwrap();
        assert!(w.contains("NONE of the keys"), "{w}");
    }
}
