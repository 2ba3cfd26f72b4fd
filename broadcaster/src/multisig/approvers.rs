//! Approver homes: a watch-only export with `approver_for` names another account's permission
//! whose keys the signer home holds. Its import is checked against the node's permissions and
//! recorded in the journal's `meta` table as `approver:<address>` → [`ApproverRecord`] JSON, so
//! `accounts permissions` can say which home holds each key.

use std::collections::HashMap;
use std::fmt;

use coldpay_shared::handoff::{ApproverFor, WatchExport};
use coldpay_shared::text::escape;
use coldpay_shared::Address;
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::multisig::permissions::AccountPermissions;

pub use crate::journal::ApproverRecord;

/// Checks every exported address is a key of the permission `a` names in `perms`; the error
/// names the permission, or the first address that is not one of its keys.
pub fn check(perms: &AccountPermissions, w: &WatchExport, a: &ApproverFor) -> Result<()> {
    let p = std::iter::once(&perms.owner)
        .chain(&perms.actives)
        .find(|p| p.name == a.permission)
        .ok_or_else(|| {
            BcError::Input(format!(
                "account {} has no permission named \"{}\" (it has: {}); nothing recorded",
                a.account,
                escape(&a.permission),
                perms.ids_text()
            ))
        })?;
    for acct in &w.accounts {
        if !p.keys.iter().any(|k| k.address == acct.address) {
            return Err(BcError::Input(format!(
                "{} (wallet \"{}\") is not a key of {} permission {} as the node reports it now; nothing recorded",
                acct.address,
                escape(&acct.name),
                a.account,
                p.label()
            )));
        }
    }
    Ok(())
}

/// Records every exported address as an approver key of `a`, in one transaction.
pub fn record(journal: &Journal, w: &WatchExport, a: &ApproverFor) -> Result<Vec<ApproverRecord>> {
    let recs: Vec<(Address, ApproverRecord)> = w
        .accounts
        .iter()
        .map(|acct| {
            let r = ApproverRecord {
                wallet: acct.name.clone(),
                account: a.account,
                permission: a.permission.clone(),
            };
            (acct.address, r)
        })
        .collect();
    journal.record_approvers(&recs)?;
    Ok(recs.into_iter().map(|(_, r)| r).collect())
}

/// Every recorded approver key's wallet name (base58 address → name), whatever the account.
pub fn all_names(journal: &Journal) -> Result<HashMap<String, String>> {
    Ok(journal
        .approvers()?
        .into_iter()
        .map(|(addr, r)| (addr.to_base58(), r.wallet))
        .collect())
}

/// The recorded approver keys of `account`: address → wallet name.
pub fn labels(journal: &Journal, account: &Address) -> Result<HashMap<Address, String>> {
    Ok(journal
        .approvers()?
        .into_iter()
        .filter(|(_, r)| r.account == *account)
        .map(|(addr, r)| (addr, r.wallet))
        .collect())
}

/// What an approver import recorded (`accounts import-watch` of an export with
/// `approver_for`): the permission, and each key with its wallet name in the approver's home.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    /// The account and permission the keys belong to.
    pub approver_for: ApproverFor,
    /// The keys recorded.
    pub approvers: Vec<RecordedKey>,
}

/// One recorded approver key.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedKey {
    /// The key's address.
    pub address: Address,
    /// Its wallet name in the approver's signer home.
    pub approver: String,
}

impl Recorded {
    /// What importing `w` for `a` records.
    pub fn of(w: &WatchExport, a: &ApproverFor) -> Recorded {
        Recorded {
            approver_for: a.clone(),
            approvers: w
                .accounts
                .iter()
                .map(|k| RecordedKey {
                    address: k.address,
                    approver: k.name.clone(),
                })
                .collect(),
        }
    }
}

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "recorded {} approver key(s) of {} permission \"{}\"",
            self.approvers.len(),
            self.approver_for.account,
            escape(&self.approver_for.permission)
        )?;
        for k in &self.approvers {
            write!(
                f,
                "\n  {} (approver home: {})",
                k.address,
                escape(&k.approver)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::handoff::WatchAccount;
    use coldpay_shared::permission::{Permission, PermissionKey, PermissionKind};
    use coldpay_shared::Network;

    fn addr(i: u8) -> Address {
        Address::from_evm_bytes([i; 20])
    }

    fn perm(kind: PermissionKind, id: i32, name: &str, keys: &[u8]) -> Permission {
        Permission {
            kind,
            id,
            name: name.into(),
            threshold: 1,
            keys: keys
                .iter()
                .map(|&i| PermissionKey {
                    address: addr(i),
                    weight: 1,
                })
                .collect(),
            operations: None,
            parent_id: 0,
        }
    }

    fn setup() -> (AccountPermissions, ApproverFor) {
        let perms = AccountPermissions {
            address: addr(9),
            owner: perm(PermissionKind::Owner, 0, "owner", &[9]),
            witness: None,
            actives: vec![perm(PermissionKind::Active, 2, "payouts", &[1, 2, 3])],
        };
        let a = ApproverFor {
            account: addr(9),
            permission: "payouts".into(),
        };
        (perms, a)
    }

    fn export(keys: &[u8]) -> WatchExport {
        WatchExport {
            network: Network::Local,
            accounts: keys
                .iter()
                .map(|&i| WatchAccount {
                    name: format!("approver-{i}"),
                    address: addr(i),
                    path: None,
                })
                .collect(),
            approver_for: None,
        }
    }

    #[test]
    fn members_pass_and_outsiders_are_refused_by_address() {
        let (perms, a) = setup();
        check(&perms, &export(&[1, 2]), &a).unwrap();
        let e = check(&perms, &export(&[1, 4]), &a).unwrap_err().to_string();
        assert!(e.contains(&addr(4).to_string()), "{e}");
        assert!(e.contains("approver-4") && e.contains("\"payouts\""), "{e}");
    }

    #[test]
    fn a_recorded_import_shows_its_keys_as_text_and_json() {
        let (_, a) = setup();
        let r = Recorded::of(&export(&[1, 2]), &a);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({
                "approver_for": {"account": addr(9).to_base58(), "permission": "payouts"},
                "approvers": [
                    {"address": addr(1).to_base58(), "approver": "approver-1"},
                    {"address": addr(2).to_base58(), "approver": "approver-2"},
                ],
            })
        );
        assert_eq!(
            r.to_string(),
            format!(
                "recorded 2 approver key(s) of {} permission \"payouts\"\n  {} (approver home: approver-1)\n  {} (approver home: approver-2)",
                addr(9),
                addr(1),
                addr(2)
            )
        );
    }

    #[test]
    fn an_unknown_permission_name_is_refused_by_name() {
        let (perms, mut a) = setup();
        a.permission = "payroll".into();
        let e = check(&perms, &export(&[1]), &a).unwrap_err().to_string();
        assert!(e.contains("no permission named \"payroll\""), "{e}");
    }
}
