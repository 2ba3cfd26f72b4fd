//! The signer's audit heads as the journal keeps them (`audit_heads`, `audit_log_keys`,
//! `audit_log_overrides`), with the rules that guard them, checked inside `submit`'s SQL
//! transaction. A hash chain cannot show that its own tail was cut, so the journal remembers
//! the highest audit sequence number each signer log has shown and refuses a response whose
//! sequence goes backwards (the trigger `audit_head_forward` says the same). It also remembers
//! which signer keys answered under which log: once it holds a head for a key, a response from
//! that key without `audit_head` is refused (a head cannot be dropped), and a response from it
//! under another log (a wiped home restarting at sequence 1, another machine) is refused naming
//! both logs, unless the operator accepts that new log for that key
//! (`submit --accept-new-audit-log KEY`, journaled in `audit_log_overrides`). Reads come back
//! as typed rows.

use coldpay_shared::handoff::AuditHead;
use coldpay_shared::Address;
use rusqlite::{params, OptionalExtension};

use super::digest::Digest;
use super::select_all;
use super::stored;
use super::{now_ms, Journal};
use crate::error::{BcError, Result};

/// One journaled audit head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHeadRow {
    /// The signer's audit log id (the hash of its line 1).
    pub log: Digest,
    /// Sequence number in that log.
    pub seq: u64,
    /// Line hash at that sequence.
    pub hash: Digest,
    /// The sign response that carried it.
    pub request_id: String,
    /// When it was signed (ms, as the response said).
    pub signed_at: u64,
}

/// One accepted change of audit log for a signer key (`submit --accept-new-audit-log`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOverride {
    /// The signer key.
    pub signer: Address,
    /// The log it answered under before.
    pub old_log: Digest,
    /// The log accepted.
    pub new_log: Digest,
    /// The sign response that carried the new log.
    pub request_id: String,
    /// When it was accepted (ms).
    pub accepted_at: u64,
}

/// Checks `head` against the heads journaled for the same signer log and records it, inside the
/// caller's SQL transaction. The very same head again (a response submitted twice) is harmless;
/// a lower sequence number, or the same one with another hash, is refused
/// ([`BcError::AuditBackwards`], exit 8) and nothing is recorded.
pub(super) fn check_and_record(
    tx: &rusqlite::Connection,
    head: &AuditHead,
    request_id: &str,
    signed_at: u64,
) -> Result<()> {
    let what = |e| BcError::journal_at(e, format!("read the audit heads of log {}", head.log));
    let n = seq(head)?;
    let same: Option<String> = tx
        .query_row(
            "SELECT hash FROM audit_heads WHERE log = ?1 AND seq = ?2",
            params![head.log, n],
            |r| r.get(0),
        )
        .optional()
        .map_err(what)?;
    if same.as_deref() == Some(head.hash.as_str()) {
        return Ok(());
    }
    let highest: Option<i64> = tx
        .query_row(
            "SELECT MAX(seq) FROM audit_heads WHERE log = ?1",
            [&head.log],
            |r| r.get(0),
        )
        .map_err(what)?;
    if let Some(m) = highest.filter(|m| *m >= n) {
        let other = if m == n {
            " with another line hash"
        } else {
            ""
        };
        return Err(BcError::AuditBackwards(format!(
            "signer audit log went backwards: seq {} after {m}{other} — the signer's audit log may have been truncated (log {}, response {request_id}); nothing was broadcast",
            head.seq, head.log
        )));
    }
    tx.execute(
        "INSERT INTO audit_heads (log, seq, hash, request_id, signed_at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![head.log, n, head.hash, request_id, i64::try_from(signed_at).unwrap_or(i64::MAX), now_ms()],
    )
    .map_err(|e| BcError::journal_at(e, format!("record audit head {} of log {}", head.seq, head.log)))?;
    Ok(())
}

/// Checks a response's audit head against the logs journaled for its signer keys and records
/// which log each key answered under, inside the caller's SQL transaction. `accept_new` names
/// the keys whose new log the operator accepts (journaled as an override). Refusals are
/// [`BcError::AuditBackwards`] (exit 8) and record nothing.
pub(super) fn check_keys(
    tx: &rusqlite::Connection,
    signers: &[String],
    head: Option<&AuditHead>,
    request_id: &str,
    accept_new: &[String],
) -> Result<()> {
    for key in signers {
        let logs = logs_of(tx, key)?;
        let Some(head) = head else {
            if let Some((log, seq)) = logs.first() {
                return Err(BcError::AuditBackwards(format!(
                    "response {request_id} from signer {key} carries no audit_head, but the journal holds audit log {log} (up to seq {seq}) for that key: a head cannot be dropped; nothing was broadcast"
                )));
            }
            continue;
        };
        if !logs.is_empty() && !logs.iter().any(|(l, _)| *l == head.log) {
            let (old, old_seq) = &logs[0];
            if !accept_new.iter().any(|k| k == key) {
                return Err(BcError::AuditBackwards(format!(
                    "signer {key} answered response {request_id} under a new audit log {} (seq {}), but the journal knows it under audit log {old} (up to seq {old_seq}): its home was wiped or replaced; nothing was broadcast. If that key deliberately moved to a new home, submit again with --accept-new-audit-log {key}",
                    head.log, head.seq
                )));
            }
            tx.execute(
                "INSERT OR IGNORE INTO audit_log_overrides (signer, old_log, new_log, request_id, accepted_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, old, head.log, request_id, now_ms()],
            )
            .map_err(|e| BcError::journal_at(e, format!("record the new audit log of {key}")))?;
        }
        tx.execute(
            "INSERT OR IGNORE INTO audit_log_keys (signer, log, request_id, seen_at) VALUES (?1, ?2, ?3, ?4)",
            params![key, head.log, request_id, now_ms()],
        )
        .map_err(|e| BcError::journal_at(e, format!("record the audit log of {key}")))?;
    }
    Ok(())
}

/// The logs `key` answered under, most recently first seen first, each with its highest
/// journaled sequence number.
fn logs_of(conn: &rusqlite::Connection, key: &str) -> Result<Vec<(String, i64)>> {
    let what = |e| BcError::journal_at(e, format!("read the audit logs of {key}"));
    let sql = "SELECT k.log, COALESCE((SELECT MAX(seq) FROM audit_heads h WHERE h.log = k.log), 0)
             FROM audit_log_keys k WHERE k.signer = ?1 ORDER BY k.seen_at DESC, k.rowid DESC";
    select_all(conn, sql, what, [key], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// An `audit_log_overrides` row as SQLite holds it (text not decoded yet).
struct StoredOverride {
    id: i64,
    signer: String,
    old_log: String,
    new_log: String,
    request_id: String,
    accepted_at: i64,
}

impl StoredOverride {
    fn decode(self) -> Result<AuditOverride> {
        let row = format!("audit_log_overrides row {}", self.id);
        let row = row.as_str();
        Ok(AuditOverride {
            signer: stored::address(row, "signer", &self.signer)?,
            old_log: Digest::from_bytes(stored::hash32(row, "old_log", &self.old_log)?),
            new_log: Digest::from_bytes(stored::hash32(row, "new_log", &self.new_log)?),
            request_id: self.request_id,
            accepted_at: stored::unsigned(row, "accepted_at", self.accepted_at)?,
        })
    }
}

/// An `audit_heads` row as SQLite holds it (text not decoded yet).
struct StoredHead {
    id: i64,
    log: String,
    seq: i64,
    hash: String,
    request_id: String,
    signed_at: i64,
}

impl StoredHead {
    fn decode(self) -> Result<AuditHeadRow> {
        let row = format!("audit_heads row {}", self.id);
        let row = row.as_str();
        Ok(AuditHeadRow {
            log: Digest::from_bytes(stored::hash32(row, "log", &self.log)?),
            seq: stored::unsigned(row, "seq", self.seq)?,
            hash: Digest::from_bytes(stored::hash32(row, "hash", &self.hash)?),
            request_id: self.request_id,
            signed_at: stored::unsigned(row, "signed_at", self.signed_at)?,
        })
    }
}

impl Journal {
    /// Every accepted change of audit log, oldest first.
    pub fn audit_overrides(&self) -> Result<Vec<AuditOverride>> {
        let what = |e| BcError::journal_at(e, "read audit log overrides");
        let rows = select_all(
            &self.conn,
            "SELECT id, signer, old_log, new_log, request_id, accepted_at FROM audit_log_overrides ORDER BY id",
            what,
            [],
            |r| {
                Ok(StoredOverride {
                    id: r.get(0)?,
                    signer: r.get(1)?,
                    old_log: r.get(2)?,
                    new_log: r.get(3)?,
                    request_id: r.get(4)?,
                    accepted_at: r.get(5)?,
                })
            },
        )?;
        rows.into_iter().map(StoredOverride::decode).collect()
    }

    /// Every audit head journaled, by log and sequence.
    pub fn audit_heads(&self) -> Result<Vec<AuditHeadRow>> {
        let what = |e| BcError::journal_at(e, "read audit heads");
        let rows = select_all(
            &self.conn,
            "SELECT id, log, seq, hash, request_id, signed_at FROM audit_heads ORDER BY log, seq",
            what,
            [],
            |r| {
                Ok(StoredHead {
                    id: r.get(0)?,
                    log: r.get(1)?,
                    seq: r.get(2)?,
                    hash: r.get(3)?,
                    request_id: r.get(4)?,
                    signed_at: r.get(5)?,
                })
            },
        )?;
        rows.into_iter().map(StoredHead::decode).collect()
    }
}

fn seq(head: &AuditHead) -> Result<i64> {
    i64::try_from(head.seq)
        .map_err(|_| BcError::Input(format!("audit_head.seq {} is out of range", head.seq)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures;
    use crate::journal::lock::LockWait;

    fn head(seq: u64, h: char) -> AuditHead {
        AuditHead {
            log: "1".repeat(64),
            seq,
            hash: h.to_string().repeat(64),
        }
    }

    fn record(j: &Journal, h: &AuditHead) -> Result<()> {
        let tx = j.conn.unchecked_transaction()?;
        check_and_record(&tx, h, "req", 1)?;
        tx.commit()?;
        Ok(())
    }

    #[test]
    fn sequence_may_only_go_forward() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        record(&j, &head(5, 'a')).unwrap();
        // The same response again is harmless.
        record(&j, &head(5, 'a')).unwrap();
        record(&j, &head(9, 'b')).unwrap();
        // An earlier response submitted again later is harmless too.
        record(&j, &head(5, 'a')).unwrap();
        let e = record(&j, &head(7, 'c')).unwrap_err();
        assert_eq!(e.exit_code(), 8);
        assert!(
            e.to_string().starts_with(
                "signer audit log went backwards: seq 7 after 9 — the signer's audit log may have been truncated"
            ),
            "{e}"
        );
        let e = record(&j, &head(9, 'd')).unwrap_err();
        assert!(
            e.to_string()
                .contains("seq 9 after 9 with another line hash"),
            "{e}"
        );
        // Another signer log has its own sequence.
        let mut other = head(1, 'e');
        other.log = "2".repeat(64);
        record(&j, &other).unwrap();
        let seqs: Vec<u64> = j.audit_heads().unwrap().iter().map(|h| h.seq).collect();
        assert_eq!(seqs, vec![5, 9, 1]);
    }

    fn keys(j: &Journal, key: &str, h: Option<&AuditHead>, accept: &[String]) -> Result<()> {
        let tx = j.conn.unchecked_transaction()?;
        check_keys(&tx, &[key.to_string()], h, "req", accept)?;
        if let Some(h) = h {
            check_and_record(&tx, h, "req", 1)?;
        }
        tx.commit()?;
        Ok(())
    }

    #[test]
    fn a_known_key_cannot_drop_or_restart_its_log() {
        let tk = Address::from_evm_bytes([1; 20]).to_base58();
        let (tk, tx, to) = (
            tk.as_str(),
            Address::from_evm_bytes([2; 20]).to_base58(),
            Address::from_evm_bytes([3; 20]).to_base58(),
        );
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        // A key never seen with a head may answer without one (older signers).
        keys(&j, tk, None, &[]).unwrap();
        keys(&j, tk, Some(&head(3, 'a')), &[]).unwrap();
        let e = keys(&j, tk, None, &[]).unwrap_err();
        assert_eq!(e.exit_code(), 8);
        assert!(e.to_string().contains("carries no audit_head"), "{e}");
        // A wiped home answers under a new log at sequence 1.
        let mut fresh = head(1, 'b');
        fresh.log = "3".repeat(64);
        let e = keys(&j, tk, Some(&fresh), &[]).unwrap_err();
        assert_eq!(e.exit_code(), 8);
        let text = e.to_string();
        assert!(
            text.contains(&"3".repeat(64)) && text.contains(&"1".repeat(64)),
            "{text}"
        );
        assert!(
            text.contains(&format!("--accept-new-audit-log {tk}")),
            "{text}"
        );
        assert!(j.audit_overrides().unwrap().is_empty());
        // Another key's acceptance does not count; the named key's does, and is journaled.
        assert!(keys(&j, tk, Some(&fresh), &[tx]).is_err());
        keys(&j, tk, Some(&fresh), &[tk.to_string()]).unwrap();
        let o = j.audit_overrides().unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(
            (o[0].signer.to_base58(), o[0].new_log.to_hex()),
            (tk.to_string(), fresh.log.clone())
        );
        assert_eq!(o[0].old_log.to_hex(), "1".repeat(64));
        // From then on the new log goes on without the flag.
        let mut next = fresh.clone();
        next.seq = 2;
        next.hash = "c".repeat(64);
        keys(&j, tk, Some(&next), &[]).unwrap();
        // Another key is unaffected.
        keys(&j, &to, None, &[]).unwrap();
    }

    #[test]
    fn a_corrupt_row_is_a_journal_error_naming_table_row_and_column() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        record(&j, &head(5, 'a')).unwrap();
        let rows = j.audit_heads().unwrap();
        assert_eq!(rows[0].log, Digest::from_bytes([0x11; 32]));
        assert_eq!(rows[0].hash, Digest::from_bytes([0xaa; 32]));
        assert_eq!((rows[0].seq, rows[0].signed_at), (5, 1));
        for (column, bad) in [("signed_at", "-1"), ("hash", "'h'"), ("log", "'L'")] {
            fixtures::execute(&j, &format!("UPDATE audit_heads SET {column} = {bad}"), []);
            let e = j.audit_heads().unwrap_err();
            assert_eq!(e.exit_code(), 1);
            assert!(
                e.to_string()
                    .contains(&format!("audit_heads row 1, column {column}")),
                "{e}"
            );
        }
        fixtures::execute(
            &j,
            "INSERT INTO audit_log_overrides (signer, old_log, new_log, request_id, accepted_at) VALUES ('TK', ?1, ?1, 'r', 0)",
            ["1".repeat(64)],
        );
        let e = j.audit_overrides().unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string()
                .contains("audit_log_overrides row 1, column signer"),
            "{e}"
        );
    }
}
