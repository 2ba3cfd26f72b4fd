//! Unlocking wallets for a signing run: one KDF per wallet per run. When the passphrase comes
//! from a file or a descriptor (scripted runs), the KDF starts on its own thread as soon as
//! the wallet is known, and runs while the request is decoded, checked and reviewed; its
//! result (or its error) is only looked at once the run has got as far as signing.

use std::collections::HashMap;
use std::thread::JoinHandle;

use zeroize::Zeroizing;

use crate::error::{Result, SignerError};
use crate::keystore::{Keystore, WalletKey, WalletSecret};
use crate::passphrase::PassSource;

/// Tries of a prompted passphrase within one run.
pub const TRIES: u32 = 3;

type Background = JoinHandle<Result<(Zeroizing<String>, Vec<(usize, Opened)>)>>;

/// An unlocked wallet: its secret and its passphrase-derived key (for the records key).
type Opened = (WalletSecret, WalletKey);

/// The wallets of one run, unlocked at most once each.
pub struct Unlocker {
    pass: PassSource,
    pending: Option<(Vec<usize>, Background)>,
    passphrase: Option<Zeroizing<String>>,
    secrets: HashMap<usize, WalletSecret>,
    keys: HashMap<usize, WalletKey>,
}

impl Unlocker {
    /// An unlocker reading passphrases from `pass`.
    pub fn new(pass: PassSource) -> Self {
        Unlocker {
            pass,
            pending: None,
            passphrase: None,
            secrets: HashMap::new(),
            keys: HashMap::new(),
        }
    }

    /// Whether the passphrase can be read without a prompt and without taking stdin (which
    /// may carry the request).
    fn can_prefetch(&self) -> bool {
        self.pass.file.is_some() || self.pass.fd.is_some_and(|fd| fd != 0)
    }

    /// Whether background work covers wallet `ki` (started, or finished).
    pub fn covers(&self, ki: usize) -> bool {
        self.secrets.contains_key(&ki)
            || self.pending.as_ref().is_some_and(|(w, _)| w.contains(&ki))
    }

    /// Starts unlocking `wallets` (indexes into `keystores`) on a background thread, when the
    /// passphrase source allows it and nothing is running yet.
    pub fn start(&mut self, keystores: &[Keystore], wallets: Vec<usize>) {
        if self.pending.is_some() || wallets.is_empty() || !self.can_prefetch() {
            return;
        }
        let pass = self.pass.clone();
        let stores: Vec<(usize, Keystore)> = wallets
            .iter()
            .filter_map(|ki| keystores.get(*ki).map(|k| (*ki, k.clone())))
            .collect();
        let handle = std::thread::spawn(move || {
            let p = pass.read("")?;
            let mut out = Vec::with_capacity(stores.len());
            for (ki, ks) in &stores {
                out.push((*ki, ks.unlock_keeping_key(p.as_bytes())?));
            }
            Ok((p, out))
        });
        self.pending = Some((wallets, handle));
    }

    /// The decrypted secrets of `wallets`: waits for the background work, then unlocks what
    /// it did not cover. A prompted passphrase may be typed [`TRIES`] times per wallet;
    /// `on_miss(wallet, attempt)` is told of each wrong one (and may slow the next try). A
    /// passphrase from a file or descriptor is tried once: it would be the same again.
    pub fn unlock(
        &mut self,
        keystores: &[Keystore],
        wallets: &[usize],
        on_miss: &mut dyn FnMut(&str, u32) -> Result<()>,
    ) -> Result<&HashMap<usize, WalletSecret>> {
        if let Some((_, handle)) = self.pending.take() {
            let (p, done) = handle.join().expect("unlock thread panicked")?;
            self.passphrase = Some(p);
            for (ki, opened) in done {
                self.insert(ki, opened);
            }
        }
        for ki in wallets {
            if self.secrets.contains_key(ki) {
                continue;
            }
            let ks = &keystores[*ki];
            let opened = match &self.passphrase {
                Some(p) => ks.unlock_keeping_key(p.as_bytes())?,
                None if self.pass.file.is_some() || self.pass.fd.is_some() => {
                    // A file or descriptor gives one passphrase (a pipe gives it only once):
                    // reuse it for the other wallets.
                    let p = self.pass.read("")?;
                    let s = ks.unlock_keeping_key(p.as_bytes())?;
                    self.passphrase = Some(p);
                    s
                }
                None => self.prompt_unlock(ks, on_miss)?,
            };
            self.insert(*ki, opened);
        }
        Ok(&self.secrets)
    }

    fn insert(&mut self, ki: usize, (secret, key): Opened) {
        self.secrets.insert(ki, secret);
        self.keys.insert(ki, key);
    }

    /// The unlocked wallets: (index, secret, passphrase-derived key), by index.
    pub fn opened(&self) -> Vec<(usize, &WalletSecret, &WalletKey)> {
        let mut v: Vec<(usize, &WalletSecret, &WalletKey)> = self
            .secrets
            .iter()
            .filter_map(|(ki, s)| self.keys.get(ki).map(|k| (*ki, s, k)))
            .collect();
        v.sort_by_key(|(ki, _, _)| *ki);
        v
    }

    /// Prompts for the passphrase of `ks` until it opens it, at most [`TRIES`] times.
    fn prompt_unlock(
        &self,
        ks: &Keystore,
        on_miss: &mut dyn FnMut(&str, u32) -> Result<()>,
    ) -> Result<Opened> {
        let prompt = format!("Passphrase for wallet {}: ", ks.header.name);
        unlock_with_tries(ks, &mut || self.pass.read(&prompt), on_miss)
    }
}

/// Unlocks `ks` with passphrases from `read`, at most [`TRIES`] of them; each wrong one is
/// reported to `on_miss(wallet, attempt)` (which logs it and slows the next try). Errors
/// other than a wrong passphrase end the tries at once.
fn unlock_with_tries(
    ks: &Keystore,
    read: &mut dyn FnMut() -> Result<Zeroizing<String>>,
    on_miss: &mut dyn FnMut(&str, u32) -> Result<()>,
) -> Result<Opened> {
    let name = &ks.header.name;
    for attempt in 1..=TRIES {
        let p = read()?;
        match ks.unlock_keeping_key(p.as_bytes()) {
            Err(SignerError::WrongPassphrase(w)) => {
                on_miss(name, attempt)?;
                if attempt == TRIES {
                    return Err(SignerError::WrongPassphrase(w));
                }
                eprintln!("Wrong passphrase (try {attempt} of {TRIES}).");
            }
            other => return other,
        }
    }
    unreachable!("the last try returns")
}

impl Drop for Unlocker {
    /// Waits for background work, so its secrets are zeroized here rather than left to a
    /// detached thread.
    fn drop(&mut self) {
        if let Some((_, handle)) = self.pending.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{AccountEntry, WalletKind, MIN_ITERATIONS};

    fn keystore(dir: &std::path::Path) -> Keystore {
        let key = [7u8; 32];
        let sk = k256::ecdsa::SigningKey::from_slice(&key).unwrap();
        let signer = crate::secp::TxSigner::new(&sk).unwrap();
        let secret = WalletSecret {
            mnemonic: Zeroizing::new(String::new()),
            bip39_passphrase: Zeroizing::new(String::new()),
            private_key: Zeroizing::new(key),
        };
        let accounts = vec![AccountEntry {
            index: 0,
            path: None,
            address: signer.address(),
        }];
        let path = dir.join("w.json");
        Keystore::seal(
            path,
            "w",
            WalletKind::PrivateKey,
            accounts,
            &secret,
            b"right one",
            MIN_ITERATIONS,
        )
        .unwrap()
    }

    fn run(ks: &Keystore, typed: &[&str]) -> (Result<Opened>, Vec<u32>) {
        let mut typed = typed.iter();
        let mut misses = Vec::new();
        let got = unlock_with_tries(
            ks,
            &mut || {
                Ok(Zeroizing::new(
                    (*typed.next().expect("asked too often")).to_string(),
                ))
            },
            &mut |w: &str, attempt: u32| {
                assert_eq!(w, "w");
                misses.push(attempt);
                Ok(())
            },
        );
        (got, misses)
    }

    #[test]
    fn a_prompted_passphrase_gets_three_tries() {
        let dir = tempfile::tempdir().unwrap();
        let ks = keystore(dir.path());
        let (got, misses) = run(&ks, &["wrong", "also wrong", "right one"]);
        assert!(got.is_ok());
        assert_eq!(misses, vec![1, 2]);
        let (got, misses) = run(&ks, &["a", "b", "c"]);
        assert!(matches!(got, Err(SignerError::WrongPassphrase(_))));
        assert_eq!(misses, vec![1, 2, 3]);
    }
}
