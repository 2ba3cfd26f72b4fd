//! Input hardening (issue 12, items 1, 2 and 4): look-alike ids, duplicate and unknown JSON
//! keys, and one set of raw_data bounds for the JSON and compact (QR/UR) forms.

use coldpay_shared::cbor::Cbor;
use coldpay_shared::compact::{decode_request, decode_watch, encode_watch, txids_digest};
use coldpay_shared::handoff::{RequestTx, WatchAccount, WatchExport};
use coldpay_shared::input::parse_input;
use coldpay_shared::tronweb::to_tronweb_json;
use coldpay_shared::wire::{put_bytes_field, put_key, put_message_field, put_uint_field};
use coldpay_shared::wire::{put_varint, WT_VARINT};
use coldpay_shared::{
    Address, Network, RawData, RefBlock, SignRequest, SignResponse, TxId, MAINNET_USDT, U256,
};
use proptest::prelude::*;

const FROM: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";
const TO: &str = "TTS7Y53sS4rzrDCtZaiuRzqxd16atCe2UR";
const REF: RefBlock = RefBlock {
    bytes: [0x12, 0x34],
    hash: [1, 2, 3, 4, 5, 6, 7, 8],
};

fn addr(s: &str) -> Address {
    Address::parse(s).unwrap()
}

fn usdt_raw() -> RawData {
    RawData::trc20_transfer(
        addr(FROM),
        addr(MAINNET_USDT),
        addr(TO),
        U256::from(1_000_000u64),
        30_000_000,
        REF,
        1_700_000_000_000,
        1_699_999_000_000,
    )
}

fn request_text(payout_id: &str, request_id: &str) -> String {
    let req = SignRequest {
        permission: None,
        permission_before: None,
        network: Network::Mainnet,
        request_id: request_id.into(),
        created_at: 1,
        transactions: vec![RequestTx::new(payout_id, usdt_raw())],
    };
    serde_json::to_string(&req.to_json()).unwrap()
}

fn err_of(text: &str) -> String {
    parse_input(text).unwrap_err().to_string()
}

#[test]
fn zero_width_and_bidi_ids_are_refused_naming_the_code_point() {
    let e = err_of(&request_text("p\u{200b}-1", "req-1"));
    assert!(e.contains("U+200B (a zero-width character)"), "{e}");
    assert!(
        e.contains("payout_id contains U+200B (a zero-width character) at character 2"),
        "{e}"
    );
    assert!(!e.contains("-1"), "the id is not quoted: {e}");
    let e = err_of(&request_text("p-1", "req\u{202e}1-"));
    assert!(e.contains("request_id"), "{e}");
    assert!(e.contains("U+202E (a bidi control character)"), "{e}");
    let e = err_of(&request_text("p-\u{0430}", "req-1"));
    assert!(e.contains("U+0430 'а' (not ASCII)"), "homoglyph: {e}");
    let e = err_of(&request_text("p-1\u{e0031}", "req-1"));
    assert!(e.contains("U+E0031 (a tag character)"), "{e}");
    assert!(parse_input(&request_text("p-1", "req-1")).is_ok());
}

#[test]
fn look_alike_names_are_refused_in_watch_exports_and_responses() {
    let w = WatchExport {
        network: Network::Mainnet,
        approver_for: None,
        accounts: vec![WatchAccount {
            name: "treasury\u{2060}".into(),
            address: addr(FROM),
            path: None,
        }],
    };
    let e = WatchExport::from_json(&w.to_json())
        .unwrap_err()
        .to_string();
    assert!(e.contains("U+2060"), "{e}");
    let e = decode_watch(&encode_watch(&w)).unwrap_err().to_string();
    assert!(e.contains("U+2060"), "{e}");
    let resp = serde_json::json!({
        "format": "coldpay/sign-response", "version": 1, "request_id": "r\u{feff}",
        "signed_at": 1, "transactions": []
    });
    let e = SignResponse::from_json(&resp).unwrap_err().to_string();
    assert!(e.contains("U+FEFF (a zero-width character)"), "{e}");
}

#[test]
fn duplicate_keys_in_sign_requests_are_refused_with_the_path() {
    let text = request_text("p-1", "req-1");
    let cases = [
        (
            text.replacen(
                r#""network":"mainnet""#,
                r#""network":"nile","network":"mainnet""#,
                1,
            ),
            "network appears twice",
        ),
        (
            text.replacen(
                r#""transactions":"#,
                r#""transactions":[],"transactions":"#,
                1,
            ),
            "transactions appears twice",
        ),
        (
            text.replacen(
                r#""payout_id":"p-1""#,
                r#""payout_id":"p-2","payout_id":"p-1""#,
                1,
            ),
            "transactions[0].payout_id appears twice",
        ),
    ];
    for (doc, want) in cases {
        let e = err_of(&doc);
        assert!(e.contains(want), "{doc}: {e}");
    }
}

#[test]
fn duplicate_keys_in_tronweb_input_are_refused_with_the_path() {
    let one = serde_json::to_string(&to_tronweb_json(&usdt_raw(), &[], true)).unwrap();
    let hex = hex::encode(usdt_raw().encode());
    let other = hex::encode(
        RawData {
            fee_limit: 1,
            ..usdt_raw()
        }
        .encode(),
    );
    let cases = [
        (
            format!(
                "[{one},{}]",
                one.replacen(r#""fee_limit":"#, r#""fee_limit":1,"fee_limit":"#, 1)
            ),
            "[1].raw_data.fee_limit appears twice",
        ),
        (
            one.replacen(r#""data":"#, r#""data":"00","data":"#, 1),
            "raw_data.contract[0].parameter.value.data appears twice",
        ),
        (
            one.replacen(
                &format!(r#""raw_data_hex":"{hex}""#),
                &format!(r#""raw_data_hex":"{other}","raw_data_hex":"{hex}""#),
                1,
            ),
            "raw_data_hex appears twice",
        ),
        (
            one.replacen(r#""txID":"#, r#""txID":"00","txID":"#, 1),
            "txID appears twice",
        ),
    ];
    for (doc, want) in cases {
        assert_ne!(doc, one, "the case must change the document");
        let e = err_of(&doc);
        assert!(e.contains(want), "{doc}: {e}");
    }
    assert!(parse_input(&one).is_ok());
}

#[test]
fn duplicate_keys_in_responses_and_watch_exports_are_refused() {
    let resp = r#"{"format":"coldpay/sign-response","version":1,"request_id":"a","request_id":"b","signed_at":1,"transactions":[]}"#;
    let e = SignResponse::from_json_text(resp).unwrap_err().to_string();
    assert!(e.contains("request_id appears twice"), "{e}");
    let watch = format!(
        r#"{{"format":"coldpay/watch-only","version":1,"network":"mainnet","accounts":[{{"name":"a","address":"{FROM}","address":"{TO}"}}]}}"#
    );
    let e = WatchExport::from_json_text(&watch).unwrap_err().to_string();
    assert!(e.contains("accounts[0].address appears twice"), "{e}");
    let ok = watch.replacen(&format!(r#","address":"{TO}""#), "", 1);
    assert!(WatchExport::from_json_text(&ok).is_ok(), "{ok}");
}

#[test]
fn unknown_tronweb_keys_are_refused_naming_the_allowed_set() {
    let mut v = to_tronweb_json(&usdt_raw(), &[], true);
    v["ret"] = serde_json::json!([{"contractRet": "SUCCESS"}]);
    let e = err_of(&v.to_string());
    assert!(
        e.contains(
            "transaction: unknown key (allowed: txID, raw_data, raw_data_hex, visible, signature)"
        ),
        "{e}"
    );
    let mut v = to_tronweb_json(&usdt_raw(), &[], true);
    v["raw_data"]["contract"][0]["parameter"]["value"]["extra"] = 1.into();
    let e = err_of(&v.to_string());
    assert!(
        e.contains("raw_data.contract[0].parameter.value: unknown key (allowed: owner_address"),
        "{e}"
    );
}

#[test]
fn json_raw_data_object_has_the_int32_permission_bound() {
    let mut v = to_tronweb_json(&usdt_raw(), &[], true);
    v["raw_data"]["contract"][0]["Permission_id"] = (1u64 << 31).into();
    let e = coldpay_shared::tronweb::raw_data_from_json(&v["raw_data"]).unwrap_err();
    assert!(e.to_string().contains("Permission_id"), "{e}");
    v["raw_data"]["contract"][0]["Permission_id"] = 2.into();
    let raw = coldpay_shared::tronweb::raw_data_from_json(&v["raw_data"]).unwrap();
    assert_eq!(raw.contract.permission_id, 2);
}

/// raw_data bytes of a TRC-20 transfer with the given field values, written as any u64
/// (values past int32/int64 are the negative encodings java-tron would read).
fn raw_bytes(permission: u64, timestamp: u64, expiration: u64, fee_limit: u64) -> Vec<u8> {
    let base = usdt_raw();
    let mut contract = Vec::new();
    base.contract.encode_into(&mut contract);
    if permission != 0 {
        put_key(&mut contract, 5, WT_VARINT);
        put_varint(&mut contract, permission);
    }
    let mut out = Vec::new();
    put_bytes_field(&mut out, 1, &REF.bytes);
    put_bytes_field(&mut out, 4, &REF.hash);
    put_uint_field(&mut out, 8, expiration);
    put_message_field(&mut out, 11, &contract);
    put_uint_field(&mut out, 14, timestamp);
    put_uint_field(&mut out, 18, fee_limit);
    out
}

fn json_form(bytes: &[u8]) -> String {
    serde_json::json!({
        "format": "coldpay/sign-request", "version": 1, "network": "mainnet",
        "request_id": "req-1", "created_at": 1,
        "transactions": [{
            "payout_id": "p-1", "raw_data_hex": hex::encode(bytes),
            "txid": TxId::of_raw(bytes).to_hex(),
        }],
    })
    .to_string()
}

/// The compact form of the same one-transaction request, built field by field (as
/// docs/formats.md describes it) so values no `RawData` can hold can be written.
fn compact_form(
    bytes: &[u8],
    permission: u64,
    timestamp: u64,
    expiration: u64,
    fee: u64,
) -> Vec<u8> {
    let a20 = |s: &str| Cbor::Bytes(addr(s).evm_bytes().to_vec());
    let mut tapos = REF.bytes.to_vec();
    tapos.extend_from_slice(&REF.hash);
    let mut m = vec![
        (0, Cbor::Uint(1)),
        (1, Cbor::Uint(0)),
        (2, Cbor::Text("req-1".into())),
        (3, Cbor::Uint(1)),
        (4, a20(FROM)),
        (5, Cbor::Bytes(tapos)),
        (6, Cbor::Uint(expiration)),
        (7, Cbor::Uint(timestamp)),
        (8, a20(MAINNET_USDT)),
        (9, Cbor::Uint(fee)),
    ];
    if permission != 0 {
        m.push((10, Cbor::Uint(permission)));
    }
    let txid = TxId::of_raw(bytes);
    m.push((11, Cbor::Bytes(txids_digest([&txid]).to_vec())));
    let item = vec![
        Cbor::Text("p-1".into()),
        a20(TO),
        Cbor::Uint(1_000_000),
        Cbor::Uint(0),
        Cbor::Uint(0),
    ];
    m.push((12, Cbor::Array(vec![Cbor::Array(item)])));
    Cbor::Map(m).encode()
}

fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1u64),
        Just((1u64 << 31) - 1),
        Just(1u64 << 31),
        Just(u64::from(u32::MAX)),
        Just(1u64 << 32),
        Just(i64::MAX as u64),
        Just(1u64 << 63),
        Just(u64::MAX),
        Just(u64::MAX - (1u64 << 31) + 1), // int32 −2^31 sign-extended
        any::<u64>(),
        1u64..=i64::MAX as u64,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The JSON (raw_data_hex) and compact forms accept exactly the same raw_data field values
    /// and, when they accept, yield the same transaction.
    #[test]
    fn json_and_compact_accept_the_same_set(
        permission in edge_u64(),
        timestamp in edge_u64(),
        expiration in edge_u64(),
        fee in edge_u64(),
    ) {
        let bytes = raw_bytes(permission, timestamp, expiration, fee);
        let json = parse_input(&json_form(&bytes));
        let compact = decode_request(&compact_form(&bytes, permission, timestamp, expiration, fee));
        prop_assert_eq!(
            json.is_ok(),
            compact.is_ok(),
            "json: {:?}\ncompact: {:?}",
            json.as_ref().err(),
            compact.as_ref().err()
        );
        if let (Ok(j), Ok(c)) = (json, compact) {
            let j = j.transactions()[0].raw.clone();
            prop_assert_eq!(&j, &c.transactions[0].raw);
            prop_assert_eq!(j.encode(), bytes);
        }
    }
}

#[test]
fn compact_permission_and_timestamp_bounds_match_json() {
    for (perm, ts) in [
        (1u64 << 31, 1_699_999_000_000u64),
        (u64::from(u32::MAX), 1_699_999_000_000),
        (2, u64::MAX),
        (2, 1u64 << 63),
    ] {
        let bytes = raw_bytes(perm, ts, 1_700_000_000_000, 30_000_000);
        assert!(parse_input(&json_form(&bytes)).is_err());
        let e = decode_request(&compact_form(
            &bytes,
            perm,
            ts,
            1_700_000_000_000,
            30_000_000,
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("transaction 0 (payout p-1)"), "{perm} {ts}: {e}");
    }
    let bytes = raw_bytes(2, 1_699_999_000_000, 1_700_000_000_000, 30_000_000);
    let req = decode_request(&compact_form(
        &bytes,
        2,
        1_699_999_000_000,
        1_700_000_000_000,
        30_000_000,
    ))
    .unwrap();
    assert_eq!(req.transactions[0].raw.encode(), bytes);
}
