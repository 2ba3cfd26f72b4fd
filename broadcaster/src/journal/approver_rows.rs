//! Approver keys: which signer home holds each key of another account's permission, recorded
//! by an approver home's watch-only import in the `meta` table (`approver:<address>` →
//! [`ApproverRecord`] JSON) and read back typed by `accounts permissions` and approval notes.

use coldpay_shared::text::escape;
use coldpay_shared::Address;
use serde::{Deserialize, Serialize};

use super::select_all;
use super::stored;
use super::Journal;
use crate::error::{BcError, Result};

/// The `meta` key prefix of an approver record.
const META_PREFIX: &str = "approver:";

/// What the journal knows about one approver key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverRecord {
    /// Wallet name in the approver's signer home.
    pub wallet: String,
    /// The account whose permission the key belongs to.
    pub account: Address,
    /// That permission's name.
    pub permission: String,
}

impl Journal {
    /// Records each key's approver record (replacing an earlier one), in one SQL transaction.
    pub fn record_approvers(&self, recs: &[(Address, ApproverRecord)]) -> Result<()> {
        let what = |e| BcError::journal_at(e, "record approver keys");
        let tx = self.writer()?.unchecked_transaction().map_err(what)?;
        for (addr, r) in recs {
            let value = serde_json::to_string(r).expect("an approver record serialises");
            tx.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [format!("{META_PREFIX}{addr}"), value],
            )
            .map_err(what)?;
        }
        tx.commit().map_err(what)
    }

    /// Every recorded approver key with its record.
    pub fn approvers(&self) -> Result<Vec<(Address, ApproverRecord)>> {
        let what = |e| BcError::journal_at(e, "read approver keys");
        let rows = select_all(
            &self.conn,
            "SELECT key, value FROM meta WHERE key LIKE 'approver:%' ORDER BY key",
            what,
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )?;
        rows.into_iter()
            .map(|(key, value)| {
                let row = format!("meta row {}", escape(&key));
                let addr = stored::address(&row, "key", &key[META_PREFIX.len()..])?;
                let r: ApproverRecord = serde_json::from_str(&value)
                    .map_err(|_| stored::corrupt(&row, "value", "not an approver record"))?;
                Ok((addr, r))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::stored::temp_journal;

    #[test]
    fn approvers_read_back_typed() {
        let (_d, j) = temp_journal();
        let key = Address::from_evm_bytes([3; 20]);
        let rec = |wallet: &str| ApproverRecord {
            wallet: wallet.into(),
            account: Address::from_evm_bytes([1; 20]),
            permission: "payouts".into(),
        };
        j.record_approvers(&[(key, rec("old"))]).unwrap();
        j.record_approvers(&[(key, rec("hot-2"))]).unwrap();
        assert_eq!(j.approvers().unwrap(), vec![(key, rec("hot-2"))]);
    }

    #[test]
    fn a_corrupt_record_is_a_journal_error_naming_the_row() {
        let (_d, j) = temp_journal();
        j.set_meta("approver:Tnotanaddress", "{}").unwrap();
        let e = j.approvers().unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string()
                .contains("meta row approver:Tnotanaddress, column key"),
            "{e}"
        );
        j.conn
            .execute_batch("DELETE FROM meta WHERE key LIKE 'approver:%'")
            .unwrap();
        let key = Address::from_evm_bytes([3; 20]);
        j.set_meta(&format!("approver:{key}"), "{\"wallet\": 1}")
            .unwrap();
        let e = j.approvers().unwrap_err();
        assert!(e.to_string().contains("column value"), "{e}");
    }
}
