//! The review row `inspect` and `tx decode` print for a transaction, derived only from its
//! decoded bytes. The JSON keys are a contract with scripts.

use serde_json::{json, Value};

use crate::contract::ContractKind;
use crate::error::Result;
use crate::permission::{AccountPermissionUpdate, Permission};
use crate::staking::StakingContract;
use crate::transaction::{Intent, RawData};

/// The `--json` object for one transaction: exactly the documented keys.
pub fn inspect_json(raw: &RawData) -> Result<Value> {
    if let ContractKind::AccountPermissionUpdate(u) = &raw.contract.kind {
        return Ok(permission_update_json(raw, u));
    }
    if let ContractKind::Staking(s) = &raw.contract.kind {
        return Ok(staking_json(raw, s));
    }
    let intent = raw.intent()?;
    Ok(json!({
        "txid": raw.txid().to_hex(),
        "contract_type": raw.contract.kind.type_name(),
        "owner_address": intent.from().to_base58(),
        "to_address": intent.to().to_base58(),
        "token": intent.token().map(|t| t.to_base58()),
        "amount": intent.amount().to_string(),
        "fee_limit": (raw.fee_limit != 0).then_some(raw.fee_limit),
        "expiration": raw.expiration,
        "timestamp": (raw.timestamp != 0).then_some(raw.timestamp),
        "ref_block_bytes": hex::encode(raw.ref_block.bytes),
        "ref_block_hash": hex::encode(raw.ref_block.hash),
        "permission_id": (raw.contract.permission_id != 0).then_some(raw.contract.permission_id),
        "memo": raw.memo_display(),
    }))
}

/// The `--json` object for a permission update: the permissions the account will hold (actives
/// with the ids the chain assigns), in the request's permission JSON form.
fn permission_update_json(raw: &RawData, u: &AccountPermissionUpdate) -> Value {
    json!({
        "txid": raw.txid().to_hex(),
        "contract_type": raw.contract.kind.type_name(),
        "owner_address": u.owner_address.to_base58(),
        "owner_permission": u.owner,
        "witness_permission": u.witness,
        "active_permissions": u.assigned_actives(),
        "expiration": raw.expiration,
        "timestamp": (raw.timestamp != 0).then_some(raw.timestamp),
        "ref_block_bytes": hex::encode(raw.ref_block.bytes),
        "ref_block_hash": hex::encode(raw.ref_block.hash),
        "permission_id": (raw.contract.permission_id != 0).then_some(raw.contract.permission_id),
        "memo": raw.memo_display(),
    })
}

/// The `--json` object for a staking transaction: the contract's own keys (amount in sun as a
/// decimal string, resource, receiver, lock) and the common ones.
fn staking_json(raw: &RawData, s: &StakingContract) -> Value {
    let mut m = s.view_json();
    m.insert("txid".into(), json!(raw.txid().to_hex()));
    m.insert("contract_type".into(), json!(s.type_name()));
    m.insert("expiration".into(), json!(raw.expiration));
    m.insert(
        "timestamp".into(),
        json!((raw.timestamp != 0).then_some(raw.timestamp)),
    );
    m.insert(
        "ref_block_bytes".into(),
        json!(hex::encode(raw.ref_block.bytes)),
    );
    m.insert(
        "ref_block_hash".into(),
        json!(hex::encode(raw.ref_block.hash)),
    );
    m.insert(
        "permission_id".into(),
        json!((raw.contract.permission_id != 0).then_some(raw.contract.permission_id)),
    );
    m.insert("memo".into(), json!(raw.memo_display()));
    Value::Object(m)
}

/// Text lines describing one permission: `owner "owner" (id 0): 2 of 3` and one line per key.
pub fn describe_permission(p: &Permission) -> Vec<String> {
    let mut lines = vec![format!(
        "{} {}: threshold {} of total weight {}",
        p.kind.tron_name(),
        p.label(),
        p.threshold,
        p.total_weight()
    )];
    for k in &p.keys {
        lines.push(format!("  key {} weight {}", k.address, k.weight));
    }
    if let Some(ops) = &p.operations {
        lines.push(format!("  may sign: {ops}"));
    }
    lines
}

/// The plain permission-update block of the text view: the account, then every permission it
/// will hold. The signer passes its own, richer writer in [`TextView::permission_update`].
pub fn plain_permission_update(out: &mut String, u: &AccountPermissionUpdate) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "  account      {}", u.owner_address);
    let _ = writeln!(out, "  new permissions (replace all current ones):");
    let all = std::iter::once(u.owner.clone())
        .chain(u.witness.clone())
        .chain(u.assigned_actives());
    for p in all {
        for line in describe_permission(&p) {
            let _ = writeln!(out, "    {line}");
        }
    }
}

/// A short human description of the intent ("1.5 TRX to T…", "1000000 base units of T… to T…").
pub fn describe_intent(intent: &Intent) -> String {
    match intent {
        Intent::TrxTransfer { to, amount_sun, .. } => {
            format!("{} TRX to {to}", amount_sun.to_trx_string())
        }
        Intent::Trc20Transfer {
            token, to, value, ..
        } => format!("{value} base units of {token} to {to}"),
    }
}

/// A token whose units the reader knows (symbol and decimals from its own registry, never
/// from the input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUnit {
    /// The TRC-20 contract.
    pub contract: crate::Address,
    /// Its symbol ("USDT").
    pub symbol: String,
    /// Its decimals.
    pub decimals: u8,
}

/// "12.5 USDT (contract T…)" for a known token, else base units named as such.
fn token_amount(token: crate::Address, value: crate::amount::U256, tokens: &[TokenUnit]) -> String {
    match tokens.iter().find(|t| t.contract == token) {
        Some(t) => format!(
            "{} {} (contract {token})",
            crate::amount::format_units(value, t.decimals),
            crate::text::escape(&t.symbol)
        ),
        None => format!(
            "{value} base units of token {token} (not in the registry: its decimals are unknown)"
        ),
    }
}

/// The plain staking block of the text view: what the transaction does, in words.
pub fn plain_staking(out: &mut String, s: &StakingContract) {
    use std::fmt::Write as _;
    for line in s.describe() {
        let _ = writeln!(out, "  {line}");
    }
}

/// What the text view needs from its reader: the tokens it can name, the time to show
/// expirations against (the clock is read by the binaries, never here), and how a permission
/// update is shown.
pub struct TextView<'a> {
    /// Tokens whose symbol and decimals the reader knows (its own registry).
    pub tokens: &'a [TokenUnit],
    /// The reader's clock, ms since the epoch.
    pub now_ms: u64,
    /// Writes the lines of a permission update (default [`plain_permission_update`]).
    pub permission_update: fn(&mut String, &AccountPermissionUpdate),
    /// Writes the lines of a staking transaction (default [`plain_staking`]).
    pub staking: fn(&mut String, &StakingContract),
}

impl<'a> TextView<'a> {
    /// A view naming `tokens`, with times relative to `now_ms` and the plain update block.
    pub fn new(tokens: &'a [TokenUnit], now_ms: u64) -> Self {
        TextView {
            tokens,
            now_ms,
            permission_update: plain_permission_update,
            staking: plain_staking,
        }
    }
}

/// A plain-text review of the transactions in an input, one block per transaction: what it
/// does (payment, permission update or staking), amounts in token units for the view's tokens,
/// then the fields every transaction has (fee limit, times in UTC with the time left or
/// passed, reference block, permission, memo). `inspect` and `tx decode` both print this.
pub fn inspect_text(txs: &[crate::input::FoundTx<'_>], view: &TextView<'_>) -> Result<String> {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (i, t) in txs.iter().enumerate() {
        let _ = writeln!(out, "#{} {}", i + 1, t.raw.contract.kind.type_name());
        if let Some(p) = t.payout_id {
            let _ = writeln!(out, "  payout id    {}", crate::text::escape(p));
        }
        let _ = writeln!(out, "  txid         {}", t.txid);
        match &t.raw.contract.kind {
            ContractKind::Staking(s) => (view.staking)(&mut out, s),
            ContractKind::AccountPermissionUpdate(u) => (view.permission_update)(&mut out, u),
            _ => {
                let intent = t.raw.intent()?;
                let _ = writeln!(out, "  from         {}", intent.from());
                let _ = writeln!(out, "  to           {}", intent.to());
                let amount = match intent.token() {
                    Some(tok) => token_amount(tok, intent.amount(), view.tokens),
                    None => format!("{} TRX", trx(intent.amount())),
                };
                let _ = writeln!(out, "  amount       {amount}");
            }
        }
        common_lines(&mut out, t.raw, view.now_ms);
    }
    Ok(out)
}

fn trx(sun: crate::amount::U256) -> String {
    crate::amount::format_units(sun, crate::amount::TRX_DECIMALS)
}

/// The lines every transaction has: fee limit, expiry, creation, reference block, permission
/// and memo (the optional ones only when set).
fn common_lines(out: &mut String, raw: &RawData, now_ms: u64) {
    use crate::timefmt::utc_from_now;
    use std::fmt::Write as _;
    if raw.fee_limit != 0 {
        let fee = trx(crate::amount::U256::from(raw.fee_limit));
        let _ = writeln!(out, "  fee limit    {fee} TRX");
    }
    let _ = writeln!(
        out,
        "  expires      {}",
        utc_from_now(raw.expiration, now_ms)
    );
    if raw.timestamp != 0 {
        let _ = writeln!(
            out,
            "  created      {}",
            utc_from_now(raw.timestamp, now_ms)
        );
    }
    let rb = &raw.ref_block;
    let _ = writeln!(
        out,
        "  ref block    {} / {}",
        hex::encode(rb.bytes),
        hex::encode(rb.hash)
    );
    if raw.contract.permission_id != 0 {
        let _ = writeln!(out, "  permission   {}", raw.contract.permission_id);
    }
    if let Some(m) = raw.memo_display() {
        let _ = writeln!(out, "  memo         {}", m.escape_debug());
    }
}

/// Runs `inspect` / `tx decode` on an input text: the JSON array (`view` None) or the text view.
pub fn inspect_input(text: &str, view: Option<&TextView<'_>>) -> Result<String> {
    let input = crate::input::parse_input(text)?;
    match view {
        None => render_json(&input),
        Some(v) => inspect_text(&input.transactions(), v),
    }
}

/// The `inspect --json` output of an already parsed input: a pretty JSON array, one
/// [`inspect_json`] object per transaction.
pub fn render_json(input: &crate::input::Input) -> Result<String> {
    let rows = input
        .transactions()
        .iter()
        .map(|t| inspect_json(t.raw))
        .collect::<Result<Vec<_>>>()?;
    Ok(serde_json::to_string_pretty(&Value::Array(rows)).expect("serialisable") + "\n")
}

#[cfg(test)]
mod staking_view_tests {
    use super::*;
    use crate::contract::Contract;
    use crate::staking::Resource;
    use crate::{Address, RefBlock, Sun};

    fn raw(c: StakingContract) -> RawData {
        RawData {
            ref_block: RefBlock {
                bytes: [1, 2],
                hash: [3; 8],
            },
            expiration: 1_800_000_000_000,
            memo: Vec::new(),
            contract: Contract {
                kind: ContractKind::Staking(c),
                permission_id: 2,
            },
            timestamp: 0,
            fee_limit: 0,
        }
    }

    #[test]
    fn staking_is_described_in_plain_words_and_json() {
        let owner = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let receiver = Address::parse("TTS7Y53sS4rzrDCtZaiuRzqxd16atCe2UR").unwrap();
        let r = raw(StakingContract::Delegate {
            owner,
            resource: Resource::Energy,
            balance: Sun::new(2_500_000).unwrap(),
            receiver,
            lock: true,
            lock_period: 0,
        });
        let text = inspect_text(
            &[crate::input::FoundTx {
                payout_id: None,
                raw: &r,
                txid: r.txid(),
            }],
            &TextView::new(&[], 0),
        )
        .unwrap();
        assert!(text.contains("#1 DelegateResourceContract"), "{text}");
        assert!(
            text.contains("delegate     the energy of 2.5 TRX staked"),
            "{text}"
        );
        assert!(text.contains(&format!("receiver     {receiver}")), "{text}");
        // The lines every transaction has follow, against the reader's clock.
        assert!(text.contains("permission   2"), "{text}");
        assert!(
            text.contains("expires      2027-01-15T08:00:00Z (in 20833d 8h)"),
            "{text}"
        );
        assert!(
            text.contains("lock         yes, for the chain's default period (3 days)"),
            "{text}"
        );
        let j = inspect_json(&r).unwrap();
        assert_eq!(j["contract_type"], "DelegateResourceContract");
        assert_eq!(j["amount"], "2500000");
        assert_eq!(j["resource"], "ENERGY");
        assert_eq!(j["receiver_address"], receiver.to_base58());
        assert_eq!(j["lock"], true);
        assert_eq!(j["permission_id"], 2);
        let u = raw(StakingContract::Unfreeze {
            owner,
            amount: Sun::new(1_000_000).unwrap(),
            resource: Resource::Bandwidth,
        });
        let j = inspect_json(&u).unwrap();
        assert_eq!(j["resource"], "BANDWIDTH");
        assert_eq!(j.get("receiver_address"), None);
    }
}
