//! Broadcasting approved attempts, write-ahead: the journal records that a broadcast is under
//! way (`sending_at`) before the signed bytes leave, so a run killed mid-way leaves every
//! attempt it may have sent counted as "possibly sent", and a later `submit` or `track` sends
//! every approved attempt the verified chain does not show yet (the same signed bytes: one
//! txID is included at most once, and a node that already has it answers DUP).

use crate::error::Result;
use crate::journal::{Attempt, AttemptState, Journal};
use crate::node::{BroadcastResult, Node};

/// One broadcast's outcome.
pub struct Sent {
    /// The attempt as it was before the broadcast.
    pub attempt: Attempt,
    /// The node's answer.
    pub result: Result<BroadcastResult>,
}

/// How a broadcast ended, as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted now.
    Accepted,
    /// The node already had the transaction (sent by an earlier, interrupted run).
    AlreadyHad,
    /// Refused or not sent; the refusal text.
    Refused(String),
}

/// Every attempt whose signatures are complete (single signer, or the journaled approvals of a
/// multi-signature attempt reached the threshold) and that was never seen accepted by a node:
/// state `signed`. These are sent by `submit` and `track` until they settle.
pub fn approved_unsent(journal: &Journal) -> Result<Vec<(Attempt, Vec<u8>)>> {
    Ok(journal
        .signed_attempts()?
        .into_iter()
        .filter_map(|a| signed_bytes(&a).map(|b| (a, b)))
        .collect())
}

/// Marks `items` as being sent (one SQL transaction), then broadcasts them with bounded
/// concurrency; `each` runs after every broadcast (progress).
pub fn send(
    journal: &Journal,
    node: &Node,
    items: &[(Attempt, Vec<u8>)],
    each: impl Fn() + Sync,
) -> Result<Vec<Sent>> {
    let ids: Vec<i64> = items.iter().map(|(a, _)| a.id).collect();
    journal.mark_sending(&ids)?;
    Ok(node.par_map(items, |(a, bytes)| {
        let result = node.broadcast_hex(bytes, &a.txid);
        each();
        Sent {
            attempt: a.clone(),
            result,
        }
    }))
}

/// Journals one outcome: an accepted `signed` attempt becomes `broadcast` (a `broadcast` one
/// has its send time renewed); a refusal is kept in its own column.
pub fn record(journal: &Journal, s: &Sent) -> Result<Outcome> {
    let a = &s.attempt;
    let outcome = match &s.result {
        Ok(r) if r.accepted => {
            if a.state == AttemptState::Signed {
                journal.record_broadcast(a.id)?;
            } else {
                journal.touch_attempt(a.id)?;
            }
            if r.code == "DUP_TRANSACTION_ERROR" {
                Outcome::AlreadyHad
            } else {
                Outcome::Accepted
            }
        }
        Ok(r) if r.message.is_empty() => Outcome::Refused(r.code.clone()),
        Ok(r) => Outcome::Refused(format!("{}: {}", r.code, r.message)),
        Err(e) => Outcome::Refused(format!("not broadcast: {e}")),
    };
    if let Outcome::Refused(why) = &outcome {
        journal.set_refusal(a.id, why)?;
    }
    Ok(outcome)
}

/// The signed transaction of an attempt, from its journaled transaction and signatures
/// (`None` while it has no signatures).
pub(crate) fn signed_bytes(a: &Attempt) -> Option<Vec<u8>> {
    let signatures = a.signatures.clone()?;
    Some(
        coldpay_shared::SignedTransaction {
            raw: a.raw.clone(),
            signatures,
        }
        .encode(),
    )
}
