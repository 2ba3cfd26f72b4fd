//! Reading passphrases: a no-echo prompt, or `--passphrase-file` / `--passphrase-fd` for
//! scripts. Never from a command-line argument.

use std::io::Read;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::error::{Result, SignerError};

/// Where a passphrase comes from.
#[derive(Clone, Debug, Default)]
pub struct PassSource {
    /// File holding the passphrase (first line).
    pub file: Option<PathBuf>,
    /// Open file descriptor to read it from.
    pub fd: Option<u32>,
}

fn first_line(mut s: Zeroizing<String>) -> Zeroizing<String> {
    let end = s.find(['\n', '\r']).unwrap_or(s.len());
    s.truncate(end);
    s
}

impl PassSource {
    /// Reads the passphrase; `prompt` is shown on the terminal when no file or fd is given.
    pub fn read(&self, prompt: &str) -> Result<Zeroizing<String>> {
        let mut buf = Zeroizing::new(String::new());
        if let Some(f) = &self.file {
            std::fs::File::open(f)
                .and_then(|mut h| h.read_to_string(&mut buf))
                .map_err(|e| SignerError::io(f, e))?;
            return Ok(first_line(buf));
        }
        if let Some(fd) = self.fd {
            let path = PathBuf::from(format!("/dev/fd/{fd}"));
            std::fs::File::open(&path)
                .and_then(|mut h| h.read_to_string(&mut buf))
                .map_err(|e| SignerError::io(path, e))?;
            return Ok(first_line(buf));
        }
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| SignerError::Usage(format!("cannot read passphrase from the terminal ({e}); use --passphrase-file or --passphrase-fd")))
    }

    /// Reads a new passphrase of at least [`MIN_NEW_CHARS`] characters. Prompted: the length
    /// is checked at the first entry, before the repeat, and a short or mismatched entry is
    /// asked for again (3 tries). From a file or descriptor: read once and checked.
    pub fn read_new(&self, what: &str) -> Result<Zeroizing<String>> {
        let short = || {
            SignerError::Usage(format!(
                "passphrase must be at least {MIN_NEW_CHARS} characters"
            ))
        };
        if self.file.is_some() || self.fd.is_some() {
            let p = self.read("")?;
            return if p.chars().count() < MIN_NEW_CHARS {
                Err(short())
            } else {
                Ok(p)
            };
        }
        for _ in 0..3 {
            let p = self.read(&format!(
                "New passphrase for {what} (at least {MIN_NEW_CHARS} characters): "
            ))?;
            if p.chars().count() < MIN_NEW_CHARS {
                eprintln!("Too short: use at least {MIN_NEW_CHARS} characters.");
                continue;
            }
            if *self.read("Repeat the new passphrase: ")? == *p {
                return Ok(p);
            }
            eprintln!("The two entries differ; type the new passphrase again.");
        }
        Err(SignerError::Usage(
            "no new passphrase after 3 tries; nothing was saved".into(),
        ))
    }
}

/// The shortest new passphrase accepted.
pub const MIN_NEW_CHARS: usize = 8;
