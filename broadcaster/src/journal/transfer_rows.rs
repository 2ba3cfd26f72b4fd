//! The `transfers` table (written by `watch`, read by `transfers list` and `reconcile`) and
//! the shown form of a recorded transfer ([`Recorded`]: what `watch --json`, `transfers list`
//! and an alarm's stored detail hold). Rows come back typed ([`TransferRow`]: the verified
//! [`Movement`] and the block it is in), decoded once here.

use coldpay_shared::Address;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::select_all;
use super::stored::{self, sql_int};
use super::Journal;
use crate::chain::movements::{ContractRet, Direction, Evidence, Movement};
use crate::error::{BcError, Result};

/// The verified block a movement was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockAt {
    /// Block number.
    pub block: u64,
    /// Its blockID.
    pub block_id: [u8; 32],
    /// Its time (ms since the epoch).
    pub block_time: u64,
}

/// One recorded transfer, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRow {
    /// What moved (account, txID, log, direction, token, amount, counterparty, fee, result,
    /// evidence).
    pub movement: Movement,
    /// Where.
    pub at: BlockAt,
    /// The coldpay payout, when the txID is a coldpay attempt.
    pub payout_id: Option<String>,
    /// An outgoing transaction coldpay did not make.
    pub alarm: bool,
}

/// One recorded transfer as `transfers list`, `watch --json` and an alarm's detail show it
/// (its JSON keys are a file format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Watched account (base58).
    pub account: String,
    /// "in" or "out".
    pub direction: String,
    /// "TRX" or the token contract (base58).
    pub token: String,
    /// Symbol ("TRX", "USDT").
    pub symbol: String,
    /// Amount in token units ("12.5").
    pub amount: String,
    /// Amount in base units.
    pub amount_base_units: String,
    /// Sender (in) or recipient (out); for a contract call that moved nothing, the contract.
    pub counterparty: Option<String>,
    /// TRX burned by the account for this transaction (sun).
    pub fee_sun: u64,
    /// The same in TRX.
    pub fee_trx: String,
    /// Transaction.
    pub txid: String,
    /// -1 for the transaction itself, else the event log index.
    pub log_index: i64,
    /// Contract type name.
    pub contract: String,
    /// The block's contractRet.
    pub result: String,
    /// Block.
    pub block: u64,
    /// blockID (hex).
    pub block_id: String,
    /// Block time (ms since the epoch).
    pub block_time: u64,
    /// Block time, RFC 3339 UTC.
    pub time: String,
    /// The coldpay payout, when the txID is a coldpay attempt.
    pub payout_id: Option<String>,
    /// An outgoing transaction coldpay did not make.
    pub alarm: bool,
    /// `verified` (follows from the verified transaction itself) or `node-reported` (only a
    /// receipt log shows it: a node's claim, never counted as verified money). Alarms
    /// journaled before schema 8 carry none: they were all verified.
    #[serde(default = "verified")]
    pub evidence: String,
    /// For a node-reported movement: the endpoint whose receipt showed it.
    #[serde(default)]
    pub reported_by: Option<String>,
}

fn verified() -> String {
    Evidence::Verified.as_str().into()
}

/// Schema version 9: `transfers list --address` reads one account's transfers from a time on
/// through this index (the listing takes time linear in the rows it prints, however many other
/// accounts recorded transfers in that time).
pub const MIGRATION_9: &str = r"
CREATE INDEX transfers_account_time ON transfers(account, block_time);
";

/// The columns of a transfer row, in [`Stored`]'s order.
const COLS: &str = "id, account, direction, token, amount, counterparty, fee_sun, txid, log_index, contract, result, block, block_id, block_time, payout_id, alarm, evidence, reported_by";

/// A transfer row as SQLite holds it (text not decoded yet).
struct Stored {
    id: i64,
    account: String,
    direction: String,
    token: String,
    amount: String,
    counterparty: Option<String>,
    fee_sun: i64,
    txid: String,
    log_index: i64,
    contract: String,
    result: String,
    block: i64,
    block_id: String,
    block_time: i64,
    payout_id: Option<String>,
    alarm: bool,
    evidence: String,
    reported_by: Option<String>,
}

fn stored_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        id: r.get(0)?,
        account: r.get(1)?,
        direction: r.get(2)?,
        token: r.get(3)?,
        amount: r.get(4)?,
        counterparty: r.get(5)?,
        fee_sun: r.get(6)?,
        txid: r.get(7)?,
        log_index: r.get(8)?,
        contract: r.get(9)?,
        result: r.get(10)?,
        block: r.get(11)?,
        block_id: r.get(12)?,
        block_time: r.get(13)?,
        payout_id: r.get(14)?,
        alarm: r.get(15)?,
        evidence: r.get(16)?,
        reported_by: r.get(17)?,
    })
}

impl Stored {
    /// Decodes every column once; the first that does not decode is the error.
    fn decode(self) -> Result<TransferRow> {
        let row = format!("transfers row {}", self.id);
        let row = row.as_str();
        let direction = Direction::from_journal(&self.direction)
            .ok_or_else(|| stored::corrupt(row, "direction", "neither in nor out"))?;
        let evidence = Evidence::from_journal(&self.evidence).ok_or_else(|| {
            stored::corrupt(row, "evidence", "neither verified nor node-reported")
        })?;
        let token = stored::token(row, "token", &self.token)?;
        let movement = Movement {
            account: stored::address(row, "account", &self.account)?,
            txid: stored::txid(row, "txid", &self.txid)?,
            log_index: log_index(row, self.log_index)?,
            direction,
            token,
            amount: stored::amount(row, "amount", &self.amount)?,
            counterparty: stored::address_opt(row, "counterparty", self.counterparty.as_deref())?,
            fee_sun: stored::unsigned(row, "fee_sun", self.fee_sun)?,
            contract: self.contract,
            result: ContractRet::from_name(&self.result)
                .ok_or_else(|| stored::corrupt(row, "result", "not a contractRet name"))?,
            evidence,
            reported_by: self.reported_by,
        };
        Ok(TransferRow {
            movement,
            at: BlockAt {
                block: stored::unsigned(row, "block", self.block)?,
                block_id: stored::block_id(row, "block_id", &self.block_id)?,
                block_time: stored::unsigned(row, "block_time", self.block_time)?,
            },
            payout_id: self.payout_id,
            alarm: self.alarm,
        })
    }
}

/// A stored log index: -1 (the transaction itself) or an event log's index.
fn log_index(row: &str, v: i64) -> Result<i64> {
    if v < -1 {
        return Err(stored::corrupt(row, "log_index", "below -1"));
    }
    Ok(v)
}

/// Records `t` unless it is recorded already (inside the caller's SQL transaction); `true`
/// when it is new.
pub(super) fn insert(tx: &rusqlite::Connection, t: &TransferRow, now: i64) -> Result<bool> {
    let m = &t.movement;
    let n = tx
        .execute(
            "INSERT OR IGNORE INTO transfers (account, txid, log_index, direction, token, amount, counterparty, fee_sun, contract, result, block, block_id, block_time, payout_id, alarm, recorded_at, evidence, reported_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                m.account.to_base58(),
                m.txid.to_hex(),
                m.log_index,
                m.direction.as_str(),
                m.token.map_or_else(|| "TRX".to_string(), |t| t.to_base58()),
                m.amount.to_string(),
                m.counterparty.map(|c| c.to_base58()),
                sql_int(m.fee_sun),
                m.contract,
                m.result.as_str(),
                sql_int(t.at.block),
                hex::encode(t.at.block_id),
                sql_int(t.at.block_time),
                t.payout_id,
                t.alarm,
                now,
                m.evidence.as_str(),
                m.reported_by,
            ],
        )
        .map_err(|e| BcError::journal_at(e, format!("record transfer {} for {}", m.txid, m.account)))?;
    Ok(n == 1)
}

/// `transfers list` of every account.
pub(super) const SINCE: &str = "block_time >= ?1";
/// `transfers list --address`.
pub(super) const ACCOUNT_SINCE: &str = "account = ?2 AND block_time >= ?1";
/// `reconcile`'s transfers of one account.
pub(super) const IN_BLOCKS: &str = "account = ?1 AND block > ?2 AND block <= ?3";

/// The statement reading the transfers `clause` selects, in chain order.
pub(super) fn select(clause: &str) -> String {
    format!(
        "SELECT {COLS} FROM transfers WHERE {clause} ORDER BY block, txid, log_index, direction"
    )
}

impl Journal {
    /// Recorded transfers with block time ≥ `since_ms` (all accounts, or `account`), in chain
    /// order (`transfers list`; index `transfers_time`, or `transfers_account_time` for one
    /// account).
    pub fn transfers_since(
        &self,
        since_ms: u64,
        account: Option<&Address>,
    ) -> Result<Vec<TransferRow>> {
        match account {
            None => self.transfers_where(SINCE, params![sql_int(since_ms)]),
            Some(a) => {
                self.transfers_where(ACCOUNT_SINCE, params![sql_int(since_ms), a.to_base58()])
            }
        }
    }

    /// Recorded transfers of `account` (base58) in blocks `(after, upto]`, in chain order
    /// (`reconcile`; index `transfers_account_block`).
    pub fn transfers_in_blocks(
        &self,
        account: &str,
        after: u64,
        upto: u64,
    ) -> Result<Vec<TransferRow>> {
        self.transfers_where(IN_BLOCKS, params![account, sql_int(after), sql_int(upto)])
    }

    fn transfers_where(&self, clause: &str, p: impl rusqlite::Params) -> Result<Vec<TransferRow>> {
        let what = |e| BcError::journal_at(e, "read recorded transfers");
        let rows = select_all(&self.conn, &select(clause), what, p, stored_from)?;
        rows.into_iter().map(Stored::decode).collect()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::stored::temp_journal;
    use super::*;
    use crate::journal::fixtures;
    use coldpay_shared::{TxId, U256};

    /// A typed transfer row for tests.
    pub(crate) fn row(account: Address, n: u8, block: u64) -> TransferRow {
        TransferRow {
            movement: Movement {
                account,
                txid: TxId::from_bytes([n; 32]),
                log_index: -1,
                direction: Direction::Out,
                token: None,
                amount: U256::from(1_500_000u64),
                counterparty: Some(Address::from_evm_bytes([9; 20])),
                fee_sun: 1_100_000,
                contract: "TransferContract".into(),
                result: ContractRet::SUCCESS,
                evidence: Evidence::Verified,
                reported_by: None,
            },
            at: BlockAt {
                block,
                block_id: [n; 32],
                block_time: block * 3000,
            },
            payout_id: None,
            alarm: true,
        }
    }

    #[test]
    fn transfers_read_back_typed_in_chain_order() {
        let (_d, j) = temp_journal();
        let a = Address::from_evm_bytes([1; 20]);
        let b = Address::from_evm_bytes([2; 20]);
        let rows = [row(a, 3, 30), row(a, 1, 10), row(b, 2, 20)];
        for r in &rows {
            assert!(insert(&j.conn, r, 5).unwrap());
        }
        assert!(!insert(&j.conn, &rows[0], 6).unwrap(), "recorded once");
        let got = j.transfers_in_blocks(&a.to_base58(), 10, 30).unwrap();
        assert_eq!(got, vec![rows[0].clone()]);
        let all = j.transfers_since(0, None).unwrap();
        let blocks: Vec<u64> = all.iter().map(|r| r.at.block).collect();
        assert_eq!(blocks, [10, 20, 30]);
        assert_eq!(
            j.transfers_since(60_000, Some(&b)).unwrap(),
            vec![rows[2].clone()]
        );
    }

    #[test]
    fn a_corrupt_amount_is_a_journal_error_naming_the_row() {
        let (_d, j) = temp_journal();
        let a = Address::from_evm_bytes([1; 20]);
        insert(&j.conn, &row(a, 1, 10), 5).unwrap();
        j.conn
            .execute_batch("DROP TRIGGER transfers_are_final; UPDATE transfers SET amount = '1e6';")
            .unwrap();
        let e = j.transfers_since(0, None).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let text = e.to_string();
        assert!(text.contains("transfers row 1, column amount"), "{text}");
    }

    #[test]
    fn a_corrupt_result_or_direction_is_a_journal_error_naming_the_column() {
        let (_d, j) = temp_journal();
        let a = Address::from_evm_bytes([1; 20]);
        let mut r = row(a, 1, 10);
        r.movement.result = ContractRet::from_name("OUT_OF_ENERGY").unwrap();
        insert(&j.conn, &r, 5).unwrap();
        assert_eq!(j.transfers_since(0, None).unwrap(), vec![r]);
        fixtures::execute(&j, "DROP TRIGGER transfers_are_final", []);
        for (column, bad) in [
            ("block_id", "'00'"),
            ("result", "'OOPS'"),
            ("account", "'TA'"),
        ] {
            fixtures::execute(&j, &format!("UPDATE transfers SET {column} = {bad}"), []);
            let e = j.transfers_since(0, None).unwrap_err();
            assert_eq!(e.exit_code(), 1);
            assert!(
                e.to_string()
                    .contains(&format!("transfers row 1, column {column}")),
                "{e}"
            );
        }
    }
}
