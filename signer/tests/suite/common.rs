//! The signer CLI tests' shared environment: a temporary home (bound to mainnet by default,
//! the known-answer key imported as `kat`, a policy allowing USDT to one address), ways to
//! run the binary in it, and request builders.

// Not every item is used by the suite's modules at every moment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use coldpay_shared::handoff::RequestTx;
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest, U256};

pub(crate) use coldpay_testkit::fixtures::{ALLOWED, KAT_ADDR, KAT_KEY, USDT};
pub(crate) use coldpay_testkit::{Limits, Policy};
pub(crate) const PASS: &str = "correct horse battery";
pub(crate) const HOUR: u64 = 3_600_000;
/// The reference block every test transaction points at.
pub(crate) const REF: RefBlock = RefBlock {
    bytes: [0x12, 0x34],
    hash: [1, 2, 3, 4, 5, 6, 7, 8],
};
/// Test-only variables of the signer cleared from every run so the caller's shell cannot leak in.
const CLEARED_VARS: [&str; 4] = [
    "COLDPAY_SIGNER_HOME",
    "COLDPAY_SIGNER_TEST_NOW_MS",
    "COLDPAY_SIGNER_TEST_CLOCK_STEP_MS",
    "PAGER",
];

/// Declares a test file's `Env`: the shared [`Env`] (its methods reached through `Deref`),
/// to which the file adds its own methods in an `impl Env` (those shadow the shared ones).
// Like the items above, unused by the test files that take the shared `Env` as it is.
#[allow(unused_macros)]
macro_rules! local_env {
    () => {
        /// The shared home, with this file's own ways to run the signer in it.
        struct Env(common::Env);

        impl std::ops::Deref for Env {
            type Target = common::Env;
            fn deref(&self) -> &common::Env {
                &self.0
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use local_env;

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
    /// A home with the default [`policy`].
    pub(crate) fn new() -> Env {
        Env::with_policy(&policy())
    }
    /// A mainnet home holding the KAT key as `kat`, with `policy` as its policy.
    pub(crate) fn with_policy(policy: &str) -> Env {
        Env::setup("mainnet", policy)
    }
    /// A home initialised for `network`, holding the KAT key as `kat`, with `policy` sealed.
    pub(crate) fn setup(network: &str, policy: &str) -> Env {
        let env = Env::setup_unsealed(network, policy);
        env.set_policy(policy);
        env
    }
    /// As [`Env::setup`], with `policy` only written to policy.toml (a home never sealed).
    pub(crate) fn setup_unsealed(network: &str, policy: &str) -> Env {
        let env = Env::empty();
        std::fs::write(env.path("pass.txt"), format!("{PASS}\n")).unwrap();
        assert!(env.run(&["init", "--network", network]).status.success());
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
        std::fs::write(env.home().join("policy.toml"), policy).unwrap();
        env
    }
    /// A temporary folder with no home in it yet.
    pub(crate) fn empty() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// The signer bound to this home, for `assert_cmd` runs (the caller's terminal kept).
    pub(crate) fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("coldpay-signer").unwrap();
        c.arg("--home").arg(self.home());
        c.env_remove("COLDPAY_SIGNER_HOME");
        c
    }
    /// Makes `text` this home's sealed policy (see [`seal_policy`]); panics when it is refused.
    pub(crate) fn set_policy(&self, text: &str) {
        let o = self.try_set_policy(text);
        assert!(
            o.status.success(),
            "sealing the test policy: {}",
            stderr(&o)
        );
    }
    /// Seals `text` as [`seal_policy`] does and returns the output of the command that sealed
    /// it (or refused it).
    pub(crate) fn try_set_policy(&self, text: &str) -> Output {
        seal_policy(&self.home(), &self.path("pass.txt"), text, &|args| {
            self.run(args)
        })
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
        for k in CLEARED_VARS {
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
    /// The ledger's lines, parsed (none when it does not exist).
    pub(crate) fn ledger(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.home().join("ledger.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
    pub(crate) fn audit_text(&self) -> String {
        std::fs::read_to_string(self.home().join("audit.log")).unwrap_or_default()
    }
}

/// The test admin key (1-of-1 admin of every test home's sealed policy; never fund it).
pub(crate) const ADMIN_KEY: [u8; 32] = [0x42; 32];

/// The test admin's address.
pub(crate) fn admin_address() -> String {
    let k = k256::ecdsa::SigningKey::from_slice(&ADMIN_KEY).unwrap();
    Address::from_public_key(k.verifying_key()).to_base58()
}

/// A TIP-191 approval by the test admin of the proposal file at `proposal`.
pub(crate) fn admin_approval(proposal: &Path, key: &[u8; 32]) -> String {
    let text = std::fs::read_to_string(proposal).unwrap();
    let p = coldpay_signer::policy_update::Proposal::parse(&text, proposal_network(&text)).unwrap();
    let k = k256::ecdsa::SigningKey::from_slice(key).unwrap();
    let sig = coldpay_signer::tip191::sign(&k, p.message().as_bytes()).unwrap();
    serde_json::json!({
        "address": Address::from_public_key(k.verifying_key()).to_base58(),
        "signature": sig,
    })
    .to_string()
}

fn proposal_network(text: &str) -> Network {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    serde_json::from_value(v["network"].clone()).unwrap()
}

/// Makes `text` the sealed policy of the home `home` (holding the wallet `kat`, passphrase in
/// `pass`): the first time with `policy enroll` (the test admin as 1-of-1 admin, unless the
/// text names its own [admins]); after that as an update the test admin approves
/// (`policy propose`, a TIP-191 approval made here, `policy apply`). `run` runs the signer in
/// that home. Returns the output of the sealing command (or of the one that refused).
pub(crate) fn seal_policy(
    home: &Path,
    pass: &Path,
    text: &str,
    run: &dyn Fn(&[&str]) -> Output,
) -> Output {
    let pass = pass.to_str().unwrap();
    let sealed = home.join("policy.d").exists();
    let wallet = test_wallet(home);
    if !sealed {
        std::fs::write(home.join("policy.toml"), text).unwrap();
        let admin = format!("{}:test admin", admin_address());
        let mut args = vec![
            "policy",
            "enroll",
            "--key",
            &wallet,
            "--passphrase-file",
            pass,
        ];
        if !text.contains("[admins]") {
            args.extend(["--admin", &admin, "--threshold", "1"]);
        }
        return run(&args);
    }
    let dir = home.parent().unwrap();
    let new = dir.join("policy-new.toml");
    let proposal = dir.join("policy-proposal.json");
    let approval = dir.join("policy-approval.json");
    std::fs::write(&new, text).unwrap();
    let mut o = run(&[
        "policy",
        "propose",
        new.to_str().unwrap(),
        "-o",
        proposal.to_str().unwrap(),
    ]);
    if String::from_utf8_lossy(&o.stderr).contains("nothing to change") {
        // Already the sealed policy.
        o.status = std::os::unix::process::ExitStatusExt::from_raw(0);
        return o;
    }
    if !o.status.success() {
        return o;
    }
    std::fs::write(&approval, admin_approval(&proposal, &ADMIN_KEY)).unwrap();
    run(&[
        "policy",
        "apply",
        proposal.to_str().unwrap(),
        approval.to_str().unwrap(),
        "--key",
        &wallet,
        "--passphrase-file",
        pass,
    ])
}

/// The wallet that unlocks for sealing: `kat` when the home holds it, else the first by name.
fn test_wallet(home: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(home.join("keystores"))
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(String::from)
        })
        .collect();
    names.sort();
    if names.iter().any(|n| n == "kat") {
        return "kat".into();
    }
    names.into_iter().next().expect("the home holds a wallet")
}

/// The test policy ([`Policy::test`]).
pub(crate) fn policy() -> String {
    Policy::test().to_toml()
}

/// A USDT transfer of `units` base units to [`ALLOWED`].
pub(crate) fn usdt_tx(units: u64, expiration: u64, nonce: u64) -> RawData {
    RawData::trc20_transfer(
        Address::parse(KAT_ADDR).unwrap(),
        Address::parse(USDT).unwrap(),
        Address::parse(ALLOWED).unwrap(),
        U256::from(units),
        30_000_000,
        REF,
        expiration,
        nonce,
    )
}

/// A request `req-1` of one transaction per `(payout id, base units)`, expiring in an hour.
pub(crate) fn request(payouts: &[(&str, u64)]) -> SignRequest {
    let exp = now_ms() + HOUR;
    let txs = payouts
        .iter()
        .enumerate()
        .map(|(i, (p, units))| RequestTx::new(*p, usdt_tx(*units, exp, i as u64)));
    sign_request(Network::Mainnet, "req-1", txs.collect())
}

/// A request `id` for `network` of `transactions`, created now, with no permission claim.
pub(crate) fn sign_request(
    network: Network,
    id: &str,
    transactions: Vec<RequestTx>,
) -> SignRequest {
    SignRequest {
        permission: None,
        permission_before: None,
        network,
        request_id: id.into(),
        created_at: now_ms(),
        transactions,
    }
}

/// The account-0 address of wallet `name` in `home`, as `keys list --json` reports it.
pub(crate) fn address_of(home: &Path, name: &str) -> String {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("coldpay-signer"))
        .arg("--home")
        .arg(home)
        .args(["keys", "list", "--json"])
        .env_remove("COLDPAY_SIGNER_HOME")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wallet = v.as_array().unwrap().iter().find(|w| w["name"] == name);
    let wallet = wallet.expect("wallet listed");
    wallet["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string()
}

/// sha256 (hex) of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
