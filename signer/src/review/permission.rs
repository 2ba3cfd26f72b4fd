//! The review's multi-signature parts: the permission a request claims to be signed under
//! (with this signer's key in it and the time left to collect approvals), and a permission
//! update — the most dangerous thing the signer can sign — as before (the broadcaster's claim)
//! → after (decoded from the bytes) of who controls the account, and whether this signer's
//! keys keep owner control.

use std::fmt::Write as _;

use coldpay_shared::permission::{
    AccountPermissionUpdate, Operations, Permission, PermissionClaim, PermissionKind,
};
use coldpay_shared::text::escape;
use coldpay_shared::Address;

use super::{human_duration, utc};

/// ContractType of AccountPermissionUpdateContract.
const UPDATE_TYPE: i32 = 46;

/// What the review knows about permissions and this signer's keys.
#[derive(Clone, Copy, Default)]
pub struct PermissionView<'a> {
    /// The permission the request claims its transactions are signed under.
    pub claim: Option<&'a PermissionClaim>,
    /// For a permission update: the account's permissions before, as the broadcaster read
    /// them (a claim).
    pub before: Option<&'a [Permission]>,
    /// The key of this signer that approves under the claim, when one was found.
    pub approver: Option<Address>,
    /// Every address this signer's wallets hold (`None`: wallets not read, as in
    /// `policy check`).
    pub loaded: Option<&'a [Address]>,
}

impl PermissionView<'_> {
    fn is_mine(&self, a: &Address) -> bool {
        self.loaded.is_some_and(|l| l.contains(a))
    }
}

/// One line per key: "T… weight 1 (yours)".
fn key_lines(out: &mut String, indent: &str, p: &Permission, view: &PermissionView<'_>) {
    for k in &p.keys {
        let mine = if view.is_mine(&k.address) {
            " (this signer's key)"
        } else {
            ""
        };
        let _ = writeln!(out, "{indent}{} weight {}{mine}", k.address, k.weight);
    }
}

fn ops_text(ops: &Operations) -> String {
    let names = ops.names();
    let mut text = names.join(", ");
    if ops.allows(UPDATE_TYPE) {
        text.push_str(
            " — INCLUDING AccountPermissionUpdateContract: THESE KEYS CAN CHANGE WHO CONTROLS THE ACCOUNT",
        );
    }
    text
}

fn write_permission(out: &mut String, p: &Permission, view: &PermissionView<'_>) {
    let kind = match p.kind {
        PermissionKind::Owner => "owner  ",
        PermissionKind::Witness => "witness",
        PermissionKind::Active => "active ",
    };
    let _ = write!(
        out,
        "  {kind} {}: {} of {}",
        p.label(),
        p.threshold,
        p.total_weight()
    );
    match &p.operations {
        Some(ops) => {
            let _ = writeln!(out, ", may sign {}", ops_text(ops));
        }
        None if p.kind == PermissionKind::Owner => {
            let _ = writeln!(out, ", may sign everything, including permission updates");
        }
        None => {
            let _ = writeln!(out);
        }
    }
    key_lines(out, "            ", p, view);
}

/// The multi-signature block of a request carrying a permission claim.
pub(super) fn write_claim(
    out: &mut String,
    view: &PermissionView<'_>,
    earliest: Option<u64>,
    now_ms: u64,
) {
    let Some(c) = view.claim else { return };
    let p = c.to_permission();
    let _ = writeln!(
        out,
        "\nMulti-signature (the permission as the broadcaster read it from the node: a claim; the chain checks the real one)"
    );
    let yours = match (view.approver, view.loaded) {
        (Some(a), _) => format!(
            "your key {a} weight {}",
            c.key_weight(&a).unwrap_or_default()
        ),
        (None, Some(_)) => "NONE of this signer's keys is in it".into(),
        (None, None) => "your key not looked up (no wallet is read for a policy check)".into(),
    };
    let _ = writeln!(
        out,
        "  permission {} (id {}): {} of {} — {yours}",
        escape(&c.name),
        c.id,
        c.threshold,
        p.total_weight()
    );
    let _ = writeln!(out, "  keys");
    key_lines(out, "    ", &p, view);
    if c.id != 0 {
        let _ = writeln!(out, "  may sign          {}", ops_text(&c.operations));
    }
    if let Some(w) = view.approver.and_then(|a| c.key_weight(&a)) {
        let more = (c.threshold - w).max(0);
        let _ = if more == 0 {
            writeln!(
                out,
                "  approvals         your signature alone reaches the threshold"
            )
        } else {
            writeln!(
                out,
                "  approvals         your signature gives weight {w}; {more} more needed from the other keys before it can be broadcast"
            )
        };
    }
    if let Some(e) = earliest {
        let left = if e > now_ms {
            format!("{} to collect every approval", human_duration(e - now_ms))
        } else {
            "NONE (expired)".into()
        };
        let _ = writeln!(
            out,
            "  time left         {left} (earliest expiry {})",
            utc(e)
        );
    }
    let _ = writeln!(
        out,
        "  network fee       1 TRX multi-signature fee per transaction when it carries several signatures (chain parameter getMultiSignFee)"
    );
}

/// The signatures a TronWeb object already carries.
pub(super) fn write_prior(out: &mut String, prior: &[Option<Address>]) {
    for s in prior {
        let _ = match s {
            Some(a) => writeln!(
                out,
                "  signed by   {a} (signature already in the input, kept)"
            ),
            None => writeln!(
                out,
                "  signed by   UNREADABLE signature (recovers to no address)"
            ),
        };
    }
}

fn loud(out: &mut String, color: bool, line: &str) {
    let _ = if color {
        writeln!(out, "\x1b[1;31m{line}\x1b[0m")
    } else {
        writeln!(out, "{line}")
    };
}

/// The permission update block: banner, before → after, changes, owner control.
pub(super) fn write_update(
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
    loud(
        out,
        color,
        "!!! The most dangerous transaction this signer can sign: read every line below.",
    );
    loud(out, color, &bar);
    let after = after_list(u);
    match view.before {
        Some(before) => {
            let _ = writeln!(
                out,
                "\nBefore (the broadcaster's claim, as it read the account from the node; not verified here)"
            );
            for p in before {
                write_permission(out, p, view);
            }
        }
        None => {
            let _ = writeln!(
                out,
                "\nBefore: not given (the input carries no permission_before claim)"
            );
        }
    }
    let _ = writeln!(
        out,
        "\nAfter (decoded from the transaction bytes: what the chain will set)"
    );
    for p in &after {
        write_permission(out, p, view);
    }
    if let Some(before) = view.before {
        write_changes(out, before, &after);
    }
    write_owner_control(out, u, view, color);
    let _ = writeln!(
        out,
        "\nFee: the chain burns its permission-update fee from the account (chain parameter getUpdateAccountPermissionFee, 100 TRX on mainnet)"
    );
}

/// The permissions an update sets, for `inspect` (no claim, no keys looked up).
pub fn write_update_after(out: &mut String, u: &AccountPermissionUpdate) {
    let view = PermissionView::default();
    for p in &after_list(u) {
        write_permission(out, p, &view);
    }
}

/// The permissions the account will hold: owner, witness, actives with their assigned ids.
fn after_list(u: &AccountPermissionUpdate) -> Vec<Permission> {
    let mut all = vec![u.owner.clone()];
    all.extend(u.witness.clone());
    all.extend(u.assigned_actives());
    all
}

fn slot(p: &Permission) -> String {
    match p.kind {
        PermissionKind::Owner => "owner".into(),
        PermissionKind::Witness => "witness".into(),
        PermissionKind::Active => format!("active id {}", p.id),
    }
}

fn write_changes(out: &mut String, before: &[Permission], after: &[Permission]) {
    let _ = writeln!(out, "\nChanges (claimed before → after)");
    for a in after {
        let old = before.iter().find(|b| b.kind == a.kind && b.id == a.id);
        let what = match old {
            None => "NEW".to_string(),
            Some(b) => match differences(b, a) {
                d if d.is_empty() => "unchanged".into(),
                d => format!("CHANGED: {}", d.join("; ")),
            },
        };
        let _ = writeln!(out, "  {:<14} {what}", slot(a));
    }
    for b in before {
        if !after.iter().any(|a| a.kind == b.kind && a.id == b.id) {
            let _ = writeln!(out, "  {:<14} REMOVED ({})", slot(b), b.label());
        }
    }
}

fn differences(b: &Permission, a: &Permission) -> Vec<String> {
    let mut d = Vec::new();
    if b.name != a.name {
        d.push(format!(
            "name \"{}\" → \"{}\"",
            escape(&b.name),
            escape(&a.name)
        ));
    }
    if b.threshold != a.threshold {
        d.push(format!("threshold {} → {}", b.threshold, a.threshold));
    }
    for k in &a.keys {
        match b.key_weight(&k.address) {
            None => d.push(format!("key ADDED {} weight {}", k.address, k.weight)),
            Some(w) if w != k.weight => {
                d.push(format!("key {} weight {w} → {}", k.address, k.weight));
            }
            Some(_) => {}
        }
    }
    for k in &b.keys {
        if a.key_weight(&k.address).is_none() {
            d.push(format!("key REMOVED {}", k.address));
        }
    }
    if b.operations != a.operations {
        let names = |o: &Option<Operations>| o.map_or_else(|| "—".into(), |o| o.names().join(", "));
        d.push(format!(
            "operations [{}] → [{}]",
            names(&b.operations),
            names(&a.operations)
        ));
    }
    d
}

/// Whether this signer's keys reach the new owner threshold on their own (loud when not).
fn write_owner_control(
    out: &mut String,
    u: &AccountPermissionUpdate,
    view: &PermissionView<'_>,
    color: bool,
) {
    let _ = writeln!(out, "\nOwner control after the update");
    let Some(loaded) = view.loaded else {
        let _ = writeln!(out, "  not checked: no wallet is read for a policy check");
        return;
    };
    let owner = &u.owner;
    let mine: Vec<(Address, i64)> = owner
        .keys
        .iter()
        .filter(|k| loaded.contains(&k.address))
        .map(|k| (k.address, k.weight))
        .collect();
    let weight: i64 = mine.iter().map(|(_, w)| w).sum();
    let list = |v: &[(Address, i64)]| {
        v.iter()
            .map(|(a, w)| format!("{a} weight {w}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if weight >= owner.threshold {
        let _ = writeln!(
            out,
            "  This signer's keys keep owner control: {} reach the owner threshold {}.",
            list(&mine),
            owner.threshold
        );
        return;
    }
    let others: Vec<String> = owner
        .keys
        .iter()
        .filter(|k| !loaded.contains(&k.address))
        .map(|k| format!("{} weight {}", k.address, k.weight))
        .collect();
    loud(
        out,
        color,
        &format!(
            "  !!! WARNING: AFTER THIS UPDATE THE KEYS IN THIS SIGNER DO NOT CONTROL ACCOUNT {} ON THEIR OWN: owner weight {weight} of threshold {}.",
            u.owner_address, owner.threshold
        ),
    );
    loud(
        out,
        color,
        &format!(
            "  !!! Changing its permissions (or moving everything it holds) will need the other owner keys: {}. Be sure you hold them.",
            others.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::PermissionKey;

    fn addr(b: u8) -> Address {
        Address::from_evm_bytes([b; 20])
    }

    fn perm(kind: PermissionKind, id: i32, threshold: i64, keys: &[u8]) -> Permission {
        Permission {
            kind,
            id,
            name: if kind == PermissionKind::Owner {
                "owner"
            } else {
                "payouts"
            }
            .into(),
            threshold,
            parent_id: 0,
            operations: (kind == PermissionKind::Active)
                .then(|| Operations::from_names(&["trx", "trc20"]).unwrap()),
            keys: keys
                .iter()
                .map(|b| PermissionKey {
                    address: addr(*b),
                    weight: 1,
                })
                .collect(),
        }
    }

    fn update(owner_keys: &[u8]) -> AccountPermissionUpdate {
        AccountPermissionUpdate {
            owner_address: addr(1),
            owner: perm(PermissionKind::Owner, 0, 1, owner_keys),
            witness: None,
            actives: vec![perm(PermissionKind::Active, 0, 2, &[1, 2, 3])],
        }
    }

    fn render(u: &AccountPermissionUpdate, before: &[Permission], loaded: &[Address]) -> String {
        let view = PermissionView {
            before: Some(before),
            loaded: Some(loaded),
            ..PermissionView::default()
        };
        let mut out = String::new();
        write_update(&mut out, u, &view, false);
        out
    }

    #[test]
    fn update_shows_before_after_changes_and_keeps_owner_control() {
        let before = vec![
            perm(PermissionKind::Owner, 0, 1, &[1]),
            perm(PermissionKind::Active, 2, 1, &[1]),
            perm(PermissionKind::Active, 3, 1, &[4]),
        ];
        let text = render(&update(&[1]), &before, &[addr(1)]);
        assert!(text.contains("PERMISSION UPDATE: THIS CHANGES WHO CONTROLS ACCOUNT"));
        assert!(text.contains("owner          unchanged"), "{text}");
        assert!(
            text.contains("active id 2    CHANGED: threshold 1 → 2; key ADDED"),
            "{text}"
        );
        assert!(text.contains("active id 3    REMOVED"), "{text}");
        assert!(text.contains("keep owner control"), "{text}");
        assert!(!text.contains("WARNING"), "{text}");
    }

    #[test]
    fn losing_owner_control_is_a_loud_warning() {
        let before = vec![perm(PermissionKind::Owner, 0, 1, &[1])];
        let text = render(&update(&[5]), &before, &[addr(1)]);
        assert!(
            text.contains("WARNING: AFTER THIS UPDATE THE KEYS IN THIS SIGNER DO NOT CONTROL"),
            "{text}"
        );
        assert!(text.contains(&format!("other owner keys: {} weight 1", addr(5))));
        let view = PermissionView::default();
        let mut out = String::new();
        write_update(&mut out, &update(&[5]), &view, true);
        assert!(out.contains("\x1b[1;31m!!! PERMISSION UPDATE"), "{out}");
        assert!(out.contains("Before: not given"), "{out}");
    }
}
