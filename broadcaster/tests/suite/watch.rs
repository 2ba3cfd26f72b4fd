//! `watch`, `transfers list` and `reconcile` against the dev node: transfers in from several
//! senders, payouts out, a transfer made outside coldpay with the treasury key (alarm, hook
//! once), kills at random points, a reverted token call, and reconciliations.

#![allow(clippy::too_many_lines)]

use crate::common;

use coldpay_devnode::chain::Account;
use coldpay_shared::contract::{Contract, ContractKind, TransferContract, TriggerSmartContract};
use coldpay_shared::{abi, Address, Signature, SignedTransaction, Sun, U256};
use common::{addr, key, recipient, World};
use k256::ecdsa::SigningKey;
use serde_json::Value;

/// Gives `a` TRX (sun) and USDT (base units) directly in the dev node's state.
fn fund(w: &World, a: Address, sun: u64, usdt: u64) {
    w.node.with_chain(|c| {
        c.accounts.entry(a).or_insert_with(Account::default).balance += sun;
        if usdt > 0 {
            let b = c.token_balance(&a);
            c.token_balances.insert(a, b + U256::from(usdt));
        }
    });
}

/// Signs and broadcasts a transaction built by the dev node, outside coldpay.
fn send(w: &World, k: &SigningKey, kind: ContractKind, fee_limit: u64) -> String {
    w.node.with_chain(|c| {
        let raw = c.build(
            Contract {
                kind,
                permission_id: 0,
            },
            fee_limit,
        );
        let sig = Signature::sign_txid(k, &raw.txid()).unwrap();
        let bytes = SignedTransaction {
            raw,
            signatures: vec![sig],
        }
        .encode();
        c.broadcast(&bytes, false).unwrap().to_hex()
    })
}

fn trx(w: &World, k: &SigningKey, to: Address, sun: u64) -> String {
    send(
        w,
        k,
        ContractKind::Transfer(TransferContract {
            owner: addr(k),
            to,
            amount: Sun::new(sun).unwrap(),
        }),
        0,
    )
}

fn usdt(w: &World, k: &SigningKey, to: Address, units: u64) -> String {
    let contract = w.node.with_chain(|c| c.token.contract);
    send(
        w,
        k,
        ContractKind::TriggerSmart(TriggerSmartContract {
            owner: addr(k),
            contract,
            call_value: Sun::ZERO,
            data: abi::encode_transfer(&to, U256::from(units)),
        }),
        100_000_000,
    )
}

/// Mines the pending transactions into a block and makes it solid.
fn settle_chain(w: &World) {
    w.node.mine(1);
    w.node.mine(3);
}

fn listed(w: &World) -> Vec<Value> {
    w.ok(&[
        "transfers",
        "list",
        "--since",
        "2000-01-01",
        "--format",
        "json",
    ])
    .as_array()
    .unwrap()
    .clone()
}

fn time_at_head(w: &World) -> String {
    let ms = w.node.with_chain(|c| c.head().timestamp);
    coldpay_broadcaster::monitor::transfers::rfc3339(ms)
}

#[test]
fn watch_records_once_alarms_and_reconciles() {
    let w = World::new(1000, 1000);
    let me = addr(&w.treasury);
    let (a, b, c) = (key(21), key(22), key(23));
    fund(&w, addr(&a), 50_000_000, 0);
    fund(&w, addr(&b), 200_000_000, 20_000_000);
    fund(&w, addr(&c), 200_000_000, 0);
    w.node.mine(3);
    let start = time_at_head(&w);
    // The cursor starts at block 0; the first balance snapshot is the period's opening.
    w.ok(&["watch", "--from-block", "1"]);

    // In: TRX from a, USDT from b; c's USDT call reverts (c holds none): not counted.
    let t_in = trx(&w, &a, me, 5_000_000);
    let u_in = usdt(&w, &b, me, 7_500_000);
    let reverted = usdt(&w, &c, me, 1_000_000);
    settle_chain(&w);

    // Out: two coldpay payouts (TRX and USDT).
    w.import(
        "b1",
        &[
            ("p1".into(), recipient(1), "3", "trx"),
            ("p2".into(), recipient(2), "2.25", "usdt"),
        ],
    );
    let req = w.build("b1", &[]);
    let resp = w.sign(&req, &w.treasury);
    w.ok(&["submit", resp.to_str().unwrap()]);
    assert_eq!(w.settle()["confirmed"], 2);

    // More incoming transfers while `watch --follow` is killed at random points.
    w.node.set_faults(coldpay_devnode::Faults {
        latency_ms: 15,
        ..Default::default()
    });
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        | 1;
    let mut expected_in = vec![t_in.clone(), u_in.clone()];
    for i in 0..5u64 {
        expected_in.push(trx(&w, &a, me, 1_000_000 + i));
        settle_chain(&w);
        let mut child = w
            .cmd(&["watch", "--follow", "--poll", "50ms"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        std::thread::sleep(std::time::Duration::from_millis(u64::from(seed % 300)));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    w.node.set_faults(coldpay_devnode::Faults::default());
    let once = w.run(&["watch", "--once"]);
    assert!(
        once.status.success(),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );

    let rows = listed(&w);
    let ins: Vec<&Value> = rows.iter().filter(|r| r["direction"] == "in").collect();
    let mut got: Vec<String> = ins
        .iter()
        .map(|r| r["txid"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want = expected_in.clone();
    want.sort();
    assert_eq!(got, want, "each incoming transfer exactly once");
    assert!(
        rows.iter().all(|r| r["txid"] != reverted.as_str()),
        "a reverted call is not a transfer"
    );
    let usdt_row = ins.iter().find(|r| r["txid"] == u_in.as_str()).unwrap();
    assert_eq!(
        (usdt_row["amount"].as_str(), usdt_row["symbol"].as_str()),
        (Some("7.5"), Some("USDT"))
    );
    assert_eq!(usdt_row["counterparty"], addr(&b).to_base58());
    let outs: Vec<&Value> = rows.iter().filter(|r| r["direction"] == "out").collect();
    assert_eq!(outs.len(), 2, "{outs:?}");
    assert!(outs
        .iter()
        .all(|r| !r["payout_id"].is_null() && r["alarm"] == false));
    assert!(outs.iter().all(|r| r["fee_sun"].as_u64().unwrap() > 0));

    // Period 1 balances to the base unit.
    let later = coldpay_broadcaster::monitor::transfers::rfc3339(
        w.node.with_chain(|c| c.head().timestamp) + 60_000,
    );
    let o = w.run(&[
        "reconcile",
        "--from",
        &start,
        "--to",
        &later,
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        o.status.success(),
        "{r:#}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(r["discrepancies"].as_array().unwrap().len(), 0);
    let lines = r["balances"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["difference"] == "0"), "{lines:?}");
    let usdt_line = lines.iter().find(|l| l["symbol"] == "USDT").unwrap();
    assert_eq!(usdt_line["incoming"], "7500000");
    assert_eq!(usdt_line["outgoing"], "2250000");
    assert_eq!(r["payouts"].as_array().unwrap().len(), 2);
    assert!(r["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["trx_burned_sun"].as_u64().unwrap() > 0));

    // Period 2: a transfer made outside coldpay with the treasury key, and TRX that vanishes
    // without a transaction the journal knows.
    w.node.mine_after(1, 7_200_000);
    let period2 = time_at_head(&w);
    let thief = recipient(9);
    let stolen = trx(&w, &w.treasury, thief, 4_000_000);
    settle_chain(&w);
    let hook_log = w.path("hook.log");
    let hook = format!("cat >> {}", hook_log.display());
    let o = w.run(&["watch", "--once", "--on-alarm", &hook]);
    assert_eq!(
        o.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ALARM") && err.contains(&stolen), "{err}");
    // The alarm stays open: every later pass exits 7 until it is acknowledged, and the hook
    // is not called again.
    let o = w.run(&["watch", "--once", "--on-alarm", &hook]);
    assert_eq!(o.status.code(), Some(7), "an open alarm keeps exit 7");
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 open alarm(s)"));
    let calls = std::fs::read_to_string(&hook_log).unwrap();
    assert_eq!(calls.lines().count(), 1, "hook called once: {calls}");
    let open = w.ok(&["alarms", "list"]);
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["txid"], stolen.as_str());
    let id = open[0]["id"].as_i64().unwrap().to_string();
    let o = w.run(&["alarms", "ack", &id, "--note", ""]);
    assert_eq!(o.status.code(), Some(2), "an empty note is refused");
    let o = w.run(&["alarms", "ack", "999", "--note", "x"]);
    assert_eq!(o.status.code(), Some(2), "an unknown alarm is refused");
    let acked = w.ok(&[
        "alarms",
        "ack",
        &id,
        "--note",
        "test transfer by the treasurer",
    ]);
    assert_eq!(acked["open"], 0);
    assert_eq!(
        acked["acknowledged"]["ack_note"],
        "test transfer by the treasurer"
    );
    assert!(acked["acknowledged"]["acked_at"].as_i64().unwrap() > 0);
    let o = w.run(&["alarms", "ack", &id, "--note", "again"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an acknowledgement is never changed"
    );
    assert!(w.ok(&["alarms", "list"]).as_array().unwrap().is_empty());
    assert_eq!(
        w.ok(&["alarms", "list", "--all"]).as_array().unwrap().len(),
        1
    );
    let o = w.run(&["watch", "--once", "--on-alarm", &hook]);
    assert!(
        o.status.success(),
        "acknowledged: the alarm no longer fails the pass"
    );
    let calls = std::fs::read_to_string(&hook_log).unwrap();
    assert_eq!(calls.lines().count(), 1, "hook called once: {calls}");
    let got: Value = serde_json::from_str(calls.trim()).unwrap();
    assert_eq!(
        (
            got["txid"].as_str(),
            got["amount"].as_str(),
            got["alarm"].as_bool()
        ),
        (Some(stolen.as_str()), Some("4"), Some(true))
    );

    w.node
        .with_chain(|c| c.accounts.get_mut(&me).unwrap().balance -= 1_234);
    w.node.mine(1);
    let later = coldpay_broadcaster::monitor::transfers::rfc3339(
        w.node.with_chain(|c| c.head().timestamp) + 60_000,
    );
    let o = w.run(&[
        "reconcile",
        "--from",
        &period2,
        "--to",
        &later,
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = r["discrepancies"].as_array().unwrap();
    assert!(
        d.iter()
            .any(|x| x["kind"] == "unknown_outgoing" && x["txid"] == stolen.as_str()),
        "{d:?}"
    );
    let bal = d
        .iter()
        .find(|x| x["kind"] == "balance")
        .expect("balance discrepancy");
    assert!(
        bal["detail"]
            .as_str()
            .unwrap()
            .contains("0.001234 TRX less"),
        "{bal}"
    );
    assert!(
        bal["detail"]
            .as_str()
            .unwrap()
            .contains("(1234 base units)"),
        "{bal}"
    );
    let csv = w.run(&[
        "reconcile",
        "--from",
        &period2,
        "--to",
        &later,
        "--format",
        "csv",
    ]);
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(csv.starts_with("kind,account,symbol,block"), "{csv}");
    assert!(csv.contains("discrepancy:balance"), "{csv}");
}

#[test]
fn submit_refuses_an_audit_log_that_went_backwards() {
    use coldpay_shared::AuditHead;
    let w = World::new(1000, 1000);
    let head = |seq: u64, h: char| AuditHead {
        log: "1".repeat(64),
        seq,
        hash: h.to_string().repeat(64),
    };
    let mut resp = Vec::new();
    for (i, (seq, h)) in [(4, 'a'), (2, 'b')].into_iter().enumerate() {
        let id = format!("q{i}");
        w.import(&id, &[(id.clone(), recipient(i as u64 + 1), "1", "trx")]);
        let req = w.build(&id, &[]);
        let p = w.sign(&req, &w.treasury);
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        v["audit_head"] = serde_json::to_value(head(seq, h)).unwrap();
        std::fs::write(&p, v.to_string()).unwrap();
        resp.push(p);
    }
    w.ok(&["submit", resp[0].to_str().unwrap()]);
    // The very same response again is harmless.
    w.ok(&["submit", resp[0].to_str().unwrap()]);
    let o = w.run(&["submit", resp[1].to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(8));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("signer audit log went backwards: seq 2 after 4 — the signer's audit log may have been truncated"),
        "{e}"
    );
    let st = w.ok(&["status", "--batch", "q1"]);
    assert_eq!(
        st["counts"]["awaiting_signature"], 1,
        "nothing of it was recorded: {st}"
    );
}

/// Audit lines as the signer writes them (keys sorted, hash over the rest): one signing per
/// txID given.
fn audit_lines(txids: &[String]) -> Vec<String> {
    use serde_json::{json, Map};
    let mut prev = "0".repeat(64);
    let mut out = Vec::new();
    for (i, t) in txids.iter().enumerate() {
        let mut o = Map::new();
        o.insert("event".into(), json!("sign"));
        o.insert("prev".into(), json!(prev));
        o.insert("request_id".into(), json!(format!("r{i}")));
        o.insert("seq".into(), json!(i + 1));
        o.insert("time".into(), json!(1));
        o.insert("transactions".into(), json!([{ "txid": t }]));
        o.insert("verdict".into(), json!("signed"));
        let h =
            coldpay_shared::TxId::of_raw(&serde_json::to_vec(&Value::Object(o.clone())).unwrap())
                .to_hex();
        o.insert("hash".into(), json!(h));
        prev = h;
        out.push(serde_json::to_string(&Value::Object(o)).unwrap());
    }
    out
}

#[test]
fn reconcile_accounts_for_every_txid_the_signer_signed() {
    use coldpay_shared::audit_export::AuditExport;
    let w = World::new(1000, 1000);
    w.ok(&["watch", "--from-block", "1"]);
    w.import("a1", &[("a1".into(), recipient(1), "1", "trx")]);
    let req = w.build("a1", &[]);
    let txid = first_txid(&req);
    // Line 1 signs the payout; line 2 signs a transaction this journal never built.
    let lines = audit_lines(&[txid.clone(), "ee".repeat(32)]);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let log = serde_json::from_str::<Value>(&lines[0]).unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let export = AuditExport::build(&log, &refs).unwrap();
    let resp = w.sign(&req, &w.treasury);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&resp).unwrap()).unwrap();
    v["audit_head"] = serde_json::to_value(export.lines[0].head(&log)).unwrap();
    std::fs::write(&resp, v.to_string()).unwrap();
    w.ok(&["submit", resp.to_str().unwrap()]);
    assert_eq!(w.settle()["confirmed"], 1);
    let file = w.path("audit.json");
    std::fs::write(&file, export.to_json_pretty()).unwrap();
    let later = coldpay_broadcaster::monitor::transfers::rfc3339(
        w.node.with_chain(|c| c.head().timestamp) + 60_000,
    );
    let o = w.run(&[
        "reconcile",
        "--from",
        "2000-01-01",
        "--to",
        &later,
        "--format",
        "json",
        "--audit",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let signed = r["audit"]["signed"].as_array().unwrap();
    assert_eq!(signed.len(), 2);
    assert_eq!(
        (signed[0]["txid"].as_str(), signed[0]["status"].as_str()),
        (Some(txid.as_str()), Some("confirmed"))
    );
    assert_eq!(signed[1]["status"], "unknown to this journal");
    assert_eq!(r["audit"]["heads_checked"], 1);
    let kinds: Vec<&str> = r["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["signed_unknown"], "{r:#}");
    // A broken export is refused by name.
    std::fs::write(&file, "{}").unwrap();
    let o = w.run(&[
        "reconcile",
        "--from",
        "2000-01-01",
        "--to",
        &later,
        "--audit",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("audit export"));
}

/// The txID of a sign request's first transaction.
fn first_txid(req: &std::path::Path) -> String {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(req).unwrap()).unwrap();
    coldpay_shared::SignRequest::from_json(&v)
        .unwrap()
        .transactions[0]
        .txid
        .to_hex()
}

#[test]
fn watch_follow_lets_other_writers_run_between_passes() {
    let w = World::new(1000, 1000);
    w.node.mine(3);
    w.ok(&["watch", "--from-block", "1"]);
    let mut child = w
        .cmd(&["watch", "--follow", "--poll", "30s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the follower has taken the writer lock (it writes its pid into the lock file).
    let lock = w.path("journal.sqlite.lock");
    let pid = child.id().to_string();
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.starts_with(&format!("{pid} "))) {
        assert!(
            started.elapsed().as_secs() < 20,
            "watch never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Once its first pass is done the follower sleeps without the lock: a writer that refuses
    // to wait (exit 4 when locked) gets through.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut imported = false;
    while std::time::Instant::now() < deadline {
        let csv = w.csv("b1.csv", &[("p1".into(), recipient(1), "1", "trx")]);
        let from = addr(&w.treasury).to_base58();
        let out = w.run(&[
            "--no-wait",
            "batch",
            "import",
            csv.to_str().unwrap(),
            "--from",
            &from,
            "--batch-id",
            "b1",
        ]);
        if out.status.success() {
            imported = true;
            break;
        }
        assert_eq!(
            out.status.code(),
            Some(4),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(still_running, "watch --follow ended early");
    assert!(imported, "a writer could not run beside watch --follow");
}

#[test]
fn reconcile_states_the_range_it_covers_and_lists_payouts_before_it() {
    let w = World::new(1000, 1000);
    w.node.mine(3);
    let from = time_at_head(&w);
    // A payout settles before `watch` ever ran: no balance snapshot covers it.
    w.import("early", &[("e1".into(), recipient(1), "1.5", "usdt")]);
    let req = w.build("early", &[]);
    let resp = w.sign(&req, &w.treasury);
    w.ok(&["submit", resp.to_str().unwrap()]);
    assert_eq!(w.settle()["confirmed"], 1);
    w.node.mine(3);
    w.ok(&["watch", "--once"]);
    let to = coldpay_broadcaster::monitor::transfers::rfc3339(
        w.node.with_chain(|c| c.head().timestamp) + 60_000,
    );
    let args = ["reconcile", "--from", &from, "--to", &to];
    let o = w.run(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(
        o.status.code(),
        Some(9),
        "a statement that covers less is not silent: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["discrepancies"].as_array().unwrap().is_empty(), "{r:#}");
    let c = &r["coverage"][0];
    let first = c["first_block"].as_u64().unwrap();
    assert_eq!(c["period_open"], true, "{c}");
    let outside = c["outside"].as_array().unwrap();
    assert_eq!(outside.len(), 1, "{c}");
    assert_eq!(
        (
            outside[0]["payout_id"].as_str(),
            outside[0]["side"].as_str(),
            outside[0]["amount"].as_str(),
            outside[0]["symbol"].as_str()
        ),
        (Some("e1"), Some("before"), Some("1.5"), Some("USDT"))
    );
    assert!(outside[0]["block"].as_u64().unwrap() <= first);
    let warn = c["warnings"][0].as_str().unwrap();
    assert!(
        warn.contains("watch first ran at") && warn.contains("1 payout(s) made before"),
        "{warn}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("WARNING: statement of"));
    // Text and CSV say the same.
    let text = w
        .cmd(&[&args[..], &["--format", "text"]].concat())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("covers blocks {first}.."))
            && text.contains("WARNING: statement of"),
        "{text}"
    );
    assert!(
        text.contains("payout e1 1.5 USDT (1500000 base units)"),
        "{text}"
    );
    let csv = w.run(&[&args[..], &["--format", "csv"]].concat());
    let csv = String::from_utf8_lossy(&csv.stdout);
    let kinds: Vec<&str> = csv.lines().map(|l| l.split(',').next().unwrap()).collect();
    for k in [
        "covered_from",
        "covered_to",
        "warning",
        "payout_outside",
        "opening",
    ] {
        assert!(kinds.contains(&k), "{k}: {csv}");
    }
    let row = csv
        .lines()
        .find(|l| l.starts_with("payout_outside,"))
        .unwrap();
    assert!(row.contains(",1500000,") && row.ends_with(",1.5"), "{row}");
}
