//! Partial approvals of multi-signature transactions (issue #14): each approver's signature
//! is verified against the permission as the node reports it *now* (never the request's
//! claim), kept in the journal's `approvals` table while the attempt waits for signatures, and
//! the attempt moves to `signed` with every counted signature once their weight reaches the
//! threshold.

use std::cell::RefCell;
use std::collections::HashMap;

use coldpay_shared::permission::{approval_weight, Permission, PermissionClaim};
use coldpay_shared::{Address, Signature, TxId};
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::journal::approval_rows::{NewApproval, RecordedApproval};
use crate::journal::{ApprovalRow, Attempt, AttemptState, Journal, JournalTx};
use crate::node::Node;

/// Permissions read from the node during one command, once per (account, id).
pub struct LivePermissions<'a> {
    node: &'a Node,
    cache: RefCell<HashMap<(Address, i32), Permission>>,
}

impl<'a> LivePermissions<'a> {
    /// An empty cache over `node`.
    pub fn new(node: &'a Node) -> Self {
        LivePermissions {
            node,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The permission `id` of `account` as the node reports it now.
    pub fn get(&self, account: &Address, id: i32) -> Result<Permission> {
        if let Some(p) = self.cache.borrow().get(&(*account, id)) {
            return Ok(p.clone());
        }
        let all = crate::multisig::permissions::read(self.node, account)?;
        let p = all.by_id(id)?.clone();
        self.cache.borrow_mut().insert((*account, id), p.clone());
        Ok(p)
    }
}

/// One signature of a response for a multi-signature attempt, verified.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// The attempt (as read before recording).
    pub attempt: Attempt,
    /// Who signed (recovered).
    pub signer: Address,
    /// The signature.
    pub signature: Signature,
    /// The signer's weight in the permission now.
    pub weight: i64,
    /// The permission now.
    pub permission: Permission,
    /// The response it came in.
    pub request_id: String,
}

/// What became of one approval, for the operator.
#[derive(Clone, Debug, Serialize)]
pub struct ApprovalNote {
    /// Payout.
    pub payout_id: String,
    /// txID.
    pub txid: TxId,
    /// Approver.
    pub signer: String,
    /// `recorded`, `duplicate` (this key already approved), `late` (the transaction was
    /// already signed, broadcast or settled: nothing to do) or `dropped` (an approval
    /// recorded earlier whose key no longer carries weight).
    pub status: &'static str,
    /// "weight 1 of 2, approved by T…" after this approval ("already confirmed" for late ones).
    pub approval: String,
}

/// Verifies one signature for attempt `a` (built with Permission_id `id`) against the
/// permission the node reports now: the signer must recover to itself and hold weight in
/// the permission, and the permission must still allow the contract type.
pub fn verify_one(
    journal: &Journal,
    perms: &LivePermissions<'_>,
    a: &Attempt,
    id: i32,
    claimed: &Address,
    sig: &Signature,
) -> Result<(Address, i64, Permission)> {
    let who = sig.recover(&a.txid).map_err(|e| {
        BcError::Input(format!("payout {}: {e}; nothing was recorded", a.payout_id))
    })?;
    if &who != claimed {
        return Err(BcError::Input(format!(
            "payout {}: the signature recovers to {who}, but the response names {claimed}; nothing was recorded",
            a.payout_id
        )));
    }
    let raw = &a.raw;
    let perm = perms.get(&raw.owner(), id)?;
    let ty = raw.contract.kind.type_number() as i32;
    if !perm.allows(ty) {
        return Err(BcError::Approver(format!(
            "payout {}: permission {} of {} no longer allows {} (as the node reports it now); nothing was recorded",
            a.payout_id,
            perm.label(),
            raw.owner(),
            raw.contract.kind.type_name()
        )));
    }
    let Some(weight) = perm.key_weight(&who) else {
        let was = journal
            .permission_claim(a.id)?
            .and_then(|c| c.key_weight(&who));
        return Err(BcError::Approver(match was {
            Some(w) => format!(
                "payout {}: key {who} had weight {w} in permission {} when the transaction was built, but the node reports it removed since: its approval cannot count; nothing was recorded",
                a.payout_id,
                perm.label()
            ),
            None => format!(
                "payout {}: {who} is not a key of permission {} of {} (as the node reports it now); nothing was recorded",
                a.payout_id,
                perm.label(),
                raw.owner()
            ),
        }));
    };
    Ok((who, weight, perm))
}

/// Records verified approvals inside the caller's SQL transaction and moves every attempt
/// whose counted weight reaches the threshold to `signed` with all counted signatures. Returns
/// one note per approval (and per earlier approval that no longer counts) and the attempts
/// that became signed.
pub fn record(tx: &JournalTx<'_>, incoming: &[Incoming]) -> Result<(Vec<ApprovalNote>, Vec<i64>)> {
    let mut notes = Vec::new();
    let mut touched: Vec<(Attempt, Permission)> = Vec::new();
    for i in incoming {
        let mut note = ApprovalNote {
            payout_id: i.attempt.payout_id.clone(),
            txid: i.attempt.txid,
            signer: i.signer.to_base58(),
            status: "recorded",
            approval: String::new(),
        };
        let state = tx.attempt_state(i.attempt.id)?;
        if state != AttemptState::Built {
            note.status = "late";
            note.approval = format!("already {state}");
            notes.push(note);
            continue;
        }
        let done = tx.approvals_of(i.attempt.id)?;
        if done.iter().any(|r| r.signer == i.signer) {
            note.status = "duplicate";
        } else {
            tx.approved(&NewApproval {
                attempt: i.attempt.id,
                payout_id: &i.attempt.payout_id,
                signer: i.signer,
                weight: i.weight,
                threshold: i.permission.threshold,
                signature: i.signature,
                request_id: &i.request_id,
            })?;
        }
        notes.push(note);
        if !touched.iter().any(|(a, _)| a.id == i.attempt.id) {
            touched.push((i.attempt.clone(), i.permission.clone()));
        }
    }
    let mut signed = Vec::new();
    for (a, perm) in &touched {
        let (summary, dropped, enough) = tally(tx, a, perm)?;
        for d in dropped {
            notes.push(ApprovalNote {
                payout_id: a.payout_id.clone(),
                txid: a.txid,
                signer: d.to_base58(),
                status: "dropped",
                approval: summary.clone(),
            });
        }
        for n in notes
            .iter_mut()
            .filter(|n| n.txid == a.txid && n.status != "late")
        {
            n.approval.clone_from(&summary);
        }
        if let Some(sigs) = enough {
            tx.signed(a.id, &sigs)?;
            signed.push(a.id);
        }
    }
    Ok((notes, signed))
}

/// Counts an attempt's recorded approvals against the permission now: keys removed since are
/// left out (and returned); the signatures to broadcast when the threshold is reached.
type Tally = (String, Vec<Address>, Option<Vec<Signature>>);

fn tally(tx: &JournalTx<'_>, a: &Attempt, perm: &Permission) -> Result<Tally> {
    let all = tx.approvals_of(a.id)?;
    let (kept, dropped): (Vec<RecordedApproval>, Vec<_>) = all
        .into_iter()
        .partition(|r| perm.key_weight(&r.signer).is_some());
    let sigs: Vec<Signature> = kept.iter().map(|r| r.signature).collect();
    let approval = approval_weight(&a.txid, &sigs, perm)?;
    let summary = approval.summary();
    let dropped = dropped.into_iter().map(|r| r.signer).collect();
    Ok((summary, dropped, approval.is_enough().then_some(sigs)))
}

/// How far an attempt's approvals got, from the journal alone (for `status` and `report`):
/// the weights and threshold recorded when each approval was verified.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Progress {
    /// Sum of recorded weights.
    pub weight: i64,
    /// Threshold (as the node reported it at the latest approval; the claim's before any).
    pub threshold: i64,
    /// Approvers, in the order their approvals arrived.
    pub approved_by: Vec<String>,
}

impl Progress {
    /// "weight 1 of 2, approved by T…".
    pub fn text(&self) -> String {
        if self.approved_by.is_empty() {
            format!("weight 0 of {}, no approval yet", self.threshold)
        } else {
            format!(
                "weight {} of {}, approved by {}",
                self.weight,
                self.threshold,
                self.approved_by.join(", ")
            )
        }
    }
}

/// The approval progress of a multi-signature attempt (`None` for single-signer ones).
pub fn progress(journal: &Journal, a: &Attempt) -> Result<Option<Progress>> {
    if a.permission_id.is_none() {
        return Ok(None);
    }
    let rows = journal.approvals_of(a.id)?;
    let threshold = match rows.last() {
        Some(r) => r.threshold,
        None => journal.permission_claim(a.id)?.map_or(0, |c| c.threshold),
    };
    Ok(Some(Progress {
        weight: rows.iter().map(|r| r.weight).sum(),
        threshold,
        approved_by: rows.iter().map(|r| r.signer.to_base58()).collect(),
    }))
}

impl Progress {
    /// The progress of a multi-signature attempt from its approvals as the journal recorded
    /// them (oldest first) and the permission claim (JSON) its request carried.
    pub fn from_recorded(rows: &[ApprovalRow], claim: Option<&PermissionClaim>) -> Progress {
        let threshold = match rows.last() {
            Some(r) => r.threshold,
            None => claim.map_or(0, |c| c.threshold),
        };
        Progress {
            weight: rows.iter().map(|r| r.weight).sum(),
            threshold,
            approved_by: rows.iter().map(|r| r.signer.to_base58()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::{Operations, PermissionKey, PermissionKind};
    use coldpay_shared::{RawData, RefBlock, Sun};
    use k256::ecdsa::SigningKey;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_slice(&[n; 32]).unwrap()
    }

    fn addr(k: &SigningKey) -> Address {
        Address::from_public_key(k.verifying_key())
    }

    fn payouts(keys: &[&SigningKey]) -> Permission {
        Permission {
            kind: PermissionKind::Active,
            id: 2,
            name: "payouts".into(),
            threshold: 2,
            parent_id: 0,
            operations: Some(Operations::from_names(&["trx"]).unwrap()),
            keys: keys
                .iter()
                .map(|k| PermissionKey {
                    address: addr(k),
                    weight: 1,
                })
                .collect(),
        }
    }

    /// A journal with one TRX payout built under permission 2: (dir, journal, attempt).
    fn built() -> (tempfile::TempDir, Journal, Attempt) {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            crate::journal::lock::LockWait::NoWait,
        )
        .unwrap();
        let mut raw = RawData::trx_transfer(
            addr(&key(7)),
            addr(&key(8)),
            Sun::new(5).unwrap(),
            RefBlock::from_block_id(&[3; 32]),
            10_000,
            1,
        );
        raw.contract.permission_id = 2;
        use crate::journal::fixtures::execute;
        execute(
            &j,
            "INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0)",
            [],
        );
        execute(&j, "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0)", []);
        execute(
                &j,
                "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at, permission_id) VALUES ('p', ?1, ?2, 1, 1, 0, 'r', 'built', 0, 0, 2)",
                rusqlite::params![raw.txid().to_hex(), hex::encode(raw.encode())],
            );
        let a = j.attempt_by_txid(&raw.txid()).unwrap().unwrap();
        (d, j, a)
    }

    fn incoming(a: &Attempt, k: &SigningKey, perm: &Permission) -> Incoming {
        let txid = a.txid;
        Incoming {
            attempt: a.clone(),
            signer: addr(k),
            signature: Signature::sign_txid(k, &txid).unwrap(),
            weight: perm.key_weight(&addr(k)).unwrap_or(0),
            permission: perm.clone(),
            request_id: "r".into(),
        }
    }

    fn record_now(j: &Journal, inc: &[Incoming]) -> (Vec<ApprovalNote>, Vec<i64>) {
        let tx = j.write().unwrap();
        let out = record(&tx, inc).unwrap();
        tx.commit().unwrap();
        out
    }

    #[test]
    fn approvals_count_once_and_sign_at_the_threshold() {
        let (_d, j, a) = built();
        let (k1, k2, k3) = (key(11), key(12), key(13));
        let perm = payouts(&[&k1, &k2, &k3]);
        let (notes, signed) = record_now(&j, &[incoming(&a, &k1, &perm)]);
        assert!(signed.is_empty());
        assert_eq!(notes[0].status, "recorded");
        assert_eq!(
            notes[0].approval,
            format!("weight 1 of 2, approved by {}", addr(&k1))
        );
        let p = progress(&j, &j.attempt_by_txid(&a.txid).unwrap().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!((p.weight, p.threshold), (1, 2));
        // The same key again, even in the same submit, counts once.
        let (notes, signed) = record_now(&j, &[incoming(&a, &k1, &perm), incoming(&a, &k1, &perm)]);
        assert!(signed.is_empty());
        assert!(notes.iter().all(|n| n.status == "duplicate"));
        assert_eq!(j.attempt_by_txid(&a.txid).unwrap().unwrap().state, "built");
        // The second key reaches the threshold: signed with both signatures.
        let (_, signed) = record_now(&j, &[incoming(&a, &k2, &perm)]);
        assert_eq!(signed, vec![a.id]);
        let now = j.attempt_by_txid(&a.txid).unwrap().unwrap();
        assert_eq!(now.state, "signed");
        assert_eq!(now.signatures.unwrap().len(), 2);
        // A third approval after that is late and recorded nowhere.
        let (notes, signed) = record_now(&j, &[incoming(&a, &k3, &perm)]);
        assert!(signed.is_empty());
        assert_eq!(notes[0].status, "late");
        assert_eq!(j.approvals_of(a.id).unwrap().len(), 2);
    }

    #[test]
    fn approvals_of_removed_keys_stop_counting() {
        let (_d, j, a) = built();
        let (k1, k2, k3) = (key(11), key(12), key(13));
        record_now(&j, &[incoming(&a, &k1, &payouts(&[&k1, &k2, &k3]))]);
        // k1 was removed since: its earlier approval is dropped, k2 alone is below 2.
        let now = payouts(&[&k2, &k3]);
        let (notes, signed) = record_now(&j, &[incoming(&a, &k2, &now)]);
        assert!(signed.is_empty());
        let dropped: Vec<_> = notes.iter().filter(|n| n.status == "dropped").collect();
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].signer, addr(&k1).to_base58());
        assert_eq!(
            dropped[0].approval,
            format!("weight 1 of 2, approved by {}", addr(&k2))
        );
        let (_, signed) = record_now(&j, &[incoming(&a, &k3, &now)]);
        assert_eq!(signed, vec![a.id]);
    }
}
