//! `sign`: decode everything, check policy and ledger, show the review, confirm, unlock once,
//! sign on all cores, record (ledger + audit, fsynced), and only then release the signatures.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;

use coldpay_shared::handoff::{ResponseTx, SignerSignature};
use coldpay_shared::input::{parse_input, Input, InputItem, MAX_INPUT_BYTES};
use coldpay_shared::{Address, Intent, RawData, SignResponse, Signature, TxId, U256};
use k256::ecdsa::SigningKey;
use rayon::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::ledger::{Ledger, LedgerEntry};
use crate::passphrase::PassSource;
use crate::policy::Policy;
use crate::review::{confirmation_code, render, ReviewItem};
use crate::wallet::account_key;

/// Arguments of `sign`.
pub struct SignArgs {
    /// Input path or "-" (ignored when `qr_in` is used).
    pub input: String,
    /// QR input (images or UR lines).
    pub qr_in: crate::qrio::QrInArgs,
    /// QR output of the response.
    pub qr_out: crate::qrio::QrOutArgs,
    /// Output path (stdout if None).
    pub output: Option<PathBuf>,
    /// Wallet to sign with (multi-signature permission ids).
    pub key: Option<String>,
    /// Passphrase source.
    pub pass: PassSource,
    /// Skip the confirmation code (policy must allow).
    pub yes: bool,
    /// Policy override.
    pub policy: Option<PathBuf>,
    /// Payout ids the operator knowingly re-signs after expiry.
    pub resign_expired: Vec<String>,
    /// Only check, never sign (`policy check`).
    pub check_only: bool,
}

/// ms since the epoch. Debug builds (tests only) honour `COLDPAY_SIGNER_TEST_NOW_MS` so the
/// published known-answer transactions, which expired years ago, can be signed through the
/// CLI; release builds ignore it.
pub fn now_ms() -> u64 {
    #[cfg(debug_assertions)]
    if let Some(v) = std::env::var("COLDPAY_SIGNER_TEST_NOW_MS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return v;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Reads an input file or stdin, bounded.
pub fn read_input(path: &str) -> Result<String> {
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin()
            .take(MAX_INPUT_BYTES as u64 + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT_BYTES as u64 + 1).read_to_end(&mut buf))
    };
    res.map_err(|e| SignerError::Usage(format!("cannot read {path}: {e}")))?;
    String::from_utf8(buf)
        .map_err(|_| SignerError::Usage(format!("{path}: input is not UTF-8 text")))
}

struct Tx<'a> {
    payout_id: Option<&'a str>,
    raw: &'a RawData,
    txid: TxId,
    fee: Option<coldpay_shared::handoff::FeeInputs>,
    intent: Option<Intent>,
    reasons: Vec<String>,
}

/// What the audit line of this run should say, filled in as the run progresses.
#[derive(Default)]
struct AuditCtx {
    request_id: Option<String>,
    digest: Option<String>,
    txs: Vec<Value>,
}

/// Runs `sign` (or `policy check`); every outcome is written to the audit log.
pub fn run(home: &Home, args: &SignArgs) -> Result<()> {
    let policy_path = args.policy.clone().unwrap_or_else(|| home.policy_path());
    let mut ctx = AuditCtx::default();
    let policy = Policy::load(&policy_path, home.network);
    let policy_digest = policy.as_ref().map(|p| hex::encode(p.digest)).ok();
    let result = policy.and_then(|p| run_inner(home, args, &p, &mut ctx));
    let event = if args.check_only { "check" } else { "sign" };
    let mut line = json!({
        "time": now_ms(),
        "event": event,
        "network": home.network.as_str(),
        "policy": policy_path.display().to_string(),
        "policy_digest": policy_digest,
        "request_id": ctx.request_id,
        "request_digest": ctx.digest,
        "transactions": ctx.txs,
    });
    match &result {
        Ok(()) if args.check_only => line["verdict"] = json!("allowed"),
        Ok(()) => return Ok(()), // the signed line was written before the signatures were released
        Err(e) => {
            line["verdict"] = json!("refused");
            line["reason"] = json!(e.to_string());
        }
    }
    audit::append(&home.audit_path(), line)?;
    result
}

fn run_inner(home: &Home, args: &SignArgs, policy: &Policy, ctx: &mut AuditCtx) -> Result<()> {
    let now = now_ms();
    let input = if args.qr_in.any() {
        crate::qrio::read_request(&args.qr_in)?
    } else {
        if args.input.is_empty() {
            return Err(SignerError::Usage(
                "give an INPUT file (or -), --qr-image FILE… or --ur".into(),
            ));
        }
        parse_input(&read_input(&args.input)?)?
    };
    let mut ledger = Ledger::load(&home.ledger_path())?;

    // Network binding and hint cross-checks for coldpay requests.
    let items: Vec<&InputItem> = match &input {
        Input::One(i) => vec![i],
        Input::Many(v) => v.iter().collect(),
        Input::RawHex(_) => {
            return Err(SignerError::Usage(
                "a bare raw_data hex string can be inspected but not signed; wrap it in a sign request or TronWeb object".into(),
            ))
        }
    };
    let mut request_ids = Vec::new();
    for it in &items {
        if let InputItem::Request(r) = it {
            if r.network != home.network {
                return Err(SignerError::Refused(format!(
                    "request {} is for network {}, but this signer home is bound to {}",
                    r.request_id, r.network, home.network
                )));
            }
            request_ids.push(r.request_id.clone());
        }
    }
    let found = input.transactions();
    let mut digest_h = Sha256::new();
    for it in &items {
        match it {
            InputItem::Request(r) => digest_h.update(r.digest()),
            InputItem::TronWeb(t) => digest_h.update(t.txid.as_bytes()),
        }
    }
    let digest: [u8; 32] = if let [InputItem::Request(r)] = items.as_slice() {
        r.digest()
    } else {
        digest_h.finalize().into()
    };
    ctx.digest = Some(hex::encode(digest));
    let request_id = if request_ids.is_empty() {
        format!("tronweb-{}", &hex::encode(digest)[..16])
    } else {
        request_ids.join("+")
    };
    ctx.request_id = Some(request_id.clone());

    let fees: HashMap<TxId, coldpay_shared::handoff::FeeInputs> = items
        .iter()
        .filter_map(|i| match i {
            InputItem::Request(r) => Some(
                r.transactions
                    .iter()
                    .filter_map(|t| t.fee.map(|f| (t.txid, f))),
            ),
            InputItem::TronWeb(_) => None,
        })
        .flatten()
        .collect();

    let mut txs: Vec<Tx<'_>> = Vec::with_capacity(found.len());
    let mut seen_txids = HashSet::new();
    let mut seen_payouts = HashSet::new();
    for f in &found {
        let mut reasons = policy.check_tx(f.raw, now);
        let intent = f.raw.intent().ok();
        if !seen_txids.insert(f.txid) {
            reasons.push("the same transaction appears twice".into());
        }
        if let Some(p) = f.payout_id {
            if !seen_payouts.insert(p) {
                reasons.push(format!("payout id {p} appears twice"));
            }
            if let Some(prev) = ledger.find_payout(p) {
                let resign = args.resign_expired.iter().any(|x| x == p);
                if !resign {
                    reasons.push(format!(
                        "payout {p} was already signed at {} (txid {}); pass --resign-expired {p} once that transaction has expired",
                        crate::review::utc(prev.time),
                        prev.txid
                    ));
                } else if prev.expiration >= now {
                    reasons.push(format!(
                        "payout {p}: the earlier transaction {} has not expired yet (expires {})",
                        prev.txid,
                        crate::review::utc(prev.expiration)
                    ));
                }
            }
        }
        ctx.txs.push(json!({
            "txid": f.txid.to_hex(),
            "payout_id": f.payout_id,
            "to": intent.as_ref().map(|i| i.to().to_base58()),
            "token": intent.as_ref().map(|i| i.token().map_or("TRX".to_string(), |t| t.to_base58())),
            "amount": intent.as_ref().map(|i| i.amount().to_string()),
        }));
        txs.push(Tx {
            payout_id: f.payout_id,
            raw: f.raw,
            txid: f.txid,
            fee: fees.get(&f.txid).copied(),
            intent,
            reasons,
        });
    }
    // Display hints must agree with the bytes, or the whole request is aborted.
    for it in &items {
        if let InputItem::Request(r) = it {
            for t in &r.transactions {
                if let Ok(intent) = t.raw.intent() {
                    t.check_hints(&intent)?;
                }
            }
        }
    }
    // Request-wide and rolling 24 h limits per asset.
    let mut totals: BTreeMap<String, (U256, usize)> = BTreeMap::new();
    for (i, t) in txs.iter().enumerate() {
        if let Some(intent) = &t.intent {
            let key = intent.token().map_or("TRX".to_string(), |c| c.to_base58());
            let e = totals.entry(key).or_insert((U256::ZERO, i));
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
        let day = ledger.signed_since(token, now.saturating_sub(86_400_000));
        if day.saturating_add(*total) > limits.per_24h {
            txs[*first].reasons.push(format!(
                "{} signed in the last 24 h plus this request's {} is over the 24 h limit {}",
                asset.format(day),
                asset.format(*total),
                asset.format(limits.per_24h)
            ));
        }
    }

    let review_items: Vec<ReviewItem<'_>> = txs
        .iter()
        .map(|t| ReviewItem {
            payout_id: t.payout_id,
            raw: t.raw,
            txid: t.txid,
            intent: t.intent.clone(),
            fee: t.fee,
            reasons: t.reasons.clone(),
        })
        .collect();
    let review = render(&review_items, policy, &ledger, now);
    eprint!("{review}");
    let refused: Vec<(usize, &Tx<'_>)> = txs
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.reasons.is_empty())
        .collect();
    if let Some((i, t)) = refused.first() {
        return Err(SignerError::Refused(format!(
            "{} of {} transaction(s) refused; nothing signed. First: #{} {}: {}",
            refused.len(),
            txs.len(),
            i + 1,
            t.payout_id.map_or_else(|| t.txid.to_hex(), String::from),
            t.reasons[0]
        )));
    }
    if args.check_only {
        eprintln!(
            "\nAll {} transaction(s) pass the policy (nothing signed).",
            txs.len()
        );
        return Ok(());
    }

    // Which key signs each transaction.
    let keystores = home.keystores()?;
    let mut plan: Vec<(usize, u32)> = Vec::with_capacity(txs.len()); // (keystore idx, account index)
    for t in &txs {
        let owner = t.raw.owner();
        let pick = if let Some(name) = &args.key {
            let (ki, ks) = keystores
                .iter()
                .enumerate()
                .find(|(_, k)| &k.header.name == name)
                .ok_or_else(|| SignerError::Usage(format!("no wallet named {name:?}")))?;
            match ks.header.accounts.iter().find(|a| a.address == owner) {
                Some(a) => Some((ki, a.index)),
                None if t.raw.contract.permission_id != 0 => {
                    ks.header.accounts.first().map(|a| (ki, a.index))
                }
                None => None,
            }
        } else {
            if t.raw.contract.permission_id != 0 {
                return Err(SignerError::Usage(format!(
                    "transaction {} uses permission id {}; pass --key NAME to choose the signing wallet",
                    t.txid, t.raw.contract.permission_id
                )));
            }
            keystores.iter().enumerate().find_map(|(ki, k)| {
                k.header
                    .accounts
                    .iter()
                    .find(|a| a.address == owner)
                    .map(|a| (ki, a.index))
            })
        };
        plan.push(pick.ok_or_else(|| {
            SignerError::Refused(format!(
                "no key held for owner address {owner}: this signer cannot sign it"
            ))
        })?);
    }

    // Confirmation.
    let code = confirmation_code(&digest);
    if args.yes {
        if !policy.unattended {
            return Err(SignerError::Usage(
                "--yes is only accepted when the policy sets unattended = true".into(),
            ));
        }
    } else {
        eprintln!(
            "\nTo sign these {} transaction(s), type the confirmation code {code}:",
            txs.len()
        );
        let typed = read_confirmation()?;
        if typed.trim().to_ascii_uppercase() != code {
            return Err(SignerError::Refused(
                "confirmation code mismatch; nothing signed".into(),
            ));
        }
    }

    // Unlock each wallet once and derive the needed account keys.
    let mut keys: HashMap<(usize, u32), SigningKey> = HashMap::new();
    let mut needed: Vec<(usize, u32)> = plan.clone();
    needed.sort_unstable();
    needed.dedup();
    let mut unlocked: HashMap<usize, crate::keystore::WalletSecret> = HashMap::new();
    for (ki, idx) in &needed {
        let ks = &keystores[*ki];
        if !unlocked.contains_key(ki) {
            let pass = args
                .pass
                .read(&format!("Passphrase for wallet {}: ", ks.header.name))?;
            unlocked.insert(*ki, ks.unlock(pass.as_bytes())?);
        }
        let key = account_key(ks.header.kind, &unlocked[ki], *idx)?;
        let expect = ks
            .header
            .accounts
            .iter()
            .find(|a| a.index == *idx)
            .map(|a| a.address);
        if expect != Some(Address::from_public_key(key.verifying_key())) {
            return Err(SignerError::KeystoreCorrupt {
                path: ks.path.clone(),
                reason: "decrypted key does not match the address in the header".into(),
            });
        }
        keys.insert((*ki, *idx), key);
    }
    drop(unlocked);

    // Sign on all cores.
    let sigs: Vec<(Address, Signature)> = txs
        .par_iter()
        .zip(plan.par_iter())
        .map(|(t, k)| {
            let key = &keys[k];
            let sig = Signature::sign_txid(key, &t.txid)?;
            Ok((Address::from_public_key(key.verifying_key()), sig))
        })
        .collect::<std::result::Result<_, coldpay_shared::Error>>()?;

    // Record before release: ledger, then the audit line (both fsynced).
    let entries: Vec<LedgerEntry> = txs
        .iter()
        .map(|t| {
            let i = t.intent.as_ref().expect("allowed transactions are payouts");
            LedgerEntry {
                time: now,
                request_id: request_id.clone(),
                payout_id: t.payout_id.unwrap_or("").to_string(),
                txid: t.txid.to_hex(),
                token: i.token().map_or("TRX".to_string(), |c| c.to_base58()),
                to: i.to().to_base58(),
                amount: i.amount().to_string(),
                expiration: t.raw.expiration,
            }
        })
        .collect();
    ledger.append(&entries)?;
    audit::append(
        &home.audit_path(),
        json!({
            "time": now,
            "event": "sign",
            "verdict": "signed",
            "network": home.network.as_str(),
            "policy_digest": hex::encode(policy.digest),
            "request_id": request_id,
            "request_digest": hex::encode(digest),
            "transactions": ctx.txs,
        }),
    )?;

    let output = build_output(&input, &txs, &sigs, &request_id, now);
    let mut bytes = serde_json::to_vec_pretty(&output).expect("json");
    bytes.push(b'\n');
    if args.qr_out.any() {
        let resp = SignResponse::from_json(&output).map_err(|_| {
            SignerError::Usage(
                "QR output carries sign responses; TronWeb input is answered as JSON only".into(),
            )
        })?;
        let compact = coldpay_shared::compact::encode_response(&resp)?;
        let n = args
            .qr_out
            .emit(coldpay_shared::urframe::UrKind::Response, &compact)?;
        eprintln!("Response shown as {n} QR part(s).");
    }
    match &args.output {
        Some(p) => write_atomic(p, &bytes, 0o644)?,
        None if args.qr_out.any() => {}
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| SignerError::io("stdout", e))?;
        }
    }
    eprintln!("Signed {} transaction(s).", txs.len());
    Ok(())
}

fn read_confirmation() -> Result<String> {
    let mut line = String::new();
    let tty = std::fs::File::open("/dev/tty");
    match tty {
        Ok(f) => {
            std::io::BufRead::read_line(&mut std::io::BufReader::new(f), &mut line)
                .map_err(|e| SignerError::io("/dev/tty", e))?;
        }
        Err(_) => {
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| SignerError::io("stdin", e))?;
        }
    }
    Ok(line)
}

fn build_output(
    input: &Input,
    txs: &[Tx<'_>],
    sigs: &[(Address, Signature)],
    request_id: &str,
    now: u64,
) -> Value {
    let by_txid: HashMap<TxId, (Address, Signature)> =
        txs.iter().zip(sigs).map(|(t, s)| (t.txid, *s)).collect();
    let tronweb = |t: &coldpay_shared::tronweb::TronWebTx| {
        let mut all = t.signatures.clone();
        all.push(by_txid[&t.txid].1);
        coldpay_shared::tronweb::to_tronweb_json(&t.raw, &all, t.visible)
    };
    let response = |r: &coldpay_shared::SignRequest| {
        SignResponse {
            request_id: r.request_id.clone(),
            signed_at: now,
            transactions: r
                .transactions
                .iter()
                .map(|t| {
                    let (signer, signature) = by_txid[&t.txid];
                    ResponseTx {
                        payout_id: t.payout_id.clone(),
                        txid: t.txid,
                        signatures: vec![SignerSignature { signer, signature }],
                    }
                })
                .collect(),
        }
        .to_json()
    };
    let item = |i: &InputItem| match i {
        InputItem::Request(r) => response(r),
        InputItem::TronWeb(t) => tronweb(t),
    };
    let _ = request_id;
    match input {
        Input::One(i) => item(i),
        Input::Many(v) => Value::Array(v.iter().map(item).collect()),
        Input::RawHex(_) => Value::Null,
    }
}
