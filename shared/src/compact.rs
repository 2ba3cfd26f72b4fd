//! Compact deterministic binary (dCBOR) forms of the sign request, sign response and watch-only
//! export, for QR codes. See docs/formats.md ("Compact binary and UR").
//!
//! A request carries the fields every transaction shares once (owner, reference block,
//! expiration, token, fee limit, fee-estimate classes, timestamp base) and per transaction only
//! what differs. The decoder **rebuilds every raw_data** from these fields with the same
//! builders the broadcaster uses, and checks the digest of the txIDs the broadcaster expects;
//! a mismatch aborts. So what the signer shows and signs are the rebuilt bytes.

use sha2::{Digest, Sha256};

use crate::address::Address;
use crate::amount::{Sun, U256};
use crate::cbor::Cbor;
use crate::contract::ContractKind;
use crate::error::{Error, Result};
use crate::handoff::{
    ApproverFor, AuditHead, DisplayHints, FeeInputs, RequestTx, ResponseTx, SignResponse,
    SignerSignature, WatchAccount, WatchExport,
};
use crate::handoff::{Network, SignRequest};
use crate::permission::{Permission, PermissionClaim};
use crate::signature::Signature;
use crate::transaction::{RawData, RefBlock, TxId};

const VERSION: u64 = 1;

fn bad(msg: impl Into<String>) -> Error {
    Error::Handoff(format!("compact: {}", msg.into()))
}

fn a20(a: &Address) -> Cbor {
    Cbor::Bytes(a.evm_bytes().to_vec())
}

fn addr_of(c: Option<&Cbor>, what: &str) -> Result<Address> {
    let b = c
        .and_then(Cbor::as_bytes)
        .ok_or_else(|| bad(format!("{what} missing")))?;
    let arr: [u8; 20] = b
        .try_into()
        .map_err(|_| bad(format!("{what} must be 20 bytes")))?;
    Ok(Address::from_evm_bytes(arr))
}

fn uint(c: Option<&Cbor>, what: &str) -> Result<u64> {
    c.and_then(Cbor::as_u64)
        .ok_or_else(|| bad(format!("{what} missing or not an integer")))
}

fn ref_bytes(r: &RefBlock) -> Cbor {
    let mut v = r.bytes.to_vec();
    v.extend_from_slice(&r.hash);
    Cbor::Bytes(v)
}

fn ref_of(c: Option<&Cbor>) -> Result<RefBlock> {
    let b = c
        .and_then(Cbor::as_bytes)
        .filter(|b| b.len() == 10)
        .ok_or_else(|| bad("reference block must be 10 bytes"))?;
    Ok(RefBlock {
        bytes: [b[0], b[1]],
        hash: b[2..10].try_into().expect("8 bytes"),
    })
}

fn amount_cbor(v: U256) -> Cbor {
    match u64::try_from(v) {
        Ok(x) => Cbor::Uint(x),
        Err(_) => Cbor::Bytes(v.to_be_bytes::<32>().to_vec()),
    }
}

fn amount_of(c: Option<&Cbor>) -> Result<U256> {
    match c {
        Some(Cbor::Uint(v)) => Ok(U256::from(*v)),
        Some(Cbor::Bytes(b)) if b.len() == 32 && U256::from_be_slice(b) > U256::from(u64::MAX) => {
            Ok(U256::from_be_slice(b))
        }
        _ => Err(bad("amount must be an integer (or 32 bytes above 2^64)")),
    }
}

fn check_keys(m: &Cbor, allowed: &[u64], what: &str) -> Result<()> {
    match m {
        Cbor::Map(entries) => {
            if let Some((k, _)) = entries.iter().find(|(k, _)| !allowed.contains(k)) {
                return Err(bad(format!("{what}: unknown key {k}")));
            }
            Ok(())
        }
        _ => Err(bad(format!("{what} must be a map"))),
    }
}

/// Digest of the txIDs, in order.
pub fn txids_digest<'a>(ids: impl IntoIterator<Item = &'a TxId>) -> [u8; 32] {
    let mut h = Sha256::new();
    for t in ids {
        h.update(t.as_bytes());
    }
    h.finalize().into()
}

/// The fields a compact request carries once for all its transactions: the first
/// transaction's (or first token transfer's) values, each transaction listing only what
/// differs.
struct Common {
    owner: Address,
    tapos: RefBlock,
    expiration: u64,
    ts_base: u64,
    token: Option<Address>,
    fee_limit: u64,
    permission: u32,
    symbol: Option<String>,
    price: Option<u64>,
    bw: Option<u64>,
    est: [Option<u64>; 3], // holds=true, holds=false, holds unknown
}

fn class(h: Option<bool>) -> usize {
    match h {
        Some(true) => 0,
        Some(false) => 1,
        None => 2,
    }
}

/// Item flags: bit 0 TRX transfer, 1 fee present, 2 recipient holds the token, 3 hints as
/// derived, 4 whether the recipient holds the token is known.
const FLAG_TRX: u64 = 1;
const FLAG_FEE: u64 = 2;
const FLAG_HOLDS: u64 = 4;
const FLAG_HINTS_DERIVED: u64 = 8;
const FLAG_HOLDS_KNOWN: u64 = 16;

struct Parts {
    to: Address,
    amount: U256,
    trx: bool,
    token: Option<Address>,
    call_value: u64,
}

fn parts(t: &RequestTx) -> Result<Parts> {
    match &t.raw.contract.kind {
        ContractKind::Transfer(c) => Ok(Parts {
            to: c.to,
            amount: U256::from(c.amount.as_u64()),
            trx: true,
            token: None,
            call_value: 0,
        }),
        ContractKind::TriggerSmart(c) => {
            let (to, value) = crate::abi::decode_transfer(&c.data).map_err(|e| {
                bad(format!(
                    "payout {}: only TRC-20 transfer calls fit the compact form ({e})",
                    t.payout_id
                ))
            })?;
            Ok(Parts {
                to,
                amount: value,
                trx: false,
                token: Some(c.contract),
                call_value: c.call_value.as_u64(),
            })
        }
        ContractKind::AccountPermissionUpdate(_) => Err(bad(format!(
            "payout {}: a permission update does not fit the compact form; hand over the JSON request file",
            t.payout_id
        ))),
        ContractKind::Staking(s) => Err(bad(format!(
            "payout {}: a {} does not fit the compact form",
            t.payout_id,
            s.type_name()
        ))),
    }
}

fn derived_hints(p: &Parts, symbol: Option<&str>) -> DisplayHints {
    DisplayHints {
        to: Some(p.to),
        amount: Some(p.amount.to_string()),
        token: p.token,
        symbol: Some(if p.trx {
            "TRX".to_string()
        } else {
            symbol.unwrap_or("").to_string()
        }),
        duplicate_of: None,
    }
}

impl Common {
    /// The shared fields of `req`, whose transactions decompose into `ps`.
    fn of(req: &SignRequest, ps: &[Parts]) -> Common {
        let first = &req.transactions[0];
        let first_token = req.transactions.iter().zip(ps).find(|(_, p)| !p.trx);
        let fees = || req.transactions.iter().filter_map(|t| t.fee);
        let mut est = [None; 3];
        for f in fees() {
            est[class(f.recipient_holds_token)].get_or_insert(f.energy_estimate);
        }
        Common {
            owner: first.raw.owner(),
            tapos: first.raw.ref_block,
            expiration: first.raw.expiration,
            ts_base: req
                .transactions
                .iter()
                .map(|t| t.raw.timestamp)
                .min()
                .unwrap_or(0),
            token: first_token.and_then(|(_, p)| p.token),
            fee_limit: first_token.map_or(0, |(t, _)| t.raw.fee_limit),
            permission: first.raw.contract.permission_id,
            symbol: first_token.and_then(|(t, _)| t.hints.as_ref().and_then(|h| h.symbol.clone())),
            price: fees().map(|f| f.energy_price_sun).next(),
            bw: fees().find_map(|f| f.bandwidth_bytes),
            est,
        }
    }

    /// The fee a transaction with flag "fee present" and no explicit fee has.
    fn default_fee(&self, holds: Option<bool>) -> FeeInputs {
        FeeInputs {
            energy_estimate: self.est[class(holds)].unwrap_or(0),
            energy_price_sun: self.price.unwrap_or(0),
            recipient_holds_token: holds,
            bandwidth_bytes: self.bw,
            ..FeeInputs::default()
        }
    }

    /// The request map's keys 0–16 around the encoded `items`.
    fn header(&self, req: &SignRequest, items: Vec<Cbor>) -> Vec<(u64, Cbor)> {
        let opt = |v: Option<u64>| v.map_or(Cbor::Null, Cbor::Uint);
        let mut m = vec![
            (0, Cbor::Uint(VERSION)),
            (1, Cbor::Uint(u64::from(req.network.code()))),
            (2, Cbor::Text(req.request_id.clone())),
            (3, Cbor::Uint(req.created_at)),
            (4, a20(&self.owner)),
            (5, ref_bytes(&self.tapos)),
            (6, Cbor::Uint(self.expiration)),
            (7, Cbor::Uint(self.ts_base)),
        ];
        if let Some(t) = self.token {
            m.push((8, a20(&t)));
            m.push((9, Cbor::Uint(self.fee_limit)));
        }
        if self.permission != 0 {
            m.push((10, Cbor::Uint(u64::from(self.permission))));
        }
        let digest = txids_digest(req.transactions.iter().map(|t| &t.txid));
        m.push((11, Cbor::Bytes(digest.to_vec())));
        m.push((12, Cbor::Array(items)));
        if let Some(s) = &self.symbol {
            m.push((13, Cbor::Text(s.clone())));
        }
        if self.price.is_some() {
            let [a, b, c] = self.est;
            let defaults = [self.price, self.bw, a, b, c].map(opt);
            m.push((14, Cbor::Array(defaults.to_vec())));
        }
        if let Some(claim) = &req.permission {
            m.push((15, Cbor::Bytes(claim.canonical_bytes())));
        }
        if let Some(before) = &req.permission_before {
            let list = before.iter().map(|p| Cbor::Bytes(p.encode())).collect();
            m.push((16, Cbor::Array(list)));
        }
        m
    }
}

/// Encodes a sign request compactly.
pub fn encode_request(req: &SignRequest) -> Result<Vec<u8>> {
    req.validate()?;
    let ps: Vec<Parts> = req.transactions.iter().map(parts).collect::<Result<_>>()?;
    let c = Common::of(req, &ps);
    let items = req
        .transactions
        .iter()
        .zip(&ps)
        .map(|(t, p)| encode_item(t, p, &c))
        .collect::<Result<Vec<_>>>()?;
    Ok(Cbor::Map(c.header(req, items)).encode())
}

/// One transaction: [payout id, recipient, amount, flags, timestamp delta, {fields that
/// differ from `c`}].
fn encode_item(t: &RequestTx, p: &Parts, c: &Common) -> Result<Cbor> {
    let mut flags = if p.trx { FLAG_TRX } else { 0 };
    let mut tail: Vec<(u64, Cbor)> = Vec::new();
    if !t.raw.memo.is_empty() {
        tail.push((0, Cbor::Bytes(t.raw.memo.clone())));
    }
    let fl = if p.trx { 0 } else { c.fee_limit };
    if t.raw.fee_limit != fl {
        tail.push((1, Cbor::Uint(t.raw.fee_limit)));
    }
    if let Some(f) = t.fee {
        flags |= fee_flags(f.recipient_holds_token);
        if c.default_fee(f.recipient_holds_token) != f {
            tail.push((2, Cbor::Array(fee_entries(&f))));
        }
    }
    tail.extend(differences(t, p, c));
    if t.raw.timestamp == 0 && c.ts_base != 0 {
        return Err(bad(format!(
            "payout {}: mixed absent and present timestamps",
            t.payout_id
        )));
    }
    if let Some(h) = &t.hints {
        let sym = if p.trx { None } else { c.symbol.as_deref() };
        let mut d = derived_hints(p, sym);
        d.token = if p.trx { None } else { p.token };
        if *h == d {
            flags |= FLAG_HINTS_DERIVED;
        } else {
            tail.push((9, hints_cbor(h)));
        }
    }
    let mut item = vec![
        Cbor::Text(t.payout_id.clone()),
        a20(&p.to),
        amount_cbor(p.amount),
        Cbor::Uint(flags),
        Cbor::Uint(t.raw.timestamp - c.ts_base),
    ];
    if !tail.is_empty() {
        item.push(Cbor::Map(tail));
    }
    Ok(Cbor::Array(item))
}

/// The flags of a present fee whose recipient holds the token as `holds` says.
fn fee_flags(holds: Option<bool>) -> u64 {
    match holds {
        None => FLAG_FEE,
        Some(false) => FLAG_FEE | FLAG_HOLDS_KNOWN,
        Some(true) => FLAG_FEE | FLAG_HOLDS_KNOWN | FLAG_HOLDS,
    }
}

/// Item fields 3–8: expiration, reference block, owner, token, permission and call value
/// where they differ from `c` (or, for the call value, from 0).
fn differences(t: &RequestTx, p: &Parts, c: &Common) -> Vec<(u64, Cbor)> {
    let mut tail = Vec::new();
    if t.raw.expiration != c.expiration {
        tail.push((3, Cbor::Uint(t.raw.expiration)));
    }
    if t.raw.ref_block != c.tapos {
        tail.push((4, ref_bytes(&t.raw.ref_block)));
    }
    if t.raw.owner() != c.owner {
        tail.push((5, a20(&t.raw.owner())));
    }
    if let Some(token) = p.token.filter(|_| !p.trx && p.token != c.token) {
        tail.push((6, a20(&token)));
    }
    if t.raw.contract.permission_id != c.permission {
        tail.push((7, Cbor::Uint(u64::from(t.raw.contract.permission_id))));
    }
    if p.call_value != 0 {
        tail.push((8, Cbor::Uint(p.call_value)));
    }
    tail
}

/// Hints that differ from the derived ones: [to, amount, token, symbol(, duplicate of)].
fn hints_cbor(h: &DisplayHints) -> Cbor {
    let entries = vec![
        h.to.map_or(Cbor::Null, |a| a20(&a)),
        h.amount.clone().map_or(Cbor::Null, Cbor::Text),
        h.token.map_or(Cbor::Null, |a| a20(&a)),
        h.symbol.clone().map_or(Cbor::Null, Cbor::Text),
    ];
    Cbor::Array(
        entries
            .into_iter()
            .chain(h.duplicate_of.clone().map(Cbor::Text))
            .collect(),
    )
}

/// Entries of an explicit fee: [estimate, price, bandwidth bytes], then — only when the
/// request carries any of them — [energy from stake, bandwidth covered (0/1), bandwidth
/// price, memo fee, other fees] (null = absent).
fn fee_entries(f: &FeeInputs) -> Vec<Cbor> {
    let opt = |v: Option<u64>| v.map_or(Cbor::Null, Cbor::Uint);
    let mut v = vec![
        Cbor::Uint(f.energy_estimate),
        Cbor::Uint(f.energy_price_sun),
        opt(f.bandwidth_bytes),
    ];
    let cost = [
        f.energy_from_stake,
        f.bandwidth_covered.map(u64::from),
        f.bandwidth_price_sun,
        f.memo_fee_sun,
        f.other_fees_sun,
    ];
    if cost.iter().any(Option::is_some) {
        v.extend(cost.into_iter().map(opt));
    }
    v
}

/// An explicit fee (3 or 8 entries, see [`fee_entries`]); a long form whose cost entries are
/// all null is refused as non-canonical by the re-encoding check.
fn fee_of(f: &[Cbor], holds: Option<bool>) -> Result<FeeInputs> {
    if f.len() != 3 && f.len() != 8 {
        return Err(bad("explicit fee must have 3 or 8 entries"));
    }
    let covered = match opt_u(f.get(4))? {
        None => None,
        Some(0) => Some(false),
        Some(1) => Some(true),
        Some(_) => return Err(bad("fee: bandwidth covered must be 0 or 1")),
    };
    Ok(FeeInputs {
        energy_estimate: uint(f.first(), "energy estimate")?,
        energy_price_sun: uint(f.get(1), "energy price")?,
        recipient_holds_token: holds,
        bandwidth_bytes: opt_u(f.get(2))?,
        energy_from_stake: opt_u(f.get(3))?,
        bandwidth_covered: covered,
        bandwidth_price_sun: opt_u(f.get(5))?,
        memo_fee_sun: opt_u(f.get(6))?,
        other_fees_sun: opt_u(f.get(7))?,
    })
}

fn opt_u(c: Option<&Cbor>) -> Result<Option<u64>> {
    match c {
        None | Some(Cbor::Null) => Ok(None),
        Some(Cbor::Uint(v)) => Ok(Some(*v)),
        _ => Err(bad("expected an integer or null")),
    }
}

/// Decodes a compact request, rebuilding every transaction and checking the txID digest.
pub fn decode_request(bytes: &[u8]) -> Result<SignRequest> {
    let m = Cbor::decode(bytes)?;
    check_keys(
        &m,
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        "request",
    )?;
    if uint(m.get(0), "version")? != VERSION {
        return Err(bad("unsupported compact request version"));
    }
    let network =
        Network::from_code(u8::try_from(uint(m.get(1), "network")?).map_err(|_| bad("network"))?)?;
    let request_id = m
        .get(2)
        .and_then(Cbor::as_text)
        .ok_or_else(|| bad("request_id missing"))?
        .to_string();
    let created_at = uint(m.get(3), "created_at")?;
    let (c, digest) = Common::decode(&m)?;
    let items = m
        .get(12)
        .and_then(Cbor::as_array)
        .ok_or_else(|| bad("transactions missing"))?;
    let txs = items
        .iter()
        .enumerate()
        .map(|(i, it)| decode_item(i, it, &c))
        .collect::<Result<Vec<_>>>()?;
    if txids_digest(txs.iter().map(|t| &t.txid)).as_slice() != digest {
        return Err(bad("the rebuilt transactions do not match the txIDs the broadcaster expects (digest mismatch); refusing"));
    }
    let req = SignRequest {
        network,
        request_id,
        created_at,
        transactions: txs,
        permission: m.get(15).map(claim_of).transpose()?,
        permission_before: m.get(16).map(permissions_of).transpose()?,
    };
    req.validate()?;
    if encode_request(&req)? != bytes {
        return Err(bad("non-canonical compact request"));
    }
    Ok(req)
}

impl Common {
    /// The shared fields (request keys 4–10, 13, 14) and the txID digest (key 11) of a
    /// compact request map.
    fn decode(m: &Cbor) -> Result<(Common, &[u8])> {
        let owner = addr_of(m.get(4), "owner")?;
        let tapos = ref_of(m.get(5))?;
        let expiration = uint(m.get(6), "expiration")?;
        let ts_base = uint(m.get(7), "timestamp base")?;
        let token = m.get(8).map(|c| addr_of(Some(c), "token")).transpose()?;
        let fee_limit = opt_u(m.get(9))?.unwrap_or(0);
        let permission =
            u32::try_from(opt_u(m.get(10))?.unwrap_or(0)).map_err(|_| bad("permission id"))?;
        let digest = m
            .get(11)
            .and_then(Cbor::as_bytes)
            .ok_or_else(|| bad("txid digest missing"))?;
        let symbol = m
            .get(13)
            .map(|c| c.as_text().map(str::to_string).ok_or_else(|| bad("symbol")))
            .transpose()?;
        let (price, bw, est) = match m.get(14).and_then(Cbor::as_array) {
            Some(a) if a.len() == 5 => (
                opt_u(a.first())?,
                opt_u(a.get(1))?,
                [opt_u(a.get(2))?, opt_u(a.get(3))?, opt_u(a.get(4))?],
            ),
            Some(_) => return Err(bad("fee defaults must have 5 entries")),
            None => (None, None, [None; 3]),
        };
        let c = Common {
            owner,
            tapos,
            expiration,
            ts_base,
            token,
            fee_limit,
            permission,
            symbol,
            price,
            bw,
            est,
        };
        Ok((c, digest))
    }
}

/// The head of one item: payout id, recipient, amount, flags, timestamp and its field map.
struct ItemHead<'a> {
    payout_id: String,
    to: Address,
    amount: U256,
    flags: u64,
    timestamp: u64,
    tail: &'a Cbor,
}

const EMPTY_MAP: &Cbor = &Cbor::Map(Vec::new());

impl<'a> ItemHead<'a> {
    fn decode(i: usize, it: &'a Cbor, ts_base: u64) -> Result<ItemHead<'a>> {
        let a = it
            .as_array()
            .filter(|a| a.len() == 5 || a.len() == 6)
            .ok_or_else(|| bad(format!("transaction {i}: malformed")))?;
        let payout_id = a[0]
            .as_text()
            .ok_or_else(|| bad(format!("transaction {i}: payout id")))?
            .to_string();
        let to = addr_of(Some(&a[1]), "recipient")?;
        let amount = amount_of(Some(&a[2]))?;
        let flags = uint(Some(&a[3]), "flags")?;
        if flags >= 32 {
            return Err(bad(format!("transaction {i}: unknown flags {flags}")));
        }
        let timestamp = ts_base
            .checked_add(uint(Some(&a[4]), "timestamp delta")?)
            .ok_or_else(|| bad("timestamp overflow"))?;
        let tail = a.get(5).unwrap_or(EMPTY_MAP);
        check_keys(tail, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "transaction fields")?;
        if a.len() == 6 && matches!(tail, Cbor::Map(e) if e.is_empty()) {
            return Err(bad("empty field map must be omitted"));
        }
        Ok(ItemHead {
            payout_id,
            to,
            amount,
            flags,
            timestamp,
            tail,
        })
    }

    fn holds(&self) -> Option<bool> {
        (self.flags & FLAG_HOLDS_KNOWN != 0).then_some(self.flags & FLAG_HOLDS != 0)
    }
}

/// One transaction of a compact request, its raw_data rebuilt and strictly re-decoded.
fn decode_item(i: usize, it: &Cbor, c: &Common) -> Result<RequestTx> {
    let h = ItemHead::decode(i, it, c.ts_base)?;
    let raw = rebuild_raw(&h, c)?;
    // The rebuilt bytes pass the same strict decoder as JSON input: one set of bounds
    // (Permission_id int32, timestamp/expiration/fee_limit int64, …) for every form.
    let raw = RawData::decode(&raw.encode()).map_err(|e| {
        bad(format!(
            "transaction {i} (payout {}): {e}",
            crate::text::escape(&h.payout_id)
        ))
    })?;
    let fee = if h.flags & FLAG_FEE != 0 {
        Some(match h.tail.get(2).and_then(Cbor::as_array) {
            Some(f) => fee_of(f, h.holds())?,
            None => c.default_fee(h.holds()),
        })
    } else {
        None
    };
    let p = parts(&RequestTx::new(h.payout_id.clone(), raw.clone()))?;
    let hints = if h.flags & FLAG_HINTS_DERIVED != 0 {
        Some(derived_hints(&p, c.symbol.as_deref()))
    } else {
        h.tail
            .get(9)
            .and_then(Cbor::as_array)
            .map(hints_of)
            .transpose()?
    };
    let mut t = RequestTx::new(h.payout_id, raw);
    t.fee = fee;
    t.hints = hints;
    Ok(t)
}

/// The raw_data of one item, built with the broadcaster's builders from its head, its
/// field map and the shared fields.
fn rebuild_raw(h: &ItemHead<'_>, c: &Common) -> Result<RawData> {
    let tail = h.tail;
    let exp = opt_u(tail.get(3))?.unwrap_or(c.expiration);
    let r = match tail.get(4) {
        Some(x) => ref_of(Some(x))?,
        None => c.tapos,
    };
    let from = match tail.get(5) {
        Some(x) => addr_of(Some(x), "owner")?,
        None => c.owner,
    };
    let mut raw = if h.flags & FLAG_TRX != 0 {
        let sun = Sun::new(u64::try_from(h.amount).map_err(|_| bad("TRX amount too large"))?)?;
        let mut raw = RawData::trx_transfer(from, h.to, sun, r, exp, h.timestamp);
        raw.fee_limit = opt_u(tail.get(1))?.unwrap_or(0);
        raw
    } else {
        let tok = match tail.get(6) {
            Some(x) => addr_of(Some(x), "token")?,
            None => c.token.ok_or_else(|| bad("token missing"))?,
        };
        let fee_limit = opt_u(tail.get(1))?.unwrap_or(c.fee_limit);
        let mut raw =
            RawData::trc20_transfer(from, tok, h.to, h.amount, fee_limit, r, exp, h.timestamp);
        if let Some(cv) = opt_u(tail.get(8))? {
            if let ContractKind::TriggerSmart(t) = &mut raw.contract.kind {
                t.call_value = Sun::new(cv)?;
            }
        }
        raw
    };
    if let Some(memo) = tail.get(0) {
        raw.memo = memo
            .as_bytes()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| bad("memo must be non-empty bytes"))?
            .to_vec();
    }
    raw.contract.permission_id =
        u32::try_from(opt_u(tail.get(7))?.unwrap_or(u64::from(c.permission)))
            .map_err(|_| bad("permission id"))?;
    Ok(raw)
}

/// Hints given explicitly: 4 or 5 entries, addresses and texts or null.
fn hints_of(h: &[Cbor]) -> Result<DisplayHints> {
    if h.len() != 4 && h.len() != 5 {
        return Err(bad("hints must have 4 or 5 entries"));
    }
    let oa = |c: &Cbor| -> Result<Option<Address>> {
        if *c == Cbor::Null {
            Ok(None)
        } else {
            addr_of(Some(c), "hint address").map(Some)
        }
    };
    let ot = |c: &Cbor| -> Result<Option<String>> {
        if *c == Cbor::Null {
            Ok(None)
        } else {
            c.as_text()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| bad("hint text"))
        }
    };
    Ok(DisplayHints {
        to: oa(&h[0])?,
        amount: ot(&h[1])?,
        token: oa(&h[2])?,
        symbol: ot(&h[3])?,
        duplicate_of: h.get(4).map(ot).transpose()?.flatten(),
    })
}

/// The permission claim from its canonical bytes (a Permission message with operations).
fn claim_of(c: &Cbor) -> Result<PermissionClaim> {
    let b = c
        .as_bytes()
        .ok_or_else(|| bad("permission must be bytes"))?;
    let p = Permission::decode_at(b, "compact permission")?;
    let claim = PermissionClaim {
        id: p.id,
        name: p.name,
        threshold: p.threshold,
        keys: p.keys,
        operations: p
            .operations
            .ok_or_else(|| bad("permission: operations missing"))?,
    };
    if claim.canonical_bytes() != b {
        return Err(bad("permission: non-canonical"));
    }
    Ok(claim)
}

fn permissions_of(c: &Cbor) -> Result<Vec<Permission>> {
    c.as_array()
        .ok_or_else(|| bad("permission_before must be an array"))?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let b = p
                .as_bytes()
                .ok_or_else(|| bad(format!("permission_before[{i}] must be bytes")))?;
            Permission::decode_at(b, &format!("compact permission_before[{i}]"))
        })
        .collect()
}

/// Encodes a sign response compactly: when every transaction has one signature by the same
/// signer, 69 bytes per transaction (4-byte txID prefix ‖ 65-byte signature).
pub fn encode_response(resp: &SignResponse) -> Result<Vec<u8>> {
    let mut m = vec![
        (0, Cbor::Uint(VERSION)),
        (1, Cbor::Text(resp.request_id.clone())),
        (2, Cbor::Uint(resp.signed_at)),
    ];
    let signer = resp
        .transactions
        .first()
        .and_then(|t| t.signatures.first())
        .map(|s| s.signer);
    let simple = signer.is_some()
        && resp
            .transactions
            .iter()
            .all(|t| t.signatures.len() == 1 && Some(t.signatures[0].signer) == signer);
    if simple {
        let mut packed = Vec::with_capacity(resp.transactions.len() * 69);
        for t in &resp.transactions {
            packed.extend_from_slice(&t.txid.as_bytes()[..4]);
            packed.extend_from_slice(t.signatures[0].signature.as_bytes());
        }
        m.push((3, a20(&signer.expect("checked"))));
        m.push((4, Cbor::Bytes(packed)));
    } else {
        let items = resp
            .transactions
            .iter()
            .map(|t| {
                Cbor::Array(vec![
                    Cbor::Text(t.payout_id.clone()),
                    Cbor::Bytes(t.txid.as_bytes().to_vec()),
                    Cbor::Array(
                        t.signatures
                            .iter()
                            .map(|s| {
                                Cbor::Array(vec![
                                    a20(&s.signer),
                                    Cbor::Bytes(s.signature.as_bytes().to_vec()),
                                ])
                            })
                            .collect(),
                    ),
                ])
            })
            .collect();
        m.push((5, Cbor::Array(items)));
    }
    if let Some(h) = &resp.audit_head {
        m.push((6, audit_head_cbor(h)?));
    }
    if let Some(p) = &resp.policy {
        p.validate()?;
        let digest = hex::decode(&p.digest).map_err(|_| bad("policy digest"))?;
        m.push((7, Cbor::Array(vec![Cbor::Uint(p.seq), Cbor::Bytes(digest)])));
    }
    Ok(Cbor::Map(m).encode())
}

/// The audit head as `[log (32 bytes), seq, hash (32 bytes)]`.
fn audit_head_cbor(h: &AuditHead) -> Result<Cbor> {
    h.validate()?;
    Ok(Cbor::Array(vec![
        Cbor::Bytes(h.log_bytes()?.to_vec()),
        Cbor::Uint(h.seq),
        Cbor::Bytes(h.hash_bytes()?.to_vec()),
    ]))
}

/// The sealed policy as `[seq, digest (32 bytes)]`.
fn policy_of(c: &Cbor) -> Result<crate::handoff::SignerPolicy> {
    let a = c
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| bad("policy must be [seq, digest]"))?;
    let digest = a[1]
        .as_bytes()
        .filter(|b| b.len() == 32)
        .map(hex::encode)
        .ok_or_else(|| bad("policy digest must be 32 bytes"))?;
    let p = crate::handoff::SignerPolicy {
        seq: uint(Some(&a[0]), "policy seq")?,
        digest,
    };
    p.validate()?;
    Ok(p)
}

fn audit_head_of(c: &Cbor) -> Result<AuditHead> {
    let a = c
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| bad("audit head must be [log, seq, hash]"))?;
    let h32 = |c: &Cbor, what: &str| {
        c.as_bytes()
            .filter(|b| b.len() == 32)
            .map(hex::encode)
            .ok_or_else(|| bad(format!("audit head {what} must be 32 bytes")))
    };
    let head = AuditHead {
        log: h32(&a[0], "log")?,
        seq: uint(Some(&a[1]), "audit head seq")?,
        hash: h32(&a[2], "hash")?,
    };
    head.validate()?;
    Ok(head)
}

/// Decodes a compact response. `lookup` maps a 4-byte txID prefix to the (payout id, txID)
/// candidates the broadcaster built; the one the signature recovers for is chosen.
pub fn decode_response(
    bytes: &[u8],
    lookup: &dyn Fn(&[u8]) -> Vec<(String, TxId)>,
) -> Result<SignResponse> {
    let m = Cbor::decode(bytes)?;
    check_keys(&m, &[0, 1, 2, 3, 4, 5, 6, 7], "response")?;
    if uint(m.get(0), "version")? != VERSION {
        return Err(bad("unsupported compact response version"));
    }
    let request_id = m
        .get(1)
        .and_then(Cbor::as_text)
        .ok_or_else(|| bad("request_id missing"))?
        .to_string();
    let signed_at = uint(m.get(2), "signed_at")?;
    let mut transactions = Vec::new();
    if let Some(packed) = m.get(4) {
        let signer = addr_of(m.get(3), "signer")?;
        let b = packed
            .as_bytes()
            .ok_or_else(|| bad("signatures must be bytes"))?;
        if b.len() % 69 != 0 || b.is_empty() {
            return Err(bad(
                "packed signatures must be a non-empty multiple of 69 bytes",
            ));
        }
        for chunk in b.chunks(69) {
            let sig = Signature::from_bytes(&chunk[4..])?;
            let cands = lookup(&chunk[..4]);
            let (payout_id, txid) = cands
                .into_iter()
                .find(|(_, t)| sig.recover(t).ok() == Some(signer))
                .ok_or_else(|| {
                    bad(format!(
                        "no built transaction with txID prefix {} is signed by {signer}",
                        hex::encode(&chunk[..4])
                    ))
                })?;
            transactions.push(ResponseTx {
                payout_id,
                txid,
                signatures: vec![SignerSignature {
                    signer,
                    signature: sig,
                }],
            });
        }
    } else {
        let items = m
            .get(5)
            .and_then(Cbor::as_array)
            .ok_or_else(|| bad("transactions missing"))?;
        for it in items {
            let a = it
                .as_array()
                .filter(|a| a.len() == 3)
                .ok_or_else(|| bad("malformed transaction"))?;
            let txid = TxId::from_bytes(
                a[1].as_bytes()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| bad("txid must be 32 bytes"))?,
            );
            let sigs = a[2]
                .as_array()
                .ok_or_else(|| bad("signatures"))?
                .iter()
                .map(|s| {
                    let p = s
                        .as_array()
                        .filter(|p| p.len() == 2)
                        .ok_or_else(|| bad("signature entry"))?;
                    Ok(SignerSignature {
                        signer: addr_of(Some(&p[0]), "signer")?,
                        signature: Signature::from_bytes(
                            p[1].as_bytes().ok_or_else(|| bad("signature bytes"))?,
                        )?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            transactions.push(ResponseTx {
                payout_id: a[0].as_text().ok_or_else(|| bad("payout id"))?.to_string(),
                txid,
                signatures: sigs,
            });
        }
    }
    let audit_head = m.get(6).map(audit_head_of).transpose()?;
    let policy = m.get(7).map(policy_of).transpose()?;
    let resp = SignResponse {
        request_id,
        signed_at,
        transactions,
        audit_head,
        policy,
    };
    resp.verify_signers()?;
    if encode_response(&resp)? != bytes {
        return Err(bad("non-canonical compact response"));
    }
    Ok(resp)
}

/// Encodes a watch-only export compactly.
pub fn encode_watch(w: &WatchExport) -> Vec<u8> {
    let accts = w
        .accounts
        .iter()
        .map(|a| {
            Cbor::Array(vec![
                Cbor::Text(a.name.clone()),
                a20(&a.address),
                a.path.clone().map_or(Cbor::Null, Cbor::Text),
            ])
        })
        .collect();
    let mut m = vec![
        (0, Cbor::Uint(VERSION)),
        (1, Cbor::Uint(u64::from(w.network.code()))),
        (2, Cbor::Array(accts)),
    ];
    if let Some(a) = &w.approver_for {
        m.push((
            3,
            Cbor::Array(vec![a20(&a.account), Cbor::Text(a.permission.clone())]),
        ));
    }
    Cbor::Map(m).encode()
}

fn approver_for_of(c: &Cbor) -> Result<ApproverFor> {
    let a = c
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| bad("approver_for entry"))?;
    let out = ApproverFor {
        account: addr_of(Some(&a[0]), "approver_for account")?,
        permission: a[1]
            .as_text()
            .ok_or_else(|| bad("approver_for permission"))?
            .to_string(),
    };
    out.validate()?;
    Ok(out)
}

/// Decodes a compact watch-only export.
pub fn decode_watch(bytes: &[u8]) -> Result<WatchExport> {
    let m = Cbor::decode(bytes)?;
    check_keys(&m, &[0, 1, 2, 3], "watch-only export")?;
    if uint(m.get(0), "version")? != VERSION {
        return Err(bad("unsupported compact watch-only version"));
    }
    let network =
        Network::from_code(u8::try_from(uint(m.get(1), "network")?).map_err(|_| bad("network"))?)?;
    let accounts = m
        .get(2)
        .and_then(Cbor::as_array)
        .ok_or_else(|| bad("accounts missing"))?
        .iter()
        .map(|a| {
            let a = a
                .as_array()
                .filter(|a| a.len() == 3)
                .ok_or_else(|| bad("account entry"))?;
            Ok(WatchAccount {
                name: a[0].as_text().ok_or_else(|| bad("name"))?.to_string(),
                address: addr_of(Some(&a[1]), "address")?,
                path: match &a[2] {
                    Cbor::Null => None,
                    Cbor::Text(p) => Some(p.clone()),
                    _ => return Err(bad("path")),
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if accounts.is_empty() {
        return Err(bad("no accounts"));
    }
    for a in &accounts {
        crate::text::check_id("watch-only account name", &a.name)?;
    }
    let approver_for = m.get(3).map(approver_for_of).transpose()?;
    let w = WatchExport {
        network,
        accounts,
        approver_for,
    };
    if encode_watch(&w) != bytes {
        return Err(bad("non-canonical compact watch-only export"));
    }
    Ok(w)
}
