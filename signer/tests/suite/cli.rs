//! End-to-end tests of the coldpay-signer CLI: keys, signing, policy refusals, audit log.

#![allow(clippy::too_many_lines)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use coldpay_shared::handoff::{DisplayHints, RequestTx};
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest, SignResponse, Sun, U256};
use common::{now_ms, sign_request, Limits, Policy, ALLOWED, HOUR, KAT_ADDR, PASS, REF, USDT};
use serde_json::{json, Value};

const OTHER: &str = "TTS7Y53sS4rzrDCtZaiuRzqxd16atCe2UR";
const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn policy_toml(extra_top: &str, mode: &str) -> String {
    Policy::test()
        .line("max_fee_limit_trx = \"100\"")
        .line("max_expiration_hours = 24")
        .line(extra_top)
        .mode(mode)
        .trx(Limits::new("10000", "100000", "200000"))
        .to_toml()
}

common::local_env!();

impl Env {
    fn pass(&self) -> PathBuf {
        self.dir.path().join("pass.txt")
    }
    fn audit_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.home().join("audit.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
    fn write(&self, name: &str, v: &Value) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
        p
    }
    /// `sign FILE --yes -o out.json`; returns the output.
    fn sign(&self, input: &Path, extra: &[&str]) -> Output {
        self.sign_with_pass(input, &self.pass(), extra)
    }
    /// `sign FILE --yes -o out.json --passphrase-file PASS`.
    fn sign_with_pass(&self, input: &Path, pass: &Path, extra: &[&str]) -> Output {
        let out = self.path("out.json");
        let _ = std::fs::remove_file(&out);
        self.cmd()
            .arg("sign")
            .arg(input)
            .arg("-o")
            .arg(&out)
            .arg("--yes")
            .arg("--passphrase-file")
            .arg(pass)
            .args(extra)
            .output()
            .unwrap()
    }
    /// Writes a mainnet sign request of `txs` (id "req-1").
    fn write_request(&self, name: &str, txs: Vec<(&str, RawData)>) -> PathBuf {
        self.write(name, &request(Network::Mainnet, txs).to_json())
    }
}

fn setup(network: &str) -> Env {
    Env(common::Env::setup(network, &policy_toml("", "allowlist")))
}

fn usdt_tx(to: &str, usdt_units: u64, expires_in_ms: u64) -> RawData {
    RawData::trc20_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(USDT).unwrap(),
        Address::parse(to).unwrap(),
        U256::from(usdt_units),
        30_000_000,
        REF,
        now_ms() + expires_in_ms,
        now_ms(),
    )
}

fn request(network: Network, txs: Vec<(&str, RawData)>) -> SignRequest {
    let txs = txs.into_iter().map(|(p, r)| RequestTx::new(p, r));
    sign_request(network, "req-1", txs.collect())
}

#[test]
fn signs_a_request_and_records_it() {
    let env = setup("mainnet");
    let raw = usdt_tx(ALLOWED, 1_500_000, 2 * HOUR);
    let mut req = request(Network::Mainnet, vec![("p-1", raw.clone())]);
    req.transactions[0].hints = Some(DisplayHints {
        to: Some(Address::parse(ALLOWED).unwrap()),
        amount: Some("1500000".into()),
        token: Some(Address::parse(USDT).unwrap()),
        symbol: Some("USDT".into()),
        duplicate_of: None,
    });
    let input = env.write("req.json", &req.to_json());
    let out = env.sign(&input, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The review shows what the bytes say.
    assert!(stderr.contains("1.5 USDT"), "{stderr}");
    assert!(stderr.contains("exchange hot wallet"), "{stderr}");
    assert!(stderr.contains("fee limit   30 TRX"), "{stderr}");
    let resp: Value =
        serde_json::from_slice(&std::fs::read(env.path("out.json")).unwrap()).unwrap();
    let resp = SignResponse::from_json(&resp).unwrap();
    assert_eq!(resp.request_id, "req-1");
    assert_eq!(resp.transactions[0].txid, raw.txid());
    assert_eq!(
        resp.transactions[0].signatures[0].signer.to_base58(),
        KAT_ADDR
    );
    resp.transactions[0].signatures[0]
        .signature
        .verify(&raw.txid(), &Address::parse(KAT_ADDR).unwrap())
        .unwrap();
    let audit = env.audit_lines();
    assert_eq!(audit.last().unwrap()["verdict"], "signed");
    assert_eq!(audit.last().unwrap()["transactions"][0]["payout_id"], "p-1");
    env.cmd().args(["audit", "verify"]).assert().success();
    // Signing the same payout again is refused (no double payout).
    let out = env.sign(&input, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already signed"));
    // --resign-expired is refused while the old transaction is still live.
    let out = env.sign(&input, &["--resign-expired", "p-1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("has not expired yet"));
    // Once it has expired (signer clock moved past it), re-signing is allowed knowingly.
    let later = (now_ms() + 3 * HOUR).to_string();
    let fresh = request(
        Network::Mainnet,
        vec![("p-1", usdt_tx(ALLOWED, 1_500_000, 5 * HOUR))],
    );
    let input2 = env.write("req2.json", &fresh.to_json());
    let out = env
        .cmd()
        .env("COLDPAY_SIGNER_TEST_NOW_MS", &later)
        .arg("sign")
        .arg(&input2)
        .args(["--yes", "--resign-expired", "p-1", "--passphrase-file"])
        .arg(env.pass())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tronweb_input_comes_back_in_the_same_shape() {
    let env = setup("mainnet");
    let a = usdt_tx(ALLOWED, 1_000_000, HOUR);
    let b = usdt_tx(ALLOWED, 2_000_000, HOUR);
    let arr = json!([
        coldpay_shared::tronweb::to_tronweb_json(&a, &[], true),
        coldpay_shared::tronweb::to_tronweb_json(&b, &[], false)
    ]);
    let input = env.write("tw.json", &arr);
    let out = env.sign(&input, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&std::fs::read(env.path("out.json")).unwrap()).unwrap();
    let items = got.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, raw) in items.iter().zip([&a, &b]) {
        let tw = coldpay_shared::tronweb::from_tronweb_json(item).unwrap();
        assert_eq!(&tw.raw, raw);
        assert_eq!(tw.signatures.len(), 1);
        tw.signatures[0]
            .verify(&raw.txid(), &Address::parse(KAT_ADDR).unwrap())
            .unwrap();
    }
    assert_eq!(items[0]["visible"], true);
    assert_eq!(items[1]["visible"], false);
}

/// The published signing answers, reproduced byte for byte through the CLI.
#[test]
fn signing_kats_reproduce_through_the_cli() {
    let kats: Value =
        serde_json::from_str(include_str!("../../../shared/tests/data/signing_kat.json")).unwrap();
    let signed: Value = serde_json::from_str(include_str!(
        "../../../shared/tests/data/transactions_signed.json"
    ))
    .unwrap();
    let multisig: Value =
        serde_json::from_str(include_str!("../../../shared/tests/data/multisig.json")).unwrap();
    let mut all_txs: Vec<Value> = signed["vectors"].as_array().unwrap().clone();
    all_txs.extend(multisig["vectors"].as_array().unwrap().iter().cloned());
    let mut checked = 0;
    for kat in kats["vectors"].as_array().unwrap() {
        let Some(tx) = all_txs
            .iter()
            .find(|t| t["txID"] == kat["message_hash_txid"])
        else {
            continue;
        };
        let raw = RawData::decode_hex(tx["raw_data_hex"].as_str().unwrap());
        let Ok(raw) = raw else { continue }; // unsupported contract types are refused by design
        if raw.owner().to_base58() != kat["address_base58"].as_str().unwrap() {
            continue; // the signer only signs for owners it holds keys for
        }
        let env = Env(common::Env::empty());
        std::fs::write(env.pass(), PASS).unwrap();
        env.cmd()
            .args(["init", "--network", "mainnet"])
            .assert()
            .success();
        env.cmd()
            .args([
                "keys",
                "import-private",
                "--name",
                "k",
                "--kdf-iterations",
                "600000",
                "--passphrase-file",
            ])
            .arg(env.pass())
            .write_stdin(kat["private_key_hex"].as_str().unwrap().to_string())
            .assert()
            .success();
        env.set_policy(&policy_toml("", "any"));
        let input = env.write(
            "tw.json",
            &json!({"txID": tx["txID"], "raw_data_hex": tx["raw_data_hex"]}),
        );
        // The vectors expired long ago: run the (debug-only) clock one hour before expiry.
        let now = (raw.expiration - HOUR).to_string();
        let out = env
            .cmd()
            .env("COLDPAY_SIGNER_TEST_NOW_MS", now)
            .arg("sign")
            .arg(&input)
            .args(["--yes", "--passphrase-file"])
            .arg(env.pass())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let expected = if kat["high_s"] == true {
            kat["low_s_equivalent_computed_here"].as_str().unwrap()
        } else {
            kat["expected_signature"].as_str().unwrap()
        };
        assert_eq!(got["signature"][0], expected);
        checked += 1;
    }
    assert!(checked >= 2, "checked {checked} KATs through the CLI");
}

#[test]
fn mnemonic_wallets_derive_the_reference_addresses() {
    let env = Env(common::Env::empty());
    std::fs::write(env.pass(), PASS).unwrap();
    env.cmd()
        .args(["init", "--network", "nile"])
        .assert()
        .success();
    let out = env
        .cmd()
        .args([
            "keys",
            "import-mnemonic",
            "--name",
            "m",
            "--kdf-iterations",
            "600000",
            "--json",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .write_stdin(format!("{ABANDON}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Piped input: no prompt is printed for it.
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("Mnemonic (the words"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accounts"][0]["address"], KAT_ADDR);
    assert_eq!(v["accounts"][0]["path"], "m/44'/195'/0'/0/0");
    let vectors: Value = serde_json::from_str(include_str!(
        "../../../shared/tests/data/keys_addresses.json"
    ))
    .unwrap();
    for vec in vectors["private_key_vectors"].as_array().unwrap() {
        let Some(path) = vec["path"].as_str() else {
            continue;
        };
        let Some(index) = path.strip_prefix("m/44'/195'/0'/0/") else {
            continue;
        };
        let index: u32 = index.parse().unwrap();
        let out = env
            .cmd()
            .args([
                "keys",
                "derive",
                "--name",
                "m",
                "--json",
                "--index",
                &index.to_string(),
                "--passphrase-file",
            ])
            .arg(env.pass())
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["address"], vec["address_base58"], "{path}");
    }
    // list and export-watch show the accounts and no secret.
    let list = env.cmd().args(["keys", "list", "--json"]).output().unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains(KAT_ADDR));
    assert!(!text.contains("abandon"));
    env.cmd()
        .args(["keys", "export-watch", "-o"])
        .arg(env.path("watch.json"))
        .assert()
        .success();
    let w: Value = serde_json::from_slice(&std::fs::read(env.path("watch.json")).unwrap()).unwrap();
    let w = coldpay_shared::handoff::WatchExport::from_json(&w).unwrap();
    assert_eq!(w.network, Network::Nile);
    assert!(w.accounts.iter().any(|a| a.address.to_base58() == KAT_ADDR));
    // A mnemonic with a bad checksum is refused.
    env.cmd()
        .args([
            "keys",
            "import-mnemonic",
            "--name",
            "bad",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .write_stdin(ABANDON.replace("about", "abandon"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid mnemonic"));
}

#[test]
fn keys_new_change_passphrase_and_remove() {
    let env = Env(common::Env::empty());
    std::fs::write(env.pass(), PASS).unwrap();
    std::fs::write(env.path("new.txt"), "another long passphrase").unwrap();
    env.cmd()
        .args(["init", "--network", "mainnet"])
        .assert()
        .success();
    let out = env
        .cmd()
        .args([
            "keys",
            "new",
            "--name",
            "t",
            "--words",
            "12",
            "--no-confirm",
            "--kdf-iterations",
            "600000",
            "--json",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .output()
        .unwrap();
    assert!(out.status.success());
    let words: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|l| l.trim().split_once(". ").map(|(_, w)| w.to_string()))
        .collect();
    assert_eq!(words.len(), 12);
    let ks = std::fs::read_to_string(env.home().join("keystores/t.json")).unwrap();
    assert!(!ks.contains(&words[0]) || words[0].len() < 4);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.home().join("keystores/t.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(env.home()).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // Weak KDF refused; duplicate name refused.
    env.cmd()
        .args([
            "keys",
            "new",
            "--name",
            "w",
            "--no-confirm",
            "--kdf-iterations",
            "1000",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("minimum 600000"));
    env.cmd()
        .args([
            "keys",
            "new",
            "--name",
            "t",
            "--no-confirm",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));
    env.cmd()
        .args([
            "keys",
            "change-passphrase",
            "--name",
            "t",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .arg("--new-passphrase-file")
        .arg(env.path("new.txt"))
        .assert()
        .success();
    // Old passphrase now wrong, new one works.
    env.cmd()
        .args([
            "keys",
            "derive",
            "--name",
            "t",
            "--index",
            "1",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("wrong passphrase"));
    env.cmd()
        .args([
            "keys",
            "derive",
            "--name",
            "t",
            "--index",
            "1",
            "--passphrase-file",
        ])
        .arg(env.path("new.txt"))
        .assert()
        .success();
    env.cmd()
        .args(["keys", "remove", "--name", "t", "--yes"])
        .assert()
        .success();
    assert!(!env.home().join("keystores/t.json").exists());
}

#[test]
fn selftest_policy_show_and_audit() {
    let env = setup("mainnet");
    let out = env.cmd().args(["selftest", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sandbox = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "sandbox")
        .unwrap();
    if cfg!(target_os = "linux") {
        assert_eq!(sandbox["ok"], true, "{v}");
        assert!(out.status.success());
    }
    let out = env
        .cmd()
        .args(["policy", "show", "--json"])
        .output()
        .unwrap();
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["max_fee_limit_sun"], 100_000_000);
    assert_eq!(p["tokens"][0]["max_per_tx"], "50000000000");
    // policy check: verdicts without signing (nothing in the ledger afterwards).
    let req = request(Network::Mainnet, vec![("p-9", usdt_tx(OTHER, 1, HOUR))]);
    let input = env.write("chk.json", &req.to_json());
    let out = env
        .cmd()
        .args(["policy", "check"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not on the allowlist"));
    assert!(!env.home().join("ledger.jsonl").exists());
}

/// Each refused input: specific error, non-zero exit, no output file, a refusal audit line.
#[test]
fn refusal_table() {
    let env = setup("mainnet");
    let ok = |p: &str| usdt_tx(ALLOWED, 1_000_000, HOUR).clone_with_payout(p);
    // Pre-sign one payout so replay and the 24 h limit can be exercised.
    let pre = env.write(
        "pre.json",
        &request(
            Network::Mainnet,
            vec![("done-1", usdt_tx(ALLOWED, 45_000_000_000, HOUR))],
        )
        .to_json(),
    );
    assert!(env.sign(&pre, &[]).status.success());

    let trc10: Value = serde_json::from_str(include_str!(
        "../../../shared/tests/data/transactions_signed.json"
    ))
    .unwrap();
    let trc10_hex = trc10["vectors"][1]["raw_data_hex"]
        .as_str()
        .unwrap()
        .to_string();
    let with_memo = |memo: &str| {
        let mut r = usdt_tx(ALLOWED, 1, HOUR);
        r.memo = memo.as_bytes().to_vec();
        r
    };
    let edit = |f: &dyn Fn(&mut RawData)| {
        let mut r = usdt_tx(ALLOWED, 1_000_000, HOUR);
        f(&mut r);
        r
    };
    let _trx = RawData::trx_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(ALLOWED).unwrap(),
        Sun::new(1).unwrap(),
        RefBlock {
            bytes: [1, 1],
            hash: [2; 8],
        },
        now_ms() + HOUR,
        0,
    );
    let req = |txs: Vec<(&str, RawData)>| request(Network::Mainnet, txs).to_json();
    let mut hint_to = request(Network::Mainnet, vec![("h1", ok("h1").1)]);
    hint_to.transactions[0].hints = Some(DisplayHints {
        to: Some(Address::parse(OTHER).unwrap()),
        ..Default::default()
    });
    let mut hint_amount = request(Network::Mainnet, vec![("h2", ok("h2").1)]);
    hint_amount.transactions[0].hints = Some(DisplayHints {
        amount: Some("999".into()),
        ..Default::default()
    });
    let mut bad_txid = req(vec![("t1", ok("t1").1)]);
    bad_txid["transactions"][0]["txid"] = json!("00".repeat(32));
    let mut trailing = req(vec![("t2", ok("t2").1)]);
    let hex = trailing["transactions"][0]["raw_data_hex"]
        .as_str()
        .unwrap()
        .to_string()
        + "00";
    trailing["transactions"][0]["raw_data_hex"] = json!(hex);
    let mut tw_mismatch = coldpay_shared::tronweb::to_tronweb_json(&ok("x").1, &[], false);
    tw_mismatch["raw_data"]["fee_limit"] = json!(1);
    let permission = edit(&|r| r.contract.permission_id = 2);

    type Case<'a> = (&'a str, String, &'a str, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        ("malformed JSON", "{\"format\":".into(), "json:", vec![]),
        ("empty input", String::new(), "input is empty", vec![]),
        (
            "wrong network",
            request(Network::Nile, vec![("n1", ok("n1").1)])
                .to_json()
                .to_string(),
            "is for network nile",
            vec![],
        ),
        (
            "expired",
            req(vec![(
                "e1",
                usdt_tx(ALLOWED, 1, 0).with_expiration(now_ms() - 60_000),
            )])
            .to_string(),
            "expired",
            vec![],
        ),
        (
            "too far",
            req(vec![("e2", usdt_tx(ALLOWED, 1, 25 * HOUR))]).to_string(),
            "beyond the policy's 24 h horizon",
            vec![],
        ),
        (
            "over per-tx",
            req(vec![("l1", usdt_tx(ALLOWED, 50_000_000_001, HOUR))]).to_string(),
            "over the per-transaction limit",
            vec![],
        ),
        (
            "over per-request",
            req(vec![
                ("l2", usdt_tx(ALLOWED, 40_000_000_000, HOUR)),
                ("l3", usdt_tx(ALLOWED, 30_000_000_000, HOUR)),
            ])
            .to_string(),
            "over the per-request limit",
            vec![],
        ),
        (
            "over 24h",
            req(vec![("l4", usdt_tx(ALLOWED, 50_000_000_000, HOUR))]).to_string(),
            "over the 24 h limit",
            vec![],
        ),
        (
            "unknown token",
            req(vec![(
                "u1",
                edit(&|r| {
                    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) =
                        &mut r.contract.kind
                    {
                        t.contract = Address::parse(OTHER).unwrap();
                    }
                }),
            )])
            .to_string(),
            "is not in the registry",
            vec![],
        ),
        (
            "unknown contract type",
            json!({"raw_data_hex": trc10_hex}).to_string(),
            "unknown contract type 2",
            vec![],
        ),
        (
            "hint mismatch to",
            hint_to.to_json().to_string(),
            "display hint to",
            vec![],
        ),
        (
            "hint mismatch amount",
            hint_amount.to_json().to_string(),
            "display hint amount",
            vec![],
        ),
        (
            "duplicate payout id",
            {
                let mut v = req(vec![("d1", ok("d1").1), ("d2", usdt_tx(ALLOWED, 2, HOUR))]);
                v["transactions"][1]["payout_id"] = json!("d1");
                v.to_string()
            },
            "appears twice",
            vec![],
        ),
        (
            "payout signed before",
            req(vec![("done-1", ok("x").1)]).to_string(),
            "already signed",
            vec![],
        ),
        (
            "key not held",
            req(vec![(
                "k1",
                edit(&|r| {
                    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) =
                        &mut r.contract.kind
                    {
                        t.owner = Address::parse(OTHER).unwrap();
                    }
                }),
            )])
            .to_string(),
            "no key held for owner address",
            vec![],
        ),
        (
            "approve selector",
            req(vec![(
                "a1",
                edit(&|r| {
                    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) =
                        &mut r.contract.kind
                    {
                        t.data[..4].copy_from_slice(&coldpay_shared::abi::APPROVE_SELECTOR);
                    }
                }),
            )])
            .to_string(),
            "approve(address,uint256)",
            vec![],
        ),
        (
            "call_value",
            req(vec![(
                "c1",
                edit(&|r| {
                    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) =
                        &mut r.contract.kind
                    {
                        t.call_value = Sun::new(5).unwrap();
                    }
                }),
            )])
            .to_string(),
            "carries call_value",
            vec![],
        ),
        (
            "fee_limit 0",
            req(vec![("f0", edit(&|r| r.fee_limit = 0))]).to_string(),
            "fee_limit 0 can only fail",
            vec![],
        ),
        (
            "fee_limit over max",
            req(vec![("f1", edit(&|r| r.fee_limit = 100_000_001))]).to_string(),
            "over the policy maximum",
            vec![],
        ),
        (
            "to token contract",
            req(vec![("tc", usdt_tx(USDT, 1, HOUR))]).to_string(),
            "transfer to the token contract itself",
            vec![],
        ),
        (
            "bidi memo",
            req(vec![("m1", with_memo("pay\u{202E}evil"))]).to_string(),
            "bidi or zero-width character U+202E",
            vec![],
        ),
        (
            "zero-width memo",
            req(vec![("m2", with_memo("a\u{200B}b"))]).to_string(),
            "U+200B",
            vec![],
        ),
        (
            "control memo",
            req(vec![("m3", with_memo("a\nb"))]).to_string(),
            "U+000A",
            vec![],
        ),
        (
            "non-utf8 memo",
            {
                let mut r = usdt_tx(ALLOWED, 1, HOUR);
                r.memo = vec![0xff, 0xfe];
                req(vec![("m4", r)]).to_string()
            },
            "memo is not UTF-8",
            vec![],
        ),
        (
            "zero amount",
            req(vec![("z1", usdt_tx(ALLOWED, 0, HOUR))]).to_string(),
            "zero amount",
            vec![],
        ),
        (
            "not on allowlist",
            req(vec![("al", usdt_tx(OTHER, 1, HOUR))]).to_string(),
            "not on the allowlist",
            vec![],
        ),
        (
            "txid mismatch",
            bad_txid.to_string(),
            "txID mismatch",
            vec![],
        ),
        ("trailing bytes", trailing.to_string(), "raw_data", vec![]),
        (
            "raw_data object mismatch",
            tw_mismatch.to_string(),
            "raw_data object disagrees",
            vec![],
        ),
        (
            "bare hex",
            hex::encode(ok("x").1.encode()),
            "can be inspected but not signed",
            vec![],
        ),
        (
            "permission id without --key",
            req(vec![("pm", permission)]).to_string(),
            "pass --key NAME",
            vec![],
        ),
        (
            "wrong passphrase",
            req(vec![("wp", ok("wp").1)]).to_string(),
            "wrong passphrase",
            vec!["WRONG"],
        ),
    ];
    assert!(cases.len() >= 30);
    std::fs::write(env.path("wrong.txt"), "not the passphrase").unwrap();
    for (name, text, needle, flags) in &cases {
        let before = env.audit_lines().len();
        let input = env.path("case.json");
        std::fs::write(&input, text).unwrap();
        let out = if flags.contains(&"WRONG") {
            env.sign_with_pass(&input, &env.path("wrong.txt"), &[])
        } else {
            env.sign(&input, flags)
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: should be refused");
        assert!(
            stderr.lines().last().unwrap_or("").contains(needle),
            "{name}: expected {needle:?} in last line of:\n{stderr}"
        );
        assert!(!env.path("out.json").exists(), "{name}: no output file");
        let audit = env.audit_lines();
        assert_eq!(audit.len(), before + 1, "{name}: one audit line");
        assert_eq!(audit.last().unwrap()["verdict"], "refused", "{name}");
        assert!(
            audit.last().unwrap()["reason"]
                .as_str()
                .unwrap()
                .contains(needle),
            "{name}"
        );
    }
    // Other refusals: --yes without unattended, tampered keystore.
    env.set_policy(
        &policy_toml("", "allowlist").replace("unattended = true", "unattended = false"),
    );
    let input = env.write("y.json", &req(vec![("y1", ok("y1").1)]));
    let out = env.sign(&input, &[]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--yes is only accepted when the policy sets unattended = true"));
    env.set_policy(&policy_toml("", "allowlist"));
    let ks = env.home().join("keystores/kat.json");
    let text = std::fs::read_to_string(&ks).unwrap();
    std::fs::write(&ks, text.replace("\"index\": 0", "\"index\": 1")).unwrap();
    let out = env.sign(&input, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("corrupted or tampered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.audit_lines().last().unwrap()["verdict"], "refused");
    // The audit chain is intact through all of it, and an edit is caught.
    env.cmd().args(["audit", "verify"]).assert().success();
    let log = env.home().join("audit.log");
    let t = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, t.replacen("refused", "signed", 1)).unwrap();
    env.cmd()
        .args(["audit", "verify"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("audit log broken at line"));
}

trait RawExt {
    fn clone_with_payout(self, p: &str) -> (String, RawData);
    fn with_expiration(self, e: u64) -> RawData;
}

impl RawExt for RawData {
    fn clone_with_payout(self, p: &str) -> (String, RawData) {
        (p.to_string(), self)
    }
    fn with_expiration(mut self, e: u64) -> RawData {
        self.expiration = e;
        self
    }
}

#[test]
fn signer_links_no_networking_crate() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    let name_of = |id: &str| {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let root = nodes
        .iter()
        .find(|n| name_of(n["id"].as_str().unwrap()) == "coldpay-signer")
        .unwrap();
    // Walk normal (non-dev, non-build) dependencies from the signer.
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![root["id"].as_str().unwrap().to_string()];
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for d in node["deps"].as_array().unwrap() {
            if d["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null())
            {
                stack.push(d["pkg"].as_str().unwrap().to_string());
            }
        }
    }
    let names: Vec<String> = seen.iter().map(|id| name_of(id)).collect();
    assert!(
        names.iter().any(|n| n == "coldpay-shared") && names.iter().any(|n| n == "k256"),
        "{names:?}"
    );
    for banned in [
        "reqwest",
        "ureq",
        "hyper",
        "tokio",
        "mio",
        "socket2",
        "rustls",
        "native-tls",
        "curl",
        "h2",
        "isahc",
        "surf",
        "attohttpc",
        "tiny_http",
    ] {
        assert!(
            !names.iter().any(|n| n == banned),
            "coldpay-signer depends on networking crate {banned}"
        );
    }
}

#[test]
fn multisig_permission_signs_with_the_named_key() {
    let env = setup("mainnet");
    let mut raw = usdt_tx(ALLOWED, 1_000_000, HOUR);
    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) = &mut raw.contract.kind {
        t.owner = Address::parse(OTHER).unwrap();
    }
    raw.contract.permission_id = 2;
    let input = env.write(
        "ms.json",
        &request(Network::Mainnet, vec![("ms-1", raw.clone())]).to_json(),
    );
    let out = env.sign(&input, &["--key", "kat"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("permission  2 (multi-signature)"),
        "{stderr}"
    );
    let resp: Value =
        serde_json::from_slice(&std::fs::read(env.path("out.json")).unwrap()).unwrap();
    let resp = SignResponse::from_json(&resp).unwrap();
    let s = &resp.transactions[0].signatures[0];
    assert_eq!(s.signer.to_base58(), KAT_ADDR);
    assert_eq!(
        s.signature.recover(&raw.txid()).unwrap().to_base58(),
        KAT_ADDR
    );
    // The same transaction under another payout id is refused: this home approved it once.
    let input2 = env.write(
        "ms2.json",
        &request(Network::Mainnet, vec![("ms-2", raw.clone())]).to_json(),
    );
    let out = env.sign(&input2, &["--key", "kat"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("already signed by this signer"), "{err}");
    assert!(err.contains("as payout ms-1"), "{err}");
    // An unknown wallet name is refused.
    raw.expiration += 1;
    let input3 = env.write(
        "ms3.json",
        &request(Network::Mainnet, vec![("ms-3", raw)]).to_json(),
    );
    let out = env.sign(&input3, &["--key", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no wallet named \"nope\""));
}

#[test]
fn one_home_never_approves_one_txid_twice_with_two_keys() {
    // A home holding two keys of a 2-of-3 permission: the online side renames the payout id
    // and asks for the other key. One operator must not meet the quorum alone.
    let env = setup("mainnet");
    add_second_wallet(&env);
    let mut raw = usdt_tx(ALLOWED, 1_000_000, HOUR);
    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) = &mut raw.contract.kind {
        t.owner = Address::parse(OTHER).unwrap();
    }
    raw.contract.permission_id = 2;
    let first = env.write(
        "a.json",
        &request(Network::Mainnet, vec![("pay-a", raw.clone())]).to_json(),
    );
    let out = env.sign(&first, &["--key", "kat"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let renamed = env.write(
        "b.json",
        &request(Network::Mainnet, vec![("pay-b", raw.clone())]).to_json(),
    );
    std::fs::remove_file(env.path("out.json")).unwrap();
    let out = env.sign(&renamed, &["--key", "second"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("already signed by this signer"), "{err}");
    assert!(!env.path("out.json").exists(), "nothing released");
    // --resign-expired does not open it for another payout id either.
    let out = env.sign(&renamed, &["--key", "second", "--resign-expired", "all"]);
    assert_eq!(out.status.code(), Some(2));
    // Nor both in one request, under two payout ids.
    raw.expiration += 1;
    let both = env.write(
        "c.json",
        &request(
            Network::Mainnet,
            vec![("pay-c", raw.clone()), ("pay-d", raw)],
        )
        .to_json(),
    );
    let out = env.sign(&both, &["--key", "second"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the same transaction appears twice"), "{err}");
    // The ledger holds the one approval.
    let ledger = std::fs::read_to_string(env.home().join("ledger.jsonl")).unwrap();
    assert_eq!(ledger.lines().count(), 1);
    // The wallet added beside the one that authenticated the records gets the records key
    // once, then signs on its own.
    let other = usdt_tx(ALLOWED, 2_000_000, HOUR);
    let mut other = other;
    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) = &mut other.contract.kind {
        t.owner = Address::parse(OTHER).unwrap();
    }
    other.contract.permission_id = 2;
    let own = env.write(
        "e.json",
        &request(Network::Mainnet, vec![("pay-e", other)]).to_json(),
    );
    let out = env.sign(&own, &["--key", "second"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("do not hold this home's records key"), "{err}");
    assert!(err.contains("share-records-key"), "{err}");
    let share = env
        .cmd()
        .args([
            "keys",
            "share-records-key",
            "--from",
            "kat",
            "--to",
            "second",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .output()
        .unwrap();
    assert!(
        share.status.success(),
        "{}",
        String::from_utf8_lossy(&share.stderr)
    );
    let out = env.sign(&own, &["--key", "second"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A second wallet (a raw key) with the same passphrase; returns its address.
fn add_second_wallet(env: &Env) -> String {
    let key = k256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap();
    env.cmd()
        .args([
            "keys",
            "import-private",
            "--name",
            "second",
            "--kdf-iterations",
            "600000",
            "--passphrase-file",
        ])
        .arg(env.pass())
        .write_stdin(format!("{}\n", hex::encode(key.to_bytes())))
        .assert()
        .success();
    Address::from_public_key(key.verifying_key()).to_base58()
}

fn usdt_from(from: &str, to: &str, units: u64) -> RawData {
    let mut raw = usdt_tx(to, units, HOUR);
    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) = &mut raw.contract.kind {
        t.owner = Address::parse(from).unwrap();
    }
    raw
}

#[test]
fn two_wallets_unlock_with_one_passphrase_from_a_file_or_stdin() {
    let env = setup("mainnet");
    let second = add_second_wallet(&env);
    let txs = || {
        vec![
            ("w-1", usdt_from(KAT_ADDR, ALLOWED, 1_000_000)),
            ("w-2", usdt_from(&second, ALLOWED, 2_000_000)),
            ("w-3", usdt_from(KAT_ADDR, ALLOWED, 3_000_000)),
        ]
    };
    let check = |out: &Output, owners: [&str; 3]| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value =
            serde_json::from_slice(&std::fs::read(env.path("out.json")).unwrap()).unwrap();
        let resp = SignResponse::from_json(&v).unwrap(); // every signature recovers to its signer
        let signers: Vec<String> = resp
            .transactions
            .iter()
            .map(|t| t.signatures[0].signer.to_base58())
            .collect();
        assert_eq!(signers, owners);
    };
    // Passphrase file: both wallets are unlocked in the background.
    let input = env.write_request("two.json", txs());
    check(&env.sign(&input, &[]), [KAT_ADDR, &second, KAT_ADDR]);
    // Passphrase on stdin (--passphrase-fd 0): read once, used for both wallets.
    let mut r = request(Network::Mainnet, txs());
    r.request_id = "req-2".into();
    for t in &mut r.transactions {
        t.payout_id = format!("{}-b", t.payout_id);
    }
    let input = env.write("two-b.json", &r.to_json());
    let out = env
        .cmd()
        .arg("sign")
        .arg(&input)
        .arg("-o")
        .arg(env.path("out.json"))
        .args(["--yes", "--passphrase-fd", "0"])
        .write_stdin(format!("{PASS}\n"))
        .output()
        .unwrap();
    check(&out, [KAT_ADDR, &second, KAT_ADDR]);
}

#[test]
fn policy_verdicts_come_before_a_wrong_passphrase() {
    // The KDF starts in the background before the policy is checked; its failure must not
    // hide the policy's refusal, and a refused request must not report the passphrase.
    let env = setup("mainnet");
    std::fs::write(env.path("wrong.txt"), "not the passphrase\n").unwrap();
    let wrong = env.path("wrong.txt");
    let refused = env.write_request(
        "refused.json",
        vec![("r-1", usdt_tx(OTHER, 1_000_000, HOUR))],
    );
    let out = env.sign_with_pass(&refused, &wrong, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not on the allowlist"), "{stderr}");
    assert!(!stderr.contains("wrong passphrase"), "{stderr}");
    // The same passphrase on an allowed request is reported as wrong.
    let allowed = env.write_request(
        "allowed.json",
        vec![("r-2", usdt_tx(ALLOWED, 1_000_000, HOUR))],
    );
    let out = env.sign_with_pass(&allowed, &wrong, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("wrong passphrase"), "{stderr}");
    assert!(!env.path("out.json").exists());
}

#[test]
fn a_second_run_on_the_same_home_waits_for_the_first() {
    let env = setup("mainnet");
    let input = env.write_request(
        "lock.json",
        vec![("l-1", usdt_tx(ALLOWED, 1_000_000, HOUR))],
    );
    // Hold the home's lock as a running signer would.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.home().join(".lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("coldpay-signer"))
        .arg("--home")
        .arg(env.home())
        .arg("sign")
        .arg(&input)
        .arg("-o")
        .arg(env.path("out.json"))
        .arg("--yes")
        .arg("--passphrase-file")
        .arg(env.pass())
        .env_remove("COLDPAY_SIGNER_HOME")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the second run must wait for the lock"
    );
    assert!(!env.path("out.json").exists());
    drop(lock);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Waiting for another coldpay-signer run"),
        "{stderr}"
    );
    assert!(env.path("out.json").exists());
}

#[test]
fn export_watch_names_the_permission_its_keys_approve_for() {
    let env = setup("local");
    let account = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8";
    let out = env.path("approver.json");
    let o = env
        .cmd()
        .args(["keys", "export-watch", "--approver-for"])
        .arg(format!("{account}:payouts"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(common::stdout(&o).contains("permission payouts"));
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["approver_for"]["account"], account);
    assert_eq!(v["approver_for"]["permission"], "payouts");
    let w = coldpay_shared::handoff::WatchExport::from_json(&v).unwrap();
    assert_eq!(w.approver_for.unwrap().permission, "payouts");
    // Without the flag the field is absent; a malformed value is refused by clap (exit 2).
    let plain = env.run(&["keys", "export-watch"]);
    assert!(!common::stdout(&plain).contains("approver_for"));
    let bad = env.run(&["keys", "export-watch", "--approver-for", "payouts"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(common::stderr(&bad).contains("ACCOUNT:PERMISSION_NAME"));
}

/// The PNG files of `req` as compact QR parts (100-byte parts, no spares), in order.
fn request_pngs(env: &Env, req: &SignRequest, dir: &str) -> Vec<String> {
    let out = env.path(dir);
    let opts = coldpay_shared::qr::QrOptions {
        png_dir: Some(out.clone()),
        part_size: 100,
        fit_terminal: false,
        extra_percent: 0,
        ..coldpay_shared::qr::QrOptions::default()
    };
    let payload = coldpay_shared::compact::encode_request(req).unwrap();
    let s = coldpay_shared::qr::emit_qr(coldpay_shared::urframe::UrKind::Request, &payload, &opts)
        .unwrap();
    s.files.iter().map(|p| p.display().to_string()).collect()
}

#[test]
fn mixed_qr_requests_are_refused_naming_each_and_one_request_is_named() {
    let env = setup("mainnet");
    let exp = now_ms() + 2 * HOUR;
    let req = |id: &str, n: u64| {
        let txs = (0..n)
            .map(|i| {
                let mut raw = usdt_tx(ALLOWED, 1_000_000 + i, 2 * HOUR);
                raw.expiration = exp;
                RequestTx::new(format!("{id}-p{i}"), raw)
            })
            .collect();
        sign_request(Network::Mainnet, id, txs)
    };
    let (a, b) = (req("req-a", 12), req("req-b", 12));
    let (pa, pb) = (request_pngs(&env, &a, "qa"), request_pngs(&env, &b, "qb"));
    assert!(
        pa.len() >= 3 && pb.len() >= 3,
        "multi-part: {} {}",
        pa.len(),
        pb.len()
    );
    // All of request A and two parts of request B: refused, both named, nothing signed.
    let mut files: Vec<&str> = pa.iter().map(String::as_str).collect();
    files.extend(pb.iter().take(2).map(String::as_str));
    let pass = env.pass().display().to_string();
    for cmd in [
        vec!["sign", "--yes"],
        vec!["policy", "check"],
        vec!["inspect"],
    ] {
        let mut args = cmd.clone();
        args.push("--qr-image");
        args.extend(&files);
        if cmd[0] == "sign" {
            args.extend(["--passphrase-file", pass.as_str()]);
        }
        let o = env.run(&args);
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(err.contains("part belongs to a different message"), "{err}");
        assert!(err.contains("holds 2 messages"), "{err}");
        assert!(err.contains("(complete, "), "{err}");
        assert!(err.contains("(incomplete, at least "), "{err}");
        assert!(
            err.contains(&format!("parts 1–2 of {} from", pb.len())),
            "{err}"
        );
        assert!(err.contains(&pb[1]) && err.contains(&pa[0]), "{err}");
    }
    assert!(env.ledger().is_empty(), "nothing signed");
    // One request alone is decoded and named.
    let mut args = vec!["policy", "check", "--qr-image"];
    args.extend(pa.iter().map(String::as_str));
    let o = env.run(&args);
    let err = common::stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "decoded sign request req-a (12 transaction(s)) (coldpay-req {:08x}) from {n} QR part(s) in {n} file(s)",
            crc32(&coldpay_shared::compact::encode_request(&a).unwrap()),
            n = pa.len()
        )),
        "{err}"
    );
}

/// CRC-32 (IEEE) of `bytes`, as UR part headers carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn the_review_of_a_realistic_batch_fits_100_columns() {
    let env = setup("mainnet");
    let exp = now_ms() + 5 * HOUR;
    let txs = (0..30u64)
        .map(|i| {
            let mut raw = usdt_tx(
                if i % 3 == 0 { OTHER } else { ALLOWED },
                1_234_567_890 + i,
                5 * HOUR,
            );
            raw.expiration = exp;
            let mut t = RequestTx::new(format!("invoice-2026-12-{i:04}-supplier"), raw);
            t.hints = Some(DisplayHints {
                to: None,
                amount: Some((1_234_567_890 + i).to_string()),
                token: Some(Address::parse(USDT).unwrap()),
                symbol: Some("USDT".into()),
                duplicate_of: None,
            });
            t
        })
        .collect();
    let req = sign_request(Network::Mainnet, "payroll-december-1796000000000", txs);
    let input = env.write("wide.json", &req.to_json());
    let o = env.run(&["policy", "check", input.to_str().unwrap(), "--details"]);
    let err = common::stderr(&o);
    assert!(err.contains("REFUSED"), "{err}");
    // The review screen; the closing one-line error is left to the terminal to wrap.
    for line in err.lines().filter(|l| !l.starts_with("error: ")) {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
}
