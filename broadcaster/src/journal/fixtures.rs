//! Journal rows for the monitoring side's unit tests, written the way the payout path writes
//! them (batch, payout, attempt moved through its states) so the tests of `coverage`,
//! `audit_check`, `reconcile`'s reads and the energy history need no SQL of their own.

use super::Journal;

/// A payout and its attempt, as a test wants them journaled.
#[derive(Clone, Debug)]
pub(crate) struct Paid<'a> {
    /// Payout id.
    pub id: &'a str,
    /// The sending account (its batch is `b<from>`).
    pub from: &'a str,
    /// "TRX" or the token contract.
    pub token: &'a str,
    /// Amount in base units.
    pub amount: &'a str,
    /// The attempt's txID (hex).
    pub txid: &'a str,
    /// The attempt's last state: "built", "confirmed" or "failed".
    pub state: &'a str,
    /// Its verified block (settled states).
    pub block: u64,
    /// Its receipt JSON, if one was kept.
    pub receipt: Option<&'a str>,
    /// Its fee inputs JSON, if they were kept.
    pub fee_inputs: Option<&'a str>,
    /// When it was created and last changed (ms).
    pub times: (u64, u64),
}

impl Default for Paid<'_> {
    fn default() -> Self {
        Paid {
            id: "p",
            from: FROM,
            token: "TRX",
            amount: "5",
            txid: "",
            state: "built",
            block: 0,
            receipt: None,
            fee_inputs: None,
            times: (0, 0),
        }
    }
}

/// Journals `p`: its batch (once), the payout, and an attempt moved through the states to
/// `p.state` as the trigger allows.
pub(crate) fn pay(j: &Journal, p: &Paid<'_>) {
    let Paid {
        id,
        from,
        token,
        amount,
        txid,
        ..
    } = *p;
    let (created, updated) = p.times;
    j.conn
        .execute_batch(&format!(
            "INSERT OR IGNORE INTO batches VALUES ('b{from}', '{from}', 'local', 0);
             INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('{id}', 'b{from}', NULL, '{TO}', '{token}', '{amount}', NULL, 0);
             INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('{id}', '{txid}', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'built', {created}, {updated});"
        ))
        .unwrap();
    if p.state == "built" {
        return;
    }
    let receipt = p.receipt.map_or("NULL".to_string(), |r| format!("'{r}'"));
    let inputs = p
        .fee_inputs
        .map_or("NULL".to_string(), |r| format!("'{r}'"));
    j.conn
        .execute_batch(&format!(
            "UPDATE attempts SET state = 'signed' WHERE payout_id = '{id}';
             UPDATE attempts SET state = 'included', block = {} WHERE payout_id = '{id}';
             UPDATE attempts SET state = '{}', receipt = {receipt}, fee_inputs = {inputs} WHERE payout_id = '{id}';",
            p.block, p.state
        ))
        .unwrap();
}

/// Runs raw statements on a test journal (rows a test sets up that no command writes, such as
/// an attempt built under a given permission from given bytes).
pub(crate) fn execute(j: &Journal, sql: &str, params: impl rusqlite::Params) {
    j.conn
        .execute(sql, params)
        .expect("a fixture statement runs");
}

/// A sender address for test rows (a real one: the journal decodes what it stores).
pub(crate) const FROM: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";

/// A recipient address for test rows.
pub(crate) const TO: &str = "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf";

/// A test txID named by a short label: "aa" is `aa` 32 times, "t1" is `f1` 32 times (the
/// test rows' SQL spells the same hex).
pub(crate) fn txid(label: &str) -> coldpay_shared::TxId {
    let byte = format!("{:0>2}", label.replace('t', "f"));
    coldpay_shared::TxId::from_hex(&byte.repeat(32)).expect("a two-digit hex label")
}

/// The hex of a real transaction's `raw_data` (a TRX transfer from the reference vectors), for
/// attempt rows whose bytes a test does not look at.
pub(crate) const RAW_HEX: &str = "0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801";
