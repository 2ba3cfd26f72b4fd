//! The signer's home folder: `home.toml` (the network it is bound to), `keystores/`,
//! `policy.toml`, `audit.log` and `ledger.jsonl`.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use coldpay_shared::Network;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SignerError};
use crate::fsutil::{create_private_dir, write_atomic};
use crate::keystore::Keystore;

/// An initialised signer home.
#[derive(Clone, Debug)]
pub struct Home {
    /// The folder.
    pub dir: PathBuf,
    /// The network this home signs for.
    pub network: Network,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HomeToml {
    network: Network,
}

/// `--home`, else `$COLDPAY_SIGNER_HOME`, else `~/.coldpay-signer`.
pub fn resolve_dir(arg: Option<&Path>) -> PathBuf {
    if let Some(p) = arg {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("COLDPAY_SIGNER_HOME") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".coldpay-signer")
}

/// `path` with symlinks resolved; for a path that does not exist yet, its nearest existing
/// ancestor resolved and the rest appended. A dangling symlink is followed to its target.
fn resolve(path: &Path) -> Result<PathBuf> {
    let mut abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| SignerError::io(".", e))?
            .join(path)
    };
    for _ in 0..40 {
        let is_link = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink());
        let target = is_link.then(|| std::fs::read_link(&abs).ok()).flatten();
        match (target, abs.parent()) {
            (Some(t), Some(parent)) => abs = parent.join(t),
            _ => break,
        }
    }
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(real) = cur.canonicalize() {
            return Ok(rest.iter().rev().fold(real, |p, c| p.join(c)));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return Ok(abs),
        }
    }
}

pub use crate::keystore::check_name;

impl Home {
    /// Creates a new home bound to `network` (mode 0700) with a default policy.
    pub fn init(dir: &Path, network: Network) -> Result<Home> {
        let marker = dir.join("home.toml");
        if marker.exists() {
            return Err(SignerError::Usage(format!(
                "{} is already a signer home; refusing to overwrite it",
                dir.display()
            )));
        }
        create_private_dir(dir)?;
        create_private_dir(&dir.join("keystores"))?;
        let home = Home {
            dir: dir.to_path_buf(),
            network,
        };
        let policy = home.policy_path();
        if !policy.exists() {
            write_atomic(
                &policy,
                crate::policy::default_policy_toml(network).as_bytes(),
                0o600,
            )?;
        }
        let toml = toml::to_string(&HomeToml { network }).expect("serialisable");
        write_atomic(&marker, toml.as_bytes(), 0o600)?;
        Ok(home)
    }

    /// Opens an initialised home.
    pub fn open(dir: &Path) -> Result<Home> {
        let marker = dir.join("home.toml");
        let text = std::fs::read_to_string(&marker).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SignerError::Usage(format!(
                    "{} is not a signer home; run `coldpay-signer init --network …` first",
                    dir.display()
                ))
            } else {
                SignerError::io(&marker, e)
            }
        })?;
        let h: HomeToml =
            toml::from_str(&text).map_err(|e| crate::file_errors::toml(&marker, &text, &e))?;
        Ok(Home {
            dir: dir.to_path_buf(),
            network: h.network,
        })
    }

    /// `keystores/`.
    pub fn keystore_dir(&self) -> PathBuf {
        self.dir.join("keystores")
    }

    /// The keystore file of wallet `name`.
    pub fn keystore_path(&self, name: &str) -> Result<PathBuf> {
        check_name(name)?;
        Ok(self.keystore_dir().join(format!("{name}.json")))
    }

    /// `policy.toml`.
    pub fn policy_path(&self) -> PathBuf {
        self.dir.join("policy.toml")
    }

    /// `audit.log`.
    pub fn audit_path(&self) -> PathBuf {
        self.dir.join("audit.log")
    }

    /// `ledger.jsonl`.
    pub fn ledger_path(&self) -> PathBuf {
        self.dir.join("ledger.jsonl")
    }

    /// `last-response.json`: the output of the last signing run (no secret in it), kept so
    /// `show-last` can show it again.
    pub fn last_response_path(&self) -> PathBuf {
        self.dir.join("last-response.json")
    }

    /// Refuses `path` (an output file or folder named by `what`, e.g. "-o") when it lies
    /// inside the home once symlinks are resolved: output must never replace a keystore, the
    /// ledger or the audit log. A path that does not exist yet is judged by its folder.
    pub fn refuse_inside(&self, path: &Path, what: &str) -> Result<()> {
        let home = self
            .dir
            .canonicalize()
            .map_err(|e| SignerError::io(&self.dir, e))?;
        let resolved = resolve(path)?;
        if resolved.starts_with(&home) {
            return Err(SignerError::Usage(format!(
                "{what} {}: that is inside the signer home {} (it would replace the signer's own files); write it elsewhere",
                path.display(),
                home.display()
            )));
        }
        Ok(())
    }

    /// Every keystore in the home, sorted by name.
    pub fn keystores(&self) -> Result<Vec<Keystore>> {
        let dir = self.keystore_dir();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| SignerError::io(&dir, e))? {
            let entry = entry.map_err(|e| SignerError::io(&dir, e))?;
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || p.extension().is_none_or(|e| e != "json") {
                continue;
            }
            out.push(Keystore::read(&p)?);
        }
        out.sort_by(|a, b| a.header.name.cmp(&b.header.name));
        Ok(out)
    }

    /// Takes the home's exclusive lock (the `.lock` file), waiting while another
    /// coldpay-signer run holds it, so two runs cannot both pass the ledger's checks or fork
    /// the audit chain. Released when the returned file is dropped (or the process ends).
    pub fn lock(&self) -> Result<std::fs::File> {
        let p = self.dir.join(".lock");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&p)
            .map_err(|e| SignerError::io(&p, e))?;
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(std::fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "Waiting for another coldpay-signer run on {} to finish…",
                    self.dir.display()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(SignerError::io(&p, e)),
        }
        f.lock().map_err(|e| SignerError::io(&p, e))?;
        Ok(f)
    }

    /// The keystore of wallet `name`.
    pub fn keystore(&self, name: &str) -> Result<Keystore> {
        let p = self.keystore_path(name)?;
        if !p.exists() {
            return Err(SignerError::Usage(format!("no wallet named {name:?}")));
        }
        Keystore::read(&p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_inside_the_home_are_refused_through_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::init(&dir.path().join("home"), Network::Nile).unwrap();
        let link = dir.path().join("innocent");
        std::os::unix::fs::symlink(home.keystore_dir(), &link).unwrap();
        let file_link = dir.path().join("out.json");
        std::os::unix::fs::symlink(home.ledger_path(), &file_link).unwrap();
        for inside in [
            home.audit_path(),
            home.keystore_dir().join("new.json"),
            link.join("treasury.json"),
            link.join("not-yet/deeper.json"),
            file_link,
            dir.path().join("home/../home/policy.toml"),
        ] {
            let e = home.refuse_inside(&inside, "-o").unwrap_err().to_string();
            assert!(
                e.contains("inside the signer home"),
                "{}: {e}",
                inside.display()
            );
        }
        home.refuse_inside(&dir.path().join("resp.json"), "-o")
            .unwrap();
        home.refuse_inside(&dir.path().join("qr/parts"), "--qr-png")
            .unwrap();
    }
}
