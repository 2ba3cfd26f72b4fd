//! Account operations that go through attempts like a payout (a permission update, a staking
//! operation): journaled as their own batch and payout row of their kind, with the row that
//! says what they do and their built attempt, in one SQL transaction; and the rule "one live
//! operation of a kind per account".

use coldpay_shared::contract::ContractKind;
use coldpay_shared::{Address, Network, RawData, TxId};
use rusqlite::params;

use super::approval_rows::decoded;
use super::staking_ops::{insert_in, StakingOp};
use super::{at, now_ms, AttemptState, BuiltAgainst, Journal, NewAttempt};
use crate::error::{BcError, Result};

/// The kinds of account operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationKind {
    /// `accounts set-permission` (payout kind `permission-update`).
    PermissionUpdate,
    /// `stake …` (payout kind `staking`).
    Staking,
}

impl OperationKind {
    /// The live attempts of this kind of operation for the account `?1`.
    fn live_sql(self) -> &'static str {
        match self {
            OperationKind::PermissionUpdate => "SELECT a.payout_id, a.state, a.txid, a.raw_hex FROM attempts a JOIN payouts p ON p.id = a.payout_id WHERE p.kind = 'permission-update' AND p.to_address = ?1 AND a.state IN ('built','signed','broadcast','included') ORDER BY a.id",
            OperationKind::Staking => "SELECT a.payout_id, a.state, a.txid, a.raw_hex FROM attempts a JOIN staking_ops s ON s.payout_id = a.payout_id WHERE s.owner = ?1 AND a.state IN ('built','signed','broadcast','included') ORDER BY a.id",
        }
    }

    /// (what it is, what doing it again means) for the operator's sentence.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            OperationKind::PermissionUpdate => ("a permission update", "the same update again"),
            OperationKind::Staking => ("a staking operation", "the same operation again"),
        }
    }
}

/// A live operation's attempt, decoded.
#[derive(Clone, Debug)]
pub struct LiveOperation {
    /// Its payout id.
    pub payout_id: String,
    /// Its state.
    pub state: AttemptState,
    /// Its txID.
    pub txid: TxId,
    /// Its transaction.
    pub raw: RawData,
}

/// What a new operation journals beside its payout row.
#[derive(Clone, Debug)]
pub enum OperationRow<'a> {
    /// The permissions after and before (JSON).
    PermissionUpdate {
        /// After the update.
        after_json: String,
        /// Before it.
        before_json: String,
    },
    /// The staking operation.
    Staking(&'a StakingOp),
}

/// A new operation: its payout row and what it does.
#[derive(Clone, Debug)]
pub struct NewOperation<'a> {
    /// Payout (and batch) id.
    pub id: &'a str,
    /// The account it acts for.
    pub account: &'a Address,
    /// The network.
    pub network: Network,
    /// The payout row's recipient: the account itself, or a staking operation's receiver.
    pub to: Address,
    /// The payout row's amount (base units).
    pub amount: u64,
    /// What it does.
    pub row: OperationRow<'a>,
}

impl Journal {
    /// The live operation of `kind` for `account`, if any (at most one is allowed).
    pub fn live_operation(
        &self,
        kind: OperationKind,
        account: &Address,
    ) -> Result<Option<LiveOperation>> {
        let what = || format!("read the pending operations of {account}");
        let mut st = self.conn.prepare(kind.live_sql()).map_err(at(what()))?;
        let mut rows = st
            .query_map([account.to_base58()], |r| {
                Ok(LiveOperation {
                    payout_id: r.get(0)?,
                    state: r.get(1)?,
                    txid: decoded(2, &r.get::<_, String>(2)?, TxId::from_hex)?,
                    raw: decoded(3, &r.get::<_, String>(3)?, RawData::decode_hex)?,
                })
            })
            .map_err(at(what()))?;
        rows.next().transpose().map_err(at(what()))
    }

    /// One live operation per account: `None` when `account` has none of `kind`; the live one
    /// (payout id, transaction) when it is still `built` and does what `same` asks (its request
    /// is exported again); otherwise an error naming it.
    pub fn pending_operation(
        &self,
        kind: OperationKind,
        account: &Address,
        same: impl Fn(&ContractKind) -> bool,
    ) -> Result<Option<(String, RawData)>> {
        let Some(op) = self.live_operation(kind, account)? else {
            return Ok(None);
        };
        if op.state == AttemptState::Built && same(&op.raw.contract.kind) {
            return Ok(Some((op.payout_id, op.raw)));
        }
        let (what, again) = kind.words();
        Err(BcError::Input(format!(
            "{what} of {account} is already pending ({}, {}, txid {}): let it settle or expire (`track`) before building another ({again} exports its request again)",
            op.payout_id, op.state, op.txid
        )))
    }

    /// Journals a new operation (its batch, its payout row, what it does, its built attempt)
    /// in one SQL transaction.
    pub fn record_operation(
        &self,
        op: &NewOperation<'_>,
        against: &BuiltAgainst<'_>,
        attempt: &NewAttempt,
    ) -> Result<()> {
        let id = op.id;
        let noun = match op.row {
            OperationRow::PermissionUpdate { .. } => "permission update",
            OperationRow::Staking(_) => "staking operation",
        };
        let at = |e| BcError::journal_at(e, format!("record {noun} {id}"));
        let now = now_ms();
        let w = self.write()?;
        let tx = w.sql();
        tx.execute(
            "INSERT INTO batches (id, from_address, network, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, op.account.to_base58(), op.network.as_str(), now],
        )
        .map_err(at)?;
        let (token, kind) = match op.row {
            OperationRow::PermissionUpdate { .. } => ("PERMISSION", "permission-update"),
            OperationRow::Staking(_) => ("TRX", "staking"),
        };
        tx.execute(
            "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at, kind) VALUES (?1, ?1, 1, ?2, ?3, ?4, NULL, ?5, ?6)",
            params![id, op.to.to_base58(), token, op.amount.to_string(), now, kind],
        )
        .map_err(at)?;
        match &op.row {
            OperationRow::PermissionUpdate {
                after_json,
                before_json,
            } => {
                tx.execute(
                    "INSERT INTO permission_updates (payout_id, account, after_json, before_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, op.account.to_base58(), after_json, before_json, now],
                )
                .map_err(at)?;
            }
            OperationRow::Staking(s) => insert_in(tx, s, now)?,
        }
        w.built(against, attempt)?;
        w.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;
    use coldpay_shared::permission::{Permission, PermissionClaim, PermissionKey, PermissionKind};
    use coldpay_shared::{RefBlock, Sun};

    fn raw(amount: u64) -> RawData {
        RawData::trx_transfer(
            Address::from_evm_bytes([7; 20]),
            Address::from_evm_bytes([8; 20]),
            Sun::new(amount).unwrap(),
            RefBlock::from_block_id(&[3; 32]),
            10_000,
            1,
        )
    }

    fn record(j: &Journal, id: &str, account: &Address, r: &RawData) -> Result<()> {
        let op = NewOperation {
            id,
            account,
            network: Network::Local,
            to: *account,
            amount: 0,
            row: OperationRow::PermissionUpdate {
                after_json: "[]".into(),
                before_json: "[]".into(),
            },
        };
        let against = BuiltAgainst {
            request_id: "r",
            ref_block_num: 1,
            ref_block_id: [0; 32],
            ref_block_ts: 0,
            permission: Some(PermissionClaim::from_permission(&Permission {
                kind: PermissionKind::Owner,
                id: 0,
                name: "owner".into(),
                threshold: 1,
                parent_id: 0,
                operations: None,
                keys: vec![PermissionKey {
                    address: *account,
                    weight: 1,
                }],
            })),
        };
        let attempt = NewAttempt {
            payout_id: id.into(),
            txid: r.txid(),
            raw: r.encode(),
            expiration: r.expiration,
            fee_limit: 0,
            fee_inputs: None,
        };
        j.record_operation(&op, &against, &attempt)
    }

    #[test]
    fn one_live_operation_per_account() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        let (me, other) = (
            Address::from_evm_bytes([1; 20]),
            Address::from_evm_bytes([2; 20]),
        );
        let kind = OperationKind::PermissionUpdate;
        assert!(j.pending_operation(kind, &me, |_| true).unwrap().is_none());
        let first = raw(5);
        record(&j, "u1", &me, &first).unwrap();
        let live = j.live_operation(kind, &me).unwrap().unwrap();
        assert_eq!(
            (live.payout_id.as_str(), live.state),
            ("u1", AttemptState::Built)
        );
        assert_eq!(live.raw, first);
        // The same operation again: exported again.
        let (id, again) = j.pending_operation(kind, &me, |_| true).unwrap().unwrap();
        assert_eq!((id.as_str(), again), ("u1", first.clone()));
        // Another one: refused, naming the live one.
        let e = j.pending_operation(kind, &me, |_| false).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().starts_with(&format!(
                "a permission update of {me} is already pending (u1, built, txid"
            )),
            "{e}"
        );
        // Other accounts and other kinds are not held up by it.
        assert!(j.live_operation(kind, &other).unwrap().is_none());
        assert!(j
            .live_operation(OperationKind::Staking, &me)
            .unwrap()
            .is_none());
        // A payout row of the operation's kind was journaled with it, all or nothing: a
        // second operation under the same id records nothing.
        assert!(record(&j, "u1", &other, &raw(6)).is_err());
        assert!(j.live_operation(kind, &other).unwrap().is_none());
        assert_eq!(
            j.payout("u1").unwrap().unwrap().kind,
            crate::journal::PayoutKind::PermissionUpdate
        );
    }

    #[test]
    fn a_live_operation_whose_bytes_do_not_decode_is_a_journal_error() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        let me = Address::from_evm_bytes([1; 20]);
        record(&j, "u1", &me, &raw(5)).unwrap();
        j.conn
            .execute("UPDATE attempts SET raw_hex = 'zz'", [])
            .unwrap();
        let e = j
            .pending_operation(OperationKind::PermissionUpdate, &me, |_| true)
            .unwrap_err();
        assert_eq!(e.exit_code(), 1, "{e}");
        assert!(e.to_string().starts_with("journal:"), "{e}");
    }
}
