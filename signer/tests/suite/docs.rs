//! The keystore and policy examples in docs/formats.md are real: the keystore decrypts, the
//! policy parses with the documented meanings.

use coldpay_shared::Network;
use coldpay_signer::keystore::Keystore;
use coldpay_signer::policy::{Mode, Policy};

fn block(doc: &str, heading: &str, lang: &str) -> String {
    let start = doc.find(heading).unwrap();
    let rest = &doc[start..];
    let open = format!("```{lang}\n");
    let b = &rest[rest.find(&open).unwrap() + open.len()..];
    b[..b.find("```").unwrap()].to_string()
}

#[test]
fn formats_md_keystore_and_policy_examples() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/formats.md"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("kat.json");
    std::fs::write(&p, block(&doc, "## Keystore", "json")).unwrap();
    let ks = Keystore::read(&p).unwrap();
    let secret = ks.unlock(b"correct horse battery").unwrap();
    assert_eq!(
        hex::encode(secret.private_key.as_ref()),
        "b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28"
    );
    let policy = Policy::parse(
        block(&doc, "## Policy", "toml").as_bytes(),
        Network::Mainnet,
    )
    .unwrap();
    assert!(policy.unattended);
    assert!(!policy.allow_permission_update);
    assert_eq!(policy.mode, Mode::Allowlist);
    assert_eq!(policy.max_fee_limit_sun, 100_000_000);
}
