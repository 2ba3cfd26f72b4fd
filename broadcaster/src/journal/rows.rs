//! The payout side's rows, typed: a batch, a payout and an attempt as the journal holds them,
//! each stored value decoded once here (addresses, txIDs, amounts, the transaction bytes, the
//! signatures, the receipt and the expiry evidence). A stored value that does not decode is a
//! journal error (exit 1) naming the column's row, never "bad input" and never a silent default.

use std::fmt;
use std::str::FromStr;

use coldpay_shared::{Address, RawData, Signature, TxId, U256};
use serde::{Deserialize, Serialize};

use super::approval_rows::decoded;
use super::{AttemptState, Network};
use crate::error::Undecodable;

/// Column `i`'s stored `text` decoded by `f`; `what` names it for the error.
pub(super) fn typed<T, E: fmt::Display>(
    i: usize,
    what: impl FnOnce() -> String,
    text: &str,
    f: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T> {
    f(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            Box::new(Undecodable {
                what: what(),
                detail: e.to_string(),
            }),
        )
    })
}

/// What a payout row is: a payment, or an operation journaled as a payout row so that it
/// moves through the same attempt states (`payouts.kind`, CHECKed by the schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayoutKind {
    /// A payment (imported from a payout file).
    Payout,
    /// A permission update (`accounts set-permission`).
    PermissionUpdate,
    /// A staking operation (`stake …`).
    Staking,
}

impl PayoutKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutKind::Payout => "payout",
            PayoutKind::PermissionUpdate => "permission-update",
            PayoutKind::Staking => "staking",
        }
    }

    /// Whether the row pays an amount (a payment, not an operation).
    pub fn pays(self) -> bool {
        self == PayoutKind::Payout
    }
}

impl fmt::Display for PayoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored payout kind this build does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown payout kind {0:?}")]
pub struct UnknownKind(String);

impl FromStr for PayoutKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        match s {
            "payout" => Ok(PayoutKind::Payout),
            "permission-update" => Ok(PayoutKind::PermissionUpdate),
            "staking" => Ok(PayoutKind::Staking),
            _ => Err(UnknownKind(s.into())),
        }
    }
}

/// What a payout row moves (`payouts.token`): TRX, a TRC-20 token, or nothing (the
/// `PERMISSION` marker of a permission update).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Asset {
    /// TRX (stored `TRX`).
    Trx,
    /// A TRC-20 token (stored as its contract, base58).
    Token(Address),
    /// A permission update moves nothing (stored `PERMISSION`).
    Permission,
}

impl Asset {
    /// The stored text.
    pub fn stored(&self) -> String {
        match self {
            Asset::Trx => "TRX".into(),
            Asset::Token(a) => a.to_base58(),
            Asset::Permission => "PERMISSION".into(),
        }
    }

    /// Symbol and decimals on `network` (an unknown contract shows as its address with 0
    /// decimals; the permission marker as `PERMISSION`).
    pub fn unit(&self, network: Network) -> (String, u8) {
        match self {
            Asset::Permission => ("PERMISSION".into(), 0),
            _ => crate::tokens::unit_of_contract(self.contract(), network),
        }
    }

    /// The token contract, for a TRC-20 payout.
    pub fn contract(&self) -> Option<Address> {
        match self {
            Asset::Token(a) => Some(*a),
            Asset::Trx | Asset::Permission => None,
        }
    }
}

/// A stored token that is neither `TRX`, `PERMISSION` nor a contract address.
#[derive(Debug, thiserror::Error)]
#[error("not TRX, PERMISSION or a token contract: {0:?}")]
pub struct UnknownAsset(String);

impl FromStr for Asset {
    type Err = UnknownAsset;

    fn from_str(s: &str) -> Result<Self, UnknownAsset> {
        match s {
            "TRX" => Ok(Asset::Trx),
            "PERMISSION" => Ok(Asset::Permission),
            _ => Address::parse(s)
                .map(Asset::Token)
                .map_err(|_| UnknownAsset(s.into())),
        }
    }
}

/// A stored amount that is not a decimal integer of base units.
#[derive(Debug, thiserror::Error)]
#[error("not an amount in base units")]
pub struct BadAmount;

/// A stored amount in base units (decimal digits only).
pub fn parse_amount(s: &str) -> Result<U256, BadAmount> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| U256::from_str_radix(s, 10).ok())
        .flatten()
        .ok_or(BadAmount)
}

/// What the journal keeps of a settled attempt's receipt. `result` is the verified block's
/// contractRet; the figures are a node's claim (no block hash covers a receipt), shown, never
/// used to decide an outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    /// TRX burned (sun).
    #[serde(default)]
    pub fee: Option<u64>,
    /// Energy used.
    #[serde(default)]
    pub energy_usage_total: Option<u64>,
    /// Energy penalty.
    #[serde(default)]
    pub energy_penalty_total: Option<u64>,
    /// Sun burned for energy.
    #[serde(default)]
    pub energy_fee: Option<u64>,
    /// Bandwidth used.
    #[serde(default)]
    pub net_usage: Option<u64>,
    /// Sun burned for bandwidth.
    #[serde(default)]
    pub net_fee: Option<u64>,
    /// The verified block's contractRet.
    #[serde(default)]
    pub result: Option<String>,
    /// What the node's receipt said beside it.
    #[serde(default)]
    pub node_reported: Option<NodeReported>,
}

/// The node's own words in a stored receipt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReported {
    /// Whether the node had the transaction's info.
    #[serde(default)]
    pub present: bool,
    /// Its `receipt.result`.
    #[serde(default)]
    pub receipt_result: Option<String>,
    /// Its `resMessage`, decoded.
    #[serde(default)]
    pub res_message: Option<String>,
}

/// Why an attempt is expired: the verified blocks that do not hold it, up to one at or past
/// its expiration (`attempts.evidence`, shown by `report`). Fields a journal from before one
/// of them was kept lack are left out when shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryEvidence {
    /// The scan was of verified blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// First block scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_block: Option<u64>,
    /// Last block scanned (at or past the expiration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_block: Option<u64>,
    /// Its blockID (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_block_id: Option<String>,
    /// Its timestamp (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_block_time: Option<u64>,
    /// The attempt's expiration (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<u64>,
    /// The sentence shown.
    #[serde(default)]
    pub text: String,
}

/// One attempt row.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// Row id.
    pub id: i64,
    /// Payout.
    pub payout_id: String,
    /// Its transaction id.
    pub txid: TxId,
    /// The transaction it signs (`raw_hex`, decoded).
    pub raw: RawData,
    /// Expiration (ms).
    pub expiration: u64,
    /// Ref block height.
    pub ref_block_num: u64,
    /// State (decoded: a stored state this build does not know is a journal error).
    pub state: AttemptState,
    /// The signatures collected (`None` until it is signed).
    pub signatures: Option<Vec<Signature>>,
    /// Block.
    pub block: Option<u64>,
    /// The receipt kept when it settled.
    pub receipt: Option<StoredReceipt>,
    /// Reason.
    pub reason: Option<String>,
    /// A verified, gap-free scan covers blocks (ref_block_num, scanned_to].
    pub scanned_to: Option<u64>,
    /// blockID of block `scanned_to`.
    pub scanned_id: Option<[u8; 32]>,
    /// Timestamp (ms) of block `scanned_to`.
    pub scanned_ts: Option<u64>,
    /// blockID of the verified TAPOS reference block.
    pub ref_block_id: Option<[u8; 32]>,
    /// Last broadcast refusal, "CODE: message".
    pub refusal: Option<String>,
    /// Why it expired.
    pub evidence: Option<ExpiryEvidence>,
    /// Permission_id the attempt was built with (`None`: the sender's own key, the
    /// single-signer flow).
    pub permission_id: Option<i32>,
    /// When a broadcast of the signed bytes was last started (ms; write-ahead, set before the
    /// bytes leave): a `signed` attempt with it may already be on a node.
    pub sending_at: Option<i64>,
    /// Why this settled attempt must be checked again against its verified block.
    pub recheck: Option<String>,
    /// The fee inputs shown to the signer, decoded (stored as JSON; one that does not decode
    /// is a journal error).
    pub fee_inputs: Option<coldpay_shared::handoff::FeeInputs>,
}

/// One payout row.
#[derive(Clone, Debug)]
pub struct Payout {
    /// Id.
    pub id: String,
    /// Batch.
    pub batch_id: String,
    /// Recipient (for an operation: the account it acts on or for).
    pub to: Address,
    /// What it moves.
    pub token: Asset,
    /// Base units (0 for an operation that moves nothing).
    pub amount: U256,
    /// Memo.
    pub memo: Option<String>,
    /// When it was cancelled (ms), if it was.
    pub cancelled_at: Option<i64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// What it is.
    pub kind: PayoutKind,
}

/// One batch row.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Id.
    pub id: String,
    /// Sender.
    pub from: Address,
    /// Network (decoded: a name this build does not know is a journal error).
    pub network: Network,
    /// Created (ms).
    pub created_at: i64,
}

/// The columns [`attempt_at`] reads, in order.
pub(super) const ATTEMPT_COLS: &str = "id, payout_id, txid, raw_hex, expiration, ref_block_num, state, signatures, block, receipt, reason, scanned_to, scanned_id, scanned_ts, ref_block_id, refusal, evidence, permission_id, sending_at, recheck, fee_inputs";

/// The columns [`payout_from_row`] reads, in order.
pub(super) const PAYOUT_COLS: &str =
    "id, batch_id, to_address, token, amount, memo, cancelled_at, cancel_reason, kind";

/// The columns [`batch_from_row`] reads, in order.
pub(super) const BATCH_COLS: &str = "id, from_address, network, created_at";

/// An attempt row.
pub(super) fn attempt_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attempt> {
    attempt_at(r, 0)
}

/// The attempt whose [`ATTEMPT_COLS`] start at column `base` of the row.
pub(super) fn attempt_at(r: &rusqlite::Row<'_>, base: usize) -> rusqlite::Result<Attempt> {
    let g = |i: usize| base + i;
    let u = |i: usize| r.get::<_, Option<u64>>(g(i));
    let text = |i: usize| r.get::<_, String>(g(i));
    let id: i64 = r.get(g(0))?;
    let of = |column: &'static str| move || format!("{column} of attempt {id}");
    Ok(Attempt {
        id,
        payout_id: r.get(g(1))?,
        txid: typed(g(2), of("txid"), &text(2)?, TxId::from_hex)?,
        raw: typed(g(3), of("raw transaction"), &text(3)?, RawData::decode_hex)?,
        expiration: u(4)?.unwrap_or_default(),
        ref_block_num: u(5)?.unwrap_or_default(),
        state: r.get(g(6))?,
        signatures: signatures_column(r, g(7), of("signatures"))?,
        block: u(8)?,
        receipt: typed_json(r, g(9), of("receipt"))?,
        reason: r.get(g(10))?,
        scanned_to: u(11)?,
        scanned_id: block_id_column(r, g(12), of("scanned blockID"))?,
        scanned_ts: u(13)?,
        ref_block_id: block_id_column(r, g(14), of("reference blockID"))?,
        refusal: r.get(g(15))?,
        evidence: typed_json(r, g(16), of("expiry evidence"))?,
        permission_id: r.get(g(17))?,
        sending_at: r.get(g(18))?,
        recheck: r.get(g(19))?,
        fee_inputs: typed_json(r, g(20), of("fee inputs"))?,
    })
}

/// A JSON column decoded into its type; stored text that does not decode is a conversion
/// error (shown as a journal error), never a silent `None`.
pub(super) fn json_column<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>> {
    let Some(text) = r.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    decoded(i, &text, |t| serde_json::from_str(t)).map(Some)
}

/// A JSON column decoded into its type, named by `what` when it does not decode.
fn typed_json<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row<'_>,
    i: usize,
    what: impl Fn() -> String,
) -> rusqlite::Result<Option<T>> {
    let Some(text) = r.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    // serde's own words are not for operators: the row and column say what is damaged.
    typed(i, what, &text, |t| {
        serde_json::from_str(t).map_err(|_| "not the JSON document this broadcaster writes")
    })
    .map(Some)
}

/// A blockID column (64 hex digits).
fn block_id_column(
    r: &rusqlite::Row<'_>,
    i: usize,
    what: impl Fn() -> String,
) -> rusqlite::Result<Option<[u8; 32]>> {
    let Some(text) = r.get::<_, Option<String>>(i)? else {
        return Ok(None);
    };
    typed(i, what, &text, |t| {
        let mut id = [0u8; 32];
        hex::decode_to_slice(t, &mut id).map(|()| id)
    })
    .map(Some)
}

/// The signatures column: a JSON array of 65-byte signatures in hex.
fn signatures_column(
    r: &rusqlite::Row<'_>,
    i: usize,
    what: impl Fn() -> String,
) -> rusqlite::Result<Option<Vec<Signature>>> {
    let Some(hex) = typed_json::<Vec<String>>(r, i, &what)? else {
        return Ok(None);
    };
    hex.iter()
        .map(|h| typed(i, &what, h, Signature::from_hex))
        .collect::<rusqlite::Result<Vec<_>>>()
        .map(Some)
}

/// The signatures as the journal stores them (a JSON array of hex).
pub(super) fn signatures_json(sigs: &[Signature]) -> String {
    let hex: Vec<String> = sigs.iter().map(Signature::to_hex).collect();
    serde_json::to_string(&hex).expect("a list of strings is JSON")
}

/// A payout row.
pub(super) fn payout_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Payout> {
    payout_at(r, 0)
}

/// The payout whose [`PAYOUT_COLS`] start at column `base` of the row.
pub(super) fn payout_at(r: &rusqlite::Row<'_>, base: usize) -> rusqlite::Result<Payout> {
    let g = |i: usize| base + i;
    let text = |i: usize| r.get::<_, String>(g(i));
    let id: String = r.get(g(0))?;
    let row = id.as_str();
    let of = |column: &'static str| move || format!("{column} of payout {row}");
    Ok(Payout {
        batch_id: r.get(g(1))?,
        to: typed(g(2), of("recipient"), &text(2)?, Address::parse)?,
        token: typed(g(3), of("token"), &text(3)?, str::parse::<Asset>)?,
        amount: typed(g(4), of("amount"), &text(4)?, parse_amount)?,
        memo: r.get(g(5))?,
        cancelled_at: r.get(g(6))?,
        cancel_reason: r.get(g(7))?,
        kind: typed(g(8), of("kind"), &text(8)?, str::parse::<PayoutKind>)?,
        id,
    })
}

/// A batch row.
pub(super) fn batch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Batch> {
    let id: String = r.get(0)?;
    let row = id.as_str();
    let of = |column: &'static str| move || format!("{column} of batch {row}");
    Ok(Batch {
        from: typed(1, of("sender"), &r.get::<_, String>(1)?, Address::parse)?,
        network: typed(
            2,
            of("network"),
            &r.get::<_, String>(2)?,
            str::parse::<Network>,
        )?,
        created_at: r.get(3)?,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_assets_round_trip_their_stored_text() {
        for k in [
            PayoutKind::Payout,
            PayoutKind::PermissionUpdate,
            PayoutKind::Staking,
        ] {
            assert_eq!(k.as_str().parse::<PayoutKind>().unwrap(), k);
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert!("other".parse::<PayoutKind>().is_err());
        let usdt = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
        for s in ["TRX", "PERMISSION", usdt] {
            assert_eq!(s.parse::<Asset>().unwrap().stored(), s);
        }
        assert!("USDT".parse::<Asset>().is_err());
        assert!("trx".parse::<Asset>().is_err());
    }

    #[test]
    fn amounts_are_decimal_integers_only() {
        assert_eq!(parse_amount("15").unwrap(), U256::from(15u64));
        for bad in ["", "-5", "1.5", "1e6", " 1", "0x10"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn evidence_of_an_older_journal_shows_only_what_it_has() {
        let e: ExpiryEvidence = serde_json::from_str(r#"{"text":"gone"}"#).unwrap();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"text": "gone"})
        );
    }
}
