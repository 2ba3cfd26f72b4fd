//! Stages 4 and 5: signing an approved input and recording it. This is the one place that
//! writes the ledger and the `signed` audit line: both are prepared with the signing time
//! (the clock read here, after approval and unlocking, not the run's start), then written and
//! fsynced on one thread while the transactions are signed on the others. Nothing is released
//! before both are done.

use coldpay_shared::handoff::{AuditHead, SignerPolicy};
use coldpay_shared::{Address, Signature};
use serde::Serialize;

use super::approve::Approved;
use super::signers::Signers;
use super::{expiry, AuditCtx, AuditTx};
use crate::audit;
use crate::clock;
use crate::error::Result;
use crate::home::Home;
use crate::ledger::LedgerEntry;
use crate::policy::Policy;
use crate::review::ReviewItem;

/// An approved input with its signatures (input order), made only by [`sign_and_record`].
pub(super) struct Signed<'a> {
    /// The approved input.
    approved: Approved<'a>,
    /// (signer, signature) per transaction.
    sigs: Vec<(Address, Signature)>,
    /// Signing time (ms), as recorded.
    at: u64,
}

/// Signatures whose signing is in the ledger and the audit log (fsynced): only this may be
/// released.
pub(super) struct Recorded<'a> {
    /// What was signed.
    signed: Signed<'a>,
    /// The audit log's head after the `signed` line, for the sign response (set where the
    /// line is committed, below).
    audit_head: Option<AuditHead>,
    /// The sealed policy signed under (sequence, digest), for the sign response.
    policy: SignerPolicy,
}

impl Recorded<'_> {
    /// The sealed policy this signing ran under.
    pub(super) fn policy(&self) -> &SignerPolicy {
        &self.policy
    }

    /// The reviewed transactions, in input order.
    pub(super) fn txs(&self) -> &[ReviewItem<'_>] {
        self.signed.approved.checked().txs()
    }

    /// (signer, signature) per transaction, in input order.
    pub(super) fn sigs(&self) -> &[(Address, Signature)] {
        &self.signed.sigs
    }

    /// The signing time recorded (ms).
    pub(super) fn signed_at(&self) -> u64 {
        self.signed.at
    }

    /// The audit head after the `signed` line, when known.
    pub(super) fn audit_head(&self) -> Option<&AuditHead> {
        self.audit_head.as_ref()
    }
}

/// The audit line of a signing (keys in sorted order: see [`audit::prepare_with`]).
#[derive(Serialize)]
struct SignedLine<'a> {
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
    ledger: &'a crate::ledger::LedgerHead,
    network: &'static str,
    /// For a permission update: what it sets, this home's record of the account's
    /// permissions (see [`crate::permission_record`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    permission_after: Option<crate::permission_record::PermissionAfter>,
    policy_digest: &'a str,
    policy_seq: u64,
    prev: String,
    request_digest: &'a str,
    request_id: &'a str,
    seq: u64,
    time: u64,
    transactions: &'a [AuditTx],
    verdict: &'static str,
}

/// Re-reads the clock (refusing any transaction expired since approval), then signs and
/// records concurrently.
pub(super) fn sign_and_record<'a>(
    approved: Approved<'a>,
    signers: &Signers,
    home: &Home,
    policy: &Policy,
    ctx: &AuditCtx,
) -> Result<Recorded<'a>> {
    let at = clock::now_ms();
    let checked = approved.checked();
    expiry::refuse_expired(
        checked.txs(),
        at,
        "while the wallet was unlocked",
        "nothing signed; ask for fresh transactions",
    )?;
    // The records as loaded for the checks are what the last authenticated audit line vouches
    // for (a file-access attacker cannot have reset them), or nothing is signed.
    let key = signers.records_key();
    crate::records::authenticate(home, key, checked.ledger().head())?;
    // The sealed policy checked before the review is the one the records know (not a
    // sealed file rolled back or copied in).
    let policy_digest = hex::encode(policy.digest);
    let policy_seq = ctx.policy_seq.ok_or_else(|| {
        crate::error::SignerError::Refused("no sealed policy: nothing is signed".into())
    })?;
    crate::sealed::check_recorded(home, key, policy_seq, &policy_digest)?;
    let ledger_lines = checked
        .ledger()
        .encode(&ledger_entries(&approved, at), Some(key));
    let request_digest = hex::encode(checked.digest());
    let new_head = ledger_lines.head();
    let audit_line =
        audit::prepare_with_auth(&home.audit_path(), key, new_head, |seq, prev, hash| {
            SignedLine {
                event: "sign",
                hash,
                ledger: ledger_lines.head(),
                network: home.network.as_str(),
                permission_after: checked
                    .update()
                    .map(crate::permission_record::PermissionAfter::of),
                policy_digest: &policy_digest,
                policy_seq,
                prev,
                request_digest: &request_digest,
                request_id: checked.request_id(),
                seq,
                time: at,
                transactions: &ctx.txs,
                verdict: "signed",
            }
        })?;
    let audit_head = audit_line.head();
    let (sigs, recorded) = std::thread::scope(|s| {
        let rec = s.spawn(|| -> Result<()> {
            checked.ledger().append_encoded(&ledger_lines)?;
            audit_line.commit(&home.audit_path())
        });
        let sigs = signers.sign(&approved);
        (sigs, rec.join().expect("record thread panicked"))
    });
    recorded?;
    Ok(Recorded {
        signed: Signed { approved, sigs, at },
        audit_head: Some(audit_head),
        policy: SignerPolicy {
            seq: policy_seq,
            digest: policy_digest,
        },
    })
}

/// One ledger line per transaction, stamped with the signing time (a permission update is
/// recorded under its contract type with amount 0 and no recipient).
fn ledger_entries(approved: &Approved<'_>, at: u64) -> Vec<LedgerEntry> {
    let checked = approved.checked();
    checked
        .txs()
        .iter()
        .map(|t| {
            // A permission update moves no value: its contract type, no recipient, 0.
            let (token, to, amount) = match (&t.intent, &t.names) {
                (Some(i), Some(n)) => (
                    n.token.to_string(),
                    n.to.to_string(),
                    i.amount().to_string(),
                ),
                _ if t.staking().is_some() => {
                    // Staking moves TRX between free and staked (or lends its resource):
                    // recorded under its contract type, with its receiver and amount in sun.
                    let s = t.staking().expect("checked");
                    (
                        s.type_name().to_string(),
                        s.receiver().map(|r| r.to_base58()).unwrap_or_default(),
                        s.amount_sun().to_string(),
                    )
                }
                _ => {
                    assert!(
                        t.is_permission_update(),
                        "allowed transactions are payouts, staking or permission updates"
                    );
                    (
                        super::multisig::UPDATE_LEDGER_TOKEN.to_string(),
                        String::new(),
                        "0".to_string(),
                    )
                }
            };
            LedgerEntry {
                time: at,
                request_id: checked.request_id().to_string(),
                payout_id: t.payout_id.unwrap_or("").to_string(),
                txid: t.txid.to_hex(),
                token,
                to,
                amount,
                expiration: t.raw.expiration,
            }
        })
        .collect()
}
