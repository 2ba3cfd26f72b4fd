//! Both binaries decode the reference vectors the same way, with the documented JSON keys, and
//! refuse the negative ones with exit code 2 and a one-line error.

#![allow(clippy::single_match_else)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use coldpay_tests::{bin, load_vectors};
use serde_json::Value;

const KEYS: [&str; 13] = [
    "amount",
    "contract_type",
    "expiration",
    "fee_limit",
    "memo",
    "owner_address",
    "permission_id",
    "ref_block_bytes",
    "ref_block_hash",
    "timestamp",
    "to_address",
    "token",
    "txid",
];

const PERMISSION_UPDATE_KEYS: [&str; 12] = [
    "active_permissions",
    "contract_type",
    "expiration",
    "memo",
    "owner_address",
    "owner_permission",
    "permission_id",
    "ref_block_bytes",
    "ref_block_hash",
    "timestamp",
    "txid",
    "witness_permission",
];

fn run(cmd: &[&str], stdin: &str) -> Output {
    let (program, args) = if cmd[0] == "signer" {
        (bin("coldpay-signer"), vec!["inspect"])
    } else {
        (bin("coldpay-broadcaster"), vec!["tx", "decode"])
    };
    let mut child = Command::new(program)
        .args(args)
        .args(&cmd[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs both tools on the same stdin; asserts identical results and returns the JSON.
fn decode_both(stdin: &str) -> Result<Value, (i32, String)> {
    let a = run(&["signer", "--json", "-"], stdin);
    let b = run(&["broadcaster", "--json", "-"], stdin);
    assert_eq!(a.status.code(), b.status.code());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stderr, b.stderr);
    if a.status.success() {
        Ok(serde_json::from_slice(&a.stdout).unwrap())
    } else {
        Err((
            a.status.code().unwrap(),
            String::from_utf8(a.stderr).unwrap(),
        ))
    }
}

fn signed_vectors() -> Vec<Value> {
    load_vectors("transactions_signed.json")["vectors"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn vectors_decode_with_documented_keys_and_values() {
    for v in signed_vectors() {
        let id = v["id"].as_str().unwrap();
        let hex = v["raw_data_hex"].as_str().unwrap();
        match decode_both(hex) {
            Ok(rows) => {
                let row = &rows.as_array().unwrap()[0];
                let mut keys: Vec<&str> = row
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                keys.sort_unstable();
                if row["contract_type"] == "AccountPermissionUpdateContract" {
                    // Decoded strictly (the multi-signature issue): every permission shown.
                    assert_eq!(keys, PERMISSION_UPDATE_KEYS, "{id}");
                    assert_eq!(row["txid"], v["txID"], "{id}");
                    assert!(id.contains("permission_update"), "{id}");
                    continue;
                }
                assert_eq!(keys, KEYS, "{id}");
                assert_eq!(row["txid"], v["txID"], "{id}");
                let d = &v["decoded"];
                assert_eq!(row["ref_block_bytes"], d["ref_block_bytes"], "{id}");
                assert_eq!(row["ref_block_hash"], d["ref_block_hash"], "{id}");
                assert_eq!(row["expiration"], d["expiration"], "{id}");
                assert_eq!(
                    row["timestamp"],
                    d.get("timestamp").cloned().unwrap_or(Value::Null),
                    "{id}"
                );
                let c = &d["contract"][0];
                assert_eq!(row["contract_type"], c["type"], "{id}");
                let val = &c["parameter"]["value"];
                assert_eq!(row["owner_address"], val["owner_address_base58"], "{id}");
                if c["type"] == "TransferContract" {
                    assert_eq!(row["to_address"], val["to_address_base58"], "{id}");
                    assert_eq!(row["amount"], val["amount"].to_string(), "{id}");
                    assert_eq!(row["token"], Value::Null, "{id}");
                    assert_eq!(row["fee_limit"], Value::Null, "{id}");
                } else {
                    assert_eq!(row["token"], val["contract_address_base58"], "{id}");
                }
                assert_eq!(row["permission_id"], Value::Null, "{id}");
            }
            Err((code, stderr)) => {
                assert_eq!(code, 2, "{id}");
                assert_eq!(stderr.lines().count(), 1, "{id}: one-line error: {stderr}");
                let expect = if id.contains("trc10") {
                    "raw_data: field 11 (contract): unknown contract type 2"
                } else if id.contains("malformed_abi") {
                    "non-zero padding"
                } else {
                    panic!("{id} unexpectedly refused: {stderr}")
                };
                assert!(stderr.contains(expect), "{id}: {stderr}");
            }
        }
    }
}

#[test]
fn usdt_transfer_shows_recipient_token_and_amount() {
    let v = signed_vectors()
        .into_iter()
        .find(|v| v["id"] == "mainnet_usdt_transfer_762dee17")
        .unwrap();
    let rows = decode_both(v["raw_data_hex"].as_str().unwrap()).unwrap();
    let row = &rows[0];
    assert_eq!(row["to_address"], "TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm");
    assert_eq!(row["token"], "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
    assert_eq!(row["amount"], "1987");
    // The human view names the same things.
    let out = run(&["signer", "-"], v["raw_data_hex"].as_str().unwrap());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm"),
        "{text}"
    );
    assert!(text.contains("1987"), "{text}");
    assert!(text.contains(v["txID"].as_str().unwrap()), "{text}");
}

#[test]
fn tronweb_objects_arrays_files_and_memo() {
    let vs = signed_vectors();
    let memo = vs
        .iter()
        .find(|v| v["id"] == "shasta_transfer_with_memo_17821228")
        .unwrap();
    let obj = serde_json::json!({
        "txID": memo["txID"],
        "raw_data_hex": memo["raw_data_hex"],
        "signature": memo["signatures"],
        "visible": false,
    });
    let rows = decode_both(&obj.to_string()).unwrap();
    // The memo 0x02c75f is not UTF-8, so it is shown as hex.
    assert_eq!(rows[0]["memo"], "02c75f");
    let arr = Value::Array(vec![obj.clone(), obj.clone()]);
    assert_eq!(
        decode_both(&arr.to_string())
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // From a file rather than stdin.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tx.json");
    std::fs::write(&path, obj.to_string()).unwrap();
    let out = Command::new(bin("coldpay-signer"))
        .args(["inspect", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), rows);
    // A txID that is not sha256(raw_data_hex) is refused.
    let mut bad = obj;
    bad["txID"] = "00".repeat(32).into();
    let (code, err) = decode_both(&bad.to_string()).unwrap_err();
    assert_eq!(code, 2);
    assert!(err.contains("txID mismatch"), "{err}");
}

#[test]
fn malformed_inputs_exit_2_with_one_line() {
    for (input, needle) in [
        ("", "input is empty"),
        ("{", "json:"),
        ("zz", "invalid hex"),
        ("0a02", "raw_data"),
        ("[]", "empty array"),
    ] {
        let (code, err) = decode_both(input).unwrap_err();
        assert_eq!(code, 2, "{input:?}");
        assert_eq!(err.lines().count(), 1, "{input:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(needle), "{input:?}: {err}");
    }
    let out = Command::new(bin("coldpay-signer"))
        .args(["inspect", "/nonexistent/file.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/file.json"));
}

/// The text views of both tools show token units with the symbol and times in UTC, never base
/// units of a known token or raw milliseconds.
#[test]
fn text_views_show_token_units_and_utc_times() {
    use coldpay_shared::{Address, RawData, RefBlock, U256};
    let raw = RawData::trc20_transfer(
        Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap(),
        Address::parse(coldpay_shared::MAINNET_USDT).unwrap(),
        Address::parse("TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm").unwrap(),
        U256::from(12_500_000u64),
        30_000_000,
        RefBlock {
            bytes: [0x12, 0x34],
            hash: [1, 2, 3, 4, 5, 6, 7, 8],
        },
        1_796_182_608_000,
        1_796_160_000_000,
    );
    let hex = hex::encode(raw.encode());
    for tool in ["signer", "broadcaster"] {
        let out = run(&[tool, "-"], &hex);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("12.5 USDT"), "{tool}: {text}");
        assert!(text.contains("2026-12-01T"), "{tool}: {text}");
        assert!(!text.contains(" ms"), "{tool}: {text}");
        assert!(!text.contains("base units"), "{tool}: {text}");
    }
    // One transaction view: both tools print the same lines; only the time left, read from
    // each tool's own clock, may differ.
    let strip = |tool: &str| -> Vec<String> {
        let out = run(&[tool, "-"], &hex);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split(" (").next().unwrap_or(l).to_owned())
            .collect()
    };
    let signer = strip("signer");
    assert_eq!(signer, strip("broadcaster"));
    for label in [
        "from ",
        "to ",
        "amount ",
        "fee limit ",
        "expires ",
        "created ",
        "ref block ",
    ] {
        assert!(
            signer.iter().any(|l| l.trim_start().starts_with(label)),
            "{label}: {signer:?}"
        );
    }
}
