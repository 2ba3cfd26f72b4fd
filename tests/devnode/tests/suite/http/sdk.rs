//! Existing TronWeb and tronpy scripts rehearsed on the dev node (issue #23 item 8): each SDK
//! sends TRX and USDT, reads the receipts, balances (TRX and balanceOf) and a block through its
//! own API, and the dev node's ledger must show each payment exactly once with the right
//! amounts. The scripts are scripts/sdk-bench/tronweb_rehearse.js and tronpy_rehearse.py.
//!
//! The SDKs are found in scripts/sdk-bench/.deps (installed by scripts/sdk-bench/setup.sh) or
//! in `COLDPAY_SDK_DEPS`; without node/python3 or the packages each test prints why and passes
//! (as `make bench` skips its SDK comparison). CI does not install them.

use std::path::{Path, PathBuf};
use std::process::Command;

use coldpay_devnode::{Clock, Config, Devnode, Genesis};
use k256::ecdsa::SigningKey;
use serde_json::Value;

use crate::common::{addr, key, usdt};

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sdk-bench")
}

fn deps() -> PathBuf {
    std::env::var_os("COLDPAY_SDK_DEPS").map_or_else(|| sdk_dir().join(".deps"), PathBuf::from)
}

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One SDK's rehearsal: the interpreter, its script, the package it needs and the environment
/// variable pointing at it.
struct Sdk {
    program: &'static str,
    script: &'static str,
    package: &'static str,
    path_var: &'static str,
    path_dir: &'static str,
}

const TRONWEB: Sdk = Sdk {
    program: "node",
    script: "tronweb_rehearse.js",
    package: "node/node_modules/tronweb",
    path_var: "NODE_PATH",
    path_dir: "node/node_modules",
};

const TRONPY: Sdk = Sdk {
    program: "python3",
    script: "tronpy_rehearse.py",
    package: "py/tronpy",
    path_var: "PYTHONPATH",
    path_dir: "py",
};

/// A payment the script is asked to make.
struct Payment {
    owner: SigningKey,
    to: SigningKey,
    trx_sun: u64,
    usdt_units: u64,
}

/// Runs the SDK's script against a fresh dev node funding the owner; `None` (with the reason
/// printed) when the SDK is not installed.
fn rehearse(sdk: &Sdk, pay: &Payment) -> Option<(Devnode, Value)> {
    let deps = deps();
    if !runs(sdk.program) {
        eprintln!("skipped: {} is not installed", sdk.program);
        return None;
    }
    if !deps.join(sdk.package).exists() {
        eprintln!(
            "skipped: {} not found (run scripts/sdk-bench/setup.sh)",
            deps.join(sdk.package).display()
        );
        return None;
    }
    let mut genesis = Genesis::default();
    genesis.fund(addr(&pay.owner), 5_000_000_000, 100_000_000_000);
    let node = Devnode::start(Config {
        genesis,
        solid_lag: 2,
        clock: Clock::Wall,
        ..Config::default()
    })
    .unwrap();
    let out = Command::new(sdk.program)
        .arg(sdk_dir().join(sdk.script))
        .args([
            node.url(),
            hex::encode(pay.owner.to_bytes()),
            addr(&pay.to).to_base58(),
            usdt().to_base58(),
            pay.trx_sun.to_string(),
            pay.usdt_units.to_string(),
        ])
        .env(sdk.path_var, deps.join(sdk.path_dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed:\n{}\n{}",
        sdk.script,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    Some((node, report))
}

/// The ledger rows with `txid`.
fn rows<'a>(ledger: &'a Value, txid: &Value) -> Vec<&'a Value> {
    ledger["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["txid"] == *txid)
        .collect()
}

/// Each payment is in the ledger exactly once, succeeded, with the right parties and amounts,
/// in the block the SDK's receipt named; nothing else was paid to the recipient; the balances
/// the SDK read are the ledger's.
fn assert_paid_once(node: &Devnode, report: &Value, pay: &Payment) {
    let ledger = node.ledger();
    let (owner, to) = (addr(&pay.owner).to_base58(), addr(&pay.to).to_base58());
    let trx = rows(&ledger, &report["trx_txid"]);
    assert_eq!(trx.len(), 1, "TRX payment rows: {trx:?}");
    assert_eq!(trx[0]["contract_type"], "TransferContract");
    assert_eq!(trx[0]["owner"], owner.as_str());
    assert_eq!(trx[0]["to"], to.as_str());
    assert_eq!(trx[0]["amount"], pay.trx_sun.to_string());
    assert_eq!(trx[0]["result"], "SUCCESS");
    assert_eq!(trx[0]["block"], report["trx_block"]);
    let token = rows(&ledger, &report["usdt_txid"]);
    assert_eq!(token.len(), 1, "USDT payment rows: {token:?}");
    assert_eq!(token[0]["contract_type"], "TriggerSmartContract");
    assert_eq!(token[0]["owner"], owner.as_str());
    assert_eq!(token[0]["to"], to.as_str());
    assert_eq!(token[0]["token"], usdt().to_base58());
    assert_eq!(token[0]["amount"], pay.usdt_units.to_string());
    assert_eq!(token[0]["result"], "SUCCESS");
    assert_eq!(token[0]["block"], report["usdt_block"]);
    assert_eq!(token[0]["energy_total"], report["usdt_energy_used"]);
    let to_recipient = ledger["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["to"] == to.as_str())
        .count();
    assert_eq!(to_recipient, 2, "payments to the recipient: {ledger}");
    let account = ledger["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == to.as_str())
        .unwrap();
    assert_eq!(account["trx_sun"], pay.trx_sun);
    assert_eq!(
        account["tokens"][usdt().to_base58()],
        pay.usdt_units.to_string()
    );
    assert_eq!(report["recipient_trx_sun"], pay.trx_sun.to_string());
    assert_eq!(report["recipient_usdt_units"], pay.usdt_units.to_string());
    assert_eq!(report["usdt_in_block"], true);
    assert_eq!(report["usdt_energy_estimate"], report["usdt_energy_used"]);
    assert_eq!(report["head_block"], ledger["head"]);
    assert_eq!(report["token"], "USDT/6");
}

#[test]
fn a_tronweb_script_pays_trx_and_usdt_once_on_the_dev_node() {
    let pay = Payment {
        owner: key(0x51),
        to: key(0x52),
        trx_sun: 1_234_567,
        usdt_units: 7_654_321,
    };
    let Some((node, report)) = rehearse(&TRONWEB, &pay) else {
        return;
    };
    assert_paid_once(&node, &report, &pay);
    // getsignweight / getapprovedlist on a signed transaction TronWeb did not send.
    assert_eq!(report["sign_weight"], 1);
    assert_eq!(report["sign_weight_txid"], report["unsent_txid"]);
    assert_eq!(
        report["approved_list"],
        serde_json::json!([addr(&pay.owner).to_hex()])
    );
    assert!(rows(&node.ledger(), &report["unsent_txid"]).is_empty());
}

#[test]
fn a_tronpy_script_pays_trx_and_usdt_once_on_the_dev_node() {
    let pay = Payment {
        owner: key(0x61),
        to: key(0x62),
        trx_sun: 2_345_678,
        usdt_units: 8_765_432,
    };
    let Some((node, report)) = rehearse(&TRONPY, &pay) else {
        return;
    };
    assert_paid_once(&node, &report, &pay);
    assert_eq!(report["trx_solid_block"], report["trx_block"]);
    assert_eq!(report["block_by_id_same"], true);
    assert!(report["sender_bandwidth"].as_u64().unwrap() > 0);
    // The active permission (id 2) as getsignweight gave it to tronpy's signer check.
    assert_eq!(report["active_permission"]["id"], 2);
    assert_eq!(
        report["active_permission"]["keys"],
        serde_json::json!([{"address": addr(&pay.owner).to_hex(), "weight": 1}])
    );
    assert_eq!(report["stranger_refused"], true);
    assert_eq!(report["active_weight"], 1);
    assert!(rows(&node.ledger(), &report["active_txid"]).is_empty());
}
