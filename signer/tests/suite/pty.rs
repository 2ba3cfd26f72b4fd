//! The ceremony as an operator meets it, through a pseudo-terminal: key creation with a typo in
//! the three-word check, a wrong passphrase then the right one, a wrong confirmation code then
//! the right one, and `show-last`. Assertions are on what the screen shows.

use crate::common;

use std::process::Command;

use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, RawData, SignRequest, U256};
use common::{address_of, now_ms, sign_request, ALLOWED, PASS, REF, USDT};
use rexpect::reader::Options;
use rexpect::session::{spawn_with_options, PtySession};

common::local_env!();

impl Env {
    fn new() -> Env {
        let env = Env(common::Env::empty());
        let out = env.cmd(&["init", "--network", "mainnet"]).output().unwrap();
        assert!(out.status.success());
        env
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("coldpay-signer"));
        c.arg("--home").arg(self.home()).args(args);
        c.env_remove("COLDPAY_SIGNER_HOME");
        c.env_remove("COLDPAY_SIGNER_TEST_NOW_MS");
        c.env_remove("COLDPAY_SIGNER_TEST_CLOCK_STEP_MS");
        c.env("TERM", "xterm");
        c.env("COLUMNS", "100");
        c.env("LINES", "40");
        c
    }
    fn pty(&self, args: &[&str]) -> PtySession {
        spawn_with_options(
            self.cmd(args),
            Options::new()
                .timeout_ms(Some(60_000))
                .strip_ansi_escape_codes(true),
        )
        .unwrap()
    }
}

/// Reads everything up to and including `needle`; returns what came before it.
fn upto(p: &mut PtySession, needle: &str) -> String {
    p.exp_string(needle)
        .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}"))
}

fn exit_code(p: &mut PtySession) -> i32 {
    match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, c) => c,
        other => panic!("signer ended with {other:?}"),
    }
}

/// `keys new` on a terminal: the passphrase first (a short one refused at once), the words,
/// a typo in the check (only that word is asked again), the words cleared. Returns the words.
fn create_wallet(env: &Env) -> Vec<String> {
    let mut p = env.pty(&[
        "keys",
        "new",
        "--name",
        "alice",
        "--kdf-iterations",
        "600000",
    ]);
    upto(
        &mut p,
        "New passphrase for wallet alice (at least 8 characters): ",
    );
    p.send_line("short").unwrap();
    // Refused at the first entry, before any repeat, and asked again.
    let refusal = upto(
        &mut p,
        "New passphrase for wallet alice (at least 8 characters): ",
    );
    assert!(!refusal.contains("Repeat"), "{refusal}");
    p.send_line(PASS).unwrap();
    upto(&mut p, "Repeat the new passphrase: ");
    p.send_line(PASS).unwrap();
    let screen = upto(&mut p, "Press Enter when all 24 words are written down");
    let words = shown_words(&screen);
    assert_eq!(words.len(), 24, "{screen}");
    p.send_line("").unwrap();
    upto(&mut p, "Check your copy: type the three words asked for.");
    let mut typo_done = false;
    for _ in 0..3 {
        let (_, prompt) = p.exp_regex(r"Word #\d+: ").unwrap();
        let n: usize = prompt
            .trim_start_matches("Word #")
            .trim_end_matches(": ")
            .parse()
            .unwrap();
        if !typo_done {
            p.send_line("notaword").unwrap();
            upto(
                &mut p,
                &format!(
                    "That is not word #{n}. Check your written copy and type word #{n} again."
                ),
            );
            // The same word is asked again: the mnemonic did not change.
            upto(&mut p, &format!("Word #{n}: "));
            typo_done = true;
        }
        p.send_line(&words[n - 1]).unwrap();
    }
    let end = p.exp_eof().unwrap();
    assert!(
        end.contains("The words are cleared from the screen"),
        "{end}"
    );
    assert_eq!(exit_code(&mut p), 0);
    words
}

/// The numbered words of the alternate screen ("  1. word   9. word  17. word").
fn shown_words(screen: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for tok in screen.split_whitespace().collect::<Vec<_>>().windows(2) {
        if let Some(n) = tok[0]
            .strip_suffix('.')
            .and_then(|n| n.parse::<usize>().ok())
        {
            if (1..=24).contains(&n) && tok[1].chars().all(|c| c.is_ascii_lowercase()) {
                found.push((n, tok[1].to_string()));
            }
        }
    }
    found.sort();
    found.dedup_by_key(|(n, _)| *n);
    found.into_iter().map(|(_, w)| w).collect()
}

fn request(owner: &str) -> SignRequest {
    let now = now_ms();
    let raw = RawData::trc20_transfer(
        Address::parse(owner).unwrap(),
        Address::parse(USDT).unwrap(),
        Address::parse(ALLOWED).unwrap(),
        U256::from(12_500_000u64),
        30_000_000,
        REF,
        now + 3_600_000,
        now,
    );
    sign_request(
        Network::Mainnet,
        "req-pty-1",
        vec![RequestTx::new("p-1", raw)],
    )
}

/// The shared policy, attended (the operator confirms on the terminal).
fn policy() -> String {
    common::policy().replacen("unattended = true\n", "", 1)
}

#[test]
fn an_operator_gets_through_the_ceremony_despite_three_mistakes() {
    let env = Env::new();
    let words = create_wallet(&env);

    // The words shown are the wallet stored: importing them elsewhere gives the same address.
    let other = Env::new();
    let pass = other.path("pass.txt");
    std::fs::write(&pass, format!("{PASS}\n")).unwrap();
    let mut imp = other
        .cmd(&[
            "keys",
            "import-mnemonic",
            "--name",
            "copy",
            "--kdf-iterations",
            "600000",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        imp.stdin.as_mut().unwrap(),
        format!("{}\n", words.join(" ")).as_bytes(),
    )
    .unwrap();
    let imported = imp.wait_with_output().unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let owner = address_of(&env.home(), "alice");
    assert_eq!(owner, address_of(&other.home(), "copy"));

    // Sign: a wrong passphrase then the right one, a wrong code then the right one.
    let own_pass = env.path("pass.txt");
    std::fs::write(&own_pass, format!("{PASS}\n")).unwrap();
    let sealed = common::seal_policy(&env.home(), &own_pass, &policy(), &|args| {
        env.cmd(args).output().unwrap()
    });
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let req = request(&owner);
    let code = req.confirmation_code();
    let input = env.path("req.json");
    std::fs::write(&input, serde_json::to_vec(&req.to_json()).unwrap()).unwrap();
    let out = env.path("response.json");
    let mut p = env.pty(&["sign", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let review = upto(&mut p, "type the confirmation code");
    let network_at = review.find("mainnet").expect("network shown");
    let request_at = review.find("req-pty-1").expect("request id shown");
    let summary_at = review.find("Summary").expect("summary shown");
    assert!(
        network_at < summary_at && request_at < summary_at,
        "{review}"
    );
    assert!(review[summary_at..].contains(&code), "{review}");
    assert!(review.contains("12.5 USDT"), "{review}");
    // The prompt line itself does not show the code.
    let prompt_line = upto(&mut p, ":");
    assert!(!prompt_line.contains(&code), "{prompt_line}");
    p.send_line("WRONG1").unwrap();
    upto(&mut p, "That is not the code (try 1 of 3)");
    p.send_line(&code).unwrap();
    upto(&mut p, "assphrase");
    p.send_line("not the passphrase").unwrap();
    let miss = upto(&mut p, "assphrase");
    assert!(
        miss.to_lowercase().contains("wrong") || miss.contains("try 1 of 3"),
        "{miss}"
    );
    p.send_line(PASS).unwrap();
    let rest = p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0, "{rest}");
    let response: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(response["request_id"], "req-pty-1");
    assert_eq!(
        response["transactions"][0]["txid"],
        req.transactions[0].raw.txid().to_hex()
    );

    // The audit log records both misses.
    let audit = std::fs::read_to_string(env.home().join("audit.log")).unwrap();
    assert!(
        audit.contains("wrong confirmation code (try 1 of 3)"),
        "{audit}"
    );
    assert!(audit.matches("\"retry\"").count() >= 2, "{audit}");

    // `show-last` gives the same response again.
    let mut p = env.pty(&["show-last"]);
    let shown = p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0, "{shown}");
    let start = shown.find('{').expect("JSON shown");
    let again: serde_json::Value = serde_json::from_str(shown[start..].trim()).unwrap();
    assert_eq!(again, response);
}
