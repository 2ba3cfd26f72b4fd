//! Writes need the writer lock. Every write goes through [`Journal::write`] (one SQL
//! transaction, a [`JournalTx`]) or [`Journal::writer`] (one statement); both refuse when the
//! journal does not hold the lock (a reader, or a long-running writer between passes). Below
//! that check, a connection without the lock is `query_only` (readers from the start, a paused
//! writer until it takes the lock again), so SQLite refuses even a write that bypassed it.

use rusqlite::{Connection, Transaction};

use super::Journal;
use crate::error::{BcError, Result};

/// One SQL transaction of a writer holding the lock; dropped without [`JournalTx::commit`] it
/// rolls back, so nothing of a failed step is kept.
pub struct JournalTx<'j> {
    tx: Transaction<'j>,
}

impl JournalTx<'_> {
    /// Commits every write of the transaction at once.
    pub fn commit(self) -> Result<()> {
        self.tx
            .commit()
            .map_err(|e| BcError::journal_at(e, "commit the journal transaction"))
    }

    /// The SQL transaction, for the journal's own modules only.
    pub(super) fn sql(&self) -> &Transaction<'_> {
        &self.tx
    }

    /// Refuses a response whose signer keys would drop or restart the audit log the journal
    /// holds for them (`journal::audit_heads::check_keys`).
    pub fn check_audit_keys(
        &self,
        signers: &[String],
        head: Option<&coldpay_shared::AuditHead>,
        request_id: &str,
        accept_new: &[String],
    ) -> Result<()> {
        super::audit_heads::check_keys(self.sql(), signers, head, request_id, accept_new)
    }

    /// Checks a response's audit head against the journaled ones and records it
    /// (`journal::audit_heads::check_and_record`).
    pub fn record_audit_head(
        &self,
        head: &coldpay_shared::AuditHead,
        request_id: &str,
        signed_at: u64,
    ) -> Result<()> {
        super::audit_heads::check_and_record(self.sql(), head, request_id, signed_at)
    }

    /// Records the sealed policy the signers signed under; one note per change
    /// (`journal::signer_policies::record`).
    pub fn record_signer_policy(
        &self,
        signers: &[String],
        policy: &coldpay_shared::handoff::SignerPolicy,
        request_id: &str,
    ) -> Result<Vec<String>> {
        super::signer_policies::record(self.sql(), signers, policy, request_id)
    }
}

impl Journal {
    /// Starts one SQL transaction for writing; refused without the writer lock.
    pub fn write(&self) -> Result<JournalTx<'_>> {
        let conn = self.writer()?;
        let tx = conn
            .unchecked_transaction()
            .map_err(|e| BcError::journal_at(e, "start a journal transaction"))?;
        Ok(JournalTx { tx })
    }

    /// The connection for a single-statement write; refused without the writer lock.
    pub(crate) fn writer(&self) -> Result<&Connection> {
        if self.is_writer() {
            Ok(&self.conn)
        } else {
            Err(BcError::Locked(format!(
                "journal {} is not held for writing by this command (opened for reading, or its lock was let go): nothing was written",
                self.path.display()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::journal::lock::LockWait;
    use crate::journal::Journal;

    #[test]
    fn writes_are_refused_without_the_writer_lock() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("j.sqlite");
        let w = Journal::open(&path, coldpay_shared::Network::Local, LockWait::NoWait).unwrap();
        w.set_meta("k", "1").unwrap();
        // Between passes a long-running writer holds no lock: nothing may be written.
        w.pause_writer().unwrap();
        let e = w.set_meta("k", "2").unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(e.to_string().contains("nothing was written"), "{e}");
        assert!(w.write().is_err());
        assert!(w.cancel(&["p".into()], None, true).is_err());
        // A write that bypassed the check is refused by SQLite itself (query_only).
        assert!(w
            .conn
            .execute("UPDATE meta SET value = '9' WHERE key = 'k'", [])
            .is_err());
        w.resume_writer().unwrap();
        w.set_meta("k", "3").unwrap();
        drop(w);
        // A reader never writes, whatever it asks.
        let r = Journal::open_read(&path).unwrap();
        assert!(r.write().is_err());
        assert!(r.mark_sending(&[1]).is_err());
        assert!(r
            .conn
            .execute("UPDATE meta SET value = '9' WHERE key = 'k'", [])
            .is_err());
        assert_eq!(r.meta("k").unwrap().as_deref(), Some("3"));
    }
}
