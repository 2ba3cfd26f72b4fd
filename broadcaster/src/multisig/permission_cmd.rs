//! The `accounts permissions` and `accounts set-permission` commands: arguments in, text or
//! JSON out.

use std::path::PathBuf;

use coldpay_shared::permission::{Operations, PermissionKey};
use coldpay_shared::{Address, Network};
use serde_json::json;

use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::multisig::permission_update::{parse_key, Change, Outcome};
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

/// `accounts permissions ADDRESS`: (JSON, text).
pub fn show(journal: &Journal, node: &Node, address: &str) -> Result<(serde_json::Value, String)> {
    let a = Address::parse(address)?;
    let p = crate::multisig::permissions::read(node, &a)?;
    let known = crate::multisig::approvers::labels(journal, &a)?;
    Ok((p.to_json_labelled(&known), p.text_labelled(&known)))
}

/// `accounts import-watch` of an export with `approver_for`: checks every exported key is in
/// the named permission as the node reports it now, then records them; returns (JSON, text).
pub fn import_approvers(
    journal: &Journal,
    node: &Node,
    w: &coldpay_shared::handoff::WatchExport,
    a: &coldpay_shared::handoff::ApproverFor,
) -> Result<(serde_json::Value, String)> {
    let perms = crate::multisig::permissions::read(node, &a.account)?;
    crate::multisig::approvers::check(&perms, w, a)?;
    crate::multisig::approvers::record(journal, w, a)?;
    Ok(crate::multisig::approvers::summary(w, a))
}

/// `accounts set-permission`: builds, journals and returns (JSON, text, outcome).
pub fn set(
    journal: &Journal,
    node: &Node,
    network: Network,
    args: &SetPermissionArgs,
    expires_in_ms: u64,
) -> Result<(serde_json::Value, String, Outcome)> {
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
    let text = describe(&out);
    let v = json!({
        "payout_id": out.payout_id,
        "request_id": out.request.request_id,
        "txid": out.request.transactions[0].txid,
        "before": out.before.to_json(),
        "after": out.update.permissions().map(crate::multisig::permissions::permission_json).collect::<Vec<_>>(),
        "fee_sun": out.fee_sun,
        "warnings": out.warnings,
        "can_pay_alone": out.alone,
        "reexported": out.reexported,
    });
    Ok((v, text, out))
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
