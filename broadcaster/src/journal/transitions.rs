//! Attempt state transitions, each one SQL transaction: built (a new attempt), built → signed,
//! and settlement (→ included → confirmed / failed). The SQL trigger `attempt_state_forward`
//! stays the last word on which moves are allowed; these functions only take the steps it
//! allows, in order.

use rusqlite::{params, Transaction};

use coldpay_shared::TxId;

use super::{at, now_ms, Journal};
use crate::error::Result;

/// The verified reference block and request an attempt is built against.
#[derive(Clone, Debug)]
pub struct BuiltAgainst<'a> {
    /// The request id the attempts go out under.
    pub request_id: &'a str,
    /// Height of the verified solidified reference block.
    pub ref_block_num: u64,
    /// Its blockID (hex).
    pub ref_block_id: String,
    /// Its timestamp (ms).
    pub ref_block_ts: u64,
    /// The Permission_id and permission claim (JSON) of a multi-signature build.
    pub permission: Option<(i32, String)>,
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
    /// The fee inputs (JSON) shown to the signer, if any.
    pub fee_inputs: Option<String>,
}

/// A settlement decided by a verified block.
#[derive(Clone, Debug)]
pub struct Settlement<'a> {
    /// Attempt row id.
    pub attempt: i64,
    /// Its state before settling.
    pub from_state: &'a str,
    /// The verified block holding the transaction.
    pub block: u64,
    /// The receipt JSON journaled beside it (node-reported).
    pub receipt: String,
    /// `None`: paid (confirmed); `Some(why)`: failed.
    pub failure: Option<String>,
}

impl Journal {
    /// Records newly built attempts (state `built`) in one SQL transaction; each attempt's
    /// verified scan starts at its reference block. Returns their row ids, in order.
    pub fn record_built(
        &self,
        against: &BuiltAgainst<'_>,
        attempts: &[NewAttempt],
    ) -> Result<Vec<i64>> {
        let what = || format!("record the attempts of request {}", against.request_id);
        let tx = self.conn.unchecked_transaction().map_err(at(what()))?;
        let mut ids = Vec::with_capacity(attempts.len());
        for a in attempts {
            ids.push(insert_built_in(&tx, against, a)?);
        }
        tx.commit().map_err(at(what()))?;
        Ok(ids)
    }

    /// Moves `built` attempts to `signed` with their signatures (hex), in one SQL transaction.
    pub fn record_signed(&self, signed: &[(i64, Vec<String>)]) -> Result<()> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(at("record signatures"))?;
        for (id, sigs) in signed {
            sign_in(&tx, *id, sigs)?;
        }
        tx.commit().map_err(at("record signatures"))
    }

    /// Settles attempts from their verified blocks, in one SQL transaction.
    pub fn record_settled(&self, settled: &[Settlement<'_>]) -> Result<()> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(at("record settlements"))?;
        for s in settled {
            settle_in(&tx, s)?;
        }
        tx.commit().map_err(at("record settlements"))
    }
}

/// A new `built` attempt inside the caller's SQL transaction (its verified scan starts at its
/// reference block); returns its row id.
pub fn insert_built_in(
    tx: &Transaction<'_>,
    against: &BuiltAgainst<'_>,
    a: &NewAttempt,
) -> Result<i64> {
    let (perm_id, claim) = against
        .permission
        .as_ref()
        .map_or((None, None), |(id, c)| (Some(*id), Some(c.as_str())));
    tx.execute(
        "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, fee_inputs, state, created_at, updated_at, ref_block_id, scanned_to, scanned_id, scanned_ts, permission_id, permission_claim) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'built', ?9, ?9, ?10, ?5, ?10, ?11, ?12, ?13)",
        params![
            a.payout_id,
            a.txid.to_hex(),
            hex::encode(&a.raw),
            a.expiration as i64,
            against.ref_block_num as i64,
            a.fee_limit as i64,
            against.request_id,
            a.fee_inputs,
            now_ms(),
            against.ref_block_id,
            against.ref_block_ts as i64,
            perm_id,
            claim
        ],
    )
    .map_err(at(format!("record the attempt of payout {}", a.payout_id)))?;
    Ok(tx.last_insert_rowid())
}

/// built → signed with its signatures (hex) inside the caller's SQL transaction (the trigger
/// refuses it from any state but `built`).
pub fn sign_in(tx: &Transaction<'_>, id: i64, sigs: &[String]) -> Result<()> {
    let js = serde_json::to_string(sigs).expect("json");
    tx.execute(
        "UPDATE attempts SET state = 'signed', signatures = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, js, now_ms()],
    )
    .map_err(at(format!("record the signatures of attempt {id}")))?;
    Ok(())
}

/// Settles one attempt inside the caller's SQL transaction, through the states the trigger
/// allows (built → signed → broadcast → included, then confirmed / failed).
pub fn settle_in(tx: &Transaction<'_>, s: &Settlement<'_>) -> Result<()> {
    let path: &[&str] = match s.from_state {
        "built" => &["signed", "broadcast", "included"],
        "signed" | "broadcast" => &["included"],
        _ => &[],
    };
    let what = || format!("settle attempt {}", s.attempt);
    for state in path {
        tx.execute(
            "UPDATE attempts SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![s.attempt, state, now_ms()],
        )
        .map_err(at(what()))?;
    }
    tx.execute(
        "UPDATE attempts SET state = ?2, block = ?3, receipt = ?4, reason = COALESCE(?5, reason), recheck = NULL, updated_at = ?6 WHERE id = ?1",
        params![
            s.attempt,
            if s.failure.is_some() { "failed" } else { "confirmed" },
            s.block as i64,
            s.receipt,
            s.failure,
            now_ms()
        ],
    )
    .map_err(at(what()))?;
    Ok(())
}

/// Where a verified, gap-free scan for an attempt got to, inside the caller's SQL
/// transaction: blocks (ref_block_num, `to`] are covered; `id` (hex) and `ts` (ms) are those of
/// block `to`.
pub fn record_scan_in(
    tx: &Transaction<'_>,
    attempt: i64,
    to: u64,
    id: Option<String>,
    ts: u64,
) -> Result<()> {
    tx.execute(
        "UPDATE attempts SET scanned_to = ?2, scanned_id = ?3, scanned_ts = ?4 WHERE id = ?1",
        params![attempt, to as i64, id, ts as i64],
    )
    .map_err(at(format!("record the scan of attempt {attempt}")))?;
    Ok(())
}

/// → expired with its evidence (JSON) and `reason`, inside the caller's SQL transaction; an
/// attempt already expired only gets the evidence.
pub fn expire_in(
    tx: &Transaction<'_>,
    attempt: i64,
    already_expired: bool,
    evidence: &str,
    reason: &str,
) -> Result<()> {
    let what = at(format!("record the expiry of attempt {attempt}"));
    if already_expired {
        tx.execute(
            "UPDATE attempts SET evidence = ?2 WHERE id = ?1",
            params![attempt, evidence],
        )
        .map_err(what)?;
    } else {
        tx.execute(
            "UPDATE attempts SET state = 'expired', evidence = ?2, reason = ?3, updated_at = ?4 WHERE id = ?1",
            params![attempt, evidence, reason, now_ms()],
        )
        .map_err(what)?;
    }
    Ok(())
}

impl Journal {
    /// The outcome of re-checking a `failed` attempt against its verified block, in one SQL
    /// transaction: `paid` (the block's contractRet `ret` is SUCCESS) moves it failed →
    /// confirmed with `ret` in its receipt; otherwise the mark is cleared and `reason` kept.
    pub fn record_recheck(&self, attempt: i64, ret: &str, paid: bool, reason: &str) -> Result<()> {
        let what = || format!("record the re-check of attempt {attempt}");
        let tx = self.conn.unchecked_transaction().map_err(at(what()))?;
        if paid {
            tx.execute(
                "UPDATE attempts SET state = 'confirmed', reason = NULL, recheck = NULL, receipt = json_set(COALESCE(receipt, '{}'), '$.result', ?2), updated_at = ?3 WHERE id = ?1",
                params![attempt, ret, now_ms()],
            )
            .map_err(at(what()))?;
        } else {
            tx.execute(
                "UPDATE attempts SET recheck = NULL, reason = ?2 WHERE id = ?1",
                params![attempt, reason],
            )
            .map_err(at(what()))?;
        }
        tx.commit().map_err(at(what()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::LockWait;

    fn journal_with_payout() -> (tempfile::TempDir, Journal) {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.sqlite"), "local", LockWait::NoWait).unwrap();
        j.conn
            .execute_batch(
                "INSERT INTO batches VALUES ('b', 'Tfrom', 'local', 0);
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'Tto', 'TRX', '5', NULL, 0);",
            )
            .unwrap();
        (d, j)
    }

    fn built(j: &Journal, txid_byte: u8) -> i64 {
        let against = BuiltAgainst {
            request_id: "req-1",
            ref_block_num: 7,
            ref_block_id: "00".repeat(32),
            ref_block_ts: 70,
            permission: None,
        };
        let txid = TxId::from_hex(&hex::encode([txid_byte; 32])).unwrap();
        j.record_built(
            &against,
            &[NewAttempt {
                payout_id: "p".into(),
                txid,
                raw: vec![1, 2],
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
            (a.state.as_str(), a.scanned_to, a.raw_hex.as_str()),
            ("built", Some(7), "0102")
        );
        // A second live attempt for the same payout is refused, and nothing of it is kept.
        let txid2 = TxId::from_hex(&hex::encode([2u8; 32])).unwrap();
        let against = BuiltAgainst {
            request_id: "req-2",
            ref_block_num: 8,
            ref_block_id: "00".repeat(32),
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
        assert!(j.attempt_by_txid(&txid2.to_hex()).unwrap().is_none());
        j.record_signed(&[(id, vec!["ab".into()])]).unwrap();
        let a = j.latest_attempt("p").unwrap().unwrap();
        assert_eq!(a.state, "signed");
        assert_eq!(a.signatures.as_deref(), Some("[\"ab\"]"));
        j.record_settled(&[Settlement {
            attempt: id,
            from_state: "signed",
            block: 12,
            receipt: "{\"fee\":3}".into(),
            failure: None,
        }])
        .unwrap();
        let a = j.latest_attempt("p").unwrap().unwrap();
        assert_eq!((a.state.as_str(), a.block), ("confirmed", Some(12)));
        // confirmed → failed is not a move the trigger allows.
        let e = j.record_settled(&[Settlement {
            attempt: id,
            from_state: "confirmed",
            block: 12,
            receipt: "{}".into(),
            failure: Some("REVERT".into()),
        }]);
        assert!(e.is_err());
        assert_eq!(j.latest_attempt("p").unwrap().unwrap().state, "confirmed");
    }
}
