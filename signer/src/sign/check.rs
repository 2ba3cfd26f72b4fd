//! Stage 2: the policy's and the ledger's verdicts on every transaction (replay of payout
//! ids, per-request and rolling 24 h limits).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use coldpay_shared::{Network, U256};

use super::decode::Decoded;
use super::SignArgs;
use crate::clock;
use crate::error::{Result, SignerError};
use crate::home::Home;
use crate::ledger::{Ledger, LedgerQuery, SignedPayout, SignedTx};
use crate::permission_record::AccountRecord;
use crate::policy::Policy;
use crate::review::{confirmation_code, PermissionView, RecordView, ReviewItem};
use coldpay_shared::permission::AccountPermissionUpdate;

/// How far past an earlier attempt's expiration the signer's clock must be before that payout
/// may be re-signed (60 s): a transaction is valid in blocks whose time is before its
/// expiration, and the signer's clock may be behind the chain's. See docs/runbook.md.
pub(super) const RESIGN_MARGIN_MS: u64 = 60_000;

/// Which earlier-signed payouts the operator knowingly re-signs (`--resign-expired`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Resign {
    /// These payout ids.
    Ids(Vec<String>),
    /// Every payout of the request (`--resign-expired all`).
    All,
}

impl Resign {
    /// From the repeated `--resign-expired` values: `all` among them means every payout.
    pub(super) fn from_args(values: &[String]) -> Resign {
        if values.iter().any(|v| v == "all") {
            Resign::All
        } else {
            Resign::Ids(values.to_vec())
        }
    }

    fn covers(&self, payout_id: &str) -> bool {
        match self {
            Resign::All => true,
            Resign::Ids(ids) => ids.iter().any(|x| x == payout_id),
        }
    }
}

/// A decoded input with verdicts: constructed only by [`check`].
pub(super) struct Checked<'a> {
    /// The decoded input; its items now carry their verdicts.
    decoded: Decoded<'a>,
    /// The ledger lines this run needs.
    ledger: Ledger,
    /// When the checks were made (ms).
    now: u64,
    /// For a permission update: this home's record of the account (not read for other
    /// inputs).
    record: AccountRecord,
}

/// Judges every transaction of `decoded` against `policy` and the home's ledger.
pub(super) fn check<'a>(
    mut decoded: Decoded<'a>,
    policy: &Policy,
    home: &Home,
    resign: &Resign,
    stale_record_ok: bool,
) -> Result<Checked<'a>> {
    let record = update_record(&decoded, home, stale_record_ok)?;
    let now = clock::now_ms();
    let day_ago = now.saturating_sub(86_400_000);
    let txs = &decoded.txs;
    let ledger = crate::records::open_ledger(
        home,
        &LedgerQuery {
            payout_ids: Some(txs.iter().filter_map(|t| t.payout_id).collect()),
            recipients: Some(
                txs.iter()
                    .filter_map(|t| t.names.as_ref().map(|n| &*n.to))
                    .collect(),
            ),
            since_ms: day_ago,
            txids: Some(txs.iter().map(|t| t.txid.to_hex()).collect()),
        },
    )?;
    per_transaction(&mut decoded.txs, policy, &ledger, resign, now);
    if let Some(claim) = decoded.claim {
        for t in &mut decoded.txs {
            t.reasons
                .extend(super::multisig::claim_reasons(claim, t.raw));
        }
    }
    limits(&mut decoded.txs, policy, &ledger, day_ago);
    Ok(Checked {
        decoded,
        ledger,
        now,
        record,
    })
}

/// For a permission update: this home's record of the account, refusing a
/// `permission_before` claim that contradicts it (unless `stale_ok`).
fn update_record(decoded: &Decoded<'_>, home: &Home, stale_ok: bool) -> Result<AccountRecord> {
    let Some(u) = decoded.txs.iter().find_map(ReviewItem::update) else {
        return Ok(AccountRecord::NotRead);
    };
    let record = crate::permission_record::recorded_permissions(home)?.remove(&u.owner_address);
    if let (Some(r), Some(before), false) = (&record, decoded.before, stale_ok) {
        if !crate::review::same_list(before, &r.permissions) {
            return Err(SignerError::Refused(format!(
                "the request's permission_before (the online machine's claim of {}'s permissions now) differs from this signer's record: the update of that account it signed at {} (audit line {}). Nothing signed. If that update never took effect (it expired unbroadcast) or the permissions were changed from another home, check the account on the chain and sign again with --permission-record-stale to see both",
                u.owner_address,
                crate::review::utc(r.time),
                r.seq
            )));
        }
    }
    Ok(record.map_or(AccountRecord::Unknown, AccountRecord::Known))
}

/// The policy's per-transaction verdicts, duplicates within the input, and replays.
fn per_transaction(
    txs: &mut [ReviewItem<'_>],
    policy: &Policy,
    ledger: &Ledger,
    resign: &Resign,
    now: u64,
) {
    let mut seen_txids = HashSet::new();
    let mut seen_payouts = HashSet::new();
    for t in txs {
        t.reasons = if t.is_permission_update() {
            policy.check_permission_update(t.raw, now)
        } else if let Some(s) = t.staking() {
            policy.check_staking(t.raw, s, now)
        } else {
            policy.check_tx(t.raw, now)
        };
        t.reasons.extend(super::multisig::prior_reasons(&t.prior));
        if !seen_txids.insert(t.txid) {
            t.reasons.push("the same transaction appears twice".into());
        }
        if let Some(prev) = ledger.find_txid(&t.txid.to_hex()) {
            if let Some(r) = txid_replay_reason(t.payout_id, prev, resign) {
                t.reasons.push(r);
            }
        }
        let Some(p) = t.payout_id else { continue };
        if !seen_payouts.insert(p) {
            t.reasons.push(format!("payout id {p} appears twice"));
        }
        if let Some(prev) = ledger.find_payout(p) {
            if let Some(r) = replay_reason(p, prev, resign.covers(p), now) {
                t.reasons.push(r);
            }
        }
    }
}

/// Why a transaction this home signed before (as `prev`) may not be signed again: a home
/// approves a txID once — with one key, under one payout id — so two of its keys never make
/// two approvals of one transaction, whatever the payout id the online side gives it. The one
/// exception is `--resign-expired` of the same payout id (then the payout's own expiry check
/// decides, and an expired transaction is refused by the policy anyway).
fn txid_replay_reason(payout_id: Option<&str>, prev: &SignedTx, resign: &Resign) -> Option<String> {
    let same_payout = payout_id.is_some_and(|p| p == prev.payout_id && resign.covers(p));
    if same_payout {
        return None;
    }
    let under = if prev.payout_id.is_empty() {
        String::new()
    } else {
        format!(" as payout {}", prev.payout_id)
    };
    Some(format!(
        "this transaction was already signed by this signer at {}{under}: a signer approves a transaction once, with one key, whatever payout id it comes under",
        crate::review::utc(prev.time)
    ))
}

/// Why payout `p`, signed before as `prev`, may not be signed again now (None: it may).
fn replay_reason(p: &str, prev: &SignedPayout, resign: bool, now: u64) -> Option<String> {
    let utc = crate::review::utc;
    if !resign {
        return Some(format!(
            "payout {p} was already signed at {} (txid {}); pass --resign-expired {p} (or all) once that transaction has expired",
            utc(prev.time),
            prev.txid
        ));
    }
    let allowed_from = prev.expiration.saturating_add(RESIGN_MARGIN_MS);
    if now >= allowed_from {
        return None;
    }
    let state = if prev.expiration >= now {
        "has not expired yet"
    } else {
        "expired less than the 60 s margin ago"
    };
    Some(format!(
        "payout {p}: the earlier transaction {} {state} (expires {}; re-signing is possible from {})",
        prev.txid,
        utc(prev.expiration),
        utc(allowed_from)
    ))
}

/// The rolling 24 h staking limit over the input (reported on its first staking transaction
/// that counts): what this home signed in the last 24 h plus this input.
fn staking_limit(txs: &mut [ReviewItem<'_>], policy: &Policy, ledger: &Ledger, day_ago: u64) {
    use crate::policy_staking::{trx, COUNTED_TYPES};
    let Some(s) = &policy.staking else { return };
    let counted = |t: &ReviewItem<'_>| {
        t.staking()
            .filter(|c| COUNTED_TYPES.contains(&c.type_name()))
            .map(coldpay_shared::staking::StakingContract::amount_sun)
    };
    let Some(first) = txs.iter().position(|t| counted(t).is_some()) else {
        return;
    };
    let total: u64 = txs.iter().filter_map(counted).fold(0, u64::saturating_add);
    let day: U256 = COUNTED_TYPES.iter().fold(U256::ZERO, |a, t| {
        a.saturating_add(ledger.signed_since(t, day_ago))
    });
    let day = u64::try_from(day).unwrap_or(u64::MAX);
    if day.saturating_add(total) > s.per_24h_sun {
        txs[first].reasons.push(format!(
            "{} staked, unstaked or delegated in the last 24 h plus this input's {} is over the staking 24 h limit {}",
            trx(day),
            trx(total),
            trx(s.per_24h_sun)
        ));
    }
}

/// Request-wide and rolling 24 h limits per asset (reported on the asset's first transaction).
fn limits(txs: &mut [ReviewItem<'_>], policy: &Policy, ledger: &Ledger, day_ago: u64) {
    staking_limit(txs, policy, ledger, day_ago);
    let mut totals: BTreeMap<Arc<str>, (U256, usize)> = BTreeMap::new();
    for (i, t) in txs.iter().enumerate() {
        if let (Some(intent), Some(names)) = (&t.intent, &t.names) {
            let e = totals.entry(names.token.clone()).or_insert((U256::ZERO, i));
            e.0 = e.0.saturating_add(intent.amount());
        }
    }
    for (token, (total, first)) in &totals {
        let Some(intent) = txs[*first].intent.clone() else {
            continue;
        };
        let Some((asset, limits)) = policy.asset_of(&intent) else {
            continue;
        };
        if *total > limits.per_request {
            txs[*first].reasons.push(format!(
                "request total {} is over the per-request limit {}",
                asset.format(*total),
                asset.format(limits.per_request)
            ));
        }
        let day = ledger.signed_since(token, day_ago);
        if day.saturating_add(*total) > limits.per_24h {
            txs[*first].reasons.push(format!(
                "{} signed in the last 24 h plus this request's {} is over the 24 h limit {}",
                asset.format(day),
                asset.format(*total),
                asset.format(limits.per_24h)
            ));
        }
    }
}

impl Checked<'_> {
    /// Number of transactions.
    pub(super) fn len(&self) -> usize {
        self.decoded.txs.len()
    }

    /// The request id shown and recorded.
    pub(super) fn request_id(&self) -> &str {
        &self.decoded.request_id
    }

    /// The input's digest (confirmation code, audit line).
    pub(super) fn digest(&self) -> &[u8; 32] {
        &self.decoded.digest
    }

    /// The ledger lines this run loaded (and appends to).
    pub(super) fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The reviewed transactions.
    pub(super) fn txs(&self) -> &[ReviewItem<'_>] {
        &self.decoded.txs
    }

    /// The confirmation code of this input.
    pub(super) fn code(&self) -> String {
        confirmation_code(&self.decoded.digest)
    }

    /// The permission update this input makes (then its only transaction), if any.
    pub(super) fn update(&self) -> Option<&AccountPermissionUpdate> {
        self.txs().iter().find_map(ReviewItem::update)
    }

    /// Prints the review (summary, confirmation code when it may be signed, listing);
    /// `keys` says which of this signer's keys approves and which it holds.
    pub(super) fn show(
        &self,
        policy: &Policy,
        network: Network,
        args: &SignArgs,
        keys: &super::signers::Keys,
    ) {
        let signable = !args.check_only && !args.yes && self.refused_count() == 0;
        let code = signable.then(|| self.code());
        let loaded = keys.loaded();
        let header = crate::review::Header {
            network,
            request_id: &self.decoded.request_id,
            code: code.as_deref(),
            details: args.details,
            permission: PermissionView {
                claim: self.decoded.claim,
                before: self.decoded.before,
                record: match &self.record {
                    AccountRecord::NotRead => RecordView::NotRead,
                    AccountRecord::Unknown => RecordView::Unknown,
                    AccountRecord::Known(r) => RecordView::Known(r),
                },
                details: args.details,
                approver: keys.approver(),
                loaded: (!args.check_only).then_some(loaded.as_slice()),
            },
            color: use_color(),
        };
        let text = crate::review::render(self.txs(), policy, &self.ledger, self.now, &header);
        eprint!("{text}");
    }

    pub(super) fn refused_count(&self) -> usize {
        self.txs().iter().filter(|t| !t.reasons.is_empty()).count()
    }

    /// Refuses the whole input when any transaction is refused, naming the first.
    pub(super) fn verdict(&self) -> Result<()> {
        let Some((i, t)) = self
            .txs()
            .iter()
            .enumerate()
            .find(|(_, t)| !t.reasons.is_empty())
        else {
            return Ok(());
        };
        Err(SignerError::Refused(format!(
            "{} of {} transaction(s) refused; nothing signed. First: #{} {}: {}",
            self.refused_count(),
            self.len(),
            i + 1,
            t.payout_id.map_or_else(|| t.txid.to_hex(), String::from),
            t.reasons[0]
        )))
    }
}

/// Colour on a terminal, unless NO_COLOR is set.
fn use_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
