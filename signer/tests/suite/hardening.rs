//! The signer CLI against issue 12's input gaps: the zero-address recipient, look-alike ids
//! and labels, duplicate JSON keys, and wallet names read from a keystore.

use crate::common;

use std::path::Path;
use std::process::Output;

use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, RawData, Sun, U256};
use common::{now_ms, sign_request, stderr, Limits, Policy, ALLOWED, HOUR, KAT_ADDR, REF, USDT};

const ZERO: &str = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb";

fn policy(mode: &str, label: &str) -> String {
    Policy::test()
        .mode(mode)
        .relabel(label)
        .trx(Limits::new("10000", "100000", "200000"))
        .to_toml()
}

common::local_env!();

impl Env {
    fn new() -> Env {
        Env(common::Env::with_policy(&policy(
            "any",
            "exchange hot wallet",
        )))
    }
    /// `sign FILE -o out.json --yes`, with `text` as FILE.
    fn sign_text(&self, text: &str) -> Output {
        let input = self.path("in.json");
        std::fs::write(&input, text).unwrap();
        self.sign(&input)
    }
    fn sign(&self, input: &Path) -> Output {
        let _ = std::fs::remove_file(self.path("out.json"));
        self.cmd()
            .arg("sign")
            .arg(input)
            .arg("-o")
            .arg(self.path("out.json"))
            .args(["--yes", "--passphrase-file"])
            .arg(self.path("pass.txt"))
            .output()
            .unwrap()
    }
}

fn usdt_to(to: &str) -> RawData {
    RawData::trc20_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(USDT).unwrap(),
        Address::parse(to).unwrap(),
        U256::from(1_000_000u64),
        30_000_000,
        REF,
        now_ms() + HOUR,
        now_ms(),
    )
}

fn trx_to(to: &str) -> RawData {
    RawData::trx_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(to).unwrap(),
        Sun::new(1_000_000).unwrap(),
        REF,
        now_ms() + HOUR,
        now_ms(),
    )
}

fn request_text(payout_id: &str, raw: RawData) -> String {
    let req = sign_request(
        Network::Mainnet,
        "req-1",
        vec![RequestTx::new(payout_id, raw)],
    );
    serde_json::to_string(&req.to_json()).unwrap()
}

fn assert_refused(o: &Output, needle: &str, env: &Env) {
    let e = stderr(o);
    assert!(!o.status.success(), "should be refused:\n{e}");
    assert!(e.contains(needle), "expected {needle:?} in:\n{e}");
    assert!(!env.path("out.json").exists(), "no output written");
}

#[test]
fn zero_address_recipient_is_refused_in_any_mode() {
    assert_eq!(
        Address::from_evm_bytes([0; 20]).to_base58(),
        ZERO,
        "the zero address"
    );
    let env = Env::new();
    for (mode, label) in [("any", "a"), ("allowlist", "b")] {
        env.set_policy(&policy(mode, "exchange hot wallet"));
        for (what, raw) in [("usdt", usdt_to(ZERO)), ("trx", trx_to(ZERO))] {
            let o = env.sign_text(&request_text(&format!("z-{what}-{label}"), raw));
            assert_refused(
                &o,
                "is the zero address (anything sent there is burnt)",
                &env,
            );
        }
    }
    // The same requests to a real recipient sign.
    env.set_policy(&policy("any", "exchange hot wallet"));
    let o = env.sign_text(&request_text("ok-1", usdt_to(ALLOWED)));
    assert!(o.status.success(), "{}", stderr(&o));
    // Nor can the zero address be put on the allowlist: the update is refused when proposed.
    let o = env.try_set_policy(&policy("allowlist", "burn").replace(ALLOWED, ZERO));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is the zero address"), "{}", stderr(&o));
    let o = env.sign_text(&request_text("ok-2", usdt_to(ALLOWED)));
    assert!(
        o.status.success(),
        "the sealed policy stays: {}",
        stderr(&o)
    );
}

#[test]
fn look_alike_ids_labels_and_duplicate_keys_are_refused() {
    let env = Env::new();
    let o = env.sign_text(&request_text("p\u{200b}-1", usdt_to(ALLOWED)));
    assert_refused(&o, "U+200B (a zero-width character)", &env);
    // Named by field and position, not quoted (a refused id may be anything).
    assert!(
        stderr(&o).contains("payout_id contains U+200B (a zero-width character) at character 2"),
        "{}",
        stderr(&o)
    );
    let o = env.sign_text(&request_text("p-\u{0441}1", usdt_to(ALLOWED)));
    assert_refused(&o, "U+0441 'с' (not ASCII)", &env);
    let dup = request_text("p-1", usdt_to(ALLOWED)).replacen(
        r#""network":"mainnet""#,
        r#""network":"nile","network":"mainnet""#,
        1,
    );
    let o = env.sign_text(&dup);
    assert_refused(&o, "duplicate key: network appears twice", &env);
    let o = env.try_set_policy(&policy("allowlist", "hot\u{202e}tellaw"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("U+202E (a bidi control character)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_keystore_whose_name_breaks_the_rule_is_refused_when_loaded() {
    let env = Env::new();
    env.cmd().args(["keys", "list"]).assert().success();
    let ks = env.home().join("keystores/kat.json");
    let text = std::fs::read_to_string(&ks).unwrap();
    assert!(text.contains(r#""name": "kat""#), "{text}");
    std::fs::write(
        &ks,
        text.replace(r#""name": "kat""#, r#""name": "kat\u200b""#),
    )
    .unwrap();
    let o = env.cmd().args(["keys", "list"]).output().unwrap();
    let e = stderr(&o);
    assert!(!o.status.success(), "{e}");
    assert!(e.contains(r"kat\u{200b}"), "{e}");
    assert!(e.contains("wallet name rule"), "{e}");
}
