//! The sealed signing policy each signer key answered under (`policy` of a sign response),
//! journaled by `submit` (table `signer_policies`, schema version 7): a change is printed
//! (`signer policy changed: seq 3 → 4`), a lower sequence loudly (a signer home put back to
//! an older policy), and `status` shows the latest per key. The signer vouches for the policy
//! it ran under; this is the online side's record of what it said.

use coldpay_shared::handoff::SignerPolicy;
use rusqlite::{params, OptionalExtension};

use super::now_ms;
use crate::error::{BcError, Result};

/// Schema version 7: one row per signer key each time its policy changes.
pub const MIGRATION_7: &str = r"
CREATE TABLE signer_policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    signer TEXT NOT NULL,
    seq INTEGER NOT NULL,
    digest TEXT NOT NULL,
    request_id TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX signer_policies_by_signer ON signer_policies (signer, id);
";

/// The latest (seq, digest) journaled for `signer`.
fn latest(tx: &rusqlite::Connection, signer: &str) -> Result<Option<(u64, String)>> {
    tx.query_row(
        "SELECT seq, digest FROM signer_policies WHERE signer = ?1 ORDER BY id DESC LIMIT 1",
        params![signer],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )
    .optional()
    .map_err(|e| BcError::journal_at(e, format!("read the signer policy of {signer}")))
    .map(|o| o.map(|(s, d)| (u64::try_from(s).unwrap_or(0), d)))
}

/// Records `policy` for each of `signers` (inside the caller's transaction) and returns what
/// changed, in words: nothing when it is the journaled one.
pub(super) fn record(
    tx: &rusqlite::Connection,
    signers: &[String],
    policy: &SignerPolicy,
    request_id: &str,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let seq = i64::try_from(policy.seq)
        .map_err(|_| BcError::Input(format!("policy.seq {} is out of range", policy.seq)))?;
    for signer in signers {
        let before = latest(tx, signer)?;
        let note = match &before {
            Some((s, d)) if *s == policy.seq && *d == policy.digest => continue,
            None => format!(
                "signer {signer} signs under sealed policy seq {} (sha256 {})",
                policy.seq, policy.digest
            ),
            Some((s, _)) if *s > policy.seq => format!(
                "WARNING: signer policy went BACK: seq {s} → {} for signer {signer} (sha256 {}): its home was put back to an older policy; check it (`coldpay-signer policy show`, `audit verify`)",
                policy.seq, policy.digest
            ),
            Some((s, _)) => format!(
                "signer policy changed: seq {s} → {} for signer {signer} (sha256 {})",
                policy.seq, policy.digest
            ),
        };
        tx.execute(
            "INSERT INTO signer_policies (signer, seq, digest, request_id, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![signer, seq, policy.digest, request_id, now_ms()],
        )
        .map_err(|e| BcError::journal_at(e, "record a signer policy"))?;
        notes.push(note);
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_told_once_and_a_lower_sequence_loudly() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATION_7).unwrap();
        let k = vec!["TKey".to_string()];
        let p = |seq, d: &str| SignerPolicy {
            digest: d.repeat(32),
            seq,
        };
        let n = record(&conn, &k, &p(3, "aa"), "r1").unwrap();
        assert!(n[0].contains("signs under sealed policy seq 3"), "{n:?}");
        assert!(record(&conn, &k, &p(3, "aa"), "r2").unwrap().is_empty());
        let n = record(&conn, &k, &p(4, "bb"), "r3").unwrap();
        assert!(
            n[0].starts_with("signer policy changed: seq 3 → 4"),
            "{n:?}"
        );
        let n = record(&conn, &k, &p(3, "aa"), "r4").unwrap();
        assert!(n[0].contains("went BACK: seq 4 → 3"), "{n:?}");
        assert_eq!(latest(&conn, "TKey").unwrap(), Some((3, "aa".repeat(32))));
    }
}
