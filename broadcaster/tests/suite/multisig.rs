//! Offline M-of-N approval (issue #14) on the dev node: a 2-of-3 active permission set up from
//! the owner key, a batch built under it, approvals collected one response at a time.

use crate::common;

use std::path::{Path, PathBuf};

use coldpay_shared::handoff::{ApproverFor, WatchAccount, WatchExport};
use coldpay_shared::{Address, SignRequest};
use common::{addr, key, recipient, World};
use k256::ecdsa::SigningKey;
use serde_json::Value;

fn approvers() -> [SigningKey; 3] {
    [key(11), key(12), key(13)]
}

fn request(path: &Path) -> SignRequest {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    SignRequest::from_json(&v).unwrap()
}

/// Signs `req` with `k` into a response file of its own (one per approver and round).
fn approve(w: &World, req: &Path, k: &SigningKey, tag: &str) -> PathBuf {
    let r = w.sign(req, k);
    let out = w.path(&format!("{tag}.response.json"));
    std::fs::rename(r, &out).unwrap();
    out
}

fn treasury(w: &World) -> String {
    addr(&w.treasury).to_base58()
}

/// `accounts set-permission` of the treasury: active `name` of `threshold` over `key`
/// (weight 1) allowing TRX only, exported to `out` when given.
fn trx_only(
    w: &World,
    name: &str,
    threshold: &str,
    key: &SigningKey,
    out: Option<&Path>,
) -> Vec<String> {
    let mut args = ["accounts", "set-permission", &treasury(w), "--name", name]
        .map(String::from)
        .to_vec();
    args.extend(["--threshold", threshold, "--key"].map(String::from));
    args.extend([
        format!("{}=1", addr(key)),
        "--operations".into(),
        "trx".into(),
    ]);
    if let Some(out) = out {
        args.extend(["-o".into(), out.display().to_string()]);
    }
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `set-permission` for a "payouts" active over `keys` (weight 1 each), signed by the owner,
/// submitted and settled. Returns the request.
fn set_payouts(w: &World, threshold: &str, keys: &[&SigningKey], tag: &str) -> SignRequest {
    let out = w.path(&format!("{tag}.json"));
    let key_args: Vec<String> = keys.iter().map(|k| format!("{}=1", addr(k))).collect();
    let account = treasury(w);
    let mut args = vec![
        "accounts",
        "set-permission",
        account.as_str(),
        "--name",
        "payouts",
        "--threshold",
        threshold,
        "--operations",
        "trx,trc20",
        "-o",
        out.to_str().unwrap(),
    ];
    for k in &key_args {
        args.extend(["--key", k.as_str()]);
    }
    let v = w.ok(&args);
    assert!(v["fee_sun"].as_u64().unwrap() > 0, "{v}");
    let req = request(&out);
    assert!(req.permission_before.is_some());
    assert_eq!(
        req.permission.as_ref().unwrap().id,
        0,
        "signed by the owner"
    );
    let resp = approve(w, &out, &w.treasury, &format!("{tag}-owner"));
    let s = w.ok(&["submit", resp.to_str().unwrap()]);
    assert_eq!(s["accepted"], 1, "{s}");
    let t = w.settle();
    assert_eq!(t["confirmed"], 1, "{t}");
    req
}

fn payouts_id(w: &World) -> i64 {
    let p = w.ok(&["accounts", "permissions", &treasury(w)]);
    let a = p["actives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "payouts")
        .unwrap_or_else(|| panic!("{p}"))
        .clone();
    assert_eq!(
        a["operations"],
        serde_json::json!(["TransferContract", "TriggerSmartContract"])
    );
    a["id"].as_i64().unwrap()
}

fn payments(w: &World) -> Vec<Value> {
    w.paid()
        .into_iter()
        .filter(|t| t["contract_type"] != "AccountPermissionUpdateContract")
        .collect()
}

/// The response as QR PNG parts (what the signer shows; the broadcaster's camera reads them).
fn qr_response(w: &World, response: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(response).unwrap();
    let resp = coldpay_shared::SignResponse::from_json_text(&text).unwrap();
    let dir = w.path("qr-response");
    let opts = coldpay_shared::qr::QrOptions {
        png_dir: Some(dir.clone()),
        fit_terminal: false,
        extra_percent: 0,
        ..coldpay_shared::qr::QrOptions::default()
    };
    let payload = coldpay_shared::compact::encode_response(&resp).unwrap();
    coldpay_shared::qr::emit_qr(coldpay_shared::urframe::UrKind::Response, &payload, &opts)
        .unwrap();
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    parts.sort();
    parts
}

fn submit_fails(w: &World, resp: &Path) -> (i32, String) {
    let o = w.run(&["submit", resp.to_str().unwrap()]);
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn two_of_three_pay_a_batch_exactly_once() {
    let w = World::new(10_000, 10_000);
    let [a1, a2, a3] = approvers();
    set_payouts(&w, "2", &[&a1, &a2, &a3], "setup");
    let id = payouts_id(&w);
    assert_eq!(id, 3, "after the default active (2)");
    let rows: Vec<(String, Address, &str, &str)> = (0..20)
        .map(|i| {
            let token = if i % 2 == 0 { "usdt" } else { "trx" };
            (format!("m{i}"), recipient(10 + i), "1.5", token)
        })
        .collect();
    w.import("ms", &rows);
    let req_path = w.build("ms", &["--permission", &id.to_string()]);
    let req = request(&req_path);
    let claim = req.permission.clone().unwrap();
    assert_eq!((claim.id, claim.threshold, claim.keys.len()), (3, 2, 3));
    let solid = w.node.with_chain(|c| c.solid().timestamp);
    for t in &req.transactions {
        assert_eq!(t.raw.contract.permission_id, 3);
        assert_eq!(t.raw.expiration, solid + 12 * 3_600_000, "12 h default");
    }
    // One approval alone is never broadcast.
    let r1 = approve(&w, &req_path, &a1, "a1");
    let s = w.ok(&["submit", r1.to_str().unwrap()]);
    assert_eq!(
        (s["accepted"].as_u64(), s["awaiting_approval"].as_u64()),
        (Some(0), Some(20)),
        "{s}"
    );
    w.settle();
    assert!(payments(&w).is_empty());
    let st = w.ok(&["status"]);
    let waiting = st["awaiting_approval"].as_array().unwrap();
    assert_eq!(waiting.len(), 20, "{st}");
    // The permission update is listed apart, not counted as a payout.
    assert_eq!(st["payouts"], 20, "{st}");
    let updates = st["permission_updates"].as_array().unwrap();
    assert_eq!(updates.len(), 1, "{st}");
    assert_eq!(updates[0]["status"], "confirmed", "{st}");
    assert_eq!(
        waiting[0]["approval"],
        format!("weight 1 of 2, approved by {}", addr(&a1))
    );
    // The same approver again does not reach the threshold.
    let again = approve(&w, &req_path, &a1, "a1-again");
    let s = w.ok(&["submit", again.to_str().unwrap()]);
    assert_eq!(s["accepted"], 0, "{s}");
    assert_eq!(s["approvals"][0]["status"], "duplicate", "{s}");
    assert!(payments(&w).is_empty());
    // A key outside the permission is refused by name; nothing recorded.
    let outsider = key(14);
    let r = approve(&w, &req_path, &outsider, "outsider");
    let (code, err) = submit_fails(&w, &r);
    assert_eq!(code, 10, "{err}");
    assert!(
        err.contains(&format!(
            "{} is not a key of permission \"payouts\" (id 3)",
            addr(&outsider)
        )),
        "{err}"
    );
    // The second approver completes the quorum over QR: broadcast with both signatures.
    let r2 = approve(&w, &req_path, &a2, "a2");
    let pngs = qr_response(&w, &r2);
    let mut args = vec!["submit", "--qr-image"];
    args.extend(pngs.iter().map(|p| p.to_str().unwrap()));
    let s = w.ok(&args);
    assert_eq!(s["accepted"], 20, "{s}");
    let t = w.settle();
    assert_eq!(t["confirmed"], 20, "{t}");
    let paid = payments(&w);
    assert_eq!(paid.len(), 20, "paid exactly once");
    for (i, (_, to, ..)) in rows.iter().enumerate() {
        let n = paid.iter().filter(|p| p["to"] == to.to_base58()).count();
        assert_eq!(n, 1, "payout m{i}");
    }
    let b = w.ok(&["balance", &recipient(10).to_base58()]);
    assert_eq!(b["usdt"], "1.5");
    let b = w.ok(&["balance", &recipient(11).to_base58()]);
    assert_eq!(b["trx"], "1.5");
    // A third approval after settlement is harmless and reported.
    let r3 = approve(&w, &req_path, &a3, "a3");
    let s = w.ok(&["submit", r3.to_str().unwrap()]);
    assert_eq!(s["accepted"], 0);
    assert_eq!(s["approvals"][0]["status"], "late", "{s}");
    assert_eq!(payments(&w).len(), 20);
    let rep = w.report("ms");
    assert!(rep.iter().all(|r| r["status"] == "confirmed"));
    assert_eq!(
        rep[0]["approval"]["approved_by"],
        serde_json::json!([addr(&a1).to_base58(), addr(&a2).to_base58()])
    );
}

#[test]
fn a_key_removed_since_the_build_is_refused() {
    let w = World::new(10_000, 10_000);
    let [a1, a2, a3] = approvers();
    set_payouts(&w, "2", &[&a1, &a2, &a3], "setup");
    let id = payouts_id(&w).to_string();
    w.import("rm", &[("r1".into(), recipient(40), "2", "trx")]);
    let req_path = w.build("rm", &["--permission", &id]);
    let r1 = approve(&w, &req_path, &a1, "a1");
    w.ok(&["submit", r1.to_str().unwrap()]);
    // The owner rotates a2 out: payouts becomes 2 of {a1, a3}.
    set_payouts(&w, "2", &[&a1, &a3], "rotate");
    let r2 = approve(&w, &req_path, &a2, "a2");
    let (code, err) = submit_fails(&w, &r2);
    assert_eq!(code, 10, "{err}");
    assert!(
        err.contains(&format!("key {} had weight 1 in permission", addr(&a2)))
            && err.contains("removed since"),
        "{err}"
    );
    assert!(payments(&w).is_empty());
    // The remaining keys complete it under the permission as it is now.
    let r3 = approve(&w, &req_path, &a3, "a3");
    let s = w.ok(&["submit", r3.to_str().unwrap()]);
    assert_eq!(s["accepted"], 1, "{s}");
    assert_eq!(w.settle()["confirmed"], 1);
    assert_eq!(payments(&w).len(), 1);
}

#[test]
fn permission_builds_are_refused_when_they_cannot_be_signed() {
    let w = World::new(10_000, 10_000);
    let [a1, a2, a3] = approvers();
    // Only the owner may change permissions; an owner change that drops the home's key needs
    // an explicit flag.
    let o = w.run(&[
        "accounts",
        "set-permission",
        &treasury(&w),
        "--name",
        "payouts",
        "--threshold",
        "2",
        "--key",
        &format!("{}=1", addr(&a1)),
        "--key",
        &format!("{}=1", addr(&a2)),
        "--operations",
        "trx",
        "--owner-threshold",
        "1",
        "--owner-key",
        &format!("{}=1", addr(&a3)),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("NONE of the keys") && err.contains("--allow-owner-handover"),
        "{err}"
    );
    // Threshold above the total weight: refused as java-tron would.
    let o = w.run(&strs(&trx_only(&w, "payouts", "3", &a1, None)));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the node would refuse"));
    // A TRX-only permission cannot sign a USDT payout.
    let out = w.path("trx-only.json");
    w.ok(&strs(&trx_only(&w, "payouts", "1", &a1, Some(&out))));
    // A second update while the first is pending is refused.
    let o = w.run(&strs(&trx_only(&w, "other", "1", &a1, None)));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already pending"));
    // The same update again exports the pending request again (a lost file is not stuck).
    let first_txid = request(&out).transactions[0].txid;
    let again = w.path("trx-only-again.json");
    let v = w.ok(&strs(&trx_only(&w, "payouts", "1", &a1, Some(&again))));
    assert_eq!(v["reexported"], true, "{v}");
    assert_eq!(request(&again).transactions[0].txid, first_txid);
    let resp = approve(&w, &out, &w.treasury, "owner");
    w.ok(&["submit", resp.to_str().unwrap()]);
    w.settle();
    w.import("usd", &[("u1".into(), recipient(50), "1", "usdt")]);
    let o = w.run(&["build", "--batch", "usd", "--permission", "3"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("does not allow TriggerSmartContract"), "{err}");
    let o = w.run(&["build", "--batch", "usd", "--permission", "7"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no active permission with id 7"));
    // The single-signer flow is unchanged.
    let req = w.build("usd", &[]);
    assert!(request(&req).permission.is_none());
    let resp = w.sign(&req, &w.treasury);
    assert_eq!(w.ok(&["submit", resp.to_str().unwrap()])["accepted"], 1);
}

#[test]
fn an_expired_quorum_is_rebuilt_and_approved_again() {
    let w = World::new(10_000, 10_000);
    let [a1, a2, a3] = approvers();
    set_payouts(&w, "2", &[&a1, &a2, &a3], "setup");
    let id = payouts_id(&w).to_string();
    w.import("ex", &[("e1".into(), recipient(60), "3", "usdt")]);
    let first = w.path("ex-first.json");
    std::fs::rename(
        w.build("ex", &["--permission", &id, "--expires-in", "1h"]),
        &first,
    )
    .unwrap();
    let r1 = approve(&w, &first, &a1, "a1");
    w.ok(&["submit", r1.to_str().unwrap()]);
    // While the partial quorum may still complete, build only re-exports the same
    // transaction, with its permission (another approver may need the request again).
    let v = w.ok(&["build", "--batch", "ex"]);
    assert_eq!(
        v["transactions"][0]["txid"],
        request(&first).transactions[0].txid.to_hex()
    );
    assert_eq!(v["permission"]["id"], 3, "{v}");
    w.node.mine_after(1, 3_700_000);
    assert_eq!(w.settle()["expired"], 1);
    // The approval of the expired transaction does not carry over: a rebuilt transaction
    // (same permission, taken from the previous attempt) needs the quorum again.
    let again = w.build("ex", &[]);
    let req = request(&again);
    assert_eq!(req.permission.as_ref().map(|c| c.id), Some(3));
    let late = approve(&w, &first, &a2, "a2-late");
    let s = w.ok(&["submit", late.to_str().unwrap()]);
    assert_eq!(s["approvals"][0]["status"], "late", "{s}");
    for (k, tag) in [(&a2, "a2"), (&a3, "a3")] {
        let r = approve(&w, &again, k, tag);
        w.ok(&["submit", r.to_str().unwrap()]);
    }
    assert_eq!(w.settle()["confirmed"], 1);
    assert_eq!(payments(&w).len(), 1, "paid exactly once");
    assert_eq!(w.report("ex")[0]["attempts"], 2);
}

/// A signer home's watch-only export of `k` as wallet `name`, approver keys of `permission`.
fn approver_export(w: &World, name: &str, keys: &[&SigningKey], permission: &str) -> WatchExport {
    WatchExport {
        network: coldpay_shared::Network::Local,
        accounts: keys
            .iter()
            .enumerate()
            .map(|(i, k)| WatchAccount {
                name: if i == 0 {
                    name.into()
                } else {
                    format!("{name}/{i}")
                },
                address: addr(k),
                path: None,
            })
            .collect(),
        approver_for: Some(ApproverFor {
            account: addr(&w.treasury),
            permission: permission.into(),
        }),
    }
}

/// Shows `export` as QR PNGs (the compact form), returning the part files in order.
fn qr_watch(w: &World, export: &WatchExport, tag: &str) -> Vec<String> {
    let dir = w.path(&format!("qr-watch-{tag}"));
    let opts = coldpay_shared::qr::QrOptions {
        png_dir: Some(dir.clone()),
        fit_terminal: false,
        extra_percent: 0,
        ..coldpay_shared::qr::QrOptions::default()
    };
    let payload = coldpay_shared::compact::encode_watch(export);
    coldpay_shared::qr::emit_qr(coldpay_shared::urframe::UrKind::Watch, &payload, &opts).unwrap();
    let mut parts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    parts.sort();
    parts
}

/// The `approver` label of each key of the "payouts" active, by address.
fn approver_labels(w: &World) -> Vec<(String, Option<String>)> {
    let p = w.ok(&["accounts", "permissions", &treasury(w)]);
    let a = p["actives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "payouts")
        .unwrap_or_else(|| panic!("{p}"))
        .clone();
    a["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let label = k.get("approver").map(|v| v.as_str().unwrap().to_string());
            (k["address"].as_str().unwrap().to_string(), label)
        })
        .collect()
}

#[test]
fn approver_exports_are_checked_against_the_permission_and_label_its_keys() {
    let w = World::new(10_000, 10_000);
    let [a1, a2, a3] = approvers();
    set_payouts(&w, "2", &[&a1, &a2, &a3], "setup");
    // approver-a over QR, approver-b as a file.
    let ea = approver_export(&w, "approver-a", &[&a1], "payouts");
    let eb = approver_export(&w, "approver-b", &[&a2], "payouts");
    let mut args = vec![
        "accounts".to_string(),
        "import-watch".into(),
        "--qr-image".into(),
    ];
    // Two approvers' exports in one call are refused naming both, and nothing is recorded.
    let (qa, qb) = (qr_watch(&w, &ea, "a"), qr_watch(&w, &eb, "b"));
    let mut mixed = args.clone();
    mixed.extend(qa.iter().chain(&qb).cloned());
    let o = w.run(&strs(&mixed));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("part belongs to a different message"), "{err}");
    assert!(err.contains("holds 2 messages"), "{err}");
    for f in qa.iter().chain(&qb) {
        assert!(err.contains(f.as_str()), "{f} named: {err}");
    }
    assert!(approver_labels(&w).iter().all(|(_, l)| l.is_none()));
    args.extend(qa);
    let o = w.run(&strs(&args));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("decoded approver export of 1 key(s) (approver-a) for "),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["approvers"][0]["approver"], "approver-a", "{v}");
    let fb = w.path("approver-b.json");
    std::fs::write(&fb, serde_json::to_vec(&eb.to_json()).unwrap()).unwrap();
    w.ok(&["accounts", "import-watch", fb.to_str().unwrap()]);
    // Approver homes are not treasury accounts.
    let list = w.ok(&["accounts", "list"]);
    assert!(!list.to_string().contains("approver-a"), "{list}");
    let labels = approver_labels(&w);
    let want = |k: &SigningKey, l: Option<&str>| (addr(k).to_base58(), l.map(String::from));
    assert!(
        labels.contains(&want(&a1, Some("approver-a"))),
        "{labels:?}"
    );
    assert!(
        labels.contains(&want(&a2, Some("approver-b"))),
        "{labels:?}"
    );
    assert!(labels.contains(&want(&a3, None)), "{labels:?}");
    // A home holding a key outside the permission is refused whole: a3 stays unlabelled.
    let bad = approver_export(&w, "approver-c", &[&a3, &key(14)], "payouts");
    let fc = w.path("approver-c.json");
    std::fs::write(&fc, serde_json::to_vec(&bad.to_json()).unwrap()).unwrap();
    let o = w.run(&["accounts", "import-watch", fc.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&addr(&key(14)).to_base58()) && err.contains("is not a key of"),
        "{err}"
    );
    // A permission name the account does not have is refused by name.
    let wrong = approver_export(&w, "approver-c", &[&a3], "payroll");
    std::fs::write(&fc, serde_json::to_vec(&wrong.to_json()).unwrap()).unwrap();
    let o = w.run(&["accounts", "import-watch", fc.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no permission named \"payroll\""), "{err}");
    assert!(approver_labels(&w).contains(&want(&a3, None)));
}

/// Broadcasts the pool has received so far.
fn broadcasts_seen(w: &World) -> u64 {
    w.pool.as_ref().unwrap().stats()["requests"]["/wallet/broadcasthex"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn an_interrupted_two_of_three_submit_is_recovered_by_running_it_again() {
    use coldpay_devnode::pool::PoolFaults;
    let w = World::pooled(10_000, 10_000);
    let [a1, a2, a3] = approvers();
    set_payouts(&w, "2", &[&a1, &a2, &a3], "setup");
    let id = payouts_id(&w).to_string();
    let rows: Vec<(String, Address, &str, &str)> = (0..40)
        .map(|i| {
            let token = if i % 2 == 0 { "usdt" } else { "trx" };
            (format!("cut{i:02}"), recipient(60 + i), "1", token)
        })
        .collect();
    w.import("cut", &rows);
    let req_path = w.build("cut", &["--permission", &id]);
    let r1 = approve(&w, &req_path, &a1, "cut-a1");
    let s = w.ok(&["submit", r1.to_str().unwrap()]);
    assert_eq!(s["awaiting_approval"], 40, "{s}");
    // The second approver's submit is killed mid-broadcast (a slow node, then SIGKILL).
    let r2 = approve(&w, &req_path, &a2, "cut-a2");
    let before = broadcasts_seen(&w);
    w.faults(PoolFaults {
        latency_ms: 300,
        ..PoolFaults::default()
    });
    let mut child = w
        .cmd(&["submit", r2.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while broadcasts_seen(&w) < before + 10 {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(60),
            "no broadcast"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    w.faults(PoolFaults::default());
    let sent_before_kill = broadcasts_seen(&w) - before;
    assert!(
        sent_before_kill < 40,
        "killed before the end: {sent_before_kill}"
    );
    // Meanwhile `status` counts them as possibly sent, never "signed 40, broadcast 0".
    let st = w.ok(&["status"]);
    let counts = &st["counts"];
    assert_eq!(counts["signed"], 0, "{st}");
    assert_eq!(
        counts["possibly_sent"].as_u64().unwrap() + counts["broadcast"].as_u64().unwrap(),
        40,
        "{st}"
    );
    // Re-running the same submit sends every approved transaction; the node names those it
    // already had; nobody approves anything again.
    let s = w.ok(&["submit", r2.to_str().unwrap()]);
    assert_eq!(s["accepted"], 40, "{s}");
    assert_eq!(s["refused"], 0, "{s}");
    assert!(s["already_had"].as_u64().unwrap() > 0, "{s}");
    let notes = s["approvals"].as_array().unwrap();
    assert!(notes.iter().all(|n| n["status"] == "complete"), "{s}");
    w.node.mine(1);
    w.settle();
    let t = w.ok(&["track"]);
    assert_eq!(t["pending"], 0, "{t}");
    let paid = payments(&w);
    assert_eq!(paid.len(), 40, "each payout on chain once");
    for (_, to, ..) in &rows {
        let n = paid.iter().filter(|p| p["to"] == to.to_base58()).count();
        assert_eq!(n, 1, "{to}");
    }
    for r in w.report("cut") {
        assert_eq!(r["status"], "confirmed", "{r}");
        assert_eq!(r["attempts"], 1, "no new approval round");
    }
}

#[test]
fn track_sends_approved_transactions_an_interrupted_submit_left() {
    let w = World::new(10_000, 10_000);
    let [a1, a2, a3] = approvers();
    set_payouts(&w, "2", &[&a1, &a2, &a3], "setup");
    let id = payouts_id(&w).to_string();
    w.import("left", &[("l1".into(), recipient(120), "1", "trx")]);
    let req_path = w.build("left", &["--permission", &id]);
    for (k, tag) in [(&a1, "l-a1"), (&a2, "l-a2")] {
        let r = approve(&w, &req_path, k, tag);
        w.ok(&["submit", r.to_str().unwrap()]);
    }
    // What a kill between recording the approvals and the broadcast leaves: signed, unsent.
    let j = w.journal();
    j.conn
        .execute_batch(
            "CREATE TEMP TABLE saved AS SELECT sql FROM sqlite_master WHERE name = 'attempt_state_forward';
             DROP TRIGGER attempt_state_forward;
             UPDATE attempts SET state = 'signed', sending_at = NULL WHERE payout_id = 'l1';",
        )
        .unwrap();
    let sql: String = j
        .conn
        .query_row("SELECT sql FROM saved", [], |r| r.get(0))
        .unwrap();
    j.conn.execute_batch(&sql).unwrap();
    drop(j);
    let o = w.run(&["track", "--follow", "--timeout", "1s", "--poll", "100ms"]);
    // The transaction is on the node already (DUP): track sends it, then follows it to the end.
    assert!(
        o.status.success() || o.status.code() == Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    if o.status.code() == Some(3) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("timed out with 1 attempt(s) still pending"),
            "{err}"
        );
        assert!(err.contains("payout l1"), "{err}");
    }
    w.settle();
    assert_eq!(payments(&w).len(), 1, "still paid once");
    assert_eq!(w.report("left")[0]["status"], "confirmed");
}
