//! What the reading commands (`status`, `report`, `batch list|show`) show per payout: the
//! payout, its latest attempt, how many attempts it had, and the approvals of multi-signature
//! attempts. Read with a fixed number of indexed statements whatever the number of rows, so
//! these commands take time linear in the rows they print (schema 6 indexes).

use std::collections::HashMap;

use rusqlite::params;

use super::approval_rows::decoded;
use super::rows::{
    attempt_at, json_column, parse_amount, payout_from_row, typed, ATTEMPT_COLS, PAYOUT_COLS,
};
use super::select_all;
use super::{Asset, Attempt, AttemptState, Journal, Payout, PayoutKind};
use crate::error::BcError;
use crate::error::Result;
use coldpay_shared::permission::PermissionClaim;
use coldpay_shared::Address;

/// One payout as the reading commands show it.
#[derive(Clone, Debug)]
pub struct PayoutLine {
    /// The payout row.
    pub payout: Payout,
    /// When it was imported (ms).
    pub imported_at: i64,
    /// How many attempts it had.
    pub attempts: usize,
    /// Its latest attempt.
    pub latest: Option<Attempt>,
    /// When the latest attempt last changed (ms).
    pub updated_at: Option<i64>,
    /// The permission claim (JSON) the latest attempt's request carried (multi-signature).
    pub permission_claim: Option<PermissionClaim>,
}

/// One approval recorded for an attempt, as the journal holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRow {
    /// The approving key.
    pub signer: Address,
    /// Its weight when the approval was verified.
    pub weight: i64,
    /// The permission's threshold then.
    pub threshold: i64,
}

/// What a payout's status is decided by: the payout's kind, token, amount and cancellation,
/// and its latest attempt's state (the lean form of [`PayoutLine`] for `status` and
/// `batch list`, which count rather than print every payout).
#[derive(Clone, Debug)]
pub struct PayoutState {
    /// Payout id.
    pub id: String,
    /// Its batch.
    pub batch_id: String,
    /// What it is.
    pub kind: PayoutKind,
    /// What it moves.
    pub token: Asset,
    /// Amount in base units.
    pub amount: coldpay_shared::U256,
    /// Whether it was cancelled.
    pub cancelled: bool,
    /// Its latest attempt, if any.
    pub latest: Option<LatestState>,
}

/// The latest attempt of a payout, as far as its status needs it.
#[derive(Clone, Debug)]
pub struct LatestState {
    /// Attempt row id.
    pub attempt: i64,
    /// Its state.
    pub state: AttemptState,
    /// A broadcast was started (write-ahead `sending_at` set).
    pub sending: bool,
    /// Marked for a re-check against its verified block.
    pub recheck: bool,
    /// The Permission_id it was built with (multi-signature).
    pub permission_id: Option<i32>,
    /// The permission claim (JSON) its request carried.
    pub permission_claim: Option<PermissionClaim>,
}

fn state_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PayoutState> {
    let latest = match r.get::<_, Option<i64>>(6)? {
        Some(attempt) => Some(LatestState {
            attempt,
            state: r.get(7)?,
            sending: r.get::<_, Option<i64>>(8)?.is_some(),
            recheck: r.get::<_, Option<String>>(9)?.is_some(),
            permission_id: r.get(10)?,
            permission_claim: json_column(r, 11)?,
        }),
        None => None,
    };
    let id: String = r.get(0)?;
    let row = id.as_str();
    let of = |column: &'static str| move || format!("{column} of payout {row}");
    let text = |i: usize| r.get::<_, String>(i);
    Ok(PayoutState {
        batch_id: r.get(1)?,
        kind: typed(2, of("kind"), &text(2)?, str::parse::<PayoutKind>)?,
        token: typed(3, of("token"), &text(3)?, str::parse::<Asset>)?,
        amount: typed(4, of("amount"), &text(4)?, parse_amount)?,
        cancelled: r.get::<_, Option<i64>>(5)?.is_some(),
        latest,
        id,
    })
}

/// The statement of [`Journal::payout_states`] (`?1`: the batch, or NULL for every payout).
fn states_sql(one_batch: bool) -> String {
    let filter = if one_batch {
        "WHERE p.batch_id = ?1"
    } else {
        "WHERE ?1 IS NULL"
    };
    format!(
        "SELECT p.id, p.batch_id, p.kind, p.token, p.amount, p.cancelled_at, a.id, a.state, a.sending_at, a.recheck, a.permission_id, a.permission_claim
         FROM payouts p LEFT JOIN attempts a ON a.id = (SELECT MAX(m.id) FROM attempts m WHERE m.payout_id = p.id)
         {filter} ORDER BY p.batch_id, p.line, p.id"
    )
}

/// Column of the latest attempt's first field in [`Journal::payout_lines`]'s statement.
const ATTEMPT_BASE: usize = 13;

fn prefixed(cols: &str, table: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn line_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PayoutLine> {
    let latest = match r.get::<_, Option<i64>>(ATTEMPT_BASE)? {
        Some(_) => Some(attempt_at(r, ATTEMPT_BASE)?),
        None => None,
    };
    Ok(PayoutLine {
        payout: payout_from_row(r)?,
        imported_at: r.get(9)?,
        attempts: usize::try_from(r.get::<_, i64>(10)?).unwrap_or(0),
        updated_at: r.get(11)?,
        permission_claim: json_column(r, 12)?,
        latest,
    })
}

/// The statement of [`Journal::payout_lines`] (`?1`: the batch, or NULL for every payout).
fn lines_sql(one_batch: bool) -> String {
    let filter = if one_batch {
        "WHERE p.batch_id = ?1"
    } else {
        "WHERE ?1 IS NULL"
    };
    format!(
        "SELECT {}, p.created_at, (SELECT COUNT(*) FROM attempts c WHERE c.payout_id = p.id), a.updated_at, a.permission_claim, {}
         FROM payouts p LEFT JOIN attempts a ON a.id = (SELECT MAX(m.id) FROM attempts m WHERE m.payout_id = p.id)
         {filter} ORDER BY p.batch_id, p.line, p.id",
        prefixed(PAYOUT_COLS, "p"),
        prefixed(ATTEMPT_COLS, "a"),
    )
}

impl Journal {
    /// Every payout of `batch` (or of the journal), in batch and line order, with its latest
    /// attempt: one statement, each payout's attempts found through the `attempts_payout`
    /// index.
    pub fn payout_lines(&self, batch: Option<&str>) -> Result<Vec<PayoutLine>> {
        let what = batch.map_or("read payouts".into(), |b| format!("read batch {b}"));
        let sql = lines_sql(batch.is_some());
        select_all(
            &self.conn,
            &sql,
            |e| BcError::journal_at(e, what.clone()),
            params![batch],
            line_from_row,
        )
    }

    /// Every payout of `batch` (or of the journal), in batch and line order, with what its
    /// status is decided by: one statement through the same indexes as
    /// [`Journal::payout_lines`], without the columns only a printed row needs.
    pub fn payout_states(&self, batch: Option<&str>) -> Result<Vec<PayoutState>> {
        let what = batch.map_or("read payouts".into(), |b| format!("read batch {b}"));
        select_all(
            &self.conn,
            &states_sql(batch.is_some()),
            |e| BcError::journal_at(e, what.clone()),
            params![batch],
            state_from_row,
        )
    }

    /// The approvals recorded for the attempts of `batch`'s payouts (or of every payout), per
    /// attempt, oldest first: one statement.
    pub fn approvals_by_attempt(
        &self,
        batch: Option<&str>,
    ) -> Result<HashMap<i64, Vec<ApprovalRow>>> {
        let what = || "read approvals".to_string();
        let rows = select_all(
            &self.conn,
            "SELECT ap.attempt_id, ap.signer, ap.weight, ap.threshold FROM approvals ap
                 JOIN attempts a ON a.id = ap.attempt_id JOIN payouts p ON p.id = a.payout_id
                 WHERE ?1 IS NULL OR p.batch_id = ?1 ORDER BY ap.id",
            |e| BcError::journal_at(e, what()),
            params![batch],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    ApprovalRow {
                        signer: decoded(1, &r.get::<_, String>(1)?, Address::parse)?,
                        weight: r.get(2)?,
                        threshold: r.get(3)?,
                    },
                ))
            },
        )?;
        let mut out: HashMap<i64, Vec<ApprovalRow>> = HashMap::new();
        for (attempt, row) in rows {
            out.entry(attempt).or_default().push(row);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;

    fn journal() -> (tempfile::TempDir, Journal) {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        j.conn
            .execute_batch(
                "INSERT INTO batches VALUES ('b1', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0);
                 INSERT INTO batches VALUES ('b2', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 1);
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('z', 'b1', 2, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 10);
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('a', 'b1', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '6', NULL, 11);
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('c', 'b2', 1, 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 'TRX', '7', NULL, 12);
                 INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('z', 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'expired', 0, 20);
                 INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at, permission_id, permission_claim) VALUES ('c', 'f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'built', 0, 21, 2, NULL);
                 INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('z', 'f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', 'built', 0, 22);
                 INSERT INTO approvals (attempt_id, signer, weight, threshold, signature, request_id, received_at) VALUES (2, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 1, 2, 's', 'r', 0);
                 INSERT INTO approvals (attempt_id, signer, weight, threshold, signature, request_id, received_at) VALUES (2, 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 1, 2, 's', 'r', 0);",
            )
            .unwrap();
        (d, j)
    }

    #[test]
    fn each_payout_comes_with_its_latest_attempt_and_attempt_count() {
        let (_d, j) = journal();
        let all = j.payout_lines(None).unwrap();
        let ids: Vec<&str> = all.iter().map(|l| l.payout.id.as_str()).collect();
        assert_eq!(ids, ["a", "z", "c"]);
        let (a, z, c) = (&all[0], &all[1], &all[2]);
        assert_eq!(
            (a.attempts, a.latest.is_none(), a.updated_at),
            (0, true, None)
        );
        assert_eq!(a.imported_at, 11);
        let latest = z.latest.as_ref().unwrap();
        assert_eq!(
            (z.attempts, latest.txid, latest.state.as_str()),
            (2, crate::journal::fixtures::txid("t3"), "built")
        );
        assert_eq!(z.updated_at, Some(22));
        assert_eq!(c.latest.as_ref().unwrap().permission_id, Some(2));
        assert!(c.permission_claim.is_none());
        let b2 = j.payout_lines(Some("b2")).unwrap();
        assert_eq!(b2.len(), 1);
        assert_eq!(b2[0].payout.id, "c");
        assert!(j.payout_lines(Some("nope")).unwrap().is_empty());
        let ap = j.approvals_by_attempt(Some("b2")).unwrap();
        let signers: Vec<String> = ap[&2].iter().map(|r| r.signer.to_base58()).collect();
        assert_eq!(
            signers,
            [
                "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf",
                "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
            ]
        );
        assert!(j.approvals_by_attempt(Some("b1")).unwrap().is_empty());
        // The lean form agrees with the full one.
        let states = j.payout_states(None).unwrap();
        assert_eq!(states.len(), all.len());
        for (s, l) in states.iter().zip(&all) {
            assert_eq!(s.id, l.payout.id);
            assert_eq!(
                s.latest.as_ref().map(|x| x.attempt),
                l.latest.as_ref().map(|a| a.id)
            );
            assert_eq!(
                s.latest.as_ref().map(|x| x.state.as_str()),
                l.latest.as_ref().map(|a| a.state.as_str())
            );
        }
        assert_eq!(states[2].latest.as_ref().unwrap().permission_id, Some(2));
        assert_eq!(j.payout_states(Some("b1")).unwrap().len(), 2);
    }

    /// The query plan's lines (`EXPLAIN QUERY PLAN`) of the payout lines statement.
    fn plan(j: &Journal, sql: &str) -> Vec<String> {
        let mut st = j
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        st.query_map([Option::<String>::None], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap()
    }

    /// Linear in the rows printed, structurally: attempts are only ever looked up through an
    /// index (never scanned per payout), a batch's payouts come from the batch index in the
    /// order printed (no sort), and the whole journal is one pass over that index.
    #[test]
    fn the_statement_searches_indexes_and_scans_no_attempts() {
        let (_d, j) = journal();
        for (one_batch, sql) in [true, false]
            .into_iter()
            .flat_map(|b| [(b, lines_sql(b)), (b, states_sql(b))])
        {
            let plan = plan(&j, &sql);
            let text = plan.join("\n");
            assert!(
                !plan.iter().any(|l| l.starts_with("SCAN a")
                    || l.starts_with("SCAN m")
                    || l.starts_with("SCAN c")),
                "{text}"
            );
            assert!(!text.contains("TEMP B-TREE"), "{text}");
            assert!(text.contains("attempts_payout"), "{text}");
            assert!(!text.contains("SCAN attempts"), "{text}");
            if one_batch {
                assert!(
                    text.contains("SEARCH p USING INDEX payouts_batch"),
                    "{text}"
                );
            } else {
                assert!(text.contains("SCAN p USING INDEX payouts_batch"), "{text}");
            }
        }
    }
}
