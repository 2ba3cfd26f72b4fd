//! Staking operations (`stake`, `unstake`, `withdraw-unstaked`, `delegate`, `undelegate`,
//! `cancel-unstake`; issue #24), journaled as payout rows of kind `staking` so that `submit`
//! and `track` broadcast and settle each exactly once under the attempt rules, with what the
//! operation is in table `staking_ops` (schema version 8).

use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::{BcError, Result};

/// The kind CHECK of `payouts.kind` as schema version 4 wrote it, and as version 8 widens it.
const KIND_CHECK_V4: &str = "CHECK (kind IN ('payout','permission-update'))";
const KIND_CHECK_V8: &str = "CHECK (kind IN ('payout','permission-update','staking'))";

/// Schema version 8: the `staking_ops` table (one row per staking payout row: operation,
/// owner, amount in sun, resource, receiver, lock and lock period).
pub const MIGRATION_8: &str = r"
CREATE TABLE staking_ops (
    payout_id TEXT PRIMARY KEY REFERENCES payouts(id),
    operation TEXT NOT NULL CHECK (operation IN ('stake','unstake','withdraw-unstaked','delegate','undelegate','cancel-unstake')),
    owner TEXT NOT NULL,
    amount_sun INTEGER NOT NULL CHECK (amount_sun >= 0),
    resource TEXT CHECK (resource IN ('ENERGY','BANDWIDTH')),
    receiver TEXT,
    lock INTEGER NOT NULL DEFAULT 0 CHECK (lock IN (0, 1)),
    lock_period INTEGER NOT NULL DEFAULT 0 CHECK (lock_period >= 0),
    created_at INTEGER NOT NULL
);
CREATE INDEX staking_ops_owner ON staking_ops (owner);
";

/// Version 7 → 8: the `staking_ops` table, and `payouts.kind` also accepts `staking`. SQLite
/// cannot alter a CHECK constraint; widening it (every existing row still satisfies it) is
/// done as SQLite documents for loosening constraints (lang_altertable.html §7: the table's
/// schema text rewritten under `writable_schema` and the schema version bumped, inside the
/// migration's transaction).
pub fn migrate_8(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(MIGRATION_8)?;
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'payouts'",
        [],
        |r| r.get(0),
    )?;
    if sql.matches(KIND_CHECK_V4).count() != 1 {
        return Err(rusqlite::Error::InvalidParameterName(
            "payouts.kind does not have the schema 4 CHECK".into(),
        ));
    }
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.execute_batch("PRAGMA writable_schema = ON")?;
    tx.execute(
        "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = 'payouts'",
        params![sql.replace(KIND_CHECK_V4, KIND_CHECK_V8)],
    )?;
    tx.execute_batch(&format!(
        "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF;",
        version + 1
    ))?;
    Ok(())
}

/// One staking operation as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakingOp {
    /// The payout row's id.
    pub payout_id: String,
    /// `stake`, `unstake`, `withdraw-unstaked`, `delegate`, `undelegate` or `cancel-unstake`.
    pub operation: String,
    /// The staking account (base58).
    pub owner: String,
    /// Amount in sun (0 for withdraw and cancel).
    pub amount_sun: u64,
    /// `ENERGY` or `BANDWIDTH` (none for withdraw and cancel).
    pub resource: Option<String>,
    /// Receiver of a delegation (base58).
    pub receiver: Option<String>,
    /// Whether a delegation is locked.
    pub lock: bool,
    /// Lock period in blocks (0 = the chain's default).
    pub lock_period: u64,
}

/// Inserts the operation's row (inside the caller's transaction, after its payout row).
pub fn insert_in(tx: &rusqlite::Connection, op: &StakingOp, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO staking_ops (payout_id, operation, owner, amount_sun, resource, receiver, lock, lock_period, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            op.payout_id,
            op.operation,
            op.owner,
            i64::try_from(op.amount_sun).unwrap_or(i64::MAX),
            op.resource,
            op.receiver,
            op.lock,
            i64::try_from(op.lock_period).unwrap_or(i64::MAX),
            now
        ],
    )
    .map_err(|e| BcError::journal_at(e, format!("record staking operation {}", op.payout_id)))?;
    Ok(())
}

fn op_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StakingOp> {
    Ok(StakingOp {
        payout_id: r.get(0)?,
        operation: r.get(1)?,
        owner: r.get(2)?,
        amount_sun: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        resource: r.get(4)?,
        receiver: r.get(5)?,
        lock: r.get(6)?,
        lock_period: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
    })
}

const COLS: &str = "payout_id, operation, owner, amount_sun, resource, receiver, lock, lock_period";

impl super::Journal {
    /// The staking operation journaled under payout row `id`, if it is one.
    pub fn staking_op(&self, id: &str) -> Result<Option<StakingOp>> {
        self.conn
            .query_row(
                &format!("SELECT {COLS} FROM staking_ops WHERE payout_id = ?1"),
                params![id],
                op_from_row,
            )
            .optional()
            .map_err(|e| BcError::journal_at(e, format!("read staking operation {id}")))
    }

    /// Every staking operation, oldest first.
    pub fn staking_ops(&self) -> Result<Vec<StakingOp>> {
        let at = |e| BcError::journal_at(e, "read staking operations");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {COLS} FROM staking_ops ORDER BY created_at, payout_id"
            ))
            .map_err(at)?;
        let rows = st.query_map([], op_from_row).map_err(at)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(at)
    }
}

/// The operation word of a staking contract (`stake`, `unstake`, …).
pub fn operation_of(c: &coldpay_shared::staking::StakingContract) -> &'static str {
    c.operation()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;
    use crate::journal::{Journal, MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4};
    use crate::journal::{MIGRATION_5, MIGRATION_6};

    fn v7(path: &std::path::Path) {
        let c = rusqlite::Connection::open(path).unwrap();
        for m in [
            MIGRATION_1,
            MIGRATION_2,
            MIGRATION_3,
            MIGRATION_4,
            MIGRATION_5,
            MIGRATION_6,
            crate::journal::signer_policies::MIGRATION_7,
        ] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "user_version", 7).unwrap();
        c.execute_batch(
            "INSERT INTO meta VALUES ('network', 'local');
             INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0);
             INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0);",
        )
        .unwrap();
    }

    fn op(id: &str) -> StakingOp {
        StakingOp {
            payout_id: id.into(),
            operation: "delegate".into(),
            owner: "Tfrom".into(),
            amount_sun: 5_000_000,
            resource: Some("ENERGY".into()),
            receiver: Some("Tto".into()),
            lock: true,
            lock_period: 28_800,
        }
    }

    #[test]
    fn a_v7_journal_migrates_keeping_rows_and_accepts_staking_rows_only_as_staking() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("v7.sqlite");
        v7(&path);
        let j = Journal::open(&path, coldpay_shared::Network::Local, LockWait::NoWait).unwrap();
        let v: i64 = j
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, crate::journal::SCHEMA_VERSION);
        assert_eq!(
            j.payout("p").unwrap().unwrap().kind,
            crate::journal::PayoutKind::Payout
        );
        j.conn
            .execute(
                "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at, kind) VALUES ('s', 'b', 2, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5000000', NULL, 0, 'staking')",
                [],
            )
            .unwrap();
        insert_in(&j.conn, &op("s"), 1).unwrap();
        assert_eq!(j.staking_op("s").unwrap(), Some(op("s")));
        assert_eq!(j.staking_ops().unwrap(), vec![op("s")]);
        assert_eq!(j.staking_op("p").unwrap(), None);
        // The widened CHECK still refuses anything else, and the table's rules hold.
        assert!(j
            .conn
            .execute("UPDATE payouts SET kind = 'other' WHERE id = 'p'", [])
            .is_err());
        let mut bad = op("p");
        bad.operation = "burn".into();
        assert!(insert_in(&j.conn, &bad, 1).is_err());
        let ok: String = j
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        drop(j);
        // Opening again does not migrate twice.
        let j = Journal::open(&path, coldpay_shared::Network::Local, LockWait::NoWait).unwrap();
        assert_eq!(j.staking_ops().unwrap().len(), 1);
    }

    #[test]
    fn a_new_journal_has_the_widened_check() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("n.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        j.conn
            .execute_batch(
                "INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0);
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at, kind) VALUES ('s', 'b', 1, 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'TRX', '0', NULL, 0, 'staking');",
            )
            .unwrap();
    }
}
