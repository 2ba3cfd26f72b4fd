//! `policy check --json`: the verdicts as one JSON document on stdout (the review stays on
//! stderr), for scripts that check a request before carrying it to the signing ceremony.

use serde::Serialize;

use crate::review::ReviewItem;

/// The whole check.
#[derive(Serialize)]
pub struct CheckReport<'a> {
    /// The home's network.
    pub network: &'a str,
    /// The request id (joined ids, or `tronweb-…`).
    pub request_id: &'a str,
    /// `allowed` when every transaction passes, else `refused`.
    pub verdict: &'static str,
    /// Every transaction in input order.
    pub transactions: Vec<TxVerdict<'a>>,
    /// The payouts the broadcaster marked as duplicates, in input order.
    pub duplicates: Vec<Duplicate<'a>>,
}

/// One transaction's verdict.
#[derive(Serialize)]
pub struct TxVerdict<'a> {
    /// Payout id (sign requests only).
    pub payout_id: Option<&'a str>,
    /// txID, hex.
    pub txid: String,
    /// `allowed` or `refused`.
    pub verdict: &'static str,
    /// Why it is refused (empty when allowed).
    pub reasons: &'a [String],
    /// The payout it repeats, as the broadcaster marked it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<&'a str>,
}

/// A payout marked as repeating another.
#[derive(Serialize)]
pub struct Duplicate<'a> {
    /// The payout.
    pub payout_id: Option<&'a str>,
    /// The payout it repeats.
    pub duplicate_of: &'a str,
}

fn verdict(refused: bool) -> &'static str {
    if refused {
        "refused"
    } else {
        "allowed"
    }
}

impl<'a> CheckReport<'a> {
    /// The report of `items` (checked: their reasons are set).
    pub fn of(network: &'a str, request_id: &'a str, items: &'a [ReviewItem<'a>]) -> Self {
        let transactions: Vec<TxVerdict<'a>> = items
            .iter()
            .map(|t| TxVerdict {
                payout_id: t.payout_id,
                txid: t.txid.to_hex(),
                verdict: verdict(!t.reasons.is_empty()),
                reasons: &t.reasons,
                duplicate_of: t.duplicate_of,
            })
            .collect();
        let duplicates = items
            .iter()
            .filter_map(|t| {
                Some(Duplicate {
                    payout_id: t.payout_id,
                    duplicate_of: t.duplicate_of?,
                })
            })
            .collect();
        CheckReport {
            network,
            request_id,
            verdict: verdict(transactions.iter().any(|t| t.verdict == "refused")),
            transactions,
            duplicates,
        }
    }
}
