//! Staking from the cold key on the dev node (issue #24): stake → delegate → undelegate →
//! unstake → withdraw-unstaked, each built by the broadcaster, carried as a request file,
//! reviewed in plain words and signed offline, submitted, tracked to finality, and on chain
//! exactly once; the dev node's unstaking delay is 0 days (genesis option). A staking
//! transaction the policy does not allow, and a delegation to a receiver it does not list, are
//! refused by the signer with nothing signed.

#![allow(clippy::too_many_lines)]

use std::path::PathBuf;
use std::process::{Command, Output};

use coldpay_devnode::{Config, Devnode, Genesis};
use coldpay_shared::Address;
use coldpay_testkit::Policy;
use coldpay_tests::{bin, ok, sealed_treasury_home, workspace_root};
use serde_json::Value;

use coldpay_tests::DEMO_PASSPHRASE as PASS;
/// The allowlisted delegation receiver (a demo recipient address).
const FRIEND: &str = "TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT";
/// An existing account the policy does not list.
const STRANGER: &str = "TDcaAF5a6i9r5MrSCuhZDAaMcriejbe4ng";

/// Staking allowed (every operation; delegation to [`FRIEND`] only), no payouts.
fn staking_policy() -> String {
    Policy::new()
        .line("max_fee_limit_trx = \"50\"")
        .line("max_expiration_hours = 24")
        .table(&format!(
            "[staking]\nallow = [\"stake\", \"unstake\", \"withdraw-unstaked\", \"delegate\", \"undelegate\"]\n\
             max_per_tx_trx = \"2000\"\nmax_per_24h_trx = \"10000\"\n\
             [[staking.receivers]]\naddress = \"{FRIEND}\"\nlabel = \"ops hot wallet\"\n"
        ))
        .to_toml()
}

/// Nothing allowed.
fn no_staking_policy() -> String {
    Policy::new().to_toml()
}

struct Round {
    dir: tempfile::TempDir,
    node: Devnode,
    treasury: String,
}

impl Round {
    fn new(policy: &str) -> Round {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("signer");
        let treasury = sealed_treasury_home(&home, policy);
        let mut g = Genesis::default();
        g.fund(Address::parse(&treasury).unwrap(), 5_000_000_000, 0);
        g.fund(Address::parse(FRIEND).unwrap(), 1_000_000, 0);
        g.fund(Address::parse(STRANGER).unwrap(), 1_000_000, 0);
        g.params.unfreeze_delay_days = 0;
        let node = Devnode::start(Config {
            genesis: g,
            solid_lag: 3,
            ..Config::default()
        })
        .unwrap();
        let r = Round {
            dir,
            node,
            treasury,
        };
        let watch = r.p("watch.json");
        ok(
            &r.signer(&["keys", "export-watch", "-o", watch.to_str().unwrap()]),
            "export-watch",
        );
        ok(
            &r.bcast(&["accounts", "import-watch", watch.to_str().unwrap()]),
            "import-watch",
        );
        r
    }

    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn signer(&self, args: &[&str]) -> Output {
        Command::new(bin("coldpay-signer"))
            .arg("--home")
            .arg(self.p("signer"))
            .args(args)
            .current_dir(workspace_root())
            .output()
            .unwrap()
    }

    fn bcast(&self, args: &[&str]) -> Output {
        Command::new(bin("coldpay-broadcaster"))
            .arg("--db")
            .arg(self.p("journal.sqlite"))
            .args(["--node", &self.node.url(), "--network", "local"])
            .args(args)
            .current_dir(workspace_root())
            .env("HOME", self.dir.path())
            .output()
            .unwrap()
    }

    /// `coldpay-broadcaster <op> --from TREASURY <args> -o req-N.json`; the request path.
    fn build(&self, op: &str, args: &[&str], n: usize) -> PathBuf {
        let req = self.p(&format!("req-{n}.json"));
        let mut a = vec![op, "--from", &self.treasury];
        a.extend_from_slice(args);
        a.extend_from_slice(&["-o", req.to_str().unwrap()]);
        ok(&self.bcast(&a), op);
        req
    }

    /// Signs the request offline; returns the signer's output (its review on stderr).
    fn sign(&self, req: &std::path::Path, n: usize) -> (Output, PathBuf) {
        let res = self.p(&format!("res-{n}.json"));
        let out = self.signer(&[
            "sign",
            req.to_str().unwrap(),
            "-o",
            res.to_str().unwrap(),
            "--yes",
            "--passphrase-file",
            PASS,
        ]);
        (out, res)
    }

    /// build → sign → submit → settle; returns the review text.
    fn round(&self, op: &str, args: &[&str], n: usize) -> String {
        let req = self.build(op, args, n);
        let (out, res) = self.sign(&req, n);
        let review = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{op}: {review}");
        ok(&self.bcast(&["submit", res.to_str().unwrap()]), "submit");
        // Submitting the same response again broadcasts nothing new.
        let again = self.bcast(&["submit", res.to_str().unwrap()]);
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        self.node.mine(1);
        self.node.mine(4);
        let t: Value =
            serde_json::from_str(&ok(&self.bcast(&["track", "--json"]), "track")).unwrap();
        assert_eq!(t["confirmed"], 1, "{op}: {t}");
        review
    }

    fn stake_of(&self) -> Value {
        let l = self.node.ledger();
        l["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["address"] == self.treasury.as_str())
            .unwrap()
            .clone()
    }
}

#[test]
fn stake_delegate_undelegate_unstake_withdraw_signed_offline_each_once() {
    let r = Round::new(&staking_policy());
    // The watch cursor (and the opening balance snapshot) start before any staking.
    ok(&r.bcast(&["watch", "--once"]), "first watch");
    // Nothing unstaked yet: refused by the broadcaster before anything is journaled.
    let early = r.bcast(&["withdraw-unstaked", "--from", &r.treasury]);
    assert_eq!(early.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&early.stderr).contains("nothing to withdraw"),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );

    let review = r.round("stake", &["--amount", "1000", "--resource", "energy"], 1);
    assert!(
        review.contains("STAKING           stake 1000 TRX for energy"),
        "{review}"
    );
    assert!(
        review.contains("1000 TRX leave the free balance; the account GAINS the energy"),
        "{review}"
    );
    assert!(review.contains("verdict     allowed"), "{review}");
    assert_eq!(r.stake_of()["stake"]["staked_energy_sun"], 1_000_000_000u64);

    // More than the stake cannot be delegated; to itself neither.
    let over = r.bcast(&[
        "delegate",
        "--from",
        &r.treasury,
        "--to",
        FRIEND,
        "--amount",
        "1001",
    ]);
    assert_eq!(over.status.code(), Some(2));
    let me = r.bcast(&[
        "delegate",
        "--from",
        &r.treasury,
        "--to",
        &r.treasury,
        "--amount",
        "5",
    ]);
    assert!(String::from_utf8_lossy(&me.stderr).contains("to the account itself"));

    let review = r.round("delegate", &["--to", FRIEND, "--amount", "300"], 2);
    assert!(
        review.contains(&format!(
            "delegate the energy of 300 TRX staked to {FRIEND}"
        )),
        "{review}"
    );
    assert!(
        review.contains("the account LOSES the energy of 300 TRX staked while it is delegated")
            && review.contains("(\"ops hot wallet\") gains it"),
        "{review}"
    );
    assert_eq!(
        r.stake_of()["stake"]["delegated_out_energy_sun"],
        300_000_000u64
    );

    let more = r.bcast(&[
        "undelegate",
        "--from",
        &r.treasury,
        "--to",
        FRIEND,
        "--amount",
        "301",
    ]);
    assert!(
        String::from_utf8_lossy(&more.stderr).contains("only 300 TRX of energy"),
        "{}",
        String::from_utf8_lossy(&more.stderr)
    );
    let review = r.round("undelegate", &["--to", FRIEND, "--amount", "300"], 3);
    assert!(
        review.contains(&format!(
            "take back the energy of 300 TRX staked from {FRIEND}"
        )),
        "{review}"
    );
    assert_eq!(
        r.stake_of()["stake"]["delegated_out_energy_sun"],
        Value::from(0u64)
    );

    let review = r.round("unstake", &["--amount", "1000", "--resource", "energy"], 4);
    assert!(
        review.contains("the account LOSES the energy of 1000 TRX staked at once")
            && review.contains(
                "can be withdrawn after the unstaking delay: 14 days on mainnet (mainnet's figure"
            ),
        "{review}"
    );

    // The dev node's delay is 0 days: withdrawable from the next block.
    r.node.mine(1);
    let review = r.round("withdraw-unstaked", &[], 5);
    assert!(
        review.contains("STAKING           withdraw every unstaked amount whose delay has passed"),
        "{review}"
    );

    // Each operation on chain exactly once, successful.
    let txs = r.node.ledger()["transactions"].as_array().unwrap().clone();
    for ty in [
        "FreezeBalanceV2Contract",
        "DelegateResourceContract",
        "UnDelegateResourceContract",
        "UnfreezeBalanceV2Contract",
        "WithdrawExpireUnfreezeContract",
    ] {
        let mine: Vec<&Value> = txs.iter().filter(|t| t["contract_type"] == ty).collect();
        assert_eq!(mine.len(), 1, "{ty}: {txs:?}");
        assert_eq!(mine[0]["result"], "SUCCESS", "{ty}: {mine:?}");
    }
    let s = r.stake_of();
    assert_eq!(s["stake"]["staked_energy_sun"], Value::from(0u64), "{s}");
    assert_eq!(s["stake"]["unstaking_sun"], Value::from(0u64), "{s}");

    // status lists the five operations apart from payouts; report does not total them.
    let st: Value = serde_json::from_str(&ok(&r.bcast(&["status", "--json"]), "status")).unwrap();
    assert_eq!(st["payouts"], 0, "{st}");
    assert_eq!(st["staking"].as_array().unwrap().len(), 5, "{st}");
    assert!(st["staking"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["status"] == "confirmed"));

    // A delegation to a receiver the policy does not list: built (the chain would take it),
    // refused by the signer, nothing signed.
    r.round("stake", &["--amount", "10"], 6);
    // With 10 TRX staked now, `watch` records the six operations as the treasury's own (no TRX in or out, no alarm).
    let w = r.bcast(&["watch", "--once", "--from-block", "1", "--json"]);
    assert!(
        w.status.success(),
        "watch: {}",
        String::from_utf8_lossy(&w.stderr)
    );
    let alarms = r.bcast(&["alarms", "list", "--json"]);
    let alarms: Value = serde_json::from_str(&ok(&alarms, "alarms list")).unwrap();
    assert_eq!(alarms.as_array().map_or(0, Vec::len), 0, "{alarms}");
    // Reconcile: staking moved no TRX in or out; the TRX line counts the stake and says so,
    // and only the fees burned explain the difference (no discrepancy, exit 0).
    let rec = r.bcast(&["reconcile", "--from", "30days", "--to", "2100-01-01"]);
    let text = String::from_utf8_lossy(&rec.stdout);
    assert!(
        rec.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&rec.stderr)
    );
    assert!(
        text.contains("TRX counts the account's own stake"),
        "{text}"
    );

    let req = r.build("delegate", &["--to", STRANGER, "--amount", "5"], 7);
    let (out, res) = r.sign(&req, 7);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "delegation receiver {STRANGER} is not on the policy's staking.receivers list"
        )),
        "{err}"
    );
    assert!(!res.exists());
}

#[test]
fn a_policy_without_staking_refuses_a_stake() {
    let r = Round::new(&no_staking_policy());
    let req = r.build("stake", &["--amount", "100"], 1);
    let (out, res) = r.sign(&req, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("staking transactions are not allowed by the policy ([staking] missing"),
        "{err}"
    );
    assert!(!res.exists());
    // The operation stays built; the same command exports the same request again.
    let again = r.build("stake", &["--amount", "100"], 2);
    let a: Value = serde_json::from_str(&std::fs::read_to_string(&req).unwrap()).unwrap();
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    assert_eq!(
        a["transactions"][0]["txid"], b["transactions"][0]["txid"],
        "the same operation is not built twice"
    );
    // Over QR as well: the request's JSON form in `coldpay-req-json` parts, read by the signer.
    let dir = r.p("qr");
    let qr = r.bcast(&[
        "stake",
        "--from",
        &r.treasury,
        "--amount",
        "100",
        "--qr-png",
        dir.to_str().unwrap(),
    ]);
    ok(&qr, "stake --qr-png");
    let mut pngs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    pngs.sort();
    assert!(!pngs.is_empty());
    let mut args = vec!["inspect", "--qr-image"];
    args.extend(pngs.iter().map(String::as_str));
    let insp = r.signer(&args);
    let text = String::from_utf8_lossy(&insp.stdout);
    assert!(
        insp.status.success(),
        "{}",
        String::from_utf8_lossy(&insp.stderr)
    );
    assert!(text.contains("STAKING      stake 100 TRX"), "{text}");
    assert!(
        text.contains(a["transactions"][0]["txid"].as_str().unwrap()),
        "{text}"
    );
    // Another operation waits for it.
    let other = r.bcast(&["stake", "--from", &r.treasury, "--amount", "50"]);
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("already pending"),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
}
