//! Helpers shared by coldpay's cross-crate tests.
//!
//! [`bin`] builds a workspace binary once per test process and returns its path, so tests in
//! this package can drive `coldpay-signer`, `coldpay-broadcaster` and `coldpay-devnode` as
//! users do.

pub mod docs;
pub mod screens;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The workspace root (the parent of this package).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// Builds the binary `name` of the workspace package of the same name (once per process) and
/// returns its path.
///
/// # Panics
/// If cargo cannot build it.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let map = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(p) = map.get(name) {
        return p.clone();
    }
    // `cargo test --workspace` has already built every package's binaries next to the test
    // executables (target/debug/); use them unless a rebuild is asked for.
    if std::env::var_os("COLDPAY_TEST_REBUILD").is_none() {
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().and_then(Path::parent).map(Path::to_path_buf))
        {
            let p = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
            if p.exists() {
                map.insert(name.to_string(), p.clone());
                return p;
            }
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--quiet", "-p", name, "--bin", name])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p {name} failed");
    let path = target_dir()
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} not found after build", path.display());
    map.insert(name.to_string(), path.clone());
    path
}

/// Path of a file in the shared crate's test data (the copied reference vectors).
pub fn vector_file(name: &str) -> PathBuf {
    workspace_root().join("shared/tests/data").join(name)
}

/// Loads a vector file as JSON.
///
/// # Panics
/// If the file is missing or not JSON.
pub fn load_vectors(name: &str) -> serde_json::Value {
    let p = vector_file(name);
    serde_json::from_str(&std::fs::read_to_string(&p).expect("read vectors")).expect("json")
}

/// The demo passphrase file (relative to the workspace root) the ceremony tests unlock with.
pub const DEMO_PASSPHRASE: &str = "docs/examples/DEMO-PASSPHRASE.txt";

/// A command's stdout, after asserting it succeeded (`what` names it in the failure).
pub fn ok(o: &std::process::Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs the signer on `home` (from the workspace root, so relative paths such as
/// [`DEMO_PASSPHRASE`] resolve).
pub fn signer_at(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin("coldpay-signer"))
        .arg("--home")
        .arg(home)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap()
}

/// A signer home on the local network with one wallet, `treasury`, whose first account is the
/// only admin of a sealed 1-of-1 `policy` (`sign` enforces only a sealed policy). Returns the
/// treasury's address.
pub fn sealed_treasury_home(home: &Path, policy: &str) -> String {
    let signer = |args: &[&str]| signer_at(home, args);
    ok(&signer(&["init", "--network", "local"]), "init");
    std::fs::write(home.join("policy.toml"), policy).unwrap();
    let new = [
        "keys",
        "new",
        "--name",
        "treasury",
        "--no-confirm",
        "--kdf-iterations",
        "600000",
        "--passphrase-file",
        DEMO_PASSPHRASE,
    ];
    ok(&signer(&new), "keys new");
    let list: serde_json::Value =
        serde_json::from_str(&ok(&signer(&["keys", "list", "--json"]), "keys list")).unwrap();
    let treasury = list[0]["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = format!("{treasury}:treasury admin");
    let enroll = [
        "policy",
        "enroll",
        "--admin",
        &admin,
        "--threshold",
        "1",
        "--passphrase-file",
        DEMO_PASSPHRASE,
    ];
    ok(&signer(&enroll), "policy enroll");
    treasury
}
