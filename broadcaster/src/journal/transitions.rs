//! Attempt state transitions, one function each: built (a new attempt), built → signed,
//! signed → broadcast ([`Journal::record_broadcast`]), settlement (→ included → confirmed /
//! failed), expiry, and the re-check of a failed attempt (failed → confirmed). Each is one SQL
//! transaction: the `record_*` functions on [`Journal`] open their own; the functions on
//! [`JournalTx`] take part in the caller's (`submit` records audit heads, approvals and
//! signatures together). Every move is checked against [`AttemptState::can_move_to`] before it
//! is written, and the SQL trigger `attempt_state_forward` stays the last word.

use rusqlite::params;

use coldpay_shared::handoff::FeeInputs;
use coldpay_shared::TxId;

use super::rows::{ExpiryEvidence, StoredReceipt};
use super::{at, now_ms, AttemptState, Journal, JournalTx};
use crate::error::{BcError, Result};

/// The verified reference block and request an attempt is built against.
#[derive(Clone, Debug)]
pub struct BuiltAgainst<'a> {
    /// The request id the attempts go out under.
    pub request_id: &'a str,
    /// Height of the verified solidified reference block.
    pub ref_block_num: u64,
    /// Its blockID.
    pub ref_block_id: [u8; 32],
    /// Its timestamp (ms).
    pub ref_block_ts: u64,
    /// The permission claim of a multi-signature build (its `id` is the Permission_id).
    pub permission: Option<coldpay_shared::permission::PermissionClaim>,
}

/// A newly built attempt.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    /// The payout it pays.
    pub payout_id: String,
    /// Its txID.
    pub txid: TxId,
    /// The canonical `raw_data` bytes.
    pub raw: Vec<u8>,
    /// Expiration (ms).
    pub expiration: u64,
    /// fee_limit (sun).
    pub fee_limit: u64,
    /// The fee inputs shown to the signer, if any (journaled as JSON).
    pub fee_inputs: Option<FeeInputs>,
}

/// A settlement decided by a verified block.
#[derive(Clone, Debug)]
pub struct Settlement {
    /// Attempt row id.
    pub attempt: i64,
    /// Its state before settling.
    pub from_state: AttemptState,
    /// The verified block holding the transaction.
    pub block: u64,
    /// The receipt journaled beside it (its figures node-reported).
    pub receipt: StoredReceipt,
    /// `None`: paid (confirmed); `Some(why)`: failed.
    pub failure: Option<String>,
}

impl Settlement {
    /// The state it settles to.
    pub fn to_state(&self) -> AttemptState {
        if self.failure.is_some() {
            AttemptState::Failed
        } else {
            AttemptState::Confirmed
        }
    }
}

/// Refuses a move the transition table does not allow, before SQL sees it.
fn check_move(attempt: i64, from: AttemptState, to: AttemptState) -> Result<()> {
    if from.can_move_to(to) {
        Ok(())
    } else {
        Err(BcError::Input(format!(
            "attempt {attempt}: {from} → {to} is not an allowed move; nothing was recorded"
        )))
    }
}

impl Journal {
    /// Records newly built attempts (state `built`) in one SQL transaction; each attempt's
    /// verified scan starts at its reference block. Returns their row ids, in order.
    pub fn record_built(
        &self,
        against: &BuiltAgainst<'_>,
        attempts: &[NewAttempt],
    ) -> Result<Vec<i64>> {
        let w = self.write()?;
        let mut ids = Vec::with_capacity(attempts.len());
        for a in attempts {
            ids.push(w.built(against, a)?);
        }
        w.commit()?;
        Ok(ids)
    }

    /// Moves `built` attempts to `signed` with their signatures, in one SQL transaction.
    pub fn record_signed(&self, signed: &[(i64, Vec<coldpay_shared::Signature>)]) -> Result<()> {
        let w = self.write()?;
        for (id, sigs) in signed {
            w.signed(*id, sigs)?;
        }
        w.commit()
    }

    /// Settles attempts from their verified blocks, in one SQL transaction.
    pub fn record_settled(&self, settled: &[Settlement]) -> Result<()> {
        let w = self.write()?;
        for s in settled {
            w.settled(s)?;
        }
        w.commit()
    }

    /// The outcome of re-checking a `failed` attempt against its verified block, in one SQL
    /// transaction: `paid` (the block's contractRet `ret` is SUCCESS) moves it failed →
    /// confirmed with `ret` in its receipt; otherwise the mark is cleared and `reason` kept.
    pub fn record_recheck(&self, attempt: i64, ret: &str, paid: bool, reason: &str) -> Result<()> {
        let what = || format!("record the re-check of attempt {attempt}");
        let w = self.write()?;
        if paid {
            w.sql().execute(
                "UPDATE attempts SET state = 'confirmed', reason = NULL, recheck = NULL, receipt = json_set(COALESCE(receipt, '{}'), '$.result', ?2), updated_at = ?3 WHERE id = ?1",
                params![attempt, ret, now_ms()],
            )
            .map_err(at(what()))?;
        } else {
            w.sql()
                .execute(
                    "UPDATE attempts SET recheck = NULL, reason = ?2 WHERE id = ?1",
                    params![attempt, reason],
                )
                .map_err(at(what()))?;
        }
        w.commit()
    }
}

impl JournalTx<'_> {
    /// A new `built` attempt (its verified scan starts at its reference block); returns its
    /// row id.
    pub fn built(&self, against: &BuiltAgainst<'_>, a: &NewAttempt) -> Result<i64> {
        let perm_id = against.permission.as_ref().map(|c| c.id);
        let claim = against
            .permission
            .as_ref()
            .map(|c| serde_json::to_string(c).expect("a permission claim is JSON"));
        let fee = a
            .fee_inputs
            .as_ref()
            .map(|f| serde_json::to_string(f).expect("fee inputs serialise"));
        self.sql().execute(
            "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, fee_inputs, state, created_at, updated_at, ref_block_id, scanned_to, scanned_id, scanned_ts, permission_id, permission_claim) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?5, ?11, ?12, ?13, ?14)",
            params![
                a.payout_id,
                a.txid.to_hex(),
                hex::encode(&a.raw),
                a.expiration as i64,
                against.ref_block_num as i64,
                a.fee_limit as i64,
                against.request_id,
                fee,
                AttemptState::Built,
                now_ms(),
                hex::encode(against.ref_block_id),
                against.ref_block_ts as i64,
                perm_id,
                claim
            ],
        )
        .map_err(at(format!("record the attempt of payout {}", a.payout_id)))?;
        Ok(self.sql().last_insert_rowid())
    }

    /// built → signed with its signatures (hex) (the trigger refuses it from any state but
    /// `built`).
    pub fn signed(&self, id: i64, sigs: &[coldpay_shared::Signature]) -> Result<()> {
        let js = super::rows::signatures_json(sigs);
        self.sql()
            .execute(
                "UPDATE attempts SET state = ?4, signatures = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, js, now_ms(), AttemptState::Signed],
            )
            .map_err(at(format!("record the signatures of attempt {id}")))?;
        Ok(())
    }

    /// Settles one attempt through the states the table allows (built → signed → broadcast →
    /// included, then confirmed / failed).
    pub fn settled(&self, s: &Settlement) -> Result<()> {
        let to = s.to_state();
        let path = s.from_state.path_to_included();
        let last = path.last().copied().unwrap_or(s.from_state);
        check_move(s.attempt, last, to)?;
        let what = || format!("settle attempt {}", s.attempt);
        for state in path {
            self.sql()
                .execute(
                    "UPDATE attempts SET state = ?2, updated_at = ?3 WHERE id = ?1",
                    params![s.attempt, state, now_ms()],
                )
                .map_err(at(what()))?;
        }
        self.sql().execute(
            "UPDATE attempts SET state = ?2, block = ?3, receipt = ?4, reason = COALESCE(?5, reason), recheck = NULL, updated_at = ?6 WHERE id = ?1",
            params![s.attempt, to, s.block as i64, json_text(&s.receipt), s.failure, now_ms()],
        )
        .map_err(at(what()))?;
        Ok(())
    }

    /// Where a verified, gap-free scan for an attempt got to: blocks (ref_block_num, `to`] are
    /// covered; `id` and `ts` (ms) are those of block `to`.
    pub fn scanned(&self, attempt: i64, to: u64, id: Option<[u8; 32]>, ts: u64) -> Result<()> {
        let id = id.map(hex::encode);
        self.sql()
            .execute(
                "UPDATE attempts SET scanned_to = ?2, scanned_id = ?3, scanned_ts = ?4 WHERE id = ?1",
                params![attempt, to as i64, id, ts as i64],
            )
            .map_err(at(format!("record the scan of attempt {attempt}")))?;
        Ok(())
    }

    /// `from` → expired with its evidence and `reason`; an attempt already expired only gets
    /// the evidence.
    pub fn expired(
        &self,
        attempt: i64,
        from: AttemptState,
        evidence: &ExpiryEvidence,
        reason: &str,
    ) -> Result<()> {
        let what = at(format!("record the expiry of attempt {attempt}"));
        let evidence = json_text(evidence);
        if from == AttemptState::Expired {
            self.sql()
                .execute(
                    "UPDATE attempts SET evidence = ?2 WHERE id = ?1",
                    params![attempt, evidence],
                )
                .map_err(what)?;
            return Ok(());
        }
        check_move(attempt, from, AttemptState::Expired)?;
        self.sql().execute(
            "UPDATE attempts SET state = ?5, evidence = ?2, reason = ?3, updated_at = ?4 WHERE id = ?1",
            params![attempt, evidence, reason, now_ms(), AttemptState::Expired],
        )
        .map_err(what)?;
        Ok(())
    }
}

/// A document as the journal stores it: JSON, keys in sorted order.
fn json_text<T: serde::Serialize>(doc: &T) -> String {
    serde_json::to_value(doc)
        .expect("a journal document is JSON")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;

    fn journal_with_payout() -> (tempfile::TempDir, Journal) {
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
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0);",
            )
            .unwrap();
        (d, j)
    }

    fn built(j: &Journal, txid_byte: u8) -> i64 {
        let against = BuiltAgainst {
            request_id: "req-1",
            ref_block_num: 7,
            ref_block_id: [0; 32],
            ref_block_ts: 70,
            permission: None,
        };
        let txid = TxId::from_hex(&hex::encode([txid_byte; 32])).unwrap();
        j.record_built(
            &against,
            &[NewAttempt {
                payout_id: "p".into(),
                txid,
                raw: hex::decode(crate::journal::fixtures::RAW_HEX).unwrap(),
                expiration: 99,
                fee_limit: 5,
                fee_inputs: None,
            }],
        )
        .unwrap()[0]
    }

    #[test]
    fn built_signed_settled_in_order_and_the_trigger_still_decides() {
        let (_d, j) = journal_with_payout();
        let id = built(&j, 1);
        let a = j.latest_attempt("p").unwrap().unwrap();
        assert_eq!(
            (a.state.as_str(), a.scanned_to, hex::encode(a.raw.encode())),
            (
                "built",
                Some(7),
                crate::journal::fixtures::RAW_HEX.to_string()
            )
        );
        // A second live attempt for the same payout is refused, and nothing of it is kept.
        let txid2 = TxId::from_hex(&hex::encode([2u8; 32])).unwrap();
        let against = BuiltAgainst {
            request_id: "req-2",
            ref_block_num: 8,
            ref_block_id: [0; 32],
            ref_block_ts: 80,
            permission: None,
        };
        let new = NewAttempt {
            payout_id: "p".into(),
            txid: txid2,
            raw: vec![3],
            expiration: 99,
            fee_limit: 5,
            fee_inputs: None,
        };
        assert!(j.record_built(&against, &[new]).is_err());
        assert!(j.attempt_by_txid(&txid2).unwrap().is_none());
        let sig = coldpay_shared::Signature::from_hex("1634795a1461b2775648062bcee3675033158557e497f1187d0312ae8e4589d07a22cf3334f4b5c49133ada012ccf308baefb8062e24d22d62f8da0a40716da301").unwrap();
        j.record_signed(&[(id, vec![sig])]).unwrap();
        let a = j.latest_attempt("p").unwrap().unwrap();
        assert_eq!(a.state, "signed");
        assert_eq!(a.signatures, Some(vec![sig]));
        j.record_settled(&[Settlement {
            attempt: id,
            from_state: AttemptState::Signed,
            block: 12,
            receipt: StoredReceipt {
                fee: Some(3),
                ..StoredReceipt::default()
            },
            failure: None,
        }])
        .unwrap();
        let a = j.latest_attempt("p").unwrap().unwrap();
        assert_eq!((a.state.as_str(), a.block), ("confirmed", Some(12)));
        // confirmed → failed is not a move the trigger allows.
        let e = j.record_settled(&[Settlement {
            attempt: id,
            from_state: AttemptState::Confirmed,
            block: 12,
            receipt: StoredReceipt::default(),
            failure: Some("REVERT".into()),
        }]);
        assert!(e.is_err());
        assert_eq!(j.latest_attempt("p").unwrap().unwrap().state, "confirmed");
        // A caller whose idea of the state is stale (included → failed is an allowed move) is
        // still refused by the trigger, and nothing changes.
        let e = j.record_settled(&[Settlement {
            attempt: id,
            from_state: AttemptState::Included,
            block: 13,
            receipt: StoredReceipt::default(),
            failure: Some("REVERT".into()),
        }]);
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("invalid attempt state transition"));
        let a = j.latest_attempt("p").unwrap().unwrap();
        assert_eq!((a.state, a.block), (AttemptState::Confirmed, Some(12)));
    }

    #[test]
    fn expiry_only_from_a_state_that_may_expire() {
        let (_d, j) = journal_with_payout();
        let id = built(&j, 1);
        let w = j.write().unwrap();
        let text = |t: &str| ExpiryEvidence {
            text: t.into(),
            ..ExpiryEvidence::default()
        };
        w.expired(id, AttemptState::Built, &text("first"), "expired: test")
            .unwrap();
        // Already expired: only the evidence changes.
        w.expired(id, AttemptState::Expired, &text("again"), "ignored")
            .unwrap();
        // From included an attempt settles; it never expires.
        let e = w
            .expired(id, AttemptState::Included, &text("x"), "x")
            .unwrap_err();
        assert!(e.to_string().contains("included → expired"), "{e}");
        w.commit().unwrap();
        let a = j.latest_attempt("p").unwrap().unwrap();
        assert_eq!(a.state, AttemptState::Expired);
        assert_eq!(a.reason.as_deref(), Some("expired: test"));
        assert_eq!(a.evidence, Some(text("again")));
    }
}
