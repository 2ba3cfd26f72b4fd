//! `make bench`: one JSON object (also written to target/bench.json) with
//! - signing: 10,000 USDT transfers in one request through the release signer binary, the
//!   whole process (median of 5), throughput with the single KDF excluded, cost relative to
//!   bare k256 + sha256 in the same run, keystore unlock time, the signer's peak memory; and,
//!   once `scripts/sdk-bench/setup.sh` has installed them, TronWeb and tronpy signing the same
//!   transactions (median of 3) with the signer's time scaled to the goal's machine by tronpy;
//!   and the same request on a home whose ledger already holds 300,000 signings;
//! - QR handoff: compact request bytes per payout and UR parts (200-byte parts) for
//!   1/10/100/1,000 payouts, response bytes per transaction;
//! - broadcaster: API calls per confirmed payout for a 1,000-payout batch on the dev node;
//! - broadcaster behind the pool fault proxy (`broadcaster_pool`): 500 payouts through a pool
//!   with 300 ms latency and a 10 requests/s cap (build and submit timed against the goal of
//!   1.25 × the time the calls need at 10/s), then API calls per confirmed payout for 200
//!   payouts through a pool with empty, lagging, garbage, error and stripped answers, checked
//!   against the dev node's ledger (every payout paid exactly once).
//!
//! The signer is also timed on the same 10,000 transactions as a JSON array of TronWeb objects
//! (`signer_process_s_tronweb_array`, its peak memory, and `tronweb_array_vs_request`, goal
//! ≤ 1.2). With `COLDPAY_BENCH_BASE_SIGNER=<path>` an earlier signer build (e.g. the one
//! before records authentication) is timed on both inputs too, interleaved with this build's
//! runs, on a home of its own without a records key (`base_signer`: its medians and this
//! build's ratio to them).
//!
//! - broadcaster on a large journal (`large_journal`): 100,000 payouts written through the
//!   journal API, then `status`, `report --batch` of a 10,000-payout batch and `batch list`
//!   timed through the release binary (goals: `status` under 1 s, `report` under 2 s;
//!   `COLDPAY_BENCH_JOURNAL_PAYOUTS=N` for another size); and 100,000 recorded transfers of 10
//!   accounts over 100 days (`COLDPAY_BENCH_JOURNAL_TRANSFERS=N`), then `transfers list` of one
//!   account's last day and `reconcile`'s statement of one account (a day, and all 100 days).
//!
//! `COLDPAY_BENCH_ONLY=broadcaster` runs only the broadcaster parts (`pool`: only
//! `broadcaster_pool`, `journal`: only `large_journal`), `signer-forms` only the two signer
//! input forms; each prints them and leaves target/bench.json alone; for development.

#![allow(unsafe_code, clippy::too_many_lines)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use coldpay_broadcaster::journal::Asset;
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest, TxId, U256};
use coldpay_signer::keystore::{
    AccountEntry, Keystore, WalletKind, WalletSecret, DEFAULT_ITERATIONS,
};
use coldpay_testkit::{Limits, Policy};
use k256::ecdsa::SigningKey;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const N: usize = 10_000;
const KEY: &str = "b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28";
const PASS: &str = "benchmark passphrase";
/// Signer runs per measurement (median reported).
const RUNS: usize = 5;

/// The median of a few timings.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
    std::fs::set_permissions(to, std::fs::metadata(from).unwrap().permissions()).unwrap();
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn child_peak_rss_kib() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the valid rusage struct we pass.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &raw mut usage) };
    usage.ru_maxrss
}

fn main() {
    let root = coldpay_tests::workspace_root();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    // COLDPAY_BENCH_BROADCASTER: another broadcaster binary (e.g. a debug build, for the
    // network-bound pool figures only).
    let bcast = std::env::var_os("COLDPAY_BENCH_BROADCASTER")
        .map_or_else(|| target.join("release/coldpay-broadcaster"), PathBuf::from);
    let only = std::env::var_os("COLDPAY_BENCH_ONLY");
    let forms_only = only.as_deref() == Some(std::ffi::OsStr::new("signer-forms"));
    if let Some(only) = only.filter(|_| !forms_only) {
        let key = SigningKey::from_slice(&hex::decode(KEY).unwrap()).unwrap();
        let mut report = serde_json::json!({});
        if only == "journal" {
            report["large_journal"] = large_journal(&bcast);
            println!("{}", serde_json::to_string_pretty(&report).unwrap());
            return;
        }
        if only == "learned-cap" {
            report["payouts_200_learned_cap"] = learned_cap(&bcast, &key);
            println!("{}", serde_json::to_string_pretty(&report).unwrap());
            return;
        }
        if only == "broadcaster" {
            report["api_calls_per_confirmed_payout_1000"] =
                serde_json::json!(api_calls(&bcast, &key));
        } else {
            assert_eq!(
                only, "pool",
                "COLDPAY_BENCH_ONLY: broadcaster, pool, learned-cap or journal"
            );
        }
        report["broadcaster_pool"] = broadcaster_pool(&bcast, &key);
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
        return;
    }
    let bin = target.join("release/coldpay-signer");
    assert!(
        bin.exists(),
        "build the release signer first: cargo build --release -p coldpay-signer"
    );
    let dir = tempfile::tempdir().unwrap();
    if std::env::var_os("COLDPAY_BENCH_KEEP").is_some() {
        // Keep the signer home and the 10,000-transaction request for profiling.
        eprintln!("bench files kept in {}", dir.path().display());
    }
    let home = dir.path().join("home");
    let pass = dir.path().join("pass");
    std::fs::write(&pass, PASS).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .arg("--home")
            .arg(&home)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["init", "--network", "local"]);
    let key = SigningKey::from_slice(&hex::decode(KEY).unwrap()).unwrap();
    let owner = Address::from_public_key(key.verifying_key());
    let secret = WalletSecret {
        mnemonic: Zeroizing::new(String::new()),
        bip39_passphrase: Zeroizing::new(String::new()),
        private_key: Zeroizing::new(key.to_bytes().into()),
    };
    // A home whose records are authenticated (as every home is after its first signing).
    let records = coldpay_signer::records_key::RecordsKey::generate().unwrap();
    let ks = Keystore::seal_with_records(
        home.join("keystores/bench.json"),
        "bench",
        WalletKind::PrivateKey,
        vec![AccountEntry {
            index: 0,
            path: None,
            address: owner,
        }],
        &secret,
        PASS.as_bytes(),
        DEFAULT_ITERATIONS,
        Some(&records),
    )
    .unwrap();
    ks.write().unwrap();
    coldpay_signer::records::seed_signed_history(&home, &[], Some(&records)).unwrap();
    // Unlock time at the default 1,000,000 iterations (best of 3).
    let unlock_s = (0..3)
        .map(|_| {
            let t = Instant::now();
            Keystore::read(&ks.path)
                .unwrap()
                .unlock(PASS.as_bytes())
                .unwrap();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min);
    std::fs::write(home.join("policy.toml"), bench_policy()).unwrap();
    // Sealed (1-of-1, the bench key as admin): `sign` enforces only a sealed policy.
    let admin = format!("{owner}:bench admin");
    run(&[
        "policy",
        "enroll",
        "--admin",
        &admin,
        "--threshold",
        "1",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    let usdt = Address::parse(coldpay_shared::MAINNET_USDT).unwrap();
    let now = now_ms();
    let txs: Vec<RequestTx> = (0..N)
        .map(|i| {
            let mut to = [0u8; 20];
            to[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            to[19] = 7;
            let raw = RawData::trc20_transfer(
                owner,
                usdt,
                Address::from_evm_bytes(to),
                U256::from(1_000_000u64 + i as u64),
                30_000_000,
                RefBlock {
                    bytes: [0x12, 0x34],
                    hash: [9; 8],
                },
                now + 6 * 3_600_000,
                now + i as u64,
            );
            RequestTx::new(format!("bench-{i:05}"), raw)
        })
        .collect();
    let raws: Vec<Vec<u8>> = txs.iter().map(|t| t.raw.encode()).collect();
    let req = SignRequest {
        permission: None,
        permission_before: None,
        network: Network::Local,
        request_id: "bench".into(),
        created_at: now,
        transactions: txs,
    };
    let req_path = dir.path().join("req.json");
    std::fs::write(&req_path, serde_json::to_vec(&req.to_json()).unwrap()).unwrap();
    let out_path = dir.path().join("resp.json");

    // The whole signer process, RUNS times, each on a fresh copy of the home (a payout id is
    // signed only once per home); the median is reported.
    // Peak memory of the signer alone: `/usr/bin/time` forks a small process that execs the
    // signer, while getrusage(RUSAGE_CHILDREN) here would count this (large) process's pages,
    // which a vfork-spawned child shares until it execs.
    let timer = std::path::Path::new("/usr/bin/time");
    let run_home = dir.path().join("run-home");
    // `sign` of the request into `run_home`, through `cmd`: (seconds, stderr).
    let timed_sign = |mut cmd: Command, input: &std::path::Path| -> (f64, String) {
        let t = Instant::now();
        let out = cmd
            .arg("--home")
            .arg(&run_home)
            .arg("sign")
            .arg(input)
            .arg("-o")
            .arg(&out_path)
            .args(["--yes", "--passphrase-file"])
            .arg(&pass)
            .output()
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (secs, stderr)
    };
    // RUNS signer processes on each (binary, home, input), interleaved (this VM's load drifts,
    // and the forms and builds are compared): per case, (the runs' times, peak memory in MiB).
    let measure = |cases: &[(&std::path::Path, &std::path::Path, &std::path::Path)]| {
        let mut out = vec![(Vec::new(), 0f64); cases.len()];
        for _ in 0..RUNS {
            for (&(signer, template, input), (runs, rss_mib)) in cases.iter().zip(out.iter_mut()) {
                let _ = std::fs::remove_dir_all(&run_home);
                copy_dir(template, &run_home);
                let cmd = if timer.exists() {
                    let mut c = Command::new(timer);
                    c.args(["-f", "coldpay-maxrss-kib %M"]).arg(signer);
                    c
                } else {
                    Command::new(signer)
                };
                let (secs, stderr) = timed_sign(cmd, input);
                runs.push(secs);
                let kib = stderr
                    .lines()
                    .rev()
                    .find_map(|l| {
                        l.strip_prefix("coldpay-maxrss-kib ")
                            .and_then(|v| v.trim().parse::<i64>().ok())
                    })
                    .unwrap_or_else(child_peak_rss_kib);
                *rss_mib = rss_mib.max(kib as f64 / 1024.0);
            }
        }
        out
    };
    // The same transactions as a JSON array of TronWeb objects (the form TronWeb scripts
    // start with): it must take the same fast path. The request runs last in each round, so
    // its response stays in `out_path` for the checks below.
    let tw_path = dir.path().join("tronweb-array.json");
    let tw: Vec<serde_json::Value> = req
        .transactions
        .iter()
        .map(|t| coldpay_shared::tronweb::to_tronweb_json(&t.raw, &[], true))
        .collect();
    std::fs::write(&tw_path, serde_json::to_vec(&tw).unwrap()).unwrap();
    drop(tw);
    // COLDPAY_BENCH_BASE_SIGNER: an earlier signer build (e.g. from before records
    // authentication) run on the same inputs, interleaved, on a home without a records key.
    let base_bin = std::env::var_os("COLDPAY_BENCH_BASE_SIGNER").map(PathBuf::from);
    let base_home = dir.path().join("base-home");
    let mut cases: Vec<(&std::path::Path, &std::path::Path, &std::path::Path)> =
        vec![(&bin, &home, &tw_path), (&bin, &home, &req_path)];
    if let Some(base_bin) = &base_bin {
        base_signer_home(base_bin, &base_home, &key);
        cases.push((base_bin, &base_home, &tw_path));
        cases.push((base_bin, &base_home, &req_path));
    }
    let mut measured = measure(&cases);
    let base = (base_bin.is_some()).then(|| {
        let (req_runs, _) = measured.pop().unwrap();
        let (tw_runs, _) = measured.pop().unwrap();
        (req_runs, tw_runs)
    });
    let (runs, rss_mib) = measured.pop().unwrap();
    let (tw_runs, tw_rss_mib) = measured.pop().unwrap();
    let total_s = median(&mut runs.clone());
    let tw_s = median(&mut tw_runs.clone());
    let ms = |v: &[f64]| {
        v.iter()
            .map(|s| (s * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    };
    let mut forms = serde_json::json!({
        "signer_process_s": total_s,
        "signer_process_runs_s": ms(&runs),
        "signer_peak_rss_mib_10k": (rss_mib * 10.0).round() / 10.0,
        "signer_process_s_tronweb_array": tw_s,
        "signer_process_runs_s_tronweb_array": ms(&tw_runs),
        "signer_peak_rss_mib_10k_tronweb_array": (tw_rss_mib * 10.0).round() / 10.0,
        "tronweb_array_vs_request": (tw_s / total_s * 1000.0).round() / 1000.0,
    });
    if let Some((base_runs, base_tw_runs)) = base {
        let base_s = median(&mut base_runs.clone());
        let base_tw_s = median(&mut base_tw_runs.clone());
        forms["base_signer"] = serde_json::json!({
            "signer_process_s": base_s,
            "signer_process_runs_s": ms(&base_runs),
            "signer_process_s_tronweb_array": base_tw_s,
            "signer_process_runs_s_tronweb_array": ms(&base_tw_runs),
            "this_vs_base_request": (total_s / base_s * 1000.0).round() / 1000.0,
            "this_vs_base_tronweb_array": (tw_s / base_tw_s * 1000.0).round() / 1000.0,
        });
    }
    if forms_only {
        println!("{}", serde_json::to_string_pretty(&forms).unwrap());
        if std::env::var_os("COLDPAY_BENCH_KEEP").is_some() {
            let _ = dir.keep();
        }
        return;
    }

    // The same request on a home that has already signed 30 such requests over the past
    // month (a 300,000-line ledger, its recipients the same): median of 3.
    let old: Vec<coldpay_signer::ledger::LedgerEntry> = (0..30u64)
        .flat_map(|day| {
            let req = &req;
            (0..N).map(move |i| {
                let t = &req.transactions[i];
                let intent = t.raw.intent().unwrap();
                coldpay_signer::ledger::LedgerEntry {
                    time: now - (day + 2) * 86_400_000,
                    request_id: format!("old-{day}"),
                    payout_id: format!("old-{day}-{i:05}"),
                    txid: t.txid.to_hex(),
                    token: intent.token().unwrap().to_base58(),
                    to: intent.to().to_base58(),
                    amount: intent.amount().to_string(),
                    expiration: now - (day + 1) * 86_400_000,
                }
            })
        })
        .collect();
    // Seeded as real signings leave it: the chained ledger and one audit line per request.
    let aged_home = dir.path().join("aged-home");
    copy_dir(&home, &aged_home);
    coldpay_signer::records::seed_signed_history(&aged_home, &old, Some(&records)).unwrap();
    drop(old);
    let mut aged = Vec::new();
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(&run_home);
        copy_dir(&aged_home, &run_home);
        aged.push(timed_sign(Command::new(&bin), &req_path).0);
    }
    let aged_s = median(&mut aged);
    let sdk = sdk_times(&root, &req, &key, dir.path());
    let resp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(resp["transactions"].as_array().unwrap().len(), N);
    let sign_s = (total_s - unlock_s).max(1e-9);
    if std::env::var_os("COLDPAY_BENCH_KEEP").is_some() {
        let _ = dir.keep();
        std::process::exit(0);
    }

    // The same work with bare k256 + sha256 on the same cores.
    let t = Instant::now();
    let sigs: Vec<_> = raws
        .par_iter()
        .map(|r| {
            let txid = TxId::from_bytes(Sha256::digest(r).into());
            key.sign_prehash_recoverable(txid.as_bytes()).unwrap()
        })
        .collect();
    let bare_s = t.elapsed().as_secs_f64();
    assert_eq!(sigs.len(), N);
    // And with libsecp256k1, which the signer uses.
    let fast = coldpay_signer::secp::TxSigner::new(&key).unwrap();
    let t = Instant::now();
    let sigs2: Vec<_> = raws
        .par_iter()
        .map(|r| fast.sign(&TxId::from_bytes(Sha256::digest(r).into())))
        .collect();
    let bare_secp_s = t.elapsed().as_secs_f64();
    assert_eq!(sigs2.len(), N);

    let report = serde_json::json!({
        "transactions": N,
        "signer_process_s": total_s,
        "signer_process_runs_s": runs.iter().map(|s| (s * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
        "signer_process_s_ledger_300k": aged_s,
        "sign_tx_per_s_10k": (N as f64 / sign_s).round(),
        "bare_k256_sha256_s": bare_s,
        "sign_cost_vs_bare_k256": sign_s / bare_s,
        "bare_libsecp256k1_sha256_s": bare_secp_s,
        "sign_cost_vs_bare_libsecp256k1": sign_s / bare_secp_s,
        "unlock_s": unlock_s,
        "kdf_iterations": DEFAULT_ITERATIONS,
        "signer_peak_rss_mib_10k": (rss_mib * 10.0).round() / 10.0,
        "signer_process_s_tronweb_array": forms["signer_process_s_tronweb_array"],
        "signer_peak_rss_mib_10k_tronweb_array": forms["signer_peak_rss_mib_10k_tronweb_array"],
        "tronweb_array_vs_request": forms["tronweb_array_vs_request"],
        "base_signer": forms["base_signer"],
        "cores": std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
    });
    let mut report = report;
    report["tronweb_sign_10k_s"] = sdk.0;
    report["tronpy_sign_10k_s"] = sdk.1.clone();
    // The goal (0.25 s) was set on a machine where tronpy took ~0.75 s: the same ratio here.
    if let Some(tronpy) = sdk.1.as_f64() {
        report["signer_vs_tronpy"] =
            serde_json::json!((total_s / tronpy * 1000.0).round() / 1000.0);
        report["signer_process_s_scaled_to_goal_machine"] =
            serde_json::json!((total_s * 0.75 / tronpy * 1000.0).round() / 1000.0);
    }
    let (bytes_per, parts, resp_per) = qr_sizes(&key);
    report["request_bytes_per_payout"] = bytes_per;
    report["request_parts_200b"] = parts;
    report["response_bytes_per_tx"] = resp_per;
    report["api_calls_per_confirmed_payout_1000"] = serde_json::json!(api_calls(&bcast, &key));
    report["broadcaster_pool"] = broadcaster_pool(&bcast, &key);
    report["large_journal"] = large_journal(&bcast);
    let text = serde_json::to_string_pretty(&report).unwrap();
    let _ = std::fs::create_dir_all(&target);
    std::fs::write(target.join("bench.json"), format!("{text}\n")).unwrap();
    println!("{text}");
}

fn broadcaster_like_request(owner: Address, n: usize) -> SignRequest {
    let usdt = Address::parse(coldpay_shared::MAINNET_USDT).unwrap();
    let now = now_ms();
    let txs = (0..n)
        .map(|i| {
            let mut to = [0u8; 20];
            to[..8].copy_from_slice(&(i as u64 * 7919 + 13).to_be_bytes());
            to[12..].copy_from_slice(&(i as u64 ^ 0xabcdef).to_be_bytes());
            let to = Address::from_evm_bytes(to);
            let amount = U256::from(1_000_000u64 * (i as u64 % 500 + 1));
            let holds = i % 3 != 0;
            let raw = RawData::trc20_transfer(
                owner,
                usdt,
                to,
                amount,
                if holds { 7_714_200 } else { 15_634_200 }.max(15_634_200),
                RefBlock {
                    bytes: [0x12, 0x34],
                    hash: [9; 8],
                },
                now + 6 * 3_600_000,
                now + i as u64,
            );
            let mut t = RequestTx::new(format!("payout-{i:05}"), raw);
            t.hints = Some(coldpay_shared::handoff::DisplayHints {
                to: Some(to),
                amount: Some(amount.to_string()),
                token: Some(usdt),
                symbol: Some("USDT".into()),
                duplicate_of: None,
            });
            t.fee = Some(coldpay_shared::handoff::FeeInputs {
                energy_estimate: if holds { 64_285 } else { 130_285 },
                energy_price_sun: 100,
                recipient_holds_token: Some(holds),
                bandwidth_bytes: Some(414),
                ..Default::default()
            });
            t
        })
        .collect();
    SignRequest {
        permission: None,
        permission_before: None,
        network: Network::Mainnet,
        request_id: format!("bench-{n}"),
        created_at: now,
        transactions: txs,
    }
}

fn qr_sizes(key: &SigningKey) -> (serde_json::Value, serde_json::Value, serde_json::Value) {
    use coldpay_shared::compact::{encode_request, encode_response};
    use coldpay_shared::urframe::{encode_parts, UrKind};
    let owner = Address::from_public_key(key.verifying_key());
    let mut per = serde_json::Map::new();
    let mut parts = serde_json::Map::new();
    let mut resp_per = 0.0;
    for n in [1usize, 10, 100, 1000] {
        let req = broadcaster_like_request(owner, n);
        let bytes = encode_request(&req).unwrap();
        per.insert(
            n.to_string(),
            serde_json::json!((bytes.len() as f64 / n as f64 * 10.0).round() / 10.0),
        );
        parts.insert(
            n.to_string(),
            serde_json::json!(encode_parts(UrKind::Request, &bytes, 200, 0).unwrap().len()),
        );
        if n == 100 {
            let resp = sign_all(&req, key);
            resp_per =
                (encode_response(&resp).unwrap().len() as f64 / n as f64 * 10.0).round() / 10.0;
        }
    }
    (
        serde_json::Value::Object(per),
        serde_json::Value::Object(parts),
        serde_json::json!(resp_per),
    )
}

/// The transaction a bench payout's attempt signs: a real TRX or USDT transfer, so the journal's
/// reading commands decode realistic bytes.
fn journal_raw(from: &Address, p: &coldpay_broadcaster::payout::payouts::NewPayout) -> RawData {
    let tapos = RefBlock::from_block_id(&[7; 32]);
    match p.token.contract() {
        None => RawData::trx_transfer(
            *from,
            p.to,
            coldpay_shared::Sun::new(u64::try_from(p.amount).unwrap()).unwrap(),
            tapos,
            1_800_000_000_000,
            1_790_000_000_000,
        ),
        Some(token) => RawData::trc20_transfer(
            *from,
            token,
            p.to,
            p.amount,
            30_000_000,
            tapos,
            1_800_000_000_000,
            1_790_000_000_000,
        ),
    }
}

fn api_calls(bcast: &std::path::Path, key: &SigningKey) -> f64 {
    use coldpay_devnode::{Config, Devnode, Genesis};
    let owner = Address::from_public_key(key.verifying_key());
    let mut g = Genesis::default();
    g.fund(owner, 100_000_000_000, 100_000_000_000);
    let node = Devnode::start(Config {
        genesis: g,
        solid_lag: 19,
        ..Config::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.sqlite");
    let run = |args: &[&str]| {
        let o = Command::new(bcast)
            .arg("--db")
            .arg(&db)
            .args(["--node", &node.url(), "--network", "local"])
            .args(args)
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    let watch = coldpay_shared::handoff::WatchExport {
        network: Network::Local,
        approver_for: None,
        accounts: vec![coldpay_shared::handoff::WatchAccount {
            name: "t".into(),
            address: owner,
            path: None,
        }],
    };
    std::fs::write(dir.path().join("w.json"), watch.to_json().to_string()).unwrap();
    run(&[
        "accounts",
        "import-watch",
        dir.path().join("w.json").to_str().unwrap(),
    ]);
    let mut csv = String::from("payout_id,to,amount\n");
    for i in 0..1000u64 {
        let mut to = [0u8; 20];
        to[..8].copy_from_slice(&(i + 1).to_be_bytes());
        to[19] = 3;
        csv.push_str(&format!("p{i:04},{},1\n", Address::from_evm_bytes(to)));
    }
    std::fs::write(dir.path().join("p.csv"), csv).unwrap();
    run(&[
        "batch",
        "import",
        dir.path().join("p.csv").to_str().unwrap(),
        "--from",
        &owner.to_base58(),
        "--batch-id",
        "b",
    ]);
    let before = node.stats()["total"].as_u64().unwrap();
    run(&[
        "build",
        "--batch",
        "b",
        "-o",
        dir.path().join("req.json").to_str().unwrap(),
    ]);
    let req = SignRequest::from_json(
        &serde_json::from_str(&std::fs::read_to_string(dir.path().join("req.json")).unwrap())
            .unwrap(),
    )
    .unwrap();
    let resp = sign_all(&req, key);
    std::fs::write(dir.path().join("resp.json"), resp.to_json().to_string()).unwrap();
    run(&["submit", dir.path().join("resp.json").to_str().unwrap()]);
    // Blocks keep coming while the broadcaster follows the chain at a 3 s-like cadence.
    let url = node.url();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let miner = std::thread::spawn(move || {
        let agent = ureq::agent();
        while !s2.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let _ = agent
                .post(&format!("{url}/admin/mine"))
                .send_json(serde_json::json!({"blocks": 1}));
        }
    });
    run(&["track", "--follow", "--poll", "100ms", "--timeout", "120s"]);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    miner.join().unwrap();
    let calls = node.stats()["total"].as_u64().unwrap() - before;
    (calls as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// A broadcaster journal in a temp dir whose only node is a pool proxy in front of a dev node,
/// configured through a config file (`--config`).
struct Pooled<'a> {
    bin: &'a std::path::Path,
    dir: tempfile::TempDir,
    node: coldpay_devnode::Devnode,
    pool: coldpay_devnode::pool::Pool,
}

/// Wall time and API calls of one phase.
#[derive(Clone, Copy, Default)]
struct Phase {
    secs: f64,
    /// Requests sent to the pool, including the ones it answered itself (429, errors, garbage).
    sent: u64,
    /// Requests the dev node answered (with faults this includes the pool's own lookups).
    answered: u64,
    /// Requests the pool answered with 429 (rate limit).
    limited: u64,
    /// Failed runs of the command before it succeeded.
    retries: u32,
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Pooled<'_> {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// (requests the pool received, requests the dev node answered) so far.
    fn calls(&self) -> (u64, u64) {
        (
            self.pool.stats()["total"].as_u64().unwrap(),
            self.node.stats()["total"].as_u64().unwrap(),
        )
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(self.bin)
            .arg("--config")
            .arg(self.path("config.toml"))
            .arg("--db")
            .arg(self.path("j.sqlite"))
            .arg("--json")
            .args(args)
            .env("HOME", self.dir.path())
            .output()
            .unwrap()
    }

    /// Runs `args` until it succeeds (at most `tries` times); stdout JSON and failed runs.
    fn ok(&self, args: &[&str], tries: u32) -> (serde_json::Value, u32) {
        for failed in 0..tries {
            let o = self.run(args);
            if o.status.success() {
                let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
                return (v, failed);
            }
            eprintln!(
                "bench: {args:?} exit {:?} (try {}): {}",
                o.status.code(),
                failed + 1,
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        panic!("{args:?} failed {tries} times");
    }

    /// Requests the pool answered with 429 so far.
    fn limited(&self) -> u64 {
        self.pool.stats()["faults"]["rate_limit"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Runs `f` and measures its time and the API calls made meanwhile. With
    /// `COLDPAY_BENCH_TIMELINE` set, prints the requests the pool received in each second
    /// (and its 429s) to stderr.
    fn phase(&self, name: &str, f: impl FnOnce() -> u32) -> Phase {
        let before = self.calls();
        let limited = self.limited();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let t = Instant::now();
        let retries = std::thread::scope(|s| {
            if std::env::var_os("COLDPAY_BENCH_TIMELINE").is_some() {
                s.spawn(|| {
                    let mut last = (self.calls().0, self.limited());
                    let mut line = format!("bench: {name} requests/s (429s):");
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        std::thread::sleep(std::time::Duration::from_secs(1));
                        let now = (self.calls().0, self.limited());
                        line.push_str(&format!(" {}", now.0 - last.0));
                        if now.1 > last.1 {
                            line.push_str(&format!("({})", now.1 - last.1));
                        }
                        last = now;
                    }
                    eprintln!("{line}");
                });
            }
            let r = f();
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            r
        });
        let secs = t.elapsed().as_secs_f64();
        let after = self.calls();
        Phase {
            secs,
            sent: after.0 - before.0,
            answered: after.1 - before.1,
            limited: self.limited() - limited,
            retries,
        }
    }
}

/// Recipient `i` of a pooled run.
fn pool_recipient(i: u64) -> Address {
    let mut b = [0u8; 20];
    b[..8].copy_from_slice(&(i + 1).to_be_bytes());
    b[19] = 0x77;
    Address::from_evm_bytes(b)
}

/// Payout `i`: one in five pays TRX, the rest USDT; half of the USDT recipients already hold
/// USDT (so both energy classes occur).
fn pool_payout(i: u64) -> (&'static str, &'static str, bool) {
    if i.is_multiple_of(5) {
        ("trx", "2", false)
    } else {
        ("usdt", "1", i.is_multiple_of(2))
    }
}

/// What one pooled run measured.
struct PoolRun {
    build: Phase,
    submit: Phase,
    track: Phase,
    track_passes: u32,
    confirmed: usize,
    expired: usize,
    failed: usize,
    paid_exactly_once: bool,
    pool_faults: serde_json::Value,
}

/// `n` payouts through a pool with `faults` (set after the journal is prepared), `max_rps`
/// in the broadcaster's config: import, build, sign, submit, then mine and track until nothing
/// is pending; checked against the dev node's ledger.
fn pool_run(
    bin: &std::path::Path,
    key: &SigningKey,
    n: u64,
    faults: coldpay_devnode::pool::PoolFaults,
    max_rps: Option<f64>,
    pre_mine: u32,
) -> PoolRun {
    use coldpay_devnode::pool::{Pool, PoolFaults};
    use coldpay_devnode::{Config, Devnode, Genesis};
    const SOLID_LAG: u32 = 19;
    let owner = Address::from_public_key(key.verifying_key());
    let mut g = Genesis::default();
    g.fund(owner, 10_000_000_000_000, 1_000_000_000_000);
    for i in 0..n {
        if pool_payout(i).2 {
            g.fund(pool_recipient(i), 0, 1);
        }
    }
    let node = Devnode::start(Config {
        genesis: g,
        solid_lag: u64::from(SOLID_LAG),
        ..Config::default()
    })
    .unwrap();
    node.mine(pre_mine);
    let pool = Pool::start(node.url(), PoolFaults::default()).unwrap();
    let w = Pooled {
        bin,
        dir: tempfile::tempdir().unwrap(),
        node,
        pool,
    };
    let mut config = format!(
        "network = \"local\"\nnodes = [\"{}\"]\nconcurrency = 8\n",
        w.pool.url()
    );
    if let Some(r) = max_rps {
        config.push_str(&format!("max_rps = {r:.1}\n"));
    }
    std::fs::write(w.path("config.toml"), config).unwrap();
    let watch = coldpay_shared::handoff::WatchExport {
        network: Network::Local,
        approver_for: None,
        accounts: vec![coldpay_shared::handoff::WatchAccount {
            name: "t".into(),
            address: owner,
            path: None,
        }],
    };
    std::fs::write(w.path("w.json"), watch.to_json().to_string()).unwrap();
    w.ok(
        &[
            "accounts",
            "import-watch",
            w.path("w.json").to_str().unwrap(),
        ],
        1,
    );
    let mut csv = String::from("payout_id,to,amount,token\n");
    for i in 0..n {
        let (token, amount, _) = pool_payout(i);
        csv.push_str(&format!("p{i:04},{},{amount},{token}\n", pool_recipient(i)));
    }
    std::fs::write(w.path("p.csv"), csv).unwrap();
    let (from, csv_path) = (owner.to_base58(), w.path("p.csv"));
    w.ok(
        &[
            "batch",
            "import",
            csv_path.to_str().unwrap(),
            "--from",
            &from,
            "--batch-id",
            "b",
        ],
        1,
    );
    w.pool.set_faults(faults);
    let (req_path, resp_path) = (w.path("req.json"), w.path("resp.json"));
    let build = w.phase("build", || {
        w.ok(
            &["build", "--batch", "b", "-o", req_path.to_str().unwrap()],
            5,
        )
        .1
    });
    let req = SignRequest::from_json(
        &serde_json::from_str(&std::fs::read_to_string(&req_path).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        req.transactions.len() as u64,
        n,
        "build: one transaction per payout"
    );
    std::fs::write(&resp_path, sign_all(&req, key).to_json().to_string()).unwrap();
    let submit = w.phase("submit", || {
        w.ok(&["submit", resp_path.to_str().unwrap()], 5).1
    });
    // Include everything and let the solidified head pass it, then track pass by pass (a pass
    // may give up on a faulty pool: exit 1), mining two blocks between passes as a chain would.
    w.node.mine(1);
    w.node.mine(SOLID_LAG + 1);
    let mut track_passes = 0;
    let track = w.phase("track", || {
        let mut failed = 0;
        loop {
            track_passes += 1;
            assert!(track_passes <= 60, "still pending after 60 track passes");
            let o = w.run(&["track"]);
            match o.status.code() {
                Some(0) => {
                    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                    if v["pending"] == 0 {
                        return failed;
                    }
                }
                Some(1) => failed += 1,
                c => panic!("track exit {c:?}: {}", String::from_utf8_lossy(&o.stderr)),
            }
            w.node.mine(2);
        }
    });
    let pool_faults = w.pool.stats()["faults"].clone();
    w.pool.set_faults(PoolFaults::default());
    // The journal against the dev node's own ledger: nothing paid twice, every confirmed payout
    // paid once with the journal's txID, nothing paid that the journal does not call confirmed.
    let (report, _) = w.ok(&["report", "--batch", "b"], 1);
    let report = report.as_array().unwrap();
    assert_eq!(report.len() as u64, n);
    let ledger = w.node.ledger()["transactions"].as_array().unwrap().clone();
    let mut paid: std::collections::HashMap<&str, Vec<&serde_json::Value>> =
        std::collections::HashMap::new();
    for t in &ledger {
        if t["result"] == "SUCCESS" && t["owner"] == owner.to_base58().as_str() {
            paid.entry(t["to"].as_str().unwrap_or(""))
                .or_default()
                .push(t);
        }
    }
    let (mut confirmed, mut expired, mut failed, mut once) = (0, 0, 0, 0);
    for r in report {
        let id = r["payout_id"].as_str().unwrap();
        let hits = paid
            .get(r["to"].as_str().unwrap())
            .map_or(&[][..], Vec::as_slice);
        assert!(hits.len() <= 1, "payout {id} paid {} times", hits.len());
        let i: u64 = id[1..].parse().unwrap();
        let (token, ..) = pool_payout(i);
        match r["status"].as_str().unwrap() {
            "confirmed" => {
                confirmed += 1;
                assert_eq!(hits.len(), 1, "payout {id} confirmed but not on the ledger");
                assert_eq!(hits[0]["txid"], r["txid"], "payout {id}: journal txID");
                let amount = if token == "trx" { "2000000" } else { "1000000" };
                assert_eq!(hits[0]["amount"], amount, "payout {id}: amount");
                assert_eq!(
                    hits[0]["token"].is_null(),
                    token == "trx",
                    "payout {id}: token"
                );
            }
            s => {
                assert!(
                    hits.is_empty(),
                    "payout {id} is {s} in the journal but paid"
                );
                if s == "expired" {
                    expired += 1;
                } else if s == "failed" {
                    failed += 1;
                }
                eprintln!("bench: payout {id} ended {s}: {r}");
            }
        }
        once += usize::from(hits.len() == 1);
    }
    PoolRun {
        build,
        submit,
        track,
        track_passes,
        confirmed,
        expired,
        failed,
        paid_exactly_once: once == report.len(),
        pool_faults,
    }
}

/// `broadcaster_pool`: 500 payouts behind a slow, rate-capped pool against the goal, then 200
/// payouts behind a faulty pool (API calls per confirmed payout, paid exactly once).
fn broadcaster_pool(bin: &std::path::Path, key: &SigningKey) -> serde_json::Value {
    use coldpay_devnode::pool::PoolFaults;
    const RPS: f64 = 10.0;
    let n = 500u64;
    let r = pool_run(
        bin,
        key,
        n,
        PoolFaults {
            latency_ms: 300,
            rate_limit_per_s: Some(10),
            ..PoolFaults::default()
        },
        Some(RPS),
        0,
    );
    // The goal: build + submit within 1.25 × the time their calls need at 10 requests/s (the
    // calls the node answered: the pool's 429s are not work the payouts need).
    let work = r.build.answered + r.submit.answered;
    let goal_s = 1.25 * work as f64 / RPS;
    let all = |f: fn(&Phase) -> u64| f(&r.build) + f(&r.submit) + f(&r.track);
    let per = |calls: u64| r3(calls as f64 / r.confirmed.max(1) as f64);
    let slow = serde_json::json!({
        "payouts": n,
        "trx_payouts": (0..n).filter(|&i| pool_payout(i).0 == "trx").count(),
        "usdt_recipients_holding": (0..n).filter(|&i| pool_payout(i).2).count(),
        "pool": "latency 300 ms, 10 requests/s (429 above); broadcaster max_rps 10, concurrency 8",
        "build_s": r3(r.build.secs),
        "submit_s": r3(r.submit.secs),
        "build_calls_sent": r.build.sent,
        "build_calls_answered": r.build.answered,
        "submit_calls_sent": r.submit.sent,
        "submit_calls_answered": r.submit.answered,
        "build_429s": r.build.limited,
        "submit_429s": r.submit.limited,
        "build_answered_per_s": r3(r.build.answered as f64 / r.build.secs),
        "submit_answered_per_s": r3(r.submit.answered as f64 / r.submit.secs),
        "build_submit_s": r3(r.build.secs + r.submit.secs),
        "goal_s": r3(goal_s),
        "within_goal": r.build.secs + r.submit.secs <= goal_s,
        "track_s": r3(r.track.secs),
        "track_calls_sent": r.track.sent,
        "track_calls_answered": r.track.answered,
        "track_passes": r.track_passes,
        "retries": r.build.retries + r.submit.retries + r.track.retries,
        "confirmed": r.confirmed,
        "expired": r.expired,
        "api_calls_per_confirmed_payout": per(all(|p| p.sent)),
        "api_calls_answered_per_confirmed_payout": per(all(|p| p.answered)),
        "pool_faults": r.pool_faults,
    });
    let n = 200u64;
    let r = pool_run(
        bin,
        key,
        n,
        PoolFaults {
            empty_rate: 0.3,
            lag_rate: 0.3,
            lag_blocks: 40,
            garbage_rate: 0.15,
            http_error_rate: 0.05,
            strip_txs_rate: 0.2,
            seed: 42,
            ..PoolFaults::default()
        },
        None,
        60,
    );
    let all = |f: fn(&Phase) -> u64| f(&r.build) + f(&r.submit) + f(&r.track);
    let per = |calls: u64| r3(calls as f64 / r.confirmed.max(1) as f64);
    let faults = serde_json::json!({
        "payouts": n,
        "pool": "empty 0.3, lag 0.3 (40 blocks), garbage 0.15, HTTP errors 0.05, stripped blocks 0.2, seed 42",
        "build_s": r3(r.build.secs),
        "submit_s": r3(r.submit.secs),
        "track_s": r3(r.track.secs),
        "build_calls_sent": r.build.sent,
        "submit_calls_sent": r.submit.sent,
        "track_calls_sent": r.track.sent,
        "track_passes": r.track_passes,
        "retries": r.build.retries + r.submit.retries + r.track.retries,
        "confirmed": r.confirmed,
        "expired": r.expired,
        "failed": r.failed,
        "faults_api_calls_per_confirmed_payout": per(all(|p| p.sent)),
        "faults_api_calls_answered_per_confirmed_payout": per(all(|p| p.answered)),
        "faults_paid_exactly_once": r.paid_exactly_once,
        "pool_faults": r.pool_faults,
    });
    serde_json::json!({
        "payouts_500_slow_pool": slow,
        "payouts_200_learned_cap": learned_cap(bin, key),
        "payouts_200_faulty_pool": faults,
    })
}

/// `payouts_200_learned_cap`: 200 payouts behind the same slow pool capped at 10 requests/s,
/// with **no** `max_rps` configured: the limiter learns the cap from the pool's 429s. The goal:
/// build + submit within 1.25 × the rate-limit bound (the calls the node answered at 10/s).
fn learned_cap(bin: &std::path::Path, key: &SigningKey) -> serde_json::Value {
    use coldpay_devnode::pool::PoolFaults;
    const RPS: f64 = 10.0;
    let n = 200u64;
    let r = pool_run(
        bin,
        key,
        n,
        PoolFaults {
            latency_ms: 300,
            rate_limit_per_s: Some(10),
            ..PoolFaults::default()
        },
        None,
        0,
    );
    let bound_s = (r.build.answered + r.submit.answered) as f64 / RPS;
    let took = r.build.secs + r.submit.secs;
    serde_json::json!({
        "payouts": n,
        "pool": "latency 300 ms, 10 requests/s (429 above); broadcaster max_rps unset (learned), concurrency 8",
        "build_s": r3(r.build.secs),
        "submit_s": r3(r.submit.secs),
        "build_calls_sent": r.build.sent,
        "build_calls_answered": r.build.answered,
        "submit_calls_sent": r.submit.sent,
        "submit_calls_answered": r.submit.answered,
        "build_429s": r.build.limited,
        "submit_429s": r.submit.limited,
        "build_submit_s": r3(took),
        "rate_limit_bound_s": r3(bound_s),
        "ratio_to_bound": r3(took / bound_s),
        "goal_ratio": 1.25,
        "within_goal": took <= 1.25 * bound_s,
        "confirmed": r.confirmed,
        "paid_exactly_once": r.paid_exactly_once,
    })
}

/// What the cold signer returns for `req`, signed with `key`.
/// A home for an earlier signer build given by COLDPAY_BENCH_BASE_SIGNER: its own `init`, the
/// bench key sealed without a records key (the form such builds read) and the bench policy.
fn base_signer_home(base_bin: &std::path::Path, home: &std::path::Path, key: &SigningKey) {
    let out = Command::new(base_bin)
        .arg("--home")
        .arg(home)
        .args(["init", "--network", "local"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "base signer init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = WalletSecret {
        mnemonic: Zeroizing::new(String::new()),
        bip39_passphrase: Zeroizing::new(String::new()),
        private_key: Zeroizing::new(key.to_bytes().into()),
    };
    Keystore::seal(
        home.join("keystores/bench.json"),
        "bench",
        WalletKind::PrivateKey,
        vec![AccountEntry {
            index: 0,
            path: None,
            address: Address::from_public_key(key.verifying_key()),
        }],
        &secret,
        PASS.as_bytes(),
        DEFAULT_ITERATIONS,
    )
    .unwrap()
    .write()
    .unwrap();
    std::fs::write(home.join("policy.toml"), bench_policy()).unwrap();
}

/// The bench home's policy: unattended, any destination, USDT limits above the run's total.
fn bench_policy() -> String {
    Policy::new()
        .line("max_fee_limit_trx = \"100\"")
        .mode("any")
        .token(
            "USDT",
            coldpay_shared::MAINNET_USDT,
            6,
            Limits::new("1000000", "100000000000", "100000000000"),
        )
        .to_toml()
}

fn sign_all(req: &SignRequest, key: &SigningKey) -> coldpay_shared::SignResponse {
    let signer = Address::from_public_key(key.verifying_key());
    coldpay_shared::SignResponse {
        request_id: req.request_id.clone(),
        signed_at: now_ms(),
        audit_head: None,
        policy: None,
        transactions: req
            .transactions
            .iter()
            .map(|t| coldpay_shared::handoff::ResponseTx {
                payout_id: t.payout_id.clone(),
                txid: t.txid,
                signatures: vec![coldpay_shared::handoff::SignerSignature {
                    signer,
                    signature: coldpay_shared::Signature::sign_txid(key, &t.txid).unwrap(),
                }],
            })
            .collect(),
    }
}

/// Whole-process times of TronWeb and tronpy signing the same 10,000 transactions, when
/// `scripts/sdk-bench/setup.sh` has installed them (else null).
fn sdk_times(
    root: &std::path::Path,
    req: &SignRequest,
    key: &SigningKey,
    dir: &std::path::Path,
) -> (serde_json::Value, serde_json::Value) {
    let sdk = root.join("scripts/sdk-bench");
    let deps = sdk.join(".deps");
    let key_hex = hex::encode(key.to_bytes());
    // Median of three runs.
    let time = |mut c: Command| -> serde_json::Value {
        let mut secs = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let Ok(o) = c.output() else {
                return serde_json::Value::Null;
            };
            secs.push(t.elapsed().as_secs_f64());
            let signed = serde_json::from_slice::<serde_json::Value>(&o.stdout)
                .ok()
                .and_then(|v| v["signed"].as_u64());
            if !o.status.success() || signed != Some(N as u64) {
                eprintln!("sdk bench failed: {}", String::from_utf8_lossy(&o.stderr));
                return serde_json::Value::Null;
            }
        }
        serde_json::json!((median(&mut secs) * 1000.0).round() / 1000.0)
    };
    let tronweb = if deps.join("node/node_modules/tronweb").exists() {
        let arr: Vec<serde_json::Value> = req
            .transactions
            .iter()
            .map(|t| coldpay_shared::tronweb::to_tronweb_json(&t.raw, &[], false))
            .collect();
        let p = dir.join("tronweb-10k.json");
        std::fs::write(&p, serde_json::to_vec(&arr).unwrap()).unwrap();
        let mut c = Command::new("node");
        c.arg(sdk.join("tronweb_sign.js"))
            .arg(&p)
            .arg(&key_hex)
            .env("NODE_PATH", deps.join("node/node_modules"));
        time(c)
    } else {
        serde_json::Value::Null
    };
    let tronpy = if deps.join("py/tronpy").exists() {
        let p = dir.join("req-10k.json");
        std::fs::write(&p, serde_json::to_vec(&req.to_json()).unwrap()).unwrap();
        let mut c = Command::new("python3");
        c.arg(sdk.join("tronpy_sign.py"))
            .arg(&p)
            .arg(&key_hex)
            .env("PYTHONPATH", deps.join("py"));
        time(c)
    } else {
        serde_json::Value::Null
    };
    (tronweb, tronpy)
}

/// Payouts per batch of the large journal (`report --batch` prints one of them).
const JOURNAL_BATCH: usize = 10_000;

/// `large_journal`: a journal of `COLDPAY_BENCH_JOURNAL_PAYOUTS` (default 100,000) payouts in
/// batches of 10,000, written through the journal API (import, built, signed, settled: one
/// SQL transaction each per batch; no node), then the release broadcaster's `status`,
/// `report --batch` (one 10,000-payout batch, text and JSON) and `batch list` timed (median
/// of 3 runs each, whole process). Goals: `status` under 1 s, `report` under 2 s. Then the
/// recorded transfers ([`record_transfers`]): `transfers list` of one account's last day (text
/// and JSON) and of every account's, and `reconcile`'s statement ([`reconcile_times`]).
/// `COLDPAY_BENCH_KEEP_JOURNAL=PATH` keeps a copy of the journal (for comparing builds).
fn large_journal(bin: &std::path::Path) -> serde_json::Value {
    use coldpay_broadcaster::journal::{BuiltAgainst, Journal, NewAttempt, Settlement};
    let total: usize = std::env::var("COLDPAY_BENCH_JOURNAL_PAYOUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.sqlite");
    let from = pool_recipient(1_000_000_000);
    let usdt = coldpay_broadcaster::tokens::registered(Network::Local)[0].contract;
    let started = Instant::now();
    let journal = Journal::open(
        &db,
        coldpay_shared::Network::Local,
        coldpay_broadcaster::journal::lock::LockWait::NoWait,
    )
    .unwrap();
    let batches = total.div_ceil(JOURNAL_BATCH);
    for b in 0..batches {
        let first = b * JOURNAL_BATCH;
        let n = JOURNAL_BATCH.min(total - first);
        let batch = format!("b{b:03}");
        let payouts: Vec<coldpay_broadcaster::payout::payouts::NewPayout> = (first..first + n)
            .map(|i| coldpay_broadcaster::payout::payouts::NewPayout {
                line: i - first + 1,
                id: format!("p{i:07}"),
                to: pool_recipient(i as u64),
                token: if i.is_multiple_of(5) {
                    Asset::Trx
                } else {
                    Asset::Token(usdt)
                },
                amount: U256::from(1_000_000 + i as u64),
                memo: i.is_multiple_of(3).then(|| format!("invoice {i}")),
            })
            .collect();
        coldpay_broadcaster::payout::payouts::insert_batch(
            &journal,
            &batch,
            &from,
            coldpay_shared::Network::Local,
            &payouts,
        )
        .unwrap();
        // 1 in 20 stays imported; the rest are built, 1 in 20 of those stays awaiting a
        // signature, the others are signed and settled (1 in 25 failed).
        let built: Vec<NewAttempt> = payouts
            .iter()
            .enumerate()
            .filter(|(k, _)| k % 20 != 19)
            .map(|(_, p)| {
                let raw = journal_raw(&from, p);
                NewAttempt {
                    payout_id: p.id.clone(),
                    txid: raw.txid(),
                    raw: raw.encode(),
                    expiration: 1_800_000_000_000,
                    fee_limit: 30_000_000,
                    fee_inputs: None,
                }
            })
            .collect();
        let against = BuiltAgainst {
            request_id: &format!("req-{batch}"),
            ref_block_num: 100 + b as u64,
            ref_block_id: [0; 32],
            ref_block_ts: 1_790_000_000_000,
            permission: None,
        };
        let ids: Vec<(i64, usize)> = journal
            .record_built(&against, &built)
            .unwrap()
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % 20 != 18)
            .map(|(k, id)| (id, k))
            .collect();
        let sig = coldpay_shared::Signature::from_hex(&format!("{}01", "ab".repeat(64))).unwrap();
        let sigs: Vec<(i64, Vec<coldpay_shared::Signature>)> =
            ids.iter().map(|(id, _)| (*id, vec![sig])).collect();
        journal.record_signed(&sigs).unwrap();
        let settled: Vec<Settlement> = ids
            .iter()
            .map(|(id, k)| Settlement {
                attempt: *id,
                from_state: coldpay_broadcaster::journal::AttemptState::Signed,
                block: 200 + (*k as u64) / 50,
                receipt: coldpay_broadcaster::journal::StoredReceipt {
                    fee: Some(345_000 + *k as u64),
                    energy_usage_total: Some(64_285),
                    result: Some("SUCCESS".into()),
                    ..Default::default()
                },
                failure: (k % 25 == 7).then(|| "REVERT".to_string()),
            })
            .collect();
        journal.record_settled(&settled).unwrap();
    }
    let build_s = started.elapsed().as_secs_f64();
    let t = Instant::now();
    let moved = record_transfers(&journal, &from, &usdt);
    let transfers_build_s = t.elapsed().as_secs_f64();
    drop(journal);
    let time = |args: &[&str]| -> f64 {
        let mut runs: Vec<f64> = (0..3)
            .map(|_| {
                let t = Instant::now();
                let o = Command::new(bin)
                    .args(["--network", "local", "--db"])
                    .arg(&db)
                    .args(args)
                    .env("HOME", dir.path())
                    .output()
                    .unwrap();
                assert!(
                    o.status.success(),
                    "{args:?}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                t.elapsed().as_secs_f64()
            })
            .collect();
        r3(median(&mut runs))
    };
    if let Some(keep) = std::env::var_os("COLDPAY_BENCH_KEEP_JOURNAL") {
        std::fs::copy(&db, keep).unwrap();
    }
    let middle = format!("b{:03}", batches / 2);
    serde_json::json!({
        "payouts": total,
        "batches": batches,
        "journal_build_s": r3(build_s),
        "status_s": time(&["--json", "status"]),
        "status_goal_s": 1.0,
        "report_batch_payouts": JOURNAL_BATCH.min(total),
        "report_batch_s": time(&["report", "--batch", &middle]),
        "report_batch_json_s": time(&["report", "--batch", &middle, "--format", "json"]),
        "report_goal_s": 2.0,
        "batch_list_s": time(&["--json", "batch", "list"]),
        "transfers": moved.total,
        "transfers_accounts": TRANSFER_ACCOUNTS,
        "transfers_days": TRANSFER_DAYS,
        "transfers_build_s": r3(transfers_build_s),
        "transfers_list_day_rows": moved.day_rows,
        "transfers_list_day_s": time(&["transfers", "list", "--since", "24h", "--address", &moved.account.to_base58()]),
        "transfers_list_day_json_s": time(&["transfers", "list", "--since", "24h", "--address", &moved.account.to_base58(), "--format", "json"]),
        "transfers_list_day_all_accounts_s": time(&["transfers", "list", "--since", "24h"]),
        "reconcile": reconcile_times(&db, &moved),
    })
}

/// Accounts of the large journal's recorded transfers (the paying account is the first).
const TRANSFER_ACCOUNTS: u64 = 10;
/// Days the recorded transfers span, ending now.
const TRANSFER_DAYS: u64 = 100;
/// Block interval (ms).
const BLOCK_MS: u64 = 3_000;

/// What `record_transfers` wrote: the timeline and one account to list and reconcile.
struct Moved {
    total: usize,
    account: Address,
    /// The account's transfers in the last 24 hours.
    day_rows: usize,
    /// Block and time of the first block of the timeline.
    first_block: u64,
    first_ms: u64,
}

impl Moved {
    fn time_of(&self, block: u64) -> u64 {
        self.first_ms + (block - self.first_block) * BLOCK_MS
    }
}

/// Fills the large journal's `transfers` with `COLDPAY_BENCH_JOURNAL_TRANSFERS` (default
/// 100,000) recorded transfers of `TRANSFER_ACCOUNTS` watched accounts over the last
/// `TRANSFER_DAYS` days (TRX and USDT, in and out, one transaction each, as `watch` records
/// them: groups of 1,000, one SQL transaction each), with an hourly balance snapshot per
/// account and token (as `watch` takes them) so `reconcile` has its period's ends.
fn record_transfers(
    journal: &coldpay_broadcaster::journal::Journal,
    from: &Address,
    usdt: &Address,
) -> Moved {
    use coldpay_broadcaster::chain::movements::{Direction, Evidence, Movement};
    use coldpay_broadcaster::journal::{BlockAt, NewTransfer, SnapshotAt, TransferRow};
    let total: usize = std::env::var("COLDPAY_BENCH_JOURNAL_TRANSFERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let usdt = *usdt;
    let accounts: Vec<Address> = std::iter::once(*from)
        .chain((1..TRANSFER_ACCOUNTS).map(|i| pool_recipient(2_000_000_000 + i)))
        .collect();
    let span_blocks = TRANSFER_DAYS * 86_400_000 / BLOCK_MS;
    let now = now_ms();
    let first_block = 10_000_000;
    let moved = Moved {
        total,
        account: accounts[1],
        day_rows: 0,
        first_block,
        first_ms: now - span_blocks * BLOCK_MS,
    };
    let at = |block: u64| BlockAt {
        block,
        block_id: Sha256::digest(block.to_be_bytes()).into(),
        block_time: moved.time_of(block),
    };
    let mut day_rows = 0;
    let rows: Vec<NewTransfer> = (0..total as u64)
        .map(|i| {
            let account = accounts[(i % TRANSFER_ACCOUNTS) as usize];
            let trx = i.is_multiple_of(4);
            let direction = if i % 3 == 0 {
                Direction::Out
            } else {
                Direction::In
            };
            let block = first_block + 1 + i * span_blocks / total as u64;
            let movement = Movement {
                account,
                txid: TxId::from_bytes(Sha256::digest(i.to_be_bytes()).into()),
                log_index: if trx { -1 } else { 0 },
                direction,
                token: (!trx).then_some(usdt),
                amount: U256::from(1_000_000 + i),
                counterparty: Some(pool_recipient(3_000_000_000 + i % 997)),
                fee_sun: if direction == Direction::Out {
                    345_000
                } else {
                    0
                },
                contract: if trx {
                    "TransferContract"
                } else {
                    "TriggerSmartContract"
                }
                .into(),
                result: coldpay_broadcaster::chain::movements::ContractRet::SUCCESS,
                evidence: Evidence::Verified,
                reported_by: None,
            };
            if account == moved.account && moved.time_of(block) + 86_400_000 >= now {
                day_rows += 1;
            }
            let row = TransferRow {
                movement,
                at: at(block),
                payout_id: None,
                alarm: false,
            };
            let shown = coldpay_broadcaster::monitor::transfers::shown(&row, Network::Local);
            NewTransfer { row, shown }
        })
        .collect();
    for group in rows.chunks(1_000) {
        journal.record_watch_group(group, &[]).unwrap();
    }
    let hour_blocks = 3_600_000 / BLOCK_MS;
    let mut balance = U256::from(1_000_000_000_000u64);
    for h in 0..=span_blocks / hour_blocks {
        let block = first_block + h * hour_blocks;
        let reads: Vec<_> = accounts
            .iter()
            .flat_map(|a| [(*a, None, balance), (*a, Some(usdt), balance)])
            .collect();
        let b = at(block);
        let snapshot = SnapshotAt {
            block,
            block_id: b.block_id,
            block_time: b.block_time,
        };
        journal.record_balance_snapshots(&snapshot, &reads).unwrap();
        balance += U256::from(1u64);
    }
    Moved { day_rows, ..moved }
}

/// `reconcile`'s statement of one account over the last day and over the whole timeline,
/// built from the journal in this process (the command's walk to the node's solidified head
/// and its balance reads need a node and do not depend on the journal's size; block times
/// come from the timeline), then rendered as text, CSV and JSON: median of 3 each.
fn reconcile_times(db: &std::path::Path, moved: &Moved) -> serde_json::Value {
    use coldpay_broadcaster::monitor::reconcile;
    let journal = coldpay_broadcaster::journal::Journal::open_read(db).unwrap();
    let accounts = [moved.account.to_base58()];
    let time = |b: u64| -> coldpay_broadcaster::error::Result<u64> { Ok(moved.time_of(b)) };
    let end = moved.time_of(moved.first_block) + TRANSFER_DAYS * 86_400_000;
    let run = |from: u64| {
        let mut rows = 0;
        let mut runs: Vec<f64> = (0..3)
            .map(|_| {
                let t = Instant::now();
                let r =
                    reconcile::reconcile(&journal, Network::Local, &accounts, (from, end), &time)
                        .unwrap();
                let text = reconcile::to_text(&r);
                let csv = reconcile::to_csv(&r).unwrap();
                let json = serde_json::to_string_pretty(&r).unwrap();
                assert!(text.len() + csv.len() + json.len() > 0);
                rows = r.incoming.len() + r.outgoing.len();
                t.elapsed().as_secs_f64()
            })
            .collect();
        (rows, r3(median(&mut runs)))
    };
    let (day_rows, day_s) = run(end - 86_400_000);
    let (all_rows, all_s) = run(moved.time_of(moved.first_block));
    serde_json::json!({
        "day_rows": day_rows,
        "day_s": day_s,
        "all_rows": all_rows,
        "all_s": all_s,
    })
}
