//! The payout journal: SQLite in WAL mode. Every state change is one SQL transaction, and the
//! invariants are constraints, not only code: a payout id is unique, a payout has at most one
//! live attempt (partial unique index), attempt states only move forward (trigger), and no
//! attempt is added to a payout that is already confirmed or cancelled (triggers), and a payout
//! with a live or confirmed attempt cannot be cancelled (trigger).
//!
//! One process writes at a time: writers hold the advisory lock `<db>.lock` (see
//! [`crate::journal::lock`]); readers (`status`, `report`, `batch list|show`) take no lock and read
//! concurrently thanks to WAL. A journal is bound to the network it was created for.

pub mod lock;

use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use coldpay_shared::Address;

use crate::error::{BcError, Result};
use crate::journal::lock::{LockGuard, LockWait};
pub use crate::node::network::Network;

pub mod approval_rows;
pub mod attempt_state;
pub mod imports;
pub mod operations;
pub mod payout_lines;
pub mod policy_heads;
pub mod rows;
pub mod signer_policies;
pub mod staking_ops;
pub mod transitions;
pub mod twin_rows;
pub mod writer;

pub mod alarm_rows;
pub mod approver_rows;
pub mod audit_heads;
pub mod balance_snapshots;
pub mod digest;
pub mod fee_history;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod settled_rows;
pub mod stored;
pub mod transfer_rows;
pub mod watch_rows;

#[cfg(test)]
mod plans;

pub use attempt_state::AttemptState;
pub use imports::{AccountRow, ImportRow};
pub use operations::{LiveOperation, NewOperation, OperationKind, OperationRow};
pub use payout_lines::{ApprovalRow, LatestState, PayoutLine, PayoutState};
use rows::{
    attempt_from_row, batch_from_row, payout_from_row, ATTEMPT_COLS, BATCH_COLS, PAYOUT_COLS,
};
pub use rows::{Asset, Attempt, Batch, ExpiryEvidence, Payout, PayoutKind, StoredReceipt};
pub use transitions::{BuiltAgainst, NewAttempt, Settlement};
pub use writer::JournalTx;

pub use alarm_rows::{AlarmFilter, AlarmRow};
pub use approver_rows::ApproverRecord;
pub use balance_snapshots::{BalanceRead, Snapshot, SnapshotAt};
pub use transfer_rows::{BlockAt, Recorded, TransferRow};
pub use watch_rows::{Cursor, NewTransfer};

/// Current schema version.
pub const SCHEMA_VERSION: i64 = 9;

/// States in which an attempt might still pay.
pub const LIVE_STATES: &[&str] = &["built", "signed", "broadcast", "included"];

/// The version 1 schema (kept verbatim: old journals were created with it).
pub const MIGRATION_1: &str = r"
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

/// Version 1 → 2: cancellation, refusals, verified scans and expiry evidence.
const MIGRATION_2: &str = r"
ALTER TABLE payouts ADD COLUMN cancelled_at INTEGER;
ALTER TABLE payouts ADD COLUMN cancel_reason TEXT;
ALTER TABLE attempts ADD COLUMN refusal TEXT;
ALTER TABLE attempts ADD COLUMN ref_block_id TEXT;
ALTER TABLE attempts ADD COLUMN scanned_to INTEGER;
ALTER TABLE attempts ADD COLUMN scanned_id TEXT;
ALTER TABLE attempts ADD COLUMN scanned_ts INTEGER;
ALTER TABLE attempts ADD COLUMN evidence TEXT;
DROP TRIGGER attempt_state_forward;
CREATE TRIGGER attempt_state_forward BEFORE UPDATE OF state ON attempts
WHEN NEW.state <> OLD.state AND NOT (
       (OLD.state = 'built' AND NEW.state IN ('signed','expired'))
    OR (OLD.state = 'signed' AND NEW.state IN ('broadcast','included','expired'))
    OR (OLD.state = 'broadcast' AND NEW.state IN ('included','expired'))
    OR (OLD.state = 'included' AND NEW.state IN ('confirmed','failed'))
    OR (OLD.state = 'expired' AND NEW.state IN ('confirmed','failed'))
)
BEGIN
    SELECT RAISE(ABORT, 'invalid attempt state transition');
END;
CREATE TRIGGER no_attempt_for_cancelled BEFORE INSERT ON attempts
WHEN EXISTS (SELECT 1 FROM payouts WHERE id = NEW.payout_id AND cancelled_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'payout cancelled');
END;
CREATE TRIGGER no_cancel_with_live_or_confirmed BEFORE UPDATE OF cancelled_at ON payouts
WHEN NEW.cancelled_at IS NOT NULL AND EXISTS (
    SELECT 1 FROM attempts WHERE payout_id = NEW.id
    AND state IN ('built','signed','broadcast','included','confirmed'))
BEGIN
    SELECT RAISE(ABORT, 'payout has a live or confirmed attempt');
END;
";

/// Version 2 → 3: what `watch` records (transfers in and out of the treasury accounts, one
/// cursor per account, alarms and their hook state, balance snapshots at verified blocks) and
/// the signer's audit head per sign response received.
const MIGRATION_3: &str = r"
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    txid TEXT NOT NULL,
    log_index INTEGER NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in','out')),
    token TEXT NOT NULL,
    amount TEXT NOT NULL,
    counterparty TEXT,
    fee_sun INTEGER NOT NULL DEFAULT 0,
    contract TEXT NOT NULL,
    result TEXT NOT NULL,
    block INTEGER NOT NULL,
    block_id TEXT NOT NULL,
    block_time INTEGER NOT NULL,
    payout_id TEXT,
    alarm INTEGER NOT NULL DEFAULT 0,
    recorded_at INTEGER NOT NULL,
    UNIQUE (account, txid, log_index, direction)
);
CREATE INDEX transfers_time ON transfers(block_time);
CREATE TRIGGER transfers_are_final BEFORE UPDATE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'recorded transfers are never changed');
END;
CREATE TABLE watch_cursors (
    account TEXT PRIMARY KEY,
    block INTEGER NOT NULL,
    block_id TEXT NOT NULL,
    block_time INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE alarms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    txid TEXT NOT NULL,
    block INTEGER NOT NULL,
    detail TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    notified_at INTEGER,
    hook_error TEXT,
    UNIQUE (account, txid)
);
CREATE TABLE balance_snapshots (
    account TEXT NOT NULL,
    token TEXT NOT NULL,
    block INTEGER NOT NULL,
    block_id TEXT NOT NULL,
    block_time INTEGER NOT NULL,
    amount TEXT NOT NULL,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (account, token, block)
);
CREATE TABLE audit_heads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    log TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    request_id TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (log, seq)
);
CREATE TRIGGER audit_head_forward BEFORE INSERT ON audit_heads
WHEN EXISTS (SELECT 1 FROM audit_heads WHERE log = NEW.log AND seq > NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'signer audit log went backwards');
END;
";

/// Version 3 → 4: multi-signature (issue #14). A payout row has a kind (`payout`, or
/// `permission-update` for an AccountPermissionUpdateContract built by `accounts
/// set-permission`, which then goes through attempts like a payout and settles exactly once);
/// an attempt records the Permission_id it was built with and the permission claim the request
/// carried; partial approvals are kept per attempt, one per signer, and only while the attempt
/// is still waiting for signatures.
pub const MIGRATION_4: &str = r"
ALTER TABLE payouts ADD COLUMN kind TEXT NOT NULL DEFAULT 'payout'
    CHECK (kind IN ('payout','permission-update'));
ALTER TABLE attempts ADD COLUMN permission_id INTEGER;
ALTER TABLE attempts ADD COLUMN permission_claim TEXT;
CREATE TABLE permission_updates (
    payout_id TEXT PRIMARY KEY REFERENCES payouts(id),
    account TEXT NOT NULL,
    after_json TEXT NOT NULL,
    before_json TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    signer TEXT NOT NULL,
    weight INTEGER NOT NULL,
    threshold INTEGER NOT NULL,
    signature TEXT NOT NULL,
    request_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (attempt_id, signer)
);
CREATE TRIGGER approvals_only_while_built BEFORE INSERT ON approvals
WHEN (SELECT state FROM attempts WHERE id = NEW.attempt_id) IS NOT 'built'
BEGIN
    SELECT RAISE(ABORT, 'approval for an attempt that is not waiting for signatures');
END;
CREATE TRIGGER approvals_are_final BEFORE UPDATE ON approvals
BEGIN
    SELECT RAISE(ABORT, 'recorded approvals are never changed');
END;
";

/// Version 4 → 5 (issue #20): settlement from the verified block only, write-ahead broadcasts,
/// alarms that stay open until acknowledged, and audit heads bound to the signer key.
///
/// - `attempts.sending_at`: set (in its own SQL transaction) before the signed bytes leave for
///   a node, so an interrupted `submit` leaves attempts counted as "possibly sent".
/// - `attempts.recheck`: why a settled attempt must be checked again against its verified
///   block. Journals settled `failed` while the verified block's `contractRet` was `SUCCESS`
///   (a receipt decided it) are marked here; `track` and `build` re-read the block, and
///   `failed → confirmed` is allowed for exactly that correction.
/// - `transfers.evidence`: `verified` (from the verified transaction's own call) or
///   `node-reported` (only a receipt log shows it), with the endpoint that said so.
/// - `alarms.acked_at` / `ack_note`: an alarm is open until acknowledged (once, never changed).
/// - `audit_log_keys`: which signer keys answered under which audit log (backfilled from
///   approvals and batches where the journal knows it); `audit_log_overrides`: an operator's
///   journaled acceptance of a known key answering under a new audit log.
pub const MIGRATION_5: &str = r"
ALTER TABLE attempts ADD COLUMN sending_at INTEGER;
ALTER TABLE attempts ADD COLUMN recheck TEXT;
UPDATE attempts SET recheck = 'settled failed from a node receipt; its verified block said '
    || COALESCE(CASE WHEN json_valid(receipt) THEN json_extract(receipt, '$.result') END, 'nothing journaled')
WHERE state = 'failed' AND COALESCE(
    CASE WHEN json_valid(receipt) THEN json_extract(receipt, '$.result') END, 'SUCCESS') = 'SUCCESS';
DROP TRIGGER attempt_state_forward;
CREATE TRIGGER attempt_state_forward BEFORE UPDATE OF state ON attempts
WHEN NEW.state <> OLD.state AND NOT (
       (OLD.state = 'built' AND NEW.state IN ('signed','expired'))
    OR (OLD.state = 'signed' AND NEW.state IN ('broadcast','included','expired'))
    OR (OLD.state = 'broadcast' AND NEW.state IN ('included','expired'))
    OR (OLD.state = 'included' AND NEW.state IN ('confirmed','failed'))
    OR (OLD.state = 'expired' AND NEW.state IN ('confirmed','failed'))
    OR (OLD.state = 'failed' AND NEW.state = 'confirmed')
)
BEGIN
    SELECT RAISE(ABORT, 'invalid attempt state transition');
END;
ALTER TABLE transfers ADD COLUMN evidence TEXT NOT NULL DEFAULT 'verified'
    CHECK (evidence IN ('verified','node-reported'));
ALTER TABLE transfers ADD COLUMN reported_by TEXT;
ALTER TABLE alarms ADD COLUMN acked_at INTEGER;
ALTER TABLE alarms ADD COLUMN ack_note TEXT;
CREATE TRIGGER alarm_ack_is_final BEFORE UPDATE OF acked_at, ack_note ON alarms
WHEN OLD.acked_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'alarm already acknowledged');
END;
CREATE TABLE audit_log_keys (
    signer TEXT NOT NULL,
    log TEXT NOT NULL,
    request_id TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (signer, log)
);
INSERT OR IGNORE INTO audit_log_keys (signer, log, request_id, seen_at)
    SELECT ap.signer, h.log, h.request_id, h.received_at
    FROM audit_heads h JOIN approvals ap ON ap.request_id = h.request_id;
INSERT OR IGNORE INTO audit_log_keys (signer, log, request_id, seen_at)
    SELECT b.from_address, h.log, h.request_id, h.received_at
    FROM audit_heads h JOIN attempts a ON a.request_id = h.request_id AND a.permission_id IS NULL
    JOIN payouts p ON p.id = a.payout_id JOIN batches b ON b.id = p.batch_id;
CREATE TABLE audit_log_overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    signer TEXT NOT NULL,
    old_log TEXT NOT NULL,
    new_log TEXT NOT NULL,
    request_id TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    UNIQUE (signer, new_log)
);
";

/// Version 5 → 6 (issue #25): indexes so that reading commands scale with the rows they print,
/// not with the journal. Indexes only: no row or rule changes.
///
/// - `attempts_payout`: a payout's attempts and its latest one (`status`, `report`, `batch`,
///   `build`) were a full scan of `attempts` per payout;
/// - `payouts_batch`: one batch's payouts, in the order they are shown;
/// - `attempts_block`: settled attempts in a block range (`reconcile`);
/// - `transfers_account_block`: one account's recorded transfers in a block range
///   (`reconcile`).
pub const MIGRATION_6: &str = r"
CREATE INDEX attempts_payout ON attempts(payout_id, id);
CREATE INDEX payouts_batch ON payouts(batch_id, line, id);
CREATE INDEX attempts_block ON attempts(block) WHERE block IS NOT NULL;
CREATE INDEX transfers_account_block ON transfers(account, block);
";

/// An open journal.
pub struct Journal {
    /// The connection: private to `journal` and its child modules, the only code that speaks
    /// SQL. Writes go through [`Journal::write`] (or the journal's own write functions), which
    /// refuse without the writer lock.
    conn: Connection,
    /// The writer lock, held for the journal's lifetime (`None` for readers); a long-running
    /// writer (`watch --follow`) lets it go between passes ([`Journal::pause_writer`]).
    lock: std::cell::RefCell<Option<LockGuard>>,
    /// The database file (to take the lock again).
    path: std::path::PathBuf,
}

/// What a cancellation did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CancelOutcome {
    /// Payouts cancelled now.
    pub cancelled: Vec<String>,
    /// Payouts that were cancelled before (left unchanged).
    pub already_cancelled: Vec<String>,
    /// Payouts that cannot be cancelled, with why: (id, sentence).
    pub not_cancelled: Vec<(String, String)>,
}

/// ms since the epoch, as the journal stores it (the workspace's one wall clock,
/// `coldpay_shared::timefmt::now_ms`).
pub fn now_ms() -> i64 {
    i64::try_from(coldpay_shared::timefmt::now_ms()).unwrap_or(i64::MAX)
}

/// Every row `sql` selects with `params`, each read by `read`; a failure (preparing, stepping or
/// reading a row) is the journal error `what` makes of it.
fn select_all<T>(
    conn: &Connection,
    sql: &str,
    what: impl Fn(rusqlite::Error) -> BcError,
    params: impl rusqlite::Params,
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut st = conn.prepare(sql).map_err(&what)?;
    st.query_map(params, read)
        .and_then(Iterator::collect::<rusqlite::Result<Vec<T>>>)
        .map_err(what)
}

fn at(what: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> BcError {
    let what = what.into();
    move |e| BcError::journal_at(e, what)
}

/// Opens the connection and brings the schema to [`SCHEMA_VERSION`] (one SQL transaction).
/// Returns the connection and whether the journal was created now.
fn open_and_migrate(path: &Path) -> Result<(Connection, bool)> {
    let shown = path.display().to_string();
    let mut conn = Connection::open(path).map_err(at(format!("open {shown}")))?;
    setup(&conn, &shown)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(at(format!("open {shown}")))?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(at(format!("migrate {shown}")))?;
    let version = schema_version(&tx, &shown)?;
    if version < 1 {
        tx.execute_batch(MIGRATION_1)
            .map_err(at(format!("create {shown}")))?;
    }
    if version < 2 {
        tx.execute_batch(MIGRATION_2)
            .map_err(at(format!("migrate {shown} to schema version 2")))?;
    }
    if version < 3 {
        tx.execute_batch(MIGRATION_3)
            .map_err(at(format!("migrate {shown} to schema version 3")))?;
    }
    if version < 4 {
        tx.execute_batch(MIGRATION_4)
            .map_err(at(format!("migrate {shown} to schema version 4")))?;
    }
    if version < 5 {
        tx.execute_batch(MIGRATION_5)
            .map_err(at(format!("migrate {shown} to schema version 5")))?;
    }
    if version < 6 {
        tx.execute_batch(MIGRATION_6)
            .map_err(at(format!("migrate {shown} to schema version 6")))?;
    }
    if version < 7 {
        tx.execute_batch(signer_policies::MIGRATION_7)
            .map_err(at(format!("migrate {shown} to schema version 7")))?;
    }
    if version < 8 {
        staking_ops::migrate_8(&tx).map_err(at(format!("migrate {shown} to schema version 8")))?;
    }
    if version < 9 {
        tx.execute_batch(transfer_rows::MIGRATION_9)
            .map_err(at(format!("migrate {shown} to schema version 9")))?;
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(at(format!("migrate {shown}")))?;
        tx.commit().map_err(at(format!("migrate {shown}")))?;
    } else {
        drop(tx);
    }
    Ok((conn, version == 0))
}

fn setup(conn: &Connection, shown: &str) -> Result<()> {
    let f = || at(format!("open {shown}"));
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(f())?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(f())?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(f())?;
    Ok(())
}

fn schema_version(conn: &Connection, shown: &str) -> Result<i64> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(at(format!("open {shown}")))?;
    if version > SCHEMA_VERSION {
        return Err(BcError::Input(format!(
            "journal {shown} has schema version {version}; this build knows {SCHEMA_VERSION}: use a newer coldpay-broadcaster"
        )));
    }
    Ok(version)
}

impl Journal {
    /// Opens the journal at `path` for writing: takes the writer lock (waiting or not as
    /// `wait` says), creates and migrates the database, and binds it to `network` (recorded
    /// on creation, and on the first open of a journal that has none; any other network is
    /// refused with [`BcError::WrongNetwork`]).
    pub fn open(path: &Path, network: Network, wait: LockWait) -> Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| BcError::io(dir.display(), &e))?;
        }
        let lock = crate::journal::lock::acquire(path, wait)?;
        let (conn, _created) = open_and_migrate(path)?;
        let j = Journal {
            conn,
            lock: std::cell::RefCell::new(Some(lock)),
            path: path.to_path_buf(),
        };
        match j.meta("network")? {
            None => j.set_meta("network", network.as_str())?,
            Some(_) => j.check_network(path, network)?,
        }
        Ok(j)
    }

    /// Opens an existing journal for reading only: no lock (readers run beside a writer),
    /// never creates the file. A journal of an older schema is migrated first (which waits
    /// for the writer lock).
    pub fn open_read(path: &Path) -> Result<Journal> {
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(BcError::Input(format!(
                "no journal at {shown} (a writing command such as `accounts import-watch` creates it; check --db / config)"
            )));
        }
        let open = || -> Result<Connection> {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(at(format!("open {shown}")))?;
            setup(&conn, &shown)?;
            conn.pragma_update(None, "query_only", "ON")
                .map_err(at(format!("open {shown}")))?;
            Ok(conn)
        };
        let mut conn = open()?;
        if schema_version(&conn, &shown)? < SCHEMA_VERSION {
            drop(conn);
            let lock = crate::journal::lock::acquire(path, LockWait::Wait)?;
            drop(open_and_migrate(path)?);
            drop(lock);
            conn = open()?;
        }
        Ok(Journal {
            conn,
            lock: std::cell::RefCell::new(None),
            path: path.to_path_buf(),
        })
    }

    /// Whether this journal holds the writer lock.
    pub fn is_writer(&self) -> bool {
        self.lock.borrow().is_some()
    }

    /// Lets the writer lock go so other commands (`build`, `submit`, `track`) can run while a
    /// long-running writer sleeps; [`Journal::resume_writer`] takes it again before the next
    /// write. Nothing may be written in between: the connection is switched to `query_only`
    /// before the lock goes, so SQLite itself refuses a write that bypassed [`Journal::write`].
    pub fn pause_writer(&self) -> Result<()> {
        self.conn
            .pragma_update(None, "query_only", "ON")
            .map_err(at("let the journal's writer lock go"))?;
        self.lock.borrow_mut().take();
        Ok(())
    }

    /// Takes the writer lock again after [`Journal::pause_writer`] (waiting for the holder, as
    /// `open` does). Every state a writer relies on must be re-read from the journal after this.
    pub fn resume_writer(&self) -> Result<()> {
        if self.lock.borrow().is_none() {
            let lock = crate::journal::lock::acquire(&self.path, LockWait::Wait)?;
            *self.lock.borrow_mut() = Some(lock);
            self.conn
                .pragma_update(None, "query_only", "OFF")
                .map_err(at("take the journal's writer lock again"))?;
        }
        Ok(())
    }

    /// Refuses a journal that records another network than `network`.
    pub fn check_network(&self, path: &Path, network: Network) -> Result<()> {
        let Some(n) = self.meta("network")? else {
            return Ok(());
        };
        let n = stored::network("meta row network", "value", &n)?;
        if n == network {
            return Ok(());
        }
        Err(BcError::WrongNetwork(format!(
            "journal {} was created for {n}; this command runs {network} (--network / config)",
            path.display()
        )))
    }

    /// The network this journal was created for; a journal that records none, or a name that
    /// does not decode, is [`BcError::Corrupt`] (every journal records it when created).
    pub fn network(&self) -> Result<Network> {
        let n = self.meta("network")?;
        let n = n.ok_or_else(|| stored::corrupt("meta row network", "value", "missing"))?;
        stored::network("meta row network", "value", &n)
    }

    /// Meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(at(format!("read setting {key}")))
    }

    /// Sets a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.writer()?.execute("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value]).map_err(at(format!("record setting {key}")))?;
        Ok(())
    }

    /// Attempts matching a WHERE clause (the journal's own named queries only).
    fn attempts_where(&self, clause: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<Attempt>> {
        let sql = &format!("SELECT {ATTEMPT_COLS} FROM attempts WHERE {clause} ORDER BY id");
        let rows = select_all(
            &self.conn,
            sql,
            |e| BcError::journal_at(e, "read attempts"),
            p,
            attempt_from_row,
        )?;
        Ok(rows)
    }

    /// The attempt with this txID.
    pub fn attempt_by_txid(&self, txid: &coldpay_shared::TxId) -> Result<Option<Attempt>> {
        Ok(self
            .attempts_where("txid = ?1", &[&txid.to_hex()])?
            .into_iter()
            .next())
    }

    /// Attempts approved (state `signed`: every signature a permission needs) and not yet
    /// broadcast.
    pub fn approved_unbroadcast(&self) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM attempts WHERE state = 'signed'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0).unsigned_abs())
            .map_err(|e| BcError::journal_at(e, "count approved attempts"))
    }

    /// A payout.
    pub fn payout(&self, id: &str) -> Result<Option<Payout>> {
        self.conn
            .query_row(
                &format!("SELECT {PAYOUT_COLS} FROM payouts WHERE id = ?1"),
                [id],
                payout_from_row,
            )
            .optional()
            .map_err(at(format!("read payout {id}")))
    }

    fn payouts_filtered(&self, batch: Option<&str>, active_only: bool) -> Result<Vec<Payout>> {
        let what = batch.map_or("read payouts".into(), |b| format!("read batch {b}"));
        select_all(
            &self.conn,
            &format!("SELECT {PAYOUT_COLS} FROM payouts WHERE (?1 IS NULL OR batch_id = ?1) AND (?2 = 0 OR (cancelled_at IS NULL AND kind = 'payout')) ORDER BY batch_id, line, id"),
            |e| BcError::journal_at(e, what.clone()),
            params![batch, active_only],
            payout_from_row,
        )
    }

    /// Payouts of a batch (or all), cancelled ones included.
    pub fn payouts(&self, batch: Option<&str>) -> Result<Vec<Payout>> {
        self.payouts_filtered(batch, false)
    }

    /// Payouts of a batch (or all) that are not cancelled and are payouts (not permission
    /// updates): the ones `build` may work on.
    pub fn active_payouts(&self, batch: Option<&str>) -> Result<Vec<Payout>> {
        self.payouts_filtered(batch, true)
    }

    /// The sender of a batch.
    pub fn batch_from(&self, batch: &str) -> Result<Option<(Address, Network)>> {
        Ok(self.batch(batch)?.map(|b| (b.from, b.network)))
    }

    /// A batch.
    pub fn batch(&self, id: &str) -> Result<Option<Batch>> {
        self.conn
            .query_row(
                &format!("SELECT {BATCH_COLS} FROM batches WHERE id = ?1"),
                [id],
                batch_from_row,
            )
            .optional()
            .map_err(at(format!("read batch {id}")))
    }

    /// Every batch, oldest first.
    pub fn batches(&self) -> Result<Vec<Batch>> {
        select_all(
            &self.conn,
            &format!("SELECT {BATCH_COLS} FROM batches ORDER BY created_at, id"),
            |e| BcError::journal_at(e, "list batches"),
            [],
            batch_from_row,
        )
    }

    /// Write-ahead for a broadcast: records, in one SQL transaction, that the signed bytes of
    /// `ids` are about to leave for a node (an interrupted run leaves them "possibly sent").
    pub fn mark_sending(&self, ids: &[i64]) -> Result<()> {
        let w = self.write()?;
        let now = now_ms();
        for id in ids {
            w.sql()
                .execute(
                    "UPDATE attempts SET sending_at = ?2 WHERE id = ?1",
                    params![id, now],
                )
                .map_err(at("record broadcasts under way"))?;
        }
        w.commit()
    }

    /// Records that a broadcast attempt was sent again now (its `updated_at`).
    pub fn touch_attempt(&self, id: i64) -> Result<()> {
        self.writer()?
            .execute(
                "UPDATE attempts SET updated_at = ?2 WHERE id = ?1",
                params![id, now_ms()],
            )
            .map_err(at(format!("record the broadcast of attempt {id}")))?;
        Ok(())
    }

    /// signed → broadcast: the node accepted the signed bytes, in its own SQL transaction.
    pub fn record_broadcast(&self, id: i64) -> Result<()> {
        self.move_attempt(id, AttemptState::Broadcast)
    }

    /// Moves an attempt to `to` (no other column changes); a move the trigger refuses names the
    /// attempt, its payout and txID.
    fn move_attempt(&self, id: i64, to: AttemptState) -> Result<()> {
        self.writer()?
            .execute(
                "UPDATE attempts SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, to, now_ms()],
            )
            .map_err(|e| {
                let found = self.attempt(id).ok().flatten();
                let what = match found {
                    Some(a) => format!(
                        "attempt {id} of payout {} (txid {}): {} → {to}",
                        a.payout_id, a.txid, a.state
                    ),
                    None => format!("attempt {id} → {to}"),
                };
                BcError::journal_at(e, what)
            })?;
        Ok(())
    }

    /// The attempt with this row id.
    pub fn attempt(&self, id: i64) -> Result<Option<Attempt>> {
        Ok(self.attempts_where("id = ?1", &[&id])?.into_iter().next())
    }

    /// Attempts in any of `states`, oldest first.
    pub fn attempts_in(&self, states: &[AttemptState]) -> Result<Vec<Attempt>> {
        let list: Vec<String> = states.iter().map(|s| format!("'{s}'")).collect();
        self.attempts_where(&format!("state IN ({})", list.join(",")), &[])
    }

    /// The attempts of a payout, oldest first.
    pub fn attempts_of(&self, payout: &str) -> Result<Vec<Attempt>> {
        self.attempts_where("payout_id = ?1", &[&payout])
    }

    /// `broadcast` attempts last sent before `sent_before` (ms) that cannot have expired at
    /// `alive_at` (ms): the ones to send again.
    pub fn broadcast_due(&self, sent_before: i64, alive_at: i64) -> Result<Vec<Attempt>> {
        self.attempts_where(
            "state = 'broadcast' AND updated_at < ?1 AND expiration > ?2",
            &[&sent_before, &alive_at],
        )
    }

    /// Attempts in state `signed` with their signatures (approved, not yet broadcast).
    pub fn signed_attempts(&self) -> Result<Vec<Attempt>> {
        self.attempts_where("state = 'signed' AND signatures IS NOT NULL", &[])
    }

    /// The `failed` attempts marked for a re-check against their verified block (schema 5).
    pub fn failed_to_recheck(&self) -> Result<Vec<Attempt>> {
        self.attempts_where("recheck IS NOT NULL AND state = 'failed'", &[])
    }

    /// Records the node's last broadcast refusal ("CODE: message") of an attempt.
    pub fn set_refusal(&self, id: i64, refusal: &str) -> Result<()> {
        self.writer()?
            .execute(
                "UPDATE attempts SET refusal = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, refusal, now_ms()],
            )
            .map_err(at(format!("record the refusal of attempt {id}")))?;
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
            .map(|a| Ok((a.payout_id, a.txid)))
            .collect()
    }

    /// The latest attempt of a payout.
    pub fn latest_attempt(&self, payout: &str) -> Result<Option<Attempt>> {
        Ok(self.attempts_of(payout)?.into_iter().last())
    }

    /// Why a payout cannot be cancelled now, or `None` if it can. Already cancelled payouts
    /// are `Ok(None)` here; the caller checks `cancelled_at`.
    fn cancel_blocker(&self, p: &Payout) -> Result<Option<String>> {
        let attempts = self.attempts_of(&p.id)?;
        if let Some(a) = attempts.iter().find(|a| a.state == AttemptState::Confirmed) {
            let block = a.block.map_or(String::new(), |b| format!(", block {b}"));
            return Ok(Some(format!(
                "payout {} is confirmed (txid {}{block}): it was paid",
                p.id, a.txid
            )));
        }
        if let Some(a) = attempts.iter().find(|a| a.state.is_live()) {
            return Ok(Some(live_blocker(p, a)));
        }
        Ok(None)
    }

    /// Cancels payouts so that `build` skips them, in one SQL transaction. Payouts with a live
    /// or a confirmed attempt, and unknown ids, cannot be cancelled: without `partial` any of
    /// them cancels nothing and fails with one sentence per id ([`BcError::Input`]); with
    /// `partial` the others are cancelled and those are listed in the outcome. Payouts that are
    /// already cancelled are left as they are.
    pub fn cancel(
        &self,
        ids: &[String],
        reason: Option<&str>,
        partial: bool,
    ) -> Result<CancelOutcome> {
        let w = self.write()?;
        let mut out = CancelOutcome::default();
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            let Some(p) = self.payout(id)? else {
                out.not_cancelled
                    .push((id.clone(), format!("no payout {id:?} in the journal")));
                continue;
            };
            if p.cancelled_at.is_some() {
                out.already_cancelled.push(id.clone());
            } else if let Some(why) = self.cancel_blocker(&p)? {
                out.not_cancelled.push((id.clone(), why));
            } else {
                out.cancelled.push(id.clone());
            }
        }
        if !partial && !out.not_cancelled.is_empty() {
            let n = out.not_cancelled.len();
            return Err(BcError::Input(format!(
                "{n} payout(s) cannot be cancelled, nothing cancelled:\n  {}",
                out.not_cancelled
                    .iter()
                    .map(|(_, why)| why.as_str())
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )));
        }
        let now = now_ms();
        for id in &out.cancelled {
            w.sql()
                .execute(
                    "UPDATE payouts SET cancelled_at = ?2, cancel_reason = ?3 WHERE id = ?1",
                    params![id, now, reason],
                )
                .map_err(at(format!("cancel payout {id}")))?;
        }
        w.commit()?;
        Ok(out)
    }
}

/// Why a payout with live attempt `a` cannot be cancelled, and when it can. An attempt not
/// yet broadcast (`built`, `signed`) is not withdrawn early: its request was exported and can
/// still be signed and submitted (through any node) until it expires, so cancelling it could
/// not stop it reaching the chain.
fn live_blocker(p: &Payout, a: &Attempt) -> String {
    let when = coldpay_shared::timefmt::utc_from_now(a.expiration, now_ms() as u64);
    match a.state {
        AttemptState::Built | AttemptState::Signed => format!(
            "payout {} has a live attempt ({}, txid {}) that can still be signed and submitted \
             until it expires at {when}; cancel it after that, once `track` has marked it \
             expired (or submit its response and let it pay)",
            p.id, a.state, a.txid
        ),
        _ => format!(
            "payout {} has a live attempt ({}, txid {}): wait for it to settle (`track`); if it \
             expires unpaid (at {when}) it can be cancelled then",
            p.id, a.state, a.txid
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> (tempfile::TempDir, Journal) {
        let d = tempfile::tempdir().unwrap();
        let j =
            Journal::open(&d.path().join("j.sqlite"), Network::Local, LockWait::NoWait).unwrap();
        j.conn
            .execute("INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0)", [])
            .unwrap();
        j.conn
            .execute(
                "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0)",
                [],
            )
            .unwrap();
        (d, j)
    }

    /// Moves an attempt through the journal's one move function, then sets the columns a
    /// settlement would (tests only: the commands use the named transitions).
    fn set_state(
        j: &Journal,
        id: i64,
        state: &str,
        block: Option<u64>,
        receipt: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        j.move_attempt(id, AttemptState::from_stored(state).expect("state"))?;
        j.conn.execute(
            "UPDATE attempts SET block = COALESCE(?2, block), receipt = COALESCE(?3, receipt), reason = COALESCE(?4, reason) WHERE id = ?1",
            params![id, block.map(|b| b as i64), receipt, reason],
        )?;
        Ok(())
    }

    /// Adds an attempt whose txID is named by a short label (`fixtures::txid`).
    fn add_for(j: &Journal, payout: &str, label: &str, state: &str) -> Result<usize> {
        let txid = crate::journal::fixtures::txid(label).to_hex();
        j.conn.execute(
            "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES (?1, ?2, ?4, 1, 1, 0, 'r', ?3, 0, 0)",
            [payout, &txid, state, crate::journal::fixtures::RAW_HEX],
        ).map_err(BcError::from)
    }

    fn add(j: &Journal, txid: &str, state: &str) -> Result<usize> {
        add_for(j, "p", txid, state)
    }

    fn no_sqlite_text(e: &BcError) -> String {
        let s = e.to_string();
        for raw in [
            "UNIQUE constraint",
            "database is locked",
            "SQLITE",
            "constraint failed",
        ] {
            assert!(!s.contains(raw), "{s}");
        }
        s
    }

    #[test]
    fn constraints_enforce_the_invariants() {
        let (_d, j) = journal();
        add(&j, "t1", "built").unwrap();
        // A second live attempt is refused by the partial unique index.
        assert!(no_sqlite_text(&add(&j, "t2", "built").unwrap_err())
            .contains("payout already has a live attempt"));
        // States only move forward.
        let a = j
            .attempt_by_txid(&crate::journal::fixtures::txid("t1"))
            .unwrap()
            .unwrap();
        let e = no_sqlite_text(&set_state(&j, a.id, "confirmed", None, None, None).unwrap_err());
        assert!(e.contains("invalid attempt state transition"), "{e}");
        assert!(
            e.contains("txid f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1")
                && e.contains("built → confirmed"),
            "{e}"
        );
        set_state(&j, a.id, "expired", None, None, None).unwrap();
        assert!(set_state(&j, a.id, "broadcast", None, None, None).is_err());
        // After expiry a new attempt is allowed; after confirmation none.
        add(&j, "t2", "built").unwrap();
        let b = j
            .attempt_by_txid(&crate::journal::fixtures::txid("t2"))
            .unwrap()
            .unwrap();
        for s in ["signed", "broadcast", "included", "confirmed"] {
            set_state(&j, b.id, s, None, None, None).unwrap();
        }
        assert!(no_sqlite_text(&add(&j, "t3", "built").unwrap_err()).contains("already confirmed"));
        // Payout ids are unique.
        assert!(no_sqlite_text(&BcError::from(
            j.conn
                .execute(
                    "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 2, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0)",
                    []
                )
                .unwrap_err()
        ))
        .contains("payout id already exists"));
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn expired_attempts_may_still_settle_from_the_chain() {
        let (_d, j) = journal();
        add(&j, "t1", "broadcast").unwrap();
        let a = j
            .attempt_by_txid(&crate::journal::fixtures::txid("t1"))
            .unwrap()
            .unwrap();
        set_state(&j, a.id, "expired", None, None, Some("expired")).unwrap();
        j.set_refusal(a.id, "TAPOS_ERROR: bad ref").unwrap();
        set_state(&j, a.id, "confirmed", Some(9), None, None).unwrap();
        let a = j
            .attempt_by_txid(&crate::journal::fixtures::txid("t1"))
            .unwrap()
            .unwrap();
        assert_eq!(a.state, "confirmed");
        assert_eq!(a.refusal.as_deref(), Some("TAPOS_ERROR: bad ref"));
        assert_eq!(a.block, Some(9));
        // But not back to a live state.
        add(&j, "t2", "built").unwrap_err();
    }

    #[test]
    fn a_stored_value_that_does_not_decode_is_a_journal_error() {
        let (_d, j) = journal();
        add(&j, "t1", "built").unwrap();
        j.conn
            .execute(
                "UPDATE attempts SET fee_inputs = '{\"energy\": \"lots\"'",
                [],
            )
            .unwrap();
        for e in [
            j.attempt_by_txid(&crate::journal::fixtures::txid("t1"))
                .unwrap_err(),
            j.latest_attempt("p").unwrap_err(),
            j.payout_lines(Some("b")).unwrap_err(),
        ] {
            assert_eq!(e.exit_code(), 1, "{e}");
            assert!(
                e.to_string().starts_with(
                    "journal: fee inputs of attempt 1 is corrupt: not the JSON document"
                ),
                "{e}"
            );
        }
        // Well-formed fee inputs come back decoded.
        let fee = coldpay_shared::handoff::FeeInputs::default();
        j.conn
            .execute(
                "UPDATE attempts SET fee_inputs = ?1",
                [serde_json::to_string(&fee).unwrap()],
            )
            .unwrap();
        assert_eq!(
            j.attempt_by_txid(&crate::journal::fixtures::txid("t1"))
                .unwrap()
                .unwrap()
                .fee_inputs,
            Some(fee)
        );
        // A batch's network is decoded too.
        assert_eq!(j.batch("b").unwrap().unwrap().network, Network::Local);
        j.conn
            .execute("UPDATE batches SET network = 'moon'", [])
            .unwrap();
        let e = j.batch_from("b").unwrap_err();
        assert_eq!(e.exit_code(), 1, "{e}");
        assert!(
            e.to_string().contains("network of batch b is corrupt"),
            "{e}"
        );
    }

    #[test]
    fn every_typed_payout_and_attempt_column_refuses_what_does_not_decode() {
        let payout_columns = [
            ("to_address", "'Tnot-an-address'"),
            ("token", "'USDT'"),
            ("amount", "'1.5'"),
            ("amount", "'-5'"),
        ];
        // (`kind` is kept to its names by the schema's CHECK.)
        for (column, bad) in payout_columns {
            let (_d, j) = journal();
            add(&j, "t1", "built").unwrap();
            j.conn
                .execute(&format!("UPDATE payouts SET {column} = {bad}"), [])
                .unwrap();
            let e = j.payout("p").unwrap_err();
            assert_eq!(e.exit_code(), 1, "{column}: {e}");
            assert!(e.to_string().contains(" of payout p is corrupt"), "{e}");
            if column != "to_address" {
                // The lean form (`status`) reads every column but the recipient.
                assert_eq!(j.payout_states(None).unwrap_err().exit_code(), 1);
            }
        }
        let attempt_columns = [
            ("txid", "'t1'"),
            ("raw_hex", "'00'"),
            ("signatures", "'[\"ab\"]'"),
            ("receipt", "'{\"fee\": \"much\"}'"),
            ("evidence", "'not json'"),
        ];
        for (column, bad) in attempt_columns {
            let (_d, j) = journal();
            add(&j, "t1", "built").unwrap();
            j.conn
                .execute(&format!("UPDATE attempts SET {column} = {bad}"), [])
                .unwrap();
            let e = j.latest_attempt("p").unwrap_err();
            assert_eq!(e.exit_code(), 1, "{column}: {e}");
            let e = j.payout_lines(None).unwrap_err();
            assert_eq!(e.exit_code(), 1, "{column}: {e}");
        }
        // The batch's sender too.
        let (_d, j) = journal();
        j.conn
            .execute("UPDATE batches SET from_address = 'Tfrom'", [])
            .unwrap();
        assert_eq!(j.batches().unwrap_err().exit_code(), 1);
    }

    #[test]
    fn cancel_rules() {
        let (_d, j) = journal();
        for id in ["q", "r"] {
            j.conn
                .execute(
                    "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES (?1, 'b', 2, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0)",
                    [id],
                )
                .unwrap();
        }
        add(&j, "t1", "broadcast").unwrap();
        add_for(&j, "r", "t9", "included").unwrap();
        let r = j
            .attempt_by_txid(&crate::journal::fixtures::txid("t9"))
            .unwrap()
            .unwrap();
        set_state(&j, r.id, "confirmed", Some(7), None, None).unwrap();
        // All or nothing: p has a live attempt, r is confirmed, x does not exist.
        let ids: Vec<String> = ["q", "p", "r", "x"].iter().map(|s| (*s).into()).collect();
        let e = j.cancel(&ids, Some("dup"), false).unwrap_err();
        let s = e.to_string();
        assert_eq!(e.exit_code(), 2);
        assert!(
            s.contains("payout p has a live attempt (broadcast, txid f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1): wait for it to settle"),
            "{s}"
        );
        assert!(
            s.contains("payout r is confirmed (txid f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9, block 7)"),
            "{s}"
        );
        assert!(s.contains("no payout \"x\""), "{s}");
        // One refusal per line.
        assert!(s.contains("nothing cancelled:\n  "), "{s}");
        assert_eq!(s.lines().count(), 4, "{s}");
        assert!(j.payout("q").unwrap().unwrap().cancelled_at.is_none());
        // An attempt awaiting signatures says when the payout can be cancelled.
        add_for(&j, "q", "t3", "built").unwrap();
        let e = j
            .cancel(&["q".into()], None, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("payout q has a live attempt (built, txid f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3) that can still be signed and submitted until it expires at 1970-01-01T00:00:00.001Z"),
            "{e}"
        );
        assert!(
            e.contains("cancel it after that, once `track` has marked it expired"),
            "{e}"
        );
        let t3 = j
            .attempt_by_txid(&crate::journal::fixtures::txid("t3"))
            .unwrap()
            .unwrap();
        set_state(&j, t3.id, "expired", None, None, None).unwrap();
        // Partial: q is cancelled, the others listed.
        let o = j.cancel(&ids, Some("dup"), true).unwrap();
        assert_eq!(o.cancelled, vec!["q".to_string()]);
        assert_eq!(o.not_cancelled.len(), 3);
        let q = j.payout("q").unwrap().unwrap();
        assert!(q.cancelled_at.is_some());
        assert_eq!(q.cancel_reason.as_deref(), Some("dup"));
        assert_eq!(j.active_payouts(Some("b")).unwrap().len(), 2);
        assert_eq!(j.payouts(Some("b")).unwrap().len(), 3);
        // Idempotent, and no attempt for a cancelled payout.
        let o = j.cancel(&["q".into()], None, false).unwrap();
        assert_eq!(o.already_cancelled, vec!["q".to_string()]);
        assert!(
            no_sqlite_text(&add_for(&j, "q", "t5", "built").unwrap_err())
                .contains("payout cancelled")
        );
        // The trigger backs the check up.
        let e = BcError::from(
            j.conn
                .execute("UPDATE payouts SET cancelled_at = 1 WHERE id = 'p'", [])
                .unwrap_err(),
        );
        assert!(no_sqlite_text(&e).contains("cannot be cancelled"));
    }

    #[test]
    fn v1_journal_migrates_in_place_and_binds_the_network() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("old.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "journal_mode", "WAL").unwrap();
            c.execute_batch(MIGRATION_1).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute_batch(
                "INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'nile', 0);
                 INSERT INTO payouts VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', 'm', 0);
                 INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('p', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'broadcast', 0, 0);",
            )
            .unwrap();
        }
        // Readers migrate too (taking the writer lock for it).
        let r = Journal::open_read(&path).unwrap();
        assert!(!r.is_writer());
        drop(r);
        let j = Journal::open(&path, Network::Nile, LockWait::NoWait).unwrap();
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert_eq!(j.meta("network").unwrap().as_deref(), Some("nile"));
        assert_v3_tables(&j);
        assert_v4_rules(&j, &crate::journal::fixtures::txid("aa"));
        let a = j
            .attempt_by_txid(&crate::journal::fixtures::txid("aa"))
            .unwrap()
            .unwrap();
        assert_eq!((a.state.as_str(), a.refusal.as_ref()), ("broadcast", None));
        // The new trigger is in place: expired → confirmed.
        set_state(&j, a.id, "expired", None, None, None).unwrap();
        set_state(&j, a.id, "confirmed", None, None, None).unwrap();
        assert_eq!(j.payout("p").unwrap().unwrap().memo.as_deref(), Some("m"));
        drop(j);
        let e = Journal::open(&path, Network::Mainnet, LockWait::NoWait)
            .err()
            .unwrap();
        assert_eq!(e.exit_code(), 6);
        assert!(e
            .to_string()
            .ends_with("was created for nile; this command runs mainnet (--network / config)"));
    }

    /// The version 3 tables exist and their rules hold.
    fn assert_v3_tables(j: &Journal) {
        for t in [
            "transfers",
            "watch_cursors",
            "alarms",
            "balance_snapshots",
            "audit_heads",
        ] {
            let n: i64 = j
                .conn
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{t}");
        }
        j.conn
            .execute(
                "INSERT INTO audit_heads (log, seq, hash, request_id, signed_at, received_at) VALUES ('l', 5, 'h', 'r', 0, 0)",
                [],
            )
            .unwrap();
        let e = BcError::from(
            j.conn
                .execute(
                    "INSERT INTO audit_heads (log, seq, hash, request_id, signed_at, received_at) VALUES ('l', 4, 'h', 'r', 0, 0)",
                    [],
                )
                .unwrap_err(),
        );
        assert!(
            no_sqlite_text(&e).contains("signer audit log went backwards"),
            "{e}"
        );
    }

    /// A journal at schema `version` in `dir` (`v{version}.sqlite`), holding one batch, one
    /// TRX payout `p` and one attempt `aa` in `attempt_state`.
    fn old_journal(dir: &Path, version: usize, attempt_state: &str) -> std::path::PathBuf {
        let path = dir.join(format!("v{version}.sqlite"));
        let c = Connection::open(&path).unwrap();
        for migration in &[
            MIGRATION_1,
            MIGRATION_2,
            MIGRATION_3,
            MIGRATION_4,
            MIGRATION_5,
        ][..version]
        {
            c.execute_batch(migration).unwrap();
        }
        c.pragma_update(None, "user_version", version).unwrap();
        c.execute_batch(
            "INSERT INTO meta VALUES ('network', 'local');
             INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0);
             INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0);",
        )
        .unwrap();
        c.execute(
            "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('p', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', ?1, 0, 0)",
            params![attempt_state],
        )
        .unwrap();
        path
    }

    #[test]
    fn v2_journal_migrates_to_v3_keeping_its_rows() {
        let d = tempfile::tempdir().unwrap();
        let path = old_journal(d.path(), 2, "broadcast");
        let j = Journal::open(&path, Network::Local, LockWait::NoWait).unwrap();
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert_eq!(
            j.attempt_by_txid(&crate::journal::fixtures::txid("aa"))
                .unwrap()
                .unwrap()
                .state,
            "broadcast"
        );
        assert_v3_tables(&j);
        assert_v4_rules(&j, &crate::journal::fixtures::txid("aa"));
        // Recorded transfers are never changed.
        j.conn
            .execute(
                "INSERT INTO transfers (account, txid, log_index, direction, token, amount, contract, result, block, block_id, block_time, recorded_at) VALUES ('A', 't', -1, 'in', 'TRX', '5', 'TransferContract', 'SUCCESS', 3, 'id', 0, 0)",
                [],
            )
            .unwrap();
        let e = BcError::from(
            j.conn
                .execute("UPDATE transfers SET amount = '6'", [])
                .unwrap_err(),
        );
        assert!(no_sqlite_text(&e).contains("never changed"), "{e}");
    }

    /// The version 4 columns and rules: payouts are of kind `payout` by default, approvals are
    /// one per signer and only while the attempt waits for signatures.
    fn assert_v4_rules(j: &Journal, live_txid: &coldpay_shared::TxId) {
        let p = j.payout("p").unwrap().unwrap();
        assert_eq!(p.kind, PayoutKind::Payout);
        let a = j.attempt_by_txid(live_txid).unwrap().unwrap();
        assert_eq!(a.permission_id, None);
        let approve = |attempt: i64, signer: &str| {
            j.conn
                .execute(
                    "INSERT INTO approvals (attempt_id, signer, weight, threshold, signature, request_id, received_at) VALUES (?1, ?2, 1, 2, 'sig', 'r', 0)",
                    params![attempt, signer],
                )
                .map_err(BcError::from)
        };
        let e = approve(a.id, "TA").unwrap_err();
        assert!(
            no_sqlite_text(&e).contains("not waiting for signatures"),
            "{e}"
        );
        let bad_kind = j
            .conn
            .execute("UPDATE payouts SET kind = 'other' WHERE id = 'p'", []);
        assert!(bad_kind.is_err());
    }

    #[test]
    fn v3_journal_migrates_to_v4_and_approvals_follow_the_rules() {
        let d = tempfile::tempdir().unwrap();
        let path = old_journal(d.path(), 3, "signed");
        let j = Journal::open(&path, Network::Local, LockWait::NoWait).unwrap();
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert_v4_rules(&j, &crate::journal::fixtures::txid("aa"));
        assert_eq!(j.active_payouts(None).unwrap().len(), 1);
        // A built attempt takes approvals, one per signer; they are never changed.
        j.conn
            .execute_batch(
                "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at, kind) VALUES ('perm', 'b', 2, 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'PERMISSION', '0', NULL, 0, 'permission-update');
                 INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at, permission_id) VALUES ('perm', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'built', 0, 0, 0);",
            )
            .unwrap();
        // Permission updates are not payouts `build` works on.
        assert_eq!(j.active_payouts(None).unwrap().len(), 1);
        let b = j
            .attempt_by_txid(&crate::journal::fixtures::txid("bb"))
            .unwrap()
            .unwrap();
        assert_eq!(b.permission_id, Some(0));
        let insert = |signer: &str| {
            j.conn
                .execute(
                    "INSERT INTO approvals (attempt_id, signer, weight, threshold, signature, request_id, received_at) VALUES (?1, ?2, 1, 2, 'sig', 'r', 0)",
                    params![b.id, signer],
                )
                .map_err(BcError::from)
        };
        insert("TA").unwrap();
        assert!(no_sqlite_text(&insert("TA").unwrap_err()).contains("already approved"));
        let e = BcError::from(
            j.conn
                .execute("UPDATE approvals SET weight = 2", [])
                .unwrap_err(),
        );
        assert!(no_sqlite_text(&e).contains("never changed"), "{e}");
        set_state(&j, b.id, "signed", None, None, None).unwrap();
        assert!(no_sqlite_text(&insert("TB").unwrap_err()).contains("not waiting"));
    }

    #[test]
    fn v4_journal_migrates_to_v5_and_receipt_failures_are_reopened() {
        let d = tempfile::tempdir().unwrap();
        let path = old_journal(d.path(), 4, "failed");
        {
            let c = Connection::open(&path).unwrap();
            // `aa` was settled failed from a forged receipt: its verified block said SUCCESS.
            c.execute_batch(
                "UPDATE attempts SET block = 9, receipt = '{\"fee\":1,\"result\":\"SUCCESS\"}', reason = 'SUCCESS: REVERT opcode executed';
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('q', 'b', 2, 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 'TRX', '5', NULL, 0);
                 INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, block, receipt, created_at, updated_at) VALUES ('q', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'failed', 9, '{\"result\":\"REVERT\"}', 0, 0);
                 INSERT INTO audit_heads (log, seq, hash, request_id, signed_at, received_at) VALUES ('L', 3, 'h', 'r', 0, 5);
                 INSERT INTO alarms (account, txid, block, detail, raised_at) VALUES ('A', 't', 1, '{}', 0);",
            )
            .unwrap();
        }
        let j = Journal::open(&path, Network::Local, LockWait::NoWait).unwrap();
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        // Through version 5 to the current one (7 adds `signer_policies`, empty).
        assert_eq!(v, SCHEMA_VERSION);
        let n: i64 = j
            .conn
            .query_row("SELECT COUNT(*) FROM signer_policies", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        let aa = j
            .attempt_by_txid(&crate::journal::fixtures::txid("aa"))
            .unwrap()
            .unwrap();
        assert!(
            aa.recheck.as_deref().unwrap().contains("said SUCCESS"),
            "{:?}",
            aa.recheck
        );
        // A failure the verified block named stays failed, not re-opened.
        assert_eq!(
            j.attempt_by_txid(&crate::journal::fixtures::txid("bb"))
                .unwrap()
                .unwrap()
                .recheck,
            None
        );
        // The correction failed → confirmed is allowed; confirmed → failed is not.
        set_state(&j, aa.id, "confirmed", None, None, None).unwrap();
        assert!(set_state(&j, aa.id, "failed", None, None, None).is_err());
        // The single-signer head is bound to the batch's sender key.
        let key: String = j
            .conn
            .query_row(
                "SELECT signer FROM audit_log_keys WHERE log = 'L'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(key, crate::journal::fixtures::FROM);
        // Alarms start open; an acknowledgement is final.
        let open: i64 = j
            .conn
            .query_row(
                "SELECT COUNT(*) FROM alarms WHERE acked_at IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(open, 1);
        j.conn
            .execute("UPDATE alarms SET acked_at = 1, ack_note = 'ok'", [])
            .unwrap();
        assert!(j
            .conn
            .execute("UPDATE alarms SET ack_note = 'changed'", [])
            .is_err());
        // Recorded transfers default to verified.
        j.conn
            .execute(
                "INSERT INTO transfers (account, txid, log_index, direction, token, amount, contract, result, block, block_id, block_time, recorded_at) VALUES ('A', 't', -1, 'in', 'TRX', '5', 'TransferContract', 'SUCCESS', 3, 'id', 0, 0)",
                [],
            )
            .unwrap();
        let ev: String = j
            .conn
            .query_row("SELECT evidence FROM transfers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ev, "verified");
    }

    #[test]
    fn v5_journal_migrates_with_the_reading_indexes() {
        let d = tempfile::tempdir().unwrap();
        let path = old_journal(d.path(), 5, "built");
        // A reader migrates it (taking the writer lock for it) and reads through the indexes.
        let j = Journal::open_read(&path).unwrap();
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let mut st = j
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('attempts_payout', 'payouts_batch', 'attempts_block', 'transfers_account_block') ORDER BY name")
            .unwrap();
        let names: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            names,
            [
                "attempts_block",
                "attempts_payout",
                "payouts_batch",
                "transfers_account_block"
            ]
        );
        let lines = j.payout_lines(Some("b")).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0].latest.as_ref().unwrap().txid,
            crate::journal::fixtures::txid("aa")
        );
    }

    #[test]
    fn readers_do_not_create_and_do_not_lock() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("j.sqlite");
        let e = Journal::open_read(&path).err().unwrap();
        assert!(e.to_string().contains("no journal at"));
        assert!(!path.exists());
        let w = Journal::open(&path, Network::Local, LockWait::NoWait).unwrap();
        let r = Journal::open_read(&path).unwrap();
        assert!(r.batches().unwrap().is_empty());
        assert!(Journal::open(&path, Network::Local, LockWait::NoWait).is_err());
        drop(w);
        Journal::open(&path, Network::Local, LockWait::NoWait).unwrap();
    }
}
