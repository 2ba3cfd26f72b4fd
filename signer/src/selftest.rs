//! `selftest`: names the build (version, commit) and the SHA-256 of the running executable,
//! proves the sandbox, warns about live network interfaces, checks the RNG, times the KDF and
//! runs known-answer tests of signing and address derivation.

use std::path::Path;
use std::time::Instant;

use coldpay_shared::{Address, Signature, TxId};
use k256::ecdsa::SigningKey;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Result, SignerError};
use crate::sandbox::{interfaces_up, socket_creation_blocked, SandboxState};

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// The executable as the kernel loaded it (not whatever file now has its name).
const SELF_EXE: &str = "/proc/self/exe";

/// The release this binary was built from: version, commit and the commit's date.
const VERSION: &str = env!("CARGO_PKG_VERSION");
const COMMIT: &str = env!("COLDPAY_BUILD_COMMIT");
const COMMIT_DATE: &str = env!("COLDPAY_BUILD_DATE");

/// SHA-256 (hex) of the running executable, read through `/proc/self/exe`: the operator
/// compares it with the `coldpay-signer` line of the release's `SHA256SUMS`.
pub fn executable_sha256() -> Result<String> {
    let path = Path::new(SELF_EXE);
    let mut file = std::fs::File::open(path).map_err(|e| SignerError::io(path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| SignerError::io(path, e))?;
    Ok(hex::encode(hasher.finalize()))
}

/// Runs every check; prints a report; errors if a check fails.
pub fn run(state: SandboxState, json_out: bool) -> Result<()> {
    let mut checks = Vec::new();
    let mut failed = false;
    let exe_sha256 = executable_sha256();
    let mut check = |name: &str, ok: bool, detail: String| {
        failed |= !ok;
        checks.push(json!({"check": name, "ok": ok, "detail": detail}));
    };
    let blocked = socket_creation_blocked();
    check(
        "sandbox",
        state == SandboxState::Active && blocked,
        if blocked {
            "socket creation fails (seccomp filter active)".into()
        } else {
            "socket creation is NOT blocked".into()
        },
    );
    let ifs = interfaces_up();
    let mut warnings: Vec<String> = if ifs.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "network interfaces up: {} — this machine is not air-gapped",
            ifs.join(", ")
        )]
    };
    if let Err(e) = &exe_sha256 {
        warnings.push(format!(
            "cannot hash this executable ({e}): compare the file with SHA256SUMS another way"
        ));
    }
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    let rng_ok = getrandom::getrandom(&mut a).is_ok()
        && getrandom::getrandom(&mut b).is_ok()
        && a != b
        && a != [0u8; 32];
    check(
        "rng",
        rng_ok,
        "OS RNG returns distinct non-zero output".into(),
    );
    // The keystore KDF: RFC 7914's PBKDF2-HMAC-SHA256 vector, then the time of 600,000
    // iterations.
    let kat_ok = hex::encode(*crate::kdf::pbkdf2_sha256(b"passwd", b"salt", 1))
        == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc";
    let t = Instant::now();
    let _ = crate::kdf::pbkdf2_sha256(
        b"selftest",
        b"coldpay-selftest",
        crate::keystore::MIN_ITERATIONS,
    );
    let kdf_ms = t.elapsed().as_millis();
    check(
        "kdf",
        kat_ok,
        format!("PBKDF2-HMAC-SHA256 known answer (RFC 7914) and 600,000 iterations: {kdf_ms} ms"),
    );
    let key = crate::wallet::derive_key(ABANDON, "", 0)?;
    let addr = Address::from_public_key(key.verifying_key()).to_base58();
    check(
        "derivation_kat",
        addr == "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
        format!("abandon…about m/44'/195'/0'/0/0 → {addr}"),
    );
    let kat_key = SigningKey::from_slice(
        &hex::decode("b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28")
            .expect("hex"),
    )
    .expect("key");
    let txid = TxId::from_hex("0f89c6365796afa96ae05fab57207a4d8c5cc801b92ac2099c7dd9dcd5a91df0")?;
    let sig = Signature::sign_txid(&kat_key, &txid)?;
    check(
        "signing_kat",
        sig.to_hex() == "fe599fc2386cabae4f7a9478d4ab8116513cb849644b997521f9192e4be74fec7efa3449c806bf0307e53d8ad659bf9d18795c87a059acecbce28de58c43631e01",
        "RFC 6979 low-S signature of a known txID".into(),
    );
    let exe_sha256 = exe_sha256.ok();
    if json_out {
        println!("{}", serde_json::to_string_pretty(&json!({"ok": !failed, "version": VERSION, "commit": COMMIT, "commit_date": COMMIT_DATE, "executable_sha256": exe_sha256, "checks": checks, "warnings": warnings, "kdf_ms_600k": kdf_ms})).expect("json"));
    } else {
        println!("coldpay-signer {VERSION}, commit {COMMIT} ({COMMIT_DATE})");
        if let Some(hash) = &exe_sha256 {
            println!("sha256 {hash}  (compare with coldpay-signer in SHA256SUMS)");
        }
        for c in &checks {
            println!(
                "[{}] {:<15} {}",
                if c["ok"] == true { " ok " } else { "FAIL" },
                c["check"].as_str().unwrap_or(""),
                c["detail"].as_str().unwrap_or("")
            );
        }
        for w in &warnings {
            println!("[warn] {w}");
        }
    }
    if failed {
        return Err(SignerError::Other("selftest failed".into()));
    }
    Ok(())
}
