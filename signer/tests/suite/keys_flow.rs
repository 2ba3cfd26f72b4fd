//! Key creation and import as an operator goes through them: the passphrase first, a typo in
//! the three-word check asked for again (the same words, no new mnemonic), and mistyped
//! mnemonic words named by their position counted from 1 with the nearest BIP-39 words.

use crate::common;

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::address_of;
use serde_json::Value;

const PASS: &str = "correct horse battery";
const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn signer(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coldpay-signer"));
    c.arg("--home").arg(home);
    c
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, PASS).unwrap();
    let out = signer(&home)
        .args(["init", "--network", "nile"])
        .output()
        .unwrap();
    assert!(out.status.success());
    (dir, home, pass)
}

/// Reads stderr up to and including `marker`, returning what was read.
fn read_until(err: &mut impl Read, marker: &str) -> String {
    let mut got = Vec::new();
    let mut b = [0u8; 1];
    while !String::from_utf8_lossy(&got).ends_with(marker) {
        assert_eq!(
            err.read(&mut b).unwrap(),
            1,
            "stderr ended before {marker:?}: {}",
            String::from_utf8_lossy(&got)
        );
        got.push(b[0]);
    }
    String::from_utf8(got).unwrap()
}

#[test]
fn a_typo_in_the_word_check_asks_for_that_word_again() {
    let (_dir, home, pass) = setup();
    let mut child = signer(&home)
        .args([
            "keys",
            "new",
            "--name",
            "t",
            "--words",
            "12",
            "--json",
            "--kdf-iterations",
            "600000",
            "--passphrase-file",
        ])
        .arg(&pass)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let shown = read_until(
        &mut err,
        "Check your copy: type the three words asked for.\n",
    );
    let words: Vec<String> = shown
        .lines()
        .filter_map(|l| l.trim().split_once(". "))
        .filter(|(n, _)| n.parse::<usize>().is_ok())
        .map(|(_, w)| w.to_string())
        .collect();
    assert_eq!(words.len(), 12, "{shown}");
    for round in 0..3 {
        let prompt = read_until(&mut err, ": ");
        let n: usize = prompt
            .trim()
            .strip_prefix("Word #")
            .and_then(|r| r.strip_suffix(':'))
            .unwrap_or_else(|| panic!("prompt {prompt:?}"))
            .parse()
            .unwrap();
        if round == 1 {
            // A typo: the same word is asked for again, nothing else changes.
            writeln!(stdin, "{}x", words[n - 1]).unwrap();
            let again = read_until(&mut err, &format!("Word #{n}: "));
            assert!(
                again.contains(&format!(
                    "That is not word #{n}. Check your written copy and type word #{n} again."
                )),
                "{again}"
            );
        }
        writeln!(stdin, "  {}  ", words[n - 1].to_uppercase()).unwrap();
    }
    drop(stdin);
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{rest}");
    assert!(!rest.contains("Write down"), "no new mnemonic: {rest}");
    // The stored wallet is the one whose words were shown.
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut import = signer(&home)
        .args(["keys", "import-mnemonic", "--name", "copy"])
        .args(["--kdf-iterations", "600000", "--passphrase-file"])
        .arg(&pass)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(import.stdin.take().unwrap(), "{}", words.join(" ")).unwrap();
    assert!(import.wait().unwrap().success());
    assert_eq!(created["accounts"][0]["address"], address_of(&home, "copy"));
}

#[test]
fn three_misses_of_a_word_from_a_script_save_nothing() {
    let (_dir, home, pass) = setup();
    let out = signer(&home)
        .args(["keys", "new", "--name", "t", "--passphrase-file"])
        .arg(&pass)
        .stdin(Stdio::piped())
        .output_with_stdin("nope\nnope\nnope\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("That is not word #").count(), 2, "{err}");
    assert!(
        err.contains("did not match 3 times; nothing was saved"),
        "{err}"
    );
    assert!(!home.join("keystores/t.json").exists());
}

#[test]
fn the_passphrase_is_asked_before_any_word_is_shown() {
    let (dir, home, _) = setup();
    let short = dir.path().join("short.txt");
    std::fs::write(&short, "seven77").unwrap();
    let out = signer(&home)
        .args(["keys", "new", "--name", "t", "--passphrase-file"])
        .arg(&short)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least 8 characters"), "{err}");
    assert!(
        !err.contains("Write down"),
        "no words before the passphrase: {err}"
    );
}

#[test]
fn an_unknown_mnemonic_word_is_named_from_one_with_suggestions() {
    let (_dir, home, pass) = setup();
    let typed = ABANDON.replacen("abandon abandon abandon", "abandon abandon abandn", 1);
    let out = signer(&home)
        .args([
            "keys",
            "import-mnemonic",
            "--name",
            "m",
            "--passphrase-file",
        ])
        .arg(&pass)
        .stdin(Stdio::piped())
        .output_with_stdin(&format!("{typed}\n"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown word 3 (not in the BIP-39 English list); nearest: abandon"),
        "{err}"
    );
    assert!(
        !err.contains("abandn"),
        "the typed word is not echoed: {err}"
    );
    assert!(!home.join("keystores/m.json").exists());
}

trait WithStdin {
    fn output_with_stdin(&mut self, input: &str) -> std::process::Output;
}

impl WithStdin for Command {
    fn output_with_stdin(&mut self, input: &str) -> std::process::Output {
        let mut child = self
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The child may exit before reading everything; a broken pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        child.wait_with_output().unwrap()
    }
}
