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
    /// Refused by the node or not broadcast (reasons recorded; still live until expiry).
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

/// One broadcast's outcome.
struct Sent {
    attempt: Attempt,
    result: Result<crate::node::BroadcastResult>,
}

/// Records the signer's audit head (refusing one that went backwards) and the signatures
/// (built → signed) in one SQL transaction before any broadcast.
fn record_signatures(
    journal: &Journal,
    resp: &SignResponse,
    verified: &[(Attempt, Vec<Signature>)],
) -> Result<()> {
    let tx = journal.conn.unchecked_transaction()?;
    if let Some(head) = &resp.audit_head {
        crate::audit_head::check_and_record(&tx, head, &resp.request_id, resp.signed_at)?;
    }
    for (a, sigs) in verified {
        if a.state == "built" {
            let js = serde_json::to_string(&sigs.iter().map(Signature::to_hex).collect::<Vec<_>>())
                .expect("json");
            tx.execute("UPDATE attempts SET state = 'signed', signatures = ?2, updated_at = ?3 WHERE id = ?1", rusqlite::params![a.id, js, crate::journal::now_ms()])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Runs `submit`: verify everything, check and record the signer's audit head, record
/// signatures, then broadcast the exact signed bytes
/// with bounded concurrency. Refusals are journaled in their own column (a later expiry reason
/// never overwrites them) and counted; the caller exits non-zero when any were refused.
pub fn submit(
    journal: &Journal,
    node: &Node,
    resp: &SignResponse,
    progress: &indicatif::ProgressBar,
) -> Result<SubmitSummary> {
    let verified = verify(journal, resp)?;
    record_signatures(journal, resp, &verified)?;
    let mut sum = SubmitSummary::default();
    let mut to_send = Vec::new();
    for (a, sigs) in verified {
        let current = journal
            .attempt_by_txid(&a.txid)?
            .ok_or_else(|| BcError::Input(format!("attempt {} vanished", a.txid)))?;
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
        to_send.push((current, signed));
    }
    progress.set_length(to_send.len() as u64);
    let sent: Vec<Sent> = node.par_map(&to_send, |(a, signed)| {
        let txid = coldpay_shared::TxId::from_hex(&a.txid);
        let result = txid
            .map_err(BcError::from)
            .and_then(|t| node.broadcast_hex(signed, &t));
        progress.inc(1);
        Sent {
            attempt: a.clone(),
            result,
        }
    });
    progress.finish_and_clear();
    for s in sent {
        record_sent(journal, s, &mut sum)?;
    }
    Ok(sum)
}

fn record_sent(journal: &Journal, s: Sent, sum: &mut SubmitSummary) -> Result<()> {
    let a = s.attempt;
    match s.result {
        Ok(r) if r.accepted => {
            if a.state == "signed" {
                journal.set_state(a.id, "broadcast", None, None, None)?;
            }
            sum.accepted += 1;
            sum.results.push(serde_json::json!({"payout_id": a.payout_id, "txid": a.txid, "code": r.code, "message": r.message}));
        }
        Ok(r) => {
            let refusal = if r.message.is_empty() {
                r.code.clone()
            } else {
                format!("{}: {}", r.code, r.message)
            };
            journal.set_refusal(a.id, &refusal)?;
            sum.refused += 1;
            sum.results.push(serde_json::json!({"payout_id": a.payout_id, "txid": a.txid, "code": r.code, "message": r.message}));
        }
        Err(e) => {
            let refusal = format!("not broadcast: {e}");
            journal.set_refusal(a.id, &refusal)?;
            sum.refused += 1;
            sum.results.push(serde_json::json!({"payout_id": a.payout_id, "txid": a.txid, "code": "NODE_ERROR", "message": e.to_string()}));
        }
    }
    Ok(())
}
