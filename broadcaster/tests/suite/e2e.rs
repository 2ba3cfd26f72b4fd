//! coldpay-broadcaster driven as users do, against coldpay-devnode over loopback HTTP.

#![allow(clippy::unused_self, clippy::format_push_string)]

use crate::common;

use std::process::Command;

use coldpay_devnode::Faults;
use coldpay_shared::{Address, Network, SignRequest};
use common::{addr, key, recipient, World};
use serde_json::{json, Value};

#[test]
fn one_payout_end_to_end() {
    let w = World::new(1000, 1000);
    let to = recipient(1);
    w.ok(&[
        "pay",
        "--from",
        &addr(&w.treasury).to_base58(),
        "--to",
        &to.to_base58(),
        "--amount",
        "12.5",
        "--payout-id",
        "inv-1",
    ]);
    let req = w.build("inv-1", &[]);
    let rv: Value = serde_json::from_str(&std::fs::read_to_string(&req).unwrap()).unwrap();
    let r = SignRequest::from_json(&rv).unwrap();
    assert_eq!(r.network, Network::Local);
    let t = &r.transactions[0];
    let intent = t.raw.intent().unwrap();
    assert_eq!(intent.to(), to);
    assert_eq!(intent.amount().to_string(), "12500000");
    t.check_hints(&intent).unwrap();
    let fee = t.fee.unwrap();
    assert_eq!(fee.energy_estimate, 130_285);
    assert_eq!(fee.recipient_holds_token, Some(false));
    assert_eq!(
        t.raw.fee_limit,
        130_285 * 100 * 120 / 100,
        "estimate x price x 1.2"
    );
    // Expiration: 6 h after the solidified reference block.
    let solid = w.node.with_chain(|c| c.solid().timestamp);
    assert_eq!(t.raw.expiration, solid + 6 * 3_600_000);
    let resp = w.sign(&req, &w.treasury);
    let s = w.ok(&["submit", resp.to_str().unwrap()]);
    assert_eq!(s["accepted"], 1);
    let tr = w.settle();
    assert_eq!(tr["confirmed"], 1, "{tr}");
    let rep = w.report("inv-1");
    assert_eq!(rep[0]["status"], "confirmed");
    assert_eq!(rep[0]["txid"], t.txid.to_hex());
    assert_eq!(rep[0]["energy_used"], 130_285);
    let paid = w.paid();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0]["to"], to.to_base58());
    assert_eq!(paid[0]["amount"], "12500000");
    // CSV report and status.
    let csv = w.run(&["report", "--batch", "inv-1", "--format", "csv"]);
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text
        .starts_with("payout_id,to,token,amount,txid,block,energy_used,trx_burned,status,reason"));
    assert!(text.contains("inv-1") && text.contains("confirmed"));
    let st = w.ok(&["status"]);
    assert_eq!(st["counts"]["confirmed"], 1);
    // balance shows the token and TRX.
    let b = w.ok(&["balance", &to.to_base58()]);
    assert_eq!(b["usdt"], "12.5");
    // Building again has nothing to do; paying the same id again is refused.
    assert_eq!(w.ok(&["build", "--batch", "inv-1"])["transactions"], 0);
    let again = w.run(&[
        "pay",
        "--from",
        &addr(&w.treasury).to_base58(),
        "--to",
        &to.to_base58(),
        "--amount",
        "1",
        "--payout-id",
        "inv-1",
    ]);
    assert_eq!(again.status.code(), Some(2));
    // watch records the payout leaving the treasury, as this payout (the account given as
    // `balance` takes it, positionally).
    let o = w.run(&["watch", &addr(&w.treasury).to_base58(), "--from-block", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["txid"], t.txid.to_hex());
    assert_eq!(line["payout_id"], "inv-1");
    assert_eq!(
        (line["amount"].as_str(), line["symbol"].as_str()),
        (Some("12.5"), Some("USDT"))
    );
    // Only imported watch-only accounts are watched.
    let o = w.run(&["watch", "--address", &to.to_base58()]);
    assert_eq!(o.status.code(), Some(2));
    let o = w.run(&["watch", &to.to_base58()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn batch_of_200_is_paid_exactly_once() {
    let w = World::new(10_000, 100_000);
    let rows: Vec<(String, Address, &str, &str)> = (0..200)
        .map(|i| {
            (
                format!("b200-{i:03}"),
                recipient(i),
                "1.25",
                if i % 10 == 9 { "trx" } else { "usdt" },
            )
        })
        .collect();
    w.import("b200", &rows);
    let req = w.build("b200", &[]);
    let resp = w.sign(&req, &w.treasury);
    assert_eq!(w.ok(&["submit", resp.to_str().unwrap()])["accepted"], 200);
    // Re-submitting the same response has no double effect.
    let again = w.ok(&["submit", resp.to_str().unwrap()]);
    assert_eq!(
        again["accepted"].as_u64().unwrap() + again["skipped"].as_u64().unwrap(),
        200
    );
    w.node.mine(2);
    // Follow with blocks arriving in the background.
    let url = w.node.url();
    let miner = std::thread::spawn(move || {
        let agent = ureq::agent();
        for _ in 0..20 {
            std::thread::sleep(std::time::Duration::from_millis(30));
            let _ = agent
                .post(&format!("{url}/admin/mine"))
                .send_json(json!({"blocks": 1}));
        }
    });
    let tr = w.ok(&["track", "--follow", "--poll", "50ms", "--timeout", "30s"]);
    miner.join().unwrap();
    assert_eq!(tr["confirmed"], 200, "{tr}");
    let rep = w.report("b200");
    assert!(rep.iter().all(|r| r["status"] == "confirmed"));
    let paid = w.paid();
    assert_eq!(paid.len(), 200);
    let mut tos: Vec<&str> = paid.iter().map(|p| p["to"].as_str().unwrap()).collect();
    tos.sort_unstable();
    tos.dedup();
    assert_eq!(tos.len(), 200, "each recipient exactly once");
}

#[test]
fn csv_import_is_all_or_nothing_with_line_numbers() {
    let w = World::new(100, 100);
    let p = w.path("bad.csv");
    let me = addr(&w.treasury).to_base58();
    std::fs::write(
        &p,
        format!("payout_id,to,amount,token\nok-1,{},1,usdt\nbad-addr,TR7NHqjeKQxGTCi8q8ZY4pL8ot5mjuP3Lh,1,usdt\nbad-amt,{},1.0000001,usdt\nok-1,{},2,usdt\nself,{me},1,trx\nzero,{},0,trx\n", recipient(1), recipient(2), recipient(3), recipient(4)),
    )
    .unwrap();
    let o = w.run(&["batch", "import", p.to_str().unwrap(), "--from", &me]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    for needle in [
        "line 3: bad recipient",
        "line 4: bad amount",
        "line 5: duplicate payout_id",
        "line 6: recipient",
        "line 7: amount must be greater than zero",
        "nothing imported",
    ] {
        assert!(e.contains(needle), "{needle}: {e}");
    }
    assert_eq!(w.ok(&["status"])["payouts"], 0);
    // An unknown sender is refused.
    let o = w.run(&[
        "batch",
        "import",
        p.to_str().unwrap(),
        "--from",
        &recipient(9).to_base58(),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a known account"));
}

#[test]
fn failure_paths_are_reported() {
    let w = World::new(1000, 10);
    // Two batches each fit the 10 USDT alone; together they do not: the second reverts.
    w.import("a", &[("a-1".into(), recipient(1), "8", "usdt")]);
    w.import("b", &[("b-1".into(), recipient(2), "8", "usdt")]);
    let ra = w.sign(&w.build("a", &[]), &w.treasury);
    let rb = w.sign(&w.build("b", &[]), &w.treasury);
    w.ok(&["submit", ra.to_str().unwrap()]);
    w.ok(&["submit", rb.to_str().unwrap()]);
    let tr = w.settle();
    assert_eq!(tr["confirmed"], 1);
    assert_eq!(tr["failed"], 1);
    let rep = w.report("b");
    assert_eq!(rep[0]["status"], "failed");
    assert!(
        rep[0]["reason"].as_str().unwrap().starts_with("REVERT"),
        "{rep:?}"
    );
    // A --max-fee below the estimate is refused by name (it used to cut the fee limit and the
    // transfer failed on chain with OUT_OF_ENERGY, burning TRX): nothing is built.
    w.import("c", &[("c-1".into(), recipient(0), "1", "usdt")]);
    let o = w.run(&["build", "--batch", "c", "--max-fee", "1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("payout c-1: estimated energy costs 6.4285 TRX but --max-fee is 1 TRX"),
        "{err}"
    );
    let req = w.build("c", &[]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(req).unwrap()).unwrap();
    assert_eq!(v["transactions"].as_array().unwrap().len(), 1);
    // Insufficient funds are caught at build time and name what is missing.
    w.import("d", &[("d-1".into(), recipient(3), "500", "usdt")]);
    let o = w.run(&["build", "--batch", "d"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("missing"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn bad_signature_is_refused_before_broadcast() {
    let w = World::new(1000, 1000);
    w.import("s", &[("s-1".into(), recipient(1), "1", "usdt")]);
    let req = w.build("s", &[]);
    let resp = w.sign(&req, &key(99));
    let o = w.run(&["submit", resp.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("nothing was broadcast"), "{e}");
    assert!(w.node.stats()["requests"]
        .get("/wallet/broadcasthex")
        .is_none());
    // A response naming a txid this broadcaster never built is refused too.
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(w.sign(&req, &w.treasury)).unwrap()).unwrap();
    v["transactions"][0]["txid"] = json!("11".repeat(32));
    let p = w.path("forged.json");
    std::fs::write(&p, v.to_string()).unwrap();
    assert_eq!(
        w.run(&["submit", p.to_str().unwrap()]).status.code(),
        Some(2)
    );
}

#[test]
fn dropped_transaction_expires_and_is_rebuilt() {
    let w = World::new(1000, 1000);
    w.import("x", &[("x-1".into(), recipient(1), "3", "usdt")]);
    let r1 = w.sign(&w.build("x", &["--expires-in", "1h"]), &w.treasury);
    w.node.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(w.ok(&["submit", r1.to_str().unwrap()])["accepted"], 1);
    w.node.set_faults(Faults::default());
    w.settle();
    // Still live: nothing to rebuild while it might land.
    assert_eq!(w.ok(&["build", "--batch", "x"])["transactions"], 0);
    // Jump past the expiration; the solidified head moves past it.
    w.node.mine_after(1, 3_700_000);
    let tr = w.settle();
    assert_eq!(tr["expired"], 1, "{tr}");
    let r2 = w.sign(&w.build("x", &[]), &w.treasury);
    w.ok(&["submit", r2.to_str().unwrap()]);
    assert_eq!(w.settle()["confirmed"], 1);
    assert_eq!(w.paid().len(), 1, "paid exactly once");
    assert_eq!(w.report("x")[0]["attempts"], 2);
}

#[test]
fn flaky_node_still_completes() {
    let w = World::new(5000, 5000);
    let rows: Vec<(String, Address, &str, &str)> = (0..20)
        .map(|i| (format!("f-{i}"), recipient(i), "2", "usdt"))
        .collect();
    w.import("f", &rows);
    w.node.set_faults(Faults {
        fail_rate: 0.3,
        rate_limit_per_s: Some(40),
        latency_ms: 5,
        ..Faults::default()
    });
    let r = w.sign(&w.build("f", &[]), &w.treasury);
    w.ok(&["submit", r.to_str().unwrap()]);
    w.node.mine(4);
    w.ok(&["track"]);
    w.node.set_faults(Faults::default());
    w.ok(&["track"]);
    assert!(w.report("f").iter().all(|r| r["status"] == "confirmed"));
    assert_eq!(w.paid().len(), 20);
}

#[test]
fn crash_safety_under_repeated_sigkill() {
    let w = World::new(10_000, 10_000);
    let rows: Vec<(String, Address, &str, &str)> = (0..100)
        .map(|i| (format!("k-{i:03}"), recipient(i), "1", "usdt"))
        .collect();
    w.import("k", &rows);
    let resp = w.sign(&w.build("k", &[]), &w.treasury);
    let url = w.node.url();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let miner = std::thread::spawn(move || {
        let agent = ureq::agent();
        while !s2.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(40));
            let _ = agent
                .post(&format!("{url}/admin/mine"))
                .send_json(json!({"blocks": 1}));
        }
    });
    // A slow node keeps each run busy long enough for the kill to land mid-run.
    w.node.set_faults(Faults {
        latency_ms: 15,
        ..Faults::default()
    });
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut kills = 0;
    for i in 0..80 {
        if kills >= 24 {
            break;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = 10 + seed % 80;
        let args: Vec<&str> = if i % 2 == 0 {
            vec!["submit", resp.to_str().unwrap()]
        } else {
            vec!["track", "--follow", "--poll", "20ms", "--timeout", "5s"]
        };
        let mut child = w
            .cmd(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let _ = child.wait();
    }
    assert!(kills >= 20, "only {kills} kills landed mid-run");
    w.node.set_faults(Faults::default());
    // Finish normally.
    w.ok(&["submit", resp.to_str().unwrap()]);
    w.ok(&["track", "--follow", "--poll", "20ms", "--timeout", "30s"]);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    miner.join().unwrap();
    let rep = w.report("k");
    assert!(rep.iter().all(|r| r["status"] == "confirmed"), "{rep:?}");
    let paid = w.paid();
    assert_eq!(paid.len(), 100, "every payout paid exactly once, none lost");
    let mut tos: Vec<&str> = paid.iter().map(|p| p["to"].as_str().unwrap()).collect();
    tos.sort_unstable();
    tos.dedup();
    assert_eq!(tos.len(), 100);
}

/// `make bench`: API calls per confirmed payout for a 1,000-payout batch (ignored in `make test`).
#[test]
#[ignore = "benchmark; run with --ignored"]
fn bench_api_calls_per_confirmed_payout_1000() {
    let w = World::new(100_000, 100_000);
    let rows: Vec<(String, Address, &str, &str)> = (0..1000)
        .map(|i| (format!("m-{i:04}"), recipient(i), "1", "usdt"))
        .collect();
    w.import("m", &rows);
    let before = w.node.stats()["total"].as_u64().unwrap();
    let resp = w.sign(&w.build("m", &[]), &w.treasury);
    w.ok(&["submit", resp.to_str().unwrap()]);
    w.node.mine(4);
    w.ok(&["track", "--follow", "--poll", "50ms", "--timeout", "60s"]);
    let calls = w.node.stats()["total"].as_u64().unwrap() - before;
    assert!(w.report("m").iter().all(|r| r["status"] == "confirmed"));
    println!(
        "{}",
        json!({"api_calls_per_confirmed_payout_1000": calls as f64 / 1000.0, "api_calls": calls})
    );
}

#[test]
fn api_key_header_and_documented_csv_example() {
    let w = World::new(1000, 1000);
    w.node.set_faults(Faults {
        require_api_key: Some("s3cret".into()),
        ..Faults::default()
    });
    let addr_s = addr(&w.treasury).to_base58();
    let denied = w.run(&["balance", &addr_s]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("HTTP 401"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    let ok = w
        .cmd(&["balance", &addr_s])
        .env("TRON_PRO_API_KEY", "s3cret")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    w.node.set_faults(Faults::default());
    // The CSV example in docs/formats.md imports as documented.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/formats.md"))
        .unwrap();
    let start = doc.find("```csv\n").unwrap() + 7;
    let csv = &doc[start..start + doc[start..].find("```").unwrap()];
    let p = w.path("doc.csv");
    std::fs::write(&p, csv).unwrap();
    let v = w.ok(&[
        "batch",
        "import",
        p.to_str().unwrap(),
        "--from",
        &addr_s,
        "--batch-id",
        "doc",
    ]);
    assert_eq!(v["payouts"], 2);
    let rep = w.report("doc");
    assert_eq!(rep[0]["amount"], "125.5");
    assert_eq!(rep[1]["token"], "TRX");
}

#[test]
fn config_file_supplies_network_nodes_and_db() {
    let w = World::new(100, 100);
    let cfg = w.path("coldpay.toml");
    std::fs::write(
        &cfg,
        format!(
            "network = \"local\"\nnodes = [\"http://127.0.0.1:9\", \"{}\"]\ndb = \"{}\"\n",
            w.node.url(),
            w.path("journal.sqlite").display()
        ),
    )
    .unwrap();
    // The first node is unreachable: the client fails over to the second.
    let out = Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--json",
            "balance",
            &addr(&w.treasury).to_base58(),
        ])
        .env("HOME", w.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["trx"], "100");
    // The journal named in the config is the one `accounts import-watch` wrote.
    let out = Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--json",
            "accounts",
            "list",
        ])
        .env("HOME", w.dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&addr(&w.treasury).to_base58()));
    // A missing explicit config file is an error.
    let out = Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"))
        .args(["--config", "/nonexistent/coldpay.toml", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_underfunded_batch_does_not_block_the_others() {
    let w = World::new(1000, 100);
    let big: Vec<(String, Address, &str, &str)> = (0..3)
        .map(|i| (format!("big-{i}"), recipient(i), "60", "usdt"))
        .collect();
    let small: Vec<(String, Address, &str, &str)> = (0..3)
        .map(|i| (format!("small-{i}"), recipient(10 + i), "5", "usdt"))
        .collect();
    let trx_big: Vec<(String, Address, &str, &str)> = (0..2)
        .map(|i| (format!("trxbig-{i}"), recipient(20 + i), "600", "trx"))
        .collect();
    w.import("big", &big);
    w.import("small", &small);
    w.import("trxbig", &trx_big);
    let out = w.path("all.json");
    let o = w.run(&["build", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("batch big") && err.contains("missing 80 USDT"),
        "{err}"
    );
    assert!(
        err.contains("batch trxbig") && err.contains("TRX (missing "),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["new"], 3);
    let req: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let ids: Vec<&str> = req["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["payout_id"].as_str().unwrap())
        .collect();
    assert!(ids.iter().all(|i| i.starts_with("small-")), "{ids:?}");
    assert!(w.report("big").iter().all(|r| r["status"] == "imported"));
    // Only the underfunded batch: an error naming what is missing, exit 2.
    let o = w.run(&["build", "--batch", "big"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("insufficient funds"));
}

/// What an older coldpay left behind: an attempt marked `expired` on a "not found" answer while
/// it was in fact on chain (the bug that paid payouts twice).
fn wrongly_expired(w: &World, evidence: Option<&str>) -> String {
    w.import("old", &[("old-1".into(), recipient(1), "3", "usdt")]);
    let r = w.sign(&w.build("old", &[]), &w.treasury);
    w.ok(&["submit", r.to_str().unwrap()]);
    w.node.mine(4);
    let j = w.journal();
    j.conn
        .execute(
            "UPDATE attempts SET state = 'expired', evidence = ?1, reason = 'expired'",
            [evidence],
        )
        .unwrap();
    let a: i64 = j
        .conn
        .query_row("SELECT ref_block_num FROM attempts", [], |r| r.get(0))
        .unwrap();
    (a + 1).to_string()
}

#[test]
fn an_expiry_without_evidence_blocks_the_rebuild_until_a_rescan_finds_the_payment() {
    let w = World::new(1000, 1000);
    let from = wrongly_expired(&w, None);
    let o = w.run(&["build", "--batch", "old"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("track --rescan {from}")), "{err}");
    let o = w.run(&["track", "--rescan", &from]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("WARNING: payout old-1"));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["found_after_expiry"], serde_json::json!(["old-1"]));
    assert_eq!(w.report("old")[0]["status"], "confirmed");
    assert_eq!(w.ok(&["build", "--batch", "old"])["transactions"], 0);
    assert_eq!(w.paid().len(), 1, "paid exactly once");
}

#[test]
fn build_settles_a_payout_found_on_chain_instead_of_rebuilding_it() {
    let w = World::new(1000, 1000);
    // Even with (false) evidence, the txID is looked up again before a new attempt.
    wrongly_expired(&w, Some(r#"{"verified":true,"text":"forged"}"#));
    let o = w.run(&["build", "--batch", "old"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("settled from it, not rebuilt"));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["transactions"], 0);
    assert_eq!(w.report("old")[0]["status"], "confirmed");
    assert_eq!(w.paid().len(), 1);
}

/// Adds `audit_head` (log `log`, sequence `seq`) to a response file.
fn with_head(path: &std::path::Path, log: char, seq: u64) {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["audit_head"] = json!({
        "log": log.to_string().repeat(64),
        "seq": seq,
        "hash": format!("{seq:064x}"),
    });
    std::fs::write(path, v.to_string()).unwrap();
}

#[test]
fn audit_heads_cannot_be_dropped_or_restarted_silently() {
    let w = World::new(1_000, 1_000);
    let round = |batch: &str, n: u64| {
        w.import(
            batch,
            &[(format!("{batch}-1"), recipient(70 + n), "1", "trx")],
        );
        let req = w.build(batch, &[]);
        w.sign(&req, &w.treasury)
    };
    let first = round("h1", 0);
    with_head(&first, 'a', 5);
    w.ok(&["submit", first.to_str().unwrap()]);
    // The same key without a head: refused, nothing broadcast.
    let dropped = round("h2", 1);
    let o = w.run(&["submit", dropped.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(8), "{err}");
    assert!(err.contains("carries no audit_head"), "{err}");
    assert_eq!(w.report("h2")[0]["status"], "awaiting_signature");
    // A wiped home: a new log at sequence 1. Refused naming both logs.
    with_head(&dropped, 'b', 1);
    let o = w.run(&["submit", dropped.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(8), "{err}");
    assert!(
        err.contains(&"a".repeat(64)) && err.contains(&"b".repeat(64)),
        "{err}"
    );
    assert!(err.contains("--accept-new-audit-log"), "{err}");
    // The documented override for a deliberately new home, journaled.
    let me = addr(&w.treasury).to_base58();
    let s = w.ok(&[
        "submit",
        dropped.to_str().unwrap(),
        "--accept-new-audit-log",
        &me,
    ]);
    assert_eq!(s["accepted"], 1, "{s}");
    let n: i64 = w
        .journal()
        .conn
        .query_row(
            "SELECT COUNT(*) FROM audit_log_overrides WHERE signer = ?1",
            [&me],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    // The new log goes on; the old one is still known (its sequence keeps going forward).
    let next = round("h3", 2);
    with_head(&next, 'b', 2);
    w.ok(&["submit", next.to_str().unwrap()]);
}

#[test]
fn sweep_moves_every_balance_to_a_fresh_wallet_tokens_first() {
    let w = World::new(1000, 1000);
    let old = addr(&w.treasury).to_base58();
    let fresh = recipient(9).to_base58();
    let sweep = ["sweep", "--from", old.as_str(), "--to", fresh.as_str()];
    // An unsettled payout of the account would race the sweep: refused, naming it.
    w.ok(&[
        "pay",
        "--from",
        &old,
        "--to",
        &fresh,
        "--amount",
        "1",
        "--payout-id",
        "p-open",
    ]);
    let o = w.run(&sweep);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("1 payout(s) not settled yet: p-open (not built)"),
        "{err}"
    );
    w.ok(&["batch", "cancel", "p-open"]);
    // Stage 1: every token balance, TRX kept for the fees.
    let s = w.ok(&sweep);
    assert_eq!(s["stage"], "tokens", "{s}");
    assert_eq!(s["payouts"][0], "1000 USDT (1000000000 base units)", "{s}");
    let batch = s["batch"].as_str().unwrap().to_string();
    let req = w.build(&batch, &[]);
    let resp = w.sign(&req, &w.treasury);
    assert_eq!(w.ok(&["submit", resp.to_str().unwrap()])["accepted"], 1);
    assert_eq!(w.settle()["confirmed"], 1);
    // Stage 2: the TRX less the stated reserve.
    let s = w.ok(&sweep);
    assert_eq!(s["stage"], "trx", "{s}");
    let reserve = s["reserve_sun"].as_u64().unwrap();
    assert!(reserve > 0, "{s}");
    let batch = s["batch"].as_str().unwrap().to_string();
    let before = w.ok(&["balance", &old])["trx_sun"].as_u64().unwrap();
    let req = w.build(&batch, &[]);
    let resp = w.sign(&req, &w.treasury);
    let o = w.run(&["submit", resp.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "{} {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(w.settle()["confirmed"], 1);
    let b = w.ok(&["balance", &old]);
    assert_eq!(b["usdt_base_units"], "0", "{b}");
    let dust = b["trx_sun"].as_u64().unwrap();
    assert!(dust <= reserve, "{dust} left, reserve {reserve}");
    let nb = w.ok(&["balance", &fresh]);
    assert_eq!(nb["usdt"], "1000", "{nb}");
    assert_eq!(nb["trx_sun"].as_u64().unwrap(), before - reserve, "{nb}");
    // Nothing left: the sweep says so and records nothing.
    let s = w.ok(&sweep);
    assert_eq!(s["stage"], "done", "{s}");
    assert!(s["batch"].is_null(), "{s}");
    // The TRX payout does not go to the old account itself.
    let o = w.run(&["sweep", "--from", &old, "--to", &old]);
    assert_eq!(o.status.code(), Some(2));
}

/// The human screens of a realistic batch (30 payouts, long ids, two tokens, a permission) fit
/// 100 columns: build summary, batch show, status.
#[test]
fn main_screens_fit_100_columns() {
    let w = World::new(1_000_000, 1_000_000);
    let rows: Vec<(String, Address, &str, &str)> = (0..30u64)
        .map(|i| {
            (
                format!("invoice-2026-12-{i:04}-supplier"),
                recipient(i + 1),
                if i % 2 == 0 { "12345.678901" } else { "250.5" },
                if i % 5 == 0 { "trx" } else { "usdt" },
            )
        })
        .collect();
    w.import("payroll-december-2026", &rows);
    let text = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"))
            .arg("--db")
            .arg(w.path("journal.sqlite"))
            .args(["--node", &w.url(), "--network", "local"])
            .args(args)
            .env("HOME", w.dir.path())
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "{args:?}: {all}");
        all
    };
    let out = w.path("wide-request.json");
    let screens = [
        text(&[
            "build",
            "--batch",
            "payroll-december-2026",
            "-o",
            out.to_str().unwrap(),
        ]),
        text(&["batch", "show", "payroll-december-2026"]),
        text(&["status"]),
    ];
    assert!(
        screens[0].contains("permission         the account's own key"),
        "{}",
        screens[0]
    );
    for s in &screens {
        for line in s.lines() {
            assert!(
                line.chars().count() <= 100,
                "{} columns: {line}",
                line.chars().count()
            );
        }
    }
}
