//! The `accounts permissions` and `accounts set-permission` commands: arguments in, text or
//! JSON out.

use std::fmt;
use std::path::PathBuf;

use coldpay_shared::permission::{Operations, PermissionKey};
use coldpay_shared::{Address, Network, TxId};
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::multisig::permission_update::{parse_key, Change, Outcome};
use crate::multisig::permissions::{
    permission_view, AccountPermissions, AccountPermissionsView, Approvers, PermissionView,
};
use crate::node::Node;

/// `accounts set-permission` arguments.
#[derive(clap::Args, Debug)]
pub struct SetPermissionArgs {
    /// The account whose permissions change (an imported watch-only account).
    pub address: String,
    /// Name of the active permission to add or replace (replaced when one with this name
    /// exists, else added with the next id).
    #[arg(long)]
    pub name: String,
    /// Weight its approvals must reach.
    #[arg(long)]
    pub threshold: i64,
    /// A key and its weight, ADDRESS=WEIGHT (repeat per key; at most the chain's
    /// getTotalSignNum, 5 by default).
    #[arg(long = "key", value_name = "T…=W", required = true)]
    pub keys: Vec<String>,
    /// Contract types the permission may sign, comma-separated: trx (TransferContract), trc20
    /// (TriggerSmartContract) or full contract-type names.
    #[arg(long, value_delimiter = ',', required = true)]
    pub operations: Vec<String>,
    /// Replace the active permission with this id instead of the one named --name (or give
    /// the next free id explicitly).
    #[arg(long, value_name = "N")]
    pub id: Option<i32>,
    /// New owner threshold (with --owner-key; default: the owner permission is kept).
    #[arg(long, value_name = "N", requires = "owner_keys")]
    pub owner_threshold: Option<i64>,
    /// A key of the new owner permission, ADDRESS=WEIGHT (repeat; with --owner-threshold).
    #[arg(long = "owner-key", value_name = "T…=W", requires = "owner_threshold")]
    pub owner_keys: Vec<String>,
    /// Expiration after the reference block (default 12h: approvers take hours; at most 24h).
    #[arg(long, default_value = "12h")]
    pub expires_in: String,
    /// Output file for the sign request (default stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Build even though the new owner permission leaves the watch-only signer home without
    /// owner control (refused without it).
    #[arg(long)]
    pub allow_owner_handover: bool,
    /// QR output of the sign request.
    #[command(flatten)]
    pub qr_out: crate::qrio::QrOutArgs,
}

impl SetPermissionArgs {
    /// The change, parsed.
    pub fn change(&self) -> Result<Change> {
        let account = Address::parse(&self.address)?;
        let keys = self
            .keys
            .iter()
            .map(|k| parse_key(k, "--key"))
            .collect::<Result<Vec<PermissionKey>>>()?;
        let names: Vec<&str> = self.operations.iter().map(String::as_str).collect();
        let operations = Operations::from_names(&names)
            .map_err(|e| BcError::Input(format!("--operations: {e}")))?;
        let owner = match self.owner_threshold {
            None => None,
            Some(t) => Some((
                t,
                self.owner_keys
                    .iter()
                    .map(|k| parse_key(k, "--owner-key"))
                    .collect::<Result<Vec<_>>>()?,
            )),
        };
        Ok(Change {
            account,
            name: self.name.clone(),
            threshold: self.threshold,
            keys,
            operations,
            id: self.id,
            owner,
        })
    }
}

/// `accounts permissions ADDRESS`: the account's permissions as the node reports them, keys
/// the journal knows as an approver home's labelled with its wallet name.
#[derive(Clone, Debug)]
pub struct Shown {
    permissions: AccountPermissions,
    approvers: Approvers,
}

impl Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.permissions.view(&self.approvers).serialize(s)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.permissions.text_labelled(&self.approvers))
    }
}

/// `accounts permissions ADDRESS`.
pub fn show(journal: &Journal, node: &Node, address: &str) -> Result<Shown> {
    let a = Address::parse(address)?;
    let permissions = crate::multisig::permissions::read(node, &a)?;
    let approvers = crate::multisig::approvers::labels(journal, &a)?;
    Ok(Shown {
        permissions,
        approvers,
    })
}

/// `accounts import-watch` of an export with `approver_for`: checks every exported key is in
/// the named permission as the node reports it now, then records them.
pub fn import_approvers(
    journal: &Journal,
    node: &Node,
    w: &coldpay_shared::handoff::WatchExport,
    a: &coldpay_shared::handoff::ApproverFor,
) -> Result<crate::multisig::approvers::Recorded> {
    let perms = crate::multisig::permissions::read(node, &a.account)?;
    crate::multisig::approvers::check(&perms, w, a)?;
    crate::multisig::approvers::record(journal, w, a)?;
    Ok(crate::multisig::approvers::Recorded::of(w, a))
}

/// What `accounts set-permission` built (its `--json` and its text): the journal id, request
/// and txID, the permissions before and after, the fee, and what the operator should know.
#[derive(Clone, Debug, Serialize)]
pub struct UpdateShown {
    /// The journal's payout id of the update.
    pub payout_id: String,
    /// The sign request's id.
    pub request_id: String,
    /// The update's txID.
    pub txid: TxId,
    /// The permissions as the node reports them now.
    pub before: AccountPermissionsView,
    /// The permissions the update sets.
    pub after: Vec<PermissionView>,
    /// The fee the chain charges (sun).
    pub fee_sun: u64,
    /// Warnings for the operator.
    pub warnings: Vec<String>,
    /// Keys that alone can still pay after the update, and how to close that.
    pub can_pay_alone: Vec<String>,
    /// The same update was already pending: its request is exported again.
    pub reexported: bool,
    /// The text form.
    #[serde(skip)]
    text: String,
}

impl UpdateShown {
    /// The answer for what `set` built.
    pub fn of(out: &Outcome) -> UpdateShown {
        let none = Approvers::new();
        UpdateShown {
            payout_id: out.payout_id.clone(),
            request_id: out.request.request_id.clone(),
            txid: out.request.transactions[0].txid,
            before: out.before.view(&none),
            after: out
                .update
                .permissions()
                .map(|p| permission_view(p, &none))
                .collect(),
            fee_sun: out.fee_sun,
            warnings: out.warnings.clone(),
            can_pay_alone: out.alone.clone(),
            reexported: out.reexported,
            text: describe(out),
        }
    }
}

impl fmt::Display for UpdateShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `accounts set-permission`: builds and journals the update; returns its answer and what was
/// built.
pub fn set(
    journal: &Journal,
    node: &Node,
    network: Network,
    args: &SetPermissionArgs,
    expires_in_ms: u64,
) -> Result<(UpdateShown, Outcome)> {
    // QR output carries the JSON request (`coldpay-req-json`, see `qrio::request_message`).
    let change = args.change()?;
    journal.require_account(&change.account, network)?;
    let out = crate::multisig::permission_update::set_permission(
        journal,
        node,
        network,
        &change,
        expires_in_ms,
        args.allow_owner_handover,
    )?;
    Ok((UpdateShown::of(&out), out))
}

fn describe(out: &Outcome) -> String {
    let mut s = format!(
        "permission update of {} (journal {}; fee {} TRX when executed)\nbefore:",
        out.update.owner_address,
        out.payout_id,
        coldpay_shared::amount::format_units(coldpay_shared::U256::from(out.fee_sun), 6)
    );
    for p in out.before.as_list() {
        s.push('\n');
        s.push_str(&crate::multisig::permissions::permission_text(&p));
    }
    s.push_str("\nafter:");
    for p in out.update.permissions() {
        s.push('\n');
        s.push_str(&crate::multisig::permissions::permission_text(p));
    }
    for w in out.warnings.iter().chain(&out.alone) {
        s.push('\n');
        s.push_str(w);
    }
    if out.reexported {
        s.push_str("\nthis update was already built and is waiting for signatures: its request is exported again");
    }
    s.push_str(&format!(
        "\nsign it with the owner permission ({} of weight {}), then `submit` the response(s)",
        out.before.owner.threshold,
        out.before.owner.total_weight()
    ));
    s
}
