//! The review screen: everything shown is derived from the decoded bytes, the signer's own
//! registry and policy, and its ledger. Broadcaster-supplied fee inputs are labelled as claims.
//!
//! Order: network and request id, then the summary (counts, totals per token in token units,
//! worst-case TRX burn, recipients, possible duplicates, verdicts, and the confirmation code),
//! then the per-transaction listing — in full only for small inputs or with `--details`;
//! otherwise only refused transactions are listed.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

mod permission;
mod staking;
mod update;
mod verdict;

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::burn::{Burn, Signatures};
use coldpay_shared::contract::ContractKind;
use coldpay_shared::handoff::FeeInputs;
use coldpay_shared::permission::AccountPermissionUpdate;
use coldpay_shared::staking::StakingContract;
use coldpay_shared::text::escape;
use coldpay_shared::{Address, Intent, Network, RawData, TxId, U256};

use crate::ledger::Ledger;
use crate::policy::Policy;

/// Inputs of at most this many transactions are listed in full without `--details`.
pub const LIST_LIMIT: usize = 20;

/// One transaction as reviewed.
pub struct ReviewItem<'a> {
    /// Payout id (sign requests only).
    pub payout_id: Option<&'a str>,
    /// Decoded raw_data.
    pub raw: &'a RawData,
    /// txID.
    pub txid: TxId,
    /// Intent, when it decodes as a payout.
    pub intent: Option<Intent>,
    /// Broadcaster fee inputs (a claim).
    pub fee: Option<FeeInputs>,
    /// Base58 forms of its addresses, when it decodes as a payout.
    pub names: Option<TxNames>,
    /// Policy verdict: reasons for refusal (empty = allowed).
    pub reasons: Vec<String>,
    /// Signatures the input already carries (TronWeb objects), as the addresses they recover
    /// to (`None`: it recovers to no address).
    pub prior: Vec<Option<Address>>,
    /// The payout this one repeats, as the broadcaster marked it (`hints.duplicate_of`:
    /// same recipient, amount, token and memo, accepted there with `--allow-duplicates`).
    pub duplicate_of: Option<&'a str>,
}

impl ReviewItem<'_> {
    /// The permission update this transaction makes, if it is one (contract type 46).
    pub fn update(&self) -> Option<&AccountPermissionUpdate> {
        match &self.raw.contract.kind {
            ContractKind::AccountPermissionUpdate(u) => Some(u),
            _ => None,
        }
    }

    /// Whether this transaction changes who controls an account.
    pub fn is_permission_update(&self) -> bool {
        self.update().is_some()
    }

    /// The staking operation this transaction is, if it is one (types 54–59).
    pub fn staking(&self) -> Option<&StakingContract> {
        match &self.raw.contract.kind {
            ContractKind::Staking(s) => Some(s),
            _ => None,
        }
    }
}

pub use permission::{write_update_after, PermissionView, RecordView};
pub use staking::summary_line as staking_line;
pub(crate) use update::same_list;

/// The base58 forms of a payout's addresses, computed once per address per run.
#[derive(Clone, Debug)]
pub struct TxNames {
    /// Owner.
    pub from: Arc<str>,
    /// Recipient.
    pub to: Arc<str>,
    /// Token contract, or "TRX".
    pub token: Arc<str>,
}

/// What the review's first lines say about the run.
pub struct Header<'a> {
    /// The home's network.
    pub network: Network,
    /// The request id (joined ids, or `tronweb-…`).
    pub request_id: &'a str,
    /// The confirmation code, shown in the summary when the input may be signed.
    pub code: Option<&'a str>,
    /// List every transaction however many (`--details`).
    pub details: bool,
    /// The multi-signature context: the request's permission claim and this signer's key.
    pub permission: PermissionView<'a>,
    /// Colour the permission-update warnings (a terminal without NO_COLOR).
    pub color: bool,
}

pub use coldpay_shared::timefmt::{human_duration, utc};

/// "2026-12-02T10:00:00Z (in 1h 52m)" or "… (EXPIRED 3m 10s ago)".
pub fn utc_relative(ms: u64, now_ms: u64) -> String {
    if ms > now_ms {
        format!("{} (in {})", utc(ms), human_duration(ms - now_ms))
    } else {
        format!("{} (EXPIRED {} ago)", utc(ms), human_duration(now_ms - ms))
    }
}

pub use coldpay_shared::handoff::confirmation_code;

fn sun(v: u128) -> String {
    format_units(
        U256::from(u64::try_from(v).unwrap_or(u64::MAX)),
        TRX_DECIMALS,
    )
}

/// Everything the summary block says, gathered in one pass.
#[derive(Default)]
struct Summary<'a> {
    refused: usize,
    not_payouts: usize,
    unknown_token: usize,
    /// Per symbol: (total, decimals).
    totals: BTreeMap<String, (U256, u8)>,
    /// Expected and worst-case burn, by the definition `build` uses
    /// ([`coldpay_shared::burn`]): worst case from the signed bytes, the rest a claim.
    burn: Burn,
    /// Per recipient: (transfers, base58).
    recipients: HashMap<Address, (usize, Arc<str>)>,
    /// Payouts repeating another's recipient, token, amount and memo.
    duplicates: usize,
    /// Payouts the broadcaster marked as duplicates: (payout, the payout it repeats).
    marked: Vec<(&'a str, &'a str)>,
    earliest: Option<u64>,
    /// One line per staking operation ("stake 500 TRX for energy").
    staking: Vec<String>,
}

impl<'a> Summary<'a> {
    fn of(items: &[ReviewItem<'a>], policy: &Policy, sigs: Signatures) -> Summary<'a> {
        let mut s = Summary::default();
        let mut same: HashMap<(Address, Option<Address>, U256, &[u8]), usize> = HashMap::new();
        for it in items {
            s.refused += usize::from(!it.reasons.is_empty());
            if let Some(of) = it.duplicate_of {
                s.marked.push((it.payout_id.unwrap_or("?"), of));
            }
            s.burn.add(it.raw, it.fee.as_ref(), sigs);
            s.earliest = Some(
                s.earliest
                    .map_or(it.raw.expiration, |e| e.min(it.raw.expiration)),
            );
            let (Some(intent), Some(names)) = (&it.intent, &it.names) else {
                if let Some(st) = it.staking() {
                    s.staking.push(staking::summary_line(st));
                } else {
                    s.not_payouts += usize::from(!it.is_permission_update());
                }
                continue;
            };
            s.recipients
                .entry(intent.to())
                .or_insert_with(|| (0, names.to.clone()))
                .0 += 1;
            let n = same
                .entry((
                    intent.to(),
                    intent.token(),
                    intent.amount(),
                    &it.raw.memo[..],
                ))
                .or_default();
            *n += 1;
            s.duplicates += usize::from(*n > 1);
            match policy.asset_of(intent) {
                Some((asset, _)) => {
                    let t = s
                        .totals
                        .entry(asset.symbol)
                        .or_insert((U256::ZERO, asset.decimals));
                    t.0 = t.0.saturating_add(intent.amount());
                }
                None => s.unknown_token += 1,
            }
        }
        s
    }
}

/// Renders the review. A permission update is rendered by [`render_update`].
pub fn render(
    items: &[ReviewItem<'_>],
    policy: &Policy,
    ledger: &Ledger,
    now_ms: u64,
    header: &Header<'_>,
) -> String {
    if let Some(u) = items.iter().find_map(ReviewItem::update) {
        return render_update(items, u, now_ms, header);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Review — network {}, request {}",
        header.network,
        escape(header.request_id)
    );
    let s = Summary::of(items, policy, Signatures::of(header.permission.claim));
    permission::write_claim(&mut out, &header.permission, s.earliest, now_ms);
    write_summary(
        &mut out,
        &s,
        items.len(),
        policy,
        ledger,
        now_ms,
        header.code,
    );
    let full = header.details || items.len() <= LIST_LIMIT;
    if full {
        let _ = writeln!(out, "\nTransactions");
    } else {
        let _ = writeln!(
            out,
            "\n{} transactions: the listing is not shown (pass --details to list every one){}",
            items.len(),
            if s.refused > 0 {
                "; refused ones follow"
            } else {
                ""
            }
        );
    }
    let listed = items
        .iter()
        .enumerate()
        .filter(|(_, it)| full || !it.reasons.is_empty())
        .take(if full { usize::MAX } else { LIST_LIMIT });
    for (i, it) in listed {
        write_item(&mut out, i, it, policy, ledger, now_ms);
    }
    if !full && s.refused > LIST_LIMIT {
        let _ = writeln!(
            out,
            "\n… and {} more refused (see --details)",
            s.refused - LIST_LIMIT
        );
    }
    out
}

/// A permission update (the only transaction of its input), sized for a 100×30 terminal up
/// to the prompt: the transaction and the permission it is signed under (a claim) in a few
/// lines, after → changes, then the banner and the control verdict last, and the
/// confirmation code.
fn render_update(
    items: &[ReviewItem<'_>],
    u: &AccountPermissionUpdate,
    now_ms: u64,
    header: &Header<'_>,
) -> String {
    let mut out = String::new();
    let it = &items[0];
    let payout = it
        .payout_id
        .map_or(String::new(), |p| format!(", journal id {}", escape(p)));
    let _ = writeln!(
        out,
        "Review — network {}, request {}{payout}",
        header.network,
        escape(header.request_id)
    );
    let _ = writeln!(out, "  txid {}", it.txid);
    let _ = writeln!(
        out,
        "  expires {} · burns the update fee (100 TRX on mainnet)",
        utc_relative(it.raw.expiration, now_ms)
    );
    permission::write_claim_line(&mut out, &header.permission);
    for r in &it.reasons {
        let _ = writeln!(out, "  verdict     REFUSED: {r}");
    }
    update::write_update(&mut out, u, &header.permission, header.color);
    verdict::write_verdict(&mut out, u, &header.permission, header.color);
    if let Some(c) = header.code {
        let _ = writeln!(
            out,
            "  confirmation code {c}   (type the account's last 6 characters, a space, then this code)"
        );
    }
    out
}

fn write_summary(
    out: &mut String,
    s: &Summary<'_>,
    n: usize,
    policy: &Policy,
    ledger: &Ledger,
    now_ms: u64,
    code: Option<&str>,
) {
    let _ = writeln!(out, "\nSummary");
    let _ = writeln!(
        out,
        "  transactions      {n}: {} allowed, {} REFUSED",
        n - s.refused,
        s.refused
    );
    for (sym, (v, dec)) in &s.totals {
        let _ = writeln!(out, "  total             {} {sym}", format_units(*v, *dec));
    }
    if s.unknown_token > 0 {
        let _ = writeln!(
            out,
            "  UNKNOWN token     {} transfer(s) of a token the policy does not list",
            s.unknown_token
        );
    }
    for line in &s.staking {
        let _ = writeln!(out, "  STAKING           {line}");
    }
    if s.not_payouts > 0 {
        let _ = writeln!(
            out,
            "  NOT A PAYOUT      {} transaction(s) cannot be decoded as a transfer",
            s.not_payouts
        );
    }
    let _ = writeln!(out, "  TRX burn          {}", s.burn.line());
    for l in s.burn.includes_lines() {
        let _ = writeln!(out, "                    {l}");
    }
    let _ = writeln!(
        out,
        "                    the online machine says: energy from stake {}, expected burn {} TRX",
        s.burn.energy_from_stake,
        s.burn.expected_trx()
    );
    let _ = writeln!(
        out,
        "                    the worst case is computed here from the signed bytes (fee limits,"
    );
    let _ = writeln!(
        out,
        "                      size, memo) at the online machine's bandwidth and memo prices"
    );
    write_recipients(out, s, policy, ledger);
    if s.duplicates > 0 {
        let _ = writeln!(
            out,
            "  possible duplicates {} payout(s) repeat another's recipient, token, amount and memo",
            s.duplicates
        );
    }
    write_marked(out, &s.marked);
    if let Some(e) = s.earliest {
        let _ = writeln!(out, "  earliest expiry   {}", utc_relative(e, now_ms));
    }
    if let Some(c) = code {
        let _ = writeln!(out, "  confirmation code {c}   (type it below to sign)");
    }
}

/// Shown in the summary, so also when the listing is not: "2 marked duplicates by the
/// broadcaster: p-7 (of p-3), p-9 (of p-2)", the first [`MARKED_SHOWN`] named.
fn write_marked(out: &mut String, marked: &[(&str, &str)]) {
    if marked.is_empty() {
        return;
    }
    let named: Vec<String> = marked
        .iter()
        .take(MARKED_SHOWN)
        .map(|(p, of)| format!("{} (of {})", escape(p), escape(of)))
        .collect();
    let more = marked.len().saturating_sub(MARKED_SHOWN);
    let _ = writeln!(
        out,
        "  DUPLICATES        {} marked duplicates by the broadcaster: {}{}",
        marked.len(),
        named.join(", "),
        if more > 0 {
            format!(", … and {more} more (see --details)")
        } else {
            String::new()
        }
    );
}

/// Marked duplicates named one by one in the summary.
const MARKED_SHOWN: usize = 10;

fn write_recipients(out: &mut String, s: &Summary<'_>, policy: &Policy, ledger: &Ledger) {
    let new = s
        .recipients
        .iter()
        .filter(|(a, (_, b58))| !policy.allow.contains_key(a) && !ledger.knows_recipient(b58))
        .count();
    let _ = writeln!(
        out,
        "  recipients        {} distinct, {} known, {new} NEW",
        s.recipients.len(),
        s.recipients.len() - new
    );
    let mut repeated: Vec<(usize, &Arc<str>)> = s
        .recipients
        .values()
        .filter(|(n, _)| *n > 1)
        .map(|(n, b)| (*n, b))
        .collect();
    repeated.sort_unstable_by(|a, b| b.cmp(a));
    for (n, b58) in repeated.iter().take(10) {
        let _ = writeln!(out, "  NOTE: {b58} receives {n} transfers in this request");
    }
    if repeated.len() > 10 {
        let _ = writeln!(
            out,
            "  NOTE: {} more recipients receive several transfers",
            repeated.len() - 10
        );
    }
}

fn write_item(
    out: &mut String,
    i: usize,
    it: &ReviewItem<'_>,
    policy: &Policy,
    ledger: &Ledger,
    now_ms: u64,
) {
    let payout = it
        .payout_id
        .map_or(String::new(), |p| format!("payout {}", escape(p)));
    let _ = writeln!(out, "\n#{} {payout}", i + 1);
    let _ = writeln!(out, "  txid        {}", it.txid);
    if let Some(of) = it.duplicate_of {
        let _ = writeln!(
            out,
            "  DUPLICATE   duplicate of {} (same recipient, amount, token and memo; marked by the broadcaster)",
            escape(of)
        );
    }
    match (&it.intent, &it.names) {
        (Some(intent), Some(names)) => write_transfer(out, intent, names, policy, ledger),
        _ if it.is_permission_update() => {
            let _ = writeln!(
                out,
                "  PERMISSION UPDATE of account {} (shown above)",
                it.raw.owner()
            );
        }
        _ if it.staking().is_some() => {
            staking::write_item(out, it.staking().expect("checked"), policy);
        }
        _ => {
            let _ = writeln!(out, "  NOT A PAYOUT (cannot be decoded as a transfer)");
        }
    }
    if it.raw.fee_limit != 0 {
        let _ = writeln!(
            out,
            "  fee limit   {} TRX (from the transaction bytes)",
            sun(u128::from(it.raw.fee_limit))
        );
    }
    if let Some(f) = &it.fee {
        write_fee(out, f);
    }
    if let Some(m) = it.raw.memo_display() {
        let _ = writeln!(out, "  memo        \"{}\"", m.escape_default());
    }
    let warn = if it.raw.expiration > now_ms && it.raw.expiration - now_ms < 30 * 60_000 {
        "  WARNING: little time left"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  expires     {}{warn}",
        utc_relative(it.raw.expiration, now_ms)
    );
    if it.raw.contract.permission_id != 0 {
        let _ = writeln!(
            out,
            "  permission  {} (multi-signature)",
            it.raw.contract.permission_id
        );
    }
    permission::write_prior(out, &it.prior);
    if it.reasons.is_empty() {
        let _ = writeln!(out, "  verdict     allowed");
    }
    for r in &it.reasons {
        let _ = writeln!(out, "  verdict     REFUSED: {r}");
    }
}

fn write_transfer(
    out: &mut String,
    intent: &Intent,
    names: &TxNames,
    policy: &Policy,
    ledger: &Ledger,
) {
    let _ = writeln!(out, "  from        {}", names.from);
    let label = match policy.allow.get(&intent.to()) {
        Some(l) => format!("({})", escape(l)),
        None if ledger.knows_recipient(&names.to) => "(paid before; not on allowlist)".into(),
        None => "(NEW recipient; not on allowlist)".into(),
    };
    let _ = writeln!(out, "  to          {} {label}", names.to);
    match policy.asset_of(intent) {
        Some((asset, _)) => {
            let contract = asset
                .contract
                .map_or(String::new(), |_| format!(" (contract {})", names.token));
            let _ = writeln!(
                out,
                "  amount      {}{contract}",
                asset.format(intent.amount())
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  amount      {} base units of UNKNOWN token {} (its decimals are not known)",
                intent.amount(),
                names.token
            );
        }
    }
}

fn write_fee(out: &mut String, f: &FeeInputs) {
    let exp = u128::from(f.energy_estimate) * u128::from(f.energy_price_sun);
    let holds = match f.recipient_holds_token {
        Some(true) => ", recipient already holds the token",
        Some(false) => ", recipient holds none (costlier first transfer)",
        None => "",
    };
    let _ = writeln!(
        out,
        "  est. fee    {} TRX = {} energy x {} sun (broadcaster's claim{holds})",
        sun(exp),
        f.energy_estimate,
        f.energy_price_sun
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_codes() {
        assert_eq!(human_duration(6_720_000), "1h 52m");
        assert_eq!(human_duration(190_000), "3m 10s");
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_relative(60_000, 0), "1970-01-01T00:01:00Z (in 1m 0s)");
        assert_eq!(
            utc_relative(0, 5_000),
            "1970-01-01T00:00:00Z (EXPIRED 5s ago)"
        );
        let c = confirmation_code(&[1u8; 32]);
        assert_eq!(c.len(), 6);
        assert_ne!(c, confirmation_code(&[2u8; 32]));
        assert!(!c.contains('0') && !c.contains('O') && !c.contains('I'));
    }
}
