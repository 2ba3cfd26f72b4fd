//! The whole air-gapped ceremony as tests: signer and broadcaster binaries, QR codes both ways,
//! a local dev node, and the failure paths operators meet.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coldpay_devnode::{Config, Devnode, Faults, Genesis};
use coldpay_shared::Address;
use coldpay_tests::{bin, ok, sealed_treasury_home, workspace_root};
use serde_json::Value;

use coldpay_tests::DEMO_PASSPHRASE as PASS;

struct Ceremony {
    dir: tempfile::TempDir,
    node: Devnode,
    treasury: String,
}

impl Ceremony {
    /// Offline: home + wallet + policy; online: a dev node funding the new treasury.
    fn new(policy: &str) -> Ceremony {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("signer");
        let treasury = sealed_treasury_home(&home, policy);
        let mut g = Genesis::default();
        g.fund(
            Address::parse(&treasury).unwrap(),
            5_000_000_000,
            250_000_000_000,
        );
        let node = Devnode::start(Config {
            genesis: g,
            solid_lag: 3,
            ..Config::default()
        })
        .unwrap();
        Ceremony {
            dir,
            node,
            treasury,
        }
    }

    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn signer(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin("coldpay-signer"));
        c.arg("--home")
            .arg(self.p("signer"))
            .args(args)
            .current_dir(workspace_root());
        c
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

    fn pngs(&self, dir: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.p(dir))
            .unwrap()
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Watch-only export travels as QR codes.
    fn export_watch(&self) {
        ok(
            &self
                .signer(&[
                    "keys",
                    "export-watch",
                    "--qr-png",
                    self.p("qr-watch").to_str().unwrap(),
                ])
                .output()
                .unwrap(),
            "export-watch",
        );
        let mut args = vec![
            "accounts".to_string(),
            "import-watch".into(),
            "--qr-image".into(),
        ];
        args.extend(self.pngs("qr-watch"));
        ok(
            &self.bcast(&args.iter().map(String::as_str).collect::<Vec<_>>()),
            "import-watch",
        );
    }

    fn import_csv(&self, batch: &str, csv: &Path) {
        ok(
            &self.bcast(&[
                "batch",
                "import",
                csv.to_str().unwrap(),
                "--from",
                &self.treasury,
                "--batch-id",
                batch,
            ]),
            "batch import",
        );
    }

    /// build → QR → sign → QR → submit. Returns the signer's output.
    fn round_trip(&self, batch: &str, sign_extra: &[&str], now_ms: Option<u64>) -> Output {
        let req = format!("qr-req-{batch}");
        let res = format!("qr-res-{batch}");
        let _ = std::fs::remove_dir_all(self.p(&req));
        let _ = std::fs::remove_dir_all(self.p(&res));
        ok(
            &self.bcast(&[
                "build",
                "--batch",
                batch,
                "--qr-png",
                self.p(&req).to_str().unwrap(),
            ]),
            "build",
        );
        let mut s = self.signer(&[
            "sign",
            "--yes",
            "--passphrase-file",
            PASS,
            "--qr-png",
            self.p(&res).to_str().unwrap(),
            "--qr-image",
        ]);
        s.args(self.pngs(&req)).args(sign_extra);
        if let Some(n) = now_ms {
            s.env("COLDPAY_SIGNER_TEST_NOW_MS", n.to_string());
        }
        let out = s.output().unwrap();
        if out.status.success() {
            let mut args = vec!["submit".to_string(), "--qr-image".into()];
            args.extend(self.pngs(&res));
            ok(
                &self.bcast(&args.iter().map(String::as_str).collect::<Vec<_>>()),
                "submit",
            );
        }
        out
    }

    fn settle(&self) -> Value {
        self.node.mine(1);
        self.node.mine(4);
        serde_json::from_str(&ok(&self.bcast(&["track", "--json"]), "track")).unwrap()
    }

    fn paid(&self) -> Vec<Value> {
        self.node.ledger()["transactions"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn demo_policy() -> String {
    std::fs::read_to_string(workspace_root().join("docs/examples/demo-policy.toml")).unwrap()
}

fn demo_csv() -> PathBuf {
    workspace_root().join("docs/examples/payouts.csv")
}

#[test]
fn the_demo_ceremony_pays_all_20_exactly_once() {
    let c = Ceremony::new(&demo_policy());
    c.export_watch();
    c.import_csv("demo", &demo_csv());
    let out = c.round_trip("demo", &[], None);
    let review = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{review}");
    assert!(
        review.contains("transactions      20: 20 allowed, 0 REFUSED")
            && review.contains("demo recipient demo-001"),
        "{review}"
    );
    // `inspect` reads the same QR codes and shows the same 20 transactions.
    let mut insp = c.signer(&["inspect", "--json", "--qr-image"]);
    insp.args(c.pngs("qr-req-demo"));
    let rows: Value =
        serde_json::from_str(&ok(&insp.output().unwrap(), "inspect --qr-image")).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 20);
    assert_eq!(rows[0]["token"], coldpay_shared::MAINNET_USDT);
    let t = c.settle();
    assert_eq!(t["confirmed"], 20, "{t}");
    // The broadcaster journaled the sealed policy the signer ran under (carried in the QR
    // response).
    let st: Value = serde_json::from_str(&ok(&c.bcast(&["status", "--json"]), "status")).unwrap();
    let shown: Value = serde_json::from_str(&ok(
        &c.signer(&["policy", "show", "--json"]).output().unwrap(),
        "policy show",
    ))
    .unwrap();
    assert_eq!(st["signer_policies"][0]["seq"], 1, "{st}");
    assert_eq!(
        st["signer_policies"][0]["digest"], shown["sealed"]["digest"],
        "{st}"
    );
    let paid = c.paid();
    assert_eq!(paid.len(), 20);
    // Every CSV row was paid to the right address with the right amount, once.
    let csv = std::fs::read_to_string(demo_csv()).unwrap();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let units = coldpay_shared::amount::parse_units(f[2], 6)
            .unwrap()
            .to_string();
        assert_eq!(
            paid.iter()
                .filter(|p| p["to"] == f[1] && p["amount"] == units.as_str())
                .count(),
            1,
            "{line}"
        );
    }
    // The signer's audit log is intact and names the signing.
    ok(
        &c.signer(&["audit", "verify"]).output().unwrap(),
        "audit verify",
    );
}

#[test]
fn a_recipient_off_the_allowlist_refuses_the_whole_request() {
    let c = Ceremony::new(&demo_policy());
    c.export_watch();
    let csv = c.p("with-stranger.csv");
    let mut text = std::fs::read_to_string(demo_csv()).unwrap();
    text.push_str("stranger-1,TTS7Y53sS4rzrDCtZaiuRzqxd16atCe2UR,10,usdt,\n");
    std::fs::write(&csv, text).unwrap();
    c.import_csv("s", &csv);
    let out = c.round_trip("s", &[], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not on the allowlist") && err.contains("nothing signed"),
        "{err}"
    );
    assert!(!c.p("qr-res-s").exists(), "no response was produced");
    assert!(
        c.node.stats()["requests"]
            .get("/wallet/broadcasthex")
            .is_none(),
        "nothing broadcast"
    );
    assert!(c.paid().is_empty());
    let audit = ok(
        &c.signer(&["audit", "show", "--json"]).output().unwrap(),
        "audit show",
    );
    assert!(audit.contains("\"refused\""), "{audit}");
}

#[test]
fn a_dropped_transaction_expires_and_is_rebuilt_and_resigned() {
    let c = Ceremony::new(&demo_policy());
    c.export_watch();
    let csv = c.p("one.csv");
    let line = std::fs::read_to_string(demo_csv())
        .unwrap()
        .lines()
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&csv, line + "\n").unwrap();
    c.import_csv("d", &csv);
    c.node.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    assert!(c.round_trip("d", &[], None).status.success());
    c.node.set_faults(Faults::default());
    c.settle();
    assert!(c.paid().is_empty(), "dropped");
    // The chain passes the 6 h expiration; the broadcaster proves it and rebuilds.
    c.node.mine_after(1, 6 * 3_600_000 + 60_000);
    let t = c.settle();
    assert_eq!(t["expired"], 1, "{t}");
    let chain_now = c.node.with_chain(|ch| ch.head().timestamp);
    // The signer refuses to sign the payout id again unless told the old one expired.
    let refused = c.round_trip("d", &[], Some(chain_now));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already signed"));
    let again = c.round_trip("d", &["--resign-expired", "demo-001"], Some(chain_now));
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(c.settle()["confirmed"], 1);
    assert_eq!(c.paid().len(), 1, "paid exactly once");
}

#[test]
fn a_second_batch_after_a_broadcaster_crash() {
    let c = Ceremony::new(&demo_policy());
    c.export_watch();
    let lines: Vec<String> = std::fs::read_to_string(demo_csv())
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let (first, second) = (c.p("first.csv"), c.p("second.csv"));
    std::fs::write(&first, lines[..11].join("\n") + "\n").unwrap();
    std::fs::write(
        &second,
        [lines[0].clone()]
            .iter()
            .chain(&lines[11..])
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
            + "\n",
    )
    .unwrap();
    c.import_csv("one", &first);
    assert!(c.round_trip("one", &[], None).status.success());
    assert_eq!(c.settle()["confirmed"], 10);
    // Second batch: the broadcaster is killed in the middle of submitting.
    c.import_csv("two", &second);
    ok(
        &c.bcast(&[
            "build",
            "--batch",
            "two",
            "-o",
            c.p("two.json").to_str().unwrap(),
        ]),
        "build",
    );
    ok(
        &c.signer(&[
            "sign",
            c.p("two.json").to_str().unwrap(),
            "--yes",
            "--passphrase-file",
            PASS,
            "-o",
            c.p("two-resp.json").to_str().unwrap(),
        ])
        .output()
        .unwrap(),
        "sign",
    );
    // Slow node: the kill lands while broadcasts are in flight.
    c.node.set_faults(Faults {
        latency_ms: 400,
        ..Faults::default()
    });
    let mut child = Command::new(bin("coldpay-broadcaster"))
        .arg("--db")
        .arg(c.p("journal.sqlite"))
        .args([
            "--node",
            &c.node.url(),
            "--network",
            "local",
            "submit",
            c.p("two-resp.json").to_str().unwrap(),
        ])
        .env("HOME", c.dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still submitting when killed"
    );
    child.kill().unwrap();
    let _ = child.wait();
    c.node.set_faults(Faults::default());
    // Re-running the same command continues; nothing is paid twice.
    ok(
        &c.bcast(&["submit", c.p("two-resp.json").to_str().unwrap()]),
        "submit again",
    );
    assert_eq!(c.settle()["confirmed"], 10);
    let paid = c.paid();
    assert_eq!(paid.len(), 20);
    let mut tos: Vec<&str> = paid.iter().map(|p| p["to"].as_str().unwrap()).collect();
    tos.sort_unstable();
    tos.dedup();
    assert_eq!(tos.len(), 20);
}

#[test]
fn usb_scanner_parts_shuffled_and_duplicated_on_stdin() {
    use std::io::Write;
    let c = Ceremony::new(&demo_policy());
    c.export_watch();
    c.import_csv("u", &demo_csv());
    ok(
        &c.bcast(&[
            "build",
            "--batch",
            "u",
            "-o",
            c.p("u.json").to_str().unwrap(),
        ]),
        "build",
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(c.p("u.json")).unwrap()).unwrap();
    let req = coldpay_shared::SignRequest::from_json(&v).unwrap();
    let payload = coldpay_shared::compact::encode_request(&req).unwrap();
    let parts = coldpay_shared::urframe::encode_parts(
        coldpay_shared::urframe::UrKind::Request,
        &payload,
        120,
        8,
    )
    .unwrap();
    // Scanner order: shuffled (odd positions reversed, then evens), with duplicates.
    let mut typed: Vec<String> = parts.iter().skip(1).step_by(2).rev().cloned().collect();
    typed.extend(parts.iter().step_by(2).cloned());
    typed.insert(2, parts[0].clone());
    typed.push(parts[1].clone());
    let mut child = c
        .signer(&[
            "sign",
            "--ur",
            "--yes",
            "--passphrase-file",
            PASS,
            "-o",
            c.p("u-resp.json").to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all((typed.join("\n") + "\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("100% — "), "progress shown: {err}");
    // The response goes back through the broadcaster's scanner input too.
    let resp = coldpay_shared::SignResponse::from_json(
        &serde_json::from_str(&std::fs::read_to_string(c.p("u-resp.json")).unwrap()).unwrap(),
    )
    .unwrap();
    let rparts = coldpay_shared::urframe::encode_parts(
        coldpay_shared::urframe::UrKind::Response,
        &coldpay_shared::compact::encode_response(&resp).unwrap(),
        150,
        4,
    )
    .unwrap();
    let mut sub = Command::new(bin("coldpay-broadcaster"))
        .arg("--db")
        .arg(c.p("journal.sqlite"))
        .args([
            "--node",
            &c.node.url(),
            "--network",
            "local",
            "submit",
            "--ur",
        ])
        .env("HOME", c.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut rev = rparts.clone();
    rev.reverse();
    sub.stdin
        .take()
        .unwrap()
        .write_all((rev.join("\n") + "\n").as_bytes())
        .unwrap();
    ok(&sub.wait_with_output().unwrap(), "submit --ur");
    assert_eq!(c.settle()["confirmed"], 20);
    assert_eq!(c.paid().len(), 20);
    a_part_of_another_message_is_refused(&c, &req, &parts[0]);
}

/// A part of another message in the middle is refused, not mixed in.
fn a_part_of_another_message_is_refused(
    c: &Ceremony,
    req: &coldpay_shared::SignRequest,
    first: &str,
) {
    use std::io::Write;
    let other = coldpay_shared::urframe::encode_parts(
        coldpay_shared::urframe::UrKind::Request,
        &coldpay_shared::compact::encode_request(&coldpay_shared::SignRequest {
            permission: None,
            permission_before: None,
            request_id: "other".into(),
            ..req.clone()
        })
        .unwrap(),
        120,
        0,
    )
    .unwrap();
    let mut child = c
        .signer(&["sign", "--ur", "--yes", "--passphrase-file", PASS])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{first}\n{}\n", other[1]).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("different message"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
