//! Table-driven refusal tests: each malformed input must fail with its own specific error.

#![allow(clippy::single_match_else)]

use coldpay_shared::amount::{parse_units, Sun};
use coldpay_shared::contract::{TRANSFER_TYPE_URL, TRIGGER_TYPE_URL};
use coldpay_shared::error::{Error, ProtoReason};
use coldpay_shared::input::parse_input;
use coldpay_shared::wire::{
    put_bytes_field, put_key, put_message_field, put_uint_field, put_varint,
};
use coldpay_shared::{abi, Address, RawData, SignRequest, SignResponse, U256};

const OWNER: &str = "41c8599111f29c1e1e061265b4af93ea1f274ad78a";
const TO: &str = "41b0ca665130d03c977823834e3fcbe63af2421fa1";
const USDT: &str = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// TransferContract parameter bytes.
fn transfer_param(amount: u64) -> Vec<u8> {
    let mut p = Vec::new();
    put_bytes_field(&mut p, 1, &h(OWNER));
    put_bytes_field(&mut p, 2, &h(TO));
    put_uint_field(&mut p, 3, amount);
    p
}

fn any(url: &str, value: &[u8]) -> Vec<u8> {
    let mut a = Vec::new();
    put_bytes_field(&mut a, 1, url.as_bytes());
    put_bytes_field(&mut a, 2, value);
    a
}

/// Contract message with type `t`, an Any and extra trailing contract bytes.
fn contract(t: u64, any_bytes: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut c = Vec::new();
    put_uint_field(&mut c, 1, t);
    put_message_field(&mut c, 2, any_bytes);
    c.extend_from_slice(extra);
    c
}

fn good_contract() -> Vec<u8> {
    contract(1, &any(TRANSFER_TYPE_URL, &transfer_param(1000)), &[])
}

/// raw_data built from parts: (field, bytes) already encoded in order.
fn raw_with(contract_bytes: &[u8], before: &[u8], after: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    put_bytes_field(&mut r, 1, &[0x12, 0x34]);
    put_bytes_field(&mut r, 4, &[1, 2, 3, 4, 5, 6, 7, 8]);
    put_uint_field(&mut r, 8, 1_700_000_000_000);
    r.extend_from_slice(before);
    put_message_field(&mut r, 11, contract_bytes);
    r.extend_from_slice(after);
    r
}

fn proto_reason(bytes: &[u8]) -> ProtoReason {
    match RawData::decode(bytes) {
        Err(Error::Proto { reason, .. }) => reason,
        other => panic!("expected a protobuf error, got {other:?}"),
    }
}

fn varint_field(field: u32, v: u64) -> Vec<u8> {
    let mut b = Vec::new();
    put_key(&mut b, field, 0);
    put_varint(&mut b, v);
    b
}

fn bytes_field(field: u32, v: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    put_key(&mut b, field, 2);
    put_varint(&mut b, v.len() as u64);
    b.extend_from_slice(v);
    b
}

#[test]
fn baseline_is_valid() {
    let raw = RawData::decode(&raw_with(&good_contract(), &[], &[])).unwrap();
    assert_eq!(raw.contract.kind.type_name(), "TransferContract");
}

#[test]
// One table of hostile encodings, one case per entry: read as a list, not a procedure.
#[allow(clippy::too_many_lines)]
fn protobuf_refusals() {
    let good = raw_with(&good_contract(), &[], &[]);
    let trigger_param = |extra: &[u8]| {
        let mut p = Vec::new();
        put_bytes_field(&mut p, 1, &h(OWNER));
        put_bytes_field(&mut p, 2, &h(USDT));
        put_bytes_field(
            &mut p,
            4,
            &abi::encode_transfer(&Address::from_hex(TO).unwrap(), U256::from(5u8)),
        );
        p.extend_from_slice(extra);
        p
    };
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 3);
    let mut trailing = good.clone();
    trailing.push(0x00);
    let cases: Vec<(&str, Vec<u8>, ProtoReason)> = vec![
        (
            "truncated",
            truncated,
            ProtoReason::LengthOverrun(good_contract().len() as u64),
        ),
        ("trailing zero byte", trailing, ProtoReason::InvalidKey(0)),
        (
            "non-minimal varint in expiration",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[0x12, 0x34]);
                put_bytes_field(&mut r, 4, &[1, 2, 3, 4, 5, 6, 7, 8]);
                r.extend_from_slice(&[0x40, 0x81, 0x80, 0x00]);
                put_message_field(&mut r, 11, &good_contract());
                r
            },
            ProtoReason::VarintNotMinimal,
        ),
        (
            "11-byte varint",
            {
                let mut r = good.clone();
                r.extend_from_slice(&[
                    0x70, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ]);
                r
            },
            ProtoReason::VarintOverflow,
        ),
        (
            "unknown field 99",
            raw_with(&good_contract(), &[], &varint_field(99, 1)),
            ProtoReason::UnknownField(99),
        ),
        (
            "unknown field 2",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[0x12, 0x34]);
                r.extend_from_slice(&varint_field(2, 7));
                r
            },
            ProtoReason::UnknownField(2),
        ),
        (
            "expiration as bytes (wrong wire type)",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[0x12, 0x34]);
                put_bytes_field(&mut r, 4, &[1, 2, 3, 4, 5, 6, 7, 8]);
                r.extend_from_slice(&bytes_field(8, &[1]));
                r
            },
            ProtoReason::WireType {
                field: 8,
                found: 2,
                expected: 0,
            },
        ),
        (
            "fixed64 wire type",
            vec![0x09, 0, 0, 0, 0, 0, 0, 0, 0],
            ProtoReason::WireType {
                field: 1,
                found: 1,
                expected: 0,
            },
        ),
        (
            "timestamp twice",
            raw_with(
                &good_contract(),
                &[],
                &[varint_field(14, 5), varint_field(14, 6)].concat(),
            ),
            ProtoReason::Repeated(14),
        ),
        (
            "timestamp before contract (out of order)",
            raw_with(&good_contract(), &varint_field(14, 5), &[]),
            ProtoReason::OutOfOrder(11),
        ),
        (
            "fee_limit 0 present",
            raw_with(&good_contract(), &[], &varint_field(18, 0)),
            ProtoReason::DefaultValue(18),
        ),
        (
            "empty memo present",
            raw_with(&good_contract(), &bytes_field(10, &[]), &[]),
            ProtoReason::DefaultValue(10),
        ),
        (
            "two contracts",
            raw_with(&good_contract(), &[], &bytes_field(11, &good_contract())),
            ProtoReason::MultipleContracts,
        ),
        (
            "ref_block_bytes of 3 bytes",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[1, 2, 3]);
                r
            },
            ProtoReason::Length {
                what: "ref_block_bytes",
                expected: 2,
                found: 3,
            },
        ),
        (
            "ref_block_hash of 7 bytes",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[1, 2]);
                put_bytes_field(&mut r, 4, &[1; 7]);
                r
            },
            ProtoReason::Length {
                what: "ref_block_hash",
                expected: 8,
                found: 7,
            },
        ),
        (
            "ref_block_num present",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[1, 2]);
                r.extend_from_slice(&varint_field(3, 9));
                r
            },
            ProtoReason::UnsupportedField(3, "ref_block_num"),
        ),
        (
            "auths present",
            raw_with(&good_contract(), &bytes_field(9, &[1]), &[]),
            ProtoReason::UnsupportedField(9, "auths"),
        ),
        (
            "scripts present",
            raw_with(&good_contract(), &[], &bytes_field(12, &[1])),
            ProtoReason::UnsupportedField(12, "scripts"),
        ),
        (
            "missing expiration",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[0x12, 0x34]);
                put_bytes_field(&mut r, 4, &[1; 8]);
                put_message_field(&mut r, 11, &good_contract());
                r
            },
            ProtoReason::Missing("expiration"),
        ),
        (
            "missing contract",
            {
                let mut r = Vec::new();
                put_bytes_field(&mut r, 1, &[0x12, 0x34]);
                put_bytes_field(&mut r, 4, &[1; 8]);
                put_uint_field(&mut r, 8, 5);
                r
            },
            ProtoReason::Missing("contract"),
        ),
        (
            "negative expiration",
            raw_with(&good_contract(), &[], &[])
                .iter()
                .copied()
                .take(14)
                .chain(varint_field(8, u64::MAX).into_iter())
                .collect::<Vec<u8>>(),
            ProtoReason::Negative("expiration"),
        ),
        (
            "unknown contract type 2",
            raw_with(
                &contract(
                    2,
                    &any("type.googleapis.com/protocol.TransferAssetContract", &[1]),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::UnknownContractType(2),
        ),
        (
            "contract type 0 (absent)",
            raw_with(
                &contract(0, &any(TRANSFER_TYPE_URL, &transfer_param(1)), &[]),
                &[],
                &[],
            ),
            ProtoReason::UnknownContractType(0),
        ),
        (
            "contract type 52 (MarketSellAssetContract)",
            raw_with(
                &contract(52, &any(TRANSFER_TYPE_URL, &transfer_param(1)), &[]),
                &[],
                &[],
            ),
            ProtoReason::UnknownContractType(52),
        ),
        (
            "contract type 54 (FreezeBalanceV2Contract) with the TransferContract type_url",
            raw_with(
                &contract(54, &any(TRANSFER_TYPE_URL, &transfer_param(1)), &[]),
                &[],
                &[],
            ),
            ProtoReason::TypeUrl(TRANSFER_TYPE_URL.into()),
        ),
        (
            "contract type 60 (after the staking types)",
            raw_with(
                &contract(60, &any(TRANSFER_TYPE_URL, &transfer_param(1)), &[]),
                &[],
                &[],
            ),
            ProtoReason::UnknownContractType(60),
        ),
        (
            "contract type 46 with the TransferContract type_url",
            raw_with(
                &contract(46, &any(TRANSFER_TYPE_URL, &transfer_param(1)), &[]),
                &[],
                &[],
            ),
            ProtoReason::TypeUrl(TRANSFER_TYPE_URL.into()),
        ),
        (
            "type_url of another contract",
            raw_with(
                &contract(1, &any(TRIGGER_TYPE_URL, &transfer_param(1)), &[]),
                &[],
                &[],
            ),
            ProtoReason::TypeUrl(TRIGGER_TYPE_URL.into()),
        ),
        (
            "short type_url prefix",
            raw_with(
                &contract(
                    1,
                    &any("protocol.TransferContract", &transfer_param(1)),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::TypeUrl("protocol.TransferContract".into()),
        ),
        (
            "provider present",
            raw_with(
                &contract(
                    1,
                    &any(TRANSFER_TYPE_URL, &transfer_param(1)),
                    &bytes_field(3, &[1]),
                ),
                &[],
                &[],
            ),
            ProtoReason::UnsupportedField(3, "provider"),
        ),
        (
            "ContractName present",
            raw_with(
                &contract(
                    1,
                    &any(TRANSFER_TYPE_URL, &transfer_param(1)),
                    &bytes_field(4, b"x"),
                ),
                &[],
                &[],
            ),
            ProtoReason::UnsupportedField(4, "ContractName"),
        ),
        (
            "Permission_id 0 present",
            raw_with(
                &contract(
                    1,
                    &any(TRANSFER_TYPE_URL, &transfer_param(1)),
                    &varint_field(5, 0),
                ),
                &[],
                &[],
            ),
            ProtoReason::DefaultValue(5),
        ),
        (
            "negative Permission_id",
            raw_with(
                &contract(
                    1,
                    &any(TRANSFER_TYPE_URL, &transfer_param(1)),
                    &varint_field(5, u64::MAX),
                ),
                &[],
                &[],
            ),
            ProtoReason::Negative("Permission_id"),
        ),
        (
            "negative amount",
            raw_with(
                &contract(
                    1,
                    &any(TRANSFER_TYPE_URL, &{
                        let mut p = Vec::new();
                        put_bytes_field(&mut p, 1, &h(OWNER));
                        put_bytes_field(&mut p, 2, &h(TO));
                        p.extend_from_slice(&varint_field(3, (-5i64) as u64));
                        p
                    }),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::Negative("amount"),
        ),
        (
            "missing owner",
            raw_with(
                &contract(1, &any(TRANSFER_TYPE_URL, &bytes_field(2, &h(TO))), &[]),
                &[],
                &[],
            ),
            ProtoReason::Missing("owner_address"),
        ),
        (
            "owner of 20 bytes",
            raw_with(
                &contract(
                    1,
                    &any(TRANSFER_TYPE_URL, &bytes_field(1, &h(OWNER)[1..])),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::Address("owner_address: address: expected 21 bytes, got 20".into()),
        ),
        (
            "owner with 0xa0 prefix",
            raw_with(
                &contract(
                    1,
                    &any(
                        TRANSFER_TYPE_URL,
                        &bytes_field(1, &[&[0xa0u8][..], &h(OWNER)[1..]].concat()),
                    ),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::Address(
                "owner_address: address: prefix byte must be 0x41, got 0xa0".into(),
            ),
        ),
        (
            "unknown field in TransferContract",
            raw_with(
                &contract(
                    1,
                    &any(
                        TRANSFER_TYPE_URL,
                        &[transfer_param(1), varint_field(4, 1)].concat(),
                    ),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::UnknownField(4),
        ),
        (
            "call_token_value present",
            raw_with(
                &contract(
                    31,
                    &any(TRIGGER_TYPE_URL, &trigger_param(&varint_field(5, 1))),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::UnsupportedField(5, "call_token_value"),
        ),
        (
            "token_id present",
            raw_with(
                &contract(
                    31,
                    &any(TRIGGER_TYPE_URL, &trigger_param(&varint_field(6, 1))),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::UnsupportedField(6, "token_id"),
        ),
        (
            "unknown field in Any",
            raw_with(
                &contract(
                    1,
                    &[
                        any(TRANSFER_TYPE_URL, &transfer_param(1)),
                        varint_field(3, 1),
                    ]
                    .concat(),
                    &[],
                ),
                &[],
                &[],
            ),
            ProtoReason::UnknownField(3),
        ),
        (
            "Any without value",
            raw_with(
                &contract(1, &bytes_field(1, TRANSFER_TYPE_URL.as_bytes()), &[]),
                &[],
                &[],
            ),
            ProtoReason::Missing("value"),
        ),
        (
            "field number 0",
            vec![0x02, 0x00],
            ProtoReason::InvalidKey(2),
        ),
        (
            "group wire type 3",
            vec![0x0b],
            ProtoReason::InvalidKey(0x0b),
        ),
    ];
    assert!(cases.len() >= 40, "{} protobuf cases", cases.len());
    for (name, bytes, expected) in cases {
        assert_eq!(proto_reason(&bytes), expected, "case {name}");
    }
}

#[test]
fn address_refusals() {
    let cases: Vec<(&str, Error)> = vec![
        ("", Error::AddressEmpty),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8ot5mjuP3Lh", Error::AddressChecksum),
        ("TLa2f6VPqDg81aLEH289XmUeQYqEPmFhA3", Error::AddressChecksum),
        (
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6O",
            Error::AddressBase58Char {
                ch: 'O',
                position: 33,
            },
        ),
        (
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLjl",
            Error::AddressBase58Char {
                ch: 'l',
                position: 32,
            },
        ),
        (
            " TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            Error::AddressBase58Char {
                ch: ' ',
                position: 0,
            },
        ),
        (
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tT",
            Error::AddressLength(22),
        ),
        ("T", Error::AddressLength(0)),
        (
            "42a614f803b6fd780986a42c78ec9c7f77e6ded13c",
            Error::AddressPrefix(0x42),
        ),
        // A Bitcoin P2SH address: valid base58check, 21 bytes, prefix 0x05.
        (
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            Error::AddressPrefix(0x05),
        ),
        (
            "41a614f803b6fd780986a42c78ec9c7f77e6ded1",
            Error::AddressBase58Char {
                ch: '0',
                position: 8,
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(Address::parse(input), Err(expected), "address {input:?}");
    }
}

#[test]
fn amount_refusals() {
    type Check = fn(&Error) -> bool;
    let cases: Vec<(&str, u8, Check)> = vec![
        ("", 6, |e| *e == Error::AmountEmpty),
        ("-1", 6, |e| matches!(e, Error::AmountChar { ch: '-', .. })),
        ("+1", 6, |e| matches!(e, Error::AmountChar { ch: '+', .. })),
        ("1e3", 6, |e| matches!(e, Error::AmountChar { ch: 'e', .. })),
        ("1 000", 6, |e| {
            matches!(e, Error::AmountChar { ch: ' ', .. })
        }),
        ("1_000", 6, |e| {
            matches!(e, Error::AmountChar { ch: '_', .. })
        }),
        ("0x10", 6, |e| {
            matches!(e, Error::AmountChar { ch: 'x', .. })
        }),
        ("1.", 6, |e| matches!(e, Error::AmountMalformed(_))),
        (".1", 6, |e| matches!(e, Error::AmountMalformed(_))),
        ("1..1", 6, |e| matches!(e, Error::AmountMalformed(_))),
        ("1.0000001", 6, |e| {
            matches!(e, Error::AmountPrecision { decimals: 6, .. })
        }),
        ("1.5", 0, |e| {
            matches!(e, Error::AmountPrecision { decimals: 0, .. })
        }),
        (
            "115792089237316195423570985008687907853269984665640564039457584007913129639936",
            0,
            |e| matches!(e, Error::AmountOverflow(_)),
        ),
    ];
    for (input, decimals, check) in cases {
        let e = parse_units(input, decimals).unwrap_err();
        assert!(check(&e), "amount {input:?}: {e}");
    }
    assert!(matches!(
        Sun::parse_trx("9223372036854.775808"),
        Err(Error::AmountOverflow(_))
    ));
    assert!(matches!(Sun::from_i64(-1), Err(Error::SunRange(-1))));
}

#[test]
fn abi_refusals() {
    let to = Address::from_hex(TO).unwrap();
    let good = abi::encode_transfer(&to, U256::from(1u8));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "abi: call data of 0 bytes has no selector"),
        ("67 bytes", good[..67].to_vec(), "abi: transfer call data must be exactly 68 bytes, got 67"),
        ("69 bytes", [good.clone(), vec![0]].concat(), "abi: transfer call data must be exactly 68 bytes, got 69"),
        ("approve", [abi::APPROVE_SELECTOR.to_vec(), good[4..].to_vec()].concat(), "abi: selector 095ea7b3 is not transfer(address,uint256) (a9059cbb) but approve(address,uint256)"),
        ("transferFrom", [abi::TRANSFER_FROM_SELECTOR.to_vec(), good[4..].to_vec()].concat(), "abi: selector 23b872dd is not transfer(address,uint256) (a9059cbb) but transferFrom(address,address,uint256)"),
        ("dirty padding", { let mut g = good.clone(); g[4] = 1; g }, "abi: address word has non-zero padding byte 0x01 at offset 0"),
    ];
    for (name, data, msg) in cases {
        assert_eq!(
            abi::decode_transfer(&data).unwrap_err().to_string(),
            msg,
            "abi case {name}"
        );
    }
}

/// A small TRX transfer OWNER → TO.
fn trx(sun: u64) -> RawData {
    RawData::trx_transfer(
        Address::from_hex(OWNER).unwrap(),
        Address::from_hex(TO).unwrap(),
        Sun::new(sun).unwrap(),
        coldpay_shared::RefBlock {
            bytes: [1, 2],
            hash: [3; 8],
        },
        1_700_000_000_000,
        0,
    )
}

#[test]
fn json_refusals() {
    let raw = trx(5);
    let tw = coldpay_shared::tronweb::to_tronweb_json(&raw, &[], false);
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = tw.clone();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("not json", "{".into(), "line 1, column 1: json: unexpected end of the document"),
        ("empty", "   ".into(), "json: input is empty"),
        ("empty array", "[]".into(), "json: empty array: no transactions"),
        ("number", "[1]".into(), "json: element 0: expected a sign request or a transaction object"),
        ("bad txID", with(&|v| v["txID"] = "00".repeat(32).into()), "txID mismatch"),
        ("raw_data disagrees", with(&|v| v["raw_data"]["expiration"] = 5.into()), "raw_data object disagrees with raw_data_hex: expiration differ"),
        ("raw_data unknown key", with(&|v| v["raw_data"]["extra"] = 5.into()), "raw_data object disagrees with raw_data_hex: raw_data object unreadable: json: raw_data: unknown key (allowed: "),
        ("no raw_data_hex", with(&|v| { v.as_object_mut().unwrap().remove("raw_data_hex"); }), "json: transaction: raw_data_hex missing"),
        ("odd hex", with(&|v| v["raw_data_hex"] = "abc".into()), "raw_data_hex: invalid hex"),
        ("bad signature", with(&|v| v["signature"] = serde_json::json!(["00"])), "signature: must be 65 bytes"),
        ("visible not bool", with(&|v| v["visible"] = "yes".into()), "transaction.visible: expected a boolean"),
        ("bare hex that is not raw_data", "deadbeef".into(), "raw_data"),
        ("sign request wrong version", serde_json::json!({"format":"coldpay/sign-request","version":2}).to_string(), "unsupported coldpay/sign-request version Some(2)"),
        ("other format", serde_json::json!({"format":"coldpay/sign-response","version":1}).to_string(), "is not a sign request"),
    ];
    for (name, text, msg) in cases {
        let e = parse_input(&text).unwrap_err().to_string();
        assert!(e.contains(msg), "json case {name}: {e}");
    }
}

#[test]
fn handoff_refusals() {
    let raw = trx(5);
    let req = SignRequest {
        permission: None,
        permission_before: None,
        network: coldpay_shared::Network::Nile,
        request_id: "r1".into(),
        created_at: 1,
        transactions: vec![
            coldpay_shared::handoff::RequestTx::new("p1", raw.clone()),
            coldpay_shared::handoff::RequestTx::new("p1", raw.clone()),
        ],
    };
    let e = SignRequest::from_json(&req.to_json()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "handoff: payout id \"p1\" appears twice in the request"
    );
    let mut j = req.to_json();
    j["transactions"][1]["payout_id"] = "p2".into();
    j["transactions"][1]["txid"] = "11".repeat(32).into();
    assert!(matches!(
        SignRequest::from_json(&j),
        Err(Error::TxIdMismatch { .. })
    ));
    let mut j = req.to_json();
    j["network"] = "testnet".into();
    assert!(SignRequest::from_json(&j)
        .unwrap_err()
        .to_string()
        .contains("unknown value, expected one of `mainnet`"));
    let mut j = req.to_json();
    j["transactions"][0]["payout_id"] = "a b".into();
    assert!(SignRequest::from_json(&j)
        .unwrap_err()
        .to_string()
        .contains("contains U+0020 (a space)"));
    let mut j = req.to_json();
    j["surprise"] = 1.into();
    assert!(SignRequest::from_json(&j)
        .unwrap_err()
        .to_string()
        .contains("unknown key, expected"));
    // A response whose signature recovers to someone else.
    let key = k256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
    let sig = coldpay_shared::Signature::sign_txid(&key, &raw.txid()).unwrap();
    let resp = SignResponse {
        request_id: "r1".into(),
        signed_at: 2,
        audit_head: None,
        policy: None,
        transactions: vec![coldpay_shared::handoff::ResponseTx {
            payout_id: "p1".into(),
            txid: raw.txid(),
            signatures: vec![coldpay_shared::handoff::SignerSignature {
                signer: Address::from_hex(OWNER).unwrap(),
                signature: sig,
            }],
        }],
    };
    let e = SignResponse::from_json(&resp.to_json())
        .unwrap_err()
        .to_string();
    assert!(e.contains("payout p1: signature: signed by"), "{e}");
}

#[test]
fn typed_and_general_request_paths_agree() {
    // `parse_input` reads a lone sign request straight into its typed form; inside an array
    // it goes through a `serde_json::Value`. Both must accept and refuse the same documents
    // with the same errors.
    let good = SignRequest {
        permission: None,
        permission_before: None,
        network: coldpay_shared::Network::Nile,
        request_id: "r1".into(),
        created_at: 1,
        transactions: vec![
            coldpay_shared::handoff::RequestTx::new("p1", trx(5)),
            coldpay_shared::handoff::RequestTx::new("p2", trx(6)),
        ],
    }
    .to_json();
    let edits: Vec<(&str, Box<dyn Fn(&mut serde_json::Value)>)> = vec![
        ("unchanged", Box::new(|_| {})),
        ("version 2", Box::new(|v| v["version"] = 2.into())),
        ("version string", Box::new(|v| v["version"] = "1".into())),
        (
            "format",
            Box::new(|v| v["format"] = "coldpay/sign-response".into()),
        ),
        ("unknown key", Box::new(|v| v["extra"] = 1.into())),
        (
            "bad hex",
            Box::new(|v| v["transactions"][1]["raw_data_hex"] = "zz".into()),
        ),
        (
            "bad txid",
            Box::new(|v| v["transactions"][0]["txid"] = "00".repeat(32).into()),
        ),
        (
            "duplicate payout",
            Box::new(|v| v["transactions"][1]["payout_id"] = "p1".into()),
        ),
        (
            "no transactions",
            Box::new(|v| v["transactions"] = serde_json::json!([])),
        ),
        (
            "trailing bytes",
            Box::new(|v| {
                let h = v["transactions"][0]["raw_data_hex"]
                    .as_str()
                    .unwrap()
                    .to_string()
                    + "00";
                v["transactions"][0]["raw_data_hex"] = h.into();
            }),
        ),
        ("network", Box::new(|v| v["network"] = "moon".into())),
    ];
    for (name, edit) in edits {
        let mut v = good.clone();
        edit(&mut v);
        let lone = parse_input(&v.to_string());
        let general = SignRequest::from_json(&v);
        let in_array = parse_input(&serde_json::json!([v]).to_string());
        match (&lone, &general) {
            (
                Ok(coldpay_shared::input::Input::One(coldpay_shared::input::InputItem::Request(a))),
                Ok(b),
            ) => {
                assert_eq!(a, b, "{name}");
                assert!(in_array.is_ok(), "{name}");
            }
            (Err(a), Err(_)) => {
                // Both placed; the array's error names the element.
                let unplaced = |e: String| e[e.find(": ").unwrap() + 2..].to_string();
                let arr = unplaced(in_array.unwrap_err().to_string());
                let lone = unplaced(a.to_string());
                let lone = lone.strip_prefix("json: ").unwrap_or(&lone);
                assert_eq!(arr, format!("json: element 0: {lone}"), "{name}");
            }
            other => panic!("{name}: paths disagree: {other:?}"),
        }
    }
}
