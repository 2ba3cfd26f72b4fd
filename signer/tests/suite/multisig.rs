//! CLI tests of the signer's side of multi-signature (issue #14): approving as one key of a
//! claimed permission, refusals by name, permission updates (policy, typed confirmation,
//! before/after review), TronWeb objects that already carry signatures, and the JSON sign
//! request over QR.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use coldpay_shared::contract::{Contract, ContractKind};
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::permission::{
    approval_weight, AccountPermissionUpdate, Operations, Permission, PermissionClaim,
    PermissionKey,
};
use coldpay_shared::{Address, Network, RawData, SignRequest, SignResponse, Signature};
use coldpay_shared::{Sun, U256};
use coldpay_testkit::permission::{self, trx_trc20};
use common::{now_ms, stderr, Limits, Policy, ALLOWED, HOUR, KAT_ADDR, REF, USDT};
use k256::ecdsa::SigningKey;
use serde_json::Value;

/// A key nobody in this test's signer home holds, and its address.
fn other_key(b: u8) -> (SigningKey, Address) {
    let k = SigningKey::from_slice(&[b; 32]).unwrap();
    let a = Address::from_public_key(k.verifying_key());
    (k, a)
}

fn kat() -> Address {
    Address::parse(KAT_ADDR).unwrap()
}

/// The multi-signature account (its owner key is not in the home).
fn treasury() -> Address {
    other_key(0x21).1
}

common::local_env!();

impl Env {
    /// A mainnet home holding the KAT key as wallet "kat"; the policy is unattended (so
    /// `--yes` works for payouts) and allows permission updates when `updates`.
    fn new(updates: bool) -> Env {
        Env(common::Env::with_policy(&policy(updates)))
    }
    /// Runs the signer without a controlling terminal (prompts read stdin), without colour.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_stdin(args, stdin, &[("NO_COLOR", "1")])
    }
    /// `sign INPUT --passphrase-file pass.txt -o out.json ARGS…`.
    fn sign(&self, input: &Path, args: &[&str], stdin: &str) -> Output {
        let pass = self.path("pass.txt");
        let out = self.path("out.json");
        let mut all = vec![
            "sign",
            input.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        self.run(&all, stdin)
    }
    fn write(&self, name: &str, v: &Value) -> PathBuf {
        self.0.write(name, &v.to_string())
    }
    fn output(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.path("out.json")).unwrap()).unwrap()
    }
}

fn policy(updates: bool) -> String {
    Policy::test()
        .line(&format!("allow_permission_update = {updates}"))
        .trx(Limits::new("1000", "2000", "3000"))
        .to_toml()
}

/// A USDT and a TRX payout from the treasury under permission id 2, expiring in 12 h.
fn payouts() -> Vec<RawData> {
    let exp = now_ms() + 12 * HOUR;
    let mut usdt = RawData::trc20_transfer(
        treasury(),
        Address::parse(USDT).unwrap(),
        Address::parse(ALLOWED).unwrap(),
        U256::from(20_000_000u64),
        30_000_000,
        REF,
        exp,
        1,
    );
    let mut trx = RawData::trx_transfer(
        treasury(),
        Address::parse(ALLOWED).unwrap(),
        Sun::new(5_000_000).unwrap(),
        REF,
        exp,
        2,
    );
    usdt.contract.permission_id = 2;
    trx.contract.permission_id = 2;
    vec![usdt, trx]
}

/// "payouts" (id 2): `threshold` of the given keys (weight 1 each) with these operations.
fn claim(keys: &[Address], threshold: i64, ops: &[&str]) -> PermissionClaim {
    PermissionClaim {
        id: 2,
        name: "payouts".into(),
        threshold,
        keys: keys
            .iter()
            .map(|a| PermissionKey {
                address: *a,
                weight: 1,
            })
            .collect(),
        operations: Operations::from_names(ops).unwrap(),
    }
}

fn request(raws: Vec<RawData>, claim: Option<PermissionClaim>) -> SignRequest {
    SignRequest {
        network: Network::Mainnet,
        request_id: "ms-1".into(),
        created_at: now_ms(),
        transactions: raws
            .into_iter()
            .enumerate()
            .map(|(i, r)| RequestTx::new(format!("p-{i}"), r))
            .collect(),
        permission: claim,
        permission_before: None,
    }
}

fn two_of_three() -> PermissionClaim {
    claim(
        &[kat(), other_key(0x31).1, other_key(0x32).1],
        2,
        &["trx", "trc20"],
    )
}

#[test]
fn a_member_key_approves_without_key_and_the_response_verifies_against_the_claim() {
    let env = Env::new(false);
    let c = two_of_three();
    let req = request(payouts(), Some(c.clone()));
    let input = env.write("req.json", &req.to_json());
    let out = env.sign(&input, &["--yes"], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "permission payouts (id 2): 2 of 3 — your key {KAT_ADDR} weight 1"
        )),
        "{err}"
    );
    assert!(err.contains("1 more needed from the other keys"), "{err}");
    assert!(err.contains("time left         11h 5"), "{err}");
    let resp = SignResponse::from_json(&env.output()).unwrap();
    assert_eq!(resp.transactions.len(), 2);
    for t in &resp.transactions {
        let sigs: Vec<Signature> = t.signatures.iter().map(|s| s.signature).collect();
        let a = approval_weight(&t.txid, &sigs, &c.to_permission()).unwrap();
        assert_eq!(a.approvers, vec![(kat(), 1)]);
        assert!(!a.is_enough(), "one approval of a 2-of-3 is not enough");
    }
    // This approver's own ledger records both payouts.
    assert_eq!(env.ledger().len(), 2);
}

#[test]
fn a_key_outside_the_permission_is_refused_by_name() {
    let env = Env::new(false);
    let c = claim(
        &[other_key(0x31).1, other_key(0x32).1, other_key(0x33).1],
        2,
        &["trx", "trc20"],
    );
    let input = env.write("req.json", &request(payouts(), Some(c)).to_json());
    let out = env.sign(&input, &["--yes"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{KAT_ADDR} is not a key of permission \"payouts\" (id 2), whose keys are {}",
            other_key(0x31).1
        )),
        "{err}"
    );
    assert!(err.contains("NONE of this signer's keys is in it"), "{err}");
    // --key naming the wallet is refused the same way.
    let out = env.sign(&input, &["--yes", "--key", "kat"], "");
    assert!(
        stderr(&out).contains("is not a key of permission \"payouts\""),
        "{}",
        stderr(&out)
    );
    assert!(env.ledger().is_empty());
    assert!(!env.path("out.json").exists());
}

#[test]
fn claim_operations_not_allowing_trc20_are_refused() {
    let env = Env::new(false);
    let c = claim(&[kat(), other_key(0x31).1], 2, &["trx"]);
    let input = env.write("req.json", &request(payouts(), Some(c)).to_json());
    let out = env.sign(&input, &["--yes"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the request's permission \"payouts\" (id 2) does not allow TriggerSmartContract (its operations: TransferContract)"
        ),
        "{err}"
    );
    assert!(env.ledger().is_empty());
}

/// An owner permission: `threshold` of `keys`, weight 1 each.
fn owner_of(threshold: i64, keys: &[Address]) -> Permission {
    permission::owner(threshold, keys)
}

/// An active permission as TronWeb builds it (id 0: the chain assigns 2, 3, …).
fn active_of(name: &str, threshold: i64, keys: &[Address], ops: Operations) -> Permission {
    permission::active(name, 0, threshold, keys, ops)
}

/// A fresh account's permissions: owner and active "active" (id 2), the KAT key 1-of-1.
fn default_permissions() -> Vec<Permission> {
    permission::defaults(kat())
}

/// A permission update of the KAT account setting `owner` and `actives`, with the
/// broadcaster's claims: `before` as permission_before and its owner as the permission.
fn update_req(owner: Permission, actives: Vec<Permission>, before: Vec<Permission>) -> SignRequest {
    let update = AccountPermissionUpdate {
        owner_address: kat(),
        owner,
        witness: None,
        actives,
    };
    let raw = RawData {
        ref_block: REF,
        expiration: now_ms() + HOUR,
        memo: Vec::new(),
        contract: Contract {
            kind: ContractKind::AccountPermissionUpdate(update),
            permission_id: 0,
        },
        timestamp: 1,
        fee_limit: 0,
    };
    let owner_claim = PermissionClaim::from_permission(&before[0]);
    let mut req = request(vec![raw], Some(owner_claim));
    req.transactions[0].payout_id = "perm-1".into();
    req.permission_before = Some(before);
    req
}

/// Permission update of the KAT account: owner `owner_key` 1-of-1, active "payouts" 2-of-3
/// (the KAT key and two approvers), from a fresh account.
fn update_request(owner_key: Address) -> SignRequest {
    let active = active_of(
        "payouts",
        2,
        &[kat(), other_key(0x31).1, other_key(0x32).1],
        trx_trc20(),
    );
    update_req(
        owner_of(1, &[owner_key]),
        vec![active],
        default_permissions(),
    )
}

/// What to type for a permission update: the account's last 6 characters and the code.
fn typed(req: &SignRequest) -> String {
    format!(
        "{} {}\n",
        &KAT_ADDR[KAT_ADDR.len() - 6..],
        req.confirmation_code()
    )
}

#[test]
fn a_permission_update_is_refused_by_default_and_with_yes() {
    let env = Env::new(false);
    let req = update_request(kat());
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &[], &typed(&req));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("permission updates are not allowed by the policy (allow_permission_update = true enables them)"),
        "{err}"
    );
    // Allowed by the policy, --yes is still refused (even with unattended = true).
    let env = Env::new(true);
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &["--yes"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--yes is never accepted for a permission update"),
        "{err}"
    );
    // The normal confirmation code alone is not enough either.
    let out = env.sign(&input, &[], &format!("{}\n", req.confirmation_code()));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("That is not the address's last 6 characters"),
        "{err}"
    );
    assert!(env.ledger().is_empty());
    assert!(!env.path("out.json").exists());
}

#[test]
fn a_permission_update_is_signed_with_the_policy_and_typed_confirmation() {
    let env = Env::new(true);
    let req = update_request(kat());
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &[], &typed(&req));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // After (the bytes), then the changes the claim says it makes: this home has no record.
    let after = err
        .find("After the update (decoded from the bytes: what the chain sets)")
        .expect(&err);
    let before = err
        .find(
            "Before: not known to this signer (it signed no update of this account); the online machine says (permission_before, not verified):",
        )
        .expect(&err);
    assert!(after < before);
    assert!(
        err.contains(
            "active  \"payouts\" (id 2): 2 of 3, may sign TransferContract, TriggerSmartContract"
        ),
        "{err}"
    );
    assert!(
        err.contains("active id 2    CHANGED: name \"active\" → \"payouts\"; threshold 1 → 2"),
        "{err}"
    );
    // The verdict, from the bytes: the two approvers can pay without this home, and the
    // treasury key still pays alone through the owner.
    assert!(
        err.contains(&format!(
            "!!! FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER: {} + {} reach active \"payouts\" (id 2) threshold 2 → send TRX and TRC-20",
            other_key(0x31).1,
            other_key(0x32).1
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "!!! THE TREASURY KEY {KAT_ADDR} (the account's own key) ALONE CAN STILL PAY through owner —"
        )),
        "{err}"
    );
    assert!(!err.contains("keeps control"), "{err}");
    // A 1-of-1 owner signs alone: no multi-signature fee note.
    assert!(!err.contains("multi-signature fee"), "{err}");
    assert!(!err.contains("NOT A PAYOUT"), "{err}");
    let resp = SignResponse::from_json(&env.output()).unwrap();
    assert_eq!(resp.transactions[0].signatures[0].signer, kat());
    // Recorded without an amount moving: the contract type, 0, no recipient.
    let ledger = env.ledger();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["token"], "AccountPermissionUpdateContract");
    assert_eq!(ledger[0]["amount"], "0");
    assert_eq!(ledger[0]["to"], "");
    assert_eq!(ledger[0]["payout_id"], "perm-1");
    let audit = std::fs::read_to_string(env.home().join("audit.log")).unwrap();
    assert!(
        audit.contains("\"token\":\"AccountPermissionUpdateContract\""),
        "{audit}"
    );
    // The ledger still verifies against the audit log.
    let out = env.run(&["ledger", "verify"], "");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_update_handing_the_owner_away_warns_loudly() {
    let env = Env::new(true);
    let req = update_request(other_key(0x35).1);
    let input = env.write("upd.json", &req.to_json());
    let out = env.run(&["policy", "check", input.to_str().unwrap()], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("not checked: no wallet is read for a policy check"),
        "{err}"
    );
    let out = env.sign(&input, &[], "nothing\n");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "!!! FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER: {} alone reaches owner threshold 1 → full control",
            other_key(0x35).1
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "!!! WARNING: THIS SIGNER'S KEYS NO LONGER CONTROL THE ACCOUNT ALONE: owner weight 0 of threshold 1"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!("1 key ADDED; key REMOVED {KAT_ADDR}")),
        "{err}"
    );
    assert!(env.ledger().is_empty());
}

#[test]
fn an_update_mixed_with_payouts_is_refused() {
    let env = Env::new(true);
    let mut req = update_request(kat());
    let mut pay = RawData::trx_transfer(
        kat(),
        Address::parse(ALLOWED).unwrap(),
        Sun::new(1).unwrap(),
        REF,
        now_ms() + HOUR,
        3,
    );
    pay.fee_limit = 0;
    req.transactions.push(RequestTx::new("p-9", pay));
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &[], &typed(&req));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a permission update is signed on its own"),
        "{err}"
    );
}

#[test]
fn a_tronweb_object_keeps_its_signatures_and_gets_this_one_appended() {
    let env = Env::new(false);
    let raw = payouts().remove(1); // TRX, permission id 2, no claim: --key chooses
    let (b_key, b_addr) = other_key(0x31);
    let b_sig = Signature::sign_txid(&b_key, &raw.txid()).unwrap();
    let obj = coldpay_shared::tronweb::to_tronweb_json(&raw, &[b_sig], false);
    let input = env.write("tw.json", &obj);
    let out = env.sign(&input, &["--yes", "--key", "kat"], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "signed by   {b_addr} (signature already in the input, kept)"
        )),
        "{err}"
    );
    let got = env.output();
    let sigs: Vec<Signature> = got["signature"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Signature::from_hex(s.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(sigs.len(), 2, "{got}");
    assert_eq!(sigs[0], b_sig, "the earlier signature is kept first");
    assert_eq!(sigs[1].recover(&raw.txid()).unwrap(), kat());
    // Brought back with both signatures: this home signed that txID already, so it is refused
    // (a home approves a transaction once) and nothing is written.
    let input = env.write("tw2.json", &got);
    std::fs::remove_file(env.path("out.json")).ok();
    let out = env.sign(&input, &["--yes", "--key", "kat"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("already signed by this signer"), "{err}");
    assert!(!env.path("out.json").exists());
}

#[test]
fn a_json_request_over_qr_is_read_like_the_file() {
    let env = Env::new(true);
    let req = update_request(kat());
    let json = serde_json::to_string(&req.to_json()).unwrap();
    let parts = coldpay_shared::urframe::encode_parts(
        coldpay_shared::urframe::UrKind::RequestJson,
        &coldpay_shared::urframe::request_json_payload(&json),
        200,
        0,
    )
    .unwrap();
    assert!(parts.len() > 1);
    let pass = env.path("pass.txt");
    let out_path = env.path("out.json");
    let mut stdin = parts.join("\n");
    stdin.push('\n');
    // The scanner lines, then the typed confirmation, all on stdin.
    stdin.push_str(&typed(&req));
    let out = env.run(
        &[
            "sign",
            "--ur",
            "--passphrase-file",
            pass.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ],
        &stdin,
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("PERMISSION UPDATE"), "{err}");
    let resp = SignResponse::from_json(&env.output()).unwrap();
    assert_eq!(resp.request_id, "ms-1");
}

#[test]
fn several_member_keys_need_key_and_key_chooses() {
    let env = Env::new(false);
    let (b_key, b_addr) = other_key(0x31);
    let out = env.run(
        &[
            "keys",
            "import-private",
            "--name",
            "bob",
            "--kdf-iterations",
            "600000",
            "--passphrase-file",
            env.path("pass.txt").to_str().unwrap(),
        ],
        &format!("{}\n", hex::encode(b_key.to_bytes())),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The home's records key (made when its policy was sealed, with kat) goes to bob too.
    let pass = env.path("pass.txt");
    let out = env.run(
        &[
            "keys",
            "share-records-key",
            "--from",
            "kat",
            "--to",
            "bob",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let input = env.write(
        "req.json",
        &request(payouts(), Some(two_of_three())).to_json(),
    );
    let out = env.sign(&input, &["--yes"], "");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "2 loaded keys are keys of permission \"payouts\" (id 2): {KAT_ADDR} (wallet \"kat\"), {b_addr} (wallet \"bob\")"
        )) || err.contains(&format!(
            "2 loaded keys are keys of permission \"payouts\" (id 2): {b_addr} (wallet \"bob\"), {KAT_ADDR} (wallet \"kat\")"
        )),
        "{err}"
    );
    assert!(err.contains("pass --key NAME"), "{err}");
    assert!(env.ledger().is_empty());
    let out = env.sign(&input, &["--yes", "--key", "bob"], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("your key {b_addr} weight 1")),
        "{err}"
    );
    let resp = SignResponse::from_json(&env.output()).unwrap();
    assert!(resp
        .transactions
        .iter()
        .all(|t| t.signatures[0].signer == b_addr));
}

#[test]
fn inspect_shows_what_a_permission_update_sets() {
    let env = Env::new(false);
    let input = env.write("upd.json", &update_request(kat()).to_json());
    let out = env.run(&["inspect", input.to_str().unwrap()], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("AccountPermissionUpdateContract"), "{text}");
    assert!(
        text.contains(
            "active  \"payouts\" (id 2): 2 of 3, may sign TransferContract, TriggerSmartContract"
        ),
        "{text}"
    );
}

/// The attacker of issue #26: a key nobody here holds.
fn attacker() -> Address {
    other_key(0x66).1
}

#[test]
fn an_owner_shared_with_a_foreign_key_is_loud_even_when_the_claim_says_unchanged() {
    let env = Env::new(true);
    // Owner becomes treasury w1 + attacker w1, threshold 1; permission_before lies that it
    // already was exactly that (and the permission claim agrees with the lie).
    let owner = owner_of(1, &[kat(), attacker()]);
    let mut before = default_permissions();
    before[0] = owner.clone();
    let mut active = active_of("active", 1, &[kat()], Operations::java_tron_default());
    active.id = 2;
    let req = update_req(owner, vec![active], before);
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &[], "nothing\n");
    let err = stderr(&out);
    assert!(err.contains("owner          unchanged"), "{err}");
    assert!(
        err.contains(&format!(
            "!!! FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER: {} alone reaches owner threshold 1 → full control",
            attacker()
        )),
        "{err}"
    );
    assert!(!err.contains("keeps control"), "{err}");
    assert!(env.ledger().is_empty());
}

#[test]
fn a_new_foreign_active_allowed_to_pay_and_update_is_loud() {
    let env = Env::new(true);
    let ops = Operations::from_names(&["trx", "trc20", "AccountPermissionUpdateContract"]).unwrap();
    let mut kept = active_of("active", 1, &[kat()], Operations::java_tron_default());
    kept.id = 2;
    let foreign = active_of("ops", 1, &[attacker()], ops);
    let req = update_req(
        owner_of(1, &[kat()]),
        vec![kept, foreign],
        default_permissions(),
    );
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &[], "nothing\n");
    let err = stderr(&out);
    assert!(err.contains("active id 3    NEW"), "{err}");
    assert!(
        err.contains(&format!(
            "!!! FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER: {} alone reaches active \"ops\" (id 3) threshold 1 → change the permissions → full control; send TRX and TRC-20",
            attacker()
        )),
        "{err}"
    );
    assert!(
        err.contains("PERMISSION UPDATES, TRX transfers")
            || err.contains("CAN CHANGE WHO CONTROLS THE ACCOUNT"),
        "{err}"
    );
    assert!(!err.contains("keeps control"), "{err}");
}

#[test]
fn claims_that_disagree_about_the_owner_are_refused() {
    let env = Env::new(true);
    let mut req = update_request(kat());
    // The permission claim says the owner is 1-of-2 with the attacker; permission_before
    // says 1-of-1.
    req.permission = Some(PermissionClaim::from_permission(&owner_of(
        1,
        &[kat(), attacker()],
    )));
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &[], &typed(&req));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the request's two permission claims disagree: permission says owner (id 0) is 1 of 2"
        ),
        "{err}"
    );
    assert!(env.ledger().is_empty());
}

/// A keeps-control update from a fresh account: owner and active id 2 both KAT 1-of-1,
/// renamed so the second update has something to change.
fn keep_request(before: Vec<Permission>, active_name: &str) -> SignRequest {
    let mut active = active_of(active_name, 1, &[kat()], trx_trc20());
    active.id = 2;
    let mut req = update_req(owner_of(1, &[kat()]), vec![active], before);
    req.transactions[0].payout_id = format!("perm-{active_name}");
    req
}

#[test]
fn the_home_records_what_it_signs_and_refuses_a_contradicting_before() {
    let env = Env::new(true);
    let first = keep_request(default_permissions(), "pay");
    let input = env.write("upd.json", &first.to_json());
    let out = env.sign(&input, &[], &typed(&first));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Before: not known to this signer"), "{err}");
    assert!(err.contains("This signer keeps control"), "{err}");
    let audit = std::fs::read_to_string(env.home().join("audit.log")).unwrap();
    assert!(
        audit.contains("\"permission_after\":{\"account\":\""),
        "{audit}"
    );

    // The next update, whose before claim is what this home signed: shown against the record.
    let mut signed_after = vec![owner_of(1, &[kat()])];
    let mut pay = active_of("pay", 1, &[kat()], trx_trc20());
    pay.id = 2;
    signed_after.push(pay);
    let second = keep_request(signed_after, "payouts");
    let input = env.write("upd2.json", &second.to_json());
    let out = env.sign(&input, &[], &typed(&second));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(
            "Changes against this signer's record (the update of this account it signed at"
        ),
        "{err}"
    );
    assert!(
        err.contains("active id 2    CHANGED: name \"pay\" → \"payouts\""),
        "{err}"
    );
    assert!(
        err.contains("the online machine's permission_before claim agrees with this record"),
        "{err}"
    );

    // A before claim that contradicts the record (the default permissions again) is refused…
    let third = keep_request(default_permissions(), "again");
    let input = env.write("upd3.json", &third.to_json());
    let out = env.sign(&input, &[], &typed(&third));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the request's permission_before (the online machine's claim of"),
        "{err}"
    );
    assert!(err.contains("differs from this signer's record"), "{err}");
    // …and shown loudly beside it with --permission-record-stale.
    let out = env.sign(&input, &["--permission-record-stale"], "nothing\n");
    let err = stderr(&out);
    assert!(
        err.contains("!!! THE ONLINE MACHINE SAYS THE ACCOUNT HOLDS SOMETHING ELSE"),
        "{err}"
    );
    assert_eq!(env.ledger().len(), 2);
}

/// Rows a text takes on a terminal `cols` wide (long lines wrap).
fn rows(text: &str, cols: usize) -> usize {
    text.lines()
        .map(|l| l.chars().count().div_ceil(cols).max(1))
        .sum()
}

#[test]
fn the_update_review_fits_100_by_30_with_the_verdict_last() {
    let env = Env::new(true);
    // The M-of-N ceremony's update: owner and active id 2 both 2-of-3, operations as
    // java-tron's default active.
    let three = [kat(), other_key(0x31).1, other_key(0x32).1];
    let mut active = active_of("active", 2, &three, Operations::java_tron_default());
    active.id = 2;
    let req = update_req(owner_of(2, &three), vec![active], default_permissions());
    let input = env.write("upd.json", &req.to_json());
    let out = env.sign(&input, &[], "nothing\n");
    let err = stderr(&out);
    let prompt = err.find("To CHANGE WHO CONTROLS THE ACCOUNT").expect(&err);
    let prompt_end = prompt + err[prompt..].find(": ").expect(&err) + 2;
    // Every row up to and including the prompt.
    let review = &err[..prompt_end];
    let start = review.find("Review — network").expect(review);
    let review = &review[start..];
    assert!(
        rows(review, 100) <= 30,
        "{} rows:\n{review}",
        rows(review, 100)
    );
    let last: Vec<&str> = review.trim_end().lines().rev().take(6).collect();
    assert!(
        last.iter()
            .any(|l| l.contains("FOREIGN KEYS CAN ACT WITHOUT THIS SIGNER")),
        "{review}"
    );
    assert!(
        last[0].starts_with("To CHANGE WHO CONTROLS THE ACCOUNT"),
        "{review}"
    );
    assert!(last[2].starts_with("  confirmation code"), "{review}");
    assert!(
        review.contains(
            "may sign java-tron's default active set (29 operations, no permission updates)"
        ),
        "{review}"
    );
    // --details lists every operation by name.
    let out = env.sign(&input, &["--details"], "nothing\n");
    assert!(stderr(&out).contains("AccountCreateContract, TransferContract, TransferAssetContract"));
}
