//! What the duplicate check of `batch import` and `build` compares: a payout's recipient, token,
//! amount and memo as journaled, typed, with its import order and time.

use std::collections::HashMap;

use coldpay_shared::text::escape;
use coldpay_shared::{Address, U256};

use super::select_all;
use super::stored;
use super::{at, Journal};
use crate::error::BcError;
use crate::error::Result;

/// What makes two payouts the same.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TwinKey {
    /// Recipient.
    pub to: Address,
    /// `None` = TRX, else the token contract.
    pub token: Option<Address>,
    /// Amount in base units.
    pub amount: U256,
    /// Memo ("" = none).
    pub memo: String,
}

/// One payout as the duplicate check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwinRow {
    /// Import order (SQLite rowid).
    pub rowid: i64,
    /// Payout id.
    pub id: String,
    /// Its batch.
    pub batch: String,
    /// When it was imported (ms).
    pub created_at: i64,
    /// Recipient, token, amount and memo.
    pub key: TwinKey,
}

/// Recipient and token columns decoded so far in one read.
#[derive(Default)]
struct Seen {
    recipients: HashMap<String, Address>,
    tokens: HashMap<String, Option<Address>>,
}

/// A payout row's duplicate-check columns as SQLite holds them (text not decoded yet).
struct Stored {
    rowid: i64,
    id: String,
    batch: String,
    created_at: i64,
    to: String,
    token: String,
    amount: String,
    memo: Option<String>,
}

fn stored_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        rowid: r.get(0)?,
        id: r.get(1)?,
        batch: r.get(2)?,
        created_at: r.get(3)?,
        to: r.get(4)?,
        token: r.get(5)?,
        amount: r.get(6)?,
        memo: r.get(7)?,
    })
}

impl Stored {
    /// The row's name in an error ("payouts row p7"), built only when a column fails.
    fn row(&self) -> String {
        format!("payouts row {}", escape(&self.id))
    }

    /// Decodes every column once; the first that does not decode is the error. Recipients
    /// and tokens repeat across a journal: each distinct one is decoded once per read.
    fn decode(self, seen: &mut Seen) -> Result<TwinRow> {
        if self.created_at < 0 {
            return Err(stored::corrupt(&self.row(), "created_at", "negative"));
        }
        let to = match seen.recipients.get(&self.to) {
            Some(a) => *a,
            None => {
                let a = stored::address(&self.row(), "to_address", &self.to)?;
                seen.recipients.insert(self.to.clone(), a);
                a
            }
        };
        let token = match seen.tokens.get(&self.token) {
            Some(t) => *t,
            None => {
                let t = stored::token(&self.row(), "token", &self.token)?;
                seen.tokens.insert(self.token.clone(), t);
                t
            }
        };
        let amount = super::rows::parse_amount(&self.amount)
            .map_err(|e| stored::corrupt(&self.row(), "amount", &e.to_string()))?;
        Ok(TwinRow {
            key: TwinKey {
                to,
                token,
                amount,
                memo: self.memo.unwrap_or_default(),
            },
            rowid: self.rowid,
            id: self.id,
            batch: self.batch,
            created_at: self.created_at,
        })
    }
}

/// The payout rows of permission updates (`payouts.kind`).
const PERMISSION_KIND: &str = "permission-update";

const TWIN_COLS: &str = "rowid, id, batch_id, created_at, to_address, token, amount, memo";

impl Journal {
    /// Payouts not cancelled, imported at or after `since` (ms), in import order. Permission
    /// updates are not among them: their payout row's token is `PERMISSION`, which no import
    /// can name, so they never were anyone's twin.
    pub fn twins_since(&self, since: i64) -> Result<Vec<TwinRow>> {
        let what = || "look up earlier payouts".to_string();
        let rows = select_all(&self.conn, &format!(
                "SELECT {TWIN_COLS} FROM payouts WHERE cancelled_at IS NULL AND created_at >= ?1 AND kind <> '{PERMISSION_KIND}' ORDER BY rowid"
            ), |e| BcError::journal_at(e, what()), [since], stored_from)?;
        let mut seen = Seen::default();
        rows.into_iter().map(|r| r.decode(&mut seen)).collect()
    }

    /// One payout as the duplicate check sees it (an error if it is not in the journal, or is
    /// a permission update).
    pub fn twin_of(&self, id: &str) -> Result<TwinRow> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {TWIN_COLS} FROM payouts WHERE id = ?1 AND kind <> '{PERMISSION_KIND}'"
                ),
                [id],
                stored_from,
            )
            .map_err(at(format!("read payout {id}")))?
            .decode(&mut Seen::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures;
    use crate::journal::stored::temp_journal;

    fn a(n: u8) -> Address {
        Address::from_evm_bytes([n; 20])
    }

    /// Payout `id` of batch `b` to `a(2)`, imported at `created` ms.
    fn payout(j: &Journal, id: &str, token: &str, memo: Option<&str>, created: i64) {
        fixtures::execute(
            j,
            "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES (?1, 'b', NULL, ?2, ?3, '1500000', ?4, ?5)",
            rusqlite::params![id, a(2).to_base58(), token, memo, created],
        );
    }

    fn journal() -> (tempfile::TempDir, Journal) {
        let (d, j) = temp_journal();
        fixtures::execute(
            &j,
            "INSERT INTO batches VALUES ('b', ?1, 'local', 0)",
            [a(1).to_base58()],
        );
        (d, j)
    }

    #[test]
    fn twins_read_back_typed_in_import_order() {
        let (_d, j) = journal();
        let usdt = a(7);
        payout(&j, "p1", "TRX", None, 10);
        payout(&j, "p2", &usdt.to_base58(), Some("inv 7"), 20);
        let rows = j.twins_since(0).unwrap();
        assert_eq!(rows.len(), 2);
        let key = |token, memo: &str| TwinKey {
            to: a(2),
            token,
            amount: U256::from(1_500_000u64),
            memo: memo.into(),
        };
        assert_eq!(
            rows[0].key,
            key(None, ""),
            "no memo compares as an empty one"
        );
        assert_eq!(rows[1].key, key(Some(usdt), "inv 7"));
        assert_eq!(j.twins_since(15).unwrap(), vec![rows[1].clone()]);
        assert_eq!(j.twin_of("p1").unwrap(), rows[0]);
        // A permission update's row (token PERMISSION) is nobody's twin.
        fixtures::execute(
            &j,
            "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at, kind) VALUES ('perm', 'b', 3, ?1, 'PERMISSION', '0', NULL, 30, 'permission-update')",
            [a(1).to_base58()],
        );
        assert_eq!(j.twins_since(0).unwrap().len(), 2);
        assert!(j.twin_of("perm").is_err());
    }

    #[test]
    fn a_corrupt_row_is_a_journal_error_naming_table_row_and_column() {
        let (_d, j) = journal();
        payout(&j, "p1", "TRX", None, 10);
        for (column, bad) in [
            ("amount", "'1.5'"),
            ("token", "'USDT'"),
            ("to_address", "'Tto'"),
        ] {
            fixtures::execute(&j, &format!("UPDATE payouts SET {column} = {bad}"), []);
            for e in [j.twins_since(0).unwrap_err(), j.twin_of("p1").unwrap_err()] {
                assert_eq!(e.exit_code(), 1);
                assert!(
                    e.to_string()
                        .contains(&format!("payouts row p1, column {column}")),
                    "{e}"
                );
            }
        }
    }
}
