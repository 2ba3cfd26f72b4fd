//! The review's multi-signature parts: the permission a request claims to be signed under
//! (with this signer's key in it and the time left to collect approvals), and how one
//! permission is shown (one line, then one line per key). A permission update is shown by
//! [`super::update`], its control verdict by [`super::verdict`].

use std::fmt::Write as _;

use coldpay_shared::permission::control;
use coldpay_shared::permission::{Operations, Permission, PermissionClaim, PermissionKind};
use coldpay_shared::text::escape;
use coldpay_shared::Address;

use super::{human_duration, utc};
use crate::permission_record::RecordedPermissions;

/// What this signer knows of an account's permissions from its own records.
#[derive(Clone, Copy, Default)]
pub enum RecordView<'a> {
    /// Not read (no permission update in the input).
    #[default]
    NotRead,
    /// This home has signed no permission update of the account.
    Unknown,
    /// The permissions set by the last update of the account this home signed.
    Known(&'a RecordedPermissions),
}

/// What the review knows about permissions and this signer's keys.
#[derive(Clone, Copy, Default)]
pub struct PermissionView<'a> {
    /// The permission the request claims its transactions are signed under.
    pub claim: Option<&'a PermissionClaim>,
    /// For a permission update: the account's permissions before, as the broadcaster read
    /// them (a claim).
    pub before: Option<&'a [Permission]>,
    /// For a permission update: this home's own record of the account's permissions.
    pub record: RecordView<'a>,
    /// The key of this signer that approves under the claim, when one was found.
    pub approver: Option<Address>,
    /// Every address this signer's wallets hold (`None`: wallets not read, as in
    /// `policy check`).
    pub loaded: Option<&'a [Address]>,
    /// Full operation lists instead of summaries (`--details`).
    pub details: bool,
}

impl PermissionView<'_> {
    /// Whether `a` is a key of this signer's wallets (false when they were not read).
    pub(super) fn is_mine(&self, a: &Address) -> bool {
        self.loaded.is_some_and(|l| l.contains(a))
    }
}

/// One line per key: "T… weight 1 (this signer's key)".
fn key_lines(
    out: &mut String,
    indent: &str,
    p: &Permission,
    view: &PermissionView<'_>,
    account: Option<Address>,
) {
    for k in &p.keys {
        let mut notes = Vec::new();
        if view.is_mine(&k.address) {
            notes.push("this signer's key");
        } else if view.loaded.is_some() {
            notes.push("not held by this signer");
        }
        if Some(k.address) == account {
            notes.push("the account's own key");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        let _ = writeln!(out, "{indent}{} weight {}{notes}", k.address, k.weight);
    }
}

/// The operations, summarised unless `details`; loud when they include permission updates.
pub(super) fn ops_text(ops: &Operations, details: bool) -> String {
    let mut text = if details {
        ops.names().join(", ")
    } else {
        ops.summary()
    };
    if ops.allows(control::UPDATE_TYPE) {
        text.push_str(" — CAN CHANGE WHO CONTROLS THE ACCOUNT");
    }
    text
}

/// `owner  "owner" (id 0): 1 of 1, may do everything` and its keys.
pub(super) fn write_permission(
    out: &mut String,
    p: &Permission,
    view: &PermissionView<'_>,
    account: Option<Address>,
) {
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
            let _ = writeln!(out, ", may sign {}", ops_text(ops, view.details));
        }
        None if p.kind == PermissionKind::Owner => {
            let _ = writeln!(out, ", may sign everything, including permission updates");
        }
        None => {
            let _ = writeln!(out);
        }
    }
    key_lines(out, "            ", p, view, account);
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
    key_lines(out, "    ", &p, view, None);
    if c.id != 0 {
        let _ = writeln!(
            out,
            "  may sign          {}",
            ops_text(&c.operations, view.details)
        );
    }
    write_approvals(out, c, view);
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
    // The fee is charged only on a transaction carrying several signatures.
    if control::single_keys(&p).is_empty() {
        let _ = writeln!(
            out,
            "  network fee       1 TRX multi-signature fee per transaction (it carries several signatures; chain parameter getMultiSignFee)"
        );
    }
}

/// The claim of a permission update's request in one line: the permission it is signed
/// under as the online machine read it, and what this signer's key gives.
pub(super) fn write_claim_line(out: &mut String, view: &PermissionView<'_>) {
    let Some(c) = view.claim else { return };
    let p = c.to_permission();
    let yours = match (
        view.approver.and_then(|a| c.key_weight(&a).map(|w| (a, w))),
        view.loaded,
    ) {
        (Some((_, w)), _) if w >= c.threshold => "your key reaches it".to_string(),
        (Some((_, w)), _) => format!("your key gives weight {w}, {} more needed", c.threshold - w),
        (None, Some(_)) => "NONE of this signer's keys is in it".into(),
        (None, None) => "your key not looked up".into(),
    };
    let fee = if control::single_keys(&p).is_empty() {
        " · 1 TRX multi-signature fee"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  signed under {} (id {}), {} of {} (the online machine says): {yours}{fee}",
        escape(&c.name),
        c.id,
        c.threshold,
        p.total_weight()
    );
}

fn write_approvals(out: &mut String, c: &PermissionClaim, view: &PermissionView<'_>) {
    let Some(w) = view.approver.and_then(|a| c.key_weight(&a)) else {
        return;
    };
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

/// A line in bold red on a colour terminal.
pub(super) fn loud(out: &mut String, color: bool, line: &str) {
    let _ = if color {
        writeln!(out, "\x1b[1;31m{line}\x1b[0m")
    } else {
        writeln!(out, "{line}")
    };
}

/// The permissions an update sets, for `inspect` (no claim, no keys looked up).
pub fn write_update_after(
    out: &mut String,
    u: &coldpay_shared::permission::AccountPermissionUpdate,
) {
    let view = PermissionView {
        details: true,
        ..PermissionView::default()
    };
    for p in &super::update::after_list(u) {
        write_permission(out, p, &view, Some(u.owner_address));
    }
}
