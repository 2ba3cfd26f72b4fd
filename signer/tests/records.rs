//! The signer's records through the CLI: the chained ledger against the audit log (tampering
//! refused, `ledger rebuild`), the audit head in sign responses, `audit verify --expect-head`
//! and `audit export`.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use coldpay_shared::audit_export::AuditExport;
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest, SignResponse, U256};
use serde_json::Value;

const KAT_KEY: &str = "b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28";
const KAT_ADDR: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";
const USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
const TO: &str = "TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm";

const POLICY: &str = r#"unattended = true
max_fee_limit_trx = "100"
max_expiration_hours = 24
[destinations]
mode = "any"
[[tokens]]
symbol = "USDT"
contract = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
decimals = 6
max_per_tx = "50000"
max_per_request = "60000"
max_per_24h = "90000"
"#;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(env.path("pass.txt"), "correct horse battery\n").unwrap();
        env.cmd()
            .args(["init", "--network", "mainnet"])
            .assert()
            .success();
        env.cmd()
            .args(["keys", "import-private", "--name", "kat"])
            .args(["--kdf-iterations", "600000", "--passphrase-file"])
            .arg(env.path("pass.txt"))
            .write_stdin(format!("{KAT_KEY}\n"))
            .assert()
            .success();
        std::fs::write(env.home().join("policy.toml"), POLICY).unwrap();
        env
    }
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("coldpay-signer").unwrap();
        c.arg("--home").arg(self.home());
        c.env_remove("COLDPAY_SIGNER_HOME");
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
    /// Signs a one-payout request (id `req-N`, payout `p-N`); returns the output.
    fn sign(&self, n: u32) -> Output {
        let req = SignRequest {
            permission: None,
            permission_before: None,
            network: Network::Mainnet,
            request_id: format!("req-{n}"),
            created_at: now_ms(),
            transactions: vec![RequestTx::new(format!("p-{n}"), usdt_tx(n))],
        };
        let input = self.path("req.json");
        std::fs::write(&input, serde_json::to_vec(&req.to_json()).unwrap()).unwrap();
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
    fn ledger(&self) -> PathBuf {
        self.home().join("ledger.jsonl")
    }
    fn audit(&self) -> PathBuf {
        self.home().join("audit.log")
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn usdt_tx(n: u32) -> RawData {
    RawData::trc20_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(USDT).unwrap(),
        Address::parse(TO).unwrap(),
        U256::from(1_000_000u64 + u64::from(n)),
        30_000_000,
        RefBlock {
            bytes: [0x12, 0x34],
            hash: [1, 2, 3, 4, 5, 6, 7, 8],
        },
        now_ms() + 3_600_000,
        now_ms(),
    )
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
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
    ok(&env.run(&["ledger", "rebuild"]));
    ok(&env.run(&["ledger", "verify"]));
    assert_eq!(lines(&env.ledger()).len(), 3);
    let replay = env.sign(2);
    assert!(
        stderr(&replay).contains("payout p-2 was already signed"),
        "{}",
        stderr(&replay)
    );
    ok(&env.sign(9));
    ok(&env.run(&["ledger", "verify"]));
    ok(&env.run(&["audit", "verify"]));
}

#[test]
fn a_deleted_ledger_is_refused_and_rebuilt() {
    let env = signed_three();
    ok(&env.run(&["ledger", "verify"]));
    std::fs::remove_file(env.ledger()).unwrap();
    refused_then_rebuilt(&env, "0 line(s) but audit line");
}

#[test]
fn a_cut_ledger_tail_is_refused_and_rebuilt() {
    let env = signed_three();
    let ls = lines(&env.ledger());
    write_lines(&env.ledger(), &ls[..1]);
    refused_then_rebuilt(&env, "cut off its end");
}

#[test]
fn an_edited_ledger_line_is_refused_and_rebuilt() {
    let env = signed_three();
    // The last line: only the head recorded in the audit log can show it.
    let mut ls = lines(&env.ledger());
    ls[2] = ls[2].replace("\"amount\":\"1000003\"", "\"amount\":\"1\"");
    write_lines(&env.ledger(), &ls);
    refused_then_rebuilt(&env, "edited or replaced");
    // A middle line: the chain shows it.
    let mut ls = lines(&env.ledger());
    ls[1] = ls[1].replace("\"p-2\"", "\"p-x\"");
    write_lines(&env.ledger(), &ls);
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
    let out = env.run(&["ledger", "rebuild"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--drop-unrecorded"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lines(&env.ledger()).len(), 3, "nothing changed");
    ok(&env.run(&["ledger", "rebuild", "--drop-unrecorded"]));
    assert_eq!(lines(&env.ledger()).len(), 2);
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
    let ledger_txids: Vec<String> = lines(&env.ledger())
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
    let out = env.run(&["audit", "export", "--since", "2"]);
    ok(&out);
    let later = AuditExport::from_json_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!((later.since, later.signings().count()), (2, 2));
    let out = env.run(&["audit", "export", "--since", "99"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has lines 1 to"), "{}", stderr(&out));
}

#[test]
fn an_unchained_ledger_is_converted_once_when_it_matches() {
    let env = signed_three();
    // Make the home look as an older signer left it: no prev, no ledger heads.
    let strip_prev = |l: &String| l.split(",\"prev\":").next().unwrap().to_string() + "}";
    let legacy: Vec<String> = lines(&env.ledger()).iter().map(strip_prev).collect();
    write_lines(&env.ledger(), &legacy);
    let audit = lines(&env.audit());
    let old: Vec<Value> = audit
        .iter()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("ledger");
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
    ok(&env.run(&["ledger", "verify"]));
    let out = env.sign(4);
    ok(&out);
    assert!(stderr(&out).contains("converted to the chained format"));
    assert_eq!(lines(&env.ledger()).len(), 4);
    ok(&env.run(&["ledger", "verify"]));
    let replay = env.sign(1);
    assert!(stderr(&replay).contains("payout p-1 was already signed"));
}

/// Appends an event as the signer chains it (sorted keys, sha256 over the line without hash).
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
    let h = hex::encode(Sha256::digest(serde_json::to_vec(&v).unwrap()));
    v.as_object_mut().unwrap().insert("hash".into(), h.into());
    let mut all = prev;
    all.push(serde_json::to_string(&v).unwrap());
    write_lines(path, &all);
}
