//! Alarms: an outgoing transaction from a treasury account whose txID is not a coldpay attempt.
//! Each is recorded once (with the transfer JSON), announced loudly, and handed to the
//! `--on-alarm` hook; `notified_at` is set when that finished, so a restart does not call the
//! hook again (a crash between the hook's exit and that update calls it once more: at least
//! once, never not at all). An alarm stays open until an operator acknowledges it
//! (`alarms ack ID --note TEXT`, journaled with the time, never changed after): `watch --once`
//! exits 7 while any is open, whether or not this pass raised it.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::params;

use crate::error::{BcError, Result};
use crate::journal::now_ms;
use crate::transfers::Recorded;

/// The longest a hook may run before it is stopped (and retried at the next pass).
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(60);

/// A recorded alarm not yet announced (or whose hook failed).
#[derive(Clone, Debug)]
pub struct Pending {
    /// Row id.
    pub id: i64,
    /// The transfer, as JSON text (what the hook reads on stdin).
    pub detail: String,
    /// The transfer.
    pub transfer: Recorded,
}

/// Records an alarm for `r` (once per account and txID), inside the caller's SQL transaction.
pub fn raise(tx: &rusqlite::Transaction<'_>, r: &Recorded) -> Result<()> {
    let detail = serde_json::to_string(r).expect("json");
    tx.execute(
        "INSERT OR IGNORE INTO alarms (account, txid, block, detail, raised_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![r.account, r.txid, r.block as i64, detail, now_ms()],
    )
    .map_err(|e| BcError::journal_at(e, format!("record the alarm for {}", r.txid)))?;
    Ok(())
}

/// One alarm as `alarms list` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    /// Row id (what `alarms ack` takes).
    pub id: i64,
    /// Treasury account.
    pub account: String,
    /// Transaction.
    pub txid: String,
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
    /// The announcement text.
    pub text: String,
}

/// Every alarm (or only the open ones), oldest first.
pub fn list(conn: &rusqlite::Connection, open_only: bool) -> Result<Vec<Row>> {
    let what = |e| BcError::journal_at(e, "read alarms");
    let sql = if open_only {
        "SELECT id, account, txid, block, raised_at, notified_at, acked_at, ack_note, detail FROM alarms WHERE acked_at IS NULL ORDER BY id"
    } else {
        "SELECT id, account, txid, block, raised_at, notified_at, acked_at, ack_note, detail FROM alarms ORDER BY id"
    };
    let mut st = conn.prepare(sql).map_err(what)?;
    st.query_map([], |r| {
        let detail: String = r.get(8)?;
        Ok(Row {
            id: r.get(0)?,
            account: r.get(1)?,
            txid: r.get(2)?,
            block: r.get::<_, i64>(3)? as u64,
            raised_at: r.get(4)?,
            notified_at: r.get(5)?,
            acked_at: r.get(6)?,
            ack_note: r.get(7)?,
            text: recorded_from_json(&detail).map_or_else(
                || "(transfer record unreadable)".into(),
                |t| announcement(&t),
            ),
        })
    })
    .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
    .map_err(what)
}

/// How many alarms are open (not acknowledged).
pub fn open_count(conn: &rusqlite::Connection) -> Result<usize> {
    conn.query_row(
        "SELECT COUNT(*) FROM alarms WHERE acked_at IS NULL",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as usize)
    .map_err(|e| BcError::journal_at(e, "count open alarms"))
}

/// When the latest alarm was raised (ms), if any ever was.
pub fn last_raised_at(conn: &rusqlite::Connection) -> Result<Option<u64>> {
    conn.query_row("SELECT MAX(raised_at) FROM alarms", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .map(|t| t.map(|t| t.max(0).unsigned_abs()))
    .map_err(|e| BcError::journal_at(e, "read the latest alarm"))
}

/// Acknowledges alarm `id` with the operator's `note` (journaled with the time). An unknown id,
/// an empty note, or an alarm acknowledged before is refused by name.
pub fn ack(conn: &rusqlite::Connection, id: i64, note: &str) -> Result<Row> {
    if note.trim().is_empty() {
        return Err(BcError::Input(
            "alarms ack: --note must say what was found (it is journaled with the alarm)".into(),
        ));
    }
    let Some(row) = list(conn, false)?.into_iter().find(|r| r.id == id) else {
        return Err(BcError::Input(format!(
            "alarms ack: no alarm {id} (see `alarms list --all`)"
        )));
    };
    if let Some(at) = row.acked_at {
        return Err(BcError::Input(format!(
            "alarms ack: alarm {id} was acknowledged already at {} ({}); acknowledgements are never changed",
            crate::transfers::rfc3339(at.max(0) as u64),
            row.ack_note.as_deref().unwrap_or("")
        )));
    }
    conn.execute(
        "UPDATE alarms SET acked_at = ?2, ack_note = ?3 WHERE id = ?1 AND acked_at IS NULL",
        params![id, now_ms(), note],
    )
    .map_err(|e| BcError::journal_at(e, format!("acknowledge alarm {id}")))?;
    list(conn, false)?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| BcError::Input(format!("alarm {id} vanished")))
}

/// Alarms not yet notified, oldest first.
pub fn pending(conn: &rusqlite::Connection) -> Result<Vec<Pending>> {
    let what = |e| BcError::journal_at(e, "read alarms");
    let mut st = conn
        .prepare("SELECT id, detail FROM alarms WHERE notified_at IS NULL ORDER BY id")
        .map_err(what)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(what)?;
    rows.into_iter()
        .map(|(id, detail)| {
            let transfer = recorded_from_json(&detail).ok_or_else(|| {
                BcError::Input(format!(
                    "journal alarm {id}: its transfer record is unreadable"
                ))
            })?;
            Ok(Pending {
                id,
                detail,
                transfer,
            })
        })
        .collect()
}

fn recorded_from_json(s: &str) -> Option<Recorded> {
    #[derive(serde::Deserialize)]
    struct R {
        account: String,
        direction: String,
        token: String,
        symbol: String,
        amount: String,
        amount_base_units: String,
        counterparty: Option<String>,
        fee_sun: u64,
        fee_trx: String,
        txid: String,
        log_index: i64,
        contract: String,
        result: String,
        block: u64,
        block_id: String,
        block_time: u64,
        time: String,
        payout_id: Option<String>,
        alarm: bool,
        #[serde(default = "verified")]
        evidence: String,
        #[serde(default)]
        reported_by: Option<String>,
    }
    fn verified() -> String {
        "verified".into()
    }
    let r: R = serde_json::from_str(s).ok()?;
    Some(Recorded {
        account: r.account,
        direction: r.direction,
        token: r.token,
        symbol: r.symbol,
        amount: r.amount,
        amount_base_units: r.amount_base_units,
        counterparty: r.counterparty,
        fee_sun: r.fee_sun,
        fee_trx: r.fee_trx,
        txid: r.txid,
        log_index: r.log_index,
        contract: r.contract,
        result: r.result,
        block: r.block,
        block_id: r.block_id,
        block_time: r.block_time,
        time: r.time,
        payout_id: r.payout_id,
        alarm: r.alarm,
        evidence: r.evidence,
        reported_by: r.reported_by,
    })
}

/// What to do after an alarm, as the announcement and the runbook ("After an ALARM") say it:
/// TRON cannot freeze an account's funds, so the only protection is to move them first.
pub const AFTER_ALARM: &str = "Treat the key as compromised (TRON cannot freeze an account): \
     create a fresh wallet on the signer, allowlist it in the sealed policy (policy allow add), \
     move every remaining balance to it (sweep --from OLD --to NEW, build, sign, submit), then \
     retire the old key; runbook section 6b";

/// The loud line printed (to stderr) for an alarm.
pub fn announcement(r: &Recorded) -> String {
    let claim = match &r.reported_by {
        Some(by) if r.evidence == "node-reported" => {
            format!(" (node-reported by {by}: only a receipt log shows it)")
        }
        _ => String::new(),
    };
    format!(
        "ALARM: {} {} left treasury account {} to {} in txid {} (block {}, {}){claim} and it is NOT a coldpay attempt: another tool or a leaked key sent it. {AFTER_ALARM}",
        r.amount,
        r.symbol,
        r.account,
        r.counterparty.as_deref().unwrap_or("?"),
        r.txid,
        r.block,
        r.time
    )
}

/// Runs the hook for one alarm (`sh -c CMD`, the transfer JSON on stdin) and records the
/// outcome: notified on exit 0; otherwise the error is recorded and the alarm stays pending.
pub fn notify(conn: &rusqlite::Connection, a: &Pending, hook: Option<&str>) -> Result<()> {
    let outcome = hook.map_or(Ok(()), |cmd| run_hook(cmd, &a.detail, &a.transfer.txid));
    let (notified, error) = match &outcome {
        Ok(()) => (Some(now_ms()), None),
        Err(e) => (None, Some(e.clone())),
    };
    conn.execute(
        "UPDATE alarms SET notified_at = ?2, hook_error = ?3 WHERE id = ?1",
        params![a.id, notified, error],
    )
    .map_err(|e| BcError::journal_at(e, format!("record the hook of alarm {}", a.id)))?;
    if let Err(e) = outcome {
        crate::log::emit(
            crate::log::Level::Error,
            &format!(
                "error: --on-alarm hook for txid {}: {e}; it is called again at the next pass",
                a.transfer.txid
            ),
            &crate::log::Fields {
                txid: Some(a.transfer.txid.clone()),
                ..Default::default()
            },
        );
    }
    Ok(())
}

fn run_hook(cmd: &str, stdin: &str, txid: &str) -> std::result::Result<(), String> {
    let mut child = Command::new("sh")
        .args(["-c", cmd])
        .env("COLDPAY_ALARM_TXID", txid)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    if let Some(mut i) = child.stdin.take() {
        // A hook that does not read its stdin is fine.
        let _ = i
            .write_all(stdin.as_bytes())
            .and_then(|()| i.write_all(b"\n"));
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(s)) if s.success() => return Ok(()),
            Ok(Some(s)) => return Err(format!("exited with {s}")),
            Ok(None) if started.elapsed() >= HOOK_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "still running after {}s; stopped",
                    HOOK_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for it: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use crate::lock::LockWait;

    fn rec() -> Recorded {
        Recorded {
            account: "TA".into(),
            direction: "out".into(),
            token: "TRX".into(),
            symbol: "TRX".into(),
            amount: "5".into(),
            amount_base_units: "5000000".into(),
            counterparty: Some("TB".into()),
            fee_sun: 0,
            fee_trx: "0".into(),
            txid: "ab".repeat(32),
            log_index: -1,
            contract: "TransferContract".into(),
            result: "SUCCESS".into(),
            block: 9,
            block_id: "00".repeat(32),
            block_time: 0,
            time: "1970-01-01T00:00:00Z".into(),
            payout_id: None,
            alarm: true,
            evidence: "verified".into(),
            reported_by: None,
        }
    }

    #[test]
    fn the_announcement_gives_the_procedure_not_a_freeze() {
        let a = announcement(&rec());
        assert!(a.starts_with("ALARM: "), "{a}");
        assert!(!a.contains("freeze the account"), "{a}");
        for step in [
            "TRON cannot freeze an account",
            "create a fresh wallet on the signer",
            "allowlist it in the sealed policy",
            "sweep --from OLD --to NEW",
            "retire the old key",
            "runbook section 6b",
        ] {
            assert!(a.contains(step), "{step}: {a}");
        }
    }

    #[test]
    fn hook_runs_once_and_failures_stay_pending() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        let tx = j.conn.unchecked_transaction().unwrap();
        raise(&tx, &rec()).unwrap();
        raise(&tx, &rec()).unwrap();
        tx.commit().unwrap();
        let p = pending(&j.conn).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].transfer, rec());
        notify(&j.conn, &p[0], Some("cat >/dev/null; exit 3")).unwrap();
        assert_eq!(pending(&j.conn).unwrap().len(), 1);
        let out = d.path().join("hook.json");
        let cmd = format!("cat >> {}", out.display());
        notify(&j.conn, &p[0], Some(&cmd)).unwrap();
        assert!(pending(&j.conn).unwrap().is_empty());
        let got: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
        assert_eq!(got["txid"], rec().txid);
        assert_eq!(got["amount"], "5");
    }
}
