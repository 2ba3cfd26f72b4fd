//! CLI tests of the signing run's stages: clock re-checks, output paths, the confirmation
//! code's tries, the review's summary, `show-last`, and file errors that never echo content.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, SignRequest};
use common::{now_ms, sign_request, stderr, usdt_tx, HOUR, KAT_ADDR};
use serde_json::Value;

const MNEMONIC: &str =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";

common::local_env!();

impl Env {
    fn new(unattended: bool) -> Env {
        Env(common::Env::with_policy(&policy(unattended)))
    }
    /// Runs the signer without a controlling terminal (so prompts read stdin), with `stdin`.
    fn run_env(&self, args: &[&str], stdin: &str, env: &[(&str, String)]) -> Output {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.run_stdin(args, stdin, &env)
    }
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_env(args, stdin, &[])
    }
    /// `sign FILE --passphrase-file pass.txt ARGS…`.
    fn sign(&self, input: &Path, args: &[&str], stdin: &str, env: &[(&str, String)]) -> Output {
        let pass = self.path("pass.txt");
        let mut all = vec![
            "sign",
            input.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        self.run_env(&all, stdin, env)
    }
}

fn policy(unattended: bool) -> String {
    common::policy().replace("unattended = true", &format!("unattended = {unattended}"))
}

/// A request `req-1` of one transaction per `(payout id, expiration)`.
fn request(payouts: &[(&str, u64)]) -> SignRequest {
    let txs = payouts
        .iter()
        .enumerate()
        .map(|(i, (p, exp))| RequestTx::new(*p, usdt_tx(1_000_000 + i as u64, *exp, i as u64)));
    sign_request(Network::Mainnet, "req-1", txs.collect())
}

#[test]
fn a_transaction_expiring_during_the_review_is_refused_after_confirmation() {
    let env = Env::new(true);
    let base = now_ms();
    // The clock is read at the checks (base), after approval (base + 2 min) …
    let req = request(&[("p-1", base + HOUR), ("p-2", base + 60_000)]);
    let input = env.write_request("req.json", &req);
    let clock = [
        ("COLDPAY_SIGNER_TEST_NOW_MS", base.to_string()),
        ("COLDPAY_SIGNER_TEST_CLOCK_STEP_MS", "120000".to_string()),
    ];
    let out = env.sign(
        &input,
        &["--yes", "-o", env.path("out.json").to_str().unwrap()],
        "",
        &clock,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("verdict     allowed"),
        "the checks passed: {err}"
    );
    assert!(
        err.contains("1 of 2 transaction(s) expired while the review was shown: payout p-2"),
        "{err}"
    );
    assert!(env.ledger().is_empty());
    assert!(!env.path("out.json").exists());
    assert!(!env.home().join("last-response.json").exists());
}

#[test]
fn the_ledger_and_response_carry_the_signing_time() {
    let env = Env::new(true);
    let base = now_ms();
    let req = request(&[("p-1", base + HOUR)]);
    let input = env.write_request("req.json", &req);
    let clock = [
        ("COLDPAY_SIGNER_TEST_NOW_MS", base.to_string()),
        ("COLDPAY_SIGNER_TEST_CLOCK_STEP_MS", "1000".to_string()),
    ];
    let out = env.sign(
        &input,
        &["--yes", "-o", env.path("out.json").to_str().unwrap()],
        "",
        &clock,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Readings: checks (base), approval (+1 s), signing (+2 s).
    assert_eq!(env.ledger()[0]["time"], base + 2000);
    let resp: Value =
        serde_json::from_slice(&std::fs::read(env.path("out.json")).unwrap()).unwrap();
    assert_eq!(resp["signed_at"], base + 2000);
}

#[test]
fn resigning_needs_the_margin_past_the_earlier_expiration() {
    let env = Env::new(true);
    let exp = now_ms() + HOUR;
    let first = env.write_request("first.json", &request(&[("p-1", exp), ("p-2", exp)]));
    assert!(env.sign(&first, &["--yes"], "", &[]).status.success());
    let again = env.write_request(
        "again.json",
        &request(&[("p-1", exp + 2 * HOUR), ("p-2", exp + 2 * HOUR)]),
    );
    let at = |t: u64| [("COLDPAY_SIGNER_TEST_NOW_MS", t.to_string())];
    // 30 s past the expiration: inside the 60 s margin.
    let out = env.sign(
        &again,
        &["--yes", "--resign-expired", "all"],
        "",
        &at(exp + 30_000),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expired less than the 60 s margin ago"),
        "{}",
        stderr(&out)
    );
    // Naming one payout leaves the other refused as a replay.
    let out = env.sign(
        &again,
        &["--yes", "--resign-expired", "p-1"],
        "",
        &at(exp + 61_000),
    );
    assert!(
        stderr(&out).contains("payout p-2 was already signed"),
        "{}",
        stderr(&out)
    );
    // `all` accepts every payout once all earlier transactions expired (margin included).
    let out = env.sign(
        &again,
        &["--yes", "--resign-expired", "all"],
        "",
        &at(exp + 61_000),
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn output_inside_the_home_is_refused_before_anything_happens() {
    let env = Env::new(true);
    let input = env.write_request("req.json", &request(&[("p-1", now_ms() + HOUR)]));
    let keystore = env.home().join("keystores/kat.json");
    let before = std::fs::read(&keystore).unwrap();
    let link = env.path("innocent-folder");
    std::os::unix::fs::symlink(env.home().join("keystores"), &link).unwrap();
    for target in [
        keystore.clone(),
        env.home().join("ledger.jsonl"),
        link.join("kat.json"),
        link.join("new-file.json"),
    ] {
        let out = env.sign(&input, &["--yes", "-o", target.to_str().unwrap()], "", &[]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("inside the signer home"),
            "{}",
            stderr(&out)
        );
    }
    let png = env.home().join("qr");
    let out = env.sign(
        &input,
        &["--yes", "--qr-png", png.to_str().unwrap()],
        "",
        &[],
    );
    assert!(stderr(&out).contains("--qr-png"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&keystore).unwrap(), before);
    assert!(env.ledger().is_empty());
    assert_eq!(
        std::fs::read_dir(env.home().join("keystores"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn a_missing_output_folder_fails_before_the_ledger_says_signed() {
    let env = Env::new(true);
    let input = env.write_request("req.json", &request(&[("p-1", now_ms() + HOUR)]));
    let target = env.path("no-such-folder/out.json");
    let out = env.sign(&input, &["--yes", "-o", target.to_str().unwrap()], "", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no-such-folder"), "{}", stderr(&out));
    assert!(env.ledger().is_empty());
    assert!(!env.audit_text().contains("\"signed\""));
    // The payout can then be signed normally.
    let ok = env.path("out.json");
    assert!(env
        .sign(&input, &["--yes", "-o", ok.to_str().unwrap()], "", &[])
        .status
        .success());
}

#[test]
fn a_wrong_policy_file_is_never_echoed() {
    let env = Env::new(true);
    let input = env.write_request("req.json", &request(&[("p-1", now_ms() + HOUR)]));
    let backup = env.path("backup.txt");
    std::fs::write(&backup, format!("{MNEMONIC}\nwritten down 2026-01-01\n")).unwrap();
    let out = env.sign(
        &input,
        &["--yes", "--policy", backup.to_str().unwrap()],
        "",
        &[],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // On a sealed home any other policy file is refused unread (by digest).
    assert!(
        err.contains("backup.txt") && err.contains("differs from the sealed policy seq 1"),
        "{err}"
    );
    let audit = env.audit_text();
    assert!(
        audit.contains("differs from the sealed policy seq 1"),
        "the refusal is logged: {audit}"
    );
    for word in MNEMONIC.split(' ') {
        assert!(!err.contains(word), "{word} in stderr: {err}");
        assert!(!audit.contains(word), "{word} in the audit log");
    }
    // `policy show` and `policy check` read it the same way.
    let out = env.run(
        &["policy", "show", "--policy", backup.to_str().unwrap()],
        "",
    );
    assert!(!stderr(&out).contains("legal"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 1, column 7"),
        "{}",
        stderr(&out)
    );
    // Proposed as the new policy, it is parsed, refused by place, never echoed.
    let out = env.run(&["policy", "propose", backup.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("backup.txt") && err.contains("line 1, column 7"),
        "{err}"
    );
    for word in MNEMONIC.split(' ') {
        assert!(!err.contains(word), "{word} in stderr: {err}");
    }
}

#[test]
fn the_confirmation_code_may_be_retyped_and_misses_are_logged() {
    let env = Env::new(false);
    let req = request(&[("p-1", now_ms() + HOUR)]);
    let code = req.confirmation_code();
    let input = env.write_request("req.json", &req);
    let out_path = env.path("out.json");
    let out = env.sign(
        &input,
        &["-o", out_path.to_str().unwrap()],
        &format!("WRONG1\n{}\n", code.to_lowercase()),
        &[],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // The code is in the summary block, not on the prompt line.
    let summary = err.find("Summary").unwrap();
    let listing = err.find("Transactions").unwrap();
    assert!(
        err[summary..listing].contains(&format!("confirmation code {code}")),
        "{err}"
    );
    let prompt = err
        .lines()
        .find(|l| l.contains("type the confirmation code"))
        .unwrap();
    assert!(!prompt.contains(&code), "{prompt}");
    assert!(err.contains("That is not the code (try 1 of 3)"), "{err}");
    let audit = env.audit_text();
    assert_eq!(
        audit
            .matches("wrong confirmation code (try 1 of 3)")
            .count(),
        1
    );
    assert!(audit.contains("\"signed\""));
    // End of input: refused at once.
    let req2 = SignRequest {
        request_id: "req-2".into(),
        ..request(&[("p-2", now_ms() + HOUR)])
    };
    let input2 = env.write_request("req2.json", &req2);
    let out = env.sign(&input2, &[], "", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no confirmation code typed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn large_requests_show_the_summary_and_list_only_with_details() {
    let env = Env::new(true);
    let exp = now_ms() + HOUR;
    let ids: Vec<String> = (1..=25).map(|i| format!("p-{i}")).collect();
    let payouts: Vec<(&str, u64)> = ids.iter().map(|p| (p.as_str(), exp)).collect();
    let input = env.write_request("req.json", &request(&payouts));
    let out = env.run(&["policy", "check", input.to_str().unwrap()], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.starts_with("Review — network mainnet, request req-1\n"),
        "{err}"
    );
    assert!(
        err.contains("transactions      25: 25 allowed, 0 REFUSED"),
        "{err}"
    );
    assert!(err.contains("total             25.0003 USDT"), "{err}");
    assert!(
        err.contains("recipients        1 distinct, 1 known, 0 NEW"),
        "{err}"
    );
    assert!(err.contains("/ 750 TRX (worst case)"), "{err}");
    assert!(err.contains("pass --details"), "{err}");
    assert!(!err.contains("#1 payout"), "{err}");
    let out = env.run(
        &["policy", "check", input.to_str().unwrap(), "--details"],
        "",
    );
    let err = stderr(&out);
    assert!(err.contains("#25 payout p-25"), "{err}");
    assert!(!err.contains("base units"), "{err}");
}

#[test]
fn show_last_gives_the_last_response_again() {
    let env = Env::new(true);
    let out = env.run(&["show-last"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing has been signed"),
        "{}",
        stderr(&out)
    );
    let input = env.write_request("req.json", &request(&[("p-1", now_ms() + HOUR)]));
    let signed = env.path("out.json");
    assert!(env
        .sign(&input, &["--yes", "-o", signed.to_str().unwrap()], "", &[])
        .status
        .success());
    let kept = env.home().join("last-response.json");
    assert_eq!(
        std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let out = env.run(&["show-last"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, std::fs::read(&signed).unwrap());
    assert!(stderr(&out).contains("request req-1"), "{}", stderr(&out));
    let copy = env.path("copy.json");
    assert!(env
        .run(&["show-last", "-o", copy.to_str().unwrap()], "")
        .status
        .success());
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&signed).unwrap()
    );
    let inside = env.home().join("audit.log");
    let out = env.run(&["show-last", "-o", inside.to_str().unwrap()], "");
    assert!(
        stderr(&out).contains("inside the signer home"),
        "{}",
        stderr(&out)
    );
    let png = env.path("png");
    let out = env.run(&["show-last", "--qr-png", png.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_dir(&png).unwrap().count() >= 1);
}

#[test]
fn qr_output_of_tronweb_input_is_refused_before_signing() {
    let env = Env::new(true);
    let tx = coldpay_shared::tronweb::to_tronweb_json(&usdt_tx(1, now_ms() + HOUR, 0), &[], true);
    let input = env.path("tw.json");
    std::fs::write(&input, serde_json::to_vec(&tx).unwrap()).unwrap();
    let png = env.path("png");
    let out = env.sign(
        &input,
        &["--yes", "--qr-png", png.to_str().unwrap()],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("JSON only"), "{}", stderr(&out));
    assert!(env.ledger().is_empty());
}

#[test]
fn a_tronweb_array_comes_back_pretty_with_every_signature_in_place() {
    let env = Env::new(true);
    let exp = now_ms() + HOUR;
    let (a, b) = (usdt_tx(1, exp, 1), usdt_tx(2, exp, 2));
    // `b` already carries a co-signer's signature: the new one is appended after it.
    let other = coldpay_shared::Signature::sign_txid(
        &k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap(),
        &b.txid(),
    )
    .unwrap();
    let arr = vec![
        coldpay_shared::tronweb::to_tronweb_json(&a, &[], true),
        coldpay_shared::tronweb::to_tronweb_json(&b, &[other], false),
    ];
    let input = env.path("tw.json");
    std::fs::write(&input, serde_json::to_vec(&arr).unwrap()).unwrap();
    let out_path = env.path("out.json");
    let out = env.sign(
        &input,
        &["--yes", "-o", out_path.to_str().unwrap()],
        "",
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&out_path).unwrap();
    let got: Value = serde_json::from_slice(&bytes).unwrap();
    let mut pretty = serde_json::to_vec_pretty(&got).unwrap();
    pretty.push(b'\n');
    assert_eq!(bytes, pretty, "pretty JSON, as serde_json writes it");
    let kat = Address::parse(KAT_ADDR).unwrap();
    for (item, (raw, before)) in got.as_array().unwrap().iter().zip([(&a, 0), (&b, 1)]) {
        let tw = coldpay_shared::tronweb::from_tronweb_json(item).unwrap();
        assert_eq!(tw.signatures.len(), before + 1);
        tw.signatures[before].verify(&raw.txid(), &kat).unwrap();
    }
    assert_eq!(got[1]["signature"][0], other.to_hex());
    assert_eq!(
        std::fs::read(env.home().join("last-response.json")).unwrap(),
        bytes
    );
}

#[test]
fn signatures_expired_before_release_are_not_released() {
    let env = Env::new(true);
    let base = now_ms();
    // Readings: checks (base), approval (+60 s), signing (+120 s), release (+180 s).
    let req = request(&[("p-1", base + 150_000)]);
    let input = env.write_request("req.json", &req);
    let clock = [
        ("COLDPAY_SIGNER_TEST_NOW_MS", base.to_string()),
        ("COLDPAY_SIGNER_TEST_CLOCK_STEP_MS", "60000".to_string()),
    ];
    let out_path = env.path("out.json");
    let out = env.sign(
        &input,
        &["--yes", "-o", out_path.to_str().unwrap()],
        "",
        &clock,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("expired before the signatures were released: payout p-1"),
        "{err}"
    );
    assert!(
        err.contains("recorded as signed but were not released"),
        "{err}"
    );
    assert!(!out_path.exists());
    assert!(!env.home().join("last-response.json").exists());
    assert_eq!(env.ledger().len(), 1, "the signing itself is recorded");
}
