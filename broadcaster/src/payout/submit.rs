//! `submit`: verify every signature against the expected signer and a built attempt's txID
//! (else nothing is broadcast), record the signatures, then broadcast the exact signed bytes.
//! A transaction built with a Permission_id takes approvals from several responses: each is
//! verified against the permission as the node reports it now and kept until the weight
//! reaches the threshold ([`crate::multisig::approvals`]).

use std::collections::HashMap;
use std::collections::HashSet;

use coldpay_shared::{SignResponse, Signature, SignedTransaction, TxId};

use crate::error::{BcError, Result};
use crate::journal::{Attempt, AttemptState, Journal};
use crate::multisig::approvals::{ApprovalNote, Incoming, LivePermissions};
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
    pub results: Vec<TxResult>,
    /// Approvals of multi-signature transactions, one per signature received (and per earlier
    /// approval that no longer counts).
    pub approvals: Vec<ApprovalNote>,
    /// Multi-signature transactions still below their threshold after this submit.
    pub awaiting_approval: usize,
    /// Of the accepted: transactions the node already had (sent by an earlier, interrupted
    /// run; harmless, one txID is included at most once).
    pub already_had: usize,
    /// Of the accepted: approved transactions from earlier responses that had not been seen
    /// accepted yet (an interrupted `submit`), sent now.
    pub resumed: usize,
    /// Of those sent from earlier responses: refused again. A refusal of a transaction approved
    /// in an earlier response was reported by that `submit`; it does not fail this one.
    pub refused_earlier: usize,
}

/// What `submit` did with one transaction (`results` of `submit --json`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum TxResult {
    /// Sent to the node: its answer.
    Sent {
        /// The payout.
        payout_id: String,
        /// Its txID.
        txid: TxId,
        /// The node's code (`SUCCESS`, `DUP_TRANSACTION_ERROR`, …; `NODE_ERROR` when the node
        /// could not be asked).
        code: String,
        /// The node's message.
        message: String,
        /// Set when the node already had it, or it was approved in an earlier response and
        /// refused again.
        note: Option<&'static str>,
    },
    /// Not sent: the attempt is already past this step.
    Skipped {
        /// The payout.
        payout_id: String,
        /// Its txID.
        txid: TxId,
        /// Its state in the journal.
        state: AttemptState,
        /// Why it was not sent.
        note: &'static str,
    },
}

/// What the responses carry, verified.
#[derive(Default)]
struct Verified {
    /// Single-signer attempts with their signatures.
    single: Vec<(Attempt, Vec<Signature>)>,
    /// Approvals of multi-signature attempts.
    approvals: Vec<Incoming>,
    /// Approvals for multi-signature attempts already signed, broadcast or settled.
    late: Vec<ApprovalNote>,
}

/// Verifies one signature of a multi-signature attempt, or notes it as late (the attempt is
/// past waiting for signatures: harmless, reported, not checked against the permission).
fn verify_approval(
    journal: &Journal,
    perms: &LivePermissions<'_>,
    a: &Attempt,
    id: i32,
    s: &coldpay_shared::handoff::SignerSignature,
    request_id: &str,
    out: &mut Verified,
) -> Result<()> {
    if a.state != AttemptState::Built {
        let who = s
            .signature
            .recover(&a.txid)
            .map_err(|e| BcError::Input(format!("payout {}: {e}", a.payout_id)))?;
        let (status, approval) = if a.state == AttemptState::Signed {
            (
                "complete",
                "the journaled approvals already reach the threshold; it is broadcast now".into(),
            )
        } else {
            ("late", format!("already {}", a.state))
        };
        out.late.push(ApprovalNote {
            payout_id: a.payout_id.clone(),
            txid: a.txid,
            signer: who.to_base58(),
            status,
            approval,
        });
        return Ok(());
    }
    let (signer, weight, permission) =
        crate::multisig::approvals::verify_one(journal, perms, a, id, &s.signer, &s.signature)?;
    out.approvals.push(Incoming {
        attempt: a.clone(),
        signer,
        signature: s.signature,
        weight,
        permission,
        request_id: request_id.to_string(),
    });
    Ok(())
}

/// Verifies the whole response first; errors leave the journal untouched.
fn verify(
    journal: &Journal,
    perms: &LivePermissions<'_>,
    resp: &SignResponse,
    out: &mut Verified,
) -> Result<()> {
    for t in &resp.transactions {
        let a = journal
            .attempt_by_txid(&t.txid)?
            .ok_or_else(|| BcError::Input(format!("payout {}: txid {} is not a transaction this broadcaster built; nothing was broadcast", t.payout_id, t.txid)))?;
        if a.payout_id != t.payout_id {
            return Err(BcError::Input(format!(
                "txid {} belongs to payout {}, not {}; nothing was broadcast",
                t.txid, a.payout_id, t.payout_id
            )));
        }
        if a.raw.txid() != t.txid {
            return Err(BcError::corrupt(
                format!("attempts row {}, column raw_hex", a.id),
                "the journaled transaction does not hash to its txid",
            ));
        }
        if t.signatures.is_empty() {
            return Err(BcError::Input(format!(
                "payout {}: no signature; nothing was broadcast",
                t.payout_id
            )));
        }
        if let Some(id) = a.permission_id {
            for s in &t.signatures {
                verify_approval(journal, perms, &a, id, s, &resp.request_id, out)?;
            }
            continue;
        }
        let p = journal.payout(&a.payout_id)?.ok_or_else(|| {
            BcError::corrupt(format!("attempts row {}", a.id), "its payout is missing")
        })?;
        let (expected, _) = journal.batch_from(&p.batch_id)?.ok_or_else(|| {
            BcError::corrupt(format!("payouts row {}", p.id), "its batch is missing")
        })?;
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
        out.single
            .push((a, t.signatures.iter().map(|s| s.signature).collect()));
    }
    Ok(())
}

/// Records the signers' audit heads (refusing one that went backwards), the signatures
/// (built → signed) and the approvals (an attempt whose weight reaches the threshold becomes
/// signed) in one SQL transaction before any broadcast.
fn record_signatures(
    journal: &Journal,
    responses: &[SignResponse],
    verified: &Verified,
    accept_new_log: &[String],
) -> Result<Vec<ApprovalNote>> {
    let tx = journal.write()?;
    for resp in responses {
        tx.check_audit_keys(
            &signer_keys(resp),
            resp.audit_head.as_ref(),
            &resp.request_id,
            accept_new_log,
        )?;
        if let Some(head) = &resp.audit_head {
            tx.record_audit_head(head, &resp.request_id, resp.signed_at)?;
        }
        if let Some(p) = &resp.policy {
            for note in tx.record_signer_policy(&signer_keys(resp), p, &resp.request_id)? {
                eprintln!("{note}");
            }
        }
    }
    let (notes, _) = crate::multisig::approvals::record(&tx, &verified.approvals)?;
    for (a, sigs) in &verified.single {
        if a.state == AttemptState::Built {
            tx.signed(a.id, sigs)?;
        }
    }
    tx.commit()?;
    Ok(notes)
}

/// The distinct signer keys of a response (base58), in first-seen order. Each was verified
/// against its signature before anything is recorded.
fn signer_keys(resp: &SignResponse) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for s in resp.transactions.iter().flat_map(|t| &t.signatures) {
        let k = s.signer.to_base58();
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

/// The signed bytes of each attempt to broadcast: single-signer attempts with the response's
/// signatures, multi-signature ones that reached their threshold with the journaled ones.
fn to_broadcast(
    journal: &Journal,
    verified: Verified,
    sum: &mut SubmitSummary,
) -> Result<(Vec<(Attempt, Vec<u8>)>, HashSet<i64>)> {
    let mut to_send = Vec::new();
    for (a, sigs) in verified.single {
        let current = journal.attempt_by_txid(&a.txid)?.ok_or_else(|| {
            BcError::corrupt(
                format!("attempts row {}", a.id),
                "it vanished while being submitted",
            )
        })?;
        if !matches!(
            current.state,
            AttemptState::Signed | AttemptState::Broadcast
        ) {
            sum.skipped += 1;
            sum.results.push(TxResult::Skipped {
                payout_id: a.payout_id.clone(),
                txid: a.txid,
                state: current.state,
                note: "not broadcast (already past this step)",
            });
            continue;
        }
        let signed = SignedTransaction {
            raw: a.raw.clone(),
            signatures: sigs,
        }
        .encode();
        to_send.push((current, signed));
    }
    let mut seen = std::collections::HashSet::new();
    for i in verified.approvals {
        if !seen.insert(i.attempt.id) {
            continue;
        }
        let current = journal.attempt_by_txid(&i.attempt.txid)?.ok_or_else(|| {
            BcError::corrupt(
                format!("attempts row {}", i.attempt.id),
                "it vanished while being submitted",
            )
        })?;
        match current.state {
            AttemptState::Built => sum.awaiting_approval += 1,
            AttemptState::Signed => {
                if let Some(bytes) = crate::payout::send::signed_bytes(&current) {
                    to_send.push((current, bytes));
                }
            }
            _ => {}
        }
    }
    let mut queued: HashSet<i64> = to_send.iter().map(|(a, _)| a.id).collect();
    let mut earlier = HashSet::new();
    for (a, bytes) in crate::payout::send::approved_unsent(journal)? {
        if queued.insert(a.id) {
            sum.resumed += 1;
            earlier.insert(a.id);
            to_send.push((a, bytes));
        }
    }
    Ok((to_send, earlier))
}

/// Runs `submit`: verify everything, check and record the signer's audit head (a key known
/// under a log must keep answering under it, with a head; `accept_new_log` names keys whose
/// new log the operator accepts), record signatures, then broadcast the exact signed bytes
/// of everything approved and not yet seen accepted (write-ahead, see [`crate::payout::send`])
/// with bounded concurrency. Refusals are journaled in their own column (a later expiry reason
/// never overwrites them) and counted; the caller exits non-zero when any were refused.
pub fn submit(
    journal: &Journal,
    node: &Node,
    responses: &[SignResponse],
    accept_new_log: &[String],
    progress: &indicatif::ProgressBar,
) -> Result<SubmitSummary> {
    let perms = LivePermissions::new(node);
    let mut verified = Verified::default();
    for resp in responses {
        verify(journal, &perms, resp, &mut verified)?;
    }
    let mut notes = record_signatures(journal, responses, &verified, accept_new_log)?;
    notes.append(&mut verified.late);
    let mut sum = SubmitSummary {
        approvals: notes,
        ..SubmitSummary::default()
    };
    let (to_send, earlier) = to_broadcast(journal, verified, &mut sum)?;
    progress.set_length(to_send.len() as u64);
    let sent = crate::payout::send::send(journal, node, &to_send, || progress.inc(1))?;
    progress.finish_and_clear();
    for s in sent {
        let from_earlier = earlier.contains(&s.attempt.id);
        record_sent(journal, &s, &mut sum, from_earlier)?;
    }
    Ok(sum)
}

fn record_sent(
    journal: &Journal,
    s: &crate::payout::send::Sent,
    sum: &mut SubmitSummary,
    from_earlier: bool,
) -> Result<()> {
    let a = &s.attempt;
    let outcome = crate::payout::send::record(journal, s)?;
    let (code, message) = match &s.result {
        Ok(r) => (r.code.clone(), r.message.clone()),
        Err(e) => ("NODE_ERROR".to_string(), e.to_string()),
    };
    let note = match outcome {
        crate::payout::send::Outcome::Accepted => {
            sum.accepted += 1;
            None
        }
        crate::payout::send::Outcome::AlreadyHad => {
            sum.accepted += 1;
            sum.already_had += 1;
            Some(
                "the node already had it (sent by an earlier run); it is on the chain at most once",
            )
        }
        crate::payout::send::Outcome::Refused(_) if from_earlier => {
            sum.refused_earlier += 1;
            Some(
                "refused again: approved in an earlier response, whose submit reported the refusal",
            )
        }
        crate::payout::send::Outcome::Refused(_) => {
            sum.refused += 1;
            None
        }
    };
    sum.results.push(TxResult::Sent {
        payout_id: a.payout_id.clone(),
        txid: a.txid,
        code,
        message,
        note,
    });
    Ok(())
}

/// The approval notes grouped per approver: one line per key, status and approval state with
/// the payouts it covers ("approval by treasury-b (T…) recorded for 30 payout(s): p1, p2, p3 …
/// p30 (weight 1 of 2, approved by T…)"); `names` gives the approver's wallet name where known.
pub fn approval_lines<S: std::hash::BuildHasher>(
    notes: &[ApprovalNote],
    names: &HashMap<String, String, S>,
) -> Vec<String> {
    let mut groups: Vec<((&str, &str, &str), Vec<&str>)> = Vec::new();
    for n in notes {
        let key = (n.signer.as_str(), n.status, n.approval.as_str());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ids)) => ids.push(&n.payout_id),
            None => groups.push((key, vec![&n.payout_id])),
        }
    }
    groups
        .into_iter()
        .map(|((signer, status, approval), ids)| {
            let who = names
                .get(signer)
                .map_or_else(|| signer.to_string(), |name| format!("{name} ({signer})"));
            let what = match status {
                "recorded" => "recorded",
                "duplicate" => "already recorded (a key counts once)",
                "complete" => "not needed",
                "late" => "arrived late (harmless, nothing to do)",
                _ => "recorded earlier no longer counts: the key was removed from the permission since",
            };
            format!(
                "approval by {who} {what} for {} payout(s): {} ({approval})",
                ids.len(),
                id_list(&ids)
            )
        })
        .collect()
}

/// "p1, p2, p3" or, beyond six, "p1, p2, p3 … p40".
fn id_list(ids: &[&str]) -> String {
    if ids.len() <= 6 {
        return ids.join(", ");
    }
    format!("{} … {}", ids[..3].join(", "), ids[ids.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(payout: &str, signer: &str, status: &'static str) -> ApprovalNote {
        ApprovalNote {
            payout_id: payout.into(),
            txid: crate::journal::fixtures::txid(&payout[1..]),
            signer: signer.into(),
            status,
            approval: "weight 1 of 2".into(),
        }
    }

    #[test]
    fn approval_notes_are_one_line_per_approver_with_its_home_name() {
        let mut notes: Vec<ApprovalNote> = (1..=40)
            .map(|n| note(&format!("p{n}"), "TB", "recorded"))
            .collect();
        notes.push(note("p1", "TC", "late"));
        let names = HashMap::from([("TB".to_string(), "treasury-b".to_string())]);
        let lines = approval_lines(&notes, &names);
        assert_eq!(
            lines,
            [
                "approval by treasury-b (TB) recorded for 40 payout(s): p1, p2, p3 … p40 (weight 1 of 2)",
                "approval by TC arrived late (harmless, nothing to do) for 1 payout(s): p1 (weight 1 of 2)",
            ]
        );
    }
}
