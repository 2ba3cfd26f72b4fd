//! `coldpay-broadcaster --version` names version, commit, rustc and target.

use std::process::Command;

#[test]
fn version_names_commit_rustc_and_target() {
    let out = Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0],
        format!("coldpay-broadcaster {}", env!("CARGO_PKG_VERSION"))
    );
    let commit = lines[1].strip_prefix("commit: ").expect(&text);
    assert!(
        commit.len() == 40 + 13 || commit.starts_with("unknown"),
        "{text}"
    );
    assert!(lines[2].starts_with("rustc:  1."), "{text}");
    let target = lines[3].strip_prefix("target: ").expect(&text);
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
        "{text}"
    );
}
