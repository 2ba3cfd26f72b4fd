//! The broadcaster against a node pool that misbehaves like a load-balanced TronGrid: lagging
//! members, `{}`/`[]` answers, blocks without their transactions, garbage and error bodies,
//! swallowed broadcasts, forked reference blocks, a stalled solid head. In every case, after the
//! faults stop and expired payouts are rebuilt and re-signed, the dev node's own ledger shows
//! every payout paid exactly once and the journal agrees with it.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use coldpay_devnode::pool::PoolFaults;
use coldpay_shared::Address;
use common::{addr, recipient, World};
use serde_json::Value;

const N: u64 = 24;

fn rows(prefix: &str) -> Vec<(String, Address, &'static str, &'static str)> {
    (0..N)
        .map(|i| {
            (
                format!("{prefix}-{i:02}"),
                recipient(100 + i),
                "3",
                if i % 4 == 0 { "trx" } else { "usdt" },
            )
        })
        .collect()
}

/// A pooled world with some history, so lagging members are really behind.
fn world() -> World {
    let w = World::pooled(100_000, 100_000);
    w.node.mine(60);
    w
}

/// Runs `track` until nothing is pending (mining as a chain would), tolerating passes that give
/// up on a faulty node (exit 1); never more than `tries` passes.
fn track_until_settled(w: &World, tries: usize) {
    for _ in 0..tries {
        w.node.mine(2);
        let o = w.run(&["track"]);
        let code = o.status.code().unwrap_or(-1);
        assert!(
            code == 0 || code == 1,
            "track exit {code}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        if code == 0 {
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            if v["pending"] == 0 {
                return;
            }
        }
    }
    panic!("still pending after {tries} track passes");
}

/// Build, sign, submit; returns submit's exit code.
fn round(w: &World, batch: &str) -> i32 {
    let req = w.build(batch, &["--expires-in", "2m"]);
    let resp = w.sign(&req, &w.treasury);
    let o = w.run(&["submit", resp.to_str().unwrap()]);
    o.status.code().unwrap_or(-1)
}

/// Moves the chain (and its solidified head) past every expiration of the batch.
fn pass_expirations(w: &World) {
    w.node.mine_after(1, 180_000);
    w.node.mine(4);
}

/// After the faults: rebuild and re-sign whatever expired until everything is confirmed.
fn finish(w: &World, batch: &str) {
    w.faults(PoolFaults::default());
    for _ in 0..4 {
        track_until_settled(w, 20);
        let statuses = statuses(w, batch);
        if statuses.values().all(|s| s == "confirmed") {
            return;
        }
        assert_eq!(round(w, batch), 0, "clean round must be accepted");
        w.node.mine(2);
    }
    panic!("not all confirmed: {:?}", statuses(w, batch));
}

fn statuses(w: &World, batch: &str) -> HashMap<String, String> {
    w.report(batch)
        .iter()
        .map(|r| {
            (
                r["payout_id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every payout of the batch paid exactly once on the node's own ledger, with the txID the
/// journal reports.
fn assert_paid_once(w: &World, batch: &str) {
    let ledger = w.paid();
    let report = w.report(batch);
    assert_eq!(report.len() as u64, N);
    for r in &report {
        assert_eq!(r["status"], "confirmed", "{r}");
        let to = r["to"].as_str().unwrap();
        let hits: Vec<&Value> = ledger
            .iter()
            .filter(|t| t["to"] == to && t["result"] == "SUCCESS")
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "payout {} paid {} times",
            r["payout_id"],
            hits.len()
        );
        assert_eq!(hits[0]["txid"], r["txid"], "journal agrees with the chain");
        assert_eq!(hits[0]["amount"], "3000000");
    }
}

/// Tracks until nothing is pending, then finishes cleanly and checks every payout was paid once.
fn settle_all(w: &World, batch: &str, passes: usize) {
    track_until_settled(w, passes);
    finish(w, batch);
    assert_paid_once(w, batch);
}

/// A world whose pool swallows every broadcast while `batch` is submitted.
fn swallowed(batch: &str) -> World {
    let w = world_with(
        batch,
        PoolFaults {
            swallow_rate: 1.0,
            ..PoolFaults::default()
        },
    );
    assert_eq!(round(&w, batch), 0);
    w
}

fn import(w: &World, batch: &str) {
    w.import(batch, &rows(batch));
}

/// A pooled world with `batch` imported and the pool misbehaving as `faults` says.
fn world_with(batch: &str, faults: PoolFaults) -> World {
    let w = world();
    import(&w, batch);
    w.faults(faults);
    w
}

#[test]
fn empty_and_lagging_answers_never_expire_paid_payouts() {
    let w = world();
    import(&w, "lag");
    assert_eq!(round(&w, "lag"), 0);
    w.node.mine(3);
    // The chain passes every expiration while members answer {} or lag 40 blocks behind.
    pass_expirations(&w);
    w.faults(PoolFaults {
        empty_rate: 0.3,
        lag_rate: 0.5,
        lag_blocks: 40,
        seed: 7,
        ..PoolFaults::default()
    });
    track_until_settled(&w, 30);
    let s = statuses(&w, "lag");
    assert!(s.values().all(|v| v == "confirmed"), "{s:?}");
    finish(&w, "lag");
    assert_paid_once(&w, "lag");
}

#[test]
fn blocks_listed_without_transactions_still_settle() {
    let w = world();
    import(&w, "strip");
    assert_eq!(round(&w, "strip"), 0);
    w.faults(PoolFaults {
        strip_txs_rate: 0.5,
        empty_rate: 0.1,
        seed: 11,
        ..PoolFaults::default()
    });
    settle_all(&w, "strip", 30);
}

#[test]
fn garbage_error_bodies_and_http_errors_are_retried() {
    let w = world_with(
        "junk",
        PoolFaults {
            garbage_rate: 0.15,
            http_error_rate: 0.1,
            seed: 3,
            ..PoolFaults::default()
        },
    );
    assert_eq!(round(&w, "junk"), 0);
    settle_all(&w, "junk", 30);
    let stats = w.pool.as_ref().unwrap().stats();
    assert!(stats.to_string().contains("garbage"), "{stats}");
}

#[test]
fn swallowed_broadcasts_expire_with_evidence_then_pay_once() {
    let w = world_with(
        "swal",
        PoolFaults {
            swallow_rate: 0.5,
            seed: 5,
            ..PoolFaults::default()
        },
    );
    assert_eq!(round(&w, "swal"), 0, "swallowed broadcasts look accepted");
    w.faults(PoolFaults::default());
    w.node.mine(3);
    w.ok(&["track"]);
    pass_expirations(&w);
    track_until_settled(&w, 10);
    let report = w.report("swal");
    let expired: Vec<&Value> = report.iter().filter(|r| r["status"] == "expired").collect();
    assert!(!expired.is_empty(), "some broadcasts were swallowed");
    for r in &expired {
        let e = &r["evidence"];
        assert_eq!(e["verified"], true, "{r}");
        assert!(e["to_block_time"].as_u64().unwrap() >= e["expiration"].as_u64().unwrap());
        assert!(e["from_block"].as_u64().unwrap() <= e["to_block"].as_u64().unwrap());
    }
    finish(&w, "swal");
    assert_paid_once(&w, "swal");
}

#[test]
fn forked_reference_blocks_are_not_used() {
    let w = world_with(
        "fork",
        PoolFaults {
            fork_rate: 0.5,
            seed: 9,
            ..PoolFaults::default()
        },
    );
    let req = w.build("fork", &["--expires-in", "2m"]);
    w.faults(PoolFaults::default());
    let resp = w.sign(&req, &w.treasury);
    let o = w.run(&["submit", resp.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "a forged reference block would give TAPOS_ERROR: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    settle_all(&w, "fork", 10);
}

#[test]
fn a_stalled_solid_head_expires_nothing() {
    let w = swallowed("stall");
    w.faults(PoolFaults {
        stall_solid: true,
        ..PoolFaults::default()
    });
    pass_expirations(&w);
    for _ in 0..3 {
        w.node.mine(2);
        let v = w.ok(&["track"]);
        assert_eq!(v["expired"], 0, "no verified block past the expiration yet");
    }
    assert!(statuses(&w, "stall").values().all(|s| s == "broadcast"));
    finish(&w, "stall");
    assert_paid_once(&w, "stall");
}

#[test]
fn refused_transactions_exit_5_and_keep_their_reason() {
    let w = world();
    import(&w, "late");
    let req = w.build("late", &["--expires-in", "1m"]);
    let resp = w.sign(&req, &w.treasury);
    // The chain moves past the expiration before the response comes back.
    w.node.mine_after(1, 120_000);
    let o = w.run(&["submit", resp.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["refused"], N);
    assert!(String::from_utf8_lossy(&o.stdout).contains("TRANSACTION_EXPIRATION_ERROR"));
    // Another batch's submit sends those approved attempts again (they are still `signed`),
    // but their refusal was this submit's to report: it does not fail the next one.
    w.import("next", &rows_of("next", 2));
    let next = w.build("next", &[]);
    let o = w.run(&["submit", w.sign(&next, &w.treasury).to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["accepted"].as_u64(), v["refused"].as_u64()),
        (Some(2), Some(0)),
        "{v}"
    );
    assert_eq!(v["refused_earlier"], N, "{v}");
    w.node.mine(4);
    track_until_settled(&w, 5);
    for r in w.report("late") {
        assert_eq!(r["status"], "expired");
        assert!(
            r["refusal"]
                .as_str()
                .unwrap()
                .starts_with("TRANSACTION_EXPIRATION_ERROR"),
            "{r}"
        );
        assert!(r["reason"].as_str().unwrap().starts_with("expired"), "{r}");
    }
    finish(&w, "late");
    assert_paid_once(&w, "late");
}

#[test]
fn a_node_on_another_network_is_refused() {
    let w = world();
    import(&w, "net");
    w.build("net", &[]);
    // A second dev node is another chain: its genesis differs from the one the journal recorded.
    let other = coldpay_devnode::Devnode::start(coldpay_devnode::Config::default()).unwrap();
    let err = refused_for_network(
        w.dir.path(),
        "journal.sqlite",
        &["--network", "local", "--node", &other.url(), "track"],
    );
    assert!(err.contains("another chain"), "{err}");
    // A dev node given to a nile journal.
    let dir = tempfile::tempdir().unwrap();
    let who = addr(&w.treasury).to_base58();
    let err = refused_for_network(
        dir.path(),
        "j.sqlite",
        &["--network", "nile", "--node", &w.url(), "balance", &who],
    );
    assert!(err.contains("nile"), "{err}");
}

/// Runs the broadcaster with the journal `db` in `home`; it must refuse with exit 6. Returns
/// its stderr.
fn refused_for_network(home: &std::path::Path, db: &str, args: &[&str]) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"))
        .arg("--db")
        .arg(home.join(db))
        .args(args)
        .env("HOME", home)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(6), "{err}");
    err
}

#[test]
fn track_timeout_is_honoured_inside_a_pass() {
    let w = world();
    import(&w, "slow");
    assert_eq!(round(&w, "slow"), 0);
    w.node.mine(30);
    w.faults(PoolFaults {
        latency_ms: 1500,
        ..PoolFaults::default()
    });
    let t = Instant::now();
    let o = w.run(&["track", "--follow", "--timeout", "2s"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
}

#[test]
fn rate_limited_pool_still_builds() {
    let w = world_with(
        "rl",
        PoolFaults {
            rate_limit_per_s: Some(8),
            ..PoolFaults::default()
        },
    );
    assert_eq!(round(&w, "rl"), 0);
    settle_all(&w, "rl", 10);
}

#[test]
fn swallowed_broadcasts_are_sent_again_without_re_signing() {
    let w = swallowed("again");
    w.faults(PoolFaults::default());
    w.node.mine(3);
    let v = w.ok(&["track"]);
    assert_eq!(v["rebroadcast"], 0, "not yet: the last broadcast is recent");
    // A minute later the broadcaster sends the same signed bytes again.
    w.journal()
        .conn
        .execute("UPDATE attempts SET updated_at = updated_at - 120000", [])
        .unwrap();
    let v = w.ok(&["track"]);
    assert_eq!(v["rebroadcast"], N);
    track_until_settled(&w, 10);
    assert_paid_once(&w, "again");
    for r in w.report("again") {
        assert_eq!(r["attempts"], 1, "no re-signing was needed");
    }
}

// --- Issue #20: receipts and logs are claims; only the verified block settles. ---

/// `n` payouts of 3 TRX / 3 USDT (every fourth TRX).
fn rows_of(prefix: &str, n: u64) -> Vec<(String, Address, &'static str, &'static str)> {
    (0..n)
        .map(|i| {
            (
                format!("{prefix}-{i:02}"),
                recipient(200 + i),
                "3",
                if i % 4 == 0 { "trx" } else { "usdt" },
            )
        })
        .collect()
}

// ---- Fees that cannot go silently wrong, deadlines that bound every command (issue 20) ----

/// `n` USDT payouts of 3 USDT, ids `{prefix}-NN`; the first goes to a holder.
fn usdt_rows(prefix: &str, n: u64) -> Vec<(String, Address, &'static str, &'static str)> {
    (0..n)
        .map(|i| {
            let to = if i == 0 {
                recipient(0)
            } else {
                recipient(300 + i)
            };
            (format!("{prefix}-{i:02}"), to, "3", "usdt")
        })
        .collect()
}

/// Every payout of `batch` paid exactly once on the dev node's own ledger (successful
/// transactions to its recipient), with the txID the journal reports as confirmed.
fn assert_each_paid_once(w: &World, batch: &str, n: usize) {
    let ledger = w.paid();
    let report = w.report(batch);
    assert_eq!(report.len(), n);
    for r in &report {
        assert_eq!(r["status"], "confirmed", "{r}");
        let hits: Vec<&Value> = ledger
            .iter()
            .filter(|t| t["to"] == r["to"] && t["result"] == "SUCCESS")
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "payout {} paid {} times",
            r["payout_id"],
            hits.len()
        );
        assert_eq!(hits[0]["txid"], r["txid"], "journal agrees with the chain");
    }
}

#[test]
fn forged_receipts_never_fail_a_paid_payout() {
    let w = world();
    w.import("forged", &rows_of("forged", 40));
    assert_eq!(round(&w, "forged"), 0);
    // Members answer that our transactions failed, sit in another block, or have another id,
    // and their token logs disagree with the calls; the verified blocks say SUCCESS.
    w.faults(PoolFaults {
        forge_receipt_rate: 0.6,
        receipt_block_rate: 0.15,
        receipt_id_rate: 0.15,
        log_mismatch_rate: 0.15,
        seed: 23,
        ..PoolFaults::default()
    });
    track_until_settled(&w, 30);
    let s = statuses(&w, "forged");
    assert!(s.values().all(|v| v == "confirmed"), "{s:?}");
    // Nothing to rebuild: no payout was taken for failed.
    let o = w.run(&["build", "--batch", "forged"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["transactions"], 0, "{v}");
    let stats = w.pool.as_ref().unwrap().stats();
    assert!(
        stats["faults"]["forge_receipt"].as_u64().unwrap_or(0) > 0,
        "{stats}"
    );
    assert_each_paid_once(&w, "forged", 40);
    // What the journal keeps of a receipt is marked as the node's claim.
    let j = w.journal();
    let receipt: String = j
        .conn
        .query_row("SELECT receipt FROM attempts LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let receipt: Value = serde_json::from_str(&receipt).unwrap();
    assert_eq!(receipt["result"], "SUCCESS", "{receipt}");
    assert!(receipt["node_reported"].is_object(), "{receipt}");
}

#[test]
fn every_receipt_forged_still_settles_from_the_block() {
    let w = world();
    w.import("allforged", &rows_of("allforged", 8));
    assert_eq!(round(&w, "allforged"), 0);
    // Every member forges every receipt: failed, another block, another id.
    w.faults(PoolFaults {
        forge_receipt_rate: 1.0,
        receipt_block_rate: 1.0,
        receipt_id_rate: 1.0,
        seed: 29,
        ..PoolFaults::default()
    });
    track_until_settled(&w, 10);
    let s = statuses(&w, "allforged");
    assert!(s.values().all(|v| v == "confirmed"), "{s:?}");
    let stats = w.pool.as_ref().unwrap().stats();
    for kind in ["forge_receipt", "receipt_block", "receipt_id"] {
        assert!(
            stats["faults"][kind].as_u64().unwrap_or(0) > 0,
            "{kind}: {stats}"
        );
    }
    assert_each_paid_once(&w, "allforged", 8);
}

/// Makes the journal say `payout` failed (what a forged receipt did before schema 5), with
/// `recheck` as the migration leaves it (or none: a journal tampered with after it).
fn fail_in_journal(w: &World, payout: &str, recheck: Option<&str>) {
    let j = w.journal();
    j.conn
        .execute_batch(
            "CREATE TEMP TABLE saved AS SELECT sql FROM sqlite_master WHERE name = 'attempt_state_forward';
             DROP TRIGGER attempt_state_forward;",
        )
        .unwrap();
    j.conn
        .execute(
            "UPDATE attempts SET state = 'failed', reason = 'SUCCESS: REVERT opcode executed', recheck = ?2 WHERE payout_id = ?1",
            rusqlite::params![payout, recheck],
        )
        .unwrap();
    let sql: String = j
        .conn
        .query_row("SELECT sql FROM saved", [], |r| r.get(0))
        .unwrap();
    j.conn.execute_batch(&sql).unwrap();
}

#[test]
fn a_failed_payout_gets_a_fresh_verified_look_before_any_rebuild() {
    let w = world();
    w.import("look", &rows_of("look", 4));
    assert_eq!(round(&w, "look"), 0);
    track_until_settled(&w, 10);
    // Migrated journal: track re-checks the marked attempt against its block.
    fail_in_journal(&w, "look-01", Some("settled failed from a node receipt"));
    assert_eq!(statuses(&w, "look")["look-01"], "included", "re-opened");
    let v = w.ok(&["track"]);
    assert_eq!(v["rechecked_paid"], serde_json::json!(["look-01"]), "{v}");
    assert_eq!(statuses(&w, "look")["look-01"], "confirmed");
    // A failed attempt without the mark: build looks again before building anything.
    fail_in_journal(&w, "look-02", None);
    assert_eq!(statuses(&w, "look")["look-02"], "failed");
    let o = w.run(&["build", "--batch", "look"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["transactions"], 0, "not rebuilt: {v}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("says SUCCESS"));
    assert_each_paid_once(&w, "look", 4);
}

#[test]
fn forged_logs_invent_no_verified_incoming_transfer() {
    let w = world();
    w.import("logs", &rows_of("logs", 12));
    let start = w.node.with_chain(|c| c.solid().number) + 1;
    assert_eq!(round(&w, "logs"), 0);
    track_until_settled(&w, 10);
    // A member adds `Transfer(X → treasury, 1,000,000 USDT)` to our payout receipts, another
    // changes the logged amount.
    w.faults(PoolFaults {
        forge_log_rate: 0.4,
        log_mismatch_rate: 0.15,
        seed: 31,
        ..PoolFaults::default()
    });
    let o = w.run(&["watch", "--once", "--from-block", &start.to_string()]);
    assert!(
        o.status.success(),
        "no alarm, no fault left: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stats = w.pool.as_ref().unwrap().stats();
    assert!(
        stats["faults"]["forge_log"].as_u64().unwrap_or(0) > 0,
        "{stats}"
    );
    let list = w.ok(&["transfers", "list", "--format", "json"]);
    let rows = list.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["direction"] == "out" && r["evidence"] == "verified"),
        "{rows:?}"
    );
    let usdt_out: Vec<&Value> = rows.iter().filter(|r| r["symbol"] == "USDT").collect();
    assert_eq!(usdt_out.len(), 9, "{usdt_out:?}");
    assert!(usdt_out.iter().all(|r| r["amount_base_units"] == "3000000"));
}

/// (estimate, fee_limit) of every attempt of the batch, from the journal.
fn fee_inputs(w: &World, batch: &str) -> Vec<(u64, u64)> {
    let j = w.journal();
    let mut st = j
        .conn
        .prepare("SELECT a.fee_inputs, a.fee_limit FROM attempts a JOIN payouts p ON p.id = a.payout_id WHERE p.batch_id = ?1")
        .unwrap();
    st.query_map([batch], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })
    .unwrap()
    .map(|r| {
        let (f, limit) = r.unwrap();
        let f: Value = serde_json::from_str(&f).unwrap();
        (f["energy_estimate"].as_u64().unwrap(), limit as u64)
    })
    .collect()
}

fn attempts_of(w: &World, batch: &str) -> i64 {
    w.journal()
        .conn
        .query_row(
            "SELECT COUNT(*) FROM attempts a JOIN payouts p ON p.id = a.payout_id WHERE p.batch_id = ?1",
            [batch],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_member_answering_2000_energy_is_a_fault_and_40_payouts_pay_once() {
    let w = world();
    let rows = usdt_rows("lie", 40);
    w.import("lie", &rows);
    w.faults(PoolFaults {
        energy_lie_rate: 0.5,
        energy_lie: 2_000,
        seed: 20,
        ..PoolFaults::default()
    });
    assert_eq!(round(&w, "lie"), 0);
    let fired = w.pool.as_ref().unwrap().stats()["faults"]["energy_lie"]
        .as_u64()
        .unwrap_or(0);
    assert!(fired > 0, "the lying member answered");
    let fees = fee_inputs(&w, "lie");
    assert_eq!(fees.len(), 40);
    for (estimate, limit) in fees {
        // The dev node's real figures: 64,285 to a holder, 130,285 to a new holder.
        assert!(
            estimate == 64_285 || estimate == 130_285,
            "estimate {estimate}"
        );
        assert!(
            limit >= estimate * 100,
            "fee_limit {limit} below the estimate"
        );
    }
    w.faults(PoolFaults::default());
    track_until_settled(&w, 20);
    let ledger = w.paid();
    for r in w.report("lie") {
        assert_eq!(r["status"], "confirmed", "{r}");
        let hits = ledger
            .iter()
            .filter(|t| t["txid"] == r["txid"] && t["result"] == "SUCCESS")
            .count();
        assert_eq!(hits, 1, "{r}");
    }
    assert_eq!(
        ledger.iter().filter(|t| t["result"] != "SUCCESS").count(),
        0
    );
}

#[test]
fn no_plausible_estimate_refuses_the_build_by_name() {
    let w = world();
    w.import("nope", &usdt_rows("nope", 3));
    w.faults(PoolFaults {
        energy_lie_rate: 1.0,
        energy_lie: 2_000,
        ..PoolFaults::default()
    });
    let o = w.run(&["build", "--batch", "nope"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for want in [
        "no node gave a plausible energy estimate",
        "nope-00",
        "nope-01",
        "nope-02",
        "estimates seen 2000",
        "14000..=300000",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert_eq!(attempts_of(&w, "nope"), 0, "nothing journaled");
}

#[test]
fn missing_or_absurd_chain_parameters_refuse_the_build_by_name() {
    let w = world();
    w.import("params", &usdt_rows("params", 2));
    w.faults(PoolFaults {
        drop_params_rate: 1.0,
        drop_params: vec!["getEnergyFee".into(), "getMemoFee".into()],
        ..PoolFaults::default()
    });
    let o = w.run(&["build", "--batch", "params"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no usable chain parameters")
            && err.contains("getEnergyFee is missing")
            && err.contains("getMemoFee is missing"),
        "{err}"
    );
    assert_eq!(attempts_of(&w, "params"), 0);
    // Numbers that overflow (an energy price of 2^63 - 1, estimates and balances of 2^64) on
    // half the answers are faults: retried, and the build uses the real figures.
    w.faults(PoolFaults {
        overflow_rate: 0.5,
        seed: 64,
        ..PoolFaults::default()
    });
    let req = w.build("params", &[]);
    assert!(req.exists());
    assert!(w.pool.as_ref().unwrap().stats()["faults"]["overflow"].as_u64() > Some(0));
    for (estimate, limit) in fee_inputs(&w, "params") {
        assert!(estimate == 64_285 || estimate == 130_285, "{estimate}");
        assert!(
            limit >= estimate * 100 && limit <= estimate * 120,
            "{limit}"
        );
    }
}

#[test]
fn max_fee_below_the_estimate_refuses_naming_both_numbers() {
    let w = world();
    w.import("cap", &usdt_rows("cap", 2));
    // 64,285 energy at 100 sun is 6.4285 TRX; 130,285 is 13.0285 TRX.
    let o = w.run(&["build", "--batch", "cap", "--max-fee", "10"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("payout cap-01: estimated energy costs 13.0285 TRX but --max-fee is 10 TRX"),
        "{err}"
    );
    assert!(
        !err.contains("payout cap-00"),
        "the holder's 6.4285 TRX fits: {err}"
    );
    assert_eq!(attempts_of(&w, "cap"), 0);
    // A cap between the estimate and the margin is used as the limit; the summary's expected
    // burn is the estimate, never the cut value.
    let o = w.run(&["build", "--batch", "cap", "--max-fee", "14"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fees = fee_inputs(&w, "cap");
    assert!(fees.contains(&(130_285, 14_000_000)), "{fees:?}");
}

/// `track --follow --timeout 8s` with pending attempts and a pool whose members misbehave
/// as `faults` says: it must end (exit 3) well within 8 s + one poll (3 s).
fn track_ends_near_its_timeout(faults: PoolFaults) {
    let w = world();
    import(&w, "hang");
    assert_eq!(round(&w, "hang"), 0);
    // No block is mined from here on: the attempts stay pending.
    w.faults(faults);
    let t = Instant::now();
    let o = w.run(&["track", "--follow", "--timeout", "8s"]);
    let took = t.elapsed();
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(took < Duration::from_secs(15), "track ran {took:?}");
    w.faults(PoolFaults::default());
}

#[test]
fn track_timeout_bounds_members_that_hang() {
    track_ends_near_its_timeout(PoolFaults {
        hang_rate: 1.0,
        hang_ms: 25_000,
        ..PoolFaults::default()
    });
}

#[test]
fn track_timeout_bounds_cut_dripped_and_oversized_answers() {
    track_ends_near_its_timeout(PoolFaults {
        hang_rate: 0.2,
        hang_ms: 25_000,
        cut_rate: 0.3,
        drip_rate: 0.3,
        oversize_rate: 0.3,
        seed: 5,
        ..PoolFaults::default()
    });
}
