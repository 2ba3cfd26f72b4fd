//! Multi-signature in a signing run: the permission claim and before-view a request carries
//! (one request per run when it does), the claim's verdict on each transaction, and the
//! signatures TronWeb objects already carry. Which key approves is chosen in
//! [`super::signers`].

use std::collections::HashMap;

use coldpay_shared::input::InputItem;
use coldpay_shared::permission::{Permission, PermissionClaim};
use coldpay_shared::text::escape;
use coldpay_shared::{Address, RawData, TxId};
use rayon::prelude::*;

use crate::error::{Result, SignerError};
use crate::review::ReviewItem;

/// The `token` a permission update is recorded under in the ledger and the audit log (its
/// amount is 0 and it has no recipient).
pub(super) const UPDATE_LEDGER_TOKEN: &str = "AccountPermissionUpdateContract";

/// The claim and before-view of the input, refusing mixes the review could not show
/// clearly: a claim travels in a request signed on its own, and a permission update is the
/// only transaction of its input.
pub(super) fn claims_of<'a>(
    items: &[&'a InputItem],
    txs: &[ReviewItem<'_>],
) -> Result<(Option<&'a PermissionClaim>, Option<&'a [Permission]>)> {
    let refuse = |m: String| Err(SignerError::Refused(m));
    let claimed = items.iter().any(|i| match i {
        InputItem::Request(r) => r.permission.is_some() || r.permission_before.is_some(),
        InputItem::TronWeb(_) => false,
    });
    if claimed && items.len() > 1 {
        return refuse(format!(
            "a request carrying a permission claim is signed on its own; this input holds {} documents",
            items.len()
        ));
    }
    let updates = txs.iter().filter(|t| t.is_permission_update()).count();
    if updates > 0 && txs.len() > 1 {
        return refuse(format!(
            "a permission update is signed on its own; this input holds {} transactions, {updates} of them permission updates: ask for a request holding only the update",
            txs.len()
        ));
    }
    let (claim, before) = match items {
        [InputItem::Request(r)] => (r.permission.as_ref(), r.permission_before.as_deref()),
        _ => (None, None),
    };
    if before.is_some() && updates == 0 {
        return refuse(
            "the request carries permission_before but no permission update; ask the broadcaster for a fresh request".into(),
        );
    }
    if let (Some(c), Some(b)) = (claim, before) {
        claims_agree(c, b)?;
    }
    Ok((claim, before))
}

/// Refuses a request whose two claims contradict each other: the permission it says the
/// update is signed under must be, exactly, that permission in its `permission_before`.
fn claims_agree(claim: &PermissionClaim, before: &[Permission]) -> Result<()> {
    let said = claim.to_permission();
    let why = match before.iter().find(|p| p.id == said.id) {
        None => format!("permission_before holds no permission id {}", said.id),
        Some(b) if *b == said => return Ok(()),
        Some(b) => format!(
            "permission says {} (id {}) is {} of {} with keys {}; permission_before says {} of {} with keys {}",
            escape(&said.name),
            said.id,
            said.threshold,
            said.total_weight(),
            keys_text(&said),
            b.threshold,
            b.total_weight(),
            keys_text(b)
        ),
    };
    Err(SignerError::Refused(format!(
        "the request's two permission claims disagree: {why}. Nothing signed: the online machine's account view is inconsistent (or forged); ask for a fresh request"
    )))
}

fn keys_text(p: &Permission) -> String {
    p.keys
        .iter()
        .map(|k| format!("{} w{}", k.address, k.weight))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why the claimed permission cannot sign `raw` (empty: it can): its id must be the
/// transaction's Permission_id and its operations must allow the contract type.
pub(super) fn claim_reasons(claim: &PermissionClaim, raw: &RawData) -> Vec<String> {
    let mut reasons = Vec::new();
    let name = escape(&claim.name);
    let built = i64::from(raw.contract.permission_id);
    if built != i64::from(claim.id) {
        reasons.push(format!(
            "built with Permission_id {built}, but the request's permission \"{name}\" is id {}",
            claim.id
        ));
    }
    let kind = &raw.contract.kind;
    if !claim.allows(kind.contract_type()) {
        reasons.push(format!(
            "the request's permission \"{name}\" (id {}) does not allow {} (its operations: {})",
            claim.id,
            kind.type_name(),
            claim.operations.names().join(", ")
        ));
    }
    reasons
}

/// The signers of the signatures TronWeb objects already carry, per txID (`None`: a
/// signature that recovers to no address).
pub(super) fn prior_signers(items: &[&InputItem]) -> HashMap<TxId, Vec<Option<Address>>> {
    items
        .par_iter()
        .filter_map(|i| match i {
            InputItem::TronWeb(t) if !t.signatures.is_empty() => Some(t),
            _ => None,
        })
        .map(|t| {
            let who = t.signatures.iter().map(|s| s.recover(&t.txid).ok());
            (t.txid, who.collect())
        })
        .collect()
}

/// Why a transaction's earlier signatures make signing it pointless (empty: none do).
pub(super) fn prior_reasons(prior: &[Option<Address>]) -> Vec<String> {
    if prior.iter().any(Option::is_none) {
        return vec![
            "it already carries a signature that recovers to no address; java-tron would refuse the transaction".into(),
        ];
    }
    Vec::new()
}
