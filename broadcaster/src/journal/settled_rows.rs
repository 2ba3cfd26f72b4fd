//! Settled attempts as `reconcile` reads them: every confirmed or failed attempt of an
//! account's batches in a block range, with its payout's token and amount and what its
//! journaled receipt says (one indexed statement, `attempts_block`; no per-row re-read); and
//! the payouts beyond a statement's range, walked away from it in that index's order.

use coldpay_shared::{TxId, U256};
use rusqlite::params;
use serde::Deserialize;

use super::rows::Asset;
use super::stored::{self, sql_int};
use super::{select_all, Journal};
use crate::error::{BcError, Result};

/// How a settled attempt ended, as the journal holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettledState {
    /// Paid by a verified block.
    Confirmed,
    /// Included and failed by a verified block.
    Failed,
}

impl SettledState {
    /// The journal's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SettledState::Confirmed => "confirmed",
            SettledState::Failed => "failed",
        }
    }
}

/// What an attempt's journaled receipt says (a node's claim, for display).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReceiptClaim {
    /// TRX burned (sun).
    #[serde(default)]
    pub fee: u64,
    /// Energy used.
    #[serde(default)]
    pub energy_usage_total: u64,
    /// The receipt's result (empty when it has none).
    #[serde(default)]
    pub result: String,
}

/// One settled attempt and its payout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettledPayout {
    /// The payout.
    pub payout_id: String,
    /// The attempt's transaction.
    pub txid: TxId,
    /// How it ended.
    pub state: SettledState,
    /// Its verified block.
    pub block: u64,
    /// What the payout moves.
    pub token: Asset,
    /// Amount in base units.
    pub amount: U256,
    /// Its journaled receipt (`Default` when none was kept).
    pub receipt: ReceiptClaim,
}

/// A settled row as SQLite holds it.
type Stored = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
);

fn decode(
    (id, payout_id, txid, state, block, token, amount, receipt): Stored,
) -> Result<SettledPayout> {
    let row = format!("attempts row {id}");
    let state = match state.as_str() {
        "confirmed" => SettledState::Confirmed,
        "failed" => SettledState::Failed,
        _ => return Err(stored::corrupt(&row, "state", "not a settled state")),
    };
    let receipt = receipt
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|_| stored::corrupt(&row, "receipt", "not a receipt"))?
        .unwrap_or_default();
    Ok(SettledPayout {
        txid: stored::txid(&row, "txid", &txid)?,
        state,
        block: stored::unsigned(&row, "block", block)?,
        token: token.parse().map_err(|_| {
            stored::corrupt(
                &format!("payouts row {payout_id}"),
                "token",
                "not TRX, PERMISSION or a token contract",
            )
        })?,
        amount: stored::amount(&format!("payouts row {payout_id}"), "amount", &amount)?,
        payout_id,
        receipt,
    })
}

/// `reconcile`'s payouts of one account: found by block (index `attempts_block`; the `+` keeps
/// SQLite from walking every settled attempt of the journal by state), each joined to its
/// payout and batch by primary key.
pub(super) const SETTLED_IN_BLOCKS: &str =
    "SELECT a.id, a.payout_id, a.txid, a.state, a.block, p.token, p.amount, a.receipt
     FROM attempts a JOIN payouts p ON p.id = a.payout_id JOIN batches b ON b.id = p.batch_id
     WHERE +a.state IN ('confirmed','failed') AND a.block > ?1 AND a.block <= ?2 AND b.from_address = ?3
     ORDER BY a.id";

/// `reconcile`'s payouts (kind `payout`) of one account settled at or before a block, newest
/// first: read from `attempts_block` in its own order (block, then attempt id), so a walk that
/// stops early reads no further.
pub(super) const SETTLED_AT_OR_BEFORE: &str =
    "SELECT a.id, a.payout_id, a.txid, a.state, a.block, p.token, p.amount, a.receipt
     FROM attempts a JOIN payouts p ON p.id = a.payout_id JOIN batches b ON b.id = p.batch_id
     WHERE +a.state IN ('confirmed','failed') AND a.block <= ?2 AND b.from_address = ?1 AND p.kind = 'payout'
     ORDER BY a.block DESC, a.id DESC";

/// The same settled after a block, oldest first.
pub(super) const SETTLED_AFTER: &str =
    "SELECT a.id, a.payout_id, a.txid, a.state, a.block, p.token, p.amount, a.receipt
     FROM attempts a JOIN payouts p ON p.id = a.payout_id JOIN batches b ON b.id = p.batch_id
     WHERE +a.state IN ('confirmed','failed') AND a.block > ?2 AND b.from_address = ?1 AND p.kind = 'payout'
     ORDER BY a.block, a.id";

fn stored_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

impl Journal {
    /// Settled payouts (kind `payout`) of the batches sent from `account` (base58) beyond
    /// `edge`, nearest first: in blocks at or before it, newest first (`before`), or after it,
    /// oldest first; each given to `visit` until it answers `false` (`reconcile`'s payouts
    /// outside the blocks a statement covers: the rows read are the rows visited, plus one).
    pub fn visit_settled_payouts_beyond(
        &self,
        account: &str,
        edge: u64,
        before: bool,
        mut visit: impl FnMut(SettledPayout) -> Result<bool>,
    ) -> Result<()> {
        let what = |e| BcError::journal_at(e, format!("read the settled payouts of {account}"));
        let sql = if before {
            SETTLED_AT_OR_BEFORE
        } else {
            SETTLED_AFTER
        };
        let mut st = self.conn.prepare(sql).map_err(what)?;
        let mut rows = st.query(params![account, sql_int(edge)]).map_err(what)?;
        while let Some(r) = rows.next().map_err(what)? {
            let row = stored_from(r).map_err(what)?;
            if !visit(decode(row)?)? {
                break;
            }
        }
        Ok(())
    }

    /// Confirmed and failed attempts of the batches sent from `account` (base58), in verified
    /// blocks `(after, upto]`, oldest attempt first.
    pub fn settled_payouts_in_blocks(
        &self,
        account: &str,
        after: u64,
        upto: u64,
    ) -> Result<Vec<SettledPayout>> {
        let what = |e| BcError::journal_at(e, format!("read the settled payouts of {account}"));
        let rows = select_all(
            &self.conn,
            SETTLED_IN_BLOCKS,
            what,
            params![sql_int(after), sql_int(upto), account],
            stored_from,
        )?;
        rows.into_iter().map(decode).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::stored::temp_journal;

    fn settle(j: &Journal, n: u32, from: &str, block: u64, end: &str, receipt: Option<&str>) {
        let (id, amount, txid) = (format!("p{n}"), format!("{n}000000"), format!("{n:064}"));
        crate::journal::fixtures::pay(
            j,
            &crate::journal::fixtures::Paid {
                id: &id,
                from,
                amount: &amount,
                txid: &txid,
                state: end,
                block,
                receipt,
                ..Default::default()
            },
        );
    }

    #[test]
    fn settled_payouts_read_back_typed_in_the_range() {
        let (_d, j) = temp_journal();
        settle(
            &j,
            1,
            "TA",
            10,
            "confirmed",
            Some(r#"{"fee": 1100000, "energy_usage_total": 0}"#),
        );
        settle(&j, 2, "TA", 20, "failed", None);
        settle(&j, 3, "TA", 30, "confirmed", None);
        settle(&j, 4, "TB", 20, "confirmed", None);
        let got = j.settled_payouts_in_blocks("TA", 5, 20).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].payout_id, "p1");
        assert_eq!(got[0].state, SettledState::Confirmed);
        assert_eq!(got[0].receipt.fee, 1_100_000);
        assert_eq!(got[0].amount, U256::from(1_000_000u64));
        assert_eq!(got[0].token, Asset::Trx);
        assert_eq!(got[1].state, SettledState::Failed);
        assert_eq!(got[1].receipt, ReceiptClaim::default());
        assert_eq!(got[1].txid, TxId::from_hex(&format!("{:064}", 2)).unwrap());
    }

    #[test]
    fn a_corrupt_amount_is_a_journal_error_naming_the_payout() {
        let (_d, j) = temp_journal();
        settle(&j, 1, "TA", 10, "confirmed", None);
        j.conn
            .execute_batch("UPDATE payouts SET amount = 'x' WHERE id = 'p1'")
            .unwrap();
        let e = j.settled_payouts_in_blocks("TA", 0, 10).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string().contains("payouts row p1, column amount"),
            "{e}"
        );
    }
}
