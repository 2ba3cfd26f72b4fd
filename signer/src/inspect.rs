//! `inspect` as text: what each transaction would do, derived only from its bytes, with
//! amounts in token units (symbol and decimals from the signer's registry: the home's policy
//! when a home exists, else the built-in tokens of every network) and times in UTC with the
//! time left or passed. The view itself is shared with the broadcaster's `tx decode`
//! (`coldpay_shared::view`); `inspect --json` keeps the documented machine form.

use std::fmt::Write as _;

use coldpay_shared::input::Input;
use coldpay_shared::permission::AccountPermissionUpdate;
use coldpay_shared::staking::StakingContract;
use coldpay_shared::view::{inspect_text, plain_staking, TextView, TokenUnit};
use coldpay_shared::Network;

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

/// The text view of every transaction in `input`: the shared view (the same one the
/// broadcaster's `tx decode` prints), with a permission update shown by the signer's own
/// permission writer.
pub fn render(input: &Input, tokens: &[RegistryToken], now_ms: u64) -> Result<String> {
    let units: Vec<TokenUnit> = tokens
        .iter()
        .map(|t| TokenUnit {
            contract: t.contract,
            symbol: t.symbol.clone(),
            decimals: t.decimals,
        })
        .collect();
    let view = TextView {
        permission_update: update_block,
        staking: staking_block,
        ..TextView::new(&units, now_ms)
    };
    Ok(inspect_text(&input.transactions(), &view)?)
}

fn staking_block(out: &mut String, s: &StakingContract) {
    let _ = writeln!(out, "  STAKING      {}", crate::review::staking_line(s));
    plain_staking(out, s);
}

fn update_block(out: &mut String, u: &AccountPermissionUpdate) {
    let _ = writeln!(
        out,
        "  account      {} (PERMISSION UPDATE; it will hold:)",
        u.owner_address
    );
    crate::review::write_update_after(out, u);
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::{Address, RawData, RefBlock, U256};

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
