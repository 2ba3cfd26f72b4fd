//! What the duplicate check of `batch import` and `build` compares: a payout's recipient, token,
//! amount and memo as journaled, with its import order and time.

use super::{at, Journal};
use crate::error::Result;

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
    /// (recipient, token, amount in base units, memo or "") as journaled.
    pub key: (String, String, String, String),
}

fn twin_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TwinRow> {
    Ok(TwinRow {
        rowid: r.get(0)?,
        id: r.get(1)?,
        batch: r.get(2)?,
        created_at: r.get(3)?,
        key: (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
    })
}

const TWIN_COLS: &str =
    "rowid, id, batch_id, created_at, to_address, token, amount, IFNULL(memo, '')";

impl Journal {
    /// Payouts not cancelled, imported at or after `since` (ms), in import order.
    pub fn twins_since(&self, since: i64) -> Result<Vec<TwinRow>> {
        let what = || "look up earlier payouts".to_string();
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {TWIN_COLS} FROM payouts WHERE cancelled_at IS NULL AND created_at >= ?1 ORDER BY rowid"
            ))
            .map_err(at(what()))?;
        st.query_map([since], twin_from_row)
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(at(what()))
    }

    /// One payout as the duplicate check sees it (an error if it is not in the journal).
    pub fn twin_of(&self, id: &str) -> Result<TwinRow> {
        self.conn
            .query_row(
                &format!("SELECT {TWIN_COLS} FROM payouts WHERE id = ?1"),
                [id],
                twin_from_row,
            )
            .map_err(at(format!("read payout {id}")))
    }
}
