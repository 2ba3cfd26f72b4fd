//! `inspect` as text: what each transaction would do, derived only from its bytes, with
//! amounts in token units (symbol and decimals from the signer's registry: the home's policy
//! when a home exists, else the built-in tokens of every network) and times in UTC with the
//! time left or passed. `inspect --json` keeps the documented machine form (shared `view`).

use std::fmt::Write as _;

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::contract::ContractKind;
use coldpay_shared::input::{FoundTx, Input};
use coldpay_shared::text::escape;
use coldpay_shared::{Intent, Network, U256};

use crate::error::Result;
use crate::home::Home;
use crate::policy::{builtin_registry, Policy, RegistryToken};

/// The tokens `inspect` can name: the home's policy tokens and built-in registry, or with
/// no usable home the built-in tokens of every network.
pub fn known_tokens(home: Option<&Home>) -> Vec<RegistryToken> {
    let Some(h) = home else {
        let mut all: Vec<RegistryToken> = [Network::Mainnet, Network::Nile, Network::Shasta]
            .into_iter()
            .flat_map(builtin_registry)
            .collect();
        all.dedup_by(|a, b| a.contract == b.contract);
        return all;
    };
    let mut tokens = builtin_registry(h.network);
    if let Ok(p) = Policy::load(&h.policy_path(), h.network) {
        tokens.extend(p.tokens.into_iter().map(|t| t.token));
    }
    tokens
}

use coldpay_shared::timefmt::utc_from_now as when;

fn amount(intent: &Intent, tokens: &[RegistryToken]) -> String {
    let Some(contract) = intent.token() else {
        return format!("{} TRX", format_units(intent.amount(), TRX_DECIMALS));
    };
    match tokens.iter().find(|t| t.contract == contract) {
        Some(t) => format!(
            "{} {} (contract {contract})",
            format_units(intent.amount(), t.decimals),
            escape(&t.symbol)
        ),
        None => format!(
            "{} base units of token {contract} (not in the registry: its decimals are unknown)",
            intent.amount()
        ),
    }
}

/// The text view of every transaction in `input`.
pub fn render(input: &Input, tokens: &[RegistryToken], now_ms: u64) -> Result<String> {
    let mut out = String::new();
    for (i, t) in input.transactions().iter().enumerate() {
        write_tx(&mut out, i, t, tokens, now_ms)?;
    }
    Ok(out)
}

fn write_tx(
    out: &mut String,
    i: usize,
    t: &FoundTx<'_>,
    tokens: &[RegistryToken],
    now_ms: u64,
) -> Result<()> {
    let _ = writeln!(out, "#{} {}", i + 1, t.raw.contract.kind.type_name());
    if let Some(p) = t.payout_id {
        let _ = writeln!(out, "  payout id    {}", escape(p));
    }
    let _ = writeln!(out, "  txid         {}", t.txid);
    if let ContractKind::AccountPermissionUpdate(u) = &t.raw.contract.kind {
        let _ = writeln!(
            out,
            "  account      {} (PERMISSION UPDATE; it will hold:)",
            u.owner_address
        );
        crate::review::write_update_after(out, u);
    } else if let ContractKind::Staking(s) = &t.raw.contract.kind {
        let _ = writeln!(out, "  STAKING      {}", crate::review::staking_line(s));
        for line in s.describe() {
            let _ = writeln!(out, "  {line}");
        }
    } else {
        let intent = t.raw.intent()?;
        let _ = writeln!(out, "  from         {}", intent.from());
        let _ = writeln!(out, "  to           {}", intent.to());
        let _ = writeln!(out, "  amount       {}", amount(&intent, tokens));
    }
    if t.raw.fee_limit != 0 {
        let fee = format_units(U256::from(t.raw.fee_limit), TRX_DECIMALS);
        let _ = writeln!(out, "  fee limit    {fee} TRX");
    }
    let _ = writeln!(out, "  expires      {}", when(t.raw.expiration, now_ms));
    if t.raw.timestamp != 0 {
        let _ = writeln!(out, "  created      {}", when(t.raw.timestamp, now_ms));
    }
    let rb = &t.raw.ref_block;
    let _ = writeln!(
        out,
        "  ref block    {} / {}",
        hex::encode(rb.bytes),
        hex::encode(rb.hash)
    );
    if t.raw.contract.permission_id != 0 {
        let _ = writeln!(out, "  permission   {}", t.raw.contract.permission_id);
    }
    if let Some(m) = t.raw.memo_display() {
        let _ = writeln!(out, "  memo         {}", m.escape_debug());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::{Address, RawData, RefBlock};

    #[test]
    fn amounts_in_token_units_and_times_in_utc() {
        let usdt = Address::parse(coldpay_shared::MAINNET_USDT).unwrap();
        let owner = Address::from_evm_bytes([1; 20]);
        let raw = RawData::trc20_transfer(
            owner,
            usdt,
            Address::from_evm_bytes([2; 20]),
            U256::from(1_500_000u64),
            30_000_000,
            RefBlock {
                bytes: [0, 1],
                hash: [2; 8],
            },
            7_200_000,
            60_000,
        );
        let text = render(&Input::RawHex(raw.clone()), &known_tokens(None), 120_000).unwrap();
        assert!(
            text.contains("amount       1.5 USDT (contract TR7NHq"),
            "{text}"
        );
        assert!(
            text.contains("expires      1970-01-01T02:00:00Z (in 1h 58m)"),
            "{text}"
        );
        assert!(
            text.contains("created      1970-01-01T00:01:00Z (1m 0s ago)"),
            "{text}"
        );
        assert!(!text.contains(" ms") && !text.contains("1500000"), "{text}");
        let text = render(&Input::RawHex(raw), &[], 0).unwrap();
        assert!(text.contains("1500000 base units of token"), "{text}");
    }
}
