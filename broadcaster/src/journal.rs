//! The payout journal: SQLite in WAL mode. Every state change is one SQL transaction, and the
//! invariants are constraints, not only code: a payout id is unique, a payout has at most one
//! live attempt (partial unique index), attempt states only move forward (trigger), and no
//! attempt is added to a payout that is already confirmed (trigger).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{BcError, Result};

/// Current schema version.
pub const SCHEMA_VERSION: i64 = 1;

/// States in which an attempt might still pay.
pub const LIVE_STATES: &[&str] = &["built", "signed", "broadcast", "included"];

const MIGRATION_1: &str = r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (
    address TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    path TEXT,
    network TEXT NOT NULL
);
CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    from_address TEXT NOT NULL,
    network TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE payouts (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches(id),
    line INTEGER,
    to_address TEXT NOT NULL,
    token TEXT NOT NULL,
    amount TEXT NOT NULL,
    memo TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payout_id TEXT NOT NULL REFERENCES payouts(id),
    txid TEXT NOT NULL UNIQUE,
    raw_hex TEXT NOT NULL,
    expiration INTEGER NOT NULL,
    ref_block_num INTEGER NOT NULL,
    fee_limit INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    fee_inputs TEXT,
    state TEXT NOT NULL CHECK (state IN ('built','signed','broadcast','included','confirmed','failed','expired')),
    signatures TEXT,
    block INTEGER,
    receipt TEXT,
    reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX one_live_attempt_per_payout ON attempts(payout_id)
    WHERE state IN ('built','signed','broadcast','included');
CREATE INDEX attempts_state ON attempts(state);
CREATE TRIGGER attempt_state_forward BEFORE UPDATE OF state ON attempts
WHEN NEW.state <> OLD.state AND NOT (
       (OLD.state = 'built' AND NEW.state IN ('signed','expired'))
    OR (OLD.state = 'signed' AND NEW.state IN ('broadcast','included','expired'))
    OR (OLD.state = 'broadcast' AND NEW.state IN ('included','expired'))
    OR (OLD.state = 'included' AND NEW.state IN ('confirmed','failed'))
)
BEGIN
    SELECT RAISE(ABORT, 'invalid attempt state transition');
END;
CREATE TRIGGER no_attempt_after_confirmed BEFORE INSERT ON attempts
WHEN EXISTS (SELECT 1 FROM attempts WHERE payout_id = NEW.payout_id AND state = 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'payout already confirmed');
END;
";

/// An open journal.
pub struct Journal {
    /// The connection.
    pub conn: Connection,
}

/// One attempt row.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// Row id.
    pub id: i64,
    /// Payout.
    pub payout_id: String,
    /// txID hex.
    pub txid: String,
    /// raw_data hex.
    pub raw_hex: String,
    /// Expiration (ms).
    pub expiration: u64,
    /// Ref block height.
    pub ref_block_num: u64,
    /// State.
    pub state: String,
    /// Signatures JSON (array of hex).
    pub signatures: Option<String>,
    /// Block.
    pub block: Option<u64>,
    /// Receipt JSON.
    pub receipt: Option<String>,
    /// Reason.
    pub reason: Option<String>,
}

/// One payout row.
#[derive(Clone, Debug)]
pub struct Payout {
    /// Id.
    pub id: String,
    /// Batch.
    pub batch_id: String,
    /// Recipient (base58).
    pub to: String,
    /// "TRX" or token contract base58.
    pub token: String,
    /// Base units.
    pub amount: String,
    /// Memo.
    pub memo: Option<String>,
}

/// ms since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn attempt_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attempt> {
    Ok(Attempt {
        id: r.get(0)?,
        payout_id: r.get(1)?,
        txid: r.get(2)?,
        raw_hex: r.get(3)?,
        expiration: r.get::<_, i64>(4)? as u64,
        ref_block_num: r.get::<_, i64>(5)? as u64,
        state: r.get(6)?,
        signatures: r.get(7)?,
        block: r.get::<_, Option<i64>>(8)?.map(|b| b as u64),
        receipt: r.get(9)?,
        reason: r.get(10)?,
    })
}

const ATTEMPT_COLS: &str = "id, payout_id, txid, raw_hex, expiration, ref_block_num, state, signatures, block, receipt, reason";

impl Journal {
    /// Opens (creating and migrating) the journal at `path`.
    pub fn open(path: &Path) -> Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| BcError::Io(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(BcError::Input(format!(
                "journal {} has schema version {version}; this build knows {SCHEMA_VERSION}",
                path.display()
            )));
        }
        if version < 1 {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(MIGRATION_1)?;
            tx.pragma_update(None, "user_version", 1)?;
            tx.commit()?;
        }
        Ok(Journal { conn })
    }

    /// Meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])?;
        Ok(())
    }

    /// Attempts matching a WHERE clause.
    pub fn attempts_where(&self, clause: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<Attempt>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {ATTEMPT_COLS} FROM attempts WHERE {clause} ORDER BY id"
        ))?;
        let rows = st
            .query_map(p, attempt_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The attempt with this txID.
    pub fn attempt_by_txid(&self, txid: &str) -> Result<Option<Attempt>> {
        Ok(self
            .attempts_where("txid = ?1", &[&txid])?
            .into_iter()
            .next())
    }

    /// A payout.
    pub fn payout(&self, id: &str) -> Result<Option<Payout>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, batch_id, to_address, token, amount, memo FROM payouts WHERE id = ?1",
                [id],
                |r| {
                    Ok(Payout {
                        id: r.get(0)?,
                        batch_id: r.get(1)?,
                        to: r.get(2)?,
                        token: r.get(3)?,
                        amount: r.get(4)?,
                        memo: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// Payouts of a batch (or all).
    pub fn payouts(&self, batch: Option<&str>) -> Result<Vec<Payout>> {
        let mut st = self.conn.prepare("SELECT id, batch_id, to_address, token, amount, memo FROM payouts WHERE (?1 IS NULL OR batch_id = ?1) ORDER BY batch_id, line, id")?;
        let rows = st
            .query_map(params![batch], |r| {
                Ok(Payout {
                    id: r.get(0)?,
                    batch_id: r.get(1)?,
                    to: r.get(2)?,
                    token: r.get(3)?,
                    amount: r.get(4)?,
                    memo: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The sender of a batch.
    pub fn batch_from(&self, batch: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT from_address, network FROM batches WHERE id = ?1",
                [batch],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Moves an attempt to `state`, recording extra columns, in its own SQL transaction.
    pub fn set_state(
        &self,
        id: i64,
        state: &str,
        block: Option<u64>,
        receipt: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE attempts SET state = ?2, block = COALESCE(?3, block), receipt = COALESCE(?4, receipt), reason = COALESCE(?5, reason), updated_at = ?6 WHERE id = ?1",
            params![id, state, block.map(|b| b as i64), receipt, reason, now_ms()],
        )?;
        Ok(())
    }

    /// (payout id, txID) of attempts whose txID starts with `prefix` (compact responses).
    pub fn attempts_by_txid_prefix(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<(String, coldpay_shared::TxId)>> {
        let like = format!("{}%", hex::encode(prefix));
        let rows = self.attempts_where("txid LIKE ?1", &[&like])?;
        rows.into_iter()
            .map(|a| Ok((a.payout_id, coldpay_shared::TxId::from_hex(&a.txid)?)))
            .collect()
    }

    /// The latest attempt of a payout.
    pub fn latest_attempt(&self, payout: &str) -> Result<Option<Attempt>> {
        Ok(self
            .attempts_where("payout_id = ?1", &[&payout])?
            .into_iter()
            .last())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> (tempfile::TempDir, Journal) {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.sqlite")).unwrap();
        j.conn
            .execute("INSERT INTO batches VALUES ('b', 'Tfrom', 'local', 0)", [])
            .unwrap();
        j.conn
            .execute(
                "INSERT INTO payouts VALUES ('p', 'b', 1, 'Tto', 'TRX', '5', NULL, 0)",
                [],
            )
            .unwrap();
        (d, j)
    }

    fn add(j: &Journal, txid: &str, state: &str) -> rusqlite::Result<usize> {
        j.conn.execute(
            "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('p', ?1, '00', 1, 1, 0, 'r', ?2, 0, 0)",
            [txid, state],
        )
    }

    #[test]
    fn constraints_enforce_the_invariants() {
        let (_d, j) = journal();
        add(&j, "t1", "built").unwrap();
        // A second live attempt is refused by the partial unique index.
        assert!(add(&j, "t2", "built")
            .unwrap_err()
            .to_string()
            .contains("UNIQUE"));
        // States only move forward.
        let a = j.attempt_by_txid("t1").unwrap().unwrap();
        assert!(j
            .set_state(a.id, "confirmed", None, None, None)
            .unwrap_err()
            .to_string()
            .contains("invalid attempt state transition"));
        j.set_state(a.id, "expired", None, None, None).unwrap();
        assert!(j.set_state(a.id, "broadcast", None, None, None).is_err());
        // After expiry a new attempt is allowed; after confirmation none.
        add(&j, "t2", "built").unwrap();
        let b = j.attempt_by_txid("t2").unwrap().unwrap();
        for s in ["signed", "broadcast", "included", "confirmed"] {
            j.set_state(b.id, s, None, None, None).unwrap();
        }
        assert!(add(&j, "t3", "built")
            .unwrap_err()
            .to_string()
            .contains("already confirmed"));
        // Payout ids are unique.
        assert!(j
            .conn
            .execute(
                "INSERT INTO payouts VALUES ('p', 'b', 2, 'Tto', 'TRX', '5', NULL, 0)",
                []
            )
            .is_err());
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }
}
