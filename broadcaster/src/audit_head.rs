//! The signer's audit head, journaled per sign response (`submit`): a hash chain cannot show
//! that its own tail was cut, so the online side remembers the highest audit sequence number
//! each signer log has shown and refuses a response whose sequence goes backwards.

use coldpay_shared::handoff::AuditHead;
use rusqlite::{params, OptionalExtension};

use crate::error::{BcError, Result};
use crate::journal::now_ms;

/// Checks `head` against the heads journaled for the same signer log and records it, inside the
/// caller's SQL transaction. The very same head again (a response submitted twice) is harmless;
/// a lower sequence number, or the same one with another hash, is refused
/// ([`BcError::AuditBackwards`], exit 8) and nothing is recorded.
pub fn check_and_record(
    tx: &rusqlite::Transaction<'_>,
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

fn seq(head: &AuditHead) -> Result<i64> {
    i64::try_from(head.seq)
        .map_err(|_| BcError::Input(format!("audit_head.seq {} is out of range", head.seq)))
}

/// Every audit head journaled, by log and sequence: (log, seq, hash, request id).
pub fn all(conn: &rusqlite::Connection) -> Result<Vec<(String, u64, String, String)>> {
    let mut st = conn
        .prepare("SELECT log, seq, hash, request_id FROM audit_heads ORDER BY log, seq")
        .map_err(|e| BcError::journal_at(e, "read audit heads"))?;
    st.query_map([], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?, r.get(3)?))
    })
    .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
    .map_err(|e| BcError::journal_at(e, "read audit heads"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use crate::lock::LockWait;

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
        let j = Journal::open(&d.path().join("j.sqlite"), "local", LockWait::NoWait).unwrap();
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
        let seqs: Vec<u64> = all(&j.conn).unwrap().iter().map(|h| h.1).collect();
        assert_eq!(seqs, vec![5, 9, 1]);
    }
}
