//! `submit`: verify every signature against the expected signer and a built attempt's txID
//! (else nothing is broadcast), record the signatures, then broadcast the exact signed bytes.

use coldpay_shared::{Address, RawData, SignResponse, Signature, SignedTransaction};

use crate::error::{BcError, Result};
use crate::journal::{Attempt, Journal};
use crate::node::Node;

/// Outcome counts.
#[derive(Debug, Default, serde::Serialize)]
pub struct SubmitSummary {
    /// Accepted by the node (or already known).
    pub accepted: usize,
    /// Refused by the node (reasons recorded; still live until expiry).
    pub refused: usize,
    /// Already included / final, skipped.
    pub skipped: usize,
    /// Per-transaction results.
    pub results: Vec<serde_json::Value>,
}

/// Verifies the whole response first; errors leave the journal untouched.
fn verify(journal: &Journal, resp: &SignResponse) -> Result<Vec<(Attempt, Vec<Signature>)>> {
    let mut out = Vec::new();
    for t in &resp.transactions {
        let a = journal
            .attempt_by_txid(&t.txid.to_hex())?
            .ok_or_else(|| BcError::Input(format!("payout {}: txid {} is not a transaction this broadcaster built; nothing was broadcast", t.payout_id, t.txid)))?;
        if a.payout_id != t.payout_id {
            return Err(BcError::Input(format!(
                "txid {} belongs to payout {}, not {}; nothing was broadcast",
                t.txid, a.payout_id, t.payout_id
            )));
        }
        let raw = RawData::decode_hex(&a.raw_hex)?;
        if raw.txid() != t.txid {
            return Err(BcError::Input(format!(
                "journal attempt {} does not hash to its txid",
                a.id
            )));
        }
        let p = journal.payout(&a.payout_id)?.expect("attempt has payout");
        let (from, _) = journal.batch_from(&p.batch_id)?.expect("batch");
        let expected = Address::parse(&from)?;
        if t.signatures.is_empty() {
            return Err(BcError::Input(format!(
                "payout {}: no signature; nothing was broadcast",
                t.payout_id
            )));
        }
        for s in &t.signatures {
            let who = s.signature.recover(&t.txid).map_err(|e| {
                BcError::Input(format!(
                    "payout {}: {e}; nothing was broadcast",
                    t.payout_id
                ))
            })?;
            if who != s.signer || who != expected {
                return Err(BcError::Input(format!(
                    "payout {}: signature recovers to {who}, expected {expected}; nothing was broadcast",
                    t.payout_id
                )));
            }
        }
        out.push((a, t.signatures.iter().map(|s| s.signature).collect()));
    }
    Ok(out)
}

/// Runs `submit`.
pub fn submit(
    journal: &Journal,
    node: &Node,
    resp: &SignResponse,
    progress: &indicatif::ProgressBar,
) -> Result<SubmitSummary> {
    let verified = verify(journal, resp)?;
    // Record signatures (built → signed) in one SQL transaction before any broadcast.
    {
        let tx = journal.conn.unchecked_transaction()?;
        for (a, sigs) in &verified {
            if a.state == "built" {
                let js =
                    serde_json::to_string(&sigs.iter().map(Signature::to_hex).collect::<Vec<_>>())
                        .expect("json");
                tx.execute("UPDATE attempts SET state = 'signed', signatures = ?2, updated_at = ?3 WHERE id = ?1", rusqlite::params![a.id, js, crate::journal::now_ms()])?;
            }
        }
        tx.commit()?;
    }
    let mut sum = SubmitSummary::default();
    progress.set_length(verified.len() as u64);
    for (a, sigs) in verified {
        progress.inc(1);
        let current = journal.attempt_by_txid(&a.txid)?.expect("exists");
        if !matches!(current.state.as_str(), "signed" | "broadcast") {
            sum.skipped += 1;
            sum.results.push(serde_json::json!({"payout_id": a.payout_id, "txid": a.txid, "state": current.state, "note": "not broadcast (already past this step)"}));
            continue;
        }
        let raw = RawData::decode_hex(&a.raw_hex)?;
        let signed = SignedTransaction {
            raw,
            signatures: sigs,
        }
        .encode();
        let r = node.broadcast_hex(&signed)?;
        if r.accepted {
            if current.state == "signed" {
                journal.set_state(current.id, "broadcast", None, None, None)?;
            }
            sum.accepted += 1;
        } else {
            journal.conn.execute(
                "UPDATE attempts SET reason = ?2, updated_at = ?3 WHERE id = ?1",
                rusqlite::params![
                    current.id,
                    format!("{}: {}", r.code, r.message),
                    crate::journal::now_ms()
                ],
            )?;
            sum.refused += 1;
        }
        sum.results.push(serde_json::json!({"payout_id": a.payout_id, "txid": a.txid, "code": r.code, "message": r.message}));
    }
    progress.finish_and_clear();
    Ok(sum)
}
