//! A discrepancy `reconcile` and the audit check name: what does not add up, in one sentence.

use serde::Serialize;

/// A named discrepancy.
#[derive(Clone, Debug, Serialize)]
pub struct Discrepancy {
    /// Kind: `balance`, `unknown_outgoing`, `payout_not_recorded`, `fee_mismatch`,
    /// `no_snapshot`, `signed_unknown`, `audit_head_mismatch`.
    pub kind: String,
    /// Account (base58).
    pub account: String,
    /// txID, when one transaction is concerned.
    pub txid: Option<String>,
    /// One sentence.
    pub detail: String,
}
