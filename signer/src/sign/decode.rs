//! Stage 1: the input read and decoded, bound to the home's network, its display hints
//! checked against the bytes, each payout's addresses named once.

use std::collections::HashMap;
use std::sync::Arc;

use coldpay_shared::handoff::FeeInputs;
use coldpay_shared::input::{parse_input, FoundTx, Input, InputItem};
use coldpay_shared::permission::{Permission, PermissionClaim};
use coldpay_shared::{Address, Network, TxId};
use sha2::{Digest, Sha256};

use super::{AuditCtx, AuditTx, SignArgs};
use crate::error::{Result, SignerError};
use crate::review::{ReviewItem, TxNames};

/// A decoded input: every transaction as a review item without verdicts yet.
pub(super) struct Decoded<'a> {
    /// The request id shown and recorded (joined ids, or `tronweb-…` for TronWeb input).
    pub(super) request_id: String,
    /// The digest the confirmation code is derived from.
    pub(super) digest: [u8; 32],
    /// Every transaction, in input order.
    pub(super) txs: Vec<ReviewItem<'a>>,
    /// The permission the request's transactions are signed under, as the broadcaster read
    /// it (a claim; see [`super::multisig`]).
    pub(super) claim: Option<&'a PermissionClaim>,
    /// For a permission update: the account's permissions before it, as the broadcaster
    /// read them (a claim).
    pub(super) before: Option<&'a [Permission]>,
}

/// Reads the input named by the arguments (a file, stdin or QR codes).
pub(super) fn read(args: &SignArgs) -> Result<Input> {
    if args.qr_in.any() {
        return crate::qrio::read_request(&args.qr_in);
    }
    if args.input.is_empty() {
        return Err(SignerError::Usage(
            "give an INPUT file (or -), --qr-image FILE… or --ur".into(),
        ));
    }
    parse_input(&super::read_input(&args.input)?)
        .map_err(|e| crate::file_errors::input(&args.input, &e))
}

/// Decodes `input` for a home bound to `network`; the audit context learns the request id,
/// digest and transactions.
pub(super) fn decode<'a>(
    input: &'a Input,
    network: Network,
    ctx: &mut AuditCtx,
) -> Result<Decoded<'a>> {
    let items: Vec<&InputItem> = match input {
        Input::One(i) => vec![i],
        Input::Many(v) => v.iter().collect(),
        Input::RawHex(_) => {
            return Err(SignerError::Usage(
                "a bare raw_data hex string can be inspected but not signed; wrap it in a sign request or TronWeb object".into(),
            ))
        }
    };
    let request_ids = bind_network(&items, network)?;
    let digest = digest_of(&items);
    ctx.digest = Some(hex::encode(digest));
    let request_id = if request_ids.is_empty() {
        format!("tronweb-{}", &hex::encode(digest)[..16])
    } else {
        request_ids.join("+")
    };
    ctx.request_id = Some(request_id.clone());
    check_hints(&items)?;
    let prior = super::multisig::prior_signers(&items);
    let txs = review_items(
        input.transactions(),
        &fees_of(&items),
        prior,
        &duplicates_of(&items),
    );
    let (claim, before) = super::multisig::claims_of(&items, &txs)?;
    ctx.txs = txs.iter().map(audit_tx).collect();
    Ok(Decoded {
        request_id,
        digest,
        txs,
        claim,
        before,
    })
}

/// Refuses a sign request for another network; returns the request ids.
fn bind_network(items: &[&InputItem], network: Network) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for it in items {
        if let InputItem::Request(r) = it {
            if r.network != network {
                return Err(SignerError::Refused(format!(
                    "request {} is for network {}, but this signer home is bound to {network}",
                    r.request_id, r.network
                )));
            }
            ids.push(r.request_id.clone());
        }
    }
    Ok(ids)
}

/// One sign request's own digest; for anything else, the digest of every document's digest
/// (sign requests) or txID (TronWeb objects) in order.
fn digest_of(items: &[&InputItem]) -> [u8; 32] {
    if let [InputItem::Request(r)] = items {
        return r.digest();
    }
    let mut h = Sha256::new();
    for it in items {
        match it {
            InputItem::Request(r) => h.update(r.digest()),
            InputItem::TronWeb(t) => h.update(t.txid.as_bytes()),
        }
    }
    h.finalize().into()
}

/// Display hints must agree with the bytes, or the whole input is refused.
fn check_hints(items: &[&InputItem]) -> Result<()> {
    for it in items {
        if let InputItem::Request(r) = it {
            for t in &r.transactions {
                if let Ok(intent) = t.raw.intent() {
                    t.check_hints(&intent)?;
                }
            }
        }
    }
    Ok(())
}

/// The broadcaster's fee inputs per txID (a claim, labelled as such in the review).
fn fees_of(items: &[&InputItem]) -> HashMap<TxId, FeeInputs> {
    let mut fees = HashMap::new();
    for it in items {
        if let InputItem::Request(r) = it {
            fees.extend(
                r.transactions
                    .iter()
                    .filter_map(|t| t.fee.map(|f| (t.txid, f))),
            );
        }
    }
    fees
}

/// The broadcaster's duplicate marks (`hints.duplicate_of`) per txID.
fn duplicates_of<'a>(items: &[&'a InputItem]) -> HashMap<TxId, &'a str> {
    let mut dups = HashMap::new();
    for it in items {
        if let InputItem::Request(r) = it {
            dups.extend(r.transactions.iter().filter_map(|t| {
                let of = t.hints.as_ref()?.duplicate_of.as_deref()?;
                Some((t.txid, of))
            }));
        }
    }
    dups
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

fn review_items<'a>(
    found: Vec<FoundTx<'a>>,
    fees: &HashMap<TxId, FeeInputs>,
    mut prior: HashMap<TxId, Vec<Option<Address>>>,
    dups: &HashMap<TxId, &'a str>,
) -> Vec<ReviewItem<'a>> {
    let mut b58 = Base58Cache::default();
    let txs = found
        .into_iter()
        .map(|f| {
            let intent = f.raw.intent().ok();
            let names = intent.as_ref().map(|i| TxNames {
                from: b58.get(i.from()),
                to: b58.get(i.to()),
                token: i.token().map_or_else(|| Arc::from("TRX"), |t| b58.get(t)),
            });
            ReviewItem {
                payout_id: f.payout_id,
                raw: f.raw,
                txid: f.txid,
                fee: fees.get(&f.txid).copied(),
                intent,
                names,
                reasons: Vec::new(),
                prior: prior.remove(&f.txid).unwrap_or_default(),
                duplicate_of: dups.get(&f.txid).copied(),
            }
        })
        .collect();
    std::mem::forget(b58); // freed with the process (see run_stages)
    txs
}

fn audit_tx(t: &ReviewItem<'_>) -> AuditTx {
    if let Some(s) = t.staking() {
        // Recorded by its contract type, receiver and amount in sun (the ledger line says
        // the same).
        return AuditTx {
            amount: Some(s.amount_sun().to_string()),
            expiration: t.raw.expiration,
            payout_id: t.payout_id.map(String::from),
            to: s.receiver().map(|r| Arc::from(r.to_base58())),
            token: Some(Arc::from(s.type_name())),
            txid: t.txid.to_hex(),
        };
    }
    if t.is_permission_update() {
        // No value moves: recorded by its contract type (the ledger line says the same).
        return AuditTx {
            amount: Some("0".into()),
            expiration: t.raw.expiration,
            payout_id: t.payout_id.map(String::from),
            to: None,
            token: Some(Arc::from(super::multisig::UPDATE_LEDGER_TOKEN)),
            txid: t.txid.to_hex(),
        };
    }
    AuditTx {
        amount: t.intent.as_ref().map(|i| i.amount().to_string()),
        expiration: t.raw.expiration,
        payout_id: t.payout_id.map(String::from),
        to: t.names.as_ref().map(|n| n.to.clone()),
        token: t.names.as_ref().map(|n| n.token.clone()),
        txid: t.txid.to_hex(),
    }
}
