//! The registered tokens: the TRC-20 contracts whose `Transfer` logs `watch` counts, with the
//! symbol and decimals amounts are shown in, and the energy band a transfer's estimate must fall
//! in ([`crate::payout::fees`]). Today that is the network's USDT contract; the config's `[tokens.T…]`
//! tables adjust the band.

use coldpay_shared::amount::format_units;
use coldpay_shared::{Address, Network, U256};

/// A registered TRC-20 token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Contract address.
    pub contract: Address,
    /// Symbol shown to operators.
    pub symbol: &'static str,
    /// Decimals of its base unit.
    pub decimals: u8,
    /// Least energy a `transfer` of this token can use: an estimate below it is implausible.
    pub min_energy: u64,
    /// Most energy a `transfer` of this token is expected to use: an estimate above it is
    /// implausible (the journal's own history of the contract may widen it).
    pub max_energy: u64,
}

/// USDT-TRC20 transfer energy floor: the base cost of a transfer to an existing holder is
/// 14,650 (mainnet receipt, java-tron #6263) and the dynamic-energy penalty only adds to it.
pub const USDT_MIN_ENERGY: u64 = 14_000;

/// USDT-TRC20 transfer energy ceiling: a transfer to a new holder needs about 130,285 at
/// today's penalty; a little over twice that leaves room for the penalty to grow.
pub const USDT_MAX_ENERGY: u64 = 300_000;

impl Token {
    /// The network's USDT contract.
    pub fn usdt(network: Network) -> Token {
        Token {
            contract: usdt_contract(network),
            symbol: "USDT",
            decimals: 6,
            min_energy: USDT_MIN_ENERGY,
            max_energy: USDT_MAX_ENERGY,
        }
    }
}

/// One `[tokens.T…]` table of the config: a registered token's energy band.
#[derive(serde::Deserialize, Default, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Replaces [`Token::min_energy`].
    pub min_energy: Option<u64>,
    /// Replaces [`Token::max_energy`].
    pub max_energy: Option<u64>,
}

/// The tokens of `network` with the config's `[tokens.T…]` bands applied. A table for a
/// contract that is not a registered token, or a band that is empty, is refused.
pub fn configured(
    network: Network,
    tables: &std::collections::BTreeMap<String, TokenConfig>,
) -> Result<Vec<Token>, String> {
    let known: Vec<Address> = [Network::Mainnet, Network::Nile, Network::Shasta, network]
        .into_iter()
        .flat_map(registered)
        .map(|t| t.contract)
        .collect();
    let mut parsed = Vec::new();
    for (key, t) in tables {
        let a = Address::parse(key)
            .map_err(|e| format!("[tokens.{key}]: not a contract address: {e}"))?;
        if !known.contains(&a) {
            return Err(format!(
                "[tokens.{key}]: not a registered token (registered: {})",
                known
                    .iter()
                    .map(Address::to_base58)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        parsed.push((key, a, *t));
    }
    let mut out = registered(network);
    for (key, a, t) in &parsed {
        if let Some(tok) = out.iter_mut().find(|tok| tok.contract == *a) {
            tok.min_energy = t.min_energy.unwrap_or(tok.min_energy);
            tok.max_energy = t.max_energy.unwrap_or(tok.max_energy);
            if tok.min_energy == 0 || tok.min_energy > tok.max_energy {
                return Err(format!(
                    "[tokens.{key}]: min_energy {} and max_energy {} leave no plausible estimate (need 0 < min_energy <= max_energy)",
                    tok.min_energy, tok.max_energy
                ));
            }
        }
    }
    Ok(out)
}

/// The tokens `watch` and `reconcile` count on `network`.
pub fn registered(network: Network) -> Vec<Token> {
    vec![Token::usdt(network)]
}

/// USDT contract per network (a local dev node deploys it at mainnet's address).
pub fn usdt_contract(network: Network) -> Address {
    Address::parse(match network {
        Network::Nile => "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf",
        Network::Shasta => "TG3XXyExBkPp9nzdajDZsozEu4BkaSJozs",
        Network::Mainnet | Network::Local => coldpay_shared::MAINNET_USDT,
    })
    .expect("valid")
}

/// Every registered token of every network, as display units (for `tx decode`, which runs
/// without choosing a network).
pub fn all_units() -> Vec<coldpay_shared::view::TokenUnit> {
    let mut all: Vec<coldpay_shared::view::TokenUnit> =
        [Network::Mainnet, Network::Nile, Network::Shasta]
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
pub fn unit_of(token: &str, network: Network) -> (String, u8) {
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
/// Symbol and decimals of TRX (`None`) or a token contract on `network`; an unknown contract
/// shows as its address with 0 decimals (base units).
pub fn unit_of_contract(contract: Option<Address>, network: Network) -> (String, u8) {
    let Some(contract) = contract else {
        return ("TRX".into(), 6);
    };
    registered(network)
        .into_iter()
        .find(|t| t.contract == contract)
        .map_or_else(
            || (contract.to_base58(), 0),
            |t| (t.symbol.to_string(), t.decimals),
        )
}

/// `amount` (base units) of `token` in token units: ("12.5", "USDT").
pub fn display(token: &str, amount: U256, network: Network) -> (String, String) {
    let (symbol, decimals) = unit_of(token, network);
    (format_units(amount, decimals), symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        let usdt = Token::usdt(Network::Mainnet).contract.to_base58();
        assert_eq!(
            display(&usdt, U256::from(12_500_000u64), Network::Mainnet),
            ("12.5".to_string(), "USDT".to_string())
        );
        assert_eq!(
            display("TRX", U256::from(1u64), Network::Mainnet),
            ("0.000001".to_string(), "TRX".to_string())
        );
        assert_eq!(
            unit_of("Tunknown", Network::Mainnet),
            ("Tunknown".to_string(), 0)
        );
        // A dev node deploys USDT at mainnet's address; the testnets have their own, and one
        // network's USDT is an unknown contract on another.
        assert_eq!(
            usdt_contract(Network::Local),
            usdt_contract(Network::Mainnet)
        );
        assert_ne!(
            usdt_contract(Network::Nile),
            usdt_contract(Network::Mainnet)
        );
        assert_ne!(usdt_contract(Network::Shasta), usdt_contract(Network::Nile));
        assert_eq!(unit_of(&usdt, Network::Nile), (usdt.clone(), 0));
    }

    #[test]
    fn config_tables_adjust_the_energy_band() {
        use std::collections::BTreeMap;
        let usdt = Token::usdt(Network::Mainnet).contract.to_base58();
        let none = configured(Network::Mainnet, &BTreeMap::new()).unwrap();
        assert_eq!(
            (none[0].min_energy, none[0].max_energy),
            (USDT_MIN_ENERGY, USDT_MAX_ENERGY)
        );
        let t = |min, max| {
            BTreeMap::from([(
                usdt.clone(),
                TokenConfig {
                    min_energy: min,
                    max_energy: max,
                },
            )])
        };
        let c = configured(Network::Mainnet, &t(Some(20_000), None)).unwrap();
        assert_eq!(
            (c[0].min_energy, c[0].max_energy),
            (20_000, USDT_MAX_ENERGY)
        );
        let e = configured(Network::Mainnet, &t(Some(0), None)).unwrap_err();
        assert!(e.contains("no plausible estimate"), "{e}");
        let e = configured(Network::Mainnet, &t(Some(400_000), None)).unwrap_err();
        assert!(e.contains("no plausible estimate"), "{e}");
        // Another network's USDT is a registered token (one config serves several journals),
        // but leaves this network's band alone.
        let nile = Token::usdt(Network::Nile).contract.to_base58();
        let other = BTreeMap::from([(
            nile,
            TokenConfig {
                min_energy: Some(1),
                max_energy: None,
            },
        )]);
        assert_eq!(
            configured(Network::Mainnet, &other).unwrap()[0].min_energy,
            USDT_MIN_ENERGY
        );
        let stranger = BTreeMap::from([(
            Address::from_hex(&format!("41{}", "11".repeat(20)))
                .unwrap()
                .to_base58(),
            TokenConfig::default(),
        )]);
        assert!(configured(Network::Mainnet, &stranger).is_err());
    }
}
