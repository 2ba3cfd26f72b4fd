//! The TRC-20 ABI subset payouts need: `transfer(address,uint256)` encode and strict decode,
//! `balanceOf(address)` encode, and the `Transfer` event topic.

use crate::address::Address;
use crate::amount::U256;
use crate::error::{Error, Result};

/// Selector of `transfer(address,uint256)`.
pub const TRANSFER_SELECTOR: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
/// Selector of `balanceOf(address)`.
pub const BALANCE_OF_SELECTOR: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
/// Selector of `approve(address,uint256)`.
pub const APPROVE_SELECTOR: [u8; 4] = [0x09, 0x5e, 0xa7, 0xb3];
/// Selector of `transferFrom(address,address,uint256)`.
pub const TRANSFER_FROM_SELECTOR: [u8; 4] = [0x23, 0xb8, 0x72, 0xdd];
/// keccak256("Transfer(address,address,uint256)"), topic 0 of a TRC-20 Transfer log.
pub const TRANSFER_EVENT_TOPIC: [u8; 32] = [
    0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37, 0x8d, 0xaa,
    0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef,
];

/// Encodes an address as a 32-byte ABI word (12 zero bytes, then the 20 EVM bytes).
pub fn address_word(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(&a.evm_bytes());
    w
}

/// Decodes a 32-byte ABI address word, refusing non-zero padding.
pub fn decode_address_word(w: &[u8]) -> Result<Address> {
    if w.len() != 32 {
        return Err(Error::Abi(format!(
            "address word must be 32 bytes, got {}",
            w.len()
        )));
    }
    if let Some(i) = w[..12].iter().position(|b| *b != 0) {
        return Err(Error::Abi(format!(
            "address word has non-zero padding byte 0x{:02x} at offset {i}",
            w[i]
        )));
    }
    let mut evm = [0u8; 20];
    evm.copy_from_slice(&w[12..]);
    Ok(Address::from_evm_bytes(evm))
}

/// Call data of `transfer(to, value)`: exactly 68 bytes.
pub fn encode_transfer(to: &Address, value: U256) -> Vec<u8> {
    let mut out = Vec::with_capacity(68);
    out.extend_from_slice(&TRANSFER_SELECTOR);
    out.extend_from_slice(&address_word(to));
    out.extend_from_slice(&value.to_be_bytes::<32>());
    out
}

/// Strictly decodes `transfer(address,uint256)` call data: selector, exactly 68 bytes,
/// zero padding in the address word.
pub fn decode_transfer(data: &[u8]) -> Result<(Address, U256)> {
    if data.len() < 4 {
        return Err(Error::Abi(format!(
            "call data of {} bytes has no selector",
            data.len()
        )));
    }
    let selector: [u8; 4] = data[..4].try_into().expect("4 bytes");
    if selector != TRANSFER_SELECTOR {
        return Err(Error::Abi(format!(
            "selector {} is not transfer(address,uint256) (a9059cbb){}",
            hex::encode(selector),
            selector_name(selector)
                .map(|n| format!(" but {n}"))
                .unwrap_or_default()
        )));
    }
    if data.len() != 68 {
        return Err(Error::Abi(format!(
            "transfer call data must be exactly 68 bytes, got {}",
            data.len()
        )));
    }
    let to = decode_address_word(&data[4..36])?;
    let value = U256::from_be_slice(&data[36..68]);
    Ok((to, value))
}

/// Call data of `balanceOf(owner)`: 36 bytes.
pub fn encode_balance_of(owner: &Address) -> Vec<u8> {
    let mut out = Vec::with_capacity(36);
    out.extend_from_slice(&BALANCE_OF_SELECTOR);
    out.extend_from_slice(&address_word(owner));
    out
}

/// A human name for well-known selectors, for error messages.
pub fn selector_name(selector: [u8; 4]) -> Option<&'static str> {
    Some(match selector {
        TRANSFER_SELECTOR => "transfer(address,uint256)",
        BALANCE_OF_SELECTOR => "balanceOf(address)",
        APPROVE_SELECTOR => "approve(address,uint256)",
        TRANSFER_FROM_SELECTOR => "transferFrom(address,address,uint256)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha3::{Digest, Keccak256};

    #[test]
    fn selectors_are_keccak_prefixes() {
        for (sig, sel) in [
            ("transfer(address,uint256)", TRANSFER_SELECTOR),
            ("balanceOf(address)", BALANCE_OF_SELECTOR),
            ("approve(address,uint256)", APPROVE_SELECTOR),
            (
                "transferFrom(address,address,uint256)",
                TRANSFER_FROM_SELECTOR,
            ),
        ] {
            assert_eq!(&Keccak256::digest(sig.as_bytes())[..4], &sel);
        }
        assert_eq!(
            &Keccak256::digest(b"Transfer(address,address,uint256)")[..],
            &TRANSFER_EVENT_TOPIC
        );
    }

    #[test]
    fn transfer_round_trip_and_strictness() {
        let to = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let data = encode_transfer(&to, U256::MAX);
        assert_eq!(data.len(), 68);
        assert_eq!(decode_transfer(&data).unwrap(), (to, U256::MAX));
        let mut long = data.clone();
        long.push(0);
        assert!(decode_transfer(&long)
            .unwrap_err()
            .to_string()
            .contains("exactly 68"));
        let mut padded = data.clone();
        padded[15] = 0x41;
        assert!(decode_transfer(&padded)
            .unwrap_err()
            .to_string()
            .contains("padding"));
        let mut approve = data;
        approve[..4].copy_from_slice(&APPROVE_SELECTOR);
        assert!(decode_transfer(&approve)
            .unwrap_err()
            .to_string()
            .contains("approve"));
    }
}
