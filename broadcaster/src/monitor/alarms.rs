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

use crate::error::{BcError, Result};
use crate::journal::{now_ms, AlarmFilter, AlarmRow, Journal};
use crate::monitor::transfers::Recorded;

/// The longest a hook may run before it is stopped (and retried at the next pass).
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(60);

/// A recorded alarm not yet announced (or whose hook failed).
#[derive(Clone, Debug)]
pub struct Pending {
    /// Row id.
    pub id: i64,
    /// The transfer (its JSON is what the hook reads on stdin).
    pub transfer: Recorded,
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

impl From<AlarmRow> for Row {
    fn from(a: AlarmRow) -> Row {
        Row {
            id: a.id,
            account: a.account.to_base58(),
            txid: a.txid.to_hex(),
            block: a.block,
            raised_at: a.raised_at,
            notified_at: a.notified_at,
            acked_at: a.acked_at,
            ack_note: a.ack_note,
            text: announcement(&a.transfer),
        }
    }
}

/// Every alarm (or only the open ones), oldest first.
pub fn list(journal: &Journal, open_only: bool) -> Result<Vec<Row>> {
    let filter = if open_only {
        AlarmFilter::Open
    } else {
        AlarmFilter::All
    };
    Ok(journal.alarms(filter)?.into_iter().map(Row::from).collect())
}

/// How many alarms are open (not acknowledged).
pub fn open_count(journal: &Journal) -> Result<usize> {
    Ok(usize::try_from(journal.open_alarm_count()?).unwrap_or(usize::MAX))
}

/// Acknowledges alarm `id` with the operator's `note` (journaled with the time). An unknown id,
/// an empty note, or an alarm acknowledged before is refused by name.
pub fn ack(journal: &Journal, id: i64, note: &str) -> Result<Row> {
    if note.trim().is_empty() {
        return Err(BcError::Input(
            "alarms ack: --note must say what was found (it is journaled with the alarm)".into(),
        ));
    }
    let Some(row) = journal.alarm(id)? else {
        return Err(BcError::Input(format!(
            "alarms ack: no alarm {id} (see `alarms list --all`)"
        )));
    };
    if let Some(at) = row.acked_at {
        return Err(BcError::Input(format!(
            "alarms ack: alarm {id} was acknowledged already at {} ({}); acknowledgements are never changed",
            crate::monitor::transfers::rfc3339(at.max(0).unsigned_abs()),
            row.ack_note.as_deref().unwrap_or("")
        )));
    }
    journal.ack_alarm(id, note, now_ms())?;
    journal
        .alarm(id)?
        .map(Row::from)
        .ok_or_else(|| BcError::corrupt(format!("alarms row {id}"), "it vanished while being read"))
}

/// Alarms not yet notified, oldest first.
pub fn pending(journal: &Journal) -> Result<Vec<Pending>> {
    Ok(journal
        .alarms(AlarmFilter::NotNotified)?
        .into_iter()
        .map(|a| Pending {
            id: a.id,
            transfer: a.transfer,
        })
        .collect())
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
pub fn notify(journal: &Journal, a: &Pending, hook: Option<&str>) -> Result<()> {
    let detail = serde_json::to_string(&a.transfer).expect("a transfer record serialises");
    let outcome = hook.map_or(Ok(()), |cmd| run_hook(cmd, &detail, &a.transfer.txid));
    let (notified, error) = match &outcome {
        Ok(()) => (Some(now_ms()), None),
        Err(e) => (None, Some(e.clone())),
    };
    journal.record_alarm_hook(a.id, notified, error.as_deref())?;
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
    use crate::journal::lock::LockWait;
    use crate::journal::Journal;

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
        use crate::chain::movements::{ContractRet, Direction, Evidence, Movement};
        use crate::journal::{BlockAt, NewTransfer, TransferRow};
        use coldpay_shared::{Address, TxId, U256};
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        let row = TransferRow {
            movement: Movement {
                account: Address::from_evm_bytes([1; 20]),
                txid: TxId::from_bytes([0xab; 32]),
                log_index: -1,
                direction: Direction::Out,
                token: None,
                amount: U256::from(5_000_000u64),
                counterparty: Some(Address::from_evm_bytes([2; 20])),
                fee_sun: 0,
                contract: "TransferContract".into(),
                result: ContractRet::SUCCESS,
                evidence: Evidence::Verified,
                reported_by: None,
            },
            at: BlockAt {
                block: 9,
                block_id: [0; 32],
                block_time: 0,
            },
            payout_id: None,
            alarm: true,
        };
        let shown = crate::monitor::transfers::shown(&row, coldpay_shared::Network::Local);
        let group = [NewTransfer {
            row,
            shown: shown.clone(),
        }];
        j.record_watch_group(&group, &[]).unwrap();
        j.record_watch_group(&group, &[]).unwrap();
        let p = pending(&j).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].transfer, shown);
        notify(&j, &p[0], Some("cat >/dev/null; exit 3")).unwrap();
        assert_eq!(pending(&j).unwrap().len(), 1);
        let out = d.path().join("hook.json");
        let cmd = format!("cat >> {}", out.display());
        notify(&j, &p[0], Some(&cmd)).unwrap();
        assert!(pending(&j).unwrap().is_empty());
        let got: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
        assert_eq!(got["txid"], shown.txid);
        assert_eq!(got["amount"], "5");
        assert_eq!(open_count(&j).unwrap(), 1);
        let acked = ack(&j, p[0].id, "our test").unwrap();
        assert_eq!(acked.ack_note.as_deref(), Some("our test"));
        assert!(ack(&j, p[0].id, "again").is_err());
        assert_eq!(list(&j, true).unwrap().len(), 0);
    }
}
