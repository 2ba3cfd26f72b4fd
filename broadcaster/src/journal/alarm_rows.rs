//! The `alarms` table: one row per outgoing transaction from a treasury account that is not a
//! coldpay attempt (raised by `watch` with the transfer record, announced, handed to the hook,
//! acknowledged by an operator). Rows come back typed ([`AlarmRow`]), the stored transfer
//! record decoded once here.

use coldpay_shared::{Address, TxId};
use rusqlite::{params, OptionalExtension};

use super::select_all;
use super::stored::{self, sql_int};
use super::transfer_rows::Recorded;
use super::Journal;
use crate::error::{BcError, Result};

/// One alarm, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmRow {
    /// Row id (what `alarms ack` takes).
    pub id: i64,
    /// Treasury account.
    pub account: Address,
    /// Transaction.
    pub txid: TxId,
    /// Verified block.
    pub block: u64,
    /// When it was raised (ms).
    pub raised_at: i64,
    /// When the hook finished for it (ms), if it did.
    pub notified_at: Option<i64>,
    /// When it was acknowledged (ms); `None` = open.
    pub acked_at: Option<i64>,
    /// The operator's note.
    pub ack_note: Option<String>,
    /// The transfer that raised it, as journaled.
    pub transfer: Recorded,
}

/// Which alarms to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlarmFilter {
    /// Every alarm.
    All,
    /// Not acknowledged.
    Open,
    /// Not yet handed to the hook (or whose hook failed).
    NotNotified,
}

impl AlarmFilter {
    fn clause(self) -> &'static str {
        match self {
            AlarmFilter::All => "1",
            AlarmFilter::Open => "acked_at IS NULL",
            AlarmFilter::NotNotified => "notified_at IS NULL",
        }
    }
}

const COLS: &str = "id, account, txid, block, raised_at, notified_at, acked_at, ack_note, detail";

/// An alarm row as SQLite holds it.
struct Stored {
    id: i64,
    account: String,
    txid: String,
    block: i64,
    raised_at: i64,
    notified_at: Option<i64>,
    acked_at: Option<i64>,
    ack_note: Option<String>,
    detail: String,
}

fn stored_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        id: r.get(0)?,
        account: r.get(1)?,
        txid: r.get(2)?,
        block: r.get(3)?,
        raised_at: r.get(4)?,
        notified_at: r.get(5)?,
        acked_at: r.get(6)?,
        ack_note: r.get(7)?,
        detail: r.get(8)?,
    })
}

impl Stored {
    fn decode(self) -> Result<AlarmRow> {
        let row = format!("alarms row {}", self.id);
        let transfer: Recorded = serde_json::from_str(&self.detail)
            .map_err(|_| stored::corrupt(&row, "detail", "not a transfer record"))?;
        Ok(AlarmRow {
            id: self.id,
            account: stored::address(&row, "account", &self.account)?,
            txid: stored::txid(&row, "txid", &self.txid)?,
            block: stored::unsigned(&row, "block", self.block)?,
            raised_at: self.raised_at,
            notified_at: self.notified_at,
            acked_at: self.acked_at,
            ack_note: self.ack_note,
            transfer,
        })
    }
}

/// Records an alarm for the transfer `r` (once per account and txID), inside the caller's SQL
/// transaction.
pub(super) fn raise(tx: &rusqlite::Connection, r: &Recorded, now: i64) -> Result<()> {
    let detail = serde_json::to_string(r).expect("a transfer record serialises");
    tx.execute(
        "INSERT OR IGNORE INTO alarms (account, txid, block, detail, raised_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![r.account, r.txid, sql_int(r.block), detail, now],
    )
    .map_err(|e| BcError::journal_at(e, format!("record the alarm for {}", r.txid)))?;
    Ok(())
}

impl Journal {
    /// The alarms `filter` selects, oldest first.
    pub fn alarms(&self, filter: AlarmFilter) -> Result<Vec<AlarmRow>> {
        let what = |e| BcError::journal_at(e, "read alarms");
        let rows = select_all(
            &self.conn,
            &format!(
                "SELECT {COLS} FROM alarms WHERE {} ORDER BY id",
                filter.clause()
            ),
            what,
            [],
            stored_from,
        )?;
        rows.into_iter().map(Stored::decode).collect()
    }

    /// Alarm `id`, if there is one.
    pub fn alarm(&self, id: i64) -> Result<Option<AlarmRow>> {
        self.conn
            .query_row(
                &format!("SELECT {COLS} FROM alarms WHERE id = ?1"),
                [id],
                stored_from,
            )
            .optional()
            .map_err(|e| BcError::journal_at(e, format!("read alarm {id}")))?
            .map(Stored::decode)
            .transpose()
    }

    /// How many alarms are open (not acknowledged).
    pub fn open_alarm_count(&self) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM alarms WHERE acked_at IS NULL",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(i64::unsigned_abs)
            .map_err(|e| BcError::journal_at(e, "count open alarms"))
    }

    /// When the latest alarm was raised (ms), if any ever was.
    pub fn last_alarm_raised_at(&self) -> Result<Option<u64>> {
        self.conn
            .query_row("SELECT MAX(raised_at) FROM alarms", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map(|t| t.map(|t| t.max(0).unsigned_abs()))
            .map_err(|e| BcError::journal_at(e, "read the latest alarm"))
    }

    /// Acknowledges open alarm `id` with the operator's `note` at `now` (ms); `false` when it
    /// was not open (acknowledged already, or no such alarm). One SQL statement.
    pub fn ack_alarm(&self, id: i64, note: &str, now: i64) -> Result<bool> {
        self.writer()?
            .execute(
                "UPDATE alarms SET acked_at = ?2, ack_note = ?3 WHERE id = ?1 AND acked_at IS NULL",
                params![id, now, note],
            )
            .map(|n| n == 1)
            .map_err(|e| BcError::journal_at(e, format!("acknowledge alarm {id}")))
    }

    /// Records how the hook of alarm `id` ended: notified at `notified` (ms), or the hook's
    /// `error` (the alarm stays pending). One SQL statement.
    pub fn record_alarm_hook(
        &self,
        id: i64,
        notified: Option<i64>,
        error: Option<&str>,
    ) -> Result<()> {
        self.writer()?
            .execute(
                "UPDATE alarms SET notified_at = ?2, hook_error = ?3 WHERE id = ?1",
                params![id, notified, error],
            )
            .map_err(|e| BcError::journal_at(e, format!("record the hook of alarm {id}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::stored::temp_journal;

    pub(crate) fn recorded(n: u8) -> Recorded {
        Recorded {
            account: Address::from_evm_bytes([1; 20]).to_base58(),
            direction: "out".into(),
            token: "TRX".into(),
            symbol: "TRX".into(),
            amount: "1.5".into(),
            amount_base_units: "1500000".into(),
            counterparty: Some(Address::from_evm_bytes([9; 20]).to_base58()),
            fee_sun: 0,
            fee_trx: "0".into(),
            txid: hex::encode([n; 32]),
            log_index: -1,
            contract: "TransferContract".into(),
            result: "SUCCESS".into(),
            block: 7,
            block_id: hex::encode([7; 32]),
            block_time: 21_000,
            time: "1970-01-01T00:00:21Z".into(),
            payout_id: None,
            alarm: true,
            evidence: "verified".into(),
            reported_by: None,
        }
    }

    #[test]
    fn alarms_read_back_typed_and_move_through_hook_and_ack() {
        let (_d, j) = temp_journal();
        raise(&j.conn, &recorded(1), 100).unwrap();
        raise(&j.conn, &recorded(1), 101).unwrap();
        raise(&j.conn, &recorded(2), 102).unwrap();
        let all = j.alarms(AlarmFilter::All).unwrap();
        assert_eq!(all.len(), 2, "one alarm per account and txID");
        assert_eq!(all[0].txid, TxId::from_bytes([1; 32]));
        assert_eq!(all[0].account, Address::from_evm_bytes([1; 20]));
        assert_eq!(all[0].transfer, recorded(1));
        assert_eq!(j.open_alarm_count().unwrap(), 2);
        assert_eq!(j.last_alarm_raised_at().unwrap(), Some(102));
        j.record_alarm_hook(all[0].id, None, Some("exit 3"))
            .unwrap();
        assert_eq!(j.alarms(AlarmFilter::NotNotified).unwrap().len(), 2);
        j.record_alarm_hook(all[0].id, Some(200), None).unwrap();
        assert_eq!(j.alarms(AlarmFilter::NotNotified).unwrap().len(), 1);
        assert!(j.ack_alarm(all[1].id, "ours", 300).unwrap());
        assert!(!j.ack_alarm(all[1].id, "again", 301).unwrap());
        let acked = j.alarm(all[1].id).unwrap().unwrap();
        assert_eq!(
            (acked.acked_at, acked.ack_note.as_deref()),
            (Some(300), Some("ours"))
        );
        assert_eq!(j.alarms(AlarmFilter::Open).unwrap().len(), 1);
        assert!(j.alarm(99).unwrap().is_none());
    }

    #[test]
    fn a_corrupt_detail_is_a_journal_error_naming_the_row() {
        let (_d, j) = temp_journal();
        raise(&j.conn, &recorded(1), 100).unwrap();
        j.conn
            .execute_batch("UPDATE alarms SET detail = '{\"account\": 1}'")
            .unwrap();
        let e = j.alarms(AlarmFilter::All).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("alarms row 1, column detail"), "{e}");
        j.conn
            .execute_batch(&format!(
                "UPDATE alarms SET detail = '{}', txid = 'xyz'",
                serde_json::to_string(&recorded(1)).unwrap()
            ))
            .unwrap();
        let e = j.alarm(1).unwrap_err();
        assert!(e.to_string().contains("alarms row 1, column txid"), "{e}");
    }
}
