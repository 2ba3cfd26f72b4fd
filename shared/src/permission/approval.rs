//! How much of a permission's threshold a set of signatures over one txID reaches.

use crate::address::Address;
use crate::error::{Error, Result};
use crate::signature::Signature;
use crate::txid::TxId;

use super::Permission;

/// The approval a transaction's signatures give under one permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// Sum of the weights of the distinct approvers.
    pub weight: i64,
    /// The permission's threshold.
    pub threshold: i64,
    /// Each distinct approver with its weight, in signature order.
    pub approvers: Vec<(Address, i64)>,
    /// Approvers that signed more than once (counted once); java-tron refuses a transaction
    /// carrying such a repeat, so it must be dropped before broadcast.
    pub duplicates: Vec<Address>,
}

impl Approval {
    /// Whether the weight reaches the threshold.
    pub fn is_enough(&self) -> bool {
        self.weight >= self.threshold
    }

    /// Weight still missing (0 when enough).
    pub fn missing(&self) -> i64 {
        (self.threshold - self.weight).max(0)
    }

    /// "weight 1 of 2, approved by T…".
    pub fn summary(&self) -> String {
        let who: Vec<String> = self.approvers.iter().map(|(a, _)| a.to_string()).collect();
        if who.is_empty() {
            format!("weight 0 of {}, no approval yet", self.threshold)
        } else {
            format!(
                "weight {} of {}, approved by {}",
                self.weight,
                self.threshold,
                who.join(", ")
            )
        }
    }
}

/// Recovers each signature over `txid` and sums the weights of the distinct signers in
/// `permission` (java-tron's checkWeight). A signature that recovers to an address outside the
/// permission is an error naming it; a signer twice counts once and is listed in
/// [`Approval::duplicates`].
pub fn approval_weight(
    txid: &TxId,
    signatures: &[Signature],
    permission: &Permission,
) -> Result<Approval> {
    let mut approval = Approval {
        weight: 0,
        threshold: permission.threshold,
        approvers: Vec::with_capacity(signatures.len()),
        duplicates: Vec::new(),
    };
    for sig in signatures {
        let signer = sig.recover(txid)?;
        let Some(weight) = permission.key_weight(&signer) else {
            return Err(Error::Permission(format!(
                "{signer} is not a key of permission {}",
                crate::text::escape(&permission.name)
            )));
        };
        if approval.approvers.iter().any(|(a, _)| *a == signer) {
            if !approval.duplicates.contains(&signer) {
                approval.duplicates.push(signer);
            }
            continue;
        }
        approval.weight = approval.weight.saturating_add(weight);
        approval.approvers.push((signer, weight));
    }
    Ok(approval)
}
