//! The approvals of multi-signature attempts, as the journal holds them: read decoded
//! (signer [`Address`], [`Signature`]), and recorded inside a writer's SQL transaction while the
//! attempt waits for signatures (the trigger `approvals_only_while_built` backs that up).

use coldpay_shared::permission::PermissionClaim;
use coldpay_shared::{Address, Signature};
use rusqlite::{params, Connection, OptionalExtension};

use super::select_all;
use super::{at, now_ms, AttemptState, Journal, JournalTx};
use crate::error::BcError;
use crate::error::Result;

/// One recorded approval, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedApproval {
    /// The approving key.
    pub signer: Address,
    /// Its weight when the approval was verified.
    pub weight: i64,
    /// The permission's threshold then.
    pub threshold: i64,
    /// The signature.
    pub signature: Signature,
}

/// A verified approval to record.
#[derive(Clone, Debug)]
pub struct NewApproval<'a> {
    /// Attempt row id.
    pub attempt: i64,
    /// Payout (for the error sentence).
    pub payout_id: &'a str,
    /// The approving key.
    pub signer: Address,
    /// Its weight in the permission now.
    pub weight: i64,
    /// The permission's threshold now.
    pub threshold: i64,
    /// The verified signature.
    pub signature: Signature,
    /// The sign response's request id.
    pub request_id: &'a str,
}

/// A stored text that must decode, or a conversion error (a journal error, never bad input).
pub(super) fn decoded<T, E>(
    i: usize,
    text: &str,
    f: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> rusqlite::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    f(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn recorded_in(conn: &Connection, attempt: i64) -> Result<Vec<RecordedApproval>> {
    let what = || format!("read the approvals of attempt {attempt}");
    let sql = "SELECT signer, weight, threshold, signature FROM approvals WHERE attempt_id = ?1 ORDER BY id";
    select_all(
        conn,
        sql,
        |e| BcError::journal_at(e, what()),
        [attempt],
        |r| {
            Ok(RecordedApproval {
                signer: decoded(0, &r.get::<_, String>(0)?, Address::parse)?,
                weight: r.get(1)?,
                threshold: r.get(2)?,
                signature: decoded(3, &r.get::<_, String>(3)?, Signature::from_hex)?,
            })
        },
    )
}

impl Journal {
    /// The approvals recorded for an attempt, oldest first.
    pub fn approvals_of(&self, attempt: i64) -> Result<Vec<RecordedApproval>> {
        recorded_in(&self.conn, attempt)
    }

    /// The permission claim the attempt's request carried (multi-signature builds), decoded.
    pub fn permission_claim(&self, attempt: i64) -> Result<Option<PermissionClaim>> {
        self.conn
            .query_row(
                "SELECT permission_claim FROM attempts WHERE id = ?1",
                [attempt],
                |r| match r.get::<_, Option<String>>(0)? {
                    Some(t) => decoded(0, &t, |t| serde_json::from_str(t)).map(Some),
                    None => Ok(None),
                },
            )
            .optional()
            .map(Option::flatten)
            .map_err(at(format!("read the permission of attempt {attempt}")))
    }
}

impl JournalTx<'_> {
    /// The state of an attempt now, inside this transaction.
    pub fn attempt_state(&self, attempt: i64) -> Result<AttemptState> {
        self.sql()
            .query_row("SELECT state FROM attempts WHERE id = ?1", [attempt], |r| {
                r.get(0)
            })
            .map_err(at(format!("read attempt {attempt}")))
    }

    /// The approvals recorded for an attempt so far in this transaction, oldest first.
    pub fn approvals_of(&self, attempt: i64) -> Result<Vec<RecordedApproval>> {
        recorded_in(self.sql(), attempt)
    }

    /// Records one verified approval.
    pub fn approved(&self, a: &NewApproval<'_>) -> Result<()> {
        self.sql()
            .execute(
                "INSERT INTO approvals (attempt_id, signer, weight, threshold, signature, request_id, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![a.attempt, a.signer.to_base58(), a.weight, a.threshold, a.signature.to_hex(), a.request_id, now_ms()],
            )
            .map_err(at(format!("record the approval of payout {} by {}", a.payout_id, a.signer)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;

    #[test]
    fn a_stored_approval_that_does_not_decode_is_a_journal_error() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        j.conn
            .execute_batch(
                "INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0);
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0);
                 INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at, permission_claim) VALUES ('p', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'built', 0, 0, '{not json');
                 INSERT INTO approvals (attempt_id, signer, weight, threshold, signature, request_id, received_at) VALUES (1, 'not-an-address', 1, 2, '00', 'r', 0);",
            )
            .unwrap();
        for e in [
            j.approvals_of(1).unwrap_err(),
            j.permission_claim(1).unwrap_err(),
        ] {
            assert_eq!(e.exit_code(), 1, "{e}");
            assert!(e.to_string().contains("journal"), "{e}");
        }
        assert!(j.permission_claim(2).unwrap().is_none());
    }
}
