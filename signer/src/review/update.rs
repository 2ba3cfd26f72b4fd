//! A permission update in the review: what the bytes set (after), and how that differs from
//! this signer's own record of the account — or, when it has none, from the online machine's
//! `permission_before` claim, labelled as a claim.

use std::fmt::Write as _;

use coldpay_shared::permission::{AccountPermissionUpdate, Permission, PermissionKind};
use coldpay_shared::text::escape;

use super::permission::{loud, write_permission, PermissionView, RecordView};
use super::utc;

/// The update's body: after (from the bytes), then the changes.
pub(super) fn write_update(
    out: &mut String,
    u: &AccountPermissionUpdate,
    view: &PermissionView<'_>,
    color: bool,
) {
    let after = after_list(u);
    let _ = writeln!(
        out,
        "\nAfter the update (decoded from the bytes: what the chain sets)"
    );
    for p in &after {
        write_permission(out, p, view, Some(u.owner_address));
    }
    match view.record {
        RecordView::Known(r) => {
            let _ = writeln!(
                out,
                "\nChanges against this signer's record (the update of this account it signed at {}, audit line {})",
                utc(r.time),
                r.seq
            );
            write_changes(out, &r.permissions, &after);
            write_claim_vs_record(out, view.before, &r.permissions, color);
        }
        RecordView::Unknown | RecordView::NotRead => write_unknown(out, view, &after),
    }
}

fn write_unknown(out: &mut String, view: &PermissionView<'_>, after: &[Permission]) {
    let what = match view.record {
        RecordView::NotRead => "not read",
        _ => "not known to this signer (it signed no update of this account)",
    };
    match view.before {
        Some(before) => {
            let _ = writeln!(
                out,
                "\nBefore: {what}; the online machine says (permission_before, not verified):"
            );
            write_changes(out, before, after);
        }
        None => {
            let _ = writeln!(
                out,
                "\nBefore: {what}; the online machine sent no permission_before claim"
            );
        }
    }
}

/// With a record, the claim either agrees (one line) or — only when the operator passed
/// `--permission-record-stale` — is shown loudly beside it.
fn write_claim_vs_record(
    out: &mut String,
    before: Option<&[Permission]>,
    record: &[Permission],
    color: bool,
) {
    match before {
        None => {
            let _ = writeln!(out, "  the online machine sent no permission_before claim");
        }
        Some(b) if same_list(b, record) => {
            let _ = writeln!(
                out,
                "  the online machine's permission_before claim agrees with this record"
            );
        }
        Some(b) => {
            loud(
                out,
                color,
                "  !!! THE ONLINE MACHINE SAYS THE ACCOUNT HOLDS SOMETHING ELSE (--permission-record-stale); its claim against this record:",
            );
            write_changes(out, record, b);
        }
    }
}

/// Whether two permission lists hold the same permissions (order aside).
pub(crate) fn same_list(a: &[Permission], b: &[Permission]) -> bool {
    a.len() == b.len() && a.iter().all(|p| b.contains(p))
}

/// The permissions the account will hold: owner, witness, actives with their assigned ids.
pub(super) fn after_list(u: &AccountPermissionUpdate) -> Vec<Permission> {
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
    let added = a
        .keys
        .iter()
        .filter(|k| b.key_weight(&k.address).is_none())
        .count();
    match added {
        0 => {}
        1 => d.push("1 key ADDED".into()),
        n => d.push(format!("{n} keys ADDED")),
    }
    for k in &a.keys {
        if let Some(w) = b.key_weight(&k.address).filter(|w| *w != k.weight) {
            d.push(format!("key {} weight {w} → {}", k.address, k.weight));
        }
    }
    for k in &b.keys {
        if a.key_weight(&k.address).is_none() {
            d.push(format!("key REMOVED {}", k.address));
        }
    }
    if b.operations != a.operations {
        d.push("operations changed".into());
    }
    d
}
