//! Who can act on an account under a set of permissions, computed from the permissions
//! alone: which permissions can move value or change the permissions, which sets of keys
//! outside a given holder reach their thresholds, and which single keys reach them.
//!
//! A permission update is judged with these on the permissions it sets (decoded from the
//! bytes): the signer names every set of keys it does not hold that can act without it, and
//! every key that alone can still pay.

use crate::address::Address;

use super::{Permission, PermissionKey, PermissionKind};

use crate::contract_type::{
    ACCOUNT_PERMISSION_UPDATE_CONTRACT, TRANSFER_CONTRACT, TRIGGER_SMART_CONTRACT,
};

/// TransferContract as an operations bit.
pub const TRANSFER_TYPE: i32 = TRANSFER_CONTRACT as i32;
/// TriggerSmartContract as an operations bit.
pub const TRIGGER_TYPE: i32 = TRIGGER_SMART_CONTRACT as i32;
/// AccountPermissionUpdateContract as an operations bit.
pub const UPDATE_TYPE: i32 = ACCOUNT_PERMISSION_UPDATE_CONTRACT as i32;

/// Most keys whose subsets are enumerated one by one (java-tron allows 5 by default).
const MAX_ENUMERATED_KEYS: usize = 12;

/// What a permission lets the keys reaching its threshold do, as far as control goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Power {
    /// Everything (the owner permission).
    pub owner: bool,
    /// May sign AccountPermissionUpdateContract: can take full control.
    pub update: bool,
    /// May sign TransferContract.
    pub trx: bool,
    /// May sign TriggerSmartContract.
    pub trc20: bool,
}

impl Power {
    /// The power of `p`: `None` for a permission that can neither pay nor change the
    /// permissions (the witness permission, or an active without those operations).
    pub fn of(p: &Permission) -> Option<Power> {
        let power = Power {
            owner: p.kind == PermissionKind::Owner,
            update: p.allows(UPDATE_TYPE),
            trx: p.allows(TRANSFER_TYPE),
            trc20: p.allows(TRIGGER_TYPE),
        };
        (power.update || power.trx || power.trc20).then_some(power)
    }

    /// Whether the keys can move value (TRX or TRC-20).
    pub fn pays(&self) -> bool {
        self.trx || self.trc20
    }

    /// Whether the keys can take the whole account (owner, or permission updates).
    pub fn full(&self) -> bool {
        self.owner || self.update
    }

    /// "full control", "can change the permissions → full control", "can send TRX and
    /// TRC-20".
    pub fn describe(&self) -> String {
        if self.owner {
            return "full control".into();
        }
        let pays = match (self.trx, self.trc20) {
            (true, true) => Some("send TRX and TRC-20 (any contract call)"),
            (true, false) => Some("send TRX"),
            (false, true) => Some("send TRC-20 (any contract call)"),
            (false, false) => None,
        };
        match (self.update, pays) {
            (true, Some(p)) => format!("change the permissions → full control; {p}"),
            (true, None) => "change the permissions → full control".into(),
            (false, Some(p)) => p.into(),
            (false, None) => "nothing that moves value".into(),
        }
    }
}

/// Every minimal set of keys of `p` not held (`held` false) whose weights reach the
/// threshold: no key of the set can be left out. Empty when the keys not held cannot reach
/// it together (then no set can act without a held key). With more keys than can be
/// enumerated, the one set of every key not held is returned when it reaches the threshold.
pub fn foreign_sets(p: &Permission, held: impl Fn(&Address) -> bool) -> Vec<Vec<PermissionKey>> {
    let foreign: Vec<PermissionKey> = p
        .keys
        .iter()
        .filter(|k| !held(&k.address))
        .copied()
        .collect();
    let total = foreign.iter().fold(0i64, |s, k| s.saturating_add(k.weight));
    if total < p.threshold {
        return Vec::new();
    }
    if foreign.len() > MAX_ENUMERATED_KEYS {
        return vec![foreign];
    }
    let weight = |mask: u32| -> i64 {
        foreign
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .fold(0i64, |s, (_, k)| s.saturating_add(k.weight))
    };
    let reaches = |mask: u32| weight(mask) >= p.threshold;
    (1u32..(1 << foreign.len()))
        .filter(|&m| reaches(m))
        .filter(|&m| (0..foreign.len()).all(|i| m & (1 << i) == 0 || !reaches(m & !(1 << i))))
        .map(|m| {
            foreign
                .iter()
                .enumerate()
                .filter(|(i, _)| m & (1 << i) != 0)
                .map(|(_, k)| *k)
                .collect()
        })
        .collect()
}

/// The keys of `p` whose weight alone reaches its threshold.
pub fn single_keys(p: &Permission) -> Vec<Address> {
    p.keys
        .iter()
        .filter(|k| k.weight >= p.threshold)
        .map(|k| k.address)
        .collect()
}

/// "owner" or `active "payouts" (id 2)`.
pub fn slot(p: &Permission) -> String {
    match p.kind {
        PermissionKind::Owner => "owner".into(),
        PermissionKind::Witness => "witness".into(),
        PermissionKind::Active => format!("active {}", p.label()),
    }
}

/// One way a single key can pay alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoloPayer {
    /// The key.
    pub key: Address,
    /// The permissions through which it alone reaches the threshold (by [`slot`]).
    pub through: Vec<String>,
}

/// Every key that alone reaches the threshold of a permission that can pay or change the
/// permissions, with those permissions, in key order of first appearance.
pub fn solo_payers<'a>(perms: impl IntoIterator<Item = &'a Permission>) -> Vec<SoloPayer> {
    let mut out: Vec<SoloPayer> = Vec::new();
    for p in perms {
        if Power::of(p).is_none() {
            continue;
        }
        for key in single_keys(p) {
            match out.iter_mut().find(|s| s.key == key) {
                Some(s) => s.through.push(slot(p)),
                None => out.push(SoloPayer {
                    key,
                    through: vec![slot(p)],
                }),
            }
        }
    }
    out
}

/// Whether the permissions ask for more than one signature somewhere money moves (an
/// M-of-N set-up): then a key that alone can pay defeats it.
pub fn has_quorum<'a>(perms: impl IntoIterator<Item = &'a Permission>) -> bool {
    perms
        .into_iter()
        .any(|p| Power::of(p).is_some() && single_keys(p).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permission::Operations;

    fn addr(b: u8) -> Address {
        Address::from_evm_bytes([b; 20])
    }

    fn perm(kind: PermissionKind, threshold: i64, keys: &[(u8, i64)], ops: &[&str]) -> Permission {
        Permission {
            kind,
            id: if kind == PermissionKind::Owner { 0 } else { 2 },
            name: "p".into(),
            threshold,
            parent_id: 0,
            operations: (kind == PermissionKind::Active)
                .then(|| Operations::from_names(ops).unwrap()),
            keys: keys
                .iter()
                .map(|(b, w)| PermissionKey {
                    address: addr(*b),
                    weight: *w,
                })
                .collect(),
        }
    }

    #[test]
    fn a_foreign_key_reaching_the_threshold_alone_is_found() {
        // Owner: treasury w1 + attacker w1, threshold 1; this home holds the treasury key.
        let p = perm(PermissionKind::Owner, 1, &[(1, 1), (9, 1)], &[]);
        let sets = foreign_sets(&p, |a| *a == addr(1));
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0][0].address, addr(9));
        assert!(Power::of(&p).unwrap().full());
    }

    #[test]
    fn only_minimal_sets_are_named_and_none_when_the_home_is_needed() {
        let p = perm(
            PermissionKind::Active,
            2,
            &[(1, 1), (2, 1), (3, 1), (4, 2)],
            &["trx"],
        );
        let sets = foreign_sets(&p, |a| *a == addr(1));
        // {2,3} and {4}; {2,4} and {3,4} are not minimal.
        let names: Vec<Vec<Address>> = sets
            .iter()
            .map(|s| s.iter().map(|k| k.address).collect())
            .collect();
        assert_eq!(names, vec![vec![addr(2), addr(3)], vec![addr(4)]]);
        let p = perm(
            PermissionKind::Active,
            3,
            &[(1, 2), (2, 1), (3, 1)],
            &["trx"],
        );
        assert!(foreign_sets(&p, |a| *a == addr(1)).is_empty());
    }

    #[test]
    fn powers_and_solo_payers() {
        let owner = perm(PermissionKind::Owner, 1, &[(1, 1)], &[]);
        let active = perm(
            PermissionKind::Active,
            2,
            &[(1, 1), (2, 1), (3, 1)],
            &["trx", "trc20"],
        );
        let staking = perm(
            PermissionKind::Active,
            1,
            &[(5, 1)],
            &["FreezeBalanceV2Contract"],
        );
        assert!(Power::of(&staking).is_none());
        let upd = perm(
            PermissionKind::Active,
            1,
            &[(9, 1)],
            &["trx", "AccountPermissionUpdateContract"],
        );
        assert_eq!(
            Power::of(&upd).unwrap().describe(),
            "change the permissions → full control; send TRX"
        );
        let solo = solo_payers([&owner, &active, &staking]);
        assert_eq!(solo.len(), 1);
        assert_eq!(solo[0].key, addr(1));
        assert_eq!(solo[0].through, vec!["owner".to_string()]);
        assert!(has_quorum([&owner, &active]));
        assert!(!has_quorum([&owner, &staking]));
    }
}
