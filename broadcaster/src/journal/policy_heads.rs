//! The signers' latest sealed policies as `status` shows them: typed rows over the
//! `signer_policies` table (written by [`super::signer_policies::record`]), so the CLI never
//! reaches the connection.

use coldpay_shared::Address;
use serde::Serialize;

use super::digest::Digest;
use super::select_all;
use super::stored;
use super::Journal;
use crate::error::{BcError, Result};

/// The latest sealed policy a signer key answered under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyHead {
    /// The signer key (base58 in JSON).
    pub signer: Address,
    /// The policy's sequence number.
    pub seq: u64,
    /// Its SHA-256 digest (hex in JSON).
    pub digest: Digest,
}

/// A `signer_policies` row as SQLite holds it (text not decoded yet).
struct Stored {
    id: i64,
    signer: String,
    seq: i64,
    digest: String,
}

impl Stored {
    fn decode(self) -> Result<PolicyHead> {
        let row = format!("signer_policies row {}", self.id);
        let row = row.as_str();
        let signer = stored::address(row, "signer", &self.signer)?;
        let seq = stored::unsigned(row, "seq", self.seq)?;
        if seq == 0 {
            return Err(stored::corrupt(
                row,
                "seq",
                "0 (a sealed policy starts at 1)",
            ));
        }
        Ok(PolicyHead {
            signer,
            seq,
            digest: Digest::from_bytes(stored::hash32(row, "digest", &self.digest)?),
        })
    }
}

impl Journal {
    /// The latest policy of each signer key, by key.
    pub fn policy_heads(&self) -> Result<Vec<PolicyHead>> {
        let what = |e| BcError::journal_at(e, "read the signer policies");
        let sql = "SELECT id, signer, seq, digest FROM signer_policies p WHERE id = (SELECT MAX(id) FROM signer_policies q WHERE q.signer = p.signer) ORDER BY signer";
        let rows = select_all(&self.conn, sql, what, [], |r| {
            Ok(Stored {
                id: r.get(0)?,
                signer: r.get(1)?,
                seq: r.get(2)?,
                digest: r.get(3)?,
            })
        })?;
        rows.into_iter().map(Stored::decode).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures;
    use coldpay_shared::handoff::SignerPolicy;

    fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &dir.path().join("j.sqlite"),
            coldpay_shared::Network::Nile,
            crate::journal::lock::LockWait::NoWait,
        )
        .unwrap();
        (dir, j)
    }

    fn policy(seq: u64, d: &str) -> SignerPolicy {
        SignerPolicy {
            digest: d.repeat(32),
            seq,
        }
    }

    #[test]
    fn the_latest_policy_of_each_signer_is_its_head() {
        let (_d, j) = journal();
        assert!(j.policy_heads().unwrap().is_empty());
        // Heads come back in the journal's (base58 text) order of keys.
        let (ka, kb) = (
            Address::from_evm_bytes([1; 20]),
            Address::from_evm_bytes([2; 20]),
        );
        let keys = [kb.to_base58(), ka.to_base58()];
        super::super::signer_policies::record(&j.conn, &keys, &policy(3, "aa"), "r1").unwrap();
        super::super::signer_policies::record(&j.conn, &keys[..1], &policy(4, "bb"), "r2").unwrap();
        let head = |signer: Address, seq, d: u8| PolicyHead {
            signer,
            seq,
            digest: Digest::from_bytes([d; 32]),
        };
        let mut want = vec![head(ka, 3, 0xaa), head(kb, 4, 0xbb)];
        want.sort_by_key(|h| h.signer.to_base58());
        let got = j.policy_heads().unwrap();
        assert_eq!(got, want);
        // The JSON `status` prints is unchanged: base58 signer, hex digest.
        assert_eq!(
            serde_json::to_value(&got[0]).unwrap(),
            serde_json::json!({
                "signer": want[0].signer.to_base58(),
                "seq": want[0].seq,
                "digest": want[0].digest.to_hex(),
            })
        );
    }

    #[test]
    fn a_corrupt_row_is_a_journal_error_naming_table_row_and_column() {
        let (_d, j) = journal();
        let k = [Address::from_evm_bytes([1; 20]).to_base58()];
        super::super::signer_policies::record(&j.conn, &k, &policy(3, "aa"), "r1").unwrap();
        for (column, bad, why) in [
            ("digest", "'AA'", "not 64 lower-case hex"),
            ("seq", "0", "0 (a sealed policy"),
            ("signer", "'TKey'", "not a TRON address"),
        ] {
            fixtures::execute(
                &j,
                &format!("UPDATE signer_policies SET {column} = {bad}"),
                [],
            );
            let e = j.policy_heads().unwrap_err();
            assert_eq!(e.exit_code(), 1);
            let text = e.to_string();
            assert!(
                text.contains(&format!("signer_policies row 1, column {column}")),
                "{text}"
            );
            assert!(text.contains(why), "{text}");
        }
    }
}
