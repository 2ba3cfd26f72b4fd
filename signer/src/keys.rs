//! `keys …` commands: create, import, derive, list, export watch-only, change passphrase, remove.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::Path;

use coldpay_shared::handoff::{ApproverFor, WatchAccount, WatchExport};
use k256::ecdsa::SigningKey;
use serde_json::json;
use zeroize::Zeroizing;

use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::keystore::{Keystore, WalletKind, WalletSecret};
use crate::passphrase::PassSource;
use crate::screen::AltScreen;
use crate::wallet::{
    account_entry, account_key, generate_mnemonic, is_list_word, parse_mnemonic, tron_path,
    unknown_word_message, WORD_COUNTS,
};

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).expect("json"));
}

fn ensure_new(home: &Home, name: &str) -> Result<std::path::PathBuf> {
    let p = home.keystore_path(name)?;
    if p.exists() {
        return Err(SignerError::Usage(format!(
            "a wallet named {name:?} already exists"
        )));
    }
    Ok(p)
}

/// Reads one line without echo from the terminal, or from stdin when it is not one; the prompt
/// then goes to stderr, so a driving script sees what is asked. Surrounding spaces are dropped.
fn read_line_secret(prompt: &str) -> Result<Zeroizing<String>> {
    read_secret(prompt, true)
}

/// [`read_line_secret`] for input that scripts pipe in whole (a mnemonic, a private key): the
/// prompt is shown only on a terminal, so piped input prints nothing but the result.
fn read_piped_secret(prompt: &str) -> Result<Zeroizing<String>> {
    read_secret(prompt, false)
}

fn read_secret(prompt: &str, prompt_when_piped: bool) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        let s = rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| SignerError::io("terminal", e))?;
        return Ok(Zeroizing::new(s.trim().to_string()));
    }
    if prompt_when_piped {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
    }
    let mut s = Zeroizing::new(String::new());
    let n = std::io::stdin()
        .lock()
        .read_line(&mut s)
        .map_err(|e| SignerError::io("stdin", e))?;
    if n == 0 {
        return Err(SignerError::Usage(format!(
            "input ended at the prompt \"{}\"; nothing was saved",
            prompt.trim_end_matches([' ', ':'])
        )));
    }
    Ok(Zeroizing::new(s.trim().to_string()))
}

/// Waits for Enter on the terminal.
fn wait_for_enter(prompt: &str) -> Result<()> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) => Err(SignerError::Usage(
            "input ended before Enter; nothing was saved".into(),
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(SignerError::io("stdin", e)),
    }
}

fn create_wallet(
    home: &Home,
    name: &str,
    kind: WalletKind,
    secret: &WalletSecret,
    passphrase: &Zeroizing<String>,
    iterations: u32,
    json: bool,
) -> Result<()> {
    let path = ensure_new(home, name)?;
    let key = account_key(kind, secret, 0)?;
    let entry = account_entry(kind, &key, 0);
    let ks = Keystore::seal(
        path,
        name,
        kind,
        vec![entry.clone()],
        secret,
        passphrase.as_bytes(),
        iterations,
    )?;
    ks.write()?;
    if json {
        print_json(&json!({"name": name, "kind": kind, "accounts": [entry]}));
    } else {
        println!(
            "wallet {name}: account 0 {} {}",
            entry.address,
            entry.path.unwrap_or_default()
        );
    }
    Ok(())
}

/// Prints the words of a new mnemonic: one per line for scripts, in three columns on the
/// alternate screen so 24 words fit an 80 × 24 terminal.
fn show_words(screen: &AltScreen, name: &str, list: &[&str]) {
    eprintln!(
        "Write down these {} words in order. They are shown only now.\nThey are the only backup of wallet {name}.\n",
        list.len()
    );
    let columns = if screen.is_active() { 3 } else { 1 };
    for line in word_lines(list, columns) {
        eprintln!("{}", line.as_str());
    }
    eprintln!();
}

/// The numbered words in `columns` columns, numbered down each column ("   1. abandon").
fn word_lines(list: &[&str], columns: usize) -> Vec<Zeroizing<String>> {
    let rows = list.len().div_ceil(columns.max(1));
    (0..rows)
        .map(|r| {
            let mut line = Zeroizing::new(String::with_capacity(80));
            for i in (r..list.len()).step_by(rows) {
                let _ = write!(line, "  {:>2}. {:<12}", i + 1, list[i]);
            }
            let end = line.trim_end().len();
            line.truncate(end);
            line
        })
        .collect()
}

/// Three distinct word positions, uniformly at random, in order.
fn pick_three(n: usize) -> Result<Vec<usize>> {
    let mut idx = Vec::with_capacity(3);
    let limit = 65_536 - 65_536 % n;
    while idx.len() < 3.min(n) {
        let mut b = [0u8; 2];
        getrandom::getrandom(&mut b).map_err(|e| SignerError::Other(format!("rng: {e}")))?;
        let v = usize::from(u16::from_le_bytes(b));
        if v < limit && !idx.contains(&(v % n)) {
            idx.push(v % n);
        }
    }
    idx.sort_unstable();
    Ok(idx)
}

/// Asks for word `i` until it matches. A typo asks again for that word only; after three
/// misses the words are shown again on a terminal (the written copy is likely wrong), while a
/// script is refused.
fn check_word(screen: &AltScreen, name: &str, list: &[&str], i: usize) -> Result<()> {
    let n = i + 1;
    let mut misses = 0;
    loop {
        let typed = read_line_secret(&format!("Word #{n}: "))?;
        if typed.eq_ignore_ascii_case(list[i]) {
            return Ok(());
        }
        misses += 1;
        if misses < 3 {
            eprintln!("That is not word #{n}. Check your written copy and type word #{n} again.");
            continue;
        }
        if !screen.is_active() {
            return Err(SignerError::Usage(format!(
                "word #{n} did not match 3 times; nothing was saved — start again"
            )));
        }
        screen.clear();
        eprintln!("Word #{n} did not match 3 times: your written copy may differ from the words. Correct it now.\n");
        show_words(screen, name, list);
        wait_for_enter("Press Enter when your copy is corrected. ")?;
        screen.clear();
        misses = 0;
    }
}

/// `keys new`: the keystore passphrase is asked first, then the words are shown (on the
/// terminal's alternate screen, cleared afterwards) and three of them are checked.
pub fn new(
    home: &Home,
    name: &str,
    words: usize,
    confirm: bool,
    pass: &PassSource,
    iterations: u32,
    json: bool,
) -> Result<()> {
    ensure_new(home, name)?;
    if !matches!(words, 12 | 24) {
        return Err(SignerError::Usage(format!(
            "--words must be 12 or 24, got {words}"
        )));
    }
    let passphrase = pass.read_new(&format!("wallet {name}"))?;
    let phrase = Zeroizing::new(generate_mnemonic(words)?.to_string());
    let list: Vec<&str> = phrase.split(' ').collect();
    let screen = AltScreen::enter();
    show_words(&screen, name, &list);
    if screen.is_active() {
        wait_for_enter(&format!(
            "Press Enter when all {words} words are written down (the screen is then cleared). "
        ))?;
        screen.clear();
    }
    if confirm {
        eprintln!("Check your copy: type the three words asked for.");
        for i in pick_three(list.len())? {
            check_word(&screen, name, &list, i)?;
        }
    }
    if screen.leave() {
        eprintln!(
            "The words are cleared from the screen: they were shown on the alternate screen,\n\
             which is now closed, and are not in the terminal's scrollback."
        );
    }
    let secret = WalletSecret {
        mnemonic: phrase.clone(),
        bip39_passphrase: Zeroizing::new(String::new()),
        private_key: Zeroizing::new([0u8; 32]),
    };
    create_wallet(
        home,
        name,
        WalletKind::Mnemonic,
        &secret,
        &passphrase,
        iterations,
        json,
    )
}

/// Reads the mnemonic. On a terminal each word not in the BIP-39 list is named (counted from
/// 1, with the nearest list words) and asked for again, up to three times.
fn read_mnemonic() -> Result<Zeroizing<String>> {
    let line = read_piped_secret("Mnemonic (the words in order, separated by spaces): ")?;
    if !std::io::stdin().is_terminal() {
        return Ok(line);
    }
    let mut words: Vec<Zeroizing<String>> = line
        .split_whitespace()
        .map(|w| Zeroizing::new(w.to_ascii_lowercase()))
        .collect();
    if !WORD_COUNTS.contains(&words.len()) {
        return Ok(line);
    }
    for (i, word) in words.iter_mut().enumerate() {
        for _ in 0..3 {
            if is_list_word(word) {
                break;
            }
            eprintln!("{}", unknown_word_message(i, word));
            *word = Zeroizing::new(
                read_line_secret(&format!("Word {}: ", i + 1))?.to_ascii_lowercase(),
            );
        }
    }
    let mut joined = Zeroizing::new(String::new());
    for w in &words {
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(w);
    }
    Ok(joined)
}

/// `keys import-mnemonic`: the keystore passphrase is asked first, then the words.
pub fn import_mnemonic(
    home: &Home,
    name: &str,
    bip39_pass_file: Option<&Path>,
    pass: &PassSource,
    iterations: u32,
    json: bool,
) -> Result<()> {
    ensure_new(home, name)?;
    let passphrase = pass.read_new(&format!("wallet {name}"))?;
    let words = read_mnemonic()?;
    let m = parse_mnemonic(&words)?;
    let bip39_passphrase = match bip39_pass_file {
        Some(f) => {
            let mut s = Zeroizing::new(String::new());
            std::fs::File::open(f)
                .and_then(|mut h| h.read_to_string(&mut s))
                .map_err(|e| SignerError::io(f, e))?;
            let end = s.find(['\n', '\r']).unwrap_or(s.len());
            s.truncate(end);
            s
        }
        None => Zeroizing::new(String::new()),
    };
    let secret = WalletSecret {
        mnemonic: Zeroizing::new(m.to_string()),
        bip39_passphrase,
        private_key: Zeroizing::new([0u8; 32]),
    };
    create_wallet(
        home,
        name,
        WalletKind::Mnemonic,
        &secret,
        &passphrase,
        iterations,
        json,
    )
}

/// `keys import-private`.
pub fn import_private(
    home: &Home,
    name: &str,
    pass: &PassSource,
    iterations: u32,
    json: bool,
) -> Result<()> {
    ensure_new(home, name)?;
    let passphrase = pass.read_new(&format!("wallet {name}"))?;
    let text = read_piped_secret("Private key (64 hex characters): ")?;
    let body = text.trim().trim_start_matches("0x");
    if body.len() != 64 || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignerError::Usage(
            "private key must be exactly 64 hex characters".into(),
        ));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(body, key.as_mut())
        .map_err(|_| SignerError::Usage("private key is not hex".into()))?;
    SigningKey::from_slice(key.as_ref()).map_err(|_| {
        SignerError::Usage("private key is zero or not below the curve order".into())
    })?;
    let secret = WalletSecret {
        mnemonic: Zeroizing::new(String::new()),
        bip39_passphrase: Zeroizing::new(String::new()),
        private_key: key,
    };
    create_wallet(
        home,
        name,
        WalletKind::PrivateKey,
        &secret,
        &passphrase,
        iterations,
        json,
    )
}

/// `keys derive`: adds account `index` to a mnemonic wallet (re-encrypts with a fresh salt and nonce).
pub fn derive(home: &Home, name: &str, index: u32, pass: &PassSource, json: bool) -> Result<()> {
    let ks = home.keystore(name)?;
    if ks.header.kind != WalletKind::Mnemonic {
        return Err(SignerError::Usage(format!(
            "wallet {name} holds a single raw key; only mnemonic wallets derive accounts"
        )));
    }
    if index >= 0x8000_0000 {
        return Err(SignerError::Usage("--index must be below 2^31".into()));
    }
    let passphrase = pass.read(&format!("Passphrase for wallet {name}: "))?;
    let (secret, wallet_key) = ks.unlock_keeping_key(passphrase.as_bytes())?;
    let records = ks.records_key(&wallet_key)?;
    let key = account_key(WalletKind::Mnemonic, &secret, index)?;
    let entry = account_entry(WalletKind::Mnemonic, &key, index);
    let mut accounts = ks.header.accounts.clone();
    if !accounts.iter().any(|a| a.index == index) {
        accounts.push(entry.clone());
        accounts.sort_by_key(|a| a.index);
        let new = Keystore::seal_with_records(
            ks.path.clone(),
            name,
            WalletKind::Mnemonic,
            accounts,
            &secret,
            passphrase.as_bytes(),
            ks.header.kdf.iterations,
            records.as_ref(),
        )?;
        new.write()?;
    }
    if json {
        print_json(&json!(entry));
    } else {
        println!(
            "wallet {name}: account {index} {} {}",
            entry.address,
            tron_path(index)
        );
    }
    Ok(())
}

/// `keys list`.
pub fn list(home: &Home, json: bool) -> Result<()> {
    let ks = home.keystores()?;
    if json {
        let v: Vec<_> = ks
            .iter()
            .map(|k| json!({"name": k.header.name, "kind": k.header.kind, "accounts": k.header.accounts, "kdf_iterations": k.header.kdf.iterations}))
            .collect();
        print_json(&json!(v));
        return Ok(());
    }
    if ks.is_empty() {
        println!("no wallets (create one with `coldpay-signer keys new --name NAME`)");
    }
    for k in ks {
        println!("{} ({:?})", k.header.name, k.header.kind);
        for a in &k.header.accounts {
            println!(
                "  {:>3}  {}  {}",
                a.index,
                a.address,
                a.path.as_deref().unwrap_or("raw key")
            );
        }
    }
    Ok(())
}

/// The watch-only export of every account in the home, optionally naming the permission whose
/// approver keys they are.
pub fn watch_export(home: &Home, approver_for: Option<ApproverFor>) -> Result<WatchExport> {
    let accounts: Vec<WatchAccount> = home
        .keystores()?
        .iter()
        .flat_map(|k| {
            k.header.accounts.iter().map(|a| WatchAccount {
                name: if k.header.accounts.len() == 1 {
                    k.header.name.clone()
                } else {
                    format!("{}/{}", k.header.name, a.index)
                },
                address: a.address,
                path: a.path.clone(),
            })
        })
        .collect();
    if accounts.is_empty() {
        return Err(SignerError::Usage("no wallets to export".into()));
    }
    Ok(WatchExport {
        network: home.network,
        accounts,
        approver_for,
    })
}

/// `keys export-watch`.
pub fn export_watch(
    home: &Home,
    approver_for: Option<ApproverFor>,
    out: Option<&Path>,
    json: bool,
) -> Result<()> {
    let w = watch_export(home, approver_for)?;
    let mut bytes = serde_json::to_vec_pretty(&w.to_json()).expect("json");
    bytes.push(b'\n');
    match out {
        Some(p) => {
            write_atomic(p, &bytes, 0o644)?;
            if json {
                print_json(&json!({
                    "file": p.display().to_string(),
                    "accounts": w.accounts.len(),
                    "approver_for": w.approver_for,
                }));
            } else {
                println!("wrote {} account(s) to {}", w.accounts.len(), p.display());
                if let Some(a) = &w.approver_for {
                    println!(
                        "as approver keys of {} permission {}",
                        a.account,
                        coldpay_shared::text::escape(&a.permission)
                    );
                }
            }
        }
        None => print!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(())
}

/// `keys change-passphrase`.
pub fn change_passphrase(
    home: &Home,
    name: &str,
    old: &PassSource,
    new: &PassSource,
) -> Result<()> {
    let ks = home.keystore(name)?;
    let p = old.read(&format!("Current passphrase for wallet {name}: "))?;
    let (secret, wallet_key) = ks.unlock_keeping_key(p.as_bytes())?;
    // The records key moves to the new passphrase with the secret.
    let records = ks.records_key(&wallet_key)?;
    let np = new.read_new(&format!("wallet {name}"))?;
    Keystore::seal_with_records(
        ks.path.clone(),
        name,
        ks.header.kind,
        ks.header.accounts.clone(),
        &secret,
        np.as_bytes(),
        ks.header
            .kdf
            .iterations
            .max(crate::keystore::MIN_ITERATIONS),
        records.as_ref(),
    )?
    .write()?;
    eprintln!("passphrase of wallet {name} changed");
    Ok(())
}

/// `keys remove`.
pub fn remove(home: &Home, name: &str, yes: bool) -> Result<()> {
    let ks = home.keystore(name)?;
    if !yes {
        eprintln!(
            "Removing wallet {name} deletes its encrypted key file. Make sure you hold a backup."
        );
        let typed = read_line_secret(&format!("Type the wallet name ({name}) to confirm: "))?;
        if typed.trim() != name {
            return Err(SignerError::Usage(
                "name does not match; nothing removed".into(),
            ));
        }
    }
    std::fs::remove_file(&ks.path).map_err(|e| SignerError::io(&ks.path, e))?;
    if let Some(dir) = ks.path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| SignerError::io(dir, e))?;
    }
    eprintln!("wallet {name} removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_four_words_fit_an_80_by_24_screen() {
        // The longest English BIP-39 words have 8 letters.
        let list = ["abstract"; 24];
        let lines = word_lines(&list, 3);
        assert_eq!(lines.len(), 8);
        assert!(lines.iter().all(|l| l.chars().count() <= 80));
        assert_eq!(
            lines[0].as_str(),
            "   1. abstract       9. abstract      17. abstract"
        );
        assert!(lines[7].ends_with("24. abstract"));
        // Scripts get one word per line, as before.
        let one = word_lines(&list[..12], 1);
        assert_eq!(one.len(), 12);
        assert_eq!(one[11].as_str(), "  12. abstract");
    }

    #[test]
    fn three_distinct_positions_in_order() {
        for n in [12, 24] {
            for _ in 0..200 {
                let p = pick_three(n).unwrap();
                assert_eq!(p.len(), 3);
                assert!(p.windows(2).all(|w| w[0] < w[1]) && p[2] < n, "{p:?}");
            }
        }
    }
}
