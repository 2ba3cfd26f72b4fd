//! Property tests of the canonical raw_data codec.

#![allow(clippy::single_match_else)]

use coldpay_shared::contract::{Contract, ContractKind, TransferContract, TriggerSmartContract};
use coldpay_shared::{Address, RawData, RefBlock, SignedTransaction, Sun, U256};
use proptest::prelude::*;

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from_evm_bytes)
}

fn int64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        1u64..1000,
        0u64..=i64::MAX as u64,
        Just(i64::MAX as u64)
    ]
}

fn kind() -> impl Strategy<Value = ContractKind> {
    prop_oneof![
        (address(), address(), int64()).prop_map(|(owner, to, amount)| {
            ContractKind::Transfer(TransferContract {
                owner,
                to,
                amount: Sun::new(amount).unwrap(),
            })
        }),
        (address(), address(), address(), any::<[u64; 4]>(), int64()).prop_map(
            |(owner, contract, to, limbs, call_value)| {
                ContractKind::TriggerSmart(TriggerSmartContract {
                    owner,
                    contract,
                    call_value: Sun::new(call_value).unwrap(),
                    data: coldpay_shared::abi::encode_transfer(&to, U256::from_limbs(limbs)),
                })
            }
        ),
        (
            address(),
            address(),
            proptest::collection::vec(any::<u8>(), 0..80)
        )
            .prop_map(|(owner, contract, data)| {
                ContractKind::TriggerSmart(TriggerSmartContract {
                    owner,
                    contract,
                    call_value: Sun::ZERO,
                    data,
                })
            }),
    ]
}

fn raw_data() -> impl Strategy<Value = RawData> {
    (
        any::<[u8; 2]>(),
        any::<[u8; 8]>(),
        1u64..=i64::MAX as u64,
        proptest::collection::vec(any::<u8>(), 0..40),
        kind(),
        prop_oneof![Just(0u32), 1u32..10, 0u32..=i32::MAX as u32],
        int64(),
        int64(),
    )
        .prop_map(
            |(bytes, hash, expiration, memo, kind, permission_id, timestamp, fee_limit)| RawData {
                ref_block: RefBlock { bytes, hash },
                expiration,
                memo,
                contract: Contract {
                    kind,
                    permission_id,
                },
                timestamp,
                fee_limit,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_decode_encode_is_identity(raw in raw_data()) {
        let bytes = raw.encode();
        let back = RawData::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &raw);
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(raw) = RawData::decode(&bytes) {
            prop_assert_eq!(raw.encode(), bytes.clone());
        }
        let _ = SignedTransaction::decode(&bytes);
        let _ = coldpay_shared::input::parse_input(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn signed_transaction_round_trip(raw in raw_data(), n in 0usize..3, seed in any::<[u8; 32]>()) {
        let key = k256::ecdsa::SigningKey::from_slice(&seed).unwrap_or_else(|_| k256::ecdsa::SigningKey::from_slice(&[1u8; 32]).unwrap());
        let sig = coldpay_shared::Signature::sign_txid(&key, &raw.txid()).unwrap();
        let tx = SignedTransaction { raw, signatures: vec![sig; n] };
        prop_assert_eq!(SignedTransaction::decode(&tx.encode()).unwrap(), tx);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// No two byte strings are accepted as the same transaction: every single-byte mutation
    /// of a valid raw_data either fails to decode or decodes to a different value whose
    /// re-encoding is exactly the mutated bytes.
    #[test]
    fn canonical_uniqueness_under_single_byte_mutation(raw in raw_data()) {
        let bytes = raw.encode();
        for pos in 0..bytes.len() {
            for b in 0..=255u8 {
                if b == bytes[pos] {
                    continue;
                }
                let mut m = bytes.clone();
                m[pos] = b;
                if let Ok(decoded) = RawData::decode(&m) {
                    prop_assert_ne!(&decoded, &raw);
                    prop_assert_eq!(decoded.encode(), m);
                }
            }
        }
    }
}
