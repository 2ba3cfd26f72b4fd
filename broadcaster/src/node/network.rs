//! Which chain a node serves: TRON has no chain id but its genesis block, so block 0's ID names
//! the network (values in ../shared/vectors/networks.json). The network itself is the typed
//! [`Network`] everywhere in the broadcaster (parsed once, from `--network` or the config); the
//! journal stores it as its lowercase name.

pub use coldpay_shared::Network;

/// (network, genesis blockID hex) of the public networks.
pub const GENESIS: &[(Network, &str)] = &[
    (
        Network::Mainnet,
        "00000000000000001ebf88508a03865c71d452e25f4d51194196a1d22b6653dc",
    ),
    (
        Network::Shasta,
        "0000000000000000de1aa88295e1fcf982742f773e0419c5a9c134c994a9059e",
    ),
    (
        Network::Nile,
        "0000000000000000d698d4192c56cb6be724a558448e2684802de4d6cd8690dc",
    ),
];

fn id_of(h: &str) -> [u8; 32] {
    hex::decode(h)
        .ok()
        .and_then(|b| b.try_into().ok())
        .expect("constant is 32-byte hex")
}

/// The genesis blockID of a public network.
pub fn genesis_of(network: Network) -> Option<[u8; 32]> {
    GENESIS
        .iter()
        .find(|(n, _)| *n == network)
        .map(|(_, h)| id_of(h))
}

/// The public network whose genesis this is.
pub fn network_of_genesis(id: &[u8; 32]) -> Option<Network> {
    GENESIS
        .iter()
        .find(|(_, h)| id_of(h) == *id)
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_table_matches_the_vectors() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/networks.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for n in v["networks"].as_array().unwrap() {
            let name: Network = n["network"].as_str().unwrap().parse().unwrap();
            let id = id_of(n["genesis_block_id"].as_str().unwrap());
            assert_eq!(genesis_of(name), Some(id));
            assert_eq!(network_of_genesis(&id), Some(name));
        }
        assert_eq!(genesis_of(Network::Local), None);
    }
}
