//! `sign`: decode everything, check policy and ledger, show the review, confirm, unlock once,
//! sign on all cores, record (ledger + audit, fsynced), and only then release the signatures.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use coldpay_shared::handoff::{ResponseTx, SignerSignature};
use coldpay_shared::input::{parse_input, Input, InputItem, MAX_INPUT_BYTES};
use coldpay_shared::{Address, Intent, SignResponse, Signature, TxId, U256};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::keystore::Keystore;
use crate::ledger::{Ledger, LedgerEntry, LedgerQuery};
use crate::passphrase::PassSource;
use crate::policy::Policy;
use crate::review::{confirmation_code, render, ReviewItem, TxNames};
use crate::secp::TxSigner;
use crate::unlock::Unlocker;
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

/// What the audit line of this run should say, filled in as the run progresses.
#[derive(Default)]
struct AuditCtx {
    request_id: Option<String>,
    digest: Option<String>,
    txs: Vec<AuditTx>,
}

/// One transaction in an audit line (keys in sorted order: see [`audit::prepare_with`]).
#[derive(Serialize)]
struct AuditTx {
    amount: Option<String>,
    payout_id: Option<String>,
    to: Option<Arc<str>>,
    token: Option<Arc<str>>,
    txid: String,
}

/// The audit line of a signing (keys in sorted order: see [`audit::prepare_with`]).
#[derive(Serialize)]
struct SignedLine<'a> {
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
    network: &'static str,
    policy_digest: &'a str,
    prev: String,
    request_digest: &'a str,
    request_id: &'a str,
    seq: u64,
    time: u64,
    transactions: &'a [AuditTx],
    verdict: &'static str,
}

/// Runs `sign` (or `policy check`); every outcome is written to the audit log.
pub fn run(home: &Home, args: &SignArgs) -> Result<()> {
    let _lock = home.lock()?;
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

/// Base58 forms of addresses, each computed once per run: at 10,000 transactions base58
/// formatting would otherwise cost more than the checks around it.
#[derive(Default)]
struct Base58Cache(HashMap<Address, Arc<str>>);

impl Base58Cache {
    fn get(&mut self, a: Address) -> Arc<str> {
        self.0
            .entry(a)
            .or_insert_with(|| Arc::from(a.to_base58()))
            .clone()
    }
}

fn run_inner(home: &Home, args: &SignArgs, policy: &Policy, ctx: &mut AuditCtx) -> Result<()> {
    let now = now_ms();
    // Wallet headers first: with one candidate wallet (the only one, or --key's) and a
    // passphrase from a file or descriptor, its KDF runs while the request is checked.
    let keystores = if args.check_only {
        Ok(Vec::new())
    } else {
        home.keystores()
    };
    let mut unlocker = Unlocker::new(args.pass.clone());
    if let Ok(ks) = &keystores {
        let only = match &args.key {
            Some(name) => ks.iter().position(|k| &k.header.name == name),
            None if ks.len() == 1 => Some(0),
            None => None,
        };
        if let Some(ki) = only {
            unlocker.start(ks, vec![ki]);
        }
    }

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

    // Which key signs each transaction (an error here is reported after the policy's
    // verdicts, which matter more to the operator).
    let plan = match &keystores {
        Ok(ks) if !args.check_only => Some(key_plan(ks, &found, args.key.as_deref())),
        _ => None,
    };
    if let (Ok(ks), Some(Ok(plan))) = (&keystores, &plan) {
        let mut wallets: Vec<usize> = plan.iter().map(|(ki, _)| *ki).collect();
        wallets.sort_unstable();
        wallets.dedup();
        if !wallets.iter().all(|ki| unlocker.covers(*ki)) {
            unlocker.start(ks, wallets);
        }
    }

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

    let mut b58 = Base58Cache::default();
    let decoded: Vec<(Option<Intent>, Option<TxNames>)> = found
        .iter()
        .map(|f| {
            let intent = f.raw.intent().ok();
            let names = intent.as_ref().map(|i| TxNames {
                from: b58.get(i.from()),
                to: b58.get(i.to()),
                token: i.token().map_or_else(|| Arc::from("TRX"), |t| b58.get(t)),
            });
            (intent, names)
        })
        .collect();
    // The ledger, for this request's payout ids and recipients and the last 24 h.
    let day_ago = now.saturating_sub(86_400_000);
    let ledger = Ledger::load(
        &home.ledger_path(),
        &LedgerQuery {
            payout_ids: Some(found.iter().filter_map(|f| f.payout_id).collect()),
            recipients: Some(
                decoded
                    .iter()
                    .filter_map(|(_, n)| n.as_ref().map(|n| &*n.to))
                    .collect(),
            ),
            since_ms: day_ago,
        },
    )?;
    let mut txs: Vec<ReviewItem<'_>> = Vec::with_capacity(found.len());
    let mut seen_txids = HashSet::new();
    let mut seen_payouts = HashSet::new();
    for (f, (intent, names)) in found.iter().zip(decoded) {
        let mut reasons = policy.check_tx(f.raw, now);
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
        ctx.txs.push(AuditTx {
            amount: intent.as_ref().map(|i| i.amount().to_string()),
            payout_id: f.payout_id.map(String::from),
            to: names.as_ref().map(|n| n.to.clone()),
            token: names.as_ref().map(|n| n.token.clone()),
            txid: f.txid.to_hex(),
        });
        txs.push(ReviewItem {
            payout_id: f.payout_id,
            raw: f.raw,
            txid: f.txid,
            fee: fees.get(&f.txid).copied(),
            intent,
            names,
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

    let review = render(&txs, policy, &ledger, now);
    eprint!("{review}");
    drop(review);
    let refused: Vec<(usize, &ReviewItem<'_>)> = txs
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
    let keystores = keystores?;
    let plan = plan.expect("planned when the keystores were read")?;

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

    // The records, serialised while the KDF may still be running.
    let entries: Vec<LedgerEntry> = txs
        .iter()
        .map(|t| {
            let i = t.intent.as_ref().expect("allowed transactions are payouts");
            let n = t.names.as_ref().expect("allowed transactions are payouts");
            LedgerEntry {
                time: now,
                request_id: request_id.clone(),
                payout_id: t.payout_id.unwrap_or("").to_string(),
                txid: t.txid.to_hex(),
                token: n.token.to_string(),
                to: n.to.to_string(),
                amount: i.amount().to_string(),
                expiration: t.raw.expiration,
            }
        })
        .collect();
    let ledger_bytes = Ledger::encode(&entries);
    drop(entries);
    let (policy_digest, request_digest) = (hex::encode(policy.digest), hex::encode(digest));
    let audit_line = audit::prepare_with(&home.audit_path(), |seq, prev, hash| SignedLine {
        event: "sign",
        hash,
        network: home.network.as_str(),
        policy_digest: &policy_digest,
        prev,
        request_digest: &request_digest,
        request_id: &request_id,
        seq,
        time: now,
        transactions: &ctx.txs,
        verdict: "signed",
    })?;

    // Unlock each wallet once (joining the background KDF) and derive the needed keys.
    let mut needed: Vec<(usize, u32)> = plan.clone();
    needed.sort_unstable();
    needed.dedup();
    let mut wallets: Vec<usize> = needed.iter().map(|(ki, _)| *ki).collect();
    wallets.dedup();
    let secrets = unlocker.unlock(&keystores, &wallets)?;
    let mut signers: HashMap<(usize, u32), TxSigner> = HashMap::new();
    for (ki, idx) in &needed {
        let ks = &keystores[*ki];
        let key = account_key(ks.header.kind, &secrets[ki], *idx)?;
        let expect = ks
            .header
            .accounts
            .iter()
            .find(|a| a.index == *idx)
            .map(|a| a.address);
        let signer = TxSigner::new(&key)?;
        if expect != Some(signer.address()) {
            return Err(SignerError::KeystoreCorrupt {
                path: ks.path.clone(),
                reason: "decrypted key does not match the address in the header".into(),
            });
        }
        signers.insert((*ki, *idx), signer);
    }
    drop(unlocker);

    // Sign on all cores while the records are written and fsynced: libsecp256k1 signing
    // cannot fail once the key is loaded, and nothing is released before both are done.
    let (sigs, recorded) = std::thread::scope(|s| {
        let rec = s.spawn(|| -> Result<()> {
            ledger.append_encoded(&ledger_bytes)?;
            audit_line.commit(&home.audit_path())
        });
        let sigs: Vec<(Address, Signature)> = txs
            .par_iter()
            .zip(plan.par_iter())
            .map(|(t, k)| {
                let signer = &signers[k];
                (signer.address(), signer.sign(&t.txid))
            })
            .collect();
        (sigs, rec.join().expect("record thread panicked"))
    });
    recorded?;
    drop(signers);

    let (mut bytes, response) = build_output(&input, &txs, &sigs);
    bytes.push(b'\n');
    if args.qr_out.any() {
        let resp = response.ok_or_else(|| {
            SignerError::Usage(
                "QR output carries sign responses; TronWeb input is answered as JSON only".into(),
            )
        })?;
        resp.verify_signers()?;
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
    // The process exits next. Leave the decoded request, the review items and the ledger to
    // the OS rather than freeing them piece by piece (about 20 ms at 10,000 transactions).
    // Nothing secret is among them: the keys and wallet secrets were dropped (and erased)
    // above.
    std::mem::forget((
        txs,
        sigs,
        found,
        fees,
        b58,
        items,
        std::mem::take(&mut ctx.txs),
    ));
    std::mem::forget((input, ledger, keystores, plan));
    Ok(())
}

/// The (keystore index, account index) that signs each transaction: the account whose
/// address is the owner, or for multi-signature permission ids the wallet named by `--key`.
fn key_plan(
    keystores: &[Keystore],
    found: &[coldpay_shared::input::FoundTx<'_>],
    key: Option<&str>,
) -> Result<Vec<(usize, u32)>> {
    let named = key
        .map(|name| {
            keystores
                .iter()
                .position(|k| k.header.name == name)
                .ok_or_else(|| SignerError::Usage(format!("no wallet named {name:?}")))
        })
        .transpose()?;
    let mut plan = Vec::with_capacity(found.len());
    let mut by_owner: HashMap<Address, Option<(usize, u32)>> = HashMap::new();
    for f in found {
        let owner = f.raw.owner();
        let permission = f.raw.contract.permission_id;
        let pick = if let Some(ki) = named {
            let ks = &keystores[ki];
            match ks.header.accounts.iter().find(|a| a.address == owner) {
                Some(a) => Some((ki, a.index)),
                None if permission != 0 => ks.header.accounts.first().map(|a| (ki, a.index)),
                None => None,
            }
        } else {
            if permission != 0 {
                return Err(SignerError::Usage(format!(
                    "transaction {} uses permission id {permission}; pass --key NAME to choose the signing wallet",
                    f.txid
                )));
            }
            *by_owner.entry(owner).or_insert_with(|| {
                keystores.iter().enumerate().find_map(|(ki, k)| {
                    k.header
                        .accounts
                        .iter()
                        .find(|a| a.address == owner)
                        .map(|a| (ki, a.index))
                })
            })
        };
        plan.push(pick.ok_or_else(|| {
            SignerError::Refused(format!(
                "no key held for owner address {owner}: this signer cannot sign it"
            ))
        })?);
    }
    Ok(plan)
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

/// The output document as pretty JSON, and the sign response itself when the input was one
/// sign request (QR output carries only that).
fn build_output(
    input: &Input,
    txs: &[ReviewItem<'_>],
    sigs: &[(Address, Signature)],
) -> (Vec<u8>, Option<SignResponse>) {
    let now = now_ms();
    let by_txid: HashMap<TxId, (Address, Signature)> =
        txs.iter().zip(sigs).map(|(t, s)| (t.txid, *s)).collect();
    let tronweb = |t: &coldpay_shared::tronweb::TronWebTx| {
        let mut all = t.signatures.clone();
        all.push(by_txid[&t.txid].1);
        coldpay_shared::tronweb::to_tronweb_json(&t.raw, &all, t.visible)
    };
    let response = |r: &coldpay_shared::SignRequest| SignResponse {
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
    };
    let item = |i: &InputItem| match i {
        InputItem::Request(r) => response(r).to_json(),
        InputItem::TronWeb(t) => tronweb(t),
    };
    let value = match input {
        Input::One(InputItem::Request(r)) => {
            let resp = response(r);
            return (resp.to_json_pretty(), Some(resp));
        }
        Input::One(i) => item(i),
        Input::Many(v) => Value::Array(v.iter().map(item).collect()),
        Input::RawHex(_) => Value::Null,
    };
    (serde_json::to_vec_pretty(&value).expect("json"), None)
}
