//! Staking operations (`stake`, `unstake`, `withdraw-unstaked`, `delegate`, `undelegate`,
//! `cancel-unstake`; issue #24), journaled as payout rows of kind `staking` so that `submit`
//! and `track` broadcast and settle each exactly once under the attempt rules, with what the
//! operation is in table `staking_ops` (schema version 8).

use coldpay_shared::staking::{Resource, StakingContract};
use coldpay_shared::text::escape;
use coldpay_shared::Address;
use rusqlite::{params, OptionalExtension, Transaction};

use super::select_all;
use super::stored::{self, sql_int};
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

/// A staking operation, spelled as the `staking_ops.operation` CHECK allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StakingOperation {
    /// `stake` (FreezeBalanceV2Contract).
    Stake,
    /// `unstake` (UnfreezeBalanceV2Contract).
    Unstake,
    /// `withdraw-unstaked` (WithdrawExpireUnfreezeContract).
    WithdrawUnstaked,
    /// `delegate` (DelegateResourceContract).
    Delegate,
    /// `undelegate` (UnDelegateResourceContract).
    Undelegate,
    /// `cancel-unstake` (CancelAllUnfreezeV2Contract).
    CancelUnstake,
}

impl StakingOperation {
    /// Every operation, in the CHECK's order.
    pub const ALL: [StakingOperation; 6] = [
        StakingOperation::Stake,
        StakingOperation::Unstake,
        StakingOperation::WithdrawUnstaked,
        StakingOperation::Delegate,
        StakingOperation::Undelegate,
        StakingOperation::CancelUnstake,
    ];

    /// The journal's (and the commands') spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StakingOperation::Stake => "stake",
            StakingOperation::Unstake => "unstake",
            StakingOperation::WithdrawUnstaked => "withdraw-unstaked",
            StakingOperation::Delegate => "delegate",
            StakingOperation::Undelegate => "undelegate",
            StakingOperation::CancelUnstake => "cancel-unstake",
        }
    }

    /// Reads the journal's spelling back.
    pub fn from_journal(s: &str) -> Option<StakingOperation> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The operation a staking contract performs.
    pub fn of(c: &StakingContract) -> StakingOperation {
        match c {
            StakingContract::Freeze { .. } => StakingOperation::Stake,
            StakingContract::Unfreeze { .. } => StakingOperation::Unstake,
            StakingContract::WithdrawExpireUnfreeze { .. } => StakingOperation::WithdrawUnstaked,
            StakingContract::Delegate { .. } => StakingOperation::Delegate,
            StakingContract::UnDelegate { .. } => StakingOperation::Undelegate,
            StakingContract::CancelAllUnfreeze { .. } => StakingOperation::CancelUnstake,
        }
    }
}

/// One staking operation as journaled, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakingOp {
    /// The payout row's id.
    pub payout_id: String,
    /// What the operation does.
    pub operation: StakingOperation,
    /// The staking account.
    pub owner: Address,
    /// Amount in sun (0 for withdraw and cancel).
    pub amount_sun: u64,
    /// The resource (none for withdraw and cancel).
    pub resource: Option<Resource>,
    /// Receiver of a delegation or undelegation.
    pub receiver: Option<Address>,
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
            op.operation.as_str(),
            op.owner.to_base58(),
            sql_int(op.amount_sun),
            op.resource.map(Resource::name),
            op.receiver.map(|r| r.to_base58()),
            op.lock,
            sql_int(op.lock_period),
            now
        ],
    )
    .map_err(|e| BcError::journal_at(e, format!("record staking operation {}", op.payout_id)))?;
    Ok(())
}

/// A `staking_ops` row as SQLite holds it (text not decoded yet).
struct Stored {
    payout_id: String,
    operation: String,
    owner: String,
    amount_sun: i64,
    resource: Option<String>,
    receiver: Option<String>,
    lock: bool,
    lock_period: i64,
}

fn stored_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        payout_id: r.get(0)?,
        operation: r.get(1)?,
        owner: r.get(2)?,
        amount_sun: r.get(3)?,
        resource: r.get(4)?,
        receiver: r.get(5)?,
        lock: r.get(6)?,
        lock_period: r.get(7)?,
    })
}

impl Stored {
    /// Decodes every column once; the first that does not decode is the error.
    fn decode(self) -> Result<StakingOp> {
        let row = format!("staking_ops row {}", escape(&self.payout_id));
        let row = row.as_str();
        let operation = StakingOperation::from_journal(&self.operation)
            .ok_or_else(|| stored::corrupt(row, "operation", "not a staking operation"))?;
        let resource = self
            .resource
            .map(|r| {
                Resource::from_name(&r)
                    .ok_or_else(|| stored::corrupt(row, "resource", "neither ENERGY nor BANDWIDTH"))
            })
            .transpose()?;
        Ok(StakingOp {
            operation,
            owner: stored::address(row, "owner", &self.owner)?,
            amount_sun: stored::unsigned(row, "amount_sun", self.amount_sun)?,
            resource,
            receiver: stored::address_opt(row, "receiver", self.receiver.as_deref())?,
            lock: self.lock,
            lock_period: stored::unsigned(row, "lock_period", self.lock_period)?,
            payout_id: self.payout_id,
        })
    }
}

const COLS: &str = "payout_id, operation, owner, amount_sun, resource, receiver, lock, lock_period";

impl super::Journal {
    /// The staking operation journaled under payout row `id`, if it is one.
    pub fn staking_op(&self, id: &str) -> Result<Option<StakingOp>> {
        self.conn
            .query_row(
                &format!("SELECT {COLS} FROM staking_ops WHERE payout_id = ?1"),
                params![id],
                stored_from,
            )
            .optional()
            .map_err(|e| BcError::journal_at(e, format!("read staking operation {id}")))?
            .map(Stored::decode)
            .transpose()
    }

    /// Every staking operation, oldest first.
    pub fn staking_ops(&self) -> Result<Vec<StakingOp>> {
        let at = |e| BcError::journal_at(e, "read staking operations");
        let rows = select_all(
            &self.conn,
            &format!("SELECT {COLS} FROM staking_ops ORDER BY created_at, payout_id"),
            at,
            [],
            stored_from,
        )?;
        rows.into_iter().map(Stored::decode).collect()
    }
}

/// The operation word of a staking contract (`stake`, `unstake`, …).
pub fn operation_of(c: &StakingContract) -> &'static str {
    StakingOperation::of(c).as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures;
    use crate::journal::lock::LockWait;
    use crate::journal::{Journal, MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4};
    use crate::journal::{MIGRATION_5, MIGRATION_6};

    fn a(n: u8) -> Address {
        Address::from_evm_bytes([n; 20])
    }

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
        c.execute_batch(&format!(
            "INSERT INTO meta VALUES ('network', 'local');
             INSERT INTO batches VALUES ('b', '{}', 'local', 0);
             INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, '{}', 'TRX', '5', NULL, 0);",
            a(1),
            a(2)
        ))
        .unwrap();
    }

    fn op(id: &str) -> StakingOp {
        StakingOp {
            payout_id: id.into(),
            operation: StakingOperation::Delegate,
            owner: a(1),
            amount_sun: 5_000_000,
            resource: Some(Resource::Energy),
            receiver: Some(a(2)),
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
        staking_payout(&j, "s", 2);
        insert_in(&j.conn, &op("s"), 1).unwrap();
        assert_eq!(j.staking_op("s").unwrap(), Some(op("s")));
        assert_eq!(j.staking_ops().unwrap(), vec![op("s")]);
        assert_eq!(j.staking_op("p").unwrap(), None);
        // The widened CHECK still refuses anything else, and the table's rules hold.
        assert!(j
            .conn
            .execute("UPDATE payouts SET kind = 'other' WHERE id = 'p'", [])
            .is_err());
        assert!(j
            .conn
            .execute(
                "UPDATE staking_ops SET operation = 'burn' WHERE payout_id = 's'",
                []
            )
            .is_err());
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
        let (_d, j) = journal_with_batch();
        staking_payout(&j, "s", 1);
    }

    /// A new journal holding batch `b`, sent from `a(1)`.
    fn journal_with_batch() -> (tempfile::TempDir, Journal) {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("n.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        fixtures::execute(
            &j,
            "INSERT INTO batches VALUES ('b', ?1, 'local', 0)",
            [a(1).to_base58()],
        );
        (d, j)
    }

    /// A payout row of kind `staking` in batch `b`.
    fn staking_payout(j: &Journal, id: &str, line: i64) {
        fixtures::execute(
            j,
            "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at, kind) VALUES (?1, 'b', ?2, ?3, 'TRX', '5000000', NULL, 0, 'staking')",
            rusqlite::params![id, line, a(2).to_base58()],
        );
    }

    #[test]
    fn operations_read_back_typed_and_each_spelling_is_the_checks() {
        let (_d, j) = journal_with_batch();
        for (i, o) in StakingOperation::ALL.into_iter().enumerate() {
            let id = format!("s{i}");
            staking_payout(&j, &id, i as i64);
            let row = StakingOp {
                operation: o,
                resource: None,
                receiver: None,
                ..op(&id)
            };
            insert_in(&j.conn, &row, i as i64).unwrap();
            assert_eq!(j.staking_op(&id).unwrap(), Some(row));
            assert_eq!(StakingOperation::from_journal(o.as_str()), Some(o));
        }
        assert_eq!(StakingOperation::from_journal("burn"), None);
        let ops: Vec<StakingOperation> = j
            .staking_ops()
            .unwrap()
            .iter()
            .map(|o| o.operation)
            .collect();
        assert_eq!(ops, StakingOperation::ALL);
    }

    #[test]
    fn the_operation_of_a_contract_is_the_commands_word() {
        use coldpay_shared::Sun;
        let owner = a(1);
        let amount = Sun::new(1).unwrap();
        let contracts = [
            StakingContract::Freeze {
                owner,
                amount,
                resource: Resource::Energy,
            },
            StakingContract::Unfreeze {
                owner,
                amount,
                resource: Resource::Energy,
            },
            StakingContract::WithdrawExpireUnfreeze { owner },
            StakingContract::Delegate {
                owner,
                resource: Resource::Energy,
                balance: amount,
                receiver: a(2),
                lock: false,
                lock_period: 0,
            },
            StakingContract::UnDelegate {
                owner,
                resource: Resource::Energy,
                balance: amount,
                receiver: a(2),
            },
            StakingContract::CancelAllUnfreeze { owner },
        ];
        for c in &contracts {
            assert_eq!(operation_of(c), c.operation());
        }
    }

    #[test]
    fn a_corrupt_row_is_a_journal_error_naming_table_row_and_column() {
        let (_d, j) = journal_with_batch();
        staking_payout(&j, "s", 1);
        insert_in(&j.conn, &op("s"), 1).unwrap();
        for (column, bad) in [("receiver", "'Tto'"), ("owner", "'Tfrom'")] {
            fixtures::execute(
                &j,
                &format!("UPDATE staking_ops SET {column} = {bad} WHERE payout_id = 's'"),
                [],
            );
            let e = j.staking_op("s").unwrap_err();
            assert_eq!(e.exit_code(), 1);
            assert!(
                e.to_string()
                    .contains(&format!("staking_ops row s, column {column}")),
                "{e}"
            );
            assert!(j.staking_ops().is_err());
        }
    }
}
