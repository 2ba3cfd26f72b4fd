//! The control verdict of a permission update, computed from the permissions the bytes set:
//! every set of keys this signer does not hold that reaches the threshold of a permission
//! able to pay or to change the permissions (named loudly, with what it could do), every key
//! that alone can still pay, and whether this signer's keys reach the owner threshold. Shown
//! last before the prompt, under the banner.

use std::fmt::Write as _;

use coldpay_shared::permission::control::{self, Power};
use coldpay_shared::permission::{AccountPermissionUpdate, Permission, PermissionKey};
use coldpay_shared::Address;

use super::permission::{loud, PermissionView};
use super::update::after_list;

/// The banner, the fee, then the verdict lines.
pub(super) fn write_verdict(
    out: &mut String,
    u: &AccountPermissionUpdate,
    view: &PermissionView<'_>,
    color: bool,
) {
    let bar = "!".repeat(78);
    loud(out, color, &format!("\n{bar}"));
    loud(
        out,
        color,
        &format!(
            "!!! PERMISSION UPDATE: THIS CHANGES WHO CONTROLS ACCOUNT {}",
            u.owner_address
        ),
    );
    let after = after_list(u);
    let Some(loaded) = view.loaded else {
        let _ = writeln!(
            out,
            "Control: not checked: no wallet is read for a policy check (this signer's keys are unknown)"
        );
        write_solo(out, u, &after, view, color);
        return;
    };
    let held = |a: &Address| loaded.contains(a);
    let foreign = write_foreign(out, &after, held, color);
    write_solo(out, u, &after, view, color);
    let owner_ok = write_owner(out, u, held, color);
    if foreign == 0 && owner_ok {
        let _ = writeln!(
            out,
            "This signer keeps control: no set of keys it does not hold can pay or change the permissions of {} without it.",
            u.owner_address
        );
    }
}

/// "T1 alone", "T1 + T2".
fn set_text(set: &[PermissionKey]) -> String {
    let names: Vec<String> = set.iter().map(|k| k.address.to_string()).collect();
    if names.len() == 1 {
        format!("{} alone", names[0])
    } else {
        names.join(" + ")
    }
}

/// One loud line per set of keys this signer does not hold that reaches the threshold of a
/// permission able to pay or change the permissions, naming each such permission and what
/// it allows; returns how many sets.
fn write_foreign(
    out: &mut String,
    after: &[Permission],
    held: impl Fn(&Address) -> bool + Copy,
    color: bool,
) -> usize {
    let mut sets: Vec<(Vec<PermissionKey>, Vec<String>)> = Vec::new();
    for p in after {
        let Some(power) = Power::of(p) else { continue };
        let what = format!(
            "{} threshold {} → {}",
            control::slot(p),
            p.threshold,
            power.describe()
        );
        for set in control::foreign_sets(p, held) {
            match sets.iter_mut().find(|(s, _)| same_keys(s, &set)) {
                Some((_, w)) => w.push(what.clone()),
                None => sets.push((set, vec![what.clone()])),
            }
        }
    }
    for (set, what) in &sets {
        loud(
            out,
            color,
            &format!(
                "!!! FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER: {} reach{} {}",
                set_text(set),
                if set.len() == 1 { "es" } else { "" },
                what.join("; and ")
            ),
        );
    }
    sets.len()
}

/// Whether two key sets name the same addresses.
fn same_keys(a: &[PermissionKey], b: &[PermissionKey]) -> bool {
    a.len() == b.len() && a.iter().all(|k| b.iter().any(|l| l.address == k.address))
}

/// The account's own key (and this signer's keys) that alone can still pay: loud when the
/// update asks for several signatures elsewhere (an M-of-N set-up it defeats).
fn write_solo(
    out: &mut String,
    u: &AccountPermissionUpdate,
    after: &[Permission],
    view: &PermissionView<'_>,
    color: bool,
) {
    let quorum = control::has_quorum(after);
    for s in control::solo_payers(after) {
        let treasury = s.key == u.owner_address;
        if !treasury && !view.is_mine(&s.key) && view.loaded.is_some() {
            continue; // named among the foreign keys above
        }
        let through = s.through.join(" and ");
        if !quorum {
            let who = if treasury {
                "The treasury key"
            } else {
                "This signer's key"
            };
            let _ = writeln!(out, "{who} {} alone can pay through {through}", s.key);
            continue;
        }
        let who = if treasury {
            format!("THE TREASURY KEY {} (the account's own key)", s.key)
        } else {
            format!("THIS SIGNER'S KEY {}", s.key)
        };
        loud(
            out,
            color,
            &format!(
                "!!! {who} ALONE CAN STILL PAY through {through} — the multi-signature permission does not bind it"
            ),
        );
    }
}

/// Whether this signer's keys reach the owner threshold; loud when they do not.
fn write_owner(
    out: &mut String,
    u: &AccountPermissionUpdate,
    held: impl Fn(&Address) -> bool,
    color: bool,
) -> bool {
    let owner = &u.owner;
    let weight: i64 = owner
        .keys
        .iter()
        .filter(|k| held(&k.address))
        .fold(0i64, |s, k| s.saturating_add(k.weight));
    if weight >= owner.threshold {
        return true;
    }
    loud(
        out,
        color,
        &format!(
            "!!! WARNING: THIS SIGNER'S KEYS NO LONGER CONTROL THE ACCOUNT ALONE: owner weight {weight} of threshold {}",
            owner.threshold
        ),
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::{Operations, PermissionKind};

    fn addr(b: u8) -> Address {
        Address::from_evm_bytes([b; 20])
    }

    fn perm(kind: PermissionKind, threshold: i64, keys: &[u8], ops: &[&str]) -> Permission {
        Permission {
            kind,
            id: 0,
            name: if kind == PermissionKind::Owner {
                "owner"
            } else {
                "x"
            }
            .into(),
            threshold,
            parent_id: 0,
            operations: (kind == PermissionKind::Active)
                .then(|| Operations::from_names(ops).unwrap()),
            keys: keys
                .iter()
                .map(|b| PermissionKey {
                    address: addr(*b),
                    weight: 1,
                })
                .collect(),
        }
    }

    fn verdict(owner: Permission, actives: Vec<Permission>, loaded: Option<&[Address]>) -> String {
        let u = AccountPermissionUpdate {
            owner_address: addr(1),
            owner,
            witness: None,
            actives,
        };
        let view = PermissionView {
            loaded,
            ..PermissionView::default()
        };
        let mut out = String::new();
        write_verdict(&mut out, &u, &view, false);
        out
    }

    #[test]
    fn a_foreign_owner_key_is_named_and_control_is_not_claimed() {
        // Owner: treasury w1 + attacker w1, threshold 1 (issue #26, case 1).
        let out = verdict(
            perm(PermissionKind::Owner, 1, &[1, 9], &[]),
            vec![perm(PermissionKind::Active, 1, &[1], &["trx"])],
            Some(&[addr(1)]),
        );
        assert!(
            out.contains(&format!(
                "!!! FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER: {} alone reaches owner threshold 1 → full control",
                addr(9)
            )),
            "{out}"
        );
        assert!(!out.contains("keeps control"), "{out}");
    }

    #[test]
    fn a_foreign_active_that_may_update_permissions_is_named() {
        // A new 1-of-1 active with a foreign key allowed to transfer and update permissions.
        let out = verdict(
            perm(PermissionKind::Owner, 1, &[1], &[]),
            vec![perm(
                PermissionKind::Active,
                1,
                &[9],
                &["trx", "AccountPermissionUpdateContract"],
            )],
            Some(&[addr(1)]),
        );
        assert!(
            out.contains(&format!(
                "FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER: {} alone reaches active \"x\" (id 2) threshold 1 → change the permissions → full control; send TRX",
                addr(9)
            )),
            "{out}"
        );
        assert!(!out.contains("keeps control"), "{out}");
    }

    #[test]
    fn the_treasury_key_left_alone_after_a_quorum_is_named() {
        let out = verdict(
            perm(PermissionKind::Owner, 1, &[1], &[]),
            vec![
                perm(PermissionKind::Active, 1, &[1], &["trx", "trc20"]),
                perm(PermissionKind::Active, 2, &[1, 2, 3], &["trx", "trc20"]),
            ],
            Some(&[addr(1), addr(2), addr(3)]),
        );
        assert!(
            out.contains(&format!(
                "!!! THE TREASURY KEY {} (the account's own key) ALONE CAN STILL PAY through owner and active \"x\" (id 2)",
                addr(1)
            )),
            "{out}"
        );
        // Every key is held here: no foreign set, so control is kept.
        assert!(out.contains("This signer keeps control"), "{out}");
        // A plain 1-of-1 account is stated, not shouted.
        let out = verdict(
            perm(PermissionKind::Owner, 1, &[1], &[]),
            vec![perm(PermissionKind::Active, 1, &[1], &["trx"])],
            Some(&[addr(1)]),
        );
        assert!(out.contains("The treasury key"), "{out}");
        assert!(!out.contains("STILL PAY"), "{out}");
    }

    #[test]
    fn without_wallets_control_is_not_judged_and_losing_the_owner_is_loud() {
        let out = verdict(
            perm(PermissionKind::Owner, 1, &[5], &[]),
            vec![perm(PermissionKind::Active, 1, &[5], &["trx"])],
            None,
        );
        assert!(out.contains("Control: not checked"), "{out}");
        let out = verdict(
            perm(PermissionKind::Owner, 1, &[5], &[]),
            vec![perm(PermissionKind::Active, 1, &[5], &["trx"])],
            Some(&[addr(1)]),
        );
        assert!(
            out.contains("WARNING: THIS SIGNER'S KEYS NO LONGER CONTROL THE ACCOUNT ALONE: owner weight 0 of threshold 1"),
            "{out}"
        );
    }
}
