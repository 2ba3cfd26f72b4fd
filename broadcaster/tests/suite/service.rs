//! Running `watch --follow` and `track --follow` as services: the example systemd units parse
//! and name real flags, `--log-format json` prints nothing but JSON lines, and
//! `--metrics-file` is valid Prometheus text whose values match the journal.

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coldpay_shared::contract::{Contract, ContractKind, TransferContract};
use coldpay_shared::{Signature, SignedTransaction, Sun};
use common::{addr, recipient, World};
use serde_json::Value;

fn units_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples")
}

/// `[Section]` → key → values (a key may repeat).
fn parse_unit(text: &str) -> HashMap<String, HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (k, v) = line.split_once('=').expect("key=value");
        assert!(!section.is_empty(), "{line}: outside a section");
        out.entry(section.clone())
            .or_default()
            .entry(k.trim().to_string())
            .or_default()
            .push(v.trim().to_string());
    }
    out
}

#[test]
fn unit_files_parse_and_name_real_flags() {
    for name in ["coldpay-watch.service", "coldpay-track.service"] {
        let path = units_dir().join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let unit = parse_unit(&text);
        let one = |s: &str, k: &str| -> String {
            let v = &unit[s][k];
            assert_eq!(v.len(), 1, "{name}: [{s}] {k} once");
            v[0].clone()
        };
        assert_eq!(one("Service", "User"), "coldpay", "{name}");
        for (k, want) in [
            ("NoNewPrivileges", "yes"),
            ("ProtectSystem", "strict"),
            ("PrivateTmp", "yes"),
            ("ProtectHome", "yes"),
        ] {
            assert_eq!(one("Service", k), want, "{name}: {k}");
        }
        assert!(
            one("Service", "Restart").starts_with("on-failure")
                || one("Service", "Restart") == "always"
        );
        assert!(one("Service", "RestartSec").ends_with('s'), "{name}");
        assert_eq!(one("Service", "RestartPreventExitStatus"), "2 6", "{name}");
        assert_eq!(one("Install", "WantedBy"), "multi-user.target");
        let exec = one("Service", "ExecStart");
        let args: Vec<&str> = exec.split_whitespace().collect();
        assert!(args[0].ends_with("/coldpay-broadcaster"), "{exec}");
        let m = coldpay_broadcaster::cli::command()
            .try_get_matches_from(&args)
            .unwrap_or_else(|e| {
                panic!("{name}: ExecStart names flags the binary does not have: {e}")
            });
        let sub = m.subcommand().expect("a subcommand").1;
        assert!(sub.get_flag("follow"), "{name}: --follow");
        // Every path the service writes is in ReadWritePaths.
        let writable = one("Service", "ReadWritePaths");
        let db: &PathBuf = m.get_one("db").expect("--db");
        let metrics: &PathBuf = sub.get_one("metrics_file").expect("--metrics-file");
        for p in [db, metrics] {
            let dir = p.parent().unwrap().to_str().unwrap();
            assert!(
                writable.split(' ').any(|w| w == dir),
                "{name}: {dir} not in ReadWritePaths {writable}"
            );
        }
        verify_with_systemd(name, &text);
    }
}

/// `systemd-analyze verify` on a copy naming the built binary (where the tool exists).
fn verify_with_systemd(name: &str, text: &str) {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze not installed: unit syntax checked by the parser only");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let copy = d.path().join(name);
    std::fs::write(
        &copy,
        text.replace(
            "/usr/local/bin/coldpay-broadcaster",
            env!("CARGO_BIN_EXE_coldpay-broadcaster"),
        ),
    )
    .unwrap();
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let about_unit: Vec<&str> = err.lines().filter(|l| l.contains(name)).collect();
    assert!(o.status.success() && about_unit.is_empty(), "{name}: {err}");
}

/// A command of this world without `--json`, with `--log-format json`.
fn json_logged(w: &World, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"));
    c.arg("--db")
        .arg(w.path("journal.sqlite"))
        .args([
            "--node",
            &w.url(),
            "--network",
            "local",
            "--log-format",
            "json",
        ])
        .args(args)
        .env("HOME", w.path(""))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Every line of both streams, each of which must be a JSON log object.
fn lines_of(child: Child) -> Vec<Value> {
    let o = child.wait_with_output().unwrap();
    let mut out = Vec::new();
    for text in [&o.stdout, &o.stderr] {
        for line in BufReader::new(&text[..]).lines() {
            let line = line.unwrap();
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
            for k in ["time", "level", "command", "msg"] {
                assert!(v[k].is_string(), "{k} missing: {line}");
            }
            assert!(v["time"].as_str().unwrap().ends_with('Z'), "{line}");
            out.push(v);
        }
    }
    out
}

fn scrape(path: &Path) -> Option<prometheus_parse::Scrape> {
    let text = std::fs::read_to_string(path).ok()?;
    let lines = text.lines().map(|l| Ok(l.to_string()));
    Some(prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text"))
}

fn value(s: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    let x = s
        .samples
        .iter()
        .find(|x| x.metric == name && label.is_none_or(|(k, v)| x.labels.get(k) == Some(v)))
        .unwrap_or_else(|| panic!("{name} {label:?} missing"));
    match x.value {
        prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Counter(v) => v,
        ref other => panic!("{name}: {other:?}"),
    }
}

/// An integer-valued sample (counts, block numbers).
fn count(s: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> u64 {
    let v = value(s, name, label);
    assert!(v >= 0.0 && v.fract() == 0.0, "{name}: {v}");
    v as u64
}

/// Sends TRX from the treasury outside coldpay (an alarm for `watch`).
fn stolen(w: &World) -> String {
    w.node.with_chain(|c| {
        let raw = c.build(
            Contract {
                kind: ContractKind::Transfer(TransferContract {
                    owner: addr(&w.treasury),
                    to: recipient(9),
                    amount: Sun::new(2_000_000).unwrap(),
                }),
                permission_id: 0,
            },
            0,
        );
        let sig = Signature::sign_txid(&w.treasury, &raw.txid()).unwrap();
        let bytes = SignedTransaction {
            raw,
            signatures: vec![sig],
        }
        .encode();
        c.broadcast(&bytes, false).unwrap().to_hex()
    })
}

#[test]
fn watch_and_track_follow_log_json_and_write_metrics() {
    let w = World::new(1000, 1000);
    w.node.mine(3);
    w.import("b1", &[("p1".into(), recipient(1), "3", "trx")]);
    let req = w.build("b1", &[]);
    let resp = w.sign(&req, &w.treasury);
    w.ok(&["submit", resp.to_str().unwrap()]);
    track_follow_settles_and_logs(&w);
    let s = watch_follow_raises_the_alarm(&w);
    metrics_match_journal_and_chain(&w, &s);
}

/// track --follow: settles the payout, then ends (nothing pending).
fn track_follow_settles_and_logs(w: &World) {
    let track_prom = w.path("track.prom");
    let mut track = json_logged(
        w,
        &[
            "track",
            "--follow",
            "--poll",
            "100ms",
            "--timeout",
            "60s",
            "--metrics-file",
            track_prom.to_str().unwrap(),
        ],
    )
    .spawn()
    .unwrap();
    let start = Instant::now();
    while track.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "track --follow never ended"
        );
        w.node.mine(1);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(track.wait().unwrap().success());
    let lines = lines_of(track);
    assert!(lines.iter().all(|l| l["command"] == "track"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l["block"].is_u64()),
        "a pass line names its block: {lines:?}"
    );
    // The settled payout has its own line, with its payout, txid and block.
    let settled: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["payout"] == "p1" && l["txid"].is_string())
        .collect();
    assert_eq!(settled.len(), 1, "{lines:?}");
    assert!(settled[0]["block"].is_u64(), "{settled:?}");
    assert!(
        settled[0]["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("payout p1: confirmed in block ")),
        "{settled:?}"
    );
    let s = scrape(&track_prom).expect("track wrote its metrics");
    assert_eq!(
        count(&s, "coldpay_payouts", Some(("state", "confirmed"))),
        1
    );
    assert_eq!(count(&s, "coldpay_payouts", Some(("state", "signed"))), 0);
}

/// watch --follow: an outside transfer raises an alarm; the metrics show it.
fn watch_follow_raises_the_alarm(w: &World) -> prometheus_parse::Scrape {
    let thief = stolen(w);
    w.node.mine(4);
    let prom = w.path("watch.prom");
    let watch = json_logged(
        w,
        &[
            "watch",
            "--follow",
            "--from-block",
            "1",
            "--poll",
            "100ms",
            "--metrics-file",
            prom.to_str().unwrap(),
        ],
    )
    .spawn()
    .unwrap();
    let start = Instant::now();
    let s = loop {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no metrics with the alarm"
        );
        if let Some(s) = scrape(&prom).filter(|s| value(s, "coldpay_alarms_open", None) >= 1.0) {
            break s;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut watch = watch;
    let _ = watch.kill();
    let lines = lines_of(watch);
    let alarm = lines
        .iter()
        .find(|l| l["level"] == "error" && l["txid"] == thief.as_str())
        .unwrap_or_else(|| panic!("alarm line: {lines:?}"));
    assert!(
        alarm["msg"].as_str().unwrap().starts_with("ALARM"),
        "{alarm}"
    );
    assert!(
        alarm["block"].is_u64() && alarm["account"].is_string(),
        "{alarm}"
    );
    let paid = lines
        .iter()
        .find(|l| l["payout"] == "p1")
        .unwrap_or_else(|| panic!("the payout's transfer line: {lines:?}"));
    assert_eq!(paid["transfer"]["direction"], "out", "{paid}");
    s
}

/// The metrics' values against the journal and the chain.
fn metrics_match_journal_and_chain(w: &World, s: &prometheus_parse::Scrape) {
    let alarms = w.ok(&["alarms", "list"]);
    let alarms = alarms.as_array().unwrap();
    assert_eq!(count(s, "coldpay_alarms_open", None), alarms.len() as u64);
    let raised = alarms[0]["raised_at"].as_f64().unwrap() / 1000.0;
    assert!((value(s, "coldpay_last_alarm_timestamp_seconds", None) - raised).abs() < 0.001);
    let status = w.ok(&["status"]);
    for state in ["confirmed", "imported", "expired"] {
        assert_eq!(
            count(s, "coldpay_payouts", Some(("state", state))),
            status["counts"][state].as_u64().unwrap(),
            "{state}"
        );
    }
    let (solid, head) = w.node.with_chain(|c| (c.solid().number, c.head().number));
    let block = value(s, "coldpay_solidified_block", None);
    assert!(block <= solid as f64 && block >= 1.0, "{block} vs {solid}");
    let lag = value(s, "coldpay_solidified_lag_blocks", None);
    assert!(lag >= 0.0 && block + lag <= head as f64, "{lag}");
    assert_eq!(count(s, "coldpay_attempts_approved_unbroadcast", None), 0);
    assert_eq!(
        count(s, "coldpay_node_faults_total", Some(("kind", "transport"))),
        0
    );
    let pass = value(s, "coldpay_last_pass_timestamp_seconds", None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(pass <= now && pass > now - 120.0, "{pass}");
    assert!(s
        .samples
        .iter()
        .all(|x| x.labels.get("command") == Some("watch")));
}

#[test]
fn metrics_count_node_faults_by_kind() {
    let w = World::pooled(1000, 1000);
    w.node.mine(3);
    w.faults(coldpay_devnode::pool::PoolFaults {
        http_error_rate: 0.4,
        seed: 7,
        ..Default::default()
    });
    let prom = w.path("once.prom");
    let o = w.run(&[
        "watch",
        "--once",
        "--from-block",
        "1",
        "--metrics-file",
        prom.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = scrape(&prom).expect("a single pass writes metrics too");
    assert!(count(&s, "coldpay_node_faults_total", Some(("kind", "http"))) > 0);
    for kind in ["rate_limited", "unreachable", "invalid_answer"] {
        assert_eq!(
            count(&s, "coldpay_node_faults_total", Some(("kind", kind))),
            0,
            "{kind}"
        );
    }
}
