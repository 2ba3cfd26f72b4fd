//! `keys …` commands: create, import, derive, list, export watch-only, change passphrase, remove.

use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use coldpay_shared::handoff::{WatchAccount, WatchExport};
use k256::ecdsa::SigningKey;
use serde_json::json;
use zeroize::Zeroizing;

use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::keystore::{Keystore, WalletKind, WalletSecret};
use crate::passphrase::PassSource;
use crate::wallet::{account_entry, account_key, generate_mnemonic, parse_mnemonic, tron_path};

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

fn read_line_secret(prompt: &str) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| SignerError::io("terminal", e));
    }
    let mut s = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut s)
        .map_err(|e| SignerError::io("stdin", e))?;
    let t = Zeroizing::new(s.trim().to_string());
    Ok(t)
}

fn create_wallet(
    home: &Home,
    name: &str,
    kind: WalletKind,
    secret: &WalletSecret,
    pass: &PassSource,
    iterations: u32,
    json: bool,
) -> Result<()> {
    let path = ensure_new(home, name)?;
    let key = account_key(kind, secret, 0)?;
    let entry = account_entry(kind, &key, 0);
    let passphrase = pass.read_new(&format!("wallet {name}"))?;
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

/// `keys new`.
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
    let m = generate_mnemonic(words)?;
    let phrase = Zeroizing::new(m.to_string());
    eprintln!("\nWrite down these {words} words, in order. They are shown once and are the only backup of wallet {name}:\n");
    for (i, w) in phrase.split(' ').enumerate() {
        eprintln!("  {:>2}. {w}", i + 1);
    }
    eprintln!();
    if confirm {
        let list: Vec<&str> = phrase.split(' ').collect();
        let mut picks = [0u8; 3];
        getrandom::getrandom(&mut picks).map_err(|e| SignerError::Other(format!("rng: {e}")))?;
        let mut idx: Vec<usize> = Vec::new();
        for (n, b) in picks.iter().enumerate() {
            let mut i = usize::from(*b) % list.len();
            while idx.contains(&i) {
                i = (i + 1 + n) % list.len();
            }
            idx.push(i);
        }
        idx.sort_unstable();
        for i in idx {
            let typed = read_line_secret(&format!("Re-type word #{}: ", i + 1))?;
            if typed.trim() != list[i] {
                return Err(SignerError::Usage(format!(
                    "word #{} does not match; nothing was saved — start again",
                    i + 1
                )));
            }
        }
    }
    let secret = WalletSecret {
        mnemonic: phrase,
        bip39_passphrase: Zeroizing::new(String::new()),
        private_key: Zeroizing::new([0u8; 32]),
    };
    create_wallet(
        home,
        name,
        WalletKind::Mnemonic,
        &secret,
        pass,
        iterations,
        json,
    )
}

/// `keys import-mnemonic`.
pub fn import_mnemonic(
    home: &Home,
    name: &str,
    bip39_pass_file: Option<&Path>,
    pass: &PassSource,
    iterations: u32,
    json: bool,
) -> Result<()> {
    ensure_new(home, name)?;
    let words = read_line_secret("Mnemonic: ")?;
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
        pass,
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
    let text = read_line_secret("Private key (64 hex characters): ")?;
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
        pass,
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
    let secret = ks.unlock(passphrase.as_bytes())?;
    let key = account_key(WalletKind::Mnemonic, &secret, index)?;
    let entry = account_entry(WalletKind::Mnemonic, &key, index);
    let mut accounts = ks.header.accounts.clone();
    if !accounts.iter().any(|a| a.index == index) {
        accounts.push(entry.clone());
        accounts.sort_by_key(|a| a.index);
        let new = Keystore::seal(
            ks.path.clone(),
            name,
            WalletKind::Mnemonic,
            accounts,
            &secret,
            passphrase.as_bytes(),
            ks.header.kdf.iterations,
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

/// The watch-only export of every account in the home.
pub fn watch_export(home: &Home) -> Result<WatchExport> {
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
    })
}

/// `keys export-watch`.
pub fn export_watch(home: &Home, out: Option<&Path>, json: bool) -> Result<()> {
    let w = watch_export(home)?;
    let mut bytes = serde_json::to_vec_pretty(&w.to_json()).expect("json");
    bytes.push(b'\n');
    match out {
        Some(p) => {
            write_atomic(p, &bytes, 0o644)?;
            if json {
                print_json(&json!({"file": p.display().to_string(), "accounts": w.accounts.len()}));
            } else {
                println!("wrote {} account(s) to {}", w.accounts.len(), p.display());
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
    let secret = ks.unlock(p.as_bytes())?;
    let np = new.read_new(&format!("wallet {name}"))?;
    Keystore::seal(
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
