//! The statements of the reading commands that must scale with the rows they print
//! (`transfers list`, `reconcile`) search an index on what they select: SQLite's query plan
//! for each, on an empty journal of the current schema (the plan does not depend on the rows).

use super::stored::temp_journal;
use super::Journal;

/// How SQLite runs `sql` (parameters bound as given): its query plan's lines.
fn plan(j: &Journal, sql: &str) -> String {
    let mut st = j
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let lines: Vec<String> = st
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    lines.join("\n")
}

/// `sql` with `?1`, `?2`, … replaced by `values`.
fn bound(sql: &str, values: &[&str]) -> String {
    values
        .iter()
        .enumerate()
        .rev()
        .fold(sql.to_string(), |s, (i, v)| {
            s.replace(&format!("?{}", i + 1), v)
        })
}

#[test]
fn transfers_list_searches_by_account_and_time() {
    use super::transfer_rows::{select, ACCOUNT_SINCE, IN_BLOCKS, SINCE};
    let (_d, j) = temp_journal();
    // One account since a time: never the other accounts' transfers of that time.
    let one = plan(&j, &bound(&select(ACCOUNT_SINCE), &["0", "'T'"]));
    assert!(
        one.contains("USING INDEX transfers_account_time (account=? AND block_time>?)"),
        "{one}"
    );
    let all = plan(&j, &bound(&select(SINCE), &["0"]));
    assert!(
        all.contains("USING INDEX transfers_time (block_time>?)"),
        "{all}"
    );
    let blocks = plan(&j, &bound(&select(IN_BLOCKS), &["'T'", "0", "9"]));
    assert!(
        blocks.contains("USING INDEX transfers_account_block (account=? AND block>? AND block<?)"),
        "{blocks}"
    );
}

#[test]
fn reconcile_finds_settled_payouts_by_block_not_by_state() {
    let (_d, j) = temp_journal();
    let payouts = plan(
        &j,
        &bound(super::settled_rows::SETTLED_IN_BLOCKS, &["0", "9", "'T'"]),
    );
    assert!(
        payouts.contains("SEARCH a USING INDEX attempts_block (block>? AND block<?)"),
        "{payouts}"
    );
    assert!(!payouts.contains("attempts_state"), "{payouts}");
    // The payouts outside a statement's range, walked away from it: read in the index's own
    // order, so a walk that stops early reads no further (no sort of every row first).
    for sql in [
        super::settled_rows::SETTLED_AT_OR_BEFORE,
        super::settled_rows::SETTLED_AFTER,
    ] {
        let walk = plan(&j, &bound(sql, &["'T'", "9"]));
        assert!(
            walk.contains("SEARCH a USING INDEX attempts_block (block"),
            "{walk}"
        );
        assert!(!walk.contains("TEMP B-TREE"), "{walk}");
    }
}

#[test]
fn a_version_8_journal_gains_the_transfers_index() {
    let (d, j) = temp_journal();
    j.conn
        .execute_batch("DROP INDEX transfers_account_time; PRAGMA user_version = 8;")
        .unwrap();
    drop(j);
    let j = Journal::open(
        &d.path().join("j.db"),
        coldpay_shared::Network::Local,
        super::lock::LockWait::Wait,
    )
    .unwrap();
    let v: i64 = j
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 9);
    let one = plan(
        &j,
        &bound(
            &super::transfer_rows::select(super::transfer_rows::ACCOUNT_SINCE),
            &["0", "'T'"],
        ),
    );
    assert!(one.contains("transfers_account_time"), "{one}");
}
