//! The `balance_snapshots` table: what a node said an account held (TRX and each registered
//! token) at a verified solidified block, written by `watch` and `reconcile`, read by
//! `reconcile` (opening and closing balances) and `watch` (when the next one is due).

use coldpay_shared::text::escape;
use coldpay_shared::{Address, U256};
use rusqlite::params;

use super::select_all;
use super::stored::{self, sql_int};
use super::{now_ms, Journal};
use crate::error::{BcError, Result};

/// One journaled snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Account.
    pub account: Address,
    /// `None` = TRX, else the token contract.
    pub token: Option<Address>,
    /// Verified solidified block the balance is at.
    pub block: u64,
    /// Its time (ms).
    pub block_time: u64,
    /// Balance in base units.
    pub amount: U256,
}

/// A `balance_snapshots` row as SQLite holds it (text not decoded yet).
struct Stored {
    account: String,
    token: String,
    block: i64,
    block_time: i64,
    amount: String,
}

fn stored_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        account: r.get(0)?,
        token: r.get(1)?,
        block: r.get(2)?,
        block_time: r.get(3)?,
        amount: r.get(4)?,
    })
}

impl Stored {
    /// Decodes every column once; the first that does not decode is the error. The table's
    /// key (account, token, block) names the row.
    fn decode(self) -> Result<Snapshot> {
        let row = format!(
            "balance_snapshots row {} {} block {}",
            escape(&self.account),
            escape(&self.token),
            self.block
        );
        let row = row.as_str();
        Ok(Snapshot {
            account: stored::address(row, "account", &self.account)?,
            token: stored::token(row, "token", &self.token)?,
            block: stored::unsigned(row, "block", self.block)?,
            block_time: stored::unsigned(row, "block_time", self.block_time)?,
            amount: stored::amount(row, "amount", &self.amount)?,
        })
    }
}

/// The verified solidified block a set of balances was read at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotAt {
    /// Block number.
    pub block: u64,
    /// Its blockID.
    pub block_id: [u8; 32],
    /// Its time (ms).
    pub block_time: u64,
}

/// One balance read: the account, "TRX" or the token contract, the amount in base units.
pub type BalanceRead = (Address, Option<Address>, U256);

impl Journal {
    /// Journals `reads`, all taken at `at`, in one SQL transaction (a snapshot of the same
    /// account, token and block is replaced).
    pub fn record_balance_snapshots(&self, at: &SnapshotAt, reads: &[BalanceRead]) -> Result<()> {
        let what = |e| BcError::journal_at(e, "record balance snapshots");
        let tx = self.writer()?.unchecked_transaction().map_err(what)?;
        let now = now_ms();
        for (a, token, amount) in reads {
            let token = token.map_or_else(|| "TRX".to_string(), |t| t.to_base58());
            tx.execute(
                "INSERT OR REPLACE INTO balance_snapshots (account, token, block, block_id, block_time, amount, read_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![a.to_base58(), token, sql_int(at.block), hex::encode(at.block_id), sql_int(at.block_time), amount.to_string(), now],
            )
            .map_err(|e| BcError::journal_at(e, format!("record the balance of {a}")))?;
        }
        tx.commit().map_err(what)
    }

    /// Journaled snapshots of `account` and `token` ("TRX" or the contract, both as the
    /// journal spells them: base58), oldest first.
    pub fn balance_snapshots(&self, account: &str, token: &str) -> Result<Vec<Snapshot>> {
        let what = |e| BcError::journal_at(e, format!("read the balance snapshots of {account}"));
        let sql = "SELECT account, token, block, block_time, amount FROM balance_snapshots WHERE account = ?1 AND token = ?2 ORDER BY block";
        let rows = select_all(&self.conn, sql, what, params![account, token], stored_from)?;
        rows.into_iter().map(Stored::decode).collect()
    }

    /// Block time (ms) of the latest snapshot of `account`, if any.
    pub fn latest_snapshot_time(&self, account: &str) -> Result<Option<u64>> {
        let t = self
            .conn
            .query_row(
                "SELECT MAX(block_time) FROM balance_snapshots WHERE account = ?1",
                [account],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map_err(|e| {
                BcError::journal_at(e, format!("read the balance snapshots of {account}"))
            })?;
        let row = format!("balance_snapshots of {account}");
        t.map(|t| stored::unsigned(&row, "block_time", t))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures;
    use crate::journal::stored::temp_journal;

    #[test]
    fn snapshots_read_back_typed_oldest_first() {
        let (_d, j) = temp_journal();
        let a = Address::from_evm_bytes([1; 20]);
        let usdt = Address::from_evm_bytes([7; 20]);
        let at = |block: u64| SnapshotAt {
            block,
            block_id: [block as u8; 32],
            block_time: block * 3000,
        };
        j.record_balance_snapshots(&at(20), &[(a, None, U256::from(5u64))])
            .unwrap();
        j.record_balance_snapshots(
            &at(10),
            &[(a, None, U256::from(9u64)), (a, Some(usdt), U256::MAX)],
        )
        .unwrap();
        let trx = j.balance_snapshots(&a.to_base58(), "TRX").unwrap();
        let got: Vec<(u64, u64, U256)> = trx
            .iter()
            .map(|s| (s.block, s.block_time, s.amount))
            .collect();
        assert_eq!(
            got,
            [
                (10, 30_000, U256::from(9u64)),
                (20, 60_000, U256::from(5u64))
            ]
        );
        assert!(trx.iter().all(|s| s.account == a && s.token.is_none()));
        let t = j
            .balance_snapshots(&a.to_base58(), &usdt.to_base58())
            .unwrap();
        assert_eq!(t[0].amount, U256::MAX, "amounts are exact integers");
        assert_eq!(t[0].token, Some(usdt));
        assert_eq!(
            j.latest_snapshot_time(&a.to_base58()).unwrap(),
            Some(60_000)
        );
        assert_eq!(j.latest_snapshot_time("Tnobody").unwrap(), None);
    }

    #[test]
    fn a_corrupt_amount_is_a_journal_error_naming_the_row() {
        let (_d, j) = temp_journal();
        let a = Address::from_evm_bytes([1; 20]);
        let at = SnapshotAt {
            block: 4,
            block_id: [4; 32],
            block_time: 12_000,
        };
        j.record_balance_snapshots(&at, &[(a, None, U256::from(1u64))])
            .unwrap();
        fixtures::execute(&j, "UPDATE balance_snapshots SET amount = 'lots'", []);
        let e = j.balance_snapshots(&a.to_base58(), "TRX").unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let row = format!("balance_snapshots row {a} TRX block 4");
        assert!(
            e.to_string().contains(&format!("{row}, column amount")),
            "{e}"
        );
        // A token column that is neither TRX nor an address.
        j.record_balance_snapshots(&at, &[(a, None, U256::from(1u64))])
            .unwrap();
        fixtures::execute(&j, "UPDATE balance_snapshots SET token = 'USDT'", []);
        let e = j.balance_snapshots(&a.to_base58(), "USDT").unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("block 4, column token"), "{e}");
    }
}
