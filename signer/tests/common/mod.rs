//! A signer home for CLI tests: bound to mainnet, the known-answer key imported as `kat`,
//! a policy allowing USDT to one address.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest, U256};

pub(crate) const KAT_KEY: &str = "b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28";
pub(crate) const KAT_ADDR: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";
pub(crate) const USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
pub(crate) const ALLOWED: &str = "TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm";
pub(crate) const PASS: &str = "correct horse battery";
pub(crate) const HOUR: u64 = 3_600_000;

/// A temporary signer home.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl Env {
    pub(crate) fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(env.path("pass.txt"), format!("{PASS}\n")).unwrap();
        assert!(env.run(&["init", "--network", "mainnet"]).status.success());
        let pass = env.path("pass.txt");
        let args = [
            "keys",
            "import-private",
            "--name",
            "kat",
            "--kdf-iterations",
            "600000",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ];
        let out = env.run_stdin(&args, &format!("{KAT_KEY}\n"), &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::write(env.home().join("policy.toml"), policy()).unwrap();
        env
    }
    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Runs the signer without a controlling terminal (prompts read `stdin`).
    pub(crate) fn run_stdin(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let bin = assert_cmd::cargo::cargo_bin("coldpay-signer");
        let mut c = if Path::new("/usr/bin/setsid").exists() {
            let mut c = std::process::Command::new("/usr/bin/setsid");
            c.arg(bin);
            c
        } else {
            std::process::Command::new(bin)
        };
        c.arg("--home").arg(self.home()).args(args);
        for k in ["COLDPAY_SIGNER_HOME", "COLDPAY_SIGNER_TEST_NOW_MS", "PAGER"] {
            c.env_remove(k);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut sin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut sin, stdin.as_bytes()).unwrap();
        drop(sin);
        child.wait_with_output().unwrap()
    }
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_stdin(args, "", &[])
    }
    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
    pub(crate) fn write_request(&self, name: &str, req: &SignRequest) -> PathBuf {
        self.write(name, &req.to_json().to_string())
    }
    pub(crate) fn audit_text(&self) -> String {
        std::fs::read_to_string(self.home().join("audit.log")).unwrap_or_default()
    }
}

pub(crate) fn policy() -> String {
    format!(
        r#"unattended = true
[destinations]
mode = "allowlist"
allow = [ {{ address = "{ALLOWED}", label = "exchange hot wallet" }} ]
[[tokens]]
symbol = "USDT"
contract = "{USDT}"
decimals = 6
max_per_tx = "50000"
max_per_request = "60000"
max_per_24h = "90000"
"#
    )
}

/// A USDT transfer of `units` base units to [`ALLOWED`].
pub(crate) fn usdt_tx(units: u64, expiration: u64, nonce: u64) -> RawData {
    RawData::trc20_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(USDT).unwrap(),
        Address::parse(ALLOWED).unwrap(),
        U256::from(units),
        30_000_000,
        RefBlock {
            bytes: [0x12, 0x34],
            hash: [1, 2, 3, 4, 5, 6, 7, 8],
        },
        expiration,
        nonce,
    )
}

/// A request `req-1` of one transaction per `(payout id, base units)`, expiring in an hour.
pub(crate) fn request(payouts: &[(&str, u64)]) -> SignRequest {
    let exp = now_ms() + HOUR;
    SignRequest {
        permission: None,
        permission_before: None,
        network: Network::Mainnet,
        request_id: "req-1".into(),
        created_at: now_ms(),
        transactions: payouts
            .iter()
            .enumerate()
            .map(|(i, (p, units))| RequestTx::new(*p, usdt_tx(*units, exp, i as u64)))
            .collect(),
    }
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
