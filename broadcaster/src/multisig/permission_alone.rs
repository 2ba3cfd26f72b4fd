//! What can still pay alone after a planned permission update, and the flags that make an
//! M-of-N permission mean M-of-N (docs/runbook.md §3a): a key that alone reaches the
//! threshold of the owner or of another active able to pay defeats the quorum.

use coldpay_shared::permission::control::{has_quorum, solo_payers, Power};
use coldpay_shared::permission::{AccountPermissionUpdate, Permission, PermissionKind};

use crate::multisig::permission_change::Change;

/// Notes for the operator: each key that alone can still pay (with the permissions it pays
/// through), and the flags that close each way. Empty when no quorum is set up or none is
/// bypassed.
pub fn notes(update: &AccountPermissionUpdate, change: &Change) -> Vec<String> {
    let mut after = vec![update.owner.clone()];
    after.extend(update.assigned_actives());
    if !has_quorum(&after) {
        return Vec::new();
    }
    let solo = solo_payers(&after);
    if solo.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = solo
        .iter()
        .map(|s| {
            format!(
                "WARNING: after this update {} ALONE CAN STILL PAY through {}: the {}-of-{} permission \"{}\" does not bind it",
                s.key,
                s.through.join(" and "),
                change.threshold,
                change.keys.len(),
                change.name
            )
        })
        .collect();
    out.push(format!(
        "to make it mean {}-of-{}: {}; see docs/runbook.md §3a",
        change.threshold,
        change.keys.len(),
        fixes(&after, change).join(", and ")
    ));
    out
}

/// The flags closing each bypass: replacing a payable active (`--id N`) and giving the owner
/// the new permission's keys and threshold.
fn fixes(after: &[Permission], change: &Change) -> Vec<String> {
    let bypass =
        |p: &Permission| Power::of(p).is_some() && p.keys.iter().any(|k| k.weight >= p.threshold);
    let mut out = Vec::new();
    for p in after.iter().filter(|p| bypass(p)) {
        match p.kind {
            PermissionKind::Owner => {
                let keys: Vec<String> = change
                    .keys
                    .iter()
                    .map(|k| format!("--owner-key {}={}", k.address, k.weight))
                    .collect();
                out.push(format!(
                    "give the owner the same keys and threshold (add --owner-threshold {} {} --allow-owner-handover)",
                    change.threshold,
                    keys.join(" ")
                ));
            }
            _ => out.push(format!(
                "replace active {} instead of adding a permission (run with --id {} --name {})",
                p.label(),
                p.id,
                change.name
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::{Operations, PermissionKey};
    use coldpay_shared::Address;

    fn addr(i: u8) -> Address {
        Address::from_evm_bytes([i; 20])
    }

    fn key(i: u8) -> PermissionKey {
        PermissionKey {
            address: addr(i),
            weight: 1,
        }
    }

    fn active(id: i32, name: &str, threshold: i64, keys: &[u8]) -> Permission {
        Permission {
            kind: PermissionKind::Active,
            id,
            name: name.into(),
            threshold,
            parent_id: 0,
            operations: Some(Operations::java_tron_default()),
            keys: keys.iter().map(|i| key(*i)).collect(),
        }
    }

    fn update(
        owner: &[u8],
        owner_threshold: i64,
        actives: Vec<Permission>,
    ) -> AccountPermissionUpdate {
        AccountPermissionUpdate {
            owner_address: addr(1),
            owner: Permission {
                kind: PermissionKind::Owner,
                id: 0,
                name: "owner".into(),
                threshold: owner_threshold,
                parent_id: 0,
                operations: None,
                keys: owner.iter().map(|i| key(*i)).collect(),
            },
            witness: None,
            actives,
        }
    }

    fn change(id: Option<i32>) -> Change {
        Change {
            account: addr(1),
            name: "payouts".into(),
            threshold: 2,
            keys: vec![key(2), key(3), key(4)],
            operations: Operations::java_tron_default(),
            id,
            owner: None,
        }
    }

    #[test]
    fn an_added_quorum_beside_the_default_active_names_the_treasury_key_and_the_fix() {
        // `--name payouts --threshold 2` with three keys, nothing else: owner and "active"
        // (id 2) stay 1-of-1 with the treasury key.
        let u = update(
            &[1],
            1,
            vec![
                active(2, "active", 1, &[1]),
                active(3, "payouts", 2, &[2, 3, 4]),
            ],
        );
        let n = notes(&u, &change(None));
        assert_eq!(n.len(), 2, "{n:?}");
        assert!(
            n[0].contains(&format!(
                "{} ALONE CAN STILL PAY through owner and active \"active\" (id 2): the 2-of-3 permission \"payouts\" does not bind it",
                addr(1)
            )),
            "{}",
            n[0]
        );
        assert!(
            n[1].contains("add --owner-threshold 2 --owner-key"),
            "{}",
            n[1]
        );
        assert!(n[1].contains("run with --id 2 --name payouts"), "{}", n[1]);
    }

    #[test]
    fn nothing_to_say_when_every_payable_permission_needs_the_quorum() {
        let u = update(&[2, 3, 4], 2, vec![active(2, "payouts", 2, &[2, 3, 4])]);
        assert!(notes(&u, &change(Some(2))).is_empty());
        // A plain 1-of-1 account is not an M-of-N set-up.
        let u = update(&[1], 1, vec![active(2, "active", 1, &[1])]);
        assert!(notes(&u, &change(Some(2))).is_empty());
    }
}
