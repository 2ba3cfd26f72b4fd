//! `build`: unsigned transactions built locally with coldpay-shared from a verified solidified
//! reference block, fee limits from energy estimates, balance checks, attempts recorded, and the
//! sign request written. Stages: select what to build (settling earlier attempts found on chain),
//! pick the reference block, look up recipients and estimates in parallel, assemble, check funds
//! per batch (an underfunded batch is skipped, the others are built), record.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::block::VerifiedBlock;
use coldpay_shared::handoff::{DisplayHints, FeeInputs, RequestTx};
use coldpay_shared::{Address, Network, RawData, SignRequest, Sun, U256};

use crate::chain::tapos::{check_expires, reference, DEFAULT_EXPIRES_MS, PERMISSION_EXPIRES_MS};
use crate::error::{BcError, Result};
use crate::journal::{
    now_ms, Asset, Attempt, AttemptState, BuiltAgainst, Journal, NewAttempt, Payout,
};
use crate::multisig::permission_plan::Plan;
use crate::node::Node;

/// Options of `build`.
pub struct BuildOpts {
    /// Only this batch.
    pub batch: Option<String>,
    /// Expiration after the reference block (ms); `None`: [`crate::chain::tapos::DEFAULT_EXPIRES_MS`], or
    /// [`crate::chain::tapos::PERMISSION_EXPIRES_MS`] for a permission build.
    pub expires_in_ms: Option<u64>,
    /// Build under this Permission_id (`--permission`).
    pub permission: Option<i32>,
    /// Per-account default Permission_id (config `[accounts.T…] permission = N`).
    pub account_permissions: HashMap<Address, i32>,
    /// Cap on fee_limit (sun).
    pub max_fee_sun: u64,
    /// Margin on the energy estimate, percent.
    pub margin_pct: u64,
    /// Network name.
    pub network: Network,
    /// The registered tokens, with the config's energy bands applied.
    pub tokens: Vec<crate::tokens::Token>,
}

/// What `build` did.
pub struct BuildOutcome {
    /// The sign request (None: nothing to sign).
    pub request: Option<SignRequest>,
    /// Newly built transactions.
    pub new: usize,
    /// Re-exported (built earlier, not yet signed).
    pub reexported: usize,
    /// Payouts settled from the chain instead of rebuilt (an earlier attempt was found).
    pub settled: Vec<String>,
    /// Batches skipped for lack of funds, with the reason.
    pub skipped: Vec<String>,
    /// Senders whose free TRX covers the expected burn but not the worst case, in words.
    pub worst_case_unfunded: Vec<String>,
    /// Payouts in the request that repeat an earlier payout (accepted at import with
    /// `--allow-duplicates`): (payout id, the earlier one). Also in each one's display hints.
    pub duplicates: Vec<(String, String)>,
    /// Why the request's permission was chosen: (JSON key, words), see
    /// [`crate::multisig::permission_plan::Source`]; `None` for the account's own key.
    pub permission_source: Option<(&'static str, String)>,
}

fn trx(v: u128) -> String {
    format_units(U256::from(v), TRX_DECIMALS)
}

/// A payout with its sender, ready to build.
struct Todo {
    payout: Payout,
    from: Address,
    to: Address,
    amount: U256,
    token: Option<Address>,
}

/// One built transaction, not yet recorded.
struct Built {
    payout_id: String,
    batch: String,
    raw: RawData,
    fee: Option<FeeInputs>,
    hints: DisplayHints,
}

impl BuildOpts {
    /// The expiration span for this build.
    fn expires(&self, plan: Option<&Plan>) -> u64 {
        self.expires_in_ms.unwrap_or(if plan.is_some() {
            PERMISSION_EXPIRES_MS
        } else {
            DEFAULT_EXPIRES_MS
        })
    }
}

/// Builds (or re-exports) attempts and returns the sign request.
pub fn build(
    journal: &Journal,
    node: &Node,
    opts: &BuildOpts,
    progress: &indicatif::ProgressBar,
) -> Result<BuildOutcome> {
    if let Some(ms) = opts.expires_in_ms {
        check_expires(ms)?;
    }
    let payouts = journal.active_payouts(opts.batch.as_deref())?;
    if payouts.is_empty() {
        return Err(BcError::Input(match &opts.batch {
            Some(b) => format!("no payouts to build in batch {b:?} (none, or all cancelled)"),
            None => "no payouts in the journal".into(),
        }));
    }
    let (reexport, todo_payouts, settled) = select(journal, node, &payouts)?;
    let approvals: HashMap<i64, usize> = journal
        .approvals_by_attempt(opts.batch.as_deref())?
        .into_iter()
        .map(|(id, v)| (id, v.len()))
        .collect();
    crate::multisig::permission_plan::check_flag(
        opts.permission,
        &reexport,
        &approvals,
        now_ms() as u64,
    )?;
    let mut txs = reexported(journal, &reexport, opts.network)?;
    let mut outcome = BuildOutcome {
        request: None,
        new: 0,
        reexported: txs.len(),
        settled,
        skipped: Vec::new(),
        worst_case_unfunded: Vec::new(),
        duplicates: Vec::new(),
        permission_source: None,
    };
    let resolved = resolve(journal, opts, &todo_payouts)?;
    let senders = resolved_senders(journal, &resolved)?;
    let plan = crate::multisig::permission_plan::plan(
        node,
        &crate::multisig::permission_plan::Choice {
            permission: opts.permission,
            account_permissions: &opts.account_permissions,
        },
        &reexport,
        &senders,
    )?;
    if let Some(p) = &plan {
        p.check_types(&resolved_types(&resolved))?;
        outcome.permission_source = Some((p.source.key(), p.source.text(&p.account, p.id())));
    }
    if !todo_payouts.is_empty() {
        let (todo, token_short) = token_precheck(node, resolved)?;
        outcome.skipped = token_short;
        let mut funded = Vec::new();
        let mut reference_block = None;
        if !todo.is_empty() {
            let (solid, expiration) = reference(node, opts.expires(plan.as_ref()))?;
            progress.set_length(todo.len() as u64);
            progress.set_message("estimating fees and building");
            let mut built = assemble(journal, node, opts, &todo, &solid, expiration, progress)?;
            progress.finish_and_clear();
            if let Some(p) = &plan {
                for b in &mut built {
                    b.raw.contract.permission_id = p.contract_id();
                }
            }
            let multisig_fee = match &plan {
                Some(p) => p.multisig_fee(node)?,
                None => 0,
            };
            let sigs =
                coldpay_shared::burn::Signatures::of(plan.as_ref().map(Plan::claim).as_ref());
            let checked = fund_check(node, &todo, built, multisig_fee, sigs)?;
            funded = checked.funded;
            outcome.skipped.extend(checked.skipped);
            outcome.worst_case_unfunded = checked.worst_case_unfunded;
            reference_block = Some(solid);
        }
        if funded.is_empty() && txs.is_empty() {
            return Err(BcError::Input(format!(
                "insufficient funds, nothing built: {}",
                outcome.skipped.join("; ")
            )));
        }
        if let Some(solid) = &reference_block {
            record(journal, &funded, solid, plan.as_ref())?;
        }
        outcome.new = funded.len();
        for b in funded {
            let mut t = RequestTx::new(b.payout_id, b.raw);
            t.fee = b.fee;
            t.hints = Some(b.hints);
            txs.push(t);
        }
    }
    if !txs.is_empty() {
        outcome.duplicates = crate::payout::payouts::mark_duplicates(journal, &mut txs)?;
        let req = SignRequest {
            network: opts.network,
            request_id: format!("{}-{}", opts.batch.as_deref().unwrap_or("all"), now_ms()),
            created_at: now_ms() as u64,
            transactions: txs,
            permission: plan.as_ref().map(Plan::claim),
            permission_before: None,
        };
        req.validate()?;
        outcome.request = Some(req);
    }
    Ok(outcome)
}

/// Splits payouts into re-exports and payouts to build. Before a new attempt, every earlier
/// attempt's txID is looked up again against the verified chain (an expired one by txID, a
/// failed one in its journaled block, whose contractRet must still name the failure); a payout
/// found paid is settled from it instead. An expiry without journaled evidence (older
/// journals) blocks the rebuild.
fn select(
    journal: &Journal,
    node: &Node,
    payouts: &[Payout],
) -> Result<(Vec<Attempt>, Vec<Payout>, Vec<String>)> {
    let mut reexport = Vec::new();
    let mut candidates = Vec::new();
    for p in payouts {
        let attempts = journal.attempts_of(&p.id)?;
        match attempts.last() {
            Some(a) if a.state == AttemptState::Built => reexport.push(a.clone()),
            None => candidates.push((p.clone(), Vec::new())),
            Some(a) if matches!(a.state, AttemptState::Expired | AttemptState::Failed) => {
                candidates.push((p.clone(), attempts));
            }
            Some(_) => {}
        }
    }
    let mut unproven = Vec::new();
    for (p, attempts) in &candidates {
        for a in attempts.iter().filter(|a| a.state == AttemptState::Expired) {
            if a.evidence.is_none() {
                unproven.push(format!(
                    "payout {}: attempt {} was marked expired without verified evidence; run `track --rescan {}` first",
                    p.id, a.txid, a.ref_block_num + 1
                ));
            }
        }
    }
    if !unproven.is_empty() {
        return Err(BcError::Input(format!(
            "not rebuilding: {}",
            unproven.join("; ")
        )));
    }
    let lookups: Vec<&Attempt> = candidates
        .iter()
        .flat_map(|(_, a)| a.iter().filter(|a| a.state == AttemptState::Expired))
        .collect();
    let found = node.par_map(&lookups, |a| crate::payout::track::find_on_chain(node, a));
    let mut paid: HashSet<String> = HashSet::new();
    for (a, r) in lookups.iter().zip(found) {
        if let Some(f) = r? {
            if crate::payout::track::settle_found(journal, a, &f)? {
                paid.insert(a.payout_id.clone());
            }
        }
    }
    // A failed attempt gets the same fresh verified look: its block is fetched and verified
    // again, and only a failure named there (not a receipt) lets the payout be rebuilt.
    let failed: Vec<&Attempt> = candidates
        .iter()
        .flat_map(|(_, a)| a.iter().filter(|a| a.state == AttemptState::Failed))
        .collect();
    for a in failed {
        let ret = crate::payout::track::recheck_failed(journal, node, a)?;
        if crate::chain::receipts::succeeded(&ret) {
            eprintln!(
                "payout {}: attempt {} was journaled failed, but its verified block {} says SUCCESS: settled as paid, not rebuilt",
                a.payout_id,
                a.txid,
                a.block.unwrap_or_default()
            );
            paid.insert(a.payout_id.clone());
        }
    }
    let mut todo = Vec::new();
    let mut settled = Vec::new();
    for (p, _) in candidates {
        if paid.contains(&p.id) {
            settled.push(p.id.clone());
        } else {
            todo.push(p);
        }
    }
    Ok((reexport, todo, settled))
}

fn reexported(journal: &Journal, reexport: &[Attempt], network: Network) -> Result<Vec<RequestTx>> {
    let mut txs = Vec::new();
    for a in reexport {
        let p = journal.payout(&a.payout_id)?.ok_or_else(|| {
            BcError::corrupt(format!("attempts row {}", a.id), "its payout is missing")
        })?;
        let mut t = RequestTx::new(&a.payout_id, a.raw.clone());
        t.hints = Some(hints(&p, network));
        t.fee.clone_from(&a.fee_inputs);
        txs.push(t);
    }
    Ok(txs)
}

fn resolve(journal: &Journal, opts: &BuildOpts, payouts: &[Payout]) -> Result<Vec<Todo>> {
    let mut out = Vec::new();
    for p in payouts {
        let (from, net) = journal.batch_from(&p.batch_id)?.ok_or_else(|| {
            BcError::corrupt(format!("payouts row {}", p.id), "its batch is missing")
        })?;
        if net != opts.network {
            return Err(BcError::Input(format!(
                "batch {} is for {net}, not {}",
                p.batch_id, opts.network
            )));
        }
        if p.token == Asset::Permission {
            return Err(BcError::corrupt(
                format!("payouts row {}, column token", p.id),
                "a payout marked PERMISSION moves no asset",
            ));
        }
        out.push(Todo {
            from,
            to: p.to,
            token: p.token.contract(),
            amount: p.amount,
            payout: p.clone(),
        });
    }
    Ok(out)
}

/// Needs of each batch per key (sender and token, or sender), in batch order.
type BatchNeeds<K, V> = BTreeMap<String, BTreeMap<K, V>>;

/// Grants batches in order while what they need fits what is left; returns the batches that do
/// not fit, each with what is missing (`describe(key, have, need)`).
fn allocate<K, V>(
    needs: &BatchNeeds<K, V>,
    left: &mut HashMap<K, V>,
    describe: impl Fn(&K, V, V) -> String,
) -> BTreeMap<String, String>
where
    K: Ord + Copy + std::hash::Hash,
    V: Copy + PartialOrd + std::ops::SubAssign,
{
    let mut short = BTreeMap::new();
    for (batch, m) in needs {
        let missing: Vec<String> = m
            .iter()
            .filter(|(k, n)| left[*k] < **n)
            .map(|(k, n)| describe(k, left[k], *n))
            .collect();
        if missing.is_empty() {
            for (k, n) in m {
                *left.get_mut(k).expect("looked up") -= *n;
            }
        } else {
            short.insert(batch.clone(), missing.join("; "));
        }
    }
    short
}

/// Looks up `balance` once for every key any batch needs.
fn balances<K, V>(
    node: &Node,
    needs: &BatchNeeds<K, V>,
    balance: impl Fn(&K) -> Result<V> + Sync,
) -> Result<HashMap<K, V>>
where
    K: Ord + Copy + std::hash::Hash + Sync,
    V: Send,
{
    let keys: Vec<K> = needs
        .values()
        .flat_map(|m| m.keys().copied())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let have = node.par_map(&keys, |k| balance(k));
    keys.into_iter()
        .zip(have)
        .map(|(k, h)| h.map(|h| (k, h)))
        .collect()
}

fn skipped_lines(short: &BTreeMap<String, String>) -> Vec<String> {
    short
        .iter()
        .map(|(batch, why)| format!("batch {batch}: {why}"))
        .collect()
}

/// Token balances are checked before any estimate (a transfer the sender cannot cover would
/// revert in the estimate): batches that would overdraw a token are skipped, in batch order.
fn token_precheck(node: &Node, todo: Vec<Todo>) -> Result<(Vec<Todo>, Vec<String>)> {
    let mut need: BatchNeeds<(Address, Address), U256> = BTreeMap::new();
    for t in &todo {
        if let Some(token) = t.token {
            *need
                .entry(t.payout.batch_id.clone())
                .or_default()
                .entry((t.from, token))
                .or_insert(U256::ZERO) += t.amount;
        }
    }
    let mut left = balances(node, &need, |(from, token)| node.token_balance(token, from))?;
    let short = allocate(&need, &mut left, |(from, _), have, need| {
        format!(
            "{from} holds {} USDT but the payouts need {} USDT (missing {} USDT)",
            format_units(have, 6),
            format_units(need, 6),
            format_units(need - have, 6)
        )
    });
    let todo = todo
        .into_iter()
        .filter(|t| !short.contains_key(&t.payout.batch_id))
        .collect();
    Ok((todo, skipped_lines(&short)))
}

/// The plausible energy band of a transfer of `token` to a recipient that does (`holds`) or
/// does not hold it: the registry's, moved by the journal's history ([`crate::payout::fees`]).
fn band_for(
    journal: &Journal,
    opts: &BuildOpts,
    token: &Address,
    holds: bool,
) -> Result<crate::payout::fees::Band> {
    let entry = opts
        .tokens
        .iter()
        .find(|t| t.contract == *token)
        .ok_or_else(|| {
            BcError::Input(format!(
                "token {token} is not a registered token of {}: no energy band to check its estimates against",
                opts.network
            ))
        })?;
    let used = crate::payout::fees::history(journal, &token.to_base58(), holds)?;
    Ok(crate::payout::fees::Band::new(entry, holds, &used))
}

/// A kind of transfer (token, recipient holds it) without a plausible estimate.
struct NoEstimate {
    token: Address,
    holds: bool,
    seen: String,
    band: String,
    why: String,
}

/// Refuses the build when some kind of transfer got no plausible estimate from any endpoint,
/// naming each payout of that kind, the estimates seen and the band.
fn implausible_error(
    todo: &[Todo],
    holds: &HashMap<(Address, Address), bool>,
    failed: &[NoEstimate],
) -> BcError {
    let each: Vec<String> = failed
        .iter()
        .map(|f| {
            let ids: Vec<&str> = todo
                .iter()
                .filter(|t| {
                    t.token == Some(f.token) && holds.get(&(f.token, t.to)) == Some(&f.holds)
                })
                .map(|t| t.payout.id.as_str())
                .collect();
            format!(
                "payout(s) {}: estimates seen {}; {} (last fault: {})",
                ids.join(", "),
                f.seen,
                f.band,
                f.why
            )
        })
        .collect();
    BcError::Node(format!(
        "not building: no node gave a plausible energy estimate (a fee limit from it would fail on chain and burn TRX, or cap far too high): {}; try other endpoints (--node), or check the band in the config's [tokens.T…] table",
        each.join("; ")
    ))
}

/// Recipient holdings and energy estimates, looked up in parallel, once per distinct key.
/// Each estimate must fall in its band; a kind of transfer without a plausible estimate
/// refuses the build, naming its payouts.
fn lookups(
    journal: &Journal,
    node: &Node,
    opts: &BuildOpts,
    todo: &[Todo],
) -> Result<(
    HashMap<(Address, Address), bool>,
    HashMap<(Address, bool), u64>,
)> {
    let mut pairs: Vec<(Address, Address, Address, U256)> = Vec::new();
    let mut seen = HashSet::new();
    for t in todo {
        if let Some(token) = t.token {
            if seen.insert((token, t.to)) {
                pairs.push((token, t.to, t.from, t.amount));
            }
        }
    }
    let held = node.par_map(&pairs, |(token, to, _, _)| node.token_balance(token, to));
    let mut holds = HashMap::new();
    let mut wanted: Vec<(Address, bool, Address, Address, U256)> = Vec::new();
    let mut seen = HashSet::new();
    for ((token, to, from, amount), h) in pairs.iter().zip(held) {
        let h = !h?.is_zero();
        holds.insert((*token, *to), h);
        if seen.insert((*token, h)) {
            wanted.push((*token, h, *from, *to, *amount));
        }
    }
    let bands = wanted
        .iter()
        .map(|(token, h, ..)| band_for(journal, opts, token, *h))
        .collect::<Result<Vec<_>>>()?;
    let seen: Vec<crate::payout::fees::Seen> = wanted
        .iter()
        .map(|_| crate::payout::fees::Seen::default())
        .collect();
    let jobs: Vec<usize> = (0..wanted.len()).collect();
    let est = node.par_map(&jobs, |i| {
        let (token, _, from, to, amount) = &wanted[*i];
        node.estimate_transfer_energy(from, token, to, *amount, &bands[*i], &seen[*i])
    });
    let mut estimates = HashMap::new();
    let mut failed = Vec::new();
    for (i, e) in est.into_iter().enumerate() {
        let (token, h, ..) = wanted[i];
        match e {
            Ok(e) => {
                estimates.insert((token, h), e);
            }
            Err(BcError::Node(why)) => failed.push(NoEstimate {
                token,
                holds: h,
                seen: seen[i].describe(),
                band: bands[i].describe(),
                why,
            }),
            Err(e) => return Err(e),
        }
    }
    if !failed.is_empty() {
        return Err(implausible_error(todo, &holds, &failed));
    }
    Ok((holds, estimates))
}

fn assemble(
    journal: &Journal,
    node: &Node,
    opts: &BuildOpts,
    todo: &[Todo],
    solid: &VerifiedBlock,
    expiration: u64,
    progress: &indicatif::ProgressBar,
) -> Result<Vec<Built>> {
    let price = node.fee_params()?.energy_sun;
    let (holds, estimates) = lookups(journal, node, opts, todo)?;
    let mut cut = Vec::new();
    let tapos = coldpay_shared::RefBlock::from_block_id(&solid.id);
    let base_ts = now_ms() as u64;
    let mut out = Vec::new();
    for (i, t) in todo.iter().enumerate() {
        progress.inc(1);
        let ts = base_ts + i as u64;
        let (mut raw, fee) = match t.token {
            None => {
                let sun = Sun::new(
                    u64::try_from(t.amount)
                        .map_err(|_| BcError::Input("TRX amount too large".into()))?,
                )?;
                (
                    RawData::trx_transfer(t.from, t.to, sun, tapos, expiration, ts),
                    Some(FeeInputs {
                        energy_price_sun: price,
                        ..FeeInputs::default()
                    }),
                )
            }
            Some(token) => {
                let h = holds[&(token, t.to)];
                let est = estimates[&(token, h)];
                let fee_limit = match crate::payout::fees::fee_limit(est, price, opts.margin_pct, opts.max_fee_sun) {
                    Ok(l) => l,
                    Err(crate::payout::fees::FeeLimitError::OverCap(cost, cap)) => {
                        cut.push((t.payout.id.clone(), cost, cap));
                        continue;
                    }
                    Err(crate::payout::fees::FeeLimitError::Overflow) => {
                        return Err(BcError::Node(format!(
                            "payout {}: the fee limit of {est} energy at {price} sun overflows: the node reported an absurd energy price; not building",
                            t.payout.id
                        )))
                    }
                };
                let fee = FeeInputs {
                    energy_estimate: est,
                    energy_price_sun: price,
                    recipient_holds_token: Some(h),
                    ..FeeInputs::default()
                };
                (
                    RawData::trc20_transfer(
                        t.from, token, t.to, t.amount, fee_limit, tapos, expiration, ts,
                    ),
                    Some(fee),
                )
            }
        };
        raw.memo = t.payout.memo.clone().unwrap_or_default().into_bytes();
        out.push(Built {
            payout_id: t.payout.id.clone(),
            batch: t.payout.batch_id.clone(),
            hints: hints(&t.payout, opts.network),
            raw,
            fee,
        });
    }
    if !cut.is_empty() {
        return Err(crate::payout::fees::over_cap_error(&cut));
    }
    Ok(out)
}

/// What the fund check decided.
struct Funded {
    /// Transactions of the batches the senders can pay for, with their cost figures.
    funded: Vec<Built>,
    /// Batches skipped, with what is missing.
    skipped: Vec<String>,
    /// Senders whose free TRX covers the expected burn but not the worst case.
    worst_case_unfunded: Vec<String>,
}

/// Fills in a transaction's cost figures ([`coldpay_shared::burn`]) from the sender's
/// resources left, and returns (TRX it needs for sure, TRX it may need at worst), sun: the
/// expected burn (what the stake does not cover) and the worst case, each plus a TRX amount.
fn cost_of(
    t: &Todo,
    b: &mut Built,
    left: &mut crate::payout::cost::Left,
    params: &crate::node::answers::FeeParams,
    per_tx_sun: u128,
    sigs: coldpay_shared::burn::Signatures,
) -> (u128, u128) {
    let bytes = coldpay_shared::burn::bandwidth_bytes(&b.raw, sigs.expected);
    let f = b.fee.get_or_insert_with(FeeInputs::default);
    let spent = left.spend(f.energy_estimate, bytes);
    f.bandwidth_bytes = Some(bytes);
    f.energy_from_stake = Some(spent.energy_from_stake);
    f.bandwidth_covered = Some(spent.bandwidth_covered);
    f.bandwidth_price_sun = Some(params.bandwidth_sun);
    f.memo_fee_sun = Some(params.memo_sun);
    f.other_fees_sun = Some(u64::try_from(per_tx_sun).unwrap_or(u64::MAX));
    let burn = coldpay_shared::burn::tx_burn(&b.raw, Some(f), sigs);
    let amount = match t.token {
        None => t.amount.to::<u128>(),
        Some(_) => 0,
    };
    (burn.expected_sun + amount, burn.worst_sun + amount)
}

/// The funding check, batch by batch in order, following java-tron's rule (a call may use
/// min(fee_limit ÷ price, stake left + balance ÷ price) energy): each sender's resources
/// (cross-checked, [`crate::payout::cost::read`]) are spent across its transactions in build order,
/// and its free TRX must cover what the stake does not (expected burn) plus TRX payouts. A
/// batch that would overdraw is skipped with the amount missing and gives its resources back;
/// a sender whose TRX covers the expected burn but not the worst case is named.
fn fund_check(
    node: &Node,
    todo: &[Todo],
    built: Vec<Built>,
    per_tx_sun: u128,
    sigs: coldpay_shared::burn::Signatures,
) -> Result<Funded> {
    let params = node.fee_params()?;
    let senders: Vec<Address> = todo
        .iter()
        .map(|t| t.from)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let reads = node.par_map(&senders, |a| {
        Ok::<_, BcError>((
            crate::payout::cost::Left::of(&crate::payout::cost::read(node, a)?),
            u128::from(node.trx_balance(a)?),
        ))
    });
    let mut state: HashMap<Address, (crate::payout::cost::Left, u128)> = HashMap::new();
    for (a, r) in senders.iter().zip(reads) {
        state.insert(*a, r?);
    }
    let from_of: HashMap<&str, &Todo> = todo.iter().map(|t| (t.payout.id.as_str(), t)).collect();
    let mut by_batch: BTreeMap<String, Vec<Built>> = BTreeMap::new();
    for b in built {
        by_batch.entry(b.batch.clone()).or_default().push(b);
    }
    let mut out = Funded {
        funded: Vec::new(),
        skipped: Vec::new(),
        worst_case_unfunded: Vec::new(),
    };
    let mut worst_short: BTreeMap<Address, (u128, u128)> = BTreeMap::new();
    for (batch, mut txs) in by_batch {
        let mut trial = state.clone();
        let mut need: BTreeMap<Address, (u128, u128)> = BTreeMap::new();
        for b in &mut txs {
            let t = from_of[b.payout_id.as_str()];
            let (left, _) = trial.get_mut(&t.from).expect("read above");
            let (x, w) = cost_of(t, b, left, &params, per_tx_sun, sigs);
            let e = need.entry(t.from).or_default();
            e.0 += x;
            e.1 += w;
        }
        let missing: Vec<String> = need
            .iter()
            .filter(|(a, (x, _))| trial[*a].1 < *x)
            .map(|(a, (x, _))| {
                let have = trial[a].1;
                format!(
                    "{a} holds {} TRX but what its stake does not cover (expected burn) and TRX payouts need {} TRX (missing {} TRX)",
                    trx(have),
                    trx(*x),
                    trx(x - have)
                )
            })
            .collect();
        if !missing.is_empty() {
            out.skipped
                .push(format!("batch {batch}: {}", missing.join("; ")));
            continue;
        }
        for (a, (x, w)) in &need {
            let (_, balance) = trial.get_mut(a).expect("read above");
            if *balance < *w {
                let e = worst_short.entry(*a).or_insert((*balance, 0));
                e.1 += w;
            }
            *balance -= x;
        }
        state = trial;
        out.funded.extend(txs);
    }
    out.worst_case_unfunded = worst_short
        .into_iter()
        .map(|(a, (have, worst))| {
            format!(
                "{a} holds {} TRX: enough for the expected burn, NOT for the worst case ({} TRX if every fee limit is used up); the stake must cover the energy",
                trx(have),
                trx(worst)
            )
        })
        .collect();
    Ok(out)
}

/// Records the attempts in one SQL transaction; each attempt's verified scan starts at its
/// reference block.
fn record(
    journal: &Journal,
    built: &[Built],
    solid: &VerifiedBlock,
    plan: Option<&Plan>,
) -> Result<()> {
    let request_id = format!("req-{}", now_ms());
    let against = BuiltAgainst {
        request_id: &request_id,
        ref_block_num: solid.number,
        ref_block_id: solid.id,
        ref_block_ts: solid.timestamp,
        permission: plan.map(Plan::claim),
    };
    let attempts: Vec<NewAttempt> = built
        .iter()
        .map(|b| NewAttempt {
            payout_id: b.payout_id.clone(),
            txid: b.raw.txid(),
            raw: b.raw.encode(),
            expiration: b.raw.expiration,
            fee_limit: b.raw.fee_limit,
            fee_inputs: b.fee,
        })
        .collect();
    journal.record_built(&against, &attempts)?;
    Ok(())
}

/// The sender of each payout to build, with the Permission_id its previous attempt was built
/// with (an expired quorum is rebuilt under the same permission unless told otherwise).
fn resolved_senders(journal: &Journal, todo: &[Todo]) -> Result<Vec<(Address, Option<i32>)>> {
    todo.iter()
        .map(|t| {
            let previous = journal
                .latest_attempt(&t.payout.id)?
                .and_then(|a| a.permission_id);
            Ok((t.from, previous))
        })
        .collect()
}

/// The contract types the payouts to build need (TransferContract 1, TriggerSmartContract 31).
fn resolved_types(todo: &[Todo]) -> Vec<i32> {
    let mut v: Vec<i32> = todo
        .iter()
        .map(|t| if t.token.is_some() { 31 } else { 1 })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn hints(p: &Payout, network: Network) -> DisplayHints {
    let (symbol, _) = p.token.unit(network);
    DisplayHints {
        to: Some(p.to),
        amount: Some(p.amount.to_string()),
        token: p.token.contract(),
        symbol: Some(symbol),
        duplicate_of: None,
    }
}

/// Writes the request JSON atomically (temp + rename) or to stdout.
pub fn write_request(req: &SignRequest, out: Option<&Path>) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(&req.to_json()).expect("json");
    bytes.push(b'\n');
    match out {
        Some(p) => crate::write_atomic(p, &bytes),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| BcError::io("stdout", &e))
        }
    }
}
