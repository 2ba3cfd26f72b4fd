//! `watch`'s durable state: one cursor per watched account (`watch_cursors`: every block up to
//! it is recorded), and the write of one group of verified blocks — its new transfers, the
//! alarms they raise and the cursors' move past the group — as one SQL transaction, so a
//! stopped process loses nothing and records nothing twice.

use coldpay_shared::Address;
use rusqlite::{params, OptionalExtension};

use super::stored::{self, sql_int};
use super::transfer_rows::{self, Recorded, TransferRow};
use super::{now_ms, Journal};
use crate::error::{BcError, Result};

/// Where one account's verified walk stands: every block up to `block` is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The account.
    pub account: Address,
    /// Last block recorded.
    pub block: u64,
    /// Its blockID.
    pub id: [u8; 32],
    /// Its time (ms).
    pub time: u64,
}

/// A transfer found in a verified block: its row, and how it is shown (the alarm's record
/// when `row.alarm`).
#[derive(Clone, Debug)]
pub struct NewTransfer {
    /// The row to record.
    pub row: TransferRow,
    /// Its shown form.
    pub shown: Recorded,
}

fn save(conn: &rusqlite::Connection, c: &Cursor, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO watch_cursors (account, block, block_id, block_time, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(account) DO UPDATE SET block = excluded.block, block_id = excluded.block_id, block_time = excluded.block_time, updated_at = excluded.updated_at",
        params![c.account.to_base58(), sql_int(c.block), hex::encode(c.id), sql_int(c.time), now],
    )
    .map_err(|e| BcError::journal_at(e, format!("move the watch cursor of {}", c.account)))?;
    Ok(())
}

impl Journal {
    /// The journaled cursor of `a`.
    pub fn watch_cursor(&self, a: &Address) -> Result<Option<Cursor>> {
        let row: Option<(i64, String, i64)> = self
            .conn
            .query_row(
                "SELECT block, block_id, block_time FROM watch_cursors WHERE account = ?1",
                [a.to_base58()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| BcError::journal_at(e, format!("read the watch cursor of {a}")))?;
        let Some((block, id, time)) = row else {
            return Ok(None);
        };
        let row = format!("watch_cursors row {a}");
        Ok(Some(Cursor {
            account: *a,
            block: stored::unsigned(&row, "block", block)?,
            id: stored::block_id(&row, "block_id", &id)?,
            time: stored::unsigned(&row, "block_time", time)?,
        }))
    }

    /// Records where an account's walk starts (one SQL statement).
    pub fn start_watch_cursor(&self, c: &Cursor) -> Result<()> {
        save(&self.conn, c, now_ms())
    }

    /// Records a group of verified blocks in one SQL transaction: each transfer unless it is
    /// recorded already (raising its alarm when it is new and `row.alarm`), then the `cursors`
    /// moved past the group. Returns, per transfer, whether it was new.
    pub fn record_watch_group(
        &self,
        transfers: &[NewTransfer],
        cursors: &[Cursor],
    ) -> Result<Vec<bool>> {
        let what = |e| BcError::journal_at(e, "record transfers");
        let tx = self.writer()?.unchecked_transaction().map_err(what)?;
        let now = now_ms();
        let mut new = Vec::with_capacity(transfers.len());
        for t in transfers {
            let inserted = transfer_rows::insert(&tx, &t.row, now)?;
            if inserted && t.row.alarm {
                super::alarm_rows::raise(&tx, &t.shown, now)?;
            }
            new.push(inserted);
        }
        for c in cursors {
            save(&tx, c, now)?;
        }
        tx.commit().map_err(what)?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::stored::temp_journal;
    use crate::journal::AlarmFilter;

    fn shown(t: &TransferRow) -> Recorded {
        let m = &t.movement;
        Recorded {
            account: m.account.to_base58(),
            direction: m.direction.as_str().into(),
            token: "TRX".into(),
            symbol: "TRX".into(),
            amount: "1.5".into(),
            amount_base_units: m.amount.to_string(),
            counterparty: m.counterparty.map(|c| c.to_base58()),
            fee_sun: m.fee_sun,
            fee_trx: "1.1".into(),
            txid: m.txid.to_hex(),
            log_index: m.log_index,
            contract: m.contract.clone(),
            result: m.result.to_string(),
            block: t.at.block,
            block_id: hex::encode(t.at.block_id),
            block_time: t.at.block_time,
            time: String::new(),
            payout_id: None,
            alarm: t.alarm,
            evidence: "verified".into(),
            reported_by: None,
        }
    }

    #[test]
    fn a_group_records_transfers_alarms_and_cursors_once() {
        let (_d, j) = temp_journal();
        let a = Address::from_evm_bytes([1; 20]);
        assert!(j.watch_cursor(&a).unwrap().is_none());
        let start = Cursor {
            account: a,
            block: 9,
            id: [9; 32],
            time: 27_000,
        };
        j.start_watch_cursor(&start).unwrap();
        assert_eq!(j.watch_cursor(&a).unwrap(), Some(start));
        let mut ours = transfer_rows::tests::row(a, 2, 10);
        ours.alarm = false;
        ours.payout_id = Some("p1".into());
        let theirs = transfer_rows::tests::row(a, 3, 10);
        let group: Vec<NewTransfer> = [ours, theirs]
            .into_iter()
            .map(|row| NewTransfer {
                shown: shown(&row),
                row,
            })
            .collect();
        let moved = Cursor {
            account: a,
            block: 10,
            id: [3; 32],
            time: 30_000,
        };
        let new = j
            .record_watch_group(&group, std::slice::from_ref(&moved))
            .unwrap();
        assert_eq!(new, [true, true]);
        assert_eq!(j.watch_cursor(&a).unwrap(), Some(moved.clone()));
        let alarms = j.alarms(AlarmFilter::All).unwrap();
        assert_eq!(alarms.len(), 1, "only the transfer coldpay did not make");
        assert_eq!(alarms[0].transfer, group[1].shown);
        assert_eq!(
            j.record_watch_group(&group, &[moved]).unwrap(),
            [false, false]
        );
        assert_eq!(j.transfers_since(0, None).unwrap().len(), 2);
    }

    #[test]
    fn a_corrupt_cursor_is_a_journal_error_naming_the_account() {
        let (_d, j) = temp_journal();
        let a = Address::from_evm_bytes([1; 20]);
        j.conn
            .execute(
                "INSERT INTO watch_cursors VALUES (?1, 5, 'beef', 0, 0)",
                [a.to_base58()],
            )
            .unwrap();
        let e = j.watch_cursor(&a).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string()
                .contains(&format!("watch_cursors row {a}, column block_id")),
            "{e}"
        );
    }
}
