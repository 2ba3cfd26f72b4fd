//! The signer's records through the CLI: the chained ledger against the audit log (tampering
//! refused, `ledger rebuild`), the audit head in sign responses, `audit verify --expect-head`
//! and `audit export`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;

use coldpay_shared::audit_export::AuditExport;
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, RawData, SignResponse, U256};
use common::{
    now_ms, sign_request, stderr, stdout, Limits, Policy, ALLOWED, HOUR, KAT_ADDR, REF, USDT,
};
use serde_json::Value;

/// The test policy to any destination, with a fee and expiration cap.
static POLICY: LazyLock<String> = LazyLock::new(|| {
    Policy::new()
        .line("max_fee_limit_trx = \"100\"")
        .line("max_expiration_hours = 24")
        .mode("any")
        .token("USDT", USDT, 6, Limits::usdt())
        .to_toml()
});

common::local_env!();

impl Env {
    fn new() -> Env {
        Env(common::Env::with_policy(&POLICY))
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
    /// `args` with the wallet unlocked from pass.txt (authenticated records).
    fn run_unlocked(&self, args: &[&str]) -> Output {
        self.cmd()
            .args(args)
            .arg("--passphrase-file")
            .arg(self.path("pass.txt"))
            .output()
            .unwrap()
    }
    /// Signs a one-payout request (id `req-N`, payout `p-N`); returns the output.
    fn sign(&self, n: u32) -> Output {
        let tx = RequestTx::new(format!("p-{n}"), usdt_tx(n));
        let req = sign_request(Network::Mainnet, &format!("req-{n}"), vec![tx]);
        let input = self.write_request("req.json", &req);
        let _ = std::fs::remove_file(self.path("out.json"));
        self.cmd()
            .arg("sign")
            .arg(&input)
            .arg("-o")
            .arg(self.path("out.json"))
            .arg("--yes")
            .arg("--passphrase-file")
            .arg(self.path("pass.txt"))
            .output()
            .unwrap()
    }
    fn response(&self) -> SignResponse {
        let v: Value =
            serde_json::from_slice(&std::fs::read(self.path("out.json")).unwrap()).unwrap();
        SignResponse::from_json(&v).unwrap()
    }
    fn ledger_file(&self) -> PathBuf {
        self.home().join("ledger.jsonl")
    }
    fn audit(&self) -> PathBuf {
        self.home().join("audit.log")
    }
}

fn usdt_tx(n: u32) -> RawData {
    RawData::trc20_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(USDT).unwrap(),
        Address::parse(ALLOWED).unwrap(),
        U256::from(1_000_000u64 + u64::from(n)),
        30_000_000,
        REF,
        now_ms() + HOUR,
        now_ms(),
    )
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

/// A home that has signed three one-payout requests.
fn signed_three() -> Env {
    let env = Env::new();
    for n in 1..=3 {
        ok(&env.sign(n));
    }
    env
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(p: &Path, ls: &[String]) {
    let mut text = ls.join("\n");
    text.push('\n');
    std::fs::write(p, text).unwrap();
}

/// Signing is refused with the rebuild hint; `ledger rebuild` restores the ledger and
/// signing works again (and the restored ledger still refuses a replay).
fn refused_then_rebuilt(env: &Env, why: &str) {
    let out = env.sign(9);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("disagrees with the audit log"), "{e}");
    assert!(e.contains(why), "{e}");
    assert!(e.contains("coldpay-signer ledger rebuild"), "{e}");
    assert!(!env.path("out.json").exists());
    let v = env.run(&["audit", "verify"]);
    assert_eq!(v.status.code(), Some(2), "audit verify must report it too");
    assert!(stderr(&v).contains("ledger rebuild"));
    // Rebuilding writes authenticated records: it needs a wallet's passphrase.
    let no_pass = env.run(&["ledger", "rebuild"]);
    assert_eq!(no_pass.status.code(), Some(2), "{}", stderr(&no_pass));
    assert!(stderr(&no_pass).contains("needs a wallet passphrase"));
    ok(&env.run_unlocked(&["ledger", "rebuild"]));
    ok(&env.run(&["ledger", "verify"]));
    ok(&env.run_unlocked(&["ledger", "verify"]));
    assert_eq!(lines(&env.ledger_file()).len(), 3);
    let replay = env.sign(2);
    assert!(
        stderr(&replay).contains("payout p-2 was already signed"),
        "{}",
        stderr(&replay)
    );
    ok(&env.sign(9));
    ok(&env.run(&["ledger", "verify"]));
    ok(&env.run(&["audit", "verify"]));
    ok(&env.run_unlocked(&["audit", "verify"]));
}

#[test]
fn a_deleted_ledger_is_refused_and_rebuilt() {
    let env = signed_three();
    ok(&env.run(&["ledger", "verify"]));
    std::fs::remove_file(env.ledger_file()).unwrap();
    refused_then_rebuilt(&env, "0 line(s) but audit line");
}

#[test]
fn a_cut_ledger_tail_is_refused_and_rebuilt() {
    let env = signed_three();
    let ls = lines(&env.ledger_file());
    write_lines(&env.ledger_file(), &ls[..1]);
    refused_then_rebuilt(&env, "cut off its end");
}

#[test]
fn an_edited_ledger_line_is_refused_and_rebuilt() {
    let env = signed_three();
    // The last line: only the head recorded in the audit log can show it.
    let mut ls = lines(&env.ledger_file());
    ls[2] = ls[2].replace("\"amount\":\"1000003\"", "\"amount\":\"1\"");
    write_lines(&env.ledger_file(), &ls);
    refused_then_rebuilt(&env, "edited or replaced");
    // A middle line: the chain shows it.
    let mut ls = lines(&env.ledger_file());
    ls[1] = ls[1].replace("\"p-2\"", "\"p-x\"");
    write_lines(&env.ledger_file(), &ls);
    let e = stderr(&env.sign(10));
    assert!(
        e.contains("line 3: prev is not the hash of the line before"),
        "{e}"
    );
    assert!(e.contains("ledger rebuild"), "{e}");
}

#[test]
fn rebuild_keeps_signings_the_audit_log_lost_unless_told() {
    let env = signed_three();
    // The audit log's last signing cut off (with the lines after it).
    let audit = lines(&env.audit());
    let last_sign = audit
        .iter()
        .rposition(|l| l.contains("\"verdict\":\"signed\""))
        .unwrap();
    write_lines(&env.audit(), &audit[..last_sign]);
    assert!(stderr(&env.sign(9)).contains("lines were added after the last recorded signing"));
    let out = env.run_unlocked(&["ledger", "rebuild"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--drop-unrecorded"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lines(&env.ledger_file()).len(), 3, "nothing changed");
    let out = env.run_unlocked(&["ledger", "rebuild", "--drop-unrecorded", "--json"]);
    ok(&out);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dropped"].as_array().unwrap().len(), 1, "{report}");
    // The line the audit log lost is now recorded whole by the rebuild line and kept: the
    // ledger still has it, and it still counts for replay.
    assert_eq!(lines(&env.ledger_file()).len(), 3);
    let rebuild: Value = serde_json::from_str(lines(&env.audit()).last().unwrap()).unwrap();
    assert_eq!(rebuild["event"], "ledger-rebuild");
    assert_eq!(rebuild["kept"][0]["payout_id"], "p-3");
    assert_eq!(rebuild["auth"]["ledger"]["lines"], 3);
    ok(&env.run_unlocked(&["ledger", "verify"]));
    ok(&env.run_unlocked(&["audit", "verify"]));
    let replay = env.sign(3);
    assert!(
        stderr(&replay).contains("payout p-3 was already signed"),
        "{}",
        stderr(&replay)
    );
    ok(&env.sign(9));
}

#[test]
fn responses_carry_the_audit_head_and_expect_head_checks_it() {
    let env = Env::new();
    ok(&env.sign(1));
    let h1 = env.response().audit_head.expect("audit_head");
    ok(&env.sign(2));
    let h2 = env.response().audit_head.expect("audit_head");
    assert_eq!(h1.log, h2.log);
    assert!(h2.seq > h1.seq, "{h1:?} {h2:?}");
    // The head names the audit line that recorded the signing.
    let audit = lines(&env.audit());
    let line: Value = serde_json::from_str(&audit[h2.seq as usize - 1]).unwrap();
    assert_eq!(line["hash"], h2.hash.as_str());
    assert_eq!(line["verdict"], "signed");
    let first: Value = serde_json::from_str(&audit[0]).unwrap();
    assert_eq!(first["hash"], h2.log.as_str());
    let expect = format!("{}:{}", h2.seq, h2.hash);
    ok(&env.run(&["audit", "verify", "--expect-head", &expect]));
    // A wrong hash, then the tail cut back before that line.
    let wrong = format!("{}:{}", h2.seq, h1.hash);
    let out = env.run(&["audit", "verify", "--expect-head", &wrong]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rewritten"), "{}", stderr(&out));
    write_lines(&env.audit(), &audit[..h2.seq as usize - 1]);
    let out = env.run(&["audit", "verify", "--expect-head", &expect]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tail was cut"), "{}", stderr(&out));
    let out = env.run(&["audit", "verify", "--expect-head", "12:zz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("SEQ:HASH"));
}

#[test]
fn the_export_round_trips_and_tampering_is_refused() {
    let env = signed_three();
    let head = env.response().audit_head.unwrap();
    let file = env.path("export.json");
    ok(&env
        .cmd()
        .args(["audit", "export", "--since", "1", "-o"])
        .arg(&file)
        .output()
        .unwrap());
    let text = std::fs::read_to_string(&file).unwrap();
    let e = AuditExport::from_json_str(&text).unwrap();
    assert_eq!((e.since, e.log.as_str()), (1, head.log.as_str()));
    e.check_head(&head).unwrap();
    let signed: Vec<String> = e
        .signings()
        .flat_map(|l| l.txids.iter().map(|t| t.to_hex()))
        .collect();
    let ledger_txids: Vec<String> = lines(&env.ledger_file())
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["txid"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(signed.len(), 3);
    assert_eq!(signed, ledger_txids);
    let tampered = text.replacen("1000002", "1000009", 1);
    assert_ne!(tampered, text);
    let err = AuditExport::from_json_str(&tampered)
        .unwrap_err()
        .to_string();
    assert!(err.contains("edited"), "{err}");
    // A later segment carries only its lines, to stdout.
    // (Line 1 is the records upgrade of the policy's sealing, line 2 the seal, line 3 the
    // first signed line.)
    let out = env.run(&["audit", "export", "--since", "4"]);
    ok(&out);
    let later = AuditExport::from_json_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!((later.since, later.signings().count()), (4, 2));
    let out = env.run(&["audit", "export", "--since", "99"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has lines 1 to"), "{}", stderr(&out));
}

/// The keystore file of the test wallet.
fn keystore(env: &Env) -> PathBuf {
    env.home().join("keystores/kat.json")
}

/// A home that signed three requests as a signer before authenticated records left it: its
/// wallet without a records key, no authentication on its lines, and (`chained`) the ledger
/// chain and heads of the version before, or neither (the one before that).
fn old_home(chained: bool) -> Env {
    let env = Env(common::Env::setup_unsealed("mainnet", &POLICY));
    let wallet = std::fs::read(keystore(&env)).unwrap();
    env.set_policy(&POLICY);
    for n in 1..=3 {
        ok(&env.sign(n));
    }
    // Back to a home of before sealed policies and authenticated records.
    std::fs::write(keystore(&env), wallet).unwrap();
    std::fs::remove_dir_all(env.home().join("policy.d")).unwrap();
    let strip = |l: &String| {
        let l = l.split(",\"mac\":").next().unwrap();
        if chained {
            format!("{}}}", l.trim_end_matches('}'))
        } else {
            l.split(",\"prev\":").next().unwrap().to_string() + "}"
        }
    };
    let ledger: Vec<String> = lines(&env.ledger_file()).iter().map(strip).collect();
    write_lines(&env.ledger_file(), &ledger);
    let old: Vec<Value> = lines(&env.audit())
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"] != "records-upgrade" && v["event"] != "policy-seal")
        .map(|mut v| {
            let o = v.as_object_mut().unwrap();
            o.remove("auth");
            if !chained {
                o.remove("ledger");
            }
            v
        })
        .collect();
    std::fs::remove_file(env.audit()).unwrap();
    for mut v in old {
        let o = v.as_object_mut().unwrap();
        for k in ["hash", "prev", "seq"] {
            o.remove(k);
        }
        rechain(&env.audit(), v);
    }
    env
}

#[test]
fn an_old_home_is_upgraded_once_and_then_unauthenticated_lines_are_refused() {
    let env = old_home(true);
    let v = env.run(&["audit", "verify"]);
    ok(&v);
    assert!(
        stdout(&v).contains("records not authenticated yet"),
        "{}",
        stdout(&v)
    );
    // An old home's policy was never sealed: signing is refused, naming the upgrade step.
    let out = env.sign(4);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("policy is not sealed") && stderr(&out).contains("policy enroll"),
        "{}",
        stderr(&out)
    );
    // Sealing it (the documented upgrade) also authenticates its records: a records key in
    // the wallet, an audit line saying so, then the seal line.
    let seal = env.try_set_policy(&POLICY);
    ok(&seal);
    assert!(
        stderr(&seal).contains("records are now authenticated"),
        "{}",
        stderr(&seal)
    );
    let wallet: Value = serde_json::from_slice(&std::fs::read(keystore(&env)).unwrap()).unwrap();
    assert!(wallet["records_key"]["id"].is_string(), "{wallet}");
    let audit = lines(&env.audit());
    let upgrade: Value = serde_json::from_str(&audit[audit.len() - 2]).unwrap();
    assert_eq!(upgrade["event"], "records-upgrade");
    assert_eq!(upgrade["auth"]["ledger"]["lines"], 3);
    let sealed: Value = serde_json::from_str(&audit[audit.len() - 1]).unwrap();
    assert_eq!(
        (&sealed["event"], &sealed["policy_seq"]),
        (&"policy-seal".into(), &1.into())
    );
    let out = env.sign(4);
    ok(&out);
    let v = env.run_unlocked(&["audit", "verify", "--json"]);
    ok(&v);
    let report: Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(report["authenticated"], true, "{report}");
    assert_eq!(report["macs_checked"], 3, "{report}");
    let l = env.run_unlocked(&["ledger", "verify", "--json"]);
    ok(&l);
    let report: Value = serde_json::from_slice(&l.stdout).unwrap();
    assert_eq!(report["macs_checked"], 1, "{report}");
    // It happens once: the next signing says nothing of it.
    let out = env.sign(5);
    ok(&out);
    assert!(!stderr(&out).contains("records are now authenticated"));
    // A signing appended without the key (a line as the old signer wrote it) is refused.
    let mut forged: Value = serde_json::from_str(lines(&env.audit()).last().unwrap()).unwrap();
    let o = forged.as_object_mut().unwrap();
    for k in ["auth", "hash", "prev", "seq"] {
        o.remove(k);
    }
    rechain(&env.audit(), forged);
    let out = env.sign(6);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("carries no authentication"),
        "{}",
        stderr(&out)
    );
    let v = env.run(&["audit", "verify"]);
    assert_eq!(v.status.code(), Some(2));
    assert!(
        stderr(&v).contains("without authentication"),
        "{}",
        stderr(&v)
    );
}

/// The outside review's case: ledger.jsonl emptied and one self-made line appended to the
/// audit log recording an empty ledger. Without the passphrase this cannot pass.
#[test]
fn an_emptied_ledger_with_a_self_made_audit_line_is_refused() {
    let env = signed_three();
    std::fs::write(env.ledger_file(), "").unwrap();
    let forged = serde_json::json!({
        "event": "ledger-rebuild", "verdict": "rebuilt", "time": now_ms(),
        "ledger": {"hash": "0".repeat(64), "lines": 0}, "previous_lines": 3, "dropped": 0,
    });
    rechain(&env.audit(), forged.clone());
    let out = env.sign(2);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("audit line 6 records a signing or a ledger head but carries no authentication"),
        "{e}"
    );
    assert!(!env.path("out.json").exists());
    let v = env.run(&["audit", "verify"]);
    assert_eq!(v.status.code(), Some(2));
    assert!(stderr(&v).contains("line 6"), "{}", stderr(&v));
    // The same line with a made-up authentication passes the form check but not the MAC.
    // (The refused run wrote a line of its own after it: both go.)
    let audit = lines(&env.audit());
    write_lines(&env.audit(), &audit[..5]);
    let mut with_auth = forged;
    with_auth["auth"] =
        serde_json::json!({"ledger": {"hash": "0".repeat(64), "lines": 0}, "mac": "ab".repeat(32)});
    rechain(&env.audit(), with_auth);
    let e = stderr(&env.sign(2));
    assert!(
        e.contains("does not authenticate with this home's records key"),
        "{e}"
    );
    let v = env.run_unlocked(&["audit", "verify"]);
    assert_eq!(v.status.code(), Some(2));
    assert!(
        stderr(&v).contains("line 6: authentication fails"),
        "{}",
        stderr(&v)
    );
    // And a rebuild cannot be run without the passphrase to launder it.
    assert_eq!(env.run(&["ledger", "rebuild"]).status.code(), Some(2));
}

#[test]
fn an_unchained_ledger_is_converted_once_when_it_matches() {
    let env = old_home(false);
    ok(&env.run(&["ledger", "verify"]));
    // Sealing the policy converts the ledger first (as a signing would), then authenticates
    // the records.
    let seal = env.try_set_policy(&POLICY);
    ok(&seal);
    assert!(stderr(&seal).contains("converted to the chained format"));
    assert!(stderr(&seal).contains("records are now authenticated"));
    let out = env.sign(4);
    ok(&out);
    assert_eq!(lines(&env.ledger_file()).len(), 4);
    ok(&env.run(&["ledger", "verify"]));
    let replay = env.sign(1);
    assert!(stderr(&replay).contains("payout p-1 was already signed"));
}

/// Appends an event as the signer chains it (sorted keys, sha256 over the line without hash
/// and auth).
fn rechain(path: &Path, mut v: Value) {
    use sha2::{Digest, Sha256};
    let prev: Vec<String> = lines(path);
    let (seq, prev_hash) = prev.last().map_or((1, "0".repeat(64)), |l| {
        let p: Value = serde_json::from_str(l).unwrap();
        (
            p["seq"].as_u64().unwrap() + 1,
            p["hash"].as_str().unwrap().to_string(),
        )
    });
    let o = v.as_object_mut().unwrap();
    o.insert("seq".into(), seq.into());
    o.insert("prev".into(), prev_hash.into());
    let auth = o.remove("auth");
    let h = hex::encode(Sha256::digest(serde_json::to_vec(&v).unwrap()));
    let o = v.as_object_mut().unwrap();
    o.insert("hash".into(), h.into());
    if let Some(a) = auth {
        o.insert("auth".into(), a);
    }
    let mut all = prev;
    all.push(serde_json::to_string(&v).unwrap());
    write_lines(path, &all);
}
