//! `build`: unsigned transactions built locally with coldpay-shared from a solidified
//! reference block, fee limits from energy estimates, balance checks, attempts recorded, and the
//! sign request written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::handoff::{DisplayHints, FeeInputs, RequestTx};
use coldpay_shared::{Address, Network, RawData, SignRequest, Sun, U256};
use rusqlite::params;

use crate::error::{BcError, Result};
use crate::journal::{now_ms, Journal};
use crate::node::Node;

/// Options of `build`.
pub struct BuildOpts {
    /// Only this batch.
    pub batch: Option<String>,
    /// Expiration after the reference block (ms).
    pub expires_in_ms: u64,
    /// Cap on fee_limit (sun).
    pub max_fee_sun: u64,
    /// Margin on the energy estimate, percent.
    pub margin_pct: u64,
    /// Network name.
    pub network: Network,
}

/// Longest expiration accepted: TRON refuses more than 24 h after the head block.
pub const MAX_EXPIRES_MS: u64 = 24 * 3_600_000;

fn trx(v: u128) -> String {
    format_units(U256::from(v), TRX_DECIMALS)
}

/// Builds (or re-exports) attempts and returns the sign request; `None` if nothing to sign.
pub fn build(
    journal: &Journal,
    node: &Node,
    opts: &BuildOpts,
    progress: &indicatif::ProgressBar,
) -> Result<Option<(SignRequest, usize, usize)>> {
    if opts.expires_in_ms > MAX_EXPIRES_MS - 120_000 {
        return Err(BcError::Input("--expires-in must be below 24h (TRON refuses expirations more than 24 h after the head block)".into()));
    }
    if opts.expires_in_ms < 60_000 {
        return Err(BcError::Input("--expires-in must be at least 1m".into()));
    }
    let payouts = journal.payouts(opts.batch.as_deref())?;
    if payouts.is_empty() {
        return Err(BcError::Input(match &opts.batch {
            Some(b) => format!("no payouts in batch {b:?}"),
            None => "no payouts in the journal".into(),
        }));
    }
    let mut reexport = Vec::new();
    let mut todo = Vec::new();
    for p in &payouts {
        match journal.latest_attempt(&p.id)? {
            Some(a) if a.state == "built" => reexport.push(a),
            Some(a) if a.state == "expired" || a.state == "failed" => todo.push(p.clone()),
            Some(_) => {}
            None => todo.push(p.clone()),
        }
    }
    let mut txs: Vec<RequestTx> = Vec::new();
    for a in &reexport {
        let raw = RawData::decode_hex(&a.raw_hex)?;
        let p = journal.payout(&a.payout_id)?.expect("attempt has payout");
        let mut t = RequestTx::new(&a.payout_id, raw);
        t.hints = Some(hints(&p.to, &p.token, &p.amount)?);
        let fee: Option<String> = journal.conn.query_row(
            "SELECT fee_inputs FROM attempts WHERE id = ?1",
            [a.id],
            |r| r.get(0),
        )?;
        t.fee = fee.and_then(|f| serde_json::from_str(&f).ok());
        txs.push(t);
    }
    let rebuilt = todo.len();
    if !todo.is_empty() {
        let solid = node.solid_block()?;
        let head = node.head_block()?;
        let expiration = solid.timestamp + opts.expires_in_ms;
        if expiration > head.timestamp + MAX_EXPIRES_MS - 60_000 {
            return Err(BcError::Input("expiration would be more than 24 h after the head block; use a shorter --expires-in".into()));
        }
        let price = node.chain_parameter("getEnergyFee")?.unwrap_or(100);
        let bw_price = node.chain_parameter("getTransactionFee")?.unwrap_or(1000);
        let memo_fee = node.chain_parameter("getMemoFee")?.unwrap_or(0);
        let mut holds: HashMap<(Address, Address), bool> = HashMap::new();
        let mut estimates: HashMap<(Address, bool), u64> = HashMap::new();
        // Per sender: (token totals, worst-case TRX).
        let mut need_tokens: BTreeMap<(Address, Address), U256> = BTreeMap::new();
        let mut need_trx: BTreeMap<Address, u128> = BTreeMap::new();
        let mut built: Vec<(String, RawData, Option<FeeInputs>, DisplayHints)> = Vec::new();
        let base_ts = now_ms() as u64;
        progress.set_length(todo.len() as u64);
        progress.set_message("estimating fees and building");
        for (i, p) in todo.iter().enumerate() {
            progress.inc(1);
            let (from_s, net) = journal.batch_from(&p.batch_id)?.expect("batch exists");
            if net != opts.network.as_str() {
                return Err(BcError::Input(format!(
                    "batch {} is for {net}, not {}",
                    p.batch_id, opts.network
                )));
            }
            let from = Address::parse(&from_s)?;
            let to = Address::parse(&p.to)?;
            let amount = U256::from_str_radix(&p.amount, 10)
                .map_err(|_| BcError::Input(format!("payout {}: bad amount in journal", p.id)))?;
            let ts = base_ts + i as u64;
            let memo = p.memo.clone().unwrap_or_default().into_bytes();
            let size_guess: u128 = 350 + memo.len() as u128;
            *need_trx.entry(from).or_default() += size_guess * u128::from(bw_price)
                + if memo.is_empty() {
                    0
                } else {
                    u128::from(memo_fee)
                };
            let (mut raw, fee) = if p.token == "TRX" {
                let sun = Sun::new(
                    u64::try_from(amount)
                        .map_err(|_| BcError::Input("TRX amount too large".into()))?,
                )?;
                *need_trx.entry(from).or_default() += u128::from(sun.as_u64());
                (
                    RawData::trx_transfer(from, to, sun, solid.tapos(), expiration, ts),
                    None,
                )
            } else {
                let token = Address::parse(&p.token)?;
                let h = match holds.get(&(token, to)) {
                    Some(h) => *h,
                    None => {
                        let h = !node.token_balance(&token, &to)?.is_zero();
                        holds.insert((token, to), h);
                        h
                    }
                };
                let est = match estimates.get(&(token, h)) {
                    Some(e) => *e,
                    None => {
                        let e = node.estimate_transfer_energy(&from, &token, &to, amount)?;
                        estimates.insert((token, h), e);
                        e
                    }
                };
                let wanted =
                    u128::from(est) * u128::from(price) * u128::from(100 + opts.margin_pct) / 100;
                let fee_limit =
                    u64::try_from(wanted.min(u128::from(opts.max_fee_sun))).unwrap_or(u64::MAX);
                *need_tokens.entry((from, token)).or_insert(U256::ZERO) += amount;
                *need_trx.entry(from).or_default() += u128::from(fee_limit);
                let fee = FeeInputs {
                    energy_estimate: est,
                    energy_price_sun: price,
                    recipient_holds_token: Some(h),
                    bandwidth_bytes: Some(size_guess as u64 + 64),
                };
                (
                    RawData::trc20_transfer(
                        from,
                        token,
                        to,
                        amount,
                        fee_limit,
                        solid.tapos(),
                        expiration,
                        ts,
                    ),
                    Some(fee),
                )
            };
            raw.memo = memo;
            built.push((p.id.clone(), raw, fee, hints(&p.to, &p.token, &p.amount)?));
        }
        progress.finish_and_clear();
        // Balance checks before anything is recorded.
        let mut missing = Vec::new();
        for ((from, token), need) in &need_tokens {
            let have = node.token_balance(token, from)?;
            if have < *need {
                missing.push(format!(
                    "{from} holds {} USDT of token {token} but the payouts need {} (missing {})",
                    format_units(have, 6),
                    format_units(*need, 6),
                    format_units(*need - have, 6)
                ));
            }
        }
        for (from, need) in &need_trx {
            let have = u128::from(node.trx_balance(from)?);
            if have < *need {
                missing.push(format!("{from} holds {} TRX but worst-case fees and TRX payouts need {} TRX (missing {} TRX)", trx(have), trx(*need), trx(*need - have)));
            }
        }
        if !missing.is_empty() {
            return Err(BcError::Input(format!(
                "insufficient funds, nothing built: {}",
                missing.join("; ")
            )));
        }
        let request_id = format!("req-{}", now_ms());
        let tx = journal.conn.unchecked_transaction()?;
        for (payout_id, raw, fee, _) in &built {
            tx.execute(
                "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, fee_inputs, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'built', ?9, ?9)",
                params![payout_id, raw.txid().to_hex(), hex::encode(raw.encode()), raw.expiration as i64, solid.number as i64, raw.fee_limit as i64, request_id, fee.map(|f| serde_json::to_string(&f).expect("json")), now_ms()],
            )?;
        }
        tx.commit()?;
        for (payout_id, raw, fee, h) in built {
            let mut t = RequestTx::new(payout_id, raw);
            t.fee = fee;
            t.hints = Some(h);
            txs.push(t);
        }
    }
    if txs.is_empty() {
        return Ok(None);
    }
    let n = txs.len();
    let req = SignRequest {
        network: opts.network,
        request_id: format!("{}-{}", opts.batch.as_deref().unwrap_or("all"), now_ms()),
        created_at: now_ms() as u64,
        transactions: txs,
    };
    req.validate()?;
    Ok(Some((req, rebuilt, n - rebuilt)))
}

fn hints(to: &str, token: &str, amount: &str) -> Result<DisplayHints> {
    let tok = if token == "TRX" {
        None
    } else {
        Some(Address::parse(token)?)
    };
    Ok(DisplayHints {
        to: Some(Address::parse(to)?),
        amount: Some(amount.to_string()),
        token: tok,
        symbol: Some(if tok.is_none() {
            "TRX".into()
        } else {
            "USDT".into()
        }),
    })
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
                .map_err(|e| BcError::Io(format!("stdout: {e}")))
        }
    }
}
