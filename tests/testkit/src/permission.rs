//! Account permissions as the tests set them up: weight-1 keys, an owner permission, active
//! permissions, and the AccountPermissionUpdate that installs them.

use coldpay_shared::permission::{
    AccountPermissionUpdate, Operations, Permission, PermissionKey, PermissionKind,
};
use coldpay_shared::Address;

/// A key of weight 1.
pub fn key1(address: Address) -> PermissionKey {
    PermissionKey { address, weight: 1 }
}

/// The owner permission (id 0, "owner"): `threshold` of `keys`, weight 1 each.
pub fn owner(threshold: i64, keys: &[Address]) -> Permission {
    Permission {
        kind: PermissionKind::Owner,
        id: 0,
        name: "owner".into(),
        threshold,
        parent_id: 0,
        operations: None,
        keys: keys.iter().copied().map(key1).collect(),
    }
}

/// An active permission `name` with id `id` (0 as TronWeb builds it, the chain numbering it;
/// 2, 3, … as the chain holds it): `threshold` of `keys`, weight 1 each, allowed `ops`.
pub fn active(
    name: &str,
    id: i32,
    threshold: i64,
    keys: &[Address],
    ops: Operations,
) -> Permission {
    Permission {
        kind: PermissionKind::Active,
        id,
        name: name.into(),
        threshold,
        parent_id: 0,
        operations: Some(ops),
        keys: keys.iter().copied().map(key1).collect(),
    }
}

/// TRX and TRC-20 transfers: what a payouts permission allows.
pub fn trx_trc20() -> Operations {
    Operations::from_names(&["trx", "trc20"]).expect("known operation names")
}

/// A fresh account's permissions as java-tron gives them: the owner and the active "active"
/// (id 2, java-tron's default operations), each `address` 1-of-1.
pub fn defaults(address: Address) -> Vec<Permission> {
    vec![
        owner(1, &[address]),
        active("active", 2, 1, &[address], Operations::java_tron_default()),
    ]
}

/// The update of `account` to `owner` and `actives` (no witness permission).
pub fn update(
    account: Address,
    owner: Permission,
    actives: Vec<Permission>,
) -> AccountPermissionUpdate {
    AccountPermissionUpdate {
        owner_address: account,
        owner,
        witness: None,
        actives,
    }
}

/// The usual multi-signature set-up: `account`'s owner stays the account's key alone; one
/// active permission "payouts" (id 2), `threshold` of `keys`, allowed TRX and TRC-20.
pub fn payouts_update(
    account: Address,
    threshold: i64,
    keys: &[Address],
) -> AccountPermissionUpdate {
    update(
        account,
        owner(1, &[account]),
        vec![active("payouts", 2, threshold, keys, trx_trc20())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: u8) -> Address {
        let mut b = [0u8; 20];
        b[19] = n;
        Address::from_evm_bytes(b)
    }

    #[test]
    fn payouts_update_is_a_valid_two_of_three() {
        let u = payouts_update(a(1), 2, &[a(2), a(3), a(4)]);
        assert_eq!(u.owner.keys, [key1(a(1))]);
        let p = &u.actives[0];
        assert_eq!((p.id, p.name.as_str(), p.threshold), (2, "payouts", 2));
        assert_eq!(p.keys.len(), 3);
        assert!(p.keys.iter().all(|k| k.weight == 1));
        u.owner.check_with(5).unwrap();
        p.check_with(5).unwrap();
    }

    #[test]
    fn defaults_are_java_trons() {
        let d = defaults(a(7));
        assert_eq!(d[0].kind, PermissionKind::Owner);
        assert_eq!(d[1].id, 2);
        assert_eq!(d[1].operations, Some(Operations::java_tron_default()));
    }
}
