//! The signing ledger: one JSON line per signed transaction. It backs the rolling 24 h limits
//! and the refusal to sign a payout id twice.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use coldpay_shared::U256;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SignerError};

/// One signed transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// When it was signed (ms).
    pub time: u64,
    /// The request it came from.
    pub request_id: String,
    /// Payout id ("" for TronWeb input, which has none).
    pub payout_id: String,
    /// txID.
    pub txid: String,
    /// Token contract, or "TRX".
    pub token: String,
    /// Recipient.
    pub to: String,
    /// Amount in base units.
    pub amount: String,
    /// The transaction's expiration (ms).
    pub expiration: u64,
}

/// The ledger file, indexed by payout id and recipient.
pub struct Ledger {
    path: PathBuf,
    /// All entries.
    pub entries: Vec<LedgerEntry>,
    by_payout: std::collections::HashMap<String, usize>,
    recipients: std::collections::HashSet<String>,
}

impl Ledger {
    /// Loads the ledger (empty if absent); a malformed line is an error.
    pub fn load(path: &Path) -> Result<Ledger> {
        let entries = match std::fs::read_to_string(path) {
            Ok(text) => text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| {
                    serde_json::from_str(l).map_err(|e| {
                        SignerError::Other(format!("{} line {}: {e}", path.display(), i + 1))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(SignerError::io(path, e)),
        };
        let mut l = Ledger {
            path: path.to_path_buf(),
            entries: Vec::new(),
            by_payout: std::collections::HashMap::new(),
            recipients: std::collections::HashSet::new(),
        };
        l.index(entries);
        Ok(l)
    }

    fn index(&mut self, new: Vec<LedgerEntry>) {
        for e in new {
            if !e.payout_id.is_empty() {
                self.by_payout
                    .insert(e.payout_id.clone(), self.entries.len());
            }
            self.recipients.insert(e.to.clone());
            self.entries.push(e);
        }
    }

    /// The latest entry for a payout id.
    pub fn find_payout(&self, payout_id: &str) -> Option<&LedgerEntry> {
        self.by_payout.get(payout_id).map(|i| &self.entries[*i])
    }

    /// Sum signed for `token` ("TRX" or contract) since `since_ms`.
    pub fn signed_since(&self, token: &str, since_ms: u64) -> U256 {
        self.entries
            .iter()
            .filter(|e| e.token == token && e.time > since_ms)
            .filter_map(|e| U256::from_str_radix(&e.amount, 10).ok())
            .fold(U256::ZERO, |a, b| a.saturating_add(b))
    }

    /// Whether this signer has paid `to` before.
    pub fn knows_recipient(&self, to: &str) -> bool {
        self.recipients.contains(to)
    }

    /// Serialises entries as ledger lines (see [`Ledger::append_encoded`]).
    pub fn encode(new: &[LedgerEntry]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(new.len() * 280);
        for e in new {
            serde_json::to_writer(&mut buf, e).expect("serialisable");
            buf.push(b'\n');
        }
        buf
    }

    /// Appends lines made by [`Ledger::encode`] and fsyncs. It does not update this
    /// in-memory index (the signer exits after a run).
    pub fn append_encoded(&self, bytes: &[u8]) -> Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| SignerError::io(&self.path, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| SignerError::io(&self.path, e))
    }

    /// Appends entries, fsyncs, and indexes them.
    pub fn append(&mut self, new: &[LedgerEntry]) -> Result<()> {
        self.append_encoded(&Self::encode(new))?;
        self.index(new.to_vec());
        Ok(())
    }
}
