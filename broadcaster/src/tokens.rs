//! The registered tokens: the TRC-20 contracts whose `Transfer` logs `watch` counts, with the
//! symbol and decimals amounts are shown in. Today that is the network's USDT contract.

use coldpay_shared::amount::format_units;
use coldpay_shared::{Address, U256};

/// A registered TRC-20 token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Contract address.
    pub contract: Address,
    /// Symbol shown to operators.
    pub symbol: &'static str,
    /// Decimals of its base unit.
    pub decimals: u8,
}

impl Token {
    /// The network's USDT contract.
    pub fn usdt(network: &str) -> Token {
        Token {
            contract: crate::payouts::usdt_contract(network),
            symbol: "USDT",
            decimals: 6,
        }
    }
}

/// The tokens `watch` and `reconcile` count on `network`.
pub fn registered(network: &str) -> Vec<Token> {
    vec![Token::usdt(network)]
}

/// Every registered token of every network, as display units (for `tx decode`, which runs
/// without choosing a network).
pub fn all_units() -> Vec<coldpay_shared::view::TokenUnit> {
    let mut all: Vec<coldpay_shared::view::TokenUnit> = ["mainnet", "nile", "shasta"]
        .into_iter()
        .flat_map(registered)
        .map(|t| coldpay_shared::view::TokenUnit {
            contract: t.contract,
            symbol: t.symbol.to_string(),
            decimals: t.decimals,
        })
        .collect();
    all.dedup_by(|a, b| a.contract == b.contract);
    all
}

/// Symbol and decimals of a journal token column ("TRX" or a contract in base58); an unknown
/// contract shows as its address with 0 decimals (base units).
pub fn unit_of(token: &str, network: &str) -> (String, u8) {
    if token == "TRX" {
        return ("TRX".into(), 6);
    }
    registered(network)
        .into_iter()
        .find(|t| t.contract.to_base58() == token)
        .map_or_else(
            || (token.to_string(), 0),
            |t| (t.symbol.to_string(), t.decimals),
        )
}

/// `amount` (base units) of `token` in token units: ("12.5", "USDT").
pub fn display(token: &str, amount: U256, network: &str) -> (String, String) {
    let (symbol, decimals) = unit_of(token, network);
    (format_units(amount, decimals), symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        let usdt = Token::usdt("mainnet").contract.to_base58();
        assert_eq!(
            display(&usdt, U256::from(12_500_000u64), "mainnet"),
            ("12.5".to_string(), "USDT".to_string())
        );
        assert_eq!(
            display("TRX", U256::from(1u64), "mainnet"),
            ("0.000001".to_string(), "TRX".to_string())
        );
        assert_eq!(unit_of("Tunknown", "mainnet"), ("Tunknown".to_string(), 0));
    }
}
