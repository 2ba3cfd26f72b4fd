//! The signer names its build: `--version` gives version, commit, rustc and target, and
//! `selftest` prints the SHA-256 of the executable that is running (what an operator compares
//! with `SHA256SUMS` on the offline laptop).

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn signer() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_coldpay-signer"))
}

fn git_head() -> Option<String> {
    let out = Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn rustc_release() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-V").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().trim_start_matches("rustc ").to_string()
}

#[test]
fn version_names_commit_rustc_and_target() {
    let out = Command::new(signer()).arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("coldpay-signer {}", env!("CARGO_PKG_VERSION"))
    );
    let commit = lines[1].strip_prefix("commit: ").expect(&text);
    let (hash, date) = commit.split_once(' ').expect(&text);
    let from_bundle = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../SOURCE_COMMIT")
        .exists();
    match git_head() {
        Some(head) if !from_bundle => assert_eq!(hash, head, "{text}"),
        _ => assert!(hash.len() == 40 || hash == "unknown", "{text}"),
    }
    assert!(
        date.len() == 12 && date.starts_with("(20") && date.ends_with(')'),
        "{text}"
    );
    assert_eq!(lines[2], format!("rustc:  {}", rustc_release()));
    let target = lines[3].strip_prefix("target: ").expect(&text);
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
        "{text}"
    );
    // -V stays the one-line short form.
    let out = Command::new(signer()).arg("-V").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("coldpay-signer {}\n", env!("CARGO_PKG_VERSION"))
    );
}

fn selftest_json(exe: &Path) -> serde_json::Value {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(exe)
        .args(["selftest", "--json"])
        .env("COLDPAY_SIGNER_HOME", home.path())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn selftest_hashes_the_running_executable() {
    // A copy with a byte appended still runs (ELF ignores trailing data) but hashes
    // differently: the hash must follow the file that runs, not the build's output path.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("coldpay-signer");
    let mut bytes = std::fs::read(signer()).unwrap();
    bytes.push(0);
    std::fs::write(&copy, &bytes).unwrap();
    std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for exe in [signer(), copy.as_path()] {
        let v = selftest_json(exe);
        assert_eq!(v["executable_sha256"], sha256_of(exe), "{v}");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert!(v["commit"].as_str().is_some_and(|c| !c.is_empty()), "{v}");
    }
    assert_ne!(sha256_of(signer()), sha256_of(&copy));
    // The text report prints the same hash beside version and commit.
    let out = Command::new(&copy).arg("selftest").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "coldpay-signer {}, commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "sha256 {}  (compare with coldpay-signer in SHA256SUMS)",
            sha256_of(&copy)
        )),
        "{text}"
    );
}
