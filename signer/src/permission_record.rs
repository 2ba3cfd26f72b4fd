//! The signer's own record of account permissions: every permission update this home signs
//! is recorded, in the audit line of its signing, as the permissions it sets
//! (`permission_after`); the record of an account is the last such line for it in the
//! verified audit log. A permission update is shown against this record, and a
//! `permission_before` claim that contradicts it is refused (see docs/runbook.md §3a).

use std::collections::HashMap;

use coldpay_shared::permission::{AccountPermissionUpdate, Permission};
use coldpay_shared::Address;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::error::{Result, SignerError};
use crate::home::Home;

/// The `permission_after` field of a signing's audit line: the account and the permissions
/// the update sets, each the hex of its canonical protobuf `Permission` (actives with the
/// ids the chain assigns). Keys sorted, as audit lines are written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionAfter {
    /// The account (base58).
    pub account: Address,
    /// Owner, witness (if any), then actives.
    pub permissions: Vec<String>,
}

impl PermissionAfter {
    /// What an update sets.
    pub fn of(u: &AccountPermissionUpdate) -> Self {
        let mut all = vec![u.owner.clone()];
        all.extend(u.witness.clone());
        all.extend(u.assigned_actives());
        PermissionAfter {
            account: u.owner_address,
            permissions: all.iter().map(|p| hex::encode(p.encode())).collect(),
        }
    }

    fn decode(&self) -> std::result::Result<Vec<Permission>, String> {
        self.permissions
            .iter()
            .map(|h| {
                let bytes = hex::decode(h).map_err(|e| e.to_string())?;
                Permission::decode(&bytes).map_err(|e| e.to_string())
            })
            .collect()
    }
}

/// An account's permissions as this home last signed them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedPermissions {
    /// The audit line that records the signing.
    pub seq: u64,
    /// When it was signed (ms).
    pub time: u64,
    /// The permissions that update sets.
    pub permissions: Vec<Permission>,
}

/// What a signing run knows of an account's recorded permissions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AccountRecord {
    /// Not read (the input holds no permission update).
    #[default]
    NotRead,
    /// This home has signed no permission update of the account.
    Unknown,
    /// The last update of the account this home signed.
    Known(RecordedPermissions),
}

/// The fields of an audit line this module reads.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    time: u64,
    event: Option<String>,
    verdict: Option<String>,
    permission_after: Option<PermissionAfter>,
}

/// Per account, the permissions the last update this home signed sets, read from the
/// audit log after its chain is verified (a broken log is refused).
pub fn recorded_permissions(home: &Home) -> Result<HashMap<Address, RecordedPermissions>> {
    let path = home.audit_path();
    let (_, text) = audit::verify_hashes(&path)?.map_err(|(line, why)| {
        SignerError::Refused(format!(
            "audit log broken at line {line}: {why}; this signer's record of account permissions is read from it, so no permission update is signed: restore audit.log from a backup"
        ))
    })?;
    from_log_text(&text).map_err(|(line, why)| {
        SignerError::Refused(format!("{} line {line}: {why}", path.display()))
    })
}

/// [`recorded_permissions`] of a verified log's text; errors name the 1-based line.
fn from_log_text(
    text: &str,
) -> std::result::Result<HashMap<Address, RecordedPermissions>, (usize, String)> {
    let mut out = HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let bad = |why: String| (i + 1, why);
        let p: Probe = serde_json::from_str(l)
            .map_err(|_| bad("not an audit line the signer wrote".into()))?;
        let signed = p.event.as_deref() == Some("sign") && p.verdict.as_deref() == Some("signed");
        let (true, Some(after)) = (signed, p.permission_after) else {
            continue;
        };
        let permissions = after
            .decode()
            .map_err(|e| bad(format!("permission_after does not decode: {e}")))?;
        out.insert(
            after.account,
            RecordedPermissions {
                seq: p.seq,
                time: p.time,
                permissions,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::{Operations, PermissionKey, PermissionKind};
    use serde_json::json;

    fn addr(b: u8) -> Address {
        Address::from_evm_bytes([b; 20])
    }

    fn update(account: u8, owner_key: u8) -> AccountPermissionUpdate {
        let key = |b| PermissionKey {
            address: addr(b),
            weight: 1,
        };
        AccountPermissionUpdate {
            owner_address: addr(account),
            owner: Permission {
                kind: PermissionKind::Owner,
                id: 0,
                name: "owner".into(),
                threshold: 1,
                parent_id: 0,
                operations: None,
                keys: vec![key(owner_key)],
            },
            witness: None,
            actives: vec![Permission {
                kind: PermissionKind::Active,
                id: 0,
                name: "payouts".into(),
                threshold: 1,
                parent_id: 0,
                operations: Some(Operations::from_names(&["trx"]).unwrap()),
                keys: vec![key(owner_key)],
            }],
        }
    }

    fn line(seq: u64, verdict: &str, u: &AccountPermissionUpdate) -> String {
        json!({"seq": seq, "time": seq * 10, "event": "sign", "verdict": verdict,
               "permission_after": PermissionAfter::of(u)})
        .to_string()
    }

    #[test]
    fn the_last_signed_update_per_account_is_the_record() {
        let text = [
            line(1, "signed", &update(1, 1)),
            line(2, "signed", &update(2, 2)),
            line(3, "signed", &update(1, 7)),
            line(4, "refused", &update(1, 9)),
            json!({"seq": 5, "event": "sign", "verdict": "signed"}).to_string(),
        ]
        .join("\n");
        let rec = from_log_text(&text).unwrap();
        assert_eq!(rec.len(), 2);
        let one = &rec[&addr(1)];
        assert_eq!(one.seq, 3);
        assert_eq!(one.permissions[0].keys[0].address, addr(7));
        // Actives are recorded with the ids the chain assigns.
        assert_eq!(one.permissions[1].id, 2);
        assert_eq!(rec[&addr(2)].seq, 2);
    }

    #[test]
    fn an_unreadable_record_names_its_line() {
        let bad = json!({"seq": 1, "event": "sign", "verdict": "signed",
            "permission_after": {"account": addr(1), "permissions": ["zz"]}})
        .to_string();
        let (line, why) = from_log_text(&format!("{{}}\n{bad}")).unwrap_err();
        assert_eq!(line, 2);
        assert!(why.contains("permission_after does not decode"), "{why}");
    }
}
